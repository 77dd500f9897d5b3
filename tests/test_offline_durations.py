"""How long a condition must hold: "for 30 minutes" is enough at 30 minutes (two 15-minute
windows in a row), "for more than 30 minutes" / "longer than" needs more (three). The reader,
the alert and episode tools and the eval truth agree; counts are checked against the truth
functions (evals/truth_kpis.py) over the readings written (tests/test_offline_any_plant.py)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine

from agent.reader import read
from evals.dataset import TruthSpec
from evals.truth import evaluate
from tests.test_offline_any_plant import NOW, brewery
from tests.test_reader_intent_cues import W

__all__ = ["brewery"]  # the fixture, used by name

SEPTEMBER = "2026-09-01..2026-09-30"


@pytest.mark.parametrize(
    ("question", "minutes", "longer"),
    [
        ("alert me when Kompressor Nord goes above 20 kW for 30 minutes", 30, False),
        ("alert me when Kompressor Nord goes above 20 kW for at least 30 minutes", 30, False),
        ("alert me when Kompressor Nord goes above 20 kW for half an hour", 30, False),
        ("alert me when Kompressor Nord goes above 20 kW for more than 30 minutes", 30, True),
        ("alert me when Kompressor Nord goes above 20 kW for over 30 minutes", 30, True),
        ("alert me when Kompressor Nord stays above 20 kW longer than 30 minutes", 30, True),
    ],
)
def test_the_reader_tells_for_a_time_from_for_longer_than_it(question, minutes, longer) -> None:
    (t,) = read(question, W, datetime(2026, 10, 15, 10, tzinfo=NOW.tzinfo)).thresholds
    assert (t.duration_min, t.longer) == (minutes, longer)


@pytest.mark.parametrize(
    ("said", "for_minutes", "strictly_longer"),
    [("for 30 minutes", 30, False), ("for more than 30 minutes", 45, True)],
)
def test_an_alert_rule_holds_as_long_as_said(
    brewery, engine: Engine, said: str, for_minutes: int, strictly_longer: bool
) -> None:
    agent, _ = brewery
    first = agent.ask(f"alert me when Pump K2 goes above 10 kW {said}")
    assert first.outcome == "confirm", first.answer
    done = agent.ask("yes go ahead", thread=first.thread)
    assert done.tool_calls[0].args["for_minutes"] == for_minutes, done.tool_calls
    tested = agent.ask("how often would that have gone off in september?", thread=first.thread)
    (call,) = tested.tool_calls
    assert call.name == "backtest_alert_rule" and call.args["for_minutes"] == for_minutes
    truth = evaluate(
        engine,
        TruthSpec(
            fn="backtest_alerts",
            site="brewery",
            meter="Pump K2",
            period=SEPTEMBER,
            threshold=10,
            min_minutes=30,
            strictly_longer=strictly_longer,
        ),
    )
    assert truth > 0 and len(call.result["episodes"]) == truth, call.result


def test_episodes_for_a_time_and_for_longer_than_it_are_counted_apart(brewery, engine) -> None:
    agent, _ = brewery
    counted = {}
    for said, strictly_longer in (("for 30 minutes", False), ("for more than 30 minutes", True)):
        reply = agent.ask(f"how many times was Pump K2 above 10 kW {said} in September?")
        (call,) = reply.tool_calls
        assert call.name == "count_episodes"
        spec = TruthSpec(
            fn="episodes_above",
            site="brewery",
            meter="Pump K2",
            period=SEPTEMBER,
            threshold=10,
            min_minutes=30,
            strictly_longer=strictly_longer,
        )
        counted[said] = evaluate(engine, spec)
        assert call.result["count"] == counted[said], reply.answer
        assert f"{int(counted[said])}" in reply.answer, reply.answer
    assert counted["for 30 minutes"] > counted["for more than 30 minutes"] > 0
