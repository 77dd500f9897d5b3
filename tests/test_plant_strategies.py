"""The random plants (tests/plants.py) are valid plant files and cover what the property tests
promise: names with spaces, digits and non-ASCII letters, trees one to four levels deep, several
carriers, every interval from a minute to a day, the listed time zones, histories across a change
of the zone's offset, and production on a line's own meter and on linked counters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings

from connectors.catalog_checks import StoreView, check_plant
from connectors.catalog_file import PlantSource, validate_plant
from tests.plants import INTERVALS, ZONES, PlantCase, plant_cases, transitions

# The first plant found will do: shrinking a plant to the smallest one costs minutes.
FIND = settings(
    max_examples=1000,
    phases=[Phase.generate],
    database=None,
    suppress_health_check=list(HealthCheck),
)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(case=plant_cases())
def test_every_random_plant_is_a_valid_plant_file(case: PlantCase) -> None:
    document = validate_plant(case.data, PlantSource("random plant"))
    assert check_plant(document.plant, StoreView()) == []
    assert 2 <= case.days <= 4 and all(
        f.meter in {m["name"] for m in case.meters()} for f in case.faults
    )


def depth(case: PlantCase) -> int:
    parents = {m["name"]: m.get("parent") for m in case.meters()}

    def of(name: str) -> int:
        return 1 if parents[name] is None else 1 + of(parents[name])

    return max(of(n) for n in parents)


def intervals(case: PlantCase) -> set[str]:
    return {s["interval"] for m in case.meters() for s in m["series"]}


def crosses_a_change(case: PlantCase) -> bool:
    return any(case.start < day <= case.end for day in transitions(case.timezone))


FEATURES: dict[str, Callable[[PlantCase], bool]] = {
    "a name with a space, a digit and a non-ASCII letter": lambda c: any(
        " " in n and any(ch.isdigit() for ch in n) and not n.isascii()
        for n in (m["name"] for m in c.meters())
    ),
    "a tree one level deep": lambda c: depth(c) == 1,
    "a tree four levels deep": lambda c: depth(c) == 4,
    "four carriers": lambda c: len({m["carrier"] for m in c.meters()}) >= 4,
    "gas read in m3": lambda c: any(
        m["carrier"] == "gas" and m["series"][0]["unit"] == "m3" for m in c.meters()
    ),
    "production on a line's own meter": lambda c: any(
        {s["metric"] for s in m["series"]} >= {"energy", "production"} for m in c.meters()
    ),
    "a linked production counter": lambda c: any(m.get("production") for m in c.meters()),
    "a history across a change of the zone's offset": crosses_a_change,
    "a night shift past midnight": lambda c: any(
        s["end"] < s["start"] for s in c.data["site"].get("shifts") or []
    ),
    "a tariff re-priced inside the history": lambda c: any(
        "valid_to" in t for t in c.data["site"]["tariffs"]
    ),
    "an outage": lambda c: bool(c.faults),
}
FEATURES |= {f"a {i} interval": (lambda c, i=i: i in intervals(c)) for i in INTERVALS}
FEATURES |= {f"the zone {z}": (lambda c, z=z: c.timezone == z) for z in ZONES}


@pytest.mark.parametrize("feature", sorted(FEATURES))
def test_random_plants_have(feature: str) -> None:
    found = find(plant_cases(), FEATURES[feature], settings=FIND)
    assert FEATURES[feature](found)


def test_the_zones_include_half_hour_negative_and_southern_summer_time_offsets() -> None:
    def offset(zone: str, month: int) -> float:
        delta = datetime(2026, month, 15, 12, tzinfo=ZoneInfo(zone)).utcoffset()
        assert delta is not None
        return delta.total_seconds() / 3600

    assert offset("Asia/Kolkata", 1) == 5.5
    assert offset("America/Sao_Paulo", 1) == -3
    southern = [z for z in ZONES if offset(z, 1) > offset(z, 7)]
    assert "Australia/Sydney" in southern and "America/Santiago" in southern
