"""A cost priced from whole local hours equals the quarter-hours' cost and an independent
pandas computation over the raw readings, for random tariffs (windows on the hour and on the
half hour, a tariff change, demand charges) and periods, in zones with DST, a half-hour
offset, both, and a half-hour DST shift."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from store import catalog, memo
from store.writes import write_readings
from tools import kpi
from tools.base import AnalyticsConfig, Tariff, ToolContext
from tools.kpi import compute_kpi

FIRST = date(2026, 2, 20)
DAYS = 80  # over the spring DST changes of Berlin, St. John's and Lord Howe (5 April)
ZONES = ("Europe/Berlin", "Asia/Kolkata", "America/St_Johns", "Australia/Lord_Howe")
# Lord Howe moves its clock by half an hour: an hour there may not be one wall-clock hour.
HALF_HOUR_DST = "Australia/Lord_Howe"


@dataclass(frozen=True)
class Plant:
    ctx: ToolContext
    tz: str
    raw: dict[str, pd.DataFrame]  # meter -> ts (epoch s), kwh


@pytest.fixture(params=ZONES)
def plant(request: pytest.FixtureRequest, engine: Engine) -> Plant:
    """A 15-minute meter with gaps and a 5-minute one, 80 days from 20 February 2026."""
    tz = request.param
    rng = np.random.default_rng(11)
    start = int(datetime.combine(FIRST, datetime.min.time(), ZoneInfo(tz)).timestamp())
    raw = {}
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "plant", tz)
        for meter, step in (("press", 900), ("oven", 300)):
            ts = start + step * np.arange(DAYS * 86400 // step, dtype=np.int64)
            ts = ts[rng.random(len(ts)) > 0.02]  # readings missing here and there
            kwh = rng.gamma(2.0, 3.0 * step / 900, len(ts)).round(3)
            kwh[rng.integers(0, len(ts), 6)] *= 8  # a few peaks
            sid = catalog.ensure_series(conn, site.id, meter, "energy", "kWh").id
            write_readings(conn, sid, ts, kwh, tz)
            raw[meter] = pd.DataFrame({"ts": ts, "kwh": kwh})
    now = datetime.combine(FIRST + timedelta(days=DAYS), datetime.min.time(), ZoneInfo(tz))
    return Plant(ToolContext(engine, site, now, AnalyticsConfig()), tz, raw)


@pytest.fixture
def hourly_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Whether each cost was read in hours (True) or left to the quarter-hours (False)."""
    seen: list[bool] = []
    real = kpi.read_hours

    def recording(*args: Any, **kwargs: Any) -> Any:
        found = real(*args, **kwargs)
        seen.append(found is not None)
        return found

    monkeypatch.setattr(kpi, "read_hours", recording)
    yield seen


# ------------------------------------------------------------------ the independent computation


def _in_window(weekday: pd.Series, hour: pd.Series, window: tuple[Any, ...]) -> pd.Series:
    days, start, end, _ = window
    if start < end:
        return weekday.isin(days) & (hour >= start) & (hour < end)
    after = [(d + 1) % 7 for d in days]
    return (weekday.isin(days) & (hour >= start)) | (weekday.isin(after) & (hour < end))


def expected_cost(
    raw: pd.DataFrame, tz: str, lo: int, hi: int, tariffs: tuple[Tariff, ...], window_s: int
) -> tuple[float, float, dict[str, float]]:
    """Energy cost, demand cost and each month's peak kW, reading by reading: each reading in
    the local quarter-hour it starts in, priced at that quarter-hour's wall-clock time by the
    tariff valid on its day; the demand window's kW from the readings in the same local
    window; each tariff's charge on each month's peak, pro rata to the days it priced."""
    utc = pd.to_datetime(raw["ts"], unit="s", utc=True)
    offset = (utc.dt.tz_convert(tz).dt.tz_localize(None) - utc.dt.tz_localize(None)).dt
    off = offset.total_seconds().astype(np.int64)
    quarter = raw["ts"] - (raw["ts"] + off) % 900
    rows = raw.assign(quarter=quarter, window=raw["ts"] - (raw["ts"] + off) % window_s)
    rows = rows[(rows["quarter"] >= lo) & (rows["quarter"] < hi)].copy()
    wall = pd.to_datetime(rows["quarter"] + off[rows.index], unit="s")  # its wall-clock start
    rows["day"] = wall.dt.date
    rows["month"] = wall.dt.year * 100 + wall.dt.month
    hour = wall.dt.hour + wall.dt.minute / 60
    rows["tariff"] = -1
    rows["price"] = np.nan
    for k, t in enumerate(tariffs):
        valid = rows["day"].map(t.valid_on) & (rows["tariff"] < 0)
        rows.loc[valid, "tariff"] = k
        price = pd.Series(t.default_price, index=rows.index)
        done = pd.Series(False, index=rows.index)
        for w in t.periods:
            hit = ~done & _in_window(wall.dt.day_of_week, hour, w)
            price[hit] = w[3]
            done |= hit
        rows.loc[valid, "price"] = price[valid]
    energy = float((rows["kwh"] * rows["price"]).sum())
    rows["kw"] = rows.groupby("window")["kwh"].transform("sum") / (window_s / 3600)
    demand, peaks = 0.0, {}
    for (month, k), part in rows.groupby(["month", "tariff"]):
        year, m = divmod(int(month), 100)
        month_days = pd.Period(f"{year}-{m:02d}").days_in_month
        charge = tariffs[int(k)].demand_charge_per_kw
        demand += part["kw"].max() * charge * part["day"].nunique() / month_days
    for month, part in rows.groupby("month"):
        year, m = divmod(int(month), 100)
        peaks[f"{year}-{m:02d}"] = float(part["kw"].max())
    return energy, demand, peaks


