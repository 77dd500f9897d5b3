"""Units as people write them: `is_unit` says yes exactly where `parse_unit` reads a unit."""

from __future__ import annotations

import pytest

from common.errors import EMSError
from common.units import UNITS, is_unit, parse_unit


def _parses(text: str) -> bool:
    try:
        parse_unit(text)
    except EMSError:
        return False
    return True


@pytest.mark.parametrize(
    "text",
    [*UNITS, "kwh", " KWH ", "m³", "°C", "percent", "kW", "boxes", "", "wh/", "power factor", "€"],
)
def test_is_unit_agrees_with_parse_unit(text: str) -> None:
    assert is_unit(text) == _parses(text)


def test_known_and_unknown_words() -> None:
    assert is_unit("kWh") and is_unit(" m3 ")
    assert not is_unit("October") and not is_unit("compressor")
