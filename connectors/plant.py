"""The demo plant: its plant file (`demo_plant.yaml`) as the simulator needs it, and the kinds
of faults the simulator can inject.

The catalogue (meters, tree, groups, production links, shifts, closures, tariffs) is the plant
file, applied like any other; this module only reads it for the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from connectors.catalog_file import PlantDocument, read_plant
from connectors.catalog_sync import desired_meter
from store.profile import clock_hours

DEMO_PLANT_FILE = Path(__file__).with_name("demo_plant.yaml")

EVENT_KINDS = (
    "compressed_air_leak",
    "chiller_efficiency_drift",
    "boiler_short_cycling",
    "meter_outage",
    "stuck_meter",
    "demand_spike",
)


@dataclass(frozen=True)
class MeterSpec:
    name: str
    kind: str
    unit: str
    description: str
    metrics: tuple[tuple[str, str], ...] = (("energy", "kWh"),)
    parent: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class InjectedEvent:
    meter: str
    kind: str
    start: datetime
    end: datetime
    description: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Shift:
    name: str
    weekdays: tuple[int, ...]  # 0 = Monday
    start_hour: float
    end_hour: float


@dataclass(frozen=True)
class PlantSpec:
    site: str
    timezone: str
    country: str
    subdivision: str
    meters: tuple[MeterSpec, ...]
    shifts: tuple[Shift, ...]
    # A plant-wide shutdown every year, ((month, day), (month, day)), both days included.
    shutdown: tuple[tuple[int, int], tuple[int, int]] = ((12, 24), (1, 1))

    def meter(self, name: str) -> MeterSpec:
        return next(m for m in self.meters if m.name == name)


@lru_cache(maxsize=1)
def demo_document() -> PlantDocument:
    """The demo plant's file, validated."""
    return read_plant(DEMO_PLANT_FILE)


def _month_day(text: str) -> tuple[int, int]:
    month, day = text.split("-")
    return int(month), int(day)


@lru_cache(maxsize=1)
def demo_plant() -> PlantSpec:
    """A metal-parts plant near Munich: two production lines, compressed air, cooling, heating."""
    plant = demo_document().plant
    site = plant.site
    meters = []
    for spec in plant.meters:
        state = desired_meter(spec, None)
        meters.append(
            MeterSpec(
                name=state.name,
                kind=state.kind,
                unit=state.unit,
                description=state.description or "",
                metrics=tuple((metric, unit) for metric, unit, _ in state.series),
                parent=state.parent,
                aliases=state.aliases,
            )
        )
    shutdown = next(c for c in site.closures if len(c.start) == 5)
    return PlantSpec(
        site=site.name,
        timezone=site.timezone,
        country=site.country or "",
        subdivision=site.region or "",
        meters=tuple(meters),
        shifts=tuple(
            Shift(s.name, tuple(s.days), clock_hours(s.start), clock_hours(s.end))
            for s in site.shifts or ()
        ),
        shutdown=(_month_day(shutdown.start), _month_day(shutdown.end)),
    )
