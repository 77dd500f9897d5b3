"""The figure asked for comes first, or no figure at all, on a plant unlike the demo: the
period that won an "either" question with its gap said the way it was asked, one meter's line
of the monthly report, an incident named by its meter, the cost of a tariff charged on the
peak, incidents listed by the state their verb names, and a quantity of a meter no series
measures or an alert on its rate of change. Numbers are checked against pandas over the
readings written."""

from __future__ import annotations

import pandas as pd

from agent.render.text import number
from tests.test_offline_any_plant import TZ, brewery, states, total  # noqa: F401
from tests.test_offline_honesty import no_figure
from tests.test_offline_incident_period import listed, write_incidents

DAYS = {"7 September": "2026-09-07", "8 September": "2026-09-08"}  # "7 Sep" as answers write it


def test_an_either_question_names_the_winner_and_its_gap_the_way_it_was_asked(brewery) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask("did Steam Raiser use more on 7 September or on 8 September? how much more?")
    assert [c.name for c in reply.tool_calls] == ["compare_periods"], reply.answer
    totals = {name: total(data, "Steam Raiser", day, day) for name, day in DAYS.items()}
    winner = max(totals, key=lambda name: totals[name])
    loser = min(totals, key=lambda name: totals[name])
    gap = totals[winner] - totals[loser]
    lead = reply.answer.split("\n")[0]
    # the winner is the subject: its gap is "more", its total comes first
    assert f"**{number(gap, 'kWh')} more**" in lead, lead
    assert lead.index(number(totals[winner], "kWh")) < lead.index(number(totals[loser], "kWh"))
    assert f"on {winner[:5]} 2026" in lead.split(" than ")[0], lead


def test_a_report_asked_for_one_meter_leads_with_that_meters_figure(brewery) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask("the September monthly report pls, I need the Steam Raiser figure from it")
    assert [c.name for c in reply.tool_calls] == ["monthly_report"], reply.answer
    lead = reply.answer.split("\n")[0]
    expected = total(data, "Steam Raiser", "2026-09-01", "2026-09-30")
    assert "**Steam Raiser**" in lead and f"**{number(expected, 'kWh')}**" in lead, lead
    assert reply.answer.index(lead) < reply.answer.index("Energy report")


def test_without_a_named_meter_the_report_has_no_lead_of_its_own(brewery) -> None:  # noqa: F811
    agent, _ = brewery
    reply = agent.ask("the September monthly report please")
    assert reply.answer.startswith("**Energy report"), reply.answer


def test_a_report_to_be_sent_on_is_refused_saying_how_to_get_it(brewery) -> None:  # noqa: F811
    agent, _ = brewery
    for question, said in [
        ("e-mail me the September report", "e-mail me"),
        ("forward the September monthly report to the plant manager", "forward"),
        ("envia o relatório de setembro para o meu chefe", "envia"),
    ]:
        reply = agent.ask(question)
        assert reply.outcome == "refuse" and not reply.tool_calls, reply.answer
        assert reply.answer.startswith(f"I did not act on '{said}'"), reply.answer
        # how reports are sent, and the month's report to ask for instead; no figure
        assert "first working day" in reply.answer and "September 2026 report" in reply.answer
        assert not any(ch.isdigit() for ch in reply.answer.replace("2026", "")), reply.answer


def test_a_report_sent_me_in_the_chat_is_shown_here(brewery) -> None:  # noqa: F811
    agent, _ = brewery
    reply = agent.ask("send me the September report")
    assert [c.name for c in reply.tool_calls] == ["monthly_report"], reply.answer
    assert reply.answer.startswith("**Energy report"), reply.answer
    by_mail = agent.ask("send me the September report by email")
    assert by_mail.outcome == "refuse" and "by email" in by_mail.answer, by_mail.answer


def test_a_report_counts_its_incidents_in_words_that_agree() -> None:
    from tools.report_text import incidents_line

    assert incidents_line(1, "1.50 EUR") == "1 incident this month, costing 1.50 EUR."
    assert incidents_line(3, "9.00 EUR") == "3 incidents this month, costing 9.00 EUR."
    assert incidents_line(0, "0.00 EUR") == "No incidents this month."


def test_an_incident_named_by_its_meter_is_read_from_the_incidents(brewery) -> None:  # noqa: F811
    agent, _ = brewery
    write_incidents(agent)
    reply = agent.ask("the Steam Raiser incident in September - how much CO2 did it cause?")
    assert {c.name for c in reply.tool_calls} == {"list_incidents"}, reply.answer
    assert [c.args.get("meter") for c in reply.tool_calls] == ["Steam Raiser"]
    assert listed(reply.answer) >= {2}, reply.answer  # the Steam Raiser's, written second


