"""Energy performance indicators (ISO 50006 EnPIs): energy, peak demand, load factor, SEC, cost,
carbon, base load and intensity, each with its method and the data behind it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import Field

from common.errors import InsufficientData, UnknownSeries
from store import catalog, queries
from store.catalog import SeriesRef
from tools import resolve
from tools.base import AnalyticsConfig, Tariff, ToolContext, ToolInput, ToolResult, tool
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
    meter: str = Field(description="Meter name or alias, e.g. 'main-incomer' or 'compressor-2'.")
    period: str = Field(
        description="Time range: 'last week', 'yesterday', '2025-09', '2025-Q3', "
        "'2025-09-05..2025-09-11'."
    )
    production_meter: str | None = Field(
        default=None,
        description="For 'sec': the production meter (default: '<meter>-output', else the "
        "site's total production).",
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


def peak_demand(q: Quarters, window_s: int = 900) -> tuple[float, int]:
    """Highest average kW over fixed demand windows (15, 30 or 60 minutes) and its start."""
    if window_s <= q.step_h * 3600:
        i = int(np.argmax(q.kwh))
        return float(q.kw[i]), int(q.start[i])
    window = q.start - np.mod(q.start, window_s)
    starts, inverse = np.unique(window, return_inverse=True)
    sums = np.bincount(inverse, weights=q.kwh)
    i = int(np.argmax(sums))
    return float(sums[i] / (window_s / 3600)), int(starts[i])


def tou_cost(q: Quarters, tariff: Tariff) -> tuple[float, float, dict[str, float]]:
    """Energy cost by time-of-use period and the demand charge on each calendar month's peak.

    A month only partly inside the period pays its demand charge pro rata to the days covered.
    """
    local = q.local()
    price = np.full(len(q.kwh), tariff.default_price)
    assigned = np.zeros(len(q.kwh), dtype=bool)
    weekday = np.asarray(local.day_of_week)
    hour = np.asarray(local.hour)
    for days, h0, h1, p in tariff.periods:
        match = ~assigned & np.isin(weekday, days) & (hour >= h0) & (hour < h1)
        price[match] = p
        assigned |= match
    energy_cost = float(np.sum(q.kwh * price))
    months = pd.Series(q.kw, index=local).groupby(local.tz_localize(None).to_period("M"))
    demand_cost = 0.0
    peaks = {}
    for month, kw in months:
        covered = kw.index.normalize().nunique() / month.days_in_month  # type: ignore[attr-defined]
        demand_cost += float(kw.max()) * tariff.demand_charge_per_kw * covered
        peaks[str(month)] = float(kw.max())
    return energy_cost, demand_cost, peaks


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


def _production_series(ctx: ToolContext, meter: str, explicit: str | None) -> list[int]:
    with ctx.engine.connect() as conn:
        pairs = catalog.list_series(conn, ctx.site.id)
    production = {m.name: s.id for m, s in pairs if s.metric == "production"}
    if explicit:
        m = resolve.meter(ctx, explicit)
        if m.name not in production:
            raise UnknownSeries(f"meter {m.name} has no production series")
        return [production[m.name]]
    if f"{meter}-output" in production:
        return [production[f"{meter}-output"]]
    if not production:
        raise UnknownSeries(f"the site has no production meter to divide {meter}'s energy by")
    return list(production.values())


@tool(KpiInput)
def compute_kpi(ctx: ToolContext, args: KpiInput) -> KpiResult:
    """Compute one energy KPI for a meter over a period: energy, peak demand (with its time),
    load factor, specific energy consumption per unit produced, time-of-use cost with demand
    charge, carbon emissions, base load or energy intensity per m2. Use it for "peak demand of
    compressor-2 last week", "what did the chiller cost in September", "SEC of line-a"."""
    period = resolve.period(ctx, args.period)
    target = resolve.targets(ctx, [args.meter], "energy")[0]
    q = _quarters(ctx, target.series, period)
    if len(q.kwh) == 0:
        raise InsufficientData(f"no energy readings for {target.meter.name} in {period.describe()}")
    handler = _HANDLERS[args.kpi]
    value, unit, method, details, points = handler(ctx, args, target, q, period)
    return KpiResult(
        kpi=args.kpi,
        meter=target.meter.name,
        period=period.as_dict(),
        value=value,
        unit=unit,
        method=method,
        details=details,
        points=points,
        source="store rollups (15-minute energy)",
        caveats=_coverage_caveats(q, period, ctx),
    )


