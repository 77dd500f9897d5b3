"""Words around a question that are context, not content: the kind word of meters the question
names ("which compressor, GA 55 or GA 75?"), a factor "we have on file" (the catalogue's, no
file asked for), a topic change ("unrelated - ..."), what the utility bills ("the utility
bills on a 30-minute window": the supplier, not a meter described as a utility supply) and a
stated window's minutes said again; and a follow-up asking a series the meters under
discussion lack ("avg outdoor temp that month?" after the chiller) is asked of the site."""

from __future__ import annotations

from typing import Any

import pytest

from agent.reader import Frame, MeterEntry, build_vocabulary, follow, read
from tests.reader_plants import NOW, check

PLANT = build_vocabulary(
    "fabrica",
    [
        MeterEntry("Cabine Primária", "electricity", aliases=("main supply",),
                   description="Main supply of the plant (13.8 kV utility connection)."),
        MeterEntry("Compressor GA 55", "electricity", parent="Cabine Primária",
                   aliases=("GA 55",)),
        MeterEntry("Compressor GA 75", "electricity", parent="Cabine Primária",
                   aliases=("GA 75",)),
        MeterEntry("Central de Água Gelada", "electricity", parent="Cabine Primária",
                   aliases=("CAG",), description="Chilled-water plant for process cooling."),
        MeterEntry("Prédio Administrativo", "electricity", aliases=("escritórios",),
                   description="Office building with its own utility supply."),
        MeterEntry("Estação Meteorológica", "weather", unit="degC",
                   metrics=("outdoor_temperature",)),
    ],
)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "which compressor" asks which of the two named: no third meter, nothing to ask back
        ("Which compressor used more last month, GA 55 or GA 75, and by how many percent?",
         {"meters": ["Compressor GA 55", "Compressor GA 75"], "unused": [], "ambiguous": []}),
        ("which compressor used more last month than GA 55?",
         {"ambiguous": [["Compressor GA 55", "Compressor GA 75"]]}),
        ("kg CO2e of the cabine primária last month with the grid factor we have on file",
         {"intent": "data", "kpi": "carbon", "unsupported": [], "unused": []}),
        ("can I have the file of the cabine primária for last month",
         {"unsupported": [("export", "export")]}),
        ("unrelated - what was the average outdoor temperature last week?",
         {"meters": [], "unknown": [], "unused": [], "metric": "outdoor_temperature"}),
        ("the utility bills on a 30-minute window, what is it with 30 min?",
         {"meters": [], "ambiguous": [], "unused": []}),
    ],
)  # fmt: skip
def test_context_words(text: str, expected: dict[str, Any]) -> None:
    check(read(text, PLANT, NOW), expected)


def test_the_kind_word_of_a_meter_not_named_stays() -> None:
    """ "GA 55 vs the other compressor": the word points at the one not named."""
    r = read("GA 55 last month vs the other compressor", PLANT, NOW)
    assert "compressor" in " ".join(u.text for u in r.unused) or len(r.meters) > 1


def test_a_stated_window_said_again_is_that_window() -> None:
    r = read("the utility bills on a 30-minute window, what is it with 30 min?", PLANT, NOW)
    assert [w.minutes for w in r.demand_windows] == [30]


def test_a_series_the_meters_lack_is_asked_of_the_site() -> None:
    first = read("CAG energy in July", PLANT, NOW)
    frame = Frame(first, subjects=("Central de Água Gelada",))
    asked = follow(read("avg outdoor temp that month?", PLANT, NOW), frame, NOW, PLANT)
    assert asked.meter_names == ()
    assert asked.metric == "outdoor_temperature"
    assert [p.span.period for p in asked.periods if p.span] == ["2026-07"]
    kept = follow(read("and its peak that month?", PLANT, NOW), frame, NOW, PLANT)
    assert kept.meter_names == ("Central de Água Gelada",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("difference between the two days?", {"intent": "unclear"}),
        ("what is the difference between kW and kWh?", {"intent": "knowledge"}),
        ("how much more is that in percent, the 75 over the 55?",
         {"meters": ["Compressor GA 75", "Compressor GA 55"], "unused": []}),
        ("what did the 3 lines use yesterday", {"meters": []}),
    ],
)  # fmt: skip
def test_what_a_follow_up_points_at(text: str, expected: dict[str, Any]) -> None:
    check(read(text, PLANT, NOW), expected)


def test_the_two_days_are_the_periods_discussed() -> None:
    r = read("difference between the two days?", PLANT, NOW)
    assert [x.kind for x in r.referents] == ["time"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Q3 - how much more did the chilled water plant use than the escritórios, in %?",
         {"meters": ["Central de Água Gelada", "Prédio Administrativo"], "unsupported": [],
          "unused": []}),
        ("total electricity from 1 Jan to 28/10, main supply plus the escritórios",
         {"meters": ["Cabine Primária", "Prédio Administrativo"], "unused": []}),
        # "office's" names the office by its equipment word; "supply" is what the two named
        # are (each at the top of the tree), "separate" is said not to be used, no meter
        ("the main supply (Cabine Primária) plus the office's separate supply, October",
         {"meters": ["Cabine Primária", "Prédio Administrativo"], "unused": ["separate"]}),
        # a phrase fitting two meters' entries as well says nothing of which: left unused
        ("GA 55 plus the supply in October", {"meters": ["Compressor GA 55"],
                                              "unused": ["supply"]}),
        ("water use of the escritórios in October", {"unsupported": [("water", "no_series")]}),
    ],
)  # fmt: skip
def test_meters_described_beside_meters_named(text: str, expected: dict[str, Any]) -> None:
    check(read(text, PLANT, NOW), expected)


def test_a_meter_taken_by_its_description_is_said() -> None:
    r = read("GA 75 than the chilled water plant in October", PLANT, NOW)
    assert any("I took Central de Água Gelada" in n for n in r.notes)
