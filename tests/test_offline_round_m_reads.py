"""Round M's readings on the brewery of test_offline_any_plant, with numbers checked against
pandas over the readings written: a run of weeks said to start on a day (and "the weeks just
before it"), a question on which quarter-hours have data, and prices offered "under that
offer" that make the question no comparison."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

import tests.test_offline_any_plant as any_plant
from tests.test_offline_any_plant import TZ, brewery, brewery_agent, readings, states

__all__ = ["brewery"]  # the fixture, imported for pytest


def _local_days(values: pd.Series) -> pd.Index:
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    return pd.Index(local.strftime("%Y-%m-%d"))


def _sum(values: pd.Series, first: str, last: str) -> float:
    day = _local_days(values)
    return float(values[(day >= first) & (day <= last)].sum())


def test_weeks_from_a_day_are_compared_with_the_weeks_just_before_them(brewery) -> None:
    agent, data = brewery
    values = data["Pump K1"]
    now = _sum(values, "2026-09-21", "2026-10-04")
    before = _sum(values, "2026-09-07", "2026-09-20")
    for question in (
        "Pump K1: compare the two weeks from Monday 21 September with the two weeks just before it",
        "We changed the timers on Monday 21 September. Did Pump K1 change? Compare the "
        "two weeks from that Monday with the two weeks just before it.",
    ):
        reply = agent.ask(question)
        assert [c.name for c in reply.tool_calls] == ["compare_periods"], reply.answer
        assert states(reply.answer, abs(now - before), rel=0.01), (question, reply.answer)
        assert states(reply.answer, now) and states(reply.answer, before), reply.answer
        assert "'two'" not in reply.answer, reply.answer


def test_days_counted_before_a_single_day_are_that_many_days(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("Pump K2 energy on 21 September compared with the 7 days before")
    assert states(reply.answer, _sum(data["Pump K2"], "2026-09-14", "2026-09-20")), reply.answer


def test_quarter_hours_that_have_data_is_a_coverage_question(
    engine: Engine, tmp_path: Path
) -> None:
    data = readings()
    values = data["Pump K1"]
    day = _local_days(values)
    gap = (day == "2026-09-10") | ((day == "2026-09-11") & (values.index % 7 == 0))
    data["Pump K1"] = values[~gap]
    agent = brewery_agent(engine, tmp_path, data)
    kept = _local_days(data["Pump K1"])
    present = int(((kept >= "2026-09-01") & (kept <= "2026-09-30")).sum())
    reply = agent.ask(
        "What percentage of Pump K1's quarter-hours actually have data for September?"
    )
    assert [c.name for c in reply.tool_calls] == ["data_coverage"], reply.answer
    assert states(reply.answer, 100 * present / (30 * 96), rel=0.002), reply.answer


def test_prices_under_that_offer_cost_both_meters_together(brewery) -> None:
    agent, data = brewery
    reply = agent.ask(
        "A supplier offers 0.15 EUR/kWh off-peak and 0.30 EUR/kWh from 07:00 to 19:00 Monday "
        "to Friday. Under that offer, what would Pump K1 and Pump K2 together have cost in "
        "September (energy only)?"
    )
    cost = 0.0
    for meter in ("Pump K1", "Pump K2"):
        values = data[meter]
        local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
        september = local.strftime("%Y-%m") == "2026-09"
        peak = (local.day_of_week < 5) & (local.hour >= 7) & (local.hour < 19)
        prices = pd.Series(0.15, index=values.index).where(~peak, 0.30)
        cost += float((values * prices)[september].sum())
    assert states(reply.answer, cost), reply.answer
    assert "higher cost" not in reply.answer, reply.answer
    assert "did not use" not in reply.answer, reply.answer


def test_both_carriers_with_the_sites_factors_in_tonnes(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    factors = (
        "  emission_factors:\n"
        "    - {carrier: electricity, kg_co2e_per_kwh: 0.3, source: test}\n"
        "    - {carrier: gas, kg_co2e_per_kwh: 0.2, source: test}\n"
    )
    monkeypatch.setattr(
        any_plant, "PLANT", any_plant.PLANT.replace("meters:\n", factors + "meters:\n", 1)
    )
    data = readings()
    agent = brewery_agent(engine, tmp_path, data)
    reply = agent.ask(
        "Total footprint of Incomer North and Steam Raiser for September, electricity plus gas, "
        "with our standard factors. Tonnes please."
    )
    kg = 0.3 * _sum(data["Incomer North"], "2026-09-01", "2026-09-30")
    kg += 0.2 * _sum(data["Steam Raiser"], "2026-09-01", "2026-09-30")
    assert reply.outcome == "answer", reply.answer
    first = reply.answer.splitlines()[0]
    assert f"{kg / 1000:,.2f} t CO2e" in first, reply.answer  # the sum first, in tonnes
    assert "did not use" not in reply.answer, reply.answer


def test_a_price_said_after_cost_leaves_cost_asked_beside_carbon(brewery) -> None:
    agent, data = brewery
    reply = agent.ask(
        "For Pump K1 last week give me both the cost at 0.17 EUR/kWh flat and the CO2 at 0.4 kg "
        "per kWh."
    )
    kwh = _sum(data["Pump K1"], "2026-10-05", "2026-10-11")
    assert states(reply.answer, 0.17 * kwh), reply.answer
    assert states(reply.answer, 0.4 * kwh), reply.answer


def test_a_meter_restated_in_brackets_is_one_side_of_a_share(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("Mash Tun Drive (the agitator motor) as a % of Incomer North in September?")
    part = _sum(data["Mash Tun Drive"], "2026-09-01", "2026-09-30")
    whole = _sum(data["Incomer North"], "2026-09-01", "2026-09-30")
    assert [c.name for c in reply.tool_calls] == ["share_of"], reply.answer
    assert states(reply.answer, 100 * part / whole, rel=0.002), reply.answer


def test_a_german_weekend_share_compound_is_the_weekend_share(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("Wochenendanteil am Verbrauch im September (Incomer North)?")
    values = data["Incomer North"]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    september = local.strftime("%Y-%m") == "2026-09"
    weekend = local.day_of_week >= 5
    share = 100 * float(values[september & weekend].sum()) / float(values[september].sum())
    assert states(reply.answer, share, rel=0.002), reply.answer
    assert "did not use" not in reply.answer, reply.answer
