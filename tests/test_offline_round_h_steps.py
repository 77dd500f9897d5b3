"""Round H rules on the brewery of test_offline_any_plant and the reader's hand-made plant: an
extreme asked alone after the extreme of a step keeps that step ("and the quietest one?" after
the busiest day); a KPI of the one step the period is ("the monthly peak" of a month) is that
KPI, not a series of energy; a tariff's period named in German is that period. Numbers are
checked against pandas over the readings written."""

from __future__ import annotations

import pandas as pd

from agent.offline import kinds
from agent.reader import Frame, follow, read
from agent.reader.slots import Grain, Split
from tests.reader_plants import NOW, PLANTS
from tests.test_offline_any_plant import TZ, brewery, states

__all__ = ["brewery"]  # the fixture, imported for pytest


def _daily(data: dict[str, pd.Series], meter: str, month: str) -> pd.Series:
    values = data[meter]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    days = pd.Series(values.to_numpy(), index=local).groupby(local.strftime("%Y-%m-%d")).sum()
    return days[days.index.str.startswith(month)]


def test_the_quietest_one_after_the_busiest_day_is_the_quietest_day(brewery) -> None:
    agent, data = brewery
    days = _daily(data, "Pump K1", "2026-09")
    first = agent.ask("busiest day in September for Pump K1 - how many kWh?")
    assert states(first.answer, float(days.max()), rel=0.005), first.answer
    reply = agent.ask("and the quietest one?", thread=first.thread)
    assert [c.args.get("grain") for c in reply.tool_calls] == ["day"], reply.tool_calls
    assert states(reply.answer, float(days.min()), rel=0.005), reply.answer


def test_an_extreme_with_a_measure_of_its_own_keeps_its_own_reading() -> None:
    vocab = PLANTS["werk"]
    first = read("busiest day in July for the Hauptzähler - how many kWh?", vocab, NOW)
    frame = Frame.after(None, first, (), None, ())
    assert kinds.implied_grain(first) is Grain.DAY
    quiet = kinds.same_step(follow(read("and the quietest one?", vocab, NOW), frame, NOW), first)
    assert kinds.implied_grain(quiet) is Grain.DAY and "grains" in quiet.inherited
    own = follow(read("and the lowest peak demand?", vocab, NOW), frame, NOW)
    assert kinds.same_step(own, first).grains == own.grains
    other = follow(read("and in August?", vocab, NOW), frame, NOW)
    assert kinds.same_step(other, first) is other


def test_the_monthly_peak_of_one_month_is_that_months_peak_demand(brewery) -> None:
    agent, data = brewery
    values = data["Incomer North"]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    september = values.to_numpy()[local.strftime("%Y-%m") == "2026-09"]
    peak_kw = float(september.max()) * 4  # kWh in a quarter-hour over its 0.25 h
    reply = agent.ask("what was the monthly peak of Incomer North in September? (15 min)")
    assert [(c.name, c.args.get("kpi")) for c in reply.tool_calls] == [
        ("compute_kpi", "peak_demand")
    ], reply.tool_calls
    assert states(reply.answer, peak_kw, rel=0.005), reply.answer


def test_a_daily_step_over_several_days_stays_a_series() -> None:
    r = read("daily energy of the Hauptzähler in October", PLANTS["werk"], NOW)
    assert kinds.choose(r, 1, False, NOW) == "series"
    one = read("peak demand of the Hauptzähler per day yesterday", PLANTS["werk"], NOW)
    assert kinds.choose(one, 1, False, NOW) == "kpi"


def test_a_german_tariff_period_with_its_gloss_is_that_period() -> None:
    for text, part in (
        ("what share of October's Hauptzähler kWh fell in the Hochtarif (peak) window?", "peak"),
        ("Anteil Niedertarif am Hauptzähler im Oktober in %", "off-peak"),
    ):
        r = read(text, PLANTS["werk"], NOW)
        assert [(s.split, s.part) for s in r.splits] == [(Split.TOU, part)], r.splits
        assert not r.unused, r.unused


def test_a_kpi_by_day_is_that_kpi_of_each_day_never_energy_by_day(brewery) -> None:
    agent, data = brewery
    values = data["Incomer North"]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    days = ("2026-10-05", "2026-10-06", "2026-10-07")
    reply = agent.ask("daily peak demand of Incomer North from 5 to 7 October")
    assert [(c.name, c.args.get("kpi"), c.args["period"]) for c in reply.tool_calls] == [
        ("compute_kpi", "peak_demand", d) for d in days
    ], reply.tool_calls
    for day in days:
        peak_kw = float(values.to_numpy()[local.strftime("%Y-%m-%d") == day].max()) * 4
        assert states(reply.answer, peak_kw, rel=0.005), (day, reply.answer)
    many = agent.ask("daily cost of Incomer North in September and October")
    assert many.outcome == "clarify" and not many.tool_calls, many.answer
    assert "of each day, up to 31" in many.answer, many.answer
