"""Renderers of the metric results: totals and series, KPIs, period comparisons, rankings and
splits."""

from __future__ import annotations

from datetime import datetime

from agent.render.base import QUANTITY, ChartSpec, Parts, Renderer, Row, renders
from agent.render.text import (
    money,
    number,
    percent,
    period_label,
    period_text,
    rounded,
    spoken_label,
    step,
    when,
    words,
)
from tools.base import day_names
from tools.compare import CompareResult, RankResult
from tools.kpi import KpiResult
from tools.query import QueryResult
from tools.split import Part, SplitResult

VERBS = {"sum": "total", "avg": "average", "min": "minimum", "max": "maximum"}


def source_line(source: str | None) -> str:
    return f"Source: {source}." if source else ""


def caveat_lines(caveats: list[str]) -> list[str]:
    return [f"Note: {c}" for c in caveats]


def times(starts: list[str]) -> list[str]:
    """Distinct times in time order (ISO strings with offsets sort wrongly across a
    daylight-saving change, so they are ordered by the moment they name)."""
    return sorted(dict.fromkeys(starts), key=datetime.fromisoformat)


# ------------------------------------------------------------------ query_metric


@renders(QueryResult)
class QueryRenderer(Renderer[QueryResult]):
    def answer(self, r: QueryResult) -> list[str]:
        verb = "average power" if r.statistic == "avg_kw" else VERBS.get(r.statistic, r.statistic)
        what = words(r.metric) if r.statistic != "avg_kw" else "energy"
        lines = []
        for t in r.totals:
            if t.value is None:
                lines.append(
                    f"**{t.meter}**: no {words(r.metric)} readings {period_text(r.period)}."
                )
                continue
            cover = ""
            if t.coverage is not None and t.coverage < 0.98:
                cover = f" (only {t.coverage * 100:.0f}% of the expected readings are present)"
                if t.expected_readings:  # "29 of 31": how many are missing, not a share only
                    cover = (
                        f" (only {t.readings} of {t.expected_readings} expected readings are "
                        f"present, {t.coverage * 100:.0f}%; "
                        f"{t.expected_readings - t.readings} missing)"
                    )
            lines.append(
                f"**{t.meter}** {what} {verb}: **{number(t.value, r.unit)}** "
                f"{period_text(r.period)}{cover}."
            )
        if r.combined is not None:
            lines.append(
                f"Together ({' + '.join(t.meter for t in r.totals if t.value is not None)}): "
                f"**{number(r.combined, r.unit)}**."
            )
        lines += self.series_lines(r)
        lines.extend(f"Converted: {c}." for c in r.conversions)
        return [*lines, *caveat_lines(r.caveats), source_line(r.source)]

    @staticmethod
    def series_lines(r: QueryResult) -> list[str]:
        """Average, highest and lowest step of each meter's series (the chart's numbers)."""
        by_meter: dict[str, list[tuple[str, float]]] = {}
        for p in r.points:
            by_meter.setdefault(p.meter, []).append((p.start, p.value))
        lines = []
        for meter, points in by_meter.items():
            values = [v for _, v in points]
            top = max(points, key=lambda p: p[1])
            low = min(points, key=lambda p: p[1])
            per = "" if r.statistic == "avg_kw" else f" per {r.grain}"
            lines.append(
                f"{meter} by {r.grain}: average {number(sum(values) / len(values), r.unit)}{per} "
                f"over {len(values)} {r.grain}s; highest {number(top[1], r.unit)} "
                f"({step(top[0], r.grain)}), lowest {number(low[1], r.unit)} "
                f"({step(low[0], r.grain)})."
            )
        return lines

    def evidence(self, r: QueryResult, out: Parts) -> None:
        when_ = period_label(r.period)
        metric = words(r.metric)
        if r.points:
            x = times([p.start for p in r.points])
            series = _aligned(r, x)
            out.charts.append(
                ChartSpec(f"{metric} by {r.grain}, {when_}", r.unit, "line", x, series)
            )
            if len(x) <= 62:  # a day's hours, a month's days are tables too
                steps = [[t, *(rounded(series[m][i]) for m in series)] for i, t in enumerate(x)]
                out.tables.append((f"{metric} by {r.grain} ({r.unit})", ["start", *series], steps))
        elif len(r.totals) > 1:
            named = [t for t in r.totals if t.value is not None]
            out.charts.append(
                ChartSpec(
                    f"{metric} ({r.statistic}), {when_}",
                    r.unit,
                    "bar",
                    [t.meter for t in named],
                    {metric: [t.value for t in named]},
                )
            )
        rows: list[Row] = [
            [
                t.meter,
                rounded(t.value),
                t.readings,
                rounded(None if t.coverage is None else 100 * t.coverage, 1),
            ]
            for t in r.totals
        ]
        if r.combined is not None:
            rows.append(["together", rounded(r.combined), sum(t.readings for t in r.totals), None])
        columns = ["meter", f"{metric} ({r.unit})", "readings", "coverage %"]
        out.tables.append((f"{metric} {r.statistic}, {when_}", columns, rows))


