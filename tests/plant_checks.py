"""The checks the property tests run on a random plant: each tool call with the pandas answer it
must give, and the series it may read. A check's facets name the known gap (a missing feature)
they wait for, so the main test leaves them out and the gap's own test expects them to fail.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

from common.errors import EMSError
from store import queries
from tests.plant_truth import ENERGY_CARRIERS, Truth
from tools.anomaly import detect_anomalies
from tools.base import ToolContext
from tools.compare import compare_periods, rank_meters
from tools.coverage import data_coverage
from tools.forecast import forecast
from tools.kpi import compute_kpi
from tools.query import query_metric
from tools.split import split_consumption

REL = 1e-9
STATS = ("sum", "avg", "min", "max")
KPIS = ("energy", "peak_demand", "load_factor", "sec", "cost", "carbon", "intensity")
SPLITS = ("weekday_weekend", "day_of_week", "hour_of_day", "shift", "tou")

# Known gaps: what each waits for. Cases that meet one are left out of the main property and
# expected to fail in the gap's own (strictly xfailed) test, which fails as XPASS when the
# feature lands. Closing a gap is deleting its entry here: facets tagged with a gap that is not
# listed run in the main property (so a stale or misspelt tag can only make the tests stricter).
GAPS: dict[str, str] = {}

Facet = tuple[str | None, Callable[[], None]]


@dataclass
class Check:
    tool: str
    meter: str
    what: str
    facets: list[Facet] = field(default_factory=list)


@dataclass(frozen=True)
class Period:
    text: str
    lo: int
    hi: int


def close(got: float | None, want: float | None, what: str) -> None:
    if want is None:
        assert got is None, f"{what}: {got} where nothing was expected"
        return
    assert got is not None, f"{what}: none where {want} was expected"
    assert got == pytest.approx(want, rel=REL, abs=1e-9), f"{what}: {got} != {want}"


def lazy(fn: Callable[[], Any]) -> Callable[[], Any]:
    """Run a tool call once; an expected refusal (EMSError) is returned, not raised."""

    @functools.cache
    def call() -> Any:
        try:
            return fn()
        except EMSError as exc:
            return exc

    return call


def answer(result: Any) -> Any:
    assert not isinstance(result, EMSError), f"refused: {result}"
    return result


def refused(result: Any) -> None:
    assert isinstance(result, EMSError), f"answered where it should refuse: {result}"


# ------------------------------------------------------------------ periods


def periods(t: Truth) -> dict[str, Period]:
    first, last = t.case.start, t.case.end - timedelta(days=1)
    mid = first + timedelta(days=t.case.days // 2)
    before = mid - timedelta(days=1)

    def day(d: date) -> Period:
        return Period(d.isoformat(), t.midnight(d), t.midnight(d + timedelta(days=1)))

    six = int(datetime.combine(mid, time(6), t.tz).timestamp())
    six_pm = int(datetime.combine(mid, time(18), t.tz).timestamp())
    return {
        "whole": Period(f"{first}..{last}", t.midnight(first), t.midnight(t.case.end)),
        "day": day(mid),
        "before": day(before),
        "hours": Period(f"{mid}T06:00..{mid}T18:00", six, six_pm),
    }


# ------------------------------------------------------------------ query_metric


def query_checks(t: Truth, ctx: ToolContext, p: dict[str, Period]) -> Iterator[Check]:
    for i, meter in enumerate(sorted(t.raw["meter"].unique().tolist() + _silent(t))):
        for j, (metric, _, interval) in enumerate(t.series(meter)):
            chosen = ["whole", "hours" if interval < 86400 else "day"]
            for k, key in enumerate(chosen):
                stat = STATS[(i + j + k) % len(STATS)]
                yield _query(t, ctx, meter, metric, interval, p[key], stat)


def _silent(t: Truth) -> list[str]:
    """Meters of the file without a single reading (an outage over the whole history)."""
    have = set(t.raw["meter"])
    return [m["name"] for m in t.case.meters() if m["name"] not in have]


def _query(
    t: Truth, ctx: ToolContext, meter: str, metric: str, interval: int, p: Period, stat: str
) -> Check:
    args = {"meters": [meter], "metric": metric, "period": p.text, "statistic": stat}
    result = lazy(lambda: query_metric(ctx, args))
    rows = t.rows(meter, metric, p.lo, p.hi)
    end = min(p.hi, t.now)

    def values() -> None:
        if rows.empty:
            return refused(result())
        got = answer(result()).totals[0]
        want = {"sum": rows["value"].sum(), "avg": rows["value"].mean()}
        want |= {"min": rows["value"].min(), "max": rows["value"].max()}
        close(got.value, float(want[stat]), f"{stat} of {metric}")
        assert got.readings == len(rows), f"readings {got.readings} != {len(rows)}"
        assert got.meter == meter

    def expected() -> None:
        if rows.empty:
            return
        got = answer(result()).totals[0]
        slots = len(t.slots(interval, p.lo, end))
        assert got.expected_readings == slots, f"expected {got.expected_readings} != {slots}"
        close(got.coverage, round(len(rows) / slots, 4) if slots else None, "coverage")

    facets: list[Facet] = [(None, values), (None, expected)]
    return Check("query_metric", meter, f"{metric} {stat} {p.text}", facets)


# ------------------------------------------------------------------ compute_kpi


def kpi_checks(t: Truth, ctx: ToolContext, p: dict[str, Period]) -> Iterator[Check]:
    for m in t.case.meters():
        for kpi in KPIS:
            yield _kpi(t, ctx, m["name"], kpi, p["whole"])


def _kpi(t: Truth, ctx: ToolContext, meter: str, kpi: str, p: Period) -> Check:
    result = lazy(lambda: compute_kpi(ctx, {"kpi": kpi, "meter": meter, "period": p.text}))
    check = Check("compute_kpi", meter, f"{kpi} {p.text}")
    carrier = t.meter(meter)["carrier"]
    if not t.has_metric(meter, "energy"):
        gas_m3 = carrier == "gas" and t.has_metric(meter, "volume")
        if gas_m3 and kpi in ("energy", "cost", "carbon"):
            check.facets.append((None, lambda: _gas_m3(t, result(), meter, kpi, p)))
            return check
        if not (gas_m3 and t.case.data["site"].get("gas_calorific_value_kwh_per_m3")):
            check.facets.append((None, lambda: refused(result())))
            return check
        # Gas read in m3 with a calorific value: its peak demand, load factor, SEC and
        # intensity are those of the converted kWh (Truth.kwh).
    rows = t.kwh(meter, p.lo, p.hi)
    if rows.empty:
        check.facets.append((None, lambda: refused(result())))
        return check
    interval = t.interval(meter, t.energy_metric(meter))
    daily = interval == 86400
    energy = float(rows["value"].sum())
    if kpi == "energy":
        check.facets.append((None, lambda: close(answer(result()).value, energy, "energy")))
    elif kpi in ("peak_demand", "load_factor"):
        if daily:
            check.facets.append((None, lambda: refused(result())))
        else:
            check.facets += _demand_facets(t, result, meter, kpi, p, interval)
    elif kpi == "sec":
        check.facets.append((None, lambda: _sec(t, result(), meter, p, energy)))
    elif kpi == "cost":
        timed = daily and _priced_by_time(t, carrier)
        check.facets.append((None, lambda: _cost(t, result(), meter, p, timed)))
    elif kpi == "carbon":
        factor = t.factor(carrier) if carrier in ENERGY_CARRIERS else None
        want = None if factor is None else energy * factor
        check.facets.append((None, lambda: _maybe(result(), want, "carbon")))
    else:
        area = t.meter(meter).get("floor_area_m2") or _site_area(t, meter)
        check.facets.append((None, lambda: _maybe(result(), energy / area if area else None, kpi)))
    return check


def _site_area(t: Truth, meter: str) -> float | None:
    """The site's floor area for its only supply of a carrier (no parent, no other meter of
    the carrier without a parent of that carrier), as the intensity KPI documents it."""
    meters = {m["name"]: m for m in t.case.meters()}
    me = meters[meter]
    if me.get("parent"):
        return None
    tops = [
        m
        for m in meters.values()
        if m["carrier"] == me["carrier"]
        and (not m.get("parent") or meters[m["parent"]]["carrier"] != me["carrier"])
    ]
    area = t.case.data["site"].get("floor_area_m2")
    return float(area) if area and len(tops) == 1 else None


def _maybe(result: Any, want: float | None, what: str) -> None:
    if want is None:
        return refused(result)
    close(answer(result).value, want, what)


def _demand_facets(
    t: Truth, result: Callable[[], Any], meter: str, kpi: str, p: Period, interval: int
) -> list[Facet]:
    demand = t.demand(meter, p.lo, p.hi)
    peak = float(demand["kw"].max())

    def value() -> None:
        got = answer(result())
        if kpi == "peak_demand":
            close(got.value, peak, "peak kW")
            at = int(pd.Timestamp(got.details["at"]).timestamp())
            hit = demand.loc[demand["ts"] == at, "kw"]
            assert len(hit) == 1 and hit.iloc[0] == pytest.approx(peak), f"peak at {at}"
        else:
            energy = float(t.kwh(meter, p.lo, p.hi)["value"].sum())
            average = energy / t.metered_hours(meter, p.lo, p.hi)
            close(got.value, average / peak, "load factor")

    def window() -> None:
        got = answer(result())
        assert got.details.get("window_minutes") == max(interval, 900) / 60, got.details

    facets: list[Facet] = [(None, value)]
    if kpi == "peak_demand":
        facets.append((None, window))
    return facets


def _sec(t: Truth, result: Any, meter: str, p: Period, energy: float) -> None:
    made = t.production_meters(meter)
    if not made:
        return refused(result)
    units = sum(float(t.rows(m, "production", p.lo, p.hi)["value"].sum()) for m in made)
    if units <= 0:
        return refused(result)
    got = answer(result)
    close(got.value, energy / units, "SEC")
    assert sorted(str(got.details["production_meters"]).split(", ")) == sorted(made)


def _priced_by_time(t: Truth, carrier: str) -> bool:
    """Whether a carrier's prices depend on the time of day or on demand."""
    tariffs = t.tariffs(carrier)
    return any(x.get("periods") or x.get("demand_charge_per_kw") for x in tariffs)


