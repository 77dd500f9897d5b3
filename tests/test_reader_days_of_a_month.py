"""A stretch of days inside a month read as its days: "the first week of October" (1-7), "the
last week of September" (its last 7 days), "the first two weeks of", "the first 10 days of",
"the second week of March" (8-14), in German and Portuguese too; with no year, the latest such
stretch begun; the label states the days."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from agent.reader import PeriodRole, read
from tests.reader_plants import NOW, werk

VOCAB = werk()  # NOW: Thursday 5 November 2026, 10:00 in Berlin


def _days(year: int, month: int, first: int | None, last: int | None) -> tuple[date, date]:
    """Independently of the reader: days of the month counted with pandas (None: its end)."""
    days = pd.date_range(f"{year}-{month:02d}-01", periods=40, freq="D")
    days = days[days.month == month]
    a = days[first - 1] if first and first > 0 else days[first] if first else days[0]
    b = days[last - 1] if last and last > 0 else days[-1]
    return a.date(), b.date()


CASES = [
    ("the first week of October", _days(2026, 10, 1, 7), "1-7 Oct 2026"),
    ("the last week of September", _days(2026, 9, -7, None), "24-30 Sep 2026"),
    ("the first two weeks of October 2025", _days(2025, 10, 1, 14), "1-14 Oct 2025"),
    ("the first 10 days of August", _days(2026, 8, 1, 10), "1-10 Aug 2026"),
    ("the last 3 days of October", _days(2026, 10, -3, None), "29-31 Oct 2026"),
    ("the second week of March", _days(2026, 3, 8, 14), "8-14 Mar 2026"),
    # not begun yet this year: last year's
    ("the last week of November", _days(2025, 11, -7, None), "24-30 Nov 2025"),
    ("the last week of Feb 2024", _days(2024, 2, -7, None), "23-29 Feb 2024"),
    ("erste Woche im Oktober", _days(2026, 10, 1, 7), "1-7 Oct 2026"),
    ("die letzten 3 Tage im Oktober", _days(2026, 10, -3, None), "29-31 Oct 2026"),
    ("na primeira semana de outubro", _days(2026, 10, 1, 7), "1-7 Oct 2026"),
    ("os primeiros 10 dias de setembro", _days(2026, 9, 1, 10), "1-10 Sep 2026"),
]


@pytest.mark.parametrize(("said", "want", "label"), CASES)
def test_a_stretch_inside_a_month_is_its_days(
    said: str, want: tuple[date, date], label: str
) -> None:
    r = read(f"how much did Linie 2 use in {said}?", VOCAB, NOW)
    assert [(p.span.start, p.span.end) for p in r.periods if p.span] == [want], r.periods
    assert [p.span.label for p in r.periods if p.span] == [label]
    assert [u.text for u in r.unused] == [], r.unused


def test_two_stretches_compared() -> None:
    r = read(
        "compare Linie 2 the first week of October with the last week of September", VOCAB, NOW
    )
    got = [(p.span.start, p.span.end, p.role) for p in r.periods if p.span]
    assert got == [
        (*_days(2026, 10, 1, 7), PeriodRole.SUBJECT),
        (*_days(2026, 9, -7, None), PeriodRole.REFERENCE),
    ]


def test_a_plural_with_no_number_is_no_stretch() -> None:
    r = read("how much did Linie 2 use in the first days of October?", VOCAB, NOW)
    assert "first" in [u.text for u in r.unused], r.unused
