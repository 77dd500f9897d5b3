"""A price or emission factor the user states belongs to the carrier it was stated for: a
follow-up about a meter of another carrier is costed or counted at the site's own value for
that carrier (and says so), a follow-up about the same carrier keeps the stated one. Numbers
are checked against pandas over the readings written (tests/test_offline_any_plant.py)."""

from __future__ import annotations

from tests.test_offline_any_plant import brewery, states, total

__all__ = ["brewery"]  # the fixture, used by name

SEPTEMBER = ("2026-09-01", "2026-09-30")
GAS_DEFAULT = 0.20  # tools.base.SiteConfig's built-in gas factor, this plant declaring none


def test_a_stated_grid_factor_is_not_used_for_the_gas_boiler(brewery) -> None:
    agent, data = brewery
    first = agent.ask("carbon of Pump K2 last month at 0.35 kg/kWh")
    assert states(first.answer, 0.35 * total(data, "Pump K2", *SEPTEMBER)), first.answer
    reply = agent.ask("and the boiler?", thread=first.thread)
    call = reply.tool_calls[0]
    assert call.args["meter"] == "Steam Raiser"
    assert "emission_factor" not in call.args
    gas = total(data, "Steam Raiser", *SEPTEMBER)
    assert states(reply.answer, GAS_DEFAULT * gas), reply.answer
    assert not states(reply.answer, 0.35 * gas), reply.answer
    assert "default" in reply.answer, reply.answer


def test_a_stated_factor_holds_for_another_meter_of_the_same_carrier(brewery) -> None:
    agent, data = brewery
    first = agent.ask("carbon of Pump K2 last month at 0.35 kg/kWh")
    agent.ask("and the boiler?", thread=first.thread)
    reply = agent.ask("and Pump K1?", thread=first.thread)
    assert reply.tool_calls[0].args.get("emission_factor") == 0.35
    assert states(reply.answer, 0.35 * total(data, "Pump K1", *SEPTEMBER)), reply.answer


def test_a_stated_price_is_not_used_for_the_gas_boiler(brewery) -> None:
    agent, data = brewery
    first = agent.ask("cost of Pump K2 last month at 0.25 EUR/kWh")
    assert states(first.answer, 0.25 * total(data, "Pump K2", *SEPTEMBER)), first.answer
    reply = agent.ask("and the boiler?", thread=first.thread)
    assert "price_per_kwh" not in reply.tool_calls[0].args
    assert not states(reply.answer, 0.25 * total(data, "Steam Raiser", *SEPTEMBER)), reply.answer
    same = agent.ask("and Pump K1?", thread=first.thread)
    assert same.tool_calls[0].args.get("price_per_kwh") == 0.25
    assert states(same.answer, 0.25 * total(data, "Pump K1", *SEPTEMBER)), same.answer


def test_a_factor_stated_for_gas_applies_to_the_gas_meter_only(brewery) -> None:
    agent, data = brewery
    first = agent.ask("carbon of the boiler last month with a gas factor of 0.18 kg/kWh")
    assert states(first.answer, 0.18 * total(data, "Steam Raiser", *SEPTEMBER)), first.answer
    reply = agent.ask("and Pump K2?", thread=first.thread)
    assert "emission_factor" not in reply.tool_calls[0].args
    assert not states(reply.answer, 0.18 * total(data, "Pump K2", *SEPTEMBER)), reply.answer


def test_a_factor_stated_for_each_carrier_is_kept_for_each(brewery) -> None:
    agent, data = brewery
    first = agent.ask("carbon of Pump K2 last month at 0.35 kg/kWh")
    gas = agent.ask("and the boiler at 0.18 kg/kWh?", thread=first.thread)
    assert states(gas.answer, 0.18 * total(data, "Steam Raiser", *SEPTEMBER)), gas.answer
    grid = agent.ask("and Pump K1?", thread=first.thread)
    assert grid.tool_calls[0].args.get("emission_factor") == 0.35
    assert states(grid.answer, 0.35 * total(data, "Pump K1", *SEPTEMBER)), grid.answer
    again = agent.ask("and the boiler?", thread=first.thread)
    assert again.tool_calls[0].args.get("emission_factor") == 0.18
    assert states(again.answer, 0.18 * total(data, "Steam Raiser", *SEPTEMBER)), again.answer
