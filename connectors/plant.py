"""The demo plant's description: meters, drivers, shifts and the kinds of faults it can have."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from common.units import MeterKind

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
    kind: MeterKind
    unit: str
    description: str
    metrics: tuple[tuple[str, str], ...] = (("energy", "kWh"),)
    parent: str | None = None
    aliases: tuple[str, ...] = ()
    tags: dict[str, Any] = field(default_factory=dict)
    floor_area_m2: float | None = None


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
    # Plant-wide shutdown between Christmas Eve and New Year.
    shutdown: tuple[tuple[int, int], tuple[int, int]] = ((12, 24), (1, 1))

    def meter(self, name: str) -> MeterSpec:
        return next(m for m in self.meters if m.name == name)


def _electric(name: str, description: str, *aliases: str, **extra: Any) -> MeterSpec:
    return MeterSpec(
        name=name,
        kind=MeterKind.ELECTRICITY,
        unit="kWh",
        description=description,
        parent="main-incomer",
        aliases=aliases,
        **extra,
    )


def demo_plant() -> PlantSpec:
    """A metal-parts plant near Munich: two production lines, compressed air, cooling, heating."""
    return PlantSpec(
        site="demo-plant",
        timezone="Europe/Berlin",
        country="DE",
        subdivision="BY",
        meters=(
            MeterSpec(
                name="main-incomer",
                kind=MeterKind.ELECTRICITY,
                unit="kWh",
                description="Grid connection of the site (utility revenue meter, 20 kV).",
                aliases=("main", "site total", "grid", "incomer"),
                tags={"utility_meter": True},
                floor_area_m2=12_500.0,
            ),
            _electric(
                "compressor-1",
                "Base-load screw compressor, 110 kW, compressed-air station.",
                "air compressor 1",
                "comp1",
                tags={"system": "compressed_air"},
            ),
            _electric(
                "compressor-2",
                "Trim compressor with variable speed drive, 90 kW.",
                "air compressor 2",
                "comp2",
                tags={"system": "compressed_air"},
            ),
            _electric(
                "chiller",
                "Process and comfort cooling chiller, 350 kW cooling capacity.",
                "cooling",
                "chiller-1",
                tags={"system": "cooling"},
            ),
            _electric("line-a", "Production line A: stamping and welding.", "line a", "la"),
            _electric("line-b", "Production line B: machining and assembly.", "line b", "lb"),
            _electric("lighting", "Hall and yard lighting.", "lights"),
            _electric(
                "offices",
                "Office building: plug loads, HVAC and kitchen.",
                "office",
                "admin building",
                floor_area_m2=1_800.0,
            ),
            MeterSpec(
                name="boiler",
                kind=MeterKind.GAS,
                unit="kWh",
                description="Gas boiler for space heating and hot water (energy from gas volume).",
                aliases=("gas boiler", "heating", "gas"),
                tags={"system": "heating"},
            ),
            MeterSpec(
                name="weather",
                kind=MeterKind.WEATHER,
                unit="degC",
                description="Outdoor temperature at the site's weather station.",
                metrics=(("outdoor_temperature", "degC"),),
                aliases=("outdoor temperature", "temperature", "oat"),
            ),
            MeterSpec(
                name="line-a-output",
                kind=MeterKind.PRODUCTION,
                unit="unit",
                description="Good parts produced by line A.",
                metrics=(("production", "unit"),),
                aliases=("line a production", "line a output"),
            ),
            MeterSpec(
                name="line-b-output",
                kind=MeterKind.PRODUCTION,
                unit="unit",
                description="Good parts produced by line B.",
                metrics=(("production", "unit"),),
                aliases=("line b production", "line b output"),
            ),
        ),
        shifts=(
            Shift("early", (0, 1, 2, 3, 4), 6.0, 14.0),
            Shift("late", (0, 1, 2, 3, 4), 14.0, 22.0),
            Shift("saturday", (5,), 6.0, 12.0),
        ),
    )
