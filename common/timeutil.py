"""Time helpers: time zones by name and conversions between epoch seconds and aware datetimes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from common.errors import EMSError


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
