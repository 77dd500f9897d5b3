"""The reader question sets' truth functions against a small hand-built store whose answers are
worked out by hand below (never by the functions under test)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import Engine

from evals.truth import TruthError, evaluate
from store import catalog
from store.writes import write_readings

TZ = "Europe/Berlin"
DAY = "2026-03-02"  # a Monday in winter time (UTC+1), in a 31-day month
START = datetime(2026, 3, 2, tzinfo=ZoneInfo(TZ))
QUARTERS = [START + timedelta(minutes=15 * i) for i in range(96)]


def _a(moment: datetime) -> float:
    """Meter a: 1 kWh a quarter (4 kW); 2 kWh (8 kW) from 22:00; 5 kWh (20 kW) at 10:00,
    10:15, 10:30 and 12:00."""
    if (moment.hour, moment.minute) in ((10, 0), (10, 15), (10, 30), (12, 0)):
        return 5.0
    return 2.0 if moment.hour >= 22 else 1.0


def _b(moment: datetime) -> float:
    """Meter b: 0.5 kWh a quarter (2 kW), 4 kWh (16 kW) at 10:15."""
    return 4.0 if (moment.hour, moment.minute) == (10, 15) else 0.5


def _made(moment: datetime, units: float) -> float:
    return units if 6 <= moment.hour < 14 else 0.0


@pytest.fixture
def store(engine: Engine) -> Engine:
    """Site 't': incomer (a + b + 0.5 kWh of losses a quarter) over sub-meters a and b, and the
    production meters a-output (10 units a quarter 06:00-14:00) and b-output (5 units)."""
    ts = np.array([int(q.timestamp()) for q in QUARTERS], dtype=np.int64)
    columns = {
        ("a", "energy", "kWh"): [_a(q) for q in QUARTERS],
        ("b", "energy", "kWh"): [_b(q) for q in QUARTERS],
        ("incomer", "energy", "kWh"): [_a(q) + _b(q) + 0.5 for q in QUARTERS],
        ("a-output", "production", "unit"): [_made(q, 10) for q in QUARTERS],
        ("b-output", "production", "unit"): [_made(q, 5) for q in QUARTERS],
    }
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "t", TZ)
        catalog.ensure_meter(conn, site.id, "incomer", kind="electricity")
        for name in ("a", "b"):
            catalog.ensure_meter(conn, site.id, name, kind="electricity", parent="incomer")
        for name in ("a-output", "b-output"):
            catalog.ensure_meter(conn, site.id, name, kind="production", unit="unit")
        for (meter, metric, unit), values in columns.items():
            series = catalog.ensure_series(conn, site.id, meter, metric, unit, interval_s=900)
            write_readings(conn, series.id, ts, np.array(values, dtype=np.float64), TZ)
        ids = {m.name: m.id for m in catalog.list_meters(conn, site.id)}
        catalog.set_production_links(conn, ids["a"], [ids["a-output"]])  # SEC by the catalogue
    return engine


def truth(db: Engine, **spec: object) -> object:
    return evaluate(db, {"site": "t", "period": DAY, **spec})


def test_clock_windows(store: Engine) -> None:
    # 22:00-24:00: 8 quarters x 2 kWh; 00:00-06:00: 24 quarters x 1 kWh; 8 hours in all
    assert truth(store, fn="window_energy", meter="a", hours="22:00-06:00") == pytest.approx(40.0)
    assert truth(store, fn="window_average_kw", meter="a", hours="22-6") == pytest.approx(5.0)
    assert truth(store, fn="window_share", meter="a", hours="22:00-06:00") == pytest.approx(
        100 * 40 / 120
    )
    assert truth(store, fn="window_energy", meter="a", hours="06:00-10:00") == pytest.approx(16.0)
    assert truth(store, fn="window_energy", meter=["a", "b"], hours="10:00-10:30") == (
        pytest.approx(5 + 5 + 0.5 + 4)
    )
    # the day is a Monday: a weekend-only window holds nothing
    assert truth(store, fn="window_energy", meter="a", days=[5, 6]) == 0.0


def test_clock_window_errors(store: Engine) -> None:
    with pytest.raises(TruthError, match="no intervals"):
        truth(store, fn="window_average_kw", meter="a", days=[6])
    with pytest.raises(TruthError, match="HH:MM"):
        truth(store, fn="window_energy", meter="a", hours="night")


def test_averages_and_profile(store: Engine) -> None:
    assert truth(store, fn="average_power", meter="a") == pytest.approx(120 / 24)
    assert truth(store, fn="average_power", meter=["a", "b"]) == pytest.approx((120 + 51.5) / 24)
    # hour 10 averages (5 + 5 + 5 + 1) / 4 kWh = 16 kW; the evening hours 8 kW
    assert truth(store, fn="profile_peak_hour", meter="a") == "10:00"


def test_window_peaks(store: Engine) -> None:
    # 10:15: a 5 kWh + b 4 kWh = 9 kWh in a quarter = 36 kW
    assert truth(store, fn="window_peak", meter=["a", "b"]) == pytest.approx(36.0)
    assert truth(store, fn="window_peak_time", meter=["a", "b"]) == "10:15"
    assert truth(store, fn="window_peak", meter="a") == pytest.approx(20.0)
    # 10:00-10:30 holds 10 kWh (20 kW); 10:00-11:00 holds 16 kWh (16 kW)
    assert truth(store, fn="window_peak", meter="a", window_minutes=30) == pytest.approx(20.0)
    assert truth(store, fn="window_peak", meter="a", window_minutes=60) == pytest.approx(16.0)
    assert truth(store, fn="window_peak_time", meter="a", window_minutes=60) == "10:00"


def test_episodes(store: Engine) -> None:
    above = {"fn": "episodes_above", "meter": "a", "threshold": 10}
    # above 10 kW: 10:00-10:45 (45 minutes) and 12:00-12:15
    assert truth(store, **above) == 2.0
    assert truth(store, **above, min_minutes=30) == 1.0
    assert truth(store, **above, min_minutes=45) == 0.0
    assert truth(store, **{**above, "fn": "hours_above"}) == pytest.approx(1.0)
    assert truth(store, **{**above, "fn": "hours_above"}, min_minutes=30) == pytest.approx(0.75)
    # below 5 kW: 00:00-10:00 (10 h), 10:45-12:00 (75 min), 12:15-22:00 (9 h 45)
    below = {"fn": "episodes_above", "meter": "a", "threshold": 5, "condition": "<"}
    assert truth(store, **below) == 3.0
    assert truth(store, **below, min_minutes=120) == 2.0
    with pytest.raises(TruthError, match="threshold"):
        truth(store, fn="episodes_above", meter="a")


def test_shares_and_two_meters(store: Engine) -> None:
    # a 120 kWh, b 51.5 kWh, incomer 120 + 51.5 + 96 x 0.5 = 219.5 kWh
    assert truth(store, fn="share", meter="a") == pytest.approx(100 * 120 / 219.5)
    assert truth(store, fn="share", meter="b", base_meter="a") == pytest.approx(100 * 51.5 / 120)
    assert truth(store, fn="share", meter="a", base_meter=["a", "b"]) == pytest.approx(
        100 * 120 / 171.5
    )
    assert truth(store, fn="meters_difference", meter=["a", "b"]) == pytest.approx(68.5)
    assert truth(store, fn="meters_difference", meter=["b", "a"]) == pytest.approx(-68.5)
    assert truth(store, fn="meters_pct", meter=["a", "b"]) == pytest.approx(100 * 68.5 / 51.5)
    assert truth(store, fn="larger_meter", meter=["b", "a"]) == "a"
    with pytest.raises(TruthError, match="two meters"):
        truth(store, fn="meters_pct", meter="a")
    with pytest.raises(TruthError, match="no parent"):
        truth(store, fn="share", meter="incomer")


def test_user_tariffs(store: Engine) -> None:
    assert truth(store, fn="tariff_cost", meter="a", price=0.2) == pytest.approx(24.0)
    # 08:00-20:00 on the Monday: 48 quarters of 1 kWh + 12 + 4 extra = 64 kWh; the rest 56 kWh
    tou = {"fn": "tariff_cost", "meter": "a", "price": 0.2, "peak_price": 0.3}
    assert truth(store, **tou, peak_hours="08:00-20:00") == pytest.approx(64 * 0.3 + 56 * 0.2)
    assert truth(store, **tou, peak_hours="08:00-20:00", peak_days=[5, 6]) == pytest.approx(24.0)
    # demand charge: 20 kW peak x 10 per kW, one day of March's 31
    charged = truth(store, **tou, peak_hours="08:00-20:00", demand_charge=10, rate=2)
    assert charged == pytest.approx(2 * (64 * 0.3 + 56 * 0.2 + 20 * 10 / 31))
    assert truth(store, fn="tariff_cost", meter=["a", "b"], price=0.1) == pytest.approx(17.15)
    with pytest.raises(TruthError, match="price"):
        truth(store, fn="tariff_cost", meter="a")
    with pytest.raises(TruthError, match="peak_hours"):
        truth(store, fn="tariff_cost", meter="a", price=0.2, peak_price=0.3)


def test_a_user_tariffs_references_are_its_own_parts(store: Engine) -> None:
    from evals.dataset import TruthSpec
    from evals.references import references

    def refs(**spec: object) -> list[float]:
        return references(store, TruthSpec.model_validate({"site": "t", "period": DAY, **spec}))

    # a flat price has no demand charge: 120 kWh x 0.2, 0 demand, then a's 120 kWh (twice:
    # the meter and the sum of the one meter)
    assert refs(fn="tariff_cost", meter="a", price=0.2) == pytest.approx([24.0, 0, 120, 120])
    # a demand charge of 10 per kW: 20 kW peak for one day of March's 31, x rate 2
    charged = refs(fn="tariff_cost", meter="a", price=0.2, demand_charge=10, rate=2)
    assert charged[:2] == pytest.approx([2 * 24.0, 2 * 20 * 10 / 31])
    # the site's default tariff (0.24/0.16 and 9.5 per kW) is no part of the user's cost
    site_energy_cost = 64 * 0.24 + 56 * 0.16
    assert all(abs(value - site_energy_cost) > 0.01 for value in charged)
    # a user tariff of a demand charge alone keeps the site's energy prices beside it: the
    # site's energy part and that part plus the user's demand charge may be stated
    demand_only = refs(fn="tariff_cost", meter="a", price=0, demand_charge=10)
    user_demand = 20 * 10 / 31
    assert demand_only[:2] == pytest.approx([0.0, user_demand])
    assert any(abs(v - site_energy_cost) < 0.01 for v in demand_only)
    assert any(abs(v - (site_energy_cost + user_demand)) < 0.01 for v in demand_only)
    # a converted cost may stand beside the figures it was converted from: total and parts
    # before the rate are references too, and only when a rate was stated
    before = [24.0 + 20 * 10 / 31, 24.0, 20 * 10 / 31]
    assert charged[2:5] == pytest.approx(before)
    flat = refs(fn="tariff_cost", meter="a", price=0.2, demand_charge=10)
    assert all(abs(value - before[0]) > 0.01 for value in flat)


def test_default_cost_in_another_currency(store: Engine) -> None:
    # default tariff: 0.24 Mon-Fri 08-20, else 0.16, 9.5 per kW of the month's peak (pro rata)
    eur = 64 * 0.24 + 56 * 0.16 + 20 * 9.5 / 31
    assert truth(store, fn="cost", meter="a") == pytest.approx(eur)
    assert truth(store, fn="cost", meter="a", rate=1.1) == pytest.approx(1.1 * eur)


def test_user_factor_and_production_groups(store: Engine) -> None:
    assert truth(store, fn="carbon", meter=["a", "b"], factor=0.5) == pytest.approx(85.75)
    assert truth(store, fn="carbon", meter="a") == pytest.approx(120 * 0.38)
    # a-output made 32 x 10 = 320 units, b-output 32 x 5 = 160
    assert truth(store, fn="sec", meter="a") == pytest.approx(120 / 320)
    assert truth(store, fn="sec", meter="a", production_meter=["a-output", "b-output"]) == (
        pytest.approx(120 / 480)
    )


def test_demand_windows_follow_the_local_clock_in_a_half_hour_zone(engine: Engine) -> None:
    """Asia/Kolkata is UTC+05:30: an hourly window starts at a full local hour, not at a full
    UTC hour (which is :30 local)."""
    zone = ZoneInfo("Asia/Kolkata")
    quarters = [datetime(2026, 3, 2, tzinfo=zone) + timedelta(minutes=15 * i) for i in range(96)]
    # 10:00-11:00 local holds 4 x 5 kWh = 20 kWh (20 kW over the hour); the UTC-aligned hours
    # 09:30-10:30 and 10:30-11:30 hold only 2 x 5 + 2 x 1 = 12 kWh each
    values = [5.0 if q.hour == 10 else 1.0 for q in quarters]
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "k", "Asia/Kolkata")
        catalog.ensure_meter(conn, site.id, "m", kind="electricity")
        series = catalog.ensure_series(conn, site.id, "m", "energy", "kWh", interval_s=900)
        ts = np.array([int(q.timestamp()) for q in quarters], dtype=np.int64)
        write_readings(conn, series.id, ts, np.array(values), "Asia/Kolkata")
    spec = {"site": "k", "meter": "m", "period": "2026-03-02", "window_minutes": 60}
    assert evaluate(engine, {"fn": "window_peak", **spec}) == pytest.approx(20.0)
    assert evaluate(engine, {"fn": "window_peak_time", **spec}) == "10:00"
    half = {**spec, "window_minutes": 30}
    assert evaluate(engine, {"fn": "window_peak", **half}) == pytest.approx(20.0)
    assert evaluate(engine, {"fn": "window_peak_time", **half}) == "10:00"


def test_a_sum_of_meters_with_different_intervals_is_taken_on_the_coarser_interval(
    engine: Engine,
) -> None:
    """q: 1 kWh a quarter (4 kW); f: five-minute readings of 0.1 kWh (1.2 kW), and 1 kWh
    (12 kW) in the one five minutes at 10:05. Summed per quarter the peak quarter is 10:00:
    1 + 1 + 0.1 + 0.1 = 2.2 kWh, 8.8 kW; the average is (96 + 288 x 0.1 + 0.9) / 24 h."""
    fives = [START + timedelta(minutes=5 * i) for i in range(288)]

    def q(moment: datetime) -> float:
        return 1.0

    def f(moment: datetime) -> float:
        return 1.0 if (moment.hour, moment.minute) == (10, 5) else 0.1

    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "t", TZ)
        for name, moments, step, value in (
            ("q", QUARTERS, 900, q),
            ("f", fives, 300, f),
        ):
            catalog.ensure_meter(conn, site.id, name, kind="electricity")
            series = catalog.ensure_series(conn, site.id, name, "energy", "kWh", interval_s=step)
            ts = np.array([int(m.timestamp()) for m in moments], dtype=np.int64)
            values = np.array([value(m) for m in moments], dtype=np.float64)
            write_readings(conn, series.id, ts, values, TZ)
    for order in (["q", "f"], ["f", "q"]):
        assert truth(engine, fn="window_peak", meter=order, window_minutes=15) == (
            pytest.approx(2.2 * 4)
        )
        assert truth(engine, fn="average_power", meter=order) == pytest.approx(
            (96 + 288 * 0.1 + 0.9) / 24
        )
