"""The eval's back-test truth: alerts counted with the watcher's hysteresis, against a hand
count and against the alerts the watcher itself stores; the plain runs beside them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import Engine

from evals.dataset import Case, TruthSpec
from evals.references import references
from evals.scorer import score_case
from evals.truth import evaluate
from store import catalog
from store.writes import write_readings
from tools.alerts import create_alert_rule, evaluate_rules, list_alerts
from tools.base import ToolContext

TZ = "Europe/Berlin"
ZONE = ZoneInfo(TZ)
T0 = int(datetime(2026, 6, 1, tzinfo=ZONE).timestamp())
N = 96


def demand_kw() -> np.ndarray:
    kw = np.full(N, 80.0)
    kw[10:14] = 110.0  # an hour above 100 kW: one run, one alert
    # hovering: above for two windows, at 97 kW (inside, but within the 5 % margin) for one,
    # above for two again: two runs, one alert that stays open through the dip
    kw[30:35] = [105.0, 106.0, 97.0, 104.0, 103.0]
    # above for two windows, back 5 % inside for one only, above for two: still one alert
    kw[50:55] = [105.0, 106.0, 90.0, 104.0, 103.0]
    kw[70:72] = 120.0  # half an hour: a run and an alert
    kw[80] = 130.0  # one window: too short for both
    return kw


@pytest.fixture
def ctx(engine: Engine) -> ToolContext:
    ts = T0 + 900 * np.arange(N, dtype=np.int64)
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "plant", TZ)
        catalog.ensure_meter(conn, site.id, "press")
        sid = catalog.ensure_series(conn, site.id, "press", "energy", "kWh", interval_s=900).id
        write_readings(conn, sid, ts, demand_kw() / 4, TZ)
    return ToolContext(engine, site, datetime.fromtimestamp(T0, ZONE))


def spec(fn: str) -> TruthSpec:
    return TruthSpec(
        fn=fn, site="plant", meter="press", period="2026-06-01", threshold=100, min_minutes=15
    )


def test_alerts_count_with_the_watchers_hysteresis_runs_without(ctx: ToolContext) -> None:
    # longer than 15 minutes: two windows in a row above 100 kW
    assert evaluate(ctx.engine, spec("backtest_alerts")) == 4.0
    assert evaluate(ctx.engine, spec("episodes_above")) == 6.0
    # the watcher, given a rule made before the data, stores the same alerts
    create_alert_rule(
        ctx,
        {
            "meter": "press",
            "target": "demand",
            "condition": ">",
            "threshold": 100.0,
            "unit": "kW",
            "window": "15min",
            "for_minutes": 30,
        },
    )
    evaluate_rules(ctx, T0, T0 + 900 * N)
    assert len(list_alerts(ctx, {"state": "all"}).alerts) == 4


def test_runs_and_alerts_are_no_references_of_each_other(ctx: ToolContext) -> None:
    """An answer giving the plain runs (6) when the alerts (4) were asked, or the alerts when
    the runs were, states a wrong number; a case that lists both takes both."""
    counts = {"backtest_alerts": 4.0, "episodes_above": 6.0}
    words = {"backtest_alerts": "alerts", "episodes_above": "times"}
    for asked, other in (
        ("backtest_alerts", "episodes_above"),
        ("episodes_above", "backtest_alerts"),
    ):
        assert evaluate(ctx.engine, spec(asked)) == counts[asked]
        refs = references(ctx.engine, spec(asked))
        assert counts[other] not in refs
        one = Case.model_validate(
            {
                "id": asked.replace("_", "-"),
                "category": "alert",
                "question": "how often above 100 kW for more than 15 minutes on 1 June?",
                "expect": {"tool": "backtest_alert_rule", "truth": spec(asked).model_dump()},
            }
        )
        answer = {"answer": f"It was {int(counts[other])} {words[other]}.", "outcome": "answer"}
        found = score_case(one, answer, counts[asked], refs=refs).wrong_numbers
        assert found == (f"{int(counts[other])} {words[other]}",)
        both = one.model_copy(
            update={"expect": one.expect.model_copy(update={"also": [spec(other)]})}
        )
        said = {
            "answer": f"{int(counts['backtest_alerts'])} alerts from "
            f"{int(counts['episodes_above'])} times above.",
            "outcome": "answer",
        }
        assert score_case(both, said, counts[asked], also=[counts[other]]).wrong_numbers == ()
