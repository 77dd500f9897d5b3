"""The ems-agent command line: one subcommand per job, each with --json for scripts."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, is_dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperCommand, TyperGroup

from common.errors import EMSError

if TYPE_CHECKING:
    from rich.progress import Progress
    from typer import _click as click

    from ems_agent.app import App

# Start-up time is part of the interface: scripts call `ems-agent` many times. Modules that load
# pandas, SciPy, LangChain, Chroma or Gradio are imported inside the commands that use them.


@dataclass(frozen=True)
class LazyCommand:
    """A command listed by `--help` from its description alone, built when it is run."""

    help: str
    short_help: str
    load: Callable[[], click.Command]


# One per tool, filled by ems_agent.cli_tools from the tools' declarations.
LAZY_COMMANDS: dict[str, LazyCommand] = {}


class CommandGroup(TyperGroup):
    """The commands, with those in LAZY_COMMANDS listed by name and help and built on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *LAZY_COMMANDS]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is None and cmd_name in LAZY_COMMANDS:
            lazy = LAZY_COMMANDS[cmd_name]
            return TyperCommand(cmd_name, help=lazy.help, short_help=lazy.short_help)
        return found

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name in LAZY_COMMANDS and name not in self.commands:
            command = LAZY_COMMANDS[name].load()
            self.add_command(command, name)
        return name, command, rest


app = typer.Typer(
    name="ems-agent",
    help="Energy management agent: import meter data, ask questions, watch for trouble.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=CommandGroup,
)
# Piped output is not cut to 80 columns: tables stay one row per line for grep and logs.
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]
SiteOption = Annotated[
    str | None,
    typer.Option(
        "--site",
        help="Site name or alias (default: the store's only site; among several, EMS_SITE).",
    ),
]


def friendly_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Expected errors become one readable line on stderr and exit code 1, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except EMSError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(1) from None

    return wrapper


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(_jsonable(value), indent=2, ensure_ascii=False) + "\n")


def progress_bar(enabled: bool) -> Progress:
    """A progress bar on stderr, so --json output on stdout stays clean."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        TextColumn("{task.completed:>12,.0f} / {task.total:,.0f}"),
        TimeRemainingColumn(),
        console=err,
        disable=not enabled,
        transient=False,
    )


class SettingsError(EMSError):
    """Settings (environment or TOML file) that do not validate."""


def context() -> App:
    from pydantic import ValidationError

    from ems_agent.app import open_app

    try:
        return open_app()
    except ValidationError as exc:
        problems = "; ".join(
            f"EMS_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise SettingsError(
            f"invalid settings ({problems}); fix the variable or ems.toml"
        ) from None


@app.command()
@friendly_errors
def migrate(as_json: JsonFlag = False) -> None:
    """Create the store or upgrade it in place to the current schema."""
    from store.engine import make_engine
    from store.migrate import current_revision, head_revision, upgrade

    settings = context().settings
    engine = make_engine(settings.db_url)
    before = current_revision(engine)
    applied = upgrade(engine)
    result = {"database": engine.url.render_as_string(), "from": before, "to": head_revision()}
    if as_json:
        print_json(result | {"applied": applied})
    elif applied:
        out.print(f"upgraded {result['database']} from {before or 'empty'} to {result['to']}")
    else:
        out.print(f"{result['database']} is up to date ({result['to']})")


def progress_callback(bar: Progress) -> Callable[[str, int, int], None]:
    tasks: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    return update


def make_table(*columns: str, title: str | None = None) -> Table:
    table = Table(*columns, title=title, box=None, header_style="bold", pad_edge=False)
    return table


def register_commands() -> None:
    """Commands live beside the code they drive; importing the modules registers them."""
    from ems_agent import (  # noqa: F401
        cli_agent,
        cli_api,
        cli_catalog,
        cli_data,
        cli_incidents,
        cli_knowledge,
        cli_live,
        cli_reports,
        cli_slack,
        cli_tools,
        cli_ui,
    )


register_commands()
