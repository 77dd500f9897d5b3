"""Floor areas a question states, with their lead words, each reading of a number written
with a separator kept ("14.200" is 14,200 in Brazil and 14.2 in English); a word for the
site's supplies is what the meters named are when each is at the top of its tree."""

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
