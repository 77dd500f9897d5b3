"""A rule tried on past data, then changed and set up: "only if it stays above for an hour?"
and "and at 12?" are tried again (nothing stored), "ok set that one up" proposes the rule last
tried and only a yes writes it. Counts are checked against the truth functions, a volume rule's
window totals against pandas over the readings written (tests/test_offline_any_plant.py)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import Engine

from agent.reader import read
from evals.dataset import TruthSpec
from evals.scorer import WRITE_TOOLS
from evals.truth import evaluate
from tests.test_offline_any_plant import NOW, TZ, brewery
from tests.test_reader_intent_cues import W

__all__ = ["brewery"]  # the fixture, used by name

SEPTEMBER = "2026-09-01..2026-09-30"
AT = datetime(2026, 10, 15, 10, tzinfo=NOW.tzinfo)


def _truth(engine: Engine, threshold: float, minutes: int, longer: bool) -> float:
    spec = TruthSpec(
        fn="backtest_alerts",
        site="brewery",
        meter="Pump K2",
        period=SEPTEMBER,
        threshold=threshold,
        min_minutes=minutes,
        strictly_longer=longer,
    )
    return evaluate(engine, spec)


def test_a_quantity_with_its_unit_is_no_year() -> None:
    r = read("warn me when Kompressor Nord uses more than 2000 kWh in a day", W, AT)
    (t,) = r.thresholds
    assert (t.value, t.unit, t.window) == (2000, "kWh", "day") and not r.periods


def test_a_level_passed_for_more_than_minutes_in_portuguese() -> None:
    r = read("quantas vezes o Kompressor Nord passou de 20 kW por mais de 15 min?", W, AT)
    (t,) = r.thresholds
    assert (t.value, t.unit, t.duration_min, t.longer) == (20, "kW", 15, True)
    assert not r.unused  # "quantas vezes" is how many times


def test_a_rule_tried_changed_and_set_up_waits_for_the_yes(brewery, engine: Engine) -> None:
    agent, _ = brewery
    first = agent.ask(
        "if we had an alarm on Pump K2 above 10 kW, how often would it have gone off in September?"
    )
    (call,) = first.tool_calls
    assert call.name == "backtest_alert_rule", first.answer
    thread = first.thread

    longer = agent.ask("only if it stays above for an hour?", thread=thread)
    (call,) = longer.tool_calls
    assert call.name == "backtest_alert_rule", longer.answer
    assert (call.args["threshold"], call.args["for_minutes"]) == (10, 60), call.args
    assert call.args["window"] == "15min", call.args  # "an hour" is how long, not a window
    hour = _truth(engine, 10, 45, True)
    assert len(call.result["episodes"]) == hour < _truth(engine, 10, 0, False)

    lower = agent.ask("and at 9?", thread=thread)
    (call,) = lower.tool_calls
    assert call.name == "backtest_alert_rule", lower.answer
    assert (call.args["threshold"], call.args["for_minutes"]) == (9, 60), call.args
    assert len(call.result["episodes"]) == _truth(engine, 9, 45, True)

    proposed = agent.ask("ok set that one up, warning, send to #brewhouse", thread=thread)
    assert proposed.outcome == "confirm", proposed.answer
    assert not [c for c in proposed.tool_calls if c.name in WRITE_TOOLS], proposed.tool_calls
    (pending,) = proposed.pending
    assert pending["args"]["threshold"] == 9 and pending["args"]["for_minutes"] == 60
    assert pending["args"]["channel"] == "#brewhouse", pending

    done = agent.ask("sim, pode criar", thread=thread)
    (call,) = done.tool_calls
    assert call.name == "create_alert_rule" and call.result, done.answer


def test_a_volume_rule_watches_the_volume_used_per_window(brewery) -> None:
    agent, data = brewery
    values = data["Hot Water Heater"]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    september = values[(local >= "2026-09-01") & (local < "2026-10-01")]
    days = september.groupby(local[(local >= "2026-09-01") & (local < "2026-10-01")].date).sum()
    level = float(days.quantile(0.8))
    assert float(september.max()) < level  # an average of hourly readings never reaches it
    reply = agent.ask(
        f"how often would an alarm on the Hot Water Heater above {level:.0f} m3 in a day have "
        "gone off in September?"
    )
    (call,) = reply.tool_calls
    assert call.name == "backtest_alert_rule", reply.answer
    assert (call.args["target"], call.args["metric"], call.args["window"]) == (
        "metric",
        "volume",
        "day",
    )
    peaks = sorted(e["peak_value"] for e in call.result["episodes"])
    above = days[days > round(level)]
    assert peaks and all(min(abs(p - v) for v in above) < 1e-6 for p in peaks), (peaks, above)
