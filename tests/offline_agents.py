"""The offline agent over any site of a test store, its clock fixed, as the offline-model tests
of hand-made plants build it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from agent.loop import Agent
from agent.memory import sqlite_memory
from agent.models import Backend
from agent.offline.model import MODEL_NAME, OfflinePlanner
from ems_agent.context import TurnContexts, fixed_clock
from store.catalog import SiteRef
from tools.registry import all_tools


def offline_agent(engine: Engine, site: SiteRef, memory: Path, now: datetime) -> Agent:
    """The offline agent with every tool, a conversation kept in `memory`, at `now`."""
    return Agent(
        Backend(OfflinePlanner(), MODEL_NAME, None),
        all_tools(),
        sqlite_memory(memory),
        TurnContexts(engine, site, clock=fixed_clock(now)),
    )
