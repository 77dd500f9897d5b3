"""Incident tools: list the watcher's incidents, show one, acknowledge or resolve it with a note."""

from __future__ import annotations

import logging
from typing import Any, Literal, Protocol, runtime_checkable

import pandas as pd
from pydantic import Field, field_validator

from common.errors import EMSError
from store import incidents as store
from tools import resolve
from tools.alerts import NotAllowed
from tools.base import ToolContext, ToolInput, ToolResult, tool

log = logging.getLogger(__name__)

StateFilter = Literal["active", "open", "acknowledged", "resolved", "all"]
STATE_SETS: dict[str, tuple[str, ...]] = {
    "active": store.ACTIVE,
    "all": store.STATES,
    "open": ("open",),
    "acknowledged": ("acknowledged",),
    "resolved": ("resolved",),
}


class NoteRequired(EMSError):
    """Resolving an incident without saying what was found or done."""


@runtime_checkable
class IncidentIndex(Protocol):
    """What the incident tools need of the knowledge store: re-indexing an incident's text."""

    def index_incident(
        self, incident_id: int, title: str, text: str, metadata: dict[str, Any]
    ) -> None: ...


class IncidentNote(ToolResult):
    at: str
    by: str
    action: str
    note: str | None


class TimelineEntry(ToolResult):
    at: str = Field(description="when, in the site's time zone")
    by: str = Field(description="the person, or 'watcher'")
    action: str = Field(
        description="opened, reassessed, quiet (the watcher), acknowledged, noted, resolved"
    )
    note: str | None
    changes: dict[str, list[Any]] = Field(
        default_factory=dict,
        description="field (start, end, severity, extra_kwh, cost, co2_kg) -> [old, new]",
    )


class IncidentOut(ToolResult):
    id: int
    site: str
    meter: str | None
    kind: str = Field(description="consumption_high, demand_spike, meter_outage, alert_rule ...")
    severity: str = Field(description="info, warning or critical")
    state: str = Field(description="open, acknowledged or resolved")
    title: str
    start: str
    end: str | None = Field(description="end of the last anomalous interval seen")
    extra_kwh: float | None = Field(description="energy above expectation, kWh")
    cost: float | None = Field(description="cost of the extra energy, in `currency`")
    currency: str
    co2_kg: float | None = Field(description="kg CO2e of the extra energy")
    summary: str | None = Field(description="Markdown summary written by the watcher")
    resolution: str | None
    acknowledged_by: str | None
    citations: list[str]
    resolved_by: str | None = None
    notes: list[IncidentNote] = Field(
        default_factory=list, description="what people wrote: acknowledged, noted, resolved"
    )
    timeline: list[TimelineEntry] = Field(
        default_factory=list,
        description="the watcher's findings and people's actions, oldest first",
    )
    problems: list[str] = Field(
        default_factory=list, description="notices or indexing that failed for this incident"
    )


class IncidentList(ToolResult):
    incidents: list[IncidentOut]
    total: int = Field(description="how many incidents match the filters, listed or not")
    offset: int = 0
    source: str
    state: str = Field(default="active", description="the state filter used")
    meter: str | None = Field(default=None, description="the meter filter used")
    severity: list[str] = Field(
        default_factory=list, description="the severities filter used; empty for all"
    )
    period: dict[str, str] | None = Field(
        default=None, description="only incidents overlapping this period, when one was given"
    )


SOURCE = "incidents table (opened by the watcher from anomaly detection and alert rules)"


def _iso(ts: Any, tz: str) -> str | None:
    if ts is None:
        return None
    return pd.Timestamp(int(ts), unit="s", tz="UTC").tz_convert(tz).isoformat()


PERSON_ACTIONS = ("acknowledged", "noted", "resolved")
_FIELD_NAMES = {"start_ts": "start", "end_ts": "end"}


