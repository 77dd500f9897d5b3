"""Random plants for property tests: hypothesis strategies that make valid plant files unlike
the demo (names with spaces, digits and non-ASCII letters; trees one to four levels deep;
several carriers; every interval from a minute to a day; time zones with half-hour offsets,
negative offsets and southern-hemisphere summer time) and a few days of history to go with them.

Billing series are left out: the store has no billing support yet (another branch adds it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from connectors.synth_faults import FaultSpec

# Zone -> (country, region) for public holidays.
ZONES: dict[str, tuple[str | None, str | None]] = {
    "Asia/Kolkata": ("IN", None),  # +05:30
    "America/Sao_Paulo": ("BR", "SP"),  # -03:00
    "Australia/Sydney": ("AU", "NSW"),  # southern summer time, +10/+11
    "America/Santiago": ("CL", None),  # southern summer time from a midnight that never happens
    "Asia/Kathmandu": ("NP", None),  # +05:45
    "America/Chicago": ("US", "IL"),
    "Europe/Berlin": ("DE", "BY"),
    "UTC": (None, None),
}
INTERVALS = ("1min", "5min", "15min", "30min", "1h", "1d")
SUB_DAILY = INTERVALS[:-1]
WORDS = (
    "Línea", "Kälte", "Øst", "Hall", "Façade", "Pumpe", "Presse", "Öfen", "Şube", "Straße",
    "Ωmega", "Zone", "Bloc", "Ćirilo", "Nave", "Sală", "Kocaeli", "Ağ", "Maß", "Ñandú",
)  # fmt: skip
CURRENCIES = ("EUR", "INR", "BRL", "AUD", "CLP", "NPR", "USD")
FIRST = date(2025, 1, 6)
LAST = date(2027, 11, 30)


@dataclass
class PlantCase:
    """A plant file (as parsed YAML) and how much history to give it."""

    data: dict[str, Any]
    seed: int
    end: date  # the first day not simulated
    days: int
    faults: list[FaultSpec] = field(default_factory=list)

    @property
    def timezone(self) -> str:
        return str(self.data["site"]["timezone"])

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def start(self) -> date:
        return self.end - timedelta(days=self.days)

    def meters(self) -> list[dict[str, Any]]:
        return list(self.data["meters"])

    def meter(self, name: str) -> dict[str, Any]:
        return next(m for m in self.data["meters"] if m["name"] == name)


# ------------------------------------------------------------------ names


def _normal(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


@st.composite
def meter_names(draw: st.DrawFn, count: int) -> list[str]:
    """`count` distinct names (distinct as the catalogue compares them) of one to three parts:
    words with accents and other scripts, numbers, spaces between."""
    names: list[str] = []
    seen: set[str] = set()
    for i in range(count):
        parts = draw(
            st.lists(
                st.one_of(st.sampled_from(WORDS), st.integers(1, 99).map(str)),
                min_size=1,
                max_size=3,
            )
        )
        name = " ".join(parts)
        if _normal(name) in seen or name.isdigit():
            name = f"{name} {WORDS[i % len(WORDS)]} {i}"
        seen.add(_normal(name))
        names.append(name)
    return names


# ------------------------------------------------------------------ the site


@lru_cache(maxsize=16)
def transitions(timezone: str) -> tuple[date, ...]:
    """Days on which the zone's offset changes, 2025-2027."""
    tz = ZoneInfo(timezone)
    out = []
    day = FIRST
    while day < LAST:
        a = datetime.combine(day, time(12), tz).utcoffset()
        b = datetime.combine(day + timedelta(days=1), time(12), tz).utcoffset()
        if a != b:
            out.append(day + timedelta(days=1))
        day += timedelta(days=1)
    return tuple(out)


SHIFT_PLANS: tuple[list[dict[str, Any]] | None, ...] = (
    None,  # not declared: the tools use their labelled default
    [],  # declared: no shifts
    [{"name": "day", "days": ["mon-fri"], "start": "07:00", "end": "17:00"}],
    [
        {"name": "früh", "days": ["mon-fri"], "start": "06:00", "end": "14:00"},
        {"name": "spät", "days": ["mon-fri"], "start": "14:00", "end": "22:00"},
        {"name": "sábado", "days": ["sat"], "start": "06:00", "end": "12:00"},
    ],
    [
        {"name": "day", "days": ["mon-fri"], "start": "06:00", "end": "18:00"},
        {"name": "night", "days": ["mon-thu"], "start": "18:00", "end": "06:00"},
    ],
)
TOU_PLANS: tuple[list[dict[str, Any]], ...] = (
    [],
    [{"name": "peak", "days": ["mon-fri"], "start": "08:00", "end": "20:00", "price": 0.31}],
    [
        {"name": "ponta", "days": ["mon-fri"], "start": "18:00", "end": "21:00", "price": 1.9},
        {"name": "night", "days": ["mon-sun"], "start": "23:00", "end": "05:00", "price": 0.08},
    ],
)


