"""A price said right after the name of one of the site's tariff periods ("at HT 0.50/kWh and
NT 0.10/kWh") is that period's, on the period's hours in the site's tariff, and the price
named for the other hours holds the rest: not the first price at every hour. Numbers are
checked against pandas over the readings written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from agent.loop import Agent
from tests.test_offline_any_plant import TZ, brewery_with_tariff, states

TARIFF = """\
  tariffs:
    - {carrier: electricity, name: Zweizeit, default_price: 0.2, demand_charge_per_kw: 10,
       periods: [{name: HT, days: [mon-fri], start: "07:00", end: "19:00", price: 0.3}]}
"""


@pytest.fixture
def two_rate(engine: Engine, tmp_path: Path) -> tuple[Agent, dict[str, pd.Series]]:
    """The brewery with a tariff whose priced period is called HT."""
    return brewery_with_tariff(engine, tmp_path, TARIFF)


def test_prices_named_for_the_sites_periods_price_their_hours(two_rate) -> None:
    agent, data = two_rate
    reply = agent.ask("cost of Pump K2 in September at HT 0.50/kWh and NT 0.10/kWh?")
    (call,) = [c for c in reply.tool_calls if c.args.get("kpi") == "cost"]
    assert call.args["price_per_kwh"] == 0.10, call.args
    kwh = data["Pump K2"]
    start = pd.to_datetime(kwh.index, unit="s", utc=True).tz_convert(TZ)
    month = start.strftime("%Y-%m") == "2026-09"
    hours = start.hour + start.minute / 60
    high = (start.day_of_week < 5) & (hours >= 7) & (hours < 19)
    energy = float((kwh[month] * np.where(high[month], 0.50, 0.10)).sum())
    assert states(reply.answer, energy), reply.answer
    assert not states(reply.answer, float(kwh[month].sum()) * 0.50), reply.answer
