"""Energy performance indicators (ISO 50006 EnPIs): energy, peak demand, load factor, SEC, cost,
carbon, base load and intensity, each with its method and the data behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import Field

from common.errors import InsufficientData
from store import queries
from store.catalog import SeriesRef
from tools import grain, kpi_grain, resolve
from tools.base import SiteInput, ToolContext, ToolResult, tool
from tools.economics import Cost, NoTariff, energy_cost
from tools.grain import Grain, on_grid
from tools.periods import Period, iso_times

KpiName = Literal[
    "energy",
    "peak_demand",
    "load_factor",
    "sec",
    "cost",
    "carbon",
    "base_load",
    "intensity",
]
Array = npt.NDArray[np.float64]
QUARTER_H = 0.25


class KpiInput(SiteInput):
    kpi: KpiName = Field(
        description="'energy' (kWh), 'peak_demand' (highest 15-minute average kW and when), "
        "'load_factor' (average/peak), 'sec' (kWh per unit produced), 'cost' (time-of-use "
        "energy + demand charge), 'carbon' (kg CO2e), 'base_load' (night and weekend floor, "
        "kW), 'intensity' (kWh per m2)."
    )
    meter: str = Field(description="Meter name or alias, as the site's catalogue lists it.")
    period: str = Field(
        description="Time range: 'last week', 'yesterday', '2025-09', '2025-Q3', "
        "'2025-09-05..2025-09-11'."
    )
    production_meter: str | None = Field(
        default=None,
        description="For 'sec': a production meter to divide by. Default: the meter's own "
        "production series, else the production meters linked to it in the catalogue, else "
        "(for a meter at the top of the tree) all the site's production.",
    )


class Point(ToolResult):
    start: str
    value: float


class KpiResult(ToolResult):
    kpi: str
    meter: str
    period: dict[str, str]
    value: float
    unit: str
    method: str
    details: dict[str, float | str | None]
    points: list[Point] = Field(description="the series behind the value, for a chart")
    source: str
    caveats: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class Quarters:
    """Interval energy of one meter over a period: bucket starts (epoch s) and kWh.

    `step_h` is the meter's own interval in hours (0.25 for 15-minute data; per bucket where
    the interval changes): an hourly meter's reading is an hour's energy, so its power is
    kWh / 1 h, not kWh / 0.25 h. `n` counts the readings in each bucket; `grain` is the
    meter's interval over the period.
    """

    start: npt.NDArray[np.int64]
    kwh: Array
    tz: str
    step_h: float | Array = QUARTER_H
    n: npt.NDArray[np.int64] | None = None
    grain: Grain | None = None

    @property
    def kw(self) -> Array:
        return self.kwh / self.step_h

    def local(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(pd.to_datetime(self.start, unit="s", utc=True)).tz_convert(self.tz)


# ------------------------------------------------------------------ pure computation


def peak_demand(q: Quarters, window_s: int = 900) -> tuple[float, int]:
    """Highest average kW over fixed demand windows (15, 30 or 60 minutes of the local
    clock) and its start; readings coarser than the window are their own windows."""
    if window_s <= float(np.min(q.step_h)) * 3600:
        i = int(np.argmax(q.kw))
        return float(q.kw[i]), int(q.start[i])
    window = on_grid(q.start, window_s, q.tz)
    starts, inverse = np.unique(window, return_inverse=True)
    sums = np.bincount(inverse, weights=q.kwh)
    i = int(np.argmax(sums))
    return float(sums[i] / (window_s / 3600)), int(starts[i])


def base_load(q: Quarters) -> tuple[float, float]:
    """Night (00:00-05:00) and weekend floor: the 10th percentile of kW then, and its share."""
    local = q.local()
    idle = (np.asarray(local.hour) < 5) | (np.asarray(local.day_of_week) >= 5)
    if not idle.any():
        raise InsufficientData("no night or weekend intervals in the period to find a base load")
    floor = float(np.percentile(q.kw[idle], 10))
    average = float(q.kw.mean())
    return floor, floor / average if average else float("nan")


# ------------------------------------------------------------------ the tool


def _quarters(ctx: ToolContext, series: SeriesRef, period: Period, factor: float = 1.0) -> Quarters:
    """The series' 15-minute rollups over the period, times `factor` (gas m3 to kWh)."""
    with ctx.engine.connect() as conn:
        frame = queries.rollups(
            conn, [series.id], 900, period.start_ts, period.end_ts, tz=ctx.site.timezone
        )
    g = grain.grains(ctx, [series.id], period.start_ts, period.end_ts)[series.id]
    start = frame["bucket"].to_numpy(np.int64)
    return Quarters(
        start,
        frame["sum"].to_numpy(np.float64) * factor,
        ctx.site.timezone,
        grain.reading_hours(g, start),
        frame["n"].to_numpy(np.int64),
        g,
    )


