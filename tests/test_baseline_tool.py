"""Baselines on data generated from a known true model, checked against independent fits."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from sqlalchemy import Engine, insert, select

from common.errors import InsufficientData
from store import catalog
from store.schema import BaselineModel, EventLabel
from store.writes import write_readings
from tools.base import ToolContext
from tools.baseline import energy_baseline
from tools.mv import fit_model, savings

TZ = "Europe/Berlin"
ZONE = ZoneInfo(TZ)
START = datetime(2025, 1, 1, tzinfo=ZONE)
DAYS = 425  # 2025 as the baseline, then two months of reporting


def true_daily(rng: np.random.Generator) -> pd.DataFrame:
    days = pd.date_range("2025-01-01", periods=DAYS, freq="D", tz=TZ)
    doy = np.arange(DAYS)
    temp = 10 - 10 * np.cos(2 * np.pi * (doy - 20) / 365) + rng.normal(0, 3, DAYS)
    production = np.where(days.day_of_week < 5, rng.uniform(800, 1200, DAYS), 0.0)
    energy = 120 + 6.0 * np.clip(15 - temp, 0, None) + 0.25 * production + rng.normal(0, 8, DAYS)
    energy[DAYS - 61 :] *= 1.10  # reporting months: 10 % above what the baseline predicts
    return pd.DataFrame({"day": days, "temp": temp, "production": production, "energy": energy})


@pytest.fixture(scope="module")
def truth() -> pd.DataFrame:
    return true_daily(np.random.default_rng(21))


@pytest.fixture
def ctx(engine: Engine, truth: pd.DataFrame) -> ToolContext:
    """Each day's totals spread evenly over its quarter-hours (so daily sums are exact)."""
    starts = [int(d.timestamp()) for d in truth["day"]]
    ends = [int((d + pd.DateOffset(days=1)).timestamp()) for d in truth["day"]]
    ts, energy, temp, pieces = [], [], [], []
    for i, (a, b) in enumerate(zip(starts, ends, strict=True)):
        q = np.arange(a, b, 900)
        ts.append(q)
        energy.append(np.full(len(q), truth["energy"][i] / len(q)))
        temp.append(np.full(len(q), truth["temp"][i]))
        pieces.append(np.full(len(q), truth["production"][i] / len(q)))
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "plant", TZ)
        for meter, metric, unit, values in [
            ("hall", "energy", "kWh", energy),
            ("weather", "outdoor_temperature", "degC", temp),
            ("hall-output", "production", "unit", pieces),
        ]:
            sid = catalog.ensure_series(conn, site.id, meter, metric, unit).id
            write_readings(conn, sid, np.concatenate(ts), np.concatenate(values), TZ)
    return ToolContext(engine=engine, site=site, now=datetime(2026, 3, 5, tzinfo=ZONE))


def test_recovers_the_true_model_and_its_statistics(ctx: ToolContext, truth: pd.DataFrame) -> None:
    result = energy_baseline(ctx, {"meter": "hall", "baseline": "2025", "model": "3p_heating"})
    coef = {c.name: c for c in result.coefficients}
    assert result.balance_points["heating"] == pytest.approx(15.0, abs=1.0)
    assert coef["hdd"].value == pytest.approx(6.0, rel=0.1)
    assert coef["production"].value == pytest.approx(0.25, rel=0.05)
    assert coef["hdd"].t_stat > 10
    # Independent fit with scikit-learn on the same design, at the fitted balance point.
    base = truth[truth["day"].dt.year == 2025]
    x = np.column_stack(
        [np.clip(result.balance_points["heating"] - base["temp"], 0, None), base["production"]]
    )
    ref = LinearRegression().fit(x, base["energy"])
    assert coef["intercept"].value == pytest.approx(ref.intercept_, rel=1e-6)
    assert coef["hdd"].value == pytest.approx(ref.coef_[0], rel=1e-6)
    predicted = ref.predict(x)
    residuals = base["energy"] - predicted
    n, p = len(base), 3
    assert result.r2 == pytest.approx(ref.score(x, base["energy"]), rel=1e-9)
    rmse = np.sqrt((residuals**2).sum() / (n - p))
    assert result.cv_rmse_percent == pytest.approx(100 * rmse / base["energy"].mean(), rel=1e-9)
    assert result.nmbe_percent == pytest.approx(0.0, abs=1e-6)
    assert result.ashrae14_ok and result.days_used == 365


def test_auto_prefers_a_model_with_significant_temperature_terms(ctx: ToolContext) -> None:
    result = energy_baseline(ctx, {"meter": "hall", "baseline": "2025"})
    assert result.model_type in ("3p_heating", "5p")
    assert result.r2 > 0.9


