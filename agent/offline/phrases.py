"""Time phrases as people write them ("in September", "since Monday", "from 5 to 11 October",
"the last 7 days") turned into periods of the tools' grammar, resolved in the site's time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta

MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            ("january", "jan", "januar"),
            ("february", "feb", "februar"),
            ("march", "mar", "märz", "maerz"),
            ("april", "apr"),
            ("may", "mai"),
            ("june", "jun", "juni"),
            ("july", "jul", "juli"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct", "oktober", "okt"),
            ("november", "nov"),
            ("december", "dec", "dezember", "dez"),
        ]
    )
    for name in names
}
WEEKDAYS = {
    name: i
    for i, names in enumerate(
        [
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        ]
    )
    for name in names
}
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
_MONTH = r"(?P<{g}>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<{g}>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<{g}>(?:19|20)\d\d)"
_WEEKDAY = r"(?P<{g}>" + "|".join(sorted(WEEKDAYS, key=len, reverse=True)) + r")"
_NUM = r"(?P<n>\d+|" + "|".join(NUMBER_WORDS) + r")"
_UNIT = r"(?P<unit>hour|hr|h|day|week|month|year)s?"


def _month(g: str) -> str:
    return _MONTH.replace("{g}", g)


def _day(g: str) -> str:
    return _DAY.replace("{g}", g)


def _year(g: str) -> str:
    return _YEAR.replace("{g}", g)


@dataclass(frozen=True)
class Span:
    """A period found in a question: the tools' period text, a label for answers, and where."""

    period: str
    label: str
    start: date | None  # first local day, when the period is whole days
    end: date | None  # last local day, inclusive
    at: int  # character offset in the question, to keep "X vs Y" in order
    relative: str | None = None  # "week before", "year before": relative to another period


def _days(first: date, last: date, label: str, at: int) -> Span:
    if first == last:
        return Span(first.isoformat(), label, first, last, at)
    return Span(f"{first.isoformat()}..{last.isoformat()}", label, first, last, at)


def _month_span(year: int, month: int, at: int, label: str | None = None) -> Span:
    first = date(year, month, 1)
    last = first + relativedelta(months=1) - timedelta(days=1)
    return Span(f"{year:04d}-{month:02d}", label or f"{first:%B %Y}", first, last, at)


def _latest_year(month: int, day: int, today: date) -> int:
    """The year in which month/day most recently started (people mean the past)."""
    return today.year if (month, day) <= (today.month, today.day) else today.year - 1


def _number(text: str) -> int:
    return int(text) if text.isdigit() else NUMBER_WORDS[text]


# ---------------------------------------------------------------------------------- matchers
# Each matcher takes the regex match and today's local date and returns a Span (or None).

FIXED = {
    "today": "today",
    "yesterday": "yesterday",
    "this week": "this week",
    "last week": "last week",
    "previous week": "last week",
    "past week": "last 7 days",
    "this month": "this month",
    "last month": "last month",
    "previous month": "last month",
    "past month": "last 30 days",
    "this quarter": "this quarter",
    "last quarter": "last quarter",
    "previous quarter": "last quarter",
    "this year": "this year",
    "last year": "last year",
    "previous year": "last year",
    "past year": "last 12 months",
    "year to date": "year to date",
    "ytd": "year to date",
    "month to date": "month to date",
    "mtd": "month to date",
    "so far this month": "month to date",
    "so far this year": "year to date",
    "recently": "last 7 days",
    "past fortnight": "last 14 days",
    "last fortnight": "last 14 days",
    "fortnight": "last 14 days",
    "yday": "yesterday",
    "ystd": "yesterday",
    "lately": "last 7 days",
    "these days": "last 7 days",
}


@dataclass(frozen=True)
class Found:
    span: Span
    end: int


