"""One meter's energy over a long period as whole local hours, for pricing: where every tariff
price holds for whole hours, an hour priced at once costs what its quarter-hours cost (to the
last bits of rounding) from a quarter of the rows; each month's peak demand still comes from
the quarter-hours, as maxima the store computes without sending them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import Connection, Engine, func, literal, select, union_all

from common.intervals import HOUR_S, QUARTER_S
from store import queries
from store.rollups import utc_offsets
from store.schema import Rollup
from tools import resolve
from tools.economics import PeakOf
from tools.periods import Period

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
READ: tuple[queries.RollupColumn, ...] = ("n", "sum")
# Runs of quarter-hours whose maximum one statement asks for (SQLite allows 500 per compound).
RUNS_PER_STATEMENT = 100


@dataclass(frozen=True)
class Hours:
    """Energy in rows of whole local hours, and of quarter-hours where the period starts or
    ends inside an hour: row starts (epoch s), kWh, readings counted and hours spanned."""

    start: IntArray
    kwh: Array
    n: IntArray
    hours: Array
    peak_of: PeakOf | None  # None: the demand window is the hour, read off the rows themselves


def read_hours(
    conn: Connection, target: resolve.Target, period: Period, tz: str, window_s: int
) -> Hours | None:
    """The meter's energy over the period in whole local hours, or None where hours would not
    price as its quarter-hours do: a demand window of neither a quarter-hour nor an hour, or
    an hour in which the local clock moves by other than whole hours (a half-hour zone's DST)."""
    if window_s not in (QUARTER_S, HOUR_S):
        return None
    first, last = _whole_hours(period.start_ts, period.end_ts, tz)
    if first is None or last is None:
        return None
    sid = target.series.id
    parts = [
        queries.rollups(conn, [sid], QUARTER_S, period.start_ts, first, tz=tz, columns=READ),
        queries.rollups(conn, [sid], HOUR_S, first, last, tz=tz, columns=READ),
        queries.rollups(conn, [sid], QUARTER_S, last, period.end_ts, tz=tz, columns=READ),
    ]
    frame = resolve.scaled_frame(pd.concat(parts, ignore_index=True), [target])
    spans = np.repeat([0.25, 1.0, 0.25], [len(p) for p in parts])
    start = frame["bucket"].to_numpy(np.int64)
    peak_of = None
    if window_s == QUARTER_S:
        peak_of = _quarter_peaks(conn.engine, target, start, (spans * HOUR_S).astype(np.int64))
    return Hours(
        start, frame["sum"].to_numpy(np.float64), frame["n"].to_numpy(np.int64), spans, peak_of
    )


def _whole_hours(start: int, end: int, tz: str) -> tuple[int | None, int | None]:
    """The first and last local hour boundaries in [start, end], when every local hour between
    them is one hour of constant UTC offset (each quarter-hour of it on the same wall-clock
    hour as its start); else (None, None)."""
    edges = utc_offsets(np.array([start, end], dtype=np.int64), tz)
    first = start + (-(start + int(edges[0]))) % HOUR_S
    last = end - (end + int(edges[1])) % HOUR_S
    if last <= first:
        return None, None
    hours = np.arange(first, last, HOUR_S, dtype=np.int64)
    # Each hour's four quarter-hour starts and its last second: one offset in all five.
    probes = (hours[:, None] + np.array([0, 900, 1800, 2700, 3599])).reshape(-1)
    offsets = utc_offsets(probes, tz).reshape(-1, 5)
    steady = bool(np.all(offsets == offsets[:, :1]))
    on_the_hour = bool(np.all((hours + offsets[:, 0]) % HOUR_S == 0))
    return (first, last) if steady and on_the_hour else (None, None)


def _quarter_peaks(
    engine: Engine, target: resolve.Target, start: IntArray, span: IntArray
) -> PeakOf:
    """The highest quarter-hour kW of each group of rows, from the store's maxima over the runs
    of consecutive rows of one group (a month priced by one tariff is one run or a few)."""

    def peaks(label: IntArray) -> dict[int, float]:
        cut = np.flatnonzero(np.diff(label)) + 1
        firsts = np.r_[0, cut]
        lasts = np.r_[cut, len(label)] - 1
        ends = start[lasts] + span[lasts]
        ranges = list(zip(start[firsts].tolist(), ends.tolist(), strict=True))
        with engine.connect() as conn:
            highest = _maxima(conn, target.series.id, ranges)
        out: dict[int, float] = {}
        for key, top in zip(label[firsts].tolist(), highest, strict=True):
            # As the quarter-hours' kW: stored energy x the meter's factor / a quarter-hour.
            out[key] = max(out.get(key, -np.inf), top * target.factor / 0.25)
        return out

    return peaks


def _maxima(conn: Connection, series_id: int, ranges: Sequence[tuple[int, int]]) -> list[float]:
    """The highest quarter-hour energy stored in each [lo, hi) range of one series."""
    found: dict[int, float] = {}
    for at in range(0, len(ranges), RUNS_PER_STATEMENT):
        chunk = ranges[at : at + RUNS_PER_STATEMENT]
        parts = [
            select(literal(at + i).label("run"), func.max(Rollup.sum)).where(
                Rollup.series_id == series_id,
                Rollup.grain == QUARTER_S,
                Rollup.bucket >= lo,
                Rollup.bucket < hi,
            )
            for i, (lo, hi) in enumerate(chunk)
        ]
        statement = parts[0] if len(parts) == 1 else union_all(*parts)
        found |= {int(run): float(top) for run, top in conn.execute(statement) if top is not None}
    return [found.get(i, -np.inf) for i in range(len(ranges))]
