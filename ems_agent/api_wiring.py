"""The composition root's wiring of the HTTP API and the MCP server: the tools, the turn
contexts of each site, the agent (built on the first question), the tokens and the readings
ingestion, handed to `api/`."""

from __future__ import annotations

from importlib import metadata
from typing import TYPE_CHECKING

from ems_agent.slices import api_settings

if TYPE_CHECKING:
    from fastapi import APIRouter, FastAPI

    from agent.context import MakeContext
    from api.deps import ApiDeps, AskAgent
    from api.tokens import TokenStore
    from ems_agent.app import App


def version() -> str:
    try:
        return metadata.version("ems-agent")
    except metadata.PackageNotFoundError:
        return "0"


def token_store(app: App) -> TokenStore:
    from api.tokens import TokenStore

    return TokenStore(app.engine)


def api_deps(app: App) -> ApiDeps:
    """Everything the API needs, from this installation's settings and store."""
    from api.deps import ApiDeps, Lazy
    from connectors.http_readings import ReadingsPost
    from connectors.ingest import Ingestor
    from tools.registry import all_tools

    def contexts(site: str | None) -> MakeContext:
        return app.contexts(site)

    def agent() -> AskAgent:
        from ems_agent.app import build_agent

        return build_agent(app, role="viewer")

    settings = app.settings
    # Its own ingestor: each post is stored at once, beside (not through) the MQTT batches.
    ingestor = Ingestor(app.engine, timezone=settings.timezone)
    return ApiDeps(
        engine=app.engine,
        tools=all_tools(),
        contexts=contexts,
        agent=Lazy(agent),
        tokens=token_store(app),
        readings=ReadingsPost(ingestor, lambda: default_site(app)),
        settings=api_settings(settings),
        version=version(),
    )


def default_site(app: App) -> str | None:
    """The site of posted readings that name none: the configured one (a new name makes a new
    site), else the store's only site; None when the store holds none or several."""
    from common.errors import SiteNotChosen

    if app.settings.site:
        return app.settings.site
    try:
        site = app.site()
    except SiteNotChosen:
        return None
    return site.name if site is not None else None


def routers() -> list[APIRouter]:
    """The route groups that join the API's own: exports and the monthly reports."""
    from api.exports import export_router
    from api.reports import report_router

    return [export_router(), report_router()]


def build(app: App) -> FastAPI:
    from api.app import build_api

    return build_api(api_deps(app), extra=routers())
