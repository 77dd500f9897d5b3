"""Watcher and incident commands: `watch` runs the watcher, `incidents` lists, shows,
acknowledges and resolves what it found."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from common.errors import EMSError
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
from ems_agent.context import TurnContexts, parse_time

if TYPE_CHECKING:
    from agent.watcher import Watcher, WatchReport
    from ems_agent.app import App
    from knowledge.store import KnowledgeStore
    from tools.base import ToolContext
    from tools.incidents import IncidentOut

log = logging.getLogger(__name__)

incidents = typer.Typer(
    help="Incidents the watcher opened: list, show, acknowledge, resolve.", no_args_is_help=True
)
app.add_typer(incidents, name="incidents")

IdArgument = Annotated[int, typer.Argument(help="Incident id, as `incidents list` shows it.")]
RoleOption = Annotated[
    str, typer.Option("--role", help="Your role: viewer, operator (default) or admin.")
]
UserOption = Annotated[str, typer.Option("--user", help="Your name, kept with the note.")]
NowOption = Annotated[
    str | None, typer.Option("--now", help="Pretend it is this ISO time (site time zone if naive).")
]


class BadOption(EMSError):
    """A command-line option with a value that cannot be used."""


def _contexts(site: str | None, now: str | None = None) -> tuple[App, TurnContexts]:
    """The installation and its turn contexts (the knowledge store opens only when used)."""
    ems = context()
    return ems, ems.contexts(site, now)


def _context(
    site: str | None, *, user: str = "cli", role: str = "operator", now: str | None = None
) -> ToolContext:
    """The tools' context of one incident command."""
    if role not in ("viewer", "operator", "admin"):
        raise BadOption(f"--role {role!r}: use viewer, operator or admin")
    contexts = _contexts(site, now)[1]
    return contexts(user=user, role=role)


def _knowledge(ems: App) -> KnowledgeStore | None:
    """The knowledge store, or None (with a warning) when it cannot be opened."""
    try:
        return ems.knowledge
    except EMSError as exc:
        err.print(f"[yellow]warning:[/] knowledge store unavailable: {exc}", highlight=False)
        return None


def _figure(value: float | None, unit: str) -> str:
    return "" if value is None else f"{value:,.1f} {unit}"


def _short(iso: str | None) -> str:
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M") if iso else ""


def _show_list(items: list[IncidentOut]) -> None:
    if not items:
        out.print("no incidents")
        return
    table = make_table(
        "id", "state", "severity", "meter", "kind", "start", "end", "extra kWh", "cost", "CO2 kg"
    )
    for i in items:
        table.add_row(
            str(i.id),
            i.state,
            i.severity,
            i.meter or "",
            i.kind,
            _short(i.start),
            _short(i.end),
            _figure(i.extra_kwh, ""),
            _figure(i.cost, i.currency),
            _figure(i.co2_kg, ""),
        )
    out.print(table)


def _show_one(incident: IncidentOut) -> None:
    if not incident.summary:  # a summary starts with the title
        out.print(f"[bold]#{incident.id} {incident.title}[/]", highlight=False)
    out.print(
        f"#{incident.id} · {incident.state} · {incident.severity} · {_short(incident.start)} to "
        f"{_short(incident.end) or 'now'}",
        highlight=False,
    )
    if incident.summary:
        from rich.markdown import Markdown

        out.print(Markdown(incident.summary))
    for note in incident.notes:
        out.print(f"{note.at} {note.by} {note.action}: {note.note or ''}", highlight=False)
    for problem in incident.problems:
        err.print(f"[yellow]problem:[/] {problem}", highlight=False)


@incidents.command("list")
@friendly_errors
def list_command(
    state: Annotated[
        str, typer.Option("--state", help="active, open, acknowledged, resolved or all.")
    ] = "active",
    meter: Annotated[str | None, typer.Option("--meter", help="Only this meter.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many, newest first.")] = 20,
    site: SiteOption = None,
    as_json: JsonFlag = False,
) -> None:
    """List incidents, newest first."""
    if state not in ("active", "open", "acknowledged", "resolved", "all"):
        raise BadOption(f"--state {state!r}: use active, open, acknowledged, resolved or all")
    if not 1 <= limit <= 200:
        raise BadOption(f"--limit {limit}: use a number from 1 to 200")
    from tools.incidents import list_incidents

    ctx = _context(site)
    found = list_incidents(ctx, {"state": state, "meter": meter, "limit": limit})
    if as_json:
        print_json(found.to_json())
    else:
        _show_list(found.incidents)


@incidents.command("show")
@friendly_errors
def show_command(
    incident_id: IdArgument, site: SiteOption = None, as_json: JsonFlag = False
) -> None:
    """Show one incident with its summary, citations and notes."""
    from tools.incidents import get_incident

    ctx = _context(site)
    incident = get_incident(ctx, {"incident_id": incident_id})
    print_json(incident.to_json()) if as_json else _show_one(incident)


def _update(
    incident_id: int, action: str, note: str | None, site: str | None, user: str, role: str
) -> IncidentOut:
    from tools.incidents import update_incident

    ctx = _context(site, user=user, role=role)
    return update_incident(ctx, {"incident_id": incident_id, "action": action, "note": note})


