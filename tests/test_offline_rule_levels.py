"""Alert rules read with their exact arguments, and the follow-ups of a rule's thread: a level
written "at 10 kW" in a question about an alarm is the level it fires above, "triggering after
15 minutes" how long it must hold; "and at 11?", "make it 10.5 kW and 45 minutes, severity
critical", "deixa como warning e 45 minutos" change the rule under discussion; a rule on what a
meter does not measure (a kW level on a temperature sensor, an SEC without production) is asked
back or refused, never proposed. Counts are checked against the eval truth functions, which
compute them with pandas over the readings (evals/truth.py), not with the tool."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from agent.loop import Agent
from agent.reader import Intent, read
from agent.reader.slots import Comparison
from connectors.catalog_file import parse_plant
from connectors.catalog_sync import apply_plant
from evals.dataset import TruthSpec
from evals.scorer import WRITE_TOOLS
from evals.truth import evaluate
from store import catalog
from store.writes import write_readings
from tests.offline_agents import offline_agent
from tests.test_offline_any_plant import NOW, PLANT, TZ, brewery_agent, readings, states
from tests.test_reader_intent_cues import W

SEPTEMBER = "2026-09-01..2026-09-30"


@pytest.fixture
def brewery(engine: Engine, tmp_path: Path) -> Agent:
    """The brewery of tests/test_offline_any_plant.py and a yard sensor of outdoor temperature
    (a meter with no energy at all)."""
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


def _truth(engine: Engine, fn: str, threshold: float, minutes: int, **more: object) -> float:
    spec = TruthSpec(
        fn=fn, site="brewery", meter="Pump K2", period=SEPTEMBER, threshold=threshold,
        min_minutes=minutes, strictly_longer=False, **more,
    )  # fmt: skip
    return evaluate(engine, spec)


def test_a_level_at_a_quantity_is_the_level_an_alarm_fires_above() -> None:
    r = read(
        "We're thinking about a demand alarm on Kompressor Nord at 20 kW, triggering after 15 "
        "minutes. How often would that have gone off in September?",
        W,
        NOW,
    )
    (t,) = r.thresholds
    assert (t.comparison, t.value, t.unit, t.duration_min, t.longer) == (
        Comparison.ABOVE,
        20,
        "kW",
        15,
        False,
    )
    assert r.intent is Intent.ALERT_CREATE and "backtest" in r.features()
    assert not r.unused, r.unused


def test_a_level_at_a_quantity_without_a_rule_is_no_threshold() -> None:
    r = read("how long did Kompressor Nord run at 20 kW last week?", W, NOW)
    assert not r.thresholds


def test_a_rule_written_in_portuguese_with_its_level_and_duration() -> None:
    r = read("cria a regra no Kompressor Nord com 500 kW, 30 min, severidade crítica", W, NOW)
    (t,) = r.thresholds
    assert (t.value, t.unit, t.duration_min) == (500, "kW", 30)
    assert r.intent is Intent.ALERT_CREATE and "severity" in r.features()
    timed = read("Kompressor Nord acima de 520 kW por mais de 30 minutos", W, NOW)
    (t,) = timed.thresholds
    assert (t.value, t.duration_min, t.longer) == (520, 30, True)


def test_a_rule_thread_tries_levels_then_proposes_and_changes_the_rule(
    brewery: Agent, engine: Engine
) -> None:
    first = brewery.ask(
        "We're thinking about an alarm on Pump K2 at 10 kW, triggering after 15 minutes. How "
        "often would that have gone off in September?"
    )
    (call,) = first.tool_calls
    assert call.name == "backtest_alert_rule", first.answer
    assert (call.args["threshold"], call.args["for_minutes"]) == (10, 15), call.args
    assert len(call.result["episodes"]) == _truth(engine, "backtest_alerts", 10, 15)
    thread = first.thread

    higher = brewery.ask("and at 11?", thread=thread)
    (call,) = higher.tool_calls
    assert call.name == "backtest_alert_rule", higher.answer
    assert (call.args["threshold"], call.args["for_minutes"]) == (11, 15), call.args
    assert len(call.result["episodes"]) == _truth(engine, "backtest_alerts", 11, 15)

    runs = brewery.ask(
        "without the hysteresis, how many separate runs above 10 kW lasting 15 min or more "
        "were there in September?",
        thread=thread,
    )
    plain = _truth(engine, "episodes_above", 10, 15)
    assert f" {plain:g} " in runs.answer, (plain, runs.answer)

    proposed = brewery.ask("fine, create it at 11 kW for 15 min, warning level", thread=thread)
    assert proposed.outcome == "confirm", proposed.answer
    assert not [c for c in proposed.tool_calls if c.name in WRITE_TOOLS]
    (pending,) = proposed.pending
    assert pending["args"]["meter"] == "Pump K2" and pending["args"]["threshold"] == 11
    assert pending["args"].get("severity", "warning") == "warning"

    changed = brewery.ask(
        "hmm no, make it 10.5 kW and 45 minutes, severity critical", thread=thread
    )
    assert changed.outcome == "confirm", changed.answer
    (pending,) = changed.pending
    args = pending["args"]
    assert (args["meter"], args["threshold"], args["for_minutes"], args["severity"]) == (
        "Pump K2",
        10.5,
        45,
        "critical",
    )

    done = brewery.ask("yes go ahead", thread=thread)
    (call,) = done.tool_calls
    assert call.name == "create_alert_rule" and call.args["threshold"] == 10.5, done.answer


def test_a_rule_changed_in_portuguese_keeps_its_level(brewery: Agent) -> None:
    first = brewery.ask(
        "Pump K2 acima de 10 kW por mais de 30 minutos: quantos alertas teria gerado em setembro?"
    )
    assert first.tool_calls[0].args["for_minutes"] == 45, first.tool_calls
    proposed = brewery.ask(
        "ok, cria a regra com 11 kW, 30 min, severidade crítica", thread=first.thread
    )
    (pending,) = proposed.pending
    assert (pending["args"]["meter"], pending["args"]["threshold"]) == ("Pump K2", 11)
    assert (pending["args"]["for_minutes"], pending["args"]["severity"]) == (30, "critical")
    changed = brewery.ask("pensando melhor, deixa como warning e 45 minutos", thread=first.thread)
    (pending,) = changed.pending
    args = pending["args"]
    assert (args["threshold"], args["for_minutes"], args.get("severity", "warning")) == (
        11,
        45,
        "warning",
    )


def test_how_many_alerts_a_quoted_rule_would_have_raised(brewery: Agent, engine: Engine) -> None:
    reply = brewery.ask(
        "How many alerts would a rule 'Pump K2 below 6 kW for over 2 h' have raised in September?"
    )
    (call,) = reply.tool_calls
    assert call.name == "backtest_alert_rule", reply.answer
    assert (call.args["condition"], call.args["threshold"]) == ("<", 6), call.args
    spec = TruthSpec(
        fn="backtest_alerts", site="brewery", meter="Pump K2", period=SEPTEMBER, threshold=6,
        condition="<", min_minutes=120,
    )  # fmt: skip
    assert len(call.result["episodes"]) == evaluate(engine, spec)


def test_a_rule_on_what_the_meter_does_not_measure_is_never_proposed(brewery: Agent) -> None:
    weather = brewery.ask("alert me when the Yard Sensor goes above 30 kW")
    assert weather.outcome == "clarify" and not weather.pending, weather.answer
    assert "outdoor temperature" in weather.answer and "30 kW" in weather.answer
    sec = brewery.ask("notify me when the SEC of Pump K2 goes over 0.5 kWh per unit")
    assert sec.outcome == "refuse" and not sec.pending, sec.answer
    assert "production" in sec.answer and "No rule was stored" in sec.answer
    degrees = brewery.ask("alert me when the Yard Sensor goes above 25 degrees")
    assert degrees.outcome == "confirm", degrees.answer
    (pending,) = degrees.pending
    assert pending["args"]["metric"] == "outdoor_temperature"


def test_a_rules_counts_stand_beside_pandas(brewery: Agent, engine: Engine) -> None:
    """The truth function itself, once, against a count of the readings written."""
    data = readings()["Pump K2"]
    local = pd.to_datetime(data.index, unit="s", utc=True).tz_convert(TZ)
    kw = data[(local >= "2026-09-01") & (local < "2026-10-01")] * 4
    above = (kw > 10).astype(int).to_numpy()
    starts = int(above[0]) + int(np.sum((above[1:] == 1) & (above[:-1] == 0)))
    assert _truth(engine, "episodes_above", 10, 0) == starts


def _night_kw(meter: str, first: str, last: str) -> float:
    """The average kW of a meter's quarter-hours starting 23:00-05:00 on the local days."""
    values = readings()[meter]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    day = local.strftime("%Y-%m-%d")
    night = (local.hour >= 23) | (local.hour < 5)
    kept = values[(day >= first) & (day <= last) & night]
    return float(kept.sum()) / (len(kept) / 4)


