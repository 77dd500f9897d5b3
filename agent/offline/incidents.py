"""Questions about the watcher's incidents: recognising them (list, show one, acknowledge or
resolve one), the tool calls they make, and the answer written from the incident tools' results
(id, title, meter, state, period, impact and the summary's first lines, with the source)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agent.offline.compose import money, number, period_text, when

NUMBER = r"\s*(?:#|no\.?|number|nr\.?)?\s*(\d+)\b"
VERBS = r"(?:acknowledge|acknowledged|ack|resolve|resolved|close|closed|mark|take|taking)"
# Acknowledging or resolving one: "acknowledge incident 12", "resolve #4: replaced the seal".
ACTION = (
    rf"\b{VERBS}\b.{{0,40}}\bincident{NUMBER}|"
    rf"^\s*(?:please |can you |could you )?{VERBS}\b.{{0,40}}\bincidents?\b"
)
# One incident: by number, or "the compressor-2 incident", "that incident", "latest incident".
SHOW = (
    rf"\bincident{NUMBER}|#\d+\b.{{0,12}}\bincident\b|"
    r"\b(?:the|that|this|latest|last|newest|most recent|recent)\s+(?:[\w-]+\s+){0,3}"
    r"incident\b(?!s)"
)
# Several: "any open incidents?", "list resolved incidents last month".
LIST = r"\bincidents\b|\bincident (?:list|queue|board|report)s?\b|\bany (?:\w+ )?incident\b"
# "what's going on at the plant?": with no meter and no period, the incidents open right now.
STATUS = re.compile(
    r"^\s*(?:so,? |ok,? |hi,? |hey,? )?(?:what(?:'s| is)|anything) (?:going on|happening|up)\b"
    r"(?: (?:at|in|on|around) (?:the )?(?:plant|site|factory|building|facility|shop floor|"
    r"works)| here| right now| now)?\s*\??\s*$"
)
ACTION_RE = re.compile(ACTION)
RESOLVE = re.compile(r"\b(?:resolve|resolved|close|closed|fixed|done with)\b")
ASK_NOTE = (
    "What was found or done? Resolving incident #{n} needs a short note, e.g. 'replaced the "
    "leaking coupling'; it is kept, so the next similar incident can cite it."
)
ASK_WHICH = (
    "Which incident? Give its number, e.g. '{verb} incident 4'; 'any open incidents?' lists them."
)
SOURCE = "incidents table"


# ------------------------------------------------------------------ reading


def state_of(text: str, has_period: bool) -> str:
    """The state filter a listing asks for: active (open or acknowledged) unless it says."""
    if re.search(r"\b(?:all|every|history|ever|any time|whatever state)\b", text):
        return "all"
    if re.search(r"\b(?:resolved|closed|fixed|finished|cleared|solved)\b", text):
        if re.search(r"\b(?:un|not |still )\w*\s*(?:yet )?(?:resolved|closed|fixed)\b", text):
            return "active"
        return "resolved"
    if re.search(
        r"\b(?:unacknowledged|new|nobody has)\b|(?:\bnot|n't) (?:yet )?(?:been )?acknowledged\b|"
        r"\byet to be acknowledged\b",
        text,
    ):
        return "open"
    if re.search(r"\backnowledged\b", text):
        return "acknowledged"
    if re.search(r"\b(?:open|active|current|ongoing|outstanding|unresolved|pending|now)\b", text):
        return "active"
    return "all" if has_period else "active"


def severity_of(text: str) -> str | None:
    """The severity a question narrows incidents to ("any critical incidents?"), if any."""
    m = re.search(r"\b(critical|warning|info)s?\b", text)
    return m.group(1) if m else None


def action_of(text: str) -> str:
    return "resolve" if RESOLVE.search(text) else "acknowledge"


def note_of(question: str) -> str | None:
    """What was found or done, written after the incident's number ("resolve incident 12:
    replaced the leaking coupling"), or None."""
    m = re.search(r"incident" + NUMBER + r"(.*)$", question, flags=re.IGNORECASE | re.DOTALL)
    rest = m.group(2) if m else ""
    if not m:
        m = re.search(r"\b(?:it|one)\b(.*)$", question, flags=re.IGNORECASE | re.DOTALL)
        rest = m.group(1) if m else ""
    rest = re.sub(
        r"^\s*(?:(?:as|is)\s+(?:resolved|acknowledged|fixed|closed|done)\b)?[\s,:;.!\-\u2013\u2014]*"
        r"(?:(?:with )?(?:the )?note[:\s]*|because\s+|since\s+|reason[:\s]+|note that\s+)?",
        "",
        rest,
        flags=re.IGNORECASE,
    )
    note = rest.strip().strip("\"'").strip()
    return note if len(note) > 2 and re.search(r"[a-zA-Z]{2}", note) else None


def asked_for_note(answer: str) -> int | None:
    """The incident whose note the last answer asked for, if it did."""
    m = re.search(r"Resolving incident #(\d+) needs a short note", answer)
    return int(m.group(1)) if m else None


# ------------------------------------------------------------------ the answer


