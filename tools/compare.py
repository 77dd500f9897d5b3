"""Comparisons: one period against another per meter, and meters ranked against each other."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from common.errors import InsufficientData
from store import catalog, queries
from tools import resolve
from tools.base import ToolContext, ToolInput, ToolResult, tool
from tools.periods import Period
from tools.query import Statistic, _expected, _statistic, _value


class CompareInput(ToolInput):
    meters: list[str] = Field(
        default_factory=list,
        description="Meter names or aliases; empty for every meter that has the metric.",
    )
    metric: str = Field(default="energy", description="Metric to compare, e.g. 'energy'.")
    period: str = Field(description="The period of interest, e.g. 'this month' or '2025-10'.")
    reference: str = Field(
        description="The period to compare against, e.g. 'last month' or '2024-10'."
    )
    statistic: Statistic = Field(
        default="auto", description="'sum', 'avg', 'min', 'max'; 'auto' sums amounts."
    )


class Change(ToolResult):
    meter: str
    value: float | None
    reference_value: float | None
    difference: float | None
    percent: float | None = Field(description="change in % of the reference value")
    coverage: float | None = Field(
        default=None, description="share of the period's expected readings present (0..1)"
    )
    reference_coverage: float | None = Field(
        default=None, description="share of the reference period's expected readings present"
    )


class CompareResult(ToolResult):
    metric: str
    unit: str
    statistic: str
    period: dict[str, str]
    reference: dict[str, str]
    changes: list[Change]
    source: str
    caveats: list[str] = Field(
        default_factory=list,
        description="periods without data or with gaps: a change over them is not a change",
    )
    combined: Change | None = Field(
        default=None, description="the meters added up, when several amounts are summed"
    )


@tool(CompareInput)
def compare_periods(ctx: ToolContext, args: CompareInput) -> CompareResult:
    """Compare a metric per meter between two periods: both values, the difference and the
    change in percent. Use it for "this month vs last month", "is this meter using more than
    in the same week last year"."""
    period = resolve.period(ctx, args.period)
    reference = resolve.period(ctx, args.reference)
    found = resolve.targets(ctx, args.meters, args.metric)
    stat = _statistic(args.statistic, found[0].series.additive)
    ids = [t.series.id for t in found]
    tz = ctx.site.timezone
    with ctx.engine.connect() as conn:
        now = queries.period_totals(conn, ids, period.start_ts, period.end_ts, tz=tz)
        then = queries.period_totals(conn, ids, reference.start_ts, reference.end_ts, tz=tz)
    changes = []
    clock = int(ctx.now.timestamp())
    for t in found:
        a, b = now[t.series.id], then[t.series.id]
        va = _value(stat, a.n, a.sum, a.min, a.max) if a.n else None
        vb = _value(stat, b.n, b.sum, b.min, b.max) if b.n else None
        diff = va - vb if va is not None and vb is not None else None
        pct = 100 * diff / vb if diff is not None and vb else None
        changes.append(
            Change(
                meter=t.meter.name,
                value=va,
                reference_value=vb,
                difference=diff,
                percent=pct,
                coverage=_coverage(a.n, t.series.interval_s, period, clock),
                reference_coverage=_coverage(b.n, t.series.interval_s, reference, clock),
            )
        )
    if all(c.value is None and c.reference_value is None for c in changes):
        raise InsufficientData(f"no {args.metric} data in either period")
    return CompareResult(
        metric=found[0].series.metric,
        unit=found[0].series.unit,
        statistic=stat,
        period=period.as_dict(),
        reference=reference.as_dict(),
        changes=changes,
        source="store rollups (daily + 15-minute)",
        caveats=_gaps(changes, period, reference),
        combined=_combined(changes) if stat == "sum" and len(changes) > 1 else None,
    )


def _combined(changes: list[Change]) -> Change | None:
    """The meters added up; only when every meter has data in both periods."""
    if any(c.value is None or c.reference_value is None for c in changes):
        return None
    value = sum(c.value or 0.0 for c in changes)
    reference = sum(c.reference_value or 0.0 for c in changes)
    return Change(
        meter=" + ".join(c.meter for c in changes),
        value=value,
        reference_value=reference,
        difference=value - reference,
        percent=100 * (value - reference) / reference if reference else None,
    )


