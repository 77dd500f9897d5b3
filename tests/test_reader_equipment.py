"""Equipment words across languages (agent/reader/equipment.yaml): a question naming a meter by
what it is, in English, German or Portuguese, names the meters whose catalogue entry (name,
alias, group, head of the description) is that equipment; one -> it, several -> which one, or
all of them for a plural. Hand-made catalogues only, none of the demo's names."""

from __future__ import annotations

import pytest
import yaml

from agent.reader import Match, MeterEntry, Vocabulary, build_vocabulary, read
from agent.reader.equipment import EQUIPMENT_FILE, LANGUAGES, description_head, equipment
from tests.reader_plants import NOW


def _fabrica() -> Vocabulary:
    """Portuguese names, English descriptions."""
    return build_vocabulary(
        "fabrica",
        [
            MeterEntry("Entrada Geral", "electricity", description="Main supply of the site."),
            MeterEntry("Gerador de Vapor", "gas", description="Steam boiler for the dryers."),
            MeterEntry(
                "CAG Norte", "electricity", parent="Entrada Geral",
                description="Chilled-water plant for process cooling, 200 kW.",
            ),
            MeterEntry("Compressor A", "electricity", parent="Entrada Geral"),
            MeterEntry("Compressor B", "electricity", parent="Entrada Geral"),
            MeterEntry("Linha 1", "electricity", parent="Entrada Geral"),
            MeterEntry("Linha 2", "electricity", parent="Entrada Geral"),
            MeterEntry("Contador Linha 2", "production", unit="boxes"),
            MeterEntry("Bloco B", "electricity", description="Office building with a canteen."),
        ],
    )  # fmt: skip


def _works() -> Vocabulary:
    """English names and descriptions."""
    return build_vocabulary(
        "works",
        [
            MeterEntry("Site Incomer", "electricity"),
            MeterEntry("Boiler House", "gas", description="Two gas boilers"),
            MeterEntry("Hall Lights", "electricity", parent="Site Incomer"),
            MeterEntry("Yard Lights", "electricity", parent="Site Incomer"),
            MeterEntry("Cold Store", "electricity", parent="Site Incomer",
                       description="Freezer rooms: compressors and chiller"),
        ],
    )  # fmt: skip


def _one(question: str, vocab: Vocabulary) -> tuple[tuple[str, ...], bool]:
    (mention,) = read(question, vocab, NOW).meters
    return mention.meters, mention.ambiguous


@pytest.mark.parametrize(
    ("question", "meter"),
    [
        ("how much did the boiler use last week", "Gerador de Vapor"),
        ("Kessel gestern, kWh?", "Gerador de Vapor"),
        ("the chiller in february", "CAG Norte"),
        ("Kältemaschine im Februar", "CAG Norte"),
        ("Kaeltemaschine im Februar", "CAG Norte"),
        ("main supply yesterday", "Entrada Geral"),
        ("Lastgang Hauptzähler gestern", "Entrada Geral"),
        ("the offices last week", "Bloco B"),
        ("Büro letzte Woche", "Bloco B"),
    ],
)
def test_a_word_of_one_meters_kind_names_it(question: str, meter: str) -> None:
    assert _one(question, _fabrica()) == ((meter,), False)


def test_the_meter_so_named_is_said() -> None:
    r = read("Kessel gestern", _fabrica(), NOW)
    assert r.meters[0].match is Match.EQUIPMENT
    assert any("'Kessel'" in n and "Gerador de Vapor" in n for n in r.notes)


def test_a_singular_word_of_several_meters_asks_which() -> None:
    assert _one("the compressor yesterday", _fabrica()) == (
        ("Compressor A", "Compressor B"),
        True,
    )
    assert _one("der Verdichter gestern", _fabrica())[1]
    # the production counter of a line is no line
    assert _one("the line yesterday", _fabrica()) == (("Linha 1", "Linha 2"), True)


@pytest.mark.parametrize("question", ["the compressors yesterday", "Kompressoren gestern",
                                      "Druckluft gestern", "compressed air yesterday"])  # fmt: skip
