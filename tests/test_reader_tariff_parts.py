"""Parts of a tariff named beside a cost, on a plant unlike the demo: one time-of-use period
with the demand charge, or a price stated for each period, make the cost the whole tariff's
(a KPI), not a split of the kWh by period; a Portuguese statement of the hours ("18h às 21h,
dias úteis") and of no demand charge ("sem demanda") is read like an English one."""

from __future__ import annotations

from datetime import time

from agent.offline import kinds
from agent.reader import read
from tests.reader_plants import NOW, werk

VOCAB = werk()


def _kind(text: str) -> str:
    return kinds.choose(read(text, VOCAB, NOW), 1, False)


def test_one_period_and_the_demand_charge_are_the_whole_tariff() -> None:
    assert _kind("What did Linie 3 cost us in September with our tariff (HT + demand charge)?") == (
        "kpi"
    )


def test_a_price_for_each_period_is_the_whole_tariff() -> None:
    assert _kind("Linie 3 in September at 0.30 EUR/kWh HT and 0.12 EUR/kWh NT, what cost?") == (
        "kpi"
    )


def test_one_period_priced_alone_is_still_its_share_of_the_kwh() -> None:
    assert _kind("what did the HT energy of Linie 3 cost in September at 0.30 EUR/kWh?") == (
        "split"
    )


def test_portuguese_hours_days_and_no_demand_charge_are_stated() -> None:
    r = read(
        "se a gente pagasse R$ 0,48/kWh fora ponta e R$ 2,10/kWh na ponta (18h às 21h, dias "
        "úteis), sem demanda, quanto teria custado Linie 3 em setembro?",
        VOCAB,
        NOW,
    )
    (window,) = r.tou_windows
    assert (window.start, window.end, window.price) == (time(18), time(21), 2.1)
    assert window.days == (0, 1, 2, 3, 4)
    assert [(p.per_kwh, p.name) for p in r.prices] == [(0.48, "off-peak")]
    assert [d.per_kw for d in r.demand_charges] == [0.0]
    assert not r.unused, [u.text for u in r.unused]
    assert kinds.choose(r, 1, False) == "kpi"
