"""The page's time ranges: presets (today, this week, last month, year to date) and custom days,
each turned into a period the tools read, the grain its chart is drawn in, and the range one
level down that a click on a bar drills into. All in the site's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

PRESETS = {
    "today": "Today",
    "yesterday": "Yesterday",
    "this_week": "This week",
    "last_week": "Last week",
    "this_month": "This month",
    "last_month": "Last month",
    "year_to_date": "Year to date",
    "custom": "Custom",
}
# The next grain down: a click on a month's bar shows its days, a day's bar its hours.
FINER = {"month": "day", "day": "hour", "hour": "15min"}


class BadRange(ValueError):
    """A custom range the page cannot use (unreadable days, or the end before the start)."""


@dataclass(frozen=True)
class Range:
    """A span of local time [start, end) with its label and the grain its chart uses."""

    start: datetime
    end: datetime
    label: str
    grain: str

    @property
    def period(self) -> str:
        """The period as the tools read it: '2026-11-04T00:00..2026-11-04T18:00'."""
        return f"{self.start:%Y-%m-%dT%H:%M}..{self.end:%Y-%m-%dT%H:%M}"

    def year_before(self) -> Range:
        """The same dates and times one year earlier (29 February becomes the 28th)."""
        return Range(
            _year_back(self.start), _year_back(self.end), f"{self.label}, a year ago", self.grain
        )

    def key(self) -> str:
        return f"{self.start.isoformat()}|{self.end.isoformat()}|{self.grain}|{self.label}"

    @classmethod
    def of_key(cls, key: str) -> Range:
        start, end, grain, label = key.split("|", 3)
        return cls(datetime.fromisoformat(start), datetime.fromisoformat(end), label, grain)


def _year_back(moment: datetime) -> datetime:
    try:
        return moment.replace(year=moment.year - 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - 1, day=28)


def _midnight(day: date, like: datetime) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=like.tzinfo)


def _grain(start: datetime, end: datetime) -> str:
    days = (end - start).total_seconds() / 86400
    return "month" if days > 62 else "day" if days > 2 else "hour"


def preset(name: str, now: datetime) -> Range:
    """A preset range as of `now` (local time); ranges that include today end at now."""
    today = _midnight(now.date(), now)
    monday = today - timedelta(days=today.weekday())
    first = today.replace(day=1)
    spans = {
        "today": (today, now, "today"),
        "yesterday": (today - timedelta(days=1), today, "yesterday"),
        "this_week": (monday, now, "this week"),
        "last_week": (monday - timedelta(days=7), monday, "last week"),
        "this_month": (first, now, "this month"),
        "last_month": (
            _midnight((first - timedelta(days=1)).replace(day=1), now),
            first,
            "last month",
        ),
        "year_to_date": (today.replace(month=1, day=1), now, "year to date"),
    }
    if name not in spans:
        raise BadRange(f"no time range called {name!r}; choose one of {', '.join(PRESETS)}")
    start, end, label = spans[name]
    return Range(start, end, label, _grain(start, end))


def custom(first: str, last: str, now: datetime) -> Range:
    """Whole days from `first` to `last` (both included, YYYY-MM-DD), cut at now."""
    try:
        a, b = (
            date.fromisoformat(str(first).strip()[:10]),
            date.fromisoformat(str(last).strip()[:10]),
        )
    except ValueError:
        raise BadRange(f"write the days as YYYY-MM-DD (got {first!r} and {last!r})") from None
    if b < a:
        raise BadRange(f"the range ends ({b}) before it starts ({a})")
    start, end = _midnight(a, now), min(_midnight(b + timedelta(days=1), now), now)
    if end <= start:
        raise BadRange(f"{a} is in the future; there is no data yet")
    label = f"{a:%-d %b %Y}" if a == b else f"{a:%-d %b %Y} to {b:%-d %b %Y}"
    return Range(start, end, label, _grain(start, end))


def drill(current: Range, bar_start: datetime) -> Range | None:
    """The range one level down for a bar of `current` that starts at `bar_start` (None at the
    finest grain): a month's days, a day's hours, an hour's quarter-hours."""
    finer = FINER.get(current.grain)
    if finer is None:
        return None
    if current.grain == "month":
        nxt = (bar_start.replace(day=28) + timedelta(days=4)).replace(day=1)
        end, label = _midnight(nxt.date(), bar_start), f"{bar_start:%B %Y}"
    elif current.grain == "day":
        end, label = bar_start + timedelta(days=1), f"{bar_start:%a %-d %b %Y}"
    else:
        end, label = bar_start + timedelta(hours=1), f"{bar_start:%a %-d %b %Y %H:00}"
    return Range(bar_start, min(end, current.end), label, finer)
