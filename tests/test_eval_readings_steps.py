"""Meters of different intervals added up by the eval's truth (evals.readings.summed): the finer
readings go into intervals of the coarser laid from the site's local midnight, checked against
pandas grouping the raw readings by local day and local hour."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from evals.dataset import TruthSpec
from evals.readings import summed
from store import catalog
from store.writes import write_readings

# Berlin around the day the clocks go back (25 hours), Kolkata at UTC+05:30 and Kathmandu at
# UTC+05:45, where an interval laid from UTC midnight or a UTC hour splits the local day.
ZONES = {"berlin": "Europe/Berlin", "kolkata": "Asia/Kolkata", "kathmandu": "Asia/Kathmandu"}
DAYS = ("2026-10-24", "2026-10-25", "2026-10-26")


def local_days(tz: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex([pd.Timestamp(d, tz=tz) for d in DAYS])


def raw(tz: str, freq: str, rng: np.random.Generator) -> pd.Series:
    """Readings of one interval over the three local days, at random values."""
    end = pd.Timestamp(DAYS[-1]) + pd.Timedelta(days=1)
    times = pd.date_range(pd.Timestamp(DAYS[0], tz=tz), end.tz_localize(tz), freq=freq)
    times = times[:-1] if freq != "D" else local_days(tz)
    return pd.Series(rng.uniform(1, 9, len(times)), index=times)


@pytest.fixture
def plant(engine: Engine) -> tuple[Engine, dict[tuple[str, str], pd.Series]]:
    """Each site: a daily, an hourly and a quarter-hourly meter."""
    rng = np.random.default_rng(9)
    made: dict[tuple[str, str], pd.Series] = {}
    with engine.begin() as conn:
        for site_name, tz in ZONES.items():
            site = catalog.ensure_site(conn, site_name, tz)
            for meter, freq, seconds in (
                ("day", "D", 86400),
                ("hour", "h", 3600),
                ("q", "15min", 900),
            ):
                catalog.ensure_meter(conn, site.id, meter, kind="electricity")
                series = catalog.ensure_series(
                    conn, site.id, meter, "energy", "kWh", interval_s=seconds
                )
                values = raw(tz, freq, rng)
                ts = np.array([int(t.timestamp()) for t in values.index], dtype=np.int64)
                write_readings(conn, series.id, ts, values.to_numpy(np.float64), tz)
                made[(site_name, meter)] = values
    return engine, made


def added(engine: Engine, site: str, meters: list[str]) -> pd.Series:
    spec = TruthSpec(fn="energy", site=site, meter=meters, period=f"{DAYS[0]}..{DAYS[-1]}")
    with engine.connect() as conn:
        return summed(conn, spec).values


@pytest.mark.parametrize("site", list(ZONES))
def test_a_daily_meter_and_a_finer_one_add_up_by_local_day(
    plant: tuple[Engine, dict[tuple[str, str], pd.Series]], site: str
) -> None:
    engine, made = plant
    tz = ZONES[site]
    found = added(engine, site, ["day", "q"])
    fine = made[(site, "q")]
    by_day = fine.groupby(fine.index.strftime("%Y-%m-%d")).sum()
    expected = made[(site, "day")].to_numpy() + by_day.loc[list(DAYS)].to_numpy()
    assert list(found.index) == list(local_days(tz))
    assert found.to_numpy() == pytest.approx(expected)
    assert found.sum() == pytest.approx(made[(site, "day")].sum() + fine.sum())


@pytest.mark.parametrize("site", list(ZONES))
def test_an_hourly_meter_and_a_finer_one_add_up_by_local_hour(
    plant: tuple[Engine, dict[tuple[str, str], pd.Series]], site: str
) -> None:
    engine, made = plant
    found = added(engine, site, ["hour", "q"])
    fine, hourly = made[(site, "q")], made[(site, "hour")]
    # each quarter's local hour, as the UTC time it starts at: shifted by the part of the
    # zone's offset that is not whole hours, floored to the hour, shifted back
    offset = pd.to_timedelta([t.utcoffset().total_seconds() % 3600 for t in fine.index], unit="s")
    utc = fine.index.tz_convert("UTC")
    by_hour = fine.groupby((utc + offset).floor("h") - offset).sum()
    expected = hourly.to_numpy() + by_hour.reindex(hourly.index.tz_convert("UTC")).to_numpy()
    assert list(found.index.minute) == [0] * len(found)
    assert list(found.index) == list(hourly.index)
    assert found.to_numpy() == pytest.approx(expected)
