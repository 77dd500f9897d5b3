"""A period said relative to the one just discussed: "the week after", "the month after",
"the day after", and a length said ("the 10 days before that", "the two weeks after it"): of
that length, not of the period before's."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from agent.reader.dates import bounds
from tests.reader_plants import NOW, thread, werk

VOCAB = werk()  # NOW: Thursday 5 November 2026, 10:00 in Berlin
ASKED = "how much did Linie 2 use in the first week of October?"


def _span(*questions: str) -> tuple[date, date]:
    r = thread(VOCAB, *questions)
    assert not r.unused, r.unused
    spans = [bounds(p.span, NOW) for p in r.periods if p.span]
    assert len(spans) == 1, r.periods
    return spans[0]


def _days(first: str, n: int) -> tuple[date, date]:
    """Independently of the reader: n days from `first` (negative: n days up to before it)."""
    d = pd.Timestamp(first)
    got = (
        pd.date_range(d, periods=n)
        if n > 0
        else pd.date_range(end=d - timedelta(days=1), periods=-n)
    )
    return got[0].date(), got[-1].date()


def test_the_week_after() -> None:
    assert _span(ASKED, "what about the week after?") == _days("2026-10-08", 7)


def test_a_length_said_is_the_length_asked() -> None:
    assert _span(ASKED, "and the 10 days before that?") == _days("2026-10-01", -10)
    assert _span(ASKED, "and the two weeks after it?") == _days("2026-10-08", 14)


def test_the_month_and_the_day_after() -> None:
    assert _span("Linie 2 in September?", "and the month after?") == _days("2026-10-01", 31)
    assert _span(ASKED, "and the day after?") == _days("2026-10-08", 1)


def test_in_one_question() -> None:
    r = thread(VOCAB, "compare Linie 2 in the first week of October with the week after")
    got = [bounds(p.span, NOW) for p in r.periods if p.span]
    assert got == [_days("2026-10-01", 7), _days("2026-10-08", 7)], r.periods


def test_the_following_week_after_a_past_week_is_the_week_after_it() -> None:
    """Not a forecast horizon with the last figure repeated."""
    asked = "how much did Linie 2 use in the week of 5 October?"
    r = thread(VOCAB, asked, "and the following week?")
    assert not r.horizons and r.intent.value == "data", (r.intent, r.horizons)
    assert _span(asked, "and the following week?") == _days("2026-10-12", 7)
    assert _span(asked, "and the next day?") == _days("2026-10-12", 1)


def test_a_forecast_of_the_following_week_stays_a_forecast() -> None:
    r = thread(
        VOCAB, "how much did Linie 2 use in the week of 5 October?", "forecast the following week"
    )
    assert r.intent.value == "forecast" and [h.hours for h in r.horizons] == [168]
