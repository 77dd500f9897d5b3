"""Intent cues read from the lexicon: "how would I see it" asks how to, a meter's incident is
the incident's question, a peak a demand charge is billed on asks the cost, and a rise "faster
than" a rate is a rate of change no tool watches."""

from __future__ import annotations

import pytest

from agent.reader import Intent, read
from agent.reader.slots import Kpi, Reason
from tests.reader_plants import NOW, PLANTS

W = PLANTS["werk"]


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("what is short-cycling on a boiler and how would I see it in the data?", Intent.KNOWLEDGE),
        ("how can I see the Kältemaschine energy last week?", Intent.DATA),
        ("the Kältemaschine incident in August - how much CO2 did it cause?", Intent.INCIDENT),
        ("how much CO2 did the Kältemaschine cause in August?", Intent.DATA),
    ],
)
def test_the_intent_follows_the_cue(question: str, intent: Intent) -> None:
    assert read(question, W, NOW).intent is intent


def test_a_peak_a_demand_charge_is_billed_on_asks_the_cost() -> None:
    question = "Kompressor Nord in October at 0.15 EUR/kWh plus 11 EUR/kW on the month's peak"
    r = read(question, W, NOW)
    assert Kpi.COST in r.kpis and Kpi.PEAK_DEMAND not in r.kpis
    alone = read("Kompressor Nord peak in October", W, NOW)
    assert Kpi.PEAK_DEMAND in alone.kpis


def test_a_rise_faster_than_a_rate_is_a_rate_of_change() -> None:
    r = read("alert me when Kompressor Nord rises faster than 20 kW per minute", W, NOW)
    assert r.intent is Intent.UNSUPPORTED
    assert {u.reason for u in r.unsupported} == {Reason.RATE_OF_CHANGE}
    level = read("alert me when Kompressor Nord goes above 20 kW for 15 minutes", W, NOW)
    assert level.intent is Intent.ALERT_CREATE and not level.unsupported
