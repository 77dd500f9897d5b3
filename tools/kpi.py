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
from tools import resolve
from tools.base import ToolContext, ToolInput, ToolResult, tool
from tools.economics import Cost, NoTariff, energy_cost
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


class KpiInput(ToolInput):
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

    `step_h` is the meter's own interval in hours (0.25 for 15-minute data): an hourly meter's
    reading is an hour's energy, so its power is kWh / 1 h, not kWh / 0.25 h.
    """

    start: npt.NDArray[np.int64]
    kwh: Array
    tz: str
    step_h: float = QUARTER_H

    @property
    def kw(self) -> Array:
        return self.kwh / self.step_h

    def local(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(pd.to_datetime(self.start, unit="s", utc=True)).tz_convert(self.tz)


# ------------------------------------------------------------------ pure computation


def local_offsets(start: npt.NDArray[np.int64], tz: str) -> npt.NDArray[np.int64]:
    """Each time's offset from UTC in the site's zone, in seconds (+19800 at +05:30)."""
    local = pd.DatetimeIndex(pd.to_datetime(start, unit="s", utc=True)).tz_convert(tz)
    naive = local.tz_localize(None).to_numpy().astype("datetime64[s]").astype(np.int64)
    return naive - start


def peak_demand(q: Quarters, window_s: int = 900) -> tuple[float, int]:
    """Highest average kW over fixed demand windows (15, 30 or 60 minutes) and its start.
    Windows follow the site's clock (a +05:30 site's hour starts at :00 local, not UTC)."""
    if window_s <= q.step_h * 3600:
        i = int(np.argmax(q.kwh))
        return float(q.kw[i]), int(q.start[i])
    window = q.start - np.mod(q.start + local_offsets(q.start, q.tz), window_s)
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


def _quarters(ctx: ToolContext, series: SeriesRef, period: Period) -> Quarters:
    with ctx.engine.connect() as conn:
        frame = queries.rollups(
            conn, [series.id], 900, period.start_ts, period.end_ts, tz=ctx.site.timezone
        )
    step_h = max(series.interval_s or 900, 900) / 3600
    return Quarters(
        frame["bucket"].to_numpy(np.int64),
        frame["sum"].to_numpy(np.float64),
        ctx.site.timezone,
        step_h,
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
    expected = max(0, int((end - period.start_ts) // (q.step_h * 3600)))
    if expected and len(q.kwh) < 0.98 * expected:
        missing = expected - len(q.kwh)
        return [
            f"{missing} of {expected} quarter-hours have no data; totals cover what was metered"
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
    q = _quarters(ctx, target.series, period)
    if len(q.kwh) == 0:
        raise InsufficientData(f"no energy readings for {target.meter.name} in {period.describe()}")
    out = _HANDLERS[args.kpi](ctx, args, target, q, period)
    return KpiResult(
        kpi=args.kpi,
        meter=target.meter.name,
        period=period.as_dict(),
        value=out.value,
        unit=out.unit,
        method=out.method,
        details=out.details,
        points=out.points,
        source="store rollups (15-minute energy)",
        caveats=[*out.caveats, *_coverage_caveats(q, period, ctx)],
    )


Details = dict[str, float | str | None]


@dataclass(frozen=True)
class Outcome:
    value: float
    unit: str
    method: str
    details: Details = field(default_factory=dict)
    points: list[Point] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)


def _energy(ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period) -> Outcome:
    return Outcome(float(q.kwh.sum()), "kWh", "sum of 15-minute energy", {}, _daily_points(q))


def _peak(ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period) -> Outcome:
    window = ctx.config.demand_window_s
    kw, at = peak_demand(q, window)
    method = f"highest {window // 60}-minute average power (energy in the window / its hours)"
    points = [
        Point(start=s, value=float(v)) for s, v in zip(iso_times(q.start, q.tz), q.kw, strict=True)
    ]
    return Outcome(kw, "kW", method, {"at": _iso(at, q.tz), "window_minutes": window / 60}, points)


def _load_factor(
    ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period
) -> Outcome:
    peak, at = peak_demand(q, ctx.config.demand_window_s)
    average = float(q.kwh.sum()) / (len(q.kwh) * q.step_h)
    details: Details = {"average_kw": average, "peak_kw": peak, "peak_at": _iso(at, q.tz)}
    method = "average kW / peak kW over metered intervals"
    return Outcome(average / peak, "ratio", method, details)


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
    tariffs = ctx.config.tariffs_for(carrier)
    if not tariffs:
        raise InsufficientData(
            f"no {carrier} tariff is known to price {t.meter.name}; add one to the site "
            f"catalogue (tariffs: carrier {carrier})"
        )
    try:
        cost = energy_cost(q.local(), q.kwh, q.kw, tariffs)
    except NoTariff as exc:
        raise InsufficientData(
            f"{exc} to price {t.meter.name}'s {carrier}; add one to the site catalogue's tariffs"
        ) from None
    currency = tariffs[0].currency
    details: Details = {
        "energy_cost": cost.energy,
        "demand_cost": cost.demand,
        "tariff": _tariffs_used(cost),
        "currency": currency,
    }
    details.update({f"peak_kw_{m}": v for m, v in cost.peaks.items()})
    method = (
        "15-minute energy x the time-of-use price of the tariff valid that day, plus demand "
        "charge x each month's peak kW (pro rata for partial months)"
    )
    caveats = []
    if len(cost.used) > 1:
        caveats.append(f"the period crosses a tariff change: {_tariffs_used(cost)}")
    return Outcome(cost.energy + cost.demand, currency, method, details, _daily_points(q), caveats)


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
    floor, share = base_load(q)
    details: Details = {"share_of_average": share, "annualised_kwh": floor * 8760}
    method = "10th percentile of 15-minute kW at night (00-05) and weekends"
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
