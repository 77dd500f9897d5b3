"""A past incident asked by what it was rather than by its number: by its meter and a fault
word ("the Pump K1 fouling incident in August"), by its month or meter right before a word for
one item while the conversation is about incidents ("the September one on Pump K2"), by a
leak and what it "ended up costing"; two incidents shown one after the other weighed against
each other ("which was worse and by how much?"); and the open ones "not even acknowledged"."""

from __future__ import annotations

import store.incidents as incidents
from tests.test_offline_any_plant import brewery, brewery_incident, numbers  # noqa: F401

# (meter, kind, state, start, end, extra kWh, cost EUR, kg CO2e)
WRITTEN = (
    ("Pump K1", "consumption_high", "resolved", "2026-08-03T00:00", "2026-08-31T00:00",
     2140.0, 385.2, 813.2),
    ("Pump K2", "consumption_high", "resolved", "2026-09-08T18:00", "2026-09-26T18:00",
     3265.5, 587.79, 1240.89),
    ("Steam Raiser", "consumption_high", "open", "2026-10-12T05:00", "2026-10-14T20:00",
     980.0, 68.6, 196.0),
    ("Pump K2", "demand_spike", "acknowledged", "2026-10-13T08:30", "2026-10-13T08:45",
     35.5, 8.52, 13.49),
)  # fmt: skip


def write_incidents(agent) -> None:
    with agent.contexts.engine.begin() as conn:
        for meter, kind, state, start, end, *money in WRITTEN:
            made = brewery_incident(conn, meter, kind, start, end, tuple(money))
            if state != "open":
                incidents.change_incident(conn, made, state=state)


def _names(reply) -> list[str]:
    return [c.name for c in reply.tool_calls]


def test_a_leak_on_a_meter_in_a_month_that_ended_up_costing_is_the_stored_incident(
    brewery,  # noqa: F811
) -> None:
    agent, _ = brewery
    write_incidents(agent)
    reply = agent.ask("what did the leak on Pump K2 in September end up costing?")
    assert _names(reply) == ["list_incidents"], reply.answer
    assert reply.tool_calls[0].args["meter"] == "Pump K2"
    assert reply.tool_calls[0].args["period"] == "2026-09"
    assert 587.79 in numbers(reply.answer), reply.answer
    assert "Incident #2" in reply.answer  # which incident it took


def test_a_fault_word_between_meter_and_incident_names_the_incident_and_two_are_weighed(
    brewery,  # noqa: F811
) -> None:
    agent, _ = brewery
    write_incidents(agent)
    first = agent.ask("what did the leak on Pump K2 in September cost?")
    second = agent.ask("and the Pump K1 fouling incident in August?", thread=first.thread)
    assert _names(second) == ["list_incidents"], second.answer
    assert second.tool_calls[0].args["meter"] == "Pump K1"
    assert 385.2 in numbers(second.answer), second.answer
    worse = agent.ask("which was worse and by how much?", thread=first.thread)
    assert sorted(c.args["incident_id"] for c in worse.tool_calls) == [1, 2], worse.answer
    leak, fouling = WRITTEN[1][6], WRITTEN[0][6]
    assert round(leak - fouling, 2) in numbers(worse.answer), worse.answer
    assert worse.answer.startswith("Incident #2 (Pump K2) was the worse by cost"), worse.answer
    # by the extra energy when that is what is asked
    energy = agent.ask("which was bigger in extra kWh?", thread=first.thread)
    assert round(WRITTEN[1][5] - WRITTEN[0][5]) in numbers(energy.answer), energy.answer


