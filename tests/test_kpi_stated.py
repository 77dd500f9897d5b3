"""compute_kpi with what a question states (an emission factor, prices and time-of-use windows,
a demand charge and window, a currency), with meters added up, and average power, against
pandas over the raw 15-minute readings."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from common.errors import InsufficientData
from store import catalog
from store.writes import write_readings
from tools.base import AnalyticsConfig, Tariff, ToolContext
from tools.kpi import InvalidKpiRequest, compute_kpi

TZ = "Europe/Berlin"
ZONE = ZoneInfo(TZ)
START = datetime(2026, 3, 1, tzinfo=ZONE)
DAYS = 40
SITE_TARIFF = Tariff(
    name="Site TOU",
    periods=(((0, 1, 2, 3, 4), 8, 20, 0.30),),
    default_price=0.10,
    demand_charge_per_kw=10.0,
    is_default=False,
    source="site catalogue",
)


@pytest.fixture
def plant(engine: Engine) -> tuple[ToolContext, pd.DataFrame]:
    rng = np.random.default_rng(11)
    ts = int(START.timestamp()) + 900 * np.arange(96 * DAYS, dtype=np.int64)
    local = pd.to_datetime(ts, unit="s", utc=True).tz_convert(TZ)
    raw = pd.DataFrame({"local": local})
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "works", TZ)
        for meter, kind, scale in (("press", "electricity", 30.0), ("oven", "electricity", 20.0),
                                   ("kiln", "gas", 50.0)):  # fmt: skip
            values = rng.gamma(3.0, scale / 3, len(ts))
            catalog.ensure_meter(conn, site.id, meter, kind=kind)
            sid = catalog.ensure_series(conn, site.id, meter, "energy", "kWh").id
            write_readings(conn, sid, ts, values, TZ)
            raw[meter] = values
    config = AnalyticsConfig(
        tariffs={"electricity": SITE_TARIFF}, emission_factors={"electricity": 0.38}
    )
    ctx = ToolContext(engine=engine, site=site, now=START + timedelta(days=DAYS), config=config)
    return ctx, raw


def march(raw: pd.DataFrame) -> pd.DataFrame:
    return raw[raw["local"].dt.month == 3]


def kpi(ctx: ToolContext, **args: object):
    return compute_kpi(ctx, {"meter": "press", "period": "2026-03", **args})


def test_a_stated_emission_factor_replaces_the_sites_and_is_echoed(plant) -> None:
    ctx, raw = plant
    result = kpi(ctx, kpi="carbon", emission_factor=0.42)
    assert result.value == pytest.approx(march(raw)["press"].sum() * 0.42, rel=1e-12)
    assert [(p.name, p.value, p.source) for p in result.parameters] == [
        ("emission factor", "0.42 kg CO2e/kWh", "stated in the question")
    ]
    default = kpi(ctx, kpi="carbon")
    assert default.value == pytest.approx(march(raw)["press"].sum() * 0.38, rel=1e-12)
    assert default.parameters[0].source != "stated in the question"


def test_a_stated_time_of_use_tariff_without_demand_charge(plant) -> None:
    ctx, raw = plant
    rows = march(raw)
    inside = (rows["local"].dt.day_of_week < 5) & (rows["local"].dt.hour >= 7)
    inside &= rows["local"].dt.hour < 19
    expected = float((rows["press"] * np.where(inside, 0.28, 0.14)).sum())
    result = kpi(
        ctx,
        kpi="cost",
        price_per_kwh=0.14,
        tou_periods=[{"days": [0, 1, 2, 3, 4], "start": "07:00", "end": "19:00", "price": 0.28}],
        currency="EUR",
    )
    assert result.value == pytest.approx(expected, rel=1e-12)
    assert result.details["demand_cost"] == 0
    echoed = {p.name: (p.value, p.source) for p in result.parameters}
    assert echoed["prices"] == (
        "0.28 EUR/kWh Mon-Fri 07:00-19:00, 0.14 EUR/kWh at other times",
        "stated in the question",
    )
    # the question said nothing of a demand charge: not attributed to it
    assert echoed["demand charge"] == (
        "none",
        "the question gave energy prices only; the site's is not added",
    )
    assert "demand charge x" not in result.method


def test_a_demand_charge_is_attributed_to_the_question_only_when_it_states_one(plant) -> None:
    ctx, raw = plant
    rows = march(raw).set_index("local")["press"]
    none = kpi(ctx, kpi="cost", price_per_kwh=0.2, demand_charge_per_kw=0.0, currency="EUR")
    echoed = {p.name: (p.value, p.source) for p in none.parameters}
    assert echoed["prices"] == ("0.2 EUR/kWh at all times", "stated in the question")
    assert echoed["demand charge"] == ("none", "stated in the question")
    assert none.value == pytest.approx(float(rows.sum()) * 0.2, rel=1e-12)
    charged = kpi(ctx, kpi="cost", price_per_kwh=0.2, demand_charge_per_kw=7.0, currency="EUR")
    echoed = {p.name: (p.value, p.source) for p in charged.parameters}
    assert echoed["demand charge"] == ("7 EUR/kW of each month's peak", "stated in the question")
    demand = float(rows.max()) * 4 * 7.0  # quarter-hour kWh x 4 is kW; the month is whole
    assert charged.details["demand_cost"] == pytest.approx(demand, rel=1e-12)
    # the site's energy prices beside a stated charge: the prices name no demand charge
    site = kpi(ctx, kpi="cost", demand_charge_per_kw=7.0)
    echoed = {p.name: (p.value, p.source) for p in site.parameters}
    assert "demand charge" not in echoed["prices"][0]
    assert echoed["demand charge"][1] == "stated in the question"


def test_a_flat_price_for_two_meters_added_up(plant) -> None:
    ctx, raw = plant
    rows = march(raw)
    result = kpi(ctx, kpi="cost", with_meters=["oven"], price_per_kwh=0.19)
    assert result.value == pytest.approx(float((rows["press"] + rows["oven"]).sum()) * 0.19)
    assert result.meters == ["press", "oven"] and result.meter == "press + oven"


def test_a_stated_demand_charge_on_the_sites_tariff_over_a_30_minute_window(plant) -> None:
    ctx, raw = plant
    rows = march(raw).set_index("local")["press"]
    weekday = rows.index.day_of_week < 5
    peak_hours = weekday & (rows.index.hour >= 8) & (rows.index.hour < 20)
    energy = float((rows * np.where(peak_hours, 0.30, 0.10)).sum())
    demand = rows.resample("30min").sum().max() * 2 * 12.0  # the whole month is metered
    result = kpi(ctx, kpi="cost", demand_charge_per_kw=12.0, demand_window_minutes=30)
    assert result.details["energy_cost"] == pytest.approx(energy, rel=1e-12)
    assert result.details["demand_cost"] == pytest.approx(demand, rel=1e-12)
    names = [(p.name, p.source) for p in result.parameters]
    assert ("demand charge", "stated in the question") in names
    assert ("demand window", "stated in the question") in names


def test_the_combined_peak_of_two_meters_and_its_time(plant) -> None:
    ctx, raw = plant
    rows = march(raw).set_index("local")
    both = (rows["press"] + rows["oven"]) * 4
    result = kpi(ctx, kpi="peak_demand", with_meters=["oven"])
    assert result.value == pytest.approx(both.max())
    assert result.details["at"] == both.idxmax().isoformat()
    hourly = (rows["press"] + rows["oven"]).resample("60min").sum()
    assert kpi(
        ctx, kpi="peak_demand", with_meters=["oven"], demand_window_minutes=60
    ).value == pytest.approx(hourly.max())


def test_average_power_is_energy_over_metered_hours(plant) -> None:
    ctx, raw = plant
    rows = march(raw)
    result = kpi(ctx, kpi="average_power")
    assert result.unit == "kW"
    assert result.value == pytest.approx((rows["press"] * 4).mean(), rel=1e-12)


def test_what_cannot_be_combined_or_stated_is_refused_with_the_reason(plant) -> None:
    ctx, _ = plant
    with pytest.raises(InvalidKpiRequest, match="different carriers"):
        kpi(ctx, kpi="energy", with_meters=["kiln"])
    # press and oven are all the site's electricity supplies: their intensity together is the
    # site's, which needs the site's floor area, and this site has none
    with pytest.raises(InsufficientData, match="no floor area"):
        kpi(ctx, kpi="intensity", with_meters=["oven"])
    with pytest.raises(InvalidKpiRequest, match="price of the other hours"):
        kpi(ctx, kpi="cost", tou_periods=[{"start": "07:00", "end": "19:00", "price": 0.3}])
    bad_time = {"start": "7", "end": "19:00", "price": 0.3}
    with pytest.raises(ValidationError, match="not a time of day"):
        kpi(ctx, kpi="cost", price_per_kwh=0.1, tou_periods=[bad_time])
    bad_day = {"days": [7], "start": "07:00", "end": "19:00", "price": 0.3}
    with pytest.raises(ValidationError, match="weekdays are 0"):
        kpi(ctx, kpi="cost", price_per_kwh=0.1, tou_periods=[bad_day])
    with pytest.raises(ValidationError):
        kpi(ctx, kpi="carbon", emission_factor=-1)