def _cost(t: Truth, result: Any, meter: str, p: Period, daily: bool) -> None:
    if daily:
        return refused(result)
    want = t.cost(meter, p.lo, p.hi)
    if want is None:
        return refused(result)
    got = answer(result)
    close(got.value, want, "cost")
    assert got.unit == t.case.data["site"]["currency"], got.unit


def _gas_m3(t: Truth, result: Any, meter: str, kpi: str, p: Period) -> None:
    value = t.case.data["site"].get("gas_calorific_value_kwh_per_m3")
    m3 = float(t.rows(meter, "volume", p.lo, p.hi)["value"].sum())
    if value is None or m3 == 0:
        return refused(result)
    kwh = m3 * value
    price = next((x["default_price"] for x in t.tariffs("gas") if not x.get("valid_from")), None)
    want = {"energy": kwh, "carbon": kwh * (t.factor("gas") or 0), "cost": kwh * (price or 0)}
    close(answer(result).value, want[kpi], f"{kpi} of m3 gas")


# ------------------------------------------------------------------ compare and rank


def compare_checks(t: Truth, ctx: ToolContext, p: dict[str, Period]) -> Iterator[Check]:
    for m in t.case.meters():
        for metric, _, _ in t.series(m["name"]):
            yield _compare(t, ctx, m["name"], metric, p["day"], p["before"])


