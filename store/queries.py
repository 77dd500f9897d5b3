"""Query functions: the only way tools and the CLI read readings and rollups.

Every function takes epoch-second bounds [start, end) and returns plain pandas frames. The
`source="raw"` paths exist for checks and benchmarks; answers come from the rollups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from sqlalchemy import Connection, Select, func, select

from store import memo
from store.rollups import bucket_starts, day_range, from_readings
from store.schema import GRAIN_15MIN, GRAINS, Reading, Rollup, Series

if TYPE_CHECKING:
    import pandas as pd

Source = Literal["rollup", "raw"]


def _plain_rows(conn: Connection, stmt: Select[*tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows as plain tuples straight from the driver: building SQLAlchemy Row objects costs
    more than the query itself when a year of quarter-hours comes back."""
    result = conn.execute(stmt)
    try:
        return list(result.cursor.fetchall()) if result.cursor is not None else []
    finally:
        result.close()


def readings(conn: Connection, series_id: int, start: int, end: int) -> pd.DataFrame:
    """Raw readings of one series: columns ts (epoch s, UTC) and value, in time order."""
    import pandas as pd

    rows = _plain_rows(
        conn,
        select(Reading.ts, Reading.value)
        .where(Reading.series_id == series_id, Reading.ts >= start, Reading.ts < end)
        .order_by(Reading.ts),
    )
    return pd.DataFrame(
        {
            "ts": np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)),
            "value": np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows)),
        }
    )


RollupColumn = Literal["series_id", "bucket", "n", "sum", "min", "max"]
ROLLUP_COLUMNS: tuple[RollupColumn, ...] = ("series_id", "bucket", "n", "sum", "min", "max")
_ROLLUP_TYPES = {
    "series_id": "int64",
    "bucket": "int64",
    "n": "int64",
    "sum": "float64",
    "min": "float64",
    "max": "float64",
}


def rollups(
    conn: Connection,
    series_ids: Sequence[int],
    grain: int,
    start: int,
    end: int,
    *,
    tz: str = "UTC",
    source: Source = "rollup",
    columns: Sequence[RollupColumn] = ROLLUP_COLUMNS,
) -> pd.DataFrame:
    """Per-bucket aggregates (n, sum, min, max, avg) of several series at a stored grain.

    Buckets are local to `tz`, the site's time zone (the stored rollups were built with it).
    `columns` names the ones to read (series_id and bucket always come): each column left out
    is one Python object fewer per row the driver builds, which is most of a long read's cost.
    `avg` comes with n and sum.
    """
    import pandas as pd

    if grain not in GRAINS:
        raise ValueError(f"grain {grain} s is not stored; use one of {GRAINS}")
    wanted = ("series_id", "bucket", *(c for c in ROLLUP_COLUMNS[2:] if c in columns))
    found: dict[str, np.ndarray[Any, Any]]
    if source == "raw":
        frame = _rollups_from_raw(conn, series_ids, grain, start, end, tz)
        found = {c: frame[c].to_numpy(_ROLLUP_TYPES[c]) for c in wanted}
    else:
        # One series' id need not come back with each of its rows.
        one = len(set(series_ids)) == 1
        read = wanted[1:] if one else wanted
        key = ("rollups", conn.engine, tuple(series_ids), grain, start, end, read)
        rows = memo.remembered(key, lambda: _rollup_rows(conn, series_ids, grain, start, end, read))
        # One C loop into typed columns: a frame built from a list of tuples looks at every
        # value as a Python object first, which cost more than the query itself.
        dtype = np.dtype([(c, _ROLLUP_TYPES[c]) for c in read])
        table = np.fromiter(rows, dtype=dtype, count=len(rows))
        found = {"series_id": np.full(len(rows), series_ids[0], dtype=np.int64)} if one else {}
        found |= {c: np.ascontiguousarray(table[c]) for c in read}
    if "n" in found and "sum" in found:
        found["avg"] = found["sum"] / found["n"]
    return pd.DataFrame(found)


def _rollup_rows(
    conn: Connection,
    series_ids: Sequence[int],
    grain: int,
    start: int,
    end: int,
    columns: Sequence[str],
) -> list[tuple[Any, ...]]:
    return _plain_rows(
        conn,
        select(*(getattr(Rollup, c) for c in columns))
        .where(
            Rollup.series_id.in_(list(series_ids)),
            Rollup.grain == grain,
            Rollup.bucket >= start,
            Rollup.bucket < end,
        )
        .order_by(Rollup.series_id, Rollup.bucket),
    )


