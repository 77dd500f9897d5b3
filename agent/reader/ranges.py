"""Date ranges and single days as people write them: "from 5 to 11 October", "October 3rd to
9th", "Sept 14-20", "2025-09-05..2025-09-11", "jan-jun", "on 3rd October", "12/10/2026"."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from agent.reader.dates import (
    DAY_OF,
    MONTHS,
    RANGE_FROM,
    RANGE_TO,
    WEEKDAYS,
    WORDS,
    Calendar,
    Found,
    day,
    day_range,
    days,
    latest_year,
    month,
    phrases,
    weekday,
    year,
)
from agent.reader.slots import TimeSpan

TO = RANGE_TO
# What may follow a day written as an ordinal alone ("on the 3rd"): an end, a mark, a period
# or a small word; a noun after it makes the ordinal that thing's number ("the 3rd shift").
DAY_ENDS = (
    r"(?=\s*(?:$|[^\w\s]|(?:of|and|or|at|to|till|until|through|from|between|in|on|for|during"
    r"|last|this|vs|versus|compared|than|before|after|when|how|what|which|was|were|is|did)\b))"
)
# Words after which a day is expected ("on 20/10", "since 3/11", "and 21/10?"), or nothing
# ("on the holiday 12/10": one word may name the day between "on" and the date)
# ("on", and each language's words before a day: "no dia 20/10", "am 20.10.")
ON_DAY = phrases(("on", *WORDS.day_leads, *WORDS.date_leads))
DATE_LEAD = (
    r"(?:\b(?:" + ON_DAY + r"|since|from|until|till|to|through|between|and|or|vs\.?|versus"
    r"|than|for)\s+(?:the\s+)?|\b" + ON_DAY + r"\s+(?:the\s+)?"
    r"(?P<named>[^\W\d_]+(?:\s+[^\W\d_]+){0,2}),?\s+|^\W*)"
)
# Between the two days of a range written with dots ("09.-15.03.", "28./29.03.", "1.3. bis
# 7.3."): a dash, a slash or a word for "to" in any language of the lexicon.
DOTTED_TO = r"\s*(?:" + phrases((*WORDS.until, "to", "and", "-", "\u2013", "/")) + r")\s*"
# A day and month with dots and no year ("28.03.", "on 27.03"): the month's dot or its leading
# zero tells it from a decimal number ("1.5"), and no unit or further digit follows.
DOTTED_DAY = (
    r"(?:\b" + weekday("wd") + r"\.?,?\s+)?"  # "Sunday 29.03.": the date says which Sunday
    r"(?<![\d.,])\b(?P<d>[0-3]?\d)\.(?:(?P<m>[01]?\d)\.(?![\d.])|(?P<m0>0\d)\b(?![.,]?\d))"
    r"(?!\s*(?:k?wh?|mwh|%|€|eur|units?|chf|usd)\b)"
)
# "1/2 of": a fraction of what follows, not a day
FRACTION = re.compile(r"\s*of\b")
# Words that make "June to August" two months compared rather than one range.
CHANGE_WORDS = re.compile(
    r"\b(?:compar\w*|vs\.?|versus|against|than|change\w*|increas\w*|decreas\w*|drop\w*|"
    r"ris[ei]\w*|rose|fall\w*|fell|differ\w*|grow|grew|shr[ai]nk\w*|went (?:up|down)|"
    r"go(?:ne)? (?:up|down)|delta)\b"
)


def _day_first(text: str, cal: Calendar) -> list[Found]:
    """ "from 5 to 11 October (2025)", "5-11 Oct", "28 Sep to 4 Oct"."""
    pattern = (
        r"\b" + RANGE_FROM + r"(?:the )?" + day("d1") + DAY_OF + r"\s*(?:" + month("m1")
        + r"\s*(?:" + year("y1") + r")?)?" + TO + r"(?:the )?" + day("d2") + DAY_OF + r"\s+"
        + month("m2")
        + r"(?:,?\s*" + year("y2") + r")?"
    )  # fmt: skip
    return [f for m in re.finditer(pattern, text) if (f := _range(m, cal)) is not None]


def _month_first(text: str, cal: Calendar) -> list[Found]:
    """ "from October 5 to (October) 11", "October 3rd to 9th", "Sept 14-20"."""
    pattern = (
        r"\b" + RANGE_FROM + month("m1") + r"\s+" + day("d1") + r"(?:,?\s*" + year("y1")
        + r")?" + TO + r"(?:" + month("m2") + r"\s+)?" + day("d2") + r"(?:,?\s*" + year("y2")
        + r")?\b"
    )  # fmt: skip
    return [f for m in re.finditer(pattern, text) if (f := _range(m, cal)) is not None]


def _range(m: re.Match[str], cal: Calendar) -> Found | None:
    m2 = MONTHS[m.group("m2")] if m.group("m2") else None
    m1 = MONTHS[m.group("m1")] if m.group("m1") else m2
    if m1 is None:
        return None
    m2 = m2 or m1
    d1, d2 = int(m.group("d1")), int(m.group("d2"))
    if not (m.group("m1") and m.group("m2")) and d1 > d2:
        return None  # "from 11 to 5 October" is backwards, not a year from last October
    written = m.group("y2") or m.group("y1")
    y2 = int(written) if written else latest_year(m2, d2, cal.today)
    y1 = int(m.group("y1")) if m.group("y1") else (y2 if (m1, d1) <= (m2, d2) else y2 - 1)
    try:
        a, b = date(y1, m1, d1), date(y2, m2, d2)
    except ValueError:
        # "30 February to 3 March": a range with a day its month lacks is no period at all
        wrong = (y1, m1, d1) if not _exists(y1, m1, d1) else (y2, m2, d2)
        note = f"There is no {wrong[2]} {date(wrong[0], wrong[1], 1):%B %Y}, so I read no "
        return Found(None, m.start(), m.end(), note=f"{note}period from '{m.group(0)}'.")
    if b < a:
        return None
    return Found(day_range(a, b), m.start(), m.end())


def _iso(text: str, cal: Calendar) -> list[Found]:
    found = []
    pattern = (
        r"\b(?:from |between )?(\d{4}-\d\d-\d\d)\s*(?:to|until|and|\.\.|-)\s*(\d{4}-\d\d-\d\d)\b"
    )
    for m in re.finditer(pattern, text):
        try:
            a, b = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
        except ValueError:
            continue
        if b >= a:
            found.append(Found(day_range(a, b), m.start(), m.end()))
    return found


def _dotted(text: str, cal: Calendar) -> list[Found]:
    """ "14.9. to 20.9.2026", "14.09.-20.09.2026", "from 1.10 to 7.10.": day and month
    written with dots, as in German, the year on either side or neither; the first day may
    stand alone in the second's month ("09.-15.03.", "28./29.03.")."""
    date_ = r"([0-3]?\d)\.([01]?\d)(\.(?:(?:20)?\d\d\b)?)?"
    first = r"([0-3]?\d)\.(?:([01]?\d)(\.(?:(?:20)?\d\d\b)?)?)?"
    pattern = (
        r"(?<![\d.,])\b" + RANGE_FROM + first + DOTTED_TO + date_
        + r"(?!\d|\s*(?:k?wh?|mwh|%|€|eur|units?)\b)"
    )  # fmt: skip
    found = []
    for m in re.finditer(pattern, text):
        d1, m1, tail1, d2, m2, tail2 = m.groups()
        # "1.5 and 2.5" are numbers: a date shows a dot after its month, a year, or "09"
        if m1 is None:  # "09.-15.03.": the day alone, its dot kept, in the second's month
            m1 = m2
        elif not (tail1 or tail2 or m1.startswith("0") or m2.startswith("0")):
            continue
        y1, y2 = ((t or ".")[1:] for t in (tail1, tail2))
        y = [int(x) + (2000 if len(x) == 2 else 0) if x else None for x in (y1, y2)]
        last_year = y[1] or y[0] or latest_year(int(m2), int(d2), cal.today)
        try:
            b = date(last_year, int(m2), int(d2))
            a = date(y[0] or last_year, int(m1), int(d1))
        except ValueError:
            continue
        if a > b and y[0] is None:
            a = a.replace(year=a.year - 1)
        if b >= a:
            found.append(Found(day_range(a, b), m.start(), m.end()))
    return found


