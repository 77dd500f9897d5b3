"""Time phrases as people write them ("in September", "since Monday", "from 5 to 11 October",
"the first half of 2026", "the week of 12 October", "November last year", "FY2026") found in a
question, each with its words, its role (asked about, compared with, a baseline's base) and,
for "the week before" or "the same period last year", the relation to another period."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from agent.reader.bounded import NTH, cut_short, days_of_each, narrowed
from agent.reader.conditions import UNITS
from agent.reader.dates import (
    MONTHS,
    NUM,
    NUMBER_WORDS,
    ORDINALS,
    UNIT,
    WEEKDAYS,
    WORDS,
    Calendar,
    Found,
    bounds,
    day,
    day_range,
    days,
    latest_year,
    month,
    month_span,
    months_span,
    number,
    phrases,
    shift,
    weekday,
    whole_units,
)
from agent.reader.lexicon import Lexicon, default_lexicon
from agent.reader.ranges import ranges, single_days
from agent.reader.remarks import remarks_among
from agent.reader.slots import PeriodMention, PeriodRole, Relation, TimeSpan, Words
from agent.reader.text import Sheet
from tools.periods import (  # RUNNING: the period words the tools cut at now
    RUNNING,
    InvalidPeriod,
    resolve_period,
)

Matcher = Callable[[str, Calendar], list[Found]]
# periods by name in every language of the lexicon ("last week", "semana passada")
FIXED = WORDS.periods
LEADS = {key: phrases(words) for key, words in WORDS.leads.items()}
AFTER = {key: phrases(words) for key, words in WORDS.after.items()}
DAY_LEAD = phrases(WORDS.day_leads)
MONTH_LEAD = phrases(WORDS.month_leads)
SAME_LAST_YEAR = (
    r"(?:the )?(?:same|equivalent) (?:week|month|period|quarter|day|time) (?:a |one |of )?"
    r"(?:last |the previous |the prior )?year(?: ago| earlier| before)?|"
    r"(?:a|one) year (?:earlier|before)|last year's|"
    r"year over year|year-on-year|year on year|yoy"
)
RELATIONS = {
    # Portuguese: "a semana anterior", "o mês anterior", "o dia anterior"
    r"(?:the |that )?(?:week|one) before|(?:the )?prior week|(?:the )?previous one"
    r"|(?:a |na )?semana anterior": Relation.WEEK_BEFORE,
    r"(?:the )?month before|(?:the )?prior month|(?:o |no )?m[eê]s anterior": (
        Relation.MONTH_BEFORE
    ),
    SAME_LAST_YEAR: Relation.YEAR_BEFORE,
    # "the same week last month", "the same day a month ago": a month back, its week or day
    r"(?:the )?same (?:week|day|days) (?:(?:of |in )?(?:last|the previous|the prior) month"
    r"|(?:a |one )?month (?:earlier|before|ago))": Relation.MONTH_EARLIER,
    r"(?:the )?(?:period|time) before|(?:the )?(?:previous|prior|preceding) period": (
        Relation.PERIOD_BEFORE
    ),
    r"(?:the )?day before|(?:o |no )?dia anterior": Relation.DAY_BEFORE,
    # "what about the week after?", "a semana seguinte", "die Woche danach"
    r"(?:the |that )?week after(?: that| it| then)?"
    r"|(?:a |na )?semana seguinte|(?:die |der )?woche danach": Relation.WEEK_AFTER,
    r"(?:the )?month after(?: that| it| then)?"
    r"|(?:o |no )?m[eê]s seguinte|(?:der |im )?monat danach": Relation.MONTH_AFTER,
    r"(?:the )?day after(?: that| it| then)?(?! tomorrow)"
    r"|(?:o |no )?dia seguinte|(?:der |am )?tag danach": Relation.DAY_AFTER,
    r"(?:the )?period after(?: that| it| then)?": (Relation.PERIOD_AFTER),
}
# "the 10 days before that", "the two weeks after it": a period of the length said
COUNTED_RELATION = (
    r"\b(?:the |that )?(?P<n>\d+|"
    + "|".join(w for w in NUMBER_WORDS if w not in ("a", "an"))
    + r") (?P<unit>day|week|month)s? (?:just |immediately |right )?(?P<how>before|after)"
    r"(?: that| it| then)?\b"
)
SEASONS = {"spring": (3, 3), "summer": (6, 3), "autumn": (9, 3), "fall": (9, 3), "winter": (12, 3)}


def _keywords(text: str, cal: Calendar) -> list[Found]:
    """'last week', 'this month', 'the last 7 days', 'past 24h'."""
    lead = r"\b(?:over |during |in |for )?(?:the )?"
    found = [
        Found(TimeSpan(FIXED[_key(m.group(1))], m.group(1)), m.start(), m.end())
        for m in re.finditer(lead + "(" + phrases(list(FIXED)) + r")\b", text)
    ]
    whole = f"(?:(?P<whole>{phrases(WORDS.whole) if WORDS.whole else '(?!)'}) )?"
    last_n = r"\b(?:over |in |for )?(?:the )?(?:last|past|previous|recent) " + NUM + " " + whole
    for m in re.finditer(last_n + UNIT + r"\b", text):
        n = number(m.group("n"))
        unit = {"hr": "hour", "h": "hour"}.get(m.group("unit"), m.group("unit"))
        if unit == "year":
            unit, n = "month", 12 * n
        span = TimeSpan(f"last {n} {unit}s", f"the last {n} {unit}s")
        if m.group("whole") and unit != "hour":
            span = whole_units(n, unit, cal.today)
        found.append(Found(span, m.start(), m.end()))
    for m in re.finditer(r"\b(?:last|past) (\d+) ?h\b", text):
        n = int(m.group(1))
        found.append(Found(TimeSpan(f"last {n} hours", f"the last {n} hours"), m.start(), m.end()))
    return found


def _key(written: str) -> str:
    """A phrase as the lexicon lists it: "semana-passada" is "semana passada"."""
    return " ".join(re.split(r"[\s-]+", written))


def _befores(text: str, cal: Calendar) -> list[Found]:
    """'the week before last' ("semana retrasada", "vorletzte Woche"), 'the month before
    last', 'last weekend', 'two weeks ago', 'the day before yesterday'."""
    found = []
    today = cal.today
    monday = today - timedelta(days=today.weekday())
    first_of_month = today.replace(day=1)
    week = r"\b(?:(?:the )?week before last|(?:a )?semana retrasada|vorletzten? woche)\b"
    for m in re.finditer(week, text):
        first = monday - timedelta(days=14)
        found.append(Found(days(first, first + timedelta(days=6), m.group(0)), m.start(), m.end()))
    month = r"\b(?:(?:the )?month before last|(?:o )?m[eê]s retrasado|vorletzte[nr]? monat)\b"
    for m in re.finditer(month, text):
        first = first_of_month - relativedelta(months=2)
        found.append(Found(month_span(first.year, first.month), m.start(), m.end()))
    weekend = (
        r"\b(?:(?:last|this past|on the|over the|at the) weekend"
        r"|(?:am )?(?:letzten|letztes|vergangenen|vergangenes|vorigen|voriges) wochenende"
        r"|(?:n?o )?(?:último|ultimo) fim de semana|(?:n?o )?fim de semana passado)\b"
    )
    for m in re.finditer(weekend, text):
        saturday = monday - timedelta(days=2)
        span = days(saturday, saturday + timedelta(days=1), "last weekend")
        found.append(Found(span, m.start(), m.end()))
    # "the day before yesterday" ("vorgestern", "anteontem"), "three days ago": one day
    day = (
        r"\b(?:(?:the )?day before yesterday|vorgestern|anteontem|antes de ontem"
        r"|(?P<n>two|2|three|3|four|4|five|5|six|6) days ago)\b"
    )
    for m in re.finditer(day, text):
        first = today - timedelta(days=number(m.group("n")) if m.group("n") else 2)
        found.append(Found(days(first, first, m.group(0)), m.start(), m.end()))
    for m in re.finditer(r"\b(a|one|two|2|three|3|four|4) (week|month|year)s? ago\b", text):
        n = number(m.group(1))
        if m.group(2) == "week":
            first = monday - timedelta(days=7 * n)
            span = days(first, first + timedelta(days=6), m.group(0))
        elif m.group(2) == "month":
            first = first_of_month - relativedelta(months=n)
            span = month_span(first.year, first.month)
        else:
            y = today.year - n
            span = days(date(y, 1, 1), date(y, 12, 31), str(y))
        found.append(Found(span, m.start(), m.end()))
    return found


