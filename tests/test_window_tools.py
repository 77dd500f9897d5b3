"""clock_window, count_episodes, compare_meters and share_of against pandas over raw readings."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from common.errors import InsufficientData, UnknownMeter
from store import catalog
from store.writes import write_readings
from tools.base import ToolContext
from tools.contrast import compare_meters, share_of
from tools.windows import clock_window, count_episodes

TZ = "Europe/Berlin"
ZONE = ZoneInfo(TZ)
START = datetime(2026, 10, 1, tzinfo=ZONE)  # the clock goes back on 25 October
DAYS = 35


@pytest.fixture
def plant(engine: Engine) -> tuple[ToolContext, pd.DataFrame]:
    rng = np.random.default_rng(5)
    ts = int(START.timestamp()) + 900 * np.arange(96 * DAYS, dtype=np.int64)
    local = pd.to_datetime(ts, unit="s", utc=True).tz_convert(TZ)
    raw = pd.DataFrame({"local": local, "ts": ts})
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "works", TZ)
        catalog.ensure_meter(conn, site.id, "grid", kind="electricity")
        for meter, scale in (("press", 40.0), ("oven", 25.0)):
            values = rng.gamma(4.0, scale / 4, len(ts))
            if meter == "press":
                values[500:506] = 300.0  # 90 minutes at 1200 kW
                values[900:902] = 300.0  # 30 minutes
                values[1300:1303] = 300.0  # 45 minutes
            catalog.ensure_meter(conn, site.id, meter, kind="electricity", parent="grid")
            sid = catalog.ensure_series(conn, site.id, meter, "energy", "kWh").id
            write_readings(conn, sid, ts, values, TZ)
            raw[meter] = values
        raw["grid"] = raw["press"] + raw["oven"] + rng.gamma(2.0, 5.0, len(ts))
        sid = catalog.ensure_series(conn, site.id, "grid", "energy", "kWh").id
        write_readings(conn, sid, ts, raw["grid"].to_numpy(), TZ)
    ctx = ToolContext(engine=engine, site=site, now=START + timedelta(days=DAYS))
    return ctx, raw


def between(raw: pd.DataFrame, first: str, last: str) -> pd.DataFrame:
    day = raw["local"].dt.tz_localize(None).dt.normalize()
    return raw[(day >= pd.Timestamp(first)) & (day <= pd.Timestamp(last))]


def test_a_window_past_midnight_over_a_week_with_the_clock_change(plant) -> None:
    ctx, raw = plant
    week = between(raw, "2026-10-19", "2026-10-25")
    minute = week["local"].dt.hour * 60 + week["local"].dt.minute
    night = week[(minute >= 22 * 60) | (minute < 6 * 60)]
    both = night["press"] + night["oven"]
    result = clock_window(
        ctx,
        {"meters": ["press", "oven"], "period": "2026-10-19..2026-10-25", "hours": "22:00-06:00"},
    )
    assert result.energy_kwh == pytest.approx(both.sum(), rel=1e-12)
    assert result.metered_hours == len(night) / 4  # 25 October has an hour more
    assert result.average_kw == pytest.approx((both * 4).mean(), rel=1e-12)
    whole = (week["press"] + week["oven"]).sum()
    assert result.share_percent == pytest.approx(100 * both.sum() / whole, rel=1e-12)
    assert [p.meter for p in result.parts] == ["press", "oven"]
    assert result.parts[1].energy_kwh == pytest.approx(night["oven"].sum(), rel=1e-12)
    assert result.window == "22:00-06:00 every day"


def test_weekday_mornings(plant) -> None:
    ctx, raw = plant
    october = between(raw, "2026-10-01", "2026-10-31")
    local = october["local"]
    inside = october[(local.dt.day_of_week < 5) & (local.dt.hour >= 6) & (local.dt.hour < 10)]
    result = clock_window(
        ctx,
        {"meters": ["press"], "period": "2026-10", "hours": "06:00-10:00", "days": [0, 1, 2, 3, 4]},
    )
    assert result.energy_kwh == pytest.approx(inside["press"].sum(), rel=1e-12)
    assert result.average_kw == pytest.approx((inside["press"] * 4).mean(), rel=1e-12)
    assert result.window == "06:00-10:00 Mon-Fri" and result.parts == []
    assert len(result.points) == inside["local"].dt.date.nunique()


def test_the_peak_demand_inside_a_window_of_meters_added_up(plant) -> None:
    ctx, raw = plant
    october = between(raw, "2026-10-01", "2026-10-31")
    minute = october["local"].dt.hour * 60 + october["local"].dt.minute
    night = october[(minute >= 22 * 60) | (minute < 6 * 60)]
    kw = (night["press"] + night["oven"]) * 4
    result = clock_window(
        ctx, {"meters": ["press", "oven"], "period": "2026-10", "hours": "22:00-06:00"}
    )
    assert result.peak_kw == pytest.approx(kw.max(), rel=1e-12)
    assert result.peak_at == night["local"].loc[kw.idxmax()].isoformat()
    assert result.peak_minutes == 15
    # the month's highest demand is by day: the peak is the window's own
    assert result.peak_kw < ((october["press"] + october["oven"]) * 4).max()


@pytest.mark.parametrize(
    ("minutes", "strict", "count"), [(30, True, 2), (30, False, 3), (0, True, 3), (60, True, 1)]
)
def test_episodes_above_a_threshold_that_last(
    plant, minutes: float, strict: bool, count: int
) -> None:
    ctx, raw = plant
    kw = (raw["press"] * 4).to_numpy()
    result = count_episodes(
        ctx,
        {"meters": ["press"], "period": "2026-10", "threshold_kw": 1000, "min_minutes": minutes,
         "strictly_longer": strict},
    )  # fmt: skip
    assert (kw > 1000).sum() == 11  # the three injected runs and nothing else
    assert result.count == count
    assert result.episodes[0].start == raw["local"].iloc[500].isoformat()
    assert result.episodes[0].minutes == 90 and result.episodes[0].peak_kw == 1200
    assert result.hours == pytest.approx(sum(e.minutes for e in result.episodes) / 60)


def test_episodes_over_an_hour_window_on_the_sites_clock(plant) -> None:
    ctx, raw = plant
    series = raw.set_index("local")["press"]
    hourly = series.resample("60min").sum()
    expected = int((hourly > 600).sum())
    result = count_episodes(
        ctx, {"meters": ["press"], "period": "2026-10", "threshold_kw": 600, "window_minutes": 60}
    )
    assert sum(round(e.minutes / 60) for e in result.episodes) == expected
    assert result.window_minutes == 60 and result.window_source == "stated in the question"


def test_which_of_two_used_more_and_by_how_much(plant) -> None:
    ctx, raw = plant
    october = between(raw, "2026-10-01", "2026-10-31")
    press, oven = october["press"].sum(), october["oven"].sum()
    result = compare_meters(ctx, {"sides": [["oven"], ["press"]], "period": "2026-10"})
    assert [s.value for s in result.sides] == pytest.approx([oven, press], rel=1e-12)
    assert result.largest == "press" and result.smallest == "oven"
    assert result.difference == pytest.approx(oven - press, rel=1e-9)
    assert result.percent == pytest.approx(100 * (oven - press) / press, rel=1e-9)
    grouped = compare_meters(ctx, {"sides": [["press", "oven"], ["grid"]], "period": "2026-10"})
    assert grouped.sides[0].label == "press + oven"
    assert grouped.sides[0].value == pytest.approx(press + oven, rel=1e-12)
    assert grouped.largest == "grid"


def test_shares_of_the_parent_or_of_a_named_whole(plant) -> None:
    ctx, raw = plant
    q = between(raw, "2026-10-01", "2026-10-31")
    result = share_of(ctx, {"meters": ["press", "oven"], "period": "2026-10"})
    assert result.whole == "grid" and result.whole_from == "parent"
    assert result.percent == pytest.approx(100 * (q["press"] + q["oven"]).sum() / q["grid"].sum())
    named = share_of(ctx, {"meters": ["oven"], "of": ["press"], "period": "2026-10"})
    assert named.percent == pytest.approx(100 * q["oven"].sum() / q["press"].sum())
    assert named.whole_from == "named"


def test_bad_input_is_named(plant) -> None:
    ctx, _ = plant
    with pytest.raises(ValidationError, match="not a clock window"):
        clock_window(ctx, {"meters": ["press"], "period": "2026-10", "hours": "late"})
    with pytest.raises(ValidationError, match="starts and ends at the same time"):
        clock_window(ctx, {"meters": ["press"], "period": "2026-10", "hours": "06:00-06:00"})
    with pytest.raises(ValidationError, match="weekdays are 0"):
        clock_window(
            ctx, {"meters": ["press"], "period": "2026-10", "hours": "06:00-08:00", "days": [9]}
        )
    with pytest.raises(UnknownMeter):
        compare_meters(ctx, {"sides": [["press"], ["kiln"]], "period": "2026-10"})
    with pytest.raises(InsufficientData, match="no parent meter"):
        share_of(ctx, {"meters": ["grid"], "period": "2026-10"})
    # the supply that feeds a meter is more than all of it: no share of over 100 % is given
    with pytest.raises(InsufficientData, match="grid feeds press"):
        share_of(ctx, {"meters": ["grid"], "of": ["press"], "period": "2026-10"})
    with pytest.raises(InsufficientData, match="no energy readings"):
        count_episodes(ctx, {"meters": ["press"], "period": "2025-01", "threshold_kw": 10})
