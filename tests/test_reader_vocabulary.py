"""The reader's vocabulary of a site, built from its catalogue (by hand and from a real store on
SQLite and PostgreSQL), and the general lexicon loaded from data: both refuse bad input with a
message that names what is wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from agent.reader import (
    InvalidLexicon,
    InvalidVocabulary,
    Match,
    MeterEntry,
    Vocabulary,
    build_vocabulary,
    load_lexicon,
    read,
    vocabulary_from_store,
)
from agent.reader.lexicon import LEXICON_FILE, parse_lexicon
from store import catalog
from tests.reader_plants import NOW, PLANTS

WERK = PLANTS["werk"]


def _keys(label: str) -> set[tuple[str, tuple[str, ...], bool]]:
    return {(k.match.value, k.meters, k.plural) for k in WERK.keys if k.label == label}


def test_families_are_the_shared_start_of_names() -> None:
    assert ("family", ("Kompressor Nord", "Kompressor Süd"), False) in _keys("kompressor")
    assert ("family", ("Kompressor Nord", "Kompressor Süd"), True) in _keys("kompressor")
    # the production counter "Linie 2 Stückzahl" shares the start but uses no energy
    assert {m for k in WERK.keys if k.label == "linie" for m in k.meters} == {
        "Linie 2",
        "Linie 3",
    }


def test_plural_family_words_name_every_member() -> None:
    for written in ("Kompressoren", "kompressors", "die Linien"):
        (mention,) = read(f"{written} yesterday", WERK, NOW).meters
        assert mention.match is Match.FAMILY and not mention.ambiguous, written


def test_groups_come_from_the_meters_and_from_the_arguments() -> None:
    vocab = build_vocabulary(
        "s",
        [MeterEntry("P1", "electricity", groups=("pumps",)), MeterEntry("P9", "electricity")],
        groups={"pumps": ["P9"], "night loads": ["P1"]},
    )
    by_label = {k.label: k.meters for k in vocab.keys if k.match is Match.GROUP}
    assert by_label == {"pumps": ("P1", "P9"), "night loads": ("P1",)}
    assert read("all the night loads last week", vocab, NOW).meter_names == ("P1",)


def test_the_site_meters_are_the_roots_with_sub_meters() -> None:
    assert WERK.site_meters() == ("Hauptzähler",)
    assert WERK.children("Hauptzähler")[:2] == ("Kompressor Nord", "Kompressor Süd")


def test_closest_names_for_a_name_the_site_lacks() -> None:
    assert WERK.closest("Linie 4") == ("Linie 2", "Linie 3")


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("Linie 4", ("Linie 2", "Linie 3")),  # another number of a numbered family
        ("linie-9", ("Linie 2", "Linie 3")),
        ("Lnie 9", ("Linie 2", "Linie 3")),  # the family's word misspelt
        ("Linie 2", ("Linie 3",)),  # a member is no sibling of itself
        ("Kompressor West", ()),  # a word, not a number or letter, tells it apart
        ("Linie", ()),  # no identifier at all
    ],
)
def test_siblings_are_the_family_a_name_differs_from_by_its_number(
    text: str, family: tuple[str, ...]
) -> None:
    found = WERK.siblings(text)
    assert set(found) == set(family), found
    assert all(m.name.split()[0] == "Linie" for m in WERK.meters if m.name in found)


def test_siblings_by_letter() -> None:
    vocab = build_vocabulary(
        "s",
        [
            MeterEntry("Press A", "electricity"),
            MeterEntry("Press B", "electricity"),
            MeterEntry("Press B2", "electricity"),
            MeterEntry("Oven", "electricity"),
        ],
    )
    assert vocab.siblings("press c") == ("Press A", "Press B")
    assert vocab.siblings("oven 2") == ()


@pytest.mark.parametrize(
    ("meters", "kwargs", "message"),
    [
        ([MeterEntry("A", "gas"), MeterEntry("A", "gas")], {}, "names meter 'A' twice"),
        ([MeterEntry("A", "gas", parent="B")], {}, "its parent 'B' is not a meter"),
        ([MeterEntry("A", "gas")], {"groups": {"g": ["Z"]}}, "group 'g': no meter named 'Z'"),
        ([MeterEntry("A", "gas")], {"fiscal_year_start": 13}, "13 is not a month"),
    ],
)
def test_a_catalogue_the_reader_cannot_use_is_refused(
    meters: list[MeterEntry], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidVocabulary, match=message):
        build_vocabulary("s", meters, **kwargs)


def test_an_alias_shared_by_two_meters_is_not_resolved_to_one_of_them() -> None:
    vocab = build_vocabulary(
        "s",
        [
            MeterEntry("A1", "gas", aliases=("kessel",)),
            MeterEntry("B1", "gas", aliases=("Kessel",)),
        ],
    )
    r = read("kessel energy yesterday", vocab, NOW)
    assert r.meter_names == ()
    assert [m.meters for m in r.ambiguous] == [("A1", "B1")]
    assert read("B1 energy yesterday", vocab, NOW).meter_names == ("B1",)


def test_a_distinctive_first_word_names_its_meter() -> None:
    """ "cabine" for "Cabine Primária": the first word alone, when no other meter's name or
    alias starts with it; never a first word two names share, one of a numbered name, or a
    word the lexicon reads."""
    vocab = build_vocabulary(
        "s",
        [
            MeterEntry("Cabine Primária", "electricity"),
            MeterEntry("Torre Norte", "electricity"),
            MeterEntry("Torre Sul", "electricity"),
            MeterEntry("Bomba 2", "electricity"),
            MeterEntry("Main Switchboard", "electricity"),
            MeterEntry("Prédio Central", "electricity", aliases=("quadro leste",)),
            MeterEntry("Quadro Geral", "electricity"),
        ],
    )
    r = read("energy of the cabine + torre norte last week", vocab, NOW)
    assert r.meter_names == ("Cabine Primária", "Torre Norte") and not r.unused
    assert r.meters[0].match is Match.ALIAS
    assert read("prédio energy last week", vocab, NOW).meter_names == ("Prédio Central",)
    assert [m.meters for m in read("torre last week", vocab, NOW).ambiguous] == [
        ("Torre Norte", "Torre Sul")
    ]
    assert not [k for k in vocab.keys if k.initial and k.meters == ("Bomba 2",)]
    assert read("quadro energy last week", vocab, NOW).meter_names == ()  # an alias starts so
    assert read("main consumers last week", vocab, NOW).meter_names == ()


def test_a_site_without_meters_is_read_without_names() -> None:
    r = read("how much did pump 7 use yesterday?", build_vocabulary("empty", []), NOW)
    assert r.meters == () and r.unknown_names == ()
    assert [u.text for u in r.unused] == ["pump 7"]


def test_the_vocabulary_of_a_stored_site(engine: Engine) -> None:
    """From the store's catalogue: kinds, parents, aliases, groups, series, links, shifts."""
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "werk-nord", "Europe/Berlin")
        catalog.ensure_meter(conn, site.id, "Netz", kind="electricity", aliases=["grid"])
        for name in ("Presse 1", "Presse 2"):
            meter = catalog.ensure_meter(
                conn, site.id, name, kind="electricity", parent="Netz",
                tags={"system": "ignored_tags"},
            )  # fmt: skip
            catalog.update_meter(conn, meter.id, groups=["hydraulic presses"])
            catalog.ensure_series(conn, site.id, name, "energy", "kWh")
        catalog.ensure_series(conn, site.id, "Netz", "energy", "kWh")
        catalog.ensure_series(
            conn, site.id, "Aussen", "outdoor_temperature", "degC", kind="weather"
        )
    with engine.connect() as conn:
        vocab = vocabulary_from_store(conn, site, shifts=["Früh"])
    meters = {m.name: m for m in vocab.meters}
    assert meters["Presse 1"].parent == "Netz"
    assert meters["Presse 1"].groups == ("hydraulic presses",)
    assert meters["Netz"].aliases == ("grid",)
    assert meters["Aussen"].metrics == ("outdoor_temperature",)
    assert vocab.site_meters() == ("Netz",)
    r = read("hydraulic presses energy from the grid last week, früh shift", vocab, NOW)
    assert r.meter_names == ("Presse 1", "Presse 2", "Netz")
    assert [(s.split.value, s.part) for s in r.splits] == [("shift", "früh")]
    assert not r.unused