def _paired_day(text: str, m: re.Match[str]) -> bool:
    """A weekday joined to another by "+", "/", "&", "and" or "or"."""
    joined = r"\s*(?:\+|/|&|\band\b|\bor\b)\s*"
    after = re.match(joined + weekday("e") + r"\b", text[m.end() :])
    before = re.search(r"\b" + weekday("e") + joined + r"$", text[: m.start("d")])
    return after is not None or before is not None or _working_week(text, m)


def _working_week(text: str, m: re.Match[str]) -> bool:
    """ "Mon-Fri", "Monday to Friday" with no week named: the working days of every week (a
    week named is a range of days, read before this)."""
    to = r"\s*(?:-|\u2013|to|through|till|until)\s*"
    after = re.match(to + weekday("e") + r"\b", text[m.end() :])
    before = re.search(r"\b" + weekday("e") + to + r"$", text[: m.start("d")])
    pair = (
        (WEEKDAYS[m.group("d")], WEEKDAYS[after.group("e")]) if after else
        (WEEKDAYS[before.group("e")], WEEKDAYS[m.group("d")]) if before else None
    )  # fmt: skip
    return pair == (0, 4)


def _weekdays(text: str, cal: Calendar) -> list[Found]:
    """'on Monday', 'last Friday', 'segunda passada', 'this past Monday': a day named with no
    week is the most recent such day ('this Monday' may be today); 'last' names the day of
    last week, as 'last week' itself does."""
    found = []
    today = cal.today
    lead = "|".join(f"(?P<{k}>{p}) " for k, p in LEADS.items()) + f"|(?P<on>{DAY_LEAD}) "
    after = "|".join(f" (?P<{k}_after>{p})" for k, p in AFTER.items())
    pattern = (
        r"\b(?:" + lead + r")?" + weekday("d") + r"\b"
        r"(?P<of>,? (?:of|in) (?:the )?(?:last|previous|this) week|,? last week" + (
            f"|{after}" if after else "") + r")?"
    )  # fmt: skip
    for m in re.finditer(pattern, text):
        said = {k.removesuffix("_after") for k, v in m.groupdict().items() if v and k != "d"}
        d = _weekday_of(m, said, today)
        if d is None:
            continue
        if not _week_named(m) and not _a_day(text, m, said, cal):
            continue
        found.append(Found(days(d, d, f"{d:%A %-d %B}"), m.start(), m.end()))
    return found


def _a_day(text: str, m: re.Match[str], said: set[str], cal: Calendar) -> bool:
    """A weekday read as one date: with a lead where the name is an ordinary word too, not
    joined to another day ("sat+sun": days of every week) and not left out ("no saturday")."""
    if m.group("d") in WORDS.needs_lead and not said:
        return False
    return not _paired_day(text, m) and not cal.negated(text[: m.start()])


def _week_named(m: re.Match[str]) -> bool:
    """ "Tuesday of last week", "friday, this week": the week is said."""
    return (m.group("of") or "").strip(" ,").startswith(("of", "in", "last"))


def _weekday_of(m: re.Match[str], said: set[str], today: date) -> date | None:
    """The date a weekday names: of the week named ("Tuesday of last week"; "last Tuesday",
    like "last week", is the previous Monday-to-Sunday week's, so asked on a Thursday it is
    not the day before yesterday), else the latest ("this past Monday", "on Monday"; this
    Monday may be today)."""
    wd = WEEKDAYS[m.group("d")]
    of = m.group("of") or ""
    monday = today - timedelta(days=today.weekday())
    if _week_named(m):
        return monday + timedelta(days=wd) - timedelta(days=0 if "this" in of else 7)
    if "last" in said:
        return monday + timedelta(days=wd - 7)
    back = (today.weekday() - wd) % 7
    if back == 0 and "this" not in said:
        back = 7
    return today - timedelta(days=back)


def _months(text: str, cal: Calendar) -> list[Found]:
    """'in September', 'sept 2025', 'outubro/2025', "oct '25", 'last October', 'November last
    year'."""
    found = []
    today = cal.today
    cue = f"(?P<cue>{MONTH_LEAD} )?"
    rel = "|".join(f"(?P<{k}>{p}) " for k, p in LEADS.items())
    pattern = r"\b" + cue + f"(?P<rel>{rel})?" + month("m")
    # "sept 2025", "September, 2025", "outubro/2025", "fev-2026", "oct '25"
    year_ = r"(?:(?:,? |/|-)(?P<y>(?:19|20)\d\d)|\s*'(?P<yy>\d\d)"
    after = "".join(f"| (?P<{k}_after>{p})" for k, p in AFTER.items())
    for m in re.finditer(pattern + year_ + after + r")?\b", text):
        mo = MONTHS[m.group("m")]
        y = int(m.group("y")) if m.group("y") else None
        y = 2000 + int(m.group("yy")) if m.group("yy") else y
        lead = y or m.group("cue") or m.group("rel") or m.start("m") in cal.as_names
        if m.group("m") in WORDS.needs_lead and not lead:
            continue  # ordinary words too: they need a cue, a year or to be written as a name
        yr = y if y else latest_year(mo, 1, today)
        last = m.group("last") or m.groupdict().get("last_after")
        if not y and last and yr == today.year:
            yr -= 1  # "last October" in November is a year ago; "this October" just passed
        found.append(Found(month_span(yr, mo), m.start(), m.end()))
    found += _month_of_year(text, cal)
    for m in re.finditer(r"\b(\d{4})-(\d{2})\b(?!-\d)", text):
        if 1 <= int(m.group(2)) <= 12:
            found.append(Found(month_span(int(m.group(1)), int(m.group(2))), m.start(), m.end()))
    return found


def _month_of_year(text: str, cal: Calendar) -> list[Found]:
    """'November last year', 'last year's November', 'October of the previous year'."""
    found = []
    rel = r"(?P<r>last|previous|this|the previous|the prior|the current)"
    patterns = (
        r"\b(?:in |for |during )?" + month("m") + r" (?:of |in )?" + rel + r" year\b",
        r"\b(?:in |for |during )?" + rel + r" year(?:'s)? " + month("m") + r"\b",
        r"\b(?:in |for |during )?" + month("m") + r" (?:a|one) year ago\b",
    )
    for pattern in patterns:
        for m in re.finditer(pattern, text):
            back = 0 if "r" in m.groupdict() and "this" in (m.group("r") or "") else 1
            back = 0 if "current" in (m.groupdict().get("r") or "") else back
            y = cal.today.year - back
            found.append(Found(month_span(y, MONTHS[m.group("m")]), m.start(), m.end()))
    return found


