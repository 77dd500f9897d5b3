"""A series' interval: how far apart its readings are (a minute to a day), or billing periods.

A series read from bills keeps one value a day, pro-rated from its bills by days, so every tool
that works by day works on it; its interval is `billing` (readings a day apart that are not
measured days). The text form is what plant files and answers use: `1min`, `15min`, `1h`, `1d`,
any other duration such as `10min` or `2h`, or `billing`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BILLING = "billing"
DAY_S = 86400
HOUR_S = 3600
QUARTER_S = 900
NAMED = {"1min": 60, "5min": 300, "15min": 900, "30min": 1800, "1h": 3600, "1d": DAY_S}
_DURATION = re.compile(r"^(\d+)\s*(s|sec|min|m|h|d)$")
_SECONDS = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "d": DAY_S}
_WORDS = {60: "1-minute", 300: "5-minute", 900: "15-minute", 1800: "30-minute", 3600: "hourly"}


@dataclass(frozen=True)
class Interval:
    """Seconds between a series' stored readings, and whether they are pro-rated from bills
    (then `seconds` is a day: the bills are stored as one value per local day)."""

    seconds: int
    billing: bool = False

    def __post_init__(self) -> None:
        if self.seconds <= 0:
            raise ValueError(f"an interval lasts at least a second, not {self.seconds} s")
        if self.billing and self.seconds != DAY_S:
            raise ValueError("a billing series keeps one pro-rated value a day")

    @classmethod
    def parse(cls, text: str) -> Interval:
        """'15min' -> 900 s, '1h' -> 3600 s, 'billing' -> bills pro-rated by day."""
        key = text.strip().lower()
        if key == BILLING:
            return BILLING_INTERVAL
        match = _DURATION.match(key)
        if match is None or int(match[1]) <= 0:
            raise ValueError(
                f"{text!r} is not an interval; use {', '.join(NAMED)}, another duration "
                f"such as '10min' or '2h', or '{BILLING}'"
            )
        return cls(int(match[1]) * _SECONDS[match[2]])

    def text(self) -> str:
        """The plant file's form: '15min', '1h', '1d', 'billing'."""
        if self.billing:
            return BILLING
        for unit, size in (("d", DAY_S), ("h", 3600), ("min", 60)):
            if self.seconds % size == 0:
                return f"{self.seconds // size}{unit}"
        return f"{self.seconds}s"

    def words(self) -> str:
        """How answers name it: '15-minute', 'hourly', 'daily', 'billing-period'."""
        if self.billing:
            return "billing-period"
        if self.seconds == DAY_S:
            return "daily"
        return _WORDS.get(self.seconds, f"{self.text()}")

    @property
    def within_day(self) -> bool:
        """Readings that see the hours of a day (anything finer than a day)."""
        return self.seconds < DAY_S and not self.billing

    @property
    def demand_seconds(self) -> int:
        """The shortest demand window its readings can show: its own step, never under the
        store's 15-minute rollups, and none finer than a day for daily data or bills."""
        return max(self.seconds, QUARTER_S)


BILLING_INTERVAL = Interval(DAY_S, billing=True)
DAILY = Interval(DAY_S)
QUARTER_HOUR = Interval(QUARTER_S)
