"""Metric queries: totals, averages, extremes and time series per meter and period, from rollups."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from common.errors import NoReadings, UnknownSeries
from common.intervals import DAY_S
from common.timeutil import midnights, zone
from store import queries
from store.rollups import utc_offsets
from tools import grain, resolve
from tools.base import SiteInput, ToolContext, ToolResult, tool
from tools.periods import iso_times

Grain = Literal["total", "15min", "hour", "day", "week", "month"]
Statistic = Literal["auto", "sum", "avg", "min", "max"]
QueryStatistic = Literal["auto", "sum", "avg", "min", "max", "avg_kw"]
GRAIN_SECONDS = {"15min": 900, "hour": 3600, "day": 86400, "week": 86400, "month": 86400}


class MetricQuery(SiteInput):
    meters: list[str] = Field(
        default_factory=list,
        description="Meter names or aliases as the catalogue lists them; empty for every meter "
        "that has the metric.",
    )
    metric: str = Field(
        default="energy",
        description="What to measure: 'energy' (kWh), 'production' (units), "
        "'outdoor_temperature' (degC), 'power' (kW) ...",
    )
    period: str = Field(
        description="Time range in the site's time zone: 'yesterday', 'last week', "
        "'this month', '2025-09', '2025-Q3', '2025-09-05..2025-09-11', 'last 7 days'."
    )
    grain: Grain = Field(
        default="total",
        description="'total' for one number per meter, or a time step for a series: "
        "'15min', 'hour', 'day', 'week', 'month'.",
    )
    statistic: QueryStatistic = Field(
        default="auto",
        description="'sum', 'avg', 'min' or 'max' per step; 'avg_kw' the average power of an "
        "energy series (kWh over the metered hours, in kW); 'auto' sums amounts (energy, "
        "production) and averages levels (temperature, power).",
    )
    calorific_value_kwh_per_m3: float | None = Field(
        default=None,
        gt=0,
        le=100,
        description="kWh per m3 of gas the user stated ('we use 10.83 kWh per m3'): energy of "
        "gas read in m3 is converted with it instead of the site's; None for the site's.",
    )


class Point(ToolResult):
    meter: str
    start: str
    value: float
    readings: int


class MeterValue(ToolResult):
    meter: str
    value: float | None
    readings: int
    expected_readings: int | None
    coverage: float | None = Field(description="share of expected readings present (0..1)")


class QueryResult(ToolResult):
    metric: str
    unit: str
    statistic: str
    grain: str
    period: dict[str, str]
    totals: list[MeterValue]
    points: list[Point]
    source: str
    combined: float | None = Field(
        default=None, description="the meters' totals added up, when several amounts are summed"
    )
    conversions: list[str] = Field(
        default_factory=list, description="how converted values were found (gas m3 to kWh)"
    )
    calorific_value: float | None = Field(
        default=None, description="kWh per m3 gas volumes were converted with, when any were"
    )
    factor_source: str | None = Field(
        default=None,
        description="where that calorific value came from: 'stated in the question' or "
        "'gas calorific value, site catalogue'",
    )
    caveats: list[str] = Field(default_factory=list)


def _statistic(requested: QueryStatistic, additive: bool) -> str:
    if requested == "avg_kw" and not additive:
        raise UnknownSeries("average power ('avg_kw') needs an energy series, not a level")
    if requested != "auto":
        return requested
    return "sum" if additive else "avg"


def _power(stat: str, value: float, n: float, interval_s: int | None) -> float:
    """An average of interval energy as kW: the sum over the metered hours."""
    if stat != "avg_kw":
        return value
    return value / (n * (interval_s or 900) / 3600)


def _value(stat: str, n: float, total: float, low: float | None, high: float | None) -> float:
    if stat == "sum":
        return total
    if stat in ("avg", "avg_kw"):
        return total if stat == "avg_kw" else total / n
    if stat == "min":
        return float(low) if low is not None else float("nan")
    return float(high) if high is not None else float("nan")


# How fine each grain is, to tell when a meter's readings are coarser than the grain asked.
GRAIN_FINENESS = {"15min": 900, "hour": 3600, "day": 86400, "week": 86400, "month": 86400}


def _supported_grain(
    wanted: Grain, found: list[resolve.Target], seen: dict[int, grain.Grain]
) -> tuple[Grain, list[str]]:
    """The grain asked for, or the finest one every meter's readings can give, and why."""
    if wanted == "total" or GRAIN_FINENESS[wanted] >= 86400:
        return wanted, []
    coarse = [
        (t, seen[t.series.id])
        for t in found
        if seen[t.series.id].coarsest.demand_seconds > GRAIN_FINENESS[wanted]
    ]
    if not coarse:
        return wanted, []
    worst = max(g.coarsest.demand_seconds for _, g in coarse)
    given: Grain = "day" if worst >= 86400 else "hour"
    names = ", ".join(f"{t.meter.name} ({g.describe()} readings)" for t, g in coarse)
    asked = {"15min": "15-minute", "hour": "hourly"}[wanted]
    words = {"day": "daily", "hour": "hourly"}[given]
    return given, [f"{names}: no {asked} values can be made from them; {words} values instead"]