def test_the_month_one_on_a_meter_after_an_incident_is_that_incident_and_hash_closes(
    brewery,  # noqa: F811
) -> None:
    agent, _ = brewery
    write_incidents(agent)
    shown = agent.ask("where are we with incident #3?")
    assert _names(shown) == ["get_incident"], shown.answer
    sept = agent.ask(
        "and the September one on Pump K2 - what did that cost in the end?", thread=shown.thread
    )
    assert _names(sept) == ["list_incidents"], sept.answer
    assert 587.79 in numbers(sept.answer), sept.answer
    close = agent.ask('close #3 with the note "burner nozzle replaced"', thread=shown.thread)
    assert close.outcome == "confirm", close.answer
    assert [p["args"]["incident_id"] for p in close.pending] == [3], close.pending


def test_open_ones_not_even_acknowledged_are_the_open_state(brewery) -> None:  # noqa: F811
    agent, _ = brewery
    write_incidents(agent)
    reply = agent.ask("which incidents are still open, not even acknowledged?")
    assert [(c.name, c.args.get("state")) for c in reply.tool_calls] == [
        ("list_incidents", "open")
    ], reply.answer
    assert "#3" in reply.answer and "#4" not in reply.answer, reply.answer


def test_what_the_team_should_check_first_is_a_library_question(brewery) -> None:  # noqa: F811
    agent, _ = brewery
    write_incidents(agent)
    shown = agent.ask("where are we with incident #3?")
    reply = agent.ask(
        "what should the team check first for that kind of problem?", thread=shown.thread
    )
    assert "detect_anomalies" not in _names(reply), reply.answer
    assert _names(reply) in (["search_knowledge"], []), reply.answer


def test_which_was_bigger_weighs_incidents_only_right_after_one_was_shown(
    brewery,  # noqa: F811
) -> None:
    agent, _ = brewery
    write_incidents(agent)
    first = agent.ask("what did the leak on Pump K2 in September cost?")
    agent.ask("and the Pump K1 fouling incident in August?", thread=first.thread)
    agent.ask("Pump K1 energy last week", thread=first.thread)
    later = agent.ask("which was bigger?", thread=first.thread)
    assert "get_incident" not in _names(later), later.answer


def test_what_was_done_to_fix_it_after_one_incident_is_its_resolution_note(
    brewery,  # noqa: F811
) -> None:
    agent, _ = brewery
    write_incidents(agent)
    note = "Seal of the impeller replaced after 6 drips found."
    with agent.contexts.engine.begin() as conn:
        incidents.change_incident(conn, 2, resolution=note)
    first = agent.ask("for incident 2, how many extra kWh?")
    assert _names(first) == ["get_incident"], first.answer
    fix = agent.ask("what was done to fix it?", thread=first.thread)
    assert _names(fix) == ["get_incident"], fix.answer
    assert fix.tool_calls[0].args["incident_id"] == 2
    assert note.rstrip(".") in fix.answer, fix.answer
    # with no incident shown before, the same words are no incident's
    alone = agent.ask("what was done to fix it?")
    assert _names(alone) != ["get_incident"], alone.answer


def test_a_state_word_closing_the_question_asks_the_state_of_the_one_incident(
    brewery,  # noqa: F811
) -> None:
    agent, _ = brewery
    write_incidents(agent)
    reply = agent.ask("Pump K1 incident from August - is it still open?")
    assert _names(reply) == ["list_incidents"], reply.answer
    assert reply.tool_calls[0].args["state"] == "all"
    assert "resolved" in reply.answer.lower(), reply.answer
    assert "#1" in reply.answer, reply.answer


def test_incidents_asked_in_the_past_are_listed_whatever_their_state(
    brewery,  # noqa: F811
) -> None:
    agent, _ = brewery
    write_incidents(agent)
    reply = agent.ask("Which incidents have there been on Pump K1?")
    assert _names(reply) == ["list_incidents"], reply.answer
    assert reply.tool_calls[0].args["state"] == "all"
    assert "#1" in reply.answer and "resolved" in reply.answer.lower(), reply.answer
    still = agent.ask("Which incidents are open on Pump K1?")
    assert still.tool_calls[0].args["state"] != "all", still.answer
