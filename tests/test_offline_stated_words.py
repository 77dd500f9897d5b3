"""The offline model on the hand-written brewery plant (tests/test_offline_any_plant.py) with
what a question states in its own words: a demand charge levied "per kW of the monthly peak",
"the highest hourly average kW", a total asked with no meter named, a Portuguese "ontem".
Every number is checked against pandas over the readings written."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.test_offline_any_plant import TZ, brewery, states, total

__all__ = ["brewery"]  # the fixture, used by name


def local(values: pd.Series) -> pd.Series:
    """Readings indexed by their local end time (each 15-minute reading ends 15 minutes on)."""
    index = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    return pd.Series(values.to_numpy(), index=index)


def in_month(values: pd.Series, month: str) -> pd.Series:
    series = local(values)
    return series[series.index.strftime("%Y-%m") == month]


def test_a_demand_charge_per_kw_of_the_monthly_peak_is_priced(brewery) -> None:
    agent, data = brewery
    reply = agent.ask(
        "Pump K2 in September if power cost 0.18 EUR/kWh plus 12 EUR per kW of the monthly "
        "peak - total cost?"
    )
    month = in_month(data["Pump K2"], "2026-09")
    expected = 0.18 * month.sum() + 12 * (4 * month).max()  # kW of a quarter hour: kWh x 4
    assert reply.tool_calls[0].args["demand_charge_per_kw"] == 12
    assert states(reply.answer, expected), reply.answer


def test_the_highest_hourly_average_is_the_peak_over_a_60_minute_window(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("highest hourly average kW of Pump K2 in September?")
    month = in_month(data["Pump K2"], "2026-09")
    hourly = month.groupby(month.index.floor("h")).sum()  # kWh in an hour = its average kW
    assert reply.tool_calls[0].args["demand_window_minutes"] == 60
    assert states(reply.answer, float(hourly.max())), reply.answer
    assert not states(reply.answer, float((4 * month).max())), reply.answer


def test_a_total_with_no_meter_named_is_the_sites_supply_not_a_ranking(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("total energy last week in MWh")
    assert [c.name for c in reply.tool_calls] == ["query_metric"]
    supply = total(data, "Incomer North", "2026-10-05", "2026-10-11")
    assert states(reply.answer, supply), reply.answer
    assert "Bottling Hall has a supply of its own and is not included" in reply.answer


@pytest.mark.parametrize(
    ("question", "first", "last"),
    [
        ("quanto a Pump K1 consumiu ontem? kWh", "2026-10-14", "2026-10-14"),
        ("custo da Pump K1 semana passada", "2026-10-05", "2026-10-11"),
    ],
)
def test_a_question_in_portuguese_reads_its_period(
    brewery, question: str, first: str, last: str
) -> None:
    agent, data = brewery
    reply = agent.ask(question)
    assert reply.outcome == "answer", reply.answer
    period = reply.tool_calls[0].args["period"]
    assert period in ("yesterday", "last week"), period
    if "custo" in question:
        assert reply.tool_calls[0].args["kpi"] == "cost"
    else:
        assert states(reply.answer, total(data, "Pump K1", first, last)), reply.answer


def test_which_of_a_word_fitting_several_meters_compares_them(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("Last week, which transfer pump used more, and by how many percent?")
    assert reply.tool_calls[0].name == "compare_meters", reply.answer
    k1, k2 = (total(data, m, "2026-10-05", "2026-10-11") for m in ("Pump K1", "Pump K2"))
    big, small = max(k1, k2), min(k1, k2)
    assert states(reply.answer, 100 * (big - small) / small, rel=0.01), reply.answer


def test_one_meter_minus_another_it_does_not_feed_is_their_difference(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("Pump K2 minus Pump K1 last week, kWh difference?")
    assert reply.outcome == "answer" and reply.tool_calls[0].name == "compare_meters"
    k1, k2 = (total(data, m, "2026-10-05", "2026-10-11") for m in ("Pump K1", "Pump K2"))
    assert states(reply.answer, abs(k2 - k1)), reply.answer


def test_a_word_fitting_several_meters_after_one_of_them_is_named_is_that_one(brewery) -> None:
    agent, data = brewery
    reply = agent.ask(
        "How much did Pump K2 use last week? I want to see how hard the transfer pump works."
    )
    assert reply.outcome == "answer", reply.answer
    assert [c.args["meters"] for c in reply.tool_calls] == [["Pump K2"]]
    assert states(reply.answer, total(data, "Pump K2", "2026-10-05", "2026-10-11"))
    # in one sentence, the word may mean the other one: asked back (see also
    # test_a_difference_of_meters_that_do_not_feed_each_other_is_asked_back, without "difference")
    asked = agent.ask("compare Pump K2 with the transfer pump last week")
    assert asked.outcome == "clarify", asked.answer