def _quarters_and_halves(text: str, cal: Calendar) -> list[Found]:
    """'Q3', '2025-Q3', 'the third quarter of 2025', 'H1 2026', 'the first half of 2026'."""
    found = []
    quarter = r"\b(?:(?P<y1>(?:19|20)\d\d)[\s-]*)?q(?P<q>[1-4])(?:[\s-]*(?P<y2>(?:19|20)\d\d))?\b"
    for m in re.finditer(quarter, text):
        span = _part(int(m.group("q")), 3, m.group("y1") or m.group("y2"), cal, "Q")
        found.append(Found(span, m.start(), m.end()))
    ordinal = r"\b(?:the )?(?P<o>first|second|third|fourth|1st|2nd|3rd|4th) quarter(?: of)?"
    for m in re.finditer(ordinal + r"(?: (?:the year )?(?P<y>(?:19|20)\d\d))?\b", text):
        span = _part(ORDINALS[m.group("o")], 3, m.group("y"), cal, "Q")
        found.append(Found(span, m.start(), m.end()))
    halves = _month_halves(text, cal)
    found += halves
    half = r"\b(?:the )?(?P<o>first|second|1st|2nd) half(?: of)?(?P<yr> the year)?"
    for m in re.finditer(half + r"(?: (?P<y>(?:19|20)\d\d)| (?P<rel>last|this) year)?\b", text):
        y = m.group("y") or (str(cal.today.year - 1) if m.group("rel") == "last" else None)
        span = _part(ORDINALS[m.group("o")], 6, y, cal, "H")
        if halves and not (y or m.group("yr") or m.group("rel")):
            # "the second half of October vs the first half": the other half of that month
            first = halves[0].span.start if halves[0].span else None
            if first is not None:
                span = _half_of_month(first.year, first.month, ORDINALS[m.group("o")])
        found.append(Found(span, m.start(), m.end()))
    short = r"\b(?:(?P<y1>(?:19|20)\d\d)[\s-]*)?h(?P<h>[12])(?:[\s-]*(?P<y2>(?:19|20)\d\d))?\b"
    for m in re.finditer(short, text):
        span = _part(int(m.group("h")), 6, m.group("y1") or m.group("y2"), cal, "H")
        found.append(Found(span, m.start(), m.end()))
    return found


def _month_halves(text: str, cal: Calendar) -> list[Found]:
    """'the first half of October' (1st to 15th), 'the second half of Sept 2026' (16th on)."""
    found = []
    half = r"\b(?:the )?(?P<o>first|second|1st|2nd) half of (?:the month of )?" + month("m")
    for m in re.finditer(half + r"(?:,? (?P<y>(?:19|20)\d\d))?\b", text):
        mo = MONTHS[m.group("m")]
        y = int(m.group("y")) if m.group("y") else latest_year(mo, 1, cal.today)
        span = _half_of_month(y, mo, ORDINALS[m.group("o")])
        found.append(Found(span, m.start(), m.end()))
    return found


# "the first week of October", "die letzten 3 Tage im Oktober": a stretch inside a month
PARTS = WORDS.month_parts
PLACES = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
UNIT_DAYS = {"day": 1, "days": 1, "week": 7, "weeks": 7}


def _month_parts(text: str, cal: Calendar) -> list[Found]:
    """'the first week of October' (1-7), 'the last week of September' (its last 7 days),
    'the first 10 days of X', 'the second week of March' (8-14), 'die letzten 3 Tage im
    Oktober', 'os primeiros 10 dias de setembro': the days said, of the year said, else of
    the latest such stretch begun. A plural with no number ("the first days of") is no
    stretch of known length: not read."""
    if not all(k in PARTS for k in (*UNIT_DAYS, "of")):
        return []
    found = []
    place = "|".join(f"(?P<{k}>{phrases(PARTS[k])})" for k in PLACES if k in PARTS)
    counts = [w for w in (*NUMBER_WORDS, *cal.lexicon.number_words) if w not in ("a", "an")]
    count = r"(?P<n>\d+|" + "|".join(sorted(counts, key=len, reverse=True)) + ")"
    unit = "|".join(f"(?P<{k}>{phrases(PARTS[k])})" for k in UNIT_DAYS)
    article = f"(?:{phrases(PARTS['article'])} )?" if "article" in PARTS else ""
    pattern = (
        rf"\b{article}(?:{place}) (?:{count} )?(?:{unit}) {phrases(PARTS['of'])} "
        + month("m")
        + r"(?:,? (?:of |de )?(?P<y>(?:19|20)\d\d))?\b"
    )
    for m in re.finditer(pattern, text):
        where = next(PLACES[k] for k in PLACES if m.groupdict().get(k))
        kind = next(k for k in UNIT_DAYS if m.group(k))
        if m.group("n") is None and kind.endswith("s"):
            continue
        n = (_count(m.group("n"), cal) if m.group("n") else 1) * UNIT_DAYS[kind]
        mo = MONTHS[m.group("m")]
        y = int(m.group("y")) if m.group("y") else cal.today.year
        span = _part_of_month(y, mo, where, n)
        if span is not None and span.start is not None and not m.group("y"):
            if span.start > cal.today:  # not begun yet this year: the latest one begun
                span = _part_of_month(y - 1, mo, where, n)
        if span is not None:
            found.append(Found(span, m.start(), m.end()))
    return found


def _count(written: str, cal: Calendar) -> int:
    return (
        int(written)
        if written.isdigit()
        else NUMBER_WORDS.get(written, cal.lexicon.number_words.get(written, 0))
    )


def _part_of_month(y: int, mo: int, where: int, n: int) -> TimeSpan | None:
    """The `where`-th stretch of `n` days of a month (-1: its last), labelled with its days
    ("1-7 Oct 2026"); None when the month has no such stretch."""
    whole = month_span(y, mo)
    assert whole.start is not None and whole.end is not None
    length = whole.end.day
    if n < 1 or n > length:
        return None
    first = length - n + 1 if where < 0 else (where - 1) * n + 1
    last = first + n - 1
    if last > length:
        return None
    a, b = whole.start.replace(day=first), whole.start.replace(day=last)
    return days(a, b, f"{a:%-d %b %Y}" if a == b else f"{a.day}-{b:%-d %b %Y}")


def _half_of_month(y: int, mo: int, n: int) -> TimeSpan:
    """The first half of the month's days, rounded down (1-14 of a February of 28 days, 1-15
    of a month of 30 or 31), or the days after it to the month's end (n=2)."""
    whole = month_span(y, mo)
    assert whole.start is not None and whole.end is not None
    half = whole.end.day // 2
    first = whole.start if n == 1 else whole.start.replace(day=half + 1)
    last = whole.start.replace(day=half) if n == 1 else whole.end
    which = "first" if n == 1 else "second"
    return days(first, last, f"the {which} half of {whole.label}")