def _month_range(m1: int, m2: int, y2: int | None, cal: Calendar, at: tuple[int, int]) -> Found:
    y2 = y2 if y2 is not None else latest_year(m2, 1, cal.today)
    y1 = y2 if m1 <= m2 else y2 - 1
    a = date(y1, m1, 1)
    b = date(y2, m2, 1) + relativedelta(months=1) - timedelta(days=1)
    return Found(days(a, b, f"{a:%B %Y} to {b:%B %Y}"), *at)


def _months(text: str, cal: Calendar) -> list[Found]:
    """ "from September to October", "jan-jun", "Nov 2025 to Oct 2026"; not when two months
    are being compared ("the drop from jan to feb"), unless said as a stretch ("over March to
    August", "report May to August")."""
    found = []
    comparing = bool(CHANGE_WORDS.search(text))
    # "Jan-Mar" is one range even in a comparison; "from jan to feb" may be two months
    hyphen = month("m1") + r"\s*-\s*" + month("m2")
    # the range words of every language the lexicon holds ("de março a setembro", "bis")
    bare = month("m1") + TO + month("m2")
    lead = r"\b(?:(?:the )?(?:\d+|twelve) months )?" + RANGE_FROM
    # the year after the last month: "September 2026", "setembro/2026", "setembro de 2026"
    last_year = r"(?:(?:\s*/\s*|\s+(?:de\s+)?)" + year("y2") + r")?\b"
    # "over March to August", "across jun to aug": a stretch, even in a comparison
    stretch = r"\b(?:over|across|during|throughout|spanning|covering|report(?:ing)?(?: on| for)?)"
    stretch += r"\s+(?:the\s+)?"
    for pattern in (lead + hyphen, stretch + bare) if comparing else (lead + bare,):
        for m in re.finditer(pattern + last_year, text):
            y2 = int(m.group("y2")) if m.group("y2") else None
            start = m.start("m1") if m.group(0).startswith("report") else m.start()
            found.append(_month_range(MONTHS[m.group("m1")], MONTHS[m.group("m2")], y2, cal,
                                      (start, m.end())))  # fmt: skip
    both = month("m1") + r"\s+" + year("y1") + r"\s*(?:to|until|through|-)\s*"
    for m in re.finditer(lead + both + month("m2") + r"\s+" + year("y2"), text):
        a = date(int(m.group("y1")), MONTHS[m.group("m1")], 1)
        b = date(int(m.group("y2")), MONTHS[m.group("m2")], 1) + relativedelta(months=1)
        if b > a:
            last = b - timedelta(days=1)
            found.append(Found(days(a, last, f"{a:%B %Y} to {last:%B %Y}"), m.start(), m.end()))
    return found


