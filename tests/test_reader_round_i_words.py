"""Words of round I's questions read on a plant that shares no name with the eval plants."""

from __future__ import annotations

import pytest

from agent.reader import read
from agent.reader.slots import Intent, Op
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
def test_a_report_to_send_over_a_messenger_is_made_with_the_sending_refused(text: str) -> None:
    """The report is what can be given; the sending is kept as a request not acted on, for
    the answer to say (tests/test_offline_direct_answers.py)."""
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
