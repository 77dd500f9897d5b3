"""Round K's follow-ups on the brewery of test_offline_any_plant, with numbers checked against
pandas over the readings written: "the rest of the day" after stated hours is the energy of
the hours outside them; bare decimals after a stated price per kWh price a time-of-use window
and the other hours."""

from __future__ import annotations

import pandas as pd

from tests.test_offline_any_plant import TZ, brewery, states

__all__ = ["brewery"]  # the fixture, imported for pytest

YESTERDAY = "2026-10-14"  # the clock is Thursday 15 October 2026, 10:00
LAST_WEEK = ("2026-10-05", "2026-10-11")


def _local(values: pd.Series) -> pd.DatetimeIndex:
    return pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)


def test_the_rest_of_the_day_after_stated_hours_is_the_energy_outside_them(brewery) -> None:
    agent, data = brewery
    first = agent.ask("Pump K1 energy yesterday, only counting 06:00-22:00")
    reply = agent.ask("and the rest of the day, the night part?", thread=first.thread)
    assert [c.name for c in reply.tool_calls] == ["clock_window"], reply.answer
    values = data["Pump K1"]
    local = _local(values)
    day = local.strftime("%Y-%m-%d") == YESTERDAY
    night = (local.hour >= 22) | (local.hour < 6)
    assert states(reply.answer, float(values[day & night].sum())), reply.answer
    assert "did not use" not in reply.answer, reply.answer


def test_bare_decimals_after_a_stated_price_price_a_window_and_the_other_hours(brewery) -> None:
    agent, data = brewery
    first = agent.ask("what did Pump K2 cost last week at a flat 0.19 EUR/kWh?")
    reply = agent.ask(
        "now with 0.27 from 7 to 19 on weekdays and 0.19 otherwise", thread=first.thread
    )
    values = data["Pump K2"]
    local = _local(values)
    day = local.strftime("%Y-%m-%d")
    week = (day >= LAST_WEEK[0]) & (day <= LAST_WEEK[1])
    peak = (local.day_of_week < 5) & (local.hour >= 7) & (local.hour < 19)
    prices = pd.Series(0.19, index=values.index).where(~peak, 0.27)
    assert states(reply.answer, float((values * prices)[week].sum())), reply.answer
    again = agent.ask("and Pump K1 on the same tariff?", thread=first.thread)
    k1 = data["Pump K1"]
    assert states(again.answer, float((k1 * prices.to_numpy())[week].sum())), again.answer