@dataclass(frozen=True)
class View:
    """How a listing is shown: only incidents overlapping a period, one in detail."""

    start: datetime | None = None
    end: datetime | None = None
    label: str = ""
    now: datetime | None = None
    detail: bool = False
    severity: str | None = None  # "any critical incidents?"


def _impact(i: dict[str, Any]) -> str:
    parts = []
    if i.get("extra_kwh") is not None:
        side = "above" if i["extra_kwh"] >= 0 else "below"
        parts.append(f"{number(abs(i['extra_kwh']), 'kWh')} {side} expected")
    if i.get("cost") is not None:
        parts.append(money(i["cost"], str(i.get("currency") or "")).strip())
    if i.get("co2_kg") is not None:
        parts.append(f"{number(i['co2_kg'], 'kg')} CO2e")
    return ", ".join(parts) or "no energy impact (a data problem, not extra consumption)"


def _span(i: dict[str, Any]) -> str:
    if not i.get("start"):
        return "no start recorded"
    if not i.get("end"):
        return f"since {when(i['start'])}"
    return f"{when(i['start'])} to {when(i['end'])}"


def _kind(i: dict[str, Any]) -> str:
    return str(i.get("kind") or "").replace("_", " ")


def line(i: dict[str, Any]) -> str:
    """One incident on one line: id, title, meter, kind, severity, state, period, impact."""
    meter = f"**{i['meter']}**" if i.get("meter") else "the site"
    return (
        f"- #{i['id']} {i['title']}: {meter}, {_kind(i)}, {i['severity']}, **{i['state']}**; "
        f"{_span(i)}; {_impact(i)}."
    )


BARE_HEADING = re.compile(r"\*\*[^*]+\*\*(?:\s*\([^)]*\))?:?")


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


def detail(i: dict[str, Any]) -> list[str]:
    """One incident in full: what, where, when, impact, summary's start, people's notes."""
    meter = f"**{i['meter']}**" if i.get("meter") else "the whole site"
    lines = [
        f"Incident #{i['id']}: {i['title']}.",
        f"- Meter: {meter}; {_kind(i)}, severity {i['severity']}, state **{i['state']}**.",
        f"- Period: {_span(i)}.",
        f"- Impact: {_impact(i)}.",
    ]
    if i.get("acknowledged_by"):
        lines.append(f"- Acknowledged by {i['acknowledged_by']}.")
    if i.get("state") == "resolved":
        by = f" by {i['resolved_by']}" if i.get("resolved_by") else ""
        note = str(i.get("resolution") or "no note").rstrip(". ")
        lines.append(f"- Resolved{by}: {note}.")
    summary = summary_lines(i.get("summary"))
    if summary:
        lines.append("Summary (first lines):")
        lines += [f"> {s}" for s in summary]
    for problem in i.get("problems") or []:
        lines.append(f"Note: {problem}")
    return lines


def _source(i: dict[str, Any]) -> str:
    cited = i.get("citations") or []
    more = f"; its summary cites {'; '.join(cited[:3])}" if cited else ""
    return f"Source: {SOURCE}, incident #{i['id']}{more}."


def get_incident(r: dict[str, Any]) -> list[str]:
    return [*detail(r), _source(r)]


def update_incident(r: dict[str, Any]) -> list[str]:
    if r["state"] == "resolved":
        head = f"Done: incident #{r['id']} is now **resolved**."
    else:
        who = f" by {r['acknowledged_by']}" if r.get("acknowledged_by") else ""
        head = f"Done: incident #{r['id']} is now **{r['state']}**{who}."
    return [head, *detail(r), _source(r)]


def _overlaps(i: dict[str, Any], view: View) -> bool:
    if view.start is None or view.end is None or not i.get("start"):
        return True
    start = datetime.fromisoformat(i["start"])
    end = datetime.fromisoformat(i["end"]) if i.get("end") else (view.now or view.end)
    return start < view.end and end >= view.start


STATE_WORDS = {
    "active": "open or acknowledged",
    "open": "open (unacknowledged)",
    "acknowledged": "acknowledged",
    "resolved": "resolved",
    "all": "",
}


def list_answer(r: dict[str, Any], view: View | None = None, state: str = "") -> list[str]:
    """A listing's answer: the incidents (those overlapping the view's period), one line each,
    or one in detail; and the source."""
    view = view or View()
    found = [i for i in r.get("incidents") or [] if _overlaps(i, view)]
    if view.severity is not None:
        found = [i for i in found if i.get("severity") == view.severity]
    words = " ".join(w for w in (view.severity, STATE_WORDS.get(state, "")) if w)
    where = ""
    if view.start is not None and view.end is not None:
        period = {"start": view.start.isoformat(), "end": view.end.isoformat()}
        where = " " + period_text(period | {"label": view.label})
    source = f"Source: {r.get('source') or SOURCE}."
    if not found:
        kind = f"{words} incidents" if words else "incidents"
        return [f"No {kind}{where} on record.", source]
    if view.detail:
        rest = [line(i) for i in found[1:6]]
        more = ["Other incidents:", *rest] if rest else []
        return [*detail(found[0]), *more, _source(found[0])]
    head = f"{len(found)} {words + ' ' if words else ''}incident(s){where}, newest first:"
    return [head, *(line(i) for i in found[:20]), source]