def _aligned(r: QueryResult, x: list[str]) -> dict[str, list[float | None]]:
    by_meter: dict[str, dict[str, float]] = {}
    for p in r.points:
        by_meter.setdefault(p.meter, {})[p.start] = p.value
    return {meter: [values.get(t) for t in x] for meter, values in by_meter.items()}


# ------------------------------------------------------------------ compute_kpi

KPI_NAMES = {
    "energy": "energy",
    "peak_demand": "peak demand",
    "load_factor": "load factor",
    "sec": "specific energy consumption (SEC)",
    "cost": "cost",
    "carbon": "carbon emissions",
    "base_load": "base load",
    "intensity": "energy intensity",
    "average_power": "average power",
}
KPI_POINTS = {
    "peak_demand": ("demand (15-minute average)", "kW"),
    "energy": ("daily energy", "kWh"),
    "cost": ("daily energy", "kWh"),
    "carbon": ("daily emissions", "kg CO2e"),
    "average_power": ("daily energy", "kWh"),
}


def kpi_value(r: KpiResult) -> str:
    """The KPI's value as written in an answer ('1,234.50 EUR', '71.2%', '512 kW')."""
    if r.kpi == "cost":
        return money(r.value, str(r.details.get("currency") or r.unit))
    if r.kpi == "load_factor":
        return f"{r.value * 100:.1f}%"
    return number(r.value, r.unit)


@renders(KpiResult)
class KpiRenderer(Renderer[KpiResult]):
    def answer(self, r: KpiResult) -> list[str]:
        d = r.details
        name = KPI_NAMES.get(r.kpi, words(r.kpi))
        head = f"**{r.meter}** {name} {period_text(r.period)}: **{kpi_value(r)}**"
        extra = ""
        if r.kpi == "cost" and "energy_cost" in d and "demand_cost" in d:
            currency = str(d.get("currency") or r.unit)
            extra = (
                f" ({money(float(d['energy_cost'] or 0), currency)} energy, "
                f"{money(float(d['demand_cost'] or 0), currency)} demand charge)"
            )
        elif r.kpi == "load_factor":
            extra = (
                f" (average power **{number(float(d['average_kw'] or 0), 'kW')}**, peak "
                f"{number(float(d['peak_kw'] or 0), 'kW')} at {when(str(d['peak_at']))})"
            )
        elif r.kpi == "peak_demand" and d.get("at"):
            minutes = d.get("window_minutes")
            average = f" ({float(minutes):.0f}-minute average)" if minutes else ""
            extra = f", at {when(str(d['at']))}{average}"
        elif r.kpi == "sec":
            extra = (
                f" ({number(float(d['energy_kwh'] or 0), 'kWh')} for "
                f"{number(float(d['production_units'] or 0), 'units')})"
            )
        elif r.kpi == "average_power":
            extra = (
                f" ({number(float(d['energy_kwh'] or 0), 'kWh')} over "
                f"{number(float(d['metered_hours'] or 0), 'metered hours')})"
            )
        lines = [head + extra + ".", f"Method: {r.method}."]
        if r.parameters:
            used = "; ".join(f"{p.name} {p.value} ({p.source})" for p in r.parameters)
            lines.append(f"Used: {used}.")
        return [*lines, *caveat_lines(r.caveats), source_line(r.source)]

    def evidence(self, r: KpiResult, out: Parts) -> None:
        when_ = period_label(r.period)
        if r.points:
            what, unit = KPI_POINTS.get(r.kpi, (words(r.kpi), r.unit))
            out.charts.append(
                ChartSpec(
                    f"{r.meter} {what}, {when_}",
                    unit,
                    "line",
                    [p.start for p in r.points],
                    {r.meter: [p.value for p in r.points]},
                )
            )
        rows: list[Row] = [[words(r.kpi), rounded(r.value), r.unit]]
        rows += [[words(k), rounded(v), ""] for k, v in r.details.items()]
        rows += [[p.name, p.value, p.source] for p in r.parameters]
        rows.append(["method", r.method, ""])
        out.tables.append((f"{r.meter} {words(r.kpi)}, {when_}", QUANTITY, rows))


