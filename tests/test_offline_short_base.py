"""A baseline period the user states, shorter than the year the CalTRACK daily method asks of a
meter read once a day, is fitted as asked by the daily regression on outdoor temperature (and
the answer says why), not refused; a meter read within the day keeps the tool's own choice.
Figures are checked against the eval truth functions (numpy and scipy over the readings,
evals/truth_baseline.py), not the tool."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine

from agent.loop import Agent
from connectors.catalog_file import parse_plant
from connectors.catalog_sync import apply_plant
from evals.dataset import TruthSpec
from evals.truth import evaluate
from store import catalog
from store.writes import write_readings
from tests.offline_agents import offline_agent
from tests.test_offline_any_plant import NOW, PLANT, TZ, brewery_agent, readings, states

BASE, REPORT = "2026-09-01..2026-09-30", "2026-10-01..2026-10-14"


@pytest.fixture
def brewery(engine: Engine, tmp_path: Path) -> Agent:
    """The brewery of tests/test_offline_any_plant.py and a yard sensor of outdoor temperature."""
    data = readings()
    brewery_agent(engine, tmp_path / "first", data)
    sensor = "  - {name: Yard Sensor, carrier: weather, description: Outdoor temperature}\n"
    apply_plant(engine, parse_plant(PLANT + sensor, "brewery.yaml", "yaml"))
    hours = next(iter(data.values())).index[::4]
    temperature = np.random.default_rng(5).uniform(5, 20, len(hours))
    with engine.begin() as conn:
        site = catalog.get_site(conn, "brewery")
        sid = catalog.ensure_series(
            conn, site.id, "Yard Sensor", "outdoor_temperature", "degC", interval_s=3600
        ).id
        write_readings(conn, sid, hours.to_numpy(), temperature, TZ)
    return offline_agent(engine, site, tmp_path / "threads.db", NOW)


QUESTION = (
    "A baseline on outdoor temperature for {}, September as the baseline: how do 1-14 October "
    "compare?"
)


def test_a_short_base_of_a_daily_meter_is_fitted_by_regression(
    brewery: Agent, engine: Engine
) -> None:
    reply = brewery.ask(QUESTION.format("Bottling Hall"))
    call = next((c for c in reply.tool_calls if c.name == "energy_baseline"), None)
    assert call is not None and call.args.get("method") == "regression", reply.answer
    assert "needs a year of baseline" in reply.answer, reply.answer
    spec = TruthSpec(fn="baseline_expected", site="brewery", meter="Bottling Hall",
                     period=REPORT, reference=BASE)  # fmt: skip
    assert states(reply.answer, float(evaluate(engine, spec)), rel=0.03), reply.answer


def test_a_meter_read_within_the_day_keeps_the_tools_choice(brewery: Agent) -> None:
    reply = brewery.ask(QUESTION.format("Incomer North"))
    call = next((c for c in reply.tool_calls if c.name == "energy_baseline"), None)
    assert call is not None and "method" not in call.args, reply.answer
    assert "needs a year of baseline" not in reply.answer, reply.answer
