"""A proposed alert rule is put beside how far the meter's value went lately: the highest (a
rule on going above) or lowest (on going below) over the last 90 days at the rule's window, and
a plain warning when the threshold is far out of that range (a unit slip). Figures are checked
against pandas on a hand-made meter."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from agent.render import renderer_for
from agent.writes import describe_write
from store import catalog
from store.schema import AlertRule
from store.writes import write_readings
from tools.alerts import RECENT_DAYS, RuleInput, create_alert_rule, rule_reach
from tools.base import ToolContext

TZ = "America/Sao_Paulo"
ZONE = ZoneInfo(TZ)
START = datetime(2025, 1, 1, tzinfo=ZONE)
NOW = START + timedelta(days=120)
QUARTERS = 120 * 96


def energy_kwh() -> np.ndarray:
    rng = np.random.default_rng(7)
    kwh = rng.uniform(3.0, 9.0, QUARTERS)  # 12 to 36 kW
    kwh[500] = 30.0  # 120 kW, but more than 90 days ago: outside the stretch looked at
    return kwh


@pytest.fixture
def ctx(engine: Engine) -> ToolContext:
    ts = int(START.timestamp()) + 900 * np.arange(QUARTERS, dtype=np.int64)
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "mill", TZ)
        sid = catalog.ensure_series(conn, site.id, "grinder-b", "energy", "kWh").id
        write_readings(conn, sid, ts, energy_kwh(), TZ)
    return ToolContext(engine, site, NOW, role="operator")


def recent_demand() -> pd.Series:
    """Average kW per 15-minute window over the last 90 days, by pandas alone."""
    index = pd.date_range(START, periods=QUARTERS, freq="15min")
    kw = pd.Series(energy_kwh() * 4, index=index)
    lo = pd.Timestamp(NOW) - pd.Timedelta(days=90)
    return kw[(kw.index >= lo) & (kw.index + pd.Timedelta(minutes=15) <= pd.Timestamp(NOW))]


def rule(**overrides: object) -> dict:
    base = {"meter": "grinder-b", "target": "demand", "condition": ">", "unit": "kW"}
    return base | {"threshold": 5000.0, "for_minutes": 15} | overrides


def test_highest_seen_and_a_threshold_far_above_it(ctx: ToolContext) -> None:
    truth = recent_demand()
    reach = rule_reach(ctx, RuleInput.model_validate(rule()))
    assert RECENT_DAYS == 90 and reach.extreme == "highest"
    assert reach.value == pytest.approx(truth.max()) and reach.windows == len(truth)
    assert reach.held == 0 and reach.out_of_range
    text = " ".join(renderer_for(type(reach)).answer(reach))
    assert f"{truth.max():.2f} kW" in text  # 12-36 kW: two decimals
    assert "would never have fired" in text and "Is the unit right" in text
    assert text.endswith("Is the unit right (5 MW = 5,000 kW)?")


def test_a_threshold_in_range_counts_the_windows_beyond_it(ctx: ToolContext) -> None:
    truth = recent_demand()
    reach = rule_reach(ctx, RuleInput.model_validate(rule(threshold=30.0)))
    assert not reach.out_of_range
    assert reach.held == int((truth > 30.0).sum()) > 0
    text = " ".join(renderer_for(type(reach)).answer(reach))
    assert "never" not in text and f"{int((truth > 30.0).sum()):,} of" in text


def test_a_below_rule_is_set_beside_the_lowest_value(ctx: ToolContext) -> None:
    truth = recent_demand()
    far = rule_reach(ctx, RuleInput.model_validate(rule(condition="<", threshold=truth.min() / 12)))
    assert far.extreme == "lowest" and far.value == pytest.approx(truth.min())
    assert far.out_of_range and far.held == 0
    assert "far below anything seen" in " ".join(renderer_for(type(far)).answer(far))
    near = rule_reach(ctx, RuleInput.model_validate(rule(condition="<=", threshold=15.0)))
    assert not near.out_of_range and near.held == int((truth <= 15.0).sum())
    trip = rule_reach(ctx, RuleInput.model_validate(rule(condition="<", threshold=truth.min() / 3)))
    assert not trip.out_of_range and trip.held == 0  # a trip threshold under the running load


def test_the_proposal_says_so_and_the_rule_is_still_made(ctx: ToolContext, engine: Engine) -> None:
    proposal = describe_write("create_alert_rule", rule(), ctx)
    assert proposal.startswith("create an alert rule on grinder-b: demand > 5000 kW")
    assert "would never have fired" in proposal
    assert "never" not in describe_write("create_alert_rule", rule())  # no store at hand
    made = create_alert_rule(ctx, rule())
    assert made.reach is not None and made.reach.out_of_range
    answer = " ".join(renderer_for(type(made)).answer(made))
    assert answer.startswith("Created alert rule #") and "would never have fired" in answer
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AlertRule)).scalar_one() == 1


def test_the_agent_asks_about_the_unit_and_a_yes_still_makes_the_rule(
    ctx: ToolContext, engine: Engine, tmp_path: Path
) -> None:
    from tests.offline_agents import offline_agent

    agent = offline_agent(engine, ctx.site, tmp_path / "threads.db", NOW)
    proposal = agent.ask("alert me when grinder-b goes above 5 MW", thread="t", role="operator")
    assert proposal.outcome == "clarify" and not proposal.tool_calls, proposal.answer
    assert f"{recent_demand().max():.2f} kW" in proposal.answer
    assert "would never have fired" in proposal.answer and "Shall I go ahead?" in proposal.answer
    made = agent.ask("yes", thread="t", role="operator")
    assert [c.name for c in made.tool_calls] == ["create_alert_rule"], made.answer
    assert made.tool_calls[0].args["threshold"] == 5000.0
    in_range = agent.ask("alert me when grinder-b goes above 30 kW", thread="u", role="operator")
    assert in_range.outcome == "confirm" and "never" not in in_range.answer