def _entry(entry: store.Entry, tz: str) -> TimelineEntry:
    changes = {
        _FIELD_NAMES.get(k, k): [_iso(v, tz) for v in old_new]
        if k in _FIELD_NAMES
        else list(old_new)
        for k, old_new in entry.changes.items()
    }
    at = pd.Timestamp(entry.at).tz_convert(tz).isoformat(timespec="seconds")
    return TimelineEntry(at=at, by=entry.by, action=entry.action, note=entry.note, changes=changes)


def incident_out(ctx: ToolContext, row: store.IncidentRow) -> IncidentOut:
    """The tool's view of a stored incident, times in the site's zone."""
    tz = ctx.site.timezone
    currency = row.currency or ctx.config.tariffs["electricity"].currency
    timeline = [_entry(e, tz) for e in row.history]
    return IncidentOut(
        id=row.id,
        site=ctx.site.name,
        meter=row.meter,
        kind=row.kind,
        severity=row.severity,
        state=row.state,
        title=row.title,
        start=_iso(row.start_ts, tz) or "",
        end=_iso(row.end_ts, tz),
        extra_kwh=row.extra_kwh,
        cost=row.cost,
        currency=currency,
        co2_kg=row.co2_kg,
        summary=row.summary,
        resolution=row.resolution,
        acknowledged_by=row.acknowledged_by,
        citations=list(row.details.get("citations", [])),
        resolved_by=row.resolved_by,
        notes=[
            IncidentNote(at=t.at, by=t.by, action=t.action, note=t.note)
            for t in timeline
            if t.action in PERSON_ACTIONS and t.by != store.WATCHER
        ],
        timeline=timeline,
        problems=list(row.details.get("problems", [])),
    )


class ListIncidentsInput(ToolInput):
    state: StateFilter = Field(
        default="active",
        description="'active' (open or acknowledged), 'open', 'acknowledged', 'resolved' or 'all'.",
    )
    meter: str | None = Field(default=None, description="Only incidents on this meter.")
    severity: list[Literal["info", "warning", "critical"]] = Field(
        default_factory=list, description="Only these severities; empty for all."
    )
    period: str | None = Field(
        default=None,
        description="Only incidents that overlap this period, e.g. 'last month' or '2026-09'.",
    )
    limit: int = Field(default=20, ge=1, le=200, description="At most this many, newest first.")
    offset: int = Field(default=0, ge=0, description="Skip this many first (for paging).")

    @field_validator("severity", mode="before")
    @classmethod
    def _one_severity(cls, value: Any) -> Any:
        # Models and the reader often name one severity ("critical"): a list of one.
        return [value] if isinstance(value, str) else value


@tool(ListIncidentsInput)
def list_incidents(ctx: ToolContext, args: ListIncidentsInput) -> IncidentList:
    """List the incidents the watcher opened (anomalies and alert episodes), newest first, with
    meter, period, severity, state, extra kWh, cost and CO2, and how many match in all. Use it
    for "any open incidents?", "what happened on this meter lately?", "critical incidents last
    month"."""
    meter = resolve.meter(ctx, args.meter) if args.meter else None
    span = resolve.period(ctx, args.period) if args.period else None
    wanted = store.IncidentFilter(
        states=STATE_SETS[args.state],
        meter_id=meter.id if meter else None,
        severities=tuple(args.severity),
        start_ts=span.start_ts if span else None,
        end_ts=span.end_ts if span else None,
    )
    with ctx.engine.connect() as conn:
        rows = store.list_incidents(
            conn, ctx.site.id, limit=args.limit, offset=args.offset, where=wanted
        )
        total = store.count_incidents(conn, ctx.site.id, wanted)
    return IncidentList(
        incidents=[incident_out(ctx, r) for r in rows],
        total=total,
        offset=args.offset,
        source=SOURCE,
        state=args.state,
        meter=meter.name if meter else None,
        severity=list(args.severity),
        period=span.as_dict() if span else None,
    )


class GetIncidentInput(ToolInput):
    incident_id: int = Field(description="Id of the incident, as list_incidents shows it.")