# ------------------------------------------------------------------ compare_periods


@renders(CompareResult)
class CompareRenderer(Renderer[CompareResult]):
    def answer(self, r: CompareResult) -> list[str]:
        lines = [
            f"{words(r.metric).capitalize()} {period_text(r.period)} compared with "
            f"{period_text(r.reference, bare=True)}:"
        ]
        for c in r.changes:
            if c.value is None or c.reference_value is None or c.difference is None:
                missing = "the reference period" if c.reference_value is None else "the period"
                lines.append(
                    f"- **{c.meter}**: no data in {missing}, so there is no change to give."
                )
                continue
            direction = "up" if c.difference > 0 else "down"
            lines.append(
                f"- **{c.meter}**: {number(c.value, r.unit)} vs "
                f"{number(c.reference_value, r.unit)}, {direction} "
                f"{number(abs(c.difference), r.unit)} ({_way(c.percent)})."
            )
        return [*lines, *caveat_lines(r.caveats), source_line(r.source)]

    def subjects(self, r: CompareResult) -> list[str]:
        return [c.meter for c in r.changes]

    def evidence(self, r: CompareResult, out: Parts) -> None:
        now = spoken_label(r.period) or period_label(r.period)
        ref = spoken_label(r.reference) or period_label(r.reference)
        if ref == now:
            ref = f"{ref} (reference)"
        meters = [c.meter for c in r.changes]
        out.charts.append(
            ChartSpec(
                f"{r.metric}: {period_label(r.period)} vs {period_label(r.reference)}",
                r.unit,
                "bar",
                meters,
                {now: [c.value for c in r.changes], ref: [c.reference_value for c in r.changes]},
            )
        )
        rows: list[Row] = [
            [
                c.meter,
                rounded(c.value),
                rounded(c.reference_value),
                rounded(c.difference),
                rounded(c.percent, 1),
            ]
            for c in r.changes
        ]
        columns = [
            "meter",
            f"{now} ({r.unit})",
            f"{ref} ({r.unit})",
            f"difference ({r.unit})",
            "change %",
        ]
        out.tables.append((f"{r.metric} {now} vs {ref}", columns, rows))


# ------------------------------------------------------------------ rank_meters


@renders(RankResult)
class RankRenderer(Renderer[RankResult]):
    def answer(self, r: RankResult) -> list[str]:
        lines = [f"Largest {words(r.metric)} consumers {period_text(r.period)}:"]
        for x in r.ranking:
            lines.append(
                f"{x.rank}. **{x.meter}**: {number(x.value, r.unit)} ({x.share_percent:.1f}%)"
            )
        if len(r.ranking) > 1:
            low = r.ranking[-1]
            lines.append(f"Smallest of these: **{low.meter}** with {number(low.value, r.unit)}.")
        if r.excluded_totals:
            lines.append(f"Totals left out of the ranking: {', '.join(r.excluded_totals)}.")
        lines.extend(_unmetered(r))
        if r.left_out:
            lines.append(f"Not ranked ({r.carrier} only): {', '.join(r.left_out)}.")
        lines.extend(f"Converted: {c}." for c in r.conversions)
        return [*lines, *caveat_lines(r.caveats), source_line(r.source)]

    def subjects(self, r: RankResult) -> list[str]:
        return [x.meter for x in r.ranking]

    def ranked(self, r: RankResult) -> list[str]:
        return [x.meter for x in sorted(r.ranking, key=lambda x: -x.value)]

    def evidence(self, r: RankResult, out: Parts) -> None:
        when_ = period_label(r.period)
        out.charts.append(
            ChartSpec(
                f"largest {r.metric} consumers, {when_}",
                r.unit,
                "bar",
                [m.meter for m in r.ranking],
                {r.metric: [m.value for m in r.ranking]},
            )
        )
        rows: list[Row] = [
            [m.rank, m.meter, rounded(m.value), rounded(m.share_percent, 1)] for m in r.ranking
        ]
        columns = ["rank", "meter", f"{r.metric} ({r.unit})", "share %"]
        out.tables.append((f"{r.metric} ranking, {when_}", columns, rows))


def _unmetered(r: RankResult) -> list[str]:
    """Each parent's unmetered remainder, or why there is none."""
    lines = []
    for u in r.unmetered:
        if u.unmetered is not None:
            share = f" ({u.share_percent:.1f}%)" if u.unmetered > 0 and u.share_percent else ""
            lines.append(f"Unmetered remainder of {u.meter}: {number(u.unmetered, r.unit)}{share}.")
        if u.note:
            lines.append(f"{u.meter}: {u.note}.")
    return lines


