"""The one write path for readings: batched, idempotent upserts that keep the rollups current.

A write replaces the value at an existing (series, timestamp) and leaves identical values untouched,
so loading the same data twice changes nothing and a corrected value moves the rollups with it.
Rollups are recomputed only for the buckets a write touched: 15-minute buckets from raw readings,
hours from quarter-hours, days from hours.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection, delete, func, select

from store.errors import InvalidReading
from store.rollups import (
    Aggregates,
    FloatArray,
    IntArray,
    bucket_starts,
    coarsen,
    concat,
    day_range,
    from_readings,
)
from store.schema import GRAIN_15MIN, GRAIN_DAY, GRAIN_HOUR, Reading, Rollup

# ON CONFLICT ... DO UPDATE is spelt the same on SQLite (3.24+) and PostgreSQL. The WHERE keeps
# identical values from being rewritten, so the row count tells what really changed.
_UPSERT = (
    "INSERT INTO readings (series_id, ts, value) VALUES (?, ?, ?) "
    "ON CONFLICT (series_id, ts) DO UPDATE SET value = excluded.value "
    "WHERE readings.value <> excluded.value"
)
_INSERT_ROLLUPS = (
    "INSERT INTO rollups (series_id, grain, bucket, n, sum, min, max) VALUES (?, ?, ?, ?, ?, ?, ?)"
)

ROWS_PER_STATEMENT = 50_000


@dataclass
class WriteStats:
    """What a write did: readings added, corrected (value replaced) and already stored as given."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0

    def __iadd__(self, other: WriteStats) -> WriteStats:
        self.new += other.new
        self.changed += other.changed
        self.unchanged += other.unchanged
        return self

    @property
    def total(self) -> int:
        return self.new + self.changed + self.unchanged


def _clean(ts: IntArray, values: FloatArray) -> tuple[IntArray, FloatArray]:
    """Validate and de-duplicate a batch (the last value for a timestamp wins), sorted by time."""
    ts = np.asarray(ts, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    if ts.shape != values.shape:
        raise InvalidReading(f"{len(ts)} timestamps but {len(values)} values")
    bad = ~np.isfinite(values)
    if bad.any():
        raise InvalidReading(
            f"{int(bad.sum())} values are NaN or infinite (first at epoch {int(ts[bad][0])})"
        )
    reverse_unique = np.unique(ts[::-1], return_index=True)[1]
    keep = len(ts) - 1 - reverse_unique
    return ts[keep], values[keep]


def _count(conn: Connection, series_id: int, lo: int, hi: int) -> int:
    stmt = select(func.count()).where(
        Reading.series_id == series_id, Reading.ts >= lo, Reading.ts < hi
    )
    return int(conn.execute(stmt).scalar_one())


def write_readings(
    conn: Connection, series_id: int, ts: IntArray, values: FloatArray, tz: str
) -> WriteStats:
    """Upsert one series' readings and refresh the rollups of every bucket they touch.

    `ts` are epoch seconds UTC, `values` in the series' unit, `tz` the site's time zone (it places
    the hour and day buckets). Runs inside the caller's transaction: all or nothing.
    """
    ts, values = _clean(ts, values)
    if len(ts) == 0:
        return WriteStats()
    lo, hi = quarter_range(ts, tz)
    before = _count(conn, series_id, lo, hi)
    rows = zip(itertools.repeat(series_id), ts.tolist(), values.tolist(), strict=False)
    if conn.dialect.name == "postgresql":
        modified = _pg_upsert(conn, rows)
    else:
        modified = _executemany(conn, _UPSERT, rows)
    if before == 0:
        # Nothing was stored in these quarter-hours: the batch alone defines their rollups.
        refresh_rollups(conn, series_id, ts, values, tz)
        return WriteStats(new=len(ts))
    new = _count(conn, series_id, lo, hi) - before
    if modified:
        refresh_rollups(conn, series_id, ts, None, tz)
    return WriteStats(new=new, changed=modified - new, unchanged=len(ts) - modified)


def quarter_range(ts: IntArray, tz: str) -> tuple[int, int]:
    """The range of whole 15-minute buckets spanning a sorted batch."""
    edges = bucket_starts(np.array([ts[0], ts[-1]], dtype=np.int64), GRAIN_15MIN, tz)
    return int(edges[0]), int(edges[1]) + GRAIN_15MIN


def _read(conn: Connection, series_id: int, lo: int, hi: int) -> tuple[IntArray, FloatArray]:
    rows = conn.execute(
        select(Reading.ts, Reading.value)
        .where(Reading.series_id == series_id, Reading.ts >= lo, Reading.ts < hi)
        .order_by(Reading.ts)
    ).all()
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    arr = np.array([tuple(r) for r in rows], dtype=np.float64)
    return arr[:, 0].astype(np.int64), arr[:, 1]


def _read_rollups(conn: Connection, series_id: int, grain: int, lo: int, hi: int) -> Aggregates:
    rows = conn.execute(
        select(Rollup.bucket, Rollup.n, Rollup.sum, Rollup.min, Rollup.max)
        .where(
            Rollup.series_id == series_id,
            Rollup.grain == grain,
            Rollup.bucket >= lo,
            Rollup.bucket < hi,
        )
        .order_by(Rollup.bucket)
    ).all()
    arr = np.array([tuple(r) for r in rows], dtype=np.float64).reshape(-1, 5)
    return Aggregates(
        arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64), arr[:, 2], arr[:, 3], arr[:, 4]
    )


