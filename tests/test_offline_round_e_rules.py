"""Rules of the offline model that hold on any plant, on the brewery of test_offline_any_plant:
sides each written with a period of their own are paired, not crossed; a cost beside the
tariff's time-of-use periods is the whole cost. Numbers are checked against pandas over the
readings written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from agent.loop import Agent
from tests.test_offline_any_plant import (
    TZ,
    brewery,
    brewery_with_tariff,
    states,
    total,
)

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


TARIFF = """\
  tariffs:
    - {carrier: electricity, name: Day-night, default_price: 0.2, demand_charge_per_kw: 10,
       periods: [{name: peak, days: [mon-fri], start: "17:00", end: "20:00", price: 0.4}]}
"""


@pytest.fixture
def priced(engine: Engine, tmp_path: Path) -> tuple[Agent, dict[str, pd.Series]]:
    """The brewery with a time-of-use tariff and a demand charge in its catalogue."""
    return brewery_with_tariff(engine, tmp_path, TARIFF)


def test_a_cost_beside_the_tariffs_periods_is_the_whole_cost(priced) -> None:
    agent, data = priced
    reply = agent.ask(
        "What did Pump K2 cost in September at our tariff (peak hours, off-peak hours and "
        "demand charge)?"
    )
    assert [(c.name, c.args.get("kpi")) for c in reply.tool_calls] == [("compute_kpi", "cost")]
    kwh = data["Pump K2"]
    start = pd.to_datetime(kwh.index, unit="s", utc=True).tz_convert(TZ)
    month = start.strftime("%Y-%m") == "2026-09"
    hours = start.hour + start.minute / 60
    peak = (start.day_of_week < 5) & (hours >= 17) & (hours < 20)
    energy = float((kwh[month] * np.where(peak[month], 0.4, 0.2)).sum())
    demand = 10 * float((4 * kwh[month]).max())
    assert states(reply.answer, energy + demand), reply.answer


def test_a_stated_peak_window_other_hours_price_and_demand_charge_are_priced(brewery) -> None:
    agent, data = brewery
    reply = agent.ask(
        "Pump K2, September: cost with peak 17:30-20:30 weekdays at EUR 0.40 and EUR 0.15 "
        "otherwise, plus EUR 9.50/kW demand"
    )
    assert [c.args.get("kpi") for c in reply.tool_calls] == ["cost"], reply.answer
    kwh = data["Pump K2"]
    start = pd.to_datetime(kwh.index, unit="s", utc=True).tz_convert(TZ)
    month = start.strftime("%Y-%m") == "2026-09"
    hours = start.hour + start.minute / 60
    peak = (start.day_of_week < 5) & (hours >= 17.5) & (hours < 20.5)
    energy = float((kwh[month] * np.where(peak[month], 0.4, 0.15)).sum())
    assert states(reply.answer, energy + 9.5 * float((4 * kwh[month]).max())), reply.answer


def test_a_measure_in_a_statement_after_the_question_asks_no_figure(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("power factor of Pump K1 last week? the utility charges reactive")
    assert reply.outcome == "refuse" and not reply.tool_calls, reply.answer
    assert "power factor" in reply.answer
    week = total(data, "Pump K1", "2026-10-05", "2026-10-11")
    assert not states(reply.answer, week) and not states(reply.answer, week * 0.2), reply.answer


def test_a_second_question_after_the_mark_still_asks_its_figure(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("power factor of Pump K1 last week? and its kWh?")
    assert states(reply.answer, total(data, "Pump K1", "2026-10-05", "2026-10-11")), reply.answer
    assert "power factor" in reply.answer
