"""The cost of the hours of a window at one price stated, on a plant unlike the demo: the
energy inside the window priced at it, nothing outside; "those night hours" after a window is
that window, not the night's default hours; a price said of a tariff period's energy prices
that period's hours only. Numbers are checked against pandas over the
readings written."""

from __future__ import annotations

import pandas as pd

from agent.render.text import number
from tests.test_offline_any_plant import TZ, brewery  # noqa: F401

NIGHT = {23, 0, 1, 2, 3, 4}  # 23:00-05:00


def _inside(values: pd.Series, first: str, last: str) -> float:
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    day = local.strftime("%Y-%m-%d")
    keep = (day >= first) & (day <= last) & local.hour.isin(NIGHT)
    return float(values[keep].sum())


def test_those_night_hours_at_a_price_are_the_window_said_before(brewery) -> None:  # noqa: F811
    agent, data = brewery
    first = agent.ask("Pump K1 kWh between 23h and 5h in the week of 7 September?")
    assert [c.name for c in first.tool_calls] == ["clock_window"], first.answer
    reply = agent.ask("so at 0.30 EUR/kWh what do those night hours cost?", thread=first.thread)
    windows = {c.args.get("hours") for c in reply.tool_calls if c.name == "clock_window"}
    assert windows == {"23:00-05:00"}, reply.tool_calls
    cost = 0.30 * _inside(data["Pump K1"], "2026-09-07", "2026-09-13")
    assert number(cost, "EUR") in reply.answer, reply.answer


def test_a_price_said_of_a_tariff_period_prices_its_hours_only(brewery) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask("Pump K1 in September: what did the on-peak energy cost at 0.40 EUR/kWh?")
    assert "compute_kpi" in [c.name for c in reply.tool_calls], reply.answer
    local = pd.to_datetime(data["Pump K1"].index, unit="s", utc=True).tz_convert(TZ)
    # the site's tariff (the built-in one): its peak is 08:00-20:00 Monday to Friday
    peak = (local.strftime("%Y-%m") == "2026-09") & (local.day_of_week < 5)
    peak &= (local.hour >= 8) & (local.hour < 20)
    cost = 0.40 * float(data["Pump K1"][peak].sum())
    assert f"**{cost:,.2f} EUR**" in reply.answer, reply.answer
