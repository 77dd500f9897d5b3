"""Sub-meters ranked within one carrier, the unmetered remainder of complete trees, carriers
mixed only when asked, and gas read in m3 as energy, on SQLite and PostgreSQL against pandas
over the raw readings."""

from __future__ import annotations

import textwrap
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from common.errors import InsufficientData
from connectors.catalog_file import parse_plant
from connectors.catalog_sync import apply_plant
from store import catalog
from store.writes import write_readings
from tools.base import ToolContext
from tools.compare import rank_meters
from tools.kpi import compute_kpi
from tools.query import query_metric
from tools.resolve import NoCalorificValue
from tools.scope import AmbiguousCarrier

TZ = "Europe/Berlin"
ZONE = ZoneInfo(TZ)
START = datetime(2025, 9, 1, tzinfo=ZONE)
CV = 10.55
GAP = slice(96 * 9, 96 * 9 + 40)  # oven off-line for 10 hours on 10 September

PLANT = textwrap.dedent(
    f"""\
    version: 1
    site: {{name: works, timezone: {TZ}, gas_calorific_value_kwh_per_m3: {CV}}}
    meters:
      - {{name: supply, carrier: electricity}}
      - {{name: press, carrier: electricity, parent: supply}}
      - {{name: oven, carrier: electricity, parent: supply}}
      - {{name: hvac, carrier: electricity, parent: supply}}
      - {{name: gas-main, carrier: gas, unit: m3}}
      - {{name: kiln, carrier: gas, unit: m3, parent: gas-main}}
      - {{name: boiler, carrier: gas, unit: m3, parent: gas-main}}
    """
)
# No electricity; a heat tree whose sub-meters add up to more than their parent.
OTHER = textwrap.dedent(
    """\
    version: 1
    site: {name: annex, timezone: Europe/Berlin}
    meters:
      - {name: heat-main, carrier: heat}
      - {name: h1, carrier: heat, parent: heat-main}
      - {name: h2, carrier: heat, parent: heat-main}
      - {name: gas-in, carrier: gas}
      - {name: tank, carrier: gas, unit: m3}
    """
)


def readings() -> pd.DataFrame:
    """30 days of quarter-hours; each parent is its children plus a positive remainder,
    except heat-main, which reads 10 % below its children."""
    rng = np.random.default_rng(11)
    n = 96 * 30
    ts = int(START.timestamp()) + 900 * np.arange(n, dtype=np.int64)
    v = {m: rng.gamma(2.0, s / 2, n) for m, s in [("press", 12), ("oven", 8), ("hvac", 4)]}
    v["supply"] = v["press"] + v["oven"] + v["hvac"] + rng.uniform(0.5, 1.5, n)
    v["kiln"], v["boiler"] = rng.uniform(1, 3, n), rng.uniform(0.5, 2, n)
    v["gas-main"] = v["kiln"] + v["boiler"] + rng.uniform(0.05, 0.2, n)
    v["h1"], v["h2"] = rng.uniform(10, 20, n), rng.uniform(5, 10, n)
    v["heat-main"] = 0.9 * (v["h1"] + v["h2"])
    v["gas-in"], v["tank"] = rng.uniform(3, 4, n), rng.uniform(0.1, 0.2, n)
    rows = []
    for meter, values in v.items():
        keep = np.ones(n, bool)
        if meter == "oven":
            keep[GAP] = False
        rows.append(pd.DataFrame({"meter": meter, "ts": ts[keep], "value": values[keep]}))
    frame = pd.concat(rows, ignore_index=True)
    frame["local"] = pd.to_datetime(frame["ts"], unit="s", utc=True).dt.tz_convert(TZ)
    return frame


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return readings()


VOLUME = {"gas-main", "kiln", "boiler", "tank"}


