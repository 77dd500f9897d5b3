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
from sqlalchemy import Connection

from common.errors import InvalidReading
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
from store.schema import GRAIN_15MIN, GRAIN_DAY, GRAIN_HOUR

# ON CONFLICT ... DO UPDATE is spelt the same on SQLite (3.24+) and PostgreSQL. The WHERE keeps
# identical values from being rewritten, so the row count tells what really changed.
_INSERT_READINGS = "INSERT INTO readings (series_id, ts, value)"
_UPSERT_SET = (
    "ON CONFLICT (series_id, ts) DO UPDATE SET value = excluded.value "
    "WHERE readings.value <> excluded.value"
)
# A multi-series write inserts what is new, then corrects what differs: two row counts.
_NEW_ONLY = "ON CONFLICT (series_id, ts) DO NOTHING"
_CORRECT = "UPDATE readings SET value = ? WHERE series_id = ? AND ts = ? AND value <> ?"
_PG_INSERT_NEW = (
    "INSERT INTO readings (series_id, ts, value) SELECT series_id, ts, value "
    "FROM staging_readings ON CONFLICT (series_id, ts) DO NOTHING"
)
_PG_CORRECT = (
    "UPDATE readings r SET value = s.value FROM staging_readings s "
    "WHERE r.series_id = s.series_id AND r.ts = s.ts AND r.value <> s.value"
)
# Rollups of new readings merged into the stored ones; min/max are least/greatest on PostgreSQL.
_ADD_ROLLUPS_SET = (
    "ON CONFLICT (series_id, grain, bucket) DO UPDATE SET n = rollups.n + excluded.n, "
    "sum = rollups.sum + excluded.sum, min = {low}(rollups.min, excluded.min), "
    "max = {high}(rollups.max, excluded.max)"
)
_INSERT_ROLLUPS = "INSERT INTO rollups (series_id, grain, bucket, n, sum, min, max)"
# The reads and deletes of a write, run on the driver's cursor: building and compiling them as
# SQLAlchemy expressions cost more than running them (a write makes about a dozen).
_COUNT = "SELECT count(*) FROM readings WHERE series_id = ? AND ts >= ? AND ts < ?"
_READ = "SELECT ts, value FROM readings WHERE series_id = ? AND ts >= ? AND ts < ? ORDER BY ts"
_ROLLUP_RANGE = "series_id = ? AND grain = ? AND bucket >= ? AND bucket < ?"
_READ_ROLLUPS = (
    f"SELECT bucket, n, sum, min, max FROM rollups WHERE {_ROLLUP_RANGE} ORDER BY bucket"
)
_DELETE_ROLLUPS = f"DELETE FROM rollups WHERE {_ROLLUP_RANGE}"
_QUARTER_SPAN = f"SELECT min(bucket), max(bucket) FROM rollups WHERE {_ROLLUP_RANGE}"

ROWS_PER_STATEMENT = 50_000
# Parameters per multi-row INSERT on SQLite: a statement of a few hundred rows costs about a
# quarter less CPU than the same rows one by one through `executemany` (the per-row reset,
# binding and return into Python); 50 to 1,000 rows measured alike. Every SQLite with upserts
# (3.24+) accepts 999 parameters a statement; builds before 3.32 accept no more.
PARAMETERS_PER_INSERT = 999


def rows_per_insert(width: int) -> int:
    """Rows of `width` columns per multi-row INSERT: one fixed size, one cached statement."""
    return PARAMETERS_PER_INSERT // width


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
    if len(ts) < 2 or bool((ts[1:] > ts[:-1]).all()):
        return ts, values  # already sorted with no repeats (live ingestion): nothing to drop
    reverse_unique = np.unique(ts[::-1], return_index=True)[1]
    keep = len(ts) - 1 - reverse_unique
    return ts[keep], values[keep]


def _count(conn: Connection, series_id: int, lo: int, hi: int) -> int:
    return int(_fetch(conn, _COUNT, (series_id, lo, hi))[0][0])


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
    columns = [[series_id] * len(ts), ts.tolist(), values.tolist()]
    if conn.dialect.name == "postgresql":
        modified = _pg_upsert(conn, zip(*columns, strict=True))
    else:
        modified = _insert_values(conn, _INSERT_READINGS, columns, _UPSERT_SET)
    if before == 0:
        # Nothing was stored in these quarter-hours: the batch alone defines their rollups.
        refresh_rollups(conn, series_id, ts, values, tz)
        return WriteStats(new=len(ts))
    after = _count(conn, series_id, lo, hi)
    new = after - before
    if modified:
        _refresh_overlap(conn, series_id, (ts, values), after, (lo, hi), tz)
    return WriteStats(new=new, changed=modified - new, unchanged=len(ts) - modified)


