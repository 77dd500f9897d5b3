"""A site's economics and calendar for the eval's ground truth, read from the store with plain SQL:
tariffs with their validity, emission factors, calorific value, shifts, closures and public
holidays, with the product's documented defaults (README, knowledge/library/reference/kpis.md)
where the catalogue says nothing.

Nothing here calls `tools/` or `store.queries`: the catalogue's JSON is read as stored and every
rule is written again from the documented definitions, so a bug in the tools' economics cannot
hide behind the same bug here.

Rules, as documented: each interval is priced by the first tariff of its carrier valid on its
local day (both validity ends included), else by the built-in default of that carrier; within a
tariff the first time-of-use period holding the interval's start sets its price, else the
default price. A window (a tariff period or a shift) whose end is not after its start runs past
midnight, and the part after midnight belongs to the next day. A shift's hours on a day the
site is closed (a public holiday of its country and region, or a closure) are 'holiday or
shutdown'; hours in no shift are 'off-shift'.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import holidays
import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from evals.readings import TruthError

OFF_SHIFT = "off-shift"
CLOSED = "holiday or shutdown"
OFF_PEAK = "off-peak"
DAYS = tuple(range(7))


@dataclass(frozen=True)
class Window:
    """Weekdays (0 = Monday) and local hours; an end not after the start wraps past midnight."""

    days: tuple[int, ...]
    start_h: float
    end_h: float

    def holds(self, local: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
        """Which times the window holds, and for each the local date its occurrence began."""
        weekday = np.asarray(local.day_of_week)
        hour = np.asarray(local.hour + local.minute / 60)
        today = np.isin(weekday, self.days)
        began = np.asarray(local.date)
        if self.end_h > self.start_h:
            return today & (hour >= self.start_h) & (hour < self.end_h), began
        evening = today & (hour >= self.start_h)
        morning = np.isin((weekday - 1) % 7, self.days) & (hour < self.end_h) & ~evening
        began = np.where(morning, began - timedelta(days=1), began)
        return evening | morning, began


@dataclass(frozen=True)
class Tariff:
    """One tariff of one carrier, as the catalogue (or the documented default) declares it."""

    name: str
    default_price: float
    demand_charge: float = 0.0
    periods: tuple[tuple[str, Window, float], ...] = ()
    valid_from: date | None = None
    valid_to: date | None = None
    # The periods that do not hold on the site's public holidays (`except_holidays`)
    except_holidays: frozenset[int] = frozenset()  # indexes into `periods`

    def valid(self, days: np.ndarray) -> np.ndarray:
        keep = np.ones(len(days), dtype=bool)
        if self.valid_from is not None:
            keep &= days >= self.valid_from
        if self.valid_to is not None:
            keep &= days <= self.valid_to
        return keep


WEEKDAYS = (0, 1, 2, 3, 4)
# The documented built-in defaults (README "Economics", kpis.md "Cost" and "Carbon").
DEFAULT_TARIFFS = {
    "electricity": Tariff("default", 0.16, 9.5, (("peak", Window(WEEKDAYS, 8, 20), 0.24),)),
    "gas": Tariff("gas price", 0.07),
}
DEFAULT_FACTORS = {"electricity": 0.38, "gas": 0.20, "heat": 0.25, "steam": 0.25}
DEFAULT_SHIFTS = (
    ("early", Window(WEEKDAYS, 6, 14)),
    ("late", Window(WEEKDAYS, 14, 22)),
    ("saturday", Window((5,), 6, 12)),
)


@dataclass(frozen=True)
class SiteFacts:
    """What the truth needs to know about a site beyond its readings."""

    name: str
    timezone: str
    country: str | None
    region: str | None
    calorific_value: float | None
    tariffs: dict[str, tuple[Tariff, ...]]
    factors: dict[str, float]
    shifts: tuple[tuple[str, Window], ...]
    closures: tuple[tuple[str, str], ...]

    def tariffs_of(self, carrier: str) -> tuple[Tariff, ...]:
        """The catalogue's tariffs of a carrier in order, then the default for uncovered days."""
        fallback = (DEFAULT_TARIFFS[carrier],) if carrier in DEFAULT_TARIFFS else ()
        return self.tariffs.get(carrier, ()) + fallback

    def factor(self, carrier: str) -> float:
        if carrier in self.factors:
            return self.factors[carrier]
        if carrier in DEFAULT_FACTORS:
            return DEFAULT_FACTORS[carrier]
        raise TruthError(f"no emission factor for {carrier} at {self.name}")


_SITE = text(
    "SELECT name, timezone, country, region, gas_calorific_value, profile FROM sites "
    "WHERE name = :site"
)


def _clock(value: str) -> float:
    hours, minutes = value.split(":")
    return int(hours) + int(minutes) / 60


def _window(raw: dict[str, Any]) -> Window:
    return Window(tuple(int(d) for d in raw["days"]), _clock(raw["start"]), _clock(raw["end"]))


