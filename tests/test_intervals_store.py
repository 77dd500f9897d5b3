"""Each series' interval history in the store: detection from readings, expected readings per
period (checked against pandas date ranges), declarations, imports, live series and the 0007
migration, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url

from common.intervals import BILLING_INTERVAL, DAILY, Interval
from connectors.importer import import_file
from connectors.parsing import ParseOptions
from store import catalog, intervals
from store.engine import drop_database, make_engine
from store.intervals import detect_steps, expected_count
from store.migrate import alembic_config, current_revision, head_revision, upgrade
from store.writes import SeriesWrite, write_many, write_readings
from tests.conftest import PG_URL, need_server

TZ = "Europe/Berlin"
ZONE = ZoneInfo(TZ)


def epochs(index: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray(index.as_unit("s").asi8, dtype=np.int64)


def at(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=ZONE).timestamp())


# ------------------------------------------------------------------ detection


STEPS = [("1min", 60), ("5min", 300), ("15min", 900), ("30min", 1800), ("h", 3600)]


@pytest.mark.parametrize("freq,step", STEPS)
def test_a_regular_series_is_one_stretch_at_its_step(freq: str, step: int) -> None:
    # Across the spring DST change: the clock jumps, the readings do not.
    ts = epochs(pd.date_range("2025-03-28", "2025-04-02", freq=freq, tz=TZ))
    (only,) = detect_steps(ts, TZ)
    assert (only.start, only.end, only.step, only.regular) == (ts[0], ts[-1] + step, step, 1.0)


def test_daily_readings_at_local_midnight_are_daily_across_dst() -> None:
    ts = epochs(pd.date_range("2025-01-01", "2025-12-31", freq="D", tz=TZ))
    (only,) = detect_steps(np.delete(ts, [40, 41, 200]), TZ)  # a few days missing
    assert only.step == 86400 and only.start == ts[0]


def test_a_meter_swapped_from_hourly_to_quarter_hourly_is_two_stretches() -> None:
    hourly = pd.date_range("2026-01-01", "2026-03-10 09:00", freq="h", tz=TZ)
    quarters = pd.date_range("2026-03-10 10:00", "2026-04-01", freq="15min", tz=TZ)
    first, second = detect_steps(np.r_[epochs(hourly), epochs(quarters)], TZ)
    assert (first.step, second.step) == (3600, 900)
    assert first.start == epochs(hourly)[0]
    assert first.end == second.start == at("2026-03-10T10:00")


def test_readings_missing_at_random_are_not_a_coarser_interval() -> None:
    ts = epochs(pd.date_range("2025-01-01", "2025-02-01", freq="15min", tz=TZ))
    kept = ts[np.random.default_rng(1).random(len(ts)) > 0.5]
    (only,) = detect_steps(kept, TZ)
    assert only.step == 900 and only.regular < intervals.REGULAR


# ------------------------------------------------------------------ counting


@pytest.mark.parametrize(
    "freq,interval",
    [
        ("1min", Interval(60)),
        ("5min", Interval(300)),
        ("15min", Interval(900)),
        ("30min", Interval(1800)),
        ("h", Interval(3600)),
        ("D", DAILY),
        ("D", BILLING_INTERVAL),
    ],
)
@pytest.mark.parametrize(
    "first,last",
    [
        ("2025-03-29", "2025-04-01"),  # spring DST change: a 23-hour day
        ("2025-10-25 06:30", "2025-10-28"),  # autumn: a 25-hour day, starting mid-hour
        ("2025-01-01", "2026-01-01"),
    ],
)
def test_expected_readings_match_the_local_calendar(
    freq: str, interval: Interval, first: str, last: str
) -> None:
    start, end = pd.Timestamp(first, tz=TZ), pd.Timestamp(last, tz=TZ)
    grid = pd.date_range(start.floor("D"), end, freq=freq, tz=TZ, inclusive="left")
    truth = int(((grid >= start) & (grid < end)).sum())
    assert expected_count(int(start.timestamp()), int(end.timestamp()), interval, TZ) == truth


# ------------------------------------------------------------------ the stored history


def count(conn: Connection, series_id: int, first: str, end: str) -> int:
    return intervals.expected_readings(conn, series_id, at(first), at(end), TZ)


def new_series(engine: Engine, interval: Interval | None = None) -> tuple[int, int]:
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "plant", TZ)
        series = catalog.ensure_series(conn, site.id, "m", "energy", "kWh", interval=interval)
    return site.id, series.id


def test_a_declaration_without_readings_holds_for_all_time(engine: Engine) -> None:
    site_id, sid = new_series(engine, Interval(3600))
    with engine.begin() as conn:
        catalog.set_series_interval(conn, sid, Interval(900))
        entries = intervals.history(conn, sid)
        series = catalog.get_series(conn, catalog.resolve_meter(conn, site_id, "m").id, "energy")
    assert [(e.start, e.interval, e.source) for e in entries] == [(0, Interval(900), "declared")]
    assert (series.interval_s, series.billing) == (900, False)


def test_a_new_declaration_applies_after_the_stored_readings(engine: Engine) -> None:
    _, sid = new_series(engine, Interval(3600))
    ts = epochs(pd.date_range("2026-01-01", "2026-01-03", freq="h", tz=TZ, inclusive="left"))
    with engine.begin() as conn:
        write_readings(conn, sid, ts, np.ones(len(ts)), TZ)
        catalog.set_series_interval(conn, sid, Interval(900))
        entries = intervals.history(conn, sid)
        expected = intervals.expected_readings(
            conn, sid, at("2026-01-01T00:00"), at("2026-01-04T00:00"), TZ
        )
    assert [(e.start, e.interval.seconds) for e in entries] == [
        (0, 3600),
        (at("2026-01-03T00:00"), 900),
    ]
    assert expected == 48 + 96  # two hourly days, then a quarter-hourly one


def import_csv(engine: Engine, path: Path, index: pd.DatetimeIndex, meter: str = "m") -> list[str]:
    frame = pd.DataFrame({"timestamp": index.strftime("%Y-%m-%dT%H:%M:%S%z"), "meter": meter})
    frame.assign(metric="energy", value=1.5, unit="kWh").to_csv(path, index=False)
    report = import_file(engine, path, site="plant", options=ParseOptions(timezone=TZ))
    return report.warnings


def test_an_import_records_what_its_readings_show_where_nothing_was_declared(
    engine: Engine, tmp_path: Path
) -> None:
    hourly = pd.date_range("2026-01-01", "2026-02-01", freq="h", tz=TZ, inclusive="left")
    quarters = pd.date_range("2026-02-01", "2026-03-01", freq="15min", tz=TZ, inclusive="left")
    assert import_csv(engine, tmp_path / "a.csv", pd.DatetimeIndex(hourly.append(quarters))) == []
    with engine.connect() as conn:
        site = catalog.get_site(conn, "plant")
        sid = catalog.get_series(conn, catalog.resolve_meter(conn, site.id, "m").id, "energy").id
        entries = intervals.history(conn, sid)
        january = count(conn, sid, "2026-01-01T00:00", "2026-02-01T00:00")
        february = count(conn, sid, "2026-02-01T00:00", "2026-03-01T00:00")
    assert [(e.start, e.interval.seconds, e.source) for e in entries] == [
        (at("2026-01-01T00:00"), 3600, "detected"),
        (at("2026-02-01T00:00"), 900, "detected"),
    ]
    assert (january, february) == (len(hourly), len(quarters))


def test_a_declaration_stands_unless_the_readings_are_regular_at_another_interval(
    engine: Engine, tmp_path: Path
) -> None:
    _, sid = new_series(engine, Interval(900))
    quarters = pd.date_range("2026-01-01", "2026-01-15", freq="15min", tz=TZ, inclusive="left")
    lossy = quarters[np.random.default_rng(2).random(len(quarters)) > 0.6]
    assert import_csv(engine, tmp_path / "lossy.csv", lossy) == []  # still 15-minute
    halves = pd.date_range("2026-02-01", "2026-02-15", freq="30min", tz=TZ, inclusive="left")
    patchy = halves[np.random.default_rng(3).random(len(halves)) > 0.2]  # not regular
    notes = import_csv(engine, tmp_path / "patchy.csv", patchy)
    assert any("judged against the declared 15-minute interval" in n for n in notes)
    hourly = pd.date_range("2025-01-01", "2025-02-01", freq="h", tz=TZ, inclusive="left")
    notes = import_csv(engine, tmp_path / "old.csv", hourly)  # before a meter swap
    assert any("regular hourly readings although 15-minute is declared" in n for n in notes)
    with engine.connect() as conn:
        entries = intervals.history(conn, sid)
    assert [(e.start, e.interval.seconds) for e in entries] == [
        (0, 900),
        (at("2025-01-01T00:00"), 3600),
        (at("2025-02-01T00:00"), 900),
    ]


def test_monthly_amounts_in_a_readings_file_are_refused_with_a_pointer_to_bills(
    engine: Engine, tmp_path: Path
) -> None:
    months = pd.date_range("2025-01-01", "2025-12-01", freq="MS", tz=TZ)
    notes = import_csv(engine, tmp_path / "monthly.csv", months)
    assert any("about 30 days apart" in n and "import-bills" in n for n in notes)
    with engine.connect() as conn:
        assert catalog.list_sites(conn)[0].name == "plant"
        assert conn.execute(text("SELECT count(*) FROM readings")).scalar_one() == 0


def test_live_series_get_their_interval_from_their_readings_and_follow_a_change(
    engine: Engine,
) -> None:
    site_id, sid = new_series(engine)
    five = epochs(pd.date_range("2026-01-01", periods=200, freq="5min", tz=TZ))
    with engine.begin() as conn:
        write_many(conn, [SeriesWrite(sid, five, np.ones(len(five)), TZ)])
        assert intervals.history(conn, sid) == []  # nothing on the ingestion path
        assert intervals.record_inferred(conn, site_id, TZ) == 1
        assert intervals.record_inferred(conn, site_id, TZ) == 0
        later = epochs(
            pd.date_range(five[-1] * 10**9 + 3600 * 10**9, periods=200, freq="min", tz="UTC")
        )
        write_many(conn, [SeriesWrite(sid, later, np.ones(len(later)), TZ)])
        assert intervals.record_inferred(conn, site_id, TZ) == 1
        entries = intervals.history(conn, sid)
    assert [(e.interval.seconds, e.source) for e in entries] == [
        (300, "inferred"),
        (60, "inferred"),
    ]
    assert entries[1].start == later[0]


def test_an_undeclared_series_is_judged_by_its_readings_at_read_time(engine: Engine) -> None:
    _, sid = new_series(engine)
    ts = epochs(pd.date_range("2026-01-01", periods=48, freq="30min", tz=TZ))
    with engine.begin() as conn:
        write_readings(conn, sid, ts, np.ones(len(ts)), TZ)
    with engine.connect() as conn:
        found = intervals.histories(conn, [sid], TZ)[sid]
        day = intervals.expected_readings(
            conn, sid, at("2026-01-01T00:00"), at("2026-01-02T00:00"), TZ
        )
    assert found.entries[0].interval.seconds == 1800 and found.entries[0].source == "inferred"
    assert day == 48


# ------------------------------------------------------------------ migration 0007


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A store with no schema at all, on each dialect."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    name = f"ems_mig_{uuid.uuid4().hex[:10]}"
    try:
        admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:  # no server here
        need_server(f"PostgreSQL not reachable at EMS_TEST_PG_URL ({exc.__class__.__name__})")
    engine = make_engine(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        drop_database(PG_URL, name)


def test_migration_0007_keeps_declared_intervals_and_makes_billing_proper(
    empty_engine: Engine,
) -> None:
    config = alembic_config()
    # Up to whatever precedes 0007, so the test follows the chain when revisions land before it.
    previous = ScriptDirectory.from_config(config).get_revision("0007").down_revision
    assert isinstance(previous, str)
    with empty_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, previous)
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO sites (name, timezone, created_at, profile) VALUES "
                "('old', 'UTC', CURRENT_TIMESTAMP, '{}')"
            )
        )
        for name, interval in (("a", 900), ("b", 0), ("c", None)):
            meter = conn.execute(
                text(
                    "INSERT INTO meters (site_id, name, kind, unit, aliases, tags, created_at, "
                    "groups) VALUES (1, :n, 'electricity', 'kWh', '[]', '{}', CURRENT_TIMESTAMP, "
                    "'[]') "
                    "RETURNING id"
                ),
                {"n": name},
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO series (meter_id, metric, unit, additive, cumulative, interval_s, "
                    "created_at) VALUES (:m, 'energy', 'kWh', TRUE, FALSE, :i, CURRENT_TIMESTAMP)"
                ),
                {"m": meter, "i": interval},
            )
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()
    with empty_engine.connect() as conn:
        site = catalog.get_site(conn, "old")
        found = {m.name: s for m, s in catalog.list_series(conn, site.id)}
        histories = {n: intervals.history(conn, s.id) for n, s in found.items()}
    assert (found["a"].interval, found["b"].interval, found["c"].interval) == (
        Interval(900),
        BILLING_INTERVAL,
        None,
    )
    assert [(e.start, e.interval, e.source) for e in histories["b"]] == [
        (0, BILLING_INTERVAL, "declared")
    ]
    assert histories["a"][0].interval == Interval(900) and histories["c"] == []