def _refresh_overlap(
    conn: Connection,
    series_id: int,
    batch: tuple[IntArray, FloatArray],
    after: int,
    span: tuple[int, int],
    tz: str,
) -> None:
    """Refresh the rollups after a write into quarter-hours of which some held readings.

    Only the span of quarter-hours that have a rollup (from before this write) is read back; the
    others were empty, so the batch alone defines them. That holds when the store's count in the
    range equals what was read back plus the batch's readings outside the span; otherwise
    (rollups missing for stored readings) the whole range is read back.
    """
    ts, values = batch
    lo, hi = span
    first, last = _fetch(conn, _QUARTER_SPAN, (series_id, GRAIN_15MIN, lo, hi))[0]
    if first is not None:
        a, b = int(first), int(last) + GRAIN_15MIN
        outside = (ts < a) | (ts >= b)
        read_ts, read_values = _read(conn, series_id, a, b)
        if len(read_ts) + int(outside.sum()) == after:
            all_ts = np.concatenate([read_ts, ts[outside]])
            all_values = np.concatenate([read_values, values[outside]])
            _rollup(conn, series_id, all_ts, all_values, span, tz)
            return
    refresh_rollups(conn, series_id, ts, None, tz)


def quarter_range(ts: IntArray, tz: str) -> tuple[int, int]:
    """The range of whole 15-minute buckets spanning a sorted batch."""
    edges = bucket_starts(np.array([ts[0], ts[-1]], dtype=np.int64), GRAIN_15MIN, tz)
    return int(edges[0]), int(edges[1]) + GRAIN_15MIN


def _read(conn: Connection, series_id: int, lo: int, hi: int) -> tuple[IntArray, FloatArray]:
    rows = _fetch(conn, _READ, (series_id, lo, hi))
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    # Timestamps stay integers (a float64 round trip is exact only below 2**53).
    ts = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    values = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
    return ts, values


def _read_rollups(conn: Connection, series_id: int, grain: int, lo: int, hi: int) -> Aggregates:
    rows = _fetch(conn, _READ_ROLLUPS, (series_id, grain, lo, hi))
    arr = np.array([tuple(r) for r in rows], dtype=np.float64).reshape(-1, 5)
    return Aggregates(
        arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64), arr[:, 2], arr[:, 3], arr[:, 4]
    )


def _replace_rollups(
    conn: Connection, series_id: int, grain: int, lo: int, hi: int, agg: Aggregates
) -> None:
    _fetch(conn, _DELETE_ROLLUPS, (series_id, grain, lo, hi), rows=False)
    if len(agg) == 0:
        return
    columns: list[list[Any]] = [
        [series_id] * len(agg),
        [grain] * len(agg),
        agg.bucket.tolist(),
        agg.n.tolist(),
        agg.sum.tolist(),
        agg.min.tolist(),
        agg.max.tolist(),
    ]
    if conn.dialect.name == "postgresql":
        rows = zip(*columns, strict=True)
        _pg_copy(conn, "rollups (series_id, grain, bucket, n, sum, min, max)", rows)
    else:
        _insert_values(conn, _INSERT_ROLLUPS, columns)


