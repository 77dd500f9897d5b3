"""The offline agent on knowledge questions: runbook, how-to and definition questions and "has
this happened before?" answered from a real knowledge store (embedded Chroma holding the starter
library and two past incidents), quoting the passages with their citations; meter questions still
going to the metric tools; an empty or unhelpful library answered honestly."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import chromadb
import pytest
from sqlalchemy import Engine

from agent.loop import Agent, Reply
from agent.memory import sqlite_memory
from agent.models import Backend
from agent.offline.knowledge import search_query
from agent.offline.model import MODEL_NAME, OfflinePlanner
from ems_agent.context import TurnContexts, fixed_clock
from knowledge.store import (
    LIBRARY,
    KnowledgeStore,
    KnowledgeUnavailable,
    Passage,
    chroma_settings,
)
from store import catalog
from tools.registry import all_tools

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 5, 0, 0, tzinfo=TZ)
INCIDENTS = {
    7: (
        "Chiller consumption high (fouled condenser)",
        "The chiller drew up to 30 % more than its baseline for three weeks in August at the "
        "same outdoor temperatures. The condenser coils were blocked with dust and pollen. "
        "Cleaning the coils on 28 August brought daily energy back to the baseline.",
        {"meter": "chiller", "kind": "consumption_high", "state": "resolved"},
    ),
    9: (
        "Compressed-air leak on compressor-2",
        "Compressor-2 drew about 18 kW more at nights and weekends for two weeks in September. "
        "A leak survey found 14 leaks, most of them quick couplings on line B.",
        {"meter": "compressor-2", "kind": "consumption_high", "state": "resolved"},
    ),
}


# ------------------------------------------------------------------ fixtures


def _store(path: Path) -> KnowledgeStore:
    return KnowledgeStore(chromadb.PersistentClient(path=str(path), settings=chroma_settings()))


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeStore:
    """The starter library and two past incidents, indexed once for the module."""
    store = _store(tmp_path_factory.mktemp("knowledge"))
    report = store.ensure_starter_library()
    assert not report.failed and len(report.added) >= 9
    for incident_id, (title, text, meta) in INCIDENTS.items():
        store.index_incident(incident_id, title, text, meta)
    return store


def make_agent(engine: Engine, store: KnowledgeStore, tmp: Path, *, tools: bool = True) -> Agent:
    """The offline agent on the demo plant with `store` as its knowledge store (and without
    the search_knowledge tool when `tools` is false)."""
    with engine.connect() as conn:
        site = catalog.get_site(conn, "demo-plant")
    registry = dict(all_tools())
    if not tools:
        registry.pop("search_knowledge")
    contexts = TurnContexts(engine, site, clock=fixed_clock(NOW), knowledge=store)
    return Agent(
        Backend(OfflinePlanner(), MODEL_NAME, None),
        registry,
        sqlite_memory(tmp / "threads.db"),
        contexts,
    )


@pytest.fixture
def agent(demo_engine: Engine, library: KnowledgeStore, tmp_path: Path) -> Iterator[Agent]:
    yield make_agent(demo_engine, library, tmp_path)


# ------------------------------------------------------------------ independent checks


def _flat(text: str) -> str:
    """Markdown as running text: list markers gone, whitespace collapsed."""
    lines = [re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", line) for line in text.splitlines()]
    return " ".join(" ".join(lines).split())


LIBRARY_TEXT = {
    p.relative_to(LIBRARY).as_posix(): _flat(p.read_text()) for p in LIBRARY.rglob("*.md")
}
TITLES = {
    p.read_text().splitlines()[0].lstrip("# ").strip()
    for p in LIBRARY.rglob("*.md")
    if p.read_text().startswith("# ")
}


def quoted(answer: str) -> list[tuple[str, str]]:
    """(text, citation) of each passage the answer quotes."""
    return re.findall(r"^- (.+) \[Source: (.+)\]$", answer, flags=re.MULTILINE)


def assert_from_sources(reply: Reply, texts: dict[str, str]) -> None:
    """Every sentence quoted is in the cited source, and every citation is a passage the tool
    returned."""
    returned = {p["citation"] for c in reply.tool_calls for p in c.result.get("passages", [])}
    pairs = quoted(reply.answer)
    assert pairs, reply.answer
    for text, citation in pairs:
        assert citation in returned
        source = re.search(r"\(([^()]+\.md)\)$", citation)
        where = texts[source.group(1)] if source else " ".join(texts.values())
        for sentence in re.split(r"(?<=[.!?:])\s+(?=[A-Z0-9`(])", text):
            assert sentence.rstrip(".") in where, f"not in {citation}: {sentence}"


def search_call(reply: Reply) -> dict[str, Any]:
    assert [c.name for c in reply.tool_calls] == ["search_knowledge"], reply.tool_calls
    return reply.tool_calls[0].args


# ------------------------------------------------------------------ tests


def test_runbook_question_quotes_the_runbook_with_citations(agent: Agent) -> None:
    reply = agent.ask("what does the runbook say about compressed air leaks?")
    args = search_call(reply)
    assert args["query"] == "compressed air leaks"
    assert args["collection"] == "documents"
    assert reply.outcome == "answer"
    assert "runbooks/compressed-air-leaks.md" in reply.answer
    assert 2 <= len(quoted(reply.answer)) <= 3
    assert_from_sources(reply, LIBRARY_TEXT)


@pytest.mark.parametrize(
    ("question", "source", "section"),
    [
        ("how do I check a stuck meter?", "runbooks/meter-outages-and-stuck-meters.md", "Checks"),
        ("what is an EnPI?", "iso50001-primer.md", "Energy performance indicators"),
        ("what causes a boiler to keep short cycling", "runbooks/boiler-short-cycling.md", ""),
        ("is it safe to feel for an air leak with my hand?", "compressed-air-leaks.md", "Safety"),
        ("how do I stop comp2 leaking?", "runbooks/compressed-air-leaks.md", "Fixes"),
        ("chillr foulling guidance", "runbooks/chiller-low-delta-t-and-fouling.md", ""),
        ("what is a demand ratchet", "tariffs/time-of-use-and-demand-charges.md", "Ratchets"),
        ("why would a chiller lose efficiency", "chiller-low-delta-t-and-fouling.md", ""),
        ("how is SEC calculated for line-a?", "reference/kpis.md", "Specific energy"),
    ],
)
def test_how_to_and_definitions_come_from_the_library(
    agent: Agent, question: str, source: str, section: str
) -> None:
    reply = agent.ask(question)
    args = search_call(reply)
    assert args["collection"] == "documents"
    assert not {"what", "how", "do", "i", "the", "is", "a", "an"} & set(args["query"].split())
    citations = [c for _, c in quoted(reply.answer)]
    assert any(source in c and section in c for c in citations), reply.answer
    assert_from_sources(reply, LIBRARY_TEXT)


def test_past_incidents_on_a_named_meter(agent: Agent) -> None:
    reply = agent.ask("has this happened before on the chiller?")
    args = search_call(reply)
    assert (args["collection"], args["query"]) == ("incidents", "chiller")
    assert "Incident #7" in reply.answer and "Incident #9" not in reply.answer
    assert_from_sources(reply, {"": INCIDENTS[7][1]})


def test_what_happened_last_time_searches_the_incidents(agent: Agent) -> None:
    reply = agent.ask("what happened last time compressor 2 leaked?")
    args = search_call(reply)
    assert args["collection"] == "incidents" and "compressor-2" in args["query"]
    assert "Incident #9" in reply.answer


def test_similar_incidents_take_the_meter_from_the_conversation(agent: Agent) -> None:
    first = agent.ask("how much did the chiller use last week?")
    assert first.tool_calls[0].name == "query_metric"
    reply = agent.ask("any similar incidents?", thread=first.thread)
    args = search_call(reply)
    assert args["collection"] == "incidents" and "chiller" in args["query"]
    assert "Incident #7" in reply.answer


def test_what_we_did_last_time_and_a_follow_up(agent: Agent) -> None:
    first = agent.ask("what was the chiller's peak demand yesterday?")
    last_time = agent.ask("what did we do last time?", thread=first.thread)
    args = search_call(last_time)
    assert args["collection"] == "incidents" and "chiller" in args["query"]
    runbook = agent.ask("what does the runbook say about stuck meters?", thread=first.thread)
    boiler = agent.ask("and for the boiler?", thread=runbook.thread)
    args = search_call(boiler)
    assert args["collection"] == "documents" and "boiler" in args["query"]


def test_a_definition_in_a_conversation_stands_alone(agent: Agent) -> None:
    first = agent.ask("how much did the chiller use last week?")
    reply = agent.ask("what is an EnPI?", thread=first.thread)
    assert search_call(reply)["query"] == "enpi"


def test_history_and_documents_together_search_both(agent: Agent) -> None:
    reply = agent.ask("have we seen compressor-2 leaks before, and what does the runbook say?")
    args = search_call(reply)
    assert args["collection"] == "all" and "compressor-2" in args["query"]
    assert "Incident #9" in reply.answer or "compressed-air-leaks.md" in reply.answer


@pytest.mark.parametrize(
    ("question", "tool"),
    [
        ("what does compressor-2 use at night last week?", "clock_window"),
        ("How much energy did compressor-2 use last week?", "query_metric"),
        ("what was the chiller's peak demand yesterday?", "compute_kpi"),
        ("how do I check compressor-2's consumption last week?", "query_metric"),
        ("any leaks on compressor-1 last month?", "detect_anomalies"),
        ("how much energy had compressor-2 used before 1 October?", "query_metric"),
    ],
)
def test_meter_questions_still_go_to_the_metric_tools(
    agent: Agent, question: str, tool: str
) -> None:
    reply = agent.ask(question)
    names = [c.name for c in reply.tool_calls]
    assert names[:1] == [tool] and "search_knowledge" not in names, reply.answer


def test_a_topic_the_library_lacks_is_said_so(agent: Agent) -> None:
    reply = agent.ask("what does the manual say about cleaning solar panels?")
    search_call(reply)
    assert reply.outcome == "answer"
    assert "has nothing" in reply.answer and not quoted(reply.answer)
    covers = reply.answer.split("It covers: ")[1].rstrip(".").split("; ")
    assert covers and set(covers) <= TITLES


def test_an_empty_library_is_answered_honestly(demo_engine: Engine, tmp_path: Path) -> None:
    agent = make_agent(demo_engine, _store(tmp_path / "empty"), tmp_path)
    reply = agent.ask("what does the runbook say about compressed air leaks?")
    search_call(reply)
    assert reply.outcome == "answer"
    assert "holds no documents" in reply.answer and "ems-agent knowledge add" in reply.answer
    assert not quoted(reply.answer) and "ultrasonic" not in reply.answer
    incidents = agent.ask("has this happened before on compressor-2?")
    assert search_call(incidents)["collection"] == "incidents"
    assert "No past incidents" in incidents.answer


def test_without_a_knowledge_tool_the_agent_says_so(demo_engine: Engine, tmp_path: Path) -> None:
    agent = make_agent(demo_engine, _store(tmp_path / "unused"), tmp_path, tools=False)
    reply = agent.ask("what does the runbook say about compressed air leaks?")
    assert reply.outcome == "refuse" and reply.tool_calls == []
    assert "runbooks" in reply.answer


class _ServerDown(KnowledgeStore):
    """A store whose Chroma server has gone away (the one thing a test cannot arrange)."""

    def search(self, query: str, **kwargs: Any) -> list[Passage]:
        raise KnowledgeUnavailable("cannot reach the Chroma server at http://127.0.0.1:9")


def test_an_unreachable_store_is_reported_not_raised(demo_engine: Engine, tmp_path: Path) -> None:
    down = _ServerDown(chromadb.EphemeralClient(settings=chroma_settings()))
    agent = make_agent(demo_engine, down, tmp_path)
    reply = agent.ask("how do I check a stuck meter?")
    assert "cannot reach the Chroma server" in reply.answer
    assert "error" in reply.tool_calls[0].result


@pytest.mark.parametrize(
    ("question", "query"),
    [
        ("What does the runbook say about compressed-air leaks?", "compressed-air leaks"),
        ("Is there a procedure for a short-cycling boiler?", "short-cycling boiler"),
        ("what's in our docs on demand spikes on line-a", "demand spikes line-a"),
    ],
)
def test_the_search_query_keeps_equipment_and_symptom(question: str, query: str) -> None:
    assert search_query(question.lower()) == query