def _weekday_range(text: str, cal: Calendar) -> list[Found]:
    """ "Monday to Wednesday this week", "Mon-Wed of last week": days of the week named, from
    the first day to the second ("Monday to Friday" alone is those days of every week)."""
    pattern = (
        r"\b" + weekday("a") + r"\s*(?:to|until|till|through|-)\s*" + weekday("b") + r"\b"
        r",?\s*(?:of |in )?(?:the )?(?P<w>this|last|previous|past) week\b"
    )
    found = []
    monday = cal.today - timedelta(days=cal.today.weekday())
    for m in re.finditer(pattern, text):
        a, b = WEEKDAYS[m.group("a")], WEEKDAYS[m.group("b")]
        if b <= a:
            continue  # "Friday to Monday" runs over a weekend: which week is not clear
        first = monday - timedelta(days=7 if m.group("w") in ("last", "previous", "past") else 0)
        d1, d2 = first + timedelta(days=a), first + timedelta(days=b)
        label = f"{d1:%a %-d %b} to {d2:%a %-d %b %Y}"
        found.append(Found(days(d1, d2, label), m.start(), m.end()))
    return found


def _until_now(text: str, cal: Calendar) -> list[Found]:
    """ "from 1 Jan 2026 up to yesterday", "1 March until today": a day to a day that moves."""
    end = r"\s*(?:up )?(?:to|until|till|through)\s+(?:and including\s+)?(?P<e>yesterday|today)\b"
    found = []
    for f in single_days(text, cal):
        m = re.match(end, text[f.end :])
        if f.span is None or f.span.start is None or m is None:
            continue
        last = cal.today - timedelta(days=1 if m.group("e") == "yesterday" else 0)
        if last >= f.span.start:
            span = day_range(f.span.start, last)
            found.append(Found(span, f.start, f.end + m.end()))
    return found


