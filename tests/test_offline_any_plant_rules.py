"""Rules of the offline model that hold on any plant, on the brewery of test_offline_any_plant:
a name the catalogue lacks, words asked to be left out that name no meter, the site's energy
per m2 with a supply fed apart, and the forecast of gas read in m3. Numbers are checked against
pandas over the readings written."""

from __future__ import annotations

import re

import pandas as pd

from agent.offline.knowledge import search_query
from tests.test_offline_any_plant import NOW, TZ, brewery, numbers, states, to_now, total

__all__ = ["brewery"]  # the fixture, imported for pytest

LAST_WEEK = ("2026-10-05", "2026-10-11")
CALORIFIC = 10.5  # kWh/m3, the brewery's catalogue


def test_another_member_of_a_family_is_refused_naming_the_members(brewery) -> None:
    agent, _ = brewery
    reply = agent.ask("energy of pump k3 in october")
    assert reply.outcome == "refuse" and not reply.tool_calls, reply.answer
    assert "There is no meter 'pump k3'" in reply.answer
    assert "Pump K1 and Pump K2" in reply.answer
    assert "kWh" not in reply.answer


def test_a_name_close_to_no_meter_is_asked_back_listing_the_meters(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("energy of the centrifuge in october")
    assert reply.outcome == "clarify" and not reply.tool_calls, reply.answer
    assert "There is no meter 'centrifuge'" in reply.answer
    assert all(m in reply.answer for m in data), reply.answer
    assert "kWh" not in reply.answer and reply.answer.endswith("Which one did you mean?")
    # the answer to "which one?" goes on with the question asked
    chosen = "Pump K1"
    follow = agent.ask(chosen, thread=reply.thread)
    assert follow.outcome == "answer" and follow.tool_calls, follow.answer
    # October is still running at the clock: to now
    assert states(follow.answer, to_now(data, chosen, "2026-10-01")), follow.answer


def test_words_asked_to_be_left_out_that_name_no_meter_are_asked_back(brewery) -> None:
    """A total with nothing left out would be a figure for another question: asked back, with
    the user's words and what they asked for, not "I did not use 'board'"."""
    agent, _ = brewery
    reply = agent.ask("electricity last week, excluding the board")
    assert reply.outcome == "clarify" and not reply.tool_calls, reply.answer
    assert "'excluding the board'" in reply.answer, reply.answer
    assert not re.search(r"\d\s*kWh", reply.answer), reply.answer


def test_a_ranking_told_to_leave_out_words_no_meter_has_says_so(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("top 3 electricity users last week, not the boards")
    assert [c.name for c in reply.tool_calls] == ["rank_meters"], reply.answer
    ends = ("Mash Tun Drive", "Pump K1", "Pump K2", "Bottling Hall")
    first = max(ends, key=lambda m: total(data, m, *LAST_WEEK))
    assert f"**{first}**" in reply.answer.split("\n")[0], reply.answer
    assert "I did not act on 'not the boards'" in reply.answer, reply.answer


def test_the_sites_energy_per_m2_is_every_supply_over_the_sites_floor_area(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("kWh/m2 for the site last week")
    assert reply.outcome == "answer", reply.answer
    supplies = total(data, "Incomer North", *LAST_WEEK) + total(data, "Bottling Hall", *LAST_WEEK)
    main_only = total(data, "Incomer North", *LAST_WEEK) / 6000
    assert states(reply.answer, supplies / 6000, rel=0.005), reply.answer
    assert not states(reply.answer, main_only, rel=0.005), reply.answer
    assert "Bottling Hall" in reply.answer


def _week_profile_m3(values: pd.Series) -> float:
    """The sum over the 168 hours of the week of each hour's median over the history before
    the clock: the forecast's week before it is scaled to the recent level."""
    before = values[values.index < int(NOW.timestamp())]
    local = pd.to_datetime(before.index, unit="s", utc=True).tz_convert(TZ)
    slot = local.day_of_week * 24 + local.hour
    return float(before.groupby(slot).median().sum())


def test_a_gas_meter_read_in_m3_is_forecast_as_energy_with_the_calorific_value(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("forecast of the hot water heater for next week")
    assert reply.outcome == "answer", reply.answer
    assert [(c.name, c.args["meter"]) for c in reply.tool_calls] == [
        ("forecast", "Hot Water Heater")
    ]
    first = reply.answer.split("\n")[0]
    stated = re.search(r"\*\*([\d,.]+) kWh\*\*", first)
    assert stated, first
    expected = float(stated.group(1).replace(",", ""))
    typical = _week_profile_m3(data["Hot Water Heater"]) * CALORIFIC
    # the level it is scaled by lies between 0.7 and 1.3; in m3 it would be ten times smaller
    assert 0.7 * typical <= expected <= 1.3 * typical, (expected, typical)
    assert "converted to kWh at 10.5 kWh/m3" in reply.answer, reply.answer
    assert numbers(first)


def test_search_words_keep_their_accented_letters() -> None:
    words = search_query("histórico da Caldeira a Gás").split()
    assert {"histórico", "caldeira", "gás"} <= set(words), words
    assert not {"hist", "rico", "g", "s"} & set(words), words
