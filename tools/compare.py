"""Comparisons: one period against another per meter, and sub-meters ranked against each
other within one carrier, with the unmetered remainder of their parent."""

from __future__ import annotations

from dataclasses import replace
from datetime import time, timedelta

from pydantic import AliasChoices, Field

from common.errors import InsufficientData, NoReadings, UnknownSeries
from store import catalog, queries
from store.catalog import MeterRef
from tools import grain, resolve, scope
from tools.base import SiteInput, ToolContext, ToolResult, tool
from tools.periods import Period
from tools.query import Statistic, _statistic, _value


class CompareInput(SiteInput):
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
    per_day: bool = Field(
        default=False,
        description="an amount's sum divided by each period's length in days: its daily "
        "average, for periods of different lengths ('yesterday vs last month's daily average')",
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
    caveat: str | None = Field(
        default=None, description="why this meter's readings cannot measure exactly the periods"
    )
    history_from: str | None = Field(
        default=None,
        description="local date of the meter's first reading, given when a period has no data",
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
        description="periods without data or with gaps, readings that cannot measure the "
        "periods exactly: a change over them is not a change",
    )
    combined: Change | None = Field(
        default=None, description="the meters added up, when several amounts are summed"
    )
    conversions: list[str] = Field(
        default_factory=list, description="how converted values were found (gas m3 to kWh)"
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
        stored = queries.period_totals(conn, ids, period.start_ts, period.end_ts, tz=tz)
        then = queries.period_totals(conn, ids, reference.start_ts, reference.end_ts, tz=tz)
    now, then = resolve.scaled_totals(stored, found), resolve.scaled_totals(then, found)
    flags, caveats, billed = _interval_flags(ctx, found, [period, reference])
    cover = [
        _coverage(ctx, found, {t.series.id: now[t.series.id].n for t in found}, period),
        _coverage(ctx, found, {t.series.id: then[t.series.id].n for t in found}, reference),
    ]
    per_day = args.per_day and stat == "sum"
    days = (_days(period), _days(reference)) if per_day else (1.0, 1.0)
    changes = []
    for t in found:
        a, b = now[t.series.id], then[t.series.id]
        va = _value(stat, a.n, a.sum, a.min, a.max) / days[0] if a.n else None
        vb = _value(stat, b.n, b.sum, b.min, b.max) / days[1] if b.n else None
        diff = va - vb if va is not None and vb is not None else None
        pct = 100 * diff / vb if diff is not None and vb else None
        flag = flags.get(t.series.id)
        changes.append(
            Change(
                meter=t.meter.name,
                value=va,
                reference_value=vb,
                difference=diff,
                percent=pct,
                coverage=cover[0].get(t.series.id),
                reference_coverage=cover[1].get(t.series.id),
                caveat=flag,
            )
        )
    changes = _history_starts(ctx, found, changes)
    if all(c.value is None and c.reference_value is None for c in changes):
        # nothing on either side (both before the history began): the periods are named so the
        # person sees which ones hold no readings
        names = ", ".join(c.meter for c in changes)
        raise NoReadings(
            f"no {args.metric} readings for {names} in {period.describe()} nor in "
            f"{reference.describe()}; check the periods or the meter's data coverage"
        )
    return CompareResult(
        metric=resolve.ENERGY if found[0].converted else found[0].series.metric,
        unit=f"{found[0].unit}/day" if per_day else found[0].unit,
        statistic="per_day" if per_day else stat,
        period=period.as_dict(),
        reference=reference.as_dict(),
        changes=changes,
        source=grain.source(grain.ROLLUP_SOURCE, billed),
        conversions=resolve.conversions(found, stored),
        caveats=caveats + _gaps(changes, period, reference),
        combined=_combined(changes) if stat == "sum" and len(changes) > 1 else None,
    )


def _days(period: Period) -> float:
    """A period's length in days: its local calendar days when it runs midnight to midnight
    (a day of a clock change is one day), else its hours over 24."""
    start, end = period.start, period.end
    if start.time() == end.time() == time(0):
        return float((end.date() - start.date()).days) or 1.0
    return max(period.hours, 1e-9) / 24


def _history_starts(
    ctx: ToolContext, found: list[resolve.Target], changes: list[Change]
) -> list[Change]:
    """Each meter with a period of no data gets the day its readings begin, so an answer can
    say how far back the comparison could reach."""
    empty = [t for t, c in zip(found, changes, strict=True) if None in (c.value, c.reference_value)]
    if not empty:
        return changes
    with ctx.engine.connect() as conn:
        stats = queries.series_stats(conn, [t.series.id for t in empty])
    tz = ctx.site.timezone
    starts = {
        t.meter.name: grain.local_date(first, tz).isoformat()
        for t in empty
        if (first := stats[t.series.id].first_ts) is not None
    }
    return [c.model_copy(update={"history_from": starts.get(c.meter)}) for c in changes]


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


def _coverage(
    ctx: ToolContext, found: list[resolve.Target], counts: dict[int, int], period: Period
) -> dict[int, float | None]:
    """Per series, the share of the period's expected readings present, at its own interval."""
    now = int(ctx.now.timestamp())
    seen = grain.grains(ctx, [t.series.id for t in found], period.start_ts, period.end_ts)
    out: dict[int, float | None] = {}
    for t in found:
        exp = seen[t.series.id].expected(max(period.start_ts, min(period.end_ts, now)))
        out[t.series.id] = round(min(1.0, counts[t.series.id] / exp), 4) if exp else None
    return out


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


class RankInput(SiteInput):
    metric: str = Field(default="energy", description="Metric to rank by, e.g. 'energy'.")
    period: str = Field(description="Period, e.g. 'last week' or '2025-09'.")
    meter: str | None = Field(
        default=None,
        description="Rank the sub-meters of this meter (name or alias); empty: the sub-meters "
        "of the top meter of each tree (top meters without sub-meters rank themselves).",
    )
    carrier: str | None = Field(
        default=None,
        validation_alias=AliasChoices("carrier", "kind"),
        description="Only meters of this carrier: 'electricity', 'gas', 'water' ...; default: "
        "the named meter's, else electricity (else the only carrier there is).",
    )
    mix_carriers: bool = Field(
        default=False,
        description="Rank meters of every energy carrier together, in kWh (gas read in m3 "
        "converted with the site's calorific value); only when the question asks for it.",
    )
    top: int = Field(default=10, ge=1, le=100, description="How many meters to return.")


class Ranked(ToolResult):
    rank: int
    meter: str
    carrier: str
    value: float
    share_percent: float = Field(description="share of `share_of`")
    caveat: str | None = Field(
        default=None, description="why this meter's readings cannot measure exactly the period"
    )


class Unmetered(ToolResult):
    meter: str = Field(description="the parent meter")
    value: float | None = Field(description="the parent's total")
    sub_meters: float = Field(description="sum of its sub-meters in the ranking's scope")
    unmetered: float | None = Field(
        description="parent minus its sub-meters; only when every sub-meter was metered over "
        "the period (a complete tree)"
    )
    share_percent: float | None = Field(description="the unmetered part's share of `share_of`")
    complete: bool
    note: str | None = None


class RankResult(ToolResult):
    metric: str
    unit: str
    carrier: str = Field(description="the carrier ranked, or the carriers mixed in kWh")
    scope: str = Field(description="which meters were ranked")
    period: dict[str, str]
    ranking: list[Ranked]
    share_of: str = Field(description="what the shares are shares of")
    unmetered: list[Unmetered]
    excluded_totals: list[str] = Field(description="parents whose sub-meters are ranked")
    left_out: list[str] = Field(description="meters not ranked, with why")
    conversions: list[str] = Field(default_factory=list)
    source: str
    caveats: list[str] = Field(default_factory=list)


@tool(RankInput)
def rank_meters(ctx: ToolContext, args: RankInput) -> RankResult:
    """Rank sub-meters by a metric over a period (largest first) with each one's share and the
    unmetered remainder of their parent. Sub-meters are the children of the named meter, or of
    the top meter of each tree, of one carrier (electricity unless asked); carriers are mixed
    in kWh only when asked. Use it for "which sub-meter used the most last month", "top 3
    consumers this week", "what share of the site's electricity is the cooling plant"."""
    period = resolve.period(ctx, args.period)
    with ctx.engine.connect() as conn:
        meters = catalog.list_meters(conn, ctx.site.id)
        parent = catalog.resolve_meter(conn, ctx.site.id, args.meter) if args.meter else None
    found = {t.meter.id: t for t in _targets(ctx, args.metric)}
    candidates = [t.meter for t in found.values()]
    carriers = _carriers(args, parent, candidates, found)
    chosen = scope.sub_meters(meters, candidates, parent=parent, carriers=carriers)
    if not chosen.members:
        why = "; ".join(_why_unmeasured(m, args.metric) for m in chosen.unmeasured)
        raise InsufficientData(
            f"no {' or '.join(carriers)} meters with {args.metric} to rank"
            + (f": {why}" if why else "")
        )
    in_tree = [m.id for ms in chosen.children.values() for m in ms] + [m.id for m in chosen.parents]
    ids = dict.fromkeys([*(m.id for m in chosen.members), *in_tree])
    measured = [found[i] for i in ids if i in found]
    with ctx.engine.connect() as conn:
        stored = queries.period_totals(
            conn,
            [t.series.id for t in measured],
            period.start_ts,
            period.end_ts,
            tz=ctx.site.timezone,
        )
    totals = resolve.scaled_totals(stored, measured)
    # Amounts (energy, volume) are summed; a level (power, temperature) ranks by its average.
    additive = found[chosen.members[0].id].series.additive
    readings = {
        t.meter.id: scope.Reading(
            (tot := totals[t.series.id]).sum if additive else (tot.avg or 0.0),
            tot.n,
            t.series.interval_s,
        )
        for t in measured
    }
    if not additive:
        chosen = replace(chosen, parents=())  # a level has no remainder
    interval = _interval_flags(ctx, measured, [period])
    return _ranking(args, period.as_dict(), chosen, found, readings, measured, stored, interval)


def _targets(ctx: ToolContext, metric: str) -> list[resolve.Target]:
    try:
        return resolve.targets(ctx, [], metric)
    except UnknownSeries as exc:
        raise InsufficientData(str(exc)) from None


def _carriers(
    args: RankInput,
    parent: MeterRef | None,
    candidates: list[MeterRef],
    found: dict[int, resolve.Target],
) -> list[str]:
    if args.mix_carriers:
        kwh = sorted({t.meter.kind for t in found.values() if t.unit == "kWh"})
        if not kwh:
            raise InsufficientData(f"no meters measure {args.metric} in kWh to mix")
        return kwh
    asked = args.carrier.strip().lower() if args.carrier else None
    if parent is not None:
        return [asked or parent.kind]
    return [scope.default_carrier(candidates, asked)]


def _ranking(
    args: RankInput,
    period: dict[str, str],
    chosen: scope.Scope,
    found: dict[int, resolve.Target],
    readings: dict[int, scope.Reading],
    measured: list[resolve.Target],
    stored: dict[int, queries.Totals],
    interval: tuple[dict[int, str], list[str], bool],
) -> RankResult:
    values = [(m, readings[m.id].value) for m in chosen.members if readings[m.id].count]
    if not values:
        raise InsufficientData(f"no {args.metric} readings of {chosen.describe()} in that period")
    values.sort(key=lambda item: item[1], reverse=True)
    balances = [scope.balance(p, chosen.children[p.id], readings) for p in chosen.parents]
    rest = [b for b in balances if b.unmetered is not None and b.unmetered > 0]
    whole = sum(v for _, v in values) + sum(b.unmetered or 0.0 for b in rest) or 1.0
    unit = found[values[0][0].id].unit
    share_of = f"the ranked meters' sum ({whole:,.1f} {unit})"
    if rest:
        names = ", ".join(b.meter for b in rest)
        share_of = (
            f"the ranked meters' sum plus the unmetered remainder of {names} ({whole:,.1f} {unit})"
        )
    flags, caveats, billed = interval
    ranking = [
        Ranked(
            rank=i + 1,
            meter=m.name,
            carrier=m.kind,
            value=v,
            share_percent=100 * v / whole,
            caveat=flags.get(found[m.id].series.id),
        )
        for i, (m, v) in enumerate(values[: args.top])
    ]
    first = found[values[0][0].id]
    unmetered = [
        Unmetered(
            meter=b.meter,
            value=b.value,
            sub_meters=b.sub_meters,
            unmetered=b.unmetered,
            share_percent=100 * b.unmetered / whole if b.unmetered is not None else None,
            complete=b.complete,
            note=b.note,
        )
        for b in balances
    ]
    left = [*chosen.left_out, *(_why_unmeasured(m, args.metric) for m in chosen.unmeasured)]
    return RankResult(
        metric=resolve.ENERGY if first.converted else first.series.metric,
        unit=first.unit,
        carrier=" + ".join(chosen.carriers),
        scope=chosen.describe(),
        period=period,
        ranking=ranking,
        share_of=share_of,
        unmetered=unmetered,
        excluded_totals=[p.name for p in chosen.totals or chosen.parents],
        left_out=left,
        conversions=resolve.conversions(
            [t for t in measured if t.meter.id in {m.id for m, _ in values}], stored
        ),
        source=grain.source(grain.ROLLUP_SOURCE, billed),
        caveats=caveats,
    )


def _why_unmeasured(meter: MeterRef, metric: str) -> str:
    if meter.kind == "gas" and metric == resolve.ENERGY:
        return (
            f"{meter.name} (no energy series; if it reads gas in m3, the site needs "
            "gas_calorific_value_kwh_per_m3 in its catalogue)"
        )
    return f"{meter.name} (no {metric} series)"


def _interval_flags(
    ctx: ToolContext, found: list[resolve.Target], periods: list[Period]
) -> tuple[dict[int, str], list[str], bool]:
    """Per series, why its readings cannot measure exactly a period (readings coarser than
    the period, a period that cuts one, values pro-rated from bills), all of it in words, and
    whether any figure comes from bills."""
    flags: dict[int, str] = {}
    notes: list[str] = []
    billed = False
    for p in periods:
        seen = grain.grains(ctx, [t.series.id for t in found], p.start_ts, p.end_ts)
        for t in found:
            g = seen[t.series.id]
            billed = billed or g.billing
            bills = grain.bill_caveats(ctx, t.meter.name, t.series.id, g, t.series.unit)
            fit = grain.period_fit(g, t.meter.name)
            for note in ([fit] if fit else []) + bills:
                flags.setdefault(t.series.id, note)
                if note not in notes:
                    notes.append(note)
    return flags, notes, billed
