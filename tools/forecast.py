"""Forecasts of a meter's energy and peak demand for the next day or week, with a range."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from common.errors import InsufficientData
from common.intervals import Interval
from store import queries
from store.intervals import day_starts
from tools import grain, resolve
from tools.base import SiteInput, ToolContext, ToolResult, tool
from tools.periods import InvalidPeriod, iso_times, resolve_ahead

HISTORY_WEEKS = 8


class ForecastInput(SiteInput):
    meter: str = Field(description="Meter name or alias.")
    horizon: Literal["24h", "7d"] = Field(default="24h", description="'24h' or '7d' ahead.")
    period: str | None = Field(
        default=None,
        description=(
            "The days to forecast when the question names them ('2026-09-01' for tomorrow, "
            "'today' for the rest of today, 'this week'), ending within the next 7 days; "
            "default: the horizon from now."
        ),
    )
    demand_limit_kw: float | None = Field(
        default=None,
        gt=0,
        description="A demand limit in kW to check: 'will we exceed 1200 kW today?'.",
    )


class ForecastPoint(ToolResult):
    start: str
    expected_kwh: float
    low_kwh: float
    high_kwh: float


class ForecastResult(ToolResult):
    meter: str
    horizon: str
    interval: str = Field(
        default="15-minute", description="the points' interval: '15-minute', 'hourly', 'daily'"
    )
    start: str
    end: str
    energy_kwh: float
    energy_low_kwh: float
    energy_high_kwh: float
    peak_kw: float | None = Field(description="None when the meter's readings show no peak")
    peak_at: str | None
    peak_high_kw: float | None = Field(description="peak if every step ran at its high estimate")
    demand_limit_kw: float | None
    limit_verdict: str | None = Field(description="'likely', 'possible' or 'unlikely' to exceed")
    points: list[ForecastPoint]
    method: str
    caveats: list[str]


def profile_forecast(
    history_ts: np.ndarray,
    history_kwh: np.ndarray,
    future_ts: np.ndarray,
    tz: str,
    step: int = 900,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Median and 10/90 % quantiles per local step-of-week slot (quarter-hours of the week,
    or hours, or days for daily readings), scaled to the recent level."""
    per_day = 86400 // step

    def slots(ts: np.ndarray) -> np.ndarray:
        local = pd.DatetimeIndex(pd.to_datetime(ts, unit="s", utc=True)).tz_convert(tz)
        into_day = (local.hour * 3600 + local.minute * 60) // step
        return np.asarray(local.day_of_week * per_day + into_day)

    frame = pd.DataFrame({"slot": slots(history_ts), "kwh": history_kwh})
    stats = frame.groupby("slot")["kwh"].quantile(np.array([0.1, 0.5, 0.9])).unstack()
    stats = stats.reindex(range(7 * per_day)).interpolate(limit_direction="both")
    recent = frame.tail(3 * per_day)
    typical = stats[0.5].to_numpy()[recent["slot"].to_numpy()]
    level = float(np.clip(recent["kwh"].sum() / max(typical.sum(), 1e-9), 0.7, 1.3))
    future = slots(future_ts)
    return (
        stats[0.5].to_numpy()[future] * level,
        stats[0.1].to_numpy()[future] * level,
        stats[0.9].to_numpy()[future] * level,
        level,
    )