# ------------------------------------------------------------------ split_consumption


@renders(SplitResult)
class SplitRenderer(Renderer[SplitResult]):
    def answer(self, r: SplitResult) -> list[str]:
        on = "" if len(r.days) == 7 else f", {day_names(r.days)} only"
        lines = [*_profile_extremes(r, on)]
        lines.append(
            f"**{r.meter}** {_split_what(r)} {period_text(r.period)}{on}, by {split_words(r.by)}:"
        )
        for p in r.parts:
            share = (
                f" ({p.share_percent:.1f}% of the energy)" if p.share_percent is not None else ""
            )
            if _is_profile(r):
                lines.append(f"- {p.name}: {number(p.value, r.unit)} on average{share}")
            else:
                lines.append(f"- {p.name}: {number(p.value, r.unit)}{share}, {_per_hour(p, r)}")
        return [*lines, *caveat_lines(r.caveats), source_line(r.source)]

    def evidence(self, r: SplitResult, out: Parts) -> None:
        by, when_ = split_words(r.by), period_label(r.period)
        # An hour-of-day profile of energy is an average power (kW), and says so.
        what = "average power" if r.unit == "kW" and r.metric == "energy" else r.metric
        out.charts.append(
            ChartSpec(
                f"{r.meter} {what} by {by}, {when_}",
                r.unit,
                "bar",
                [p.name for p in r.parts],
                {r.meter: [p.value for p in r.parts]},
            )
        )
        rows: list[Row] = [
            [
                p.name,
                rounded(p.value),
                rounded(p.share_percent, 1),
                rounded(p.hours, 2),
                rounded(p.average_per_hour),
            ]
            for p in r.parts
        ]
        per_hour = "kWh per hour" if what == "average power" else "average per hour"
        columns = [by, f"{what} ({r.unit})", "share %", "hours", per_hour]
        out.tables.append((f"{r.meter} {what} by {by}, {when_}", columns, rows))


SPLIT_WORDS = {"weekday_weekend": "weekdays and weekends", "tou": "time-of-use period"}


def split_words(by: str) -> str:
    return SPLIT_WORDS.get(by, words(by))


def _is_profile(r: SplitResult) -> bool:
    """An hour-of-day profile of energy: each hour's value is an average power (kW)."""
    return r.by == "hour_of_day" and r.unit == "kW"


def _split_what(r: SplitResult) -> str:
    return "average power" if _is_profile(r) else r.metric


def _per_hour(p: Part, r: SplitResult) -> str:
    """A part's energy over its hours: kWh per hour is an average power in kW."""
    if r.unit == "kWh":
        return f"{number(p.average_per_hour, 'kW')} on average"
    return f"{number(p.average_per_hour, r.unit)} per hour on average"


def _profile_extremes(r: SplitResult, on: str) -> list[str]:
    """The answer first for a profile (by hour of day or day of week): its highest and
    lowest part; other splits are listed largest first already."""
    if r.by not in ("hour_of_day", "day_of_week") or len(r.parts) < 2:
        return []
    if _is_profile(r) or r.unit != "kWh":
        high = max(r.parts, key=lambda p: p.value)
        low = min(r.parts, key=lambda p: p.value)
        what = "average load" if _is_profile(r) else r.metric
        note = " on average" if _is_profile(r) else ""
        return [
            f"Highest {what} {period_text(r.period)}{on}: **{high.name}** with "
            f"**{number(high.value, r.unit)}**{note}; lowest {low.name} with "
            f"{number(low.value, r.unit)}{note}.",
            "",
        ]
    # Days of the week come a different number of times in most periods: compared by their
    # average power, not their totals.
    high = max(r.parts, key=lambda p: p.average_per_hour)
    low = min(r.parts, key=lambda p: p.average_per_hour)
    return [
        f"Highest average load {period_text(r.period)}{on}: **{high.name}** with "
        f"**{number(high.average_per_hour, 'kW')}** on average ({number(high.value, r.unit)} in "
        f"all); lowest {low.name} with {number(low.average_per_hour, 'kW')} on average.",
        "",
    ]


def _way(change: float | None) -> str:
    """A percentage change with its direction in words ("13.8% less"), never a bare sign."""
    if change is None:
        return "no percentage: the reference is zero"
    return f"{percent(abs(change), signed=False)} {'more' if change > 0 else 'less'}"
