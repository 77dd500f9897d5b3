"""SQL asked in words on a plant unlike the demo: a limit on the readings is written into the
query in the readings' own unit (m3 of a volume series), or the question is asked back when
the query would have to leave it out; a reading length ("single 5-minute reading") is held
against the series' own interval; readings of zero are counted in SQL, asked back elsewhere.
Numbers are checked against pandas over the readings written."""

from __future__ import annotations

import pandas as pd

from tests.test_offline_any_plant import TZ, brewery  # noqa: F401


def _september(values: pd.Series) -> pd.Series:
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ).strftime("%Y-%m")
    return values[local == "2026-09"]


def test_a_limit_in_the_readings_own_unit_is_a_condition_of_the_count(brewery) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask("sql: how many readings of Hot Water Heater in September were above 2 m3?")
    assert [c.name for c in reply.tool_calls] == ["run_sql"], reply.answer
    above = int((_september(data["Hot Water Heater"]) > 2).sum())
    every = len(_september(data["Hot Water Heater"]))
    assert above < every
    assert f"| {above} |" in reply.answer, reply.answer


def test_a_limit_the_query_cannot_hold_is_asked_back_not_dropped(brewery) -> None:  # noqa: F811
    agent, _ = brewery
    # kW of an energy series: counting every reading would answer another question
    reply = agent.ask("sql: how many readings of Pump K1 in September were above 1.5 kW?")
    assert reply.outcome == "clarify" and not reply.tool_calls, reply.answer
    assert "above 1.5 kW" in reply.answer


def test_a_reading_length_is_held_against_the_series_interval(brewery) -> None:  # noqa: F811
    agent, data = brewery
    same = agent.ask("sql query: largest single 15-minute reading of Mash Tun Drive in September")
    assert [c.name for c in same.tool_calls] == ["run_sql"], same.answer
    assert f"| {_september(data['Mash Tun Drive']).max():.2f} |" in same.answer, same.answer
    for length in ("single 5-minute", "hourly"):
        other = agent.ask(f"sql query: largest {length} reading of Pump K1 in September")
        assert other.outcome == "clarify" and not other.tool_calls, other.answer
        assert "every 15 minutes" in other.answer, other.answer


def test_readings_of_zero_are_counted_in_sql_and_asked_back_elsewhere(brewery) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask("run sql: in how many readings of Pump K1 in September was the energy zero?")
    assert [c.name for c in reply.tool_calls] == ["run_sql"], reply.answer
    assert "value = 0" in reply.tool_calls[0].args["sql"]
    zero = int((_september(data["Pump K1"]) == 0).sum())
    assert f"| {zero} |" in reply.answer or "0 row(s)" in reply.answer, reply.answer
    other = agent.ask("Pump K1 in September: in how many hours was the energy zero?")
    assert other.outcome == "clarify" and not other.tool_calls, other.answer
