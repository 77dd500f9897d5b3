"""Renderer of the monthly report: the answer's summary with where to get the PDF and HTML, and
the report's tables and daily chart as evidence, all through agent/report/answer.py so the
chat answer and the report's own files read the same result."""

from __future__ import annotations

from agent.render.base import ChartSpec, Parts, Renderer, renders
from agent.report.answer import answer_lines, report_chart, report_tables
from tools.report import MonthlyReport


@renders(MonthlyReport)
class MonthlyReportRenderer(Renderer[MonthlyReport]):
    def answer(self, r: MonthlyReport) -> list[str]:
        return answer_lines(r.model_dump())

    def subjects(self, r: MonthlyReport) -> list[str]:
        return []  # the whole site: no meter becomes "it"

    def evidence(self, r: MonthlyReport, out: Parts) -> None:
        result = r.model_dump()
        title, unit, days, series = report_chart(result)
        if days:
            out.charts.append(ChartSpec(title, unit, "bar", days, series))
        out.tables.extend(report_tables(result))