@pytest.fixture
def sites(engine: Engine, raw: pd.DataFrame) -> dict[str, ToolContext]:
    apply_plant(engine, parse_plant(PLANT, "works.yaml", "yaml"))
    apply_plant(engine, parse_plant(OTHER, "annex.yaml", "yaml"))
    out = {}
    with engine.begin() as conn:
        for name in ("works", "annex"):
            site = catalog.get_site(conn, name)
            for meter in catalog.list_meters(conn, site.id):
                rows = raw[raw["meter"] == meter.name]
                metric, unit = ("volume", "m3") if meter.name in VOLUME else ("energy", "kWh")
                sid = catalog.ensure_series(
                    conn, site.id, meter.name, metric, unit, interval_s=900
                ).id
                write_readings(conn, sid, rows["ts"].to_numpy(), rows["value"].to_numpy(), TZ)
            out[name] = ToolContext(engine, site, datetime(2025, 10, 5, tzinfo=ZONE))
    return out


def total(raw: pd.DataFrame, meter: str, first: str, last: str) -> float:
    day = raw["local"].dt.strftime("%Y-%m-%d")
    rows = raw[(raw["meter"] == meter) & (day >= first) & (day <= last)]
    return float(rows["value"].sum())


def test_sub_meters_of_one_carrier_with_the_unmetered_remainder(
    sites: dict[str, ToolContext], raw: pd.DataFrame
) -> None:
    # 1-9 September: every sub-meter metered throughout, so the tree is complete
    result = rank_meters(sites["works"], {"period": "2025-09-01..2025-09-09"})
    kids = {m: total(raw, m, "2025-09-01", "2025-09-09") for m in ("press", "oven", "hvac")}
    parent = total(raw, "supply", "2025-09-01", "2025-09-09")
    assert result.carrier == "electricity" and result.excluded_totals == ["supply"]
    assert [r.meter for r in result.ranking] == sorted(kids, key=lambda m: -kids[m])
    for r in result.ranking:
        assert r.value == pytest.approx(kids[r.meter], rel=1e-12)
        assert r.share_percent == pytest.approx(100 * kids[r.meter] / parent, rel=1e-9)
    (rest,) = result.unmetered
    assert rest.complete and rest.unmetered == pytest.approx(parent - sum(kids.values()))
    assert rest.share_percent is not None
    total_share = sum(r.share_percent for r in result.ranking) + rest.share_percent
    assert total_share == pytest.approx(100)
    # the gas meters are not ranked among the electrical sub-meters, and the answer says so
    assert any(x.startswith("kiln (gas)") for x in result.left_out)


def test_a_sub_meter_with_a_gap_leaves_no_remainder(
    sites: dict[str, ToolContext], raw: pd.DataFrame
) -> None:
    result = rank_meters(sites["works"], {"period": "2025-09"})
    (rest,) = result.unmetered
    assert not rest.complete and rest.unmetered is None
    covered = 100 * (96 * 30 - 40) / (96 * 30)
    assert rest.note is not None and f"oven covers {covered:.1f}% of the parent" in rest.note
    kids = {m: total(raw, m, "2025-09-01", "2025-09-30") for m in ("press", "oven", "hvac")}
    assert rest.sub_meters == pytest.approx(sum(kids.values()), rel=1e-12)
    # without a remainder the shares are of the ranked meters' sum
    for r in result.ranking:
        assert r.share_percent == pytest.approx(100 * kids[r.meter] / sum(kids.values()))


