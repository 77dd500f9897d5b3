"""Round I's reading of periods and days on a plant unlike the demo: a day of the month said
alone as an ordinal, the last N full days, the night between two days, days right after a
period that narrow it, a day said to be a holiday as a remark, days left out of the period,
and a change asked after two turns on two periods."""

from __future__ import annotations

from datetime import date

import pytest

from agent.reader import Frame, Op, PeriodRole, follow, read
from agent.reader.dates import bounds
from tests.reader_plants import NOW, werk

VOCAB = werk()  # NOW: Thursday 5 November 2026, 10:00 in Berlin


def _days(r, role: PeriodRole = PeriodRole.SUBJECT) -> list[tuple[date, date]]:  # type: ignore[no-untyped-def]
    return [bounds(p.span, NOW) for p in r.periods if p.role is role and p.span is not None]


@pytest.mark.parametrize(
    ("question", "first", "last"),
    [
        ("Linie 3 since the 1st, up to yesterday is fine", "2026-11-01", "2026-11-04"),
        ("Linie 3 since the 1st, up to and including yesterday?", "2026-11-01", "2026-11-04"),
        ("Linie 3 from the 2nd to the 4th", "2026-11-02", "2026-11-04"),
        # the 28th is after today: last month's
        ("Linie 3 from the 28th to the 30th", "2026-10-28", "2026-10-30"),
        ("Linie 3 on Monday the 2nd", "2026-11-02", "2026-11-02"),
        ("Linie 3 from Mon 2nd to Wed 4th", "2026-11-02", "2026-11-04"),
    ],
)
def test_a_day_said_alone_as_an_ordinal_is_this_months_else_last_months(
    question: str, first: str, last: str
) -> None:
    r = read(question, VOCAB, NOW)
    assert _days(r) == [(date.fromisoformat(first), date.fromisoformat(last))], r.periods
    assert not r.unused


def test_since_an_ordinal_day_runs_to_now() -> None:
    r = read("Linie 3 since the 20th", VOCAB, NOW)
    assert [p.span.period for p in r.periods if p.span] == ["since 2026-10-20"]


def test_a_weekday_the_ordinal_day_does_not_fall_on_is_said() -> None:
    r = read("Linie 3 from Fri 2nd to Wed 4th", VOCAB, NOW)
    assert _days(r) == [(date(2026, 11, 2), date(2026, 11, 4))]
    assert any("2 November 2026 is a Monday" in n for n in r.notes), r.notes


def test_an_ordinal_that_numbers_a_thing_is_no_day() -> None:
    r = read("Linie 3 energy on the 3rd shift and the 2nd floor", VOCAB, NOW)
    assert not r.periods


def test_days_written_after_a_month_are_its_days() -> None:
    r = read("Linie 3 in October until the 28th", VOCAB, NOW)
    assert _days(r) == [(date(2026, 10, 1), date(2026, 10, 28))]
    r = read("Linie 3 October (1st to 15th)", VOCAB, NOW)
    assert _days(r) == [(date(2026, 10, 1), date(2026, 10, 15))]


@pytest.mark.parametrize(
    ("question", "first", "last"),
    [
        ("Linie 2 over the last 7 full days", "2026-10-29", "2026-11-04"),
        # a range in brackets that agrees with it confirms it: one period
        ("Linie 2 over the last 3 full days (Mon 2nd to Wed 4th)", "2026-11-02", "2026-11-04"),
        ("Linie 2 the last 2 full weeks", "2026-10-19", "2026-11-01"),
        ("Linie 2 the last 2 complete months", "2026-09-01", "2026-10-31"),
    ],
)
def test_the_last_n_full_days_end_yesterday(question: str, first: str, last: str) -> None:
    r = read(question, VOCAB, NOW)
    assert _days(r) == [(date.fromisoformat(first), date.fromisoformat(last))]
    assert not r.unused


def test_the_last_n_days_without_full_still_run_to_now() -> None:
    r = read("Linie 2 over the last 7 days", VOCAB, NOW)
    assert [p.span.period for p in r.periods if p.span] == ["last 7 days"]


