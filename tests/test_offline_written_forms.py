"""Rules of the offline planner on the brewery plant of test_offline_any_plant: the site's total
"incl." a building fed apart adds that building; money "spent on" a quantity nobody meters is
refused; a purpose said after the question ("- leak hunting") names no incident; the number of
meters in the catalogue is counted by SQL; days set against days said before keep the order
they were said in, and days that are no calendar unit are not set against a running period."""

from __future__ import annotations

import re

from tests.test_offline_any_plant import brewery, total

__all__ = ["brewery"]  # the fixture, imported for pytest


def _states(answer: str, expected: float) -> bool:
    found = [float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*\.?\d*", answer)]
    return any(abs(n - expected) <= 0.001 * abs(expected) + 0.5 for n in found)


def test_the_site_total_including_a_building_fed_apart_adds_it(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("site electricity in september incl. the Bottling Hall, kWh total")
    meters = [c.args.get("meters") or [c.args.get("meter")] for c in reply.tool_calls]
    assert meters and all(set(m) <= {"Incomer North", "Bottling Hall"} for m in meters), meters
    assert {n for m in meters for n in m} == {"Incomer North", "Bottling Hall"}, meters
    both = total(data, "Incomer North", "2026-09-01", "2026-09-30") + total(
        data, "Bottling Hall", "2026-09-01", "2026-09-30"
    )
    assert _states(reply.answer, both), (both, reply.answer)


def test_money_spent_on_a_quantity_nobody_meters_is_refused(brewery) -> None:
    agent, _ = brewery
    reply = agent.ask("and what did we spend on water last month?")
    assert not reply.tool_calls, reply.tool_calls
    assert "water" in reply.answer, reply.answer
    metered = agent.ask("what did we spend on the Incomer North last month?")
    assert [c.name for c in metered.tool_calls] == ["compute_kpi"], metered.tool_calls


def test_a_purpose_after_the_question_names_no_incident(brewery) -> None:
    agent, _ = brewery
    reply = agent.ask("Pump K2 kWh at night (22:00-06:00) last week - leak hunting")
    assert [c.name for c in reply.tool_calls] == ["clock_window"], reply.tool_calls


def test_the_number_of_meters_in_the_catalogue_is_counted(brewery) -> None:
    agent, _ = brewery
    reply = agent.ask("how many meters do we have in the catalogue in total?")
    assert [c.name for c in reply.tool_calls] == ["run_sql"], reply.tool_calls
    assert "7" in reply.answer, reply.answer
    other = agent.ask("how many meters had anomalies last week?")
    assert "run_sql" not in [c.name for c in other.tool_calls], other.tool_calls


def test_days_set_against_days_said_before_keep_their_order(brewery) -> None:
    agent, data = brewery  # the clock is Thursday 15 October 2026; the site writes day first
    first = agent.ask("Incomer North kWh on 21-22/09?")
    assert [c.args.get("period") for c in first.tool_calls] == ["2026-09-21..2026-09-22"]
    vs = agent.ask("and vs 28-29/09, difference in kWh?", thread=first.thread)
    assert [(c.name, c.args.get("period"), c.args.get("reference")) for c in vs.tool_calls] == [
        ("compare_periods", "2026-09-21..2026-09-22", "2026-09-28..2026-09-29")
    ], vs.tool_calls
    before = total(data, "Incomer North", "2026-09-21", "2026-09-22")
    after = total(data, "Incomer North", "2026-09-28", "2026-09-29")
    assert _states(vs.answer, abs(before - after)), (before - after, vs.answer)


def test_days_that_are_no_calendar_unit_are_not_set_against_a_running_period(brewery) -> None:
    agent, _ = brewery
    alone = agent.ask("Incomer North difference in kWh vs 28-29/09?")
    assert not alone.tool_calls, alone.tool_calls


def test_a_peak_said_in_portuguese_with_its_unit_alone(brewery) -> None:
    agent, _ = brewery
    reply = agent.ask("maior demanda (15 min) do Incomer North em setembro, kW e quando?")
    assert [(c.name, c.args.get("kpi")) for c in reply.tool_calls] == [
        ("compute_kpi", "peak_demand")
    ], reply.tool_calls


def test_separate_times_beyond_a_level_are_counted_as_runs(brewery) -> None:
    agent, _ = brewery
    reply = agent.ask(
        "how many separate times did Pump K2 go above 2.5 kW in september? any duration counts"
    )
    assert [c.name for c in reply.tool_calls] == ["count_episodes"], reply.tool_calls
    assert "duration counts" not in reply.answer, reply.answer
    plain = agent.ask(
        "how many times in september did Pump K2 stay over 2.5 kW for more than 30 min? "
        "just the runs, no hysteresis"
    )
    assert [c.name for c in plain.tool_calls] == ["count_episodes"], plain.tool_calls
    assert "I did not use" not in plain.answer, plain.answer


def test_a_share_of_the_whole_site_named_in_brackets(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("what % of the whole site (Incomer North) was Pump K1 in september?")
    assert [(c.name, c.args.get("meters"), c.args.get("of")) for c in reply.tool_calls] == [
        ("share_of", ["Pump K1"], ["Incomer North"])
    ], reply.tool_calls
    share = (
        100
        * total(data, "Pump K1", "2026-09-01", "2026-09-30")
        / total(data, "Incomer North", "2026-09-01", "2026-09-30")
    )
    assert f"{share:.1f}%" in reply.answer, (share, reply.answer)


def test_an_alert_within_the_day_on_a_meter_read_daily_is_refused(brewery) -> None:
    agent, _ = brewery
    reply = agent.ask("alert if Bottling Hall goes over 80 kW in any 15 minutes")
    assert not reply.tool_calls, reply.tool_calls
    assert "daily readings" in reply.answer and "'15 minutes'" in reply.answer, reply.answer
    assert "No rule was stored" in reply.answer, reply.answer
    daily = agent.ask("alert if Bottling Hall goes over 900 kWh per day")
    assert "Shall I go ahead" in daily.answer, daily.answer
    fine = agent.ask("alert me when Pump K1 goes over 3 kW")
    assert "Shall I go ahead" in fine.answer, fine.answer


def test_a_new_level_with_the_same_duration_said_again(brewery) -> None:
    agent, _ = brewery
    first = agent.ask(
        "thinking of an alert when Pump K2 goes above 2.5 kW for more than 30 minutes. how "
        "many times would it have gone off in september?"
    )
    assert [c.name for c in first.tool_calls] == ["backtest_alert_rule"], first.tool_calls
    again = agent.ask("and at 2.8 kW, same 30+ min?", thread=first.thread)
    assert [c.name for c in again.tool_calls] == ["backtest_alert_rule"], again.answer
    (before,), (now,) = first.tool_calls, again.tool_calls
    assert now.args["threshold"] == 2.8
    assert now.args.get("for_minutes") == before.args.get("for_minutes")
    assert now.args["period"] == before.args["period"]
