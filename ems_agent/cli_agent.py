"""Conversation commands: ask one question, or chat in the terminal with history."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markdown import Markdown

from ems_agent.app import build_agent
from ems_agent.cli import JsonFlag, SiteOption, app, context, err, friendly_errors, out, print_json
from store.errors import EMSError
from store.timeutil import zone

if TYPE_CHECKING:
    from agent.loop import Agent, Reply

ThreadOption = Annotated[
    str | None,
    typer.Option("--thread", help="Conversation to continue (follow-ups); a new one if omitted."),
]
ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="Model at EMS_LLM_BASE_URL (default EMS_LLM_MODEL); 'offline' for the built-in one.",
    ),
]
NowOption = Annotated[
    str | None, typer.Option("--now", help="Pretend it is this ISO time (site time zone if naive).")
]
RoleOption = Annotated[
    str, typer.Option("--role", help="Role of the person asking: viewer, operator or admin.")
]


class BadOption(EMSError):
    """A command-line option with a value that cannot be used."""


def _moment(agent: Agent, now: str | None) -> datetime | None:
    if not now:
        return None
    try:
        parsed = datetime.fromisoformat(now)
    except ValueError:
        raise BadOption(f"--now {now!r} is not an ISO time such as 2026-11-05T09:00") from None
    return (
        parsed if parsed.tzinfo else parsed.replace(tzinfo=zone(agent.base_context.site.timezone))
    )


def _check_role(role: str) -> str:
    if role not in ("viewer", "operator", "admin"):
        raise BadOption(f"--role {role!r}: use viewer, operator or admin")
    return role


def _show(reply: Reply) -> None:
    # Markdown joins single lines; the answers are written line by line.
    out.print(Markdown(reply.answer.replace("\n", "  \n")))
    if reply.tool_calls:
        names = ", ".join(c.name for c in reply.tool_calls)
        err.print(
            f"[dim]{reply.model} · {names} · {reply.latency_ms:.0f} ms · thread {reply.thread}[/]",
            highlight=False,
        )


@app.command()
@friendly_errors
def ask(
    question: Annotated[str, typer.Argument(help="The question, in plain language.")],
    thread: ThreadOption = None,
    model: ModelOption = None,
    site: SiteOption = None,
    now: NowOption = None,
    role: RoleOption = "operator",
    as_json: JsonFlag = False,
) -> None:
    """Ask the agent one question; --thread continues a conversation."""
    agent = build_agent(context(), model=model, site=site, role=_check_role(role))
    reply = agent.ask(question, thread=thread, now=_moment(agent, now))
    if as_json:
        print_json(reply.to_json())
    else:
        _show(reply)


@app.command()
@friendly_errors
def chat(
    thread: ThreadOption = None,
    model: ModelOption = None,
    site: SiteOption = None,
    now: NowOption = None,
    role: RoleOption = "operator",
) -> None:
    """Chat with the agent in the terminal; follow-ups remember the conversation. Ctrl-D ends."""
    agent = build_agent(context(), model=model, site=site, role=_check_role(role))
    current = thread
    moment = _moment(agent, now)
    err.print(
        f"[bold]{agent.base_context.site.name}[/] · model {agent.backend.name} · "
        "ask about your meters; Ctrl-D to leave",
        highlight=False,
    )
    while True:
        try:
            question = input("you> " if sys.stdin.isatty() else "").strip()
        except (EOFError, KeyboardInterrupt):
            err.print("")
            break
        if not question:
            continue
        try:
            reply = agent.ask(question, thread=current, now=moment)
        except EMSError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            continue
        current = reply.thread
        _show(reply)
