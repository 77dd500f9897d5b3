"""Round G rules of the offline planner on the brewery plant of test_offline_any_plant: one shift
not named is asked back; a back-test of several meters added up is asked back, never tried on
the first of them; after "which one?" a piece of one offered name picks it; a bare "consumo de"
a quantity nobody meters is refused."""

from __future__ import annotations

from tests.test_offline_any_plant import brewery

__all__ = ["brewery"]  # the fixture, imported for pytest


def test_one_shift_not_named_is_asked_back(brewery) -> None:
    agent, _ = brewery
    reply = agent.ask("how much did Mash Tun Drive use in the shift yesterday?")
    assert not reply.tool_calls, reply.tool_calls
    assert "day crew" in reply.answer and "late crew" in reply.answer, reply.answer
    each = agent.ask("how much did Mash Tun Drive use by shift yesterday?")
    assert [c.name for c in each.tool_calls] == ["split_consumption"], each.tool_calls


def test_a_backtest_of_meters_added_up_is_asked_back(brewery) -> None:
    agent, _ = brewery
    reply = agent.ask(
        "if we had an alert on Pump K1 + Pump K2 together above 4 kW for more than 30 min, "
        "how often would it have fired last month?"
    )
    assert not reply.tool_calls, reply.tool_calls
    assert "Pump K1 + Pump K2" in reply.answer and "one meter" in reply.answer, reply.answer
    one = agent.ask("if we had an alert on Pump K1 above 1.5 kW, how often would it have fired?")
    assert [c.name for c in one.tool_calls] == ["backtest_alert_rule"], one.tool_calls


def test_a_piece_of_one_offered_name_picks_it(brewery) -> None:
    agent, _ = brewery
    first = agent.ask("how much did the pump use last week?")
    assert not first.tool_calls and "Pump K1" in first.answer, first.answer
    reply = agent.ask("the K2", thread=first.thread)
    assert [c.args.get("meters") for c in reply.tool_calls] == [["Pump K2"]], reply.tool_calls


def test_consumption_of_a_quantity_nobody_meters_is_refused_in_portuguese(brewery) -> None:
    agent, _ = brewery
    reply = agent.ask("qual foi o consumo de energia reativa (kvarh) do Incomer North em setembro?")
    assert not reply.tool_calls, reply.tool_calls
    assert "kvarh" in reply.answer.lower(), reply.answer


def test_the_week_before_in_portuguese_then_last_week_vs_that_one(brewery) -> None:
    agent, _ = brewery  # the clock is Thursday 15 October 2026
    first = agent.ask("Incomer North last week, kWh")
    before = agent.ask("e a semana anterior?", thread=first.thread)
    assert [c.args["period"] for c in before.tool_calls] == ["2026-09-28..2026-10-04"]
    vs = agent.ask("so how much up or down is last week vs that one, in %?", thread=first.thread)
    assert [(c.name, c.args.get("reference")) for c in vs.tool_calls] == [
        ("compare_periods", "2026-09-28..2026-10-04")
    ], vs.tool_calls
