"""The composition root's wiring of the HTTP API and the MCP server: the tools, the turn
contexts of each site, the agent (built on the first question), the tokens and the readings
ingestion, handed to `api/`."""

from __future__ import annotations

from importlib import metadata
from typing import TYPE_CHECKING

from ems_agent.slices import api_settings

if TYPE_CHECKING:
    from fastapi import FastAPI

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
        readings=ReadingsPost(ingestor, settings.site),
        settings=api_settings(settings),
        version=version(),
    )


def build(app: App) -> FastAPI:
    from api.app import build_api

    return build_api(api_deps(app))