def ranges(text: str, cal: Calendar) -> list[Found]:
    """Every date range in `text` (they win over the single days inside them)."""
    found = _day_first(text, cal) + _month_first(text, cal) + _iso(text, cal)
    found += _weekday_range(text, cal) + _until_now(text, cal) + _slashed_range(text, cal)
    found += _slashed_days(text, cal)
    return found + _dotted(text, cal) + _months(text, cal)


def _slashed_range(text: str, cal: Calendar) -> list[Found]:
    """ "10/04 to 20/04", "12/10/2026-18/10/2026": both ends in the one order that gives a
    range of days (the site's, when both orders do), else both ranges, to ask which."""
    date_ = r"([0-3]?\d)/([0-3]?\d)(?:/((?:20)?\d\d))?"
    pattern = (
        r"(?<![\d/.,])\b" + RANGE_FROM + date_ + TO + date_ + r"\b(?![/.,]?\d)"
    )  # fmt: skip
    found = []
    for m in re.finditer(pattern, text):
        a1, b1, y1, a2, b2, y2 = m.groups()
        spans = [
            span
            for first, second in (((a1, b1), (a2, b2)), ((b1, a1), (b2, a2)))
            if (span := _slashed_span(first, second, y1 or y2, y2 or y1, cal)) is not None
        ]
        spans = list(dict.fromkeys(spans))
        if len(spans) == 2 and cal.date_order in ("dmy", "mdy"):
            spans = spans[:1] if cal.date_order == "dmy" else spans[1:]
        if len(spans) == 1:
            found.append(Found(spans[0], m.start(), m.end()))
        elif spans:
            found.append(Found(None, m.start(), m.end(), choices=tuple(spans)))
    return found


def _slashed_days(text: str, cal: Calendar) -> list[Found]:
    """ "16-17/02", "from 23 to 24/02/2026": two days of one month written day first, the
    month (and year) once after the second; not at a site that writes the month first."""
    pattern = (
        r"(?<![\d/.,])\b" + RANGE_FROM + r"([0-3]?\d)" + TO + r"([0-3]?\d)/([01]?\d)"
        r"(?:/((?:20)?\d\d))?\b(?![/.,]?\d)"
    )  # fmt: skip
    if cal.date_order == "mdy":
        return []
    found = []
    for m in re.finditer(pattern, text):
        d1, d2, mo, y = m.groups()
        span = _slashed_span((d1, mo), (d2, mo), y, y, cal)
        if span is not None and int(d1) < int(d2):
            found.append(Found(span, m.start(), m.end()))
    return found


def _slashed_span(
    first: tuple[str, str], last: tuple[str, str], y1: str | None, y2: str | None, cal: Calendar
) -> TimeSpan | None:
    """The days from `first` to `last`, each (day, month), if both are days in that order."""
    (d1, m1), (d2, m2) = ((int(d), int(m)) for d, m in (first, last))
    if not (1 <= m1 <= 12 and 1 <= m2 <= 12):
        return None
    # no year said: the latest start not after today, and the end follows it (an end after
    # today is for the tools to cut at now, not a reason to go back a whole year)
    wraps = (m1, d1) > (m2, d2)  # "20/12 to 10/01" runs into the next year
    if y1:
        start_year = _year(y1)
    elif y2:
        start_year = _year(y2) - wraps  # "25/10 to 10/11/2025": the end's year says it
    else:
        start_year = latest_year(m1, d1, cal.today)
    end_year = _year(y2) if y2 else start_year + wraps
    if not (_exists(start_year, m1, d1) and _exists(end_year, m2, d2)):
        return None
    a, b = date(start_year, m1, d1), date(end_year, m2, d2)
    return day_range(a, b) if a <= b and (b - a).days < 366 else None


def _year(text: str) -> int:
    return int(text) + (2000 if len(text) == 2 else 0)


