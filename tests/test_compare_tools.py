"""compare_periods, rank_meters, split_consumption and data_coverage against pandas on raw rows."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from common.errors import NoReadings
from store import catalog
from store.writes import write_readings
from tools.base import ToolContext
from tools.compare import compare_periods, rank_meters
from tools.coverage import data_coverage
from tools.split import split_consumption

TZ = "Europe/Berlin"
ZONE = ZoneInfo(TZ)
START = datetime(2025, 9, 1, tzinfo=ZONE)


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    rng = np.random.default_rng(9)
    ts = int(START.timestamp()) + 900 * np.arange(96 * 61, dtype=np.int64)
    frames = []
    for meter, scale in [("main", 30.0), ("press", 12.0), ("oven", 8.0), ("hvac", 4.0)]:
        values = rng.gamma(2.0, scale / 2, len(ts))
        keep = np.ones(len(ts), bool)
        if meter == "oven":
            keep[2000:2040] = False  # a 10-hour outage
        frames.append(pd.DataFrame({"meter": meter, "ts": ts[keep], "value": values[keep]}))
    frame = pd.concat(frames, ignore_index=True)
    frame["local"] = pd.to_datetime(frame["ts"], unit="s", utc=True).dt.tz_convert(TZ)
    return frame


@pytest.fixture
def ctx(engine: Engine, raw: pd.DataFrame) -> ToolContext:
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "plant", TZ)
        catalog.ensure_meter(conn, site.id, "main")
        for meter, group in raw.groupby("meter"):
            catalog.ensure_meter(
                conn, site.id, str(meter), parent=None if meter == "main" else "main"
            )
            sid = catalog.ensure_series(
                conn, site.id, str(meter), "energy", "kWh", interval_s=900
            ).id
            write_readings(conn, sid, group["ts"].to_numpy(), group["value"].to_numpy(), TZ)
    return ToolContext(engine=engine, site=site, now=datetime(2025, 11, 1, 12, tzinfo=ZONE))


def month(raw: pd.DataFrame, meter: str, m: int) -> pd.Series:
    rows = raw[(raw["meter"] == meter) & (raw["local"].dt.month == m)]
    return rows["value"]


def test_compare_months(ctx: ToolContext, raw: pd.DataFrame) -> None:
    result = compare_periods(
        ctx, {"meters": ["press", "oven"], "period": "2025-10", "reference": "2025-09"}
    )
    for change in result.changes:
        a, b = month(raw, change.meter, 10).sum(), month(raw, change.meter, 9).sum()
        assert change.value == pytest.approx(a, rel=1e-12)
        assert change.reference_value == pytest.approx(b, rel=1e-12)
        assert change.percent == pytest.approx(100 * (a - b) / b, rel=1e-9)


def test_rank_lists_the_sub_meters_with_their_share_of_the_parent(
    ctx: ToolContext, raw: pd.DataFrame
) -> None:
    ranked = rank_meters(ctx, {"period": "2025-10"})
    assert ranked.excluded_totals == ["main"]
    expected = sorted(
        ((m, month(raw, m, 10).sum()) for m in ("press", "oven", "hvac")), key=lambda x: -x[1]
    )
    assert [(r.meter, pytest.approx(r.value, rel=1e-12)) for r in ranked.ranking] == expected
    main = month(raw, "main", 10).sum()
    (rest,) = ranked.unmetered
    assert rest.unmetered == pytest.approx(main - sum(v for _, v in expected), rel=1e-9)
    # in October every sub-meter was metered throughout: shares are of main's total
    for r in ranked.ranking:
        assert r.share_percent == pytest.approx(100 * r.value / main, rel=1e-9)
    named = rank_meters(ctx, {"period": "2025-10", "meter": "main", "top": 1})
    assert [r.meter for r in named.ranking] == [expected[0][0]]


def test_weekday_weekend_and_shift_split(ctx: ToolContext, raw: pd.DataFrame) -> None:
    rows = raw[(raw["meter"] == "press") & (raw["local"].dt.month == 9)]
    weekend = rows["local"].dt.day_of_week >= 5
    result = split_consumption(
        ctx, {"meter": "press", "period": "2025-09", "by": "weekday_weekend"}
    )
    parts = {p.name: p.value for p in result.parts}
    assert parts["weekend"] == pytest.approx(rows.loc[weekend, "value"].sum(), rel=1e-12)
    assert parts["weekday"] == pytest.approx(rows.loc[~weekend, "value"].sum(), rel=1e-12)
    shifts = split_consumption(ctx, {"meter": "press", "period": "2025-09", "by": "shift"})
    hour = rows["local"].dt.hour
    early = rows[(rows["local"].dt.day_of_week < 5) & (hour >= 6) & (hour < 14)]["value"].sum()
    assert {p.name: p.value for p in shifts.parts}["early"] == pytest.approx(early, rel=1e-12)
    assert sum(p.value for p in shifts.parts) == pytest.approx(rows["value"].sum(), rel=1e-12)


def test_hourly_profile_is_average_power(ctx: ToolContext, raw: pd.DataFrame) -> None:
    rows = raw[(raw["meter"] == "hvac") & (raw["local"].dt.month == 9)]
    result = split_consumption(ctx, {"meter": "hvac", "period": "2025-09", "by": "hour_of_day"})
    assert result.unit == "kW" and [p.name for p in result.parts][:2] == ["00:00", "01:00"]
    seven = rows[rows["local"].dt.hour == 7]["value"]
    assert result.parts[7].value == pytest.approx(seven.sum() / (len(seven) / 4), rel=1e-12)


def test_coverage_finds_the_outage(ctx: ToolContext, raw: pd.DataFrame) -> None:
    result = data_coverage(ctx, {"period": "2025-09", "min_gap_minutes": 60})
    by_meter = {m.meter: m for m in result.meters}
    assert by_meter["press"].coverage_percent == 100 and by_meter["press"].gaps == []
    oven = by_meter["oven"]
    assert oven.present_intervals == oven.expected_intervals - 40
    assert len(oven.gaps) == 1 and oven.gaps[0].hours == 10
    missing_start = pd.Timestamp(int(START.timestamp()) + 900 * 2000, unit="s", tz="UTC")
    assert oven.gaps[0].start == missing_start.tz_convert(TZ).isoformat()


def test_comparison_without_data_is_explained(ctx: ToolContext) -> None:
    # NoReadings: the offline model refuses (nothing to compute) rather than answering
    with pytest.raises(NoReadings) as raised:
        compare_periods(ctx, {"meters": ["press"], "period": "2024-01", "reference": "2024-02"})
    text = str(raised.value)
    assert text.startswith("no energy readings for press in 2024-01-01 00:00 to 2024-02-01")
    assert "nor in 2024-02-01 00:00 to 2024-03-01" in text


def test_a_reference_without_data_or_with_gaps_is_flagged(
    ctx: ToolContext, raw: pd.DataFrame
) -> None:
    # The data start on 1 September 2025: "the same weeks a year earlier" have none.
    none = compare_periods(
        ctx,
        {
            "meters": ["press"],
            "period": "2025-09-01..2025-09-07",
            "reference": "2024-09-01..2024-09-07",
        },
    )
    change = none.changes[0]
    assert change.reference_value is None and change.difference is None and change.percent is None
    assert change.reference_coverage == 0.0
    # the day the press's readings begin, for the answer to say how far back it can compare
    first = raw[raw["meter"] == "press"]["local"].min()
    assert change.history_from == first.date().isoformat() == "2025-09-01"
    assert none.caveats == [
        "press has no data in the reference period (2024-09-01 to 2024-09-07): "
        "no change can be given"
    ]
    # The reference starts a week before the data (and the oven has an outage in it).
    partly = compare_periods(
        ctx, {"meters": ["oven"], "period": "2025-10", "reference": "2025-08-25..2025-09-30"}
    )
    before = raw["local"] < pd.Timestamp("2025-10-01", tz=TZ)
    share = len(raw[(raw["meter"] == "oven") & before]) / (37 * 96)
    assert partly.changes[0].reference_coverage == pytest.approx(share, abs=1e-4)
    assert f"only {100 * share:.0f}% of its readings in the reference period" in partly.caveats[0]
    # October has 31 days and a 25-hour day; the data end an hour short of it.
    october = raw[(raw["meter"] == "oven") & (raw["local"].dt.month == 10)]
    assert partly.changes[0].coverage == pytest.approx(len(october) / (31 * 96 + 4), abs=1e-4)


def test_several_meters_are_also_compared_added_up(ctx: ToolContext, raw: pd.DataFrame) -> None:
    both = compare_periods(
        ctx, {"meters": ["press", "hvac"], "period": "2025-10", "reference": "2025-09"}
    )
    now = month(raw, "press", 10).sum() + month(raw, "hvac", 10).sum()
    then = month(raw, "press", 9).sum() + month(raw, "hvac", 9).sum()
    assert both.combined is not None and both.combined.meter == "press + hvac"
    assert both.combined.difference == pytest.approx(now - then, rel=1e-9)
    assert both.combined.percent == pytest.approx(100 * (now - then) / then, rel=1e-9)
    assert all(c.history_from is None for c in both.changes)  # both periods hold data
    one = compare_periods(ctx, {"meters": ["press"], "period": "2025-10", "reference": "2025-09"})
    assert one.combined is None


def test_a_weekday_profile(ctx: ToolContext, raw: pd.DataFrame) -> None:
    rows = raw[(raw["meter"] == "hvac") & (raw["local"].dt.month == 9)]
    weekdays = rows[rows["local"].dt.day_of_week < 5]
    result = split_consumption(
        ctx, {"meter": "hvac", "period": "2025-09", "by": "hour_of_day", "days": [4, 0, 1, 2, 3]}
    )
    assert result.days == [0, 1, 2, 3, 4]
    ten = weekdays[weekdays["local"].dt.hour == 10]["value"]
    assert result.parts[10].value == pytest.approx(ten.sum() / (len(ten) / 4), rel=1e-12)
    with pytest.raises(ValueError, match="weekdays are 0"):
        split_consumption(ctx, {"meter": "hvac", "period": "2025-09", "by": "shift", "days": [8]})


def test_a_profile_answer_leads_with_its_highest_and_lowest_hour(
    ctx: ToolContext, raw: pd.DataFrame
) -> None:
    from agent.render import renderer_for
    from tools.split import SplitResult

    rows = raw[(raw["meter"] == "hvac") & (raw["local"].dt.month == 9)]
    weekdays = rows[rows["local"].dt.day_of_week < 5]
    by_hour = weekdays.groupby(weekdays["local"].dt.hour)["value"].agg(["sum", "count"])
    kw = by_hour["sum"] / (by_hour["count"] / 4)
    result = split_consumption(
        ctx, {"meter": "hvac", "period": "2025-09", "by": "hour_of_day", "days": [0, 1, 2, 3, 4]}
    )
    text = "\n".join(renderer_for(SplitResult).answer(result))
    first = text.splitlines()[0]
    high, low = int(kw.idxmax()), int(kw.idxmin())
    assert f"**{high:02d}:00** with" in first and stated_kw(first) == pytest.approx(kw.max(), 1e-3)
    assert f"lowest {low:02d}:00" in first and "Mon-Fri only" in first
    assert "per hour on average" not in text  # an average power, said once


def test_a_day_of_week_answer_compares_days_by_their_average_power(
    ctx: ToolContext, raw: pd.DataFrame
) -> None:
    from agent.render import renderer_for
    from tools.split import SplitResult

    rows = raw[(raw["meter"] == "press") & (raw["local"].dt.month == 9)]
    by_day = rows.groupby(rows["local"].dt.day_of_week)["value"].agg(["sum", "count"])
    kw = by_day["sum"] / (by_day["count"] / 4)
    result = split_consumption(ctx, {"meter": "press", "period": "2025-09", "by": "day_of_week"})
    first = "\n".join(renderer_for(SplitResult).answer(result)).splitlines()[0]
    names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    assert f"**{names[int(kw.idxmax())]}** with" in first
    assert stated_kw(first) == pytest.approx(kw.max(), rel=1e-3)
    assert f"lowest {names[int(kw.idxmin())]}" in first


def stated_kw(line: str) -> float:
    """The first bold kW figure of an answer line."""
    found = re.search(r"\*\*([\d,.]+) kW\*\*", line)
    assert found, line
    return float(found.group(1).replace(",", ""))
