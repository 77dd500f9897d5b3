"""Derived figures and stated parameters on a plant unlike the demo: the percent of an either
question said of the period named first. Numbers are checked against pandas over the readings
written."""

from __future__ import annotations

import pytest

from agent.render.text import percent
from tests.test_offline_any_plant import brewery, total  # noqa: F401

DAYS = {"7 September": "2026-09-07", "8 September": "2026-09-08"}


@pytest.mark.parametrize("first", ["7 September", "8 September"])
def test_an_either_questions_percent_is_the_first_named_against_the_other(brewery, first) -> None:  # noqa: F811
    agent, data = brewery
    second = next(d for d in DAYS if d != first)
    reply = agent.ask(f"{first} or {second}, which day was higher for Steam Raiser, by what %?")
    assert [c.name for c in reply.tool_calls] == ["compare_periods"], reply.answer
    a = total(data, "Steam Raiser", DAYS[first], DAYS[first])
    b = total(data, "Steam Raiser", DAYS[second], DAYS[second])
    expected = 100 * (a - b) / b
    lead = reply.answer.split("\n")[0]
    way = "more" if expected > 0 else "less"
    assert f"{percent(abs(expected), signed=False)} {way}" in lead, lead
