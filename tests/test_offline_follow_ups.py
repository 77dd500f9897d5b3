"""Follow-ups on the brewery plant of test_offline_any_plant: "the other one", "the second one"
and "the latter" point at one meter of what was discussed or are asked back; a price the user
stated holds for the later turns of the thread until replaced; "an alert for exactly that"
takes the threshold just discussed. Numbers are checked against pandas over the readings."""

from __future__ import annotations

import re

from tests.test_offline_any_plant import brewery, states, total

__all__ = ["brewery"]  # the fixture, imported for pytest

LAST_WEEK = ("2026-10-05", "2026-10-11")  # the clock is Thursday 15 October 2026, 10:00
SEPTEMBER = ("2026-09-01", "2026-09-30")
THREE = "Pump K1, Pump K2 and Mash Tun Drive energy last week"


def _no_figure(answer: str) -> bool:
    return not re.search(r"\d+(?:[.,]\d+)? ?(?:kWh|MWh|EUR|%)", answer)


def test_the_other_one_after_two_meters_discussed_is_the_first_of_them(brewery) -> None:
    agent, data = brewery
    first = agent.ask("Pump K1 energy yesterday")
    agent.ask("and Mash Tun Drive?", thread=first.thread)
    reply = agent.ask("and the other one last week?", thread=first.thread)
    # the two discussed, not Pump K1's twin Pump K2
    assert states(reply.answer, total(data, "Pump K1", *LAST_WEEK)), reply.answer
    assert not states(reply.answer, total(data, "Pump K2", *LAST_WEEK)), reply.answer


def test_the_other_one_after_three_meters_is_asked_back(brewery) -> None:
    agent, _ = brewery
    first = agent.ask(THREE)
    reply = agent.ask("and the other one in september?", thread=first.thread)
    assert reply.outcome == "clarify", reply.answer
    assert not reply.tool_calls, reply.tool_calls
    assert _no_figure(reply.answer), reply.answer
    assert "Pump K1, Pump K2, Mash Tun Drive" in reply.answer, reply.answer


def test_the_second_one_is_the_second_meter_of_the_answer(brewery) -> None:
    agent, data = brewery
    first = agent.ask(THREE)
    reply = agent.ask("the second one in MWh", thread=first.thread)
    assert [c.args["meters"] for c in reply.tool_calls] == [["Pump K2"]], reply.tool_calls
    mwh = total(data, "Pump K2", *LAST_WEEK) / 1000
    assert states(reply.answer, mwh, rel=0.0005), reply.answer


def test_an_ordinal_with_nothing_before_is_asked_back(brewery) -> None:
    agent, _ = brewery
    for question in ("and the first one last week?", "what about the latter?"):
        reply = agent.ask(question)
        assert reply.outcome == "clarify", reply.answer
        assert not reply.tool_calls and _no_figure(reply.answer), reply.answer


def test_the_latter_after_one_meter_is_asked_back(brewery) -> None:
    agent, _ = brewery
    first = agent.ask("Pump K1 energy last week")
    reply = agent.ask("and the latter in september?", thread=first.thread)
    assert reply.outcome == "clarify", reply.answer
    assert not reply.tool_calls and _no_figure(reply.answer), reply.answer


def test_a_stated_price_holds_through_a_topic_change_until_replaced(brewery) -> None:
    agent, data = brewery
    first = agent.ask("cost of Pump K1 last week at 0.20 EUR per kWh")
    assert states(first.answer, 0.20 * total(data, "Pump K1", *LAST_WEEK), rel=0.0005)
    agent.ask("any data gaps on Pump K2 in September?", thread=first.thread)
    # names its own meter and period: it inherits neither, but the price still holds
    reply = agent.ask("cost of Mash Tun Drive in September?", thread=first.thread)
    kwh = total(data, "Mash Tun Drive", *SEPTEMBER)
    assert [c.args["meter"] for c in reply.tool_calls] == ["Mash Tun Drive"], reply.tool_calls
    assert states(reply.answer, 0.20 * kwh, rel=0.0005), reply.answer
    replaced = agent.ask("and at 0.30 EUR per kWh?", thread=first.thread)
    assert states(replaced.answer, 0.30 * kwh, rel=0.0005), replaced.answer
    assert not states(replaced.answer, 0.20 * kwh, rel=0.0005), replaced.answer


def test_an_alert_for_exactly_that_takes_the_threshold_just_discussed(brewery) -> None:
    agent, _ = brewery
    first = agent.ask(
        "how many times last week was Incomer North above 50 kW for more than 30 minutes?"
    )
    assert first.tool_calls[0].args["threshold_kw"] == 50, first.tool_calls
    proposed = agent.ask("ok set up an alert for exactly that", thread=first.thread)
    assert proposed.outcome == "confirm", proposed.answer
    done = agent.ask("yes go ahead", thread=first.thread)
    (call,) = done.tool_calls
    assert call.name == "create_alert_rule", done.answer
    assert call.args["meter"] == "Incomer North", call.args
    assert (call.args["threshold"], call.args["condition"]) == (50, ">"), call.args
    assert call.args["for_minutes"] >= 30, call.args


def test_an_alert_for_it_with_no_threshold_before_is_asked_back(brewery) -> None:
    agent, _ = brewery
    first = agent.ask("Pump K1 energy last week")
    reply = agent.ask("ok set up an alert for that", thread=first.thread)
    assert reply.outcome == "clarify", reply.answer
    assert "threshold" in reply.answer, reply.answer