def _iso(ts: int, tz: str) -> str:
    return pd.Timestamp(ts, unit="s", tz="UTC").tz_convert(tz).isoformat()


def _daily_points(q: Quarters, values: Array | None = None) -> list[Point]:
    local = q.local()
    series = pd.Series(q.kwh if values is None else values, index=local)
    daily = series.groupby(local.normalize()).sum()
    return [
        Point(start=pd.Timestamp(t).isoformat(), value=float(v))  # type: ignore[arg-type]
        for t, v in daily.items()
    ]


def _coverage_caveats(q: Quarters, period: Period, ctx: ToolContext) -> list[str]:
    end = min(period.end_ts, int(ctx.now.timestamp()))
    if q.grain is None or q.n is None:
        return []
    expected = q.grain.expected(end)
    present = min(int(q.n.sum()), expected)
    if expected and present < 0.98 * expected:
        what = "days" if not q.grain.within_day else f"{q.grain.describe()} readings"
        return [
            f"{expected - present} of {expected} {what} have no data; totals cover what was metered"
        ]
    return []


@tool(KpiInput)
def compute_kpi(ctx: ToolContext, args: KpiInput) -> KpiResult:
    """Compute one energy KPI for a meter over a period: energy, peak demand (with its time),
    load factor, specific energy consumption per unit produced, time-of-use cost with demand
    charge, carbon emissions, base load or energy intensity per m2. Use it for "peak demand of
    a meter last week", "what did this meter cost in September", "SEC of a production line"."""
    period = resolve.period(ctx, args.period)
    target = resolve.targets(ctx, [args.meter], "energy")[0]
    q = _quarters(ctx, target.series, period, target.factor)
    if len(q.kwh) == 0:
        raise InsufficientData(f"no energy readings for {target.meter.name} in {period.describe()}")
    out = _HANDLERS[args.kpi](ctx, args, target, q, period)
    g = q.grain
    assert g is not None
    bill_notes = grain.bill_caveats(ctx, target.meter.name, target.series.id, g)
    return KpiResult(
        kpi=args.kpi,
        meter=target.meter.name,
        period=period.as_dict(),
        value=out.value,
        unit=out.unit,
        method=out.method,
        details=out.details,
        points=out.points,
        source=f"store rollups ({g.describe()} energy)",
        caveats=[
            *out.caveats,
            *bill_notes,
            *_coverage_caveats(q, period, ctx),
            *_converted(target, q),
        ],
    )


def _converted(target: resolve.Target, q: Quarters) -> list[str]:
    """The conversion of a gas meter read in m3, as the answer states it."""
    return [target.conversion(float(q.kwh.sum()) / target.factor)] if target.converted else []


Details = dict[str, float | str | None]


@dataclass(frozen=True)
class Outcome:
    value: float
    unit: str
    method: str
    details: Details = field(default_factory=dict)
    points: list[Point] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)


