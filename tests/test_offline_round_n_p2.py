"""Round N's rules on the brewery of test_offline_any_plant, with numbers checked against
pandas over the readings written: a day set against another period's daily average."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.test_offline_any_plant import TZ, brewery, states

__all__ = ["brewery"]  # the fixture, imported for pytest


def _sum(values: pd.Series, first: str, last: str) -> float:
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    day = pd.Index(local.strftime("%Y-%m-%d"))
    return float(values[(day >= first) & (day <= last)].sum())


def test_a_day_against_a_months_daily_average_is_set_per_day(brewery) -> None:
    agent, data = brewery
    values = data["Pump K1"]
    day = _sum(values, "2026-10-14", "2026-10-14")
    september = _sum(values, "2026-09-01", "2026-09-30") / 30
    reply = agent.ask("was yesterday above or below September's daily average for Pump K1?")
    assert [c.name for c in reply.tool_calls] == ["compare_periods"], reply.answer
    assert reply.tool_calls[0].args.get("per_day") is True, reply.tool_calls
    assert states(reply.answer, day) and states(reply.answer, september), reply.answer
    assert states(reply.answer, abs(day - september), rel=0.01), reply.answer
    # the month's whole sum is not set against one day
    assert not states(reply.answer, _sum(values, "2026-09-01", "2026-09-30")), reply.answer


def test_two_periods_without_a_daily_average_are_still_their_sums(brewery) -> None:
    agent, data = brewery
    values = data["Pump K1"]
    reply = agent.ask("Pump K1 energy yesterday vs the day before")
    assert [c.name for c in reply.tool_calls] == ["compare_periods"], reply.answer
    assert not reply.tool_calls[0].args.get("per_day"), reply.tool_calls
    assert states(reply.answer, _sum(values, "2026-10-14", "2026-10-14")), reply.answer
    assert states(reply.answer, _sum(values, "2026-10-13", "2026-10-13")), reply.answer


@pytest.mark.parametrize("slip", ["oops I meant", "oops, I meant", "whoops i meant"])
def test_an_oops_before_i_meant_corrects_the_period_asked_before(brewery, slip) -> None:
    agent, data = brewery
    values = data["Pump K1"]
    first = agent.ask("kg CO2e of Pump K1 in August using 0.2 kg/kWh")
    reply = agent.ask(f"{slip} September", thread=first.thread)
    assert [c.name for c in reply.tool_calls] == ["compute_kpi"], reply.answer
    assert states(reply.answer, 0.2 * _sum(values, "2026-09-01", "2026-09-30")), reply.answer
    assert "oops" not in reply.answer.lower(), reply.answer


def _tou_cost(values: pd.Series, month: str, low: float, high: float) -> float:
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    inside = local.strftime("%Y-%m") == month
    peak = (local.day_of_week < 5) & (local.hour >= 8) & (local.hour < 12)
    prices = pd.Series(low, index=values.index).where(~peak, high)
    return float((values * prices)[inside].sum())


def test_a_price_said_again_in_place_of_the_old_one_reprices_the_question(brewery) -> None:
    agent, data = brewery
    values = data["Pump K1"]
    first = agent.ask(
        "Cost of Pump K1 in September at 0.20 EUR/kWh off-peak and 0.40 EUR/kWh in peak "
        "(08-12h Mon-Fri)?"
    )
    assert states(first.answer, _tou_cost(values, "2026-09", 0.20, 0.40)), first.answer
    reply = agent.ask("sorry, peak is 0.45 not 0.40", thread=first.thread)
    assert [c.name for c in reply.tool_calls] == ["compute_kpi"], reply.answer
    assert states(reply.answer, _tou_cost(values, "2026-09", 0.20, 0.45)), reply.answer
    again = agent.ask("and the same for August", thread=first.thread)
    assert states(again.answer, _tou_cost(values, "2026-08", 0.20, 0.45)), again.answer


def test_a_number_not_stated_before_is_no_price_change(brewery) -> None:
    agent, data = brewery
    first = agent.ask(
        "Cost of Pump K1 in September at 0.20 EUR/kWh off-peak and 0.40 EUR/kWh in peak "
        "(08-12h Mon-Fri)?"
    )
    reply = agent.ask("sorry, peak is 0.45 not 0.35", thread=first.thread)
    # 0.35 was no price of the question before: the peak price is not silently replaced
    assert not states(reply.answer, _tou_cost(data["Pump K1"], "2026-09", 0.20, 0.45))


@pytest.mark.parametrize("asked", ["quanto caiu, em %?", "quanto subiu, em %?"])
def test_a_portuguese_rise_or_fall_in_percent_compares_the_two_weeks(brewery, asked) -> None:
    agent, data = brewery
    values = data["Pump K1"]
    week, before = (_sum(values, "2026-10-05", "2026-10-11"),
                         _sum(values, "2026-09-28", "2026-10-04"))  # fmt: skip
    first = agent.ask("Quanto a Pump K1 consumiu na semana passada?")
    assert states(first.answer, week), first.answer
    second = agent.ask("e na semana anterior?", thread=first.thread)
    assert states(second.answer, before), second.answer
    reply = agent.ask(asked, thread=first.thread)
    assert [c.name for c in reply.tool_calls] in (["compare_periods"], []), reply.answer
    # the change stated as written: its kWh, and its percent to the one decimal shown
    assert states(reply.answer, abs(week - before), rel=0.01), reply.answer
    assert f"{100 * abs(week - before) / before:.1f}%" in reply.answer, reply.answer