def _part(n: int, size: int, year_text: str | None, cal: Calendar, prefix: str) -> TimeSpan:
    """The n-th quarter (size 3) or half (size 6) of a year; the latest one begun if no year."""
    first_month = size * (n - 1) + 1
    y = int(year_text) if year_text else latest_year(first_month, 1, cal.today)
    first = date(y, first_month, 1)
    span = months_span(first, size, f"{prefix}{n} {y}")
    return replace(span, period=f"{y}-Q{n}") if size == 3 else span


def _weeks_and_years(text: str, cal: Calendar) -> list[Found]:
    """'week 36', 'KW43', 'in 2025', and seasons ('the summer months')."""
    found = []
    today = cal.today
    week = r"\b(?:calendar week|week|cw|kw|w)\s*(?P<w>\d{1,2})"
    for m in re.finditer(week + r"(?:\s*(?:of |/)?\s*(?P<y>(?:19|20)\d\d))?\b", text):
        w, explicit = int(m.group("w")), m.group("y")
        y = int(explicit) if explicit else today.isocalendar().year
        try:
            first = date.fromisocalendar(y, w, 1)
            if first > today and not explicit:
                y -= 1
                first = date.fromisocalendar(y, w, 1)
        except ValueError:
            continue
        span = TimeSpan(f"{y}-W{w:02d}", f"week {w} of {y}", first, first + timedelta(days=6))
        found.append(Found(span, m.start(), m.end()))
    # "2000 kWh in a day": a number written with its unit is a quantity, never a year
    quantity = rf"(?!\s*(?:{'|'.join(UNITS)})(?![\w/]))"
    year = rf"\b(?:in |for |during |of )?(?P<y>(?:19|20)\d\d)\b(?![-./]\d){quantity}"
    for m in re.finditer(year, text):
        y = int(m.group("y"))
        found.append(Found(days(date(y, 1, 1), date(y, 12, 31), str(y)), m.start(), m.end()))
    season = (
        r"\b(?:in |during |over )?(?:the )?(?P<rel>this |last |previous )?"
        r"(spring|summer|autumn|fall|winter)(?: months)?(?: of (?P<y>(?:19|20)\d\d))?\b"
    )
    for m in re.finditer(season, text):
        first_month, n = SEASONS[m.group(2)]
        y = int(m.group("y")) if m.group("y") else latest_year(first_month, 1, today)
        if (m.group("rel") or "").strip() in ("last", "previous"):
            y -= 1  # the one before the latest
        span = months_span(date(y, first_month, 1), n, f"{m.group(2)} {y}")
        found.append(Found(span, m.start(), m.end(), note=f"{m.group(2)} read as {span.label}"))
    return found


def _fiscal(text: str, cal: Calendar) -> list[Found]:
    """'this fiscal year', 'last FY', 'FY2026', 'fiscal year to date'."""
    found = []
    fs = cal.fiscal_start
    note = "" if fs != 1 else "fiscal year read as the calendar year: the catalogue names no other"
    current = date(cal.today.year if cal.today.month >= fs else cal.today.year - 1, fs, 1)
    words = r"(?:fiscal year|fiscal|financial year|fy)"
    for m in re.finditer(r"\b(?:the )?(?P<rel>this|current|last|previous) " + words + r"\b", text):
        first = current - relativedelta(years=1 if m.group("rel") in ("last", "previous") else 0)
        span = months_span(first, 12, f"fiscal year from {first:%b %Y}")
        found.append(Found(span, m.start(), m.end(), note=note))
    for m in re.finditer(r"\b" + words + r" ?'?(?P<y>(?:19|20)?\d\d)\b", text):
        y = int(m.group("y")) + (2000 if len(m.group("y")) == 2 else 0)
        first = date(y - 1 if fs != 1 else y, fs, 1)  # named by the year it ends in
        span = months_span(first, 12, f"FY{y} ({first:%b %Y} to 12 months)")
        found.append(Found(span, m.start(), m.end(), note=note))
    for m in re.finditer(r"\b(?:" + words + r" to date|fytd)\b", text):
        span = TimeSpan(f"since {current.isoformat()}", f"fiscal year to date (since {current})")
        found.append(Found(span, m.start(), m.end(), note=note))
    return found


def _week_of(text: str, cal: Calendar) -> list[Found]:
    """'the week of 12 October' (its Monday-to-Sunday week), 'the week starting 5 Oct'."""
    found = []
    lead = r"\b(?:the |in the |during the )?week (?P<how>of|starting|commencing|beginning|from) "
    dates = (
        r"(?:the )?" + day("d") + r"(?: of)? " + month("m"),
        month("m") + r" " + day("d") + r"\b",
    )
    for written in dates:
        pattern = lead + written + r"(?:,? (?P<y>(?:19|20)\d\d))?"
        for m in re.finditer(pattern, text):
            mo, dd = MONTHS[m.group("m")], int(m.group("d"))
            y = int(m.group("y")) if m.group("y") else latest_year(mo, dd, cal.today)
            try:
                d = date(y, mo, dd)
            except ValueError:
                continue
            first = d - timedelta(days=d.weekday()) if m.group("how") == "of" else d
            span = days(first, first + timedelta(days=6), f"the week of {d:%-d %B %Y}")
            end = _week_end(text, m.end(), d)
            if end is not None:  # "the week of 14 Sept to 20 Sept": the days written
                span = day_range(d, end[0])
            found.append(Found(span, m.start(), end[1] if end else m.end()))
    return found


def _week_end(text: str, at: int, first: date) -> tuple[date, int] | None:
    """The last day written after "the week of <day>" ("to 20 Sept"), within a week of it."""
    tail = r"\s*(?:to|until|till|through|-)\s*(?:the )?" + day("d") + r"(?: of)? ?" + month("m")
    m = re.match(tail, text[at:])
    if m is None:
        return None
    try:
        last = date(first.year, MONTHS[m.group("m")], int(m.group("d")))
    except ValueError:
        return None
    return (last, at + m.end()) if timedelta(0) <= last - first <= timedelta(days=6) else None


def _relations(text: str, cal: Calendar) -> list[Found]:
    found = [
        Found(None, m.start(), m.end(), relation=relation)
        for pattern, relation in RELATIONS.items()
        for m in re.finditer(r"\b(?:" + pattern + r")\b", text)
    ]
    for m in re.finditer(COUNTED_RELATION, text):
        how = Relation.PERIOD_BEFORE if m.group("how") == "before" else Relation.PERIOD_AFTER
        length = (number(m.group("n")), m.group("unit"))
        found.append(Found(None, m.start(), m.end(), relation=how, length=length))
    return found


SAME_DAY = r"(?:the )?same (?:day|weekday|" + weekday("w") + r")"
WEEKDAY_RELATIONS = {
    # "the same Tuesday a week earlier", "the same day last week": 7 days back
    SAME_DAY + r" (?:(?:a |one )?week (?:earlier|before|ago)|(?:of |in )?(?:the )?"
    r"(?:last|previous|prior) week|the week before)|(?:a|one) week earlier": Relation.WEEK_EARLIER,
    # "the same Tuesday last year": 52 weeks back, on the same weekday
    r"(?:the )?same (?:weekday|" + weekday("w") + r") (?:(?:a |one )?year (?:earlier|before|ago)"
    r"|(?:of )?(?:last|the previous|the prior) year)": Relation.YEAR_EARLIER_WEEKDAY,
    # "the Monday before (that)": a day before the period named, not a time of day
    r"the " + weekday("w") + r" (?:just )?before(?: that| it| then)?"
    r"(?!\s*(?:\d|the\b|noon|midnight|last\b))": Relation.WEEKDAY_BEFORE,
}


