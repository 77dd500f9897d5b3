"""Calendar words and arithmetic for reading periods: month and weekday names, spans of whole
local days, and the period a relation means ("the week before", "the same period a year
earlier") resolved against another period."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources

from dateutil.relativedelta import relativedelta

from agent.reader.lexicon import Lexicon, default_lexicon, phrase_body
from agent.reader.slots import Relation, TimeSpan
from agent.reader.text import MASK


@dataclass(frozen=True)
class Calendar:
    """What relative dates are read against: the site's local today and fiscal year start."""

    today: date
    fiscal_start: int = 1
    lexicon: Lexicon = field(default_factory=default_lexicon)
    date_order: str | None = None  # "dmy" or "mdy" as the site writes dates; None: unknown
    # where (in the canonical text) a name that is an ordinary word too is written as a name:
    # "the main supply's May energy", "base load, may?"
    as_names: frozenset[int] = frozenset()

    def negated(self, before: str) -> bool:
        """Whether the words before a day or month leave it out ("except monday", "no
        saturday or sunday"): the lexicon's one negation vocabulary, other days passable."""
        # a name read already (masked) stands between: "without <meter> on monday" leaves
        # out the meter, not the day
        words = re.findall(r"[^\W\d_]+|,|" + MASK + "+", before)
        days = {i for i, w in enumerate(words) if w in WEEKDAYS or w.rstrip("s") == "weekend"}
        return self.lexicon.negation_before(words, days) is not None


@dataclass(frozen=True)
class Found:
    """A period phrase at [start, end) of the text; a relation has no span of its own."""

    span: TimeSpan | None
    start: int
    end: int
    relation: Relation | None = None
    note: str = ""
    weekday: int | None = None  # of a relation that names one ("the Monday before")
    length: tuple[int, str] | None = None  # of one that says how long ("the 10 days before")
    choices: tuple[TimeSpan, ...] = ()  # "12/10" on a site of no known date order: which?
    loose: bool = False  # "the 5th", "12th to 13th": days written with no month


# Month and weekday names in every language of the lexicon (lexicon.yaml, `calendar`)
WORDS = default_lexicon().calendar
MONTHS = WORDS.months
WEEKDAYS = WORDS.weekdays
NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fourteen": 14,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "sixty": 60,
    "ninety": 90,
}
ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
}
# Every word a period phrase is made of: typos of these are corrected before reading.
# Names that are ordinary words too ("segunda": second) are no target: "segundo" stays.
CALENDAR_WORDS = frozenset(
    w for w in (*MONTHS, *WEEKDAYS) if len(w) >= 5 and w not in WORDS.needs_lead
) | frozenset(
    "yesterday today tomorrow week weeks month months quarter quarters year years weekend "
    "fortnight since last previous past fiscal".split()
)

_MONTH = r"(?P<{g}>" + "|".join(map(re.escape, sorted(MONTHS, key=len, reverse=True))) + r")\.?"
_DAY = r"(?P<{g}>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<{g}>(?:19|20)\d\d)"
WEEKDAY = r"(?P<{g}>" + "|".join(map(re.escape, sorted(WEEKDAYS, key=len, reverse=True))) + r")"
NUM = r"(?P<n>\d+|" + "|".join(NUMBER_WORDS) + r")"
UNIT = r"(?P<unit>hour|hr|h|day|week|month|year)s?"


def phrases(words: tuple[str, ...] | list[str]) -> str:
    """One pattern for lexicon phrases, the longest first (a space: spaces or hyphens)."""
    return "(?:" + "|".join(phrase_body(w) for w in sorted(words, key=len, reverse=True)) + ")"


# what joins the two ends of a range of days ("to", "a", "bis", a dash), and may open it
RANGE_TO = r"\s*(?:(?<!\w)" + phrases(WORDS.range_to or ("to",)) + r"(?!\w)|-|\u2013)\s*"
RANGE_FROM = r"(?:" + phrases(WORDS.range_from or ("from",)) + r"\s+)?"
# what may stand between a day and its month ("5th of October", "27 de setembro")
DAY_OF = r"(?: " + phrases(WORDS.day_of or ("of",)) + r")?"


def country_of(timezone: str) -> str | None:
    """The country a time zone lies in, from the IANA table tzdata ships (zone.tab)."""
    return _zone_countries().get(timezone)


@cache
def _zone_countries() -> dict[str, str]:
    table = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in table.splitlines() if not line.startswith("#"))
    return {row[2]: row[0] for row in rows if len(row) >= 3}


def site_date_order(country: str | None, timezone: str | None = None) -> str | None:
    """How a site writes dates in numbers: "dmy", "mdy", or None when its country (from the
    catalogue, else from its time zone) is not one the lexicon knows."""
    code = (country or (country_of(timezone) if timezone else None) or "").upper()
    if code in WORDS.day_first:
        return "dmy"
    return "mdy" if code in WORDS.month_first else None


def month(g: str) -> str:
    return _MONTH.replace("{g}", g)


