"""The HTTP API (FastAPI) under /api/v1, its OpenAPI schema and docs at /api/docs, and the MCP
endpoint at /mcp; `serve` runs it with uvicorn in the background.

Routes are grouped by router: the tools, /ask, the data, the resources, the operations. Other
groups (exports, reports) join through `build_api(deps, extra=[router, ...])` beside them,
under the same prefix, tokens and error answers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import errors
from api.ask import AskLimiter, ask_router
from api.data import data_router
from api.deps import ApiDeps
from api.mcp_server import McpEndpoint
from api.ops import ApiMetrics, ops_router
from api.resources import resource_router
from api.tool_routes import tool_router
from common.errors import EMSError
from store.checkpoint import WalCheckpointer

log = logging.getLogger(__name__)
PREFIX = "/api/v1"


class ApiPortInUse(EMSError):
    """The API's port is taken by another program."""


DESCRIPTION = """The EMS agent's tools, questions, meter data and ingestion for other programs.

Every route needs an API token (`Authorization: Bearer ems_...`) from
`ems-agent tokens create --name NAME --role viewer|operator|admin`: reads need a viewer, writes
an operator, applying the catalogue an admin. Errors answer `{"error", "detail"}`.
The MCP server is at `/mcp` (streamable HTTP) with the same tokens."""


def build_api(deps: ApiDeps, extra: Sequence[APIRouter] = ()) -> FastAPI:
    """The API over the root's parts; `extra` routers join under /api/v1."""
    metrics = ApiMetrics()
    mcp = McpEndpoint(deps, deps.tokens.verify)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Posted readings commit without checkpointing the SQLite log themselves.
        with WalCheckpointer(deps.engine):
            async with mcp.running():
                yield

    app = FastAPI(
        title="EMS agent API",
        version=deps.version,
        description=DESCRIPTION,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
        max_body_size=deps.settings.max_body_bytes,
        lifespan=lifespan,
    )
    app.state.deps = deps
    errors.install(app)
    for router in (
        tool_router(deps),
        ask_router(AskLimiter(deps.settings.ask_per_minute)),
        data_router(),
        resource_router(),
        ops_router(metrics),
        *extra,
    ):
        app.include_router(router, prefix=PREFIX)
    app.router.routes.append(Route("/mcp", endpoint=mcp, methods=["GET", "POST", "DELETE"]))
    _observe(app, metrics)
    if deps.settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(deps.settings.cors_origins),
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Accept"],
        )
    return app


def _observe(app: FastAPI, metrics: ApiMetrics) -> None:
    app.add_middleware(TimedRequests, metrics=metrics)


class TimedRequests:
    """Counts and times each HTTP request by method, route and status. A plain ASGI middleware:
    Starlette's `BaseHTTPMiddleware` runs every request in a task group of its own and passes
    the body and the answer through memory streams, a cost each 5,000-reading post paid."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, sending)
        path = getattr(scope.get("route"), "path", "unmatched")
        self.metrics.observe(scope["method"], path, status, time.perf_counter() - started)


@dataclass
class ApiHandle:
    """A running API server."""

    url: str
    server: Any
    thread: threading.Thread

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def serve(app: FastAPI, host: str, port: int) -> ApiHandle:
    """Serve the API with uvicorn on a thread of its own until `close()`."""
    import uvicorn

    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="ems-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive():
            raise ApiPortInUse(
                f"cannot serve the API on {host}:{port}; choose another port with --port or "
                "EMS_API_PORT"
            )
        if time.monotonic() > deadline:
            server.should_exit = True
            raise ApiPortInUse(f"the API did not start on {host}:{port} within 20 s")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]  # the one given, or the free one for 0
    shown = f"[{host}]" if ":" in host else host
    return ApiHandle(f"http://{shown}:{port}", server, thread)