def _iter_ranges(text: str, today: date) -> list[Found]:
    """Ranges first: "from 5 to 11 October", "between Oct 5 and Oct 11", "5-11 Oct"."""
    found: list[Found] = []
    patterns = [
        # from 5 to 11 October (2025)
        r"(?:from |between )?"
        + _day("d1")
        + r"(?: of)?\s*(?:"
        + _month("m1")
        + r"\s*(?:"
        + _year("y1")
        + r")?)?\s*(?:to|until|till|through|and|-|\u2013)\s*"
        + _day("d2")
        + r"(?: of)?\s+"
        + _month("m2")
        + r"(?:,?\s*"
        + _year("y2")
        + r")?",
        # from October 5 to (October) 11
        r"(?:from |between )?"
        + _month("m1")
        + r"\s+"
        + _day("d1")
        + r"(?:,?\s*"
        + _year("y1")
        + r")?\s*(?:to|until|till|through|and|-|\u2013)\s*(?:"
        + _month("m2")
        + r"\s+)?"
        + _day("d2")
        + r"(?:,?\s*"
        + _year("y2")
        + r")?\b",
    ]
    for pattern in patterns:
        for m in re.finditer(r"\b" + pattern, text):
            span = _range_span(m, today)
            if span:
                found.append(Found(span, m.end()))
    for m in re.finditer(
        r"\b(?:from |between )?(\d{4}-\d\d-\d\d)\s*(?:to|until|and|\.\.|-|\u2013)\s*(\d{4}-\d\d-\d"
        r"\d)\b",
        text,
    ):
        a, b = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
        found.append(Found(_days(a, b, f"{a:%-d %b %Y} to {b:%-d %b %Y}", m.start()), m.end()))
    for m in re.finditer(
        r"\b(?:from |between )" + _month("m1") + r"\s*(?:to|until|through|and|-|\u2013)\s*"
        r"" + _month("m2") + r"(?:\s+" + _year("y2") + r")?",
        text,
    ):
        m1, m2 = MONTHS[m.group("m1")], MONTHS[m.group("m2")]
        y2 = int(m.group("y2")) if m.group("y2") else _latest_year(m2, 1, today)
        y1 = y2 if m1 <= m2 else y2 - 1
        a = date(y1, m1, 1)
        b = date(y2, m2, 1) + relativedelta(months=1) - timedelta(days=1)
        found.append(Found(_days(a, b, f"{a:%B %Y} to {b:%B %Y}", m.start()), m.end()))
    # "June until August": a month range without "from", unless two months are being compared
    if not re.search(
        r"\b(?:compar\w*|vs\.?|versus|against|than|change\w*|increas\w*|decreas\w*|drop\w*|"
        r"ris[ei]\w*|rose|fall\w*|fell|differ\w*)\b",
        text,
    ):
        bare = _month("m1") + r"\s*(?:until|till|through|thru|to|-|\u2013)\s*" + _month("m2")
        for m in re.finditer(r"\b" + bare + r"(?!\s+(?:19|20)\d\d)\b", text):
            m1, m2 = MONTHS[m.group("m1")], MONTHS[m.group("m2")]
            y2 = _latest_year(m2, 1, today)
            y1 = y2 if m1 <= m2 else y2 - 1
            a = date(y1, m1, 1)
            b = date(y2, m2, 1) + relativedelta(months=1) - timedelta(days=1)
            found.append(Found(_days(a, b, f"{a:%B %Y} to {b:%B %Y}", m.start()), m.end()))
    # "Nov 2025 to Oct 2026": with a year on both sides no "from" is needed
    both = _month("m1") + r"\s+" + _year("y1") + r"\s*(?:to|until|through|-|\u2013)\s*"
    for m in re.finditer(r"\b" + both + _month("m2") + r"\s+" + _year("y2"), text):
        a = date(int(m.group("y1")), MONTHS[m.group("m1")], 1)
        b = date(int(m.group("y2")), MONTHS[m.group("m2")], 1) + relativedelta(months=1)
        if b > a:
            last = b - timedelta(days=1)
            found.append(Found(_days(a, last, f"{a:%B %Y} to {last:%B %Y}", m.start()), m.end()))
    return found


def _range_span(m: re.Match[str], today: date) -> Span | None:
    m2 = MONTHS[m.group("m2")] if m.group("m2") else None
    m1 = MONTHS[m.group("m1")] if m.group("m1") else m2
    if m1 is None or (m2 is None and m1 is None):
        return None
    m2 = m2 or m1
    d1, d2 = int(m.group("d1")), int(m.group("d2"))
    year = m.group("y2") or m.group("y1")
    y2 = int(year) if year else _latest_year(m2, d2, today)
    y1 = int(m.group("y1")) if m.group("y1") else (y2 if (m1, d1) <= (m2, d2) else y2 - 1)
    try:
        a, b = date(y1, m1, d1), date(y2, m2, d2)
    except ValueError:
        return None
    if b < a:
        return None
    return _days(a, b, f"{a:%-d %b %Y} to {b:%-d %b %Y}", m.start())


