"""An event named as one incident ("the leak on Pump K1 in September", "the Pump K2 spike")
asked for its extra energy, cost or state is answered from the incident, never with the
meter's own total; acknowledging it by its meter and kind looks the incident up first. The
incidents are written to the store here, their figures stated here, and the answers checked
against those figures and a pandas sum of the meter's readings."""

from __future__ import annotations

import pytest

import store.incidents as incidents
from agent.offline.incidents import lists, state_of
from agent.reader import Intent, read
from store import catalog
from tests.reader_plants import NOW as READER_NOW
from tests.reader_plants import werk
from tests.test_offline_any_plant import (  # noqa: F401
    brewery,
    brewery_incident,
    numbers,
    total,
)

# (meter, kind, start, end, extra kWh, cost EUR, kg CO2e)
WRITTEN = (
    ("Pump K1", "consumption_high", "2026-09-10T08:00", "2026-09-20T08:00", 412.5, 74.25, 150.0),
    ("Pump K2", "demand_spike", "2026-10-15T08:00", "2026-10-15T08:15", 12.5, 3.75, 4.5),
    ("Pump K2", "consumption_high", "2026-10-12T00:00", "2026-10-14T00:00", 96.0, 17.28, 35.0),
)  # fmt: skip


def write_incidents(agent) -> None:
    """The three incidents; the first (the September leak) resolved."""
    engine = agent.contexts.engine
    with engine.begin() as conn:
        site = catalog.get_site(conn, "brewery")
        for meter, kind, start, end, *money in WRITTEN:
            brewery_incident(conn, meter, kind, start, end, tuple(money))
        incidents.resolve(conn, site.id, 1, "maria", "leaking coupling replaced")


def states(agent) -> dict[int, str]:
    with agent.contexts.engine.connect() as conn:
        site = catalog.get_site(conn, "brewery")
        return {n: incidents.get_incident(conn, site.id, n).state for n in (1, 2, 3)}


def test_the_leak_s_cost_and_extra_energy_are_the_incident_s_not_the_meter_s_total(
    brewery,  # noqa: F811
) -> None:
    agent, data = brewery
    write_incidents(agent)
    reply = agent.ask(
        "the Pump K1 leak in September - how much extra energy was it and what did it cost?"
    )
    assert [c.name for c in reply.tool_calls] == ["list_incidents"], reply.answer
    said = numbers(reply.answer)
    _, _, _, _, kwh, cost, _ = WRITTEN[0]
    assert kwh in said and cost in said, reply.answer
    september = total(data, "Pump K1", "2026-09-01", "2026-09-30")
    assert round(september) not in {round(n) for n in said}, reply.answer

    follow = agent.ask("how many extra kWh was that one", thread=reply.thread)
    assert [(c.name, c.args) for c in follow.tool_calls] == [
        ("get_incident", {"incident_id": 1})
    ], follow.answer
    assert kwh in numbers(follow.answer), follow.answer


@pytest.mark.parametrize(
    "question",
    [
        "How much did Pump K1 use in September? Trying to size the leak losses.",
        "Pump K1 kWh in September - we suspect a leak.",
    ],
)
def test_a_leak_named_only_in_a_statement_after_the_question_is_no_incident_question(
    brewery,  # noqa: F811
    question: str,
) -> None:
    """The figure asked is the meter's own; why it is asked ("to size the leak losses") does
    not turn it into a question about the leak incident."""
    agent, data = brewery
    write_incidents(agent)
    reply = agent.ask(question)
    assert [c.name for c in reply.tool_calls] == ["query_metric"], reply.answer
    assert round(total(data, "Pump K1", "2026-09-01", "2026-09-30")) in {
        round(n) for n in numbers(reply.answer)
    }, reply.answer


def test_is_the_leak_closed_is_answered_with_its_state_not_filtered_by_it(
    brewery,  # noqa: F811
) -> None:
    agent, _ = brewery
    write_incidents(agent)
    reply = agent.ask("is the Pump K1 leak from September closed?")
    assert [c.name for c in reply.tool_calls] == ["list_incidents"], reply.answer
    assert reply.tool_calls[0].args["state"] == "all"
    assert "Incident #1" in reply.answer and "**resolved**" in reply.answer, reply.answer


def test_acknowledging_a_meter_s_spike_proposes_that_incident_and_sim_confirms_it(
    brewery,  # noqa: F811
) -> None:
    agent, _ = brewery
    write_incidents(agent)
    reply = agent.ask("ack the Pump K2 spike, note: soft start fitted")
    assert reply.outcome == "confirm", reply.answer
    assert [p["args"]["incident_id"] for p in reply.pending] == [2], reply.pending
    assert states(agent) == {1: "resolved", 2: "open", 3: "open"}
    done = agent.ask("sim", thread=reply.thread)
    assert [c.name for c in done.tool_calls] == ["update_incident"], done.answer
    assert states(agent) == {1: "resolved", 2: "acknowledged", 3: "open"}


def test_acknowledging_an_event_no_active_incident_matches_is_asked_back(
    brewery,  # noqa: F811
) -> None:
    agent, _ = brewery
    write_incidents(agent)
    reply = agent.ask("ack the Pump K1 spike, note: checked")
    assert reply.outcome == "clarify" and not reply.pending, reply.answer
    assert "Which incident?" in reply.answer
    assert states(agent) == {1: "resolved", 2: "open", 3: "open"}


def test_state_words_of_each_language_choose_the_filter() -> None:
    assert state_of("quais incidentes estão abertos agora?", False) == "active"
    assert state_of("incidentes resolvidos em setembro", True) == "resolved"
    assert state_of("incidentes ainda não resolvidos", False) == "active"
    assert state_of("welche Vorfälle sind erledigt?", False) == "resolved"
    assert state_of("list all, closed too", False) == "all"
    assert state_of("the resolved ones, all time", False) == "resolved"
    assert state_of("which haven't been acknowledged yet", False) == "open"
    assert state_of("still open or acknowledged", False) == "active"
    assert state_of("incidents in september", True) == "all"
    assert lists("quais incidentes foram resolvidos?")
    assert not lists("resolve incident 4")


def test_incidents_with_a_state_word_are_the_register_not_a_search_of_similar_cases() -> None:
    vocab = werk()
    listed = read(
        "have we ever had an incident on Pumpe 2? list all, closed too", vocab, READER_NOW
    )
    assert listed.intent is Intent.INCIDENT
    similar = read("any incidents like this before?", vocab, READER_NOW)
    assert similar.intent is Intent.KNOWLEDGE


@pytest.mark.parametrize(
    ("spoil", "named"),
    [
        (lambda d: d.pop("events"), "'events'"),
        (lambda d: d["states"].update({"half_open": ["ajar"]}), "'half_open'"),
        (lambda d: d.update({"listing": ["(unclosed"]}), "error"),
        (lambda d: d.update({"states": None}), "AttributeError"),
    ],
)
def test_a_broken_incident_words_file_is_refused_naming_the_fault(spoil, named: str) -> None:
    import yaml

    from agent.offline.incidents import WORDS_FILE, InvalidIncidentWords, parse_words

    data = yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8"))
    assert parse_words(data, "incidents.yaml").events  # the shipped file reads
    spoil(data)
    with pytest.raises(InvalidIncidentWords, match=rf"incidents\.yaml: .*{named}"):
        parse_words(data, "incidents.yaml")
