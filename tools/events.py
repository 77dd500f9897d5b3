"""The kinds of event anomaly detection reports, the words each is said in (event_kinds.yaml,
read by the renderer, the watcher and incident summaries), and keeping those a question asks
for ("any stuck meters?") while counting the others, so that none is hidden."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal, Protocol, TypeVar, get_args

import yaml

from common.errors import EMSError

KINDS_FILE = Path(__file__).with_name("event_kinds.yaml")

EventKind = Literal[
    "consumption_high",
    "consumption_low",
    "demand_spike",
    "meter_outage",
    "stuck_meter",
    "negative_values",
]
# Incidents are of the anomaly kinds, or opened by an alert rule (tools/alerts.py).
IncidentKind = Literal[EventKind, "alert_rule"]
FIELDS = ("label", "plural", "title", "description")


class InvalidEventKinds(EMSError):
    """event_kinds.yaml leaves out a kind, names one there is not, or lacks a word."""


@dataclass(frozen=True)
class KindWords:
    """How a kind of event is said: its `label` ("stuck meter"), the `plural` an answer names
    when it looked for it ("stuck readings"), its incident `title` and the `description` of
    what the meter did ("repeated the same reading for hours")."""

    label: str
    plural: str
    title: str
    description: str


@cache
def kind_words() -> Mapping[str, KindWords]:
    """Every incident kind's words (event_kinds.yaml); raises InvalidEventKinds naming what
    is missing or unknown, so that no kind is ever said as its key."""
    data = yaml.safe_load(KINDS_FILE.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise InvalidEventKinds(f"{KINDS_FILE.name}: not a mapping of kinds")
    kinds = set(get_args(IncidentKind))
    missing, unknown = sorted(kinds - set(data)), sorted(set(data) - kinds)
    if missing or unknown:
        raise InvalidEventKinds(
            f"{KINDS_FILE.name}: kinds missing: {', '.join(missing) or 'none'}; "
            f"not event kinds: {', '.join(unknown) or 'none'}"
        )
    words: dict[str, KindWords] = {}
    for kind, entry in data.items():
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(f), str) and entry[f] for f in FIELDS
        ):
            raise InvalidEventKinds(f"{KINDS_FILE.name}: {kind} needs {', '.join(FIELDS)}")
        words[str(kind)] = KindWords(*(str(entry[f]) for f in FIELDS))
    return words


class _Kinded(Protocol):
    @property
    def kind(self) -> str: ...


E = TypeVar("E", bound=_Kinded)


def of_kinds(events: list[E], kinds: list[EventKind]) -> tuple[list[E], list[str]]:
    """The events of the kinds asked for (every event when none is), and a caveat counting
    the others found."""
    if not kinds:
        return events, []
    kept = [e for e in events if e.kind in kinds]
    others: dict[str, int] = {}
    for e in events:
        if e.kind not in kinds:
            others[e.kind] = others.get(e.kind, 0) + 1
    if not others:
        return kept, []
    listed = ", ".join(f"{n} {kind_words()[k].label}" for k, n in sorted(others.items()))
    return kept, [
        f"{sum(others.values())} event(s) of other kinds not listed ({listed}); ask for every "
        "anomaly to see them"
    ]
