"""Floor areas a question states ("over the site's 14,200 m²", "per 2.400 m2"): the number
before a unit of area (lexicon `area_units`), with the words that lead to it."""

from __future__ import annotations

import re

from agent.reader.lexicon import Lexicon
from agent.reader.slots import FloorArea
from agent.reader.text import Sheet

NUMBER = r"(?P<v>\d+(?:[.,]\d+)*)"
LEAD = r"(?:(?:over|for|of|on|with|across|per|by|using|use) (?:the |a |our |its )?(?:[\w']+'s? )?)?"


def find_floor_areas(sheet: Sheet, lexicon: Lexicon) -> list[FloorArea]:
    """Every stated floor area, its lead words claimed with it ("over the site's")."""
    if not lexicon.area_units:
        return []
    units = "|".join(lexicon.area_units)
    pattern = re.compile(r"\b" + LEAD + NUMBER + r"\s*(?:" + units + r")(?!\w)")
    found = []
    for m in pattern.finditer(sheet.masked()):
        span = sheet.covering(m.start(), m.end())
        if not sheet.free(span):
            continue
        readings = _readings(m.group("v"))
        if readings:
            found.append(FloorArea(readings, sheet.claim(span)))
    return found


def _readings(text: str) -> tuple[float, ...]:
    """The numbers "14,200" or "14.200" may be: thousands grouped (14200) or a decimal (14.2),
    both kept where the writing allows either."""
    if re.fullmatch(r"\d+", text):
        return (float(text),)
    grouped = re.fullmatch(r"[1-9]\d{0,2}(?:[.,]\d{3})+", text)
    whole = float(re.sub(r"[.,]", "", text)) if grouped else None
    decimal = float(text.replace(",", ".")) if re.fullmatch(r"\d+[.,]\d+", text) else None
    return tuple(v for v in (whole, decimal) if v is not None)