@tool(ForecastInput)
def forecast(ctx: ToolContext, args: ForecastInput) -> ForecastResult:
    """Forecast a meter's energy and peak demand for the next 24 hours or 7 days, with a
    low-high range, from its time-of-week profile over the last eight weeks scaled to its
    recent level, at the meter's own interval (15-minute, hourly or daily). Use it for "will
    we exceed our demand limit today", "expected consumption next week"."""
    target = resolve.targets(ctx, [args.meter], "energy")[0]
    tz = ctx.site.timezone
    now = int(ctx.now.timestamp())
    lo = now - HISTORY_WEEKS * 7 * 86400
    g = grain.grains(ctx, [target.series.id], lo, now)[target.series.id]
    if g.billing:
        raise InsufficientData(
            f"{target.meter.name} is read from bills: a forecast needs measured readings, at "
            "least daily; its bills give its energy per billing period"
        )
    step = g.coarsest.demand_seconds
    stored = 900 if step < 3600 else 3600 if step < 86400 else 86400
    future = _future(now, step, 1 if args.horizon == "24h" else 7, tz)
    if args.period is not None:
        future = _within(ctx, args.period, _future(now, step, HORIZON_DAYS + 1, tz), step)
    with ctx.engine.connect() as conn:
        history = queries.rollups(conn, [target.series.id], stored, lo, int(future[0]), tz=tz)
    history = resolve.scaled_frame(history, [target])  # gas read in m3: in kWh
    needed = 2 * 7 * (86400 // step)
    if len(history) < needed:
        raise InsufficientData(
            f"{target.meter.name} has {len(history)} {g.describe()} readings of recent data; a "
            f"forecast needs at least two weeks ({needed})"
        )
    profile = profile_forecast(
        history["bucket"].to_numpy(np.int64), history["sum"].to_numpy(float), future, tz, step
    )
    result = _result(target.meter.name, args, g, step, future, profile, tz)
    if target.converted:  # gas read in m3: say the figures are its energy, and how
        result.caveats.append(
            f"{target.meter.name} is read in {target.series.unit}: its readings were converted "
            f"to {target.unit} at {target.factor:g} {target.unit}/{target.series.unit} "
            f"({target.factor_source})"
        )
    return result


HORIZON_DAYS = 7  # the farthest a forecast reaches


def _within(ctx: ToolContext, text: str, ahead: np.ndarray, step: int) -> np.ndarray:
    """The steps ahead that lie in the period asked ("tomorrow", "the rest of today"); a
    period over already or reaching past the horizon is refused, naming why."""
    period = resolve_ahead(text, ctx.now, ctx.site.timezone)
    if period.end <= ctx.now:
        raise InvalidPeriod(
            f"{period.label!r} is over ({period.end:%Y-%m-%d %H:%M}): its readings are metered, "
            "so ask for its figures rather than a forecast"
        )
    if period.end > ctx.now + timedelta(days=HORIZON_DAYS):
        raise InvalidPeriod(
            f"{period.label!r} runs to {period.end:%Y-%m-%d}: a forecast reaches only the next "
            f"{HORIZON_DAYS} days"
        )
    # the step in progress counts when the period began before it (today: the rest of today)
    inside = ahead[(ahead + step > period.start.timestamp()) & (ahead < period.end.timestamp())]
    if not len(inside):
        raise InvalidPeriod(f"{period.label!r} holds no {Interval(step).words()} step ahead")
    return inside


def _future(now: int, step: int, days: int, tz: str) -> np.ndarray:
    """The steps ahead, from the one in progress (today, for daily readings)."""
    if step >= 86400:
        midnights = day_starts(now - 2 * 86400, now + (days + 2) * 86400, tz)
        today = midnights[midnights <= now][-1]
        return np.asarray(midnights[midnights >= today][:days], dtype=np.int64)
    first = int(grain.on_grid(np.array([now]), step, tz)[0])
    return np.asarray(first + step * np.arange(days * 86400 // step, dtype=np.int64))


Profile = tuple[np.ndarray, np.ndarray, np.ndarray, float]


def _result(
    meter: str,
    args: ForecastInput,
    g: grain.Grain,
    step: int,
    future: np.ndarray,
    profile: Profile,
    tz: str,
) -> ForecastResult:
    expected, low, high, level = profile
    hours = step / 3600
    caveats = [
        "weather and production plans are not forecast; a heat wave or an extra shift "
        "moves the real values outside this range"
    ]
    peak_kw = peak_high = peak_at = verdict = None
    if g.within_day:
        peak_i = int(np.argmax(expected))
        peak_kw, peak_high = float(expected[peak_i] / hours), float(high.max() / hours)
        peak_at = _iso(int(future[peak_i]), tz)
        if step > 900:
            caveats.append(
                f"{meter} has {g.describe()} readings: the peak is the highest "
                f"{Interval(step).words()} average, not a 15-minute peak"
            )
    elif args.demand_limit_kw is not None:
        caveats.append(f"{meter} has daily readings: a demand limit cannot be checked")
    if args.demand_limit_kw is not None and peak_kw is not None and peak_high is not None:
        limit = args.demand_limit_kw
        verdict = "likely" if peak_kw > limit else "possible" if peak_high > limit else "unlikely"
    per = {900: "quarter-hour", 3600: "hour", 86400: "day"}.get(step, Interval(step).words())
    return ForecastResult(
        meter=meter,
        horizon=args.horizon,
        interval=Interval(step).words(),
        start=_iso(int(future[0]), tz),
        end=_iso(int(future[-1]) + step, tz),
        energy_kwh=float(expected.sum()),
        energy_low_kwh=float(low.sum()),
        energy_high_kwh=float(high.sum()),
        peak_kw=peak_kw,
        peak_at=peak_at,
        peak_high_kw=peak_high,
        demand_limit_kw=args.demand_limit_kw,
        limit_verdict=verdict,
        points=[
            ForecastPoint(start=t, expected_kwh=float(e), low_kwh=float(lo), high_kwh=float(h))
            for t, e, lo, h in zip(iso_times(future, tz), expected, low, high, strict=True)
        ],
        method=(
            f"median and 10-90 % range of each {per} of the week over the last "
            f"{HISTORY_WEEKS} weeks, scaled by the last three days' level ({level:.2f})"
        ),
        caveats=caveats,
    )


def _iso(ts: int, tz: str) -> str:
    return pd.Timestamp(int(ts), unit="s", tz="UTC").tz_convert(tz).isoformat()
