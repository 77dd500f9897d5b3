"""The monthly energy report's figures, all from the tools: per carrier and meter tree the month's
energy, cost, CO2, peak demand with its time, load factor and SEC; each meter's EnPI against its
current baseline with the ASHRAE 14 figures; the month against the same month a year before;
and the month's incidents with their cost. The PDF and HTML are drawn from this one result."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from dateutil.relativedelta import relativedelta
from pydantic import Field

from common.errors import EMSError, InsufficientData, NoReadings, UnknownSeries
from common.timeutil import from_epoch, zone
from store import baselines, catalog, memo, queries
from store.catalog import MeterRef
from tools import resolve
from tools.base import ToolContext, ToolInput, ToolResult, tool
from tools.baseline import BaselineInput, BaselineResult, energy_baseline
from tools.incidents import IncidentOut, list_incidents
from tools.kpi import KpiResult, compute_kpi
from tools.months import EXAMPLES, month_name, month_text, parse_month
from tools.periods import Period
from tools.query import query_metric

SOURCE = (
    "compute_kpi (energy, cost, carbon, load factor with its peak, SEC), query_metric (the "
    "same month last year), energy_baseline (the current baseline's specification), "
    "list_incidents"
)
MODEL_TYPES = ("mlr", "3p_heating", "3p_cooling", "4p", "5p")


class ReportInput(ToolInput):
    month: str = Field(
        description=f"The month to report: {EXAMPLES}; a month's name without a year is the "
        "latest one that has begun."
    )


class DayValue(ToolResult):
    day: str = Field(description="local date, ISO")
    kwh: float


class MeterMonth(ToolResult):
    meter: str
    carrier: str
    parent: str | None
    depth: int = Field(description="0 at the top of the meter tree")
    energy_kwh: float | None
    cost: float | None
    currency: str
    co2_kg: float | None
    peak_kw: float | None
    peak_at: str | None = Field(description="start of the peak demand window, local ISO")
    load_factor: float | None
    sec_kwh_per_unit: float | None
    production_units: float | None
    last_year_kwh: float | None = Field(description="energy in the same month a year before")
    change_percent: float | None = Field(description="energy against the same month last year")
    daily: list[DayValue]
    notes: list[str] = Field(description="why a figure is missing")


class CarrierMonth(ToolResult):
    carrier: str
    meters: list[str] = Field(description="the meters at the top of the carrier's tree")
    energy_kwh: float
    cost: float | None
    currency: str
    co2_kg: float | None
    last_year_kwh: float | None
    change_percent: float | None
    daily: list[DayValue]


class EnpiMonth(ToolResult):
    meter: str
    baseline_version: int = Field(description="the stored version the month is compared with")
    model_type: str
    baseline_period: dict[str, str]
    r2: float
    cv_rmse_percent: float
    nmbe_percent: float
    ashrae14_ok: bool
    expected_kwh: float
    actual_kwh: float
    deviation_kwh: float = Field(description="actual - expected; positive is above baseline")
    deviation_percent: float
    enpi: float = Field(description="actual / expected energy (1.0 = as the baseline expects)")
    uncertainty_kwh: float = Field(description="ASHRAE 14 uncertainty at 90 % confidence")
    days: int
    points: list[dict[str, Any]] = Field(description="day, actual, expected, cusum")


class IncidentMonth(ToolResult):
    id: int
    meter: str | None
    kind: str
    severity: str
    state: str
    title: str
    start: str
    end: str | None
    extra_kwh: float | None
    cost: float | None
    currency: str


class MonthlyReport(ToolResult):
    site: str
    timezone: str
    month: str = Field(description="YYYY-MM")
    title: str
    period: dict[str, str]
    last_year: dict[str, str]
    generated_at: str
    complete: bool = Field(description="false while the month is still running")
    carriers: list[CarrierMonth]
    meters: list[MeterMonth]
    enpi: list[EnpiMonth]
    incidents: list[IncidentMonth]
    incidents_cost: float
    currency: str
    methods: list[str] = Field(description="tariffs, emission factors and methods used")
    caveats: list[str]
    summary: str
    downloads: dict[str, str] = Field(description="API paths of the PDF and HTML report")
    command: str = Field(description="the command line that makes the PDF")
    source: str


# ------------------------------------------------------------------ meters


def _tree(meters: list[MeterRef]) -> list[tuple[MeterRef, int]]:
    """Meters in tree order (each parent before its children, by name), with their depth."""
    ids = {m.id for m in meters}
    children: dict[int | None, list[MeterRef]] = {}
    for m in meters:
        parent = m.parent_id if m.parent_id in ids else None
        children.setdefault(parent, []).append(m)
    ordered: list[tuple[MeterRef, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for m in sorted(children.get(parent, []), key=lambda m: m.name):
            ordered.append((m, depth))
            walk(m.id, depth + 1)

    walk(None, 0)
    return ordered


def _energy_meters(ctx: ToolContext) -> tuple[list[tuple[MeterRef, int]], dict[int, str]]:
    """The meters with an energy series, in tree order, and every meter's name by id."""
    with ctx.engine.connect() as conn:
        pairs = catalog.list_series(conn, ctx.site.id)
        names = {m.id: m.name for m in catalog.list_meters(conn, ctx.site.id)}
    energy = {m.id: m for m, s in pairs if s.metric == "energy"}
    return _tree(list(energy.values())), names


