"""Words of round I's questions read on a plant that shares no name with the eval plants."""

from __future__ import annotations

import pytest

from agent.reader import read
from agent.reader.slots import Intent, Kpi, Op
from tests.reader_plants import NOW, PLANTS


@pytest.mark.parametrize(
    "text",
    [
        "How much of the Hauptzähler's energy last week is not on any sub-meter? kWh and %",
        "what part of Hauptzähler is on no sub-meter last week",
        "Hauptzähler last week: how much isn't on a submeter?",
        "how much of Hauptzähler's energy last week is not seen by its sub-meters?",
    ],
)
def test_energy_not_on_any_sub_meter_is_the_unmetered_remainder(text: str) -> None:
    r = read(text, PLANTS["werk"], NOW)
    assert r.meter_names == ("Hauptzähler",)
    assert r.asks(Op.REMAINDER), sorted(r.ops)


def test_sending_over_a_messenger_is_refused_as_an_export() -> None:
    r = read("text message me the Hauptzähler total every morning", PLANTS["werk"], NOW)
    assert r.intent is Intent.UNSUPPORTED, r.intent
    assert "export" in [u.reason.value for u in r.unsupported]


@pytest.mark.parametrize(
    "text",
    [
        "send last month's report to the plant director on WhatsApp",
        "manda o relatório de agosto por whatsapp pro diretor",
    ],
)
def test_a_report_to_send_over_a_messenger_is_read_as_a_report_to_send(text: str) -> None:
    """A report question whose sending is kept as a request not acted on: the report handler
    refuses it, naming the report to ask for (tests/test_offline_direct_answers.py)."""
    r = read(text, PLANTS["werk"], NOW)
    assert r.intent is Intent.REPORT, r.intent
    assert "export" in [u.reason.value for u in r.unsupported]


@pytest.mark.parametrize(
    "text",
    [
        "reconhece o incidente 2, estou cuidando dele",
        "quittiere Incident 2 bitte",
        "ack incident 2",
    ],
)
def test_acknowledging_an_incident_in_each_language_is_the_acknowledge_action(text: str) -> None:
    r = read(text, PLANTS["werk"], NOW)
    assert "acknowledge" in [a.action.value for a in r.actions], r.actions


def test_an_acknowledged_state_asked_is_no_action() -> None:
    r = read("incidente 2 reconhecido?", PLANTS["werk"], NOW)
    assert not r.actions


@pytest.mark.parametrize(
    ("text", "which"),
    [
        ("which was more efficient in October, Linie 2 or Linie 3?", Op.WHICH_LESS),
        ("which line was the most efficient last month, Linie 2 or Linie 3?", Op.WHICH_LESS),
        ("was Linie 3 less efficient than Linie 2 in October?", Op.MORE),
    ],
)
def test_efficiency_is_the_sec_compared_the_right_way_round(text: str, which: Op) -> None:
    r = read(text, PLANTS["werk"], NOW)
    assert r.intent is Intent.DATA, r.intent
    assert Kpi.SEC in r.kpis and r.asks(which), sorted(r.ops)
    assert not r.asks(Op.WHICH_MORE if which is Op.WHICH_LESS else Op.LESS)
    assert any("lower SEC" in n for n in r.notes) and not r.unused


def test_how_to_make_a_meter_more_efficient_is_a_library_question() -> None:
    r = read("how can we make Kompressor Nord more efficient?", PLANTS["werk"], NOW)
    assert r.intent is Intent.KNOWLEDGE, r.intent
