"""Periods bounded by times of day: "last night" (yesterday evening to this morning, on the
night's hours) and "28.08. 22:00 to 29.08. 06:00" (a day and a time to a day and a time)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from agent.reader.lexicon import Lexicon
from agent.reader.parameters import DAY_PARTS
from agent.reader.slots import HourWindow, PeriodMention, TimeSpan
from agent.reader.text import Sheet

TIME = r"(?P<{0}>\d{{1,2}}:\d\d|\d{{1,2}}\s*(?:h|uhr)(?:\s*\d\d)?)"
AT = r"\s*,?\s*(?:at |um |às |as |ab )?"
JOIN = r"\s*(?:-|\u2013|to|until|till|bis|até|a)\s*"


def timed_periods(
    sheet: Sheet,
    periods: list[PeriodMention],
    windows: list[HourWindow],
    now: datetime,
    lexicon: Lexicon,
) -> tuple[list[PeriodMention], list[HourWindow]]:
    """The periods with day-and-time ranges and "last night" read as exact times; the hour
    windows they used up are left out of the windows returned."""
    periods, windows = _day_times(sheet, periods, windows)
    periods, windows = _night_between(sheet, periods, windows, lexicon)
    return _last_night(sheet, periods, windows, now, lexicon)


def _clock(text: str) -> time | None:
    m = re.fullmatch(r"(\d{1,2})(?::|\s*(?:h|uhr)\s*)?(\d\d)?", text.strip())
    if m is None or int(m.group(1)) > 23:
        return None
    minute = int(m.group(2) or 0)
    return time(int(m.group(1)), minute) if minute < 60 else None


def _span(first: datetime, last: datetime, label: str = "") -> TimeSpan:
    fmt, said = "%Y-%m-%dT%H:%M", "%-d %b %Y %H:%M"
    written = f"{first:{said}} to {last:{said}}"
    return TimeSpan(
        f"{first:{fmt}}..{last:{fmt}}",
        f"{label} ({written})" if label else written,
        first.date(),
        last.date(),
    )


def _one_day(m: PeriodMention, opens: bool = False) -> date | None:
    """The day a mention names, or None; `opens`: "from 28.08." (read "since") counts too."""
    span = m.span
    if span is None or span.start is None or m.relation is not None:
        return None
    return span.start if span.end == span.start or (opens and span.end is None) else None


def _day_times(
    sheet: Sheet, periods: list[PeriodMention], windows: list[HourWindow]
) -> tuple[list[PeriodMention], list[HourWindow]]:
    """ "28.08. 22:00 to 29.08. 06:00": two days, each with a time, joined as one range."""
    for i in range(len(periods) - 1):
        a, b = periods[i], periods[i + 1]
        d1, d2 = _one_day(a, opens=True), _one_day(b)
        if d1 is None or d2 is None or not a.words.tokens or not b.words.tokens:
            continue
        a_end = sheet.spans[a.words.tokens[-1]][1]
        b_start, b_end = sheet.spans[b.words.tokens[0]][0], sheet.spans[b.words.tokens[-1]][1]
        between = re.fullmatch(AT + TIME.format("t") + JOIN, sheet.text[a_end:b_start])
        after = re.match(AT + TIME.format("t"), sheet.text[b_end:])
        if between is None or after is None:
            continue
        t1, t2 = _clock(between.group("t")), _clock(after.group("t"))
        if t1 is None or t2 is None:
            continue
        first, last = datetime.combine(d1, t1), datetime.combine(d2, t2)
        used = (*sheet.covering(a_end, b_start), *sheet.covering(b_end, b_end + after.end()))
        if last <= first or not sheet.free(used):
            continue
        sheet.claim(used)
        inside = range(a.words.tokens[0], b.words.tokens[-1] + 1)
        # "the Friday night, 28.08. 22:00 to ...": the part of the day names the same hours
        named = [w for w in windows if w.assumed and set(w.words.tokens) <= set(inside)]
        tokens = {*a.words.tokens, *b.words.tokens, *used}
        tokens |= {t for w in named for t in w.words.tokens}
        merged = PeriodMention(sheet.words(tuple(sorted(tokens))), _span(first, last), a.role)
        rest = [w for w in windows if w not in named]
        return [*periods[:i], merged, *periods[i + 2 :]], rest
    return periods, windows


def _night_between(
    sheet: Sheet, periods: list[PeriodMention], windows: list[HourWindow], lexicon: Lexicon
) -> tuple[list[PeriodMention], list[HourWindow]]:
    """ "the night of the 12th to the 13th (22:00-06:00)": two days in a row after a word for
    the night are the one night between them, from the first evening to the next morning, on
    the hours that run past midnight (stated, else the night's), not those hours of each day."""
    night = [w for w in windows if w.end <= w.start]
    if len(night) != 1 or not lexicon.night_of:
        return periods, windows
    lead = re.compile(r"(?<!\w)(?:" + "|".join(lexicon.night_of) + r")\s+(?:the\s+)?$")
    for i, p in enumerate(periods):
        span = p.span
        if span is None or span.start is None or span.end is None or p.relation is not None:
            continue
        if (span.end - span.start).days != 1 or not p.words.tokens:
            continue
        if lead.search(sheet.text[: sheet.spans[p.words.tokens[0]][0]]) is None:
            continue
        w = night[0]
        first = datetime.combine(span.start, w.start)
        last = datetime.combine(span.end, w.end)
        words = sheet.words(tuple(sorted({*p.words.tokens, *w.words.tokens})))
        merged = PeriodMention(words, _span(first, last, "the night"), p.role)
        return [*periods[:i], merged, *periods[i + 1 :]], [x for x in windows if x is not w]
    return periods, windows


def _last_night(
    sheet: Sheet,
    periods: list[PeriodMention],
    windows: list[HourWindow],
    now: datetime,
    lexicon: Lexicon,
) -> tuple[list[PeriodMention], list[HourWindow]]:
    """ "last night", with no other period: yesterday evening to this morning, on the one
    hour window the question states (or names by a part of the day), else the night's."""
    if periods or len(windows) > 1 or not lexicon.last_night:
        return periods, windows
    found = re.search(r"\b(?:" + "|".join(lexicon.last_night) + r")\b", sheet.text)
    if found is None:
        return periods, windows
    if windows:
        start, end = windows[0].start, windows[0].end
    else:
        start, end = DAY_PARTS["night"]
    yesterday = now.date() - timedelta(days=1)
    first = datetime.combine(yesterday, start)
    last = datetime.combine(yesterday + timedelta(days=1 if end <= start else 0), end)
    if last > now.replace(tzinfo=None):
        return periods, windows  # the night is not over: no reading of it as a past period
    phrase = sheet.covering(found.start(), found.end())
    sheet.claim(phrase)
    tokens = {*phrase, *(windows[0].words.tokens if windows else ())}
    label = sheet.text[found.start() : found.end()]
    mention = PeriodMention(sheet.words(tuple(sorted(tokens))), _span(first, last, label))
    return [mention], []
