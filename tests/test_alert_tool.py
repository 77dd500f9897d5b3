"""Alert rules: validation with reasons, one alert per episode, restart-safe evaluation, rules
that watch only from when they were made, and back-tests that store nothing."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from agent.render import renderer_for
from common.errors import UnknownMeter
from store import catalog
from store.schema import Alert, AlertRule
from store.writes import write_readings
from tools.alert_backtest import BacktestResult, backtest_alert_rule
from tools.alerts import (
    InvalidRule,
    NotAllowed,
    create_alert_rule,
    evaluate_rules,
    list_alert_rules,
    list_alerts,
    update_alert,
    update_alert_rule,
)
from tools.base import ToolContext

TZ = "Europe/Berlin"
ZONE = ZoneInfo(TZ)
T0 = int(datetime(2025, 6, 2, tzinfo=ZONE).timestamp())
QUARTERS = 96 * 2


def demand_kw() -> np.ndarray:
    kw = np.full(QUARTERS, 100.0)
    kw[40:44] = 150.0  # one hour above 120 kW
    kw[120:122] = 160.0  # half an hour
    kw[150:170] = np.where(np.arange(20) % 2 == 0, 118.0, 124.0)  # hovering at the threshold
    return kw


@pytest.fixture
def ctx(engine: Engine) -> ToolContext:
    ts = T0 + 900 * np.arange(QUARTERS, dtype=np.int64)
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "plant", TZ)
        sid = catalog.ensure_series(conn, site.id, "line-a", "energy", "kWh").id
        write_readings(conn, sid, ts, demand_kw() / 4, TZ)
        pid = catalog.ensure_series(conn, site.id, "line-a-output", "production", "unit").id
        write_readings(conn, pid, ts, np.full(QUARTERS, 100.0), TZ)
    return ToolContext(engine, site, datetime(2025, 6, 4, tzinfo=ZONE))


def before_data(ctx: ToolContext) -> ToolContext:
    """The context of a person who made the rule before the data came in."""
    return replace(ctx, now=datetime.fromtimestamp(T0, ZONE))


def rule(**overrides: object) -> dict:
    base = {
        "meter": "line-a",
        "target": "demand",
        "condition": ">",
        "threshold": 120.0,
        "unit": "kW",
        "window": "15min",
    }
    return base | overrides


def test_demand_rule_raises_one_alert_per_episode(ctx: ToolContext) -> None:
    created = create_alert_rule(before_data(ctx), rule(channel="#energy"))
    assert created.name == "line-a demand > 120 kW" and created.channel == "#energy"
    evaluate_rules(ctx, T0, T0 + QUARTERS * 900)
    alerts = sorted(list_alerts(ctx, {"state": "all"}).alerts, key=lambda a: a.start)
    starts = [datetime.fromisoformat(a.start).timestamp() for a in alerts]
    assert starts == [T0 + 40 * 900, T0 + 120 * 900, T0 + 151 * 900]
    assert [a.peak_value for a in alerts] == [150.0, 160.0, 124.0]
    first_end = datetime.fromisoformat(alerts[0].end or "").timestamp()
    assert first_end == T0 + 44 * 900
    assert (
        alerts[2].end is None or datetime.fromisoformat(alerts[2].end).timestamp() >= T0 + 170 * 900
    )


def test_evaluation_is_idempotent_and_incremental(ctx: ToolContext) -> None:
    create_alert_rule(before_data(ctx), rule())
    end = T0 + QUARTERS * 900
    evaluate_rules(ctx, T0, end)
    evaluate_rules(ctx, T0, end)  # the same data again: nothing new
    with ctx.engine.connect() as conn:
        once = conn.execute(
            select(Alert.start_ts, Alert.end_ts, Alert.peak_value).order_by(Alert.start_ts)
        ).all()
        conn.execute(Alert.__table__.delete())
        conn.commit()
    for a in range(T0, end, 6 * 3600):  # as a watcher would, every six hours
        evaluate_rules(ctx, a, min(a + 6 * 3600, end))
    with ctx.engine.connect() as conn:
        stepwise = conn.execute(
            select(Alert.start_ts, Alert.end_ts, Alert.peak_value).order_by(Alert.start_ts)
        ).all()
    assert stepwise == once


def test_sec_rule_uses_production(ctx: ToolContext) -> None:
    create_alert_rule(
        before_data(ctx), rule(target="sec", threshold=0.35, unit="kWh/unit", window="hour")
    )
    evaluate_rules(ctx, T0, T0 + QUARTERS * 900)
    [alert] = [
        a for a in list_alerts(ctx, {"state": "all"}).alerts if a.start.startswith("2025-06-02T10")
    ]
    assert alert.peak_value == pytest.approx(150.0 / 400.0)  # 150 kWh in the hour, 400 units


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"meter": "line-z"}, UnknownMeter, "no meter named 'line-z'"),
        ({"unit": "kWh"}, InvalidRule, "compared in kW, but the threshold is in kWh"),
        ({"threshold": -5.0}, InvalidRule, "never negative"),
        ({"condition": "<", "threshold": 0.0}, InvalidRule, "can never be true"),
        ({"condition": ">=", "threshold": 0.0}, InvalidRule, "always true"),
        ({"threshold": math.nan}, InvalidRule, "not a number"),
        ({"target": "metric", "metric": None}, InvalidRule, "needs the metric"),
    ],
)
def test_bad_rules_are_refused_with_the_reason(
    ctx: ToolContext, overrides: dict, error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        create_alert_rule(ctx, rule(**overrides))
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AlertRule)).scalar_one() == 0


def test_viewers_cannot_write(ctx: ToolContext) -> None:
    viewer = ToolContext(ctx.engine, ctx.site, ctx.now, ctx.config, user="ann", role="viewer")
    with pytest.raises(NotAllowed, match="needs the operator role"):
        create_alert_rule(viewer, rule())
    assert list_alert_rules(viewer, {}).rules == []


def test_update_validates_and_delete_removes(ctx: ToolContext) -> None:
    created = create_alert_rule(ctx, rule())
    with pytest.raises(InvalidRule, match="never negative"):
        update_alert_rule(ctx, {"rule_id": created.id, "threshold": -1.0})
    assert list_alert_rules(ctx, {}).rules[0].threshold == 120.0  # unchanged
    changed = update_alert_rule(
        ctx, {"rule_id": created.id, "threshold": 140.0, "severity": "critical"}
    )
    assert (changed.rules[0].threshold, changed.rules[0].severity) == (140.0, "critical")
    update_alert_rule(ctx, {"rule_id": created.id, "delete": True})
    assert list_alert_rules(ctx, {}).rules == []
    with pytest.raises(InvalidRule, match="no alert rule with id"):
        update_alert_rule(ctx, {"rule_id": created.id, "threshold": 1.0})


def test_acknowledge_and_resolve_with_notes(ctx: ToolContext) -> None:
    create_alert_rule(before_data(ctx), rule())
    evaluate_rules(ctx, T0, T0 + QUARTERS * 900)
    first = list_alerts(ctx, {"state": "open"}).alerts[-1]
    acked = update_alert(
        ctx, {"alert_id": first.id, "action": "acknowledge", "note": "checking the press"}
    )
    assert (acked.state, acked.note) == ("acknowledged", "checking the press")
    done = update_alert(
        ctx, {"alert_id": first.id, "action": "resolve", "note": "press restarted under load"}
    )
    assert done.state == "resolved"
    assert first.id not in {a.id for a in list_alerts(ctx, {"state": "active"}).alerts}
    with pytest.raises(InvalidRule, match="no alert with id 9999"):
        update_alert(ctx, {"alert_id": 9999, "action": "resolve"})


def test_a_rule_that_must_hold_for_a_while(ctx: ToolContext) -> None:
    # Only the hour above 120 kW lasts 45 minutes; the half hour and the hovering do not.
    created = create_alert_rule(before_data(ctx), rule(for_minutes=45))
    assert created.for_minutes == 45
    end = T0 + QUARTERS * 900
    step = 42 * 900  # the hour above 120 kW straddles the watcher's first two runs
    for a in range(T0, end, step):
        evaluate_rules(ctx, a, min(a + step, end))
    alerts = list_alerts(ctx, {"state": "all"}).alerts
    assert [datetime.fromisoformat(a.start).timestamp() for a in alerts] == [T0 + 40 * 900]
    assert alerts[0].peak_value == 150.0
    with pytest.raises(InvalidRule, match="not a multiple of the window"):
        create_alert_rule(ctx, rule(for_minutes=20))
    assert list_alert_rules(ctx, {}).rules[0].for_minutes == 45
    # The back-test asks the same of the history, and finds the same one episode.
    tested = backtest_alert_rule(ctx, {**rule(for_minutes=45), "period": "2025-06-02..2025-06-03"})
    assert [(e.start, e.peak_value) for e in tested.episodes] == [
        (a.start, a.peak_value) for a in alerts
    ]
    # Runs of at least three quarter-hours above 120 kW: only the hour at 150 kW.
    assert tested.runs == 1 and tested.duration_minutes == 45


def alert_count(ctx: ToolContext) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Alert)).scalar_one())


def test_a_new_rule_raises_nothing_for_the_history_before_it(ctx: ToolContext) -> None:
    # Made at the end of the data (ctx.now): two days of history hold three episodes, but the
    # rule watches from now on, however far back a run evaluates.
    made = create_alert_rule(ctx, rule())
    assert made.active_from == ctx.now.isoformat()
    evaluate_rules(ctx, T0, T0 + QUARTERS * 900)
    assert alert_count(ctx) == 0
    later = replace(ctx, now=ctx.now.replace(hour=6))
    ts = int(ctx.now.timestamp()) + 900 * np.arange(8, dtype=np.int64)
    with ctx.engine.begin() as conn:
        sid = catalog.ensure_series(conn, ctx.site.id, "line-a", "energy", "kWh").id
        write_readings(
            conn, sid, ts, np.array([25.0, 40.0, 40.0, 25.0, 25.0, 25.0, 25.0, 25.0]), TZ
        )
    evaluate_rules(later, T0, int(later.now.timestamp()))
    [alert] = list_alerts(later, {"state": "all"}).alerts
    assert datetime.fromisoformat(alert.start).timestamp() == ts[1] and alert.peak_value == 160.0


def test_a_rule_switched_back_on_does_not_fill_in_the_weeks_it_was_off(ctx: ToolContext) -> None:
    made = create_alert_rule(before_data(ctx), rule())
    update_alert_rule(before_data(ctx), {"rule_id": made.id, "enabled": False})
    back_on = update_alert_rule(ctx, {"rule_id": made.id, "enabled": True}).rules[0]
    assert back_on.active_from == ctx.now.isoformat()
    evaluate_rules(ctx, T0, T0 + QUARTERS * 900)
    assert alert_count(ctx) == 0


def test_a_back_test_reports_the_episodes_and_stores_nothing(ctx: ToolContext) -> None:
    found = backtest_alert_rule(ctx, {**rule(), "period": "2025-06-02..2025-06-03"})
    starts = [datetime.fromisoformat(e.start).timestamp() for e in found.episodes]
    assert starts == [T0 + 40 * 900, T0 + 120 * 900, T0 + 151 * 900]
    assert [e.peak_value for e in found.episodes] == [150.0, 160.0, 124.0]
    assert found.episodes[0].hours == 1.0 and found.windows == QUARTERS
    assert found.stored is False and alert_count(ctx) == 0
    # Without the hysteresis each window above 120 kW while hovering is a run of its own:
    # runs of consecutive quarter-hours above the threshold, counted with pandas.
    above = pd.Series(demand_kw() > 120.0)
    runs = int((above & ~above.shift(fill_value=False)).sum())
    assert runs == 12 and found.runs == runs and found.duration_minutes == 15
    answer = renderer_for(BacktestResult).answer(found)
    assert answer[0].startswith(f"Back-test of {found.rule} over ")
    assert "it would have raised 3 alert(s) (an alert opens once" in answer[0], answer[0]
    assert "closes only after the value is 5 % back inside the threshold for 2 windows" in answer[0]
    assert (
        "without that hysteresis, the value went beyond the threshold for at least 15 "
        in (answer[0])
    )
    assert answer[0].endswith(f"minutes in a row {runs} times. Nothing was stored.")
    assert answer[1] == "- from Mon 2 Jun 2025 10:00 to Mon 2 Jun 2025 11:00, worst 150.0 kW"
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AlertRule)).scalar_one() == 0
    with pytest.raises(InvalidRule, match="never negative"):
        backtest_alert_rule(ctx, {**rule(threshold=-1.0), "period": "2025-06-02"})
    # The same episodes as the watcher's evaluation stores for a rule made before the data.
    create_alert_rule(before_data(ctx), rule())
    evaluate_rules(ctx, T0, T0 + QUARTERS * 900)
    stored = sorted(list_alerts(ctx, {"state": "all"}).alerts, key=lambda a: a.start)
    assert [(a.start, a.end, a.peak_value) for a in stored] == [
        (e.start, e.end, e.peak_value) for e in found.episodes
    ]


def test_a_lasting_rule_counts_only_the_windows_it_watched(ctx: ToolContext) -> None:
    # Made in the middle of an episode: the windows above 120 kW before it was made do not count
    # towards its 30 minutes, and the alert never starts before it.
    kw = demand_kw()
    for made in (41, 121):
        at = replace(ctx, now=datetime.fromtimestamp(T0 + made * 900, ZONE))
        create_alert_rule(at, rule(for_minutes=30, name=f"made at {made}"))
    evaluate_rules(ctx, T0, T0 + QUARTERS * 900)
    for made in (41, 121):
        above = [i for i in range(made, QUARTERS) if kw[i] > 120]
        runs = [i for i in above if i - 1 not in above and i + 1 in above]  # two or more in a row
        got = [a for a in list_alerts(ctx, {"state": "all"}).alerts if a.rule == f"made at {made}"]
        assert sorted(datetime.fromisoformat(a.start).timestamp() for a in got) == [
            T0 + i * 900 for i in runs
        ]
    assert alert_count(ctx) == 2  # 41 and 120 for the first; 121 alone is no half hour
