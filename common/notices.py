"""What the watcher tells people about an incident or sends them as the monthly report, and what
became of each telling: the records the watcher hands to the notifiers and they hand back."""

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


@dataclass(frozen=True)
class ReportNotice:
    """A site's monthly report to send: its summary and the file (the PDF) to attach."""

    site: str
    month: str  # YYYY-MM
    title: str
    summary: str  # plain text, one figure a line
    filename: str
    media_type: str
    content: bytes

    @property
    def event_id(self) -> str:
        """The same every time this month's report is sent, so receivers can drop repeats."""
        return f"{self.site}:report:{self.month}"
