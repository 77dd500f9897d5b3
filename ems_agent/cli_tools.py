"""One CLI subcommand per registered tool, generated from its input model: the same declaration
the agent reads, so the command line and the agent can never disagree about a tool."""

from __future__ import annotations

import functools
import inspect
import types
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from common.errors import EMSError
from ems_agent.cli import (
    LAZY_COMMANDS,
    JsonFlag,
    LazyCommand,
    SiteOption,
    app,
    context,
    friendly_errors,
    make_table,
    out,
    print_json,
)

if TYPE_CHECKING:
    from pydantic import BaseModel
    from pydantic.fields import FieldInfo
    from typer import _click as click

    from ems_agent.app import App
    from tools.base import Tool, ToolContext, ToolResult


class BadArguments(EMSError):
    """Command-line arguments that do not fit the tool's input model."""


def tool_context(
    site: str | None,
    now: str | None,
    *,
    app: App | None = None,
    user: str = "cli",
    role: str = "operator",
) -> ToolContext:
    """The tools' context for a command: the site, the clock (`--now`), the person's role."""
    return (app or context()).contexts(site, now)(user=user, role=role)


def _option_type(info: FieldInfo) -> tuple[Any, Any]:
    """The Python type Typer should parse an input field as, and its default."""
    annotation = info.annotation
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        annotation, origin = args[0], typing.get_origin(args[0])
    if origin is list:
        base: Any = list[str]
    elif origin is typing.Literal:
        base = str
    elif annotation in (int, float, bool, str):
        base = annotation
    else:
        base = str
    if info.is_required():
        return base, ...
    default = info.get_default(call_default_factory=True)
    return base | None if default is None else base, default


def _parameters(model: type[BaseModel]) -> list[inspect.Parameter]:
    params = []
    for name, info in model.model_fields.items():
        if name == "site":  # the command's own --site makes the whole context that site's
            continue
        kind, default = _option_type(info)
        choices = typing.get_args(info.annotation)
        help_text = info.description or ""
        if typing.get_origin(info.annotation) is typing.Literal:
            help_text += f" One of: {', '.join(map(str, choices))}."
        flag = f"--{name.replace('_', '-')}"
        if kind is bool:  # either way on the command line, whatever the default
            flag = f"{flag}/--no-{flag[2:]}"
        option = typer.Option(flag, help=help_text)
        params.append(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[kind, option],
                default=inspect.Parameter.empty if default is ... else default,
            )
        )
    return params


def render(result: ToolResult) -> None:
    """Short human output: scalar fields aligned, nested results indented, lists as tables;
    chart series ("points") are only counted (--json has them)."""
    _render(result.to_json(), "")


def _render(data: dict[str, Any], indent: str) -> None:
    tables = {}
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            tables[key] = value
        elif isinstance(value, dict) and any(isinstance(v, list | dict) for v in value.values()):
            out.print(f"{indent}{key}:", highlight=False)
            _render(value, indent + "  ")
        elif value not in (None, [], {}):
            text = (
                ", ".join(f"{k}={_fmt(v)}" for k, v in value.items())
                if isinstance(value, dict)
                else ("; ".join(map(str, value)) if isinstance(value, list) else _fmt(value))
            )
            out.print(f"{indent}{key:<22} {text}", highlight=False)
    for key, rows in tables.items():
        if key == "points":
            out.print(f"{indent}{key:<22} {len(rows)} values (--json for the series)")
            continue
        columns = [c for c in rows[0] if not isinstance(rows[0][c], list | dict)]
        table = make_table(*columns, title=f"{indent}{key}")
        for row in rows[:50]:
            table.add_row(*(_fmt(row[c]) for c in columns))
        out.print(table)
        if len(rows) > 50:
            out.print(f"{indent}... {len(rows) - 50} more rows (--json for all)")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.1f}"
    return "" if value is None else str(value)