def test_reporting_period_deviation_and_cusum(ctx: ToolContext, truth: pd.DataFrame) -> None:
    result = energy_baseline(
        ctx,
        {
            "meter": "hall",
            "baseline": "2025",
            "reporting": "2026-01..2026-02-28",
            "model": "3p_heating",
        },
    )
    deviation = result.deviation
    assert deviation is not None and deviation.steps == 59
    coef = {c.name: c.value for c in result.coefficients}
    report = truth[truth["day"] >= pd.Timestamp("2026-01-01", tz=TZ)]
    report = report[report["day"] < pd.Timestamp("2026-03-01", tz=TZ)]
    expected = (
        coef["intercept"]
        + coef["hdd"] * np.clip(result.balance_points["heating"] - report["temp"], 0, None)
        + coef["production"] * report["production"]
    )
    assert deviation.expected_kwh == pytest.approx(expected.sum(), rel=1e-9)
    assert deviation.actual_kwh == pytest.approx(report["energy"].sum(), rel=1e-9)
    assert deviation.deviation_percent == pytest.approx(10.0, abs=2.0)
    assert deviation.points[-1].cusum == pytest.approx(deviation.deviation_kwh, rel=1e-9)
    assert 0 < deviation.uncertainty_kwh < abs(deviation.deviation_kwh)


def test_models_are_versioned_in_the_store(ctx: ToolContext) -> None:
    first = energy_baseline(ctx, {"meter": "hall", "baseline": "2025"})
    second = energy_baseline(ctx, {"meter": "hall", "baseline": "2025-03..2025-12-31"})
    assert (first.version, second.version) == (1, 2)
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            select(BaselineModel.version, BaselineModel.metrics, BaselineModel.parameters)
        ).all()
    assert [r[0] for r in rows] == [1, 2]
    assert rows[0][1]["r2"] == pytest.approx(first.r2)
    assert set(rows[0][2]["coefficients"]) == {c.name for c in first.coefficients}


def test_marked_maintenance_days_are_excluded(ctx: ToolContext) -> None:
    with ctx.engine.begin() as conn:
        meter = catalog.resolve_meter(conn, ctx.site.id, "hall")
        a = int(datetime(2025, 6, 1, tzinfo=ZONE).timestamp())
        conn.execute(
            insert(EventLabel).values(
                meter_id=meter.id,
                kind="maintenance",
                start_ts=a,
                end_ts=a + 10 * 86400,
                source="user",
                exclude=True,
            )
        )
    result = energy_baseline(ctx, {"meter": "hall", "baseline": "2025"})
    assert (result.days_used, result.days_excluded) == (355, 10)


def test_too_few_points_are_refused(ctx: ToolContext) -> None:
    with pytest.raises(InsufficientData, match="days of baseline data"):
        energy_baseline(ctx, {"meter": "hall", "baseline": "2025-01-01..2025-01-20"})


def test_savings_uncertainty_matches_the_ashrae_formula() -> None:
    rng = np.random.default_rng(4)
    temp = rng.uniform(-5, 25, 365)
    y = 100 + 5 * np.clip(15 - temp, 0, None) + rng.normal(0, 6, 365)
    fit = fit_model(y, {"temperature": temp}, "3p_heating", [], "day")
    expected = fit.predict({"temperature": temp[:60]})
    result = savings(fit, expected, expected * 0.8)
    from scipy import stats

    t = stats.t.ppf(0.95, 365 - 2)
    rho = max(fit.autocorrelation, 0)
    n_eff = 365 * (1 - rho) / (1 + rho)
    core = t * 1.26 * (fit.cv_rmse / 100) * np.sqrt((365 / n_eff) * (1 + 2 / 365) / 60)
    assert result.uncertainty == pytest.approx(core * expected.sum(), rel=1e-9)
    assert result.percent == pytest.approx(20.0)


def test_hourly_grain_uses_the_hourly_limits(ctx: ToolContext) -> None:
    result = energy_baseline(
        ctx,
        {
            "meter": "hall",
            "baseline": "2025",
            "reporting": "2026-01..2026-02-28",
            "grain": "hour",
            "model": "3p_heating",
        },
    )
    assert result.grain == "hour" and result.unit == "kWh/hour"
    assert result.days_used == 8760
    assert result.ashrae14_limits == {"cv_rmse_percent": 30.0, "nmbe_percent": 10.0}
    assert result.balance_points["heating"] == pytest.approx(15.0, abs=1.0)
    assert result.deviation is not None and result.deviation.steps == 59 * 24
    assert result.deviation.deviation_percent == pytest.approx(10.0, abs=2.0)
