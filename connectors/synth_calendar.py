"""The site clock of synthetic history: local time, working hours from the plant file's shifts,
public holidays and closures, and an outdoor temperature whose seasons suit the hemisphere of
the site's time zone.

Every draw is a pure function of (seed, stream, key, UTC day or knot), so a year simulated in
one go and the same days simulated month by month agree exactly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

import holidays
import numpy as np
import numpy.typing as npt
import pandas as pd

from store.profile import ClosureDef, ShiftDef

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# A site without a declared shift plan works like an ordinary day shift.
DEFAULT_SHIFTS = (ShiftDef(days=(0, 1, 2, 3, 4), start="07:00", end="17:00", name="day"),)
# Zones without a place (UTC, Etc/GMT+3) get a temperate northern climate.
DEFAULT_LATITUDE = 45.0

STREAMS = {
    name: i
    for i, name in enumerate(
        ["weather-day", "weather-front", "noise", "demand", "traits", "faults", "humidity"]
    )
}


def draws(seed: int, stream: str, key: int, ts: IntArray, step: int) -> Array:
    """A standard normal per instant, drawn per UTC day on a grid of `step` seconds, so any
    window sees the same values at the same instants."""
    days = ts // 86400
    per_day = 86400 // step
    out = np.empty(len(ts))
    for day in np.unique(days).tolist():
        rng = np.random.default_rng([seed, STREAMS[stream], key, int(day)])
        block = rng.standard_normal(per_day)
        mask = days == day
        out[mask] = block[(ts[mask] % 86400) // step]
    return out


def knots(seed: int, stream: str, key: int, ts: IntArray, spacing: int, scale: float) -> Array:
    """Smooth noise: random values at fixed knots, linearly interpolated (weather fronts)."""
    if len(ts) == 0:
        return np.zeros(0)
    k0, k1 = int(ts.min() // spacing), int(ts.max() // spacing) + 1
    values = [
        np.random.default_rng([seed, STREAMS[stream], key, spacing, k]).standard_normal()
        for k in range(k0, k1 + 1)
    ]
    return scale * np.interp(ts / spacing, np.arange(k0, k1 + 1), values)


# ------------------------------------------------------------------ where the site is

_COORDINATE = re.compile(r"^([+-])(\d{2})(\d{2})(\d{2})?[+-]")


@lru_cache(maxsize=1)
def _latitudes() -> dict[str, float]:
    """Latitude of each zone of the tz database's zone tables (tzdata ships them)."""
    found: dict[str, float] = {}
    folder = resources.files("tzdata").joinpath("zoneinfo")
    for table in ("zone.tab", "zone1970.tab"):
        try:
            text = folder.joinpath(table).read_text(encoding="utf-8")
        except (FileNotFoundError, OSError):
            continue
        for line in text.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            fields = line.split("\t")
            match = _COORDINATE.match(fields[1]) if len(fields) > 2 else None
            if match:
                sign = -1.0 if match[1] == "-" else 1.0
                degrees = int(match[2]) + int(match[3]) / 60 + int(match[4] or 0) / 3600
                found[fields[2]] = sign * degrees
    return found


def latitude(timezone: str) -> float:
    """The latitude of a zone's reference city; DEFAULT_LATITUDE for zones without a place."""
    return _latitudes().get(timezone, DEFAULT_LATITUDE)


@dataclass(frozen=True)
class Climate:
    mean: float  # annual mean, degC
    swing: float  # half the difference between the warmest and the coldest season, K
    warmest_doy: float  # day of the year at the height of summer


def climate(timezone: str) -> Climate:
    """A plausible climate from latitude alone: warmer and flatter near the equator, summer in
    July north of it and in January south of it."""
    lat = latitude(timezone)
    north = lat >= 0
    return Climate(
        mean=31.0 - 0.4 * abs(lat),
        swing=min(10.0, 0.5 + 0.18 * abs(lat)),
        warmest_doy=200.0 if north else 20.0,
    )


# ------------------------------------------------------------------ the clock


