"""Renderers of meters set against each other: which used more, and shares."""

from __future__ import annotations

from agent.render.base import QUANTITY, ChartSpec, Parts, Renderer, Row, renders
from agent.render.metrics import source_line
from agent.render.text import number, percent, period_label, period_text, rounded, words
from tools.contrast import MetersCompareResult, ShareResult


@renders(MetersCompareResult)
class MetersCompareRenderer(Renderer[MetersCompareResult]):
    def answer(self, r: MetersCompareResult) -> list[str]:
        lines = [f"{words(r.metric).capitalize()} {period_text(r.period)}:"]
        for s in r.sides:
            value = number(s.value, r.unit) if s.value is not None else "no data"
            lines.append(f"- **{s.label}**: {value}")
        if r.largest is not None and r.difference is not None and len(r.sides) >= 2:
            first, second = r.sides[0].label, r.sides[1].label
            way = "" if r.percent is None else f" ({first} used {_way(r.percent)} than {second})"
            lines.append(f"{first} minus {second}: {number(r.difference, r.unit)}{way}.")
        return [*lines, source_line(r.source)]

    def subjects(self, r: MetersCompareResult) -> list[str]:
        return [m for s in r.sides for m in s.meters]

    def ranked(self, r: MetersCompareResult) -> list[str]:
        known = [s for s in r.sides if s.value is not None and len(s.meters) == 1]
        if len(known) != len(r.sides):
            return []  # a side of several meters, or one with no data, is no one meter's rank
        return [s.meters[0] for s in sorted(known, key=lambda s: -(s.value or 0.0))]

    def evidence(self, r: MetersCompareResult, out: Parts) -> None:
        when_ = period_label(r.period)
        out.charts.append(
            ChartSpec(
                f"{r.metric}, {when_}",
                r.unit,
                "bar",
                [s.label for s in r.sides],
                {r.metric: [s.value for s in r.sides]},
            )
        )
        rows: list[Row] = [[s.label, rounded(s.value)] for s in r.sides]
        if r.difference is not None:
            rows.append(["difference (first - second)", rounded(r.difference)])
            rows.append(["difference, % of the second", rounded(r.percent, 1)])
        out.tables.append((f"{r.metric} by meter, {when_}", ["", f"{r.metric} ({r.unit})"], rows))


WHOLE = {"parent": "its parent meter", "site": "the site's total", "named": ""}


@renders(ShareResult)
class ShareRenderer(Renderer[ShareResult]):
    def answer(self, r: ShareResult) -> list[str]:
        how = WHOLE.get(r.whole_from, "")
        whole = f"{r.whole} ({how})" if how else r.whole
        return [
            f"**{r.meter}** was **{percent(r.percent, signed=False)}** of {whole} "
            f"{period_text(r.period)}: {number(r.value, r.unit)} of "
            f"{number(r.whole_value, r.unit)}.",
            source_line(r.source),
        ]

    def evidence(self, r: ShareResult, out: Parts) -> None:
        when_ = period_label(r.period)
        rest = max(r.whole_value - r.value, 0.0)
        out.charts.append(
            ChartSpec(
                f"{r.meter} in {r.whole}, {when_}",
                r.unit,
                "bar",
                [r.meter, "rest"],
                {r.metric: [r.value, rest]},
            )
        )
        rows: list[Row] = [
            [r.meter, rounded(r.value), r.unit],
            [r.whole, rounded(r.whole_value), r.unit],
            ["share", rounded(r.percent, 2), "%"],
        ]
        out.tables.append((f"share of {r.whole}, {when_}", QUANTITY, rows))


def _way(change: float) -> str:
    """A percentage difference with its direction in words ("28.4% less")."""
    return f"{percent(abs(change), signed=False)} {'more' if change > 0 else 'less'}"