@pytest.mark.parametrize(
    ("question", "period"),
    [
        (
            "the night of the 2nd to the 3rd (22:00-06:00), how much did Kompressor Nord use?",
            "2026-11-02T22:00..2026-11-03T06:00",
        ),
        (
            "Kompressor Nord, the night from Monday 2nd to Tuesday 3rd, 23:00-05:00",
            "2026-11-02T23:00..2026-11-03T05:00",
        ),
        # no hours said: the night's
        (
            "Kompressor Nord on the night of the 2nd to the 3rd",
            "2026-11-02T22:00..2026-11-03T06:00",
        ),
    ],
)
def test_the_night_between_two_days_is_one_stretch(question: str, period: str) -> None:
    r = read(question, VOCAB, NOW)
    assert [p.span.period for p in r.periods if p.span] == [period]
    assert not r.hour_windows and not r.unused


def test_two_days_and_night_hours_without_a_night_word_stay_days_and_hours() -> None:
    r = read("Kompressor Nord from the 2nd to the 3rd, 22:00-06:00", VOCAB, NOW)
    assert _days(r) == [(date(2026, 11, 2), date(2026, 11, 3))]
    assert len(r.hour_windows) == 1


def test_days_right_after_a_period_narrow_it_and_remarks_are_no_period() -> None:
    r = read(
        "Linie 2 this week, Monday to Wednesday only (Thursday was the holiday, today isn't "
        "finished).",
        VOCAB,
        NOW,
    )
    assert _days(r) == [(date(2026, 11, 2), date(2026, 11, 4))]
    assert not r.unused
    assert any("'Thursday was the holiday' as a remark" in n for n in r.notes), r.notes
    assert any("'today isn't finished' as a remark" in n for n in r.notes), r.notes


def test_a_day_said_to_be_a_holiday_outside_a_remark_may_be_the_day_asked() -> None:
    r = read("Tuesday was a holiday, how much did Linie 2 use?", VOCAB, NOW)
    assert _days(r) == [(date(2026, 11, 3), date(2026, 11, 3))]
    r = read("yesterday was a holiday, how much lower was Linie 2 than last Wednesday?", VOCAB, NOW)
    assert _days(r) == [(date(2026, 11, 4), date(2026, 11, 4))]
    assert _days(r, PeriodRole.REFERENCE) == [(date(2026, 10, 28), date(2026, 10, 28))]


def test_a_change_asked_after_two_turns_on_two_periods_is_between_them() -> None:
    first = read("Linie 2 consumption last week?", VOCAB, NOW)
    frame = Frame.after(None, first)
    second = follow(read("and the week before?", VOCAB, NOW), frame, NOW, VOCAB)
    frame = Frame.after(frame, second)
    third = follow(
        read("so how much up or down in %? keep in mind the 1st was a holiday", VOCAB, NOW),
        frame,
        NOW,
        VOCAB,
    )
    assert third.meter_names == ("Linie 2",)
    assert _days(third) == [(date(2026, 10, 26), date(2026, 11, 1))]
    assert _days(third, PeriodRole.REFERENCE) == [(date(2026, 10, 19), date(2026, 10, 25))]
    assert third.asks(Op.DIFFERENCE)
    assert any("as a remark" in n for n in third.notes), third.notes


def test_a_change_asked_after_one_turn_keeps_its_period() -> None:
    first = read("Linie 2 consumption last week?", VOCAB, NOW)
    then = follow(read("how much up or down?", VOCAB, NOW), Frame.after(None, first), NOW, VOCAB)
    assert not then.reference_periods


@pytest.mark.parametrize(
    ("question", "dates", "weekdays", "every"),
    [
        ("Linie 3 last week without Thursday (Allerheiligen), kWh?", (), (3,), False),
        ("Linie 3 this week so far, leaving out yesterday's holiday", (date(2026, 11, 4),), (),
         False),
        ("Linie 3 in October except Saturdays and Sundays", (), (5, 6), True),
    ],
)  # fmt: skip
def test_days_left_out_of_the_period_are_read_with_their_words(
    question: str, dates: tuple[date, ...], weekdays: tuple[int, ...], every: bool
) -> None:
    r = read(question, VOCAB, NOW)
    assert len(r.subject_periods) == 1, r.periods
    [left] = r.days_left_out
    assert (left.dates, left.weekdays, left.every) == (dates, weekdays, every)
    assert not r.unused, r.unused


@pytest.mark.parametrize(
    "question",
    [
        "Hauptzähler last week without the Kompressor Nord",
        # a part of the day left out, not a day
        "Linie 2 energy last week, no saturday morning",
    ],
)
def test_what_is_not_a_day_is_no_day_left_out(question: str) -> None:
    assert not read(question, VOCAB, NOW).days_left_out
