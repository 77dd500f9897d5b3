"""Cumulative register readings turned into interval amounts, with resets and swaps detected.

Many meters report a register: the total kWh (or m3, or pieces) since installation. The amount of
an interval is the difference between two consecutive readings, stamped at the earlier one (the
interval's start). Each step is judged against the series' typical step, the median of the last
`HISTORY` rises before it. Every step that is not a plain rise is classified and reported as a
`RegisterIssue`, never stored as a huge negative or positive interval:

- spike: a rise of more than `SPIKE_FACTOR` times both the typical step and the step before
  it, judged once `MIN_HISTORY` rises are known (so never the first steps). Almost always a bad
  read, or a new meter that starts high; the interval is left out. If the next reading falls
  back between the reading before the spike and the spike, that fall belongs to the same glitch
  and is left out too. Steady high rises after it are a new level of use and count, so a machine
  that idled at under 1/50 of its running use for a day loses only its first running interval.
- rollover: the register stood in the top tenth of its range (`rollover_at`, else the power of
  ten above the reading: 99,998 on a 5-digit display wraps at 100,000), lands in the bottom
  tenth, and the wrapped amount is no spike. Amount: limit - before + after. Binary registers
  (65,535) need `rollover_at`.
- reset: the register falls to near zero, at most `RESET_FRACTION` of the reading before (or at
  most one typical step, when the fall is larger than that), but not below zero. Amount: the new
  reading, counted from zero; so no interval amount is ever negative.
- decrease: a small fall, at most one typical step (before any rise is known, at most
  `JITTER_FRACTION` of the reading): jitter in a scaled register or a corrected estimate. The
  interval counts 0, and later intervals count from the higher reading until the register climbs
  past it, so a wobble never inflates the total. Only the first fall of such a hold is reported.
- meter_swap: any other fall. The interval is unknown and left out; counting goes on from the
  new reading.

The function is pure over numpy arrays and hands back its state (`RegisterState`), so a stream fed
one reading at a time (`RegisterTracker`) gets the same intervals as one call over the series.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
import pandas as pd

SPIKE_FACTOR = 50.0
MIN_HISTORY = 4
HISTORY = 96  # one day of 15-minute readings: the typical step follows the seasons
ROLLOVER_NEAR = 0.9
RESET_FRACTION = 0.01
JITTER_FRACTION = 1e-4

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class IssueKind(StrEnum):
    RESET = "reset"
    ROLLOVER = "rollover"
    METER_SWAP = "meter_swap"
    DECREASE = "decrease"
    SPIKE = "spike"


@dataclass(frozen=True)
class RegisterIssue:
    """A step that was not a plain rise; `ts` is the time of the reading after it."""

    kind: IssueKind
    ts: int
    before: float
    after: float
    message: str


@dataclass(frozen=True)
class RegisterState:
    """Where a series stands after its last reading, to continue it exactly in a later call.

    `baseline` is the register value the next interval counts from: the last reading, or the
    higher reading a small decrease is held at. `spiked_from` is the baseline before the spike
    the last step was, if it was one; `history` holds the recent rises the typical step comes
    from.
    """

    ts: int
    baseline: float
    reading: float
    step: float = 0.0  # the last change of the register, whatever it was classified as
    spiked_from: float | None = None
    history: tuple[float, ...] = ()

    @classmethod
    def start(cls, ts: int, reading: float) -> RegisterState:
        return cls(int(ts), float(reading), float(reading))


@dataclass
class RegisterResult:
    ts: IntArray  # interval starts: the time of the reading before each interval
    values: FloatArray  # interval amounts, in the register's unit
    issues: list[RegisterIssue]
    state: RegisterState | None  # pass as `previous` to continue; None when there was no reading


def registers_to_intervals(
    ts: npt.ArrayLike,
    reading: npt.ArrayLike,
    *,
    previous: tuple[int, float] | RegisterState | None = None,
    rollover_at: float | None = None,
) -> RegisterResult:
    """Interval amounts from register readings in strictly increasing time order.

    `previous` continues a series: the last register reading already processed as (ts, value),
    such as the one kept in the store, or the `state` a previous call returned (which also
    carries the typical step and an unfinished hold or spike).
    Raises ValueError for arrays of different lengths, readings out of time order or not finite.
    """
    times = np.asarray(ts, dtype=np.int64)
    values = np.asarray(reading, dtype=np.float64)
    _check_input(times, values, previous)
    state = RegisterState.start(*previous) if isinstance(previous, tuple) else previous
    if state is not None:
        times = np.concatenate([[state.ts], times])
        values = np.concatenate([[state.reading], values])
    if len(times) == 0:
        return RegisterResult(np.zeros(0, np.int64), np.zeros(0, np.float64), [], None)
    if state is None:
        state = RegisterState.start(int(times[0]), float(values[0]))
    steps = np.diff(values)
    typical, spike_at, history = _typical_steps(state.history, steps, state.step)
    walk = _Walk(state, rollover_at)
    amounts, keep, first_slow = _fast_path(steps, spike_at, state)
    if first_slow > 0:
        walk.baseline = walk.last = float(values[first_slow])
    for i in range(first_slow, len(steps)):
        amount = walk.step(
            int(times[i + 1]), float(values[i + 1]), float(typical[i]), float(spike_at[i])
        )
        keep[i] = amount is not None
        amounts[i] = 0.0 if amount is None else amount
    if first_slow == len(steps) and len(steps):
        walk.baseline = float(values[-1])
    step = float(steps[-1]) if len(steps) else state.step
    end = RegisterState(
        int(times[-1]), walk.baseline, float(values[-1]), step, walk.spiked_from, history
    )
    return RegisterResult(times[:-1][keep], amounts[keep], walk.issues, end)


def _check_input(
    times: IntArray, values: FloatArray, previous: tuple[int, float] | RegisterState | None
) -> None:
    if times.shape != values.shape or times.ndim != 1:
        raise ValueError("ts and reading must be one-dimensional arrays of the same length")
    if not np.isfinite(values).all():
        raise ValueError("register readings must be finite numbers")
    start = previous.ts if isinstance(previous, RegisterState) else None
    if isinstance(previous, tuple):
        start = int(previous[0])
    if len(times) and ((np.diff(times) <= 0).any() or (start is not None and times[0] <= start)):
        raise ValueError("register readings must be in strictly increasing time order")


def _typical_steps(
    history: tuple[float, ...], steps: FloatArray, last_step: float
) -> tuple[FloatArray, FloatArray, tuple[float, ...]]:
    """Before each step: the typical step (NaN before any rise) and the rise that makes a spike
    (infinite until MIN_HISTORY rises are known); and the history to carry on."""
    rising = steps > 0
    pool = np.concatenate([np.asarray(history, dtype=np.float64), steps[rising]])
    seen_before = len(history) + np.cumsum(rising) - rising  # rises before each step
    known = seen_before >= 1
    typical = np.full(len(steps), np.nan)
    if len(steps) <= 64:
        # A stream's single reading: a direct median, without the cost of a rolling window.
        typical[known] = [np.median(pool[max(0, k - HISTORY) : k]) for k in seen_before[known]]
    elif known.any():
        window = pd.Series(pool).rolling(HISTORY, min_periods=1)
        typical[known] = window.median().to_numpy(np.float64)[seen_before[known] - 1]
    step_before = np.concatenate([[last_step], steps[:-1]])
    reference = np.maximum(typical, step_before)  # a steady climb is no spike, however steep
    spike_at = np.where(seen_before >= MIN_HISTORY, SPIKE_FACTOR * reference, np.inf)
    return typical, spike_at, tuple(float(x) for x in pool[-HISTORY:])


def _fast_path(
    steps: FloatArray, spike_at: FloatArray, state: RegisterState
) -> tuple[FloatArray, npt.NDArray[np.bool_], int]:
    """Plain rises need no state: take them as they are, up to the first unusual step."""
    amounts = steps.copy()
    keep = np.ones(len(steps), dtype=bool)
    unusual = (steps < 0) | (steps > spike_at)
    pending = state.baseline != state.reading or state.spiked_from is not None
    first = 0 if pending else int(np.argmax(unusual)) if unusual.any() else len(steps)
    return amounts, keep, first


class _Walk:
    """The step-by-step rules, for the stretch of a series after its first unusual step."""

    def __init__(self, state: RegisterState, rollover_at: float | None) -> None:
        self.baseline = state.baseline
        self.last = state.reading
        self.spiked_from = state.spiked_from
        self.rollover_at = rollover_at
        self.issues: list[RegisterIssue] = []

    def step(self, ts: int, reading: float, typical: float, spike_at: float) -> float | None:
        """The interval amount up to this reading, or None when it is unknown."""
        before, held, spiked_from = self.baseline, self.baseline > self.last, self.spiked_from
        self.last, self.spiked_from = reading, None
        if reading >= before:
            if reading - before > spike_at:
                self.spiked_from, self.baseline = before, reading
                self._report(IssueKind.SPIKE, ts, before, reading, _spike_text(typical))
                return None
            self.baseline = reading
            return reading - before
        if spiked_from is not None and reading >= spiked_from:
            self.baseline = reading
            self._report(IssueKind.SPIKE, ts, before, reading, "fell back after a spike")
            return None
        return self._fall(ts, before, reading, typical, held)

    def _fall(
        self, ts: int, before: float, after: float, typical: float, held: bool
    ) -> float | None:
        limit = self.rollover_at or _power_of_ten_above(before)
        wrapped = limit - before + after
        no_history = math.isnan(typical)
        if (
            before >= ROLLOVER_NEAR * limit
            and 0 <= after < (1 - ROLLOVER_NEAR) * limit  # a display wraps to 0, not below
            and (no_history or wrapped <= SPIKE_FACTOR * typical)
        ):
            self.baseline = after
            self._report(IssueKind.ROLLOVER, ts, before, after, f"rolled over at {_num(limit)}")
            return wrapped
        tolerance = JITTER_FRACTION * abs(before) if no_history else typical
        # A reset counts the new reading from zero, so it must be one: a fall to a negative
        # reading (an export register, a glitch) is never a reset, or its amount would be < 0.
        near_zero = 0 <= after <= RESET_FRACTION * before
        if not near_zero and before - after <= tolerance:
            if not held:
                self._report(IssueKind.DECREASE, ts, before, after, _DECREASE_TEXT)
            return 0.0  # held: later intervals count from `before` again
        self.baseline = after
        if near_zero or (not no_history and 0 <= after <= typical):
            self._report(IssueKind.RESET, ts, before, after, "was reset; counting from zero")
            return after
        self._report(IssueKind.METER_SWAP, ts, before, after, _SWAP_TEXT)
        return None

    def _report(self, kind: IssueKind, ts: int, before: float, after: float, text: str) -> None:
        sentence = f"register went from {_num(before)} to {_num(after)}: {text}"
        self.issues.append(RegisterIssue(kind, ts, before, after, sentence))


_DECREASE_TEXT = (
    "a small fall (jitter or a corrected estimate), counted as no use until it climbs back"
)
_SWAP_TEXT = "a fall that is neither a reset nor a rollover (meter swapped?); interval left out"


def _spike_text(typical: float) -> str:
    return (
        f"a jump of over {SPIKE_FACTOR:g} times its usual step of {_num(typical)} "
        "(bad read or meter swap?); interval left out"
    )


def _power_of_ten_above(value: float) -> float:
    """The wrap point of a decimal display showing `value` (99,998 -> 100,000)."""
    if value <= 0:
        return math.inf
    return float(10 ** (math.floor(math.log10(value)) + 1))


def _num(value: float) -> str:
    return f"{value:.10g}"


class RegisterTracker:
    """Register readings of one series fed one at a time (the MQTT ingestor), on the same rules.

    `last` is what to persist between runs: the last reading's time and the register value the
    next interval counts from; assigning it continues a stream after a restart.
    """

    def __init__(self, rollover_at: float | None = None) -> None:
        self.rollover_at = rollover_at
        self.state: RegisterState | None = None

    @property
    def last(self) -> tuple[int, float] | None:
        return None if self.state is None else (self.state.ts, self.state.baseline)

    @last.setter
    def last(self, value: tuple[int, float] | None) -> None:
        self.state = None if value is None else RegisterState.start(*value)

    def push(self, ts: int, reading: float) -> tuple[int, float, RegisterIssue | None] | None:
        """Feed one reading; returns (interval start, amount, issue), or None when there is none.

        None for the first reading and for a reading not newer than the last one (a redelivery:
        the interval it closes was already counted). An amount of NaN means the interval is
        unknown (meter swap, spike) and must not be stored.
        """
        if self.state is None:
            self.state = RegisterState.start(ts, reading)
            return None
        if ts <= self.state.ts:
            return None
        start = self.state.ts
        result = registers_to_intervals(
            [ts], [reading], previous=self.state, rollover_at=self.rollover_at
        )
        self.state = result.state
        issue = result.issues[0] if result.issues else None
        amount = float(result.values[0]) if len(result.values) else math.nan
        return (start, amount, issue)
