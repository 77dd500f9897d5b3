"""rank_sites: the sites of a portfolio ranked per carrier by energy, carbon or cost, per m2 or in
total, each over the period in its own time zone, on SQLite and PostgreSQL against pandas."""

from __future__ import annotations

import textwrap
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from common.errors import NoSite, UnknownSite
from connectors.catalog_file import parse_plant
from connectors.catalog_sync import apply_plant
from store import catalog
from store.writes import write_readings
from tools.base import ToolContext
from tools.portfolio import ALL, rank_sites

NOW = datetime(2025, 11, 15, tzinfo=ZoneInfo("UTC"))
PLANTS = {
    "north": (
        "Europe/Berlin",
        """\
        version: 1
        site:
          name: north
          timezone: Europe/Berlin
          currency: EUR
          floor_area_m2: 10000
          gas_calorific_value_kwh_per_m3: 10.0
          tariffs: [{carrier: electricity, name: flat, default_price: 0.2}]
          emission_factors:
            - {carrier: electricity, kg_co2e_per_kwh: 0.4, source: grid}
            - {carrier: gas, kg_co2e_per_kwh: 0.2, source: supplier}
        meters:
          - {name: supply, carrier: electricity}
          - {name: press, carrier: electricity, parent: supply}
          - {name: gas-in, carrier: gas, unit: m3}
        """,
    ),
    "south": (
        "America/Chicago",
        """\
        version: 1
        site:
          name: south
          timezone: America/Chicago
          currency: USD
          aliases: [Texas]
          tariffs: [{carrier: electricity, name: co-op, default_price: 0.1}]
          emission_factors: [{carrier: electricity, kg_co2e_per_kwh: 0.5, source: eGRID}]
        meters:
          - {name: incomer-a, carrier: electricity, floor_area_m2: 3000}
          - {name: incomer-b, carrier: electricity, floor_area_m2: 1000}
        """,
    ),
    "east": (
        "Asia/Tokyo",
        """\
        version: 1
        site: {name: east, timezone: Asia/Tokyo}
        meters: [{name: supply, carrier: electricity}]
        """,
    ),
}
METERS = {
    "north": {"supply": 60.0, "press": 30.0, "gas-in": 5.0},
    "south": {"incomer-a": 25.0, "incomer-b": 10.0},
    "east": {"supply": 40.0},
}


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    ts = int(datetime(2025, 8, 31, tzinfo=ZoneInfo("UTC")).timestamp())
    ts = ts + 900 * np.arange(96 * 62, dtype=np.int64)
    rows = []
    for site, meters in METERS.items():
        for meter, scale in meters.items():
            values = rng.gamma(2.0, scale / 2, len(ts))
            rows.append(pd.DataFrame({"site": site, "meter": meter, "ts": ts, "value": values}))
    return pd.concat(rows, ignore_index=True)


@pytest.fixture
def ctx(engine: Engine, raw: pd.DataFrame) -> ToolContext:
    for site, (_, text) in PLANTS.items():
        apply_plant(engine, parse_plant(textwrap.dedent(text), f"{site}.yaml", "yaml"))
    with engine.begin() as conn:
        for site, (tz, _) in PLANTS.items():
            ref = catalog.get_site(conn, site)
            for meter in METERS[site]:
                metric, unit = ("volume", "m3") if meter == "gas-in" else ("energy", "kWh")
                sid = catalog.ensure_series(conn, ref.id, meter, metric, unit, interval_s=900).id
                rows = raw[(raw["site"] == site) & (raw["meter"] == meter)]
                write_readings(conn, sid, rows["ts"].to_numpy(), rows["value"].to_numpy(), tz)
    return ToolContext(engine, None, NOW)  # a portfolio question needs no current site


def month(raw: pd.DataFrame, site: str, meter: str, ym: str = "2025-09") -> float:
    tz = PLANTS[site][0]
    rows = raw[(raw["site"] == site) & (raw["meter"] == meter)]
    local = pd.to_datetime(rows["ts"], unit="s", utc=True).dt.tz_convert(tz)
    return float(rows.loc[local.dt.strftime("%Y-%m") == ym, "value"].sum())