def single_days(text: str, cal: Calendar) -> list[Found]:
    """ "on 3rd October", "Oct 8th", "2026-10-05", "28.10.2026", "12/10/2026"."""
    found = []
    day_month = (
        r"\b(?:on |from )?(?:the )?" + day("d") + DAY_OF + r"\s+" + month("m")
        + r"(?:,?\s*" + year("y") + r")?"
    )  # fmt: skip
    month_day = r"\b(?:on |from )?" + month("m") + r"\s+" + day("d") + r"\b(?:,?\s*"
    month_day += year("y") + r")?"
    for pattern in (day_month, month_day):
        for m in re.finditer(pattern, text):
            mo, dd = MONTHS[m.group("m")], int(m.group("d"))
            y = int(m.group("y")) if m.group("y") else latest_year(mo, dd, cal.today)
            # "31 February" is no day: said, and not read as the whole of February
            found += _day(y, mo, dd, m, said=1 <= dd <= 31)
    found += _nth(text, cal)
    for m in re.finditer(r"\b(\d{4})-(\d\d)-(\d\d)\b(?!\s*(?:\.\.|to\b|and\b))", text):
        found += _day(int(m.group(1)), int(m.group(2)), int(m.group(3)), m)
    for m in re.finditer(r"\b([0-3]?\d)\.([01]?\d)\.((?:20)?\d\d)\b", text):
        y = int(m.group(3)) + (2000 if len(m.group(3)) == 2 else 0)
        found += _day(y, int(m.group(2)), int(m.group(1)), m)
    for m in re.finditer(DOTTED_DAY, text):  # "on 28.03.", "Fri 27.03": the latest such day
        if len(m.group("d")) == len(m.group("m") or m.group("m0")) == 1 and not m.group("wd"):
            continue  # "rose by 1.5.": one digit each is a day only after a lead word (below)
        dd, mo = int(m.group("d")), int(m.group("m") or m.group("m0"))
        y = latest_year(mo, dd, cal.today)
        found += _one_of(date(y, mo, dd), m, cal.today) if _exists(y, mo, dd) else []
    for m in re.finditer(r"\b([0-3]?\d)/([0-3]?\d)/((?:20)?\d\d)\b", text):
        y = int(m.group(3)) + (2000 if len(m.group(3)) == 2 else 0)
        found += _slashed(int(m.group(1)), int(m.group(2)), _in_year(y), m, cal)
    return found + _slashed_no_year(text, cal) + _dotted_no_year(text, cal)


def _dotted_no_year(text: str, cal: Calendar) -> list[Found]:
    """ "on 08.10.", "at 10:00 on 20.10.": day and month with a dot after each, as in German,
    the latest such day; only where a day is expected ("rose by 1.5." ends a sentence)."""
    found = []
    lead = re.compile(DATE_LEAD + r"$")
    for m in re.finditer(r"(?<![\d.,])\b([0-3]?\d)\.([01]?\d)\.(?![\d.])", text):
        led = lead.search(text[: m.start()])
        if led:
            dd, mo = int(m.group(1)), int(m.group(2))
            year = latest_year(mo, dd, cal.today)
            day = _one_of(date(year, mo, dd), m, cal.today) if _exists(year, mo, dd) else []
            found += _named_by(day, led)
    return found


def _named_by(found: list[Found], lead: re.Match[str] | None) -> list[Found]:
    """ "on the holiday 02/11", "no feriado de Finados, 02/11": the words naming the day
    between "on" and the date are the day's words too."""
    named = lead.group("named") if lead is not None else None
    if lead is None or named is None or any(w in WEEKDAYS or w in MONTHS for w in named.split()):
        return found  # "on Monday 27/09": the weekday is checked against the date
    return [replace(f, start=lead.start("named")) for f in found]


def _one_of(d: date, m: re.Match[str], today: date | None = None) -> list[Found]:
    """A day read, the latest such one when written without a year (`today` given); when the
    coming one is less than a month away ("20/11" on 4 November), both, to ask which."""
    coming = _exists(d.year + 1, d.month, d.day) and today is not None
    nearer = coming and today is not None and today < date(d.year + 1, d.month, d.day)
    if nearer and today is not None and date(d.year + 1, d.month, d.day) <= today + timedelta(31):
        choices = tuple(days(x, x, f"{x:%-d %B %Y}") for x in (d, d.replace(year=d.year + 1)))
        return [Found(None, m.start(), m.end(), choices=choices)]
    return [Found(days(d, d, f"{d:%-d %B %Y}"), m.start(), m.end())]


