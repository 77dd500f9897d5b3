"""The demo plant simulator: deterministic, plausible, and its faults are where it says."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from connectors.plant import EVENT_KINDS, demo_plant
from connectors.simulator import LOSSES, Simulation, simulate

PLANT = demo_plant()
TZ = ZoneInfo(PLANT.timezone)
START = datetime(2025, 11, 24, tzinfo=TZ)
END = datetime(2026, 11, 24, tzinfo=TZ)
ELECTRIC = ["compressor-1", "compressor-2", "chiller", "line-a", "line-b", "lighting", "offices"]


@pytest.fixture(scope="module")
def year() -> Simulation:
    return simulate(PLANT, START, END, seed=42)


def series(sim: Simulation, meter: str, metric: str = "energy") -> pd.Series:
    rows = sim.frame[(sim.frame["meter"] == meter) & (sim.frame["metric"] == metric)]
    return rows.set_index("ts")["value"]


def test_any_window_reproduces_the_history(year: Simulation) -> None:
    # A short window across the autumn DST change, and one across a year boundary.
    for a, b in [
        (datetime(2026, 10, 24, 22, tzinfo=TZ), datetime(2026, 10, 26, 3, tzinfo=TZ)),
        (datetime(2025, 12, 31, 23, tzinfo=TZ), datetime(2026, 1, 1, 1, 7, tzinfo=TZ)),
    ]:
        window = simulate(PLANT, a, b, seed=42).frame
        merged = window.merge(year.frame, on=["ts", "meter", "metric"], suffixes=("", "_year"))
        assert len(merged) == len(window) > 0
        assert (merged["value"] == merged["value_year"]).all()
    other_seed = simulate(PLANT, START, START + timedelta(days=1), seed=7).frame
    assert not np.allclose(other_seed["value"], year.frame["value"][: len(other_seed)])


def test_timestamps_are_aligned_unique_and_inside_the_window(year: Simulation) -> None:
    frame = year.frame
    assert (frame["ts"] % 900 == 0).all()
    assert not frame.duplicated(["ts", "meter", "metric"]).any()
    assert frame["ts"].min() == int(START.timestamp())
    assert frame["ts"].max() == int(END.timestamp()) - 900
    weather = series(year, "weather", "outdoor_temperature")
    local_days = pd.to_datetime(weather.index, unit="s", utc=True).tz_convert(TZ).date
    per_day = pd.Series(1, index=local_days).groupby(level=0).sum()
    spring, autumn = date(2026, 3, 29), date(2026, 10, 25)
    assert per_day[spring] == 92
    assert per_day[autumn] == 100
    assert set(per_day.drop([spring, autumn])) == {96}


def test_main_incomer_is_the_sum_of_sub_meters_plus_losses(year: Simulation) -> None:
    faulty = {e.meter for e in year.events if e.kind in ("meter_outage", "stuck_meter")}
    frame = year.frame[year.frame["metric"] == "energy"]
    wide = frame.pivot(index="ts", columns="meter", values="value")
    mask = pd.Series(True, index=wide.index)
    for e in year.events:
        if e.meter in faulty:
            mask &= ~((wide.index >= e.start.timestamp()) & (wide.index < e.end.timestamp()))
    wide = wide[mask]
    ratio = wide["main-incomer"].sum() / wide[ELECTRIC].sum(axis=1).sum()
    assert ratio == pytest.approx(1 + LOSSES, abs=0.003)
    annual = series(year, "main-incomer").sum()
    assert 2.5e6 < annual < 6e6  # kWh per year: a mid-sized plant


def test_every_fault_kind_appears_in_a_year_and_none_overlap_per_meter(year: Simulation) -> None:
    assert {e.kind for e in year.events} == set(EVENT_KINDS)
    for meter in {e.meter for e in year.events}:
        spans = sorted((e.start, e.end) for e in year.events if e.meter == meter)
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))


def test_outages_have_no_rows_and_stuck_meters_repeat_one_value(year: Simulation) -> None:
    for e in year.events:
        values = series(year, e.meter)
        inside = values[(values.index >= e.start.timestamp()) & (values.index < e.end.timestamp())]
        if e.kind == "meter_outage":
            assert inside.empty
        elif e.kind == "stuck_meter":
            assert inside.nunique() == 1 and len(inside) >= 96


def test_leak_raises_night_load_against_the_weeks_before(year: Simulation) -> None:
    leak = next(e for e in year.events if e.kind == "compressed_air_leak")
    values = series(year, leak.meter)
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    night = pd.Series((local.hour < 4).astype(bool), index=values.index)
    t0, t1 = leak.start.timestamp(), leak.end.timestamp()
    during = values[night & (values.index >= t0) & (values.index < t1)].mean()
    before = values[night & (values.index >= t0 - 21 * 86400) & (values.index < t0)].mean()
    assert during - before == pytest.approx(leak.details["extra_kw"] / 4, rel=0.25)


def test_seasons_drive_cooling_and_heating(year: Simulation) -> None:
    def month_total(meter: str, month: int) -> float:
        values = series(year, meter)
        local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
        return float(values[local.month == month].sum())

    assert month_total("chiller", 7) > 3 * month_total("chiller", 1)
    assert month_total("boiler", 1) > 4 * month_total("boiler", 7)
    temps = series(year, "weather", "outdoor_temperature")
    local = pd.to_datetime(temps.index, unit="s", utc=True).tz_convert(TZ)
    assert temps[local.month == 7].mean() - temps[local.month == 1].mean() > 12


def test_production_follows_shifts_and_holidays(year: Simulation) -> None:
    output = series(year, "line-a-output", "production")
    local = pd.to_datetime(output.index, unit="s", utc=True).tz_convert(TZ)
    assert output[(local.hour < 5)].sum() == 0
    assert output[local.day_of_week == 6].sum() == 0  # Sundays
    christmas = output[(local.month == 12) & (local.day == 25)]
    assert christmas.sum() == 0
    weekday_day = output[(local.day_of_week < 5) & (local.hour == 10) & (local.month == 6)]
    assert weekday_day.mean() > 80


def test_demand_spike_shows_on_the_main_incomer(year: Simulation) -> None:
    spike = next(e for e in year.events if e.kind == "demand_spike")
    main = series(year, "main-incomer") * 4  # kW
    at = main[(main.index >= spike.start.timestamp()) & (main.index < spike.end.timestamp())]
    same_hour_week_before = main[
        (main.index >= spike.start.timestamp() - 7 * 86400)
        & (main.index < spike.end.timestamp() - 7 * 86400)
    ]
    assert at.mean() - same_hour_week_before.mean() > 0.6 * spike.details["extra_kw"]