def _compare(t: Truth, ctx: ToolContext, meter: str, metric: str, a: Period, b: Period) -> Check:
    args = {"meters": [meter], "metric": metric, "period": a.text, "reference": b.text}
    result = lazy(lambda: compare_periods(ctx, args))
    additive = metric in ("energy", "production", "volume")

    def value(p: Period) -> float | None:
        rows = t.rows(meter, metric, p.lo, p.hi)["value"]
        if rows.empty:
            return None
        return float(rows.sum() if additive else rows.mean())

    def run() -> None:
        va, vb = value(a), value(b)
        if va is None and vb is None:
            return refused(result())
        got = answer(result()).changes[0]
        close(got.value, va, "value")
        close(got.reference_value, vb, "reference")
        diff = None if va is None or vb is None else va - vb
        close(got.difference, diff, "difference")
        close(got.percent, 100 * diff / vb if diff is not None and vb else None, "percent")

    return Check("compare_periods", meter, f"{metric} {a.text} vs {b.text}", [(None, run)])


def rank_checks(t: Truth, ctx: ToolContext, p: dict[str, Period]) -> Iterator[Check]:
    for kind in (None, "electricity"):
        args = {"metric": "energy", "period": p["whole"].text, "kind": kind, "top": 100}
        result = lazy(lambda args=args: rank_meters(ctx, args))
        yield Check("rank_meters", "-", f"kind {kind}", [(None, _ranked(t, result, p, kind))])