def _kpi(ctx: ToolContext, kpi: str, meter: str, period: str, notes: list[str]) -> KpiResult | None:
    """One KPI from the KPI tool; an expected refusal becomes a note saying why."""
    try:
        return compute_kpi(ctx, {"kpi": kpi, "meter": meter, "period": period})
    except EMSError as exc:
        notes.append(f"{kpi.replace('_', ' ')}: {exc}")
        return None


def _value(result: KpiResult | None) -> float | None:
    return None if result is None else result.value


def _change(now: float | None, before: float | None) -> float | None:
    if now is None or not before:
        return None
    return 100 * (now / before - 1)


def _sec(ctx: ToolContext, meter: MeterRef, month: str, notes: list[str]) -> KpiResult | None:
    """SEC of a meter whose production the catalogue names (its own series or links, or the
    site's for a meter at the top of the tree); other meters have no SEC to report."""
    try:
        resolve.production(ctx, meter)
    except (resolve.NoProductionLink, UnknownSeries):
        return None
    return _kpi(ctx, "sec", meter.name, month, notes)


def _meter_month(
    ctx: ToolContext,
    meter: MeterRef,
    depth: int,
    parent: str | None,
    month: str,
    last_year: float | None,
) -> MeterMonth:
    notes: list[str] = []
    energy = _kpi(ctx, "energy", meter.name, month, notes)
    figures: dict[str, KpiResult | None] = {}
    if energy is not None:
        for kpi in ("cost", "carbon", "load_factor"):
            figures[kpi] = _kpi(ctx, kpi, meter.name, month, notes)
        figures["sec"] = _sec(ctx, meter, month, notes)
    # The load factor's details carry the peak (the same demand window as the peak KPI).
    cost, load, sec = figures.get("cost"), figures.get("load_factor"), figures.get("sec")
    for found in (energy, *figures.values()):
        notes += found.caveats if found is not None else []
    return MeterMonth(
        meter=meter.name,
        carrier=meter.kind,
        parent=parent,
        depth=depth,
        energy_kwh=_value(energy),
        cost=_value(cost),
        currency=str(cost.details.get("currency", "")) if cost else "",
        co2_kg=_value(figures.get("carbon")),
        peak_kw=_number(load.details.get("peak_kw")) if load else None,
        peak_at=str(load.details.get("peak_at")) if load else None,
        load_factor=_value(load),
        sec_kwh_per_unit=_value(sec),
        production_units=_number(sec.details.get("production_units")) if sec else None,
        last_year_kwh=last_year,
        change_percent=_change(_value(energy), last_year),
        daily=[DayValue(day=p.start[:10], kwh=p.value) for p in energy.points] if energy else [],
        notes=list(dict.fromkeys(notes)),
    )


# Below this share of its readings, last year's figure is not the same span and no change is given.
LAST_YEAR_COVERAGE = 0.95


def _year_before(ctx: ToolContext, first: date, period: Period, complete: bool) -> str:
    """The same month a year before; while the month is running, only its days so far, so that
    the month so far is not set against a whole month (which reads as a steep fall)."""
    start = first - relativedelta(years=1)
    if complete:
        return month_text(start)
    until = ctx.now.astimezone(period.start.tzinfo) - relativedelta(years=1)
    return f"{start:%Y-%m-%d}T00:00..{until:%Y-%m-%dT%H:%M}"


def _last_year(ctx: ToolContext, period: str, caveats: list[str]) -> dict[str, float]:
    """Every energy meter's total over the same span a year before (one metric query); a meter
    missing part of that span gets no figure to compare with, and the caveats say so."""
    try:
        result = query_metric(ctx, {"metric": "energy", "period": period})
    except InsufficientData:
        caveats.append(f"no energy readings in {period} to compare the month with")
        return {}
    short = [
        f"{t.meter} ({t.coverage:.0%})"
        for t in result.totals
        if t.value is not None and t.coverage is not None and t.coverage < LAST_YEAR_COVERAGE
    ]
    if short:
        caveats.append(
            f"no change on last year for {', '.join(short)}: the readings of {period} cover "
            "only that share of it"
        )
    return {
        t.meter: t.value
        for t in result.totals
        if t.value is not None and (t.coverage is None or t.coverage >= LAST_YEAR_COVERAGE)
    }


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


