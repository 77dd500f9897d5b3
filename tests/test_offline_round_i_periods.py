"""Round I's periods and days answered on the brewery of test_offline_any_plant (now Thursday
15 October 2026, 10:00 in Dublin): a day said alone as an ordinal, the night between two days,
days left out of a week, days narrowing a week, and the change between two weeks asked after
them. Numbers are checked against pandas over the readings written."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from tests.test_offline_any_plant import NOW, TZ, brewery, numbers, states, total

__all__ = ["brewery"]  # the fixture, imported for pytest


def _between(data: dict[str, pd.Series], meter: str, first: str, last: str) -> float:
    """A meter's readings that start in [first, last) local time."""
    values = data[meter]
    a, b = pd.Timestamp(first, tz=TZ).timestamp(), pd.Timestamp(last, tz=TZ).timestamp()
    return float(values[(values.index >= a) & (values.index < b)].sum())


def _without(data: dict[str, pd.Series], meter: str, days: list[str], left: str) -> float:
    return sum(total(data, meter, d, d) for d in days if d != left)


def test_since_the_first_up_to_yesterday_is_this_months_days(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("since the 1st, how many kWh has Pump K1 used? up to yesterday is fine")
    assert states(reply.answer, total(data, "Pump K1", "2026-10-01", "2026-10-14")), reply.answer


def test_the_night_between_two_ordinal_days_is_one_stretch(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("the night of the 12th to the 13th (22:00-06:00), how much did Pump K2 use?")
    expected = _between(data, "Pump K2", "2026-10-12 22:00", "2026-10-13 06:00")
    assert states(reply.answer, expected), reply.answer
    # not 22:00-06:00 of each of the two days
    each = (
        _between(data, "Pump K2", "2026-10-12 00:00", "2026-10-12 06:00")
        + _between(data, "Pump K2", "2026-10-12 22:00", "2026-10-14 00:00")
        - _between(data, "Pump K2", "2026-10-13 06:00", "2026-10-13 22:00")
    )
    assert not states(reply.answer, each), reply.answer


def test_a_day_left_out_of_a_week_is_not_counted_and_said(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("Mash Tun Drive last week without Thursday (a holiday), kWh?")
    week = [f"2026-10-{d:02d}" for d in range(5, 12)]
    assert states(reply.answer, _without(data, "Mash Tun Drive", week, "2026-10-08")), reply.answer
    assert "I left out Thu 8 Oct 2026" in reply.answer


def test_yesterday_left_out_of_this_week_so_far(brewery) -> None:
    agent, data = brewery
    reply = agent.ask(
        "How much has Pump K1 used this week so far, leaving out yesterday's holiday?"
    )
    values = data["Pump K1"]
    start = pd.Timestamp("2026-10-12", tz=TZ).timestamp()
    now = pd.Timestamp("2026-10-15 10:00", tz=TZ).timestamp()
    kept = values[(values.index >= start) & (values.index < now)]
    local = pd.to_datetime(kept.index, unit="s", utc=True).tz_convert(TZ).strftime("%Y-%m-%d")
    assert states(reply.answer, float(kept[local != "2026-10-14"].sum())), reply.answer


def test_a_single_day_left_out_of_a_month_is_asked_back(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("Mash Tun Drive in September without Thursday")
    assert reply.outcome == "clarify" and not reply.tool_calls, reply.answer
    assert not states(reply.answer, total(data, "Mash Tun Drive", "2026-09-01", "2026-09-30"))


def test_a_figure_other_than_energy_is_not_given_without_the_days(brewery) -> None:
    agent, _ = brewery
    reply = agent.ask("load factor of Mash Tun Drive last week without Thursday")
    assert reply.outcome == "clarify" and not reply.tool_calls, reply.answer
    assert "without Thursday" in reply.answer and not numbers(reply.answer)


def test_days_narrowing_this_week_with_remarks(brewery) -> None:
    agent, data = brewery
    reply = agent.ask(
        "Pump K1 this week, Monday to Wednesday only (today isn't finished), total kWh?"
    )
    assert states(reply.answer, total(data, "Pump K1", "2026-10-12", "2026-10-14")), reply.answer
    assert "as a remark" in reply.answer


def test_the_change_between_two_weeks_asked_after_them(brewery) -> None:
    agent, data = brewery
    first = agent.ask("Incomer North consumption last week?")
    agent.ask("and the week before?", thread=first.thread)
    reply = agent.ask(
        "so how much up or down in %? keep in mind the 1st was a holiday", thread=first.thread
    )
    last = total(data, "Incomer North", "2026-10-05", "2026-10-11")
    before = total(data, "Incomer North", "2026-09-28", "2026-10-04")
    assert states(reply.answer, last) and states(reply.answer, before), reply.answer
    assert states(reply.answer, abs(last - before), rel=0.01), reply.answer
    change = abs(last - before) / before * 100
    assert f"{change:.2f}% {'more' if last > before else 'less'}" in reply.answer, reply.answer


@pytest.mark.parametrize(("question", "pick"), [
    ("highest day of Pump K1 last week", "max"),
    ("which was the quietest day of Pump K1 this month?", "min"),
])  # fmt: skip
def test_the_extreme_day_asked_leads_the_answer(brewery, question: str, pick: str) -> None:
    agent, data = brewery
    values = data["Pump K1"]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    # readings before now only; the day still running (15 October) is no day of its own yet
    days = values[local < pd.Timestamp(NOW)].groupby(local[local < pd.Timestamp(NOW)].date).sum()
    if pick == "max":
        days = days[(days.index >= date(2026, 10, 5)) & (days.index <= date(2026, 10, 11))]
    else:
        days = days[(days.index >= date(2026, 10, 1)) & (days.index < NOW.date())]
    expected = float(days.max() if pick == "max" else days.min())
    reply = agent.ask(question)
    lead = reply.answer.split("\n")[0]
    assert states(lead, expected), reply.answer


def test_a_period_since_a_day_set_against_another_is_cut_at_the_same_quarter_hour(brewery) -> None:
    agent, data = brewery
    asked_at = NOW.replace(hour=9, minute=40)  # 15 October 09:40: the data run to 09:30
    reply = agent.ask("Pump K1 since 1 October vs September", now=asked_at)
    values = data["Pump K1"]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)

    def between(first: str, end: str) -> float:
        keep = (local >= pd.Timestamp(first, tz=TZ)) & (local < pd.Timestamp(end, tz=TZ))
        return float(values[keep].sum())

    now_part = between("2026-10-01", "2026-10-15 09:30")
    then_part = between("2026-09-01", "2026-09-15 09:30")
    assert states(reply.answer, now_part) and states(reply.answer, then_part), reply.answer


def test_hours_of_two_periods_compared_are_those_hours_of_each(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("average kW of Pump K1 between 22:00 and 06:00, last week vs the week before")
    values = data["Pump K1"]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    night = (local.hour >= 22) | (local.hour < 6)

    def average_kw(first: str, end: str) -> float:
        keep = (local >= pd.Timestamp(first, tz=TZ)) & (local < pd.Timestamp(end, tz=TZ)) & night
        return float(values[keep].sum() / (keep.sum() * 0.25))  # 15-minute readings

    last_week = average_kw("2026-10-05", "2026-10-12")
    week_before = average_kw("2026-09-28", "2026-10-05")
    lead = reply.answer.split("\n")[0]
    assert states(lead, last_week) and states(lead, week_before), reply.answer
