"""Round F threads on the brewery plant of test_offline_any_plant: what a follow-up points back
at ("the #1 of those", "the biggest one" beside the whole it is a share of, "the two together
as a % of", "weekend share of that", a remainder after a share, "the month before" after meters
and a carrier added up, "diff?" after a running period compared) is found, and the numbers are
checked against pandas over the readings written."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.test_offline_any_plant import NOW, TZ, brewery, states, total

__all__ = ["brewery"]  # the fixture, imported for pytest

LAST_WEEK = ("2026-10-05", "2026-10-11")  # the clock is Thursday 15 October 2026, 10:00
ENDS = ("Mash Tun Drive", "Pump K1", "Pump K2")  # what Incomer North feeds


def _between(data: dict[str, pd.Series], meter: str, start: str, end: str) -> pd.Series:
    """A meter's readings whose interval starts in [start, end) (local times)."""
    values = data[meter]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    first, last = pd.Timestamp(start, tz=TZ), pd.Timestamp(end, tz=TZ)
    return values[(local >= first) & (local < last)]


def test_the_top_one_as_a_share_of_a_named_meter_then_what_no_sub_meter_sees(brewery) -> None:
    agent, data = brewery
    first = agent.ask("top 3 energy users last week, not counting the Incomer North board")
    top = max(ENDS, key=lambda m: total(data, m, *LAST_WEEK))
    whole = total(data, "Incomer North", *LAST_WEEK)
    share = agent.ask("the #1 of those, what % of Incomer North is it?", thread=first.thread)
    assert [c.args["meters"] for c in share.tool_calls] == [[top]], share.tool_calls
    lead = share.answer.split("\n")[0]
    assert states(lead, 100 * total(data, top, *LAST_WEEK) / whole, rel=0.005), share.answer
    rest = agent.ask("how much isn't covered by any submeter, in kWh and %?", thread=first.thread)
    unmetered = whole - sum(total(data, m, *LAST_WEEK) for m in ENDS)
    lead = rest.answer.split("\n")[0]
    assert states(lead, unmetered, rel=0.005), rest.answer
    assert states(lead, 100 * unmetered / whole, rel=0.01), rest.answer


@pytest.mark.parametrize(
    "said",
    ["what % of Incomer North was the biggest one", "what % of Incomer North is the number one?"],
)
def test_the_biggest_one_beside_the_whole_named_is_the_top_of_the_ranking(brewery, said) -> None:
    agent, data = brewery
    first = agent.ask("top 3 energy users last week, not counting the Incomer North board")
    reply = agent.ask(said, thread=first.thread)
    top = max(ENDS, key=lambda m: total(data, m, *LAST_WEEK))
    share = 100 * total(data, top, *LAST_WEEK) / total(data, "Incomer North", *LAST_WEEK)
    assert f"**{top}**" in reply.answer.split("\n")[0], reply.answer
    assert states(reply.answer.split("\n")[0], share, rel=0.005), reply.answer


def test_the_two_together_as_a_percent_sign_of_a_meter_is_their_share(brewery) -> None:
    agent, data = brewery
    first = agent.ask("Pump K1 and Pump K2 last week, kWh each")
    reply = agent.ask("the two together as a % of Incomer North?", thread=first.thread)
    parts = sum(total(data, m, *LAST_WEEK) for m in ("Pump K1", "Pump K2"))
    share = 100 * parts / total(data, "Incomer North", *LAST_WEEK)
    assert [c.name for c in reply.tool_calls] == ["share_of"], reply.tool_calls
    assert states(reply.answer.split("\n")[0], share, rel=0.005), reply.answer


def test_a_weekend_share_of_that_is_of_the_meters_own_total(brewery) -> None:
    agent, data = brewery
    first = agent.ask("Pump K1 kWh last week")
    agent.ask("and Incomer North?", thread=first.thread)
    reply = agent.ask("Pump K1 weekend share of that, in %?", thread=first.thread)
    weekend = total(data, "Pump K1", "2026-10-10", "2026-10-11")
    share = 100 * weekend / total(data, "Pump K1", *LAST_WEEK)
    assert [c.name for c in reply.tool_calls] == ["split_consumption"], reply.tool_calls
    assert states(reply.answer.split("\n")[0], share, rel=0.005), reply.answer


def test_the_week_before_after_a_meter_plus_a_carrier_keeps_both(brewery) -> None:
    agent, data = brewery
    first = agent.ask("cost last week at 0.20 EUR/kWh, Pump K1 plus gas")

    def meters(calls: list) -> set[str]:
        return {m for c in calls for m in [c.args["meter"], *c.args.get("with_meters", [])]}

    asked = meters(first.tool_calls)
    assert {"Pump K1", "Steam Raiser"} <= asked, first.tool_calls
    reply = agent.ask("and the week before?", thread=first.thread)
    assert meters(reply.tool_calls) == asked, reply.tool_calls
    assert states(reply.answer, 0.20 * total(data, "Pump K1", "2026-09-28", "2026-10-04"), 0.005)


def test_both_together_highest_15_min_kw_is_their_coincident_peak(brewery) -> None:
    agent, data = brewery
    first = agent.ask("Pump K1 and Pump K2 last week, kWh each")
    reply = agent.ask("and both together, highest 15 min kW that week?", thread=first.thread)
    k1 = _between(data, "Pump K1", "2026-10-05", "2026-10-12")
    k2 = _between(data, "Pump K2", "2026-10-05", "2026-10-12")
    peak = float(((k1 + k2) * 4).max())  # kWh per quarter hour as kW
    separate = float(k1.max() * 4), float(k2.max() * 4)
    lead = reply.answer.split("\n")[0]
    assert states(lead, peak, rel=0.001), reply.answer
    assert not any(states(lead, p, rel=0.001) for p in separate), reply.answer


def test_so_far_against_the_same_days_then_the_difference_of_the_same(brewery) -> None:
    agent, data = brewery
    end = NOW.strftime("%Y-%m-%dT%H:%M")
    now = float(_between(data, "Pump K1", "2026-10-01", end).sum())
    then = float(_between(data, "Pump K1", "2026-09-01", "2026-09-15T10:00").sum())
    first = agent.ask("Pump K1 kWh this month so far vs the same days of September?")
    lead = first.answer.split("\n")[0]
    assert states(lead, now) and states(lead, then), first.answer
    assert not states(lead, total(data, "Pump K1", "2026-09-01", "2026-09-30")), first.answer
    diff = agent.ask("diff in kWh?", thread=first.thread)
    assert states(diff.answer.split("\n")[0], abs(now - then), rel=0.005), diff.answer
