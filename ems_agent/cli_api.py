"""HTTP API commands: serve the API until Ctrl-C, manage its tokens, and serve MCP over stdio."""

from __future__ import annotations

import gc
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from ems_agent.cli import JsonFlag, app, context, err, friendly_errors, make_table, out, print_json
from ems_agent.cli_live import wait_for_stop

if TYPE_CHECKING:
    from api.app import ApiHandle
    from ems_agent.app import App
    from store.tokens import TokenRow

tokens_app = typer.Typer(
    help="API tokens of the HTTP API and the MCP server.", no_args_is_help=True
)
app.add_typer(tokens_app, name="tokens")


def start_api(app_: App, host: str | None = None, port: int | None = None) -> ApiHandle:
    """Start the API in the background (for `ems-agent up` too); `.close()` stops it."""
    from api.app import serve
    from ems_agent.api_wiring import build

    settings = app_.settings
    return serve(build(app_), host or settings.api_host, port or settings.api_port)


@app.command()
@friendly_errors
def api(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default EMS_API_HOST, 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default EMS_API_PORT, 7870).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Serve the HTTP API (/api/v1, docs at /api/docs) and MCP (/mcp) until Ctrl-C."""
    ctx = context()
    stop = wait_for_stop()
    handle = start_api(ctx, host, port)
    # The start-up's objects (modules, schemas, the app) live as long as the server: kept out
    # of the collector's full passes, which would otherwise walk them every few large posts.
    gc.collect()
    gc.freeze()
    try:
        if as_json:
            print_json(
                {"url": handle.url, "docs": f"{handle.url}/api/docs", "mcp": f"{handle.url}/mcp"}
            )
        else:
            out.print(
                f"API on {handle.url}/api/v1 (docs {handle.url}/api/docs, MCP {handle.url}/mcp); "
                "Ctrl-C stops"
            )
        stop.wait()
    finally:
        handle.close()
        err.print("API stopped")


@app.command()
@friendly_errors
def mcp(
    role: Annotated[
        str, typer.Option(help="Role the MCP client acts in: viewer (reads) or operator (writes).")
    ] = "viewer",
    site: Annotated[
        str | None,
        typer.Option(help="Site name or alias (default: the store's only site, else EMS_SITE)."),
    ] = None,
) -> None:
    """Serve the tools over MCP on stdin/stdout, for an assistant that starts this command."""
    import anyio

    from api.mcp_server import serve_stdio
    from api.tokens import BadTokenRequest, Principal
    from common.roles import ROLES
    from ems_agent.api_wiring import api_deps

    if role not in ROLES:
        raise BadTokenRequest(f"--role {role!r} is not one of {', '.join(ROLES)}")
    ctx = context()
    if site:  # an unknown name stops here, listing the sites
        ctx.settings.site = ctx.require_site(site).name
    deps = api_deps(ctx)
    anyio.run(serve_stdio, deps, Principal("mcp-stdio", role))


def _when(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def _row(row: TokenRow) -> dict[str, object]:
    return {
        "id": row.id,
        "name": row.name,
        "role": row.role,
        "prefix": row.prefix,
        "created": _when(row.created_at),
        "expires": _when(row.expires_at) or "never",
        "last_used": _when(row.last_used_at),
        "revoked": _when(row.revoked_at),
    }


@tokens_app.command("create")
@friendly_errors
def create_token(
    name: Annotated[str, typer.Option(help="Who or what uses it, e.g. grafana, gateway-3.")],
    role: Annotated[
        str, typer.Option(help="viewer (reads), operator (also writes), admin.")
    ] = "viewer",
    expires: Annotated[
        str | None, typer.Option(help="Lifetime such as 90d, 12h, 4w, 1y (default: never).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Make a token; it is shown once, and only its hash is kept."""
    from api.tokens import parse_expiry
    from ems_agent.api_wiring import token_store

    issued = token_store(context()).create(name, role, parse_expiry(expires))
    if as_json:
        print_json({"token": issued.secret, **_row(issued.row)})
        return
    out.print(issued.secret, highlight=False, soft_wrap=True)
    err.print(
        f"token {issued.row.name!r} ({issued.row.role}, expires "
        f"{_when(issued.row.expires_at) or 'never'}): copy it now, it is not shown again. "
        "Send it as 'Authorization: Bearer <token>'.",
        highlight=False,
    )


@tokens_app.command("list")
@friendly_errors
def list_tokens(
    revoked: Annotated[bool, typer.Option("--revoked", help="Include revoked tokens.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """The tokens: name, role, first characters, expiry and last use (never the token)."""
    from ems_agent.api_wiring import token_store

    found = [_row(t) for t in token_store(context()).tokens(include_revoked=revoked)]
    if as_json:
        print_json({"tokens": found})
        return
    if not found:
        out.print("no API tokens; make one with `ems-agent tokens create --name NAME`")
        return
    columns = ("id", "name", "role", "prefix", "created", "expires", "last_used", "revoked")
    table = make_table(*columns)
    for row in found:
        table.add_row(*(str(row[c]) for c in columns))
    out.print(table)


@tokens_app.command("revoke")
@friendly_errors
def revoke_token(
    name: Annotated[str, typer.Argument(help="The token's name (or its id from `tokens list`).")],
    as_json: JsonFlag = False,
) -> None:
    """Revoke a token: every request with it is refused from now on."""
    from api.tokens import BadTokenRequest
    from ems_agent.api_wiring import token_store

    revoked = token_store(context()).revoke(name)
    if not revoked:
        raise BadTokenRequest(
            f"no unrevoked token named {name!r}; `ems-agent tokens list` shows them"
        )
    if as_json:
        print_json({"revoked": [_row(t) for t in revoked]})
        return
    for row in revoked:
        out.print(f"revoked token {row.name!r} (id {row.id}, {row.role})")
