"""Cumulative registers to interval amounts, with resets, rollovers and meter swaps detected.

Many meters report a register (total kWh since installation). The interval amount is the
difference between consecutive readings, stamped at the earlier reading. Drops and jumps are
classified rather than stored as huge negative or positive intervals:

- reset: the register drops to near zero (below 1 % of the previous reading, or below one
  typical interval); the interval's amount is the new reading, counted from zero;
- rollover: the register was within 10 % of its limit (`rollover_at`, or else the next power of
  ten) and wraps to a small value; the amount is limit - before + after;
- meter_swap: any other drop; the interval is unknown and skipped;
- spike: a rise above 50 times the median positive difference (with at least 10 differences to
  judge by); skipped and reported, since it is almost always a bad read or a swap to a meter that
  starts high.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

SPIKE_FACTOR = 50.0
MIN_HISTORY_FOR_SPIKES = 10


@dataclass(frozen=True)
class RegisterIssue:
    kind: str  # reset, rollover, meter_swap, spike
    ts: int
    before: float
    after: float
    message: str


@dataclass
class RegisterResult:
    ts: npt.NDArray[np.int64]  # interval starts
    values: npt.NDArray[np.float64]  # interval amounts
    issues: list[RegisterIssue] = field(default_factory=list)


def _limit(before: float, rollover_at: float | None) -> float:
    if rollover_at is not None:
        return rollover_at
    return float(10 ** math.ceil(math.log10(max(before, 1.0) + 1)))


def _classify(
    before: float, after: float, typical: float, rollover_at: float | None
) -> tuple[str, float | None]:
    limit = _limit(before, rollover_at)
    if before >= 0.9 * limit and after < 0.1 * limit:
        return "rollover", limit - before + after
    if after <= max(0.01 * before, typical):
        return "reset", after
    return "meter_swap", None


def registers_to_intervals(
    ts: npt.NDArray[np.int64],
    reading: npt.NDArray[np.float64],
    *,
    previous: tuple[int, float] | None = None,
    rollover_at: float | None = None,
) -> RegisterResult:
    """Interval amounts from register readings sorted by time.

    `previous` is the last register reading already processed (a stream continuing), so the
    first new reading yields an interval too.
    """
    ts = np.asarray(ts, dtype=np.int64)
    reading = np.asarray(reading, dtype=np.float64)
    if previous is not None:
        ts = np.concatenate([[previous[0]], ts])
        reading = np.concatenate([[previous[1]], reading])
    if len(ts) < 2:
        return RegisterResult(np.zeros(0, np.int64), np.zeros(0, np.float64))
    diffs = np.diff(reading)
    positive = diffs[diffs > 0]
    typical = float(np.median(positive)) if len(positive) else 0.0
    keep = np.ones(len(diffs), dtype=bool)
    values = diffs.copy()
    issues: list[RegisterIssue] = []
    for i in np.flatnonzero(diffs < 0):
        before, after = float(reading[i]), float(reading[i + 1])
        kind, amount = _classify(before, after, typical, rollover_at)
        issues.append(_issue(kind, int(ts[i + 1]), before, after))
        if amount is None:
            keep[i] = False
        else:
            values[i] = amount
    if len(positive) >= MIN_HISTORY_FOR_SPIKES and typical > 0:
        for i in np.flatnonzero(diffs > SPIKE_FACTOR * typical):
            keep[i] = False
            issues.append(_issue("spike", int(ts[i + 1]), float(reading[i]), float(reading[i + 1])))
    return RegisterResult(ts[:-1][keep], values[keep], sorted(issues, key=lambda x: x.ts))


def _issue(kind: str, ts: int, before: float, after: float) -> RegisterIssue:
    text = {
        "reset": "register reset to zero; counting on from the new reading",
        "rollover": "register rolled over; the interval counts through the wrap",
        "meter_swap": "register dropped (meter swapped?); that interval is left out",
        "spike": "register jumped far above its usual step; that interval is left out",
    }[kind]
    return RegisterIssue(kind, ts, before, after, f"{text} ({before:g} -> {after:g})")


class RegisterTracker:
    """Streams register readings one at a time, remembering the last one (for MQTT ingest)."""

    def __init__(self, rollover_at: float | None = None, history: int = 96) -> None:
        self.rollover_at = rollover_at
        self.last: tuple[int, float] | None = None
        self._steps: list[float] = []
        self._history = history

    def push(self, ts: int, reading: float) -> tuple[int, float, RegisterIssue | None] | None:
        """Feed one reading; returns (interval start, amount, issue), or None before the second.

        An amount of NaN means the interval is unknown (swap, spike) and must not be stored.
        """
        if self.last is not None and ts <= self.last[0]:
            return None  # redelivered or out of order: the stored interval already covers it
        previous = self.last
        self.last = (ts, reading)
        if previous is None:
            return None
        step = reading - previous[1]
        typical = float(np.median([s for s in self._steps if s > 0])) if self._steps else 0.0
        if step < 0:
            kind, amount = _classify(previous[1], reading, typical, self.rollover_at)
            issue = _issue(kind, ts, previous[1], reading)
            return (previous[0], math.nan if amount is None else amount, issue)
        judged = len(self._steps) >= MIN_HISTORY_FOR_SPIKES and typical > 0
        if judged and step > SPIKE_FACTOR * typical:
            return (previous[0], math.nan, _issue("spike", ts, previous[1], reading))
        self._steps = [*self._steps[-self._history + 1 :], step]
        return (previous[0], step, None)
