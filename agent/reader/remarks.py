"""Days said only to explain a question, not asked about: "keep in mind the 1st of May was a
holiday", "(Thursday was the holiday, today isn't finished)"."""

from __future__ import annotations

import re

from agent.reader.dates import Found, phrases
from agent.reader.lexicon import Lexicon


def remarks_among(text: str, chosen: list[Found], lexicon: Lexicon) -> dict[int, tuple[int, int]]:
    """The days said only to explain the question ("keep in mind the 1st was a holiday",
    "(Thursday was the holiday, today isn't finished)"), by id, with where their words begin
    and end (an opening "keep in mind" included): a remark opened as one, or one in brackets
    beside another period asked; "yesterday was a holiday, how much lower was it than last
    Thursday?" asks about the day it says was a holiday."""
    words = lexicon.calendar
    if not words.remark_after:
        return {}
    after = re.compile(r"\s*(?:" + phrases(words.remark_after) + r")(?!\w)")
    back = re.compile(r"\s*(?:" + phrases(words.remark_back or ("(?!)",)) + r")(?!\w)")
    before = re.compile(
        r"(?<!\w)(?:" + phrases(words.remark_before or ("(?!)",)) + r")\s+(?:that\s+)?$"
    )
    found: dict[int, tuple[int, int]] = {}
    opened: set[int] = set()
    for f in _events(text, chosen, lexicon):  # "we changed the schedule on 1 May. ..."
        found[id(f)] = (f.start, f.end)
        opened.add(id(f))
    for f in chosen:
        if id(f) in found:
            continue
        pointed = back.match(text, f.end) if f.span is not None else None
        if pointed is not None:  # "(12 Oct was one)": explains a word said before it
            found[id(f)] = (f.start, pointed.end())
            opened.add(id(f))
            continue
        said = after.match(text, f.end) if f.span is not None else None
        if said is None:
            continue
        lead = before.search(text[: f.start])
        aside = re.search(r"\([^()]*$", text[: f.start]) and re.match(r"[^()]*\)", text[f.end :])
        if lead or aside:
            found[id(f)] = (lead.start() if lead else f.start, said.end())
        if lead:
            opened.add(id(f))
    if len(found) == len(chosen) and not opened:
        return {}
    return found


def _events(text: str, chosen: list[Found], lexicon: Lexicon) -> list[Found]:
    """ "We changed the office HVAC schedule on 1 May. Did it make any difference? ... report
    May to August": a day said as when the user changed something, beside another period
    asked, is context for the question, not a period asked."""
    said = lexicon.calendar.event_before
    if not said:
        return []
    event = re.compile(r"(?<!\w)(?:" + phrases(said) + r")\s+(?:the\s+)?$")
    out = []
    for f in chosen:
        if f.span is None or f.span.start is None or f.span.start != f.span.end:
            continue
        others = [g for g in chosen if g is not f and g.span is not None and g.span != f.span]
        lead = re.match(r"\w+ (?=\d|the )", text[f.start : f.end])
        before = text[: f.start] + (lead.group(0) if lead else "")
        if others and event.search(before):
            out.append(f)
    return out