# ------------------------------------------------------------------ carriers


def _sum(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _carriers(meters: list[MeterMonth]) -> list[CarrierMonth]:
    """Per carrier, the sums over the meters at the top of its tree (their children are
    inside them, so adding those too would count the energy twice)."""
    out = []
    for carrier in dict.fromkeys(m.carrier for m in meters):
        roots = [m for m in meters if m.carrier == carrier and m.depth == 0 and m.energy_kwh]
        if not roots:
            continue
        daily: dict[str, float] = {}
        for m in roots:
            for d in m.daily:
                daily[d.day] = daily.get(d.day, 0.0) + d.kwh
        energy = sum(m.energy_kwh or 0.0 for m in roots)
        last_year = _sum([m.last_year_kwh for m in roots])
        out.append(
            CarrierMonth(
                carrier=carrier,
                meters=[m.meter for m in roots],
                energy_kwh=energy,
                cost=_sum([m.cost for m in roots]),
                currency=next((m.currency for m in roots if m.currency), ""),
                co2_kg=_sum([m.co2_kg for m in roots]),
                last_year_kwh=last_year,
                change_percent=_change(energy, last_year),
                daily=[DayValue(day=k, kwh=v) for k, v in sorted(daily.items())],
            )
        )
    return sorted(out, key=lambda c: -c.energy_kwh)


# ------------------------------------------------------------------ baselines


def _local_date_text(ts: int, tz: str, end: bool = False) -> str:
    moment = from_epoch(ts, zone(tz))
    return (moment - timedelta(days=1) if end else moment).date().isoformat()


def _enpi(ctx: ToolContext, month: str, caveats: list[str]) -> list[EnpiMonth]:
    """Each meter with a stored baseline against its current version's specification (the
    baseline tool refits that specification on the same data and compares the month)."""
    with ctx.engine.connect() as conn:
        stored = baselines.current_baselines(conn, ctx.site.id)
        names = {m.id: m.name for m in catalog.list_meters(conn, ctx.site.id)}
    tz = ctx.site.timezone
    out = []
    for meter_id, base in sorted(stored.items(), key=lambda kv: names.get(kv[0], "")):
        first, last = _local_date_text(base.start_ts, tz), _local_date_text(base.end_ts, tz, True)
        args = BaselineInput(
            meter=names[meter_id],
            baseline=f"{first}..{last}",
            reporting=month,
            drivers=[d for d in base.drivers if d in ("temperature", "production", "workday")],
            grain="hour" if base.grain == "hour" else "day",
            model=base.model_type if base.model_type in MODEL_TYPES else "auto",
        )
        try:
            fitted = energy_baseline(ctx, args)
        except EMSError as exc:
            caveats.append(f"baseline of {names[meter_id]} (version {base.version}): {exc}")
            continue
        enpi = _enpi_of(fitted, base.version)
        if enpi is not None:
            out.append(enpi)
    return out


def _enpi_of(fit: BaselineResult, version: int) -> EnpiMonth | None:
    dev = fit.deviation
    if dev is None or not dev.expected_kwh:
        return None
    return EnpiMonth(
        meter=fit.meter,
        baseline_version=version,
        model_type=fit.model_type,
        baseline_period=fit.baseline_period,
        r2=fit.r2,
        cv_rmse_percent=fit.cv_rmse_percent,
        nmbe_percent=fit.nmbe_percent,
        ashrae14_ok=fit.ashrae14_ok,
        expected_kwh=dev.expected_kwh,
        actual_kwh=dev.actual_kwh,
        deviation_kwh=dev.deviation_kwh,
        deviation_percent=dev.deviation_percent,
        enpi=dev.actual_kwh / dev.expected_kwh,
        uncertainty_kwh=dev.uncertainty_kwh,
        days=dev.steps,
        points=[p.to_json() for p in dev.points],
    )


# ------------------------------------------------------------------ incidents


def _incidents(ctx: ToolContext, period: Period) -> list[IncidentMonth]:
    """The incidents whose time overlaps the month, oldest first."""
    listed = list_incidents(ctx, {"state": "all", "limit": 200}).incidents
    return [_incident(i) for i in reversed(listed) if _overlaps(i, period)]


def _overlaps(incident: IncidentOut, period: Period) -> bool:
    start = datetime.fromisoformat(incident.start)
    end = datetime.fromisoformat(incident.end) if incident.end else start
    return start < period.end and end >= period.start


def _incident(i: IncidentOut) -> IncidentMonth:
    return IncidentMonth(
        id=i.id,
        meter=i.meter,
        kind=i.kind,
        severity=i.severity,
        state=i.state,
        title=i.title,
        start=i.start,
        end=i.end,
        extra_kwh=i.extra_kwh,
        cost=i.cost,
        currency=i.currency,
    )


# ------------------------------------------------------------------ the tool


def _no_data(ctx: ToolContext, name: str) -> InsufficientData:
    """The refusal for a month without energy data (before the history begins, or while the
    meters were down), saying which months have some: NoReadings, as there is nothing to
    report on whatever the question."""
    with ctx.engine.connect() as conn:
        ids = [s.id for _, s in catalog.list_series(conn, ctx.site.id) if s.metric == "energy"]
        stats = queries.series_stats(conn, ids).values() if ids else []
    firsts = [s.first_ts for s in stats if s.first_ts is not None]
    lasts = [s.last_ts for s in stats if s.last_ts is not None]
    if not firsts:
        return InsufficientData(f"{ctx.site.name} has no energy readings at all to report on")
    tz = zone(ctx.site.timezone)
    held = f"{from_epoch(min(firsts), tz):%B %Y} to {from_epoch(max(lasts), tz):%B %Y}"
    return NoReadings(f"no energy readings at {ctx.site.name} in {name}; its data runs from {held}")


@tool(ReportInput)
def monthly_report(ctx: ToolContext, args: ReportInput) -> MonthlyReport:
    """Make the site's monthly energy report: per carrier and meter tree the month's energy,
    cost, CO2, peak demand with its time, load factor and SEC; each meter against its current
    baseline (EnPI with the ASHRAE 14 figures); the month against the same month last year; the
    month's incidents with their cost; with links to the PDF and HTML report. Use it for "make
    me the November report", "the monthly report for last month", "report for 2026-10"."""
    # Every KPI of every meter reads the same catalogue and month of rollups: once is enough.
    with memo.read_once():
        return _report(ctx, args)


def _report(ctx: ToolContext, args: ReportInput) -> MonthlyReport:
    first = parse_month(args.month, ctx.now.date())
    month = month_text(first)
    period = resolve.period(ctx, month)
    complete = not period.so_far
    last_year = _year_before(ctx, first, period, complete)
    caveats: list[str] = []
    ordered, names = _energy_meters(ctx)
    before = _last_year(ctx, last_year, caveats)
    meters = [
        _meter_month(ctx, m, depth, names.get(m.parent_id or -1), month, before.get(m.name))
        for m, depth in ordered
    ]
    if not any(m.energy_kwh for m in meters):
        raise _no_data(ctx, month_name(first))
    if not complete:
        caveats.append(
            f"{month_name(first)} is not over: the figures run until {ctx.now:%-d %b %Y %H:%M}, "
            f"and last year's are of the same days ({last_year})"
        )
    incidents = _incidents(ctx, period)
    return _assemble(
        ctx,
        first,
        (period, resolve.period(ctx, last_year)),
        meters,
        _enpi(ctx, month, caveats),
        incidents,
        caveats,
    )


def _assemble(
    ctx: ToolContext,
    first: date,
    periods: tuple[Period, Period],
    meters: list[MeterMonth],
    enpi: list[EnpiMonth],
    incidents: list[IncidentMonth],
    caveats: list[str],
) -> MonthlyReport:
    from tools.report_text import methods, summary

    month = month_text(first)
    carriers = _carriers(meters)
    currency = next((c.currency for c in carriers if c.currency), "")
    query = urlencode({"site": ctx.site.name, "month": month})
    title = f"Energy report {month_name(first)}: {ctx.site.name}"
    report = MonthlyReport(
        site=ctx.site.name,
        timezone=ctx.site.timezone,
        month=month,
        title=title,
        period=periods[0].as_dict(),
        last_year=periods[1].as_dict(),
        generated_at=ctx.now.isoformat(),
        complete=not periods[0].so_far,
        carriers=carriers,
        meters=meters,
        enpi=enpi,
        incidents=incidents,
        incidents_cost=sum(i.cost or 0.0 for i in incidents),
        currency=currency,
        methods=methods(ctx, [c.carrier for c in carriers]),
        caveats=caveats,
        summary="",
        downloads={
            "pdf": f"/api/v1/reports?{query}&format=pdf",
            "html": f"/api/v1/reports?{query}&format=html",
        },
        command=f"ems-agent report --site {ctx.site.name} --month {month} --format pdf",
        source=SOURCE,
    )
    report.summary = summary(report)
    return report
