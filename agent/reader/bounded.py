"""Periods cut short by a later end the question states: "this month up to yesterday", "since
Monday? up to end of yesterday is fine", "October up to the 28th", "from 1 Jan to 28/10"; and
periods narrowed by the days written right after them: "this week, Monday to Wednesday"."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime

from agent.reader.dates import RANGE_FROM, RANGE_TO, WORDS, bounds, day_range, phrases
from agent.reader.lexicon import default_lexicon
from agent.reader.slots import PeriodMention, PeriodRole, TimeSpan, Words
from agent.reader.text import Sheet
from tools.periods import InvalidPeriod

# The words that make a later day the end of the period before it, not a period of its own.
# (in every language of the lexicon: "up to", "até", "bis")
UNTIL = r"(?<!\w)" + phrases(WORDS.until) + r"\s+(?:and\s+including\s+)?(?:the\s+)?(?:end\s+of\s+)?"
UNTIL_BEFORE = re.compile(UNTIL + r"$")
# "from 1 Jan to 28/10": a plain "to" joins two days written next to each other
JOINED = re.compile(r"^\s*(?:to|until|till|through|-|\u2013)\s*$")
# "October up to the 28th", "October to the 28th", "the first half of October (1st to 15th)":
# days of the month just named, written as ordinals (a plain "to" is enough before one)
ORDINAL = r"(?:the\s+)?(?P<G>\d{1,2})(?:st|nd|rd|th)\b"
# a filler may stand between ("October pls (1st to 15th)")
FILLER = r"(?:\s*\b(?:" + "|".join(sorted(default_lexicon().fillers)) + r")\b)?"
NTH = re.compile(
    FILLER + r"[\s,(]*(?:" + RANGE_FROM + ORDINAL.replace("G", "d1") + RANGE_TO + r"|" + UNTIL
    + r"|(?<!\w)to\s+)" + ORDINAL.replace("G", "d") + r"\)?"
)  # fmt: skip


def cut_short(mentions: list[PeriodMention], sheet: Sheet, now: datetime) -> list[PeriodMention]:
    """Each period followed by a stated end inside it runs to that end: the end is no period
    of its own, and its words ("up to", "the end of") belong to the period."""
    out: list[PeriodMention] = []
    for m in mentions:
        before = out[-1] if out else None
        merged = _ended(before, m, sheet, now) if before is not None else None
        if merged is None:
            out.append(m)
        else:
            out[-1] = merged
    return [_nth(m, sheet, now) for m in out]


def _offsets(sheet: Sheet, m: PeriodMention) -> tuple[int, int]:
    return sheet.spans[m.words.tokens[0]][0], sheet.spans[m.words.tokens[-1]][1]


def _day(span: TimeSpan, now: datetime) -> date | None:
    first, last = bounds(span, now)
    return first if first == last else None


def _ended(
    before: PeriodMention, m: PeriodMention, sheet: Sheet, now: datetime
) -> PeriodMention | None:
    if (
        before.span is None
        or m.span is None
        or m.relation is not None
        or before.relation is not None
        or not m.words.tokens
        or not before.words.tokens
        or m.role is not PeriodRole.SUBJECT
    ):
        return None
    end = _day(m.span, now)
    if end is None:
        return None
    _, before_end = _offsets(sheet, before)
    start, _ = _offsets(sheet, m)
    lead = UNTIL_BEFORE.search(sheet.text[:start])
    first, last = bounds(before.span, now)
    gap = sheet.text[before_end:start]
    if lead is not None and first <= end <= last:
        words = (*before.words.tokens, *sheet.covering(lead.start(), lead.end()), *m.words.tokens)
    elif JOINED.match(gap) and first == last and first < end:
        words = (*before.words.tokens, *sheet.covering(before_end, start), *m.words.tokens)
    else:
        return None
    span = day_range(first, end)
    return replace(before, span=span, words=_claim(sheet, tuple(sorted(set(words)))))


def _nth(m: PeriodMention, sheet: Sheet, now: datetime) -> PeriodMention:
    """ "October up to the 28th": a day of the month the period lies in."""
    if m.span is None or not m.words.tokens:
        return m
    _, end_at = _offsets(sheet, m)
    found = NTH.match(sheet.text, end_at)
    if found is None or not _free(sheet, found):
        return m
    first, last = bounds(m.span, now)
    n = int(found.group("d"))
    start = int(found.group("d1") or first.day)
    if (first.year, first.month) != (last.year, last.month) or not (
        first.day <= start <= n <= last.day
    ):
        return m
    span = day_range(first.replace(day=start), first.replace(day=n))
    tokens = tuple(sorted({*m.words.tokens, *sheet.covering(found.start(), found.end())}))
    return replace(m, span=span, words=_claim(sheet, tokens))


def _free(sheet: Sheet, found: re.Match[str]) -> bool:
    inside = sheet.covering(found.start("d1" if found.group("d1") else "d"), found.end())
    return sheet.free(inside)


def _claim(sheet: Sheet, tokens: tuple[int, ...]) -> Words:
    sheet.claim(tokens)
    return sheet.words(tokens)


# between a period and the days within it that narrow it: "this week, Monday to Wednesday"
NARROWING = re.compile(r"[\s,:;]*")


# "same days 1-27", "dias 1 a 27": the days of each month asked about
DAYS_OF_EACH = re.compile(
    r"(?<!\w)" + phrases(WORDS.days_of_each or ("days",)) + r",?\s+(?:the\s+)?"
    r"(?P<d1>\d{1,2})(?:st|nd|rd|th)?" + RANGE_TO + r"(?:the\s+)?(?P<d2>\d{1,2})(?:st|nd|rd|th)?"
    r"(?![\w.:/])"
)


def days_of_each(mentions: list[PeriodMention], sheet: Sheet, now: datetime) -> list[PeriodMention]:
    """ "this month than in August? same days 1-27": days of the month written with no month
    of their own cut each whole month asked about to them (the month running now too, when
    the days are behind us); their words are read with them. Left unread when a period is
    not one whole month, or a month lacks the days."""
    m = DAYS_OF_EACH.search(sheet.masked())
    if m is None or not mentions:
        return mentions
    d1, d2 = int(m.group("d1")), int(m.group("d2"))
    cut: list[PeriodMention] = []
    for p in mentions:
        if p.span is None or p.relation is not None or not 1 <= d1 <= d2:
            return mentions
        try:
            first, last = bounds(p.span, now)
            a, b = first.replace(day=d1), first.replace(day=d2)
        except (InvalidPeriod, ValueError):
            return mentions
        if first.day != 1 or first.month != last.month or b > last:
            return mentions
        cut.append(replace(p, span=day_range(a, b)))
    sheet.claim(sheet.covering(m.start(), m.end()))
    return cut


def narrowed(mentions: list[PeriodMention], sheet: Sheet, now: datetime) -> list[PeriodMention]:
    """ "this week, Monday to Wednesday only": days written right after a period and lying
    within it are the part of it asked about; one period, the days written, with the words
    of both."""
    out: list[PeriodMention] = []
    for m in mentions:
        before = out[-1] if out else None
        if before is None or not _within(m, before, now):
            out.append(m)
            continue
        end = sheet.spans[before.words.tokens[-1]][1]
        start = sheet.spans[m.words.tokens[0]][0]
        if not NARROWING.fullmatch(sheet.text[end:start]):
            out.append(m)
            continue
        tokens = tuple(sorted({*before.words.tokens, *m.words.tokens}))
        out[-1] = replace(m, words=sheet.words(tokens), role=before.role)
    return out


def _within(m: PeriodMention, before: PeriodMention, now: datetime) -> bool:
    """Whether `m` names whole days strictly inside the period `before`, both asked about."""
    if (
        m.span is None
        or before.span is None
        or m.relation is not None
        or before.relation is not None
        or m.role is not PeriodRole.SUBJECT
        or before.role is not PeriodRole.SUBJECT
        or not m.words.tokens
        or not before.words.tokens
        or m.span.start is None
        or m.span.end is None
        or "T" in m.span.period
    ):
        return False
    try:
        first, last = bounds(before.span, now)
    except InvalidPeriod:
        return False
    return first <= m.span.start <= m.span.end <= last and (m.span.start, m.span.end) != (
        first,
        last,
    )