def _weekday_relations(text: str, cal: Calendar) -> list[Found]:
    """Relations that keep or name a weekday, resolved against another period."""
    found = []
    for pattern, relation in WEEKDAY_RELATIONS.items():
        for m in re.finditer(r"\b(?:" + pattern + r")\b", text):
            wd = WEEKDAYS[m.group("w")] if m.group("w") else None
            found.append(Found(None, m.start(), m.end(), relation=relation, weekday=wd))
    return found


def _since_start(text: str, cal: Calendar) -> list[Found]:
    found = []
    for m in re.finditer(r"\bsince (?:the )?(?:beginning|start) of (?:the )?(month|year|week)\b",
                         text):  # fmt: skip
        kind = {"month": "month to date", "year": "year to date", "week": "this week"}[m.group(1)]
        found.append(Found(TimeSpan(kind, kind), m.start(), m.end()))
    return found


MATCHERS: tuple[Matcher, ...] = (
    ranges,
    _keywords,
    _befores,
    _weekdays,
    single_days,
    _months,
    _quarters_and_halves,
    _month_parts,
    _weeks_and_years,
    _fiscal,
    _week_of,
    _relations,
    _weekday_relations,
    _since_start,
)


COMPARING = re.compile(
    r"\b(?:compar\w*|vs\.?|versus|against|than|relative to|year over year|yoy|change\w*|"
    r"differ\w*|delta|increas\w*|decreas\w*|drop\w*|ris[ei]\w*|rose|fall\w*|fell|went (?:up|down)|"
    r"contra|em rela[cç][aã]o|varia[cç][aã]o|aument\w*|diminu\w*|caiu|ca[ií]ram|subiu|subiram|"
    r"gegen(?:über|ueber)?|vergleich\w*|verglichen)"
    r"\b"
)
MODELLING = re.compile(
    r"\b(?:baseline\w*|base line|base (?:period|year)|fit\w*|model\w*|regression|trained|train)\b"
)
REFERENCE_CUE = re.compile(
    r"(?:\bthan|\bvs\.?|\bversus|\bagainst|\bcompared (?:to|with)|\bwith|\brelative to|\bfrom"
    r"|\bor|\bcontra|\bcomparad[oa]s? (?:com|a)|\bem rela[cç][aã]o (?:a|à|ao)|\bfrente (?:a|à|ao)"
    r"|\bdo que|\bgegen(?:über|ueber)?|\bverglichen mit|\bim vergleich zu[mr]?)"
    r"\s*(?:(?:in|on|during|over|for|the|that of|that in|a|o|à|ao|na|no|em"
    r"|(?:week|month|days?|period) of)\s+)*$"
)
BASE_CUE = re.compile(
    r"(?:\busing|\bon|\bover|\bfrom|\bbased on|\btrained on|\bfitted on|\bbaseline period"
    r"|\bbase (?:period|year)|\bbaseline\s*\()\s*"
    r"(?:(?:the|data|of|period|\d+ months?|twelve months)\s+)*$"
)
# "fitted on 05/11 to 21/12": said to be what the model is fitted on, a base however short
FITTED_ON = re.compile(
    r"(?:\btrained on|\bfitted on|\bfit on|\bbaseline period|\bbase (?:period|year)"
    r"|\bbaseline\s*\()\s*"
    r"(?:(?:the|data|of|period)\s+)*$"
)
# "2025 as the base year", "the 2025 baseline": the base named after the period
BASE_AFTER = re.compile(
    r"\s*(?:as (?:the |a |our )?)?(?:baseline|base (?:year|period)|reference (?:year|period))\b"
)
AS_BASELINE = re.compile(
    r"\s*as (?:the |a |our |my )?(?:baseline|base (?:year|period)|reference (?:year|period))\b"
)
AS_BASE = re.compile(r"\s*as (?:the |a |our )?(?:base|reference) (?:year|period)\b")
# "our new contract from January": when prices apply, not the period asked about
TARIFF_START = re.compile(
    r"\b(?:contract|tariff|prices?|rates?)\s+(?:(?:starting|valid|effective|applies|applying)\s+)?"
    r"(?:from|as of|starting|since|in)\s+$"
)
# "at the new July prices", "the 2025 tariff": the period names the prices, not the period asked
TARIFF_NAMED = re.compile(r"(?:'s)?\s+(?:tariffs?|prices|rates|contract)\b")
# What ends a range after its first day ("from 1 January to 3 March", "... until yesterday")
RANGE_END = re.compile(r"\s(?:to|until|till|through|thru|a|até|ate|bis)\s|\d\s*[-\u2013]\s*\d")
OPEN_END = re.compile(r"\s*(?:to|until|till|through|and|-)\b|\s*-")
SO_FAR = re.compile(r"(?<!\w)" + phrases(WORDS.so_far) + r"(?!\w)")


def _as_names(sheet: Sheet) -> frozenset[int]:
    """Where a month's name that is an ordinary word too ("may", "mar") is written as a name:
    capitalised inside a sentence ("the main supply's May energy", "over May"), or closing a
    phrase ("May, kWh per working day", "base load, may?"), which the verb never does."""
    found = set()
    tokens = sheet.tokens
    for i, t in enumerate(tokens):
        if t.norm not in WORDS.needs_lead or t.norm not in MONTHS:
            continue
        before = tokens[i - 1] if i else None
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        inside = before is not None and before.text not in (".", "!", "?", ":", ";")
        closing = after is None or after.text in (",", "?", "!", ")", ";")
        if (inside and t.text[:1].isupper()) or closing:
            found.add(sheet.spans[i][0])
    return frozenset(found)


def _candidates(text: str, cal: Calendar) -> list[Found]:
    """The longest periods first, then those that do not overlap them, in question order
    ("November last year" over "vs November")."""
    found = [f for matcher in MATCHERS for f in matcher(text, cal)]
    found.sort(key=lambda f: (-(f.end - f.start), f.start))
    chosen: list[Found] = []
    for f in found:
        if any(f.start < c.end and f.end > c.start for c in chosen):
            continue
        chosen.append(f)
    chosen = _month_given(sorted(chosen, key=lambda f: f.start), text)
    return _dated_weekdays(_weekdays_of_range(chosen, text), text)


def _month_given(chosen: list[Found], text: str) -> list[Found]:
    """ "October up to the 28th", "October (1st to 15th)": days written with no month right
    after a period are its days (cut_short reads them), not days of the latest month."""
    out: list[Found] = []
    for f in chosen:
        before = out[-1] if out else None
        ends = NTH.match(text, before.end) if before is not None and f.loose else None
        if ends is None or ends.end() < f.end:
            out.append(f)
    return out


# "seg+ter 16-17/02", "Mon-Tue, 23-24/02": the first and last weekday of the days written after
WEEKDAY_PAIR = re.compile(
    weekday("a")
    + r"\.?\s*(?:\+|-|\u2013|/|&|\band\b|\be\b|\bund\b|\bto\b|\ba\b)\s*"
    + weekday("b")
    + r"\.?[\s,(]*$"
)


