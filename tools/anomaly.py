"""Anomaly detection: a short list of contiguous events per meter, not thousands of points.

Consumption is checked hour by hour against what a model trained on the preceding weeks
expects (hour of day by workday, heating and cooling degrees, production), scaled by the robust
spread (MAD) of its training residuals; an Isolation Forest over the same features scores how
unusual each hour is as a second opinion. Data-quality problems (gaps, stuck and negative
readings) are found on the raw 15-minute series and reported as their own kinds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import Field
from sklearn.ensemble import IsolationForest

from store import catalog, queries
from store.errors import InsufficientData
from tools import resolve
from tools.base import ToolContext, ToolInput, ToolResult, tool
from tools.coverage import find_gaps
from tools.periods import Period

Array = npt.NDArray[np.float64]
TRAINING_DAYS = 365  # as much of the past year as exists (at least MIN_TRAINING_DAYS)
MIN_TRAINING_DAYS = 21
TEMP_MARGIN = 1.5  # degrees beyond the training range where a model may not extrapolate
THRESHOLD = 3.5  # robust z-score of a day's energy that flags it
STRONG = 6.0  # a single flagged day is an event only above this
DRIFT_DAYS = 7  # a week ...
DRIFT_Z = 1.5  # ... whose days average this score is a sustained shift
SPIKE = 8.0  # robust z-score of a quarter-hour against its usual level
SPIKE_RATIO = 1.5  # ... and at least this multiple of it
SPIKE_CEILING = 1.2  # ... and this multiple of the highest quarter-hour on those days
SPIKE_MIN_KW = 25.0  # ... and at least this much extra power
PROFILE_DAYS = 10  # same-type days a quarter-hour is compared with
STUCK_QUARTERS = 12  # identical non-zero readings for 3 hours
Severity = Literal["info", "warning", "critical"]


class AnomalyInput(ToolInput):
    meters: list[str] = Field(
        default_factory=list, description="Meter names or aliases; empty for every energy meter."
    )
    period: str = Field(description="Period to check, e.g. 'last week', 'yesterday', '2025-09'.")
    include_data_quality: bool = Field(
        default=True, description="Also report gaps, stuck meters and negative readings."
    )


class Event(ToolResult):
    meter: str
    kind: str = Field(
        description="consumption_high, consumption_low, demand_spike, meter_outage, "
        "stuck_meter or negative_values"
    )
    category: Literal["consumption", "data_quality"]
    start: str
    end: str
    hours: float
    severity: Severity
    score: float = Field(description="peak robust z-score of the hours in the event")
    expected_kwh: float | None
    actual_kwh: float | None
    extra_kwh: float | None
    extra_cost: float | None
    isolation_score: float | None = Field(
        description="mean Isolation Forest anomaly score of the event's hours (0..1, higher is "
        "more unusual)"
    )


class AnomalyResult(ToolResult):
    period: dict[str, str]
    events: list[Event]
    meters_checked: list[str]
    method: str
    caveats: list[str]


@dataclass
class Daily:
    start: npt.NDArray[np.int64]  # local midnights
    energy: Array
    features: Array
    temperature: Array


def _daily_driver(ctx: ToolContext, ids: list[int], lo: int, hi: int, stat: str) -> pd.Series:
    if not ids:
        return pd.Series(dtype=float)
    with ctx.engine.connect() as conn:
        frame = queries.rollups(conn, ids, 86400, lo, hi, tz=ctx.site.timezone)
    grouped = frame.groupby("bucket").agg(sum=("sum", "sum"), n=("n", "sum"))
    return grouped["sum"] / grouped["n"] if stat == "avg" else grouped["sum"]


def _daily(
    ctx: ToolContext, series_id: int, lo: int, hi: int, drivers: dict[str, pd.Series]
) -> Daily:
    """Complete days only: a day with missing quarter-hours is a data problem, not a drop."""
    with ctx.engine.connect() as conn:
        frame = queries.rollups(conn, [series_id], 86400, lo, hi, tz=ctx.site.timezone)
    frame = frame[frame["n"] >= 88].set_index("bucket")
    index = frame.index
    temp = drivers["temperature"].reindex(index).interpolate(limit_direction="both").fillna(12.0)
    made = drivers["production"].reindex(index).fillna(0.0)
    local = pd.DatetimeIndex(pd.to_datetime(index.to_numpy(np.int64), unit="s", utc=True))
    weekday = np.asarray(local.tz_convert(ctx.site.timezone).day_of_week < 5, dtype=float)
    workday = (made.to_numpy(float) > 0).astype(float) if made.any() else weekday
    t = temp.to_numpy(float)
    degrees = [np.clip(15.0 - t, 0, None), np.clip(t - 18.0, 0, None)]
    features = np.column_stack(
        [
            np.ones(len(index)),
            workday,
            *degrees,
            *(d * workday for d in degrees),
            made.to_numpy(float),
        ]
    )
    return Daily(index.to_numpy(np.int64), frame["sum"].to_numpy(float), features, t)


def _robust_scores(train: Daily, test: Daily) -> tuple[Array, Array]:
    """Expected energy per test day and robust z-scores of the residuals."""
    beta, *_ = np.linalg.lstsq(train.features, train.energy, rcond=None)
    residuals = train.energy - train.features @ beta
    mad = float(np.median(np.abs(residuals - np.median(residuals))))
    # Refit without the days that were themselves anomalous (a past leak, a shutdown).
    keep = np.abs(residuals - np.median(residuals)) <= 3.5 * 1.4826 * mad + 1e-9
    if keep.sum() >= MIN_TRAINING_DAYS:
        beta, *_ = np.linalg.lstsq(train.features[keep], train.energy[keep], rcond=None)
        residuals = train.energy[keep] - train.features[keep] @ beta
        mad = float(np.median(np.abs(residuals - np.median(residuals))))
    scale = max(1.4826 * mad, 0.03 * float(np.mean(np.abs(train.energy))) + 1e-9)
    expected = np.clip(test.features @ beta, 0, None)
    return expected, (test.energy - expected) / scale


def _isolation(train: Daily, test: Daily, seed: int = 0) -> Array:
    """Isolation Forest anomaly score per test day, 0..1 (about 0.5 is ordinary)."""
    x_train = np.column_stack([train.features[:, 1], train.temperature, train.energy])
    x_test = np.column_stack([test.features[:, 1], test.temperature, test.energy])
    forest = IsolationForest(n_estimators=100, random_state=seed).fit(x_train)
    return np.asarray(-forest.score_samples(x_test), dtype=np.float64)


def _runs(mask: npt.NDArray[np.bool_], max_gap: int = 0) -> list[tuple[int, int]]:
    """Index ranges [a, b) where mask is true, bridging gaps of up to max_gap false items."""
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return []
    runs, start, last = [], int(idx[0]), int(idx[0])
    for i in idx[1:]:
        if i - last > max_gap + 1:
            runs.append((start, last + 1))
            start = int(i)
        last = int(i)
    runs.append((start, last + 1))
    return runs


def _severity(score: float, extra: float | None) -> Severity:
    if score >= SPIKE or (extra is not None and abs(extra) >= 500):
        return "critical"
    if score >= 6 or (extra is not None and abs(extra) >= 100):
        return "warning"
    return "info"


def _iso(ts: int, tz: str) -> str:
    return pd.Timestamp(ts, unit="s", tz="UTC").tz_convert(tz).isoformat()


def _sustained(z: Array) -> npt.NDArray[np.bool_]:
    """Days inside any week whose mean score passes DRIFT_Z: a slow drift (fouling, a small
    leak) that no single day shows clearly."""
    marked = np.zeros(len(z), dtype=bool)
    if len(z) < DRIFT_DAYS:
        return marked
    means = np.convolve(z, np.ones(DRIFT_DAYS) / DRIFT_DAYS, mode="valid")
    for i in np.flatnonzero(means >= DRIFT_Z):
        marked[i : i + DRIFT_DAYS] = True
    # Only the days that lean the same way belong to the shift, not its quiet neighbours.
    return marked & (z >= 1.0)


def consumption_events(
    meter: str, test: Daily, expected: Array, z: Array, iso: Array, tz: str, price: float
) -> list[Event]:
    """Runs of days far above (or below) expectation, one event per run."""
    events: list[Event] = []
    for sign, kind in ((1, "consumption_high"), (-1, "consumption_low")):
        flagged = (sign * z >= THRESHOLD) | _sustained(sign * z)
        for a, b in _runs(flagged, max_gap=2):
            peak = float(np.max(sign * z[a:b]))
            if int(flagged[a:b].sum()) < 2 and peak < STRONG:
                continue
            actual, exp_sum = float(test.energy[a:b].sum()), float(expected[a:b].sum())
            start, end = int(test.start[a]), _next_midnight(int(test.start[b - 1]), tz)
            events.append(
                _event(
                    meter,
                    kind,
                    "consumption",
                    start,
                    end,
                    tz,
                    _severity(peak, actual - exp_sum),
                    peak,
                    exp_sum,
                    actual,
                    price,
                    float(np.mean(iso[a:b])),
                )
            )
    return events


def _next_midnight(ts: int, tz: str) -> int:
    from store.rollups import day_range

    return day_range(ts, ts, tz)[1]


def _event(
    meter: str,
    kind: str,
    category: Literal["consumption", "data_quality"],
    start: int,
    end: int,
    tz: str,
    severity: Severity,
    score: float,
    expected: float | None,
    actual: float | None,
    price: float,
    isolation: float | None,
) -> Event:
    extra = actual - expected if actual is not None and expected is not None else None
    return Event(
        meter=meter,
        kind=kind,
        category=category,
        start=_iso(start, tz),
        end=_iso(end, tz),
        hours=(end - start) / 3600,
        severity=severity,
        score=score,
        expected_kwh=expected,
        actual_kwh=actual,
        extra_kwh=extra,
        extra_cost=extra * price if extra is not None else None,
        isolation_score=isolation,
    )


def spike_events(
    meter: str, frame: pd.DataFrame, tz: str, test_lo: int, price: float
) -> list[Event]:
    """Quarter-hours far above the same quarter-hour on recent days of the same type."""
    if frame.empty:
        return []
    local = pd.DatetimeIndex(pd.to_datetime(frame["bucket"], unit="s", utc=True)).tz_convert(tz)
    table = pd.DataFrame(
        {
            "value": frame["sum"].to_numpy(float),
            "day": local.normalize().tz_localize(None),
            "slot": local.hour * 4 + local.minute // 15,
            "weekend": local.day_of_week >= 5,
        }
    )
    grid = table.pivot_table(index="day", columns="slot", values="value", aggfunc="max")
    weekend = table.groupby("day")["weekend"].first().reindex(grid.index)
    events: list[Event] = []
    values = grid.to_numpy(float)
    days = list(grid.index)
    slots = [int(c) for c in grid.columns]
    starts = frame["bucket"].to_numpy(np.int64)
    for kind_of_day in (False, True):
        rows = np.flatnonzero(weekend.to_numpy(bool) == kind_of_day)
        for pos, r in enumerate(rows):
            history = values[rows[max(0, pos - PROFILE_DAYS) : pos]]
            if len(history) < 5:
                continue
            median = np.nanmedian(history, axis=0)
            mad = np.nanmedian(np.abs(history - median), axis=0)
            scale = np.maximum(1.4826 * mad, 0.05 * np.nanmedian(history) + 1e-6)
            z = (values[r] - median) / scale
            # A demand spike also tops everything the meter drew on those days.
            ceiling = SPIKE_CEILING * np.nanmax(history)
            material = (values[r] - median) * 4 >= SPIKE_MIN_KW
            hot = (z >= SPIKE) & (values[r] >= SPIKE_RATIO * median) & (values[r] >= ceiling)
            hot &= material
            for a, b in _runs(np.nan_to_num(hot, nan=0).astype(bool), max_gap=2):
                if b - a > 12:
                    continue  # hours long: a sustained change, not a spike
                day = table["day"].to_numpy() == days[int(r)]
                slot_ts = dict(zip(table["slot"].to_numpy()[day], starts[day], strict=False))
                t0, t1 = slot_ts.get(slots[a]), slot_ts.get(slots[b - 1])
                if t0 is None or t1 is None or t0 < test_lo:
                    continue
                actual = float(np.nansum(values[r, a:b]))
                expected = float(np.nansum(median[a:b]))
                events.append(
                    _event(
                        meter,
                        "demand_spike",
                        "consumption",
                        int(t0),
                        int(t1) + 900,
                        tz,
                        "critical",
                        float(np.nanmax(z[a:b])),
                        expected,
                        actual,
                        price,
                        None,
                    )
                )
    return sorted(events, key=lambda e: e.start)


def _merge(
    runs: list[tuple[int, int]], starts: npt.NDArray[np.int64], gap_s: int
) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in runs:
        if merged and starts[a] - starts[merged[-1][1] - 1] <= gap_s:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def quality_events(
    meter: str, frame: pd.DataFrame, period: Period, end: int, tz: str
) -> list[Event]:
    """Gaps of an hour or more, stuck readings and negative readings in the 15-minute data."""
    events: list[Event] = []

    def add(kind: str, a: int, b: int, severity: Severity) -> None:
        events.append(
            _event(meter, kind, "data_quality", a, b, tz, severity, 0.0, None, None, 0.0, None)
        )

    buckets = frame["bucket"].to_numpy(np.int64)
    for a, b in find_gaps(buckets, period.start_ts, end, 900):
        if b - a >= 3600:
            add("meter_outage", a, b, "warning" if b - a < 86400 else "critical")
    values = frame["sum"].to_numpy(float)
    same = np.r_[False, (np.diff(values) == 0) & (values[1:] != 0) & (np.diff(buckets) == 900)]
    for a, b in _runs(same):
        if b - a + 1 >= STUCK_QUARTERS:
            add("stuck_meter", int(buckets[a - 1]), int(buckets[b - 1]) + 900, "warning")
    for a, b in _runs(values < 0):
        add("negative_values", int(buckets[a]), int(buckets[b - 1]) + 900, "warning")
    return events


def _drivers(ctx: ToolContext, lo: int, hi: int) -> dict[str, pd.Series]:
    with ctx.engine.connect() as conn:
        pairs = catalog.list_series(conn, ctx.site.id)
    temps = [s.id for _, s in pairs if s.metric == "outdoor_temperature"][:1]
    made = [s.id for _, s in pairs if s.metric == "production"]
    return {
        "temperature": _daily_driver(ctx, temps, lo, hi, "avg"),
        "production": _daily_driver(ctx, made, lo, hi, "sum"),
    }


def _drop_explained(events: list[Event]) -> list[Event]:
    """A consumption event on a meter whose data was stuck or missing at the time is an
    artefact of the data problem, which is reported instead."""
    quality = [e for e in events if e.category == "data_quality"]

    def explained(e: Event) -> bool:
        return any(q.meter == e.meter and q.start < e.end and e.start < q.end for q in quality)

    return [e for e in events if e.category == "data_quality" or not explained(e)]


@tool(AnomalyInput)
def detect_anomalies(ctx: ToolContext, args: AnomalyInput) -> AnomalyResult:
    """Find unusual consumption and data problems per meter over a period, as a short list of
    events (start, end, kind, severity, expected vs actual kWh, extra kWh and cost): sustained
    excess (leaks, drifting equipment), demand spikes, drops, meter outages, stuck or negative
    readings. Each hour is compared with a model of the meter trained on the six weeks before
    the period. Use it for "anything unusual last week", "why is the bill high"."""
    period = resolve.period(ctx, args.period)
    found = resolve.targets(ctx, args.meters, "energy")
    tz = ctx.site.timezone
    end = min(period.end_ts, int(ctx.now.timestamp()) // 900 * 900)
    train_lo = period.start_ts - TRAINING_DAYS * 86400
    drivers = _drivers(ctx, train_lo, end)
    price = ctx.config.tariffs["electricity"].default_price
    events: list[Event] = []
    caveats: list[str] = []
    for target in found:
        meter_price = ctx.config.gas_price_per_kwh if target.meter.kind == "gas" else price
        train = _daily(ctx, target.series.id, train_lo, period.start_ts, drivers)
        test = _daily(ctx, target.series.id, period.start_ts, end, drivers)
        if len(train.energy) < MIN_TRAINING_DAYS:
            caveats.append(
                f"{target.meter.name}: under three weeks of history before the period; "
                "daily consumption not scored"
            )
        elif len(test.energy):
            expected, z = _robust_scores(train, test)
            outside = (test.temperature > train.temperature.max() + TEMP_MARGIN) | (
                test.temperature < train.temperature.min() - TEMP_MARGIN
            )
            if outside.any():
                z = np.where(outside, 0.0, z)
                caveats.append(
                    f"{target.meter.name}: {int(outside.sum())} day(s) warmer or colder than any "
                    "in its history were not scored"
                )
            iso = _isolation(train, test)
            events += consumption_events(target.meter.name, test, expected, z, iso, tz, meter_price)
        with ctx.engine.connect() as conn:
            quarters = queries.rollups(
                conn, [target.series.id], 900, period.start_ts - 21 * 86400, end, tz=tz
            )
        events += spike_events(target.meter.name, quarters, tz, period.start_ts, meter_price)
        if args.include_data_quality:
            recent = quarters[quarters["bucket"] >= period.start_ts]
            events += quality_events(target.meter.name, recent, period, end, tz)
    if not found:
        raise InsufficientData("no energy meters to check")
    events = _drop_explained(events)
    events.sort(key=lambda e: (e.start, e.meter))
    return AnomalyResult(
        period=period.as_dict(),
        events=events,
        meters_checked=[t.meter.name for t in found],
        method=(
            "daily energy vs a least-squares model (workday, heating/cooling degrees, "
            f"production) trained on the {TRAINING_DAYS} days before, flagged at robust z >= "
            f"{THRESHOLD:g}; Isolation Forest score as a second opinion; demand spikes where a "
            f"quarter-hour is z >= {SPIKE:g} and {SPIKE_RATIO:g}x its usual level on recent days "
            "of the same type; gaps, stuck and negative readings from 15-minute data"
        ),
        caveats=caveats,
    )
