"""A deterministic simulator of the demo plant's 15-minute metering, with injected faults.

Every value is a pure function of (seed, meter, timestamp): random parts are drawn per UTC day
from generators seeded with (seed, stream, day), so a one-year history and a 15-minute live
window agree exactly on the timestamps they share. The fault schedule is drawn per calendar
year, so it does not depend on the window asked for either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import holidays
import numpy as np
import numpy.typing as npt
import pandas as pd

from connectors.plant import EVENT_KINDS, InjectedEvent, PlantSpec

Array = npt.NDArray[np.float64]
STEP = 900
# Bumped whenever the simulated data change, so stores cached from older data are rebuilt.
SIMULATOR_VERSION = 2
LOSSES = 0.025  # transformer and cable losses between the incomer and the sub-meters

_STREAMS = {
    name: i
    for i, name in enumerate(["weather-day", "weather-front", "demand", "noise", "events", "spike"])
}


@dataclass
class Simulation:
    frame: pd.DataFrame  # ts (int64, interval start, UTC), meter, metric, value (canonical)
    events: list[InjectedEvent]


@dataclass(frozen=True)
class _Clock:
    """Calendar features of each timestamp, in the plant's local time."""

    ts: npt.NDArray[np.int64]
    hour: Array  # local hour of day, fractional
    weekday: npt.NDArray[np.int64]
    doy: Array
    off: npt.NDArray[np.bool_]  # public holiday or shutdown


def _clock(plant: PlantSpec, ts: npt.NDArray[np.int64]) -> _Clock:
    local = pd.DatetimeIndex(pd.to_datetime(ts, unit="s", utc=True)).tz_convert(plant.timezone)
    dates = local.date
    years = sorted({d.year for d in dates} | {dates[0].year - 1} if len(dates) else set())
    closed = _closed_days(plant.country, plant.subdivision, plant.shutdown, tuple(years))
    return _Clock(
        ts=ts,
        hour=np.asarray(local.hour + local.minute / 60.0, dtype=np.float64),
        weekday=np.asarray(local.day_of_week, dtype=np.int64),
        doy=np.asarray(local.day_of_year, dtype=np.float64),
        off=np.array([d in closed for d in dates], dtype=bool),
    )


@lru_cache(maxsize=32)
def _closed_days(
    country: str,
    subdivision: str,
    shutdown: tuple[tuple[int, int], tuple[int, int]],
    years: tuple[int, ...],
) -> frozenset[date]:
    days = set(holidays.country_holidays(country, subdiv=subdivision, years=years))
    (m1, d1), (m2, d2) = shutdown
    for year in years:
        day = date(year, m1, d1)
        while day <= date(year + 1, m2, d2):
            days.add(day)
            day += timedelta(days=1)
    return frozenset(days)


