"""Meters set against each other over one period: which of two (or of two groups) used more and
by how much, and what share some meters are of their parent, of the site or of others."""

from __future__ import annotations

from pydantic import Field

from common.errors import InsufficientData, UnknownSeries
from store import catalog, queries
from tools import resolve
from tools.base import ToolContext, ToolInput, ToolResult, tool
from tools.periods import Period


def _total(
    ctx: ToolContext, names: list[str], metric: str, period: Period
) -> tuple[list[str], float, str, int]:
    """Canonical names, the summed total, the unit and the number of readings."""
    found = resolve.targets(ctx, names, metric)
    unique = list({t.meter.id: t for t in found}.values())
    if not all(t.series.additive for t in unique):
        raise UnknownSeries(f"{metric} is a level, not an amount: it cannot be added up or shared")
    with ctx.engine.connect() as conn:
        totals = queries.period_totals(
            conn,
            [t.series.id for t in unique],
            period.start_ts,
            period.end_ts,
            tz=ctx.site.timezone,
        )
    readings = sum(totals[t.series.id].n for t in unique)
    value = sum(totals[t.series.id].sum for t in unique if totals[t.series.id].n)
    return [t.meter.name for t in unique], float(value), unique[0].series.unit, readings


# ------------------------------------------------------------------ which used more


class MetersCompareInput(ToolInput):
    sides: list[list[str]] = Field(
        min_length=2,
        max_length=10,
        description="What to set against each other: each side is one meter, or several added "
        "up (['press 1', 'press 2'] for both presses together).",
    )
    period: str = Field(description="Period, e.g. 'last month' or '2026-Q3'.")
    metric: str = Field(default="energy", description="An amount to compare, normally 'energy'.")


class Side(ToolResult):
    label: str = Field(description="the side's meters as one name ('a + b')")
    meters: list[str]
    value: float | None = Field(description="its total; None without data")


class MetersCompareResult(ToolResult):
    metric: str
    unit: str
    period: dict[str, str]
    sides: list[Side]
    largest: str | None = Field(description="label of the side with the largest total")
    smallest: str | None = Field(description="label of the side with the smallest total")
    difference: float | None = Field(description="first side's total minus the second's")
    percent: float | None = Field(description="that difference in % of the second side's total")
    source: str


@tool(MetersCompareInput)
def compare_meters(ctx: ToolContext, args: MetersCompareInput) -> MetersCompareResult:
    """Set meters (or groups of meters added up) against each other over one period: each
    side's total, which is largest, and the difference between the first two in units and in
    percent of the second. Use it for "which used more last month, press 1 or press 2, and by how
    much", "did the presses together use more than the dryer"."""
    period = resolve.period(ctx, args.period)
    sides, unit = [], ""
    for names in args.sides:
        meters, value, unit, readings = _total(ctx, names, args.metric, period)
        sides.append(
            Side(label=" + ".join(meters), meters=meters, value=value if readings else None)
        )
    known = [s for s in sides if s.value is not None]
    if not known:
        raise InsufficientData(f"no {args.metric} readings for any of them in {period.describe()}")
    first, second = sides[0].value, sides[1].value
    difference = first - second if first is not None and second is not None else None
    return MetersCompareResult(
        metric=args.metric,
        unit=unit,
        period=period.as_dict(),
        sides=sides,
        largest=max(known, key=lambda s: s.value or 0.0).label if len(known) > 1 else None,
        smallest=min(known, key=lambda s: s.value or 0.0).label if len(known) > 1 else None,
        difference=difference,
        percent=100 * difference / second if difference is not None and second else None,
        source="store rollups (daily + 15-minute)",
    )


# ------------------------------------------------------------------ shares


class ShareInput(ToolInput):
    meters: list[str] = Field(min_length=1, description="The part: one meter, or several added up.")
    of: list[str] = Field(
        default_factory=list,
        description="The whole, added up. Default: the part's parent meter in the catalogue's "
        "tree, else the site's top meters of the same carrier.",
    )
    period: str = Field(description="Period, e.g. 'last week' or '2026-Q3'.")
    metric: str = Field(default="energy", description="An amount, normally 'energy'.")