def test_in_those_two_weeks_is_each_week_over_them_is_one_stretch(brewery: Agent) -> None:
    first = brewery.ask("backtest: Pump K2 below 6 kW for more than 2 hours, last week")
    brewery.ask("and the week before", thread=first.thread)
    each = brewery.ask(
        "what's its average kW between 23:00 and 05:00 in those two weeks?", thread=first.thread
    )
    periods = sorted(c.args["period"] for c in each.tool_calls)
    assert periods == ["2026-09-28..2026-10-04", "last week"], each.tool_calls
    for week in (("2026-10-05", "2026-10-11"), ("2026-09-28", "2026-10-04")):
        assert states(each.answer, _night_kw("Pump K2", *week), rel=0.002), each.answer
    whole = brewery.ask("and over those two weeks together?", thread=first.thread)
    (call,) = whole.tool_calls
    assert call.args["period"] == "2026-09-28..2026-10-11", whole.tool_calls
    assert states(whole.answer, _night_kw("Pump K2", "2026-09-28", "2026-10-11"), rel=0.002)


def test_the_quickest_way_to_confirm_a_leak_is_asked_of_the_library() -> None:
    r = read(
        "looks like a leak. what's the quickest way to confirm it without stopping production?",
        W,
        NOW,
    )
    assert r.intent is Intent.KNOWLEDGE and not r.unknown_names, (r.intent, r.unknown_names)