def _single_day(text: str, today: date) -> list[Found]:
    found = []
    day_month = (
        r"\b(?:on |since |from )?(?:the )?"
        + _day("d")
        + r"(?: of)?\s+"
        + _month("m")
        + r"(?:,?\s*"
        + _year("y")
        + r")?"
    )
    month_day = r"\b(?:on |since |from )?" + _month("m") + r"\s+" + _day("d") + r"\b(?:,?\s*"
    month_day += _year("y") + r")?"
    for pattern in (day_month, month_day):
        for m in re.finditer(pattern, text):
            month, day = MONTHS[m.group("m")], int(m.group("d"))
            year = int(m.group("y")) if m.group("y") else _latest_year(month, day, today)
            try:
                d = date(year, month, day)
            except ValueError:
                continue
            found.append(Found(_days(d, d, f"{d:%-d %B %Y}", m.start()), m.end()))
    for m in re.finditer(r"\b(\d{4}-\d\d-\d\d)\b(?!\s*(?:\.\.|to\b|and\b))", text):
        d = date.fromisoformat(m.group(1))
        found.append(Found(_days(d, d, f"{d:%-d %B %Y}", m.start()), m.end()))
    for m in re.finditer(r"\b([0-3]?\d)\.([01]?\d)\.((?:20)?\d\d)\b", text):
        year = int(m.group(3)) + (2000 if len(m.group(3)) == 2 else 0)
        try:
            d = date(year, int(m.group(2)), int(m.group(1)))
        except ValueError:
            continue
        found.append(Found(_days(d, d, f"{d:%-d %B %Y}", m.start()), m.end()))
    for m in re.finditer(r"\b([0-3]?\d)/([0-3]?\d)/((?:20)?\d\d)\b", text):
        slashed = _slashed(int(m.group(1)), int(m.group(2)), m.group(3), today)
        if slashed is not None:
            found.append(Found(_days(slashed, slashed, f"{slashed:%-d %B %Y}", m.start()), m.end()))
    return found


def _slashed(first: int, second: int, year_text: str, today: date) -> date | None:
    """12/10/2026: day first, as in Europe; month first only when that is the one possible
    reading, or the day-first reading lies in the future."""
    year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    readings = []
    for day, month in ((first, second), (second, first)):
        try:
            readings.append(date(year, month, day))
        except ValueError:
            continue
    past = [d for d in readings if d <= today]
    return next(iter(past or readings), None)


def _months(text: str, today: date) -> list[Found]:
    found = []
    pattern = r"\b(?:in |for |during |of |since )?(?P<rel>last |previous |this )?" + _month("m")
    for m in re.finditer(pattern + r"(?:\s+|\s*'|,\s*)?(?P<y>(?:19|20)?\d\d)?\b", text):
        month, y = MONTHS[m.group("m")], m.group("y")
        # "may", "mar", "jan" are ordinary words too: they need a cue or a year
        cue = re.match(r"(in|for|during|of|since) ", m.group(0))
        if m.group("m") in ("may", "mar", "jan") and not y and not cue:
            continue
        if y and len(y) == 2 and not re.search(r"'|\s", m.group(0)[len(m.group("m")) :]):
            continue
        year = (int(y) + (2000 if len(y) == 2 else 0)) if y else _latest_year(month, 1, today)
        if not y and (m.group("rel") or "").strip() in ("last", "previous") and year == today.year:
            year -= 1  # "last October" in November is a year ago; "this October" just passed
        found.append(Found(_month_span(year, month, m.start()), m.end()))
    nth = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3}
    week_of = r"\b(?:the )?(?P<n>first|1st|second|2nd|third|3rd|fourth|4th|last) week (?:of|in) "
    for m in re.finditer(week_of + _month("m") + r"(?:\s+(?P<y>(?:19|20)\d\d))?", text):
        month = MONTHS[m.group("m")]
        year = int(m.group("y")) if m.group("y") else _latest_year(month, 1, today)
        end_of_month = date(year, month, 1) + relativedelta(months=1) - timedelta(days=1)
        if m.group("n") == "last":
            first = end_of_month - timedelta(days=6)
        else:
            first = date(year, month, 1) + timedelta(days=7 * nth[m.group("n")])
        last = min(first + timedelta(days=6), end_of_month)
        found.append(Found(_days(first, last, m.group(0).strip(), m.start()), m.end()))
    for m in re.finditer(r"\b(\d{4})-(\d{2})\b(?!-\d)", text):
        found.append(Found(_month_span(int(m.group(1)), int(m.group(2)), m.start()), m.end()))
    return found


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
QUARTER = r"\b(?:(?P<y1>(?:19|20)\d\d)[\s-]*)?q(?P<q>[1-4])(?:[\s-]*(?P<y2>(?:19|20)\d\d))?\b"
ORDINAL_QUARTER = (
    r"\b(?P<o>first|second|third|fourth|1st|2nd|3rd|4th) quarter(?: of)?(?: (?P<y>(?:19|20)\d\d))?"
    r"\b"
)


