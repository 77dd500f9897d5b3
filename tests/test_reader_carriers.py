"""Carrier words read apart from meter aliases: a site's electricity and gas together are its
supplies of both carriers, even where a meter is known as "gas"; water needs a water meter; a
currency written as a sign (R$) is that currency."""

from __future__ import annotations

from agent.offline import scope
from agent.offline.site import Site
from agent.reader import MeterEntry, build_vocabulary, read
from store.catalog import SiteRef
from tests.reader_plants import NOW
from tools.base import AnalyticsConfig

VOCAB = build_vocabulary(
    "mill",
    [
        MeterEntry("Grid Feed", "electricity"),
        MeterEntry("Saw Line", "electricity", parent="Grid Feed"),
        MeterEntry("Dryer Burner", "gas", aliases=("gas",)),
        MeterEntry("Kiln Burner", "gas", unit="m3", metrics=("volume",)),
    ],
)
SITE = Site(SiteRef(1, "mill", "UTC"), VOCAB, AnalyticsConfig())


def test_the_site_electricity_and_gas_together_are_both_carriers() -> None:
    r = read("total emissions of the site in Q3, electricity and gas together", VOCAB, NOW)
    found = scope.sides(r, SITE, default_site=True)
    assert isinstance(found, scope.Sides)
    assert set(found.meters) == {"Grid Feed", "Dryer Burner", "Kiln Burner"}


def test_a_meter_aliased_like_a_carrier_is_the_meter_without_the_site() -> None:
    r = read("gas last week", VOCAB, NOW)
    found = scope.sides(r, SITE, default_site=True)
    assert isinstance(found, scope.Sides)
    assert found.meters == ("Dryer Burner",)


def test_water_is_not_the_volume_of_gas() -> None:
    r = read("how much water did the mill use last week in m3?", VOCAB, NOW)
    assert [u.topic for u in r.unsupported] == ["water"]


def test_a_real_sign_is_the_brazilian_currency_and_its_rate_is_read() -> None:
    r = read("the saw line's cost last month in R$, at 6.2 R$ per euro", VOCAB, NOW)
    assert [c.code for c in r.currencies] == ["BRL"]
    assert [(x.rate, x.currency, x.per) for x in r.exchange_rates] == [(6.2, "BRL", "EUR")]


def test_a_unit_leaves_a_missing_carrier_missing_but_asks_for_a_missing_quantity() -> None:
    from agent.offline.refusals import only_unmeasured

    water = read("how much water did the mill use last week in m3?", VOCAB, NOW)
    flow = read("max hourly gas flow of the kiln burner yesterday in m3/h", VOCAB, NOW)
    assert only_unmeasured(water)
    assert not only_unmeasured(flow)
