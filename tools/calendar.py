"""A site's working calendar: public holidays of its country and region, its closures, and
which shift or tariff window holds each local time.

A window whose end is not after its start runs past midnight, and the part after midnight
belongs to the next day: a night shift Monday to Thursday 22:00-06:00 holds Tuesday 03:00 but
not Monday 03:00.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from functools import lru_cache

import holidays
import numpy as np
import numpy.typing as npt
import pandas as pd

from store.catalog import SiteRef
from tools.base import AnalyticsConfig, Shift

BoolArray = npt.NDArray[np.bool_]


@lru_cache(maxsize=64)
def public_holidays(
    country: str | None, region: str | None, years: tuple[int, ...]
) -> frozenset[date]:
    """Public holidays of a country (and its region, where it has its own), in the given years."""
    if not country:
        return frozenset()
    try:
        days = holidays.country_holidays(country.upper(), subdiv=region or None, years=years)
    except NotImplementedError:  # a country or region the holidays package does not know
        try:
            days = holidays.country_holidays(country.upper(), years=years)
        except NotImplementedError:
            return frozenset()
    return frozenset(days)


def closed_days(site: SiteRef, config: AnalyticsConfig, years: Iterable[int]) -> frozenset[date]:
    """Days the site does not work: its public holidays and its closures (shutdowns)."""
    span = tuple(sorted(set(years)))
    closed = set(public_holidays(site.country, site.region, span))
    wide = (span[0] - 1, *span) if span else span  # a closure over New Year starts the year before
    for closure in config.closures:
        closed |= closure.days(wide)
    return frozenset(closed)


def in_window(
    weekday: npt.NDArray[np.int64],
    hour: npt.NDArray[np.float64],
    days: Sequence[int],
    start: float,
    end: float,
) -> BoolArray:
    """Which local times (weekday 0 = Monday, fractional hour) a window of weekdays and hours
    holds; past midnight the window holds the mornings of the days after its `days`."""
    if start < end:
        return _on_days(weekday, days) & (hour >= start) & (hour < end)
    following = [(d + 1) % 7 for d in days]
    return (_on_days(weekday, days) & (hour >= start)) | (
        _on_days(weekday, following) & (hour < end)
    )


def _on_days(weekday: npt.NDArray[np.int64], days: Sequence[int]) -> BoolArray:
    """Which weekdays (0 to 6) are among `days`: a look-up in a table of the seven, where
    `np.isin` would sort a year of quarter-hours for each window."""
    return np.isin(np.arange(7), list(days))[weekday]


def wall_clock(local: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Aware local times as naive wall-clock times: pandas converts an aware index to local
    time again for each field read (year, hour ...), a naive one once here."""
    return local if local.tz is None else local.tz_localize(None)


def local_clock(
    local: pd.DatetimeIndex,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    wall = wall_clock(local)
    weekday = np.asarray(wall.day_of_week, dtype=np.int64)
    hour = np.asarray(wall.hour + wall.minute / 60, dtype=np.float64)
    return weekday, hour


def local_days(local: pd.DatetimeIndex) -> npt.NDArray[np.datetime64]:
    """The local calendar day of each time."""
    return np.asarray(wall_clock(local).normalize().values.astype("datetime64[D]"))


def shift_of(
    local: pd.DatetimeIndex, shifts: Sequence[Shift], closed: frozenset[date]
) -> npt.NDArray[np.object_]:
    """The shift holding each local time ("" outside every shift and on closed days; the
    first shift listed wins). A night shift's morning hours count only when the day it
    started on was not closed."""
    weekday, hour = local_clock(local)
    day = local_days(local)
    shut = np.array(sorted(closed), dtype="datetime64[D]")
    closed_today = np.isin(day, shut)
    closed_yesterday = np.isin(day - np.timedelta64(1, "D"), shut)
    labels = np.full(len(local), "", dtype=object)
    for name, days, start, end in reversed(shifts):
        inside = in_window(weekday, hour, days, start, end)
        began_yesterday = (hour < end) if end <= start else np.zeros(len(hour), dtype=bool)
        inside &= np.where(began_yesterday, ~closed_yesterday, ~closed_today)
        labels[inside] = name
    return labels