def _quarter(q: int, year_text: str | None, today: date, at: int) -> Span:
    year = int(year_text) if year_text else _latest_year(3 * q - 2, 1, today)
    first = date(year, 3 * q - 2, 1)
    last = first + relativedelta(months=3) - timedelta(days=1)
    return Span(f"{year}-Q{q}", f"Q{q} {year}", first, last, at)


def _quarters(text: str, today: date) -> list[Found]:
    found = [
        Found(
            _quarter(int(m.group("q")), m.group("y1") or m.group("y2"), today, m.start()), m.end()
        )
        for m in re.finditer(QUARTER, text)
    ]
    found += [
        Found(_quarter(ORDINALS[m.group("o")], m.group("y"), today, m.start()), m.end())
        for m in re.finditer(ORDINAL_QUARTER, text)
    ]
    return found


def _weeks_and_years(text: str, today: date) -> list[Found]:
    found = []
    week = r"\b(?:calendar week|week|cw|kw|w)\s*(?P<w>\d{1,2})"
    for m in re.finditer(week + r"(?:\s*(?:of |/)?\s*(?P<y>(?:19|20)\d\d))?\b", text):
        w, explicit = int(m.group("w")), m.group("y")
        year = int(explicit) if explicit else today.isocalendar().year
        try:
            first = date.fromisocalendar(year, w, 1)
            if first > today and not explicit:
                year -= 1
                first = date.fromisocalendar(year, w, 1)
        except ValueError:
            continue
        last = first + timedelta(days=6)
        found.append(
            Found(Span(f"{year}-W{w:02d}", f"week {w} of {year}", first, last, m.start()), m.end())
        )
    for m in re.finditer(r"\b(?:in |for |during |of )?(?P<y>(?:19|20)\d\d)\b(?![-./]\d)", text):
        year = int(m.group("y"))
        span = Span(str(year), str(year), date(year, 1, 1), date(year, 12, 31), m.start())
        found.append(Found(span, m.end()))
    return found


def _keywords(text: str, today: date) -> list[Found]:
    """'last week', 'this month', 'the last 7 days', 'past 24h'."""
    keys = sorted(FIXED, key=len, reverse=True)
    lead = r"\b(?:the |over the |during the |in the |for the )?"
    found = [
        Found(Span(FIXED[m.group(1)], m.group(1), None, None, m.start()), m.end())
        for m in re.finditer(lead + "(" + "|".join(keys) + r")\b", text)
    ]
    last_n = r"\b(?:the )?(?:last|past|previous|recent) " + _NUM + r" " + _UNIT + r"\b"
    for m in re.finditer(last_n, text):
        n = _number(m.group("n"))
        unit = {"hr": "hour", "h": "hour"}.get(m.group("unit"), m.group("unit"))
        if unit == "year":
            unit, n = "month", 12 * n
        span = Span(f"last {n} {unit}s", f"the last {n} {unit}s", None, None, m.start())
        found.append(Found(span, m.end()))
    for m in re.finditer(r"\b(?:last|past) (\d+)\s*h\b", text):
        n = int(m.group(1))
        span = Span(f"last {n} hours", f"the last {n} hours", None, None, m.start())
        found.append(Found(span, m.end()))
    return found


