"""Time helpers: time zones by name and conversions between epoch seconds and aware datetimes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from common.errors import EMSError

if TYPE_CHECKING:
    import pandas as pd


class UnknownTimezone(EMSError):
    """A time zone name the tz database does not know."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnknownTimezone(
            f"unknown time zone {name!r}; "
            "use an IANA name such as 'Europe/Berlin' or 'America/Chicago'"
        ) from None


def to_epoch(moment: datetime) -> int:
    """Whole seconds since the epoch; a naive datetime is refused rather than guessed."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: attach a time zone before converting")
    return int(moment.timestamp())


def from_epoch(seconds: int, tz: ZoneInfo | None = None) -> datetime:
    return datetime.fromtimestamp(seconds, tz or UTC)


def day_starts(local: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The start of each aware time's local day (see `midnights`)."""
    return midnights(local.tz_localize(None).normalize(), local.tz)


def midnights(days: pd.DatetimeIndex, tz: Any) -> pd.DatetimeIndex:
    """The start of each local calendar day (naive dates) in zone `tz`: its first instant.

    A day whose midnight the clock skips (America/Santiago starts summer time at 00:00) starts
    at 01:00, where pandas' `normalize()`, `floor("D")` and `tz_localize` raise; a midnight that
    occurs twice starts the day at its first occurrence. The same instants as the store's day
    rollups.
    """
    import numpy as np  # pandas' own dependency; callers of the helpers above need neither

    first = np.ones(len(days), dtype=np.bool_)
    return days.tz_localize(tz, ambiguous=first, nonexistent="shift_forward")