# ------------------------------------------------------------------ random tariffs and periods


@st.composite
def windows(draw: st.DrawFn, half_hours: bool) -> tuple[Any, ...]:
    days = tuple(sorted(draw(st.sets(st.integers(0, 6), min_size=1))))
    step = 0.5 if half_hours else 1.0
    start = draw(st.integers(0, 47 if half_hours else 23)) * step
    end = draw(st.integers(1, 48 if half_hours else 24)) * step
    if start == end:
        end = (start + 2) % 24 or 24.0
    return (days, start, end, draw(st.floats(0.05, 0.5)))


@st.composite
def tariff_plans(draw: st.DrawFn) -> tuple[tuple[Tariff, ...], bool]:
    """One or two tariffs (a change on a random day), windows on the hour or not."""
    half_hours = draw(st.booleans())
    count = draw(st.integers(1, 2))
    change = FIRST + timedelta(days=draw(st.integers(5, DAYS - 5)))
    out = []
    for i in range(count):
        periods = tuple(draw(st.lists(windows(half_hours), max_size=2)))
        out.append(
            Tariff(
                name=f"t{i}",
                periods=periods,
                default_price=draw(st.floats(0.05, 0.3)),
                demand_charge_per_kw=draw(st.sampled_from([0.0, 7.5, 12.0])),
                is_default=False,
                valid_to=change - timedelta(days=1) if count == 2 and i == 0 else None,
            )
        )
    edges = [w[i] for t in out for w in t.periods for i in (1, 2)]
    return tuple(out), all(float(e).is_integer() for e in edges)


@dataclass(frozen=True)
class Ask:
    meter: str
    end: datetime  # the clock: "last N days" ends now
    days: int
    window_minutes: int


@st.composite
def asks(draw: st.DrawFn, tz: str) -> Ask:
    end_day = FIRST + timedelta(days=draw(st.integers(2, DAYS)))
    minutes = draw(st.sampled_from([0, 15, 45, 60 * 13 + 30]))
    end = datetime.combine(end_day, datetime.min.time(), ZoneInfo(tz)) + timedelta(minutes=minutes)
    meter = draw(st.sampled_from(["press", "oven"]))
    days = draw(st.integers(1, (end_day - FIRST).days))
    return Ask(meter, end, days, draw(st.sampled_from([15, 60])))


def _cost(plant: Plant, tariffs: tuple[Tariff, ...], ask: Ask, quarters_first: bool) -> Any:
    config = AnalyticsConfig(tariff_schedule={"electricity": tariffs})
    ctx = ToolContext(plant.ctx.engine, plant.ctx.site, ask.end, config)
    args = {
        "meter": ask.meter,
        "period": f"last {ask.days} days",
        "demand_window_minutes": ask.window_minutes,
    }
    with memo.read_once():
        if quarters_first:  # as a report does: the month's energy, then its cost
            compute_kpi(ctx, {**args, "kpi": "energy"})
        return compute_kpi(ctx, {**args, "kpi": "cost"})


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hours_price_as_the_quarter_hours_and_the_raw_readings(
    plant: Plant, hourly_reads: list[bool], data: st.DataObject
) -> None:
    tariffs, on_the_hour = data.draw(tariff_plans())
    ask = data.draw(asks(plant.tz))
    hourly_reads.clear()
    by_hours = _cost(plant, tariffs, ask, quarters_first=False)
    used_hours, asked = any(hourly_reads), len(hourly_reads)
    by_quarters = _cost(plant, tariffs, ask, quarters_first=True)
    assert len(hourly_reads) == asked  # quarter-hours already read are priced as they are
    if not on_the_hour:
        assert not used_hours  # a window edge at half past leaves the pricing to quarter-hours
    elif plant.tz != HALF_HOUR_DST:
        assert used_hours

    lo = int((ask.end - timedelta(days=ask.days)).timestamp())
    energy, demand, peaks = expected_cost(
        plant.raw[ask.meter],
        plant.tz,
        lo,
        int(ask.end.timestamp()),
        tariffs,
        60 * ask.window_minutes,
    )
    for result in (by_hours, by_quarters):
        assert result.details["energy_cost"] == pytest.approx(energy, rel=1e-9)
        assert result.details["demand_cost"] == pytest.approx(demand, rel=1e-9, abs=1e-9)
        assert result.value == pytest.approx(energy + demand, rel=1e-9)
        shown = {k[len("peak_kw_") :]: v for k, v in result.details.items() if "peak_kw_" in k}
        assert shown == pytest.approx(peaks, rel=1e-9)
    # The same answer to the cent, the same words, the same days charted.
    assert round(by_hours.value, 2) == round(by_quarters.value, 2)
    assert by_hours.method == by_quarters.method and by_hours.caveats == by_quarters.caveats
    assert [p.start for p in by_hours.points] == [p.start for p in by_quarters.points]
    assert [p.value for p in by_hours.points] == pytest.approx(
        [p.value for p in by_quarters.points], rel=1e-9
    )
