"""A site's economics for the tools: the site catalogue first, the installation's settings next,
labelled built-in defaults last, with where each value came from; and energy priced with the
tariff valid on each interval's day.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from store.profile import SiteProfile, TariffDef, clock_hours
from tools.base import (
    SOURCE_DEFAULT,
    SOURCE_SETTINGS,
    SOURCE_SITE,
    AnalyticsConfig,
    Tariff,
)
from tools.calendar import in_window, local_clock, local_days, public_holidays, wall_clock

Array = npt.NDArray[np.float64]
DEFAULT_FACTOR = f"{SOURCE_DEFAULT} factor"


@dataclass(frozen=True)
class Installation:
    """What the installation's settings (ems.toml, EMS_ variables) say about economics; None
    where they say nothing."""

    tariff: Tariff | None = None  # the electricity tariff of `[tariff]`
    emission_factors: Mapping[str, float] | None = None
    gas_price_per_kwh: float | None = None
    demand_window_s: int = 900


def _site_tariff(t: TariffDef, currency: str, holidays_of: tuple[str, str | None] | None) -> Tariff:
    return Tariff(
        name=t.name,
        currency=t.currency or currency,
        periods=tuple((p.days, p.start_hour, p.end_hour, p.price) for p in t.periods),
        period_names=tuple(p.name for p in t.periods),
        except_holidays=tuple(p.except_holidays for p in t.periods),
        holidays_of=holidays_of,
        default_price=t.default_price,
        demand_charge_per_kw=t.demand_charge_per_kw,
        is_default=False,
        valid_from=t.valid_from,
        valid_to=t.valid_to,
        source=SOURCE_SITE,
    )


def _fallbacks(installation: Installation, currency: str | None) -> dict[str, Tariff]:
    """Undated tariffs for days no site tariff covers: the settings', else the defaults."""
    default = AnalyticsConfig()
    if installation.tariff is not None:
        electricity = replace(installation.tariff, is_default=False, source=SOURCE_SETTINGS)
    else:
        electricity = replace(default.tariffs["electricity"], source=SOURCE_DEFAULT)
    if installation.gas_price_per_kwh is not None:
        price, source = installation.gas_price_per_kwh, SOURCE_SETTINGS
    else:
        price, source = default.gas_price_per_kwh, SOURCE_DEFAULT
    gas = Tariff(
        name="gas price",
        currency=currency or electricity.currency,
        periods=(),
        default_price=price,
        demand_charge_per_kw=0.0,
        is_default=source == SOURCE_DEFAULT,
        source=source,
    )
    return {"electricity": electricity, "gas": gas}


def tariff_on(tariffs: Sequence[Tariff], day: date) -> Tariff | None:
    return next((t for t in tariffs if t.valid_on(day)), None)


def site_config(
    profile: SiteProfile | None,
    installation: Installation,
    today: date,
    country: str | None = None,
    region: str | None = None,
) -> AnalyticsConfig:
    """The tools' economics for one site: each value from the site catalogue, else the
    installation's settings, else the built-in default, with `sources` saying which. The
    site's `country` and `region` give the public holidays its tariffs' periods may skip."""
    profile = profile or SiteProfile()
    holidays_of = (country, region) if country else None
    default = AnalyticsConfig()
    fallbacks = _fallbacks(installation, profile.currency)
    currency = profile.currency or fallbacks["electricity"].currency
    schedule: dict[str, list[Tariff]] = {}
    for t in sorted(profile.tariffs, key=lambda t: t.valid_from or date.min):
        schedule.setdefault(t.carrier, []).append(_site_tariff(t, currency, holidays_of))
    for carrier, fallback in fallbacks.items():
        schedule.setdefault(carrier, []).append(fallback)
    tariffs = {
        carrier: tariff_on(ordered, today) or ordered[-1] for carrier, ordered in schedule.items()
    }
    sources = {f"tariff.{c}": t.source for c, t in tariffs.items()}
    factors, factor_sources = _factors(profile, installation, default)
    sources |= {f"emission_factor.{c}": s for c, s in factor_sources.items()}
    shifts = default.shifts
    sources["shifts"] = SOURCE_DEFAULT
    if profile.shifts is not None:
        shifts = tuple((s.name, s.days, s.start_hour, s.end_hour) for s in profile.shifts)
        sources["shifts"] = SOURCE_SITE
    sources["closures"] = SOURCE_SITE if profile.closures else "none"
    sources["gas_price"] = tariffs["gas"].source
    sources["demand_window"] = SOURCE_SETTINGS
    return AnalyticsConfig(
        tariffs=tariffs,
        tariff_schedule={c: tuple(ts) for c, ts in schedule.items()},
        emission_factors=factors,
        emission_factors_are_defaults=all(s == DEFAULT_FACTOR for s in factor_sources.values()),
        emission_factor_sources=factor_sources,
        demand_window_s=installation.demand_window_s,
        gas_price_per_kwh=tariffs["gas"].default_price,
        shifts=shifts,
        closures=profile.closures,
        sources=sources,
    )


