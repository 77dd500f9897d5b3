"""The offline agent on the watcher's incidents: listing, showing one, acknowledging and resolving
one (with the person's yes, a note to resolve, a viewer refused), answers checked against the
incidents table read with plain SQL; the other routes (incident history, anomalies, alerts) kept;
and the eval's incident truth against hand arithmetic."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text

from agent.loop import Agent, Reply
from agent.memory import sqlite_memory
from agent.models import Backend
from agent.offline.incidents import state_of
from agent.offline.model import MODEL_NAME, OfflinePlanner
from agent.reader import read
from agent.render.incidents import summary_lines
from ems_agent.context import TurnContexts, fixed_clock
from evals.runner import INCIDENTS, add_incidents
from evals.truth import evaluate
from store import catalog
from tests.reader_plants import PLANTS
from tools.registry import all_tools

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 5, 0, 0, tzinfo=TZ)


def make_agent(engine: Engine, tmp: Path, registry: dict[str, Any] | None = None) -> Agent:
    with engine.connect() as conn:
        site = catalog.get_site(conn, "demo-plant")
    return Agent(
        Backend(OfflinePlanner(), MODEL_NAME, None),
        registry if registry is not None else all_tools(),
        sqlite_memory(tmp / "threads.db"),
        TurnContexts(engine, site, clock=fixed_clock(NOW)),
    )


@pytest.fixture
def agent(demo_engine: Engine, tmp_path: Path) -> Agent:
    assert add_incidents(demo_engine) == len(INCIDENTS)
    return make_agent(demo_engine, tmp_path)


def rows(engine: Engine, where: str = "1=1") -> list[dict[str, Any]]:
    """Incidents as stored, read with plain SQL."""
    sql = text(
        "SELECT i.id, i.state, i.title, i.extra_kwh, i.cost, i.co2_kg, i.resolution, "
        "i.acknowledged_by, i.resolved_by, i.summary, m.name AS meter FROM incidents i "
        f"LEFT JOIN meters m ON m.id = i.meter_id WHERE {where} ORDER BY i.id"
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sql).mappings()]


def names(reply: Reply) -> list[str]:
    return [c.name for c in reply.tool_calls]


def assert_impact(answer: str, row: dict[str, Any]) -> None:
    """The stored impact figures, as the answer writes them (thousands with separators)."""
    kwh = row["extra_kwh"]
    written = f"{kwh:,.0f}" if kwh >= 1000 else f"{kwh:.1f}" if kwh >= 100 else f"{kwh:.2f}"
    assert f"{written} kWh" in answer, answer
    assert f"{row['cost']:,.2f} EUR" in answer, answer
    assert "CO2e" in answer


# ------------------------------------------------------------------ reading incidents


def test_open_incidents_are_listed_with_their_impact(agent: Agent, demo_engine: Engine) -> None:
    reply = agent.ask("any open incidents?")
    assert names(reply) == ["list_incidents"]
    assert reply.tool_calls[0].args["state"] == "active"
    active = rows(demo_engine, "i.state IN ('open', 'acknowledged')")
    assert len(active) == 3
    for row in active:
        assert f"#{row['id']} {row['title']}" in reply.answer
        assert_impact(reply.answer, row)
    for row in rows(demo_engine, "i.state = 'resolved'"):
        assert f"#{row['id']} " not in reply.answer
    assert "Source: incidents table" in reply.answer and reply.outcome == "answer"


@pytest.mark.parametrize(
    "question",
    ["which open incidents are not yet acknowledged?", "open incidents nobody has acknowledged"],
)
def test_open_incidents_not_acknowledged_leave_the_acknowledged_out(
    agent: Agent, demo_engine: Engine, question: str
) -> None:
    reply = agent.ask(question)
    assert names(reply) == ["list_incidents"] and reply.tool_calls[0].args["state"] == "open"
    unacknowledged = rows(demo_engine, "i.state = 'open'")
    acknowledged = rows(demo_engine, "i.state = 'acknowledged'")
    assert unacknowledged and acknowledged
    for row in unacknowledged:
        assert f"#{row['id']} {row['title']}" in reply.answer, reply.answer
    for row in acknowledged:
        assert f"#{row['id']} " not in reply.answer, reply.answer


@pytest.mark.parametrize(
    "question", ["what's going on at the plant?", "Do we have any active incidents right now?"]
)
def test_site_status_questions_list_what_is_open(agent: Agent, question: str) -> None:
    reply = agent.ask(question)
    assert names(reply) == ["list_incidents"]
    assert "#5 " in reply.answer and "#2 " not in reply.answer


def test_a_severity_narrows_the_list(agent: Agent, demo_engine: Engine) -> None:
    reply = agent.ask("any critical incidents?")
    critical = rows(demo_engine, "i.severity = 'critical' AND i.state != 'resolved'")
    assert [r["id"] for r in critical] == [6]
    assert "1 critical open or acknowledged incident(s)" in reply.answer
    assert "#6 " in reply.answer and "#5 " not in reply.answer


def test_one_incident_in_full(agent: Agent, demo_engine: Engine) -> None:
    reply = agent.ask("show me incident 2")
    assert names(reply) == ["get_incident"] and reply.tool_calls[0].args == {"incident_id": 2}
    (row,) = rows(demo_engine, "i.id = 2")
    assert f"Incident #2: {row['title']}" in reply.answer
    assert "**compressor-2**" in reply.answer and "state **resolved**" in reply.answer
    assert "Tue 8 Sep 2026 18:00 to Sat 26 Sep 2026 18:00" in reply.answer
    assert_impact(reply.answer, row)
    assert row["resolution"].rstrip(".") in reply.answer
    first = next(line for line in row["summary"].splitlines() if line.startswith("**What"))
    assert f"> {first}" in reply.answer
    assert "Likely causes" not in reply.answer  # only the summary's first lines
    assert "Source: incidents table, incident #2." in reply.answer


def test_an_incident_by_its_meter_is_shown_in_full(agent: Agent) -> None:
    reply = agent.ask("what happened with the compressor-2 incident?")
    call = reply.tool_calls[0]
    assert call.name == "list_incidents"
    assert (call.args["meter"], call.args["state"]) == ("compressor-2", "all")
    assert "Incident #2:" in reply.answer and "couplings replaced" in reply.answer


def test_resolved_incidents_of_a_period(agent: Agent, demo_engine: Engine) -> None:
    reply = agent.ask("list resolved incidents last month")
    assert reply.tool_calls[0].args["state"] == "resolved"
    # independent: resolved ones whose period overlaps October (local)
    start = int(datetime(2026, 10, 1, tzinfo=TZ).timestamp())
    end = int(datetime(2026, 11, 1, tzinfo=TZ).timestamp())
    sql = text(
        "SELECT id FROM incidents WHERE state = 'resolved' AND start_ts < :e AND end_ts >= :s"
    )
    with demo_engine.connect() as conn:
        expected = [r[0] for r in conn.execute(sql, {"s": start, "e": end})]
    assert expected == [3]
    assert "1 resolved incident(s) last month (1 Oct 2026 to 31 Oct 2026)" in reply.answer
    assert "#3 " in reply.answer and "#2 " not in reply.answer and "#1 " not in reply.answer


def test_follow_ups_keep_the_incident_question(agent: Agent) -> None:
    first = agent.ask("incidents on the chiller?")
    assert first.tool_calls[0].args == {"state": "active", "limit": 20, "meter": "chiller"}
    assert "No open or acknowledged incidents" in first.answer
    resolved = agent.ask("and the resolved ones?", thread=first.thread)
    assert resolved.tool_calls[0].args["state"] == "resolved"
    assert "#1 " in resolved.answer


def test_unknown_incident_and_no_incidents_are_said_plainly(
    agent: Agent, demo_engine: Engine, tmp_path: Path
) -> None:
    reply = agent.ask("show me incident 42")
    assert reply.outcome == "clarify" and "no incident #42" in reply.answer
    with demo_engine.begin() as conn:
        conn.execute(text("DELETE FROM incidents"))
    empty = agent.ask("any open incidents?")
    assert empty.outcome == "answer" and "No open or acknowledged incidents" in empty.answer


def test_without_the_incident_tools_the_agent_says_so(demo_engine: Engine, tmp_path: Path) -> None:
    registry = {k: v for k, v in all_tools().items() if "incident" not in k}
    reply = make_agent(demo_engine, tmp_path, registry).ask("any open incidents?")
    assert reply.outcome == "refuse" and reply.tool_calls == []


# ------------------------------------------------------------------ other routes stay


@pytest.mark.parametrize(
    ("question", "tool"),
    [
        ("has this happened before?", "search_knowledge"),
        ("any similar incidents on the chiller?", "search_knowledge"),
        ("any earlier incidents like this on compressor 2?", "search_knowledge"),
        ("any anomalies last week?", "detect_anomalies"),
        ("anything odd going on in the last two weeks?", "detect_anomalies"),
        ("what's going on with the chiller?", "detect_anomalies"),
        ("are there any open alerts?", "list_alerts"),
        ("tell me about incident 3", "get_incident"),
    ],
)
def test_routes(agent: Agent, question: str, tool: str) -> None:
    assert names(agent.ask(question))[:1] == [tool]


# ------------------------------------------------------------------ writes


def test_acknowledging_needs_a_yes(agent: Agent, demo_engine: Engine) -> None:
    proposal = agent.ask("acknowledge incident 5", user="maria")
    assert proposal.outcome == "confirm" and proposal.tool_calls == []
    assert "acknowledge incident #5" in proposal.answer
    assert rows(demo_engine, "i.id = 5")[0]["state"] == "open"
    done = agent.ask("yes", thread=proposal.thread, user="maria")
    assert names(done) == ["update_incident"]
    (row,) = rows(demo_engine, "i.id = 5")
    assert (row["state"], row["acknowledged_by"]) == ("acknowledged", "maria")
    assert "incident #5 is now **acknowledged** by maria" in done.answer


def test_resolving_asks_for_the_note_then_for_a_yes(agent: Agent, demo_engine: Engine) -> None:
    first = agent.ask("resolve incident 6")
    assert first.outcome == "clarify" and first.tool_calls == []
    assert "needs a short note" in first.answer
    proposal = agent.ask("the spike was a planned motor test on line A", thread=first.thread)
    assert proposal.outcome == "confirm"
    assert "resolve incident #6 with the note 'the spike was a planned motor test" in (
        proposal.answer
    )
    assert rows(demo_engine, "i.id = 6")[0]["state"] == "open"
    done = agent.ask("yes", thread=first.thread)
    (row,) = rows(demo_engine, "i.id = 6")
    assert row["state"] == "resolved"
    assert row["resolution"] == "the spike was a planned motor test on line A"
    assert "is now **resolved**" in done.answer and row["resolution"] in done.answer


def test_a_note_in_the_request_and_a_no_change_nothing(agent: Agent, demo_engine: Engine) -> None:
    before = rows(demo_engine)
    proposal = agent.ask("resolve incident 4: replaced the leaking coupling")
    assert proposal.pending[0]["args"] == {
        "incident_id": 4,
        "action": "resolve",
        "note": "replaced the leaking coupling",
    }
    assert agent.ask("no", thread=proposal.thread).tool_calls == []
    never = agent.ask("resolve incident 5")
    assert "All right" in agent.ask("never mind", thread=never.thread).answer
    assert rows(demo_engine) == before


def test_acknowledge_it_after_one_incident(agent: Agent) -> None:
    shown = agent.ask("details of incident 6 please")
    proposal = agent.ask("acknowledge it", thread=shown.thread)
    assert proposal.pending[0]["args"] == {"incident_id": 6, "action": "acknowledge"}


def test_a_viewer_is_refused_and_nothing_changes(agent: Agent, demo_engine: Engine) -> None:
    before = rows(demo_engine)
    reply = agent.ask("acknowledge incident 4, I'm looking at it", role="viewer")
    assert reply.outcome == "refuse" and "operator" in reply.answer
    assert rows(demo_engine) == before


@pytest.mark.parametrize(
    "question", ["acknowledge the boiler incident", "resolve incidents please", "close incident"]
)
def test_a_write_without_a_number_asks_which(
    agent: Agent, demo_engine: Engine, question: str
) -> None:
    before = rows(demo_engine)
    reply = agent.ask(question)
    assert reply.outcome == "clarify" and "Which incident?" in reply.answer
    assert rows(demo_engine) == before


# ------------------------------------------------------------------ reading the words


@pytest.mark.parametrize(
    ("question", "note"),
    [
        ("resolve incident 12: replaced the leaking coupling", "replaced the leaking coupling"),
        ("close incident #3 - gateway restarted", "gateway restarted"),
        ("mark incident 4 as resolved, because the filter was changed", "the filter was changed"),
        ("resolve incident 4 with the note: valve fixed", "valve fixed"),
        ("resolve it: cleaned the coils", "cleaned the coils"),
        ("resolve incident 6", None),
        ("acknowledge incident 6.", None),
    ],
)
def test_the_note_of_a_change(question: str, note: str | None) -> None:
    found = read(question, PLANTS["demo"], NOW).free("note")
    assert (found.text if found else None) == note


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("any open incidents?", "active"),
        ("which incidents haven't been acknowledged yet?", "open"),
        ("acknowledged incidents", "acknowledged"),
        ("bom dia, any incidents still open or acknowledged?", "active"),
        ("open and acknowledged incidents", "active"),
        ("which open incidents are not yet acknowledged?", "open"),
        ("open incidents nobody has acknowledged", "open"),
        ("active incidents that are unacknowledged", "open"),
        ("any new incidents?", "open"),
        ("incidents closed in september", "resolved"),
        ("unresolved incidents", "active"),
        ("all incidents ever", "all"),
        ("list the incidents that were resolved, all time", "resolved"),
        ("all-time list of closed incidents", "resolved"),
        ("incidents last month", "all"),
    ],
)
def test_state_of(text: str, state: str) -> None:
    assert state_of(text, has_period="last month" in text or "september" in text) == state


def test_summary_lines_skip_the_heading_and_stop_at_the_next_section() -> None:
    summary = "### Title again\n\n**What happened.** It drew more.\n\n**Impact**\n- 3 kWh\n"
    assert summary_lines(summary) == ["**What happened.** It drew more."]
    assert summary_lines(None) == []


# ------------------------------------------------------------------ the eval's truth


def test_incident_truth_reads_the_table(demo_engine: Engine) -> None:
    add_incidents(demo_engine)
    assert add_incidents(demo_engine) == 0  # added once only
    by_id = {row[0]: row for row in INCIDENTS}
    active = [f"#{i}" for i, row in by_id.items() if row[4] in ("open", "acknowledged")]
    assert evaluate(demo_engine, {"fn": "incidents"}) == active == ["#4", "#5", "#6"]
    october = {"fn": "incidents", "state": "all", "period": "2026-10-01..2026-10-31"}
    assert evaluate(demo_engine, october) == ["#3", "#4"]  # #4 began on 27 October
    assert evaluate(demo_engine, {"fn": "incidents", "meter": "boiler", "state": "all"}) == ["#5"]
    assert evaluate(demo_engine, {"fn": "incidents", "kind": "meter_outage", "state": "all"}) == [
        "#3"
    ]
    assert evaluate(demo_engine, {"fn": "incident_cost", "n": 2}) == by_id[2][8]
    assert evaluate(demo_engine, {"fn": "incident_extra_kwh", "n": 5}) == by_id[5][7]
    assert evaluate(demo_engine, {"fn": "incident_co2", "n": 1}) == by_id[1][9]
    assert evaluate(demo_engine, {"fn": "incident_state", "n": 4}) == "acknowledged"
    from evals.truth import TruthError

    with pytest.raises(TruthError, match="no extra_kwh for incident #3"):
        evaluate(demo_engine, {"fn": "incident_extra_kwh", "n": 3})
    with pytest.raises(TruthError, match="needs the incident id"):
        evaluate(demo_engine, {"fn": "incident_cost"})
