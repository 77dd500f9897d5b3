"""Conversation commands: ask one question, or chat in the terminal with history."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from common.errors import EMSError
from ems_agent.app import build_agent
from ems_agent.cli import JsonFlag, SiteOption, app, context, err, friendly_errors, out, print_json

if TYPE_CHECKING:
    from agent.loop import Reply
    from agent.models import Backend
    from ems_agent.settings import Settings
    from evals.roles import RoleFile
    from evals.runner import SetResult
    from evals.scorer import CaseScore

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
    where = agent.site.name if agent.site is not None else "no site chosen"
    err.print(
        f"[bold]{where}[/] · model {agent.backend.name} · ask about your meters; Ctrl-D to leave",
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
    """The agent eval's answer correctness fell below the required floor, or it stated more
    wrong numbers than allowed."""


@dataclass
class _Failures:
    """Failed cases as they come, printed when --verbose."""

    verbose: bool
    failed: list[CaseScore] = field(default_factory=list)

    def __call__(self, score: CaseScore) -> None:
        if score.passed and not score.wrong_numbers:
            return
        self.failed.append(score)
        if self.verbose:
            notes = [*score.notes, *(f"wrong number {n}" for n in score.wrong_numbers)]
            err.print(f"[red]FAIL[/] {score.case_id}: {'; '.join(notes)}", highlight=False)
            err.print(f"     {score.answer[:300]!r}", highlight=False)


def _set_names(sets: str) -> tuple[str, ...]:
    from evals import runner

    names = tuple(n.strip() for n in sets.split(",") if n.strip())
    unknown = [n for n in names if n not in runner.SETS and not runner.set_source(n).is_file()]
    if unknown or not names:
        raise BadOption(
            f"--sets: no set named {', '.join(unknown) or '(none)'}; use "
            f"{', '.join(runner.SETS)} or the path of a set's YAML file"
        )
    return names


def _plant_roles(plant: Path, roles: Path | None) -> RoleFile:
    """The plant's role file (given, or found beside the plant file or in evals/plants),
    checked against the site the plant file declares."""
    from evals.plant_data import plant_site
    from evals.roles import RoleError, load_roles, roles_for

    path = roles or roles_for(plant)
    if path is None:
        raise RoleError(
            f"no role file for {plant.name}: write {plant.with_name(plant.stem + '.roles.yaml')} "
            "(see evals/plants/demo.roles.yaml) or pass --roles FILE"
        )
    found = load_roles(path)
    site, _ = plant_site(plant)
    if found.site != site:
        raise RoleError(f"{path}: its site is {found.site!r}, but {plant.name} declares {site!r}")
    return found


def _eval_store(settings: Settings, plant: Path | None, data: Path | None, show: bool) -> Path:
    from ems_agent.cli import progress_bar, progress_callback
    from evals import runner
    from evals.plant_data import plant_store

    with progress_bar(show) as bar:
        if plant is None:
            return runner.eval_store(settings.home / "evals", progress_callback(bar))
        return plant_store(plant, settings.home / "evals" / "plants", data, progress_callback(bar))


def _demo_figures(
    backend: Backend, names: tuple[str, ...], results_md: Path, now: bool, settings: Settings
) -> dict[str, dict[str, Any]] | None:
    """The demo's figures to set a plant's beside: run now, or as last recorded."""
    import tempfile

    from evals import report, runner

    if not now:
        return report.recorded(report.figures_path(results_md), backend.name)
    store = _eval_store(settings, None, None, False)
    with tempfile.TemporaryDirectory() as work:
        results = runner.run(backend, store, Path(work), names)
    return {r.name: report.figures(r) for r in results}


def _command(
    backend: Backend, names: tuple[str, ...], plant: Path | None, data: Path | None
) -> str:
    words = ["ems-agent eval", f"--model {backend.name}", f"--sets {','.join(names)}"]
    if plant is not None:
        words.append(f"--plant {plant}")
    if data is not None:
        words.append(f"--data {data}")
    return " ".join([*words, "--write"])


def _check_gates(
    results: list[SetResult], min_correct: float | None, max_wrong: int | None
) -> None:
    problems = []
    if min_correct is not None:
        low = [r for r in results if (r.summary.overall.answer or 0) < min_correct]
        problems += [
            f"{r.name}: {100 * (r.summary.overall.answer or 0):.1f}% answer correctness, below "
            f"the floor of {100 * min_correct:.0f}%"
            for r in low
        ]
    if max_wrong is not None:
        problems += [
            f"{r.name}: {r.summary.overall.wrong_numbers} wrong numbers, more than {max_wrong}"
            for r in results
            if r.summary.overall.wrong_numbers > max_wrong
        ]
    if problems:
        raise EvalBelowFloor("; ".join(problems))


SetsOption = Annotated[
    str,
    typer.Option(
        "--sets", help="Question sets, comma-separated: dev, tuning, heldout, or YAML files."
    ),
]
PlantOption = Annotated[
    Path | None,
    typer.Option("--plant", help="Ask the sets on this plant file's plant, not the demo."),
]
RolesOption = Annotated[
    Path | None,
    typer.Option(help="The plant's role file (default: NAME.roles.yaml beside the plant)."),
]
DataOption = Annotated[
    Path | None, typer.Option(help="The plant's readings (CSV/Excel) instead of synthetic history.")
]
WithDemoOption = Annotated[
    bool, typer.Option(help="Run the demo now to compare (else its recorded figures).")
]
MinCorrectOption = Annotated[
    float | None,
    typer.Option(help="Fail (exit 1) when a set's answer correctness is below this (0..1)."),
]
MaxWrongOption = Annotated[
    int | None, typer.Option(help="Fail (exit 1) when a set states more wrong numbers.")
]
WriteFlag = Annotated[
    bool, typer.Option("--write", help="Write the figures into evals/RESULTS.md.")
]


@app.command("eval")
@friendly_errors
def eval_(
    model: ModelOption = None,
    sets: SetsOption = "dev,tuning,heldout",
    plant: PlantOption = None,
    roles: RolesOption = None,
    data: DataOption = None,
    with_demo: WithDemoOption = False,
    min_correct: MinCorrectOption = None,
    max_wrong: MaxWrongOption = None,
    write: WriteFlag = False,
    results_file: Annotated[Path | None, typer.Option(hidden=True)] = None,
    verbose: Annotated[bool, typer.Option("--verbose", help="Print every failed case.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Ask the eval question sets of the agent on the demo plant (or another plant's file, its
    role file resolving the sets' roles) and score the answers."""
    import tempfile

    from agent.models import make_backend
    from ems_agent.slices import llm_settings
    from evals import report, runner
    from evals.roles import DEMO_ROLES, load_roles

    settings = context().settings
    names = _set_names(sets)
    if plant is None and (roles or data):
        raise BadOption("--roles and --data describe another plant; give its --plant FILE too")
    plant_roles = load_roles(DEMO_ROLES) if plant is None else _plant_roles(plant, roles)
    backend = make_backend(llm_settings(settings), model)
    store = _eval_store(settings, plant, data, not as_json)
    failures = _Failures(verbose)
    with tempfile.TemporaryDirectory() as work:
        results = runner.run(backend, store, Path(work), names, failures, roles=plant_roles)
    results_md = results_file or report.RESULTS_MD
    demo = None if plant is None else _demo_figures(backend, names, results_md, with_demo, settings)
    if write:
        _write(backend.name, results, results_md, demo, _command(backend, names, plant, data))
    _show_results(backend.name, results, demo, plant is not None, as_json)
    _check_gates(results, min_correct, max_wrong)