def test_a_plural_or_a_system_word_names_all_of_them(question: str) -> None:
    assert _one(question, _fabrica()) == (("Compressor A", "Compressor B"), False)


def test_a_name_holding_a_kind_word_is_known_in_the_other_languages() -> None:
    assert _one("line 2 yesterday", _fabrica()) == (("Linha 2",), False)
    assert _one("Linie 1 gestern", _fabrica()) == (("Linha 1",), False)
    assert _one("Kompressor B gestern", _fabrica()) == (("Compressor B",), False)


def test_a_member_the_catalogue_lacks_is_no_meter_of_the_kind() -> None:
    r = read("Kessel 3 yesterday", _fabrica(), NOW)
    assert not r.meters and [u.words.text for u in r.unknown_names] == ["Kessel 3"]


def test_english_names_in_german_and_portuguese() -> None:
    works = _works()
    assert _one("Beleuchtung gestern", works) == (("Hall Lights", "Yard Lights"), False)
    assert _one("iluminação ontem", works) == (("Hall Lights", "Yard Lights"), False)
    assert _one("caldeira ontem", works) == (("Boiler House",), False)
    assert _one("Hauptzähler gestern", works) == (("Site Incomer",), False)
    # "compressors and chiller" stand after the description's head: no chiller here
    r = read("Kältemaschine gestern", works, NOW)
    assert not r.meters


def test_a_kind_word_beside_a_name_of_its_meter_is_that_meter() -> None:
    r = read("the lights of the hall lights yesterday", _works(), NOW)
    assert [m.meters for m in r.meters] == [("Hall Lights",)]


def test_the_catalogues_own_words_come_first() -> None:
    vocab = build_vocabulary(
        "s",
        [
            MeterEntry("Kessel", "gas", description="Hot water boiler"),
            MeterEntry("Kessel 2", "gas", description="Steam boiler"),
            MeterEntry("Boiler Feed", "electricity", aliases=("boiler",)),
        ],
    )
    # "boiler" is an alias of one meter; "Kessel" is a name
    assert _one("boiler yesterday", vocab) == (("Boiler Feed",), False)
    assert _one("Kessel yesterday", vocab) == (("Kessel",), False)


def test_no_catalogue_word_no_meter() -> None:
    r = read("Wärmepumpe gestern", _fabrica(), NOW)
    assert not r.meters


def test_the_head_of_a_description() -> None:
    ends = equipment().head_ends
    assert description_head("Steam boiler for the corrugator", ends) == "Steam boiler"
    assert description_head("Chilled-water plant, 400 kW", ends) == "Chilled-water plant"
    assert description_head("Main supply (13.8 kV)", ends) == "Main supply"
    assert description_head("Dampfkessel für die Wäscherei", ends) == "Dampfkessel"


def test_every_concept_has_words_in_every_language() -> None:
    data = yaml.safe_load(EQUIPMENT_FILE.read_text(encoding="utf-8"))
    for name, entry in data["concepts"].items():
        assert all(entry.get(lang) for lang in LANGUAGES), name


def test_a_kind_word_starting_a_name_the_catalogue_lacks_names_none() -> None:
    r = read("kWh of Compressor C yesterday?", _fabrica(), NOW)
    assert not r.meters and [u.words.text for u in r.unknown_names]


@pytest.mark.parametrize(
    ("question", "meters"),
    [
        # the topic opening the question, then one of its meters: that meter alone
        ("Kompressoren - what did Compressor B cost yesterday?", ("Compressor B",)),
        ("compressors: Compressor A last week in kWh", ("Compressor A",)),
        # the equipment word asked of is all of its meters
        ("what did the compressors cost yesterday?", ("Compressor A", "Compressor B")),
    ],
)
def test_an_equipment_word_opening_the_question_is_its_topic(
    question: str, meters: tuple[str, ...]
) -> None:
    assert read(question, _fabrica(), NOW).meter_names == meters
