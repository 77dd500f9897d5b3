"""Cost questions of round F, on the brewery of test_offline_any_plant: a named month that is
still running, asked "so far", ends at now; "energy only" prices the energy without the demand
charge; "both" after a turn that named a whole besides "the two" is still the two. Numbers are
checked against pandas over the readings written."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.test_offline_any_plant import NOW, TZ, brewery, states, total
from tests.test_offline_round_e_rules import priced

__all__ = ["brewery", "priced"]  # the fixtures, imported for pytest

WEEK = ("2026-10-05", "2026-10-11")  # last week at NOW


def _local(values: pd.Series) -> pd.DatetimeIndex:
    return pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)


def test_a_named_month_still_running_asked_so_far_ends_at_now(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("Pump K1 at 22 ct/kWh flat, what's october so far?")
    kwh = data["Pump K1"]
    start = _local(kwh)
    # a reading counts when its quarter-hour has ended by now
    ended = start + pd.Timedelta(minutes=15) <= NOW
    so_far = (start >= pd.Timestamp("2026-10-01", tz=TZ)) & ended
    whole = start.strftime("%Y-%m") == "2026-10"
    assert states(reply.answer, 0.22 * float(kwh[so_far].sum())), reply.answer
    assert not states(reply.answer, 0.22 * float(kwh[whole].sum())), reply.answer


def test_october_without_so_far_is_the_month_as_named(brewery) -> None:
    agent, _ = brewery
    reply = agent.ask("Pump K1 kWh in october")
    assert [c.args.get("period") for c in reply.tool_calls] == ["2026-10"], reply.tool_calls


def test_a_past_month_asked_so_far_is_the_whole_month(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("Pump K1 at 22 ct/kWh flat, september so far?")
    expected = 0.22 * total(data, "Pump K1", "2026-09-01", "2026-09-30")
    assert states(reply.answer, expected), reply.answer


# the same time elapsed of September and of October, still running at the clock
SEPTEMBER_SO_FAR = "2026-09-01T00:00..2026-09-15T10:00"
OCTOBER_SO_FAR = "2026-10-01T00:00..2026-10-15T10:00"


def _energy_part(data: dict[str, pd.Series]) -> tuple[float, float]:
    """Pump K2's September energy at the priced brewery's tariff, and its demand charge."""
    kwh = data["Pump K2"]
    start = _local(kwh)
    month = start.strftime("%Y-%m") == "2026-09"
    hours = start.hour + start.minute / 60
    peak = (start.day_of_week < 5) & (hours >= 17) & (hours < 20)
    energy = float((kwh[month] * np.where(peak[month], 0.4, 0.2)).sum())
    return energy, 10 * float((4 * kwh[month]).max())


def test_a_cost_of_the_energy_only_leaves_out_the_demand_charge(priced) -> None:
    agent, data = priced
    reply = agent.ask("what did Pump K2 cost in September, energy only, site prices?")
    assert [(c.name, c.args.get("kpi")) for c in reply.tool_calls] == [("compute_kpi", "cost")]
    energy, demand = _energy_part(data)
    assert states(reply.answer, energy), reply.answer
    assert not states(reply.answer, energy + demand), reply.answer


def test_energy_only_without_money_is_still_the_energy(priced) -> None:
    agent, data = priced
    reply = agent.ask("Pump K2 in September, energy only")
    assert states(reply.answer, total(data, "Pump K2", "2026-09-01", "2026-09-30")), reply.answer
    assert all(c.args.get("kpi") != "cost" for c in reply.tool_calls), reply.tool_calls


def test_both_after_the_two_as_a_share_of_a_whole_are_still_the_two(brewery) -> None:
    agent, data = brewery
    first = agent.ask("Pump K1 and Pump K2 in September, kWh each")
    agent.ask("the two together as a % of Incomer North?", thread=first.thread)
    reply = agent.ask(
        "what would both together cost at 21 ct/kWh flat, no demand charge", thread=first.thread
    )
    month = ("2026-09-01", "2026-09-30")
    pumps = total(data, "Pump K1", *month) + total(data, "Pump K2", *month)
    assert states(reply.answer, 0.21 * pumps), reply.answer
    with_whole = 0.21 * (total(data, "Pump K2", *month) + total(data, "Incomer North", *month))
    assert not states(reply.answer, with_whole), reply.answer


def _priced_week(data: dict[str, pd.Series], meter: str, price, first: str, last: str) -> float:
    """A meter's energy over local days [first, last], each quarter-hour at price(start)."""
    kwh = data[meter]
    start = _local(kwh)
    day = start.strftime("%Y-%m-%d")
    inside = (day >= first) & (day <= last)
    return float((kwh[inside] * price(start[inside])).sum())


def test_a_peak_window_and_the_rest_at_another_price_are_priced(brewery) -> None:
    agent, data = brewery
    reply = agent.ask(
        "Pump K1 last week - cost it with our new offer: 0.27 €/kWh 8-20h Mon-Fri, 0.15 the "
        "rest, no demand charge"
    )
    assert [c.args.get("kpi") for c in reply.tool_calls] == ["cost"], reply.answer

    def price(start: pd.DatetimeIndex) -> np.ndarray:
        peak = (start.day_of_week < 5) & (start.hour >= 8) & (start.hour < 20)
        return np.where(peak, 0.27, 0.15)

    assert states(reply.answer, _priced_week(data, "Pump K1", price, *WEEK)), reply.answer
    assert "offer" not in reply.answer  # part of the statement, not a word left unread


