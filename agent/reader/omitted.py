"""Days a question leaves out of the period it asks about: "last week without Thursday",
"this week so far, leaving out yesterday's holiday", "October except Sundays"."""

from __future__ import annotations

import re
from datetime import date, datetime

from agent.reader.dates import WEEKDAYS, bounds, phrases, weekday
from agent.reader.lexicon import Lexicon
from agent.reader.ranges import DAY_ENDS
from agent.reader.slots import DaysLeftOut, PeriodMention, PeriodRole
from agent.reader.text import Sheet
from tools.periods import InvalidPeriod


def days_left_out(
    sheet: Sheet, periods: list[PeriodMention], now: datetime, lexicon: Lexicon
) -> tuple[list[PeriodMention], list[DaysLeftOut]]:
    """The days left out of the periods asked, and the periods without the days that were
    only named to be left out ("leaving out yesterday" names no period of its own)."""
    words = lexicon.calendar
    if not (lexicon.negations or words.leave_out):
        return periods, []
    leads = sorted({*words.leave_out, *lexicon.negations} - lexicon.subtractions, key=len)
    lead = re.compile(r"(?<!\w)(?:" + phrases(leads[::-1]) + r")\s+(?:(?:the|any|all|of|on)\s+)*$")
    out: list[DaysLeftOut] = []
    kept: list[PeriodMention] = []
    for p in periods:
        day = _one_day(p, now)
        start = sheet.spans[p.words.tokens[0]][0] if p.words.tokens else None
        found = lead.search(sheet.text[:start]) if start is not None and day else None
        others = [o for o in periods if o is not p and o.role is PeriodRole.SUBJECT]
        if found is None or day is None or not others:
            kept.append(p)
            continue
        said = (*sheet.covering(found.start(), start or 0), *p.words.tokens)
        said += _named(sheet, sheet.spans[p.words.tokens[-1]][1], words.holiday)
        out.append(DaysLeftOut(sheet.words(tuple(sorted(set(said)))), dates=(day,)))
        sheet.claim(said)
    if kept:
        out += _weekdays(sheet, lead, words.holiday)
    return kept, out


def _one_day(p: PeriodMention, now: datetime) -> date | None:
    if p.span is None or p.relation is not None or "T" in p.span.period:
        return None
    try:
        first, last = bounds(p.span, now)
    except InvalidPeriod:
        return None
    return first if first == last else None


DAYS = weekday("d") + r"(?P<every>s)?\b"
JOINED = r"\s*(?:,|\band\b|\bor\b|\bnor\b|&|/)\s*(?:(?:the|on)\s+)?"


def _weekdays(sheet: Sheet, lead: re.Pattern[str], holiday: tuple[str, ...]) -> list[DaysLeftOut]:
    """ "without Thursday", "except Saturdays and Sundays": weekdays after a word that leaves
    them out, none read as anything else."""
    out: list[DaysLeftOut] = []
    text = sheet.masked()
    pattern = DAYS + r"(?:" + JOINED + DAYS.replace("(?P<d>", "(?:").replace("(?P<every>", "(?:")
    # "no saturday morning" leaves out a part of the day, read elsewhere: the days must end
    for m in re.finditer(r"\b" + pattern + r")*" + DAY_ENDS, text):
        found = lead.search(text[: m.start()])
        used = sheet.covering(m.start(), m.end())
        if found is None or not sheet.free(used):
            continue
        names = re.findall(weekday("d") + r"(s)?\b", m.group(0))
        days = tuple(dict.fromkeys(WEEKDAYS[n] for n, _ in names))
        every = all(s for _, s in names) and len(names) > 0
        said = (*sheet.covering(found.start(), m.start()), *used)
        said += _named(sheet, m.end(), holiday)
        out.append(DaysLeftOut(sheet.words(tuple(sorted(set(said)))), weekdays=days, every=every))
        sheet.claim(said)
    return out


def _named(sheet: Sheet, end: int, holiday: tuple[str, ...]) -> tuple[int, ...]:
    """What names a day left out, right after it: "(Corpus Christi)", "'s holiday"."""
    after = sheet.text[end:]
    bracket = re.match(r"\s*\([^()]{1,40}\)", after)
    if bracket is not None:
        used = sheet.covering(end, end + bracket.end())
        return used if sheet.free(used) else ()
    if holiday:
        word = re.match(r"(?:'s)?\s*(?:" + phrases(holiday) + r")(?!\w)", after)
        if word is not None:
            used = sheet.covering(end, end + word.end())
            return tuple(i for i in used if sheet.free((i,)))
    return ()
