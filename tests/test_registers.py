"""Registers to interval amounts: resets, rollovers, swaps, spikes, small falls, and streaming."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.registers import (
    IssueKind,
    RegisterResult,
    RegisterState,
    RegisterTracker,
    registers_to_intervals,
)

STEP = 900  # seconds between readings


def run(readings: list[float], rollover_at: float | None = None) -> RegisterResult:
    ts = np.arange(len(readings), dtype=np.int64) * STEP
    return registers_to_intervals(ts, np.array(readings, dtype=float), rollover_at=rollover_at)


def intervals(result: RegisterResult) -> dict[int, float]:
    """Interval amounts by the index of the reading that starts them."""
    return {t // STEP: v for t, v in zip(result.ts.tolist(), result.values.tolist(), strict=True)}


def kinds(result: RegisterResult) -> list[tuple[str, int]]:
    return [(str(i.kind), i.ts // STEP) for i in result.issues]


def test_rises_become_differences_stamped_at_the_interval_start() -> None:
    result = run([100.0, 101.5, 104.0, 104.0])
    assert result.ts.tolist() == [0, 900, 1800]
    assert result.values.tolist() == [1.5, 2.5, 0.0]
    assert result.issues == []
    assert result.state is not None
    assert (result.state.ts, result.state.baseline, result.state.reading) == (2700, 104.0, 104.0)


def test_no_readings_and_one_reading_give_no_interval() -> None:
    empty = run([])
    assert len(empty.ts) == 0 and empty.state is None
    single = run([42.0])
    assert len(single.values) == 0 and single.state == RegisterState.start(0, 42.0)


def test_a_reset_counts_from_zero() -> None:
    result = run([5_000, 5_010, 5_020, 5_030, 3, 13])
    assert intervals(result) == {0: 10, 1: 10, 2: 10, 3: 3, 4: 10}
    (issue,) = result.issues
    assert (issue.kind, issue.ts, issue.before, issue.after) == ("reset", 4 * STEP, 5_030, 3)
    assert issue.message == "register went from 5030 to 3: was reset; counting from zero"


def test_a_rollover_on_a_five_digit_display() -> None:
    result = run([99_950, 99_960, 99_970, 99_980, 99_990, 99_998, 3, 13])
    # 99,998 -> 100,000 is 2, then 0 -> 3 is 3.
    assert intervals(result) == {0: 10, 1: 10, 2: 10, 3: 10, 4: 8, 5: 5, 6: 10}
    assert kinds(result) == [("rollover", 6)]
    assert "rolled over at 100000" in result.issues[0].message


def test_a_rollover_at_a_given_limit() -> None:
    readings: list[float] = [65_490, 65_500, 65_510, 65_520, 65_530, 4]
    assert intervals(run(readings, rollover_at=65_536))[4] == 10  # 65,536 - 65,530 + 4
    # Without the limit the fall to near zero reads as a reset: only the 4 after it count.
    without = run(readings)
    assert intervals(without)[4] == 4 and kinds(without) == [("reset", 5)]


def test_a_meter_swap_leaves_its_interval_out_and_never_goes_negative() -> None:
    result = run([1_000, 1_010, 1_020, 1_030, 400, 410])
    assert intervals(result) == {0: 10, 1: 10, 2: 10, 4: 10}
    assert kinds(result) == [("meter_swap", 4)]
    assert (result.values >= 0).all()


def test_a_spike_and_its_fall_back_are_left_out() -> None:
    result = run([0, 10, 20, 30, 40, 50, 5_000, 60, 70])
    assert intervals(result) == {0: 10, 1: 10, 2: 10, 3: 10, 4: 10, 7: 10}
    assert kinds(result) == [("spike", 6), ("spike", 7)]
    assert "over 50 times its usual step of 10" in result.issues[0].message


def test_a_jump_that_stays_is_a_new_meter_and_a_steady_climb_a_new_level() -> None:
    swapped = run([0, 10, 20, 30, 40, 10_000, 10_010, 10_020])
    assert intervals(swapped) == {0: 10, 1: 10, 2: 10, 3: 10, 5: 10, 6: 10}
    assert kinds(swapped) == [("spike", 5)]
    starting = run([0, 0.1, 0.2, 0.3, 0.4, 0.5, 20.5, 40.5, 60.5])
    assert intervals(starting)[6] == pytest.approx(20) and intervals(starting)[7] == pytest.approx(
        20
    )
    assert kinds(starting) == [("spike", 6)]  # only the first running interval


def test_the_first_steps_are_never_spikes() -> None:
    result = run([0, 1, 1_000, 1_001])
    assert intervals(result) == {0: 1, 1: 999, 2: 1} and result.issues == []


def test_a_small_decrease_counts_nothing_until_the_register_climbs_back() -> None:
    result = run([1_000, 1_010, 1_020, 1_030, 1_025, 1_028, 1_040])
    assert intervals(result) == {0: 10, 1: 10, 2: 10, 3: 0, 4: 0, 5: 10}
    assert kinds(result) == [("decrease", 4)]  # reported once per hold
    assert sum(intervals(result).values()) == 1_040 - 1_000


def test_a_fall_below_zero_is_never_a_reset_with_a_negative_amount() -> None:
    # An export register counting down, then a glitch: -4 -> -20 and 8 -> -1 are no resets.
    below = run([-10, -8, -6, -4, -20, -18])
    assert intervals(below) == {0: 2, 1: 2, 2: 2, 4: 2} and kinds(below) == [("meter_swap", 4)]
    crossing = run([5, 6, 7, 8, -1, 0])
    assert intervals(crossing) == {0: 1, 1: 1, 2: 1, 4: 1}
    assert kinds(crossing) == [("meter_swap", 4)]
    # 94 is in the top tenth of a 2-digit display, but a display wraps to 0, never to -8.
    wrapped = run([500, 500, 500, 94, -8])
    assert intervals(wrapped) == {0: 0, 1: 0} and kinds(wrapped) == [
        ("meter_swap", 3),
        ("meter_swap", 4),
    ]


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="strictly increasing time order"):
        registers_to_intervals(np.array([0, 900, 900]), np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="finite"):
        registers_to_intervals(np.array([0, 900]), np.array([1.0, math.nan]))
    with pytest.raises(ValueError, match="same length"):
        registers_to_intervals(np.array([0, 900]), np.array([1.0]))
    with pytest.raises(ValueError, match="strictly increasing"):
        registers_to_intervals(np.array([900]), np.array([1.0]), previous=(900, 0.5))


# ------------------------------------------------------------------------------ continuing


def test_previous_continues_from_a_stored_reading() -> None:
    result = registers_to_intervals(
        np.array([900, 1800]), np.array([105.0, 111.0]), previous=(0, 100.0)
    )
    assert result.ts.tolist() == [0, 900] and result.values.tolist() == [5.0, 6.0]


def test_two_calls_chained_by_state_equal_one_call() -> None:
    readings: list[float] = [0, 10, 20, 30, 40, 50, 5_000, 60, 70, 65, 69, 80, 2, 12]
    whole = run(readings)
    ts = np.arange(len(readings), dtype=np.int64) * STEP
    for cut in range(1, len(readings)):
        first = registers_to_intervals(ts[:cut], np.array(readings[:cut], dtype=float))
        second = registers_to_intervals(
            ts[cut:], np.array(readings[cut:], dtype=float), previous=first.state
        )
        assert np.concatenate([first.ts, second.ts]).tolist() == whole.ts.tolist()
        assert np.concatenate([first.values, second.values]).tolist() == whole.values.tolist()
        assert first.issues + second.issues == whole.issues


def test_tracker_streams_one_reading_at_a_time() -> None:
    tracker = RegisterTracker()
    assert tracker.push(0, 100.0) is None
    assert tracker.push(900, 104.0) == (0, 4.0, None)
    assert tracker.push(900, 104.0) is None  # a redelivery counts nothing twice
    assert tracker.push(600, 103.0) is None  # nor does a late, older reading
    start, amount, issue = tracker.push(1800, 1.0) or (0, 0.0, None)
    assert (start, amount) == (900, 1.0) and issue is not None and issue.kind is IssueKind.RESET
    assert tracker.last == (1800, 1.0)


def test_tracker_restarts_from_a_persisted_reading() -> None:
    tracker = RegisterTracker()
    tracker.last = (900, 250.0)  # as kept in the store by the ingestor
    assert tracker.push(1800, 262.5) == (900, 12.5, None)


def test_tracker_reports_unknown_intervals_as_nan() -> None:
    tracker = RegisterTracker()
    for i, reading in enumerate([1_000, 1_010, 1_020, 1_030]):
        tracker.push(i * STEP, reading)
    start, amount, issue = tracker.push(4 * STEP, 400.0) or (0, 0.0, None)
    assert start == 3 * STEP and math.isnan(amount)
    assert issue is not None and issue.kind == "meter_swap"


# ------------------------------------------------------------------------------ properties

rises = st.lists(
    st.floats(0, 1_000, allow_nan=False, allow_infinity=False), min_size=1, max_size=80
)


@settings(max_examples=80, deadline=None)
@given(rises, st.floats(0, 1e6))
def test_a_rising_register_sums_to_last_minus_first(steps: list[float], start: float) -> None:
    readings = np.cumsum([start, *steps])
    result = run(readings.tolist())
    skipped = sum(i.after - i.before for i in result.issues)
    assert all(i.kind == "spike" for i in result.issues)  # a rising register has no other issue
    assert result.values.sum() + skipped == pytest.approx(readings[-1] - readings[0], abs=1e-6)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(1, 40, allow_nan=False), min_size=1, max_size=80))
def test_steady_use_has_no_issues_and_loses_nothing(steps: list[float]) -> None:
    readings = np.cumsum([1_000.0, *steps])
    result = run(readings.tolist())
    assert result.issues == [] and len(result.values) == len(steps)
    assert result.values.sum() == pytest.approx(readings[-1] - readings[0])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-2_000, 2_000, allow_nan=False), min_size=2, max_size=150))
def test_a_stream_gives_the_same_intervals_as_one_call(steps: list[float]) -> None:
    readings = np.cumsum([500.0, *steps])  # rises, falls, resets, spikes, below zero and all
    batch = run(readings.tolist())
    tracker = RegisterTracker()
    streamed = [tracker.push(i * STEP, float(r)) for i, r in enumerate(readings)]
    kept = [(s[0], s[1]) for s in streamed if s is not None and not math.isnan(s[1])]
    assert kept == list(zip(batch.ts.tolist(), batch.values.tolist(), strict=True))
    issues = [s[2] for s in streamed if s is not None and s[2] is not None]
    assert issues == batch.issues
    assert all(v >= 0 for _, v in kept)
