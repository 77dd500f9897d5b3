"""detect_anomalies on synthetic meters with known faults, and silence on clean data."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, text

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


def test_an_events_extra_cost_is_in_the_currency_of_the_price_it_used(ctx: ToolContext) -> None:
    from agent.render import renderer_for
    from tools.anomaly import AnomalyResult
    from tools.base import AnalyticsConfig, Tariff

    config = AnalyticsConfig(tariffs={"electricity": Tariff(currency="BRL", default_price=0.5)})
    in_brl = ToolContext(ctx.engine, ctx.site, ctx.now, config=config)
    result = detect_anomalies(in_brl, {"meters": ["leaky"], "period": TEST_PERIOD})
    [event] = events_of(result, "leaky")
    assert result.currency == "BRL"
    assert event.extra_kwh is not None and event.extra_cost is not None
    assert event.extra_cost == pytest.approx(event.extra_kwh * 0.5)
    answer = "\n".join(renderer_for(AnomalyResult).answer(result))
    assert "BRL" in answer and "EUR" not in answer, answer


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


def test_kinds_asked_for_are_listed_and_the_others_counted(ctx: ToolContext) -> None:
    """ "any stuck meters?": the flaky meter's stuck register is listed, its outage is not,
    and a caveat says one event of another kind was found."""
    result = detect_anomalies(
        ctx, {"meters": ["flaky", "spiky"], "period": TEST_PERIOD, "kinds": ["stuck_meter"]}
    )
    assert [(e.meter, e.kind, e.start[:16]) for e in result.events] == [
        ("flaky", "stuck_meter", "2025-05-05T09:00")
    ]
    assert result.kinds == ["stuck_meter"]
    assert any("1 demand spike" in c and "1 meter outage" in c for c in result.caveats), (
        result.caveats
    )


def test_a_kind_not_known_to_the_tool_is_refused_by_its_schema(ctx: ToolContext) -> None:
    with pytest.raises(ValidationError, match="kinds"):
        detect_anomalies(ctx, {"meters": ["flaky"], "period": TEST_PERIOD, "kinds": ["drift"]})


def test_clean_meter_raises_nothing(ctx: ToolContext) -> None:
    result = detect_anomalies(ctx, {"meters": ["clean"], "period": TEST_PERIOD})
    assert events_of(result, "clean") == []


def test_too_little_history_is_a_caveat_not_a_guess(ctx: ToolContext) -> None:
    result = detect_anomalies(ctx, {"meters": ["clean"], "period": "2025-03-05..2025-03-10"})
    assert result.caveats and "history" in result.caveats[0]


# ------------------------------------------------------- holidays, leaks and stuck registers

LABOUR_DAY = "2025-05-01"  # a Thursday, a public holiday in Germany


def plant_profile(
    ts: np.ndarray, rng: np.random.Generator, kw: float, closed: set[str]
) -> np.ndarray:
    """kWh per quarter-hour of a machine that runs 06-22 on working days and is off (reads
    exactly zero) at night, at weekends and on the days in `closed`."""
    local = pd.to_datetime(ts, unit="s", utc=True).tz_convert(TZ)
    day = np.asarray(local.strftime("%Y-%m-%d"))
    working = (
        (local.day_of_week < 5)
        & (local.hour >= 6)
        & (local.hour < 22)
        & ~np.isin(day, list(closed))
    )
    return np.where(working, kw * (1 + 0.03 * rng.standard_normal(len(ts))), 0.0) / 4


@pytest.fixture
def works(
    sqlite_engine: Engine,
) -> tuple[ToolContext, ToolContext, np.ndarray, dict[str, np.ndarray]]:
    """A German site whose machines stop on public holidays, and the same data on a site
    whose country (so holiday calendar) is unknown."""
    rng = np.random.default_rng(7)
    ts = int(START.timestamp()) + 900 * np.arange(96 * DAYS, dtype=np.int64)
    holidays_2025 = {"2025-04-18", "2025-04-21", LABOUR_DAY}  # Good Friday, Easter Monday
    base = plant_profile(ts, rng, 100.0, holidays_2025)
    # A 10 kW standby load, so the holiday is not a zero day.
    press = base + 10.0 / 4 * (1 + 0.03 * rng.standard_normal(len(ts)))
    air = plant_profile(ts, rng, 80.0, holidays_2025)
    leak = (ts >= at("2025-05-05T00:00")) & (ts < at("2025-05-09T00:00"))
    air[leak] += 20.0 / 4  # constant, noise-free: identical readings every night
    stuck_meter = plant_profile(ts, rng, 80.0, holidays_2025)
    stuck = (ts >= at("2025-05-06T10:00")) & (ts < at("2025-05-07T10:00"))
    stuck_meter[stuck] = stuck_meter[ts == at("2025-05-06T09:45")][0]
    series = {"press": press, "air": air, "air-2": stuck_meter}
    contexts = []
    with sqlite_engine.begin() as conn:
        for name, country in (("works", "DE"), ("works-abroad", None)):
            site = catalog.ensure_site(conn, name, TZ, country)
            for meter, values in series.items():
                sid = catalog.ensure_series(conn, site.id, meter, "energy", "kWh").id
                write_readings(conn, sid, ts, values, TZ)
            contexts.append(
                ToolContext(sqlite_engine, site, datetime(2025, 5, 12, 0, 5, tzinfo=ZONE))
            )
    return contexts[0], contexts[1], ts, series


def test_a_public_holiday_is_a_day_off_not_a_drop(works) -> None:  # type: ignore[no-untyped-def]
    german, unknown, ts, series = works
    day = (ts >= at(f"{LABOUR_DAY}T00:00")) & (ts < at("2025-05-02T00:00"))
    # Independently: the holiday drew what a Sunday draws (standby only), far below a Thursday.
    assert series["press"][day].sum() == pytest.approx(10.0 * 24, rel=0.02)
    result = detect_anomalies(german, {"meters": ["press"], "period": TEST_PERIOD})
    assert events_of(result, "press") == []
    # Without the site's calendar the same day is a steep drop: the test can fail.
    blind = detect_anomalies(unknown, {"meters": ["press"], "period": TEST_PERIOD})
    assert any(
        e.kind == "consumption_low" and e.start.startswith(LABOUR_DAY)
        for e in events_of(blind, "press")
    )


def test_a_leak_at_night_is_excess_consumption_not_a_stuck_meter(works) -> None:  # type: ignore[no-untyped-def]
    german, _, ts, series = works
    result = detect_anomalies(german, {"meters": ["air"], "period": TEST_PERIOD})
    [event] = events_of(result, "air")
    assert event.kind == "consumption_high"
    assert event.start.startswith("2025-05-05T00:00") and event.end.startswith("2025-05-09T00:00")
    # Its nights read the same value quarter-hour after quarter-hour, as a stuck register does.
    night = (ts >= at("2025-05-05T22:00")) & (ts < at("2025-05-06T06:00"))
    assert len(set(series["air"][night])) == 1
    assert event.extra_kwh == pytest.approx(20.0 * 24 * 4, rel=0.1)


def test_a_stuck_register_on_a_machine_that_rests_at_night_is_still_stuck(works) -> None:  # type: ignore[no-untyped-def]
    german, _, _, _ = works
    result = detect_anomalies(german, {"meters": ["air-2"], "period": TEST_PERIOD})
    stuck = [e for e in events_of(result, "air-2") if e.kind == "stuck_meter"]
    assert [(e.start[:16], e.end[:16]) for e in stuck] == [("2025-05-06T09:45", "2025-05-07T10:00")]
    assert all(e.kind in ("stuck_meter",) for e in events_of(result, "air-2"))


def demo_ctx(engine: Engine, now: datetime) -> ToolContext:
    with engine.connect() as conn:
        return ToolContext(engine, catalog.get_site(conn, "demo-plant"), now)


def test_german_unity_day_on_the_demo_plant_raises_nothing(demo_engine: Engine) -> None:
    ctx = demo_ctx(demo_engine, datetime(2026, 10, 6, tzinfo=ZONE))
    result = detect_anomalies(ctx, {"period": "since 2026-09-28"})
    unity = (at("2026-10-03T00:00"), at("2026-10-04T00:00"))
    on_the_day = [
        e
        for e in result.events
        if e.category == "consumption"
        and datetime.fromisoformat(e.start).timestamp() < unity[1]
        and datetime.fromisoformat(e.end).timestamp() > unity[0]
    ]
    assert on_the_day == []


def test_the_demo_leak_is_excess_on_its_compressor_not_stuck(demo_engine: Engine) -> None:
    with demo_engine.connect() as conn:
        [(a, b)] = conn.execute(
            text(
                "SELECT l.start_ts, l.end_ts FROM event_labels l "
                "JOIN meters m ON m.id = l.meter_id WHERE m.name = 'compressor-2' "
                "AND l.kind = 'compressed_air_leak' "
                "AND l.start_ts >= :lo"
            ),
            {"lo": at("2026-09-01T00:00")},
        ).all()
    ctx = demo_ctx(demo_engine, datetime(2026, 9, 29, tzinfo=ZONE))
    result = detect_anomalies(ctx, {"meters": ["compressor-2"], "period": "since 2026-09-22"})
    kinds = {e.kind for e in result.events}
    assert kinds == {"consumption_high"}
    [event] = result.events
    # The leak began before the period and is reported from the period's start to its end.
    assert a < at("2026-09-22T00:00") < b
    assert datetime.fromisoformat(event.start).timestamp() < b
    assert event.extra_kwh is not None and event.extra_kwh > 0
