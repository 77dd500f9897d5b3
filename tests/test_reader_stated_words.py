"""Floor areas a question states, with their lead words, each reading of a number written
with a separator kept ("14.200" is 14,200 in Brazil and 14.2 in English); a word for the
site's supplies is what the meters named are when each is at the top of its tree; "one line
per month" lays out the answer and names no production line; a name the catalogue lacks that
the description of the meter beside it holds ("the hall 2 lighting") says which meter it is."""

from __future__ import annotations

import pytest

from agent.reader import MeterEntry, build_vocabulary, read
from tests.reader_plants import NOW

SITE = build_vocabulary(
    "two supplies",
    [
        MeterEntry("Feed A", "electricity"),
        MeterEntry("Feed B", "electricity"),
        MeterEntry("Press 1", "electricity", parent="Feed A"),
    ],
)


@pytest.mark.parametrize(
    ("text", "areas"),
    [
        ("kWh per m2 of Feed A over its 2400 m²", (2400.0,)),
        ("Feed A per m2, over the site's 14,200 m²", (14200.0, 14.2)),
        ("Feed A per m2 over the 14.200 m2", (14200.0, 14.2)),
        ("Feed A kwh per m2 with 850 square metres", (850.0,)),
        ("Feed A kwh per m2", ()),
    ],
)
def test_a_stated_floor_area_is_read_with_its_lead(text: str, areas: tuple[float, ...]) -> None:
    r = read(text, SITE, NOW)
    assert [a.m2 for a in r.floor_areas] == ([areas] if areas else [])
    assert not r.unused, [u.text for u in r.unused]


def test_supply_words_describe_named_meters_at_the_top_only() -> None:
    both = read("kWh of both supplies (Feed A + Feed B) yesterday", SITE, NOW)
    assert not both.unused, [u.text for u in both.unused]
    under = read("kWh of both supplies (Feed A + Press 1) yesterday", SITE, NOW)
    assert [u.text for u in under.unused] == ["supplies"]


LINES = build_vocabulary(
    "lines",
    [
        MeterEntry("Feed A", "electricity"),
        MeterEntry("Linha 3", "electricity", parent="Feed A"),
        MeterEntry("Linha 4", "electricity", parent="Feed A"),
    ],
)


@pytest.mark.parametrize("step", ["month", "day", "week"])
def test_one_line_per_step_is_the_answers_layout_not_a_production_line(step: str) -> None:
    r = read(f"kWh of Feed A in Q3, one line per {step}", LINES, NOW)
    assert r.meter_names == ("Feed A",) and not r.ambiguous, r.meters
    assert [g.grain.value for g in r.grains] == [step]
    assert not r.unused, [u.text for u in r.unused]
    assert read("kWh of the line in Q3", LINES, NOW).ambiguous  # a line still asks which


HALLS = build_vocabulary(
    "halls",
    [
        MeterEntry("Feed A", "electricity"),
        MeterEntry("Lamps West", "electricity", parent="Feed A",
                   description="LED lighting of hall 2 with daylight dimming"),
    ],
)  # fmt: skip


def test_a_name_the_description_of_the_meter_beside_it_holds_says_which_it_is() -> None:
    r = read("the hall 2 lighting kWh in July", HALLS, NOW)
    assert r.meter_names == ("Lamps West",) and not r.unknown_names, r.unknown_names
    assert not r.unused, [u.text for u in r.unused]
    other = read("the hall 3 lighting kWh in July", HALLS, NOW)
    assert [u.words.text for u in other.unknown_names] == ["hall 3"]
