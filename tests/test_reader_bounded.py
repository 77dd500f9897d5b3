"""Periods cut short by an end the question states ("this month up to yesterday", "October up
to the 28th", "from 1 Jan to 28/10"), read against a fixed clock (Thursday 5 November 2026,
Europe/Berlin); the expected days are worked out from that calendar by hand."""

from __future__ import annotations

import pytest

from agent.reader import build_vocabulary, read
from agent.reader.dates import bounds
from tests.reader_plants import NOW

EMPTY = build_vocabulary("empty", [])


def _spans(text: str) -> list[tuple[str, str]]:
    r = read(text, EMPTY, NOW)
    out = []
    for p in r.periods:
        assert p.span is not None
        first, last = bounds(p.span, NOW)
        out.append((first.isoformat(), last.isoformat()))
    return out


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("this month up to yesterday", "2026-11-01", "2026-11-04"),
        ("energy since monday? up to end of yesterday is fine", "2026-11-02", "2026-11-04"),
        ("this week until today", "2026-11-02", "2026-11-05"),
        ("which day of november (up to yesterday) was busiest", "2026-11-01", "2026-11-04"),
        ("for October up to the 28th", "2026-10-01", "2026-10-28"),
        ("September until the 15th", "2026-09-01", "2026-09-15"),
        ("from 1 Jan to 28/10", "2026-01-01", "2026-10-28"),
        ("from Monday to yesterday", "2026-11-02", "2026-11-04"),
    ],
)
def test_a_stated_end_cuts_the_period_short(text: str, first: str, last: str) -> None:
    assert _spans(text) == [(first, last)]


def test_the_end_words_are_used() -> None:
    r = read("how much since monday? up to end of yesterday", EMPTY, NOW)
    assert not any(w in u.text for u in r.unused for w in ("end", "up"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # yesterday lies outside October: two periods, as written
        ("October up to yesterday", [("2026-10-01", "2026-10-31"), ("2026-11-04", "2026-11-04")]),
        # no word makes yesterday an end (the running month ends now, on the 5th)
        ("this month and yesterday", [("2026-11-01", "2026-11-05"), ("2026-11-04", "2026-11-04")]),
    ],
)
def test_an_end_outside_the_period_or_unstated_leaves_two(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert _spans(text) == expected


def test_a_day_past_the_month_is_not_its_end() -> None:
    # last week runs over two months: "the 31st" cannot be read as a day of it
    assert _spans("last week up to the 31st") == [("2026-10-26", "2026-11-01")]


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("and for the whole month so far", "2026-11-01", "2026-11-05"),
        ("the year so far", "2026-01-01", "2026-11-05"),
        ("the week so far", "2026-11-02", "2026-11-05"),
    ],
)
def test_a_running_period_so_far_is_read_up_to_now(text: str, first: str, last: str) -> None:
    assert _spans(text) == [(first, last)]


@pytest.mark.parametrize("days", ["Mon-Fri", "monday to friday", "Mon - Fri"])
def test_the_working_week_without_a_week_named_is_days_of_every_week(days: str) -> None:
    r = read(f"average kW between 18:00 and 21:00, {days}, in October", EMPTY, NOW)
    assert _spans(f"average kW between 18:00 and 21:00, {days}, in October") == [
        ("2026-10-01", "2026-10-31")
    ]
    assert [(s.split.value, s.part) for s in r.splits] == [("weekday_weekend", "weekday")]
    assert not r.unused, [u.text for u in r.unused]


def test_days_of_a_named_week_stay_a_range() -> None:
    assert _spans("Monday to Friday last week") == [("2026-10-26", "2026-10-30")]
