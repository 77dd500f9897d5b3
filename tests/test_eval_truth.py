"""The eval's ground truth against hand arithmetic on a small store, and the question sets."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import Engine, insert

from evals.dataset import (
    Case,
    Dataset,
    InvalidDataset,
    TruthSpec,
    load_dataset,
    parse_period,
)
from evals.truth import FUNCTIONS, TruthError, evaluate
from store import catalog
from store.engine import make_engine
from store.schema import EventLabel
from store.writes import write_readings

TZ = "Europe/Berlin"
ZONE = ZoneInfo(TZ)
# Monday 1 September 2025: no DST change in the 14 days, so index i is day i // 96, local
# quarter-hour i % 96 and weekday (i // 96) % 7 with Monday = 0.
START = datetime(2025, 9, 1, tzinfo=ZONE)
DAYS = 14
N = 96 * DAYS
SITE = "test-plant"
GAP = np.arange(100, 108)  # eight quarter-hours line-b never sent
LOSSES = 1.03  # main meters 3 % more than its sub-meters: cables, transformer, unmetered loads
# The documented defaults for a site whose catalogue has no tariff or factor (README, kpis.md).
PEAK_PRICE, OFF_PEAK_PRICE, DEMAND_CHARGE, GAS_PRICE = 0.24, 0.16, 9.5, 0.07
FACTORS = {"electricity": 0.38, "gas": 0.20}


@dataclass
class Plant:
    engine: Engine
    a: np.ndarray
    b: np.ndarray
    gas: np.ndarray
    office: np.ndarray
    parts: np.ndarray
    temp: np.ndarray


def spec(fn: str, **fields: object) -> TruthSpec:
    return TruthSpec.model_validate({"fn": fn, "site": SITE, **fields})


IDX = np.arange(N)
DAY = IDX // 96
HOUR = (IDX % 96) / 4
WEEKDAY = DAY % 7


def days(first: int, last: int) -> np.ndarray:
    """Mask of days first..last (0 = 1 September), inclusive."""
    return (DAY >= first) & (DAY <= last)


@pytest.fixture
def plant(engine: Engine) -> Plant:
    rng = np.random.default_rng(7)
    working = (WEEKDAY < 5) & (HOUR >= 6) & (HOUR < 22)
    a = np.where(working, 30.0, 5.0) + rng.uniform(0, 2, N)
    a[500] = 80.0  # the peak: day 5 (Saturday 6 Sept), quarter 20 = 05:00
    b = np.full(N, 10.0) + rng.uniform(0, 1, N)
    gas = 20.0 + rng.uniform(0, 5, N)
    office = 2.0 + rng.uniform(0, 1, N)
    parts = np.where(working, 50.0, 0.0)
    temp = 15.0 + 5 * np.sin(IDX / 96 * 2 * np.pi)
    ts = int(START.timestamp()) + 900 * IDX.astype(np.int64)
    keep_b = ~np.isin(IDX, GAP)
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, SITE, TZ)
        catalog.ensure_meter(conn, site.id, "main")
        catalog.ensure_meter(conn, site.id, "line-a", parent="main")
        catalog.ensure_meter(conn, site.id, "line-b", parent="main")
        catalog.ensure_meter(conn, site.id, "office", parent="main", floor_area_m2=100.0)
        catalog.ensure_meter(conn, site.id, "boiler", kind="gas")
        for meter, metric, unit, t, values in [
            ("main", "energy", "kWh", ts, (a + b + office) * LOSSES),
            ("line-a", "energy", "kWh", ts, a),
            ("line-b", "energy", "kWh", ts[keep_b], b[keep_b]),
            ("office", "energy", "kWh", ts, office),
            ("boiler", "energy", "kWh", ts, gas),
            ("line-a-output", "production", "unit", ts, parts),
            ("weather", "outdoor_temperature", "degC", ts, temp),
        ]:
            series = catalog.ensure_series(conn, site.id, meter, metric, unit, interval_s=900)
            write_readings(conn, series.id, t, values, TZ)
        meters = {m.name: m.id for m in catalog.list_meters(conn, site.id)}
        catalog.set_production_links(conn, meters["line-a"], [meters["line-a-output"]])
        for meter, kind, first, last, source in [
            ("line-a", "demand_spike", 500, 502, "simulator"),
            ("line-b", "meter_outage", 100, 108, "simulator"),
            ("boiler", "boiler_short_cycling", 900, 1000, "simulator"),
            ("office", "stuck_meter", 600, 700, "user"),  # not the simulator's: ignored
        ]:
            conn.execute(
                insert(EventLabel).values(
                    meter_id=meters[meter],
                    kind=kind,
                    start_ts=int(ts[first]),
                    end_ts=int(ts[first]) + 900 * (last - first),
                    source=source,
                )
            )
    return Plant(engine, a, b, gas, office, parts, temp)


# ------------------------------------------------------------------ amounts and levels


def test_a_reading_under_way_at_the_periods_end_is_not_counted(plant: Plant) -> None:
    # 2 Sept 00:00 to 11:20: 45 whole quarter-hours (to 11:15); 11:15-11:30 is still under way
    got = evaluate(
        plant.engine, spec("energy", meter="line-a", period="2025-09-02T00:00..2025-09-02T11:20")
    )
    assert got == pytest.approx(plant.a[96 : 96 + 45].sum())


def test_energy_sums_a_period_and_several_meters(plant: Plant) -> None:
    week1 = days(0, 6)
    got = evaluate(plant.engine, spec("energy", meter="line-a", period="2025-09-02"))
    assert got == pytest.approx(plant.a[days(1, 1)].sum())
    both = spec("energy", meter=["line-a", "office"], period="2025-09-01..2025-09-07")
    expected = plant.a[week1].sum() + plant.office[week1].sum()
    assert evaluate(plant.engine, both) == pytest.approx(expected)


def test_levels_daily_figures_and_production(plant: Plant) -> None:
    temp = spec("average", meter="weather", metric="outdoor_temperature", period="2025-09-03")
    assert evaluate(plant.engine, temp) == pytest.approx(plant.temp[days(2, 2)].mean())
    coldest = temp.model_copy(update={"fn": "stat", "stat": "min"})
    assert evaluate(plant.engine, coldest) == pytest.approx(plant.temp[days(2, 2)].min())
    made = spec("stat", stat="sum", meter="line-a-output", metric="production", period="2025-09")
    with pytest.raises(InvalidDataset):
        evaluate(plant.engine, made)  # periods are dates, not months
    made = made.model_copy(update={"period": "2025-09-01..2025-09-14"})
    assert evaluate(plant.engine, made) == pytest.approx(plant.parts.sum())
    daily = plant.a.reshape(DAYS, 96).sum(axis=1)
    period = "2025-09-01..2025-09-14"
    assert evaluate(plant.engine, spec("max_day", meter="line-a", period=period)) == pytest.approx(
        daily.max()
    )
    assert evaluate(plant.engine, spec("min_day", meter="line-a", period=period)) == pytest.approx(
        daily.min()
    )
    average = evaluate(plant.engine, spec("daily_average", meter="line-a", period=period))
    assert average == pytest.approx(daily.sum() / 14)


# ------------------------------------------------------------------ KPIs


def test_peak_demand_its_time_and_load_factor(plant: Plant) -> None:
    week = "2025-09-01..2025-09-07"
    assert evaluate(plant.engine, spec("peak_demand", meter="line-a", period=week)) == 80.0 * 4
    # over a week the peak's day belongs to its time; within one day the time alone
    at = (START + timedelta(minutes=15 * int(np.argmax(plant.a[days(0, 6)])))).astimezone(ZONE)
    assert evaluate(plant.engine, spec("peak_time", meter="line-a", period=week)) == (
        at.strftime("%Y-%m-%d %H:%M")
    )
    one_day = at.date().isoformat()
    assert evaluate(plant.engine, spec("peak_time", meter="line-a", period=one_day)) == (
        at.strftime("%H:%M")
    )
    kw = plant.a[days(0, 6)] * 4
    lf = evaluate(plant.engine, spec("load_factor", meter="line-a", period=week))
    assert lf == pytest.approx(kw.mean() / kw.max())


def test_sec_divides_energy_by_the_lines_output(plant: Plant) -> None:
    got = evaluate(plant.engine, spec("sec", meter="line-a", period="2025-09-01..2025-09-07"))
    week = days(0, 6)
    assert got == pytest.approx(plant.a[week].sum() / plant.parts[week].sum())
    with pytest.raises(TruthError, match="SEC is undefined"):
        evaluate(plant.engine, spec("sec", meter="line-a", period="2025-09-06..2025-09-07"))
    # line-b sits below the main meter with no production of its own and no link
    with pytest.raises(TruthError, match="'line-b' has no production series or link"):
        evaluate(plant.engine, spec("sec", meter="line-b", period="2025-09-01..2025-09-07"))


def test_cost_is_time_of_use_energy_plus_a_pro_rata_demand_charge(plant: Plant) -> None:
    expensive = (WEEKDAY < 5) & (HOUR >= 8) & (HOUR < 20)
    price = np.where(expensive, PEAK_PRICE, OFF_PEAK_PRICE)
    span = days(0, 9)
    energy_cost = float((plant.a[span] * price[span]).sum())
    demand = plant.a[span].max() * 4 * DEMAND_CHARGE * 10 / 30  # 10 of September's 30 days
    got = evaluate(plant.engine, spec("cost", meter="line-a", period="2025-09-01..2025-09-10"))
    assert got == pytest.approx(energy_cost + demand)
    gas = evaluate(plant.engine, spec("cost", meter="boiler", period="2025-09-01..2025-09-10"))
    assert gas == pytest.approx(plant.gas[span].sum() * GAS_PRICE)


def test_carbon_base_load_and_intensity(plant: Plant) -> None:
    period = "2025-09-01..2025-09-14"
    factors = FACTORS
    carbon = evaluate(plant.engine, spec("carbon", meter="boiler", period=period))
    assert carbon == pytest.approx(plant.gas.sum() * factors["gas"])
    carbon = evaluate(plant.engine, spec("carbon", meter="line-a", period=period))
    assert carbon == pytest.approx(plant.a.sum() * factors["electricity"])
    idle = (HOUR < 5) | (WEEKDAY >= 5)
    base = evaluate(plant.engine, spec("base_load", meter="line-a", period=period))
    assert base == pytest.approx(np.percentile(plant.a[idle] * 4, 10))
    intensity = evaluate(plant.engine, spec("intensity", meter="office", period=period))
    assert intensity == pytest.approx(plant.office.sum() / 100.0)
    with pytest.raises(TruthError, match="floor area"):
        evaluate(plant.engine, spec("intensity", meter="line-a", period=period))


# ------------------------------------------------------------------ comparisons and rankings


def test_change_between_periods(plant: Plant) -> None:
    week1, week2 = plant.a[days(0, 6)].sum(), plant.a[days(7, 13)].sum()
    fields = {"meter": "line-a", "period": "2025-09-08..2025-09-14"}
    fields["reference"] = "2025-09-01..2025-09-07"
    assert evaluate(plant.engine, spec("pct_change", **fields)) == pytest.approx(
        100 * (week2 - week1) / week1
    )
    assert evaluate(plant.engine, spec("difference", **fields)) == pytest.approx(week2 - week1)


def test_ranking_is_of_one_carrier_and_leaves_totals_out(plant: Plant) -> None:
    period = "2025-09-01..2025-09-14"
    totals = {
        "line-a": plant.a.sum(),
        "line-b": plant.b[~np.isin(IDX, GAP)].sum(),
        "office": plant.office.sum(),
    }
    order = sorted(totals, key=lambda m: -totals[m])
    assert evaluate(plant.engine, spec("top_meter", period=period)) == order[0]
    assert evaluate(plant.engine, spec("top_n", n=3, period=period)) == order[:3]
    assert evaluate(plant.engine, spec("bottom_meter", period=period)) == order[-1]
    assert evaluate(plant.engine, spec("top_meter_value", period=period)) == pytest.approx(
        totals[order[0]]
    )
    # line-b's gap leaves main's tree incomplete: the share is of the ranked meters' sum
    share = evaluate(plant.engine, spec("top_share", period=period))
    assert share == pytest.approx(100 * totals[order[0]] / sum(totals.values()))
    # after the gap the tree is complete: the share is of main, remainder included
    later = "2025-09-10..2025-09-14"
    rows = days(9, 13)
    main = LOSSES * (plant.a + plant.b + plant.office)[rows].sum()
    top = max(plant.a[rows].sum(), plant.b[rows].sum(), plant.office[rows].sum())
    assert evaluate(plant.engine, spec("top_share", period=later)) == pytest.approx(
        100 * top / main
    )
    gas = evaluate(plant.engine, spec("top_n", n=9, kind="gas", period=period))
    assert gas == ["boiler"]


# ------------------------------------------------------------------ splits


def test_weekend_shift_and_tariff_splits(plant: Plant) -> None:
    fields = {"meter": "line-a", "period": "2025-09-01..2025-09-14"}
    weekend = WEEKDAY >= 5
    total = plant.a.sum()
    assert evaluate(plant.engine, spec("weekend_share", **fields)) == pytest.approx(
        100 * plant.a[weekend].sum() / total
    )
    assert evaluate(plant.engine, spec("weekend_energy", **fields)) == pytest.approx(
        plant.a[weekend].sum()
    )
    early = (WEEKDAY < 5) & (HOUR >= 6) & (HOUR < 14)
    late = (WEEKDAY < 5) & (HOUR >= 14) & (HOUR < 22)
    saturday = (WEEKDAY == 5) & (HOUR >= 6) & (HOUR < 12)
    off = ~(early | late | saturday)
    for name, mask in [
        ("early", early),
        ("late", late),
        ("saturday", saturday),
        ("off-shift", off),
    ]:
        got = evaluate(plant.engine, spec("shift_energy", shift=name, **fields))
        assert got == pytest.approx(plant.a[mask].sum()), name
    share = evaluate(plant.engine, spec("shift_share", shift="late", **fields))
    assert share == pytest.approx(100 * plant.a[late].sum() / total)
    peak = (WEEKDAY < 5) & (HOUR >= 8) & (HOUR < 20)
    assert evaluate(plant.engine, spec("tou_share", part="peak", **fields)) == pytest.approx(
        100 * plant.a[peak].sum() / total
    )


# ------------------------------------------------------------------ data and events


def test_missing_intervals_and_coverage(plant: Plant) -> None:
    day2 = "2025-09-02"  # quarters 96..191 hold the gap 100..107
    assert evaluate(plant.engine, spec("missing_intervals", meter="line-b", period=day2)) == 8
    assert evaluate(plant.engine, spec("missing_intervals", meter="line-a", period=day2)) == 0
    assert evaluate(plant.engine, spec("missing_intervals", period=day2)) == 8
    coverage = evaluate(plant.engine, spec("coverage_percent", meter="line-b", period=day2))
    assert coverage == pytest.approx(100 * 88 / 96)


def test_events_are_the_simulators_labels_overlapping_the_period(plant: Plant) -> None:
    assert evaluate(plant.engine, spec("events", period="2025-09-01..2025-09-14")) == [
        "boiler",
        "line-a",
        "line-b",
    ]
    assert evaluate(plant.engine, spec("events", period="2025-09-06")) == ["line-a"]
    kinds = spec("events", returns="kinds", period="2025-09-01..2025-09-07")
    assert evaluate(plant.engine, kinds) == ["demand_spike", "meter_outage"]
    only = spec("events", meter="line-a", kind="meter_outage", period="2025-09-01..2025-09-07")
    assert evaluate(plant.engine, only) == []


def test_sql_returns_the_first_cell(plant: Plant) -> None:
    count = spec("sql", query="SELECT COUNT(*) FROM meters")
    assert evaluate(plant.engine, count) == 7.0
    name = spec("sql", query="SELECT name FROM meters WHERE floor_area_m2 IS NOT NULL")
    assert evaluate(plant.engine, name) == "office"


def test_bad_specs_are_named(plant: Plant) -> None:
    with pytest.raises(TruthError, match="unknown truth function"):
        evaluate(plant.engine, {"fn": "nope", "site": SITE})
    with pytest.raises(TruthError, match="no meter 'compressor-9'"):
        evaluate(plant.engine, spec("cost", meter="compressor-9", period="2025-09-02"))
    with pytest.raises(TruthError, match="exactly one meter"):
        evaluate(plant.engine, spec("peak_demand", meter=["line-a", "line-b"], period="2025-09-02"))
    with pytest.raises(TruthError, match="needs a period"):
        evaluate(plant.engine, spec("energy", meter="line-a"))
    # a clock window or weekdays on a function that would compute the whole period instead
    with pytest.raises(TruthError, match="energy ignores `hours`"):
        evaluate(
            plant.engine, spec("energy", meter="line-a", period="2025-09-02", hours="06:00-22:00")
        )
    with pytest.raises(TruthError, match="peak_demand ignores `days`"):
        evaluate(plant.engine, spec("peak_demand", meter="line-a", period="2025-09-02", days=[0]))
    windowed = spec("window_energy", meter="line-a", period="2025-09-02", hours="06:00-22:00")
    assert evaluate(plant.engine, windowed) < evaluate(
        plant.engine, spec("energy", meter="line-a", period="2025-09-02")
    )


def test_functions_accept_a_connection_too(plant: Plant) -> None:
    one = spec("energy", meter="line-b", period="2025-09-03")
    with plant.engine.connect() as conn:
        assert FUNCTIONS["energy"](conn, one) == pytest.approx(plant.b[days(2, 2)].sum())
    assert all(fn.__doc__ for fn in FUNCTIONS.values())


# ------------------------------------------------------------------ the question sets

SETS = ("heldout", "dev")


def test_periods_are_inclusive_local_dates() -> None:
    start, end = parse_period("2026-10-26..2026-11-01", TZ)
    assert (start.isoformat(), end.isoformat()) == (
        "2026-10-26T00:00:00+01:00",
        "2026-11-02T00:00:00+01:00",
    )
    assert parse_period("2026-10-25", TZ)[1] - parse_period("2026-10-25", TZ)[0] == (
        datetime(2026, 10, 26, tzinfo=ZONE) - datetime(2026, 10, 25, tzinfo=ZONE)
    )
    with pytest.raises(InvalidDataset):
        parse_period("2026-11-02..2026-11-01", TZ)


def test_schema_rejects_inconsistent_cases() -> None:
    base = {"id": "x", "category": "energy", "question": "q?"}
    with pytest.raises(ValueError, match="no tool is expected"):
        Case.model_validate({**base, "expect": {"args": {"period": "2026-11-04"}}})
    with pytest.raises(ValueError, match="needs outcome 'answer'"):
        Case.model_validate({**base, "expect": {"outcome": "clarify", "truth": {"fn": "energy"}}})
    with pytest.raises(ValueError, match="used twice"):
        Dataset.model_validate(
            {"name": "d", "now": "2026-11-05T00:00:00+01:00", "cases": [{**base, "expect": {}}] * 2}
        )
    with pytest.raises(ValueError, match="UTC offset"):
        Dataset.model_validate({"name": "d", "now": "2026-11-05T00:00:00", "cases": []})


@pytest.mark.parametrize("name", SETS)
def test_question_sets_validate(name: str) -> None:
    from tools.registry import all_tools

    dataset = load_dataset(name)
    known = {*all_tools(), "none", "search_knowledge"}
    for case in dataset.cases:
        assert set(case.expect.tools) <= known, case.id
        if case.expect.truth is not None:
            assert case.expect.truth.fn in FUNCTIONS, case.id
        for key in ("period", "reference", "baseline", "reporting"):
            if key in case.expect.args:
                parse_period(case.expect.args[key], dataset.timezone)
        assert (case.expect.truth is None) or case.expect.outcome == "answer"
        if "search_knowledge" in case.expect.tools:
            assert case.category == "knowledge", case.id


def test_question_sets_cover_every_tool_and_stay_apart() -> None:
    from tools.registry import all_tools

    sets = [load_dataset(name) for name in SETS]
    cases = [c for d in sets for c in d.cases]
    assert len(cases) >= 120
    used = {t for c in cases for t in c.expect.tools}
    assert set(all_tools()) <= used
    for outcome in ("clarify", "refuse", "confirm"):
        assert any(c.expect.outcome == outcome for c in cases), outcome
    questions = [{c.question.casefold() for c in d.cases} for d in sets]
    assert not (questions[0] & questions[1]) - {"yes"}
    threads = [c.thread for c in cases if c.thread]
    assert all(threads.count(t) >= 2 for t in threads)


# ------------------------------------------------------------------ the eval store (slow)


@pytest.fixture(scope="session")
def eval_store(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Engine]:
    """The eval's demo plant: a year up to 2026-11-05, seed 42, built once per session."""
    from connectors.demo import load_demo
    from evals.runner import add_incidents

    path = tmp_path_factory.mktemp("eval-store") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    load_demo(engine, seed=42, days=365, end=date(2026, 11, 5))
    add_incidents(engine)  # the fixed incidents the eval runner adds to each set's store
    yield engine
    engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("name", SETS)
def test_every_truth_spec_evaluates_on_the_eval_store(name: str, eval_store: Engine) -> None:
    from evals.runner import resolved_set

    dataset = resolved_set(name, eval_store).dataset
    for case in dataset.cases:
        if case.expect.truth is None:
            continue
        value = evaluate(eval_store, case.expect.truth)
        if isinstance(value, float):
            assert np.isfinite(value), case.id
        else:
            assert value is not None, case.id