Outcome = tuple[float, str, str, dict[str, float | str | None], list[Point]]


def _energy(ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period) -> Outcome:
    return float(q.kwh.sum()), "kWh", "sum of 15-minute energy", {}, _daily_points(q)


def _peak(ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period) -> Outcome:
    window = ctx.config.demand_window_s
    kw, at = peak_demand(q, window)
    method = f"highest {window // 60}-minute average power (energy in the window / its hours)"
    points = [
        Point(start=s, value=float(v)) for s, v in zip(iso_times(q.start, q.tz), q.kw, strict=True)
    ]
    return kw, "kW", method, {"at": _iso(at, q.tz), "window_minutes": window / 60}, points


def _load_factor(
    ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period
) -> Outcome:
    peak, at = peak_demand(q, ctx.config.demand_window_s)
    average = float(q.kwh.sum()) / (len(q.kwh) * q.step_h)
    details: dict[str, float | str | None] = {
        "average_kw": average,
        "peak_kw": peak,
        "peak_at": _iso(at, q.tz),
    }
    return average / peak, "ratio", "average kW / peak kW over metered intervals", details, []


def _sec(ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period) -> Outcome:
    ids = _production_series(ctx, t.meter.name, args.production_meter)
    with ctx.engine.connect() as conn:
        totals = queries.period_totals(conn, ids, p.start_ts, p.end_ts, tz=ctx.site.timezone)
    units = sum(tot.sum for tot in totals.values())
    if units <= 0:
        raise InsufficientData(f"no production recorded in {p.describe()}; SEC is undefined")
    energy = float(q.kwh.sum())
    details: dict[str, float | str | None] = {"energy_kwh": energy, "production_units": units}
    return energy / units, "kWh/unit", "energy / production over the period", details, []


def _cost(ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period) -> Outcome:
    config: AnalyticsConfig = ctx.config
    kind = t.meter.kind
    if kind == "gas":
        energy_cost = float(q.kwh.sum()) * config.gas_price_per_kwh
        details: dict[str, float | str | None] = {
            "energy_cost": energy_cost,
            "price_per_kwh": config.gas_price_per_kwh,
        }
        return energy_cost, "EUR", "gas energy x flat price", details, []
    tariff = config.tariffs.get(kind) or config.tariffs["electricity"]
    energy_cost, demand_cost, peaks = tou_cost(q, tariff)
    details = {
        "energy_cost": energy_cost,
        "demand_cost": demand_cost,
        "tariff": tariff.name + (" (default tariff)" if tariff.is_default else ""),
        "currency": tariff.currency,
    }
    details.update({f"peak_kw_{m}": v for m, v in peaks.items()})
    method = (
        "15-minute energy x time-of-use price, plus demand charge x each month's peak kW "
        "(pro rata for partial months)"
    )
    return energy_cost + demand_cost, tariff.currency, method, details, _daily_points(q)


def _carbon(ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period) -> Outcome:
    factors = ctx.config.emission_factors
    factor = factors.get(t.meter.kind)
    if factor is None:
        raise InsufficientData(f"no emission factor configured for {t.meter.kind} meters")
    label = "default factor" if ctx.config.emission_factors_are_defaults else "configured factor"
    details: dict[str, float | str | None] = {"factor_kg_per_kwh": factor, "factor_source": label}
    energy = float(q.kwh.sum())
    return (
        energy * factor,
        "kg CO2e",
        f"energy x {factor} kg CO2e/kWh ({label})",
        details,
        _daily_points(q, q.kwh * factor),
    )


def _base(ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period) -> Outcome:
    floor, share = base_load(q)
    details: dict[str, float | str | None] = {
        "share_of_average": share,
        "annualised_kwh": floor * 8760,
    }
    return floor, "kW", "10th percentile of 15-minute kW at night (00-05) and weekends", details, []


def _intensity(
    ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period
) -> Outcome:
    area = t.meter.floor_area_m2
    if not area:
        raise InsufficientData(f"meter {t.meter.name} has no floor area; intensity needs one")
    energy = float(q.kwh.sum())
    details: dict[str, float | str | None] = {"floor_area_m2": area, "energy_kwh": energy}
    return energy / area, "kWh/m2", "energy / floor area over the period", details, []


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
