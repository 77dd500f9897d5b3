"""Who asks, said before the question ("Juliana do segundo turno: ..."): the shift named only
to say who is asking is not a split of the figures; a shift asked about stays one."""

from __future__ import annotations

from agent.reader import MeterEntry, build_vocabulary, read
from agent.reader.slots import Kpi, Split
from tests.reader_plants import NOW

VOCAB = build_vocabulary(
    "usina",
    [MeterEntry("Prensa 7", "electricity"), MeterEntry("Contador Prensa 7", "production")],
    shifts=["primeiro turno", "segundo turno"],
)


def test_a_shift_that_says_who_asks_is_no_split() -> None:
    for text in (
        "Juliana do segundo turno: Prensa 7 yesterday - kWh per box?",
        "this is Tom from the segundo turno - Prensa 7 yesterday, kWh per box?",
    ):
        r = read(text, VOCAB, NOW)
        assert not r.splits, text
        assert Kpi.SEC in r.kpis, text
        assert not {"Juliana", "Tom"} & {u.text for u in r.unused}, text


def test_a_shift_asked_about_stays_a_split() -> None:
    for text in (
        "Prensa 7 yesterday in the segundo turno, kWh?",
        "segundo turno: how much did Prensa 7 use yesterday?",
    ):
        r = read(text, VOCAB, NOW)
        assert [s.split for s in r.splits] == [Split.SHIFT], text
