"""Period expressions resolve to local calendar ranges, DST included, and bad ones say why."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tools.periods import InvalidPeriod, iso_times, resolve_period

TZ = "Europe/Berlin"
BERLIN = ZoneInfo(TZ)
NOW = datetime(2026, 11, 24, 10, 30, tzinfo=BERLIN)  # a Tuesday


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        # running periods end now: the hours still to come are no part of them
        ("today", local(2026, 11, 24), NOW),
        ("Yesterday", local(2026, 11, 23), local(2026, 11, 24)),
        ("this week", local(2026, 11, 23), NOW),
        ("this month", local(2026, 11, 1), NOW),
        ("this year", local(2026, 1, 1), NOW),
        ("last week", local(2026, 11, 16), local(2026, 11, 23)),
        ("last month", local(2026, 10, 1), local(2026, 11, 1)),
        ("this quarter", local(2026, 10, 1), NOW),
        ("last year", local(2025, 1, 1), local(2026, 1, 1)),
        ("2025-09", local(2025, 9, 1), local(2025, 10, 1)),
        ("2025-Q3", local(2025, 7, 1), local(2025, 10, 1)),
        ("2025-W36", local(2025, 9, 1), local(2025, 9, 8)),
        ("2025-09-05", local(2025, 9, 5), local(2025, 9, 6)),
        ("2025-09-05..2025-09-11", local(2025, 9, 5), local(2025, 9, 12)),
        ("2025-09..2025-11", local(2025, 9, 1), local(2025, 12, 1)),
        ("2025-Q1..2025-05-10", local(2025, 1, 1), local(2025, 5, 11)),
        ("2025-09-05T06:00..2025-09-05T14:00", local(2025, 9, 5, 6), local(2025, 9, 5, 14)),
        ("since 2026-11-01", local(2026, 11, 1), NOW),
        ("last 7 days", NOW - timedelta(days=7), NOW),
    ],
)
def test_expressions(text: str, start: datetime, end: datetime) -> None:
    period = resolve_period(text, NOW, TZ)
    assert (period.start, period.end) == (start, end)


def test_running_periods_count_only_elapsed_hours() -> None:
    # 10.5 hours of today, 34.5 of the week (Monday 00:00 to Tuesday 10:30) have passed
    assert resolve_period("today", NOW, TZ).hours == 10.5
    assert resolve_period("this week", NOW, TZ).hours == 24 + 10.5


def test_a_running_period_that_has_just_begun_says_so() -> None:
    monday_midnight = local(2026, 11, 23)
    with pytest.raises(InvalidPeriod, match="'this week' has only just begun"):
        resolve_period("this week", monday_midnight, TZ)
    assert resolve_period("this month", monday_midnight, TZ).end == monday_midnight


@pytest.mark.parametrize(
    ("text", "start"),
    [
        # named by its dates, not by "this": a period still running ends now all the same
        ("2026-11", local(2026, 11, 1)),
        ("2026", local(2026, 1, 1)),
        ("2026-Q4", local(2026, 10, 1)),
        ("2026-W48", local(2026, 11, 23)),
        ("2026-11-24", local(2026, 11, 24)),
        ("2026-11-01..2026-12-31", local(2026, 11, 1)),
        ("2026-11-20T06:00..2026-11-30T06:00", local(2026, 11, 20, 6)),
        ("2026-10..2026-12", local(2026, 10, 1)),
    ],
)
def test_a_period_named_by_its_dates_running_past_now_ends_now(text: str, start: datetime) -> None:
    period = resolve_period(text, NOW, TZ)
    assert (period.start, period.end, period.so_far) == (start, NOW, True)
    assert period.as_dict()["so_far"] == "yes"


def test_a_period_over_before_now_is_whole_and_not_so_far() -> None:
    period = resolve_period("2026-10", NOW, TZ)
    assert (period.end, period.so_far) == (local(2026, 11, 1), False)
    assert "so_far" not in period.as_dict()


@pytest.mark.parametrize("text", ["2026-12", "2027", "2026-11-25", "2026-12-01..2026-12-05"])
def test_a_period_that_has_not_begun_is_refused(text: str) -> None:
    with pytest.raises(InvalidPeriod, match="has not begun"):
        resolve_period(text, NOW, TZ)


def test_dst_days_have_local_lengths() -> None:
    assert resolve_period("2025-03-30", NOW, TZ).hours == 23
    assert resolve_period("2025-10-26", NOW, TZ).hours == 25
    assert resolve_period("2025-03", NOW, TZ).hours == 31 * 24 - 1


def test_now_in_another_zone_is_converted_to_the_site() -> None:
    late_utc = datetime(2026, 11, 23, 23, 30, tzinfo=ZoneInfo("UTC"))  # already the 24th in Berlin
    assert resolve_period("today", late_utc, TZ).start == local(2026, 11, 24)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("someday", "cannot read period 'someday'"),
        ("2025-13", "month must be in 1..12"),
        ("last 0 days", "at least 1"),
        ("2025-09-11..2025-09-05", "ends before it starts"),
        ("2025-09-01..garbage", "cannot read period"),
    ],
)
def test_bad_periods_say_what_is_wrong(text: str, reason: str) -> None:
    with pytest.raises(InvalidPeriod, match=reason):
        resolve_period(text, NOW, TZ)


@given(
    # Meter data's era: zones' older local mean times have offsets with seconds.
    st.lists(st.integers(0, 4_102_444_800), max_size=50),
    st.sampled_from(
        [
            "UTC",
            "Europe/Berlin",
            "Asia/Kolkata",
            "America/St_Johns",
            "America/Sao_Paulo",
            "Australia/Lord_Howe",
            "Pacific/Chatham",
        ]
    ),
)
def test_iso_times_are_pythons_own_isoformat(ts: list[int], tz: str) -> None:
    zone = ZoneInfo(tz)
    assert iso_times(ts, tz) == [datetime.fromtimestamp(t, zone).isoformat() for t in ts]


@pytest.mark.parametrize(
    ("now", "end"),
    [
        (local(2026, 5, 15, 11, 20), local(2026, 5, 15, 11, 15)),  # 11:15-11:30 is under way
        (local(2026, 5, 15, 11, 15), local(2026, 5, 15, 11, 15)),  # on the grid: unchanged
        (local(2026, 5, 15, 11, 59, 59), local(2026, 5, 15, 11, 45)),
    ],
)
def test_a_running_period_ends_with_the_last_complete_quarter_hour(
    now: datetime, end: datetime
) -> None:
    period = resolve_period("today", now, TZ)
    assert (period.start, period.end, period.so_far) == (local(2026, 5, 15), end, True)


def test_a_running_period_with_no_complete_quarter_hour_yet_is_refused() -> None:
    with pytest.raises(InvalidPeriod, match="no reading in it is complete yet"):
        resolve_period("today", local(2026, 5, 15, 0, 10), TZ)


def test_a_period_since_a_day_ends_with_the_last_complete_quarter_hour() -> None:
    period = resolve_period("since 2026-05-11", local(2026, 5, 15, 11, 20), TZ)
    assert (period.start, period.end) == (local(2026, 5, 11), local(2026, 5, 15, 11, 15))
