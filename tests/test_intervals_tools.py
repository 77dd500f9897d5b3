"""The tools at every interval a meter may have (1, 5, 15, 30 and 60 minutes, daily, bills,
and one whose interval changes), on SQLite and PostgreSQL: coverage, energy, peak demand and
load factor, each compared with pandas over the rows written to the imported files, and the
caveat each interval calls for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, text

from agent.render import Parts, renderer_for
from common.errors import InsufficientData
from connectors.bills import BillOptions, import_bills
from connectors.importer import import_file
from connectors.parsing import ParseOptions
from store import catalog
from tools.anomaly import detect_anomalies
from tools.base import ToolContext
from tools.compare import compare_periods, rank_meters
from tools.coverage import data_coverage
from tools.forecast import ForecastResult, forecast
from tools.kpi import compute_kpi
from tools.kpi_grain import CoarseData
from tools.query import query_metric
from tools.split import split_consumption

TZ = "Europe/Berlin"
ZONE = ZoneInfo(TZ)
PERIOD = "2025-03-24..2025-04-06"  # two weeks across the spring DST change
FIRST, END = pd.Timestamp("2025-03-24", tz=TZ), pd.Timestamp("2025-04-07", tz=TZ)
NOW = datetime(2025, 5, 20, tzinfo=ZONE)
CASES = ["1min", "5min", "15min", "30min", "1h", "1d", "billing", "changing"]
SWAP = pd.Timestamp("2025-03-31 10:00", tz=TZ)  # the changing meter: hourly, then 15-minute
BILLS = [  # start, end (the next one's start), kWh, peak kW
    ("2025-02-03", "2025-03-03", 30000.0, 80.0),
    ("2025-03-03", "2025-04-02", 29000.0, 95.0),
    ("2025-04-02", "2025-05-02", 27000.0, 70.0),
]


@dataclass
class Data:
    """What a test wrote to the file it imported: readings (local times, kWh) or bills."""

    case: str
    readings: pd.Series  # kWh per reading, by local start time
    step: pd.Series  # the reading's own interval in seconds, by the same index


def power(index: pd.DatetimeIndex, rng: np.random.Generator) -> np.ndarray:
    """kW: a base, a working-day shape and noise, so peaks differ from averages."""
    hour = index.hour + index.minute / 60
    day = (hour >= 7) & (hour < 17) & (index.day_of_week < 5)
    return np.asarray(
        40 + 60 * day + 25 * np.sin(hour / 24 * 2 * np.pi) ** 2 + rng.gamma(2, 5, len(index))
    )


def readings(case: str, rng: np.random.Generator) -> Data:
    first, last = pd.Timestamp("2025-03-17", tz=TZ), pd.Timestamp("2025-04-14", tz=TZ)
    freq = {"1min": "1min", "5min": "5min", "15min": "15min", "30min": "30min", "1h": "1h"}
    if case in freq:
        index = grid(freq[case], first, last)
        step = pd.Series(pd.Timedelta(freq[case]).total_seconds(), index=index)
    elif case == "changing":
        hourly, quarters = grid("h", first, SWAP), grid("15min", SWAP, last)
        index = pd.DatetimeIndex(hourly.append(quarters))
        seconds = np.r_[np.full(len(hourly), 3600.0), np.full(len(quarters), 900.0)]
        step = pd.Series(seconds, index=index)
    else:  # daily
        index = pd.date_range("2025-01-01", "2025-04-30", freq="D", tz=TZ)
        step = pd.Series(86400.0, index=index)
    kwh = power(index, rng) * step.to_numpy() / 3600
    keep = rng.random(len(index)) > 0.03  # readings lost at random ...
    outage = (pd.Timestamp("2025-03-26 02:00", tz=TZ), pd.Timestamp("2025-03-26 20:00", tz=TZ))
    keep &= ~((index >= outage[0]) & (index < outage[1]))  # ... and an outage of 18 hours
    if case == "1d":
        keep = ~index.isin(pd.DatetimeIndex(["2025-03-26", "2025-03-27"], tz=TZ))
    return Data(case, pd.Series(kwh[keep], index=index[keep]), step[keep])


def load(engine: Engine, tmp_path: Path, case: str) -> Data:
    rng = np.random.default_rng(CASES.index(case))
    if case == "billing":
        rows = [f"{a},{b},{q},{p}" for a, b, q, p in BILLS]
        path = tmp_path / "bills.csv"
        path.write_text("start,end,kwh,peak_kw\n" + "\n".join(rows) + "\n")
        options = BillOptions(meter="m", carrier="electricity", period_end="exclusive")
        import_bills(engine, path, site="plant", timezone=TZ, options=options)
        return Data(case, pd.Series(dtype=float), pd.Series(dtype=float))
    data = readings(case, rng)
    frame = pd.DataFrame(
        {
            "timestamp": data.readings.index.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "meter": "m",
            "metric": "energy",
            "value": data.readings.to_numpy(),
            "unit": "kWh",
        }
    )
    frame.to_csv(tmp_path / "readings.csv", index=False, float_format="%.17g")
    import_file(engine, tmp_path / "readings.csv", site="plant", options=ParseOptions(timezone=TZ))
    return data


@pytest.fixture(params=CASES)
def loaded(
    request: pytest.FixtureRequest, engine: Engine, tmp_path: Path
) -> tuple[ToolContext, Data]:
    data = load(engine, tmp_path, request.param)
    with engine.connect() as conn:
        site = catalog.get_site(conn, "plant")
    return ToolContext(engine, site, NOW), data


# ------------------------------------------------------------------ independent figures


def in_period(s: pd.Series) -> pd.Series:
    return s[(s.index >= FIRST) & (s.index < END)]


def grid(freq: str, first: pd.Timestamp = FIRST, end: pd.Timestamp = END) -> pd.DatetimeIndex:
    return pd.date_range(first, end, freq=freq, inclusive="left")


def expected_readings(case: str) -> int:
    if case == "changing":
        return len(grid("h", FIRST, SWAP)) + len(grid("15min", SWAP, END))
    if case in ("1d", "billing"):
        return len(grid("D"))
    return len(grid(case))


def bill_days() -> pd.Series:
    parts = []
    for a, b, q, _ in BILLS:
        days = pd.date_range(a, pd.Timestamp(b) - pd.Timedelta(days=1), freq="D", tz=TZ)
        parts.append(pd.Series(q / len(days), index=days))
    return pd.concat(parts)


def demand(data: Data, window: str) -> pd.Series:
    """Average kW per demand window of the local clock, from the raw readings."""
    kwh = in_period(data.readings)
    sums = kwh.groupby(kwh.index.floor(window)).sum()
    return sums / (pd.Timedelta(window).total_seconds() / 3600)


# ------------------------------------------------------------------ the tests


def test_coverage_is_judged_at_the_meters_own_interval(loaded: tuple[ToolContext, Data]) -> None:
    ctx, data = loaded
    (meter,) = data_coverage(ctx, {"period": PERIOD}).meters
    expected = expected_readings(data.case)
    present = (
        len(bill_days().pipe(in_period))
        if data.case == "billing"
        else len(in_period(data.readings))
    )
    assert (meter.expected_intervals, meter.present_intervals) == (expected, present)
    words = {
        "1min": "1-minute",
        "5min": "5-minute",
        "15min": "15-minute",
        "30min": "30-minute",
        "1h": "hourly",
        "1d": "daily",
        "billing": "billing-period",
        "changing": "hourly, then 15-minute from 2025-03-31 10:00",
    }
    assert meter.interval == words[data.case]
    if data.case not in ("billing",):
        # The 18-hour outage (two days for the daily meter) is listed as a gap.
        assert any(g.hours >= 18 for g in meter.gaps)


def test_energy_is_the_sum_of_the_rows_or_the_bills_pro_rated_by_days(
    loaded: tuple[ToolContext, Data],
) -> None:
    ctx, data = loaded
    result = compute_kpi(ctx, {"kpi": "energy", "meter": "m", "period": PERIOD})
    if data.case == "billing":
        truth = in_period(bill_days()).sum()  # 9 of bill 2's 30 days, 5 of bill 3's
        assert result.value == pytest.approx(29000 * 9 / 30 + 27000 * 5 / 30)
        assert any("spread evenly over their days" in c for c in result.caveats)
        assert any(
            "takes 9 of the 30 days of m's bill 2025-03-03..2025-04-01" in c for c in result.caveats
        )
    else:
        truth = in_period(data.readings).sum()
    assert result.value == pytest.approx(truth, rel=1e-9)


PEAK_WINDOW = {
    "1min": "15min",
    "5min": "15min",
    "15min": "15min",
    "30min": "30min",
    "1h": "1h",
    "changing": "1h",
}


def test_peak_demand_says_what_the_readings_can_show(loaded: tuple[ToolContext, Data]) -> None:
    ctx, data = loaded
    args = {"kpi": "peak_demand", "meter": "m", "period": PERIOD}
    if data.case == "1d":
        with pytest.raises(
            CoarseData, match="m has daily readings: its peak demand cannot be known"
        ):
            compute_kpi(ctx, args)
        return
    result = compute_kpi(ctx, args)
    if data.case == "billing":
        # The bills that cover the period state their own peaks: the highest is the answer.
        assert result.value == 95.0 and "bills state" in result.method
        return
    truth = demand(data, PEAK_WINDOW[data.case])
    assert result.value == pytest.approx(truth.max(), rel=1e-9)
    assert pd.Timestamp(str(result.details["at"])) == truth.idxmax()
    coarse = any("not a 15-minute peak" in c for c in result.caveats)
    assert coarse == (data.case in ("30min", "1h", "changing"))


def test_load_factor_is_average_over_peak_at_the_same_grain(
    loaded: tuple[ToolContext, Data],
) -> None:
    ctx, data = loaded
    args = {"kpi": "load_factor", "meter": "m", "period": PERIOD}
    if data.case == "1d":
        with pytest.raises(InsufficientData, match="cannot be known"):
            compute_kpi(ctx, args)
        return
    result = compute_kpi(ctx, args)
    if data.case == "billing":
        hours = len(grid("D")) * 24 - 1  # the DST day is 23 hours long
        average = in_period(bill_days()).sum() / hours
        assert result.details["average_kw"] == pytest.approx(average, rel=1e-9)
        assert result.value == pytest.approx(average / 95.0, rel=1e-9)
        return
    kwh = in_period(data.readings)
    # Hours metered: each quarter-hour with a reading, or each coarser reading's own span.
    step = in_period(data.step).clip(lower=900)
    buckets = pd.Series(step.to_numpy(), index=kwh.index.floor("15min")).groupby(level=0).max()
    average = kwh.sum() / (buckets.sum() / 3600)
    peak = demand(data, PEAK_WINDOW[data.case]).max()
    assert result.details["average_kw"] == pytest.approx(average, rel=1e-9)
    assert result.value == pytest.approx(average / peak, rel=1e-9)


# ------------------------------------------------------------------ the other tools


@pytest.fixture
def plant(engine: Engine, tmp_path: Path) -> tuple[ToolContext, dict[str, Data]]:
    """One site with a 15-minute, an hourly, a daily and a billed meter."""
    found = {}
    for case, name in (("15min", "fine"), ("1h", "hourly"), ("1d", "daily"), ("billing", "bills")):
        folder = tmp_path / case
        folder.mkdir()
        data = load(engine, folder, case)
        with engine.begin() as conn:
            site = catalog.get_site(conn, "plant")
            meter = catalog.resolve_meter(conn, site.id, "m")
            catalog.update_meter(conn, meter.id, aliases=())
            conn.execute(
                text("UPDATE meters SET name = :n WHERE id = :i"), {"n": name, "i": meter.id}
            )
        found[name] = data
    with engine.connect() as conn:
        site = catalog.get_site(conn, "plant")
    return ToolContext(engine, site, NOW), found


def test_a_series_finer_than_the_readings_falls_back_and_says_so(
    plant: tuple[ToolContext, dict[str, Data]],
) -> None:
    ctx, data = plant
    result = query_metric(ctx, {"meters": ["daily"], "period": PERIOD, "grain": "hour"})
    assert result.grain == "day"
    assert any("daily readings): no hourly values can be made" in c for c in result.caveats)
    truth = in_period(data["daily"].readings)
    assert [p.value for p in result.points] == pytest.approx(truth.to_list())
    fine = query_metric(ctx, {"meters": ["hourly"], "period": PERIOD, "grain": "15min"})
    assert fine.grain == "hour"
    hourly = in_period(data["hourly"].readings)
    assert [p.value for p in fine.points] == pytest.approx(hourly.to_list())
    billed = query_metric(ctx, {"meters": ["bills"], "period": "2025-03", "grain": "day"})
    assert any("spread evenly over their days" in c for c in billed.caveats)
    assert billed.source == "store rollups (day); bills spread over their days"
    assert fine.source == "store rollups (hour)"


def test_a_ranking_flags_the_meter_its_period_cuts(
    plant: tuple[ToolContext, dict[str, Data]],
) -> None:
    ctx, data = plant
    result = rank_meters(ctx, {"period": PERIOD})
    flags = {r.meter: r.caveat for r in result.ranking}
    assert flags["fine"] is None and flags["hourly"] is None and flags["daily"] is None
    assert flags["bills"] is not None and "bills spread evenly" in flags["bills"]
    values = {r.meter: r.value for r in result.ranking}
    assert values["daily"] == pytest.approx(in_period(data["daily"].readings).sum())
    assert result.source.endswith("; bills spread over their days")
    # Half a day is shorter than a daily reading: that meter is flagged, not compared silently.
    mid = compare_periods(
        ctx,
        {
            "meters": ["daily", "fine"],
            "period": "2025-03-25T06:00..2025-03-25T18:00",
            "reference": "2025-03-24T06:00..2025-03-24T18:00",
        },
    )
    flagged = {c.meter: c.caveat for c in mid.changes}
    assert flagged["fine"] is None
    assert flagged["daily"] is not None and "coarser than the period" in flagged["daily"]
    assert any("coarser than the period" in c for c in mid.caveats)
    assert mid.source == "store rollups (daily + 15-minute)"  # no bills among these meters


def test_an_hourly_profile_of_daily_readings_is_a_weekday_split(
    plant: tuple[ToolContext, dict[str, Data]],
) -> None:
    ctx, data = plant
    result = split_consumption(ctx, {"meter": "daily", "period": PERIOD, "by": "hour_of_day"})
    assert result.by == "day_of_week" and "no hourly profile" in result.caveats[0]
    truth = in_period(data["daily"].readings)
    by_day = truth.groupby(truth.index.day_name()).sum()
    assert {p.name: p.value for p in result.parts} == pytest.approx(by_day.to_dict())
    with pytest.raises(InsufficientData, match="read from bills"):
        split_consumption(ctx, {"meter": "bills", "period": PERIOD, "by": "weekday_weekend"})
    with pytest.raises(InsufficientData, match="which shift its energy fell in"):
        split_consumption(ctx, {"meter": "daily", "period": PERIOD, "by": "shift"})


def test_forecasts_work_at_the_readings_grain(
    plant: tuple[ToolContext, dict[str, Data]],
) -> None:
    ctx, _ = plant
    later = ToolContext(ctx.engine, ctx.site, datetime(2025, 4, 14, tzinfo=ZONE))
    hourly = forecast(later, {"meter": "hourly", "horizon": "24h", "demand_limit_kw": 500})
    assert len(hourly.points) == 24 and hourly.limit_verdict == "unlikely"
    assert any("not a 15-minute peak" in c for c in hourly.caveats)
    daily = forecast(later, {"meter": "daily", "horizon": "7d"})
    assert len(daily.points) == 7 and daily.peak_kw is None
    assert daily.points[0].start.startswith("2025-04-14T00:00")
    # The chart names the points' own interval, as far apart as their times are.
    for result, step, words in ((hourly, "1h", "hourly"), (daily, "1D", "daily")):
        starts = pd.DatetimeIndex([p.start for p in result.points])
        assert set(np.diff(starts.tz_localize(None))) == {pd.Timedelta(step)}
        parts = Parts()
        renderer_for(ForecastResult).evidence(result, parts)
        assert parts.charts[0].title.endswith(f"({words} energy)"), parts.charts[0].title
    with pytest.raises(InsufficientData, match="read from bills"):
        forecast(later, {"meter": "bills"})


def test_anomaly_checks_work_at_the_readings_grain(
    plant: tuple[ToolContext, dict[str, Data]],
) -> None:
    ctx, _ = plant
    result = detect_anomalies(ctx, {"meters": ["daily", "bills"], "period": "2025-03"})
    outages = [
        (e.meter, e.start[:10], e.end[:10]) for e in result.events if e.kind == "meter_outage"
    ]
    # The daily meter's two missing days are one outage; the bills cover March whole.
    assert outages == [("daily", "2025-03-26", "2025-03-28")]
    assert not [e for e in result.events if e.kind == "stuck_meter"]
    assert any(
        "daily readings: demand spikes need readings within the day" in c for c in result.caveats
    )
    assert any("bills is read from bills" in c for c in result.caveats)


def test_a_bill_not_due_yet_is_not_missing(plant: tuple[ToolContext, dict[str, Data]]) -> None:
    ctx, _ = plant
    starts = pd.to_datetime([a for a, _, _, _ in BILLS])
    ends = pd.to_datetime([b for _, b, _, _ in BILLS])
    due = ends[-1] + (ends - starts).max()  # a cycle as long as the longest bill after the last
    soon = (due - pd.Timedelta(days=3)).tz_localize(TZ)
    before = ToolContext(ctx.engine, ctx.site, soon.to_pydatetime())
    waiting = detect_anomalies(before, {"meters": ["bills"], "period": "last 14 days"})
    assert not [e for e in waiting.events if e.kind == "meter_outage"]
    assert any(f"its next bill is not due before {due:%Y-%m-%d}" in c for c in waiting.caveats)
    now = (due + pd.Timedelta(days=9)).tz_localize(TZ)
    late = ToolContext(ctx.engine, ctx.site, now.to_pydatetime())
    overdue = detect_anomalies(late, {"meters": ["bills"], "period": "last 14 days"})
    outages = [(e.start[:10], e.end[:16]) for e in overdue.events if e.kind == "meter_outage"]
    first = now.normalize() - pd.Timedelta(days=14)
    assert outages == [(f"{first:%Y-%m-%d}", now.isoformat()[:16])]
    assert not any("not due" in c for c in overdue.caveats)
    counted = data_coverage(before, {"meters": ["bills"], "period": "last 14 days"})
    assert any(f"next bill is not due before {due:%Y-%m-%d}" in c for c in counted.caveats)
    counted = data_coverage(late, {"meters": ["bills"], "period": "last 14 days"})
    assert not any("not due" in c for c in counted.caveats)


# ------------------------------------------------------------------ meters of two intervals


@pytest.fixture
def two_intervals(engine: Engine, tmp_path: Path) -> tuple[ToolContext, dict[str, Data]]:
    """A 15-minute meter 'q' and an hourly one 'h', each with lost readings and an outage."""
    rng = np.random.default_rng(42)
    data = {"q": readings("15min", rng), "h": readings("1h", rng)}
    frame = pd.concat(
        pd.DataFrame(
            {
                "timestamp": d.readings.index.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "meter": name,
                "metric": "energy",
                "value": d.readings.to_numpy(),
                "unit": "kWh",
            }
        )
        for name, d in data.items()
    )
    frame.to_csv(tmp_path / "readings.csv", index=False, float_format="%.17g")
    import_file(engine, tmp_path / "readings.csv", site="plant", options=ParseOptions(timezone=TZ))
    with engine.connect() as conn:
        site = catalog.get_site(conn, "plant")
    return ToolContext(engine, site, NOW), data


@pytest.mark.parametrize("order", [("q", "h"), ("h", "q")])
def test_meters_of_different_intervals_are_each_judged_at_their_own(
    two_intervals: tuple[ToolContext, dict[str, Data]], order: tuple[str, str]
) -> None:
    ctx, data = two_intervals
    args = {"meter": order[0], "with_meters": [order[1]], "period": PERIOD}
    both = in_period(pd.concat([data["q"].readings, data["h"].readings]))
    energy = compute_kpi(ctx, args | {"kpi": "energy"})
    assert energy.value == pytest.approx(both.sum(), rel=1e-9)
    # Each meter's missing readings, counted against its own interval, and no others.
    for name, freq, words in (("q", "15min", "15-minute"), ("h", "1h", "hourly")):
        expected = len(grid(freq))
        missing = expected - len(in_period(data[name].readings))
        note = f"{name}: {missing} of {expected} {words} readings have no data"
        assert any(c.startswith(note) for c in energy.caveats), (note, energy.caveats)
    assert sum("have no data" in c for c in energy.caveats) == 2
    # The sum's peak can only be an hourly one: the hourly meter's reading spans an hour.
    hourly = both.groupby(both.index.floor("1h")).sum()
    peak = compute_kpi(ctx, args | {"kpi": "peak_demand"})
    assert peak.value == pytest.approx(hourly.max(), rel=1e-9)
    assert pd.Timestamp(str(peak.details["at"])) == hourly.idxmax()
    assert peak.details["window_minutes"] == 60
    assert any(
        c.startswith("h has hourly readings") and "not a 15-minute peak" in c for c in peak.caveats
    ), peak.caveats
    factor = compute_kpi(ctx, args | {"kpi": "load_factor"})
    average = both.sum() / len(hourly)  # hours in which either meter read
    assert factor.details["average_kw"] == pytest.approx(average, rel=1e-9)
    assert factor.value == pytest.approx(average / hourly.max(), rel=1e-9)
