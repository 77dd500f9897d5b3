"""The eval's baseline truth on data drawn from a known cooling model: the expected kWh, the
deviation and its uncertainty against that model and against the baseline tool's own fit."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from evals.dataset import TruthSpec
from evals.readings import Readings, TruthError
from evals.truth import evaluate
from evals.truth_baseline import _complete_days
from store import catalog
from store.writes import write_readings
from tools.base import ToolContext
from tools.baseline import energy_baseline

TZ = "Europe/Berlin"
ZONE = ZoneInfo(TZ)
DAYS = 122  # May and June as the baseline, then July and August to report on
SHORT_DAY = 100  # a reporting day (9 August) with only half its readings: not complete


def drawn(rng: np.random.Generator) -> pd.DataFrame:
    """Daily kWh of a chiller: 200 + 25 per degree above 17 degC, 10 % more from July on."""
    days = pd.date_range("2026-05-01", periods=DAYS, freq="D", tz=TZ)
    temp = rng.uniform(8, 32, DAYS)
    expected = 200 + 25.0 * np.clip(temp - 17, 0, None)
    energy = expected + rng.normal(0, 15, DAYS)
    energy[61:] *= 1.10
    return pd.DataFrame({"day": days, "temp": temp, "expected": expected, "energy": energy})


@pytest.fixture(scope="module")
def daily() -> pd.DataFrame:
    return drawn(np.random.default_rng(5))


@pytest.fixture
def ctx(engine: Engine, daily: pd.DataFrame) -> ToolContext:
    """Each day's kWh spread over its quarter-hours, its temperature in each of them."""
    ts, energy, temp = [], [], []
    for i, day in enumerate(daily["day"]):
        q = np.arange(int(day.timestamp()), int((day + pd.DateOffset(days=1)).timestamp()), 900)
        part = np.full(len(q), daily["energy"][i] / len(q))
        if i == SHORT_DAY:
            q, part = q[::2], part[::2]
        ts.append(q)
        energy.append(part)
        temp.append(np.full(len(q), daily["temp"][i]))
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "plant", TZ)
        catalog.ensure_meter(conn, site.id, "cooling")
        for meter, metric, unit, values in [
            ("cooling", "energy", "kWh", energy),
            ("weather", "outdoor_temperature", "degC", temp),
        ]:
            sid = catalog.ensure_series(conn, site.id, meter, metric, unit, interval_s=900).id
            write_readings(conn, sid, np.concatenate(ts), np.concatenate(values), TZ)
    return ToolContext(engine=engine, site=site, now=datetime(2026, 9, 1, tzinfo=ZONE))


def spec(fn: str, period: str = "2026-07-01..2026-08-31") -> TruthSpec:
    return TruthSpec(
        fn=fn, site="plant", meter="cooling", period=period, reference="2026-05-01..2026-06-30"
    )


def test_the_baseline_truth_recovers_the_model_the_data_was_drawn_from(
    ctx: ToolContext, daily: pd.DataFrame
) -> None:
    reporting = daily.iloc[61:].drop(index=SHORT_DAY)  # complete days only
    expected = evaluate(ctx.engine, spec("baseline_expected"))
    deviation = evaluate(ctx.engine, spec("baseline_deviation"))
    assert expected == pytest.approx(reporting["expected"].sum(), rel=0.01)
    # actual minus expected, the actual of complete days only: about the 10 % added
    actual = reporting["energy"].sum()
    assert isinstance(deviation, float) and deviation > 0
    assert deviation == pytest.approx(actual - float(expected), rel=1e-9)  # type: ignore[arg-type]
    assert deviation == pytest.approx(actual - reporting["expected"].sum(), rel=0.1)


def test_the_baseline_truth_agrees_with_the_baseline_tool(ctx: ToolContext) -> None:
    """Two implementations of the documented model, written apart, give the same figures."""
    result = energy_baseline(
        ctx,
        {
            "meter": "cooling",
            "baseline": "2026-05-01..2026-06-30",
            "reporting": "2026-07-01..2026-08-31",
            "drivers": ["temperature"],
            "method": "regression",
        },
    )
    found = result.deviation
    assert found is not None and found.steps == DAYS - 61 - 1
    assert evaluate(ctx.engine, spec("baseline_expected")) == pytest.approx(found.expected_kwh)
    assert evaluate(ctx.engine, spec("baseline_deviation")) == pytest.approx(found.deviation_kwh)
    assert evaluate(ctx.engine, spec("baseline_uncertainty")) == pytest.approx(
        found.uncertainty_kwh
    )


def test_a_baseline_truth_needs_its_base_period_and_enough_days(ctx: ToolContext) -> None:
    without = spec("baseline_expected").model_copy(update={"reference": None})
    with pytest.raises(TruthError, match="baseline period as its reference"):
        evaluate(ctx.engine, without)
    short = spec("baseline_expected").model_copy(update={"reference": "2026-05-01..2026-05-20"})
    with pytest.raises(TruthError, match="20 complete baseline days"):
        evaluate(ctx.engine, short)


def quarter_hours(day: str) -> pd.DatetimeIndex:
    """Every quarter-hour of one local day, from its midnight to the next on the calendar."""
    start = pd.Timestamp(day, tz=TZ)
    end = pd.Timestamp(day) + pd.Timedelta(days=1)
    return pd.date_range(start, end.tz_localize(TZ), freq="15min", inclusive="left")


@pytest.mark.parametrize(
    ("day", "quarters"),
    [("2026-03-29", 92), ("2026-06-10", 96), ("2026-10-25", 100)],  # clocks forward, none, back
)
def test_a_day_is_complete_by_the_hours_of_its_local_calendar(day: str, quarters: int) -> None:
    """A day around a clock change asks for 90 % of its own 23 or 25 hours of readings: one
    reading, or all but a tenth and one, leaves it incomplete."""
    every = quarter_hours(day)
    assert len(every) == quarters
    needed = int(np.ceil(0.9 * quarters))
    for kept, complete in [(1, False), (needed - 1, False), (needed, True), (quarters, True)]:
        local = every[:kept]
        readings = Readings(local, pd.Series(np.ones(kept), index=local), 0.25)
        assert (len(_complete_days(readings)) == 1) is complete, (day, kept)