def test_the_shipped_lexicon_loads() -> None:
    lexicon = load_lexicon(LEXICON_FILE)
    assert {e.table for e in lexicon.entries} >= {"measure", "operation", "cue", "unsupported"}


def _lexicon(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": 1,
        "stop_words": "the",
        "fillers": "please",
        "priority": ["measure", "cue"],
        "tables": {"measure": {"energy": "energy"}, "cue": {"anomaly": "odd"}},
        "intents": {"data": {"measure": 2}},
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("not a mapping", "expected a mapping with 'version: 1'"),
        ({"version": 2}, "expected a mapping with 'version: 1'"),
        ({k: v for k, v in _lexicon().items() if k != "intents"}, "missing 'intents'"),
        (_lexicon(tables={"measure": {"wattage": "watts"}}), "unknown key 'wattage'"),
        (_lexicon(tables={"measure": {"energy": "ener(gy"}}), "tables.measure.energy"),
        (_lexicon(tables={"measure": {"energy": ""}}), "phrases separated by ';'"),
        (_lexicon(tables={"colours": {"red": "red"}}), "tables.colours: the table is not listed"),
        (_lexicon(intents={"gossip": {"measure": 1}}), "unknown intent 'gossip'"),
        (_lexicon(intents={"data": {"sparkle": 1}}), r"intents.data: unknown features"),
    ],
)  # fmt: skip
def test_a_bad_lexicon_is_refused_naming_the_entry(data: Any, message: str) -> None:
    with pytest.raises(InvalidLexicon, match=message):
        parse_lexicon(data)


