"""Public holidays named in a question ("on Independence Day", "no dia da Independência"): the
site's country (and region) names them, in English and in the country's own language; a name
is the last such day up to today."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache

import holidays

from agent.reader.slots import PeriodMention, TimeSpan
from agent.reader.text import Sheet, fold
from agent.reader.vocabulary import Vocabulary

# the languages holiday names are read in besides the country's own
LANGUAGES = ("en_US",)


@cache
def _names(country: str, region: str | None, year: int) -> tuple[tuple[str, date], ...]:
    """Each holiday name of the year (folded, longest first) with its day."""
    found: dict[str, date] = {}
    probe = holidays.country_holidays  # the country's own language is its default one
    try:
        own = getattr(probe(country.upper(), years=year), "default_language", None)
    except NotImplementedError:
        return ()
    for language in dict.fromkeys((own, *LANGUAGES)):
        try:
            days = holidays.country_holidays(
                country.upper(), subdiv=region or None, years=year, language=language
            )
        except NotImplementedError:  # a country or region the holidays package does not know
            try:
                days = holidays.country_holidays(country.upper(), years=year, language=language)
            except NotImplementedError:
                return ()
        for day, names in days.items():
            for name in str(names).split(";"):
                said = fold(name.strip().lower())
                if len(said) >= 5:
                    found.setdefault(said, day)
    return tuple(sorted(found.items(), key=lambda item: -len(item[0])))


def holiday_periods(sheet: Sheet, vocab: Vocabulary, now: datetime) -> list[PeriodMention]:
    """The holidays the question names, each the last such day up to today, claimed."""
    if not vocab.country:
        return []
    today = now.date()
    latest: dict[str, date] = {}
    for year in (today.year - 1, today.year):
        for name, day in _names(vocab.country, vocab.region, year):
            if day <= today:
                latest[name] = day
    masked = sheet.masked()
    text = fold(masked)
    if len(text) != len(masked):  # folding changed the length ("ß"): match as written
        text = masked.lower()
    found = []
    for name, day in sorted(latest.items(), key=lambda item: -len(item[0])):
        said = re.escape(name).replace(r"\ ", r"\s+").replace("'", "'?")
        pattern = r"\b(?:(?:on|no|em|am|at) )?(?:the |o |a )?(?:dia (?:d[aoe] )?)?" + said
        for m in re.finditer(pattern + r"(?!\w)", text):
            if not sheet.free(sheet.covering(m.start(), m.end())):
                continue
            words = sheet.claim_span(m.start(), m.end())
            label = f"{words.text} ({day.day} {day:%b %Y})"
            span = TimeSpan(day.isoformat(), label, day, day)
            found.append(PeriodMention(words, span))
    return found