def test_gas_sub_meters_read_in_m3_rank_in_kwh_with_the_conversion_stated(
    sites: dict[str, ToolContext], raw: pd.DataFrame
) -> None:
    result = rank_meters(sites["works"], {"period": "2025-09", "kind": "gas"})
    m3 = {m: total(raw, m, "2025-09-01", "2025-09-30") for m in ("kiln", "boiler", "gas-main")}
    assert result.unit == "kWh" and result.carrier == "gas"
    assert {r.meter: r.value for r in result.ranking} == {
        "kiln": pytest.approx(m3["kiln"] * CV, rel=1e-12),
        "boiler": pytest.approx(m3["boiler"] * CV, rel=1e-12),
    }
    (rest,) = result.unmetered
    expected = (m3["gas-main"] - m3["kiln"] - m3["boiler"]) * CV
    assert rest.complete and rest.unmetered == pytest.approx(expected, rel=1e-9)
    assert any(f"{m3['kiln']:,.0f} m3 x 10.55 kWh/m3" in c for c in result.conversions)
    named = rank_meters(sites["works"], {"period": "2025-09", "meter": "gas-main"})
    assert [r.meter for r in named.ranking] == [r.meter for r in result.ranking]


def test_carriers_mix_only_when_asked_then_in_kwh(
    sites: dict[str, ToolContext], raw: pd.DataFrame
) -> None:
    period = ("2025-09-01", "2025-09-09")
    result = rank_meters(
        sites["works"], {"period": "2025-09-01..2025-09-09", "mix_carriers": True, "top": 100}
    )
    kwh = {m: total(raw, m, *period) for m in ("press", "oven", "hvac")}
    kwh |= {m: total(raw, m, *period) * CV for m in ("kiln", "boiler")}
    assert result.carrier == "electricity + gas" and result.unit == "kWh"
    assert {r.meter: r.value for r in result.ranking} == pytest.approx(kwh, rel=1e-12)
    remainders = {u.meter: u.unmetered for u in result.unmetered}
    supply = total(raw, "supply", *period) - sum(kwh[m] for m in ("press", "oven", "hvac"))
    gas = (total(raw, "gas-main", *period)) * CV - kwh["kiln"] - kwh["boiler"]
    assert remainders == pytest.approx({"supply": supply, "gas-main": gas}, rel=1e-9)
    whole = sum(kwh.values()) + supply + gas
    top = result.ranking[0]
    assert top.share_percent == pytest.approx(100 * kwh[top.meter] / whole, rel=1e-9)
    assert len(result.conversions) == 2


def test_children_above_their_parent_are_flagged(
    sites: dict[str, ToolContext], raw: pd.DataFrame
) -> None:
    with pytest.raises(AmbiguousCarrier, match=r"gas, heat.*mix_carriers"):
        rank_meters(sites["annex"], {"period": "2025-09"})
    result = rank_meters(sites["annex"], {"period": "2025-09", "carrier": "heat"})
    (rest,) = result.unmetered
    kids = total(raw, "h1", "2025-09-01", "2025-09-30") + total(
        raw, "h2", "2025-09-01", "2025-09-30"
    )
    parent = total(raw, "heat-main", "2025-09-01", "2025-09-30")
    assert rest.complete and rest.unmetered == pytest.approx(parent - kids, rel=1e-9)
    assert rest.note is not None and "add up to" in rest.note and "more than heat-main" in rest.note
    assert sum(r.share_percent for r in result.ranking) == pytest.approx(100)
    # a gas meter read in m3 at a site without a calorific value: refused, naming the key
    with pytest.raises(NoCalorificValue, match="gas_calorific_value_kwh_per_m3"):
        query_metric(sites["annex"], {"meters": ["tank"], "period": "2025-09"})
    gas = rank_meters(sites["annex"], {"period": "2025-09", "carrier": "gas"})
    assert [r.meter for r in gas.ranking] == ["gas-in"]
    assert any("tank" in x and "calorific" in x for x in gas.left_out)


