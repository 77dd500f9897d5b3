"""Refusals where any figure would be wrong, on the demo plant: a period that begins after now,
a forecast beyond its horizon, a quantity no series measures (whatever measure word is beside
it), an alert threshold a consumer can never reach, deleting readings however it is worded,
another site the catalogue does not hold. Each checks that no tool was asked and that the
figure a nearby question would give (computed with pandas over the raw readings) is absent."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from agent.loop import Agent
from tests.test_agent_offline import TZ, numbers, offline_agent, raw

NOW = datetime(2026, 10, 21, 14, 20, tzinfo=TZ)  # the store's data reaches past this clock


@pytest.fixture
def agent(demo_engine: Engine, tmp_path: Path) -> Agent:
    return offline_agent(demo_engine, tmp_path / "threads.db", NOW)


def absent(answer: str, value: float) -> bool:
    return not any(abs(n - value) <= 0.005 * abs(value) for n in numbers(answer))


def test_a_day_after_now_is_refused_with_no_figure(agent: Agent, demo_engine: Engine) -> None:
    reply = agent.ask("incomer kWh on 01.11.2026?")
    stored = raw(demo_engine, "main-incomer", "2026-11-01", "2026-11-02").sum()
    assert stored > 0  # the store holds readings after this clock: the tool would give them
    assert reply.outcome == "refuse", reply.answer
    assert not reply.tool_calls, reply.tool_calls
    assert "future" in reply.answer and absent(reply.answer, stored), reply.answer


def test_a_period_under_way_is_still_answered(agent: Agent, demo_engine: Engine) -> None:
    reply = agent.ask("incomer kWh this month?")
    assert reply.outcome == "answer", reply.answer
    assert [c.name for c in reply.tool_calls] == ["query_metric"]


def test_a_forecast_beyond_its_horizon_is_refused(agent: Agent) -> None:
    reply = agent.ask("how much will the main incomer use in December 2026?")
    assert reply.outcome == "refuse", reply.answer
    assert not reply.tool_calls, reply.tool_calls
    assert "December 2026" in reply.answer and "7 days" in reply.answer


@pytest.mark.parametrize(
    ("question", "day"),
    [
        ("what will the main incomer use tomorrow?", "2026-10-22"),
        # a Wednesday: "Friday" read as the last one is the coming one in a forecast
        ("will the main incomer go over 1200 kW on Friday?", "2026-10-23"),
    ],
)
def test_a_day_ahead_is_forecast_alone(agent: Agent, question: str, day: str) -> None:
    reply = agent.ask(question)
    assert [c.name for c in reply.tool_calls] == ["forecast"], reply.answer
    assert reply.tool_calls[0].args["period"] == day
    points = reply.tool_calls[0].result["points"]
    assert {p["start"][:10] for p in points} == {day}, reply.answer
    total = sum(p["expected_kwh"] for p in points)
    assert not absent(reply.answer, total), reply.answer  # that day's sum is the figure stated


@pytest.mark.parametrize(
    "question",
    ["How much will the November electricity bill be exactly?", "what will the bill be tomorrow?"],
)
def test_a_bill_ahead_is_not_answered_with_an_energy_forecast(agent: Agent, question: str) -> None:
    reply = agent.ask(question)
    assert reply.outcome == "refuse" and not reply.tool_calls, reply.answer


def test_today_at_midnight_is_forecast_but_has_no_figures_yet(
    demo_engine: Engine, tmp_path: Path
) -> None:
    """At midnight "today" has not begun: a forecast of it runs, a figure of it is refused
    (neither raises)."""
    midnight = offline_agent(
        demo_engine, tmp_path / "midnight.db", datetime(2026, 10, 21, tzinfo=TZ)
    )
    forecast = midnight.ask("Will we go over 1200 kW today?")
    assert [c.name for c in forecast.tool_calls] == ["forecast"], forecast.answer
    assert forecast.tool_calls[0].args["demand_limit_kw"] == 1200
    used = midnight.ask("how much did the main incomer use today?")
    assert used.outcome == "refuse" and not used.tool_calls, used.answer


@pytest.mark.parametrize(
    ("question", "word", "meter", "start", "end"),
    [
        ("steam usage of the boiler last week?", "steam", "boiler", "2026-10-12", "2026-10-19"),
        ("NOx emissions of the boiler last month?", "NOx", "boiler", "2026-09-01", "2026-10-01"),
    ],
)
def test_a_measure_word_of_an_unmetered_quantity_gives_no_nearby_figure(
    agent: Agent, demo_engine: Engine, question: str, word: str, meter: str, start: str, end: str
) -> None:
    reply = agent.ask(question)
    energy = raw(demo_engine, meter, start, end).sum()
    assert reply.outcome == "refuse", reply.answer
    assert not reply.tool_calls, reply.tool_calls
    assert f"'{word}'" in reply.answer and "gas (boiler)" in reply.answer, reply.answer
    assert absent(reply.answer, energy) and absent(reply.answer, energy * 0.201), reply.answer


def test_an_unmetered_water_question_in_portuguese_is_refused(agent: Agent) -> None:
    reply = agent.ask("quanto de água a fábrica consumiu em setembro? m3")
    assert reply.outcome == "refuse", reply.answer
    assert not reply.tool_calls and "'água'" in reply.answer, reply.answer


def test_an_alert_on_an_unmetered_quantity_is_refused(agent: Agent) -> None:
    reply = agent.ask("can u alert when cos phi on the incomer goes under 0.92")
    assert reply.outcome == "refuse", reply.answer
    assert not reply.tool_calls and "'cos phi'" in reply.answer, reply.answer
    asked = agent.ask("whats the pressure in the compressed air net right now, bar?")
    assert asked.outcome == "refuse" and "'pressure'" in asked.answer, asked.answer


@pytest.mark.parametrize("threshold", ["-5 kW", "0 kW"])
def test_a_threshold_a_consumer_cannot_reach_is_refused(agent: Agent, threshold: str) -> None:
    reply = agent.ask(f"alert me when the lighting drops below {threshold}")
    assert reply.outcome == "refuse", reply.answer
    assert not reply.tool_calls and "never negative" in reply.answer, reply.answer


def test_a_threshold_above_zero_is_still_a_rule(agent: Agent) -> None:
    reply = agent.ask("alert me when the lighting drops below 5 kW")
    assert reply.outcome == "confirm", reply.answer


def test_deleting_readings_said_after_them_is_refused(agent: Agent) -> None:
    reply = agent.ask("comp2 readings from 02.12.2025 are rubbish (stuck meter) - delete them pls")
    assert reply.outcome == "refuse", reply.answer
    assert not reply.tool_calls and "read-only" in reply.answer, reply.answer


def test_another_plant_is_refused_and_this_one_not_answered_instead(
    agent: Agent, demo_engine: Engine
) -> None:
    reply = agent.ask("compare last month's kWh with our Hamburg plant")
    month = raw(demo_engine, "main-incomer", "2026-09-01", "2026-10-01").sum()
    assert reply.outcome == "refuse", reply.answer
    assert not reply.tool_calls and "'Hamburg'" in reply.answer, reply.answer
    assert absent(reply.answer, month), reply.answer


def test_a_name_before_a_missing_meter_is_quoted_with_it(agent: Agent) -> None:
    reply = agent.ask("energy of press line 3 last week")
    assert not reply.tool_calls, reply.tool_calls
    assert "'press line 3'" in reply.answer, reply.answer
