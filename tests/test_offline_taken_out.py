"""A meter named with others it holds after "without" ("Incomer North without the pumps"): the
question back names the meters read and offers the difference, never asks to name a meter."""

from __future__ import annotations

import pytest

from tests.test_offline_any_plant import brewery  # noqa: F401


@pytest.mark.parametrize(
    "question",
    ["Incomer North last week without the pumps, kWh?",
     "kWh do Incomer North semana passada sem Pump K1 e Pump K2?"],
)  # fmt: skip
def test_the_meters_left_out_of_the_one_holding_them_are_named_back(
    brewery,  # noqa: F811
    question: str,
) -> None:
    agent, _ = brewery
    reply = agent.ask(question)
    assert not reply.tool_calls, reply.answer
    assert "Name the meter" not in reply.answer
    assert "Pump K1 and Pump K2 out of Incomer North" in reply.answer, reply.answer
    assert "Incomer North minus them" in reply.answer