@st.composite
def windows(draw: st.DrawFn, timezone: str, change: bool = False) -> tuple[date, int]:
    """The history: its end (the first day not simulated) and 2-4 days; often (with `change`
    always) around a change of the zone's offset."""
    days = draw(st.integers(2, 4))
    changes = transitions(timezone)
    if changes and (change or draw(st.booleans())):
        change = draw(st.sampled_from(changes))
        return change + timedelta(days=draw(st.integers(1, days))), days
    span = (LAST - FIRST).days
    return FIRST + timedelta(days=draw(st.integers(days, span))), days


@st.composite
def tariffs(draw: st.DrawFn, start: date, end: date, carriers: set[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    price = round(draw(st.floats(0.04, 0.5)), 3)
    electricity = {
        "carrier": "electricity",
        "name": "Tarifa 1",
        "default_price": price,
        "demand_charge_per_kw": draw(st.sampled_from([0.0, 7.5, 14.0])),
        "periods": draw(st.sampled_from(TOU_PLANS)),
    }
    if draw(st.booleans()):  # re-priced on a day inside the history
        split = start + timedelta(days=draw(st.integers(0, (end - start).days - 1)))
        later = dict(electricity, name="Tarifa 2", default_price=round(price * 1.2, 3))
        out += [dict(electricity, valid_to=split), dict(later, valid_from=split + timedelta(1))]
    else:
        out.append(electricity)
    for carrier in sorted(carriers & {"gas", "heat"}):
        if draw(st.booleans()):
            out.append({"carrier": carrier, "name": f"{carrier} ü", "default_price": 0.06})
    return out


@st.composite
def sites(
    draw: st.DrawFn, carriers: set[str], force: tuple[str, ...] = ()
) -> tuple[dict[str, Any], date, int]:
    change = "offset change" in force
    zones = sorted(z for z in ZONES if transitions(z) or not change)
    zones = [z for z in zones if z in force] or zones
    timezone = draw(st.sampled_from(zones))
    country, region = ZONES[timezone]
    end, days = draw(windows(timezone, change))
    start = end - timedelta(days=days)
    site: dict[str, Any] = {"name": f"site {draw(st.integers(1, 999))}", "timezone": timezone}
    if country:
        site["country"] = country
    if region:
        site["region"] = region
    site["currency"] = draw(st.sampled_from(CURRENCIES))
    if draw(st.booleans()):
        site["floor_area_m2"] = draw(st.integers(500, 50000))
    if "gas m3" in force or draw(st.booleans()):
        site["gas_calorific_value_kwh_per_m3"] = round(draw(st.floats(9.0, 11.5)), 2)
    shifts = draw(st.sampled_from(SHIFT_PLANS))
    if shifts is not None:
        site["shifts"] = shifts
    if draw(st.booleans()):
        closed = start + timedelta(days=draw(st.integers(0, days - 1)))
        site["closures"] = [{"name": "inventário", "from": closed, "to": closed}]
    site["tariffs"] = draw(tariffs(start, end, carriers))
    factors = [{"carrier": "electricity", "kg_co2e_per_kwh": 0.21, "source": "grid ß"}]
    if "gas" in carriers and draw(st.booleans()):
        factors.append({"carrier": "gas", "kg_co2e_per_kwh": 0.202, "source": "IPCC"})
    site["emission_factors"] = factors
    return site, end, days


# ------------------------------------------------------------------ the meters


def _series(metric: str, unit: str, interval: str) -> dict[str, str]:
    return {"metric": metric, "unit": unit, "interval": interval}


@st.composite
def electricity_tree(
    draw: st.DrawFn, names: list[str], intervals: tuple[str, ...] = INTERVALS
) -> list[dict[str, Any]]:
    """A tree of electricity meters 1-4 levels deep, their energy read at `intervals`; some
    leaves are production lines, with production on their own meter or on a linked counter."""
    depth = draw(st.integers(1, 4))
    meters: list[dict[str, Any]] = []

    def add(parent: str | None, level: int) -> None:
        if not names:
            return
        name = names.pop()
        meter: dict[str, Any] = {"name": name, "carrier": "electricity"}
        if parent:
            meter["parent"] = parent
        interval = draw(st.sampled_from(intervals))
        meter["series"] = [_series("energy", "kWh", interval)]
        meters.append(meter)
        if level < depth:
            for _ in range(draw(st.integers(1, 2 if level > 1 else 3))):
                add(name, level + 1)
        elif draw(st.integers(0, 2)) == 0:
            meter["series"].append(_series("production", "unit", draw(st.sampled_from(INTERVALS))))
        elif draw(st.integers(0, 2)) == 0 and names:
            counter = names.pop()
            meter["production"] = [counter]
            series = [_series("production", "unit", draw(st.sampled_from(INTERVALS)))]
            meters.append({"name": counter, "carrier": "production", "series": series})

    add(None, 1)
    if draw(st.booleans()) and names:
        meters[0]["floor_area_m2"] = draw(st.integers(200, 5000))
    return meters


@st.composite
def other_meters(
    draw: st.DrawFn, names: list[str], force: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Gas (kWh or m3, sometimes with a sub-meter), water, heat, compressed air, a weather
    station and a driver: each at most once."""
    meters: list[dict[str, Any]] = []
    options = {
        "gas": ("energy", "kWh"),
        "gas m3": ("volume", "m3"),
        "water": ("volume", "m3"),
        "heat": ("energy", "kWh"),
        "compressed_air": ("volume", "m3"),
        "weather": ("outdoor_temperature", "degC"),
        "driver": ("occupancy", "%"),
    }
    chosen = draw(st.lists(st.sampled_from(sorted(options)), max_size=4, unique=True))
    chosen = [c for c in force if c in options] + [c for c in chosen if c not in force]
    for choice in chosen:
        if not names:
            break
        if choice == "gas m3" and "gas" in chosen:
            continue
        metric, unit = options[choice]
        carrier = choice.split()[0]
        interval = draw(st.sampled_from(INTERVALS))
        meter = {
            "name": names.pop(),
            "carrier": carrier,
            "series": [_series(metric, unit, interval)],
        }
        meters.append(meter)
        if carrier == "gas" and names and draw(st.booleans()):
            child_interval = draw(st.sampled_from(INTERVALS))
            meters.append(
                {
                    "name": names.pop(),
                    "carrier": "gas",
                    "parent": meter["name"],
                    "series": [_series(metric, unit, child_interval)],
                }
            )
    return meters


@st.composite
def outages(draw: st.DrawFn, case: PlantCase) -> list[FaultSpec]:
    """Sometimes an outage (whole local hours) on one meter inside the history."""
    if not draw(st.booleans()):
        return []
    meter = draw(st.sampled_from([m["name"] for m in case.meters()]))
    day = case.start + timedelta(days=draw(st.integers(0, case.days - 1)))
    start = datetime.combine(day, time(draw(st.integers(0, 20))))
    return [FaultSpec(meter=meter, kind="outage", start=start, hours=draw(st.integers(2, 30)))]


@st.composite
def plant_cases(draw: st.DrawFn, force: tuple[str, ...] = ()) -> PlantCase:
    """A valid plant file with a few days of history. `force` makes sure of a feature: an
    interval ('1min' ... '1d': every electricity meter's energy read so), 'gas m3' (a gas
    meter read in m3, the site's calorific value given) or 'offset change' (the history
    crosses a change of the zone's offset)."""
    intervals = tuple(f for f in force if f in INTERVALS) or INTERVALS
    names = draw(meter_names(14))
    meters = draw(electricity_tree(names, intervals))
    meters += draw(other_meters(names, force))
    carriers = {m["carrier"] for m in meters}
    site, end, days = draw(sites(carriers, force))
    data = {"version": 1, "site": site, "meters": meters}
    case = PlantCase(data, draw(st.integers(0, 9999)), end, days)
    case.faults = draw(outages(case))
    return case


def fixed_case(
    timezone: str = "Asia/Kolkata", end: date = date(2026, 8, 17), days: int = 3
) -> PlantCase:
    """One hand-made plant: a supply with a line (own production), a line with a linked
    counter and a daily office; by default in Asia/Kolkata, three days around a holiday."""
    tariff = {
        "carrier": "electricity",
        "name": "TOD",
        "default_price": 7.1,
        "demand_charge_per_kw": 350.0,
    }
    meters = [
        {
            "name": "Grid 11 kV",
            "carrier": "electricity",
            "series": [_series("energy", "kWh", "15min")],
        },
        {
            "name": "Línea 1",
            "carrier": "electricity",
            "parent": "Grid 11 kV",
            "series": [_series("energy", "kWh", "5min"), _series("production", "unit", "1h")],
        },
        {
            "name": "Presse 2",
            "carrier": "electricity",
            "parent": "Grid 11 kV",
            "production": ["Zähler 2"],
            "series": [_series("energy", "kWh", "15min")],
        },
        {
            "name": "Zähler 2",
            "carrier": "production",
            "series": [_series("production", "unit", "30min")],
        },
        {
            "name": "Office Ω",
            "carrier": "electricity",
            "floor_area_m2": 900,
            "series": [_series("energy", "kWh", "1d")],
        },
    ]
    country, region = ZONES[timezone]
    site = {
        "name": "pune",
        "timezone": timezone,
        **({"country": country} if country else {}),
        **({"region": region} if region else {}),
        "currency": "INR",
        "tariffs": [tariff],
        "shifts": SHIFT_PLANS[3],
    }
    return PlantCase({"version": 1, "site": site, "meters": meters}, 11, end, days)
