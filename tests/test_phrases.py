"""Time phrases as people write them, resolved against a fixed clock: the expected dates are
worked out by hand from a calendar (Thursday 5 November 2026, Europe/Berlin)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from agent.offline.phrases import bounds, find_periods, shift

NOW = datetime(2026, 11, 5, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("yesterday", "2026-11-04", "2026-11-04"),
        ("last week", "2026-10-26", "2026-11-01"),
        ("the previous month", "2026-10-01", "2026-10-31"),
        ("in september", "2026-09-01", "2026-09-30"),
        ("in december", "2025-12-01", "2025-12-31"),  # the most recent December
        ("sept 2025", "2025-09-01", "2025-09-30"),
        ("q3", "2026-07-01", "2026-09-30"),
        ("the third quarter of 2025", "2025-07-01", "2025-09-30"),
        ("from 5 to 11 october", "2026-10-05", "2026-10-11"),
        ("between oct 28 and nov 2", "2026-10-28", "2026-11-02"),
        ("28.10.2026", "2026-10-28", "2026-10-28"),
        ("on 3rd october", "2026-10-03", "2026-10-03"),
        ("2026-10-05..2026-10-09", "2026-10-05", "2026-10-09"),
        ("week 36", "2026-08-31", "2026-09-06"),
        ("last weekend", "2026-10-31", "2026-11-01"),
        ("the week before last", "2026-10-19", "2026-10-25"),
        ("last friday", "2026-10-30", "2026-10-30"),
        ("on monday", "2026-11-02", "2026-11-02"),
        ("from september to october", "2026-09-01", "2026-10-31"),
        ("in 2025", "2025-01-01", "2025-12-31"),
    ],
)
def test_periods(text: str, first: str, last: str) -> None:
    (span,) = find_periods(text, NOW)
    assert bounds(span, NOW) == (date.fromisoformat(first), date.fromisoformat(last))


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("the last 7 days", "last 7 days"),
        ("over the past seven days", "last 7 days"),
        ("past 24h", "last 24 hours"),
        ("since monday", "since 2026-11-02"),
        ("since 1 october", "since 2026-10-01"),
        ("so far this month", "month to date"),
        ("this year", "this year"),
    ],
)
def test_open_periods_use_the_tools_grammar(text: str, period: str) -> None:
    (span,) = find_periods(text, NOW)
    assert span.period == period


def test_two_periods_keep_their_order() -> None:
    spans = find_periods("compare this month vs last month", NOW)
    assert [s.period for s in spans] == ["this month", "last month"]


@pytest.mark.parametrize("text", ["may i ask something", "the main reason", "we may have a leak"])
def test_ordinary_words_are_not_months(text: str) -> None:
    assert find_periods(text, NOW) == []


def test_relative_references() -> None:
    (september,) = find_periods("september", NOW)
    assert bounds(shift(september, "year before", NOW), NOW) == (
        date(2025, 9, 1),
        date(2025, 9, 30),
    )
    (week,) = find_periods("last week", NOW)
    assert bounds(shift(week, "week before", NOW), NOW) == (date(2026, 10, 19), date(2026, 10, 25))
    (q3,) = find_periods("q3", NOW)
    assert bounds(shift(q3, "period before", NOW), NOW) == (date(2026, 4, 1), date(2026, 6, 30))