def _pg_copy(conn: Connection, target: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """COPY rows into a table: on PostgreSQL far faster than any INSERT, even pipelined."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY {target} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


def _stage_readings(conn: Connection, rows: Iterable[tuple[Any, ...]]) -> None:
    """COPY rows into a session-local staging table on PostgreSQL, emptied first."""
    conn.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS staging_readings "
        "(series_id integer, ts bigint, value double precision) ON COMMIT DELETE ROWS"
    )
    conn.exec_driver_sql("TRUNCATE staging_readings")
    _pg_copy(conn, "staging_readings (series_id, ts, value)", rows)


def _pg_upsert(conn: Connection, rows: Iterable[tuple[Any, ...]]) -> int:
    """Upsert readings on PostgreSQL: COPY into the staging table, then one
    INSERT ... SELECT ... ON CONFLICT. Returns the number of rows added or changed."""
    _stage_readings(conn, rows)
    result = conn.exec_driver_sql(
        "INSERT INTO readings (series_id, ts, value) "
        "SELECT series_id, ts, value FROM staging_readings "
        "ON CONFLICT (series_id, ts) DO UPDATE SET value = excluded.value "
        "WHERE readings.value <> excluded.value"
    )
    return max(result.rowcount, 0)


def _fetch(
    conn: Connection, sql: str, params: tuple[Any, ...], *, rows: bool = True
) -> list[tuple[Any, ...]]:
    """Run one '?'-parameterised statement on the driver's cursor; its rows when `rows`."""
    if conn.dialect.paramstyle in ("format", "pyformat"):
        sql = sql.replace("?", "%s")
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall()) if rows else []
    finally:
        cursor.close()


def _insert_values(
    conn: Connection, insert: str, columns: list[list[Any]], conflict: str = ""
) -> int:
    """Insert rows given column by column (equal-length lists) on SQLite: `insert` names the
    table and its columns, `conflict` is the statement's ON CONFLICT clause, if any. Whole
    chunks of `rows_per_insert(width)` rows go as one multi-row INSERT each, the rest row by row.
    Returns the number of rows the database reports as inserted or changed."""
    width, count = len(columns), len(columns[0])
    flat: list[Any] = [None] * (width * count)
    for i, column in enumerate(columns):
        flat[i::width] = column
    marks = "(" + ", ".join("?" * width) + ")"
    rows = rows_per_insert(width)
    whole = count - count % rows
    modified = 0
    if whole:
        sql = f"{insert} VALUES {', '.join([marks] * rows)} {conflict}"
        step = width * rows
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            for start in range(0, whole * width, step):
                cursor.execute(sql, flat[start : start + step])
                modified += max(cursor.rowcount, 0)
        finally:
            cursor.close()
    if whole < count:
        rest = zip(*(column[whole:] for column in columns), strict=True)
        modified += _executemany(conn, f"{insert} VALUES {marks} {conflict}", rest)
    return modified


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
    _rollup(conn, series_id, ts, values, (lo, hi), tz)


def _rollup(
    conn: Connection,
    series_id: int,
    ts: IntArray,
    values: FloatArray,
    span: tuple[int, int],
    tz: str,
) -> None:
    """Replace the rollups of the quarter-hours in `span` (all its readings are `ts`, `values`,
    in any order) and of the hours and days holding them."""
    lo, hi = span
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


# ---------------------------------------------------------------- many series in one write

# Buckets a multi-series write touched, one row per (series, grain, bucket) with the bucket's
# range [lo, hi) in epoch seconds. Session-local, emptied by each write.
_TOUCHED_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS touched_buckets "
    "(series_id integer, grain integer, bucket bigint, lo bigint, hi bigint){suffix}"
)
# Every read below loops over the touched buckets and looks each one's range up in the primary
# key: CROSS JOIN (SQLite keeps that join order) or LATERAL
# (PostgreSQL). A range join left to PostgreSQL's planner can turn into a hash join on
# series_id alone, comparing every touched bucket with every reading of its series.
_DELETE_TOUCHED = (
    "DELETE FROM rollups WHERE (series_id, grain, bucket) IN "
    "(SELECT series_id, grain, bucket FROM touched_buckets WHERE grain = {grain})"
)
_INSERT_TOUCHED = "INSERT INTO rollups (series_id, grain, bucket, n, sum, min, max) "
_FROM_READINGS = {
    "sqlite": (
        "SELECT t.series_id, t.grain, t.bucket, count(*), sum(r.value), min(r.value), "
        "max(r.value) FROM touched_buckets t CROSS JOIN readings r "
        "WHERE t.grain = 900 AND r.series_id = t.series_id AND r.ts >= t.lo AND r.ts < t.hi "
        "GROUP BY t.series_id, t.grain, t.bucket"
    ),
    "postgresql": (
        "SELECT t.series_id, t.grain, t.bucket, a.n, a.s, a.mn, a.mx FROM touched_buckets t "
        "CROSS JOIN LATERAL (SELECT count(*) AS n, sum(r.value) AS s, min(r.value) AS mn, "
        "max(r.value) AS mx FROM readings r WHERE r.series_id = t.series_id "
        "AND r.ts >= t.lo AND r.ts < t.hi) a WHERE t.grain = 900 AND a.n > 0"
    ),
}
_FROM_FINER = {
    "sqlite": (
        "SELECT t.series_id, t.grain, t.bucket, sum(f.n), sum(f.sum), min(f.min), max(f.max) "
        "FROM touched_buckets t CROSS JOIN rollups f "
        "WHERE t.grain = {grain} AND f.series_id = t.series_id AND f.grain = {finer} "
        "AND f.bucket >= t.lo AND f.bucket < t.hi "
        "GROUP BY t.series_id, t.grain, t.bucket"
    ),
    "postgresql": (
        "SELECT t.series_id, t.grain, t.bucket, a.n, a.s, a.mn, a.mx FROM touched_buckets t "
        "CROSS JOIN LATERAL (SELECT sum(f.n) AS n, sum(f.sum) AS s, min(f.min) AS mn, "
        "max(f.max) AS mx FROM rollups f WHERE f.series_id = t.series_id "
        "AND f.grain = {finer} AND f.bucket >= t.lo AND f.bucket < t.hi) a "
        "WHERE t.grain = {grain} AND a.n > 0"
    ),
}


