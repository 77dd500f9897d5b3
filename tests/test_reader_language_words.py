"""Words of the lexicon's other languages read as their English twins: a site's shift asked for
by a translated name and the language's word for a shift ("Spätschicht" at a site whose shift is
"late", the "late shift" at one whose shift is "Spät", "turno da tarde"), Portuguese off-shift
("fora de turno"), peak ("pico", "Spitzenlast"), gas ("gás") and verbs of using ("usou")."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from agent.reader import read
from agent.reader.lexicon import LEXICON_FILE, InvalidLexicon, parse_lexicon
from tests.reader_plants import NOW, PLANTS, check


@pytest.mark.parametrize(
    ("plant", "text", "expected"),
    [
        ("demo", "line A Spätschicht kWh last week",
         {"meters": ["line-a"], "splits": [("shift", "late")], "unused": []}),
        ("demo", "line a Frühschicht", {"splits": [("shift", "early")], "unused": []}),
        ("demo", "turno da tarde line a last week", {"splits": [("shift", "late")], "unused": []}),
        ("werk", "Kompressor Nord late shift kWh last week",
         {"splits": [("shift", "spät")], "unused": []}),
        ("werk", "Kompressor Nord Spätschicht kWh", {"splits": [("shift", "spät")], "unused": []}),
        ("demo", "energia fora de turno da line a na semana passada (kWh)",
         {"splits": [("shift", "off-shift")], "kpi": "energy", "unused": []}),
        ("demo", "pico de hoje da line b? kW e horário", {"kpi": "peak_demand"}),
        ("demo", "Spitzenlast line b last week - how high and when?",
         {"kpi": "peak_demand", "unused": []}),
        ("werk", "quanto gás o Gaskessel usou em setembro?",
         {"carriers": ["gas"], "meters": ["Gaskessel"], "unused": []}),
    ],
)  # fmt: skip
def test_words_of_other_languages(plant: str, text: str, expected: dict[str, Any]) -> None:
    check(read(text, PLANTS[plant], NOW), expected)


def test_shift_words_are_checked_when_loaded() -> None:
    data: dict[str, Any] = yaml.safe_load(LEXICON_FILE.read_text(encoding="utf-8"))
    data["shift_words"] = {"words": "shift", "names": "late spät"}
    with pytest.raises(InvalidLexicon, match="shift_words"):
        parse_lexicon(data)
