"""Calendar months as people name them ('2026-11', 'last month', 'November', 'nov 2025'),
resolved against the turn's time in the site's zone, for the monthly report."""

from __future__ import annotations

import re
from datetime import date

from dateutil.relativedelta import relativedelta

from common.errors import EMSError

NAMES = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
RELATIVE = {"this month": 0, "current month": 0, "last month": -1, "previous month": -1}
EXAMPLES = "'2026-11', 'last month', 'this month' or 'November 2026'"


class InvalidMonth(EMSError):
    """A month that cannot be read, does not exist, or has not begun yet."""


class MonthNotBegun(InvalidMonth):
    """A month after today's: there is nothing to report on yet, whatever the question (a
    refusal, where an unreadable month is asked back)."""


def parse_month(text: str, today: date) -> date:
    """The first day of the month `text` names; a month's name without a year is its latest
    occurrence that has begun (in March, 'November' is last November).

    Raises:
        InvalidMonth: The text is not a month or names month 13; MonthNotBegun (an
            InvalidMonth) for a month after `today`'s.
    """
    cleaned = " ".join(text.strip().lower().replace(",", " ").split())
    this = today.replace(day=1)
    if cleaned in RELATIVE:
        return this + relativedelta(months=RELATIVE[cleaned])
    first = _numeric(cleaned, text) or _named(cleaned, this)
    if first is None:
        raise InvalidMonth(f"cannot read the month {text!r}; write it as {EXAMPLES}")
    if first > this:
        raise MonthNotBegun(
            f"{first:%B %Y} has not begun yet (today is {today:%-d %B %Y}); a report covers a "
            "month that has begun"
        )
    return first


def _numeric(cleaned: str, text: str) -> date | None:
    match = re.fullmatch(r"(\d{4})[-/](\d{1,2})", cleaned)
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise InvalidMonth(f"{text!r} names month {month}, which does not exist; use 01 to 12")
    return date(year, month, 1)


def _named(cleaned: str, this: date) -> date | None:
    match = re.fullmatch(r"([a-z]+)(?: (\d{4}))?", cleaned) or re.fullmatch(
        r"(\d{4}) ([a-z]+)", cleaned
    )
    if match is None:
        return None
    word, year = match.groups()
    if word.isdigit():  # "2026 november"
        word, year = year, word
    month = NAMES.get(word)
    if month is None:
        return None
    if year is not None:
        return date(int(year), month, 1)
    candidate = date(this.year, month, 1)
    return candidate if candidate <= this else date(this.year - 1, month, 1)


def month_text(first: date) -> str:
    """'2026-11': the period the tools read as the whole month."""
    return f"{first:%Y-%m}"


def month_name(first: date) -> str:
    """'November 2026'."""
    return f"{first:%B %Y}"
