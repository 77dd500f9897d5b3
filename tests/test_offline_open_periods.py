"""Periods that end now and dates that do not exist: "since 1 October" and "from 1 October"
(no end given) run until the time of asking and the answer says that end; "31 February", or a
range starting on "30 February", is said to be no date and asked back, never read as the whole
month. Numbers are checked against pandas over the readings."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.test_offline_any_plant import NOW, ZONE, brewery, states  # noqa: F401
from tests.test_offline_honesty import no_figure


def until_now(values: pd.Series, first: str) -> float:
    start = pd.Timestamp(first, tz=ZONE).timestamp()
    stamps = pd.Series(values.index, index=values.index)
    return float(values[(stamps >= start) & (stamps < NOW.timestamp())].sum())


@pytest.mark.parametrize("question", ["Pump K1 since 1 October", "Pump K1 from 1 October"])
def test_a_period_with_no_end_runs_until_now_and_says_so(brewery, question: str) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask(question)
    assert [c.args["period"] for c in reply.tool_calls] == ["since 2026-10-01"], reply.answer
    assert states(reply.answer, until_now(data["Pump K1"], "2026-10-01")), reply.answer
    assert f"{NOW:%-d %b %Y %H:%M}" in reply.answer, reply.answer


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("how much did Pump K1 use on 31 February?", "There is no 31 February"),
        ("Pump K1 on February 30", "There is no 30 February"),
        ("Pump K1 from 30 February to 3 March", "There is no 30 February"),
        ("Pump K1 on 31 September", "There is no 31 September"),
    ],
)
def test_a_day_the_month_lacks_is_said_and_asked_back(brewery, question: str, said: str) -> None:  # noqa: F811
    agent, _ = brewery
    reply = agent.ask(question)
    assert reply.outcome == "clarify" and not reply.tool_calls, reply.answer
    assert said in reply.answer and no_figure(reply.answer), reply.answer