class ShareResult(ToolResult):
    metric: str
    unit: str
    period: dict[str, str]
    meter: str = Field(description="the part as one name ('a + b')")
    meters: list[str]
    value: float
    whole: str = Field(description="the whole as one name")
    whole_meters: list[str]
    whole_value: float
    whole_from: str = Field(description="'named', 'parent' or 'site': how the whole was chosen")
    percent: float
    source: str


def _whole(ctx: ToolContext, part: list[str]) -> tuple[list[str], str]:
    """The part's parent (one shared parent), else the site's top meters of its carrier."""
    with ctx.engine.connect() as conn:
        meters = catalog.list_meters(conn, ctx.site.id)
    by_name = {m.name: m for m in meters}
    by_id = {m.id: m for m in meters}
    chosen = [by_name[n] for n in part if n in by_name]
    parents = {m.parent_id for m in chosen}
    if len(parents) == 1 and None not in parents:
        parent = by_id[parents.pop()]  # type: ignore[index]
        if parent.name not in part:
            return [parent.name], "parent"
    carriers = {m.kind for m in chosen}
    with_children = {m.parent_id for m in meters if m.parent_id is not None}
    roots = [
        m.name
        for m in meters
        if m.parent_id is None and m.kind in carriers and m.id in with_children
    ]
    if not roots or set(roots) <= set(part):
        raise InsufficientData(
            f"{', '.join(part)} has no parent meter to be a share of; name the whole it is a "
            "share of"
        )
    return roots, "site"


def _not_upstream(ctx: ToolContext, part: list[str], whole: list[str]) -> None:
    """A meter that feeds the whole (its parent, or further up) is more than all of it: a
    share of over 100 % would read as a figure, so the question is turned round instead."""
    with ctx.engine.connect() as conn:
        meters = catalog.list_meters(conn, ctx.site.id)
    by_name = {m.name: m for m in meters}
    by_id = {m.id: m for m in meters}
    for name in whole:
        entry = by_name.get(name)
        seen: set[int] = set()
        while entry is not None and entry.parent_id is not None and entry.parent_id not in seen:
            seen.add(entry.parent_id)
            entry = by_id.get(entry.parent_id)
            if entry is not None and entry.name in part:
                raise InsufficientData(
                    f"{entry.name} feeds {name} (it is upstream of it), so it is not a share of "
                    f"it; ask for {name} as a share of {entry.name} instead"
                )


@tool(ShareInput)
def share_of(ctx: ToolContext, args: ShareInput) -> ShareResult:
    """The share of one or more meters' total (added up) in a whole over a period: their parent
    meter by default, or the meters named as the whole. Use it for "what percentage of the
    site's electricity went into compressed air in Q3", "what share of the main meter was the
    dryer last week"."""
    period = resolve.period(ctx, args.period)
    meters, value, unit, readings = _total(ctx, args.meters, args.metric, period)
    if not readings:
        raise InsufficientData(
            f"no {args.metric} readings for {' + '.join(meters)} in {period.describe()}"
        )
    if args.of:
        names, how = list(args.of), "named"
        _not_upstream(ctx, meters, names)  # the parent chosen below is never upstream of them
    else:
        names, how = _whole(ctx, meters)
    whole_meters, whole, _, whole_readings = _total(ctx, names, args.metric, period)
    if not whole_readings or whole <= 0:
        raise InsufficientData(
            f"no {args.metric} readings for {' + '.join(whole_meters)} in {period.describe()}"
        )
    return ShareResult(
        metric=args.metric,
        unit=unit,
        period=period.as_dict(),
        meter=" + ".join(meters),
        meters=meters,
        value=value,
        whole=" + ".join(whole_meters),
        whole_meters=whole_meters,
        whole_value=whole,
        whole_from=how,
        percent=100 * value / whole,
        source="store rollups (daily + 15-minute)",
    )
