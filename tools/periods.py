"""Periods: the small grammar tools accept for time ranges, resolved in the site's time zone.

A period is half-open, [start, end), in local calendar terms: "last week" is the previous
Monday-to-Monday week, "2025-09" the whole of September. Accepted forms:

- relative: today, yesterday, this/last week, this/last month, this/last quarter, this/last year,
  last N hours|days|weeks|months (ending now), year to date, month to date.
- calendar: 2025, 2025-09, 2025-Q3, 2025-W36, 2025-09-05
- ranges: A..B where A and B are dates (B inclusive) or ISO date-times (B exclusive), e.g.
  2025-09-05..2025-09-11 or 2025-09-05T06:00..2025-09-05T14:00
- since A: from A until now

Every period still running at now (today, this week, "2025-12" asked in December, a range
ending next week) ends now, whatever words named it: nothing after now is metered, so a KPI
that divides by hours or days must not count the ones still to come. Such a period says so
(`so_far`); one that has not begun is refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from dateutil.relativedelta import relativedelta

from common.errors import EMSError
from common.timeutil import zone


class InvalidPeriod(EMSError):
    """A period the grammar does not accept, or one that ends before it starts."""


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    label: str
    so_far: bool = False  # it runs past now and was cut there

    @property
    def start_ts(self) -> int:
        return int(self.start.timestamp())

    @property
    def end_ts(self) -> int:
        return int(self.end.timestamp())

    @property
    def hours(self) -> float:
        return (self.end_ts - self.start_ts) / 3600

    def describe(self) -> str:
        """'2025-09-01 00:00 to 2025-10-01 00:00 Europe/Berlin' style text for answers."""
        tz = self.start.tzinfo
        return f"{self.start:%Y-%m-%d %H:%M} to {self.end:%Y-%m-%d %H:%M} {tz}"

    def as_dict(self) -> dict[str, str]:
        out = {"start": self.start.isoformat(), "end": self.end.isoformat(), "label": self.label}
        return out | {"so_far": "yes"} if self.so_far else out


# The words that name a period holding now (any period holding now ends at now).
RUNNING = frozenset({"today", "this week", "this month", "this quarter", "this year"})
# the grid a period running past now is cut on: the shortest reading interval sites use
QUARTER_HOUR_MIN = 15


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def _days(first: date, last_exclusive: date, tz: ZoneInfo, label: str) -> Period:
    return Period(_midnight(first, tz), _midnight(last_exclusive, tz), label)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _relative(text: str, now: datetime, tz: ZoneInfo) -> Period | None:
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    month = today.replace(day=1)
    quarter = _quarter_start(today)
    year = date(today.year, 1, 1)
    fixed: dict[str, tuple[date, date]] = {
        "today": (today, today + timedelta(days=1)),
        "yesterday": (today - timedelta(days=1), today),
        "this week": (monday, monday + timedelta(days=7)),
        "last week": (monday - timedelta(days=7), monday),
        "this month": (month, month + relativedelta(months=1)),
        "last month": (month - relativedelta(months=1), month),
        "this quarter": (quarter, quarter + relativedelta(months=3)),
        "last quarter": (quarter - relativedelta(months=3), quarter),
        "this year": (year, date(today.year + 1, 1, 1)),
        "last year": (date(today.year - 1, 1, 1), year),
    }
    if text in fixed:
        return _days(*fixed[text], tz, text)
    if text in ("year to date", "ytd"):
        return Period(_midnight(year, tz), now.astimezone(tz), text)
    if text in ("month to date", "mtd"):
        return Period(_midnight(month, tz), now.astimezone(tz), text)
    match = re.fullmatch(r"last (\d+) (hour|day|week|month)s?", text)
    if match:
        n, unit = int(match.group(1)), match.group(2)
        if n <= 0:
            raise InvalidPeriod(f"{text!r}: the number of {unit}s must be at least 1")
        end = now.astimezone(tz)
        step = relativedelta(**{f"{unit}s": n})  # type: ignore[arg-type]
        return Period(end - step, end, text)
    return None


def _calendar(text: str, tz: ZoneInfo) -> Period | None:
    if m := re.fullmatch(r"(\d{4})", text):
        y = int(m.group(1))
        return _days(date(y, 1, 1), date(y + 1, 1, 1), tz, text)
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
        first = date(int(m.group(1)), int(m.group(2)), 1)
        return _days(first, first + relativedelta(months=1), tz, text)
    if m := re.fullmatch(r"(\d{4})-?q([1-4])", text):
        first = date(int(m.group(1)), 3 * int(m.group(2)) - 2, 1)
        return _days(first, first + relativedelta(months=3), tz, text)
    if m := re.fullmatch(r"(\d{4})-?w(\d{1,2})", text):
        first = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        return _days(first, first + timedelta(days=7), tz, text)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        day = date.fromisoformat(text)
        return _days(day, day + timedelta(days=1), tz, text)
    return None


def _moment(text: str, tz: ZoneInfo, *, end: bool) -> datetime:
    """A range bound: a date (an inclusive end date means its following midnight) or a date-time."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        day = date.fromisoformat(text)
        return _midnight(day + timedelta(days=1) if end else day, tz)
    moment = datetime.fromisoformat(text.upper())
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)


