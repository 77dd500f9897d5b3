"""Rules of the offline model that hold on any plant, on the brewery of test_offline_any_plant:
sides each written with a period of their own are paired, not crossed. Numbers are checked
against pandas over the readings written."""

from __future__ import annotations

from tests.test_offline_any_plant import brewery, states, total

__all__ = ["brewery"]  # the fixture, imported for pytest

LAST_WEEK = ("2026-10-05", "2026-10-11")
WEEK_BEFORE = ("2026-09-28", "2026-10-04")


def test_sides_each_with_their_own_period_are_paired_not_crossed(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("Pump K1 last week against Pump K2 the week before - give me both totals")
    asked = sorted((c.args["meters"][0], c.args["period"]) for c in reply.tool_calls)
    assert [c.name for c in reply.tool_calls] == ["query_metric"] * 2, reply.tool_calls
    assert [m for m, _ in asked] == ["Pump K1", "Pump K2"], asked
    assert states(reply.answer, total(data, "Pump K1", *LAST_WEEK)), reply.answer
    assert states(reply.answer, total(data, "Pump K2", *WEEK_BEFORE)), reply.answer
    # the crossed figures were not asked for
    assert not states(reply.answer, total(data, "Pump K1", *WEEK_BEFORE)), reply.answer
    assert not states(reply.answer, total(data, "Pump K2", *LAST_WEEK)), reply.answer


def test_sides_then_periods_are_still_every_side_in_every_period(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("Pump K1 and Pump K2, last week against the week before")
    for meter in ("Pump K1", "Pump K2"):
        for week in (LAST_WEEK, WEEK_BEFORE):
            assert states(reply.answer, total(data, meter, *week)), reply.answer