def test_gas_in_m3_as_energy_in_query_and_kpi(
    sites: dict[str, ToolContext], raw: pd.DataFrame
) -> None:
    ctx = sites["works"]
    m3 = total(raw, "boiler", "2025-09-01", "2025-09-30")
    result = query_metric(ctx, {"meters": ["boiler"], "period": "2025-09"})
    assert result.unit == "kWh" and result.metric == "energy"
    assert result.totals[0].value == pytest.approx(m3 * CV, rel=1e-12)
    assert result.conversions == [
        f"boiler: {m3:,.0f} m3 x 10.55 kWh/m3 = {m3 * CV:,.0f} kWh "
        "(gas calorific value, site catalogue)"
    ]
    volume = query_metric(ctx, {"meters": ["boiler"], "metric": "volume", "period": "2025-09"})
    assert volume.unit == "m3" and volume.totals[0].value == pytest.approx(m3, rel=1e-12)
    kpi = compute_kpi(ctx, {"kpi": "energy", "meter": "boiler", "period": "2025-09"})
    assert kpi.value == pytest.approx(m3 * CV, rel=1e-12)
    assert any("m3 x 10.55 kWh/m3" in c for c in kpi.caveats)
    carbon = compute_kpi(ctx, {"kpi": "carbon", "meter": "boiler", "period": "2025-09"})
    factor = ctx.config.emission_factors["gas"]
    assert carbon.value == pytest.approx(m3 * CV * factor, rel=1e-12)


def test_bad_scope_inputs_are_explained(sites: dict[str, ToolContext]) -> None:
    with pytest.raises(InsufficientData, match="press has no electricity sub-meters"):
        rank_meters(sites["works"], {"period": "2025-09", "meter": "press"})
    with pytest.raises(InsufficientData, match="no water meters with energy"):
        rank_meters(sites["works"], {"period": "2025-09", "carrier": "water"})


def test_a_remainder_counts_only_sub_meters_of_the_parents_carrier(engine: Engine) -> None:
    plant = textwrap.dedent(
        """\
        version: 1
        site: {name: hall, timezone: UTC}
        meters:
          - {name: hall-supply, carrier: electricity}
          - {name: lights, carrier: electricity, parent: hall-supply}
          - {name: heater, carrier: gas, parent: hall-supply}
        """
    )
    apply_plant(engine, parse_plant(plant, "hall.yaml", "yaml"))
    ts = int(datetime(2025, 9, 1, tzinfo=ZoneInfo("UTC")).timestamp()) + 900 * np.arange(96)
    rng = np.random.default_rng(3)
    values = {"hall-supply": rng.uniform(20, 30, 96), "lights": rng.uniform(5, 10, 96)}
    values["heater"] = rng.uniform(1, 2, 96)
    with engine.begin() as conn:
        site = catalog.get_site(conn, "hall")
        for meter, v in values.items():
            sid = catalog.ensure_series(conn, site.id, meter, "energy", "kWh", interval_s=900).id
            write_readings(conn, sid, ts, v, "UTC")
    ctx = ToolContext(engine, site, datetime(2025, 9, 5, tzinfo=ZoneInfo("UTC")))
    result = rank_meters(
        ctx, {"period": "2025-09-01", "meter": "hall-supply", "mix_carriers": True}
    )
    assert {r.meter for r in result.ranking} == {"lights", "heater"}
    (rest,) = result.unmetered
    expected = float(values["hall-supply"].sum() - values["lights"].sum())
    assert rest.unmetered == pytest.approx(expected, rel=1e-9)
    assert rest.note == "heater not counted (not electricity)"
    gas_only = rank_meters(ctx, {"period": "2025-09-01", "meter": "hall-supply", "carrier": "gas"})
    (none,) = gas_only.unmetered
    assert none.unmetered is None and "another carrier than electricity" in (none.note or "")


DEEP = textwrap.dedent(
    """\
    version: 1
    site: {name: mill, timezone: UTC, floor_area_m2: 5000}
    meters:
      - {name: intake, carrier: electricity}
      - {name: board-west, carrier: electricity, parent: intake}
      - {name: saw, carrier: electricity, parent: board-west}
      - {name: planer, carrier: electricity, parent: board-west}
      - {name: board-east, carrier: electricity, parent: intake}
      - {name: kiln-fans, carrier: electricity, parent: board-east}
      - {name: canteen, carrier: electricity, floor_area_m2: 300}
    """
)


