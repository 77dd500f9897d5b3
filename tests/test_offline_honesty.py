"""Honesty of the offline model on a plant unlike the demo: a viewer's write, a meter the
catalogue lacks, hours of the day of a meter read daily and a change against a period without
data are refused or asked back before any figure; stated parameters (an exchange rate either
way, MWh, meters added together, m3 and kWh, hours beyond a threshold) are used, each number
checked against pandas over the readings written."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from agent.loop import Agent
from tests.test_offline_any_plant import (
    TZ,
    brewery,  # noqa: F401  (the fixture `plant` uses)
    states,
    total,
)

WEEK = ("2026-10-05", "2026-10-11")
Plant = tuple[Agent, dict[str, pd.Series]]


@pytest.fixture
def plant(brewery: Plant) -> Plant:  # noqa: F811
    """The brewery of tests/test_offline_any_plant.py: its agent and the readings written."""
    return brewery


def local_days(values: pd.Series) -> pd.Index:
    return pd.Index(
        pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ).strftime("%Y-%m-%d")
    )


def week_of(values: pd.Series) -> pd.Series:
    days = local_days(values)
    return values[(days >= WEEK[0]) & (days <= WEEK[1])]


def no_figure(answer: str) -> bool:
    return not re.search(r"\d\s*(?:kWh|kW|MWh|EUR|kg)\b", answer)


def test_a_viewer_asking_for_an_alert_rule_is_refused_before_any_call(plant) -> None:
    agent, _ = plant
    reply = agent.ask("create an alert when Pump K1 goes over 5 kW", role="viewer")
    assert reply.outcome == "refuse" and not reply.tool_calls
    assert "operator role" in reply.answer and "viewer" in reply.answer


def test_a_meter_the_catalogue_lacks_is_refused_naming_its_family(plant) -> None:
    agent, _ = plant
    reply = agent.ask("energy of Pump K3 last week")
    assert reply.outcome == "refuse" and not reply.tool_calls
    assert "'Pump K3'" in reply.answer
    assert "Pump K1" in reply.answer and "Pump K2" in reply.answer
    assert no_figure(reply.answer)


@pytest.mark.parametrize(
    ("question", "quoted"),
    [
        ("show me the Bottling Hall hour by hour yesterday", "hour by hour"),
        ("night base load of the Bottling Hall last week", "night"),
        ("15-min peak of the Bottling Hall last week", "15-min"),
    ],
)
def test_hours_of_the_day_of_a_meter_read_daily_are_refused(
    plant, question: str, quoted: str
) -> None:
    agent, _ = plant
    reply = agent.ask(question)
    assert reply.outcome == "refuse" and not reply.tool_calls, reply.answer
    assert f"'{quoted}'" in reply.answer and "daily readings" in reply.answer
    assert no_figure(reply.answer), reply.answer


def test_a_meter_read_daily_still_gives_its_days(plant) -> None:
    agent, data = plant
    reply = agent.ask("average daily kWh of the Bottling Hall last week")
    assert reply.outcome == "answer"
    assert states(reply.answer, float(week_of(data["Bottling Hall"]).mean())), reply.answer


def test_a_change_in_percent_against_a_period_without_data_is_refused(plant) -> None:
    agent, _ = plant
    reply = agent.ask("Pump K1 september vs september last year, in %")
    assert reply.outcome == "refuse", reply.answer
    assert "'september last year'" in reply.answer and no_figure(reply.answer)


@pytest.mark.parametrize(
    "question",
    [
        "Pump K1 september vs september last year?",
        "Compare September 2026 with September 2025 for Pump K1 please",
    ],
)
def test_a_bare_comparison_with_a_period_before_the_history_is_refused_too(
    plant, question: str
) -> None:
    """One rule for every comparison whose other side has no data: it cannot be made, the
    answer says so and when the history begins (the first reading, from pandas), and states
    no figure that could be taken for its answer, September's own total included."""
    agent, data = plant
    reply = agent.ask(question)
    assert reply.outcome == "refuse", reply.answer
    first = min(local_days(data["Pump K1"]))
    assert f"does not reach back that far: it begins on {first}" in reply.answer, reply.answer
    assert "Sep 2025" in reply.answer and "alone" in reply.answer, reply.answer
    assert no_figure(reply.answer), reply.answer
    assert not states(reply.answer, total(data, "Pump K1", "2026-09-01", "2026-09-30"))


