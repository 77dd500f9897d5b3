"""A knowledge question that names one of the plant's meters by a name no runbook uses
("how do I respond to a leak alarm on Unit KX-4?"): the meter narrows the search by what its
catalogue description says it is, instead of its name replacing the topic; the runbook is
found and quoted. On a store of each kind (SQLite and PostgreSQL), with the starter library."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from sqlalchemy import Engine

from agent.loop import Agent
from agent.memory import sqlite_memory
from agent.models import Backend
from agent.offline.model import MODEL_NAME, OfflinePlanner
from connectors.catalog_file import parse_plant
from connectors.catalog_sync import apply_plant
from ems_agent.context import TurnContexts, fixed_clock
from knowledge.store import KnowledgeStore
from store import catalog
from tests.test_agent_knowledge import LIBRARY_TEXT, NOW, assert_from_sources, library  # noqa: F401
from tools.registry import all_tools

PLANT = textwrap.dedent(
    """\
    version: 1
    site: {name: works, timezone: Europe/Berlin}
    meters:
      - {name: Unit KX-4, carrier: electricity, description: "Rotary screw air compressor, 90 kW"}
      - {name: Unit HB-1, carrier: gas, description: "Steam boiler of the dye house"}
    """
)


@pytest.fixture
def works(engine: Engine, library: KnowledgeStore, tmp_path: Path) -> Agent:  # noqa: F811
    apply_plant(engine, parse_plant(PLANT, "works.yaml", "yaml"))
    with engine.connect() as conn:
        site = catalog.get_site(conn, "works")
    return Agent(
        Backend(OfflinePlanner(), MODEL_NAME, None),
        all_tools(),
        sqlite_memory(tmp_path / "threads.db"),
        TurnContexts(engine, site, clock=fixed_clock(NOW), knowledge=library),
    )


@pytest.mark.parametrize(
    ("question", "runbook", "kind"),
    [
        ("how do I respond to a leak alarm on Unit KX-4?", "Compressed-air leaks", "compressor"),
        ("how do I stop short cycling on Unit HB-1?", "Boiler short-cycling", "boiler"),
    ],
)
def test_a_meter_named_in_a_how_to_narrows_the_search_to_its_equipment(
    works: Agent, question: str, runbook: str, kind: str
) -> None:
    reply = works.ask(question)
    [call] = reply.tool_calls
    assert call.name == "search_knowledge"
    assert kind in call.args["query"] and "unit" not in call.args["query"].split()
    assert runbook in reply.answer, reply.answer
    assert_from_sources(reply, LIBRARY_TEXT)
