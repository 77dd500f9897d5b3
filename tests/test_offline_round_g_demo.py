"""Round G rules on the brewery of test_offline_any_plant and the reader plants: "that pump"
after an answer about one of them is that one; a KPI against a period named after it is
compared; a count of the readings a meter should have is a coverage check that states the
count; a follow-up naming a meter without the carried measure's series asks that meter's own
series; a severity named after a listing of incidents is a look-up of incidents."""

from __future__ import annotations

from agent.reader import Frame, Intent, follow, read
from tests.reader_plants import NOW, PLANTS
from tests.test_offline_any_plant import brewery

__all__ = ["brewery"]  # the fixture, imported for pytest


def test_that_word_for_two_meters_is_the_one_the_last_answer_was_about(brewery) -> None:
    agent, _ = brewery
    first = agent.ask("Pump K1 kWh last week")
    reply = agent.ask("base load of that pump last week?", thread=first.thread)
    assert [(c.name, c.args["meter"]) for c in reply.tool_calls] == [("compute_kpi", "Pump K1")]


def test_a_base_load_against_a_period_named_after_it_is_compared(brewery) -> None:
    agent, _ = brewery
    first = agent.ask("Pump K1 base load last week")
    reply = agent.ask("vs the week before?", thread=first.thread)
    periods = [c.args["period"] for c in reply.tool_calls]
    assert [c.args["kpi"] for c in reply.tool_calls] == ["base_load", "base_load"], periods
    assert periods == ["last week", "2026-09-28..2026-10-04"], reply.answer


def test_how_many_readings_a_meter_should_have_is_its_coverage_count(brewery) -> None:
    agent, _ = brewery
    reply = agent.ask("how many 15-min readings should Pump K1 have for yesterday?")
    assert [c.name for c in reply.tool_calls] == ["data_coverage"], reply.answer
    assert "all 96 expected intervals arrived" in reply.answer, reply.answer


def test_a_meter_named_without_the_carried_measures_series_asks_its_own() -> None:
    werk = PLANTS["werk"]
    first = read("how much gas did the Gaskessel burn last week?", werk, NOW)
    reply = follow(read("Wetterstation over the same time?", werk, NOW), Frame.after(None, first),
                   NOW, werk)  # fmt: skip
    # its own (and only) series, not the gas energy carried from the turn before
    assert reply.meter_names == ("Wetterstation",)
    assert [(m.kpi, m.metric) for m in reply.measures] == [(None, "outdoor_temperature")]


def test_a_severity_after_a_listing_of_incidents_asks_the_incidents() -> None:
    werk = PLANTS["werk"]
    first = read("which incidents are still open?", werk, NOW)
    reply = follow(read("the critical one - how much extra kWh?", werk, NOW),
                   Frame.after(None, first), NOW, werk)  # fmt: skip
    assert first.intent is Intent.INCIDENT and reply.intent is Intent.INCIDENT
