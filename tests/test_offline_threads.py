"""Threads on the brewery plant of test_offline_any_plant: what a follow-up points back at ("the
two", "the same days last week", "difference?", "in dollars?") is found, and the numbers derived
from it are checked against pandas over the readings written. A change states its direction."""

from __future__ import annotations

import re
from datetime import datetime

import pandas as pd
import pytest

from tests.test_offline_any_plant import NOW, TZ, brewery, states, total

__all__ = ["brewery"]  # the fixture, imported for pytest

LAST_WEEK = ("2026-10-05", "2026-10-11")  # the clock is Thursday 15 October 2026, 10:00


def _change(answer: str) -> float:
    """The first change in % the answer states, signed by the word after it."""
    found = re.search(r"(\d[\d.]*)% (more|less|higher|lower)", answer)
    assert found, answer
    size = float(found.group(1))
    return size if found.group(2) in ("more", "higher") else -size


def _elapsed(data, meter: str, start: datetime) -> float:
    """A meter's readings from `start` over the time October has run at the clock."""
    values = data[meter]
    begin = start.timestamp()
    end = begin + (NOW - datetime(2026, 10, 1, tzinfo=NOW.tzinfo)).total_seconds()
    return float(values[(values.index >= begin) & (values.index < end)].sum())


def test_the_two_are_the_meters_of_the_last_two_questions(brewery) -> None:
    agent, data = brewery
    first = agent.ask("Pump K1 energy last week")
    agent.ask("and Pump K2?", thread=first.thread)
    reply = agent.ask("compare the two, difference in kWh", thread=first.thread)
    k1, k2 = (total(data, m, *LAST_WEEK) for m in ("Pump K1", "Pump K2"))
    assert reply.tool_calls[0].name == "compare_meters", reply.answer
    assert states(reply.answer, abs(k1 - k2)), reply.answer
    percent = agent.ask("as a percentage?", thread=first.thread)
    big, small = max(k1, k2), min(k1, k2)
    assert states(percent.answer, 100 * (big - small) / small, rel=0.005), percent.answer
    assert f"{100 * (big - small) / small:.1f}% more" in percent.answer, percent.answer


def test_that_as_a_percentage_after_which_of_the_two_keeps_two_sides(brewery) -> None:
    agent, data = brewery
    first = agent.ask("Pump K1 energy last week")
    agent.ask("and Pump K2?", thread=first.thread)
    agent.ask("which of the two is more, by how much?", thread=first.thread)
    reply = agent.ask("and that as a percentage?", thread=first.thread)
    k1, k2 = (total(data, m, *LAST_WEEK) for m in ("Pump K1", "Pump K2"))
    big, small = max(k1, k2), min(k1, k2)
    assert reply.tool_calls[0].name == "compare_meters", reply.answer
    assert states(reply.answer, 100 * (big - small) / small, rel=0.005), reply.answer
    assert not states(reply.answer, k1 + k2), reply.answer  # not the two added up


def test_the_same_days_last_week_and_their_difference(brewery) -> None:
    agent, data = brewery
    first = agent.ask("Incomer North this week so far?")
    same = agent.ask("and the same days last week?", thread=first.thread)
    # Monday to Wednesday: the whole days of this week before today (Thursday)
    before = total(data, "Incomer North", "2026-10-05", "2026-10-07")
    assert states(same.answer, before), same.answer
    assert not states(same.answer, total(data, "Incomer North", *LAST_WEEK)), same.answer
    diff = agent.ask("difference?", thread=first.thread)
    now = total(data, "Incomer North", "2026-10-12", "2026-10-14")
    assert diff.tool_calls[0].name == "compare_periods", diff.answer
    assert states(diff.answer, abs(now - before)), diff.answer
    assert _change(diff.answer) == pytest.approx(100 * (now - before) / before, abs=0.01)


@pytest.mark.parametrize("said", ["in dollars? 1 EUR = 1.10 USD", "in USD, 1.10 USD per EUR"])
def test_a_cost_follow_up_in_another_currency_converts_it(brewery, said: str) -> None:
    agent, data = brewery
    first = agent.ask("cost of Pump K1 last week at 0.20 EUR per kWh")
    reply = agent.ask(said, thread=first.thread)
    eur = total(data, "Pump K1", *LAST_WEEK) * 0.20
    assert reply.answer.startswith("In USD: "), reply.answer
    lead = reply.answer.split(". ")[0]
    assert states(lead, eur * 1.10, rel=0.0005), reply.answer
    assert not states(lead, eur, rel=0.0005), reply.answer  # the euros come after the answer