def _factors(
    profile: SiteProfile, installation: Installation, default: AnalyticsConfig
) -> tuple[dict[str, float], dict[str, str]]:
    factors: dict[str, float] = {}
    sources: dict[str, str] = {}
    if installation.emission_factors is not None:
        for carrier, value in installation.emission_factors.items():
            factors[carrier], sources[carrier] = value, SOURCE_SETTINGS
    else:
        for carrier, value in default.emission_factors.items():
            factors[carrier], sources[carrier] = value, DEFAULT_FACTOR
    for f in profile.emission_factors:
        year = f" {f.year}" if f.year else ""
        factors[f.carrier] = f.kg_co2e_per_kwh
        sources[f.carrier] = f"{f.source}{year}, {SOURCE_SITE}"
    return factors, sources


# ------------------------------------------------------------------ pricing


@dataclass(frozen=True)
class Priced:
    """Energy priced interval by interval: which tariff (index into the tariffs) and price."""

    tariff: npt.NDArray[np.int64]
    price: Array


class NoTariff(ValueError):
    """Some days of a period have no tariff; the message names them."""


def price_intervals(local: pd.DatetimeIndex, tariffs: Sequence[Tariff]) -> Priced:
    """The tariff valid on each interval's local day (the first that holds it) and its
    time-of-use price. Raises NoTariff naming the first day no tariff covers."""
    local = wall_clock(local)
    day = local_days(local)
    which = np.full(len(local), -1, dtype=np.int64)
    for k, t in enumerate(tariffs):
        lo = np.datetime64(t.valid_from, "D") if t.valid_from else None
        hi = np.datetime64(t.valid_to, "D") if t.valid_to else None
        valid = (which < 0) & ((day >= lo) if lo is not None else True)
        valid &= (day <= hi) if hi is not None else True
        which[valid] = k
    if (which < 0).any():
        first = str(day[np.flatnonzero(which < 0)[0]])
        raise NoTariff(f"no tariff is valid on {first}")
    price = np.zeros(len(local))
    for k, t in enumerate(tariffs):
        rows = which == k
        if not rows.any():
            continue
        p = np.full(int(rows.sum()), t.default_price)
        for i, hit in enumerate(period_rows(t, local[rows])):
            p[hit] = t.periods[i][3]
        price[rows] = p
    return Priced(which, price)


def period_rows(t: Tariff, local: pd.DatetimeIndex) -> list[npt.NDArray[np.bool_]]:
    """For each of a tariff's periods, the local times it prices: those its window holds and
    no earlier period took; a period that skips public holidays takes no time whose local day
    is one (a window past midnight: the morning's own day)."""
    weekday, hour = local_clock(local)
    holiday = _holiday_rows(t, local)
    done = np.zeros(len(local), dtype=bool)
    out = []
    for i, (days, start, end, _) in enumerate(t.periods):
        hit = ~done & in_window(weekday, hour, days, start, end)
        if t.skips_holidays(i):
            hit &= ~holiday
        out.append(hit)
        done |= hit
    return out


def _holiday_rows(t: Tariff, local: pd.DatetimeIndex) -> npt.NDArray[np.bool_]:
    """Which local times fall on a public holiday of the tariff's site (none when no period
    of the tariff skips them)."""
    if t.holidays_of is None or not any(t.skips_holidays(i) for i in range(len(t.periods))):
        return np.zeros(len(local), dtype=bool)
    day = local_days(local)
    years = tuple(int(y) + 1970 for y in np.unique(day.astype("datetime64[Y]").astype(np.int64)))
    country, region = t.holidays_of
    off = np.array(sorted(public_holidays(country, region, years)), dtype="datetime64[D]")
    return np.isin(day, off)


@dataclass(frozen=True)
class Cost:
    energy: float
    demand: float
    peaks: dict[str, float]  # month -> highest kW
    used: list[tuple[Tariff, str, str]]  # tariff, first and last local day it priced


# The highest demand-window kW of each group of intervals, given each interval's group label:
# from the intervals' own kW, or (for hours priced at once) from the quarter-hours in the store.
PeakOf = Callable[[npt.NDArray[np.int64]], dict[int, float]]