@pytest.fixture
def mill(engine: Engine) -> tuple[ToolContext, dict[str, np.ndarray]]:
    """Three levels (supply, boards, machines) beside a second top meter with no sub-meters;
    each board and the supply read their children plus an unmetered rest."""
    apply_plant(engine, parse_plant(DEEP, "mill.yaml", "yaml"))
    rng = np.random.default_rng(5)
    n = 96 * 3
    v = {m: rng.uniform(lo, hi, n) for m, lo, hi in [("saw", 30, 40), ("planer", 5, 9)]}
    v["kiln-fans"], v["canteen"] = rng.uniform(20, 28, n), rng.uniform(8, 12, n)
    v["board-west"] = v["saw"] + v["planer"] + rng.uniform(1, 2, n)
    v["board-east"] = v["kiln-fans"] + rng.uniform(0.5, 1, n)
    v["intake"] = v["board-west"] + v["board-east"] + rng.uniform(3, 4, n)
    ts = int(datetime(2025, 9, 1, tzinfo=ZoneInfo("UTC")).timestamp()) + 900 * np.arange(n)
    with engine.begin() as conn:
        site = catalog.get_site(conn, "mill")
        for meter, values in v.items():
            sid = catalog.ensure_series(conn, site.id, meter, "energy", "kWh", interval_s=900).id
            write_readings(conn, sid, ts, values, "UTC")
    return ToolContext(engine, site, datetime(2025, 9, 5, tzinfo=ZoneInfo("UTC"))), v


def test_a_deep_tree_ranks_its_end_meters_and_leaves_every_board_out(
    mill: tuple[ToolContext, dict[str, np.ndarray]],
) -> None:
    ctx, v = mill
    result = rank_meters(ctx, {"period": "2025-09-01..2025-09-03"})
    ends = {m: float(v[m].sum()) for m in ("saw", "planer", "kiln-fans", "canteen")}
    assert [r.meter for r in result.ranking] == sorted(ends, key=lambda m: -ends[m])
    assert {r.meter: r.value for r in result.ranking} == pytest.approx(ends, rel=1e-12)
    assert set(result.excluded_totals) == {"intake", "board-west", "board-east"}
    rests = {u.meter: u.unmetered for u in result.unmetered}
    west = float(v["board-west"].sum()) - ends["saw"] - ends["planer"]
    east = float(v["board-east"].sum()) - ends["kiln-fans"]
    assert rests == pytest.approx({"board-west": west, "board-east": east}, rel=1e-9)
    whole = sum(ends.values()) + west + east
    top = result.ranking[0]
    assert top.share_percent == pytest.approx(100 * ends[top.meter] / whole, rel=1e-9)
    # a board named ranks its own children only
    named = rank_meters(ctx, {"period": "2025-09-01..2025-09-03", "meter": "intake"})
    assert {r.meter for r in named.ranking} == {"board-west", "board-east"}


def test_site_intensity_is_refused_for_one_supply_of_several(
    mill: tuple[ToolContext, dict[str, np.ndarray]],
) -> None:
    ctx, v = mill
    period = {"kpi": "intensity", "period": "2025-09-01..2025-09-03"}
    # the canteen has a supply of its own: the site's 5,000 m2 is not the intake's alone
    with pytest.raises(
        InsufficientData, match=r"intake is one of the site's electricity supplies \(with canteen\)"
    ):
        compute_kpi(ctx, period | {"meter": "intake"})
    own = compute_kpi(ctx, period | {"meter": "canteen"})
    assert own.value == pytest.approx(float(v["canteen"].sum()) / 300, rel=1e-12)
    # a board has neither its own area nor the site's: refused, naming what to add
    with pytest.raises(InsufficientData, match="board-west has no floor area"):
        compute_kpi(ctx, period | {"meter": "board-west"})
