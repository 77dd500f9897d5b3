"""Dates and periods read from the lexicon's calendar words in each of its languages, days left
out by its one negation vocabulary, days named relative to another day ("the same Tuesday a
week earlier", "the Friday before"), and "12/10" read in the site's date order or asked back.
Expected days are worked out with the standard library's calendar from a fixed clock
(Thursday 5 November 2026), never with the reader's own date code."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import yaml

from agent.reader import Frame, PeriodRole, Relation, build_vocabulary, follow, read
from agent.reader.dates import bounds, site_date_order
from agent.reader.lexicon import LEXICON_FILE, InvalidLexicon, parse_lexicon
from tests.reader_plants import NOW, PLANTS

EMPTY = build_vocabulary("empty", [])
DAY_FIRST = build_vocabulary("br", [], date_order="dmy")
MONTH_FIRST = build_vocabulary("us", [], date_order="mdy")
TODAY = NOW.date()
MONDAY = TODAY - timedelta(days=TODAY.weekday())


def _days(text: str, vocab: Any = EMPTY) -> list[tuple[str, str]]:
    r = read(text, vocab, NOW)
    assert not r.unused, [u.text for u in r.unused]
    out = []
    for p in r.periods:
        assert p.span is not None, p
        first, last = bounds(p.span, NOW)
        out.append((first.isoformat(), last.isoformat()))
    return out


def _latest(weekday: int) -> str:
    """The latest such weekday before today."""
    back = (TODAY.weekday() - weekday) % 7 or 7
    return (TODAY - timedelta(days=back)).isoformat()


LAST_WEEK = ((MONDAY - timedelta(days=7)).isoformat(), (MONDAY - timedelta(days=1)).isoformat())
YESTERDAY = (TODAY - timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("semana passada", LAST_WEEK),
        ("letzte Woche", LAST_WEEK),
        ("mês passado", ("2026-10-01", "2026-10-31")),
        ("ontem", (YESTERDAY, YESTERDAY)),
        ("gestern", (YESTERDAY, YESTERDAY)),
        ("hoje", (TODAY.isoformat(), TODAY.isoformat())),
        ("em janeiro", ("2026-01-01", "2026-01-31")),
        ("dezembro", ("2025-12-01", "2025-12-31")),  # the latest December
        ("im März", ("2026-03-01", "2026-03-31")),
        ("back in March", ("2026-03-01", "2026-03-31")),
        ("outubro passado", ("2025-10-01", "2025-10-31")),  # as "last October"
        ("na segunda", (_latest(0), _latest(0))),
        ("segunda-feira passada", (LAST_WEEK[0], LAST_WEEK[0])),  # as "last Monday"
        ("am Freitag", (_latest(4), _latest(4))),
        ("sexta-feira", (_latest(4), _latest(4))),
    ],
)
def test_calendar_words_of_every_language_in_the_lexicon(
    text: str, expected: tuple[str, str]
) -> None:
    assert _days(text) == [expected]


def _of_last_week(weekday: int) -> str:
    """That weekday of the ISO week before today's."""
    year, week, _ = (TODAY - timedelta(days=7)).isocalendar()
    return date.fromisocalendar(year, week, weekday + 1).isoformat()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # asked on a Thursday: "last Wednesday" is not yesterday but the Wednesday of last week
        ("last wednesday", _of_last_week(2)),
        ("last tuesday", _of_last_week(1)),
        ("last friday", _of_last_week(4)),
        ("last thursday", _of_last_week(3)),
        ("quarta passada", _of_last_week(2)),
        ("letzten Mittwoch", _of_last_week(2)),
        ("previous wednesday", _of_last_week(2)),
        # no week said, or "this past": the latest such day
        ("on wednesday", YESTERDAY),
        ("this past wednesday", YESTERDAY),
        ("the most recent tuesday", (TODAY - timedelta(days=2)).isoformat()),
    ],
)
def test_last_weekday_is_of_last_week_and_this_past_weekday_the_latest(
    text: str, expected: str
) -> None:
    assert TODAY.isoweekday() == 4  # the cases are written for a Thursday
    assert _days(f"site kWh {text}") == [(expected, expected)]


def test_a_weekday_name_that_is_an_ordinary_word_needs_a_lead() -> None:
    # "segunda" is also "second": no day without "na", "última", "passada"
    assert read("a segunda linha", EMPTY, NOW).periods == ()


@pytest.mark.parametrize(
    "text", ["every day except monday", "not on saturday or sunday", "no saturday"]
)
def test_a_day_left_out_is_no_period(text: str) -> None:
    assert read(text, EMPTY, NOW).periods == ()


def test_a_meter_between_the_negation_and_the_day_is_what_is_left_out() -> None:
    r = read("Linie 3 without Kompressor Nord on monday", PLANTS["werk"], NOW)
    assert [bounds(p.span, NOW)[0] for p in r.periods if p.span] == [MONDAY]


