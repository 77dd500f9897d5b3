"""Words of round I's questions read on a plant that shares no name with the eval plants."""

from __future__ import annotations

import pytest

from agent.reader import read
from agent.reader.slots import Op
from tests.reader_plants import NOW, PLANTS


@pytest.mark.parametrize(
    "text",
    [
        "How much of the Hauptzähler's energy last week is not on any sub-meter? kWh and %",
        "what part of Hauptzähler is on no sub-meter last week",
        "Hauptzähler last week: how much isn't on a submeter?",
    ],
)
def test_energy_not_on_any_sub_meter_is_the_unmetered_remainder(text: str) -> None:
    r = read(text, PLANTS["werk"], NOW)
    assert r.meter_names == ("Hauptzähler",)
    assert r.asks(Op.REMAINDER), sorted(r.ops)
