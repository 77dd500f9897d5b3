"""query_metric against an independent pandas computation over the raw readings."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from common.errors import InsufficientData, UnknownMeter, UnknownSeries
from store import catalog
from store.writes import write_readings
from tools.base import REGISTRY, ToolContext
from tools.query import query_metric

TZ = "Europe/Berlin"
START = datetime(2025, 9, 20, tzinfo=ZoneInfo(TZ))
NOW = datetime(2025, 11, 5, 13, 7, tzinfo=ZoneInfo(TZ))


@pytest.fixture
def plant(engine: Engine) -> tuple[ToolContext, pd.DataFrame]:
    """Three meters with 15-minute energy and a temperature series; a 6-hour gap on line-a."""
    rng = np.random.default_rng(5)
    ts = int(START.timestamp()) + 900 * np.arange(96 * 46, dtype=np.int64)
    frames = []
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "plant", TZ)
        catalog.ensure_meter(conn, site.id, "compressor-2", aliases=["air compressor 2"])
        for meter, metric, unit in [
            ("compressor-2", "energy", "kWh"),
            ("chiller", "energy", "kWh"),
            ("line-a", "energy", "kWh"),
            ("weather", "outdoor_temperature", "degC"),
        ]:
            sid = catalog.ensure_series(conn, site.id, meter, metric, unit, interval_s=900).id
            values = (
                rng.gamma(3.0, 4.0, len(ts)) if metric == "energy" else rng.normal(9, 4, len(ts))
            )
            keep = np.ones(len(ts), dtype=bool)
            if meter == "line-a":
                keep[1000:1024] = False
            write_readings(conn, sid, ts[keep], values[keep], TZ)
            frames.append(
                pd.DataFrame(
                    {"meter": meter, "metric": metric, "ts": ts[keep], "value": values[keep]}
                )
            )
    raw = pd.concat(frames, ignore_index=True)
    raw["local"] = pd.to_datetime(raw["ts"], unit="s", utc=True).dt.tz_convert(TZ)
    return ToolContext(engine=engine, site=site, now=NOW), raw


def between(raw: pd.DataFrame, meter: str, start: datetime, end: datetime) -> pd.DataFrame:
    rows = raw[(raw["meter"] == meter) & (raw["local"] >= start) & (raw["local"] < end)]
    return rows


def test_monthly_total_across_dst_matches_raw_rows(plant) -> None:
    ctx, raw = plant
    result = query_metric(ctx, {"meters": ["compressor-2"], "period": "2025-10"})
    tz = ZoneInfo(TZ)
    expected = between(
        raw, "compressor-2", datetime(2025, 10, 1, tzinfo=tz), datetime(2025, 11, 1, tzinfo=tz)
    )
    assert result.unit == "kWh" and result.statistic == "sum"
    assert result.totals[0].value == pytest.approx(expected["value"].sum(), rel=1e-12)
    assert result.totals[0].readings == len(expected) == 31 * 96 + 4  # 25-hour day on the 26th
    assert result.period["start"].startswith("2025-10-01T00:00:00+02:00")


def test_daily_points_match_a_local_date_groupby(plant) -> None:
    ctx, raw = plant
    result = query_metric(
        ctx, {"meters": ["air compressor 2"], "period": "2025-10-20..2025-10-31", "grain": "day"}
    )
    rows = raw[raw["meter"] == "compressor-2"]
    by_day = rows.groupby(rows["local"].dt.date)["value"].sum()
    assert len(result.points) == 12
    for point in result.points:
        day = datetime.fromisoformat(point.start).date()
        assert point.value == pytest.approx(by_day[day], rel=1e-12)
    assert {p.meter for p in result.points} == {"compressor-2"}


def test_weekly_and_monthly_grains(plant) -> None:
    ctx, raw = plant
    weekly = query_metric(ctx, {"meters": ["chiller"], "period": "2025-W42", "grain": "week"})
    rows = between(
        raw,
        "chiller",
        datetime(2025, 10, 13, tzinfo=ZoneInfo(TZ)),
        datetime(2025, 10, 20, tzinfo=ZoneInfo(TZ)),
    )
    assert [p.value for p in weekly.points] == [pytest.approx(rows["value"].sum(), rel=1e-12)]
    monthly = query_metric(
        ctx, {"meters": ["chiller"], "period": "2025-09-20..2025-11-04", "grain": "month"}
    )
    assert [p.start[:10] for p in monthly.points] == ["2025-09-01", "2025-10-01", "2025-11-01"]
    assert sum(p.value for p in monthly.points) == pytest.approx(monthly.totals[0].value, rel=1e-12)


def test_levels_average_and_extremes(plant) -> None:
    ctx, raw = plant
    tz = ZoneInfo(TZ)
    rows = between(
        raw, "weather", datetime(2025, 10, 3, tzinfo=tz), datetime(2025, 10, 4, tzinfo=tz)
    )
    avg = query_metric(
        ctx, {"meters": ["weather"], "metric": "outdoor_temperature", "period": "2025-10-03"}
    )
    assert avg.statistic == "avg" and avg.unit == "degC"
    assert avg.totals[0].value == pytest.approx(rows["value"].mean(), rel=1e-12)
    top = query_metric(
        ctx,
        {
            "meters": ["weather"],
            "metric": "outdoor_temperature",
            "period": "2025-10-03",
            "statistic": "max",
        },
    )
    assert top.totals[0].value == pytest.approx(rows["value"].max())


def test_partial_period_ending_now_and_every_meter(plant) -> None:
    ctx, raw = plant
    result = query_metric(ctx, {"period": "last 3 days"})
    start = pd.Timestamp(NOW) - pd.Timedelta(days=3)
    got = {v.meter: v.value for v in result.totals}
    assert set(got) == {"compressor-2", "chiller", "line-a"}
    for meter, value in got.items():
        # A reading counts when its interval starts inside the period.
        rows = raw[(raw["meter"] == meter) & (raw["ts"] >= start.timestamp())]
        rows = rows[rows["local"] < pd.Timestamp(NOW)]
        assert value == pytest.approx(rows["value"].sum(), rel=1e-12)


def test_coverage_counts_the_gap(plant) -> None:
    ctx, _ = plant
    result = query_metric(ctx, {"meters": ["line-a", "chiller"], "period": "2025-09-30"})
    coverage = {v.meter: (v.readings, v.expected_readings) for v in result.totals}
    assert coverage["chiller"] == (96, 96)
    assert coverage["line-a"][0] < 96


def test_unknown_meter_suggests_close_names(plant) -> None:
    ctx, _ = plant
    with pytest.raises(UnknownMeter, match="did you mean compressor-2"):
        query_metric(ctx, {"meters": ["compresor 2"], "period": "yesterday"})


def test_missing_metric_and_empty_period_are_clear(plant) -> None:
    ctx, _ = plant
    with pytest.raises(UnknownSeries, match="has no 'production' series"):
        query_metric(ctx, {"meters": ["chiller"], "metric": "production", "period": "yesterday"})
    with pytest.raises(InsufficientData, match="no energy readings for chiller"):
        query_metric(ctx, {"meters": ["chiller"], "period": "2024-01"})


def test_registered_with_descriptions() -> None:
    spec = REGISTRY["query_metric"]
    schema = spec.input_model.model_json_schema()
    assert all(p.get("description") for p in schema["properties"].values())
    assert "energy" in spec.description


def test_average_power_per_hour_and_meters_added_up(plant) -> None:
    ctx, raw = plant
    tz = ZoneInfo(TZ)
    day = (datetime(2025, 10, 2, tzinfo=tz), datetime(2025, 10, 3, tzinfo=tz))
    rows = between(raw, "line-a", *day)
    result = query_metric(
        ctx, {"meters": ["line-a"], "period": "2025-10-02", "grain": "hour", "statistic": "avg_kw"}
    )
    assert result.unit == "kW" and result.statistic == "avg_kw"
    assert result.totals[0].value == pytest.approx((rows["value"] * 4).mean(), rel=1e-12)
    hourly = (rows.set_index("local")["value"] * 4).resample("1h").mean()
    assert [p.value for p in result.points] == pytest.approx(hourly.to_list(), rel=1e-12)
    both = query_metric(ctx, {"meters": ["line-a", "chiller"], "period": "2025-10-02"})
    expected = rows["value"].sum() + between(raw, "chiller", *day)["value"].sum()
    assert both.combined == pytest.approx(expected, rel=1e-12)
    assert query_metric(ctx, {"meters": ["line-a"], "period": "2025-10-02"}).combined is None
    with pytest.raises(UnknownSeries, match="needs an energy series"):
        query_metric(
            ctx,
            {"meters": ["weather"], "metric": "outdoor_temperature", "period": "2025-10-02",
             "statistic": "avg_kw"},
        )  # fmt: skip
