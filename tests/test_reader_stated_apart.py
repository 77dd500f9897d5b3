"""Parameters said in pieces, as energy managers write them: a time-of-use period's hours apart
from its price ("0.28 peak (peak = 07-19 mon-fri)"), an off-peak price by its name alone (also
"fora ponta"), a demand charge named after its value, a stated price that asks what it cost,
"how many hours above N kW" as a count, and date ranges written with dots."""

from __future__ import annotations

from datetime import time

import pytest

from agent.reader import read
from agent.reader.slots import Kpi, Op
from tests.reader_plants import NOW, PLANTS

WERK = PLANTS["werk"]
WEEKDAYS = (0, 1, 2, 3, 4)


def test_a_period_defined_apart_from_its_price_is_one_window() -> None:
    r = read(
        "at 0.12 offpeak and 0.28 peak (peak = 07-19 mon-fri) what would Linie 2 have cost in "
        "september? no demand charge",
        WERK,
        NOW,
    )
    (w,) = r.tou_windows
    assert (w.name, w.days, w.start, w.end, w.price) == ("peak", WEEKDAYS, time(7), time(19), 0.28)
    assert [(p.per_kwh, p.name) for p in r.prices] == [(0.12, "off-peak")]
    assert [d.per_kw for d in r.demand_charges] == [0.0]
    # "peak" is the tariff's word here, not a peak demand; "fri" is no day of the question
    assert r.kpis == (Kpi.COST,)
    assert [p.span.period for p in r.periods if p.span] == ["2026-09"]
    assert not r.unused


def test_hours_of_a_period_without_its_price_are_not_taken_as_a_tariff() -> None:
    r = read("share of Linie 2 in the peak hours 07-19 mon-fri last week", WERK, NOW)
    assert not r.tou_windows
    assert not r.prices


def test_the_brazilian_names_of_peak_and_off_peak_are_read() -> None:
    r = read(
        "price Linie 3 for last month with fora ponta R$0.48 and ponta 18-21h weekdays at "
        "R$2.20 per kWh",
        WERK,
        NOW,
    )
    (w,) = r.tou_windows
    assert (w.name, w.days, w.start, w.end, w.price, w.currency) == (
        "ponta", WEEKDAYS, time(18), time(21), 2.2, "BRL"
    )  # fmt: skip
    assert [(p.per_kwh, p.currency, p.name) for p in r.prices] == [(0.48, "BRL", "off-peak")]
    assert not r.unused


@pytest.mark.parametrize(
    ("text", "per_kw", "currency"),
    [
        ("with 0.15/kWh and 12 €/kW demand charge, what's Linie 2 in october?", 12.0, "EUR"),
        ("Linie 2 in october at 0.15/kWh plus 9.5 EUR per kW capacity charge", 9.5, "EUR"),
    ],
)
def test_a_demand_charge_named_after_its_value_and_a_price_ask_the_cost(
    text: str, per_kw: float, currency: str
) -> None:
    r = read(text, WERK, NOW)
    assert [(d.per_kw, d.currency) for d in r.demand_charges] == [(per_kw, currency)]
    assert [p.per_kwh for p in r.prices] == [0.15]
    assert r.kpis == (Kpi.COST,)  # not an average power from "kW"
    assert not r.unused


def test_an_emission_factor_alone_asks_the_carbon() -> None:
    r = read("Linie 2 last month at 0.42 kg/kWh", WERK, NOW)
    assert r.kpis == (Kpi.CARBON,)


def test_a_named_kpi_is_not_replaced_by_the_stated_price() -> None:
    r = read("peak demand of Linie 2 last month, price 0.20 €/kWh", WERK, NOW)
    assert Kpi.COST not in r.kpis


@pytest.mark.parametrize(
    "text",
    ["how many hours was Linie 2 above 15 kW last week?", "for how long was Linie 2 below 5 kW"],
)
def test_hours_beyond_a_threshold_are_a_count(text: str) -> None:
    r = read(text, WERK, NOW)
    assert r.asks(Op.COUNT)
    assert len(r.thresholds) == 1


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("Linie 2 energy from 14.9. to 20.9.2026", "2026-09-14..2026-09-20"),
        ("Linie 2 energy 14.09.-20.09.2026", "2026-09-14..2026-09-20"),
        ("Linie 2 energy 1.10 to 7.10.", "2026-10-01..2026-10-07"),
        ("Linie 2 energy 28.12.2025 - 3.1.2026", "2025-12-28..2026-01-03"),
    ],
)
def test_date_ranges_written_with_dots(text: str, period: str) -> None:
    r = read(text, WERK, NOW)
    assert [p.span.period for p in r.periods if p.span] == [period]
    assert not r.unused


@pytest.mark.parametrize("text", ["Linie 2 between 1.5 and 2.5 kW", "Linie 2 from 1.5 to 2.5"])
def test_decimal_numbers_are_no_dates(text: str) -> None:
    assert not read(text, WERK, NOW).periods


@pytest.mark.parametrize(
    "text", ["kWh per box on Linie 2 in october?", "kwh/tonne of Linie 2", "energy per bottle"]
)
def test_energy_per_unit_of_what_a_line_makes_is_its_sec(text: str) -> None:
    r = read(text, WERK, NOW)
    assert r.kpis == (Kpi.SEC,)
    assert not r.unused