def test_sites_per_m2_of_electricity_each_in_its_own_month(
    ctx: ToolContext, raw: pd.DataFrame
) -> None:
    result = rank_sites(ctx, {"period": "2025-09", "carrier": "electricity"})
    (ranking,) = result.rankings
    expected = {
        "north": month(raw, "north", "supply") / 10000,  # the top meter only: press is below it
        "south": (month(raw, "south", "incomer-a") + month(raw, "south", "incomer-b")) / 4000,
    }
    assert ranking.unit == "kWh/m2"
    assert [r.site for r in ranking.ranking] == sorted(expected, key=lambda s: -expected[s])
    assert {r.site: r.value for r in ranking.ranking} == pytest.approx(expected, rel=1e-12)
    assert ranking.not_ranked == ["east (no floor area in its catalogue)"]
    figures = {f.site: f for f in result.sites}
    assert figures["south"].floor_area_from == "electricity top meters: incomer-a, incomer-b"
    assert figures["north"].floor_area_from == "site catalogue"
    assert figures["south"].period["start"] == "2025-09-01T00:00:00-05:00"
    assert figures["east"].energy_kwh == pytest.approx(month(raw, "east", "supply"), rel=1e-12)


def test_totals_carbon_and_gas_read_in_m3(ctx: ToolContext, raw: pd.DataFrame) -> None:
    result = rank_sites(ctx, {"period": "2025-10", "measure": "carbon", "per_m2": False})
    by = {(r.carrier): r for r in result.rankings}
    electricity = {
        "north": month(raw, "north", "supply", "2025-10") * 0.4,
        "south": (
            month(raw, "south", "incomer-a", "2025-10")
            + month(raw, "south", "incomer-b", "2025-10")
        )
        * 0.5,
    }
    values = {r.site: r.value for r in by["electricity"].ranking}
    assert values["north"] == pytest.approx(electricity["north"], rel=1e-12)
    assert values["south"] == pytest.approx(electricity["south"], rel=1e-12)
    assert by["electricity"].unit == "kg CO2e" and "east" in values
    gas_m3 = month(raw, "north", "gas-in", "2025-10")
    assert [(r.site, r.value) for r in by["gas"].ranking] == [
        ("north", pytest.approx(gas_m3 * 10.0 * 0.2, rel=1e-12))
    ]
    assert any(f"{gas_m3:,.0f} m3 x 10 kWh/m3" in c for c in result.conversions)


def test_cost_is_ranked_only_within_one_currency(ctx: ToolContext, raw: pd.DataFrame) -> None:
    result = rank_sites(
        ctx,
        {
            "period": "2025-09",
            "measure": "cost",
            "per_m2": False,
            "carrier": "electricity",
            "sites": ["north", "texas"],
        },
    )
    (ranking,) = result.rankings
    assert [(r.site, r.value) for r in ranking.ranking] == [
        ("north", pytest.approx(month(raw, "north", "supply") * 0.2, rel=1e-12))
    ]
    assert ranking.not_ranked == ["south (in USD, not EUR)"]


def test_all_carriers_together_only_when_asked(ctx: ToolContext, raw: pd.DataFrame) -> None:
    plain = rank_sites(ctx, {"period": "2025-09"})
    assert ALL not in {r.carrier for r in plain.rankings}
    mixed = rank_sites(ctx, {"period": "2025-09", "mix_carriers": True})
    (together,) = [r for r in mixed.rankings if r.carrier == ALL]
    north = month(raw, "north", "supply") + month(raw, "north", "gas-in") * 10.0
    assert [(r.site, r.value) for r in together.ranking] == [
        ("north", pytest.approx(north / 10000, rel=1e-12))
    ]
    assert set(together.not_ranked) == {
        "south (no floor area in its catalogue)",
        "east (no floor area in its catalogue)",
    }


def test_no_sites_and_unknown_sites_are_explained(engine: Engine) -> None:
    with pytest.raises(NoSite, match="import-csv"):
        rank_sites(ToolContext(engine, None, NOW), {"period": "2025-09"})


def test_an_unknown_site_is_named(ctx: ToolContext) -> None:
    with pytest.raises(UnknownSite, match=r"west.*sites: east, north, south"):
        rank_sites(ctx, {"period": "2025-09", "sites": ["west"]})