def _grain(q: Quarters) -> Grain:
    assert q.grain is not None  # _quarters always sets it
    return q.grain


def _energy(ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period) -> Outcome:
    method = f"sum of {_grain(q).describe()} energy"
    return Outcome(float(q.kwh.sum()), "kWh", method, {}, _daily_points(q))


def _peak(ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period) -> Outcome:
    g = _grain(q)
    if not g.within_day:
        return _billed_peak(ctx, t, g)
    window = kpi_grain.demand_window(g, t.meter.name, ctx.config.demand_window_s, "peak demand")
    kw, at = peak_demand(q, window.seconds)
    method = f"highest {window.words} average power (energy in the window / its hours)"
    points = [
        Point(start=s, value=float(v)) for s, v in zip(iso_times(q.start, q.tz), q.kw, strict=True)
    ]
    details: Details = {"at": _iso(at, q.tz), "window_minutes": window.seconds / 60}
    return Outcome(kw, "kW", method, details, points, list(window.caveats))


def _billed_peak(ctx: ToolContext, t: resolve.Target, g: Grain) -> Outcome:
    """Daily readings show no peak; bills may state the utility's own."""
    found = kpi_grain.billed_peak(ctx, t.series.id, g) if g.billing else None
    if found is None:
        raise kpi_grain.no_peak(t.meter.name, g.coarsest, "peak demand")
    kw, bill = found
    method = "the highest peak demand the period's bills state (the utility's own reading)"
    return Outcome(kw, "kW", method, {"at": f"bill {bill.text()}"})


def _load_factor(
    ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period
) -> Outcome:
    g = _grain(q)
    average = float(q.kwh.sum()) / float(np.sum(np.broadcast_to(q.step_h, q.kwh.shape)))
    if not g.within_day:
        billed = _billed_peak(ctx, t, g)
        details: Details = {"average_kw": average, "peak_kw": billed.value}
        details["peak_at"] = billed.details["at"]
        method = "average kW / the highest peak demand the bills state"
        return Outcome(average / billed.value, "ratio", method, details)
    window = kpi_grain.demand_window(g, t.meter.name, ctx.config.demand_window_s, "load factor")
    peak, at = peak_demand(q, window.seconds)
    details = {"average_kw": average, "peak_kw": peak, "peak_at": _iso(at, q.tz)}
    method = f"average kW / peak {window.words} kW over metered intervals"
    return Outcome(average / peak, "ratio", method, details, caveats=list(window.caveats))


def _sec(ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period) -> Outcome:
    made = resolve.production(ctx, t.meter, args.production_meter)
    with ctx.engine.connect() as conn:
        totals = queries.period_totals(
            conn, list(made.series_ids), p.start_ts, p.end_ts, tz=ctx.site.timezone
        )
    units = sum(tot.sum for tot in totals.values())
    if units <= 0:
        raise InsufficientData(
            f"no production recorded on {made.describe()} in {p.describe()}; SEC is undefined"
        )
    energy = float(q.kwh.sum())
    details: Details = {
        "energy_kwh": energy,
        "production_units": units,
        "production_meters": made.describe(),
        "production_from": made.how,
    }
    method = f"energy / production of {made.describe()} over the period"
    return Outcome(energy / units, "kWh/unit", method, details, caveats=_listed(made.caveat))


def _listed(caveat: str | None) -> list[str]:
    return [caveat] if caveat else []