def _coverage(n: int, interval_s: int | None, period: Period, now: int) -> float | None:
    expected = _expected(interval_s, period.start_ts, period.end_ts, now)
    return round(min(1.0, n / expected), 4) if expected else None


def _gaps(changes: list[Change], period: Period, reference: Period) -> list[str]:
    """What a reader of the change must know: a period with no data, or with gaps."""
    out = []
    for c in changes:
        for name, value, share, p in (
            ("reference period", c.reference_value, c.reference_coverage, reference),
            ("period", c.value, c.coverage, period),
        ):
            span = f"{p.start:%Y-%m-%d} to {p.end - timedelta(seconds=1):%Y-%m-%d}"
            if value is None:
                out.append(f"{c.meter} has no data in the {name} ({span}): no change can be given")
            elif share is not None and share < 0.98:
                out.append(
                    f"{c.meter} has only {100 * share:.0f}% of its readings in the {name} "
                    f"({span}): the change compares unequal amounts of data"
                )
    return out


class RankInput(ToolInput):
    metric: str = Field(default="energy", description="Metric to rank by, e.g. 'energy'.")
    period: str = Field(description="Period, e.g. 'last week' or '2025-09'.")
    kind: str | None = Field(
        default=None, description="Only meters of this kind: 'electricity', 'gas', 'water' ..."
    )
    top: int = Field(default=10, ge=1, le=100, description="How many meters to return.")
    include_totals: bool = Field(
        default=False,
        description="Include meters that have sub-meters (such as the site's supply meter); off by "
        "default so that totals do not crowd the ranking.",
    )


class Ranked(ToolResult):
    rank: int
    meter: str
    value: float
    share_percent: float = Field(description="share of the ranked meters' sum")


class RankResult(ToolResult):
    metric: str
    unit: str
    period: dict[str, str]
    ranking: list[Ranked]
    excluded_totals: list[str]
    source: str


@tool(RankInput)
def rank_meters(ctx: ToolContext, args: RankInput) -> RankResult:
    """Rank meters by a metric over a period (largest first) with each one's share. Use it for
    "which meters used the most energy last month", "top 3 consumers this week"."""
    period = resolve.period(ctx, args.period)
    found = resolve.targets(ctx, [], args.metric)
    with ctx.engine.connect() as conn:
        meters = catalog.list_meters(conn, ctx.site.id)
    parents = {m.parent_id for m in meters if m.parent_id is not None}
    excluded = [t.meter.name for t in found if t.meter.id in parents and not args.include_totals]
    found = [t for t in found if t.meter.name not in excluded]
    if args.kind:
        found = [t for t in found if t.meter.kind == args.kind]
    if not found:
        raise InsufficientData(f"no {args.kind or ''} meters with {args.metric} to rank")
    stat = _statistic("auto", found[0].series.additive)
    with ctx.engine.connect() as conn:
        totals = queries.period_totals(
            conn, [t.series.id for t in found], period.start_ts, period.end_ts, tz=ctx.site.timezone
        )
    values = [
        (t.meter.name, _value(stat, totals[t.series.id].n, totals[t.series.id].sum, None, None))
        for t in found
        if totals[t.series.id].n
    ]
    if not values:
        raise InsufficientData(f"no {args.metric} readings in {period.describe()}")
    values.sort(key=lambda item: item[1], reverse=True)
    whole = sum(v for _, v in values) or 1.0
    ranking = [
        Ranked(rank=i + 1, meter=name, value=v, share_percent=100 * v / whole)
        for i, (name, v) in enumerate(values[: args.top])
    ]
    return RankResult(
        metric=found[0].series.metric,
        unit=found[0].series.unit,
        period=period.as_dict(),
        ranking=ranking,
        excluded_totals=excluded,
        source="store rollups (daily + 15-minute)",
    )
