"""A period the user names by its dates ("October 2026", "Q4", "2026") that is still running
at now ends at now in every tool, and the answer says it is so far. Numbers are checked
against pandas over the readings written (tests/test_offline_any_plant.py), which run on
past now: what is after now must not be counted."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.test_offline_any_plant import NOW, TZ, brewery, states

__all__ = ["brewery"]  # the fixture, used by name


def so_far(values: pd.Series, first: str) -> float:
    """Readings (each stamped with its start) from local `first` to now."""
    begin = pd.Timestamp(first, tz=TZ).timestamp()
    return float(values[(values.index >= begin) & (values.index < NOW.timestamp())].sum())


@pytest.mark.parametrize(
    ("question", "first"),
    [
        ("energy of Pump K2 in October 2026", "2026-10-01"),
        ("energy of Pump K2 in Q4", "2026-10-01"),
        ("energy of Pump K2 in 2026", "2026-09-01"),
    ],
)
def test_a_running_period_named_by_its_dates_is_cut_at_now(brewery, question, first) -> None:
    agent, data = brewery
    reply = agent.ask(question)
    values = data["Pump K2"]
    expected = so_far(values, first)
    whole = float(values[values.index >= pd.Timestamp(first, tz=TZ).timestamp()].sum())
    assert expected < whole  # the readings run on past now
    assert states(reply.answer, expected, rel=0.0003), reply.answer
    assert not states(reply.answer, whole, rel=0.0003), reply.answer
    assert "so far" in reply.answer, reply.answer


def between(values: pd.Series, first: str, end: pd.Timestamp) -> float:
    begin = pd.Timestamp(first, tz=TZ).timestamp()
    return float(values[(values.index >= begin) & (values.index < end.timestamp())].sum())


def test_a_kpi_over_a_running_month_divides_by_the_hours_so_far(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("average power of Pump K2 in October 2026")
    hours = (pd.Timestamp(NOW) - pd.Timestamp("2026-10-01", tz=TZ)).total_seconds() / 3600
    expected = so_far(data["Pump K2"], "2026-10-01") / hours
    assert reply.tool_calls[0].result["period"]["end"] == NOW.isoformat()
    assert states(reply.answer, expected, rel=0.001), reply.answer
    assert "so far" in reply.answer, reply.answer


def test_a_running_month_is_compared_with_as_much_of_the_month_before(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("compare Pump K2 in October 2026 with September 2026")
    values = data["Pump K2"]
    october = so_far(values, "2026-10-01")
    september = between(values, "2026-09-01", pd.Timestamp(NOW) - pd.DateOffset(months=1))
    assert states(reply.answer, october, rel=0.0003), reply.answer
    assert states(reply.answer, september, rel=0.0003), reply.answer
    assert not states(
        reply.answer,
        float(values[values.index < pd.Timestamp("2026-10-01", tz=TZ).timestamp()].sum()),
        rel=0.0003,
    ), reply.answer


def test_a_period_that_has_not_begun_is_refused_with_no_number(brewery) -> None:
    agent, _ = brewery
    reply = agent.ask("energy of Pump K2 in December 2026")
    # refused before any tool runs, saying why and where the data ends
    assert reply.outcome == "refuse" and not reply.tool_calls, reply.answer
    assert "in the future" in reply.answer and "runs to now" in reply.answer, reply.answer
    assert "kWh" not in reply.answer, reply.answer