def _rollups_from_raw(
    conn: Connection, series_ids: Sequence[int], grain: int, start: int, end: int, tz: str
) -> pd.DataFrame:
    import pandas as pd

    parts = []
    for series_id in series_ids:
        raw = readings(conn, series_id, start, end)
        agg = from_readings(
            raw["ts"].to_numpy(np.int64), raw["value"].to_numpy(np.float64), grain, tz
        )
        parts.append(
            pd.DataFrame(
                {
                    "series_id": series_id,
                    "bucket": agg.bucket,
                    "n": agg.n,
                    "sum": agg.sum,
                    "min": agg.min,
                    "max": agg.max,
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=list(ROLLUP_COLUMNS))
    return pd.concat(parts, ignore_index=True)


def daily_table(
    conn: Connection,
    series: dict[str, int],
    start: int,
    end: int,
    *,
    tz: str,
    source: Source = "rollup",
) -> pd.DataFrame:
    """Daily sums of several series side by side: index local day start, one column per name."""
    frame = rollups(conn, list(series.values()), 86400, start, end, tz=tz, source=source)
    names = {sid: name for name, sid in series.items()}
    table = frame.pivot_table(index="bucket", columns="series_id", values="sum", aggfunc="sum")
    return table.rename(columns=names)


@dataclass(frozen=True)
class Peak:
    """The highest 15-minute bucket of a series: its start, the bucket's sum and average."""

    bucket: int
    sum: float
    avg: float
    n: int


def peak_15min(
    conn: Connection, series_id: int, start: int, end: int, *, source: Source = "rollup"
) -> Peak | None:
    """The 15-minute bucket with the largest total (energy series) in [start, end)."""
    frame = rollups(conn, [series_id], GRAIN_15MIN, start, end, source=source)
    if frame.empty:
        return None
    i = int(np.argmax(frame["sum"].to_numpy()))
    return Peak(
        int(frame["bucket"].to_numpy()[i]),
        float(frame["sum"].to_numpy()[i]),
        float(frame["avg"].to_numpy()[i]),
        int(frame["n"].to_numpy()[i]),
    )


@dataclass(frozen=True)
class SeriesStats:
    series_id: int
    count: int
    first_ts: int | None
    last_ts: int | None


def series_stats(conn: Connection, series_ids: Sequence[int]) -> dict[int, SeriesStats]:
    """Reading count, first and last timestamp per series (counts from the daily rollups)."""
    # Correlated min/max per series use the primary key instead of scanning every reading.
    first = select(func.min(Reading.ts)).where(Reading.series_id == Series.id).scalar_subquery()
    last = select(func.max(Reading.ts)).where(Reading.series_id == Series.id).scalar_subquery()
    bounds = conn.execute(
        select(Series.id, first, last).where(Series.id.in_(list(series_ids)))
    ).all()
    counts = {
        int(sid): int(n)
        for sid, n in conn.execute(
            select(Rollup.series_id, func.sum(Rollup.n))
            .where(Rollup.series_id.in_(list(series_ids)), Rollup.grain == 86400)
            .group_by(Rollup.series_id)
        )
    }
    out = {sid: SeriesStats(sid, 0, None, None) for sid in series_ids}
    for sid, first_ts, last_ts in bounds:
        if first_ts is not None:
            out[sid] = SeriesStats(sid, int(counts.get(sid) or 0), int(first_ts), int(last_ts))
    return out


def site_series_ids(conn: Connection, meter_ids: Sequence[int], metric: str) -> dict[int, int]:
    """meter id -> series id of one metric, for the meters that have it."""
    rows = conn.execute(
        select(Series.meter_id, Series.id).where(
            Series.meter_id.in_(list(meter_ids)), Series.metric == metric
        )
    ).all()
    return {int(m): int(s) for m, s in rows}


@dataclass(frozen=True)
class Totals:
    """Aggregates of one series over a whole period."""

    series_id: int
    n: int
    sum: float
    min: float | None
    max: float | None

    @property
    def avg(self) -> float | None:
        return self.sum / self.n if self.n else None


def period_totals(
    conn: Connection, series_ids: Sequence[int], start: int, end: int, *, tz: str
) -> dict[int, Totals]:
    """Aggregates over [start, end) from daily rollups, with 15-minute rollups for partial days.

    A 15-minute bucket counts when it starts inside the period, so a period ending now includes
    the quarter-hour in progress.
    """
    import pandas as pd

    ids = list(series_ids)
    first_day = _midnight_at_or_before(start, tz)
    if first_day < start:
        first_day = _next_midnight(start, tz)
    last_day = _midnight_at_or_before(end, tz)
    parts = []
    if first_day < last_day:
        parts.append(rollups(conn, ids, 86400, first_day, last_day, tz=tz))
        # A period of whole days has no partial day to read at either end.
        if start < first_day:
            parts.append(rollups(conn, ids, GRAIN_15MIN, start, first_day, tz=tz))
        if last_day < end:
            parts.append(rollups(conn, ids, GRAIN_15MIN, last_day, end, tz=tz))
    else:
        parts.append(rollups(conn, ids, GRAIN_15MIN, start, end, tz=tz))
    frame = pd.concat([p for p in parts if not p.empty] or [parts[0]], ignore_index=True)
    out = {sid: Totals(sid, 0, 0.0, None, None) for sid in ids}
    if frame.empty:
        return out
    # pandas' grouped sum (compensated) for the sums, as before; counts, minima and maxima
    # are exact in any order, so numpy's (a grouped aggregation of four columns cost more
    # than the reads of a month's days).
    sums = frame.groupby("series_id")["sum"].sum()
    keys, which = np.unique(frame["series_id"].to_numpy(np.int64), return_inverse=True)
    which = which.reshape(-1)
    counts = np.bincount(which, weights=frame["n"].to_numpy(np.float64))
    low = np.full(len(keys), np.inf)
    high = np.full(len(keys), -np.inf)
    np.minimum.at(low, which, frame["min"].to_numpy(np.float64))
    np.maximum.at(high, which, frame["max"].to_numpy(np.float64))
    for i, sid in enumerate(keys.tolist()):
        total = float(sums.loc[sid])
        out[sid] = Totals(sid, int(counts[i]), total, float(low[i]), float(high[i]))
    return out


def _midnight_at_or_before(ts: int, tz: str) -> int:
    return int(bucket_starts(np.array([ts], dtype=np.int64), 86400, tz)[0])


def _next_midnight(ts: int, tz: str) -> int:
    return day_range(ts, ts, tz)[1]