@dataclass(frozen=True)
class Clock:
    """Calendar features of each instant of a grid, in the site's local time."""

    ts: IntArray
    step: int  # seconds between instants
    hour: Array  # local hour of day, fractional
    weekday: IntArray  # 0 = Monday
    doy: Array
    closed: BoolArray  # public holiday or closure
    working: BoolArray  # inside a shift that started on a working day


@lru_cache(maxsize=64)
def closed_days(
    country: str | None,
    region: str | None,
    closures: tuple[ClosureDef, ...],
    years: tuple[int, ...],
) -> frozenset[date]:
    """Public holidays of the site's country (and region, when the calendar knows it) and its
    closures, over the given years."""
    days: set[date] = set()
    if country:
        try:
            days |= set(holidays.country_holidays(country, subdiv=region or None, years=years))
        except NotImplementedError:
            try:
                days |= set(holidays.country_holidays(country, years=years))
            except NotImplementedError:
                pass
    wide = (years[0] - 1, *years) if years else years  # a closure over New Year
    for closure in closures:
        days |= closure.days(wide)
    return frozenset(days)


def make_clock(
    ts: IntArray,
    step: int,
    timezone: str,
    shifts: Sequence[ShiftDef] | None,
    closed: frozenset[date],
) -> Clock:
    local = pd.DatetimeIndex(pd.to_datetime(ts, unit="s", utc=True)).tz_convert(timezone)
    day = np.asarray(local.tz_localize(None).normalize().values.astype("datetime64[D]"))
    shut = np.array(sorted(closed), dtype="datetime64[D]")
    closed_today = np.isin(day, shut)
    closed_before = np.isin(day - np.timedelta64(1, "D"), shut)
    hour = np.asarray(local.hour + local.minute / 60 + local.second / 3600, dtype=np.float64)
    weekday = np.asarray(local.day_of_week, dtype=np.int64)
    return Clock(
        ts=ts,
        step=step,
        hour=hour,
        weekday=weekday,
        doy=np.asarray(local.day_of_year, dtype=np.float64),
        closed=closed_today,
        working=_working(hour, weekday, closed_today, closed_before, shifts),
    )


def _working(
    hour: Array,
    weekday: IntArray,
    closed_today: BoolArray,
    closed_before: BoolArray,
    shifts: Sequence[ShiftDef] | None,
) -> BoolArray:
    """Inside a shift; the part of a night shift after midnight belongs to the day it began."""
    if shifts is not None and len(shifts) == 0:
        return ~closed_today  # declared without shifts: a continuous process
    run = np.zeros(len(hour), dtype=bool)
    for shift in shifts if shifts is not None else DEFAULT_SHIFTS:
        start, end = shift.start_hour, shift.end_hour
        if start < end:
            run |= np.isin(weekday, shift.days) & (hour >= start) & (hour < end) & ~closed_today
            continue
        following = [(d + 1) % 7 for d in shift.days]
        run |= np.isin(weekday, shift.days) & (hour >= start) & ~closed_today
        run |= np.isin(weekday, following) & (hour < end) & ~closed_before
    return run


def outdoor_temperature(seed: int, clock: Clock, weather: Climate) -> Array:
    """Seasons, a day's swing and passing fronts, degC."""
    seasonal = weather.mean + weather.swing * np.cos(
        2 * np.pi * (clock.doy - weather.warmest_doy) / 365.25
    )
    diurnal = 4.0 * np.cos(2 * np.pi * (clock.hour - 15) / 24)
    fronts = knots(seed, "weather-front", 0, clock.ts, 3 * 86400, 3.0)
    fronts += knots(seed, "weather-day", 0, clock.ts, 86400, 1.5)
    return np.asarray(seasonal + diurnal + fronts, dtype=np.float64)


def daylight(clock: Clock, weather: Climate) -> Array:
    """0..1: how much daylight there is, with longer days in the local summer."""
    season = 0.5 + 0.3 * np.cos(2 * np.pi * (clock.doy - weather.warmest_doy) / 365.25)
    sun = np.clip(np.sin(np.pi * (clock.hour - 6) / 13), 0, 1)
    return np.asarray(sun * season, dtype=np.float64)