def resolve_period(text: str, now: datetime, tz: str) -> Period:
    """Resolve a period expression (see the module docstring) to local [start, end)."""
    return _to_now(resolve_ahead(text, now, tz), now.astimezone(zone(tz)))


def resolve_ahead(text: str, now: datetime, tz: str) -> Period:
    """A period expression resolved as written, not cut at now: the days a forecast is of."""
    zone_info = zone(tz)
    cleaned = " ".join(text.strip().lower().split())
    try:
        period = _relative(cleaned, now, zone_info) or _calendar(cleaned, zone_info)
        if period is None and cleaned.startswith("since "):
            start = _moment(cleaned[6:].strip(), zone_info, end=False)
            period = Period(start, now.astimezone(zone_info), cleaned)
        if period is None and ".." in cleaned:
            a, b = (part.strip() for part in cleaned.split("..", 1))
            first, last = _calendar(a, zone_info), _calendar(b, zone_info)
            period = Period(
                first.start if first else _moment(a, zone_info, end=False),
                last.end if last else _moment(b, zone_info, end=True),
                cleaned,
            )
    except ValueError as exc:
        raise InvalidPeriod(f"cannot read period {text!r}: {exc}") from None
    if period is None:
        raise InvalidPeriod(
            f"cannot read period {text!r}; use e.g. 'last week', 'yesterday', '2025-09', "
            "'2025-Q3', '2025-09-05..2025-09-11' or 'last 7 days'"
        )
    if period.end <= period.start:
        raise InvalidPeriod(f"period {text!r} ends before it starts")
    return period


def _to_now(period: Period, now: datetime) -> Period:
    """A period running past now ("today", "since Monday") ends with the last complete
    quarter-hour; one that begins at or after now is refused."""
    since = period.label.startswith("since ")  # ends now as said: its answer names the end
    if period.end < now or (period.end == now and not since):
        return period
    if now <= period.start:
        began = "has only just begun" if period.label in RUNNING else "has not begun"
        raise InvalidPeriod(
            f"{period.label!r} {began} ({period.start:%Y-%m-%d %H:%M}): nothing in it is "
            "metered yet"
        )
    end = _last_quarter_hour(now)
    if end <= period.start:
        raise InvalidPeriod(
            f"{period.label!r} has only just begun ({period.start:%Y-%m-%d %H:%M}): no "
            "reading in it is complete yet"
        )
    return Period(period.start, end, period.label, so_far=not since)


def _last_quarter_hour(now: datetime) -> datetime:
    """Where a period running past now is cut: the end of the last quarter-hour that is over.
    A reading under way at now is not complete (a live store does not hold it yet), so "today
    so far" at 11:20 is 00:00 to 11:15, whatever a store replaying the day holds after now."""
    return now - timedelta(
        minutes=now.minute % QUARTER_HOUR_MIN, seconds=now.second, microseconds=now.microsecond
    )


def iso_times(ts: Sequence[int] | np.ndarray, tz: str) -> list[str]:
    """ISO 8601 local times for many epoch seconds at once (chart series are thousands long)."""
    seconds = np.asarray(ts, dtype=np.int64)
    utc = pd.DatetimeIndex(pd.to_datetime(seconds, unit="s", utc=True))
    wall = utc.tz_convert(tz).tz_localize(None).as_unit("s").asi8
    # pandas' strftime formats each time in Python (seconds for a year of quarter-hours); the
    # wall clock is formatted in C and the few distinct UTC offsets are formatted once each.
    clock = np.datetime_as_string(wall.astype("datetime64[s]"), unit="s")
    offsets, which = np.unique(wall - seconds, return_inverse=True)
    signs = ["-" if o < 0 else "+" for o in offsets]
    suffix = [
        f"{sign}{abs(o) // 3600:02d}:{abs(o) % 3600 // 60:02d}"
        for sign, o in zip(signs, offsets, strict=True)
    ]
    return [c + suffix[i] for c, i in zip(clock.tolist(), which.tolist(), strict=True)]