def test_night_hours_every_day_and_the_rest_of_the_day_are_priced(brewery) -> None:
    agent, data = brewery
    reply = agent.ask(
        "Pump K2 last week if nights 22-06 were 11 ct and the rest of the day 21 ct (every day "
        "incl weekend) - what would it cost?"
    )
    assert [c.args.get("kpi") for c in reply.tool_calls] == ["cost"], reply.answer

    def price(start: pd.DatetimeIndex) -> np.ndarray:
        return np.where((start.hour >= 22) | (start.hour < 6), 0.11, 0.21)

    assert states(reply.answer, _priced_week(data, "Pump K2", price, *WEEK)), reply.answer


def test_at_cents_after_an_energy_figure_prices_its_kwh(brewery) -> None:
    agent, data = brewery
    first = agent.ask("how much did Pump K1 use last week in kWh")
    reply = agent.ask("at 16 ct that's how many euros?", thread=first.thread)
    assert states(reply.answer, 0.16 * total(data, "Pump K1", *WEEK)), reply.answer


def test_a_bare_number_after_at_is_no_price(brewery) -> None:
    agent, data = brewery
    first = agent.ask("how much did Pump K1 use last week in kWh")
    reply = agent.ask("at 16 that's how many euros?", thread=first.thread)
    assert not states(reply.answer, 0.16 * total(data, "Pump K1", *WEEK)), reply.answer
    assert not states(reply.answer, 16 * total(data, "Pump K1", *WEEK)), reply.answer


def test_a_report_the_figure_is_for_asks_no_report(priced) -> None:
    agent, data = priced
    first = agent.ask("what did Pump K2 cost in September?")
    reply = agent.ask(
        "Pump K2 in CHF for the Swiss group report? 1 EUR = 0.94 CHF", thread=first.thread
    )
    assert [c.name for c in reply.tool_calls] == ["compute_kpi"], reply.tool_calls
    energy, demand = _energy_part(data)
    assert states(reply.answer, 0.94 * (energy + demand)), reply.answer


def test_the_same_month_and_no_leistungspreis_in_a_what_if(priced) -> None:
    agent, data = priced
    first = agent.ask("what did Pump K2 cost in September?")
    reply = agent.ask(
        "what if we'd had a flat 0,19 €/kWh and no Leistungspreis, for Pump K2 same month?",
        thread=first.thread,
    )
    kwh = total(data, "Pump K2", "2026-09-01", "2026-09-30")
    assert states(reply.answer, 0.19 * kwh), reply.answer
    assert "Leistungspreis" not in reply.answer, reply.answer


def test_two_months_in_euros_with_the_tariff_are_their_costs(priced) -> None:
    agent, _ = priced
    first = agent.ask("Pump K2 september vs october in %")
    reply = agent.ask("what were the two months in euros, with the tariff?", thread=first.thread)
    calls = sorted((c.args.get("kpi"), c.args.get("period")) for c in reply.tool_calls)
    # October is still running at the clock (15 Oct 10:00): the comparison the follow-up
    # continues set it against the same time elapsed of September, and so do its costs
    assert calls == [("cost", SEPTEMBER_SO_FAR), ("cost", OCTOBER_SO_FAR)], reply.tool_calls
    assert "EUR" in reply.answer or "€" in reply.answer, reply.answer


def test_those_two_months_are_both_months_discussed(brewery) -> None:
    agent, data = brewery
    first = agent.ask("Incomer North september vs august in %")
    agent.ask("and september vs october?", thread=first.thread)
    reply = agent.ask("Steam Raiser for those 2 months, kWh", thread=first.thread)
    periods = {p for c in reply.tool_calls for p in (c.args.get("period"), c.args.get("reference"))}
    assert {SEPTEMBER_SO_FAR, OCTOBER_SO_FAR} <= periods, reply.tool_calls
    values = data["Steam Raiser"]
    start = pd.Timestamp("2026-09-01", tz=TZ).timestamp()
    end = pd.Timestamp("2026-09-15 10:00", tz=TZ).timestamp()
    september = float(values[(values.index >= start) & (values.index < end)].sum())
    assert states(reply.answer, september), reply.answer


def test_how_much_of_that_is_the_demand_charge_then_the_total(priced) -> None:
    agent, data = priced
    energy, demand = _energy_part(data)
    first = agent.ask("what did Pump K2 cost in September?")
    reply = agent.ask("how much of that is the demand charge (10/kW)?", thread=first.thread)
    assert states(reply.answer, demand), reply.answer
    assert not states(reply.answer, energy + demand), reply.answer
    # the part asked about is not a tariff for what follows
    reply = agent.ask("the total in dollars? take 1 EUR = 1.10 USD", thread=first.thread)
    assert states(reply.answer, 1.10 * (energy + demand)), reply.answer
