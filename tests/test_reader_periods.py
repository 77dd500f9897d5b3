"""Periods as people write them, read against a fixed clock; the expected days are worked out
by hand from a calendar (Thursday 5 November 2026, Europe/Berlin) or with the standard
library's ISO calendar, never with the reader's own date code."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from agent.reader import PeriodRole, Relation, build_vocabulary, read
from agent.reader.dates import bounds
from tests.reader_plants import NOW

EMPTY = build_vocabulary("empty", [])
APRIL_FY = build_vocabulary("fy", [], fiscal_year_start=4)


def _one(text: str, fiscal: int = 1) -> tuple[str, str]:
    r = read(text, APRIL_FY if fiscal == 4 else EMPTY, NOW)
    assert len(r.periods) == 1, [p.words.text for p in r.periods]
    span = r.periods[0].span
    assert span is not None
    first, last = bounds(span, NOW)
    assert not r.unused, [u.text for u in r.unused]
    return first.isoformat(), last.isoformat()


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("yesterday", "2026-11-04", "2026-11-04"),
        ("last week", "2026-10-26", "2026-11-01"),
        ("lst wk", "2026-10-26", "2026-11-01"),
        ("the previous month", "2026-10-01", "2026-10-31"),
        ("in september", "2026-09-01", "2026-09-30"),
        ("in septmber", "2026-09-01", "2026-09-30"),
        ("in december", "2025-12-01", "2025-12-31"),  # the most recent December
        ("sept 2025", "2025-09-01", "2025-09-30"),
        ("oct '25", "2025-10-01", "2025-10-31"),
        ("q3", "2026-07-01", "2026-09-30"),
        ("the third quarter of 2025", "2025-07-01", "2025-09-30"),
        ("the first half of 2026", "2026-01-01", "2026-06-30"),
        ("H1 2026", "2026-01-01", "2026-06-30"),
        ("2025 H2", "2025-07-01", "2025-12-31"),
        ("the second half", "2026-07-01", "2026-12-31"),
        ("the second half of last year", "2025-07-01", "2025-12-31"),
        ("the first half of October", "2026-10-01", "2026-10-15"),
        ("the second half of september", "2026-09-16", "2026-09-30"),
        ("monday to wednesday this week", "2026-11-02", "2026-11-04"),
        ("mon-wed of last week", "2026-10-26", "2026-10-28"),
        ("from 1 Jan 2026 up to yesterday", "2026-01-01", "2026-11-04"),
        ("3 October until today", "2026-10-03", "2026-11-05"),
        ("from 5 to 11 october", "2026-10-05", "2026-10-11"),
        ("October 3rd to 9th", "2026-10-03", "2026-10-09"),
        ("Sept 14-20", "2026-09-14", "2026-09-20"),
        ("between oct 28 and nov 2", "2026-10-28", "2026-11-02"),
        ("between the 3rd and the 9th of October", "2026-10-03", "2026-10-09"),
        ("the week of 12 October", "2026-10-12", "2026-10-18"),
        ("the week of October 14", "2026-10-12", "2026-10-18"),  # a Wednesday: its week
        ("the week starting 14 October", "2026-10-14", "2026-10-20"),
        ("28.10.2026", "2026-10-28", "2026-10-28"),
        ("on 3rd october", "2026-10-03", "2026-10-03"),
        ("2026-10-05..2026-10-09", "2026-10-05", "2026-10-09"),
        ("last weekend", "2026-10-31", "2026-11-01"),
        ("the week before last", "2026-10-19", "2026-10-25"),
        ("two weeks ago", "2026-10-19", "2026-10-25"),
        ("last friday", "2026-10-30", "2026-10-30"),
        ("on monday", "2026-11-02", "2026-11-02"),
        ("tuesday of last week", "2026-10-27", "2026-10-27"),
        ("from september to october", "2026-09-01", "2026-10-31"),
        ("jan-jun", "2026-01-01", "2026-06-30"),
        ("between April and May", "2026-04-01", "2026-05-31"),
        ("the 12 months November 2025 through October 2026", "2025-11-01", "2026-10-31"),
        ("in 2025", "2025-01-01", "2025-12-31"),
        ("November last year", "2025-11-01", "2025-11-30"),
        ("last year's March", "2025-03-01", "2025-03-31"),
        ("the summer months", "2026-06-01", "2026-08-31"),
        ("last fiscal year", "2025-01-01", "2025-12-31"),
    ],
)
def test_periods(text: str, first: str, last: str) -> None:
    assert _one(text) == (first, last)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("this fiscal year", "2026-04-01", "2027-03-31"),
        ("last fiscal year", "2025-04-01", "2026-03-31"),
        ("FY2026", "2025-04-01", "2026-03-31"),  # named by the year it ends in
    ],
)
def test_fiscal_years_start_where_the_catalogue_says(text: str, first: str, last: str) -> None:
    assert _one(text, fiscal=4) == (first, last)


def test_iso_weeks_follow_the_iso_calendar() -> None:
    monday = date.fromisocalendar(2026, 43, 1)
    expected = (monday.isoformat(), date.fromisocalendar(2026, 43, 7).isoformat())
    assert _one("KW43") == expected
    assert _one("week 43") == expected


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("the last 10 days", "last 10 days"),
        ("over the past seven days", "last 7 days"),
        ("past 24h", "last 24 hours"),
        ("since monday", "since 2026-11-02"),
        ("since 1 october", "since 2026-10-01"),
        ("since the start of October", "since 2026-10-01"),
        ("so far this month", "month to date"),
        ("this week so far", "since 2026-11-02"),
        ("YTD", "year to date"),
        ("year to date", "year to date"),
        ("lately", "last 7 days"),
    ],
)
def test_open_periods_use_the_tools_grammar(text: str, period: str) -> None:
    r = read(text, EMPTY, NOW)
    assert [p.span.period for p in r.periods if p.span] == [period]
    assert not r.unused


def test_a_season_or_an_assumed_fiscal_year_is_noted() -> None:
    assert read("the summer months", EMPTY, NOW).notes == ("summer read as summer 2026",)
    note = read("last fiscal year", EMPTY, NOW).notes[0]
    assert "calendar year" in note


def _roles(text: str) -> list[tuple[str, str]]:
    r = read(text, EMPTY, NOW)
    out = []
    for p in r.periods:
        assert p.span is not None
        first, last = bounds(p.span, NOW)
        out.append((f"{first}..{last}", p.role.value))
    return out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "energy in August than in July",
            [("2026-08-01..2026-08-31", "subject"), ("2026-07-01..2026-07-31", "reference")],
        ),
        (
            "october vs september",
            [("2026-10-01..2026-10-31", "subject"), ("2026-09-01..2026-09-30", "reference")],
        ),
        (
            "November vs November last year",
            [("2026-11-01..2026-11-30", "subject"), ("2025-11-01..2025-11-30", "reference")],
        ),
        (
            "the drop from jan to feb",
            [("2026-01-01..2026-01-31", "reference"), ("2026-02-01..2026-02-28", "subject")],
        ),
        (
            "last week compared with the week before",
            [("2026-10-26..2026-11-01", "subject"), ("2026-10-19..2026-10-25", "reference")],
        ),
        (
            # the running month ends now: the same days of November last year
            "this month vs the same period last year",
            [("2026-11-01..2026-11-05", "subject"), ("2025-11-01..2025-11-05", "reference")],
        ),
        (
            # a week a year back is the same calendar week: 52 weeks, the same weekdays
            "last week vs the same week last year",
            [("2026-10-26..2026-11-01", "subject"), ("2025-10-27..2025-11-02", "reference")],
        ),
        (
            # a month back from its Monday (Sat 26 Sep) lies in the week of Mon 21 Sep
            "last week against the same week last month",
            [("2026-10-26..2026-11-01", "subject"), ("2026-09-21..2026-09-27", "reference")],
        ),
        (
            "yesterday vs the same day last month",
            [("2026-11-04..2026-11-04", "subject"), ("2026-10-04..2026-10-04", "reference")],
        ),
        (
            "October vs the same month a year ago",
            [("2026-10-01..2026-10-31", "subject"), ("2025-10-01..2025-10-31", "reference")],
        ),
        (
            "the past 7 days compared with the previous 7 days",
            [("2026-10-29..2026-11-05", "subject"), ("2026-10-21..2026-10-28", "reference")],
        ),
        (
            "this winter than last winter",
            [("2025-12-01..2026-02-28", "subject"), ("2024-12-01..2025-02-28", "reference")],
        ),
        (
            "September or October",
            [("2026-09-01..2026-09-30", "subject"), ("2026-10-01..2026-10-31", "subject")],
        ),
        (
            "fit a baseline using 2025 and report October",
            [("2025-01-01..2025-12-31", "base"), ("2026-10-01..2026-10-31", "subject")],
        ),
        (
            "a baseline with 2025 as the base year, reporting October",
            [("2025-01-01..2025-12-31", "base"), ("2026-10-01..2026-10-31", "subject")],
        ),
        (
            "October against the 2025 baseline",
            [("2026-10-01..2026-10-31", "subject"), ("2025-01-01..2025-12-31", "base")],
        ),
    ],
)
def test_roles_of_several_periods(text: str, expected: list[tuple[str, str]]) -> None:
    assert _roles(text) == expected


def test_a_relation_with_nothing_before_it_waits_for_the_conversation() -> None:
    (p,) = read("and the week before?", EMPTY, NOW).periods
    assert (p.span, p.relation, p.role) == (None, Relation.WEEK_BEFORE, PeriodRole.SUBJECT)


@pytest.mark.parametrize(
    "text",
    [
        "may I ask something",  # "may" is a verb without a cue
        "2026-13-01",
    ],
)
def test_ordinary_words_and_impossible_dates_are_not_periods(text: str) -> None:
    assert read(text, EMPTY, NOW).periods == ()


@pytest.mark.parametrize(
    ("text", "unused"),
    [
        ("from 11 to 5 october", ["11"]),  # backwards: the 5th is read, the 11 is reported
    ],
)
def test_a_day_that_cannot_be_read_is_reported(text: str, unused: list[str]) -> None:
    r = read(text, EMPTY, NOW)
    assert len(r.periods) == 1
    assert [u.text for u in r.unused] == unused


@pytest.mark.parametrize("text", ["on 31 february", "february 30", "from 30 february to 3 march"])
def test_a_day_its_month_lacks_is_said_and_no_period_is_read(text: str) -> None:
    r = read(text, EMPTY, NOW)
    assert r.periods == (), [p.words.text for p in r.periods]  # not the whole of February
    assert any(n.startswith("There is no 3") and "February" in n for n in r.notes), r.notes


def test_the_first_half_after_the_second_half_of_a_month_is_of_that_month() -> None:
    r = read("second half of October vs the first half", EMPTY, NOW)
    spans = [bounds(p.span, NOW) for p in r.periods if p.span is not None]
    assert [(a.isoformat(), b.isoformat()) for a, b in spans] == [
        ("2026-10-16", "2026-10-31"),
        ("2026-10-01", "2026-10-15"),
    ]
    assert [p.role for p in r.periods] == [PeriodRole.SUBJECT, PeriodRole.REFERENCE]


def test_a_range_after_from_compared_with_another_is_the_subject() -> None:
    r = read("from Monday to Wednesday this week, compared with Mon-Wed of last week", EMPTY, NOW)
    assert [p.role for p in r.periods] == [PeriodRole.SUBJECT, PeriodRole.REFERENCE]


@pytest.mark.parametrize(
    ("text", "day"), [("and on the 3rd?", "2026-11-03"), ("on the 28th", "2026-10-28")]
)
def test_a_day_of_the_month_alone_is_the_latest_such_day(text: str, day: str) -> None:
    r = read(text, EMPTY, NOW)
    spans = [bounds(p.span, NOW) for p in r.periods if p.span is not None]
    assert [(a.isoformat(), b.isoformat()) for a, b in spans] == [(day, day)]


def test_the_week_of_a_day_to_another_is_the_days_written() -> None:
    assert _one("during the week of 14 Sept to 20 Sept") == ("2026-09-14", "2026-09-20")


def test_a_day_and_a_part_of_the_day_left_out_are_no_period_and_no_hours() -> None:
    r = read("kWh outside the shifts (no saturday morning) in the week of 14 Sept", EMPTY, NOW)
    assert [p.words.text for p in r.periods] == ["in the week of 14 Sept"]
    assert not r.hour_windows
    assert "saturday morning" in [u.text for u in r.unused]


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("what was the plant's May energy?", "2026-05"),  # written as a name inside a sentence
        ("base load over May please", "2026-05"),
        ("peak hour on weekdays (May profile)?", "2026-05"),
        ("May, kWh per working day", "2026-05"),  # a name closing a phrase, even first
        ("base load of the site, may?", "2026-05"),
        ("a Mar figure for the boiler", "2026-03"),
    ],
)
def test_a_month_that_is_an_ordinary_word_is_read_when_written_as_a_name(
    text: str, month: str
) -> None:
    r = read(text, EMPTY, NOW)
    spans = [p.span for p in r.periods if p.span is not None]
    assert len(spans) == 1, [p.words.text for p in r.periods]
    first, last = bounds(spans[0], NOW)
    assert first.isoformat()[:7] == month and first.day == 1
    assert last.month == first.month and (last + timedelta(days=1)).day == 1


@pytest.mark.parametrize(
    "text", ["May I see the total last week?", "what may the total be tomorrow", "it may rise"]
)
def test_the_verb_may_is_no_month(text: str) -> None:
    r = read(text, EMPTY, NOW)
    assert all(p.span is None or p.span.start is None or p.span.start.month != 5 for p in r.periods)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        # half of a month's days, rounded down: February 2026 has 28
        ("the first half of February 2026", "2026-02-01", "2026-02-14"),
        ("the second half of February 2026", "2026-02-15", "2026-02-28"),
        ("the first half of October 2026", "2026-10-01", "2026-10-15"),
        ("the second half of October 2026", "2026-10-16", "2026-10-31"),
    ],
)
def test_a_half_of_a_month_is_half_its_days(text: str, first: str, last: str) -> None:
    assert _one(text) == (first, last)


@pytest.mark.parametrize(
    "text",
    [
        "the first half of February 2026, i.e. 1 to 14 February 2026",
        "the first half of February 2026 (1-14 Feb 2026)",
        "the first half of February 2026, that is 1 to 14 February 2026",
    ],
)
def test_days_that_say_a_period_again_are_that_period_once(text: str) -> None:
    r = read(text, EMPTY, NOW)
    assert [bounds(p.span, NOW) for p in r.periods if p.span] == [
        (date(2026, 2, 1), date(2026, 2, 14))
    ]
    assert not r.unused