@pytest.mark.parametrize("said", ["1 EUR = 1.10 USD", "1.10 USD per EUR"])
def test_an_exchange_rate_written_either_way_converts_the_cost(plant, said: str) -> None:
    agent, data = plant
    reply = agent.ask(f"cost of Pump K1 last week at 0.20 EUR per kWh in USD? {said}")
    eur = total(data, "Pump K1", *WEEK) * 0.20
    assert states(reply.answer, eur) and states(reply.answer, eur * 1.10), reply.answer


def test_energy_asked_in_mwh_is_stated_in_mwh(plant) -> None:
    agent, data = plant
    reply = agent.ask("Incomer North last week, in MWh")
    mwh = total(data, "Incomer North", *WEEK) / 1000
    assert re.search(rf"{mwh:,.3f} MWh", reply.answer), reply.answer


def test_demand_of_meters_added_together_is_their_coincident_peak(plant) -> None:
    agent, data = plant
    reply = agent.ask("highest demand of Pump K1 and Pump K2 added together last week")
    summed = week_of(data["Pump K1"]) + week_of(data["Pump K2"])
    apart = week_of(data["Pump K1"]).max() * 4 + week_of(data["Pump K2"]).max() * 4
    assert states(reply.answer, float(summed.max()) * 4, rel=0.002), reply.answer
    assert not states(reply.answer, float(apart), rel=0.002)


def test_carbon_of_two_carriers_together_is_the_sum_of_each(plant) -> None:
    agent, data = plant
    reply = agent.ask("total carbon of Incomer North plus Steam Raiser last week")
    factors = [float(f) for f in re.findall(r"energy x ([\d.]+) kg CO2e/kWh", reply.answer)]
    assert len(factors) == 2, reply.answer
    each = [
        total(data, m, *WEEK) * f
        for m, f in zip(("Incomer North", "Steam Raiser"), factors, strict=True)
    ]
    assert all(states(reply.answer, x) for x in each), reply.answer
    assert re.search(r"together: \*\*[\d,]+ kg CO2e", reply.answer)
    assert states(reply.answer, sum(each)), reply.answer


def test_gas_in_m3_and_in_kwh_are_both_given_when_both_are_asked(plant) -> None:
    agent, data = plant
    reply = agent.ask(
        "how many m3 did the Hot Water Heater use last week, and what is that in kWh?"
    )
    m3 = total(data, "Hot Water Heater", *WEEK)
    assert states(reply.answer, m3) and states(reply.answer, m3 * 10.5), reply.answer


def test_hours_above_a_threshold_are_counted(plant) -> None:
    agent, data = plant
    reply = agent.ask("how many hours was Mash Tun Drive above 30 kW last week?")
    assert [c.name for c in reply.tool_calls] == ["count_episodes"], reply.answer
    hours = float((week_of(data["Mash Tun Drive"]) * 4 > 30).sum()) / 4
    assert states(reply.answer, hours), reply.answer


@pytest.mark.parametrize(
    "question",
    [
        "did Pump K1 use more in September 2026 than in August 2026?",
        "how much more did Incomer North use in September 2026 than in August 2026?",
    ],
)
def test_a_comparison_with_a_period_before_the_history_is_refused_without_a_figure(
    plant, question: str
) -> None:
    """The history starts on 1 September: the change asked for does not exist, and September's
    own total is not it, so no figure stands beside the refusal."""
    agent, values = plant
    assert min(local_days(values["Incomer North"])) == "2026-09-01"
    reply = agent.ask(question)
    assert reply.outcome == "refuse", reply.answer
    assert "Aug 2026" in reply.answer and "does not reach back" in reply.answer
    assert no_figure(reply.answer), reply.answer


def test_a_comparison_of_two_periods_both_before_the_history_names_them(plant) -> None:
    agent, _ = plant
    reply = agent.ask("How much did Pump K1 use in August 2026, year on year?")
    assert reply.outcome == "refuse", reply.answer
    assert "2026-08-01" in reply.answer and "2025-08-01" in reply.answer, reply.answer
    assert no_figure(reply.answer), reply.answer


def test_a_carrier_no_meter_measures_is_said_not_used(plant) -> None:
    """The brewery has electricity and gas meters only: steam asked beside a figure is named
    as not used, and the figure given is the one asked (Pump K1's kWh, pandas over raw rows)."""
    agent, data = plant
    reply = agent.ask("Pump K1 kWh in september 2026, and the steam per batch too")
    assert "I did not use 'steam': no meter at brewery measures steam." in reply.answer
    assert states(reply.answer, total(data, "Pump K1", "2026-09-01", "2026-09-30")), reply.answer
