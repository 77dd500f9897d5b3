"""The offline model on the demo plant with wordings that once gave a wrong number: a named
sub-meter subtracted from its board ("minus the X sub-meter"), the demand charge beside "not
the energy offer", "how many kWh did it produce". Numbers are checked against pandas over the
readings read with plain SQL."""

from __future__ import annotations

from sqlalchemy import Engine, text

from agent.loop import Agent
from tests.test_agent_offline import agent, assert_mentions_number, numbers, raw

__all__ = ["agent"]  # the fixture, used by name

LAST_WEEK = ("2026-10-26", "2026-11-02")  # [start, end) of the week before Thursday 5 Nov


def _children(engine: Engine, parent: str) -> list[str]:
    sql = text("SELECT c.name FROM meters c JOIN meters p ON p.id = c.parent_id WHERE p.name = :p")
    with engine.connect() as conn:
        return [name for (name,) in conn.execute(sql, {"p": parent}).all()]


def test_minus_a_named_sub_meter_subtracts_that_one_alone(
    agent: Agent, demo_engine: Engine
) -> None:
    reply = agent.ask("main incomer minus the chiller sub-meter last week")
    whole = raw(demo_engine, "main-incomer", *LAST_WEEK).sum()
    chiller = raw(demo_engine, "chiller", *LAST_WEEK).sum()
    lead = reply.answer.split("\n")[0]
    assert_mentions_number(lead, whole - chiller)
    others = sum(
        raw(demo_engine, m, *LAST_WEEK).sum() for m in _children(demo_engine, "main-incomer")
    )
    assert len(_children(demo_engine, "main-incomer")) > 1  # else the two readings agree
    assert not any(abs(n - (whole - others)) <= 0.005 * abs(whole - others) for n in numbers(lead))


def test_the_demand_charge_beside_not_the_energy_offer_keeps_the_sites_prices(
    agent: Agent, demo_engine: Engine
) -> None:
    reply = agent.ask(
        "line A cost in October with a 12 EUR/kW demand charge, use the site's prices, not the "
        "energy offer"
    )
    assert all(c.args.get("price_per_kwh") is None for c in reply.tool_calls), reply.tool_calls
    month = raw(demo_engine, "line-a", "2026-10-01", "2026-11-01")
    demand = 12 * float((4 * month).max())  # kW of a quarter hour: its kWh x 4
    cost = next(c for c in reply.tool_calls if c.args.get("kpi") == "cost")
    assert cost.args["demand_charge_per_kw"] == 12
    # the total is more than the demand charge: the energy is priced, not at nothing
    lead = next(line for line in reply.answer.split("\n") if "cost" in line)
    assert numbers(lead.split("**")[3])[0] > demand * 1.05, reply.answer


def test_how_many_kwh_did_it_produce_is_its_energy(agent: Agent, demo_engine: Engine) -> None:
    reply = agent.ask("how many kWh did line A produce yesterday")
    assert reply.outcome == "answer", reply.answer
    assert [c.args["metric"] for c in reply.tool_calls] == ["energy"], reply.tool_calls
    assert_mentions_number(
        reply.answer, raw(demo_engine, "line-a", "2026-11-04", "2026-11-05").sum()
    )