@dataclass(frozen=True)
class SeriesWrite:
    """One series' part of a multi-series write: epoch seconds, values, the site's zone."""

    series_id: int
    ts: IntArray
    values: FloatArray
    tz: str


def write_many(conn: Connection, parts: Iterable[SeriesWrite]) -> WriteStats:
    """Upsert the readings of many series at once and refresh the rollups they touch.

    The same upsert and the same rollups as `write_readings` per series, in a fixed number of
    statements whatever the number of series. New readings go in first and the corrections
    after, so the row counts tell new, changed and unchanged apart. When every reading is new
    (live ingestion) the rollups are added to: each touched quarter-hour, hour and day gets the
    batch's count, sum, minimum and maximum merged into what it held. Otherwise the touched
    buckets are recomputed in the database, each grain from the one below. Made for
    ingestion, where a batch holds a few readings of many series; `write_readings` stays the
    path for long runs of one series (imports).
    """
    cleaned = [(p.series_id, *_clean(p.ts, p.values), p.tz) for p in parts]
    cleaned = [c for c in cleaned if len(c[1])]
    if not cleaned:
        return WriteStats()
    sids = _series_ids([sid for sid, _, _, _ in cleaned], [len(ts) for _, ts, _, _ in cleaned])
    ts_all = np.concatenate([ts for _, ts, _, _ in cleaned])
    values_all = np.concatenate([values for _, _, values, _ in cleaned])
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        # These statements touch few rows but their estimates are large (range conditions on
        # two columns); compiling them (JIT) would cost more than running them.
        conn.exec_driver_sql("SET LOCAL jit = off")
    new, changed = _insert_then_correct(conn, sids, ts_all, values_all, postgres)
    if new == len(ts_all):
        _add_rollups(conn, _added_rollups(cleaned), postgres)
    elif new or changed:
        _fill_touched(conn, cleaned, postgres)
        dialect = conn.dialect.name  # "sqlite" or "postgresql", the keys of the two reads
        _fetch(conn, _DELETE_TOUCHED.format(grain=GRAIN_15MIN), (), rows=False)
        _fetch(conn, _INSERT_TOUCHED + _FROM_READINGS[dialect], (), rows=False)
        for finer, grain in ((GRAIN_15MIN, GRAIN_HOUR), (GRAIN_HOUR, GRAIN_DAY)):
            coarser = _FROM_FINER[dialect].format(grain=grain, finer=finer)
            _fetch(conn, _DELETE_TOUCHED.format(grain=grain), (), rows=False)
            _fetch(conn, _INSERT_TOUCHED + coarser, (), rows=False)
    return WriteStats(new=new, changed=changed, unchanged=len(ts_all) - new - changed)


