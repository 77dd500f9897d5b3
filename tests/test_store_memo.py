"""Reading the store once per scope (store.memo): inside `read_once` a repeated read sends no
statement and returns what the first one found, outside it every read goes to the database;
rollup frames are built afresh each time; two stores are never mixed. Also each day's end found
for many instants at once, checked against pandas' local midnights across DST. On SQLite and
PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, event

from store import catalog, intervals, memo, queries
from store.engine import make_engine
from store.profile import get_profile
from store.rollups import day_ends
from store.writes import write_readings

TZ = "Europe/Berlin"
START = int(pd.Timestamp("2026-03-28", tz=TZ).timestamp())  # a DST change in the data


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements sent to `engine` inside the block."""
    sent: list[str] = []

    def record(*args: object) -> None:
        sent.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def plant(engine: Engine, meter: str = "press", scale: float = 1.0) -> tuple[int, int]:
    """A site with one meter's two days of quarter-hours; (site id, series id)."""
    ts = np.arange(START, START + 2 * 86400, 900, dtype=np.int64)
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "plant", TZ)
        sid = catalog.ensure_series(conn, site.id, meter, "energy", "kWh").id
        write_readings(conn, sid, ts, scale * (1.0 + np.arange(len(ts)) % 7), TZ)
    return site.id, sid


def reads(engine: Engine, site_id: int, sid: int) -> tuple[object, ...]:
    end = START + 2 * 86400
    with engine.connect() as conn:
        return (
            catalog.list_series(conn, site_id),
            catalog.resolve_meter(conn, site_id, "press"),
            get_profile(conn, site_id),
            intervals.histories(conn, [sid], TZ, end),
            catalog.production_links(conn, site_id),
            queries.rollups(conn, [sid], 900, START, end, tz=TZ),
        )


def test_repeated_reads_in_a_scope_send_nothing_and_match(engine: Engine) -> None:
    site_id, sid = plant(engine)
    with statements(engine) as outside:
        first = reads(engine, site_id, sid)
        reads(engine, site_id, sid)
    assert len(outside) >= 2 * 6
    with memo.read_once(), statements(engine) as inside:
        once = reads(engine, site_id, sid)
        sent = len(inside)
        again = reads(engine, site_id, sid)
        assert len(inside) == sent  # the second round came from the scope
    for a, b, c in zip(first[:5], once[:5], again[:5], strict=True):
        assert a == b == c
    pd.testing.assert_frame_equal(first[5], once[5])
    pd.testing.assert_frame_equal(first[5], again[5])
    with statements(engine) as after:
        reads(engine, site_id, sid)
    assert len(after) == len(outside) // 2  # the scope is gone with its block


def test_a_frame_from_the_scope_is_the_callers_own(engine: Engine) -> None:
    _, sid = plant(engine)
    end = START + 2 * 86400
    with memo.read_once(), engine.connect() as conn:
        frame = queries.rollups(conn, [sid], 900, START, end, tz=TZ)
        total = float(frame["sum"].sum())
        frame["sum"] = 0.0
        again = queries.rollups(conn, [sid], 900, START, end, tz=TZ)
    assert float(again["sum"].sum()) == pytest.approx(total)
    assert total > 0


def test_two_stores_are_never_mixed(engine: Engine, tmp_path: Path, sqlite_template: Path) -> None:
    shutil.copyfile(sqlite_template, tmp_path / "other.db")
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    _, sid_a = plant(engine, scale=1.0)
    _, sid_b = plant(other, scale=10.0)
    end = START + 2 * 86400
    try:
        with memo.read_once():
            with engine.connect() as conn:
                a = queries.rollups(conn, [sid_a], 86400, START, end, tz=TZ)
            with other.connect() as conn:
                b = queries.rollups(conn, [sid_b], 86400, START, end, tz=TZ)
    finally:
        other.dispose()
    assert float(a["sum"].sum()) > 0
    assert float(b["sum"].sum()) == pytest.approx(10 * float(a["sum"].sum()))


@pytest.mark.parametrize("tz", ["Europe/Berlin", "America/Santiago", "Australia/Lord_Howe"])
def test_day_ends_are_the_next_local_midnights(tz: str) -> None:
    ts = np.arange(1_711_000_000, 1_711_000_000 + 86400 * 400, 3_599, dtype=np.int64)
    local = pd.to_datetime(ts, unit="s", utc=True).tz_convert(tz)
    days = local.tz_localize(None).normalize() + pd.Timedelta(days=1)
    # A midnight that does not exist (a DST gap) is the first instant of that day.
    expected = days.tz_localize(tz, nonexistent="shift_forward", ambiguous=False)
    assert day_ends(ts, tz).tolist() == (expected.as_unit("s").asi8).tolist()