def test_a_value_a_meter_sits_at_is_no_level_to_go_above() -> None:
    r = read("alert me when Kompressor Nord sits at 0 kW for 2 hours", W, NOW)
    assert not [t for t in r.thresholds if t.comparison is Comparison.ABOVE], r.thresholds


def test_a_rule_tried_before_saying_yes_is_changed_then_proposed_again(
    brewery: Agent, engine: Engine
) -> None:
    """ "before I say yes - how often would it have fired?" leaves the rule proposed the one
    under discussion: "and over September?" tries it again, "too chatty, drop the threshold to
    11 kW, same duration, and propose it again" proposes it changed, its channel kept."""
    first = brewery.ask(
        "set up an alert: Pump K2 demand above 10 kW for more than 30 minutes, severity "
        "warning, by e-mail"
    )
    assert first.outcome == "confirm", first.answer
    thread = first.thread
    tried = brewery.ask("before I say yes - how often would that have gone off in September?",
                        thread=thread)  # fmt: skip
    (call,) = tried.tool_calls
    assert call.name == "backtest_alert_rule", tried.answer
    assert len(call.result["episodes"]) == _truth(engine, "backtest_alerts", 10, 45)
    again = brewery.ask("and over 1-7 October?", thread=thread)
    assert [c.name for c in again.tool_calls] == ["backtest_alert_rule"], again.answer
    changed = brewery.ask(
        "too chatty. drop the threshold to 11 kW, same duration, and propose it again",
        thread=thread,
    )
    assert changed.outcome == "confirm", changed.answer
    (pending,) = changed.pending
    args = pending["args"]
    assert (args["threshold"], args["for_minutes"], args["channel"]) == (11, 45, "e-mail")