def day(g: str) -> str:
    return _DAY.replace("{g}", g)


def year(g: str) -> str:
    return _YEAR.replace("{g}", g)


def weekday(g: str) -> str:
    return WEEKDAY.replace("{g}", g)


def number(text: str) -> int:
    return int(text) if text.isdigit() else NUMBER_WORDS[text]


def days(first: date, last: date, label: str) -> TimeSpan:
    if first == last:
        return TimeSpan(first.isoformat(), label, first, last)
    return TimeSpan(f"{first.isoformat()}..{last.isoformat()}", label, first, last)


def day_range(first: date, last: date) -> TimeSpan:
    """The days first..last, labelled with both ends ("1 Oct 2026 to 28 Oct 2026")."""
    return days(first, last, f"{first:%-d %b %Y} to {last:%-d %b %Y}")


def month_span(y: int, m: int, label: str | None = None) -> TimeSpan:
    first = date(y, m, 1)
    last = first + relativedelta(months=1) - timedelta(days=1)
    return TimeSpan(f"{y:04d}-{m:02d}", label or f"{first:%B %Y}", first, last)


def months_span(first: date, n: int, label: str) -> TimeSpan:
    """`n` whole months from `first` (a first of the month)."""
    last = first + relativedelta(months=n) - timedelta(days=1)
    return days(first, last, label)


def latest_year(m: int, d: int, today: date) -> int:
    """The year in which month/day most recently started (people mean the past)."""
    return today.year if (m, d) <= (today.month, today.day) else today.year - 1


def bounds(span: TimeSpan, now: datetime) -> tuple[date, date]:
    """First and last local day of a span (relative keywords resolved against `now`)."""
    if span.start is not None and span.end is not None:
        return span.start, span.end
    from tools.periods import resolve_period  # the tools' own grammar decides what a keyword means

    period = resolve_period(span.period, now, str(now.tzinfo or "UTC"))
    last = period.end - timedelta(seconds=1)
    return period.start.date(), last.date()


def _months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _whole_months(first: date, last: date) -> bool:
    return first.day == 1 and (last + timedelta(days=1)).day == 1


def shift(
    span: TimeSpan,
    relation: Relation,
    now: datetime,
    weekday: int | None = None,
    length: tuple[int, str] | None = None,
) -> TimeSpan:
    """The period a relation means, taken from `span`: the week before last week, the same
    month a year earlier, the period of the same length just before (or of the `length`
    said: "the 10 days before that"), the same day a week earlier, the Monday before; and
    the day, week, month or period just after."""
    first, last = bounds(span, now)
    if relation in AFTER_RELATIONS:
        return _after(first, last, relation, length)
    if length is not None:
        a, b = _stretch(first, length, back=True)
        return days(a, b, f"{a:%-d %b} to {b:%-d %b %Y}")
    moved = _moved_back(first, last, relation, weekday)
    if moved is not None:
        return moved
    if relation is Relation.MONTH_EARLIER:
        return _month_earlier(first, last)
    if relation is Relation.YEAR_BEFORE and _a_week(first, last):
        # "the same week last year": the same calendar week, 52 weeks back, the same weekdays
        a, b = first - timedelta(days=364), last - timedelta(days=364)
        return days(a, b, f"the same week a year earlier ({a:%-d %b} to {b:%-d %b %Y})")
    if relation is Relation.YEAR_BEFORE:
        a, b = first - relativedelta(years=1), last - relativedelta(years=1)
        if _whole_months(first, last):
            b = a + relativedelta(months=_months_between(first, last)) - timedelta(days=1)
        return days(a, b, f"the same period a year earlier ({a:%-d %b %Y} to {b:%-d %b %Y})")
    if relation is Relation.DAY_BEFORE:
        a = first - timedelta(days=1)
        return days(a, a, f"{a:%A %-d %B %Y}")
    if relation is Relation.WEEK_BEFORE:
        a, b = first - timedelta(days=7), first - timedelta(days=1)
        return days(a, b, f"{a:%-d %b} to {b:%-d %b %Y}")
    if relation is Relation.MONTH_BEFORE or _whole_months(first, last):
        n = _months_between(first, last)
        a = first.replace(day=1) - relativedelta(months=n)
        b = first.replace(day=1) - timedelta(days=1)
        return days(a, b, f"{a:%B %Y}" if n == 1 else f"{a:%b %Y} to {b:%b %Y}")
    n_days = (last - first).days + 1
    a, b = first - timedelta(days=n_days), first - timedelta(days=1)
    return days(a, b, f"{a:%-d %b} to {b:%-d %b %Y}")


AFTER_RELATIONS = frozenset(
    {Relation.DAY_AFTER, Relation.WEEK_AFTER, Relation.MONTH_AFTER, Relation.PERIOD_AFTER}
)


