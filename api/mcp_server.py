"""The MCP server (the official `mcp` SDK): the registry's tools for other assistants, over
stdio (`ems-agent mcp`) and over streamable HTTP at /mcp with the API's tokens.

Every tool is generated from its declaration: its input model's schema, its result model's
schema as the output schema, its description, and annotations from `Tool.writes` (reads are
read-only; writes are listed, and run, only for operator tokens).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
import mcp_types as types
from mcp.server import Server
from mcp.server.auth.middleware.auth_context import auth_context_var, get_access_token
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from pydantic import ValidationError
from starlette.authentication import AuthCredentials
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from api.calls import allowed, output_model, run_tool
from api.tokens import Principal, TokenError
from common.errors import EMSError

if TYPE_CHECKING:
    from mcp.server.context import ServerRequestContext

    from api.deps import ApiDeps
    from tools.base import Tool

log = logging.getLogger(__name__)

INSTRUCTIONS = (
    "Energy management tools over this site's own meter data: metric queries, KPIs, "
    "baselines, anomalies, forecasts, incidents, alert rules, read-only SQL and the knowledge "
    "library. Periods are words in the site's time zone ('last week', '2026-10', "
    "'2026-10-01..2026-10-07'). Tools marked read-only change nothing; the others change data "
    "and are offered to operator tokens only."
)


def _annotations(declared: Tool[Any, Any]) -> types.ToolAnnotations:
    title = declared.name.replace("_", " ")
    if not declared.writes:
        return types.ToolAnnotations(title=title, read_only_hint=True, open_world_hint=False)
    return types.ToolAnnotations(
        title=title, read_only_hint=False, idempotent_hint=False, open_world_hint=False
    )


def mcp_tool(declared: Tool[Any, Any]) -> types.Tool:
    return types.Tool(
        name=declared.name,
        description=declared.description,
        input_schema=declared.input_model.model_json_schema(),
        output_schema=output_model(declared).model_json_schema(),
        annotations=_annotations(declared),
    )


def _error(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=text)], is_error=True)


def _problems(exc: ValidationError) -> str:
    found = "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg']}" for e in exc.errors()
    )
    return f"InvalidArguments: {found}"


def build_mcp(deps: ApiDeps, fallback: Principal | None = None) -> Server[Any]:
    """The MCP server over the registry. Over HTTP the caller is the request's token; over
    stdio (no tokens: the person who started it owns the store) it is `fallback`."""

    def caller(ctx: ServerRequestContext[Any]) -> Principal:
        token = get_access_token()
        if token is not None and token.claims:
            return Principal(str(token.claims["name"]), token.claims["role"])
        if fallback is not None:
            return fallback
        raise TokenError("this MCP endpoint needs an API token")

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        who = caller(ctx)
        listed = [mcp_tool(t) for _, t in sorted(deps.tools.items()) if allowed(who, t)]
        return types.ListToolsResult(tools=listed)

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        who = caller(ctx)
        declared = deps.tools.get(params.name)
        if declared is None:
            return _error(f"UnknownTool: no tool named {params.name!r}")
        if not allowed(who, declared):
            return _error(
                f"NotAllowed: {params.name} changes data and needs the operator role; the "
                f"token {who.name!r} is a {who.role}"
            )
        try:
            result = await anyio.to_thread.run_sync(
                run_tool, deps, params.name, params.arguments or {}, who
            )
        except ValidationError as exc:
            return _error(_problems(exc))
        except EMSError as exc:
            return _error(f"{type(exc).__name__}: {exc}")
        body = result.to_json()
        return types.CallToolResult(
            content=[types.TextContent(text=json.dumps(body, ensure_ascii=False))],
            structured_content=body,
        )

    return Server(
        "ems-agent",
        version=deps.version,
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


class McpEndpoint:
    """The streamable-HTTP MCP endpoint behind the API's tokens: every request's token is
    checked (so a revoked token stops at once) and its role travels with the request."""

    def __init__(self, deps: ApiDeps, verify: Callable[[str | None], Principal]) -> None:
        self.manager = StreamableHTTPSessionManager(
            app=build_mcp(deps), stateless=True, json_response=True
        )
        self.verify = verify

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with self.manager.run():
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        header = Request(scope).headers.get("authorization", "")
        secret = header[7:].strip() if header.lower().startswith("bearer ") else None
        try:
            who = await anyio.to_thread.run_sync(self.verify, secret)
        except TokenError as exc:
            answer = JSONResponse(
                {"error": type(exc).__name__, "detail": str(exc)},
                401,
                headers={"WWW-Authenticate": "Bearer"},
            )
            await answer(scope, receive, send)
            return
        claims = {"name": who.name, "role": who.role}
        token = AccessToken(token="", client_id=who.name, scopes=[who.role], claims=claims)
        user = AuthenticatedUser(token)
        scope = {**scope, "user": user, "auth": AuthCredentials([who.role])}
        reset = auth_context_var.set(user)
        try:
            await self.manager.handle_request(scope, receive, send)
        finally:
            auth_context_var.reset(reset)


async def serve_stdio(deps: ApiDeps, principal: Principal) -> None:
    """Serve MCP on stdin and stdout until the client closes them."""
    from mcp.server.stdio import stdio_server

    server = build_mcp(deps, fallback=principal)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())
