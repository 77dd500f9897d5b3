"""An incident's anomaly segments: what each detected event adds to an incident, grouped by
time, and merged when a later run re-scores part of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tools.anomaly import Event

DAY = 86400
MERGE_GAP_S = DAY  # events of a meter and kind this close belong to one incident
RANK = {"info": 0, "warning": 1, "critical": 2}


@dataclass(frozen=True)
class Segment:
    """One detected event's share of an incident, replaced when a later run re-scores it."""

    start: int
    end: int
    severity: str
    extra_kwh: float | None
    cost: float | None
    score: float

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "severity": self.severity,
            "extra_kwh": self.extra_kwh,
            "cost": self.cost,
            "score": round(self.score, 3),
        }

    @classmethod
    def of(cls, data: dict[str, Any]) -> Segment:
        return cls(**data)


def ts(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


def segment(event: Event) -> Segment:
    start, end = ts(event.start), ts(event.end)
    return Segment(start, end, event.severity, event.extra_kwh, event.extra_cost, event.score)


def continues(seg: Segment, closed: int) -> bool:
    """Whether a segment (already cut to start at or after a resolved incident's end) is a new
    episode: it starts later than that end, or goes on for more than a day after it (the
    condition came back, or was never fixed)."""
    return seg.start > closed or seg.end > closed + MERGE_GAP_S


def _part(seg: Segment, lo: int, hi: int) -> Segment:
    """The part of a segment within [lo, hi], its energy and cost in proportion to its time."""
    lo, hi = max(lo, seg.start), min(hi, seg.end)
    if hi <= lo:
        return Segment(lo, lo, seg.severity, 0.0, 0.0, seg.score)
    share = (hi - lo) / (seg.end - seg.start)
    return Segment(
        lo,
        hi,
        seg.severity,
        seg.extra_kwh * share if seg.extra_kwh is not None else None,
        seg.cost * share if seg.cost is not None else None,
        seg.score,
    )


def after(seg: Segment, closed: int) -> Segment:
    """The part of a segment after `closed`."""
    return _part(seg, closed, max(seg.end, closed))


def clusters(segments: Sequence[Segment], gap_s: int = MERGE_GAP_S) -> list[list[Segment]]:
    """Segments of one meter and kind grouped where they overlap or lie within gap_s."""
    groups: list[list[Segment]] = []
    for seg in sorted(segments, key=lambda s: s.start):
        if groups and seg.start <= max(s.end for s in groups[-1]) + gap_s:
            groups[-1].append(seg)
        else:
            groups.append([seg])
    return groups


def merge_segments(
    stored: Sequence[Segment], found: Sequence[Segment], rescored_from: int | None = None
) -> list[Segment]:
    """The stored segments with those a new run re-scored replaced by what it found now.

    A run re-scores only its window, from `rescored_from` on: the part of a stored segment
    before it was not looked at again and is kept as it was (an incident that began on the 8th
    does not move to the 22nd because a run that looked from the 15th found its tail)."""
    if found and rescored_from is not None:
        rescored_from = min(rescored_from, *(f.start for f in found))
    kept = []
    for s in stored:
        if not any(s.start < f.end and f.start < s.end for f in found):
            kept.append(s)
        elif rescored_from is not None and s.start < rescored_from:
            kept.append(_part(s, s.start, rescored_from))
    return sorted({*kept, *found}, key=lambda s: (s.start, s.end))


def total(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return float(sum(known)) if known else None


def worst(severities: Sequence[str]) -> str:
    return max(severities, key=lambda s: RANK.get(s, 0))