def test_an_unreadable_lexicon_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidLexicon, match="cannot read lexicon"):
        load_lexicon(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nstop_words: [unclosed\n", encoding="utf-8")
    with pytest.raises(InvalidLexicon, match="cannot read lexicon"):
        load_lexicon(broken)


@pytest.mark.parametrize(
    ("text", "plant", "name"),
    [
        ("How much energy did compresor-9 use yesterday?", "werk", "compresor-9"),
        ("what did Pumpe-7 use yesterday?", "werk", "Pumpe-7"),
        ("How much energy did compresor-9 use yesterday?", "demo", "compresor-9"),
    ],
)
def test_a_misspelt_family_with_a_number_it_lacks_is_an_unknown_name(
    text: str, plant: str, name: str
) -> None:
    """Not the family, the group or a question of which one: a name the catalogue lacks."""
    r = read(text, PLANTS[plant], NOW)
    assert [u.words.text for u in r.unknown_names] == [name]
    assert not r.meters and not r.unused


# ------------------------------------------------------------------ counts named by what they count


def _bakery() -> Vocabulary:
    return build_vocabulary(
        "bakery",
        [
            MeterEntry("Ofen 1", "electricity", production=("Zähler Ofen 1",)),
            MeterEntry("Ofen 2", "electricity", metrics=("energy", "production")),
            MeterEntry("Zähler Ofen 1", "production", unit="unit", metrics=("production",),
                       description="Buns counted at the oven's exit"),
            MeterEntry("Kühlung", "electricity", description="Cold store for dough"),
        ],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("question", "meter"),
    [
        ("Ofen 1 buns last week", "Ofen 1"),  # the linked counter's description
        ("how many Stück on Ofen 2 last week", "Ofen 2"),  # its own series, a count noun
        ("units of Ofen 1 yesterday", "Ofen 1"),
    ],
)
def test_a_word_for_what_a_meters_counter_counts_is_its_production(
    question: str, meter: str
) -> None:
    r = read(question, _bakery(), NOW)
    assert r.meter_names == (meter,)
    assert r.metric == "production", r.measures
    assert not r.unused, r.unused


def test_a_count_word_beside_a_meter_without_a_counter_stays_unused() -> None:
    r = read("Kühlung buns last week", _bakery(), NOW)
    assert r.metric != "production"
    assert [u.text for u in r.unused] == ["buns"]


def test_energy_per_counted_thing_is_the_sec() -> None:
    r = read("Ofen 1 kWh per bun last week", _bakery(), NOW)
    assert "sec" in {str(k) for k in r.kpis}, r.measures
    assert not r.unused, r.unused