def _ranked(
    t: Truth, result: Callable[[], Any], p: dict[str, Period], kind: str | None
) -> Callable[[], None]:
    def run() -> None:
        whole = p["whole"]
        members = _rank_members(t, kind)
        if members is None:
            return refused(result())
        values = {}
        for name in members:
            if not t.has_metric(name, "energy"):
                continue
            rows = t.rows(name, "energy", whole.lo, whole.hi)
            if not rows.empty:
                values[name] = float(rows["value"].sum())
        if not values:
            return refused(result())
        ranked = answer(result())
        got = ranked.ranking
        assert {r.meter for r in got} == set(values), (sorted(values), [r.meter for r in got])
        # Shares are of the ranked meters plus the unmetered remainder of each parent whose
        # tree is complete (the tool says which are; the remainder is computed here).
        rest = 0.0
        for u in ranked.unmetered:
            if u.unmetered is None:
                continue
            rows = t.rows(u.meter, "energy", whole.lo, whole.hi)
            children = [m["name"] for m in t.case.meters() if m.get("parent") == u.meter]
            expected = float(rows["value"].sum()) - sum(_energy(t, c, whole) for c in children)
            close(u.unmetered, expected, f"{u.meter} unmetered")
            rest += max(expected, 0.0)
        total = sum(values.values()) + rest or 1.0
        for r in got:
            close(r.value, values[r.meter], f"{r.meter} energy")
            close(r.share_percent, 100 * values[r.meter] / total, f"{r.meter} share")
        assert [r.value for r in got] == sorted((r.value for r in got), reverse=True)

    return run


def _energy(t: Truth, name: str, whole: Period) -> float:
    if not t.has_metric(name, "energy"):
        return 0.0
    return float(t.rows(name, "energy", whole.lo, whole.hi)["value"].sum())


def _rank_members(t: Truth, kind: str | None) -> list[str] | None:
    """The meters a ranking without a named meter covers, as the tool documents it: one
    carrier (the one asked, else electricity, else the only one; None when that is ambiguous);
    the end meters of that carrier's trees (no sub-meter of the carrier), a supply or board
    above them being a total, not a consumer."""
    meters = t.case.meters()
    measured = [m for m in meters if t.has_metric(m["name"], "energy")]
    kinds = sorted({m["carrier"] for m in measured})
    if kind is None and "electricity" not in kinds and len(kinds) > 1:
        return None
    carrier = kind or ("electricity" if "electricity" in kinds or not kinds else kinds[0])
    by_name = {m["name"]: m for m in meters}
    ours = [m for m in meters if m["carrier"] == carrier]
    fed = {
        m["parent"] for m in ours if m.get("parent") and by_name[m["parent"]]["carrier"] == carrier
    }
    return [m["name"] for m in ours if m["name"] not in fed]


# ------------------------------------------------------------------ split and coverage


def split_checks(t: Truth, ctx: ToolContext, p: dict[str, Period]) -> Iterator[Check]:
    for m in t.case.meters():
        if t.has_metric(m["name"], "energy"):
            for by in SPLITS:
                yield _split(t, ctx, m["name"], by, p["whole"])


def _split(t: Truth, ctx: ToolContext, meter: str, by: str, p: Period) -> Check:
    args = {"meter": meter, "period": p.text, "by": by}
    result = lazy(lambda: split_consumption(ctx, args))
    rows = t.rows(meter, "energy", p.lo, p.hi)
    interval = t.interval(meter, "energy")
    check = Check("split_consumption", meter, f"by {by} {p.text}")
    if rows.empty:
        check.facets.append((None, lambda: refused(result())))
        return check
    if interval == 86400 and by in ("shift", "tou"):
        check.facets.append((None, lambda: refused(result())))
        return check
    if interval == 86400 and by == "hour_of_day":
        # A day's reading has no hours: the answer is the day-of-week split, and says so.
        check.facets.append((None, lambda: _weekdays_instead(answer(result()))))
        by = "day_of_week"
    labels = pd.Series(t.split_labels(meter, by, rows["ts"]), index=rows.index)
    totals = rows["value"].groupby(labels).sum()
    hours = rows["value"].groupby(labels).size() * interval / 3600
    whole = float(rows["value"].sum())

    def parts() -> None:
        got = {x.name: x for x in answer(result()).parts}
        assert set(got) == set(totals.index), (sorted(got), sorted(totals.index))
        for name, total in totals.items():
            if by != "hour_of_day":
                close(got[name].value, float(total), f"{name} total")
            close(got[name].share_percent, 100 * total / whole if whole else None, f"{name} %")

    def per_hour() -> None:
        got = {x.name: x for x in answer(result()).parts}
        for name, total in totals.items():
            close(got[name].hours, float(hours[name]), f"{name} hours")
            close(got[name].average_per_hour, float(total / hours[name]), f"{name} per hour")
            if by == "hour_of_day":
                close(got[name].value, float(total / hours[name]), f"{name} kW")

    check.facets += [(None, parts), (None, per_hour)]
    return check


def _weekdays_instead(result: Any) -> None:
    assert result.by == "day_of_week", result.by
    assert any("no hourly profile" in c for c in result.caveats), result.caveats