def _insert_then_correct(
    conn: Connection, sids: IntArray, ts: IntArray, values: FloatArray, postgres: bool
) -> tuple[int, int]:
    """Insert the readings not yet stored, then replace the stored ones whose value differs;
    returns how many of each. Both statements run in the caller's transaction, the insert
    first: it takes the write lock, so no other writer can slip in between."""
    columns = [sids.tolist(), ts.tolist(), values.tolist()]
    if postgres:
        _stage_readings(conn, zip(*columns, strict=True))
        new = conn.exec_driver_sql(_PG_INSERT_NEW).rowcount
        if new == len(ts):
            return new, 0
        return new, max(conn.exec_driver_sql(_PG_CORRECT).rowcount, 0)
    new = _insert_values(conn, _INSERT_READINGS, columns, _NEW_ONLY)
    if new == len(ts):
        return new, 0
    corrections = zip(values.tolist(), sids.tolist(), ts.tolist(), values.tolist(), strict=True)
    return new, _executemany(conn, _CORRECT, corrections)


def _added_rollups(cleaned: list[tuple[int, IntArray, FloatArray, str]]) -> list[list[Any]]:
    """The rollup rows of new readings alone, column by column (series, grain, bucket, count,
    sum, minimum, maximum; each grain from the one below), to merge into the stored rollups."""
    by_zone: dict[str, list[tuple[int, IntArray, FloatArray]]] = {}
    for sid, ts, values, tz in cleaned:
        by_zone.setdefault(tz, []).append((sid, ts, values))
    columns: list[list[Any]] = [[] for _ in range(7)]
    for tz, members in by_zone.items():
        sids = _series_ids([sid for sid, _, _ in members], [len(ts) for _, ts, _ in members])
        ts = np.concatenate([ts for _, ts, _ in members])
        values = np.concatenate([values for _, _, values in members])
        ones = np.ones(len(ts), dtype=np.int64)
        agg = _by_bucket(sids, bucket_starts(ts, GRAIN_15MIN, tz), ones, values, values, values)
        for grain in (GRAIN_15MIN, GRAIN_HOUR, GRAIN_DAY):
            if grain != GRAIN_15MIN:
                agg = _by_bucket(agg[0], bucket_starts(agg[1], grain, tz), *agg[2:])
            columns[0] += agg[0].tolist()
            columns[1] += [grain] * len(agg[0])
            for column, part in zip(columns[2:], agg[1:], strict=True):
                column += part.tolist()
    return columns


_Merged = tuple[IntArray, IntArray, IntArray, FloatArray, FloatArray, FloatArray]


def _by_bucket(
    sids: IntArray,
    buckets: IntArray,
    n: IntArray,
    sums: FloatArray,
    mins: FloatArray,
    maxs: FloatArray,
) -> _Merged:
    """Merge rows (readings, or finer aggregates) that share a series and a bucket."""
    if _in_runs(sids, buckets):
        s, b = sids, buckets
    else:
        order = np.lexsort((buckets, sids))
        s, b = sids[order], buckets[order]
        n, sums, mins, maxs = n[order], sums[order], mins[order], maxs[order]
    starts = np.flatnonzero(np.r_[True, (s[1:] != s[:-1]) | (b[1:] != b[:-1])])
    if len(starts) == len(s):  # no two rows share a bucket: nothing to merge
        return s, b, n, sums, mins, maxs
    return (
        s[starts],
        b[starts],
        np.add.reduceat(n, starts),
        np.add.reduceat(sums, starts),
        np.minimum.reduceat(mins, starts),
        np.maximum.reduceat(maxs, starts),
    )


def _in_runs(sids: IntArray, buckets: IntArray) -> bool:
    """Whether each series' rows are one run with its buckets in time order, so rows that
    share a bucket are neighbours without a sort: a write's rows are (each series' readings
    sorted by time, so are their buckets)."""
    starts = np.r_[True, sids[1:] != sids[:-1]]
    runs = sids[starts]
    ordered = bool((buckets[1:] >= buckets[:-1])[~starts[1:]].all())
    return ordered and len(np.unique(runs)) == len(runs)


def _series_ids(ids: list[int], counts: list[int]) -> IntArray:
    """Each row's series id, for runs of `counts` rows of the series `ids`."""
    return np.repeat(np.asarray(ids, dtype=np.int64), counts)