def _write(
    model: str,
    results: list[SetResult],
    results_md: Path,
    demo: dict[str, dict[str, Any]] | None,
    command: str,
) -> None:
    import platform

    from evals import report

    machine = f"{platform.machine()}, {os.cpu_count()} cores"
    section = report.results_markdown(model, results, machine, command, demo)
    site = results[0].plant if results else report.DEMO_SITE
    report.write_results(results_md, model, section, site)
    report.record(report.figures_path(results_md), model, results)


def _show_results(
    model: str,
    results: list[SetResult],
    demo: dict[str, dict[str, Any]] | None,
    versus_demo: bool,
    as_json: bool,
) -> None:
    from evals import report

    diffs = report.differences(results, demo)
    if as_json:
        body: dict[str, Any] = {
            r.name: {
                "overall": r.summary.overall,
                "categories": r.summary.categories,
                "skipped": r.skipped,
            }
            for r in results
        }
        body |= {"model": model, "plant": results[0].plant if results else None}
        if versus_demo:
            body["versus_demo"] = {d.name: {"plant": d.plant, "demo": d.demo} for d in diffs}
        print_json(body)
        return
    for r in results:
        out.print(f"[bold]{r.name}[/] on {r.plant}", highlight=False)
        out.print(r.summary.to_markdown(), markup=False, highlight=False)
        for s in r.skipped:
            out.print(f"skipped {s.case_id}: {s.reason}", markup=False, highlight=False)
    if versus_demo:
        site = results[0].plant if results else ""
        for d in diffs:
            out.print(d.line(site), markup=False, highlight=False)
