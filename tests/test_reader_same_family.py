"""'same <family word>' in a follow-up ("same line but May", "mesma linha mas maio", "die
gleiche Linie, aber Mai"): the meter of that family just asked about, not a question back."""

from __future__ import annotations

import pytest

from agent.reader.dates import bounds
from tests.reader_plants import NOW, thread, werk

VOCAB = werk()  # NOW: Thursday 5 November 2026, 10:00 in Berlin


@pytest.mark.parametrize(
    "follow_up",
    [
        "same line but May",
        "same line, May?",
        "and the same line in May?",
        "mesma linha mas maio",
        "gleiche Linie im Mai",
        "die gleiche Linie, aber Mai",
    ],
)
def test_same_family_word_is_the_meter_just_asked_about(follow_up: str) -> None:
    r = thread(VOCAB, "how much did Linie 3 use in April?", follow_up)
    assert r.meter_names == ("Linie 3",), r.meters
    assert not r.ambiguous, r.ambiguous
    assert [bounds(p.span, NOW) for p in r.periods if p.span] == [
        (NOW.date().replace(month=5, day=1), NOW.date().replace(month=5, day=31))
    ]
    assert [u.text for u in r.unused] == [], r.unused


def test_same_family_word_of_another_family_is_still_asked() -> None:
    r = thread(VOCAB, "how much did Linie 3 use in April?", "same compressor but May")
    assert r.ambiguous and not r.meter_names, (r.meters, r.ambiguous)
    r = thread(VOCAB, "Kompressor Süd energy in April", "same compressor but May")
    assert r.meter_names == ("Kompressor Süd",), r.meters
