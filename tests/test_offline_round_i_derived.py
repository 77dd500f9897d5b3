"""Derived figures and stated parameters on a plant unlike the demo: the percent of an either
question said of the period named first. Numbers are checked against pandas over the readings
written."""

from __future__ import annotations

import pandas as pd
import pytest

from agent.render.text import number, percent
from tests.test_offline_any_plant import TZ, brewery, total  # noqa: F401

DAYS = {"7 September": "2026-09-07", "8 September": "2026-09-08"}


@pytest.mark.parametrize("first", ["7 September", "8 September"])
def test_an_either_questions_percent_is_the_first_named_against_the_other(brewery, first) -> None:  # noqa: F811
    agent, data = brewery
    second = next(d for d in DAYS if d != first)
    reply = agent.ask(f"{first} or {second}, which day was higher for Steam Raiser, by what %?")
    assert [c.name for c in reply.tool_calls] == ["compare_periods"], reply.answer
    a = total(data, "Steam Raiser", DAYS[first], DAYS[first])
    b = total(data, "Steam Raiser", DAYS[second], DAYS[second])
    expected = 100 * (a - b) / b
    lead = reply.answer.split("\n")[0]
    way = "more" if expected > 0 else "less"
    assert f"{percent(abs(expected), signed=False)} {way}" in lead, lead


def test_an_average_per_day_of_the_weekdays_is_their_energy_over_their_days(brewery) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask(
        "average of the weekdays last week for Incomer North, kWh per day (Mon-Fri only)"
    )
    assert [c.name for c in reply.tool_calls] == ["clock_window"], reply.answer
    expected = total(data, "Incomer North", "2026-10-05", "2026-10-09") / 5
    lead = reply.answer.split("\n")[0]
    assert f"**{number(expected, 'kWh')} per day**" in lead, lead


def test_an_average_power_on_weekends_is_over_the_weekend_hours_alone(brewery) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask("Incomer North average kW on weekends in September?")
    assert [c.name for c in reply.tool_calls] == ["clock_window"], reply.answer
    values = data["Incomer North"]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    inside = (local.month == 9) & (local.day_of_week >= 5)
    expected = float((values[inside] * 4).mean())  # quarter-hour kWh as kW
    lead = reply.answer.split("\n")[0]
    assert f"**{number(expected, 'kW')}**" in lead, lead


def _tou_cost(data, meter: str, first: str, last: str, peak: float, other: float) -> float:
    values = data[meter]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    day = local.strftime("%Y-%m-%d")
    inside = (day >= first) & (day <= last)
    in_peak = (local.day_of_week < 5) & (local.hour >= 8) & (local.hour < 20)
    prices = pd.Series(other, index=values.index).where(~in_peak, peak)
    return float((values * prices)[inside].sum())


def test_a_window_in_brackets_after_its_name_takes_the_price_said_after_them(brewery) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask(
        "Cost of Incomer North last week if peak (weekdays 08-20) is 0.27 €/kWh and everything "
        "else 0.15 €/kWh? no demand charge."
    )
    assert {c.name for c in reply.tool_calls} == {"compute_kpi"}, reply.answer
    expected = _tou_cost(data, "Incomer North", "2026-10-05", "2026-10-11", 0.27, 0.15)
    assert f"{expected:,.2f} EUR" in reply.answer.split("\n")[0], reply.answer


def test_a_windows_price_alone_prices_that_windows_energy_and_nothing_else(brewery) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask(
        "I only know our peak price, 0.28 €/kWh for weekdays 8-20. What did Incomer North's "
        "peak-window energy cost last week?"
    )
    assert [c.name for c in reply.tool_calls] == ["compute_kpi"], reply.answer
    expected = _tou_cost(data, "Incomer North", "2026-10-05", "2026-10-11", 0.28, 0.0)
    assert f"{expected:,.2f} EUR" in reply.answer.split("\n")[0], reply.answer


def test_a_bill_on_the_highest_hourly_average_is_the_peak_of_hourly_means(brewery) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask(
        "Our utility bills on the highest hourly average, not 15 min. What was it for "
        "Incomer North in September?"
    )
    assert [c.name for c in reply.tool_calls] == ["compute_kpi"], reply.answer
    values = data["Incomer North"]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    series = pd.Series(values.to_numpy(), index=local)
    hourly = series[series.index.month == 9].resample("1h").sum()  # kWh in an hour = its mean kW
    lead = reply.answer.split("\n")[0]
    assert f"{number(float(hourly.max()), 'kW')}" in lead, lead


def test_carbon_asked_in_tonnes_leads_in_tonnes(brewery) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask("carbon of Incomer North in September, 0.3 kg per kWh? tonnes")
    assert [c.name for c in reply.tool_calls] == ["compute_kpi"], reply.answer
    tonnes = total(data, "Incomer North", "2026-09-01", "2026-09-30") * 0.3 / 1000
    lead = reply.answer.split("\n")[0]
    assert f"**{tonnes:,.2f} t CO2e**" in lead, lead


def test_the_hour_of_the_highest_average_on_weekdays_is_a_profile_not_a_days_average(
    brewery,  # noqa: F811
) -> None:
    agent, data = brewery
    reply = agent.ask(
        "which hour of the day is Pump K1's load highest on average, weekdays last week?"
    )
    assert "clock_window" not in [c.name for c in reply.tool_calls], reply.answer
    values = data["Pump K1"]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    week = (local >= pd.Timestamp("2026-10-05", tz=TZ)) & (
        local < pd.Timestamp("2026-10-12", tz=TZ)
    )
    keep = week & (local.day_of_week < 5)
    profile = values[keep].groupby(local[keep].hour).mean()
    assert f"{int(profile.idxmax()):02d}:00" in reply.answer, reply.answer