@pytest.mark.parametrize(
    ("text", "relation", "day"),
    [
        ("yesterday compared with the same day last week", Relation.WEEK_EARLIER,
         TODAY - timedelta(days=8)),
        ("3 November vs the same Tuesday a week earlier", Relation.WEEK_EARLIER,
         date(2026, 11, 3) - timedelta(weeks=1)),
        ("3 November vs the same Tuesday last year", Relation.YEAR_EARLIER_WEEKDAY,
         date(2026, 11, 3) - timedelta(weeks=52)),
        ("yesterday vs the same day last year", Relation.YEAR_BEFORE, date(2025, 11, 4)),
        ("on 12 October and the Friday before", Relation.WEEKDAY_BEFORE, date(2026, 10, 9)),
    ],
)  # fmt: skip
def test_a_day_named_relative_to_the_day_the_question_names(
    text: str, relation: Relation, day: date
) -> None:
    r = read(text, EMPTY, NOW)
    assert not r.unused, [u.text for u in r.unused]
    assert [p.relation for p in r.periods] == [None, relation]
    assert r.periods[1].role is PeriodRole.REFERENCE
    span = r.periods[1].span
    assert span is not None and bounds(span, NOW) == (day, day)
    assert day.strftime("%A") in span.label or relation is Relation.YEAR_BEFORE


def test_the_same_weekday_keeps_its_weekday() -> None:
    r = read("3 November vs the same Tuesday last year", EMPTY, NOW)
    span = r.periods[1].span
    assert span is not None and span.start is not None
    assert span.start.weekday() == date(2026, 11, 3).weekday() == 1


def test_a_time_of_day_after_before_is_no_day_before() -> None:
    r = read("on monday before 8:00", EMPTY, NOW)
    assert [p.relation for p in r.periods] == [None]


def test_the_same_day_last_week_in_a_follow_up_is_relative_to_the_day_before() -> None:
    werk = PLANTS["werk"]
    first = read("Linie 3 energy on 3 November", werk, NOW)
    frame = Frame.after(None, first, (), None, ())
    second = follow(read("and the same day last week?", werk, NOW), frame, NOW)
    days = [bounds(p.span, NOW) for p in second.periods if p.span is not None]
    week_earlier = date(2026, 11, 3) - timedelta(weeks=1)
    assert (week_earlier, week_earlier) in days


@pytest.mark.parametrize(
    ("text", "vocab", "day"),
    [
        ("on 12/10", DAY_FIRST, "2026-10-12"),
        ("on 12/10", MONTH_FIRST, "2025-12-10"),  # the latest 10 December
        ("12/10/2026", DAY_FIRST, "2026-10-12"),
        ("12/10/2026", MONTH_FIRST, "2026-12-10"),
        # one reading only: whatever the site's order
        ("on 20/10", EMPTY, "2026-10-20"),
        ("on 10/20", EMPTY, "2026-10-20"),
        ("on 10/20", DAY_FIRST, "2026-10-20"),
        ("on 5/5", EMPTY, "2026-05-05"),
        ("on the holiday 12/10 (a feast day)", DAY_FIRST, "2026-10-12"),
    ],
)
def test_a_slashed_date_is_read_in_the_sites_order(text: str, vocab: Any, day: str) -> None:
    r = read(text, vocab, NOW)
    assert [bounds(p.span, NOW) for p in r.periods if p.span] == [(date.fromisoformat(day),) * 2]


def test_a_slashed_date_of_two_readings_and_no_order_holds_both() -> None:
    r = read("energy on 12/10/2026", EMPTY, NOW)
    (p,) = r.periods
    assert p.span is None and not r.unused
    assert [(c.start, c.end) for c in p.choices] == [
        (date(2026, 10, 12), date(2026, 10, 12)),
        (date(2026, 12, 10), date(2026, 12, 10)),
    ]


@pytest.mark.parametrize(
    ("country", "timezone", "order"),
    [
        ("BR", "America/Sao_Paulo", "dmy"),
        ("DE", None, "dmy"),
        ("US", None, "mdy"),
        (None, "America/Chicago", "mdy"),  # the country of the time zone
        (None, "Europe/Lisbon", "dmy"),
        ("CA", "America/Toronto", None),  # writes both: not known
        (None, "UTC", None),
        (None, None, None),
    ],
)
def test_the_date_order_comes_from_the_sites_country_or_time_zone(
    country: str | None, timezone: str | None, order: str | None
) -> None:
    assert site_date_order(country, timezone) == order


def _lexicon_with(**calendar: Any) -> dict[str, Any]:
    data = yaml.safe_load(LEXICON_FILE.read_text(encoding="utf-8"))
    data["calendar"] = {**data["calendar"], **calendar}
    return dict(data)


