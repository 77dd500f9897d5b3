"""Figures the offline model adds up or narrows as the question says, on the brewery of
test_offline_any_plant: meters asked side by side also given added up, a carrier added to named
meters, two periods asked together, a stated end of a period, the values of some hours of a
day, and two periods compared from the earlier to the later. Numbers are checked against
pandas over the readings written."""

from __future__ import annotations

import pandas as pd

from tests.test_offline_any_plant import TZ, brewery, states, to_now, total

__all__ = ["brewery"]  # the fixture, imported for pytest


def test_meters_asked_side_by_side_are_also_added_up(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("emissions of Pump K1 and Pump K2 this month up to yesterday at 0.3 kg/kWh")
    first, last = "2026-10-01", "2026-10-14"  # the clock is Thu 15 Oct 2026
    k1, k2 = total(data, "Pump K1", first, last), total(data, "Pump K2", first, last)
    lead = reply.answer.split("\n")[0]
    assert states(lead, (k1 + k2) * 0.3), reply.answer
    assert states(reply.answer, k1 * 0.3) and states(reply.answer, k2 * 0.3), reply.answer
    # the month so far would hold today's readings too
    assert not states(
        reply.answer, (k1 + k2 + total(data, "Pump K1", "2026-10-15", "2026-10-15")) * 0.3
    )


def test_a_carrier_added_to_a_named_meter_is_that_carriers_supply(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("kWh of the Steam Raiser plus the electricity last week")
    week = ("2026-10-05", "2026-10-11")
    both = total(data, "Steam Raiser", *week) + total(data, "Incomer North", *week)
    assert states(reply.answer, both), reply.answer


def test_two_periods_that_meet_asked_together_are_one_range(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("Pump K1's share of Incomer North over September and October together")
    both = to_now(data, "Pump K1", "2026-09-01")
    share = both / to_now(data, "Incomer North", "2026-09-01")
    assert [c.args["period"] for c in reply.tool_calls] == ["2026-09-01..2026-10-31"]
    assert states(reply.answer, round(share * 100, 1), rel=0.0001), reply.answer
    assert states(reply.answer, both, rel=0.0005), reply.answer
    september = total(data, "Pump K1", "2026-09-01", "2026-09-30")
    assert not states(reply.answer, september, rel=0.0005), reply.answer


def test_the_values_of_some_hours_of_a_day_are_that_days_series(brewery) -> None:
    agent, data = brewery
    reply = agent.ask(
        "the 15 min values of Pump K1 on 6 October between 10 and 12, the highest one"
    )
    values = data["Pump K1"]
    # a reading's time stamp starts its quarter-hour
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    inside = values[(local >= pd.Timestamp("2026-10-06 10:00", tz=TZ))
                    & (local < pd.Timestamp("2026-10-06 12:00", tz=TZ))]  # fmt: skip
    day = values[local.strftime("%Y-%m-%d") == "2026-10-06"]
    assert len(inside) == 8
    # the answer shows two decimals
    assert states(reply.answer, round(float(inside.max()), 2), rel=1e-6), reply.answer
    if day.max() > inside.max() * 1.01:
        assert not states(reply.answer, round(float(day.max()), 2), rel=1e-6), reply.answer


def test_quarter_hours_a_meter_missed_is_a_coverage_question(brewery) -> None:
    agent, _ = brewery
    reply = agent.ask("how many quarter-hours did Pump K1 miss on 12-13 October?")
    assert [c.name for c in reply.tool_calls] == ["data_coverage"], reply.answer
    assert "0 missing" in reply.answer, reply.answer


def test_an_earlier_period_vs_a_later_one_is_the_change_from_the_earlier(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("Pump K1: first half of September vs second half, difference in kWh?")
    first = total(data, "Pump K1", "2026-09-01", "2026-09-15")
    second = total(data, "Pump K1", "2026-09-16", "2026-09-30")
    call = reply.tool_calls[0]
    assert (call.args["period"], call.args["reference"]) == (
        "2026-09-16..2026-09-30",
        "2026-09-01..2026-09-15",
    )
    lead = reply.answer.split("\n")[0]
    assert states(lead, abs(second - first), rel=0.005), reply.answer
    word = "more" if second > first else "less"
    assert f"kWh {word}** in 16 Sep 2026 to 30 Sep 2026" in lead, reply.answer


def test_what_none_of_its_sub_meters_sees_subtracts_every_sub_meter(brewery) -> None:
    agent, data = brewery
    reply = agent.ask(
        "How much energy on Incomer North last week is not seen by any of its sub-meters "
        "(the blowers, Pump K1)?"
    )
    week = ("2026-10-05", "2026-10-11")
    subs = ("Mash Tun Drive", "Pump K1", "Pump K2")
    unseen = total(data, "Incomer North", *week) - sum(total(data, m, *week) for m in subs)
    only_k1 = total(data, "Incomer North", *week) - total(data, "Pump K1", *week)
    assert states(reply.answer.split("\n")[0], unseen, rel=0.0005), reply.answer
    assert not states(reply.answer, only_k1, rel=0.0005), reply.answer


def test_a_rankings_top_as_a_share_of_a_total_spelled_out(brewery) -> None:
    agent, data = brewery
    reply = agent.ask(
        "Biggest electricity consumer last week, and what % is it of the site's total "
        "(Incomer North + Bottling Hall)?"
    )
    week = ("2026-10-05", "2026-10-11")
    ends = ("Mash Tun Drive", "Pump K1", "Pump K2", "Bottling Hall")
    top = max(ends, key=lambda m: total(data, m, *week))
    base = total(data, "Incomer North", *week) + total(data, "Bottling Hall", *week)
    lead = reply.answer.split("\n")[0]
    assert f"**{top}**" in lead, reply.answer
    assert f"**{total(data, top, *week) / base * 100:.1f}%**" in lead, reply.answer
    assert "of the ranked meters" not in lead, reply.answer


def peak_kw(data: dict[str, pd.Series], meter: str, first: str, last: str) -> float:
    """The highest quarter-hour kW of a meter read every 15 minutes, on local days in range."""
    values = data[meter]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ).strftime("%Y-%m-%d")
    return float(values[(local >= first) & (local <= last)].max() * 4)


WEEKS = (("2026-09-07", "2026-09-13"), ("2026-10-05", "2026-10-11"))


def test_two_periods_apart_asked_together_get_one_figure_over_both(brewery) -> None:
    """Periods that do not meet, joined as one ("plus", "combined", "together"): each period's
    figure, and one over both first, labelled with both: a sum of kWh and cost."""
    agent, data = brewery
    reply = agent.ask("Pump K1 kWh for 7 to 13 September plus 5 to 11 October combined")
    first, second = (total(data, "Pump K1", *w) for w in WEEKS)
    lead = reply.answer.split("\n")[0]
    assert "together" in lead and "Sep" in lead and "Oct" in lead, reply.answer
    assert states(lead, first + second), reply.answer
    assert states(reply.answer, first) and states(reply.answer, second), reply.answer


def test_a_peak_over_periods_apart_is_the_highest_of_them(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("peak demand of Pump K1 across 7-13 September and 5-11 October?")
    peaks = [peak_kw(data, "Pump K1", *w) for w in WEEKS]
    lead = reply.answer.split("\n")[0]
    assert states(lead, max(peaks), rel=0.0005), reply.answer
    assert not states(lead, sum(peaks), rel=0.0005), reply.answer


def test_periods_listed_without_a_joining_word_stay_side_by_side(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("Pump K1 kWh for 7 to 13 September and for 5 to 11 October")
    first, second = (total(data, "Pump K1", *w) for w in WEEKS)
    assert states(reply.answer, first) and states(reply.answer, second), reply.answer
    assert not states(reply.answer, first + second), reply.answer