def _daily_draws(seed: int, stream: str, key: int, ts: npt.NDArray[np.int64], width: int) -> Array:
    """Per-timestamp standard normals, drawn per UTC day so any window sees the same values."""
    days = ts // 86400
    out = np.empty((len(ts), width))
    for day in np.unique(days):
        rng = np.random.default_rng([seed, _STREAMS[stream], key, int(day)])
        block = rng.standard_normal((96, width))
        mask = days == day
        out[mask] = block[(ts[mask] % 86400) // STEP]
    return out


def _knots(seed: int, stream: str, ts: npt.NDArray[np.int64], spacing: int, scale: float) -> Array:
    """Smooth noise: random values at fixed knots, linearly interpolated (persistent fronts)."""
    k0, k1 = int(ts.min() // spacing), int(ts.max() // spacing) + 1
    values = [
        np.random.default_rng([seed, _STREAMS[stream], spacing, k]).standard_normal()
        for k in range(k0, k1 + 1)
    ]
    return scale * np.interp(ts / spacing, np.arange(k0, k1 + 1), values)


def outdoor_temperature(seed: int, clock: _Clock) -> Array:
    seasonal = 9.5 - 9.5 * np.cos(2 * np.pi * (clock.doy - 20) / 365.25)
    diurnal = 4.0 * np.cos(2 * np.pi * (clock.hour - 15) / 24)
    fronts = _knots(seed, "weather-front", clock.ts, 3 * 86400, 3.0) + _knots(
        seed, "weather-day", clock.ts, 86400, 1.5
    )
    return seasonal + diurnal + fronts


def _working(plant: PlantSpec, clock: _Clock, line: str) -> Array:
    """Share of the quarter-hour a line runs (0..1) from the shift plan."""
    run = np.zeros(len(clock.ts))
    for shift in plant.shifts:
        if shift.name == "saturday" and line != "line-a":
            continue
        on_day = np.isin(clock.weekday, shift.weekdays) & ~clock.off
        inside = (clock.hour >= shift.start_hour) & (clock.hour < shift.end_hour)
        run = np.maximum(run, (on_day & inside).astype(float))
    return run


def production(plant: PlantSpec, seed: int, clock: _Clock, line: str, noise: Array) -> Array:
    nominal = {"line-a": 120.0, "line-b": 80.0}[line]
    week = (clock.ts + 3 * 86400) // (7 * 86400)  # weeks starting Monday 00:00 UTC
    demand = np.array(
        [
            0.8 + 0.35 * np.random.default_rng([seed, _STREAMS["demand"], int(w)]).random()
            for w in week
        ]
    )
    pieces = _working(plant, clock, line) * nominal * demand * (1 + 0.06 * noise)
    return np.asarray(np.round(np.clip(pieces, 0, None)), dtype=np.float64)


def _electric_loads(
    plant: PlantSpec, seed: int, clock: _Clock, temp: Array, pieces: dict[str, Array], noise: Array
) -> dict[str, Array]:
    """Average kW per quarter-hour of each electrical sub-meter, before faults."""
    run_a = _working(plant, clock, "line-a")
    run_b = _working(plant, clock, "line-b")
    producing = np.maximum(run_a, run_b)
    line_a = 8 + run_a * 32 + 1.4 * pieces["line-a"]
    line_b = 6 + run_b * 24 + 2.0 * pieces["line-b"]
    air = 0.06 + 0.94 * (pieces["line-a"] / 120 * 0.6 + pieces["line-b"] / 80 * 0.4) / 1.1
    air_kw = 200 * np.clip(air, 0.06, 1.0)
    comp1 = np.minimum(air_kw, 105.0) + producing * 4
    comp2 = np.clip(air_kw - 105.0, 0, None) + producing * 6
    hot = np.clip(temp - 14.0, 0, None)
    occupied = producing > 0
    # Comfort cooling grows with heat outside; process cooling runs whenever the lines do.
    chiller = 2.0 + hot * np.where(occupied, 6.0, 2.5) + producing * 18.0
    daylight = np.clip(np.sin(np.pi * (clock.hour - 6) / 14), 0, 1) * (
        0.5 - 0.3 * np.cos(2 * np.pi * (clock.doy - 172) / 365.25)
    )
    lighting = 4 + producing * 34 * (1 - 0.6 * daylight)
    office_hours = (clock.hour >= 7) & (clock.hour < 18) & (clock.weekday < 5) & ~clock.off
    comfort = np.clip(15 - temp, 0, None) * 0.35 + np.clip(temp - 22, 0, None) * 0.9
    offices = 8 + office_hours * (22 + comfort)
    loads = {
        "compressor-1": comp1,
        "compressor-2": comp2,
        "chiller": chiller,
        "line-a": line_a,
        "line-b": line_b,
        "lighting": lighting,
        "offices": offices,
    }
    return {name: kw * (1 + 0.03 * noise[:, i]) for i, (name, kw) in enumerate(loads.items())}


def _boiler_kw(clock: _Clock, temp: Array, noise: Array) -> Array:
    occupied = (clock.hour >= 5) & (clock.hour < 20) & (clock.weekday < 6) & ~clock.off
    cold = np.clip(15.0 - temp, 0, None)
    heating = cold * np.where(occupied, 11.0, 5.0)
    hot_water = occupied * 12.0
    return (heating + hot_water + 3.0) * (1 + 0.04 * noise)


def _fault_free(
    plant: PlantSpec, seed: int, ts: npt.NDArray[np.int64]
) -> tuple[Array, dict[str, Array], dict[str, Array], Array]:
    """Temperature, production, sub-meter kW and the noise draws, before any fault."""
    clock = _clock(plant, ts)
    noise = _daily_draws(seed, "noise", 0, ts, 12)
    temp = outdoor_temperature(seed, clock) + 0.2 * noise[:, 11]
    pieces = {
        line: production(plant, seed, clock, line, noise[:, 9 + i])
        for i, line in enumerate(("line-a", "line-b"))
    }
    kw = _electric_loads(plant, seed, clock, temp, pieces, noise)
    kw["boiler"] = _boiler_kw(clock, temp, noise[:, 7])
    return temp, pieces, kw, noise


def simulate(plant: PlantSpec, start: datetime, end: datetime, seed: int) -> Simulation:
    """Every 15-minute interval whose start lies in [start, end), all meters, faults applied."""
    first = -(-int(start.timestamp()) // STEP) * STEP
    ts = np.arange(first, int(end.timestamp()), STEP, dtype=np.int64)
    events = [e for e in schedule(plant, seed, start, end)]
    if len(ts) == 0:
        return Simulation(pd.DataFrame(columns=["ts", "meter", "metric", "value"]), events)
    temp, pieces, kw, noise = _fault_free(plant, seed, ts)
    _apply_physical_faults(kw, events, ts, seed)
    true_total = sum(v for name, v in kw.items() if name != "boiler")
    kw["main-incomer"] = true_total * (1 + LOSSES) * (1 + 0.005 * noise[:, 8])
    columns: dict[tuple[str, str], Array] = {
        (name, "energy"): np.round(v / 4.0, 3) for name, v in kw.items()
    }
    columns[("weather", "outdoor_temperature")] = np.round(temp, 2)
    columns[("line-a-output", "production")] = pieces["line-a"]
    columns[("line-b-output", "production")] = pieces["line-b"]
    frame = _frame(ts, columns, events)
    return Simulation(frame, events)


def _frame(
    ts: npt.NDArray[np.int64], columns: dict[tuple[str, str], Array], events: list[InjectedEvent]
) -> pd.DataFrame:
    parts = []
    for (meter, metric), values in columns.items():
        keep = np.ones(len(ts), dtype=bool)
        values = values.copy()
        for e in events:
            if e.meter != meter:
                continue
            inside = (ts >= int(e.start.timestamp())) & (ts < int(e.end.timestamp()))
            if e.kind == "meter_outage":
                keep &= ~inside
            elif e.kind == "stuck_meter":
                values[inside] = float(e.details["stuck_value"])
        parts.append(
            pd.DataFrame({"ts": ts[keep], "meter": meter, "metric": metric, "value": values[keep]})
        )
    return pd.concat(parts, ignore_index=True)


def _apply_physical_faults(
    kw: dict[str, Array], events: list[InjectedEvent], ts: npt.NDArray[np.int64], seed: int
) -> None:
    """Faults that change what the equipment draws (the meters then measure them truthfully)."""
    # A leak is load the compressor carries, so it fluctuates like the rest of its load; a
    # constant addition would read as identical values at night, which is a stuck register.
    fault_noise = _daily_draws(seed, "noise", 1, ts, 1)[:, 0]
    for e in events:
        t0, t1 = int(e.start.timestamp()), int(e.end.timestamp())
        inside = (ts >= t0) & (ts < t1)
        if not inside.any():
            continue
        target = kw[e.meter]
        if e.kind == "compressed_air_leak":
            extra = float(e.details["extra_kw"])
            target[inside] += extra * (1 + 0.03 * fault_noise[inside])
        elif e.kind == "chiller_efficiency_drift":
            ramp = np.clip((ts[inside] - t0) / (t1 - t0), 0, 1)
            target[inside] *= 1 + float(e.details["max_increase"]) * ramp
        elif e.kind == "boiler_short_cycling":
            phase = (ts[inside] // STEP) % 3
            target[inside] *= np.where(phase == 0, 1.55, 0.95)
        elif e.kind == "demand_spike":
            target[inside] += float(e.details["extra_kw"])


# ---------------------------------------------------------------- fault schedule


def schedule(plant: PlantSpec, seed: int, start: datetime, end: datetime) -> list[InjectedEvent]:
    """The injected events overlapping [start, end)."""
    out = []
    for year in range(start.astimezone(UTC).year - 1, end.astimezone(UTC).year + 1):
        for event in _year_events(plant, seed, year):
            if event.start < end and event.end > start:
                out.append(event)
    return sorted(out, key=lambda e: e.start)


def _local(plant: PlantSpec, year: int, month: int, day: int, hour: float) -> datetime:
    from zoneinfo import ZoneInfo

    whole = int(hour)
    moment = datetime(
        year, month, day, whole, int((hour - whole) * 60), tzinfo=ZoneInfo(plant.timezone)
    )
    return moment.astimezone(UTC)


def _workday(plant: PlantSpec, year: int, month: int, day: int) -> int:
    closed = _closed_days(plant.country, plant.subdivision, plant.shutdown, (year,))
    current = date(year, month, day)
    while current.weekday() >= 5 or current in closed:
        current += timedelta(days=1)
    return current.day


_EVENT_CACHE: dict[tuple[str, int, int], tuple[InjectedEvent, ...]] = {}


def _year_events(plant: PlantSpec, seed: int, year: int) -> tuple[InjectedEvent, ...]:
    key = (plant.site, seed, year)
    if key not in _EVENT_CACHE:
        _EVENT_CACHE[key] = _draw_year_events(plant, seed, year)
    return _EVENT_CACHE[key]


def _draw_year_events(plant: PlantSpec, seed: int, year: int) -> tuple[InjectedEvent, ...]:
    """Two events of each kind per calendar year, in months chosen so none overlap per meter."""
    rng = np.random.default_rng([seed, _STREAMS["events"], year])
    events: list[InjectedEvent] = []

    def add(
        meter: str, kind: str, begin: datetime, hours: float, text: str, **details: Any
    ) -> None:
        events.append(
            InjectedEvent(meter, kind, begin, begin + timedelta(hours=hours), text, dict(details))
        )

    for month, meter in ((3, "compressor-1"), (9, "compressor-2")):
        extra = round(float(rng.uniform(14, 24)), 1)
        add(
            meter,
            "compressed_air_leak",
            _local(plant, year, month, int(rng.integers(3, 12)), 18.0),
            24 * float(rng.integers(10, 19)),
            f"Compressed-air leak: {meter} draws about {extra} kW more, nights and weekends too.",
            extra_kw=extra,
        )
    for month in (6, 8):
        increase = round(float(rng.uniform(0.25, 0.35)), 2)
        add(
            "chiller",
            "chiller_efficiency_drift",
            _local(plant, year, month, int(rng.integers(1, 6)), 0.0),
            24 * float(rng.integers(21, 30)),
            f"Chiller efficiency drift (fouled condenser): consumption rises up to {increase:.0%}, "
            "fixed by cleaning.",
            max_increase=increase,
        )
    for month in (1, 11):
        add(
            "boiler",
            "boiler_short_cycling",
            _local(plant, year, month, int(rng.integers(8, 18)), 5.0),
            24 * float(rng.integers(3, 7)),
            "Boiler short-cycling: burner switches on and off every few minutes, about 20 % "
            "more gas.",
        )
    for month, meter in ((2, "line-b"), (10, "offices")):
        add(
            meter,
            "meter_outage",
            _local(plant, year, month, int(rng.integers(4, 24)), float(rng.integers(0, 20))),
            float(rng.integers(6, 40)),
            f"Meter outage: {meter} sent no data (gateway down).",
        )
    for month, meter in ((4, "lighting"), (12, "compressor-2")):
        begin = _local(plant, year, month, int(rng.integers(2, 14)), 10.0)
        add(
            meter,
            "stuck_meter",
            begin,
            24 * float(rng.integers(1, 4)),
            f"Stuck meter: {meter} repeated the same reading.",
            stuck_value=_stuck_value(plant, seed, meter, begin),
        )
    for month, meter in ((5, "line-a"), (7, "line-b")):
        day = _workday(plant, year, month, int(rng.integers(5, 25)))
        extra = round(float(rng.uniform(320, 480)), 0)
        add(
            meter,
            "demand_spike",
            _local(plant, year, month, day, 9.0 + 0.25 * float(rng.integers(0, 16))),
            0.25 * float(rng.integers(2, 5)),
            f"Demand spike: {meter} drew about {extra:.0f} kW extra (press started under load).",
            extra_kw=extra,
        )
    assert {e.kind for e in events} == set(EVENT_KINDS)
    return tuple(events)


def _stuck_value(plant: PlantSpec, seed: int, meter: str, begin: datetime) -> float:
    """The last good reading before a stuck period: the meter keeps repeating it."""
    before = simulate_one(plant, seed, begin - timedelta(minutes=15), meter)
    return before


def simulate_one(plant: PlantSpec, seed: int, moment: datetime, meter: str) -> float:
    """A meter's fault-free energy in the quarter-hour holding `moment`, kWh."""
    ts = np.array([int(moment.timestamp()) // STEP * STEP], dtype=np.int64)
    _, _, kw, _ = _fault_free(plant, seed, ts)
    return round(float(kw[meter][0]) / 4.0, 3)