def group_peaks(kw: Array, label: npt.NDArray[np.int64]) -> dict[int, float]:
    """The highest of `kw` in each group of intervals with the same label."""
    keys, inverse = np.unique(label, return_inverse=True)
    top = np.full(len(keys), -np.inf)
    np.maximum.at(top, inverse.reshape(-1), kw)
    return dict(zip(keys.tolist(), top.tolist(), strict=True))


def energy_cost(
    local: pd.DatetimeIndex, kwh: Array, kw: Array | PeakOf, tariffs: Sequence[Tariff]
) -> Cost:
    """Time-of-use energy cost, and each tariff's demand charge on each calendar month's
    highest demand, pro rata to the days of the month it priced. `kw` is each interval's
    demand-window kW, or a PeakOf giving the highest of groups of intervals."""
    wall = wall_clock(local)
    priced = price_intervals(wall, tariffs)
    months = np.asarray(wall.year * 100 + wall.month, dtype=np.int64)
    days = local_days(wall)
    label = months * len(tariffs) + priced.tariff  # a group per month and tariff
    top = kw(label) if callable(kw) else group_peaks(kw, label)
    demand = 0.0
    peaks: dict[str, float] = {}
    for key in np.unique(months).tolist():
        in_month = months == key
        year, month = divmod(key, 100)
        month_days = calendar.monthrange(year, month)[1]
        highest = []
        for k in np.unique(priced.tariff[in_month]).tolist():
            rows = in_month & (priced.tariff == k)
            covered = len(np.unique(days[rows])) / month_days
            highest.append(top[key * len(tariffs) + k])
            demand += highest[-1] * tariffs[k].demand_charge_per_kw * covered
        peaks[f"{year}-{month:02d}"] = float(max(highest))
    used = []
    for k in np.unique(priced.tariff).tolist():
        rows = priced.tariff == k
        used.append((tariffs[k], str(days[rows].min()), str(days[rows].max())))
    used.sort(key=lambda u: u[1])
    return Cost(float(np.sum(kwh * priced.price)), demand, peaks, used)


def hourly_prices(tariffs: Sequence[Tariff]) -> bool:
    """Whether every tariff's prices hold for whole local hours (its time-of-use windows
    start and end on the hour; its days and dates change at midnight anyway)."""
    return all(
        float(start).is_integer() and float(end).is_integer()
        for t in tariffs
        for _, start, end, _ in t.periods
    )


# ------------------------------------------------------------------ stated in a question

SOURCE_STATED = "stated in the question"


class StatedPeriod(BaseModel):
    """A time-of-use period a person states: 'Mon-Fri 07:00-19:00 at 0.28 per kWh'."""

    model_config = ConfigDict(extra="forbid")

    days: list[int] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4, 5, 6],
        description="Weekdays it applies on, 0 = Monday ... 6 = Sunday.",
    )
    start: str = Field(description="Local start time 'HH:MM'.")
    end: str = Field(description="Local end time 'HH:MM'; before the start it runs past midnight.")
    price: float = Field(ge=0, description="Price per kWh inside the period.")
    except_holidays: bool = Field(
        default=False,
        description="True: the period does not hold on the site's public holidays (as a site "
        "tariff period marked so); default false.",
    )

    @field_validator("days")
    @classmethod
    def _weekdays(cls, days: list[int]) -> list[int]:
        wrong = [d for d in days if not 0 <= d <= 6]
        if wrong or not days:
            raise ValueError(f"weekdays are 0 (Monday) to 6 (Sunday), not {wrong or 'none'}")
        return sorted(set(days))

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, text: str) -> str:
        if not re.fullmatch(r"(?:[01]?\d|2[0-3]):[0-5]\d|24:00", text.strip()):
            raise ValueError(f"{text!r} is not a time of day such as '07:00' or '19:30'")
        return text.strip()

    def window(self) -> tuple[tuple[int, ...], float, float, float]:
        return (tuple(self.days), clock_hours(self.start), clock_hours(self.end), self.price)


def stated_tariff(
    price_per_kwh: float | None,
    periods: Sequence[StatedPeriod],
    demand_charge_per_kw: float | None,
    currency: str,
    holidays_of: tuple[str, str | None] | None = None,
) -> Tariff:
    """The tariff a person states in a question: their prices replace the site's, and a demand
    charge applies only when they state one."""
    if periods and price_per_kwh is None:
        raise ValueError(
            "time-of-use periods need the price of the other hours (price_per_kwh) as well"
        )
    return Tariff(
        name="the tariff stated in the question",
        currency=currency,
        periods=tuple(p.window() for p in periods),
        except_holidays=tuple(p.except_holidays for p in periods),
        holidays_of=holidays_of,
        default_price=float(price_per_kwh or 0.0),
        demand_charge_per_kw=float(demand_charge_per_kw or 0.0),
        is_default=False,
        source=SOURCE_STATED,
    )
