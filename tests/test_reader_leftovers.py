"""The kinds of leftover words that would change a figure, told apart from harmless ones."""

from __future__ import annotations

import pytest

from agent.reader import read
from agent.reader.leftovers import Weight, weight
from agent.reader.lexicon import default_lexicon
from agent.reader.slots import Unused, Words
from agent.reader.text import tokenize
from tests.reader_plants import NOW, PLANTS

WERK = PLANTS["werk"]


def _weigh(question: str, word: str) -> Weight | None:
    """The weight of `word` (one or more whole tokens of `question`) left over."""
    tokens = tokenize(question)
    start = question.index(word)
    end = start + len(word)
    indices = tuple(t.index for t in tokens if t.start >= start and t.end <= end)
    return weight(Unused(word, Words(indices, start, end, word)), tokens, default_lexicon(), WERK)


@pytest.mark.parametrize(
    ("question", "word", "kind"),
    [
        ("Linie 2 energy October", "October", Weight.DATE),
        ("Linie 2 energy Tuesday", "Tuesday", Weight.DATE),
        ("Linie 2 energy 12", "12", Weight.NUMBER),
        ("Linie 2 energy 22:00", "22:00", Weight.NUMBER),
        ("Linie 2 energy reais", "reais", Weight.MONEY),
        ("Linie 2 energy in MWh", "MWh", Weight.UNIT),
        ("Linie 2 energy not the vats", "vats", Weight.NEGATION),
        ("Linie 2 energy without", "without", Weight.NEGATION),
        ("Linie 2 energy linie", "linie", Weight.METER),
        ("Linie 2 energy honestly", "honestly", None),
        ("Linie 2 energy mate", "mate", None),
        # a number set against a stated one, a number word counting what was read
        ("Linie 2 peak on a 60 min window, not 15", "15", None),
        ("Linie 2 over the same two months", "two", None),
        # the site's own shift named after a negation restates a split by shift
        ("Linie 2 outside the shifts (not Früh)", "Früh", None),
        # a three-letter day that is also a word counts only written as a name
        ("Linie 2 energy in the sun", "sun", None),
    ],
)
def test_a_leftover_is_weighed_by_what_it_would_change(
    question: str, word: str, kind: Weight | None
) -> None:
    assert _weigh(question, word) is kind


DEMO = PLANTS["demo"]


@pytest.mark.parametrize(
    ("question", "weights"),
    [
        # a gloss in brackets of what a slot read, a number a slot read already
        ("line A, the second half of October vs the first half (1st-15th)?", []),
        ("office, working days (Mon-Fri) in October, which hour is highest?", []),
        ("demand on 30-minute averages: the highest 30 min kW of the incomer last month?", []),
        # a number of its own
        ("energy of line A last week 12", [Weight.NUMBER]),
    ],
)
def test_a_restatement_of_what_was_read_changes_no_figure(
    question: str, weights: list[Weight]
) -> None:
    r = read(question, DEMO, NOW)
    lexicon = default_lexicon()
    found = [weight(u, r.tokens, lexicon, DEMO, r.consumed()) for u in r.unused]
    assert [w for w in found if w is not None] == weights


def test_an_ordinary_verb_is_not_corrected_into_a_date_word() -> None:
    """ "pass" is a comparison ("will we pass 800 kW"), not a misspelt "past"."""
    r = read("main incomer tomorrow: will we pass 800 kW?", DEMO, NOW)
    assert [(t.value, t.unit) for t in r.thresholds] == [(800.0, "kW")]
    assert not r.unused
