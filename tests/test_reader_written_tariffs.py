"""Portuguese forms the reader reads on a site that writes dates day first: a range of days with
the month once ("16-17/02"), weekday shorthand ("seg+ter", "seg-sex"), a peak said "maior
demanda" with its unit alone after it, and a time-of-use price followed by its window in
brackets ("ponta R$2.35 (mon-fri 18-21)")."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from agent.reader import Kpi, MeterEntry, build_vocabulary, read
from agent.reader.dates import bounds

NOW = datetime(2026, 3, 2, 10, 15, tzinfo=ZoneInfo("America/Sao_Paulo"))

FORNOS = build_vocabulary(
    "vidraria-sul",
    [
        MeterEntry("Entrada Geral", "electricity", aliases=("subestação",)),
        MeterEntry("Forno Túnel", "electricity", parent="Entrada Geral"),
        MeterEntry("Moinho 2", "electricity", parent="Entrada Geral"),
    ],
    tariff_periods=["ponta"],
    currency="BRL",
    date_order="dmy",
)


def _days(question: str, vocab: object = FORNOS) -> list[list[str]]:
    r = read(question, vocab, NOW)  # type: ignore[arg-type]
    return [[d.isoformat() for d in bounds(p.span, NOW)] for p in r.periods if p.span]


@pytest.mark.parametrize(
    ("said", "first", "last"),
    [
        ("quanto o Forno Túnel usou seg+ter 16-17/02?", "2026-02-16", "2026-02-17"),
        ("Moinho 2 kWh from 23 to 24/02/2026", "2026-02-23", "2026-02-24"),
        ("Moinho 2 kWh 3-9/11", "2025-11-03", "2025-11-09"),
    ],
)
def test_a_range_of_days_with_the_month_once(said: str, first: str, last: str) -> None:
    r = read(said, FORNOS, NOW)
    assert _days(said) == [[first, last]]
    assert not r.unused, r.unused


def test_a_range_of_days_with_the_month_once_is_not_read_where_the_month_comes_first() -> None:
    us = build_vocabulary("us-site", [MeterEntry("Oven", "electricity")], date_order="mdy")
    assert _days("Oven kWh 16-17/02", us) == []


def test_maior_demanda_is_the_peak_and_a_bare_kw_its_unit() -> None:
    r = read("maior demanda (15 min) da subestação em fevereiro, kW e quando?", FORNOS, NOW)
    assert r.kpis == frozenset({Kpi.PEAK_DEMAND}) or set(r.kpis) == {Kpi.PEAK_DEMAND}
    assert [u.unit for u in r.units] == ["kW"]
    assert not r.unused
    alone = read("Moinho 2 in kW last week", FORNOS, NOW)
    assert Kpi.PEAK_DEMAND not in alone.kpis


@pytest.mark.parametrize(
    ("said", "peak", "off_peak"),
    [
        ("Moinho 2 last week: cost with ponta R$2.35 (mon-fri 18-21) and fora ponta R$0.52",
         2.35, 0.52),
        ("simulate last week on the Forno Túnel: fora ponta 0,56, ponta 2,49 R$/kWh "
         "(seg-sex 18-21h), energy only", 2.49, 0.56),
    ],
)  # fmt: skip
def test_a_tou_price_then_its_window_in_brackets(said: str, peak: float, off_peak: float) -> None:
    r = read(said, FORNOS, NOW)
    assert [(w.price, w.days, w.start, w.end) for w in r.tou_windows] == [
        (peak, (0, 1, 2, 3, 4), time(18), time(21))
    ]
    assert [(p.per_kwh, p.name) for p in r.prices] == [(off_peak, "off-peak")]
    assert not r.unused, r.unused


def test_a_word_of_several_meters_restates_the_one_named() -> None:
    boards = build_vocabulary(
        "vidraria-norte",
        [
            MeterEntry("Entrada", "electricity"),
            MeterEntry("Quadro A", "electricity", parent="Entrada", description="Fornos board"),
            MeterEntry("Quadro B", "electricity", parent="Entrada", description="Moinhos board"),
            MeterEntry("Forno 1", "electricity", parent="Quadro A"),
            MeterEntry("Moinho 1", "electricity", parent="Quadro B"),
        ],
    )
    r = read("Quadro B as a % of the board last week", boards, NOW)
    assert [m.meters for m in r.meters] == [("Quadro B",)]
    assert not r.unused, r.unused
    alone = read("how much did the board use last week?", boards, NOW)
    assert not [m for m in alone.meters if not m.ambiguous], alone.meters
