"""Wiring: settings to an open, migrated store; the one place services get their dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from ems_agent.settings import Settings, load_settings
from store.engine import make_engine
from store.migrate import upgrade
from tools.base import AnalyticsConfig, Tariff

if TYPE_CHECKING:
    from agent.loop import Agent
    from knowledge.store import KnowledgeStore, Passage, SourceInfo


@dataclass
class App:
    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        engine = make_engine(self.settings.db_url)
        upgrade(engine)
        return engine

    @cached_property
    def knowledge(self) -> KnowledgeStore:
        """The knowledge store: embedded Chroma under EMS_HOME, or the server at chroma_url."""
        from knowledge.store import open_knowledge

        return open_knowledge(self.settings)


def analytics_config(settings: Settings) -> AnalyticsConfig:
    """Tariffs, emission factors and the demand window from settings; defaults stay labelled."""
    default = AnalyticsConfig()
    tariffs = default.tariffs
    if settings.tariff is not None:
        t = settings.tariff
        periods = tuple((tuple(p.days), p.start_hour, p.end_hour, p.price) for p in t.periods)
        tariffs = {
            "electricity": Tariff(
                name=t.name,
                currency=t.currency,
                periods=periods,
                default_price=t.default_price,
                demand_charge_per_kw=t.demand_charge_per_kw,
                is_default=False,
            )
        }
    return AnalyticsConfig(
        tariffs=tariffs,
        emission_factors=settings.emission_factors or default.emission_factors,
        emission_factors_are_defaults=settings.emission_factors is None,
        demand_window_s=settings.demand_window_minutes * 60,
        gas_price_per_kwh=settings.gas_price_per_kwh,
    )


def build_agent(
    app: App,
    *,
    model: str | None = None,
    site: str | None = None,
    user: str = "cli",
    role: str = "operator",
) -> Agent:
    """The agent over this installation's store, with its memory under EMS_HOME."""
    from datetime import datetime

    from agent.loop import Agent
    from agent.memory import sqlite_memory
    from agent.models import make_backend
    from common.timeutil import zone
    from store import catalog
    from tools.base import ToolContext
    from tools.registry import all_tools

    with app.engine.connect() as conn:
        site_ref = catalog.get_site(conn, site or app.settings.site)
    base = ToolContext(
        engine=app.engine,
        site=site_ref,
        now=datetime.now(zone(site_ref.timezone)),
        config=analytics_config(app.settings),
        user=user,
        role=role,
        knowledge=LazyKnowledge(app),
    )
    return Agent(
        make_backend(app.settings, model),
        all_tools(),
        sqlite_memory(app.settings.conversations_path),
        base,
    )


class LazyKnowledge:
    """The installation's knowledge store, opened on first use.

    Opening it starts Chroma and the embedding model (about 2 s), which a question about meter
    data, or a refused write, never needs. A store that cannot be opened raises its reason
    (an EMSError) at the call that needed it, so the agent hears why it cannot search.
    """

    def __init__(self, app: App) -> None:
        self._app = app

    def search(
        self,
        query: str,
        *,
        k: int = 4,
        collection: str = "documents",
        where: dict[str, Any] | None = None,
    ) -> list[Passage]:
        return self._app.knowledge.search(query, k=k, collection=collection, where=where)

    def similar_incidents(
        self, text: str, *, k: int = 3, exclude_id: int | None = None
    ) -> list[Passage]:
        return self._app.knowledge.similar_incidents(text, k=k, exclude_id=exclude_id)

    def sources(self) -> list[SourceInfo]:
        return self._app.knowledge.sources()

    def index_incident(
        self, incident_id: int, title: str, text: str, metadata: dict[str, Any]
    ) -> None:
        self._app.knowledge.index_incident(incident_id, title, text, metadata)


def open_app(settings: Settings | None = None) -> App:
    return App(settings or load_settings())
