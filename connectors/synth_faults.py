"""Faults injected into synthetic history, each kept as a labelled event: a step increase (a leak
or a valve left open), a slow drift, a demand spike, an outage and a stuck meter.

Faults are declared (a scenario names meter, kind, start, length and size) or drawn from the
seed, one of each kind per calendar year on meters the catalogue makes eligible; the draw knows
the plant only through its catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from common.timeutil import zone

FaultKind = Literal["step", "drift", "spike", "outage", "stuck"]
# Faults that change what the equipment draws; the others change only what the meter reports.
PHYSICAL = frozenset({"step", "drift", "spike"})
# The kind each fault is labelled with unless its declaration names another.
LABELS: dict[str, str] = {
    "step": "consumption_step",
    "drift": "efficiency_drift",
    "spike": "demand_spike",
    "outage": "meter_outage",
    "stuck": "stuck_meter",
}


class FaultSpec(BaseModel):
    """One declared fault. `start` is the site's local time unless it carries an offset;
    `size` is extra load (kW, or m3/h on a volume meter) for a step or a spike and the largest
    relative increase (0.3 = 30 %) for a drift; outages and stuck meters need none."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    meter: str
    kind: FaultKind
    start: datetime
    hours: float = Field(gt=0)
    size: float | None = Field(default=None, ge=0)
    label: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Fault:
    """A fault placed in time (UTC), with the event label it is stored under."""

    meter: str
    kind: str
    start: datetime
    end: datetime
    size: float
    label: str
    description: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def start_ts(self) -> int:
        return int(self.start.timestamp())

    @property
    def end_ts(self) -> int:
        return int(self.end.timestamp())


def _describe(kind: str, meter: str, size: float) -> str:
    return {
        "step": f"Step increase: {meter} draws about {size:g} more per hour, nights and "
        "weekends too (a leak or a valve left open).",
        "drift": f"Slow drift: {meter}'s consumption rises by up to {size:.0%} (fouling, wear).",
        "spike": f"Demand spike: {meter} draws about {size:g} kW extra for a short while.",
        "outage": f"Meter outage: {meter} sent no data.",
        "stuck": f"Stuck meter: {meter} repeated the same reading.",
    }[kind]


def place(spec: FaultSpec, timezone: str, typical: float) -> Fault:
    """A declared fault in UTC; a step or spike without a size gets one from the meter's
    typical load (`typical`, per hour)."""
    start = spec.start if spec.start.tzinfo else spec.start.replace(tzinfo=zone(timezone))
    default = {"step": 0.25 * typical, "spike": 3.0 * typical, "drift": 0.3}.get(spec.kind, 0.0)
    size = spec.size if spec.size is not None else round(default, 1)
    details: dict[str, Any] = {"size": size} if spec.kind in PHYSICAL else {}
    return Fault(
        meter=spec.meter,
        kind=spec.kind,
        start=start.astimezone(UTC),
        end=(start + timedelta(hours=spec.hours)).astimezone(UTC),
        size=size,
        label=spec.label or LABELS[spec.kind],
        description=spec.description or _describe(spec.kind, spec.meter, size),
        details=details,
    )


@dataclass(frozen=True)
class Eligible:
    """Which meters each kind of fault may be drawn on, and each one's typical load."""

    loads: Sequence[str]  # meters that draw energy or a flow
    reporting: Sequence[str]  # meters with a series that can drop out or stick
    typical: Mapping[str, float]


def drawn(
    eligible: Eligible, seed: int, timezone: str, start: datetime, end: datetime, stream: int
) -> list[Fault]:
    """One fault of each kind per calendar year from the seed, on eligible meters; those
    that overlap [start, end)."""
    out: list[Fault] = []
    for year in range(start.astimezone(UTC).year - 1, end.astimezone(UTC).year + 1):
        for fault in _year(eligible, seed, timezone, year, stream):
            if fault.start < end and fault.end > start:
                out.append(fault)
    return sorted(out, key=lambda f: (f.start, f.meter))


def _year(eligible: Eligible, seed: int, timezone: str, year: int, stream: int) -> list[Fault]:
    rng = np.random.default_rng([seed, stream, year])
    tz = zone(timezone)
    specs: list[FaultSpec] = []

    def pick(names: Sequence[str]) -> str | None:
        return str(names[int(rng.integers(len(names)))]) if names else None

    def add(kind: FaultKind, names: Sequence[str], when: datetime, hours: float) -> None:
        meter = pick(names)
        if meter is not None:
            specs.append(FaultSpec(meter=meter, kind=kind, start=when, hours=hours))

    def day(month: int) -> datetime:
        return datetime(year, month, int(rng.integers(2, 26)), tzinfo=tz)

    add("step", eligible.loads, day(3).replace(hour=18), 24 * float(rng.integers(7, 15)))
    add("drift", eligible.loads, day(6), 24 * float(rng.integers(14, 25)))
    add("outage", eligible.reporting, day(10).replace(hour=int(rng.integers(0, 20))), 20.0)
    add("stuck", eligible.reporting, day(4).replace(hour=10), 24 * float(rng.integers(1, 3)))
    spike = _weekday(day(5)).replace(hour=int(rng.integers(9, 13)))
    add("spike", eligible.loads, spike, 0.5)
    return [place(s, timezone, eligible.typical.get(s.meter, 10.0)) for s in specs]


def _weekday(moment: datetime) -> datetime:
    while moment.weekday() >= 5:
        moment += timedelta(days=1)
    return moment
