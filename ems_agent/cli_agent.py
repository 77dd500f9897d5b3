"""Conversation commands: ask one question, or chat in the terminal with history."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from common.errors import EMSError
from ems_agent.app import build_agent
from ems_agent.cli import JsonFlag, SiteOption, app, context, err, friendly_errors, out, print_json

if TYPE_CHECKING:
    from agent.loop import Reply

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


def _check_role(role: str) -> str:
    if role not in ("viewer", "operator", "admin"):
        raise BadOption(f"--role {role!r}: use viewer, operator or admin")
    return role


def _show(reply: Reply) -> None:
    from rich.markdown import Markdown

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
    role: Annotated[
        str | None,
        typer.Option(
            "--role", help="Role of the person asking: viewer, operator (default), admin."
        ),
    ] = None,
    local: Annotated[
        bool,
        typer.Option("--local", help="Answer in this process even when EMS_REMOTE_URL is set."),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Ask the agent one question; --thread continues a conversation. With EMS_REMOTE_URL set,
    a running EMS API answers (no start-up cost per question)."""
    ems = context()
    remote = None if local else ems.settings.remote_url
    if remote:
        _ask_remote(
            remote, question, thread, model=model, site=site, now=now, role=role, as_json=as_json
        )
        return
    contexts = ems.contexts(site, now)
    agent = build_agent(ems, model=model, role=_check_role(role or "operator"), contexts=contexts)
    reply = agent.ask(question, thread=thread)
    if as_json:
        print_json(reply.to_json())
    else:
        _show(reply)


def _ask_remote(
    url: str, question: str, thread: str | None, *, as_json: bool, **local_only: str | None
) -> None:
    from ems_agent.cli_remote import ask_remote
    from ems_agent.settings import require_secret

    given = [f"--{name}" for name, value in local_only.items() if value is not None]
    if given:
        raise BadOption(
            f"{', '.join(given)} cannot be sent to the EMS API at {url} (it answers with its own "
            "model, site, clock and the token's role); add --local to answer here"
        )
    token = require_secret("EMS_API_TOKEN", f"forwarding questions to {url} (EMS_REMOTE_URL)")
    reply = ask_remote(url, token, question, thread)
    if as_json:
        print_json(reply.to_json())
        return
    from rich.markdown import Markdown

    out.print(Markdown(reply.answer.replace("\n", "  \n")))
    names = ", ".join(reply.tool_names)
    err.print(
        f"[dim]{reply.model} at {url} · {names} · {reply.latency_ms:.0f} ms · "
        f"thread {reply.thread}[/]",
        highlight=False,
    )


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
    ems = context()
    contexts = ems.contexts(site, now)
    agent = build_agent(ems, model=model, role=_check_role(role), contexts=contexts)
    current = thread
    err.print(
        f"[bold]{agent.site.name}[/] · model {agent.backend.name} · "
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
            reply = agent.ask(question, thread=current)
        except EMSError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            continue
        current = reply.thread
        _show(reply)


class EvalBelowFloor(EMSError):
    """The agent eval's answer correctness fell below the required floor."""


@app.command("eval")
@friendly_errors
def eval_(
    model: ModelOption = None,
    sets: Annotated[
        str, typer.Option("--sets", help="Question sets, comma-separated: dev, tuning, heldout.")
    ] = "dev,tuning,heldout",
    min_correct: Annotated[
        float | None,
        typer.Option(help="Fail (exit 1) when a set's answer correctness is below this (0..1)."),
    ] = None,
    write: Annotated[
        bool, typer.Option("--write", help="Write the figures into evals/RESULTS.md.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Print every failed case.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Ask the eval question sets of the agent on the demo plant and score the answers."""
    import platform
    import tempfile
    from pathlib import Path

    from agent.models import make_backend
    from ems_agent.cli import progress_bar, progress_callback
    from ems_agent.slices import llm_settings
    from evals import runner
    from evals.scorer import CaseScore

    settings = context().settings
    names = tuple(n.strip() for n in sets.split(",") if n.strip())
    unknown = [n for n in names if n not in runner.SETS]
    if unknown:
        raise BadOption(f"--sets: no set named {', '.join(unknown)}; use {', '.join(runner.SETS)}")
    backend = make_backend(llm_settings(settings), model)
    with progress_bar(not as_json) as bar:
        store = runner.eval_store(settings.home / "evals", progress_callback(bar))
    failed = []

    def on_case(score: CaseScore) -> None:
        if not score.passed:
            failed.append(score)
            if verbose:
                err.print(
                    f"[red]FAIL[/] {score.case_id}: {'; '.join(score.notes)}", highlight=False
                )
                err.print(f"     {score.answer[:300]!r}", highlight=False)

    with tempfile.TemporaryDirectory() as work:
        results = runner.run(backend, store, Path(work), names, on_case)
    if write:
        machine = f"{platform.machine()}, {os.cpu_count()} cores"
        command = f"ems-agent eval --model {backend.name} --sets {','.join(names)} --write"
        section = runner.results_markdown(backend.name, results, machine, command)
        runner.write_results(Path(runner.__file__).parent / "RESULTS.md", backend.name, section)
    if as_json:
        print_json(
            {
                r.name: {"overall": r.summary.overall, "categories": r.summary.categories}
                for r in results
            }
            | {"model": backend.name}
        )
    else:
        for r in results:
            out.print(f"[bold]{r.name}[/]", highlight=False)
            out.print(r.summary.to_markdown(), markup=False, highlight=False)
    if min_correct is not None:
        low = [r for r in results if (r.summary.overall.answer or 0) < min_correct]
        if low:
            raise EvalBelowFloor(
                ", ".join(f"{r.name}: {100 * (r.summary.overall.answer or 0):.1f}%" for r in low)
                + f" answer correctness, below the floor of {100 * min_correct:.0f}%"
            )
