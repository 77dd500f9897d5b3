"""Renderer of the portfolio: sites ranked against each other, each carrier's ranking on its
own and numbered from 1."""

from __future__ import annotations

from agent.render.base import ChartSpec, Parts, Renderer, Row, renders
from agent.render.metrics import source_line
from agent.render.text import number, rounded
from tools.portfolio import PortfolioResult


@renders(PortfolioResult)
class PortfolioRenderer(Renderer[PortfolioResult]):
    def answer(self, r: PortfolioResult) -> list[str]:
        per = " per m2" if r.per_m2 else ""
        lines: list[str] = []
        for i, ranking in enumerate(r.rankings):
            # a blank line ends the list before: each carrier's ranking is numbered from 1
            head = f"Sites by {ranking.carrier} {r.measure}{per}, {r.period}:"
            lines.append(f"\n{head}" if i else head)
            lines.extend(
                f"{s.rank}. **{s.site}**: {number(s.value, ranking.unit)}" for s in ranking.ranking
            )
            if ranking.not_ranked:
                lines.append(f"Not ranked: {', '.join(ranking.not_ranked)}.")
        lines.extend(f"Converted: {c}." for c in r.conversions)
        return [*lines, source_line(r.source)]

    def subjects(self, r: PortfolioResult) -> list[str]:
        return []  # sites, not meters: "it" in the next question is no meter of theirs

    def evidence(self, r: PortfolioResult, out: Parts) -> None:
        for ranking in r.rankings:
            out.charts.append(
                ChartSpec(
                    f"{r.measure} of {ranking.carrier} per site, {r.period}",
                    ranking.unit,
                    "bar",
                    [s.site for s in ranking.ranking],
                    {ranking.carrier: [s.value for s in ranking.ranking]},
                )
            )
        columns = ["site", "carrier", "total", "unit", "floor area m2", "per m2", "from", "to"]
        rows: list[Row] = [
            [
                f.site,
                f.carrier,
                rounded(f.value),
                f.unit,
                rounded(f.floor_area_m2),
                rounded(f.per_m2),
                f.period["start"][:10],
                f.period["end"][:10],
            ]
            for f in r.sites
        ]
        out.tables.append((f"{r.measure} per site, {r.period}", columns, rows))