def _stretch(edge: date, length: tuple[int, str], back: bool) -> tuple[date, date]:
    """`length` (n days, weeks or months) just before the day `edge`, or from it on."""
    n, unit = length
    step = relativedelta(months=n) if unit == "month" else timedelta(days=n * UNITS_DAYS[unit])
    if back:
        return edge - step, edge - timedelta(days=1)
    return edge, edge + step - timedelta(days=1)


UNITS_DAYS = {"day": 1, "week": 7}


def _after(first: date, last: date, relation: Relation, length: tuple[int, str] | None) -> TimeSpan:
    """The day, week (7 days), calendar month(s) or period of the same length (or of the
    `length` said) just after the days first..last."""
    nxt = last + timedelta(days=1)
    if relation is Relation.DAY_AFTER:
        return days(nxt, nxt, f"{nxt:%A %-d %B %Y}")
    if length is None and relation is Relation.WEEK_AFTER:
        length = (1, "week")
    if length is None and (relation is Relation.MONTH_AFTER or _whole_months(first, last)):
        n = 1 if relation is Relation.MONTH_AFTER else _months_between(first, last)
        a = last.replace(day=1) + relativedelta(months=1)
        b = a + relativedelta(months=n) - timedelta(days=1)
        return days(a, b, f"{a:%B %Y}" if n == 1 else f"{a:%b %Y} to {b:%b %Y}")
    a, b = _stretch(nxt, length or ((last - first).days + 1, "day"), back=False)
    return days(a, b, f"{a:%-d %b} to {b:%-d %b %Y}")


def _a_week(first: date, last: date) -> bool:
    """A calendar week, or the part of one so far: from a Monday, at most seven days."""
    return first.weekday() == 0 and (last - first).days < 7


def _month_earlier(first: date, last: date) -> TimeSpan:
    """ "the same week last month": the week (Monday on) holding the day a month before the
    period's first day, as many days long; "the same day last month": that day."""
    moved = first - relativedelta(months=1)
    if not _a_week(first, last):
        b = last - relativedelta(months=1)
        if moved == b:
            return days(moved, moved, f"{moved:%A %-d %B %Y}")
        return days(moved, b, f"{moved:%-d %b} to {b:%-d %b %Y}")
    a = moved - timedelta(days=moved.weekday())
    b = a + (last - first)
    return days(a, b, f"the week of {a:%-d %b %Y} ({a:%-d %b} to {b:%-d %b %Y})")


def _moved_back(
    first: date, last: date, relation: Relation, weekday: int | None
) -> TimeSpan | None:
    """The relations that keep the days' weekdays: moved back by whole weeks, or to the
    weekday named before the period."""
    if relation is Relation.WEEKDAY_BEFORE and weekday is not None:
        d = first - timedelta(days=(first.weekday() - weekday) % 7 or 7)
        return days(d, d, f"{d:%A %-d %B %Y}")
    back = {Relation.WEEK_EARLIER: 7, Relation.YEAR_EARLIER_WEEKDAY: 364}.get(relation)
    if back is None:
        return None
    a, b = first - timedelta(days=back), last - timedelta(days=back)
    if weekday is not None and a != b:  # "the same Tuesday a week earlier" after a week
        named = [a + timedelta(days=i) for i in range((b - a).days + 1)]
        a = b = next((d for d in named if d.weekday() == weekday), a)
    if a == b:
        return days(a, a, f"{a:%A %-d %B %Y}")
    return days(a, b, f"{a:%-d %b} to {b:%-d %b %Y}")


def whole_days(span: TimeSpan, now: datetime) -> TimeSpan:
    """A span running into today ("this week so far") cut to its whole days, so that it can
    be set against the same days of another period; any other span as it is."""
    first, last = bounds(span, now)
    if not last >= now.date() > first:
        return span
    last = now.date() - timedelta(days=1)
    return days(first, last, f"{first:%-d %b} to {last:%-d %b %Y}")


def same_stretch(span: TimeSpan, within: TimeSpan, now: datetime) -> TimeSpan:
    """ "the same days last week" after "this week so far": the days of `span` at the same
    place in `within` (its whole days only: today, still running, is left out), cut to it."""
    first, last = bounds(whole_days(span, now), now)
    start, end = bounds(within, now)
    length = (end - start).days + 1
    offset = (first - start).days % length  # where the stretch begins in its own period
    a = start + timedelta(days=offset)
    b = min(a + (last - first), end)
    return days(a, b, f"{a:%-d %b} to {b:%-d %b %Y}")


def whole_units(n: int, unit: str, today: date) -> TimeSpan:
    """ "the last 7 full days": the whole days, weeks (Monday to Sunday) or months before the
    one running now, which is not over."""
    if unit == "day":
        first, last = today - timedelta(days=n), today - timedelta(days=1)
    elif unit == "week":
        last = today - timedelta(days=today.weekday() + 1)
        first = last - timedelta(days=7 * n - 1)
    else:
        last = today.replace(day=1) - timedelta(days=1)
        first = today.replace(day=1) - relativedelta(months=n)
    return days(first, last, f"the last {n} full {unit}s ({first:%-d %b} to {last:%-d %b %Y})")