@tool(GetIncidentInput)
def get_incident(ctx: ToolContext, args: GetIncidentInput) -> IncidentOut:
    """Show one incident by id: what happened and since when, its impact (kWh, cost, CO2), the
    watcher's summary with likely causes and citations, and the notes people added."""
    with ctx.engine.connect() as conn:
        row = store.get_incident(conn, ctx.site.id, args.incident_id)
    return incident_out(ctx, row)


class UpdateIncidentInput(ToolInput):
    incident_id: int = Field(description="Id of the incident.")
    action: Literal["acknowledge", "resolve", "note"] = Field(
        description="'acknowledge', 'resolve', or 'note' (add a note, the state unchanged)."
    )
    note: str | None = Field(
        default=None, description="What was found or done; required to resolve or to note."
    )


@tool(UpdateIncidentInput, writes=True)
def update_incident(ctx: ToolContext, args: UpdateIncidentInput) -> IncidentOut:
    """Acknowledge an incident, add a note to it, or resolve it with a note of what was found or
    done (notes are kept in its timeline, so the next similar incident can cite them). Needs
    the operator role and the user's explicit confirmation."""
    if ctx.role not in ("operator", "admin"):
        raise NotAllowed(
            f"acknowledging or resolving incidents needs the operator role; {ctx.user} is a "
            f"{ctx.role}"
        )
    note = (args.note or "").strip() or None
    with ctx.engine.begin() as conn:
        store.get_incident(conn, ctx.site.id, args.incident_id)
        if args.action == "acknowledge":
            row = store.acknowledge(conn, ctx.site.id, args.incident_id, ctx.user, note)
        elif note is None:
            what = "resolving" if args.action == "resolve" else "adding a note to"
            raise NoteRequired(
                f"{what} incident #{args.incident_id} needs a note saying what was found or "
                "done, e.g. 'leak at the drain valve fixed'"
            )
        elif args.action == "note":
            row = store.add_note(conn, ctx.site.id, args.incident_id, ctx.user, note)
        else:
            row = store.resolve(conn, ctx.site.id, args.incident_id, ctx.user, note)
    out = incident_out(ctx, row)
    index = ctx.knowledge if isinstance(ctx.knowledge, IncidentIndex) else None
    problem = reindex(ctx, index, out)
    if problem:
        out.problems.append(problem)
    return out


def incident_document(out: IncidentOut) -> tuple[str, str, dict[str, Any]]:
    """Title, text and metadata an incident is indexed under, so "has this happened before?"
    finds it with what resolved it."""
    lines = [out.summary or out.title]
    lines += [f"{n.action} by {n.by}: {n.note}" for n in out.notes if n.note]
    if out.resolution:
        lines.append(f"Resolution: {out.resolution}")
    metadata = {
        "incident_id": out.id,
        "site": out.site,
        "meter": out.meter,
        "kind": out.kind,
        "severity": out.severity,
        "state": out.state,
        "start": out.start,
        "end": out.end,
        "resolution": out.resolution,
        "acknowledged_by": out.acknowledged_by,
    }
    # Chroma metadata holds scalars only, never None.
    return out.title, "\n\n".join(lines), {k: v for k, v in metadata.items() if v is not None}


def reindex(ctx: ToolContext, knowledge: IncidentIndex | None, out: IncidentOut) -> str | None:
    """Index the incident in the knowledge store; returns the problem in words if that failed.

    The incident itself is already stored, so a knowledge store that is down costs only the
    search entry, which the next change or watcher run writes again.
    """
    if knowledge is None:
        return None
    title, text, metadata = incident_document(out)
    try:
        knowledge.index_incident(out.id, title, text, metadata)
    except Exception as exc:  # any failure of the knowledge store, which is not ours to fix
        log.warning("indexing incident #%s failed", out.id, exc_info=True)
        problem = f"indexing in the knowledge store failed: {type(exc).__name__}: {exc}"
        with ctx.engine.begin() as conn:
            row = store.get_incident(conn, ctx.site.id, out.id)
            problems = [*row.details.get("problems", []), problem][-20:]
            store.change_incident(conn, out.id, details={**row.details, "problems": problems})
        return problem
    return None