# the words before "the 3rd" that make it a day: "on the 3rd", "since the 1st", "from the 5th"
NTH_LEAD = r"(?:\b(?:on|since|from|until|till|through|between) the |(?<=\w), the )"


def _nth(text: str, cal: Calendar) -> list[Found]:
    """ "on the 3rd", "since the 1st", no month: the latest 3rd (this month's, else last
    month's); "on the 3rd of last month": that month's. An ordinal before a noun numbers that
    thing ("on the 3rd shift", "on the 2nd floor"): no day."""
    of_month = r"(?:\s+of)?\s+(?:the\s+)?(?P<p>this|current|last|previous|past) month\b"
    # "keep in mind the 1st was a holiday": the day a remark is made of (no period: periods)
    words = cal.lexicon.calendar
    remark = phrases(words.remark_after) if words.remark_after and words.remark_before else ""
    said_of = r"|(?P<of>\bthe )(?=[0-3]?\d(?:st|nd|rd|th)\s+(?:" + remark + "))" if remark else ""
    opened = re.compile(
        r"(?<!\w)" + phrases(words.remark_before or ("(?!)",)) + r"\s+(?:that\s+)?$"
    )
    lead = r"(?:" + NTH_LEAD + said_of + r")"
    pattern = lead + r"(?P<d>[0-3]?\d)(?:st|nd|rd|th)\b(?:" + of_month + r"|" + DAY_ENDS + r")"
    found = []
    for m in re.finditer(pattern, text):
        if m.groupdict().get("of") and not opened.search(text[: m.start()]):
            continue
        dd = int(m.group("d"))
        if m.group("p"):
            back = 0 if m.group("p") in ("this", "current") else 1
        else:
            back = 0 if dd <= cal.today.day else 1
        first = cal.today.replace(day=1) - relativedelta(months=back)
        day_ = _day(first.year, first.month, dd, m, said=True)
        found += [replace(f, loose=not m.group("p")) for f in day_]
    return found + _nth_range(text, cal) + _dated_nth(text, cal)


# "Friday 5th", "Fri the 8th": a weekday before an ordinal says which day of the month it is
DATED_NTH = r"(?:" + weekday("{w}") + r"\.?,?\s+)?(?:the\s+)?(?P<{d}>[0-3]?\d)(?:st|nd|rd|th)\b"


def _nth_range(text: str, cal: Calendar) -> list[Found]:
    """ "the 12th to the 13th", "from Fri 8th to Thu 14th", no month: days of the latest
    month holding the last one (this month, else last month)."""
    pattern = (
        r"\b" + RANGE_FROM + DATED_NTH.format(w="wa", d="d1") + TO
        + DATED_NTH.format(w="wb", d="d2") + DAY_ENDS
    )  # fmt: skip
    found = []
    for m in re.finditer(pattern, text):
        d1, d2 = int(m.group("d1")), int(m.group("d2"))
        first = cal.today.replace(day=1) - relativedelta(months=0 if d2 <= cal.today.day else 1)
        if not (d1 < d2 and _exists(first.year, first.month, d2)):
            continue
        a, b = first.replace(day=d1), first.replace(day=d2)
        note = _weekday_said(m, ((a, "wa"), (b, "wb")))
        found.append(Found(day_range(a, b), m.start(), m.end(), note=note, loose=True))
    return found


def _dated_nth(text: str, cal: Calendar) -> list[Found]:
    """ "on Friday the 5th", "Sat 6th": a weekday and an ordinal, the latest such day of the
    month (this month's, else last month's)."""
    found = []
    for m in re.finditer(r"\b" + DATED_NTH.format(w="wa", d="d1") + DAY_ENDS, text):
        if m.group("wa") is None:
            continue
        dd = int(m.group("d1"))
        first = cal.today.replace(day=1) - relativedelta(months=0 if dd <= cal.today.day else 1)
        if _exists(first.year, first.month, dd):
            d = first.replace(day=dd)
            note = _weekday_said(m, ((d, "wa"),))
            span = days(d, d, f"{d:%A %-d %B %Y}")
            found.append(Found(span, m.start(), m.end(), note=note, loose=True))
    return found