def _add_rollups(conn: Connection, columns: list[list[Any]], postgres: bool) -> None:
    """Merge rollup rows (given column by column) of new readings into the stored rollups (a
    missing bucket is made)."""
    if not postgres:
        _insert_values(
            conn, _INSERT_ROLLUPS, columns, _ADD_ROLLUPS_SET.format(low="min", high="max")
        )
        return
    rows = zip(*columns, strict=True)
    conn.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS staging_rollups (series_id integer, grain integer, "
        "bucket bigint, n integer, sum double precision, min double precision, "
        "max double precision) ON COMMIT DELETE ROWS"
    )
    conn.exec_driver_sql("TRUNCATE staging_rollups")
    _pg_copy(conn, "staging_rollups (series_id, grain, bucket, n, sum, min, max)", rows)
    conn.exec_driver_sql(
        "INSERT INTO rollups (series_id, grain, bucket, n, sum, min, max) "
        "SELECT series_id, grain, bucket, n, sum, min, max FROM staging_rollups "
        + _ADD_ROLLUPS_SET.format(low="least", high="greatest")
    )


def _fill_touched(
    conn: Connection, cleaned: list[tuple[int, IntArray, FloatArray, str]], postgres: bool
) -> None:
    """Fill touched_buckets with every quarter-hour, hour and day the readings fall in."""
    suffix = " ON COMMIT DELETE ROWS" if postgres else ""
    conn.exec_driver_sql(_TOUCHED_TABLE.format(suffix=suffix))
    conn.exec_driver_sql("DELETE FROM touched_buckets")
    by_zone: dict[str, list[tuple[int, IntArray]]] = {}
    for sid, ts, _, tz in cleaned:
        by_zone.setdefault(tz, []).append((sid, ts))
    columns: list[list[int]] = [[] for _ in range(5)]
    for tz, members in by_zone.items():
        sids = _series_ids([sid for sid, _ in members], [len(ts) for _, ts in members])
        ts = np.concatenate([ts for _, ts in members])
        quarters = _distinct(sids, bucket_starts(ts, GRAIN_15MIN, tz))
        hours = _distinct(quarters[0], bucket_starts(quarters[1], GRAIN_HOUR, tz))
        days = _distinct(hours[0], bucket_starts(hours[1], GRAIN_DAY, tz))
        # A local day lasts 23 to 25 hours: 36 hours past its midnight is always the next day.
        day_ends = bucket_starts(days[1] + 36 * 3600, GRAIN_DAY, tz)
        for grain, (s, lo), hi in (
            (GRAIN_15MIN, quarters, quarters[1] + GRAIN_15MIN),
            (GRAIN_HOUR, hours, hours[1] + GRAIN_HOUR),
            (GRAIN_DAY, days, day_ends),
        ):
            columns[0] += s.tolist()
            columns[1] += [grain] * len(s)
            columns[2] += lo.tolist()
            columns[3] += lo.tolist()
            columns[4] += hi.tolist()
    if postgres:
        rows = zip(*columns, strict=True)
        _pg_copy(conn, "touched_buckets (series_id, grain, bucket, lo, hi)", rows)
    else:
        _insert_values(
            conn, "INSERT INTO touched_buckets (series_id, grain, bucket, lo, hi)", columns
        )


def _distinct(sids: IntArray, buckets: IntArray) -> tuple[IntArray, IntArray]:
    """The distinct (series, bucket) pairs of series in runs with their buckets in time order
    (each series' readings are sorted, so are their buckets): drop the repeats in a row."""
    first = np.ones(len(sids), dtype=bool)
    first[1:] = (sids[1:] != sids[:-1]) | (buckets[1:] != buckets[:-1])
    return sids[first], buckets[first]


def delete_readings(conn: Connection, series_id: int, ts: IntArray, tz: str) -> int:
    """Delete one series' readings at the timestamps `ts` and refresh the rollups they were
    in (what replaces daily values pro-rated from a bill that was corrected away)."""
    ts = np.unique(np.asarray(ts, dtype=np.int64))
    if len(ts) == 0:
        return 0
    deleted = 0
    for chunk in np.array_split(ts, max(1, len(ts) // 500 + 1)):
        if not len(chunk):
            continue
        marks = ", ".join("?" * len(chunk))
        sql = f"DELETE FROM readings WHERE series_id = ? AND ts IN ({marks})"
        if conn.dialect.paramstyle in ("format", "pyformat"):
            sql = sql.replace("?", "%s")
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, (series_id, *chunk.tolist()))
            deleted += max(cursor.rowcount, 0)
        finally:
            cursor.close()
    refresh_rollups(conn, series_id, ts, None, tz)
    return deleted