def _replace_rollups(
    conn: Connection, series_id: int, grain: int, lo: int, hi: int, agg: Aggregates
) -> None:
    conn.execute(
        delete(Rollup).where(
            Rollup.series_id == series_id,
            Rollup.grain == grain,
            Rollup.bucket >= lo,
            Rollup.bucket < hi,
        )
    )
    if len(agg) == 0:
        return
    rows = zip(
        itertools.repeat(series_id),
        itertools.repeat(grain),
        agg.bucket.tolist(),
        agg.n.tolist(),
        agg.sum.tolist(),
        agg.min.tolist(),
        agg.max.tolist(),
        strict=False,
    )
    if conn.dialect.name == "postgresql":
        _pg_copy(conn, "rollups (series_id, grain, bucket, n, sum, min, max)", rows)
    else:
        _executemany(conn, _INSERT_ROLLUPS, rows)


def _pg_copy(conn: Connection, target: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """COPY rows into a table: on PostgreSQL far faster than any INSERT, even pipelined."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY {target} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


def _pg_upsert(conn: Connection, rows: Iterable[tuple[Any, ...]]) -> int:
    """Upsert readings on PostgreSQL: COPY into a session-local staging table, then one
    INSERT ... SELECT ... ON CONFLICT. Returns the number of rows added or changed."""
    conn.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS staging_readings "
        "(series_id integer, ts bigint, value double precision) ON COMMIT DELETE ROWS"
    )
    conn.exec_driver_sql("TRUNCATE staging_readings")
    _pg_copy(conn, "staging_readings (series_id, ts, value)", rows)
    result = conn.exec_driver_sql(
        "INSERT INTO readings (series_id, ts, value) "
        "SELECT series_id, ts, value FROM staging_readings "
        "ON CONFLICT (series_id, ts) DO UPDATE SET value = excluded.value "
        "WHERE readings.value <> excluded.value"
    )
    return max(result.rowcount, 0)


def _executemany(conn: Connection, sql: str, rows: Iterable[tuple[Any, ...]]) -> int:
    """Run a parameterised statement over many rows on the connection's own DB-API cursor.

    The bulk paths skip SQLAlchemy's per-row parameter processing, which costs more than the
    database itself; `sql` uses '?' placeholders and is adapted to the driver's style.
    Returns the number of rows the database reports as modified.
    """
    if conn.dialect.paramstyle in ("format", "pyformat"):
        sql = sql.replace("?", "%s")
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    iterator = iter(rows)
    modified = 0
    try:
        while batch := list(itertools.islice(iterator, ROWS_PER_STATEMENT)):
            cursor.executemany(sql, batch)
            modified += max(cursor.rowcount, 0)
    finally:
        cursor.close()
    return modified


def refresh_rollups(
    conn: Connection, series_id: int, ts: IntArray, values: FloatArray | None, tz: str
) -> None:
    """Recompute the rollups of the buckets holding `ts`.

    With `values` the caller asserts these are all the readings in the touched quarter-hours (a
    first load), so nothing is read back; otherwise those quarter-hours are read from the store.
    Each coarser grain is built from the finer aggregates just computed plus the stored finer
    rollups at its edges, so a write never rereads more than a few buckets beyond itself.
    """
    lo, hi = quarter_range(ts, tz)
    if values is None:
        ts, values = _read(conn, series_id, lo, hi)
    finer = from_readings(ts, values, GRAIN_15MIN, tz)
    _replace_rollups(conn, series_id, GRAIN_15MIN, lo, hi, finer)
    for finer_grain, grain in ((GRAIN_15MIN, GRAIN_HOUR), (GRAIN_HOUR, GRAIN_DAY)):
        if grain == GRAIN_DAY:
            c_lo, c_hi = day_range(lo, hi - 1, tz)
        else:
            edges = bucket_starts(np.array([lo, hi - 1], dtype=np.int64), grain, tz)
            c_lo, c_hi = int(edges[0]), int(edges[1]) + grain
        before = _read_rollups(conn, series_id, finer_grain, c_lo, lo)
        after = _read_rollups(conn, series_id, finer_grain, hi, c_hi)
        finer = coarsen(concat(before, finer, after), grain, tz)
        _replace_rollups(conn, series_id, grain, c_lo, c_hi, finer)
        lo, hi = c_lo, c_hi