def _weekdays_of_range(chosen: list[Found], text: str) -> list[Found]:
    """Two weekdays written right before a range of days, the weekdays of its first and last
    day, restate it: they are the range's words ("saturday and sunday in October" is no such
    restatement: the weekend days of that month)."""
    out: list[Found] = []
    for f in chosen:
        span = f.span
        named = WEEKDAY_PAIR.search(text[: f.start])
        if (
            span is None
            or span.start is None
            or span.end is None
            or not 0 < (span.end - span.start).days < 7
            or named is None
            or (WEEKDAYS[named.group("a")], WEEKDAYS[named.group("b")])
            != (span.start.weekday(), span.end.weekday())
        ):
            out.append(f)
            continue
        out = [o for o in out if o.end <= named.start()]
        out.append(replace(f, start=named.start()))
    return out


def _dated_weekdays(chosen: list[Found], text: str) -> list[Found]:
    """ "on Sunday 27.09.", "Sunday, 27 September": a weekday written before a date names that
    date, not the latest such weekday; a weekday the date does not fall on is said."""
    out: list[Found] = []
    for f in chosen:
        before = out[-1] if out else None
        day_ = f.span.start if f.span is not None and f.span.start == f.span.end else None
        named = re.search(weekday("w") + r"$", text[before.start : before.end]) if before else None
        if before is None or named is None or day_ is None:
            out.append(f)
            continue
        if not re.fullmatch(r"[\s,]*", text[before.end : f.start]):
            out.append(f)
            continue
        note = f.note
        if WEEKDAYS[named.group("w")] != day_.weekday():
            note = f"{day_:%-d %B %Y} is a {day_:%A}; I read the date, not '{named.group(0)}'."
        out[-1] = replace(f, start=before.start, note=note)
    return out


def _from_a_day(text: str, f: Found) -> bool:
    """ "from 1 January" with no end after it: from that day on, not that day alone."""
    if f.span is None or f.span.start is None or f.span.start != f.span.end:
        return False
    lead = re.match(r"from\b", text[f.start : f.end]) or re.search(r"\bfrom $", text[: f.start])
    return bool(lead) and not OPEN_END.match(text, f.end)


def _since(text: str, f: Found, now: datetime, open_from: bool = False) -> Found:
    """A period after "since" runs from its start until now; so does a day after "from" with no
    end, in a question that compares or models nothing ("from" there names the reference)."""
    lead = re.search(
        r"\bsince (?:the )?(?:(?:start|beginning) )?(?:of )?(?:the )?$", text[: f.start]
    )
    inside = re.match(r"since\b", text[f.start : f.end])
    from_day = open_from and _from_a_day(text, f)
    if f.span is None or not (lead or inside or from_day) or f.span.period.startswith("since"):
        return f
    first, _ = bounds(f.span, now)
    span = TimeSpan(f"since {first.isoformat()}", f"since {f.span.label}", first, None)
    return replace(f, span=span, start=lead.start() if lead else f.start)


def _role(text: str, f: Found, comparing: bool, modelling: bool) -> PeriodRole:
    lead = re.match(r"(?:from|than|vs|with|against|using|on|over) ", text[f.start : f.end])
    before = text[max(0, f.start - 40) : f.start] + (lead.group(0) if lead else "")
    if lead and lead.group(0) == "from " and RANGE_END.search(text[f.start + 5 : f.end]):
        # "from 1 to 27 September": the range's own first word, not what it is compared with
        compared = text[max(0, f.start - 40) : f.start]
    else:
        compared = before
    after = BASE_AFTER.match(text, f.end)
    if modelling and (BASE_CUE.search(before) or after) and _long(f.span):
        return PeriodRole.BASE
    if modelling and (FITTED_ON.search(before) or AS_BASELINE.match(text, f.end)):
        return PeriodRole.BASE  # said to be the base ("July as the baseline"), however short
    if comparing and REFERENCE_CUE.search(compared):
        return PeriodRole.REFERENCE
    return PeriodRole.SUBJECT


def _long(span: TimeSpan | None) -> bool:
    """A baseline is fitted on months of data, not on a day."""
    if span is None or span.start is None or span.end is None:
        return span is not None and span.period.startswith("last") and "month" in span.period
    return (span.end - span.start).days >= 60


def find_periods(
    sheet: Sheet,
    now: datetime,
    fiscal_start: int = 1,
    *,
    lexicon: Lexicon | None = None,
    date_order: str | None = None,
    dismissed: list[Words] | None = None,
) -> tuple[list[PeriodMention], list[str]]:
    """Every period of the question, claimed on the sheet, with roles and relations resolved
    where the question itself names the period they are relative to; and notes on readings
    that took an assumption (a season, a fiscal year). `date_order` is how the site writes
    dates in numbers ("dmy", "mdy"); without it a date read both ways is asked about. The
    words of periods dismissed ("forget august") are added to `dismissed`."""
    text = sheet.masked()
    comparing, modelling = bool(COMPARING.search(text)), bool(MODELLING.search(text))
    open_from = not (comparing or modelling)
    cal = Calendar(
        now.date(), fiscal_start, lexicon or default_lexicon(), date_order, _as_names(sheet)
    )
    chosen = [_since(text, f, now, open_from) for f in _candidates(text, cal)]
    so_far = SO_FAR.search(text)
    mentions: list[PeriodMention] = []
    notes = []
    remarks = remarks_among(text, chosen, cal.lexicon)
    for f in chosen:
        span = f.span
        if f.choices:  # "12/10" read both ways: the answer asks which day
            words = sheet.claim(sheet.covering(f.start, f.end))
            mentions.append(PeriodMention(words, None, PeriodRole.SUBJECT, choices=f.choices))
            continue
        if span is None and f.relation is None:
            sheet.claim(sheet.covering(f.start, f.end))  # a day that does not exist: its note
            continue
        dismissal = _dismissal(text, f.start, cal.lexicon)
        if dismissal is not None:  # "ok forget august": read, and not the period asked about
            words = sheet.claim(sheet.covering(dismissal, f.end))
            if dismissed is not None and words.tokens:
                dismissed.append(words)
            continue
        if id(f) in remarks:  # "keep in mind the 1st of May was a holiday": not asked
            words = sheet.claim(sheet.covering(*remarks[id(f)]))
            if dismissed is not None and words.tokens:
                dismissed.append(words)
            notes.append(f"I took '{words.text}' as a remark, not as the period asked about.")
            continue
        lead = re.match(r"(?:from|as of|starting|since|in) ", text[f.start : f.end])
        if TARIFF_START.search(
            text[max(0, f.start - 50) : f.start] + (lead.group(0) if lead else "")
        ) or TARIFF_NAMED.match(text, f.end):
            words = sheet.claim(sheet.covering(f.start, f.end))
            notes.append(
                f"I took '{words.text}' as when the prices apply, not as the period asked about."
            )
            continue
        extra: tuple[int, ...] = ()
        if so_far and span is not None and _running(span, now):
            first, _ = bounds(span, now)
            span = TimeSpan(f"since {first.isoformat()}", f"{span.label} so far", first, None)
            extra = sheet.covering(so_far.start(), so_far.end())
        role = _role(text, f, comparing, modelling)
        as_base = AS_BASE.match(text, f.end) if role is PeriodRole.BASE else None
        if as_base:  # "as the base year" belongs to the period; "baseline" stays a cue
            extra = (*extra, *sheet.covering(as_base.start(), as_base.end()))
        words = sheet.claim((*sheet.covering(f.start, f.end), *extra))
        mentions.append(PeriodMention(words, span, role, f.relation, f.weekday, f.length))
    notes += [f.note for f in chosen if f.note]
    mentions = _runs_from_a_day(mentions, text, sheet)
    mentions = _restated(_apposed(mentions, sheet), sheet, now)
    if modelling:
        mentions = _bound_of_base(_base_first(mentions, text), text, sheet)
    mentions = narrowed(cut_short(_one_subject(mentions), sheet, now), sheet, now)
    mentions = days_of_each(_same_in_year(mentions, sheet, now), sheet, now)
    return _resolve(_merge(mentions, sheet), now), notes