def _weekday_said(m: re.Match[str], named: tuple[tuple[date, str], ...]) -> str:
    """A weekday written before a day it does not fall on is said; the date is read."""
    for d, group in named:
        said = m.group(group)
        if said is not None and WEEKDAYS[said] != d.weekday():
            return f"{d:%-d %B %Y} is a {d:%A}; I read the date, not '{said}'."
    return ""


def _slashed_no_year(text: str, cal: Calendar) -> list[Found]:
    """ "on 20/10", "on 10/20": day and month without a year, in the latest such day not
    after today; "24/7" is the idiom for "always". Only where a day is expected: after "on",
    "since", "from" (or as the whole question), and before no noun ("runs 24/5", "a 16/8 shift
    pattern")."""
    found = []
    lead = re.compile(DATE_LEAD + r"$")
    for m in re.finditer(r"(?<![\d/.,])\b([0-3]?\d)/([0-3]?\d)\b(?![/.,]?\d)" + DAY_ENDS, text):
        led = lead.search(text[: m.start()])
        if m.group(0) == "24/7" or not (led or _dated(text, m)):
            continue
        if FRACTION.match(text, m.end()) and max(int(m.group(1)), int(m.group(2))) <= 12:
            continue  # "1/2 of the meters": a fraction, whichever way a date would read
        day = _slashed(int(m.group(1)), int(m.group(2)), _latest_in(cal.today), m, cal, True)
        found += _named_by(day, led)
    return found


# a day and month in brackets restating a period ("same day last week (05/08)"), or set
# against another written the same way ("12/08 vs 05/08"): dates without a lead word
BRACKETED = re.compile(r"\(\s*$")
SET_AGAINST = re.compile(r"\s*(?:vs\.?|versus|against|x|or|and)\s+[0-3]?\d/[0-3]?\d\b(?![/.,]?\d)")


def _dated(text: str, m: re.Match[str]) -> bool:
    if BRACKETED.search(text[: m.start()]):
        return re.match(r"\s*\)", text[m.end() :]) is not None
    return SET_AGAINST.match(text, m.end()) is not None


def _exists(y: int, mo: int, dd: int) -> bool:
    try:
        date(y, mo, dd)
    except ValueError:
        return False
    return True


def _day(y: int, mo: int, dd: int, m: re.Match[str], said: bool = False) -> list[Found]:
    try:
        d = date(y, mo, dd)
    except ValueError:
        # "on the 31st (of last month)", "31 February": said, not dropped, so that the month
        # around it is not read alone
        if not said or not 1 <= mo <= 12:
            return []
        note = f"There is no {dd} {date(y, mo, 1):%B %Y}, so I read no day from '{m.group(0)}'."
        return [Found(None, m.start(), m.end(), note=note)]
    return [Found(days(d, d, f"{d:%-d %B %Y}"), m.start(), m.end())]


def _in_year(y: int) -> Callable[[int, int], int]:
    """The year a day and month were written with."""
    return lambda mo, dd: y


def _latest_in(today: date) -> Callable[[int, int], int]:
    """The year in which a day and month written without one last came, up to today."""
    return lambda mo, dd: latest_year(mo, dd, today)


def _slashed(
    first: int,
    second: int,
    year_of: Callable[[int, int], int],
    m: re.Match[str],
    cal: Calendar,
    no_year: bool = False,
) -> list[Found]:
    """ "12/10/2026", "on 12/10": the one day the numbers can be; when both orders give a day,
    the one the site writes ("dmy" or "mdy", from its country), else both, to ask which."""
    readings: list[date] = []
    for dd, mo in ((first, second), (second, first)):
        if 1 <= mo <= 12 and _exists(year_of(mo, dd), mo, dd):
            readings.append(date(year_of(mo, dd), mo, dd))
    readings = list(dict.fromkeys(readings))  # "5/5": one day either way
    if len(readings) == 2 and cal.date_order in ("dmy", "mdy"):
        readings = readings[:1] if cal.date_order == "dmy" else readings[1:]
    if len(readings) == 1:
        return _one_of(readings[0], m, cal.today if no_year else None)
    if not readings:
        return []
    choices = tuple(days(d, d, f"{d:%-d %B %Y}") for d in readings)
    return [Found(None, m.start(), m.end(), choices=choices)]
