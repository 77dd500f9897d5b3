"""compute_kpi against independent computations over the raw 15-minute readings."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from common.errors import InsufficientData
from store import catalog
from store.writes import write_readings
from tools.base import AnalyticsConfig, Tariff, ToolContext
from tools.kpi import compute_kpi

TZ = "Europe/Berlin"
ZONE = ZoneInfo(TZ)
START = datetime(2025, 9, 1, tzinfo=ZONE)
DAYS = 45
TARIFF = Tariff(
    name="test",
    periods=(((0, 1, 2, 3, 4), 8, 20, 0.30),),
    default_price=0.10,
    demand_charge_per_kw=10.0,
    is_default=False,
)


@pytest.fixture
def site(engine: Engine) -> tuple[ToolContext, pd.DataFrame]:
    rng = np.random.default_rng(3)
    ts = int(START.timestamp()) + 900 * np.arange(96 * DAYS, dtype=np.int64)
    local = pd.to_datetime(ts, unit="s", utc=True).tz_convert(TZ)
    working = (local.day_of_week < 5) & (local.hour >= 6) & (local.hour < 22)
    energy = np.where(working, 40.0, 10.0) + rng.gamma(2.0, 2.0, len(ts))
    energy[500] = 130.0  # the peak quarter
    pieces = np.where(working, 100.0, 0.0)
    with engine.begin() as conn:
        s = catalog.ensure_site(conn, "plant", TZ)
        catalog.ensure_meter(conn, s.id, "line-a", floor_area_m2=2000.0)
        catalog.ensure_meter(conn, s.id, "boiler", kind="gas")
        for meter, metric, unit, values in [
            ("line-a", "energy", "kWh", energy),
            ("line-a-output", "production", "unit", pieces),
            ("boiler", "energy", "kWh", energy / 2),
        ]:
            sid = catalog.ensure_series(conn, s.id, meter, metric, unit).id
            write_readings(conn, sid, ts, values, TZ)
    config = AnalyticsConfig(tariffs={"electricity": TARIFF}, emission_factors={"electricity": 0.4})
    ctx = ToolContext(engine=engine, site=s, now=START + timedelta(days=DAYS), config=config)
    raw = pd.DataFrame({"local": local, "kwh": energy, "pieces": pieces})
    return ctx, raw


def kpi(ctx: ToolContext, name: str, period: str = "2025-09", **extra: str):
    return compute_kpi(ctx, {"kpi": name, "meter": "line-a", "period": period, **extra})


def september(raw: pd.DataFrame) -> pd.DataFrame:
    return raw[raw["local"].dt.month == 9]


def test_energy_and_peak_demand(site) -> None:
    ctx, raw = site
    sep = september(raw)
    assert kpi(ctx, "energy").value == pytest.approx(sep["kwh"].sum(), rel=1e-12)
    peak = kpi(ctx, "peak_demand")
    assert peak.value == pytest.approx(130.0 * 4)
    assert peak.details["at"] == raw["local"].iloc[500].isoformat()
    assert peak.unit == "kW" and len(peak.points) == len(sep)


def test_peak_over_a_30_minute_demand_window(site) -> None:
    ctx, raw = site
    ctx30 = ToolContext(ctx.engine, ctx.site, ctx.now, AnalyticsConfig(demand_window_s=1800))
    sep = september(raw).set_index("local")["kwh"]
    expected = sep.resample("30min").sum().max() * 2
    assert kpi(ctx30, "peak_demand").value == pytest.approx(expected)


@pytest.mark.parametrize("minutes", [30, 60])
def test_demand_windows_follow_the_clock_of_a_half_hour_zone(engine: Engine, minutes: int) -> None:
    # At +05:30 a 60-minute window starts at 10:00 local, which is 04:30 UTC: windows aligned
    # in UTC would straddle the site's hours.
    tz = "Asia/Kolkata"
    start = datetime(2026, 3, 2, tzinfo=ZoneInfo(tz))
    ts = int(start.timestamp()) + 900 * np.arange(96 * 3, dtype=np.int64)
    energy = np.full(len(ts), 10.0)
    energy[[41, 42]] = 60.0  # 10:15 and 10:30 local: one local hour, two UTC half-hours
    with engine.begin() as conn:
        s = catalog.ensure_site(conn, "pune", tz)
        sid = catalog.ensure_series(conn, s.id, "press", "energy", "kWh").id
        write_readings(conn, sid, ts, energy, tz)
    config = AnalyticsConfig(demand_window_s=minutes * 60)
    ctx = ToolContext(engine=engine, site=s, now=start + timedelta(days=3), config=config)
    local = pd.Series(energy, index=pd.to_datetime(ts, unit="s", utc=True).tz_convert(tz))
    windows = local.resample(f"{minutes}min").sum() * 60 / minutes
    peak = compute_kpi(ctx, {"kpi": "peak_demand", "meter": "press", "period": "2026-03-02"})
    assert peak.value == pytest.approx(windows.max())
    assert peak.details["at"] == windows.idxmax().isoformat()


def test_load_factor_and_base_load(site) -> None:
    ctx, raw = site
    sep = september(raw)
    kw = sep["kwh"] * 4
    assert kpi(ctx, "load_factor").value == pytest.approx(kw.mean() / kw.max())
    idle = (sep["local"].dt.hour < 5) | (sep["local"].dt.day_of_week >= 5)
    assert kpi(ctx, "base_load").value == pytest.approx(np.percentile(kw[idle], 10))


def test_specific_energy_consumption(site) -> None:
    ctx, raw = site
    sep = september(raw)
    result = kpi(ctx, "sec")
    assert result.unit == "kWh/unit"
    assert result.value == pytest.approx(sep["kwh"].sum() / sep["pieces"].sum())


def test_time_of_use_cost_with_prorated_demand_charge(site) -> None:
    ctx, raw = site
    rows = raw[(raw["local"] >= pd.Timestamp("2025-09-20", tz=TZ))]
    rows = rows[rows["local"] < pd.Timestamp("2025-10-10", tz=TZ)]
    energy_cost = 0.0
    for t, kwh in zip(rows["local"], rows["kwh"], strict=True):
        peak_hours = t.weekday() < 5 and 8 <= t.hour < 20
        energy_cost += kwh * (0.30 if peak_hours else 0.10)
    demand = 0.0
    for month, days_in_month in ((9, 30), (10, 31)):
        part = rows[rows["local"].dt.month == month]
        demand += part["kwh"].max() * 4 * 10.0 * part["local"].dt.date.nunique() / days_in_month
    result = kpi(ctx, "cost", "2025-09-20..2025-10-09")
    assert result.details["energy_cost"] == pytest.approx(energy_cost, rel=1e-9)
    assert result.details["demand_cost"] == pytest.approx(demand, rel=1e-9)
    assert result.value == pytest.approx(energy_cost + demand, rel=1e-9)
    assert result.details["tariff"] == "test"


def test_carbon_intensity_and_gas_cost(site) -> None:
    ctx, raw = site
    sep = september(raw)
    carbon = kpi(ctx, "carbon")
    assert carbon.value == pytest.approx(sep["kwh"].sum() * 0.4)
    assert "configured factor" in carbon.method or "default factor" in carbon.method
    assert kpi(ctx, "intensity").value == pytest.approx(sep["kwh"].sum() / 2000.0)
    gas = compute_kpi(ctx, {"kpi": "cost", "meter": "boiler", "period": "2025-09"})
    assert gas.value == pytest.approx(sep["kwh"].sum() / 2 * ctx.config.gas_price_per_kwh)


def test_missing_prerequisites_are_explained(site) -> None:
    ctx, _ = site
    with pytest.raises(InsufficientData, match="no floor area"):
        compute_kpi(ctx, {"kpi": "intensity", "meter": "boiler", "period": "2025-09"})
    with pytest.raises(InsufficientData, match="no emission factor"):
        compute_kpi(ctx, {"kpi": "carbon", "meter": "boiler", "period": "2025-09"})
    with pytest.raises(InsufficientData, match="no energy readings for line-a"):
        kpi(ctx, "energy", "2024-01")


def test_partial_data_is_a_caveat(site) -> None:
    ctx, _ = site
    in_progress = kpi(ctx, "energy", "2025-10-10..2025-10-20")  # now is 16 October
    assert in_progress.caveats == []  # complete up to now
    later = ToolContext(ctx.engine, ctx.site, datetime(2025, 11, 30, tzinfo=ZONE), ctx.config)
    result = kpi(later, "energy", "2025-10-10..2025-10-20")  # data stopped on 16 October
    assert result.caveats and "have no data" in result.caveats[0]