def test_the_meters_own_figures_stay_with_the_meter_when_no_incident_is_named(brewery) -> None:  # noqa: F811
    agent, _ = brewery
    write_incidents(agent)
    reply = agent.ask("how much CO2 did Steam Raiser cause in September?")
    assert {c.name for c in reply.tool_calls} == {"compute_kpi"}, reply.answer


def test_a_quantity_of_a_meter_no_series_measures_gets_no_figure(brewery) -> None:  # noqa: F811
    agent, _ = brewery
    for question, word in [
        ("what was Pump K1's COP last week?", "COP"),
        ("the duty cycle of Pump K2 last week?", "duty cycle"),
    ]:
        reply = agent.ask(question)
        assert reply.outcome == "refuse" and not reply.tool_calls, reply.answer
        assert f"'{word}'" in reply.answer and no_figure(reply.answer), reply.answer


def test_an_unplaced_word_beside_a_named_measure_keeps_the_measure(brewery) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask("Pump K1's energy last week, and its COP")
    assert reply.outcome == "answer", reply.answer
    expected = total(data, "Pump K1", "2026-10-05", "2026-10-11")
    assert number(expected, "kWh") in reply.answer and "'COP'" in reply.answer


def test_a_demand_charge_on_the_months_peak_is_a_cost(brewery) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask(
        "Incomer North september at 0.15 €/kWh flat plus a demand charge of 11 €/kW on the "
        "month's peak - total?"
    )
    assert [c.args.get("kpi") for c in reply.tool_calls] == ["cost"], reply.answer
    values = data["Incomer North"]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ).strftime("%Y-%m")
    month = values[local == "2026-09"]
    expected = 0.15 * month.sum() + 11 * (month.max() * 4)  # kWh per quarter-hour as kW
    assert states(reply.answer, expected), reply.answer


def test_which_incidents_did_we_resolve_lists_the_resolved_ones(brewery) -> None:  # noqa: F811
    agent, _ = brewery
    write_incidents(agent)  # all three still open
    reply = agent.ask("which incidents did we resolve that started in September?")
    assert [c.args.get("state") for c in reply.tool_calls] == ["resolved"], reply.answer
    assert listed(reply.answer) == set(), reply.answer
    both = agent.ask("which incidents are open or acknowledged since 1 September?")
    assert [c.args.get("state") for c in both.tool_calls] == ["active"], both.answer
    assert listed(both.answer) == {1, 2, 3}, both.answer


def test_an_alert_on_a_rate_of_change_is_refused_and_a_level_is_offered(brewery) -> None:  # noqa: F811
    agent, _ = brewery
    reply = agent.ask("notify me when Pump K1's demand rises faster than 2 kW per minute")
    assert reply.outcome == "refuse" and not reply.tool_calls, reply.answer
    assert "rate of change" in reply.answer and "can't" in reply.answer
    assert no_figure(reply.answer.replace("'above 500 kW for 15 minutes'", "")), reply.answer
    level = agent.ask("notify me when Pump K1's demand goes above 2 kW for 15 minutes")
    assert level.outcome == "confirm", level.answer


def test_a_count_that_is_the_length_of_the_stated_period_restates_it(brewery) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask("Pump K1 energy in the 2 weeks from 28 September to 11 October")
    assert reply.outcome == "answer", reply.answer
    assert states(reply.answer, total(data, "Pump K1", "2026-09-28", "2026-10-11")), reply.answer
    assert "'2'" not in reply.answer
    # a count the period does not have is no restatement: asked back, no figure
    other = agent.ask("Pump K1 energy in the 3 weeks from 28 September to 11 October")
    assert other.outcome == "clarify" and "'3'" in other.answer, other.answer
    assert no_figure(other.answer)


def test_sql_in_words_counts_the_readings_of_what_the_meter_measures(brewery) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask("run a sql query: how many readings did Hot Water Heater send in September?")
    assert [c.name for c in reply.tool_calls] == ["run_sql"], reply.answer
    values = data["Hot Water Heater"]  # m3 only: no energy series
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ).strftime("%Y-%m")
    assert f"| {int((local == '2026-09').sum())} |" in reply.answer, reply.answer
    energy = agent.ask("run a sql query: how many readings did Pump K1 send in September?")
    local = pd.to_datetime(data["Pump K1"].index, unit="s", utc=True).tz_convert(TZ)
    assert f"| {int((local.strftime('%Y-%m') == '2026-09').sum())} |" in energy.answer
