"""Nothing silently dropped: a word left over that would change the figure (a number, a date,
a currency, a unit, a measure, a meter's word, a negation) gets one question back naming it and
no number; harmless words left over (politeness, chat) still get the figure, checked against
pandas over the readings written."""

from __future__ import annotations

import pandas as pd
import pytest

from agent.loop import Agent
from tests.test_offline_any_plant import (
    brewery,  # noqa: F401  (the fixture `plant` uses)
    states,
    total,
)
from tests.test_offline_honesty import WEEK, no_figure

Plant = tuple[Agent, dict[str, pd.Series]]


@pytest.fixture
def plant(brewery: Plant) -> Plant:  # noqa: F811
    return brewery


@pytest.mark.parametrize(
    ("question", "quoted"),
    [
        ("energy of Pump K1 last week 12", "12"),
        ("energy of Pump K1 last week Tuesday 8", "8"),
        ("energy of Pump K1 last week without the kettle", "without the kettle"),
        ("energy of Pump K1 last week, not the vats", "not the vats"),
    ],
)
def test_a_leftover_that_would_change_the_figure_is_asked_back(
    plant: Plant, question: str, quoted: str
) -> None:
    agent, _ = plant
    reply = agent.ask(question)
    assert reply.outcome == "clarify" and not reply.tool_calls, reply.answer
    assert f"'{quoted}'" in reply.answer
    assert no_figure(reply.answer), reply.answer


@pytest.mark.parametrize(
    "question",
    [
        "energy of Pump K1 last week, thanks so much",
        "what did Pump K1 use last week, honestly",
        "energy of Pump K1 last week for the kettle",
    ],
)
def test_a_harmless_leftover_still_gets_the_figure(plant: Plant, question: str) -> None:
    agent, data = plant
    reply = agent.ask(question)
    assert reply.outcome == "answer", reply.answer
    assert states(reply.answer, total(data, "Pump K1", *WEEK)), reply.answer


def test_a_carrier_word_of_a_description_alone_is_not_the_meter_s_name(plant: Plant) -> None:
    """ "water" beside nothing of the description asks for water, which no series measures;
    the heater's description ("Heats rinse water") does not make its gas the answer."""
    agent, _ = plant
    reply = agent.ask("how much water did the Hot Water Heater use last week")
    assert reply.outcome == "refuse" and not reply.tool_calls, reply.answer
    assert "'water'" in reply.answer and no_figure(reply.answer)