def test_a_change_between_periods_states_its_direction_in_words(brewery) -> None:
    """October, still running at the clock, against September over the same time elapsed."""
    agent, data = brewery
    reply = agent.ask("Pump K2 October vs September, % change?")
    now = _elapsed(data, "Pump K2", datetime(2026, 10, 1, tzinfo=NOW.tzinfo))
    before = _elapsed(data, "Pump K2", datetime(2026, 9, 1, tzinfo=NOW.tzinfo))
    assert _change(reply.answer) == pytest.approx(100 * (now - before) / before, abs=0.05)
    assert not re.search(r"[-+]\d[\d.]*%", reply.answer), reply.answer  # no bare sign


def test_a_change_in_percent_against_a_period_without_data_is_refused(brewery) -> None:
    agent, _ = brewery
    reply = agent.ask("Pump K1 October vs October last year, yoy in %")
    assert reply.outcome == "refuse", reply.answer
    assert "no data" in reply.answer, reply.answer
    assert not re.search(r"\d[\d,.]* ?(?:kWh|%)", reply.answer), reply.answer


def test_the_two_pumps_together_that_month_is_the_last_month_asked(brewery) -> None:
    agent, data = brewery
    first = agent.ask("Pump K1 energy in September")
    agent.ask("and in October?", thread=first.thread)
    reply = agent.ask("total kWh of the two pumps together that month?", thread=first.thread)
    # October is still running at the clock: up to now
    start = datetime(2026, 10, 1, tzinfo=NOW.tzinfo)
    october = sum(_elapsed(data, m, start) for m in ("Pump K1", "Pump K2"))
    assert states(reply.answer, october), reply.answer


