"""Renderers of the watcher's incidents: a listing one line each, one incident in full (what,
where, when, impact, the summary's first lines, people's notes), and a proposed change."""

from __future__ import annotations

import re
from typing import Any

from agent.render.base import Parts, Renderer, Row, describes, renders
from agent.render.text import money, number, period_text, rounded, when
from tools.incidents import IncidentList, IncidentOut, UpdateIncidentInput

SOURCE = "incidents table"
COLUMNS = ["id", "meter", "kind", "severity", "state", "title", "start", "end", "extra_kwh", "cost"]
STATE_WORDS = {
    "active": "open or acknowledged",
    "open": "open (unacknowledged)",
    "acknowledged": "acknowledged",
    "resolved": "resolved",
    "all": "",
}
BARE_HEADING = re.compile(r"\*\*[^*]+\*\*(?:\s*\([^)]*\))?:?")
MAX_LISTED = 20


def impact(i: IncidentOut) -> str:
    parts = []
    if i.extra_kwh is not None:
        side = "above" if i.extra_kwh >= 0 else "below"
        parts.append(f"{number(abs(i.extra_kwh), 'kWh')} {side} expected")
    if i.cost is not None:
        parts.append(money(i.cost, i.currency))
    if i.co2_kg is not None:
        parts.append(f"{number(i.co2_kg, 'kg')} CO2e")
    return ", ".join(parts) or "no energy impact (a data problem, not extra consumption)"


def span(i: IncidentOut) -> str:
    if not i.start:
        return "no start recorded"
    if not i.end:
        return f"since {when(i.start)}"
    return f"{when(i.start)} to {when(i.end)}"


def kind(i: IncidentOut) -> str:
    return i.kind.replace("_", " ")


def line(i: IncidentOut) -> str:
    """One incident on one line: id, title, meter, kind, severity, state, period, impact."""
    meter = f"**{i.meter}**" if i.meter else "the site"
    return (
        f"- #{i.id} {i.title}: {meter}, {kind(i)}, {i.severity}, **{i.state}**; {span(i)}; "
        f"{impact(i)}."
    )


def summary_lines(summary: str | None, limit: int = 2, chars: int = 400) -> list[str]:
    """The first lines of a Markdown summary, its heading (the title again) left out."""
    out: list[str] = []
    for raw in (summary or "").splitlines():
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        if BARE_HEADING.fullmatch(text):
            if out:
                break  # the next section of the summary
            continue
        out.append(text if len(text) <= chars else text[: chars - 3].rstrip() + "...")
        if len(out) >= limit:
            break
    return out


def detail(i: IncidentOut) -> list[str]:
    """One incident in full: what, where, when, impact, summary's start, people's notes."""
    meter = f"**{i.meter}**" if i.meter else "the whole site"
    lines = [
        f"Incident #{i.id}: {i.title}.",
        f"- Meter: {meter}; {kind(i)}, severity {i.severity}, state **{i.state}**.",
        f"- Period: {span(i)}.",
        f"- Impact: {impact(i)}.",
    ]
    if i.acknowledged_by:
        lines.append(f"- Acknowledged by {i.acknowledged_by}.")
    if i.state == "resolved":
        by = f" by {i.resolved_by}" if i.resolved_by else ""
        note = str(i.resolution or "no note").rstrip(". ")
        lines.append(f"- Resolved{by}: {note}.")
    summary = summary_lines(i.summary)
    if summary:
        lines.append("Summary (first lines):")
        lines += [f"> {s}" for s in summary]
    lines += [f"Note: {p}" for p in i.problems]
    return lines


def source_of(i: IncidentOut) -> str:
    cited = i.citations
    more = f"; its summary cites {'; '.join(cited[:3])}" if cited else ""
    return f"Source: {SOURCE}, incident #{i.id}{more}."


def _table(incidents: list[IncidentOut], out: Parts) -> None:
    rows: list[Row] = [[rounded(getattr(i, c)) for c in COLUMNS] for i in incidents]
    out.tables.append(("incidents", [c.replace("_", " ") for c in COLUMNS], rows))
    for i in incidents:
        out.citations.extend(i.citations)


@renders(IncidentOut)
class IncidentRenderer(Renderer[IncidentOut]):
    def answer(self, r: IncidentOut) -> list[str]:
        return [*detail(r), source_of(r)]

    def sources(self, r: IncidentOut) -> list[str]:
        return [f"{SOURCE}, incident #{r.id}"]

    def evidence(self, r: IncidentOut, out: Parts) -> None:
        _table([r], out)

    def done(self, r: IncidentOut) -> list[str]:
        """The answer after a change: what it is now, then the incident in full."""
        last = r.timeline[-1] if r.timeline else None
        if last is not None and last.action == "noted":
            head = f"Done: note added to incident #{r.id} (still **{r.state}**): {last.note}"
        elif r.state == "resolved":
            head = f"Done: incident #{r.id} is now **resolved**."
        else:
            who = f" by {r.acknowledged_by}" if r.acknowledged_by else ""
            head = f"Done: incident #{r.id} is now **{r.state}**{who}."
        return [head, *detail(r), source_of(r)]


@renders(IncidentList)
class IncidentListRenderer(Renderer[IncidentList]):
    def answer(self, r: IncidentList) -> list[str]:
        severities = " or ".join(r.severity)
        words = " ".join(w for w in (severities, STATE_WORDS.get(r.state, "")) if w)
        where = f" on {r.meter}" if r.meter else ""
        if r.period is not None:
            where += " " + period_text(r.period)
        source = f"Source: {r.source}."
        what = f"{words + ' ' if words else ''}incident(s){where}"
        if not r.incidents:
            if r.offset and r.total:
                return [f"Only {r.total} {what}: none from number {r.offset + 1} on.", source]
            return [f"No {words + ' ' if words else ''}incidents{where} on record.", source]
        count = len(r.incidents)
        if r.offset or r.total > count:
            # One page of a longer list: which ones these are, and how many match in all.
            head = f"{r.offset + 1} to {r.offset + count} of {r.total} {what}, newest first:"
        else:
            head = f"{count} {what}, newest first:"
        return [head, *(line(i) for i in r.incidents[:MAX_LISTED]), source]

    def subjects(self, r: IncidentList) -> list[str]:
        return list(dict.fromkeys(i.meter for i in r.incidents if i.meter))

    def evidence(self, r: IncidentList, out: Parts) -> None:
        _table(r.incidents, out)


@describes(UpdateIncidentInput)
def _incident_change(args: Any) -> str:
    if args.action == "note":
        return f"add the note {args.note!r} to incident #{args.incident_id}"
    note = f" with the note {args.note!r}" if args.note else ""
    return f"{args.action} incident #{args.incident_id}{note}"