def _befores(text: str, today: date) -> list[Found]:
    """'the week before last', 'the month before last', 'last weekend', 'a month ago'."""
    found = []
    monday = today - timedelta(days=today.weekday())
    month = today.replace(day=1)
    for m in re.finditer(r"\b(?:the )?week before last\b", text):
        first = monday - timedelta(days=14)
        found.append(Found(_days(first, first + timedelta(days=6), m.group(0), m.start()), m.end()))
    for m in re.finditer(r"\b(?:the )?month before last\b", text):
        first = month - relativedelta(months=2)
        found.append(Found(_month_span(first.year, first.month, m.start(), m.group(0)), m.end()))
    for m in re.finditer(r"\b(?:last|this past) weekend\b", text):
        saturday = monday - timedelta(days=2)
        found.append(
            Found(_days(saturday, saturday + timedelta(days=1), "last weekend", m.start()), m.end())
        )
    for m in re.finditer(r"\b(two|2|three|3|four|4) (weeks|months) ago\b", text):
        n = {"two": 2, "three": 3, "four": 4}.get(m.group(1)) or int(m.group(1))
        if m.group(2) == "weeks":
            first = monday - timedelta(days=7 * n)
            span = _days(first, first + timedelta(days=6), m.group(0), m.start())
        else:
            first = month - relativedelta(months=n)
            span = _month_span(first.year, first.month, m.start())
        found.append(Found(span, m.end()))
    for m in re.finditer(r"\b(?:a|one) (week|month|year) ago\b", text):
        unit = m.group(1)
        if unit == "week":
            first = monday - timedelta(days=7)
            span = _days(first, first + timedelta(days=6), "a week ago", m.start())
        elif unit == "month":
            first = month - relativedelta(months=1)
            span = _month_span(first.year, first.month, m.start())
        else:
            y = today.year - 1
            span = Span(str(y), str(y), date(y, 1, 1), date(y, 12, 31), m.start())
        found.append(Found(span, m.end()))
    return found


def _weekdays(text: str, today: date) -> list[Found]:
    """'on Monday', 'last Friday': the most recent such day ('this Monday' may be today)."""
    found = []
    for m in re.finditer(
        r"\b(?P<w>this |last |on |past )?" + _WEEKDAY.replace("{g}", "d") + r"\b"
        r"(?P<of>,? (?:of|in) (?:the )?(?:last|previous|this) week|,? last week)?",
        text,
    ):
        word = (m.group("w") or "").strip()
        if m.group("of"):
            # "Tuesday of last week": that weekday in the week named
            monday = today - timedelta(days=today.weekday())
            if "this" not in m.group("of"):
                monday -= timedelta(days=7)
            d = monday + timedelta(days=WEEKDAYS[m.group("d")])
            found.append(Found(_days(d, d, f"{d:%A %-d %B}", m.start()), m.end()))
            continue
        if m.group("d") in ("sun", "sat", "wed", "mon") and not word:
            continue
        back = (today.weekday() - WEEKDAYS[m.group("d")]) % 7
        if word == "last" or (back == 0 and word != "this"):
            back = back or 7
        d = today - timedelta(days=back)
        found.append(Found(_days(d, d, f"{d:%A %-d %B}", m.start()), m.end()))
    return found


SAME_LAST_YEAR = (
    r"(?:the )?(?:same|equivalent) (?:week|month|period|quarter|day) (?:a |one |of )?"
    r"(?:last |the previous |the prior )?year|(?:a|one) year (?:earlier|before)|last year's|"
    r"year over year|year-on-year|yoy"
)
RELATIVE_REFERENCES = {
    r"(?:the |that )?(?:week|one) before|(?:the )?previous one|(?:the )?prior week": "week before",
    r"(?:the )?month before|(?:the )?prior month": "month before",
    SAME_LAST_YEAR: "year before",
    r"(?:the )?(?:period|time) before|(?:the )?(?:previous|prior) period": "period before",
    r"(?:the )?day before": "day before",
}