# "the four weeks from 2 Feb", "the 10 days starting Monday 2 March", and "the four weeks from
# that Monday" after a day named before: a run of whole days or weeks that begins on the day
RUN = re.compile(
    r"\b(?:the )?(?:next |following |first )?" + NUM + r" (?P<unit>day|week)s?\s+"
    r"(?P<lead>(?:from|starting|beginning|commencing)(?: on| from| with)?\s+)?"
)
RUN_BEFORE = re.compile(NUM + r" (?P<unit>day|week)s? (?:just |immediately |right )?before\b")
THAT_DAY = re.compile(r"(?:that|the same) (?:day|date|" + "|".join(WEEKDAYS) + r")\b|then\b")


def _runs_from_a_day(mentions: list[PeriodMention], text: str, sheet: Sheet) -> list[PeriodMention]:
    """A day with a number of days or weeks said to start on it is that many days or weeks
    from it; "that Monday" takes the latest day named before it."""
    out = list(mentions)
    for run in RUN.finditer(text):
        n = number(run.group("n"))
        if n < 1:
            continue
        size = n * (7 if run.group("unit") == "week" else 1)
        that = THAT_DAY.match(text, run.end()) if run.group("lead") else None
        if that is not None:
            before = [
                m
                for m in out
                if _starts_a_day(m) and sheet.spans[m.words.tokens[-1]][1] <= run.start()
            ]
            if not before:
                continue
            day_m, end = before[-1], that.end()
            taken = set(sheet.covering(run.start(), end))
            out = [m for m in out if m is day_m or not taken & set(m.words.tokens)]
            sheet.claim(taken)
            words = day_m.words
        else:
            at = [
                m
                for m in out
                if _starts_a_day(m)
                and run.end("unit") < sheet.spans[m.words.tokens[0]][1]
                and sheet.spans[m.words.tokens[0]][0] <= run.end()
            ]
            said = text[run.end("unit") : sheet.spans[at[0].words.tokens[0]][1]] if at else ""
            if not at or not re.search(r"\b(?:from|starting|beginning|commencing)\b", said):
                continue
            day_m = at[0]
            run_words = sheet.claim(sheet.covering(run.start(), run.end()))
            words = sheet.words(tuple(sorted({*day_m.words.tokens, *run_words.tokens})))
        assert day_m.span is not None and day_m.span.start is not None
        first = day_m.span.start
        last = first + timedelta(days=size - 1)
        label = f"{first:%-d %b} to {last:%-d %b %Y}"
        role = day_m.role if day_m.role is PeriodRole.BASE else PeriodRole.SUBJECT
        out[out.index(day_m)] = replace(
            day_m, span=days(first, last, label), words=words, role=role
        )
    return out


def _starts_a_day(m: PeriodMention) -> bool:
    """A day named alone, or as where an open period begins ("from 2 Feb")."""
    if not m.words.tokens or m.span is None or m.span.start is None:
        return False
    return _one_day(m) or (m.span.end is None and m.span.period.startswith("since"))


# "the same week in 2025": the period asked, in the year written
SAME_IN = re.compile(
    r"(?:the\s+)?(?:same|equivalent)\s+(?:week|month|period|quarter|day|days|time)\s*$"
)


def _same_in_year(
    mentions: list[PeriodMention], sheet: Sheet, now: datetime
) -> list[PeriodMention]:
    """ "last week's main supply with the same week in 2025": a year written after "the same
    week" is not the whole year but the period asked, moved to that year; compared with."""
    subject = next((m for m in mentions if m.span is not None and m.relation is None), None)
    out: list[PeriodMention] = []
    for m in mentions:
        if subject is None or m is subject or m.span is None or not m.words.tokens:
            out.append(m)
            continue
        try:
            year_first, year_last = bounds(m.span, now)
            first, last = bounds(subject.span, now)  # type: ignore[arg-type]
        except (InvalidPeriod, ValueError):
            out.append(m)
            continue
        whole_year = (year_first.month, year_first.day, year_last.month, year_last.day) == (
            1,
            1,
            12,
            31,
        ) and year_first.year == year_last.year
        start = sheet.spans[m.words.tokens[0]][0]
        said = SAME_IN.search(sheet.text[:start])
        back = first.year - year_first.year
        if not (whole_year and said and back > 0 and first.year == last.year):
            out.append(m)
            continue
        a, b = first - relativedelta(years=back), last - relativedelta(years=back)
        span = TimeSpan(
            f"{a.isoformat()}..{b.isoformat()}", f"{a:%-d %b %Y} to {b:%-d %b %Y}", a, b
        )
        said_at = sheet.covering(said.start(), start)
        tokens = tuple(sorted({*sheet.claim(said_at).tokens, *m.words.tokens}))
        out.append(replace(m, words=sheet.words(tokens), span=span, role=PeriodRole.REFERENCE))
    return out


APPOSED_GAP = 24  # characters between "the Monday after it" and ", the 14th"


def _apposed(mentions: list[PeriodMention], sheet: Sheet) -> list[PeriodMention]:
    """ "the normal Monday after it, the 14th": a day written after a weekday, set off by a
    comma, and falling on that weekday, says which one it is; one day, with the words of both
    (not the latest such weekday and the date besides)."""
    out: list[PeriodMention] = []
    for m in mentions:
        prev = out[-1] if out else None
        if (
            prev is not None
            and _single(prev.span)
            and _single(m.span)
            and m.words.text.lstrip().startswith(",")
            and 0 <= m.words.start - prev.words.end <= APPOSED_GAP
            and prev.words.text.strip().lower() in WEEKDAYS
            and prev.span.start.weekday() == m.span.start.weekday()  # type: ignore[union-attr]
        ):
            tokens = tuple(sorted({*prev.words.tokens, *m.words.tokens}))
            out[-1] = replace(m, words=sheet.words(tokens))
            continue
        out.append(m)
    return out


def _single(span: TimeSpan | None) -> bool:
    return span is not None and span.start is not None and span.start == span.end


def _base_first(mentions: list[PeriodMention], text: str) -> list[PeriodMention]:
    """ "baseline for the annex on temperature, Jan-Jun 2026, then how does October
    compare?": with no base said, the months named after the baseline, before the period
    compared with it, are what it is fitted on."""
    subjects = [m for m in mentions if m.role is PeriodRole.SUBJECT and m.span is not None]
    if any(m.role is PeriodRole.BASE for m in mentions) or len(subjects) != 2:
        return mentions
    first = subjects[0]
    cue = MODELLING.search(text)
    if cue is None or cue.end() > first.words.start or not _long(first.span):
        return mentions
    return [replace(m, role=PeriodRole.BASE) if m is first else m for m in mentions]


BEFORE = re.compile(r"\b(?:before|prior to|up to|until|till)\s+(?:the\s+)?(?:start of\s+)?$")


