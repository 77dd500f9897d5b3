"""A baseline period the user states, shorter than the year the CalTRACK daily method asks of a
meter read once a day, is fitted as asked by the daily regression on outdoor temperature (and
the answer says why), not refused; a meter read within the day keeps the tool's own choice.
Figures are checked against the eval truth functions (numpy and scipy over the readings,
evals/truth_baseline.py), not the tool."""

from __future__ import annotations

from sqlalchemy import Engine

from agent.loop import Agent
from evals.dataset import TruthSpec
from evals.truth import evaluate
from tests.test_offline_any_plant import states
from tests.test_offline_rule_levels import brewery  # noqa: F401  (with a yard sensor)

BASE, REPORT = "2026-09-01..2026-09-30", "2026-10-01..2026-10-14"


QUESTION = (
    "A baseline on outdoor temperature for {}, September as the baseline: how do 1-14 October "
    "compare?"
)


def test_a_short_base_of_a_daily_meter_is_fitted_by_regression(
    brewery: Agent,  # noqa: F811
    engine: Engine,
) -> None:
    reply = brewery.ask(QUESTION.format("Bottling Hall"))
    call = next((c for c in reply.tool_calls if c.name == "energy_baseline"), None)
    assert call is not None and call.args.get("method") == "regression", reply.answer
    assert "needs a year of baseline" in reply.answer, reply.answer
    spec = TruthSpec(fn="baseline_expected", site="brewery", meter="Bottling Hall",
                     period=REPORT, reference=BASE)  # fmt: skip
    assert states(reply.answer, float(evaluate(engine, spec)), rel=0.03), reply.answer


def test_a_meter_read_within_the_day_keeps_the_tools_choice(brewery: Agent) -> None:  # noqa: F811
    reply = brewery.ask(QUESTION.format("Incomer North"))
    call = next((c for c in reply.tool_calls if c.name == "energy_baseline"), None)
    assert call is not None and "method" not in call.args, reply.answer
    assert "needs a year of baseline" not in reply.answer, reply.answer