def _references(text: str) -> list[Found]:
    found = []
    for pattern, kind in RELATIVE_REFERENCES.items():
        for m in re.finditer(r"\b(?:" + pattern + r")\b", text):
            found.append(Found(Span("", kind, None, None, m.start(), relative=kind), m.end()))
    return found


def find_periods(text: str, now: datetime) -> list[Span]:
    """Every period mentioned in `text` (lower case), in order, overlapping matches removed
    (the longest wins: "from 5 to 11 October" is one range, not two days)."""
    today = now.date()
    candidates = [
        found
        for matcher in (
            _iter_ranges,
            _keywords,
            _befores,
            _weekdays,
            _single_day,
            _months,
            _quarters,
            _weeks_and_years,
        )
        for found in matcher(text, today)
    ] + _references(text)
    for m in re.finditer(
        r"\bsince (?:the )?(?:beginning|start) of (?:the )?(month|year|week)\b", text
    ):
        kind = {"month": "month to date", "year": "year to date", "week": "this week"}[m.group(1)]
        candidates.append(Found(Span(kind, kind, None, None, m.start()), m.end()))
    candidates.sort(key=lambda f: (f.span.at, -(f.end - f.span.at)))
    chosen: list[Found] = []
    for f in candidates:
        if chosen and f.span.at < chosen[-1].end:
            continue
        chosen.append(f)
    if not chosen:
        # "on the weekend" with no other period means the weekend just past
        weekend = re.search(r"\b(?:on|over|at|during|for) the weekend\b", text)
        if weekend:
            chosen = [f for f in _befores("last weekend", today)]
            chosen = [Found(replace(f.span, at=weekend.start()), weekend.end()) for f in chosen]
    spans = [_since(text, f, now) for f in chosen]
    if re.search(r"\bso far\b|\bto date\b|\buntil now\b", text):
        spans = [_so_far(s, now) for s in spans]
    return spans


def _so_far(span: Span, now: datetime) -> Span:
    """ "this week so far" ends now, whatever the store holds beyond it."""
    if span.period not in ("today", "this week", "this month", "this quarter", "this year"):
        return span
    first, _ = bounds(span, now)
    return Span(f"since {first.isoformat()}", f"{span.label} so far", first, None, span.at)


def _since(text: str, found: Found, now: datetime) -> Span:
    """A period after "since" runs from its start until now."""
    span = found.span
    before = text[max(0, span.at - 30) : span.at + 6]
    lead = r"since(?: the (?:start|beginning))?(?: of)?\s*(?:in |of |the )?$"
    if span.start is None or not (
        "since" in text[max(0, span.at - 6) : span.at + 6] or re.search(lead, before[:-6])
    ):
        return span
    return Span(f"since {span.start.isoformat()}", f"since {span.label}", span.start, None, span.at)


def shift(span: Span, kind: str, now: datetime) -> Span:
    """The period a relative reference means, taken from `span`: the week before last week,
    the same month a year earlier, the period of the same length just before."""
    first, last = bounds(span, now)
    if kind == "year before":
        a, b = first - relativedelta(years=1), last - relativedelta(years=1)
        if first.day == 1 and (last + timedelta(days=1)).day == 1:
            b = a + relativedelta(months=_months_between(first, last)) - timedelta(days=1)
        label = f"the same period a year earlier ({a:%-d %b %Y} to {b:%-d %b %Y})"
    elif kind == "month before" or (first.day == 1 and (last + timedelta(days=1)).day == 1):
        months = _months_between(first, last)
        a = first - relativedelta(months=months)
        b = first - timedelta(days=1)
        label = f"{a:%B %Y}" if months == 1 else f"{a:%b %Y} to {b:%b %Y}"
    else:
        length = (last - first).days + 1
        a, b = first - timedelta(days=length), first - timedelta(days=1)
        label = f"{a:%-d %b} to {b:%-d %b %Y}"
    return _days(a, b, label, span.at)


def _months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def bounds(span: Span, now: datetime) -> tuple[date, date]:
    """First and last local day of a span (relative keywords resolved against `now`)."""
    if span.start is not None and span.end is not None:
        return span.start, span.end
    from tools.periods import resolve_period  # the tools' own grammar decides what a keyword means

    period = resolve_period(span.period, now, str(now.tzinfo))
    last = period.end - timedelta(seconds=1)
    return period.start.date(), last.date()
