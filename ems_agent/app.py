"""Wiring: settings to an open, migrated store; the one place services get their dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine

from ems_agent.settings import Settings, load_settings
from store.engine import make_engine
from store.migrate import upgrade


@dataclass
class App:
    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        engine = make_engine(self.settings.db_url)
        upgrade(engine)
        return engine


def open_app(settings: Settings | None = None) -> App:
    return App(settings or load_settings())
