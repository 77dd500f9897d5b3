"""The kinds of leftover words that would change a figure, told apart from harmless ones."""

from __future__ import annotations

import pytest

from agent.reader.leftovers import Weight, weight
from agent.reader.lexicon import default_lexicon
from agent.reader.slots import Unused, Words
from agent.reader.text import tokenize
from tests.reader_plants import PLANTS

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
        # a three-letter day that is also a word counts only written as a name
        ("Linie 2 energy in the sun", "sun", None),
    ],
)
def test_a_leftover_is_weighed_by_what_it_would_change(
    question: str, word: str, kind: Weight | None
) -> None:
    assert _weigh(question, word) is kind
