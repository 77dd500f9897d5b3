"""Round G rules on the brewery of test_offline_any_plant: a part of the week named with the
meter after "of" ("how much of Pump K1's week was outside any shift") is that part's share of
the meter's own total, not the meter's share of its parent. Numbers are checked against pandas
over the readings written."""

from __future__ import annotations

import pandas as pd

from tests.test_offline_any_plant import TZ, brewery, states, total

__all__ = ["brewery"]  # the fixture, imported for pytest


def _local(data: dict[str, pd.Series], meter: str, start: str, end: str) -> pd.Series:
    """A meter's readings whose interval starts in [start, end) local, indexed by local time."""
    values = data[meter]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    inside = (local >= pd.Timestamp(start, tz=TZ)) & (local < pd.Timestamp(end, tz=TZ))
    return pd.Series(values.to_numpy()[inside], index=local[inside])


def test_a_part_of_the_meters_own_week_after_of_is_that_parts_share(brewery) -> None:
    agent, data = brewery
    first = agent.ask("Pump K1 last week by shift")
    reply = agent.ask(
        "and how much of Pump K1's week was outside any shift, in %?", thread=first.thread
    )
    week = _local(data, "Pump K1", "2026-10-05", "2026-10-12")
    hours = week.index.hour
    on_shift = (week.index.day_of_week < 5) & (hours >= 6) & (hours < 22)
    share = 100 * float(week[~on_shift].sum()) / float(week.sum())
    assert [c.name for c in reply.tool_calls] == ["split_consumption"], reply.tool_calls
    assert states(reply.answer.split("\n")[0], share, rel=0.005), reply.answer
    parent = 100 * float(week.sum()) / float(_local(data, "Incomer North", "2026-10-05",
                                                     "2026-10-12").sum())  # fmt: skip
    assert not states(reply.answer, parent, rel=0.005), reply.answer


def test_a_difference_in_kwh_after_a_coverage_check_compares_the_two_days(brewery) -> None:
    agent, data = brewery
    first = agent.ask("how much did Pump K1 use on Sunday 11 October?")
    agent.ask("looks low - is the data complete for that day?", thread=first.thread)
    before = agent.ask("and the Sunday before, 4 October?", thread=first.thread)
    assert [c.args["period"] for c in before.tool_calls] == ["2026-10-04"], before.tool_calls
    reply = agent.ask("difference in kWh between the two Sundays?", thread=first.thread)
    assert [c.name for c in reply.tool_calls] == ["compare_periods"], reply.tool_calls
    (call,) = reply.tool_calls
    assert (call.args["period"], call.args["reference"]) == ("2026-10-11", "2026-10-04"), call
    later, earlier = (total(data, "Pump K1", d, d) for d in ("2026-10-11", "2026-10-04"))
    assert states(reply.answer.split("\n")[0], abs(later - earlier), rel=0.005), reply.answer


def test_extra_kwh_and_their_worth_at_a_stated_price_state_both_differences(brewery) -> None:
    agent, data = brewery
    reply = agent.ask(
        "Pump K1 5 to 11 October vs 28 September to 4 October - how many extra kWh, and "
        "what's that worth at 0.20 EUR/kWh?"
    )
    later = total(data, "Pump K1", "2026-10-05", "2026-10-11")
    earlier = total(data, "Pump K1", "2026-09-28", "2026-10-04")
    assert "compare_periods" in [c.name for c in reply.tool_calls], reply.tool_calls
    assert states(reply.answer, abs(later - earlier), rel=0.005), reply.answer
    assert states(reply.answer.split("\n")[0], 0.20 * abs(later - earlier), rel=0.005), reply.answer


def test_m3_asked_of_gas_metered_in_kwh_is_its_energy_over_the_calorific_value(brewery) -> None:
    agent, data = brewery
    first = agent.ask("how much did the Steam Raiser use last week?")
    kwh = total(data, "Steam Raiser", "2026-10-05", "2026-10-11")
    catalogue = agent.ask("what's that in m³?", thread=first.thread)
    assert catalogue.outcome == "answer", catalogue.answer
    assert states(catalogue.answer.split("\n")[0], kwh / 10.5, rel=0.001), catalogue.answer
    stated = agent.ask("and in m³ at 11 kWh/m³?", thread=first.thread)
    assert states(stated.answer.split("\n")[0], kwh / 11, rel=0.001), stated.answer
    assert "I did not use" not in stated.answer, stated.answer


def test_both_weeks_of_a_comparison_in_mwh_state_each_in_mwh(brewery) -> None:
    agent, data = brewery
    first = agent.ask("Pump K2 last week vs the week before")
    reply = agent.ask("give me both weeks in MWh pls", thread=first.thread)
    for week in (("2026-10-05", "2026-10-11"), ("2026-09-28", "2026-10-04")):
        mwh = total(data, "Pump K2", *week) / 1000
        assert f"{mwh:,.3f} MWh" in reply.answer, reply.answer


def test_any_other_meter_after_one_meters_gap_checks_every_meter(brewery) -> None:
    agent, _ = brewery
    first = agent.ask("did Pump K1 have a gap yesterday?")
    reply = agent.ask("any other meter missing data this month, or just that one?",
                      thread=first.thread)  # fmt: skip
    assert [c.name for c in reply.tool_calls] == ["data_coverage"], reply.tool_calls
    assert reply.tool_calls[0].args.get("meters", []) in ([], None), reply.tool_calls
    assert "Bottling Hall" in reply.answer and "Mash Tun Drive" in reply.answer, reply.answer
