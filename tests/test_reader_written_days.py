"""Days written the ways a plant's own people write them: ordinals after a month ("October to
the 28th", "(1st to 15th)"), ranges joined by the lexicon's words in each language ("de 14/09 a
20/09", "vom 14.09. bis 20.09."), a day and month in brackets or set against another ("12/10 vs
05/10"), a German day with its trailing dot ("on 08.10."), and a weekday before the date it
names. Expected days are written out from the fixed clock (Thursday 5 November 2026)."""

from __future__ import annotations

import pytest

from agent.reader import build_vocabulary, read
from agent.reader.dates import bounds
from tests.reader_plants import NOW

DAY_FIRST = build_vocabulary("br", [], date_order="dmy")


def _days(text: str) -> list[tuple[str, str, str]]:
    r = read(text, DAY_FIRST, NOW)
    assert not r.unused, [u.text for u in r.unused]
    out = []
    for p in r.periods:
        assert p.span is not None, p
        first, last = bounds(p.span, NOW)
        out.append((first.isoformat(), last.isoformat(), p.role.value))
    return out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("energy in October to the 28th", [("2026-10-01", "2026-10-28", "subject")]),
        ("energy for the first half of October pls (1st to 15th)",
         [("2026-10-01", "2026-10-15", "subject")]),
        ("energy in October from the 3rd to the 9th", [("2026-10-03", "2026-10-09", "subject")]),
        ("consumo de 14/09 a 20/09?", [("2026-09-14", "2026-09-20", "subject")]),
        ("Energie vom 14.09. bis 20.09.2026", [("2026-09-14", "2026-09-20", "subject")]),
        ("and the same total (05/10)?", [("2026-10-05", "2026-10-05", "subject")]),
        ("so 12/10 vs 05/10, up or down?",
         [("2026-10-12", "2026-10-12", "subject"), ("2026-10-05", "2026-10-05", "reference")]),
        ("had a gap on 08.10.? how many quarter hours", [("2026-10-08", "2026-10-08", "subject")]),
        ("kWh on Sunday 27.09.", [("2026-09-27", "2026-09-27", "subject")]),
        ("kWh on Sunday, 27 September", [("2026-09-27", "2026-09-27", "subject")]),
    ],
)  # fmt: skip
def test_written_days(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert _days(text) == expected


def test_a_weekday_the_date_does_not_fall_on_is_said() -> None:
    r = read("kWh on Monday 27/09", DAY_FIRST, NOW)
    assert [p.span.period for p in r.periods if p.span] == ["2026-09-27"]
    assert any("is a Sunday" in n for n in r.notes)


@pytest.mark.parametrize(
    "text",
    [
        "energy in October, the 3rd shift",  # an ordinal before a noun numbers it
        "it rose by 1.5. why",  # a number ending a sentence
        "runs 24/7 (3/4 of the time)",  # no bracketed date: not alone in its brackets
    ],
)
def test_numbers_that_are_no_days(text: str) -> None:
    r = read(text, DAY_FIRST, NOW)
    assert all(p.span is None or p.span.period == "2026-10" for p in r.periods), r.periods
    assert not any(p.span and p.span.start == p.span.end for p in r.periods)


def test_a_bracketed_day_restates_a_day_not_a_season() -> None:
    r = read("same day last week (05/10)?", DAY_FIRST, NOW)
    assert [p.span.period for p in r.periods if p.span] == ["2026-10-05"]
    r = read("CAG in October than in July (winter)?", DAY_FIRST, NOW)
    assert "2026-07" in [p.span.period for p in r.periods if p.span]
