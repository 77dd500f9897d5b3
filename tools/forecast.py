"""Forecasts of a meter's energy and peak demand for the next day or week, with a range."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from common.errors import InsufficientData
from store import queries
from tools import resolve
from tools.base import SiteInput, ToolContext, ToolResult, tool

HISTORY_WEEKS = 8
WEEK_QUARTERS = 7 * 96


class ForecastInput(SiteInput):
    meter: str = Field(description="Meter name or alias.")
    horizon: Literal["24h", "7d"] = Field(default="24h", description="'24h' or '7d' ahead.")
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
    start: str
    end: str
    energy_kwh: float
    energy_low_kwh: float
    energy_high_kwh: float
    peak_kw: float
    peak_at: str
    peak_high_kw: float = Field(description="peak if every quarter-hour ran at its high estimate")
    demand_limit_kw: float | None
    limit_verdict: str | None = Field(description="'likely', 'possible' or 'unlikely' to exceed")
    points: list[ForecastPoint]
    method: str
    caveats: list[str]


def profile_forecast(
    history_ts: np.ndarray, history_kwh: np.ndarray, future_ts: np.ndarray, tz: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Median and 10/90 % quantiles per local quarter-of-week slot, scaled to the recent level."""

    def slots(ts: np.ndarray) -> np.ndarray:
        local = pd.DatetimeIndex(pd.to_datetime(ts, unit="s", utc=True)).tz_convert(tz)
        return np.asarray(local.day_of_week * 96 + local.hour * 4 + local.minute // 15)

    frame = pd.DataFrame({"slot": slots(history_ts), "kwh": history_kwh})
    stats = frame.groupby("slot")["kwh"].quantile(np.array([0.1, 0.5, 0.9])).unstack()
    stats = stats.reindex(range(WEEK_QUARTERS)).interpolate(limit_direction="both")
    recent = frame.tail(3 * 96)
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
    """Forecast a meter's energy and peak 15-minute demand for the next 24 hours or 7 days,
    with a low-high range, from its time-of-week profile over the last eight weeks scaled to
    its recent level. Use it for "will we exceed our demand limit today", "expected
    consumption next week"."""
    target = resolve.targets(ctx, [args.meter], "energy")[0]
    tz = ctx.site.timezone
    now = int(ctx.now.timestamp()) // 900 * 900
    with ctx.engine.connect() as conn:
        history = queries.rollups(
            conn, [target.series.id], 900, now - HISTORY_WEEKS * 7 * 86400, now, tz=tz
        )
    history = resolve.scaled_frame(history, [target])  # gas read in m3: in kWh
    if len(history) < 2 * WEEK_QUARTERS:
        raise InsufficientData(
            f"{target.meter.name} has {len(history)} quarter-hours of recent data; a forecast "
            "needs at least two weeks"
        )
    steps = 96 if args.horizon == "24h" else WEEK_QUARTERS
    future = now + 900 * np.arange(steps, dtype=np.int64)
    expected, low, high, level = profile_forecast(
        history["bucket"].to_numpy(np.int64), history["sum"].to_numpy(float), future, tz
    )
    peak_i = int(np.argmax(expected))
    peak_kw, peak_high = float(expected[peak_i] * 4), float(high.max() * 4)
    verdict = None
    if args.demand_limit_kw is not None:
        limit = args.demand_limit_kw
        verdict = "likely" if peak_kw > limit else "possible" if peak_high > limit else "unlikely"

    def iso(ts: int) -> str:
        return pd.Timestamp(int(ts), unit="s", tz="UTC").tz_convert(tz).isoformat()

    return ForecastResult(
        meter=target.meter.name,
        horizon=args.horizon,
        start=iso(int(future[0])),
        end=iso(int(future[-1]) + 900),
        energy_kwh=float(expected.sum()),
        energy_low_kwh=float(low.sum()),
        energy_high_kwh=float(high.sum()),
        peak_kw=peak_kw,
        peak_at=iso(int(future[peak_i])),
        peak_high_kw=peak_high,
        demand_limit_kw=args.demand_limit_kw,
        limit_verdict=verdict,
        points=[
            ForecastPoint(
                start=iso(int(t)), expected_kwh=float(e), low_kwh=float(lo), high_kwh=float(h)
            )
            for t, e, lo, h in zip(future, expected, low, high, strict=True)
        ],
        method=(
            f"median and 10-90 % range of each quarter-hour of the week over the last "
            f"{HISTORY_WEEKS} weeks, scaled by the last three days' level ({level:.2f})"
        ),
        caveats=[
            "weather and production plans are not forecast; a heat wave or an extra shift "
            "moves the real values outside this range"
        ],
    )