@incidents.command("ack")
@friendly_errors
def ack_command(
    incident_id: IdArgument,
    note: Annotated[str | None, typer.Option("--note", help="What you are doing about it.")] = None,
    user: UserOption = "cli",
    role: RoleOption = "operator",
    site: SiteOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Acknowledge an incident (someone is on it)."""
    done = _update(incident_id, "acknowledge", note, site, user, role)
    print_json(done.to_json()) if as_json else out.print(f"#{done.id} acknowledged by {user}")


@incidents.command("resolve")
@friendly_errors
def resolve_command(
    incident_id: IdArgument,
    note: Annotated[
        str | None, typer.Option("--note", help="What was found or done (required).")
    ] = None,
    user: UserOption = "cli",
    role: RoleOption = "operator",
    site: SiteOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Resolve an incident with a note of what was found or done."""
    done = _update(incident_id, "resolve", note, site, user, role)
    print_json(done.to_json()) if as_json else out.print(f"#{done.id} resolved: {done.resolution}")


# ------------------------------------------------------------------ watch


def start_watcher(ems: App, contexts: TurnContexts, *, progress: bool = True) -> Watcher:
    """The watcher over this installation, once its starter library is indexed (runbooks for
    the summaries; unchanged files are recognised and skipped)."""
    from ems_agent.app import build_watcher
    from ems_agent.cli import progress_bar, progress_callback

    knowledge = _knowledge(ems)
    if knowledge is not None:
        try:
            with progress_bar(progress) as bar:
                knowledge.ensure_starter_library(progress=progress_callback(bar))
        except Exception as exc:  # the watcher runs without runbooks rather than not at all
            err.print(f"[yellow]warning:[/] starter library not indexed: {exc}", highlight=False)
    return build_watcher(ems, contexts, knowledge)


def _catch_up(
    watcher: Watcher, contexts: TurnContexts, since: str, as_json: bool
) -> list[dict[str, Any]]:
    """Watch history week by week from `since` up to the clock's now, with a progress bar."""
    from ems_agent.cli import progress_bar, progress_callback

    start = contexts.localise(parse_time(since, "--since"))
    with progress_bar(True) as bar:
        reports = watcher.catch_up(start, watcher.now(), progress=progress_callback(bar))
    if not as_json:
        opened = sum(len(r.opened) for r in reports)
        err.print(f"caught up from {start:%Y-%m-%d}: {len(reports)} run(s), {opened} opened")
    return [r.to_json() for r in reports]


def _line(report: WatchReport) -> str:
    problems = f", {len(report.problems)} problem(s)" if report.problems else ""
    return (
        f"{report.now[:16]} checked from {report.window['start'][:16]}: {report.events} event(s), "
        f"{report.alerts} alert(s); opened {len(report.opened)}, updated {len(report.updated)}, "
        f"resolved {len(report.resolved)}; {len(report.notices)} notice(s){problems} "
        f"({report.seconds:.1f} s)"
    )


def _print_report(report: WatchReport) -> None:
    out.print(_line(report), highlight=False)
    for problem in report.problems:
        err.print(f"[yellow]problem:[/] {problem}", highlight=False)


@app.command()
@friendly_errors
def watch(
    once: Annotated[bool, typer.Option("--once", help="Run once and exit.")] = False,
    interval: Annotated[
        float | None,
        typer.Option("--interval", help="Seconds between runs (default EMS_WATCH_INTERVAL_S)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="First catch up on history from this date (e.g. 2026-01-01), week by week."
        ),
    ] = None,
    site: SiteOption = None,
    now: NowOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Watch the meters: anomaly detection and alert rules on new data, incidents opened,
    summarised and notified; every EMS_WATCH_INTERVAL_S seconds until Ctrl-C, or --once."""
    if interval is not None and interval <= 0:
        raise BadOption(f"--interval {interval:g}: use a number of seconds above 0")
    if now and not once:
        raise BadOption("--now only goes with --once (a schedule runs on the real clock)")
    ems, contexts = _contexts(site, now)
    contexts = contexts.pinned()  # a watcher watches one site
    watcher = start_watcher(ems, contexts)
    caught_up = _catch_up(watcher, contexts, since, as_json) if since else []
    if once:
        report = watcher.run_once()
        if as_json:
            print_json({**report.to_json(), "caught_up": caught_up} if since else report.to_json())
        else:
            _print_report(report)
        return
    reports: list[dict[str, Any]] = []

    def on_report(report: WatchReport) -> None:
        reports.append(report.to_json())
        if not as_json:
            _print_report(report)

    seconds = interval or ems.settings.watch_interval_s
    stop = wait_for_stop()
    scheduler = watcher.schedule(seconds, on_report)
    err.print(f"watching {watcher.site.name} every {seconds:g} s; Ctrl-C stops", highlight=False)
    try:
        stop.wait()
        err.print("stopping ...")
    finally:
        scheduler.shutdown(wait=True)
    if as_json:
        print_json({"site": watcher.site.name, "interval_s": seconds, "runs": reports})
