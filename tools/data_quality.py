"""Data-quality findings in a meter's readings, at its own interval: outages (runs of its
reading times with nothing), stuck readings and negative readings, as plain records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from common.intervals import DAY_S
from tools.events import EventKind
from tools.grain import local_grid, on_grid

Level = Literal["warning", "critical"]
Finding = tuple[EventKind, int, int, Level]  # kind, start, end (epoch s), severity
IntArray = npt.NDArray[np.int64]
STUCK_READINGS = 12  # identical non-zero readings in a row where the meter usually varies
STUCK_HISTORY_DAYS = 7  # days of readings before a run that say whether its times usually vary
OUTAGE_S = 3600  # gaps shorter than this (or than one reading) are not outages


def _runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    edges = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _positions(buckets: IntArray, lo: int, end: int, step: int, tz: str) -> IntArray:
    """Each reading's place on the meter's local grid of reading times from `lo`."""
    grid = local_grid(lo, end + step, step, tz)
    return np.asarray(np.searchsorted(grid, on_grid(buckets, step, tz)), dtype=np.int64)


def _slots(buckets: IntArray, step: int, tz: str) -> IntArray:
    """Time of day of each reading, in steps (all 0 for daily readings)."""
    if step >= DAY_S:
        return np.zeros(len(buckets), dtype=np.int64)
    local = pd.DatetimeIndex(pd.to_datetime(buckets, unit="s", utc=True)).tz_convert(tz)
    return np.asarray((local.hour * 3600 + local.minute * 60) // step, dtype=np.int64)


def quality_findings(
    frame: pd.DataFrame, lo: int, end: int, tz: str, step: int = 900, *, stuck: bool = True
) -> list[Finding]:
    """Gaps of an hour (and at least a reading) or more, stuck readings and negative readings
    from `lo` to `end` in readings `step` seconds apart; readings before `lo` in `frame` (a
    rollup frame: bucket, sum) only say how the meter usually reads. `stuck` is off for values
    that repeat by design (bills spread over their days)."""
    out: list[Finding] = []
    recent = frame[frame["bucket"] >= lo]
    buckets = recent["bucket"].to_numpy(np.int64)
    grid = local_grid(lo, end, step, tz)
    missing = ~np.isin(grid, on_grid(buckets, step, tz))
    ends = np.r_[grid[1:], end]
    for a, b in _runs(missing):
        start, stop = int(grid[a]), int(ends[b - 1])
        if stop - start >= max(OUTAGE_S, step):
            level: Level = "critical" if stop - start >= max(DAY_S, 2 * step) else "warning"
            out.append(("meter_outage", start, stop, level))
    values = recent["sum"].to_numpy(float)
    if stuck and len(buckets):
        at = _positions(buckets, lo, end, step, tz)
        same = np.r_[False, (np.diff(values) == 0) & (values[1:] != 0) & (np.diff(at) == 1)]
        varying = _usually_varies(frame, tz, step)
        for a, b in _runs(same):
            run = buckets[a - 1 : b]
            if len(run) >= STUCK_READINGS and varying(run, int(run[0])) >= STUCK_READINGS:
                out.append(("stuck_meter", int(run[0]), int(run[-1]) + step, "warning"))
    for a, b in _runs(values < 0):
        out.append(("negative_values", int(buckets[a]), int(buckets[b - 1]) + step, "warning"))
    return out


def _usually_varies(frame: pd.DataFrame, tz: str, step: int) -> Callable[[IntArray, int], int]:
    """A counter of the readings of a run at times of day when the meter's reading usually
    changes from one reading to the next (on most of the days before the run).

    A stuck register repeats itself where the load would move; a meter that reads the same
    (nothing running at night, a constant load) is not stuck. Without a week of readings
    before the run every reading counts."""
    buckets = frame["bucket"].to_numpy(np.int64)
    values = frame["sum"].to_numpy(float)
    per_day = max(DAY_S // step, 1)
    slots = _slots(buckets, step, tz)
    first = int(buckets[0]) if len(buckets) else 0
    at = _positions(buckets, first, int(buckets[-1]) + step if len(buckets) else 0, step, tz)
    known = np.r_[False, np.diff(at) == 1]
    moved = known & np.r_[False, np.diff(values) != 0]

    def count(run: IntArray, before: int) -> int:
        past = known & (buckets < before)
        if past.sum() < STUCK_HISTORY_DAYS * per_day:
            return len(run)
        share = np.bincount(slots[past & moved], minlength=per_day) / np.maximum(
            np.bincount(slots[past], minlength=per_day), 1
        )
        return int((share[_slots(run, step, tz)] > 0.5).sum())

    return count
