"""Synthetic history for any plant file: plausible, seeded readings for every series the
catalogue declares, at each series' own interval, with optional labelled faults.

The plant is known only through its catalogue (carriers, units, tree, production links,
shifts, holidays, closures, calorific value), never by a meter's name. Each meter draws a load
on a fine grid: a base load, a part that follows the site's working hours, cooling and heating
that follow the outdoor temperature, and energy per unit produced where the meter has its own
production series or linked production meters. A parent draws the sum of its children of the
same carrier plus an unmetered remainder. Each series then integrates (amounts) or averages
(levels) that load over its own intervals, in the site's local time: 1 minute to a day.

Every value is a pure function of (seed, meter, instant), so a year written month by month
equals the year written at once, and a live window agrees with history where they overlap.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time

import numpy as np
import numpy.typing as npt
import pandas as pd

from common.intervals import Interval
from common.timeutil import zone
from common.units import ADDITIVE_METRICS
from connectors.catalog_file import PlantDocument
from connectors.catalog_sync import Catalogue, MeterState, SiteState, desired_meter, desired_site
from connectors.synth_calendar import (
    STREAMS,
    Climate,
    Clock,
    climate,
    closed_days,
    daylight,
    draws,
    make_clock,
    outdoor_temperature,
)
from connectors.synth_faults import PHYSICAL, Eligible, Fault, FaultSpec, drawn, place
from store.rollups import bucket_starts, day_range

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Bumped whenever the synthetic data change, so stores cached from older data are rebuilt.
SYNTH_VERSION = 1
DEFAULT_INTERVAL_S = 900  # a series that declares no interval reports every quarter-hour
BILLING_S = 0  # a series read from bills: its periods are not simulated
DAY_S = 86400
DEFAULT_CALORIFIC = 10.5  # kWh per m3 of natural gas when the site declares none
AIR_KWH_PER_M3 = 0.11  # specific power of a compressor: kWh per m3 of free air
ENERGY_CARRIERS = frozenset({"electricity", "gas", "heat", "steam"})
HEATING_CARRIERS = frozenset({"gas", "heat", "steam"})
ROUNDING = {"energy": 3, "volume": 3, "production": 0}


@dataclass(frozen=True)
class Traits:
    """How a meter's load behaves, per hour (kW for energy, m3/h for volume, units/h for
    production): `base` always, `shift` while the site works, `cooling` per K above 18 degC,
    `heating` per K below 15.5 degC, `daylight` the share of the working load daylight saves,
    `per_unit` kWh per unit produced, `rate` units per hour while working."""

    base: float = 0.0
    shift: float = 0.0
    cooling: float = 0.0
    heating: float = 0.0
    daylight: float = 0.0
    per_unit: float = 0.0
    rate: float = 0.0

    @property
    def typical(self) -> float:
        return self.base + self.shift + self.per_unit * self.rate


@dataclass(frozen=True)
class PlantView:
    """The catalogue as the synthesizer reads it: the site and its meters by name."""

    site: SiteState
    meters: Mapping[str, MeterState]

    @classmethod
    def of_document(cls, document: PlantDocument) -> PlantView:
        """A whole plant file, as it would be once applied to an empty store."""
        plant = document.plant
        return cls(
            desired_site(plant.site, None),
            {m.name: desired_meter(m, None) for m in plant.meters},
        )

    @classmethod
    def of_catalogue(cls, catalogue: Catalogue) -> PlantView:
        if catalogue.site is None:
            raise ValueError("the site is not in the store")
        return cls(catalogue.site, dict(catalogue.meters))

    @property
    def timezone(self) -> str:
        return self.site.timezone

    def children(self, name: str) -> list[str]:
        return sorted(n for n, m in self.meters.items() if m.parent == name)


@dataclass(frozen=True)
class SeriesKey:
    meter: str
    metric: str
    unit: str
    interval_s: int


@dataclass
class Synthesis:
    """Readings (ts: interval start, epoch s UTC; meter; metric; value in the series' unit),
    the faults injected, and the series left out with why."""

    frame: pd.DataFrame
    faults: list[Fault]
    skipped: dict[tuple[str, str], str] = field(default_factory=dict)


# ------------------------------------------------------------------ what each meter is


def _key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def metrics(meter: MeterState) -> set[str]:
    return {s[0] for s in meter.series}


def quantity(meter: MeterState) -> str:
    """What flows through a meter: 'energy' (kW), 'volume' (m3/h), 'units' (production),
    'weather' or 'level' (anything else a driver reports)."""
    have = metrics(meter)
    if meter.kind in ENERGY_CARRIERS or have & {"energy", "power", "demand"}:
        return "energy"
    if meter.kind in ("water", "compressed_air") or have & {"volume", "flow"}:
        return "volume"
    if meter.kind == "production" or "production" in have:
        return "units"
    return "weather" if meter.kind == "weather" else "level"


def _links(plant: PlantView) -> dict[str, list[str]]:
    """Each meter's production meters: its own series, else its explicit links."""
    out: dict[str, list[str]] = {}
    for name, meter in plant.meters.items():
        if "production" in metrics(meter) and quantity(meter) == "energy":
            out[name] = [name]
        else:
            out[name] = [p for p in meter.production if p in plant.meters]
    return out


def default_traits(plant: PlantView, seed: int, name: str) -> Traits:
    """A meter's load, drawn from the seed and its catalogue entry (carrier, tree, production)."""
    meter = plant.meters[name]
    rng = np.random.default_rng([seed, STREAMS["traits"], _key(name)])
    kind = quantity(meter)
    rate = float(rng.uniform(40, 400)) if "production" in metrics(meter) else 0.0
    if kind == "units":
        return Traits(rate=rate)
    if kind == "volume":
        size = float(np.exp(rng.normal(np.log(250 if meter.kind == "compressed_air" else 3), 0.5)))
        return Traits(base=0.15 * size, shift=0.85 * size)
    if kind != "energy":
        return Traits()
    size = float(np.clip(np.exp(rng.normal(np.log(40), 0.7)), 3, 250))
    same = [c for c in plant.children(name) if plant.meters[c].kind == meter.kind]
    if same:  # the unmetered rest of a distribution board or a supply
        return Traits(base=0.06 * size, shift=0.08 * size)
    if meter.kind in HEATING_CARRIERS:
        size *= 2
        return Traits(
            base=0.08 * size, shift=0.1 * size, heating=float(rng.uniform(0.04, 0.08)) * size
        )
    if _links(plant)[name]:
        return Traits(base=0.15 * size, shift=0.35 * size, per_unit=0.5 * size / 200, rate=rate)
    return Traits(
        base=float(rng.uniform(0.1, 0.4)) * size,
        shift=float(rng.uniform(0.2, 0.9)) * size,
        cooling=float(rng.uniform(0.03, 0.08)) * size if rng.random() < 0.3 else 0.0,
        heating=float(rng.uniform(0.02, 0.05)) * size if rng.random() < 0.1 else 0.0,
        daylight=float(rng.uniform(0.3, 0.7)) if rng.random() < 0.2 else 0.0,
        rate=rate,
    )


def plant_traits(
    plant: PlantView, seed: int, overrides: Mapping[str, Mapping[str, float]] | None = None
) -> dict[str, Traits]:
    """Every meter's traits: drawn from the seed, then any values a scenario gives."""
    out = {}
    for name in plant.meters:
        traits = default_traits(plant, seed, name)
        given = dict((overrides or {}).get(name, {}))
        out[name] = replace(traits, **given) if given else traits
    return out


def eligible(plant: PlantView, traits: Mapping[str, Traits]) -> Eligible:
    """Meters a drawn fault may hit: loads for physical faults, any metered series for the rest."""
    loads = [
        n
        for n, m in sorted(plant.meters.items())
        if quantity(m) in ("energy", "volume") and not plant.children(n)
    ]
    reporting = [n for n, m in sorted(plant.meters.items()) if _reported(plant, m)]
    return Eligible(loads, reporting, {n: t.typical for n, t in traits.items()})


def _reported(plant: PlantView, meter: MeterState) -> bool:
    return any(_interval(s) is not None for s in _series_of(meter))


def _series_of(meter: MeterState) -> list[SeriesKey]:
    return [
        SeriesKey(meter.name, metric, unit, _seconds(interval))
        for metric, unit, interval in meter.series
    ]


def _seconds(interval: str | None) -> int:
    if interval is None:
        return DEFAULT_INTERVAL_S
    parsed = Interval.parse(interval)
    return BILLING_S if parsed.billing else parsed.seconds


def _interval(key: SeriesKey) -> int | None:
    """The series' interval if synthetic history supports it: a divisor of an hour or any
    whole number of minutes below a day, or exactly a day."""
    if key.interval_s == DAY_S or (0 < key.interval_s < DAY_S and key.interval_s % 60 == 0):
        return key.interval_s
    return None


# ------------------------------------------------------------------ loads on the fine grid


@dataclass
class _Grid:
    plant: PlantView
    seed: int
    clock: Clock
    weather: Climate
    temperature: Array
    traits: Mapping[str, Traits]
    faults: Sequence[Fault]
    rates: dict[str, Array] = field(default_factory=dict)
    loads: dict[str, Array] = field(default_factory=dict)

    @property
    def hours(self) -> float:
        return self.clock.step / 3600


def _noise(grid: _Grid, name: str, salt: int = 0) -> Array:
    return draws(grid.seed, "noise", _key(name) + salt, grid.clock.ts, grid.clock.step)


def _weekly_demand(grid: _Grid, name: str) -> Array:
    """Order intake: each line runs a little fuller or emptier from week to week."""
    week = (grid.clock.ts + 3 * DAY_S) // (7 * DAY_S)  # weeks from Monday 00:00 UTC
    unique, inverse = np.unique(week, return_inverse=True)
    factors = np.array(
        [
            np.random.default_rng([grid.seed, STREAMS["demand"], _key(name), int(w)]).uniform(
                0.8, 1.15
            )
            for w in unique.tolist()
        ]
    )
    return np.asarray(factors[inverse], dtype=np.float64)


def _rate(grid: _Grid, name: str) -> Array:
    """Units produced per hour on a meter's own production series."""
    if name not in grid.rates:
        nominal = grid.traits[name].rate
        run = grid.clock.working.astype(float) * _weekly_demand(grid, name)
        noisy = run * nominal * (1 + 0.06 * _noise(grid, name, 1))
        grid.rates[name] = np.asarray(np.clip(noisy, 0, None), dtype=np.float64)
    return grid.rates[name]


def _own_load(grid: _Grid, name: str, links: Sequence[str]) -> Array:
    t = grid.traits[name]
    run = grid.clock.working.astype(float)
    temp = grid.temperature
    load = t.base + run * t.shift * (1 - t.daylight * daylight(grid.clock, grid.weather))
    load = load + t.cooling * np.clip(temp - 18.0, 0, None) * (0.5 + 0.5 * run)
    load = load + t.heating * np.clip(15.5 - temp, 0, None) * (0.6 + 0.4 * run)
    for made in links:
        load = load + t.per_unit * _rate(grid, made)
    return np.asarray(np.clip(load * (1 + 0.03 * _noise(grid, name)), 0, None), dtype=np.float64)


def _load(grid: _Grid, name: str, links: Mapping[str, list[str]]) -> Array:
    """A meter's load per hour: its own plus its children's of the same carrier, faults
    applied where they happen (so a parent sees its children's leaks)."""
    if name in grid.loads:
        return grid.loads[name]
    meter = grid.plant.meters[name]
    load = _own_load(grid, name, links[name])
    for child in grid.plant.children(name):
        other = grid.plant.meters[child]
        if other.kind == meter.kind and quantity(other) == quantity(meter):
            load = load + _load(grid, child, links)
    grid.loads[name] = _physical(grid, name, load)
    return grid.loads[name]


def _physical(grid: _Grid, name: str, load: Array) -> Array:
    out = load.copy()
    ts = grid.clock.ts
    for f in grid.faults:
        if f.meter != name or f.kind not in PHYSICAL:
            continue
        inside = (ts >= f.start_ts) & (ts < f.end_ts)
        if not inside.any():
            continue
        if f.kind == "step":
            # Load the equipment carries fluctuates like the rest of it: a constant step
            # would read as identical values at night, which is a stuck register.
            out[inside] += f.size * (1 + 0.03 * _noise(grid, name, 2)[inside])
        elif f.kind == "drift":
            ramp = np.clip((ts[inside] - f.start_ts) / (f.end_ts - f.start_ts), 0, 1)
            out[inside] *= 1 + f.size * ramp
        else:
            out[inside] += f.size
    return out


# ------------------------------------------------------------------ series from the loads


def _fine(grid: _Grid, key: SeriesKey, links: Mapping[str, list[str]]) -> Array:
    """Per fine instant: the amount per hour (amounts) or the level (levels) of a series."""
    meter = grid.plant.meters[key.meter]
    metric = key.metric
    if metric == "production":
        return _rate(grid, key.meter)
    if metric == "outdoor_temperature":
        offset = 0.4 * np.random.default_rng([grid.seed, _key(key.meter)]).standard_normal()
        return grid.temperature + offset + 0.2 * _noise(grid, key.meter, 3)
    if metric == "humidity":
        wet = 65 - 2.0 * (grid.temperature - grid.weather.mean) + 5 * _noise(grid, key.meter, 4)
        return np.asarray(np.clip(wet, 10, 100), dtype=np.float64)
    if quantity(meter) in ("energy", "volume"):
        load = _load(grid, key.meter, links)
        if metric in ("volume", "flow") and quantity(meter) == "energy":
            per_m3 = _kwh_per_m3(grid.plant, meter)
            return load / per_m3
        if metric in ("volume", "flow", "energy", "power", "demand"):
            return load
    return _level(grid, key)


def _kwh_per_m3(plant: PlantView, meter: MeterState) -> float:
    if meter.kind == "compressed_air":
        return AIR_KWH_PER_M3
    return plant.site.profile.gas_calorific_value_kwh_per_m3 or DEFAULT_CALORIFIC


def _level(grid: _Grid, key: SeriesKey) -> Array:
    """A driver's reading: occupancy and counts follow the working hours, anything else
    wanders around a fixed level."""
    run = grid.clock.working.astype(float)
    wobble = _noise(grid, key.meter, 5)
    if key.unit == "%":
        return np.asarray(np.clip(85 * run + 5 + 3 * wobble, 0, 100), dtype=np.float64)
    if key.unit == "unit":
        return np.asarray(np.clip(40 * run + 2 * wobble, 0, None), dtype=np.float64)
    if key.unit == "degC":
        return 20.0 + 1.5 * run + 0.3 * wobble
    return 50.0 + 10.0 * run + 1.0 * wobble


def _buckets(grid: _Grid, interval: int, window: tuple[int, int]) -> tuple[IntArray, IntArray]:
    """Each fine instant's interval start (local), and which intervals lie wholly inside."""
    tz = grid.plant.timezone
    starts = bucket_starts(grid.clock.ts, interval, tz)
    unique = np.unique(starts)
    if interval == DAY_S:
        ends = np.array([day_range(int(s), int(s), tz)[1] for s in unique.tolist()])
    else:
        ends = unique + interval
    whole = unique[(unique >= window[0]) & (ends <= window[1])]
    return starts, whole


def _values(grid: _Grid, key: SeriesKey, fine: Array, window: tuple[int, int]) -> pd.DataFrame:
    starts, whole = _buckets(grid, key.interval_s, window)
    keep = np.isin(starts, whole)
    frame = pd.DataFrame({"ts": starts[keep], "v": fine[keep]})
    grouped = frame.groupby("ts", sort=True)["v"]
    if key.metric in ADDITIVE_METRICS:
        values = grouped.sum() * grid.hours
    else:
        values = grouped.mean()
    digits = ROUNDING.get(key.metric, 2)
    out = pd.DataFrame(
        {
            "ts": values.index.to_numpy(np.int64),
            "meter": key.meter,
            "metric": key.metric,
            "value": np.round(values.to_numpy(np.float64), digits) + 0.0,
        }
    )
    return out


def _data_faults(frame: pd.DataFrame, key: SeriesKey, faults: Sequence[Fault]) -> pd.DataFrame:
    for f in faults:
        if f.meter != key.meter or f.kind in PHYSICAL:
            continue
        inside = (frame["ts"] >= f.start_ts) & (frame["ts"] < f.end_ts)
        if f.kind == "outage":
            frame = frame[~inside]
        elif f.kind == "stuck" and key.metric in f.details.get("stuck_values", {}):
            frame.loc[inside, "value"] = float(f.details["stuck_values"][key.metric])
    return frame


# ------------------------------------------------------------------ the whole plant


def fine_step(keys: Sequence[SeriesKey]) -> int:
    """The grid every series' intervals are made of: a divisor of a quarter-hour."""
    step = 900
    for key in keys:
        if key.interval_s < DAY_S:
            step = math.gcd(step, key.interval_s)
    return step


def synthesize(
    plant: PlantView,
    start: datetime,
    end: datetime,
    seed: int,
    *,
    traits: Mapping[str, Traits] | None = None,
    faults: Sequence[Fault] = (),
) -> Synthesis:
    """Every interval of every series lying wholly in [start, end), faults applied."""
    traits = dict(traits) if traits is not None else plant_traits(plant, seed)
    keys, skipped = _plan(plant)
    faults = with_stuck_values(plant, seed, traits, faults, (start, end))
    step = fine_step(keys)
    lo, hi = int(start.timestamp()), int(end.timestamp())
    ts = np.arange(-(-lo // step) * step, hi, step, dtype=np.int64)
    active = [f for f in faults if f.start_ts < hi and f.end_ts > lo]
    if len(ts) == 0 or not keys:
        empty = pd.DataFrame({"ts": [], "meter": [], "metric": [], "value": []})
        return Synthesis(empty, active, skipped)
    grid = _grid(plant, seed, ts, step, traits, faults)
    links = _links(plant)
    parts = []
    for key in keys:
        values = _values(grid, key, _fine(grid, key, links), (lo, hi))
        parts.append(_data_faults(values, key, faults))
    frame = pd.concat(parts, ignore_index=True)
    frame["ts"] = frame["ts"].astype(np.int64)
    return Synthesis(frame, active, skipped)


def _plan(plant: PlantView) -> tuple[list[SeriesKey], dict[tuple[str, str], str]]:
    keys: list[SeriesKey] = []
    skipped: dict[tuple[str, str], str] = {}
    for meter in plant.meters.values():
        for key in _series_of(meter):
            if key.interval_s == BILLING_S:
                skipped[(key.meter, key.metric)] = "billing periods are not simulated"
            elif _interval(key) is None:
                skipped[(key.meter, key.metric)] = (
                    f"an interval of {key.interval_s} s is not simulated (whole minutes below "
                    "a day, or one day)"
                )
            else:
                keys.append(key)
    return keys, skipped


def _grid(
    plant: PlantView,
    seed: int,
    ts: IntArray,
    step: int,
    traits: Mapping[str, Traits],
    faults: Sequence[Fault],
) -> _Grid:
    tz = plant.timezone
    local_years = pd.DatetimeIndex(pd.to_datetime(ts[[0, -1]], unit="s", utc=True)).tz_convert(tz)
    years = tuple(range(int(local_years.year.min()) - 1, int(local_years.year.max()) + 1))
    profile = plant.site.profile
    closed = closed_days(plant.site.country, plant.site.region, profile.closures, years)
    clock = make_clock(ts, step, tz, profile.shifts, closed)
    weather = climate(tz)
    temperature = outdoor_temperature(seed, clock, weather)
    return _Grid(plant, seed, clock, weather, temperature, traits, faults)


def with_stuck_values(
    plant: PlantView,
    seed: int,
    traits: Mapping[str, Traits],
    faults: Sequence[Fault],
    window: tuple[datetime, datetime] | None = None,
) -> list[Fault]:
    """The faults, each stuck meter (overlapping `window`, if given) with the readings it
    repeats: each of its series' last reading before the fault starts."""
    out = []
    for f in faults:
        overlaps = window is None or (f.start < window[1] and f.end > window[0])
        if f.kind == "stuck" and "stuck_values" not in f.details and overlaps:
            f = replace(
                f, details={**f.details, "stuck_values": _stuck(plant, seed, traits, faults, f)}
            )
        out.append(f)
    return out


def _stuck(
    plant: PlantView,
    seed: int,
    traits: Mapping[str, Traits],
    faults: Sequence[Fault],
    fault: Fault,
) -> dict[str, float]:
    tz = zone(plant.timezone)
    day = fault.start.astimezone(tz).date()
    first = datetime.combine(day.fromordinal(day.toordinal() - 2), time(0), tzinfo=tz)
    last = datetime.combine(day.fromordinal(day.toordinal() + 1), time(0), tzinfo=tz)
    others = [f for f in faults if f.kind in PHYSICAL]
    before = synthesize(plant, first, last, seed, traits=traits, faults=others).frame
    mine = before[(before["meter"] == fault.meter) & (before["ts"] < fault.start_ts)]
    return {
        str(metric): float(group.sort_values("ts")["value"].iloc[-1])
        for metric, group in mine.groupby("metric")
    }


def plant_faults(
    plant: PlantView,
    seed: int,
    start: datetime,
    end: datetime,
    *,
    declared: Sequence[FaultSpec] = (),
    random: bool = False,
    traits: Mapping[str, Traits] | None = None,
) -> list[Fault]:
    """The faults of a window: the declared ones placed in time, and one of each kind per
    year drawn from the seed when `random`."""
    traits = traits if traits is not None else plant_traits(plant, seed)
    placed = [place(s, plant.timezone, traits[s.meter].typical) for s in declared]
    if random:
        chosen = eligible(plant, traits)
        placed += drawn(chosen, seed, plant.timezone, start, end, STREAMS["faults"])
    inside = sorted((f for f in placed if f.start < end and f.end > start), key=lambda f: f.start)
    return with_stuck_values(plant, seed, traits, inside)
