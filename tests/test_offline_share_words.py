"""A percent of one named meter put as a part of another ("Pump K1 as a % of Incomer North")
is that meter's share of the other, on a plant unlike the demo, never the two added up.
Numbers are checked against pandas over the readings written."""

from __future__ import annotations

from tests.test_offline_any_plant import brewery, total  # noqa: F401


def test_one_meter_as_a_percent_of_another_is_its_share(brewery) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask("Pump K1 as a % of Incomer North in September")
    assert [c.name for c in reply.tool_calls] == ["share_of"], reply.answer
    assert reply.tool_calls[0].args["of"] == ["Incomer North"], reply.tool_calls[0].args
    part = total(data, "Pump K1", "2026-09-01", "2026-09-30")
    whole = total(data, "Incomer North", "2026-09-01", "2026-09-30")
    assert f"{100 * part / whole:.1f}%" in reply.answer, reply.answer
