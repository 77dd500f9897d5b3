"""What the watcher tells people about an incident, and what became of each telling: the records
the watcher hands to the notifiers and the notifiers hand back."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Event = Literal["opened", "updated", "resolved"]


@dataclass(frozen=True)
class IncidentNotice:
    """One thing that happened to an incident, with everything a receiver needs to show it."""

    event: Event
    incident_id: int
    site: str
    title: str
    severity: str  # "info" | "warning" | "critical"
    state: str
    meter: str | None
    start: str  # ISO local
    end: str | None
    extra_kwh: float | None
    cost: float | None
    currency: str
    co2_kg: float | None
    summary: str  # Markdown
    citations: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The notice as JSON-able data (citations as a list)."""
        data = asdict(self)
        data["citations"] = list(self.citations)
        return data


@dataclass(frozen=True)
class Delivery:
    """The outcome of one notice on one channel."""

    notifier: str  # "webhook", "email", "slack"
    ok: bool
    attempts: int
    detail: str  # e.g. "HTTP 200", or the last error in words