def test_a_change_with_its_severity_and_channel_after_a_back_test_is_proposed(
    brewery: Agent,
) -> None:
    """ "make the rule 9 kW instead, critical, by e-mail" after a rule tried on past data: a
    severity and a channel are for a rule set up; "rule 9 kW" is its level, not rule #9."""
    first = brewery.ask(
        "If a rule fired when Pump K2 stays below 10 kW for more than an hour, how many alerts "
        "would September have given?"
    )
    assert [c.name for c in first.tool_calls] == ["backtest_alert_rule"], first.answer
    reply = brewery.ask("too noisy. make the rule 9 kW instead, critical, by e-mail",
                        thread=first.thread)  # fmt: skip
    assert reply.outcome == "confirm", reply.answer
    (pending,) = reply.pending
    args = pending["args"]
    assert (args["condition"], args["threshold"], args["severity"], args["channel"]) == (
        "<",
        9,
        "critical",
        "e-mail",
    )


def test_a_lower_level_asking_how_many_times_is_tried_and_a_yes_with_it_proposes(
    brewery: Agent, engine: Engine
) -> None:
    """After "before I say yes - how often would it have fired?": "drop the threshold to 9 kW,
    same duration. how many times then?" tries the changed rule again (it asks a count); "fine,
    go ahead with 9 kW, warning, email" proposes it at that level, the bare severity and
    channel being how its alerts go."""
    first = brewery.ask(
        "set up an alert: Pump K2 demand above 10 kW for more than 30 minutes, severity "
        "warning, by e-mail"
    )
    thread = first.thread
    brewery.ask("before I say yes - how often would that have gone off in September?",
                thread=thread)  # fmt: skip
    lower = brewery.ask(
        "that's not much. drop the threshold to 9 kW, same duration. how many times then?",
        thread=thread,
    )
    (call,) = lower.tool_calls
    assert call.name == "backtest_alert_rule", lower.answer
    assert (call.args["threshold"], call.args["for_minutes"]) == (9, 45), call.args
    assert len(call.result["episodes"]) == _truth(engine, "backtest_alerts", 9, 45)
    done = brewery.ask("fine, go ahead with 9 kW, warning, email", thread=thread)
    assert done.outcome == "confirm", done.answer
    (pending,) = done.pending
    args = pending["args"]
    assert (args["meter"], args["threshold"], args["severity"]) == ("Pump K2", 9, "warning")


def test_a_bare_level_with_any_duration_and_a_paced_change_follow_a_count(
    brewery: Agent, engine: Engine
) -> None:
    """ "and how many hours in total was it above 9, any duration?" after a count of runs above
    10 kW longer than 30 minutes: the level in the same unit, with no length it must hold;
    "wait - change it to 11 kW first and tell me how often that would have gone off in
    September" after a rule proposed tries the rule at that level."""
    first = brewery.ask(
        "how many times in September did Pump K2 stay above 10 kW for more than 30 minutes?"
    )
    thread = first.thread
    hours = brewery.ask("and how many hours in total was it above 9, any duration?",
                        thread=thread)  # fmt: skip
    (call,) = hours.tool_calls
    assert call.args["threshold_kw"] == 9 and not call.args["min_minutes"], call.args
    expected = _truth(engine, "hours_above", 9, 0)
    assert call.result["hours"] == pytest.approx(expected), (expected, hours.answer)
    proposed = brewery.ask(
        "make me a rule for that: Pump K2 above 10 kW for more than 30 min, severity critical",
        thread=thread,
    )
    assert proposed.outcome == "confirm", proposed.answer
    tried = brewery.ask(
        "wait - change it to 11 kW first and tell me how often that would have gone off in "
        "September",
        thread=thread,
    )
    (call,) = tried.tool_calls
    assert call.name == "backtest_alert_rule", tried.answer
    assert call.args["threshold"] == 11, call.args
    assert len(call.result["episodes"]) == _truth(engine, "backtest_alerts", 11, 45)


def test_a_duration_shorter_than_the_rules_window_is_said_and_teams_is_its_channel(
    brewery: Agent,
) -> None:
    """ "for 10 minutes" on 15-minute windows waits one whole window: the proposal says so,
    and "send it to Teams" is where its alerts go."""
    reply = brewery.ask("Alarm me if Pump K2 exceeds 12 kW for 10 minutes. Send it to Teams.")
    assert reply.outcome == "confirm", reply.answer
    (pending,) = reply.pending
    assert (pending["args"]["for_minutes"], pending["args"]["channel"]) == (15, "Teams")
    assert "You said 10 minutes" in reply.answer
