"""Round N reader rules, each on a hand-made plant."""

from __future__ import annotations

from datetime import time

import pytest

from agent.reader import read
from agent.reader.slots import Action, Op
from tests.reader_plants import NOW, PLANTS, thread


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


@pytest.mark.parametrize(
    ("question", "op"),
    [
        ("Um wie viel Prozent lag der Gasverbrauch im Februar unter dem vom Januar?", Op.LESS),
        ("Um wie viel Prozent war der Gasverbrauch im Februar höher als im Januar?", Op.MORE),
    ],
)
def test_a_german_change_in_percent_of_a_carriers_use(question: str, op: Op) -> None:
    """ "Um wie viel Prozent lag der Gasverbrauch ... unter dem vom Januar": a change in
    percent (not a share), of the carrier the compound names, between the two months."""
    r = read(question, PLANTS["werk"], NOW)
    assert [c.carrier for c in r.carriers] == ["gas"]
    assert {Op.DIFFERENCE, Op.PERCENT, op} <= {o.op for o in r.operations}
    assert Op.SHARE not in {o.op for o in r.operations}
    assert len(r.periods) == 2 and not r.unknown_names


def test_a_share_in_german_percent_stays_a_share() -> None:
    r = read("Wie viel Prozent vom Hauptzähler hatte Pumpe 2 im Februar?", PLANTS["werk"], NOW)
    assert Op.SHARE in {o.op for o in r.operations}


def test_though_in_a_follow_up_is_no_part_left_unread() -> None:
    """ "our bills use 30-minute averages though - what's it then?": 'though' carries no
    content; the follow-up is the peak again at the window it states."""
    r = thread(
        PLANTS["werk"],
        "Highest 15-minute demand of the Hauptzähler in September, and when was it?",
        "our utility bills on 30-minute averages though - what's it then?",
    )
    assert not r.unused and r.intent.value == "data"
    assert [w.minutes for w in r.demand_windows] == [30]


@pytest.mark.parametrize("per", ["pro", "je", "por"])
def test_a_factor_per_kwh_in_other_languages(per: str) -> None:
    """ "0,4 kg pro kWh": the emission factor stated, 'pro' as 'per'."""
    r = read(f"CO2 von Pumpe 2 im September mit 0,4 kg {per} kWh?", PLANTS["werk"], NOW)
    assert [f.kg_per_kwh for f in r.emission_factors] == [0.4]
    assert not r.unused


def test_a_volume_asked_alone_after_gas_energy_is_that_figure_in_the_volume() -> None:
    """ "in cubic metres please" after the gas boiler's energy in September: the same meter
    and month, the volume kept for the answer to convert (not a refusal of its own)."""
    r = thread(
        PLANTS["werk"], "how much did the Gaskessel use in September?", "in cubic metres please"
    )
    assert r.intent.value == "data" and r.meter_names == ("Gaskessel",)
    assert [p.span.period for p in r.periods if p.span] == ["2026-09"] or len(r.periods) == 1
    assert [u.topic for u in r.unsupported] == ["volume"]