def _bound_of_base(mentions: list[PeriodMention], text: str, sheet: Sheet) -> list[PeriodMention]:
    """ "a baseline on all the data before September (from 5 Nov 2025 to 31 Aug 2026)": the
    month after "before" is where the base period ends, not a period asked about; one
    period, the base, with the words of both."""
    bases = [m for m in mentions if m.role is PeriodRole.BASE and m.span and m.span.end]
    bounds_of: dict[int, list[PeriodMention]] = {}
    for m in mentions:
        start = m.span.start if m.span is not None else None
        base = next(
            (b for b in bases if b.span and b.span.end and start == b.span.end + timedelta(days=1)),
            None,
        )
        if (
            base is not None
            and m.role is PeriodRole.SUBJECT
            and m.words.tokens
            and BEFORE.search(text[: m.words.start])
        ):
            bounds_of.setdefault(id(base), []).append(m)
    if not bounds_of:
        return mentions
    dropped = {id(m) for said in bounds_of.values() for m in said}
    out = []
    for m in mentions:
        if id(m) in dropped:
            continue
        said = bounds_of.get(id(m), [])
        tokens = tuple(sorted({*m.words.tokens, *(t for o in said for t in o.words.tokens)}))
        out.append(replace(m, words=sheet.words(tokens)) if said else m)
    return out


def _one_day(m: PeriodMention) -> bool:
    return m.span is not None and m.span.start is not None and m.span.start == m.span.end


def _restated(mentions: list[PeriodMention], sheet: Sheet, now: datetime) -> list[PeriodMention]:
    """ "same day last week (05/08)", "yesterday (12/08)": a day in brackets right after a
    day or a relation restates it; so do days in brackets from the first day of the period
    before them ("August so far (01.08.-30.08.)"); one period, the days written, with the
    words of both ("July (winter)" is no restatement: a season says something else)."""
    out: list[PeriodMention] = []
    for m in mentions:
        before = out[-1] if out else None
        if before is None or not m.words.tokens or not before.words.tokens:
            out.append(m)
            continue
        end = sheet.spans[before.words.tokens[-1]][1]
        start, last = sheet.spans[m.words.tokens[0]][0], sheet.spans[m.words.tokens[-1]][1]
        if not _restates(before, m, now):
            out.append(m)
            continue
        inside = re.fullmatch(r"\s*\(\s*", sheet.text[end:start])
        bracketed = inside is not None and re.match(r"\s*\)", sheet.text[last:])
        said = SAID_AGAIN.fullmatch(sheet.text[end:start])
        if not bracketed and said is None:
            out.append(m)
            continue
        between = sheet.claim(sheet.covering(end, start)).tokens if said else ()
        tokens = tuple(sorted({*before.words.tokens, *between, *m.words.tokens}))
        out[-1] = replace(m, words=sheet.words(tokens), role=before.role)
    return out


# "the first half of February, i.e. the 1st through the 14th": the days written after it say
# the same period again, exactly
SAID_AGAIN = re.compile(
    r"\s*,?\s*(?:i\.?\s?e\.?|that is|that's|namely|meaning|so|d\.?\s?h\.?|das hei(?:ss|ß)t|"
    r"ou seja|isto [ée]|quer dizer)\s*,?\s*|\s*:\s*"
)


def _restates(before: PeriodMention, m: PeriodMention, now: datetime) -> bool:
    """Whether `m`, written in brackets after `before`, can be the same period in days: one
    day after a day or a relation, or days that start on `before`'s first day."""
    if _one_day(m):
        if before.relation is not None or _one_day(before) or before.span is None:
            return True
        return before.span.period in ("today", "yesterday")
    if before.span is None or m.span is None or m.span.start is None or m.span.end is None:
        return False
    try:
        first, _ = bounds(before.span, now)
    except InvalidPeriod:
        return False
    return first == m.span.start


def _dismissal(text: str, start: int, lexicon: Lexicon) -> int | None:
    """Where the word dismissing the period at `start` begins ("forget", "ignore the"), its
    words the period's; None when nothing dismisses it."""
    before = text[max(0, start - 30) : start]
    found = list(re.finditer(r"[^\W\d_]+|,", before))
    if not lexicon.dismissed([m.group(0) for m in found]):
        return None
    last = next(m for m in reversed(found) if m.group(0) not in lexicon.negation_between)
    return start - len(before) + last.start()


def _running(span: TimeSpan, now: datetime) -> bool:
    """A period that holds now and would run past it: "this month", or "October" asked in
    October ("October so far" runs until now, not to the month's end). Periods that end at now
    already ("month to date", "since Monday") are left as they are."""
    if span.period in RUNNING:
        return True
    if span.start is not None and span.end is not None:
        return span.start <= now.date() <= span.end
    try:
        period = resolve_period(span.period, now, str(now.tzinfo or "UTC"))
    except InvalidPeriod:
        return False
    return period.so_far  # the tools cut a period running at now to now, and mark it


def _one_subject(mentions: list[PeriodMention]) -> list[PeriodMention]:
    """ "from Monday to Wednesday, compared with Mon-Wed of last week": when every period reads
    as compared with, the first is the one asked about."""
    if len(mentions) > 1 and all(m.role is PeriodRole.REFERENCE for m in mentions):
        return [replace(mentions[0], role=PeriodRole.SUBJECT), *mentions[1:]]
    return mentions


def _merge(mentions: list[PeriodMention], sheet: Sheet) -> list[PeriodMention]:
    """The same period written twice ("the summer months, June until August") is one; the same
    period as a reference ("the past 7 days with the previous 7 days") is the one before."""
    out: list[PeriodMention] = []
    for m in mentions:
        twin = next((o for o in out if _same_days(o.span, m.span)), None)
        if twin is None:
            out.append(m)
        elif m.role is PeriodRole.REFERENCE and twin.role is PeriodRole.SUBJECT:
            out.append(replace(m, span=None, relation=Relation.PERIOD_BEFORE))
        else:
            # one period, written in both places: its words run from the first to the last
            tokens = tuple(sorted({*twin.words.tokens, *m.words.tokens}))
            out[out.index(twin)] = replace(twin, words=sheet.words(tokens))
    return out


def _same_days(a: TimeSpan | None, b: TimeSpan | None) -> bool:
    """One period however written: "KW11 (09.-15.03.)" names the same days twice."""
    if a is None or b is None:
        return False
    return a.period == b.period or (a.start is not None and (a.start, a.end) == (b.start, b.end))


def _resolve(mentions: list[PeriodMention], now: datetime) -> list[PeriodMention]:
    """Relations anchored on the nearest period before them in the same question."""
    out: list[PeriodMention] = []
    for m in mentions:
        anchor = next((o for o in reversed(out) if o.relation is None and o.span), None)
        if m.relation is None or m.span is not None or anchor is None or anchor.span is None:
            out.append(m)
            continue
        role = PeriodRole.REFERENCE if m.role is PeriodRole.SUBJECT else m.role
        span = shift(anchor.span, m.relation, now, m.weekday, m.length)
        counted = RUN_BEFORE.search(m.words.text.lower())
        if (
            m.relation is Relation.PERIOD_BEFORE
            and m.length is None
            and counted
            and anchor.span.start is not None
        ):
            # "the 7 days before" a day: seven days, whatever the length of the day's period
            n = number(counted.group("n")) * (7 if counted.group("unit") == "week" else 1)
            last = anchor.span.start - timedelta(days=1)
            first = last - timedelta(days=n - 1)
            span = days(first, last, f"{first:%-d %b} to {last:%-d %b %Y}")
        out.append(replace(m, span=span, role=role))
    return out