def _cost(ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period) -> Outcome:
    carrier = t.meter.kind
    g = _grain(q)
    tariffs = ctx.config.tariffs_for(carrier)
    billed = kpi_grain.billed_cost(ctx, t.series.id, g) if g.billing else None
    if billed is not None:
        currency = tariffs[0].currency if tariffs else ctx.config.tariffs["electricity"].currency
        method = "the cost stated on the bills, pro-rated by days"
        details: Details = {"currency": currency}
        return Outcome(billed[0], currency, method, details, _daily_points(q), billed[1])
    if not tariffs:
        raise InsufficientData(
            f"no {carrier} tariff is known to price {t.meter.name}; add one to the site "
            f"catalogue (tariffs: carrier {carrier})"
        )
    interval_notes = kpi_grain.cost_caveats(g, t.meter.name, tariffs)
    try:
        cost = energy_cost(q.local(), q.kwh, q.kw, tariffs)
    except NoTariff as exc:
        raise InsufficientData(
            f"{exc} to price {t.meter.name}'s {carrier}; add one to the site catalogue's tariffs"
        ) from None
    currency = tariffs[0].currency
    details = {
        "energy_cost": cost.energy,
        "demand_cost": cost.demand,
        "tariff": _tariffs_used(cost),
        "currency": currency,
    }
    details.update({f"peak_kw_{m}": v for m, v in cost.peaks.items()})
    method = (
        f"{g.describe()} energy x the time-of-use price of the tariff valid that day, plus "
        "demand charge x each month's peak kW (pro rata for partial months)"
    )
    caveats = list(interval_notes)
    if len(cost.used) > 1:
        caveats.append(f"the period crosses a tariff change: {_tariffs_used(cost)}")
    demand = cost.demand if g.within_day else 0.0
    if not g.within_day:
        details["demand_cost"] = None
        details.update({f"peak_kw_{m}": None for m in cost.peaks})
    return Outcome(cost.energy + demand, currency, method, details, _daily_points(q), caveats)


def _tariffs_used(cost: Cost) -> str:
    if len(cost.used) == 1:
        return cost.used[0][0].label()
    return "; ".join(f"{t.label()} {first}..{last}" for t, first, last in cost.used)


def _carbon(ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period) -> Outcome:
    factor = ctx.config.emission_factors.get(t.meter.kind)
    if factor is None:
        raise InsufficientData(f"no emission factor configured for {t.meter.kind} meters")
    label = ctx.config.factor_source(t.meter.kind)
    details: Details = {"factor_kg_per_kwh": factor, "factor_source": label}
    energy = float(q.kwh.sum())
    method = f"energy x {factor} kg CO2e/kWh ({label})"
    return Outcome(energy * factor, "kg CO2e", method, details, _daily_points(q, q.kwh * factor))


def _base(ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period) -> Outcome:
    g = _grain(q)
    if g.billing:
        raise kpi_grain.no_peak(t.meter.name, g.coarsest, "base load")
    if not g.within_day:
        floor = kpi_grain.daily_floor(q.kwh)
        average = float(q.kw.mean())
        details: Details = {"share_of_average": floor / average if average else None}
        details["annualised_kwh"] = floor * 8760
        method = "10th percentile of daily average power (daily readings show no night hours)"
        caveat = (
            f"{t.meter.name} has daily readings: the night and weekend floor cannot be seen; "
            "this is the 10th percentile of its days' average power, an upper bound of its "
            "base load"
        )
        return Outcome(floor, "kW", method, details, caveats=[caveat])
    floor, share = base_load(q)
    details = {"share_of_average": share, "annualised_kwh": floor * 8760}
    method = f"10th percentile of {g.describe()} kW at night (00-05) and weekends"
    return Outcome(floor, "kW", method, details)


def _intensity(
    ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period
) -> Outcome:
    area = t.meter.floor_area_m2
    if not area:
        raise InsufficientData(f"meter {t.meter.name} has no floor area; intensity needs one")
    energy = float(q.kwh.sum())
    details: Details = {"floor_area_m2": area, "energy_kwh": energy}
    return Outcome(energy / area, "kWh/m2", "energy / floor area over the period", details)


_HANDLERS = {
    "energy": _energy,
    "peak_demand": _peak,
    "load_factor": _load_factor,
    "sec": _sec,
    "cost": _cost,
    "carbon": _carbon,
    "base_load": _base,
    "intensity": _intensity,
}
