"""The WAL checkpoint thread: while it runs the store's connections leave checkpoints to it, and
what was committed reaches the database file; it starts nothing for PostgreSQL or an in-memory
store; the served API runs it and stops it, leaving no thread behind."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import numpy as np
from sqlalchemy import Engine

from store import catalog
from store.checkpoint import BOUND_PAGES, WalCheckpointer
from store.engine import make_engine
from store.writes import SeriesWrite, write_many
from tests.api_fixtures import start

T0 = 1_760_000_400  # a quarter-hour, UTC


def alive() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "ems-wal-checkpoint"]


def bound(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


def write(engine: Engine, count: int) -> dict[int, float]:
    """`count` readings of two series, each committed in a transaction of its own."""
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "plant", "Europe/Berlin")
        ids = [catalog.ensure_series(conn, site.id, m, "energy", "kWh").id for m in ("a", "b")]
    written = {}
    for i in range(count):
        with engine.begin() as conn:
            write_many(
                conn,
                [
                    SeriesWrite(sid, np.array([T0 + 900 * i]), np.array([i + k / 10]), "UTC")
                    for k, sid in enumerate(ids)
                ],
            )
        written.update(
            {(ids[0] << 40) + T0 + 900 * i: i + 0.0, (ids[1] << 40) + T0 + 900 * i: i + 0.1}
        )
    return written


def hold_log(path: Path) -> sqlite3.Connection:
    """A connection that keeps the log open (it has read the store), so closing the engine's
    connections does not checkpoint the log and delete it."""
    holder = sqlite3.connect(path)
    holder.execute("SELECT count(*) FROM sqlite_master").fetchall()
    return holder


def in_database_file(path: Path, folder: Path) -> dict[int, float]:
    """The readings of the database file alone, without its log."""
    copy = folder / "alone.db"
    shutil.copyfile(path, copy)
    con = sqlite3.connect(copy)
    try:
        rows = con.execute("SELECT series_id, ts, value FROM readings").fetchall()
    finally:
        con.close()
    return {(sid << 40) + ts: value for sid, ts, value in rows}


def test_committed_readings_reach_the_database_file_and_connections_leave_it_the_log(
    tmp_path: Path, sqlite_template: Path
) -> None:
    path = tmp_path / "store.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    holder = hold_log(path)
    try:
        default = bound(engine)
        checkpointer = WalCheckpointer(engine).start()
        try:
            assert alive() == ["ems-wal-checkpoint"]
            assert bound(engine) == BOUND_PAGES != default
            written = write(engine, 20)
        finally:
            checkpointer.close()
        assert alive() == []
        assert bound(engine) == default
        assert checkpointer.failures == 0
        assert in_database_file(path, tmp_path) == written
    finally:
        holder.close()
        engine.dispose()


def test_without_the_thread_the_log_keeps_what_was_committed(
    tmp_path: Path, sqlite_template: Path
) -> None:
    """The check above can fail: small commits stay in the log until something checkpoints."""
    path = tmp_path / "store.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    holder = hold_log(path)
    try:
        written = write(engine, 3)
        engine.dispose()
        assert in_database_file(path, tmp_path) != written
    finally:
        holder.close()
        engine.dispose()


def test_nothing_runs_for_a_store_that_is_not_an_sqlite_file(engine: Engine) -> None:
    """An in-memory SQLite store and PostgreSQL get no thread; writes go on as without it."""
    memory = make_engine("sqlite://")
    try:
        with WalCheckpointer(memory) as checkpointer:
            assert not checkpointer.applies and alive() == []
        with WalCheckpointer(engine) as checkpointer:
            file_store = engine.dialect.name == "sqlite"
            assert checkpointer.applies is file_store
            assert alive() == (["ems-wal-checkpoint"] if file_store else [])
            written = write(engine, 2)
        assert alive() == []
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT series_id, ts, value FROM readings").all()
        assert {(s << 40) + t: v for s, t, v in rows} == written
    finally:
        memory.dispose()


def test_two_checkpointers_on_one_store_start_and_stop_apart(
    tmp_path: Path, sqlite_template: Path
) -> None:
    path = tmp_path / "store.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        default = bound(engine)
        first = WalCheckpointer(engine).start()
        with WalCheckpointer(engine):
            assert alive() == ["ems-wal-checkpoint"] * 2
        assert alive() == ["ems-wal-checkpoint"] and bound(engine) == BOUND_PAGES
        first.close()
        assert alive() == [] and bound(engine) == default
    finally:
        engine.dispose()


def test_the_served_api_runs_the_thread_and_stops_it(tmp_path: Path, sqlite_template: Path) -> None:
    database = tmp_path / "store.db"
    shutil.copyfile(sqlite_template, database)
    served = start(tmp_path / "home", database)
    try:
        assert alive() == ["ems-wal-checkpoint"]
        assert bound(served.app.engine) == BOUND_PAGES
    finally:
        served.handle.close()
        served.app.engine.dispose()
    assert alive() == []
