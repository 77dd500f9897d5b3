"""Readings and rollups a page at a time, for programs that fetch long ranges (the HTTP API):
in time order, from just after a cursor, at most `limit` rows plus one to tell a next page."""

from __future__ import annotations

from sqlalchemy import Connection, select

from store.schema import Reading, Rollup


def readings_page(
    conn: Connection, series_id: int, start: int, end: int, after: int | None, limit: int
) -> list[tuple[int, float]]:
    """(ts, value) of one series in [start, end), after `after` when given, oldest first."""
    query = select(Reading.ts, Reading.value).where(
        Reading.series_id == series_id, Reading.ts >= start, Reading.ts < end
    )
    if after is not None:
        query = query.where(Reading.ts > after)
    rows = conn.execute(query.order_by(Reading.ts).limit(limit + 1))
    return [(int(ts), float(value)) for ts, value in rows]


def rollups_page(
    conn: Connection,
    series_id: int,
    grain: int,
    start: int,
    end: int,
    after: int | None,
    limit: int,
) -> list[tuple[int, int, float, float, float]]:
    """(bucket, n, sum, min, max) of one series at a stored grain, after `after` when given."""
    query = select(Rollup.bucket, Rollup.n, Rollup.sum, Rollup.min, Rollup.max).where(
        Rollup.series_id == series_id,
        Rollup.grain == grain,
        Rollup.bucket >= start,
        Rollup.bucket < end,
    )
    if after is not None:
        query = query.where(Rollup.bucket > after)
    rows = conn.execute(query.order_by(Rollup.bucket).limit(limit + 1))
    return [(int(b), int(n), float(s), float(lo), float(hi)) for b, n, s, lo, hi in rows]
