"""How numbers, money, times and periods are written in answers and evidence."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

RELATIVE = ("last", "this", "yesterday", "today", "since", "year to", "month to", "the ")


def number(value: float | None, unit: str = "") -> str:
    """A number as a person writes it: 12,345 kWh, 45.6 kW, 0.441 kWh/unit."""
    if value is None:
        return "n/a"
    size = abs(value)
    if size >= 1000:
        text = f"{value:,.0f}"
    elif size >= 100:
        text = f"{value:,.1f}"
    elif size >= 1:
        text = f"{value:,.2f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".strip()


def money(value: float, currency: str) -> str:
    return f"{value:,.2f} {currency}".strip()


def percent(value: float | None, *, signed: bool = True) -> str:
    if value is None:
        return "n/a"
    # under 1 %, one decimal would round a -0.25 % change to -0.2 %
    digits = 2 if 0 < abs(value) < 1 else 1
    return f"{value:+.{digits}f}%" if signed else f"{value:.{digits}f}%"


def when(text: str) -> str:
    """'Wed 4 Nov 2026 18:00' for an ISO local time; anything else (a bill's period, where a
    bill states the peak) as it is written."""
    try:
        return f"{datetime.fromisoformat(text):%a %-d %b %Y %H:%M}"
    except ValueError:
        return text


def _days(start: datetime, end: datetime) -> str:
    if start.time() == end.time() == datetime.min.time():
        last = end - timedelta(days=1)
        if last.date() <= start.date():
            return f"{start:%-d %b %Y}"
        return f"{start:%-d %b %Y} to {last:%-d %b %Y}"
    return f"{start:%-d %b %Y %H:%M} to {end:%-d %b %Y %H:%M}"


def period_text(period: dict[str, Any], *, bare: bool = False) -> str:
    """'last week (26 Oct 2026 to 1 Nov 2026)' or 'in 1 Sep 2026 to 30 Sep 2026' from a
    result's period (local times; the end is exclusive); 'so far (1 Dec 2026 to now)' for
    one the tool cut at now."""
    start = datetime.fromisoformat(period["start"])
    end = datetime.fromisoformat(period["end"])
    span = _days(start, end)
    label = str(period.get("label", ""))
    if period.get("so_far") or label.startswith(("this ", "today")):
        if spoken := spoken_label(period):
            return f"{spoken} so far (since {start:%-d %b %Y})"
        return f"so far ({start:%-d %b %Y} to now)"
    if label.startswith(RELATIVE):
        return f"{label} ({span})"
    if bare:
        return span
    return f"in {span}" if " to " in span else f"on {span}"


# A period label that only repeats the dates and times it was written as ('2026-12-02t19:23..'):
# the days it covers say it better than the question's own spelling.
WRITTEN_DATES = re.compile(r"^[\d\-t:.\s/]+$")


def spoken_label(period: dict[str, Any]) -> str:
    """The period's name as people say it ('last week'), or '' when it was written as dates."""
    label = str(period.get("label", "")).strip()
    return "" if WRITTEN_DATES.match(label) else label


def period_label(period: dict[str, Any]) -> str:
    """'last week (26 Oct 2026 to 1 Nov 2026)': the label and the days it covers, with the
    times where it does not start or end at midnight ('4 Nov 2026 00:00 to 18:00') (evidence)."""
    start = datetime.fromisoformat(period["start"])
    end = datetime.fromisoformat(period["end"])
    if (start.hour, start.minute, end.hour, end.minute) != (0, 0, 0, 0):
        same_day = end.date() == start.date()
        days = f"{start:%-d %b %Y %H:%M} to {end:{'%H:%M' if same_day else '%-d %b %Y %H:%M'}}"
    else:
        last = end - timedelta(days=1)
        days = (
            f"{start:%-d %b %Y}"
            if last.date() <= start.date()
            else f"{start:%-d %b %Y} to {last:%-d %b %Y}"
        )
    label = spoken_label(period)
    if period.get("so_far"):
        days += " (so far)"
    return f"{label} ({days})" if label else days


def step(start: str, grain: str) -> str:
    """A step of a series as people name it: 'Tue 6 Oct 2026', 'October 2026', 'Tue 6 Oct 14:00'."""
    moment = datetime.fromisoformat(start)
    if grain in ("day", "week"):
        return f"{moment:%a %-d %b %Y}"
    if grain == "month":
        return f"{moment:%B %Y}"
    return f"{moment:%a %-d %b %H:%M}"


def rounded(value: Any, digits: int = 3) -> Any:
    """A number rounded for a table cell; anything else as it is."""
    if isinstance(value, float):
        return round(value, digits)
    return value


def words(key: str) -> str:
    return key.replace("_", " ")
