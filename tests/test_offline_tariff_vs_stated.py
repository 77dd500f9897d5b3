"""A comparison of the site's tariff with prices the question states ("our tariff vs a flat
0.30 EUR/kWh") prices both sides, the one said first first; a cost at stated prices alone
stays one figure."""

from __future__ import annotations

from tests.test_offline_any_plant import brewery, states, total  # noqa: F401


def test_our_tariff_versus_a_flat_price_prices_both(brewery) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask("Pump K1 cost last week: our tariff vs a flat 0.30 EUR/kWh?")
    costs = [c.args for c in reply.tool_calls if c.args.get("kpi") == "cost"]
    assert len(costs) == 2, reply.answer
    assert "price_per_kwh" not in costs[0] and costs[1]["price_per_kwh"] == 0.30
    assert {c["meter"] for c in costs} == {"Pump K1"}
    flat = total(data, "Pump K1", "2026-10-05", "2026-10-11") * 0.30
    assert states(reply.answer, flat), reply.answer
    assert reply.answer.count("Used: tariff") == 2, reply.answer


def test_the_stated_price_said_first_is_priced_first(brewery) -> None:  # noqa: F811
    agent, _ = brewery
    reply = agent.ask("Pump K1 last week at a flat 0.30 EUR/kWh compared with our tariff, cost?")
    costs = [c.args for c in reply.tool_calls if c.args.get("kpi") == "cost"]
    assert [c.get("price_per_kwh") for c in costs] == [0.30, None], reply.answer


def test_a_stated_price_alone_is_one_cost(brewery) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask("Pump K1 cost last week at a flat 0.30 EUR/kWh?")
    costs = [c.args for c in reply.tool_calls if c.args.get("kpi") == "cost"]
    assert len(costs) == 1 and costs[0]["price_per_kwh"] == 0.30, reply.answer
    assert states(reply.answer, total(data, "Pump K1", "2026-10-05", "2026-10-11") * 0.30)
