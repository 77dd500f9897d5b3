"""The eval's truth on a plant unlike the demo (tests/small_plant.py): hourly and daily meters, a
gas meter in m3, production on the line's own meter, the catalogue's dated tariffs, factors,
shifts and closures. Every expected number is worked out here with numpy from the raw arrays."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy import Engine, text

from evals.truth import TruthError, evaluate
from tests.small_plant import (
    CALORIFIC,
    DAYS,
    MISSING_DAY,
    OFFICE_AREA,
    SITE,
    SITE_AREA,
    WEEK,
    SmallPlant,
)

HOUR = np.arange(DAYS * 24) % 24
DAY = np.arange(DAYS * 24) // 24  # 0 = Monday 2 March
Q_HOUR = (np.arange(DAYS * 96) % 96) / 4
Q_DAY = np.arange(DAYS * 96) // 96


@pytest.fixture
def plant(engine: Engine) -> SmallPlant:
    data = SmallPlant.make()
    data.load(engine)
    return data


def truth(engine: Engine, fn: str, **fields: object) -> object:
    return evaluate(engine, {"fn": fn, "site": SITE, "period": WEEK, **fields})


def test_gas_read_in_m3_is_energy_by_the_calorific_value(engine: Engine, plant: SmallPlant) -> None:
    assert truth(engine, "energy", meter="kiln") == pytest.approx(plant.kiln_m3.sum() * CALORIFIC)
    one_day = truth(engine, "energy", meter="kiln", period="2026-03-03")
    assert one_day == pytest.approx(plant.kiln_m3[DAY == 1].sum() * CALORIFIC)
    assert truth(engine, "carbon", meter="kiln") == pytest.approx(
        plant.kiln_m3.sum() * CALORIFIC * 0.25  # the catalogue's gas factor
    )
    assert truth(engine, "cost", meter="kiln") == pytest.approx(
        plant.kiln_m3.sum() * CALORIFIC * 0.3  # the catalogue's gas price per kWh
    )
    with engine.begin() as conn:
        conn.execute(text("UPDATE sites SET gas_calorific_value = NULL"))
    with pytest.raises(TruthError, match=r"read in m3 .* no calorific value"):
        truth(engine, "energy", meter="kiln")


def test_power_follows_each_meters_own_interval(engine: Engine, plant: SmallPlant) -> None:
    assert truth(engine, "peak_demand", meter="supply") == pytest.approx(plant.supply.max())
    peak_hour, peak_day = int(HOUR[np.argmax(plant.supply)]), int(DAY[np.argmax(plant.supply)])
    peak_date = date(2026, 3, 2) + timedelta(days=peak_day)
    assert truth(engine, "peak_time", meter="supply") == f"{peak_date} {peak_hour:02d}:00"
    lf = truth(engine, "load_factor", meter="supply")
    assert lf == pytest.approx(plant.supply.mean() / plant.supply.max())
    assert truth(engine, "peak_demand", meter="press") == pytest.approx(plant.press.max() * 4)
    hourly = plant.press.reshape(-1, 4).sum(axis=1)
    assert truth(engine, "window_peak", meter="press", window_minutes=60) == pytest.approx(
        hourly.max()
    )
    daily_office = np.delete(plant.admin, MISSING_DAY)
    assert truth(engine, "peak_demand", meter="admin") == pytest.approx(daily_office.max() / 24)
    with pytest.raises(TruthError, match="base load needs readings of an hour or less"):
        truth(engine, "base_load", meter="admin")


def test_sec_divides_by_the_lines_own_production(engine: Engine, plant: SmallPlant) -> None:
    assert truth(engine, "sec", meter="press") == pytest.approx(
        plant.press.sum() / plant.made.sum()
    )
    tuesday = truth(engine, "sec", meter="press", period="2026-03-03")
    assert tuesday == pytest.approx(plant.press[Q_DAY == 1].sum() / plant.made[DAY == 1].sum())
    # the supply is the top of the tree: all of the site's production
    assert truth(engine, "sec", meter="supply") == pytest.approx(
        plant.supply.sum() / plant.made.sum()
    )
    office = np.delete(plant.admin, MISSING_DAY).sum()
    assert truth(engine, "sec", meter="admin") == pytest.approx(office / plant.made.sum())


def test_cost_takes_each_days_tariff_and_each_tariffs_demand_charge(
    engine: Engine, plant: SmallPlant
) -> None:
    first = DAY <= 1  # T1 prices Monday and Tuesday (valid to 3 March), T2 the rest
    ponta = (DAY % 7 < 5) & (HOUR >= 18) & (HOUR < 21)
    price = np.where(first, np.where(ponta, 2.0, 0.5), np.where(ponta, 3.0, 0.6))
    energy_cost = (plant.supply * price).sum()
    demand = plant.supply[first].max() * 10 * 2 / 31 + plant.supply[~first].max() * 20 * 5 / 31
    assert truth(engine, "cost", meter="supply") == pytest.approx(energy_cost + demand)
    assert truth(engine, "cost", meter="supply", rate=0.2) == pytest.approx(
        0.2 * (energy_cost + demand)
    )
    assert truth(engine, "tou_share", meter="supply", part="ponta") == pytest.approx(
        100 * plant.supply[ponta].sum() / plant.supply.sum()
    )
    assert truth(engine, "carbon", meter="supply") == pytest.approx(plant.supply.sum() * 0.1)


def test_shifts_wrap_midnight_and_closed_days_are_their_own_part(
    engine: Engine, plant: SmallPlant
) -> None:
    weekday = Q_DAY % 7
    closed_day = 3  # Thursday 5 March, the closure
    day_shift = (weekday < 5) & (Q_HOUR >= 6) & (Q_HOUR < 18)
    evening = (weekday <= 3) & (Q_HOUR >= 22)
    morning = (weekday >= 1) & (weekday <= 4) & (Q_HOUR < 6)
    began = np.where(morning, Q_DAY - 1, Q_DAY)
    night = evening | morning
    closed = (day_shift | night) & (began == closed_day)
    expected = {
        "dia": plant.press[day_shift & ~closed].sum(),
        "noite": plant.press[night & ~closed].sum(),
        "holiday or shutdown": plant.press[closed].sum(),
        "off-shift": plant.press[~(day_shift | night)].sum(),
    }
    for name, kwh in expected.items():
        assert truth(engine, "shift_energy", meter="press", shift=name) == pytest.approx(kwh), name
    share = truth(engine, "shift_share", meter="press", shift="noite")
    assert share == pytest.approx(100 * expected["noite"] / plant.press.sum())


def test_daily_meter_coverage_and_intensity(engine: Engine, plant: SmallPlant) -> None:
    assert truth(engine, "missing_intervals", meter="admin") == 1
    assert truth(engine, "coverage_percent", meter="admin") == pytest.approx(100 * 6 / 7)
    assert truth(engine, "missing_intervals", meter="press") == 0
    office = np.delete(plant.admin, MISSING_DAY).sum()
    assert truth(engine, "intensity", meter="admin") == pytest.approx(office / OFFICE_AREA)
    # the supply has no floor area of its own: the site's, as the top of the tree
    assert truth(engine, "intensity", meter="supply") == pytest.approx(
        plant.supply.sum() / SITE_AREA
    )
    with pytest.raises(TruthError, match="'press' has no floor area"):
        truth(engine, "intensity", meter="press")
    # the site's two supplies together: the site's electricity over the site's floor area
    both = truth(engine, "intensity", meter=["supply", "admin"])
    assert both == pytest.approx((plant.supply.sum() + office) / SITE_AREA)


def test_ranking_converts_gas_and_leaves_parents_out(engine: Engine, plant: SmallPlant) -> None:
    totals = {
        "press": plant.press.sum(),
        "admin": np.delete(plant.admin, MISSING_DAY).sum(),
    }
    order = sorted(totals, key=lambda m: -totals[m])
    # one carrier, electricity unless asked, as rank_meters ranks
    assert truth(engine, "top_n", n=3) == order
    assert truth(engine, "top_n", n=3, kind="electricity") == order
    assert truth(engine, "top_meter_value") == pytest.approx(totals[order[0]])
    gas = plant.kiln_m3.sum() * CALORIFIC
    assert truth(engine, "top_meter_value", kind="gas") == pytest.approx(gas)
    assert truth(engine, "missing_intervals") == 1  # every energy meter, each at its interval


def test_five_minute_readings_are_judged_in_15_minute_windows(
    engine: Engine, plant: SmallPlant
) -> None:
    """Demand, base load and threshold episodes use 15-minute kW even when a meter is read
    every 5 minutes (kpis.md: "the 10th percentile of the 15-minute kW")."""
    from store import catalog
    from store.writes import write_readings
    from tests.small_plant import START, TZ

    rng = np.random.default_rng(11)
    kwh = 1 + rng.uniform(0, 2, DAYS * 288)  # 5-minute kWh
    ts = int(START.timestamp()) + 300 * np.arange(DAYS * 288, dtype=np.int64)
    with engine.begin() as conn:
        site = catalog.get_site(conn, SITE)
        series = catalog.ensure_series(conn, site.id, "air", "energy", "kWh", interval_s=300)
        write_readings(conn, series.id, ts, kwh, TZ)
    quarter_kw = kwh.reshape(-1, 3).sum(axis=1) * 4
    assert truth(engine, "peak_demand", meter="air") == pytest.approx(quarter_kw.max())
    idle = (Q_HOUR < 5) | (Q_DAY % 7 >= 5)
    assert truth(engine, "base_load", meter="air") == pytest.approx(
        np.percentile(quarter_kw[idle], 10)
    )
    above = truth(engine, "hours_above", meter="air", threshold=float(np.median(quarter_kw)))
    assert above == pytest.approx((quarter_kw > np.median(quarter_kw)).sum() / 4)
