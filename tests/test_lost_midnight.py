"""Days whose local midnight does not exist: America/Santiago starts summer time at 00:00 (on
6 September 2026 the clock jumps from 23:59:59 to 01:00), America/Asuncion did so on
1 October 2023, the first day of a month. Such a day starts at 01:00; every tool that builds
local days, weeks or months gives it its figures from there, as pandas over the raw rows."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from connectors.exporter import series_frame
from store import catalog
from store.writes import write_readings
from tools.base import ToolContext
from tools.baseline import energy_baseline
from tools.kpi import compute_kpi
from tools.query import query_metric
from tools.windows import clock_window

SANTIAGO = "America/Santiago"
ASUNCION = "America/Asuncion"


def _site(
    engine: Engine, tz: str, first: datetime, days: int
) -> tuple[ToolContext, pd.DataFrame, int]:
    """A meter with 15-minute energy from `first` for `days` days, and its raw rows."""
    rng = np.random.default_rng(11)
    ts = int(first.timestamp()) + 900 * np.arange(96 * days, dtype=np.int64)
    values = rng.gamma(4.0, 10.0, len(ts))
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "works", tz)
        catalog.ensure_meter(conn, site.id, "press", kind="electricity")
        series = catalog.ensure_series(conn, site.id, "press", "energy", "kWh")
        write_readings(conn, series.id, ts, values, tz)
    local = pd.to_datetime(ts, unit="s", utc=True).tz_convert(tz)
    raw = pd.DataFrame({"local": local, "kwh": values})
    ctx = ToolContext(engine=engine, site=site, now=first + timedelta(days=days))
    return ctx, raw, series.id


def _months(raw: pd.DataFrame) -> pd.Series:
    """kWh per local calendar month of September and October 2023."""
    inside = raw[raw["local"] < "2023-11-01"]
    return inside.groupby(inside["local"].dt.strftime("%Y-%m"))["kwh"].sum()


def _daily(raw: pd.DataFrame) -> pd.Series:
    """kWh per local calendar day, pandas over the raw rows."""
    return raw.groupby(raw["local"].dt.strftime("%Y-%m-%d"))["kwh"].sum()


@pytest.fixture
def santiago(engine: Engine) -> tuple[ToolContext, pd.DataFrame, int]:
    return _site(engine, SANTIAGO, datetime(2026, 8, 3, tzinfo=ZoneInfo(SANTIAGO)), 42)


@pytest.fixture
def asuncion(engine: Engine) -> tuple[ToolContext, pd.DataFrame, int]:
    return _site(engine, ASUNCION, datetime(2023, 9, 1, tzinfo=ZoneInfo(ASUNCION)), 61)


def _points(points: list[tuple[str, float]]) -> dict[str, float]:
    return {start[:10]: value for start, value in points}


def test_daily_kpi_points_start_the_day_at_its_first_instant(santiago) -> None:
    ctx, raw, _ = santiago
    result = compute_kpi(
        ctx, {"kpi": "energy", "meter": "press", "period": "2026-09-01..2026-09-10"}
    )
    week = raw[(raw["local"] >= "2026-09-01") & (raw["local"] < "2026-09-11")]
    assert result.value == pytest.approx(week["kwh"].sum(), rel=1e-12)
    got = _points([(p.start, p.value) for p in result.points])
    assert got == pytest.approx(_daily(week).to_dict(), rel=1e-12)
    assert "2026-09-06T01:00:00-03:00" in [p.start for p in result.points]


def test_a_clock_windows_daily_points_start_the_day_at_its_first_instant(santiago) -> None:
    ctx, raw, _ = santiago
    args = {"meters": ["press"], "period": "2026-09-01..2026-09-10", "hours": "01:00-06:00"}
    result = clock_window(ctx, args)
    week = raw[(raw["local"] >= "2026-09-01") & (raw["local"] < "2026-09-11")]
    night = week[(week["local"].dt.hour >= 1) & (week["local"].dt.hour < 6)]
    assert result.energy_kwh == pytest.approx(night["kwh"].sum(), rel=1e-12)
    got = _points([(p.start, p.value) for p in result.points])
    assert got == pytest.approx(_daily(night).to_dict(), rel=1e-12)
    assert "2026-09-06T01:00:00-03:00" in [p.start for p in result.points]


def test_an_hourly_baseline_fits_over_a_lost_midnight(santiago) -> None:
    ctx, raw, _ = santiago
    args = {"meter": "press", "baseline": "2026-08-24..2026-09-13", "grain": "hour"}
    args |= {"drivers": ["workday"]}
    result = energy_baseline(ctx, args)
    span = raw[(raw["local"] >= "2026-08-24") & (raw["local"] < "2026-09-14")]
    hours = span.groupby(span["local"].dt.floor("h", nonexistent="shift_forward")).size()
    # 21 days less the hour the clock skipped, each hour complete
    assert result.days_used == len(hours) == 21 * 24 - 1


def test_monthly_query_points_start_a_month_at_its_first_instant(asuncion) -> None:
    ctx, raw, _ = asuncion
    args = {"meters": ["press"], "metric": "energy", "period": "2023-09..2023-10"}
    result = query_metric(ctx, args | {"grain": "month", "statistic": "sum"})
    months = _months(raw)
    assert [p.start for p in result.points] == [
        "2023-09-01T00:00:00-04:00",
        "2023-10-01T01:00:00-03:00",
    ]
    assert [p.value for p in result.points] == pytest.approx(months.to_list(), rel=1e-12)


def test_a_monthly_export_starts_a_month_at_its_first_instant(asuncion, engine: Engine) -> None:
    ctx, raw, sid = asuncion
    lo = int(datetime(2023, 9, 1, tzinfo=ZoneInfo(ASUNCION)).timestamp())
    hi = int(datetime(2023, 11, 1, tzinfo=ZoneInfo(ASUNCION)).timestamp())
    with engine.connect() as conn:
        series = catalog.list_series(conn, ctx.site.id)[0][1]
        assert series.id == sid
        frame = series_frame(conn, series, "month", lo, hi, ASUNCION)
    months = _months(raw)
    times = frame[f"time ({ASUNCION})"].dt.strftime("%Y-%m-%d %H:%M %z").to_list()
    assert times == ["2023-09-01 00:00 -0400", "2023-10-01 01:00 -0300"]
    assert frame["sum (kWh)"].to_numpy() == pytest.approx(months.to_numpy(), rel=1e-12)
