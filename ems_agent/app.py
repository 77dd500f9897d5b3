"""The composition root's wiring: settings to an open, migrated store, and every part built from
it and handed what it needs (the agent, the watcher, the notifiers, the page's and the bot's deps).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from common.errors import NoSite
from ems_agent.context import Clock, TurnContexts, parse_time, system_clock
from ems_agent.slices import (
    analytics_config,
    installation,
    knowledge_settings,
    llm_settings,
    notify_settings,
    slack_settings,
    ui_settings,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from agent.loop import Agent
    from agent.summary import Knowledge
    from agent.watcher import Notifier, Watcher
    from chat_ui.app import UiDeps
    from ems_agent.settings import Settings
    from knowledge.store import KnowledgeStore, Passage, SourceInfo
    from slack_bot.bot import SlackDeps
    from store.catalog import SiteRef

__all__ = ["App", "analytics_config", "build_agent", "open_app"]


@dataclass
class App:
    """One installation: its settings, its clock, and the store and knowledge store it opens."""

    settings: Settings
    clock: Clock = system_clock

    @cached_property
    def engine(self) -> Engine:
        from store.engine import make_engine
        from store.migrate import upgrade

        engine = make_engine(self.settings.db_url)
        upgrade(engine)
        return engine

    @cached_property
    def knowledge(self) -> KnowledgeStore:
        """The knowledge store: embedded Chroma under EMS_HOME, or the server at chroma_url."""
        from knowledge.store import open_knowledge

        return open_knowledge(knowledge_settings(self.settings))

    def site(self, named: str | None = None) -> SiteRef | None:
        """The site a command is about: `named` (by name or alias), else the store's only
        site, else the default among several (EMS_SITE); None when the store holds none.
        UnknownSite or SiteNotChosen say how to choose."""
        from store.sites import choose_site

        with self.engine.connect() as conn:
            return choose_site(conn, named, self.settings.site)

    def require_site(self, named: str | None = None) -> SiteRef:
        """The site a command needs; NoSite (how to load data) when the store holds none."""
        site = self.site(named)
        if site is None:
            raise NoSite()
        return site

    def contexts(self, site: str | None = None, now: str | datetime | None = None) -> TurnContexts:
        """The turn-context factory: at the site named, else at each turn the store's only
        site or the default among several (or none); `now` stops its clock there (an ISO text
        from the command line, read in the site's zone when naive)."""
        from common.errors import SiteNotChosen

        chosen = None
        if site:
            chosen = self.site(site)
        else:
            try:
                self.site()  # a default that names no site is an error now, not at each turn
            except SiteNotChosen:
                pass  # each question may name one
        made = TurnContexts(
            self.engine,
            chosen,
            None,
            LazyKnowledge(self),
            self.clock,
            installation(self.settings),
            default_site=self.settings.site,
            timezone=self.settings.timezone,
        )
        if now is None or now == "":
            return made
        return made.at(parse_time(now) if isinstance(now, str) else now)


def build_agent(
    app: App,
    *,
    model: str | None = None,
    site: str | None = None,
    user: str = "cli",
    role: str = "operator",
    contexts: TurnContexts | None = None,
) -> Agent:
    """The agent over this installation's store, with its memory under EMS_HOME."""
    from agent.loop import Agent
    from agent.memory import sqlite_memory
    from agent.models import make_backend
    from tools.registry import all_tools

    return Agent(
        make_backend(llm_settings(app.settings), model),
        all_tools(),
        sqlite_memory(app.settings.conversations_path),
        contexts or app.contexts(site),
        user=user,
        role=role,
    )


def build_notifiers(app: App) -> list[Notifier]:
    """Every incident notifier the settings configure (webhook, e-mail, Slack)."""
    from connectors.notify import make_notifiers

    return list(make_notifiers(notify_settings(app.settings)))


def build_watcher(app: App, contexts: TurnContexts, knowledge: Knowledge | None) -> Watcher:
    """The watcher of one site: its store, knowledge (runbooks, past incidents), notifiers, the
    model that writes incident summaries, and the monthly report it sends."""
    from agent.models import make_backend
    from agent.report.monthly import MonthlyReports
    from agent.summary import Summariser
    from agent.watcher import Watcher

    notifiers = build_notifiers(app)
    return Watcher(
        app.engine,
        contexts,
        knowledge,
        notifiers,
        Summariser(knowledge, make_backend(llm_settings(app.settings))),
        MonthlyReports(app.engine, contexts, notifiers),
    )


def ui_deps(app: App, agent: Agent | None = None, site: str | None = None) -> UiDeps:
    """What the chat page needs: the agent (a viewer's unless told, about `site` or the
    installation's current one), the users, its settings."""
    from chat_ui.app import UiDeps
    from ems_agent.users import Accounts

    return UiDeps(
        agent=agent or build_agent(app, role="viewer", site=site),
        accounts=Accounts(app.settings),
        settings=ui_settings(app.settings),
    )


def slack_deps(app: App, agent: Agent) -> SlackDeps:
    """What the Slack bot needs: the agent, the tools its buttons call, its settings."""
    from slack_bot.bot import SlackDeps
    from tools.registry import all_tools

    return SlackDeps(agent=agent, tools=all_tools(), settings=slack_settings(app.settings))


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


def open_app(settings: Settings | None = None, *, clock: Clock = system_clock) -> App:
    from ems_agent.settings import load_settings

    return App(settings or load_settings(), clock)
