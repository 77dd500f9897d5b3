"""Chat page commands: serve the page until Ctrl-C, and manage who may log in to it."""

from __future__ import annotations

import getpass
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from common.errors import HOW_TO_LOAD, SiteNotChosen
from ems_agent.app import App
from ems_agent.cli import (
    JsonFlag,
    SiteOption,
    app,
    context,
    err,
    friendly_errors,
    make_table,
    out,
    print_json,
)
from ems_agent.cli_live import wait_for_stop

if TYPE_CHECKING:
    from chat_ui.app import UIHandle

users_app = typer.Typer(help="Who may log in to the chat page.", no_args_is_help=True)
app.add_typer(users_app, name="users")


def start_ui(
    app_: App, host: str | None = None, port: int | None = None, site: str | None = None
) -> UIHandle:
    """Start the chat page in the background (for `ems-agent up`); `.close()` stops it."""
    from chat_ui.app import serve
    from ems_agent.app import ui_deps

    return serve(ui_deps(app_, site=site), host, port)


def site_label(app_: App, site: str | None = None) -> str | None:
    """The site a page or bot answers about, as its start-up line names it."""
    try:
        chosen = app_.site(site)
    except SiteNotChosen as exc:
        return f"none chosen among {', '.join(exc.sites)}; questions may name one"
    return chosen.name if chosen is not None else None


@app.command()
@friendly_errors
def ui(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default EMS_UI_HOST, 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default EMS_UI_PORT, 7860).")
    ] = None,
    site: SiteOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Serve the chat page until Ctrl-C: chat with evidence, meters, incidents, alert rules."""
    ctx = context()
    label = site_label(ctx, site)
    stop = wait_for_stop()
    err.print("starting the chat page …")
    handle = start_ui(ctx, host, port, site)
    try:
        if as_json:
            print_json({"url": handle.url, "site": label})
        else:
            where = f"site {label}" if label else f"no meter data yet; {HOW_TO_LOAD}"
            out.print(f"chat page on {handle.url} ({where}); Ctrl-C stops", highlight=False)
        stop.wait()
    finally:
        handle.close()
        err.print("chat page stopped")


def _read_password(from_stdin: bool) -> str:
    from ems_agent.users import BadPassword

    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise BadPassword("the two passwords differ; run the command again")
    return first


@users_app.command("hash-password")
@friendly_errors
def hash_password_command(
    stdin: Annotated[
        bool, typer.Option("--stdin", help="Read the password from stdin (one line) instead.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Print the Argon2 hash of a password (read without echo) for a [[users]] entry."""
    from ems_agent.users import hash_password

    hashed = hash_password(_read_password(stdin))
    if as_json:
        print_json({"password_hash": hashed})
        return
    out.print(hashed, highlight=False, soft_wrap=True)
    err.print(
        'add to ems.toml:\n[[users]]\nname = "..."\nrole = "operator"   # viewer, operator or '
        f'admin\npassword_hash = "{hashed}"',
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


@users_app.command("list")
@friendly_errors
def list_users(as_json: JsonFlag = False) -> None:
    """The people who may log in, with their roles (from ems.toml and users.toml)."""
    from ems_agent.users import configured_users, users_path

    settings = context().settings
    found = configured_users(settings)
    from_settings = {u.name for u in settings.users}
    rows = [
        {"name": u.name, "role": u.role, "from": "settings" if u.name in from_settings else "file"}
        for u in found
    ]
    if as_json:
        print_json({"users": rows, "users_file": str(users_path(settings))})
        return
    if not rows:
        out.print("no users yet; `ems-agent ui` creates an admin on its first start")
        return
    table = make_table("name", "role", "from")
    for r in rows:
        table.add_row(r["name"], r["role"], r["from"])
    out.print(table)