def _command(spec: Tool[Any, Any]) -> Callable[..., None]:
    def command(**kwargs: Any) -> None:
        import pydantic

        as_json = kwargs.pop("as_json")
        ctx = tool_context(kwargs.pop("site"), kwargs.pop("now"))
        try:
            args = spec.input_model.model_validate(
                {k: v for k, v in kwargs.items() if v is not None}
            )
        except pydantic.ValidationError as exc:
            problems = "; ".join(
                f"--{'.'.join(map(str, e['loc'])).replace('_', '-')}: {e['msg']}"
                for e in exc.errors()
            )
            raise BadArguments(problems) from None
        result = spec(ctx, args)
        if as_json:
            print_json(result.to_json())
        else:
            render(result)

    extra = [
        inspect.Parameter(
            "site", inspect.Parameter.KEYWORD_ONLY, annotation=SiteOption, default=None
        ),
        inspect.Parameter(
            "now",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[
                str | None, typer.Option(help="Pretend it is this time (ISO 8601).")
            ],
            default=None,
        ),
        inspect.Parameter(
            "as_json", inspect.Parameter.KEYWORD_ONLY, annotation=JsonFlag, default=False
        ),
    ]
    command.__signature__ = inspect.Signature(_parameters(spec.input_model) + extra)  # type: ignore[attr-defined]
    command.__doc__ = spec.description
    return friendly_errors(command)


def _load(name: str, text: str, short: str) -> click.Command:
    """The real command of one tool, built from its declaration in the registry."""
    from tools.registry import all_tools

    spec = all_tools()[name.replace("-", "_")]
    single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    single.command(name, help=text, short_help=short)(_command(spec))
    return typer.main.get_command(single)


def register() -> None:
    """One command per tool, listed from the tools' declarations (without importing them)."""
    from tools.registry import declared_tools

    for name, description in sorted(declared_tools().items()):
        text = " ".join(description.split())
        short = text.split(". ")[0].rstrip(".") + "."
        command = name.replace("_", "-")
        LAZY_COMMANDS[command] = LazyCommand(
            text, short, functools.partial(_load, command, text, short)
        )


register()


@app.command("baseline")
@friendly_errors
def baseline(
    meter: Annotated[str, typer.Option(help="Meter name or alias.")],
    baseline_period: Annotated[
        str, typer.Option("--baseline", help="START:END dates, or a period such as 2025.")
    ],
    reporting: Annotated[str | None, typer.Option(help="START:END dates, or a period.")] = None,
    drivers: Annotated[
        list[str] | None, typer.Option("--drivers", help="temperature, production, workday")
    ] = None,
    model: Annotated[str, typer.Option(help="auto, mlr, 3p_heating, 3p_cooling, 4p, 5p")] = "auto",
    method: Annotated[
        str, typer.Option(help="auto, regression, caltrack_daily or caltrack_billing")
    ] = "auto",
    accept_disqualified: Annotated[
        bool, typer.Option(help="Fit CalTRACK even where its data rules disqualify the data.")
    ] = False,
    site: SiteOption = None,
    now: Annotated[str | None, typer.Option(help="Pretend it is this time (ISO 8601).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Fit an energy baseline (ISO 50001 regression, or CalTRACK daily or billing) and compare
    a reporting period (ASHRAE 14 statistics)."""

    def span(text: str) -> str:
        parts = text.split(":")
        return f"{parts[0]}..{parts[1]}" if len(parts) == 2 and "T" not in text else text

    payload: dict[str, Any] = {"meter": meter, "baseline": span(baseline_period), "model": model}
    payload |= {"method": method, "accept_disqualified": accept_disqualified}
    if reporting:
        payload["reporting"] = span(reporting)
    if drivers:
        payload["drivers"] = [d for item in drivers for d in item.split(",") if d]
    from pydantic import ValidationError

    from tools.registry import all_tools

    try:
        result = all_tools()["energy_baseline"](tool_context(site, now), payload)
    except ValidationError as exc:
        raise BadArguments("; ".join(e["msg"] for e in exc.errors())) from None
    print_json(result.to_json()) if as_json else render(result)


@app.command("evaluate-alerts")
@friendly_errors
def evaluate_alerts(
    since: Annotated[
        str, typer.Option(help="Evaluate windows from this period, e.g. 'today'.")
    ] = "today",
    site: SiteOption = None,
    now: Annotated[str | None, typer.Option(help="Pretend it is this time (ISO 8601).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Evaluate every enabled alert rule on the data of a period (what the watcher runs)."""
    from tools.alerts import evaluate_rules
    from tools.resolve import period

    ctx = tool_context(site, now)
    span = period(ctx, since)
    alerts = evaluate_rules(ctx, span.start_ts, min(span.end_ts, int(ctx.now.timestamp())))
    if as_json:
        print_json({"alerts": [a.to_json() for a in alerts]})
        return
    out.print(f"{len(alerts)} alert(s) opened or changed")
    for a in alerts:
        out.print(f"#{a.id} {a.rule}: {a.state}, peak {a.peak_value:g} {a.unit}, since {a.start}")
