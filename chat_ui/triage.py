"""The Incidents tab's triage list: incidents filtered by state, severity, meter and period,
a page at a time with the total, as compact rows that expand on click into the summary and one
timeline of the watcher's findings and people's notes. Read through the incident tools."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markdown_it import MarkdownIt

from chat_ui.panels import run_tool
from common.errors import EMSError
from tools.base import ToolContext

PAGE_SIZE = 20
# Summaries and titles come from the watcher (maybe a language model): their raw HTML is escaped.
MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")
ACTION_WORDS = {
    "opened": "opened",
    "reassessed": "re-assessed",
    "quiet": "noted a quiet spell",
    "acknowledged": "acknowledged",
    "noted": "added a note",
    "resolved": "resolved",
}
FIELD_WORDS = {
    "start": "start",
    "end": "end",
    "severity": "severity",
    "extra_kwh": "extra kWh",
    "cost": "cost",
    "co2_kg": "kg CO2e",
}


@dataclass(frozen=True)
class Filters:
    """What the triage list shows; `page` counts from 0."""

    state: str = "active"
    severity: tuple[str, ...] = ()
    meter: str | None = None
    period: str | None = None
    page: int = 0

    def args(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "severity": list(self.severity),
            "meter": self.meter or None,
            "period": (self.period or "").strip() or None,
            "limit": PAGE_SIZE,
            "offset": self.page * PAGE_SIZE,
        }


@dataclass(frozen=True)
class Listing:
    incidents: list[dict[str, Any]]
    total: int
    offset: int

    def position(self) -> str:
        """'Showing 21-40 of 81 incidents' (or that none match)."""
        if not self.total:
            return "No incidents match these filters."
        last = self.offset + len(self.incidents)
        return f"Showing {self.offset + 1} to {last} of {self.total} incidents"


def listing(ctx: ToolContext, filters: Filters) -> Listing:
    """One page of incidents (raises the tool's error for bad filters, e.g. an unknown meter)."""
    found = run_tool(ctx, "list_incidents", filters.args())
    return Listing(found["incidents"], int(found["total"]), int(found["offset"]))


class NoteNeeded(EMSError):
    """Resolving an incident, or adding a note, without saying anything."""


def act(ctx: ToolContext, incident_id: int, action: str, note: str | None) -> dict[str, Any]:
    """Acknowledge, note or resolve an incident as the person logged in (the tool checks the
    role)."""
    said = (note or "").strip()
    if action == "resolve" and not said:
        raise NoteNeeded("say what was found or done before resolving, e.g. 'leak fixed'")
    if action == "note" and not said:
        raise NoteNeeded("write the note first")
    return run_tool(
        ctx, "update_incident", {"incident_id": incident_id, "action": action, "note": said or None}
    )


def done_markdown(done: dict[str, Any], action: str = "") -> str:
    """What an Acknowledge, Add note or Resolve did, in one Markdown sentence."""
    if action == "note":
        return (
            f"Note added to incident **#{done['id']} {done['title']}** (still **{done['state']}**)."
        )
    resolved = done["state"] == "resolved"
    by = done.get("resolved_by" if resolved else "acknowledged_by")
    said = f": {done['resolution']}" if resolved and done.get("resolution") else ""
    return (
        f"Incident **#{done['id']} {done['title']}** is now **{done['state']}**"
        + (f" by {by}" if by else "")
        + f"{said}."
    )


def _when(iso: str | None, with_year: bool = False) -> str:
    if not iso:
        return "ongoing"
    try:
        return (
            f"{datetime.fromisoformat(iso):{'%-d %b %Y %H:%M' if with_year else '%a %-d %b %H:%M'}}"
        )
    except ValueError:
        return iso


def _figure(value: Any, unit: str, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f} {unit}".strip()


def _value(field: str, value: Any, currency: str) -> str:
    if field in ("start", "end"):
        return _when(value)
    if field == "cost" and value is not None:
        return _figure(value, currency)
    if isinstance(value, float):
        return _figure(value, "", 1)
    return "—" if value is None else html.escape(str(value))


def timeline_html(incident: dict[str, Any]) -> str:
    """The incident's timeline, oldest first: who did or found what, and what changed."""
    currency = incident.get("currency", "")
    items = []
    for entry in incident.get("timeline", []):
        who = "the watcher" if entry["by"] == "watcher" else entry["by"]
        what = ACTION_WORDS.get(entry["action"], entry["action"])
        changes = [
            f"{FIELD_WORDS.get(k, k)} {_value(k, old, currency)} → {_value(k, new, currency)}"
            for k, (old, new) in entry.get("changes", {}).items()
            if entry["action"] == "reassessed"
        ]
        note = f": {html.escape(entry['note'])}" if entry.get("note") else ""
        detail = f"<div class='changes'>{'; '.join(changes)}</div>" if changes else ""
        kind = f"tl-{html.escape(entry['action'])}" + (
            "" if entry["by"] == "watcher" else " person"
        )
        items.append(
            f"<li class='{kind}'><time>{_when(entry['at'], True)}</time> "
            f"<b>{html.escape(who)}</b> {what}{note}{detail}</li>"
        )
    if not items:
        return ""
    return f"<h4>Timeline</h4><ol class='timeline'>{''.join(items)}</ol>"


def _row(i: dict[str, Any]) -> str:
    """The compact line of an incident: severity, meter, since, kWh, cost, state."""
    sev = html.escape(str(i.get("severity", "info")))
    state = html.escape(str(i["state"]))
    who = f" by {html.escape(i['acknowledged_by'])}" if i.get("acknowledged_by") else ""
    return (
        f"<span class='sev sev-{sev}'>{sev}</span>"
        f"<span class='meter'>{html.escape(i.get('meter') or 'site')}</span>"
        f"<span class='since'>{_when(i.get('start'))}</span>"
        f"<span class='num kwh'>{_figure(i.get('extra_kwh'), 'kWh')}</span>"
        f"<span class='num cost'>{_figure(i.get('cost'), i.get('currency', ''))}</span>"
        f"<span class='state state-{state}'>{state}{who}</span>"
        f"<span class='title'>#{int(i['id'])} {html.escape(str(i['title']))}</span>"
    )


def _body(i: dict[str, Any]) -> str:
    parts = [
        f"<p class='period'>{_when(i.get('start'), True)} to {_when(i.get('end'), True)}"
        + (f" · {_figure(i.get('co2_kg'), 'kg CO2e')}" if i.get("co2_kg") is not None else "")
        + "</p>"
    ]
    summary = i.get("summary") or ""
    if summary:
        parts.append(MARKDOWN.render(summary))
    if i.get("citations") and "**Sources**" not in summary:
        parts.append("<p>Sources: " + html.escape("; ".join(i["citations"])) + "</p>")
    parts.append(timeline_html(i))
    if i.get("resolution"):
        by = f" by {html.escape(i['resolved_by'])}" if i.get("resolved_by") else ""
        parts.append(f"<p><strong>Resolved{by}:</strong> {html.escape(i['resolution'])}</p>")
    return "".join(parts)


def listing_html(found: Listing | str, opened: int | None = None) -> str:
    """The list as collapsed rows (the one with id `opened` expanded), or why there is none."""
    if isinstance(found, str):
        return f'<p class="panel-note">Incidents are not available: {html.escape(found)}</p>'
    if not found.incidents:
        return f'<p class="panel-note">{found.position()}</p>'
    rows = "".join(
        f'<details class="incident sev-{html.escape(str(i.get("severity", "info")))} '
        f'state-{html.escape(str(i["state"]))}" data-incident="{int(i["id"])}"'
        f"{' open' if opened == i['id'] else ''}><summary>{_row(i)}</summary>"
        f"<div class='incident-body'>{_body(i)}</div></details>"
        for i in found.incidents
    )
    return f"<div class='triage-list'>{rows}</div>"
