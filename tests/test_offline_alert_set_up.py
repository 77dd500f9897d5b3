"""Alert rules asked in the plant's own words: "set an alert on ... when" is a new rule (so a
viewer's is refused); "ok set that up as an alert rule" after a count of how often a level was
crossed proposes that level; "before I set it up: how many times ...?" is the count, not a
search of past incidents nor a note; "lights may have tripped" is why, not a back-test; a part
of the week a rule cannot keep ("on a weekday") is said with the proposed change."""

from __future__ import annotations

from agent.reader import Intent, read
from tests.reader_plants import NOW, werk
from tests.test_offline_any_plant import brewery  # noqa: F401


def test_set_an_alert_when_is_a_new_rule_and_a_viewer_s_is_refused(brewery) -> None:  # noqa: F811
    agent, _ = brewery
    question = "set an alert on Pump K1 when it goes above 2.5 kW"
    assert read(question, werk(), NOW).intent is Intent.ALERT_CREATE
    reply = agent.ask(question, role="viewer")
    assert reply.outcome == "refuse" and not reply.tool_calls, reply.answer
    assert "viewer" in reply.answer


def test_set_that_up_after_a_count_of_crossings_proposes_that_level(brewery) -> None:  # noqa: F811
    agent, _ = brewery
    count = agent.ask("how often was Pump K1 above 1.9 kW for longer than 15 min last week?")
    assert [c.name for c in count.tool_calls] == ["count_episodes"], count.answer
    setup = agent.ask("ok set that up as an alert rule", thread=count.thread)
    assert setup.outcome == "confirm", setup.answer
    (proposed,) = setup.pending
    assert proposed["name"] == "create_alert_rule"
    assert proposed["args"]["meter"] == "Pump K1" and proposed["args"]["threshold"] == 1.9


def test_before_i_set_it_up_the_count_asked_is_answered(brewery) -> None:  # noqa: F811
    agent, _ = brewery
    reply = agent.ask(
        "Before I set it up: how many times last week would Pump K1 have stayed above 1.9 kW "
        "for more than 30 minutes?"
    )
    assert [c.name for c in reply.tool_calls] in (["count_episodes"], ["backtest_alert_rule"])
    assert reply.outcome == "answer", reply.answer


def test_a_weekday_rule_is_proposed_saying_it_watches_every_day(brewery) -> None:  # noqa: F811
    agent, _ = brewery
    reply = agent.ask(
        "alert if Pump K1 drops below 1.1 kW for 2 hours on a weekday - it may have tripped"
    )
    assert reply.outcome == "confirm", reply.answer
    assert [p["name"] for p in reply.pending] == ["create_alert_rule"]
    assert "I did not use 'weekday'" in reply.answer, reply.answer