def coverage_checks(t: Truth, ctx: ToolContext, p: dict[str, Period]) -> Iterator[Check]:
    for m in t.case.meters():
        metric, _, interval = t.series(m["name"])[0]
        yield _coverage(t, ctx, m["name"], metric, interval, p["whole"])


def _coverage(
    t: Truth, ctx: ToolContext, meter: str, metric: str, interval: int, p: Period
) -> Check:
    args = {"meters": [meter], "metric": metric, "period": p.text}
    result = lazy(lambda: data_coverage(ctx, args))
    end = min(p.hi, t.now // 900 * 900)
    slots = t.slots(interval, p.lo, end)
    present = t.rows(meter, metric, p.lo, end)["ts"].to_numpy()

    def run() -> None:
        got = answer(result()).meters[0]
        assert got.expected_intervals == len(slots), (got.expected_intervals, len(slots))
        assert got.present_intervals == len(present), (got.present_intervals, len(present))
        gaps = [(g.start, g.end) for g in got.gaps]
        want = _gaps(t, slots, present, interval)
        assert gaps == want, f"gaps {gaps[:3]}... ({len(gaps)}) != {want[:3]}... ({len(want)})"

    return Check("data_coverage", meter, f"{metric} {p.text}", [(None, run)])


def _gaps(t: Truth, slots: np.ndarray, present: np.ndarray, interval: int) -> list[tuple[str, str]]:
    missing = ~np.isin(slots, present)
    out = []
    i = 0
    while i < len(slots):
        if not missing[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(slots) and missing[j + 1]:
            j += 1
        last = int(slots[j])
        end = int(slots[j + 1]) if j + 1 < len(slots) else _after(t, last, interval)
        iso = [datetime.fromtimestamp(x, t.tz).isoformat() for x in (int(slots[i]), end)]
        out.append((iso[0], iso[1]))
        i = j + 1
    return out


def _after(t: Truth, start: int, interval: int) -> int:
    if interval < 86400:
        return start + interval
    day = datetime.fromtimestamp(start, t.tz).date() + timedelta(days=1)
    return t.midnight(day)


# ------------------------------------------------------------------ everything


def model_checks(t: Truth, ctx: ToolContext, p: dict[str, Period]) -> Iterator[Check]:
    """Anomaly detection and forecasts answer or refuse with a clear message on any plant
    (their figures are checked elsewhere, against known faults)."""
    for m in t.case.meters():
        name = m["name"]
        args = {"meters": [name], "period": p["whole"].text}
        found = lazy(lambda args=args: detect_anomalies(ctx, args))
        ahead = lazy(lambda name=name: forecast(ctx, {"meter": name}))
        yield Check("detect_anomalies", name, p["whole"].text, [(None, found)])
        yield Check("forecast", name, "24h", [(None, ahead)])


def all_checks(t: Truth, ctx: ToolContext) -> Iterator[Check]:
    p = periods(t)
    for make in (query_checks, kpi_checks, compare_checks, rank_checks, split_checks):
        yield from make(t, ctx, p)
    yield from coverage_checks(t, ctx, p)
    yield from model_checks(t, ctx, p)


def failures(checks: Iterator[Check], gap: str | None) -> tuple[int, list[str]]:
    """Run the facets waiting for `gap` (None: those waiting for no open gap): how many ran,
    and what each failed one said."""
    ran, bad = 0, []
    for check in checks:
        for wanted, facet in check.facets:
            if (wanted if wanted in GAPS else None) != gap:
                continue
            ran += 1
            try:
                facet()
            except AssertionError as exc:
                bad.append(f"{check.tool}({check.meter!r}, {check.what}): {exc}")
            except Exception as exc:  # a crash is a failure of the property, with its cause
                bad.append(f"{check.tool}({check.meter!r}, {check.what}) raised {exc!r}")
    return ran, bad


# ------------------------------------------------------------------ what a call reads

READERS = ("readings", "rollups", "daily_table", "peak_15min", "series_stats", "period_totals")


@contextmanager
def recording() -> Iterator[set[int]]:
    """Record the series ids every store query function is asked to read."""
    seen: set[int] = set()
    originals = {name: getattr(queries, name) for name in READERS}

    def wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(fn)

        def reader(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs).arguments
            for key in ("series_id", "series_ids", "series"):
                if key in bound:
                    value = bound[key]
                    ids = value.values() if isinstance(value, dict) else value
                    seen.update([ids] if isinstance(ids, int) else [int(i) for i in ids])
            return fn(*args, **kwargs)

        return reader

    for name, fn in originals.items():
        setattr(queries, name, wrap(name, fn))
    try:
        yield seen
    finally:
        for name, fn in originals.items():
            setattr(queries, name, fn)
