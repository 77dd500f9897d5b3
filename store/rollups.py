"""Bucketing and aggregation of readings into 15-minute, hourly and daily rollups in local time.

Pure numpy over epoch seconds: the write path calls it on the rows of the buckets a write touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from common.timeutil import zone
from store.schema import GRAIN_DAY

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Aggregates:
    """Per-bucket aggregates, one entry per bucket that holds at least one reading."""

    bucket: IntArray
    n: IntArray
    sum: FloatArray
    min: FloatArray
    max: FloatArray

    def __len__(self) -> int:
        return len(self.bucket)


# Below this many instants a loop over zoneinfo beats pandas, whose fixed cost per call (about
# 0.3 ms) dominated the write path: a write asks for the offsets of a few bucket edges nine times.
PER_INSTANT_MAX = 256
# Up to this many instants the distinct ones are looked for first (a sort); longer arrays are
# one series' history (an import), whose instants are all distinct.
DISTINCT_MAX = 65_536


def utc_offsets(ts: IntArray, tz: str) -> IntArray:
    """Seconds east of UTC of the site's local time at each instant."""
    if len(ts) == 0:
        return np.zeros(0, dtype=np.int64)
    if PER_INSTANT_MAX < len(ts) <= DISTINCT_MAX:
        # Many series sampled at the same instants (a batch of a whole plant) share few
        # distinct times: their offsets are looked up once each.
        distinct, inverse = np.unique(ts, return_inverse=True)
        if len(distinct) < len(ts):
            return utc_offsets(distinct, tz)[inverse.reshape(-1)]
    if len(ts) <= PER_INSTANT_MAX:
        # The same tz database as pandas (zoneinfo), so both paths give the same offsets.
        info = zone(tz)
        offsets = [datetime.fromtimestamp(t, info).utcoffset() for t in np.asarray(ts).tolist()]
        return np.array([o.total_seconds() if o else 0 for o in offsets], dtype=np.int64)
    import pandas as pd  # only for long arrays; a short one needs no pandas

    moments = pd.DatetimeIndex(pd.to_datetime(ts, unit="s", utc=True)).tz_convert(tz)
    wall = moments.tz_localize(None).as_unit("s").asi8
    return np.asarray(wall - ts, dtype=np.int64)


@lru_cache(maxsize=4096)
def local_midnight(day_number: int, tz: str) -> int:
    """Epoch seconds of local midnight starting day `day_number` (days since 1970-01-01, local)."""
    day = date.fromordinal(date(1970, 1, 1).toordinal() + day_number)
    # A midnight that falls in a DST gap resolves to the first instant of that day (fold=0).
    return int(datetime.combine(day, time(0), tzinfo=zone(tz)).timestamp())


def bucket_starts(ts: IntArray, grain: int, tz: str) -> IntArray:
    """Start of the local bucket of `grain` seconds holding each instant, as epoch seconds."""
    offsets = utc_offsets(ts, tz)
    if grain != GRAIN_DAY:
        return np.asarray(ts - np.mod(ts + offsets, grain), dtype=np.int64)
    days = np.floor_divide(ts + offsets, GRAIN_DAY)
    unique_days, inverse = np.unique(days, return_inverse=True)
    midnights = np.array([local_midnight(int(d), tz) for d in unique_days], dtype=np.int64)
    return midnights[inverse]


def day_ends(ts: IntArray, tz: str) -> IntArray:
    """The local midnight ending the day of each instant: `day_range(t, t, tz)[1]` for many
    instants at once (a year of days costs one offset lookup, not three per day)."""
    ts = np.asarray(ts, dtype=np.int64)
    days = np.floor_divide(ts + utc_offsets(ts, tz), GRAIN_DAY)
    return np.array([local_midnight(int(d) + 1, tz) for d in days.tolist()], dtype=np.int64)


def day_range(lo: int, hi: int, tz: str) -> tuple[int, int]:
    """The local-midnight-aligned range covering [lo, hi]."""
    start = bucket_starts(np.array([lo], dtype=np.int64), GRAIN_DAY, tz)[0]
    last = bucket_starts(np.array([hi], dtype=np.int64), GRAIN_DAY, tz)[0]
    last_day = int(np.floor_divide(last + utc_offsets(np.array([last]), tz)[0], GRAIN_DAY))
    return int(start), local_midnight(last_day + 1, tz)


def aggregate(
    buckets: IntArray, n: IntArray, sums: FloatArray, mins: FloatArray, maxs: FloatArray
) -> Aggregates:
    """Combine rows (readings, or finer rollups) that share a bucket."""
    if len(buckets) == 0:
        empty_i = np.zeros(0, dtype=np.int64)
        empty_f = np.zeros(0, dtype=np.float64)
        return Aggregates(empty_i, empty_i, empty_f, empty_f, empty_f)
    order = np.argsort(buckets, kind="stable")
    b = buckets[order]
    starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    return Aggregates(
        bucket=b[starts],
        n=np.add.reduceat(n[order], starts),
        sum=np.add.reduceat(sums[order], starts),
        min=np.minimum.reduceat(mins[order], starts),
        max=np.maximum.reduceat(maxs[order], starts),
    )


def from_readings(ts: IntArray, values: FloatArray, grain: int, tz: str) -> Aggregates:
    ones = np.ones(len(ts), dtype=np.int64)
    return aggregate(bucket_starts(ts, grain, tz), ones, values, values, values)


def coarsen(finer: Aggregates, grain: int, tz: str) -> Aggregates:
    """Roll finer buckets up to a coarser grain (15 min to hour, hour to day)."""
    return aggregate(
        bucket_starts(finer.bucket, grain, tz), finer.n, finer.sum, finer.min, finer.max
    )


def concat(*parts: Aggregates) -> Aggregates:
    """Join aggregates of disjoint bucket ranges."""
    return Aggregates(
        bucket=np.concatenate([p.bucket for p in parts]),
        n=np.concatenate([p.n for p in parts]),
        sum=np.concatenate([p.sum for p in parts]),
        min=np.concatenate([p.min for p in parts]),
        max=np.concatenate([p.max for p in parts]),
    )