def _day(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(str(value))


def _tariff(raw: dict[str, Any]) -> Tariff:
    periods = tuple(
        (str(p.get("name") or "peak"), _window(p), float(p["price"]))
        for p in raw.get("periods") or []
    )
    return Tariff(
        name=str(raw["name"]),
        default_price=float(raw["default_price"]),
        demand_charge=float(raw.get("demand_charge_per_kw") or 0.0),
        periods=periods,
        valid_from=_day(raw.get("valid_from")),
        valid_to=_day(raw.get("valid_to")),
        except_holidays=frozenset(
            i for i, p in enumerate(raw.get("periods") or []) if p.get("except_holidays") is True
        ),
    )


def site_facts(conn: Connection, site: str) -> SiteFacts:
    """The site's catalogue as stored (`sites` row and its profile JSON)."""
    row = conn.execute(_SITE, {"site": site}).mappings().first()
    if row is None:
        raise TruthError(f"no site named {site!r}")
    profile = row["profile"] or {}
    if isinstance(profile, str):  # SQLite hands a JSON column to a plain SELECT as text
        profile = json.loads(profile)
    tariffs: dict[str, tuple[Tariff, ...]] = {}
    for raw in profile.get("tariffs") or []:
        tariffs[raw["carrier"]] = (*tariffs.get(raw["carrier"], ()), _tariff(raw))
    factors = {f["carrier"]: float(f["kg"]) for f in profile.get("emission_factors") or []}
    shifts = profile.get("shifts")
    return SiteFacts(
        name=site,
        timezone=str(row["timezone"]),
        country=row["country"],
        region=row["region"],
        calorific_value=row["gas_calorific_value"],
        tariffs=tariffs,
        factors=factors,
        shifts=DEFAULT_SHIFTS
        if shifts is None
        else tuple((str(s["name"]), _window(s)) for s in shifts),
        closures=tuple((str(c["start"]), str(c["end"])) for c in profile.get("closures") or []),
    )


# ------------------------------------------------------------------ calendar


def public_holidays(country: str | None, region: str | None, years: list[int]) -> set[date]:
    if not country:
        return set()
    try:
        found = holidays.country_holidays(country.upper(), subdiv=region or None, years=years)
    except NotImplementedError:  # a region the package does not know: the country's own
        found = holidays.country_holidays(country.upper(), years=years)
    return set(found)


def _closure_days(start: str, end: str, years: list[int]) -> set[date]:
    """A closure's days: 'MM-DD' bounds every year (over New Year when the end comes first),
    'YYYY-MM-DD' bounds once; both ends included."""
    spans: list[tuple[date, date]] = []
    if len(start) == 5:
        for year in years:
            try:
                first = date.fromisoformat(f"{year}-{start}")
                last = date.fromisoformat(f"{year}-{end}")
            except ValueError:  # 02-29 in a year without one
                continue
            if last < first:
                last = last.replace(year=year + 1)
            spans.append((first, last))
    else:
        spans.append((date.fromisoformat(start), date.fromisoformat(end)))
    days: set[date] = set()
    for first, last in spans:
        days.update(first + timedelta(days=i) for i in range((last - first).days + 1))
    return days


def closed_days(facts: SiteFacts, local: pd.DatetimeIndex) -> set[date]:
    """Days the site does not work in (and around) the years of `local`."""
    years = sorted({int(y) for y in np.asarray(local.year)} | {int(local.year.min()) - 1})
    closed = public_holidays(facts.country, facts.region, years)
    for start, end in facts.closures:
        closed |= _closure_days(start, end, years)
    return closed


def shift_labels(facts: SiteFacts, local: pd.DatetimeIndex) -> np.ndarray:
    """The shift of each interval by its start: the first shift holding it, 'holiday or
    shutdown' when that shift's day is closed, else 'off-shift'."""
    labels = np.full(len(local), OFF_SHIFT, dtype=object)
    free = np.ones(len(local), dtype=bool)
    closed = closed_days(facts, local) if facts.shifts else set()
    for name, window in facts.shifts:
        inside, began = window.holds(local)
        inside &= free
        shut = inside & np.fromiter((day in closed for day in began), bool, len(began))
        labels[inside & ~shut] = name
        labels[shut] = CLOSED
        free &= ~inside
    return labels


# ------------------------------------------------------------------ prices


@dataclass(frozen=True)
class Pricing:
    """Each interval's tariff (index into `tariffs`), price and time-of-use period name."""

    tariffs: tuple[Tariff, ...]
    index: np.ndarray
    price: np.ndarray
    period: np.ndarray


def pricing(facts: SiteFacts, carrier: str, local: pd.DatetimeIndex) -> Pricing:
    """Price every interval by the site's tariff valid on its local day (see the module
    docstring)."""
    tariffs = facts.tariffs_of(carrier)
    if not tariffs:
        raise TruthError(f"no tariff for {carrier} at {facts.name}")
    years = sorted({int(y) for y in np.asarray(local.year)})
    holidays_here = public_holidays(facts.country, facts.region, years)
    return price_with(tariffs, local, f"no {carrier} tariff at {facts.name} covers", holidays_here)


def price_with(
    tariffs: tuple[Tariff, ...],
    local: pd.DatetimeIndex,
    missing: str,
    holidays_on: set[date] | None = None,
) -> Pricing:
    """Price every interval by the first of `tariffs` valid on its local day. A period marked
    `except_holidays` holds no interval whose own local date is a public holiday."""
    days = np.asarray(local.date)
    on_holiday = np.array([d in (holidays_on or set()) for d in days], dtype=bool)
    index = np.full(len(local), -1)
    for i, tariff in enumerate(tariffs):
        index[(index < 0) & tariff.valid(days)] = i
    if (index < 0).any():
        first = days[int(np.argmax(index < 0))]
        raise TruthError(f"{missing} {first}")
    price = np.zeros(len(local))
    period = np.full(len(local), OFF_PEAK, dtype=object)
    for i, tariff in enumerate(tariffs):
        mine = index == i
        price[mine] = tariff.default_price
        done = ~mine
        for k, (name, window, value) in enumerate(tariff.periods):
            inside = window.holds(local)[0] & ~done
            if k in tariff.except_holidays:
                inside &= ~on_holiday
            price[inside] = value
            period[inside] = name
            done |= inside
    return Pricing(tariffs, index, price, period)