@pytest.mark.parametrize(
    ("calendar", "message"),
    [
        ({"months": ["january"] * 11}, "calendar.months: expected 12 lines"),
        ({"weekdays": ["monday mon", "mon", *["x"] * 5]}, "'mon' is listed twice"),
        ({"date_order": ["US"]}, "calendar.date_order: expected"),
        ({"periods": "today"}, "calendar.periods: expected a mapping"),
    ],
)
def test_a_bad_calendar_in_the_lexicon_is_named(calendar: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidLexicon, match=message):
        parse_lexicon(_lexicon_with(**calendar))


def test_the_shipped_lexicon_holds_every_month_and_weekday() -> None:
    words = parse_lexicon(_lexicon_with()).calendar
    assert sorted(set(words.months.values())) == list(range(1, 13))
    assert sorted(set(words.weekdays.values())) == list(range(7))
    assert words.weekdays["segunda feira"] == words.weekdays["segunda-feira"] == 0


@pytest.mark.parametrize(
    ("text", "vocab", "first", "last"),
    [
        ("10/04 to 20/04", EMPTY, "2026-04-10", "2026-04-20"),  # 20 is no month
        ("from 1/10 to 7/10", DAY_FIRST, "2026-10-01", "2026-10-07"),
        ("from 1/10 to 7/10", MONTH_FIRST, "2026-01-10", "2026-07-10"),
        ("12/10/2026-18/10/2026", EMPTY, "2026-10-12", "2026-10-18"),
    ],
)
def test_a_slashed_range_takes_one_order_for_both_ends(
    text: str, vocab: Any, first: str, last: str
) -> None:
    assert _days(text, vocab) == [(first, last)]


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        # today is 5 November 2026: the latest 25 October is this year's, and the end follows
        # it even though 10 November is still to come
        ("from 25/10 to 10/11", "2026-10-25", "2026-11-10"),
        ("between 1/11 and 30/11", "2026-11-01", "2026-11-30"),
        # the latest 20 December is last year's; the end is in the year after it
        ("from 20/12 to 10/01", "2025-12-20", "2026-01-10"),
        # only the end says its year: the start is in that year, or the one before
        ("from 25/10 to 10/11/2025", "2025-10-25", "2025-11-10"),
        ("from 20/12 to 10/01/2026", "2025-12-20", "2026-01-10"),
    ],
)
def test_a_slashed_range_without_a_year_takes_the_year_of_its_start(
    text: str, first: str, last: str
) -> None:
    assert _days(text, DAY_FIRST) == [(first, last)]


def test_a_slashed_range_of_two_readings_and_no_order_holds_both() -> None:
    (p,) = read("from 1/10 to 7/10", EMPTY, NOW).periods
    assert p.span is None
    assert [(c.start, c.end) for c in p.choices] == [
        (date(2026, 10, 1), date(2026, 10, 7)),
        (date(2026, 1, 10), date(2026, 7, 10)),
    ]


@pytest.mark.parametrize("text", ["em outubro (até ontem)", "Oktober bis gestern"])
def test_a_stated_end_in_another_language_cuts_the_period(text: str) -> None:
    late_october = NOW.replace(month=10, day=29)  # yesterday lies inside October
    (p,) = read(text, EMPTY, late_october).periods
    assert p.span is not None
    assert bounds(p.span, late_october) == (date(2026, 10, 1), date(2026, 10, 28))


def test_a_word_near_a_name_that_is_an_ordinary_word_is_not_corrected_to_it() -> None:
    # "segundo" (second) is one letter from "segunda" (Monday, and also "second")
    r = read("energy in the segundo turno last week", EMPTY, NOW)
    assert ("segundo", "segunda") not in r.corrections


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on 28.03.", [("2026-03-28", "2026-03-28")]),
        ("am Freitag 30.10.", [("2026-10-30", "2026-10-30")]),
        ("09.-15.03.", [("2026-03-09", "2026-03-15")]),
        ("the weekend 28./29.03.", [("2026-03-28", "2026-03-29")]),
        ("01. bis 28.10.", [("2026-10-01", "2026-10-28")]),
        ("KW11 (09.-15.03.)", [("2026-03-09", "2026-03-15")]),  # one period, written twice
    ],
)
def test_days_written_with_dots_and_no_year(text: str, expected: list[tuple[str, str]]) -> None:
    assert _days(text) == expected


@pytest.mark.parametrize("text", ["at 12.05 EUR/kWh", "1.5 kW", "10.55 kWh/m3", "0.24 EUR"])
def test_a_decimal_number_is_no_dotted_day(text: str) -> None:
    assert read(text, EMPTY, NOW).periods == ()


def test_a_weekday_before_a_dotted_date_is_that_date() -> None:
    assert _days("site kWh on Sunday 29.03.?") == [("2026-03-29", "2026-03-29")]
