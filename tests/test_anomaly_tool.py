"""detect_anomalies on synthetic meters with known faults, and silence on clean data."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from store import catalog
from store.writes import write_readings
from tools.anomaly import detect_anomalies
from tools.base import ToolContext

TZ = "Europe/Berlin"
ZONE = ZoneInfo(TZ)
START = datetime(2025, 3, 3, tzinfo=ZONE)  # a Monday
DAYS = 70
TEST_PERIOD = "2025-04-28..2025-05-11"  # the last two weeks


def profile(ts: np.ndarray, rng: np.random.Generator, base_kw: float) -> np.ndarray:
    local = pd.to_datetime(ts, unit="s", utc=True).tz_convert(TZ)
    working = (local.day_of_week < 5) & (local.hour >= 6) & (local.hour < 22)
    kw = np.where(working, base_kw, 0.15 * base_kw) * (1 + 0.03 * rng.standard_normal(len(ts)))
    return kw / 4


def at(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=ZONE).timestamp())


@pytest.fixture
def ctx(sqlite_engine: Engine) -> ToolContext:
    rng = np.random.default_rng(12)
    ts = int(START.timestamp()) + 900 * np.arange(96 * DAYS, dtype=np.int64)
    series = {
        "clean": profile(ts, rng, 100.0),
        "leaky": profile(ts, rng, 100.0),
        "spiky": profile(ts, rng, 150.0),
        "flaky": profile(ts, rng, 80.0),
    }
    leak = (ts >= at("2025-04-30T00:00")) & (ts < at("2025-05-06T00:00"))
    series["leaky"][leak] += 30.0 / 4  # +30 kW day and night
    spike = (ts >= at("2025-05-07T10:00")) & (ts < at("2025-05-07T10:30"))
    series["spiky"][spike] += 400.0 / 4
    keep = {name: np.ones(len(ts), bool) for name in series}
    keep["flaky"][(ts >= at("2025-05-02T03:00")) & (ts < at("2025-05-02T15:00"))] = False
    stuck = (ts >= at("2025-05-05T09:00")) & (ts < at("2025-05-06T09:00"))
    series["flaky"][stuck] = 5.5
    with sqlite_engine.begin() as conn:
        site = catalog.ensure_site(conn, "plant", TZ)
        for name, values in series.items():
            sid = catalog.ensure_series(conn, site.id, name, "energy", "kWh").id
            write_readings(conn, sid, ts[keep[name]], values[keep[name]], TZ)
    return ToolContext(sqlite_engine, site, datetime(2025, 5, 12, 0, 5, tzinfo=ZONE))


def events_of(result, meter: str) -> list:  # type: ignore[no-untyped-def]
    return [e for e in result.events if e.meter == meter]


def test_leak_is_one_sustained_event_with_its_extra_energy(ctx: ToolContext) -> None:
    result = detect_anomalies(ctx, {"meters": ["leaky"], "period": TEST_PERIOD})
    [event] = events_of(result, "leaky")
    assert event.kind == "consumption_high" and event.category == "consumption"
    assert event.start.startswith("2025-04-30T00:00") and event.end.startswith("2025-05-06T00:00")
    assert event.extra_kwh == pytest.approx(30.0 * 24 * 6, rel=0.15)
    assert event.severity == "critical"
    assert event.isolation_score is not None and 0 < event.isolation_score < 1


def test_demand_spike_is_found_at_its_quarter_hours(ctx: ToolContext) -> None:
    result = detect_anomalies(ctx, {"meters": ["spiky"], "period": TEST_PERIOD})
    [event] = events_of(result, "spiky")
    assert event.kind == "demand_spike"
    assert event.start.startswith("2025-05-07T10:00") and event.end.startswith("2025-05-07T10:30")
    assert event.extra_kwh == pytest.approx(400.0 / 4 * 2, rel=0.1)


def test_gap_and_stuck_meter_are_data_quality_events(ctx: ToolContext) -> None:
    result = detect_anomalies(ctx, {"meters": ["flaky"], "period": TEST_PERIOD})
    kinds = {(e.kind, e.start[:16], e.end[:16]) for e in events_of(result, "flaky")}
    assert ("meter_outage", "2025-05-02T03:00", "2025-05-02T15:00") in kinds
    assert ("stuck_meter", "2025-05-05T09:00", "2025-05-06T09:00") in kinds
    assert all(e.category == "data_quality" for e in events_of(result, "flaky"))


def test_clean_meter_raises_nothing(ctx: ToolContext) -> None:
    result = detect_anomalies(ctx, {"meters": ["clean"], "period": TEST_PERIOD})
    assert events_of(result, "clean") == []


def test_too_little_history_is_a_caveat_not_a_guess(ctx: ToolContext) -> None:
    result = detect_anomalies(ctx, {"meters": ["clean"], "period": "2025-03-05..2025-03-10"})
    assert result.caveats and "history" in result.caveats[0]
