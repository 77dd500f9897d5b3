"""`ems-agent knowledge add|list|remove|search` through Typer's runner, and the search_knowledge
tool through the registry, the agent's LangChain wrapper and the offline agent."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import chromadb
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from agent.loop import Agent
from agent.memory import sqlite_memory
from agent.models import Backend
from agent.offline.model import MODEL_NAME, OfflinePlanner
from agent.toolkit import as_langchain
from ems_agent.cli import app
from ems_agent.context import TurnContexts, fixed_clock
from knowledge.store import KnowledgeStore, chroma_settings
from store import catalog
from store.catalog import SiteRef
from tests.knowledge_files import write_library
from tools.base import ToolContext
from tools.knowledge import KnowledgeNotAvailable
from tools.registry import all_tools

runner = CliRunner()
NOW = datetime(2026, 11, 5, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def run_json(*args: str, code: int = 0) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def test_add_list_search_remove_as_json(tmp_path: Path) -> None:
    docs = write_library(tmp_path / "docs")
    added = run_json("knowledge", "add", str(docs))
    assert sorted(added["added"]) == ["boiler-manual.pdf", "runbooks/air.md", "runbooks/chiller.md"]
    assert added["chunks_added"] == 7 and added["failed"] == []

    again = run_json("knowledge", "add", str(docs))
    assert sorted(again["unchanged"]) == sorted(added["added"])
    assert again["added"] == again["replaced"] == [] and again["chunks_added"] == 0

    listed = run_json("knowledge", "list")
    by_source = {s["source"]: s for s in listed["sources"]}
    assert by_source["runbooks/air.md"]["title"] == "Compressed air handbook"
    assert by_source["runbooks/air.md"]["chunks"] == 3

    found = run_json("knowledge", "search", "ultrasonic leak detector", "--k", "2")
    assert len(found["passages"]) == 2
    top = found["passages"][0]
    assert top["source"] == "runbooks/air.md"
    assert top["citation"] == (
        "Compressed air handbook § Leak survey > Ultrasonic detector (runbooks/air.md)"
    )

    removed = run_json("knowledge", "remove", "runbooks/air.md")
    assert removed == {"source": "runbooks/air.md", "removed": 3}
    listed = run_json("knowledge", "list")
    assert "runbooks/air.md" not in {s["source"] for s in listed["sources"]}


def test_a_bad_file_fails_with_exit_1_and_one_json_object(tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_text("# Good\n\nSteam traps leak when their seats wear.\n")
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf at all")
    report = run_json("knowledge", "add", str(good), str(bad), code=1)
    assert report["added"] == ["good.md"]
    assert [(f["error"], f["path"]) for f in report["failed"]] == [("UnreadableDocument", str(bad))]
    human = runner.invoke(app, ["knowledge", "add", str(bad)])
    assert human.exit_code == 1
    assert "bad.pdf: not a readable PDF" in " ".join(human.stderr.split())


def test_removing_an_unknown_source_is_one_readable_line() -> None:
    result = runner.invoke(app, ["knowledge", "remove", "nothing.md"])
    assert result.exit_code == 1
    assert "holds no source 'nothing.md'" in result.stderr
    assert "Traceback" not in result.stderr


def test_search_needs_a_known_collection_and_add_needs_a_path() -> None:
    assert runner.invoke(app, ["knowledge", "search", "x", "--collection", "bogus"]).exit_code == 2
    assert runner.invoke(app, ["knowledge", "add"]).exit_code == 2


def test_search_incidents_as_json() -> None:
    from ems_agent.app import open_app

    open_app().knowledge.index_incident(
        4, "boiler short cycling", "Boiler fired 14 times an hour.", {"meter": "boiler"}
    )
    found = run_json("knowledge", "search", "boiler cycling", "--collection", "incidents")
    assert [p["metadata"]["incident_id"] for p in found["passages"]] == [4]
    assert found["passages"][0]["citation"] == "Incident #4: boiler short cycling"


# -- the tool -----------------------------------------------------------------------------


@pytest.fixture
def knowledge(tmp_path: Path) -> KnowledgeStore:
    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"), settings=chroma_settings())
    store = KnowledgeStore(client)
    store.add_paths([write_library(tmp_path / "docs")])
    store.index_incident(9, "compressor-1 night load high", "Leaking coupling on line A.", {})
    return store


def tool_context(engine: Engine, knowledge: KnowledgeStore | None) -> ToolContext:
    site = SiteRef(1, "demo-plant", "Europe/Berlin")
    return ToolContext(engine=engine, site=site, now=NOW, knowledge=knowledge)


def test_the_tool_through_the_registry(sqlite_engine: Engine, knowledge: KnowledgeStore) -> None:
    tool = all_tools()["search_knowledge"]
    ctx = tool_context(sqlite_engine, knowledge)
    result = tool(ctx, {"query": "condenser tubes fouled, approach temperature", "k": 2})
    assert result.collection == "documents" and result.source
    assert result.passages[0].source == "runbooks/chiller.md"
    assert result.passages[0].section == "Condenser fouling"
    assert result.passages[0].incident_id is None
    assert set(result.library) == {"Compressed air handbook", "Chiller care", "Boiler manual"}

    incidents = tool(ctx, {"query": "compressor night load", "collection": "incidents"})
    assert [p.incident_id for p in incidents.passages] == [9]
    mixed = tool(ctx, {"query": "leaking coupling line A", "collection": "all", "k": 20})
    assert {p.collection for p in mixed.passages} == {"documents", "incidents"}


def test_the_tool_without_a_store_says_so(sqlite_engine: Engine) -> None:
    tool = all_tools()["search_knowledge"]
    with pytest.raises(KnowledgeNotAvailable, match="no knowledge store"):
        tool(tool_context(sqlite_engine, None), {"query": "air leaks"})
    # The model gets the error as text it can act on, not a crash.
    wrapped = as_langchain(tool)
    assert "k" in wrapped.args and "collection" in wrapped.args
    assert "runbook" in wrapped.description


def test_the_offline_agent_quotes_the_runbook(
    demo_engine: Engine, knowledge: KnowledgeStore, tmp_path: Path
) -> None:
    with demo_engine.connect() as conn:
        site = catalog.get_site(conn, "demo-plant")
    contexts = TurnContexts(demo_engine, site, clock=fixed_clock(NOW), knowledge=knowledge)
    agent = Agent(
        Backend(OfflinePlanner(), MODEL_NAME, None),
        all_tools(),
        sqlite_memory(tmp_path / "threads.db"),
        contexts,
    )
    reply = agent.ask("What does the runbook say about finding compressed air leaks?")
    assert [c.name for c in reply.tool_calls] == ["search_knowledge"]
    assert "Compressed air handbook" in reply.answer and "runbooks/air.md" in reply.answer