def _interval_caveats(
    ctx: ToolContext, found: list[resolve.Target], seen: dict[int, grain.Grain], unit: str
) -> list[str]:
    notes = []
    for t in found:
        g = seen[t.series.id]
        notes += grain.bill_caveats(ctx, t.meter.name, t.series.id, g, unit)
        fit = grain.period_fit(g, t.meter.name)
        if fit:
            notes.append(fit)
    return notes


@tool(MetricQuery)
def query_metric(ctx: ToolContext, args: MetricQuery) -> QueryResult:
    """Total, average, minimum or maximum of a metric per meter over a period, optionally as a
    time series by 15 minutes, hour, day, week or month. Use it for "how much energy did X use
    last week", "daily consumption of a meter in September", "average outdoor temperature
    yesterday"."""
    period = resolve.period(ctx, args.period)
    found = resolve.targets(ctx, args.meters, args.metric, args.calorific_value_kwh_per_m3)
    tz = ctx.site.timezone
    additive = found[0].series.additive
    stat = _statistic(args.statistic, additive)
    ids = {t.series.id: t for t in found}
    now = int(ctx.now.timestamp())
    seen = grain.grains(ctx, list(ids), period.start_ts, period.end_ts)
    step, caveats = _supported_grain(args.grain, found, seen)
    caveats += _interval_caveats(ctx, found, seen, found[0].unit)
    with ctx.engine.connect() as conn:
        stored = queries.period_totals(conn, list(ids), period.start_ts, period.end_ts, tz=tz)
        totals = resolve.scaled_totals(stored, found)
        points: list[Point] = []
        if step != "total":
            frame = queries.rollups(
                conn, list(ids), GRAIN_SECONDS[step], period.start_ts, period.end_ts, tz=tz
            )
            points = _points(resolve.scaled_frame(frame, found), ids, step, stat, tz)
    values = [
        MeterValue(
            meter=t.meter.name,
            value=_power(
                stat,
                _value(stat, totals[sid].n, totals[sid].sum, totals[sid].min, totals[sid].max),
                totals[sid].n,
                t.series.interval_s,
            )
            if totals[sid].n
            else None,
            readings=totals[sid].n,
            expected_readings=(
                exp := seen[sid].expected(max(period.start_ts, min(period.end_ts, now)))
            ),
            coverage=round(min(totals[sid].n, exp) / exp, 4) if exp else None,
        )
        for sid, t in ids.items()
    ]
    if all(v.readings == 0 for v in values):
        names = ", ".join(t.meter.name for t in found)
        raise NoReadings(
            f"no {args.metric} readings for {names} in {period.describe()}; "
            "check the period or the meter's data coverage"
        )
    summed = [v.value for v in values if v.value is not None]
    calorific, factor_source = resolve.calorific_used(found)
    return QueryResult(
        metric=resolve.ENERGY if found[0].converted else found[0].series.metric,
        unit="kW" if stat == "avg_kw" else found[0].unit,
        statistic=stat,
        grain=step,
        period=period.as_dict(),
        totals=values,
        points=points,
        source=grain.source(
            grain.ROLLUP_SOURCE if step == "total" else f"store rollups ({step})",
            any(g.billing for g in seen.values()),
        ),
        conversions=resolve.conversions(found, stored),
        calorific_value=calorific,
        factor_source=factor_source,
        caveats=caveats,
        combined=sum(summed) if stat == "sum" and len(summed) > 1 else None,
    )


def _points(
    frame: pd.DataFrame, ids: dict[int, resolve.Target], grain: str, stat: str, tz: str
) -> list[Point]:
    if frame.empty:
        return []
    if grain in ("week", "month"):
        # Each day's local date from its offset, in numpy (pandas' datetime accessors on a
        # year of nine meters' days cost more than the grouping).
        bucket = frame["bucket"].to_numpy(np.int64)
        days = ((bucket + utc_offsets(bucket, tz)) // DAY_S).astype("datetime64[D]")
        if grain == "week":
            # 1970-01-01 was a Thursday: day 0 is three days after a Monday.
            keys = days - (days.astype(np.int64) + 3) % 7
        else:
            keys = days.astype("datetime64[M]").astype("datetime64[D]")
        keys = keys.astype("datetime64[ns]")
        frame = (
            frame.assign(key=keys)
            .groupby(["series_id", "key"], as_index=False)
            .agg(n=("n", "sum"), sum=("sum", "sum"), min=("min", "min"), max=("max", "max"))
        )
        starts = [k.isoformat() for k in midnights(pd.DatetimeIndex(frame["key"]), zone(tz))]
    else:
        starts = iso_times(frame["bucket"].to_numpy(np.int64), tz)
    return [
        Point(
            meter=ids[int(sid)].meter.name,
            start=start,
            value=_power(stat, _value(stat, n, s, lo, hi), n, ids[int(sid)].series.interval_s),
            readings=int(n),
        )
        for sid, start, n, s, lo, hi in zip(
            frame["series_id"],
            starts,
            frame["n"],
            frame["sum"],
            frame["min"],
            frame["max"],
            strict=True,
        )
        if np.isfinite(s)
    ]