def test_a_ranking_that_leaves_out_a_board_ranks_the_end_meters(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("top 2 electricity consumers last week, not the Incomer North board")
    assert reply.outcome == "answer", reply.answer
    assert [c.name for c in reply.tool_calls] == ["rank_meters"], reply.answer
    assert "meter" not in reply.tool_calls[0].args, reply.tool_calls[0].args
    ends = ("Mash Tun Drive", "Pump K1", "Pump K2", "Bottling Hall")
    first = max(ends, key=lambda m: total(data, m, *LAST_WEEK))
    assert f"**{first}**" in reply.answer.split("\n")[0], reply.answer
    assert "leaves out Incomer North" in reply.answer, reply.answer


def test_not_counting_a_board_is_read_whole_not_as_a_meter_named_counting(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("top 3 energy users last week, not counting the Incomer North board")
    assert reply.outcome == "answer", reply.answer
    assert "There is no meter" not in reply.answer, reply.answer
    # the words the ranking read are not said to be unused
    assert "I did not use" not in reply.answer, reply.answer
    ends = ("Mash Tun Drive", "Pump K1", "Pump K2", "Bottling Hall")
    first = max(ends, key=lambda m: total(data, m, *LAST_WEEK))
    assert f"**{first}**" in reply.answer.split("\n")[0], reply.answer


def test_a_share_of_the_meter_that_feeds_the_others_takes_it_as_the_whole(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("what share of Incomer North went into Pump K1 + Pump K2 last week?")
    assert reply.outcome == "answer", reply.answer
    parts = sum(total(data, m, *LAST_WEEK) for m in ("Pump K1", "Pump K2"))
    share = 100 * parts / total(data, "Incomer North", *LAST_WEEK)
    assert states(reply.answer.split("\n")[0], share, rel=0.005), reply.answer


def test_it_in_a_first_question_asks_which_meter_with_no_number(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("how much did it use last week?")
    assert reply.outcome == "clarify", reply.answer
    assert not reply.tool_calls, reply.tool_calls
    assert not re.search(r"\d+(?:[.,]\d+)? ?(?:kWh|%)", reply.answer), reply.answer
    named = agent.ask("Pump K2, sorry", thread=reply.thread)
    assert states(named.answer, total(data, "Pump K2", *LAST_WEEK)), named.answer


def test_the_other_one_after_one_of_two_pumps_is_the_other_pump(brewery) -> None:
    agent, data = brewery
    first = agent.ask("Pump K1 energy last week")
    reply = agent.ask("same for the other one", thread=first.thread)
    assert states(reply.answer, total(data, "Pump K2", *LAST_WEEK)), reply.answer
    assert not states(reply.answer, total(data, "Pump K1", *LAST_WEEK)), reply.answer


def test_water_without_a_water_meter_is_refused_not_the_gas_in_m3(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("how much water did the brewery use last week, in m3?")
    assert reply.outcome == "refuse", reply.answer
    assert "water" in reply.answer, reply.answer
    assert not states(reply.answer, total(data, "Hot Water Heater", *LAST_WEEK)), reply.answer


def test_a_period_before_the_history_is_refused(brewery) -> None:
    agent, _ = brewery
    reply = agent.ask("Pump K1 energy in July 2026")
    assert reply.outcome == "refuse", reply.answer
    assert "no energy readings" in reply.answer, reply.answer


def test_both_together_after_two_shares_is_the_share_of_the_two(brewery) -> None:
    agent, data = brewery
    first = agent.ask("Pump K1 as a share of Incomer North last week?")
    agent.ask("and Pump K2?", thread=first.thread)
    reply = agent.ask("both together?", thread=first.thread)
    parts = sum(total(data, m, *LAST_WEEK) for m in ("Pump K1", "Pump K2"))
    share = 100 * parts / total(data, "Incomer North", *LAST_WEEK)
    assert states(reply.answer, share, rel=0.005), reply.answer


def test_an_incident_question_after_numbers_does_not_take_their_period(brewery) -> None:
    agent, _ = brewery
    first = agent.ask("Pump K1 energy last week")
    reply = agent.ask("any incident still open on it?", thread=first.thread)
    assert [c.name for c in reply.tool_calls] == ["list_incidents"], reply.answer
    args = reply.tool_calls[0].args
    assert args.get("meter") == "Pump K1", args
    assert "period" not in args, args


def test_it_after_a_ranking_in_one_question_is_the_top_meter(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("biggest consumer last week and how many kWh did it use?")
    assert reply.outcome == "answer", reply.answer
    assert [c.name for c in reply.tool_calls] == ["rank_meters"], reply.answer
    top = reply.answer.split("**")[1]  # the meter the lead names
    assert states(reply.answer.split("\n")[0], total(data, top, *LAST_WEEK)), reply.answer


def test_minus_what_its_sub_meters_see_subtracts_every_sub_meter(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("Incomer North minus what its sub-meters (Pump K1) see last week, in kWh?")
    parts = sum(total(data, m, *LAST_WEEK) for m in ("Mash Tun Drive", "Pump K1", "Pump K2"))
    unmetered = total(data, "Incomer North", *LAST_WEEK) - parts
    assert states(reply.answer.split("\n")[0], unmetered, rel=0.005), reply.answer


def test_send_me_the_numbers_with_nothing_before_asks_which(brewery) -> None:
    agent, _ = brewery
    reply = agent.ask("send me the numbers")
    assert reply.outcome == "clarify", reply.answer
    assert not reply.tool_calls, reply.tool_calls
    assert "send e-mail" in reply.answer, reply.answer
    named = agent.ask("export Pump K1's daily kWh for last week to excel")
    assert named.outcome == "refuse", named.answer


def test_a_percent_change_after_two_periods_of_one_meter_compares_them(brewery) -> None:
    agent, data = brewery
    first = agent.ask("Pump K1 energy last week")
    agent.ask("and the week before?", thread=first.thread)
    reply = agent.ask("as a % change?", thread=first.thread)
    now, before = (
        total(data, "Pump K1", *LAST_WEEK),
        total(data, "Pump K1", "2026-09-28", "2026-10-04"),
    )
    assert _change(reply.answer) == pytest.approx(100 * (now - before) / before, abs=0.051)


def test_a_bare_figure_after_a_meter_is_that_meters(brewery) -> None:
    agent, data = brewery
    first = agent.ask("Bottling Hall kWh last week")
    reply = agent.ask("per m2?", thread=first.thread)
    assert states(reply.answer, total(data, "Bottling Hall", *LAST_WEEK) / 800), reply.answer


def test_both_weeks_together_after_last_week_and_the_week_before(brewery) -> None:
    """ "last week" is a word until resolved: the two weeks discussed, one named by a word and
    one by its dates, add up to one range."""
    agent, data = brewery
    first = agent.ask("Pump K1 energy last week")
    agent.ask("and the week before?", thread=first.thread)
    reply = agent.ask("both weeks together, in MWh please", thread=first.thread)
    both = total(data, "Pump K1", "2026-09-28", LAST_WEEK[1])
    assert reply.tool_calls[0].args["period"] == f"2026-09-28..{LAST_WEEK[1]}", reply.tool_calls
    assert states(reply.answer, both) or states(reply.answer, both / 1000), reply.answer
    one_week = total(data, "Pump K1", "2026-09-28", "2026-10-04")
    assert not states(reply.answer, one_week), reply.answer


@pytest.mark.parametrize(("said", "pick"), [("the bigger one", max), ("the smaller one", min)])
def test_the_bigger_one_is_the_meter_the_comparison_put_first(brewery, said, pick) -> None:
    agent, data = brewery
    first = agent.ask("which used more last week, Pump K1 or Pump K2, and by how much?")
    totals = {m: total(data, m, *LAST_WEEK) for m in ("Pump K1", "Pump K2")}
    meant = pick(totals, key=totals.__getitem__)
    reply = agent.ask(f"and {said}'s energy the week before?", thread=first.thread)
    assert [c.args["meters"] for c in reply.tool_calls] == [[meant]], reply.answer
    assert states(reply.answer, total(data, meant, "2026-09-28", "2026-10-04")), reply.answer


def test_the_bigger_one_with_no_comparison_before_is_asked_back(brewery) -> None:
    agent, _ = brewery
    first = agent.ask("Pump K1 energy last week")
    reply = agent.ask("and the bigger one?", thread=first.thread)
    assert reply.outcome == "clarify" and not reply.tool_calls, reply.answer
    assert "the bigger one" in reply.answer, reply.answer


def test_the_same_two_machines_are_the_two_just_compared(brewery) -> None:
    """ "same 2 machines" is the pair of the last answer, not every machine of the site."""
    agent, data = brewery
    first = agent.ask("which used more last week, Pump K1 or Pump K2?")
    reply = agent.ask(
        "same 2 machines, nights only 22:00-06:00, kWh added up for that week", thread=first.thread
    )
    assert reply.tool_calls[0].args["meters"] == ["Pump K1", "Pump K2"], reply.tool_calls
    night = 0.0
    for meter in ("Pump K1", "Pump K2"):
        values = data[meter]
        local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
        days = local.strftime("%Y-%m-%d")
        inside = (days >= LAST_WEEK[0]) & (days <= LAST_WEEK[1])
        at_night = (local.hour >= 22) | (local.hour < 6)
        night += float(values[inside & at_night].sum())
    assert states(reply.answer.split("\n")[0], night, rel=0.002), reply.answer


def test_those_two_months_together_are_the_months_of_two_turns(brewery) -> None:
    agent, data = brewery
    first = agent.ask("Incomer North energy in September?")
    agent.ask("and the month before?", thread=first.thread)
    reply = agent.ask(
        "ok, now Pump K1. how much did it use over those two months together?", thread=first.thread
    )
    assert [c.args["period"] for c in reply.tool_calls] == ["2026-08-01..2026-09-30"]
    assert states(reply.answer, total(data, "Pump K1", "2026-08-01", "2026-09-30")), reply.answer


def test_the_biggest_consumer_asked_first_is_a_ranking_not_a_referent(brewery) -> None:
    agent, _ = brewery
    reply = agent.ask("What share of last week's consumption was the biggest consumer?")
    assert [c.name for c in reply.tool_calls] == ["rank_meters"], reply.answer


def test_that_week_s_total_is_the_one_week_just_discussed(brewery) -> None:
    """ "that week's" is one week (a possessive, not "those weeks")."""
    agent, data = brewery
    first = agent.ask("overnight 22:00-06:00 last week: how much did Incomer North use?")
    agent.ask("and the week before?", thread=first.thread)
    reply = agent.ask("as a percentage of that week's total consumption?", thread=first.thread)
    assert [c.args["period"] for c in reply.tool_calls] == ["2026-09-28..2026-10-04"]
    values = data["Incomer North"]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    days = local.strftime("%Y-%m-%d")
    week = (days >= "2026-09-28") & (days <= "2026-10-04")
    night = week & ((local.hour >= 22) | (local.hour < 6))
    share = 100 * float(values[night].sum()) / float(values[week].sum())
    assert states(reply.answer.split("\n")[0], round(share, 1), rel=0.0001), reply.answer
