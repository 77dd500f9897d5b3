"""Time-of-use windows stated in forms of round I, on a plant unlike the demo: the window in
brackets between its name and its price ("peak (weekdays 08-20) is 0.27 €/kWh"), and a price
then its window after "for" ("0.28 €/kWh for weekdays 8-20"); the highest hourly average is a
peak demand over 60 minutes."""

from __future__ import annotations

from datetime import time

import pytest

from agent.reader import Kpi, read
from tests.reader_plants import NOW, PLANTS


@pytest.mark.parametrize(
    ("said", "price"),
    [
        ("Kosten Linie 2 letzte Woche if peak (weekdays 08-20) is 0.27 €/kWh and everything "
         "else 0.15 €/kWh?", 0.27),
        ("I only know our peak price, 0.28 €/kWh for weekdays 8-20. What did Linie 2's "
         "peak-window energy cost last week?", 0.28),
    ],
)  # fmt: skip
def test_a_stated_window_is_read_with_its_days_hours_and_price(said: str, price: float) -> None:
    r = read(said, PLANTS["werk"], NOW)
    assert [(w.days, w.start, w.end, w.price) for w in r.tou_windows] == [
        ((0, 1, 2, 3, 4), time(8), time(20), price)
    ], r.tou_windows
    assert not [u.text for u in r.unused if any(c.isdigit() for c in u.text)], r.unused


def test_the_highest_hourly_average_is_the_peak_demand_over_an_hour() -> None:
    r = read("The utility bills on the highest hourly average. What was it for Linie 2 in October?",
             PLANTS["werk"], NOW)  # fmt: skip
    assert Kpi.PEAK_DEMAND in r.kpis, r.measures
    assert [w.minutes for w in r.demand_windows] == [60]


@pytest.mark.parametrize("prices", ["at the new July prices", "with the July tariff"])
def test_a_month_naming_prices_is_not_the_period_asked(prices: str) -> None:
    r = read(f"What would Linie 2's energy in May have cost {prices}, 0.30 €/kWh?",
             PLANTS["werk"], NOW)  # fmt: skip
    assert [p.span.period for p in r.periods if p.span] == ["2026-05"], r.periods
    assert any("July" in n for n in r.notes), r.notes
