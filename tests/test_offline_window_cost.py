"""The cost of the hours of a window at one price stated, on a plant unlike the demo: the
energy inside the window priced at it, nothing outside; "those night hours" after a window is
that window, not the night's default hours. Numbers are checked against pandas over the
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
