"""Round N reader rules, each on a hand-made plant."""

from __future__ import annotations

from datetime import time

import pytest

from agent.reader import read
from agent.reader.slots import Action
from tests.reader_plants import NOW, PLANTS


@pytest.mark.parametrize(
    ("question", "action"),
    [
        ("Schalte bitte Pumpe 2 heute Nacht ab.", Action.DISABLE),
        ("Stell Kompressor Nord am Wochenende aus", Action.DISABLE),
        ("Schalte Pumpe 2 morgen wieder ein.", Action.ENABLE),
    ],
)
def test_a_german_verb_with_its_particle_at_the_end_is_a_control_action(
    question: str, action: Action
) -> None:
    """ "Schalte ... ab": the German verb's particle closes the sentence; the order is a
    control action, refused, not a figure of the meter it names."""
    r = read(question, PLANTS["werk"], NOW)
    assert [a.action for a in r.actions] == [action]
    assert r.intent.value == "unsupported"


def test_ab_before_a_day_is_no_switching() -> None:
    """ "ab Montag" is "from Monday": no control action."""
    r = read("Wie viel hat Pumpe 2 ab Montag verbraucht?", PLANTS["werk"], NOW)
    assert not r.actions and r.intent.value == "data"


@pytest.mark.parametrize(
    "question",
    [
        "Anteil von Pumpe 2 im September außerhalb 06:00-22:00",
        "energy of Pumpe 2 in September outside the hours 6:00 to 22:00",
    ],
)
def test_hours_said_outside_a_window_are_the_hours_left(question: str) -> None:
    r = read(question, PLANTS["werk"], NOW)
    assert [(w.start, w.end) for w in r.hour_windows] == [(time(22), time(6))]
    assert not r.unused
