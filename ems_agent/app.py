"""Wiring: settings to an open, migrated store; the one place services get their dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from ems_agent.settings import Settings, load_settings
from store.catalog import SiteRef
from store.engine import make_engine
from store.migrate import upgrade
from store.profile import get_profile
from store.timeutil import zone
from tools.base import AnalyticsConfig, Tariff
from tools.economics import Installation, site_config

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


def analytics_config(
    settings: Settings,
    engine: Engine | None = None,
    site: SiteRef | None = None,
    today: date | None = None,
) -> AnalyticsConfig:
    """The tools' economics for a site: its catalogue, else this installation's settings
    (`[tariff]`, `emission_factors`, `gas_price_per_kwh`), else labelled defaults."""
    installation = Installation(
        tariff=_settings_tariff(settings),
        emission_factors=settings.emission_factors,
        gas_price_per_kwh=(
            settings.gas_price_per_kwh if "gas_price_per_kwh" in settings.model_fields_set else None
        ),
        demand_window_s=settings.demand_window_minutes * 60,
    )
    site_profile = None
    if engine is not None and site is not None:
        with engine.connect() as conn:
            site_profile = get_profile(conn, site.id)
    when = today or datetime.now(zone(site.timezone) if site else None).date()
    return site_config(site_profile, installation, when)


def _settings_tariff(settings: Settings) -> Tariff | None:
    t = settings.tariff
    if t is None:
        return None
    return Tariff(
        name=t.name,
        currency=t.currency,
        periods=tuple((tuple(p.days), p.start_hour, p.end_hour, p.price) for p in t.periods),
        default_price=t.default_price,
        demand_charge_per_kw=t.demand_charge_per_kw,
        is_default=False,
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
    from agent.loop import Agent
    from agent.memory import sqlite_memory
    from agent.models import make_backend
    from store import catalog
    from tools.base import ToolContext
    from tools.registry import all_tools

    with app.engine.connect() as conn:
        site_ref = catalog.get_site(conn, site or app.settings.site)
    now = datetime.now(zone(site_ref.timezone))
    base = ToolContext(
        engine=app.engine,
        site=site_ref,
        now=now,
        config=analytics_config(app.settings, app.engine, site_ref, now.date()),
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
