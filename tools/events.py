"""The kinds of event anomaly detection reports, and keeping those a question asks for
("any stuck meters?") while counting the others, so that none is hidden."""

from __future__ import annotations

from typing import Literal, Protocol, TypeVar

EventKind = Literal[
    "consumption_high",
    "consumption_low",
    "demand_spike",
    "meter_outage",
    "stuck_meter",
    "negative_values",
]


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
    listed = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(others.items()))
    return kept, [
        f"{sum(others.values())} event(s) of other kinds not listed ({listed}); ask for every "
        "anomaly to see them"
    ]
