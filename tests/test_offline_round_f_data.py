"""Single figures of round F on the brewery of test_offline_any_plant, whose bottling hall is
read once a day: a check over days written inside a month runs over those days, and a daily
meter's coverage counts days; a period the question dismisses ("forget september") is not
answered; "the biggest <meter> day" is the largest daily total, not a ranking of meters.
Numbers are checked against pandas over the readings written."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from agent.loop import Agent
from tests.test_offline_any_plant import TZ, brewery_agent, readings, states, total

MISSING = ("2026-10-06", "2026-10-07")  # two days the bottling hall's meter did not send


def _local_days(values: pd.Series) -> pd.Index:
    return pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ).strftime("%Y-%m-%d")


@pytest.fixture
def gappy(engine: Engine, tmp_path: Path) -> tuple[Agent, dict[str, pd.Series]]:
    data = readings()
    hall = data["Bottling Hall"]
    data["Bottling Hall"] = hall[~_local_days(hall).isin(MISSING)]
    return brewery_agent(engine, tmp_path, data), data


def _days_present(values: pd.Series, first: str, last: str) -> int:
    local = _local_days(values)
    return int(((local >= first) & (local <= last)).sum())


def test_days_written_inside_a_month_are_what_a_coverage_check_runs_over(gappy) -> None:
    agent, data = gappy
    reply = agent.ask(
        "the bottling hall looks low this month, are readings missing between 01/10 and 12/10?"
    )
    assert [c.args["period"] for c in reply.tool_calls] == ["2026-10-01..2026-10-12"]
    present = _days_present(data["Bottling Hall"], "2026-10-01", "2026-10-12")
    expected = len(pd.date_range("2026-10-01", "2026-10-12"))
    assert (present, expected) == (10, 12)  # the fixture's two missing days
    # a daily meter's readings are counted as days, not as 15-minute intervals
    assert f"{100 * present / expected:.1f}% ({present} of {expected} days, 2 missing)" in (
        reply.answer
    ), reply.answer
    # the follow-up keeps the days
    again = agent.ask("so what % coverage is that for the period?", thread=reply.thread)
    assert f"{100 * present / expected:.1f}%" in again.answer, again.answer


def test_a_month_alone_is_still_the_period_of_a_coverage_check(gappy) -> None:
    agent, _ = gappy
    reply = agent.ask("are readings missing for the bottling hall in september?")
    assert [c.args["period"] for c in reply.tool_calls] == ["2026-09"]
    assert "100% of the expected days" in reply.answer, reply.answer  # a daily meter


def test_a_dismissed_period_is_not_answered(gappy) -> None:
    agent, data = gappy
    reply = agent.ask("ok forget october. kWh per m² of the bottling hall in September?")
    assert [c.args["period"] for c in reply.tool_calls] == ["2026-09"], reply.tool_calls
    assert states(reply.answer, total(data, "Bottling Hall", "2026-09-01", "2026-09-30") / 800)
    assert "forget" not in reply.answer  # read, not reported as unused


def _max_day(values: pd.Series, first: str, last: str) -> float:
    local = _local_days(values)
    inside = values[(local >= first) & (local <= last)]
    return float(inside.groupby(local[(local >= first) & (local <= last)]).sum().max())


@pytest.mark.parametrize(
    "question",
    [
        "biggest Pump K1 day in September, kWh?",
        "biggest single day of Pump K1 in September, in kWh",
    ],
)
def test_the_biggest_day_of_a_meter_is_its_largest_daily_total(gappy, question) -> None:
    agent, data = gappy
    reply = agent.ask(question)
    assert [(c.name, c.args.get("grain")) for c in reply.tool_calls] == [("query_metric", "day")]
    assert states(reply.answer, _max_day(data["Pump K1"], "2026-09-01", "2026-09-30"))
    assert "single" not in reply.answer  # read, not reported as unused


def test_the_smallest_meter_day_is_its_smallest_daily_total(gappy) -> None:
    agent, data = gappy
    reply = agent.ask("smallest Pump K2 day in September?")
    assert [(c.name, c.args.get("grain")) for c in reply.tool_calls] == [("query_metric", "day")]
    local = _local_days(data["Pump K2"])
    sept = (local >= "2026-09-01") & (local <= "2026-09-30")
    smallest = float(data["Pump K2"][sept].groupby(local[sept]).sum().min())
    assert states(reply.answer, smallest), reply.answer


def test_the_largest_consumers_per_day_are_still_a_ranking(gappy) -> None:
    agent, _ = gappy
    reply = agent.ask("largest consumers per day last week")
    assert [c.name for c in reply.tool_calls] == ["rank_meters"], reply.tool_calls
    assert re.search(r"largest .*consumer", reply.answer, re.I), reply.answer
