"""forecast: a repeating weekly pattern is forecast as itself, and the demand-limit verdict."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from common.errors import InsufficientData
from store import catalog
from store.writes import write_readings
from tools.base import ToolContext
from tools.forecast import forecast
from tools.periods import InvalidPeriod

TZ = "Europe/Berlin"
ZONE = ZoneInfo(TZ)
START = datetime(2025, 5, 5, tzinfo=ZONE)  # Monday; no DST change in the next ten weeks


def weekly_kwh(ts: np.ndarray) -> np.ndarray:
    local = pd.to_datetime(ts, unit="s", utc=True).tz_convert(TZ)
    working = (local.day_of_week < 5) & (local.hour >= 6) & (local.hour < 18)
    return np.where(working, 250.0, 50.0) + 10.0 * (local.hour == 11)


@pytest.fixture
def ctx(sqlite_engine: Engine) -> ToolContext:
    ts = int(START.timestamp()) + 900 * np.arange(96 * 7 * 9, dtype=np.int64)
    with sqlite_engine.begin() as conn:
        site = catalog.ensure_site(conn, "plant", TZ)
        sid = catalog.ensure_series(conn, site.id, "main", "energy", "kWh").id
        write_readings(conn, sid, ts, weekly_kwh(ts), TZ)
    return ToolContext(sqlite_engine, site, datetime(2025, 7, 7, 0, 3, tzinfo=ZONE))


def test_next_day_repeats_the_weekly_pattern(ctx: ToolContext) -> None:
    result = forecast(ctx, {"meter": "main", "horizon": "24h"})
    future = np.array(
        [datetime.fromisoformat(p.start).timestamp() for p in result.points], dtype=np.int64
    )
    expected = weekly_kwh(future)
    assert [p.expected_kwh for p in result.points] == pytest.approx(expected.tolist())
    assert result.energy_kwh == pytest.approx(expected.sum())
    assert result.peak_kw == pytest.approx(260.0 * 4)
    assert result.peak_at.startswith("2025-07-07T11:00")


def test_demand_limit_verdict(ctx: ToolContext) -> None:
    assert forecast(ctx, {"meter": "main", "demand_limit_kw": 900}).limit_verdict == "likely"
    assert forecast(ctx, {"meter": "main", "demand_limit_kw": 2000}).limit_verdict == "unlikely"


def test_week_horizon_and_short_history(ctx: ToolContext) -> None:
    week = forecast(ctx, {"meter": "main", "horizon": "7d"})
    assert len(week.points) == 7 * 96
    early = ToolContext(ctx.engine, ctx.site, datetime(2025, 5, 10, tzinfo=ZONE))
    with pytest.raises(InsufficientData, match="needs at least two weeks"):
        forecast(early, {"meter": "main"})


def test_a_named_day_ahead_is_forecast_alone(ctx: ToolContext) -> None:
    """ "tomorrow" (now is Mon 7 Jul 00:03): the 96 quarter-hours of Tuesday, not the next 24
    hours from now, each the weekly pattern's."""
    result = forecast(ctx, {"meter": "main", "horizon": "7d", "period": "2025-07-08"})
    first, last = result.points[0].start, result.points[-1].start
    assert (first[:16], last[:16], len(result.points)) == (
        "2025-07-08T00:00",
        "2025-07-08T23:45",
        96,
    )
    day = datetime(2025, 7, 8, tzinfo=ZONE).timestamp() + 900 * np.arange(96)
    assert result.energy_kwh == pytest.approx(weekly_kwh(day.astype(np.int64)).sum())


def test_the_rest_of_today_starts_with_the_step_in_progress(ctx: ToolContext) -> None:
    result = forecast(ctx, {"meter": "main", "period": "today"})
    assert result.points[0].start.startswith("2025-07-07T00:00") and len(result.points) == 96


@pytest.mark.parametrize(
    ("period", "said"),
    [("2025-07-06", "is over"), ("2025-07-20", "only the next 7 days"), ("2025-09", "7 days")],
)
def test_a_period_over_or_beyond_the_horizon_is_refused(
    ctx: ToolContext, period: str, said: str
) -> None:
    with pytest.raises(InvalidPeriod, match=said):
        forecast(ctx, {"meter": "main", "period": period})
