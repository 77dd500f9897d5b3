"""Reporting periods of CalTRACK daily and billing baselines: counterfactual usage, avoided
energy use (CalTRACK 2.0 §3.5, §3.6, §4.1) and its fractional savings uncertainty (§4.3.2.4),
beside ASHRAE Guideline 14's from tools.mv."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from common.errors import InsufficientData
from tools import caltrack_data as data
from tools.caltrack import CaltrackModel, bounds, period_rows
from tools.caltrack_data import Issue, IssueCode
from tools.mv import Savings as AshraeSavings
from tools.mv import savings as ashrae_savings

# §4.3.2.4: Sun and Baltazar's coefficients (a, b, d) for the autocorrelation polynomial
FSU_POLYNOMIAL = {"billing": (-0.00022, 0.03306, 0.94054), "daily": (-0.00024, 0.03535, 1.00286)}
MONTH_DAYS = 365.25 / 12


@dataclass
class CaltrackSavings:
    """Avoided energy use over a reporting period (§3.6.1, §4.1) with its uncertainty.

    `fsu` is the fractional savings uncertainty of §4.3.2.4 and `uncertainty` the same in
    energy (both at `confidence`); `ashrae` holds ASHRAE 14's own figures from `tools.mv`.
    `periods` lists each day or billing period with its actual and counterfactual usage.
    """

    counterfactual: float
    actual: float
    avoided: float
    percent: float
    fsu: float | None
    uncertainty: float
    confidence: float
    periods_used: int
    periods_masked: int
    periods: pd.DataFrame
    ashrae: AshraeSavings
    issues: list[Issue] = field(default_factory=list)


def predict_daily(model: CaltrackModel, temperature: pd.Series) -> pd.Series:
    """Counterfactual usage per day from daily mean temperatures; NaN where the temperature
    is missing (§3.5.3.1)."""
    hdd, cdd = model.degree_days(temperature.to_numpy(np.float64))
    return pd.Series(model.usage_per_day(hdd, cdd), index=temperature.index, name="counterfactual")


def daily_savings(
    model: CaltrackModel,
    frame: pd.DataFrame,
    *,
    start: date | None = None,
    end: date | None = None,
    confidence: float = 0.9,
) -> CaltrackSavings:
    """Avoided energy over reporting days (§3.5, §3.6): baseline prediction minus actual usage
    on days with both a temperature and a usage value.

    Args:
        model: a daily model from `fit_daily`.
        frame: reporting days, as `fit_daily` takes them.
        start: first reporting day (default: the frame's first).
        end: the day after the last reporting day (default: the day after the frame's last).
        confidence: two-sided confidence of the savings uncertainty.
    """
    days = data.read_daily(frame)
    lo, hi, span = bounds(days.index[0], days.index[-1] + pd.Timedelta(days=1), start, end)
    days = days[(days.index >= lo) & (days.index < hi)]
    actual, issues = data.usage_issues(days["energy"].to_numpy(np.float64), model.fuel)
    counterfactual = predict_daily(model, days["temperature"]).to_numpy()
    table = pd.DataFrame({"date": days.index, "actual": actual, "counterfactual": counterfactual})
    return _savings(model, table, span / MONTH_DAYS, confidence, issues)


def predict_billing(
    model: CaltrackModel,
    bills: pd.DataFrame,
    temperature: pd.DataFrame | pd.Series,
    *,
    end_inclusive: bool = False,
) -> pd.DataFrame:
    """Counterfactual usage of each billing period: its days times the usage per day at the
    period's mean degree days (§3.6.1); NaN where temperatures cover under 90 % of the
    period's hours (§3.5.5.2). Columns: start, end, days, coverage, counterfactual."""
    periods = data.read_bills(bills, end_inclusive)
    return _predict_periods(model, periods, data.as_daily_temperature(temperature))


def _predict_periods(
    model: CaltrackModel, periods: pd.DataFrame, temps: pd.DataFrame
) -> pd.DataFrame:
    first = pd.Timestamp(periods["start"].min())
    last = pd.Timestamp(periods["end"].max())
    calendar = pd.date_range(first, last - pd.Timedelta(days=1), freq="D")
    rows, coverage, daily_t = period_rows(periods, temps, calendar)
    hdd, cdd = model.degree_days(daily_t)
    days = periods["days"].to_numpy(np.float64)
    predicted = model.usage_per_day(rows @ hdd, rows @ cdd) * days
    ok = (coverage >= data.PERIOD_TEMPERATURE_COVERAGE) & (rows.sum(axis=1) > 0)
    return pd.DataFrame(
        {
            "start": periods["start"].to_numpy(),
            "end": periods["end"].to_numpy(),
            "days": days,
            "coverage": coverage,
            "counterfactual": np.where(ok, predicted, np.nan),
        }
    )


def billing_savings(
    model: CaltrackModel,
    bills: pd.DataFrame,
    temperature: pd.DataFrame | pd.Series,
    *,
    start: date | None = None,
    end: date | None = None,
    end_inclusive: bool = False,
    confidence: float = 0.9,
) -> CaltrackSavings:
    """Avoided energy over reporting billing periods (§3.5.5, §3.6.1): estimated reads and
    off-cycle reads are added to the next period up to 70 days, periods longer than the cycle
    allows are flagged, periods without 90 % temperature coverage are left out.

    Args:
        model: a model from `fit_billing` (or `fit_daily`: daily models predict bills too).
        bills: reporting periods, as `fit_billing` takes them.
        temperature: as `fit_billing` takes it.
        start: first reporting day; only periods within [start, end) count.
        end: the day after the reporting period.
        end_inclusive: `end` of each period is its last day.
        confidence: two-sided confidence of the savings uncertainty.
    """
    periods = data.read_bills(bills, end_inclusive)
    lo, hi, _ = bounds(periods["start"].iloc[0], periods["end"].iloc[-1], start, end)
    periods = periods[(periods["start"] >= lo) & (periods["end"] <= hi)]
    if periods.empty:
        raise InsufficientData(f"no billing period lies within {lo:%Y-%m-%d}..{hi:%Y-%m-%d}")
    periods, issues = data.combine_estimated(periods.reset_index(drop=True))
    periods = data.combine_off_cycle(periods)
    cycle = data.infer_cycle(periods["days"].to_numpy(), model.cycle)
    _, length_issues = data.period_length_issues(periods, cycle)
    # §3.5.5.4: in the reporting period long periods are flagged for review, not dropped.
    issues += [i for i in length_issues if i.code == IssueCode.PERIOD_TOO_LONG]
    actual, usage_issues = data.usage_issues(periods["energy"].to_numpy(np.float64), model.fuel)
    predicted = _predict_periods(model, periods, data.as_daily_temperature(temperature))
    table = predicted.assign(actual=actual)
    months = float(periods["days"].sum()) / MONTH_DAYS
    return _savings(model, table, months, confidence, issues + usage_issues)


def _savings(
    model: CaltrackModel,
    table: pd.DataFrame,
    months: float,
    confidence: float,
    issues: list[Issue],
) -> CaltrackSavings:
    """Totals over periods with both values (§3.5.2.1, §3.5.4.1), the fractional savings
    uncertainty of §4.3.2.4 and ASHRAE 14's through tools.mv."""
    used = table["actual"].notna() & table["counterfactual"].notna()
    table = table.assign(used=used)
    expected = table.loc[used, "counterfactual"].to_numpy(np.float64)
    actual = table.loc[used, "actual"].to_numpy(np.float64)
    if not len(expected):
        raise InsufficientData("no reporting period has both usage and a temperature")
    counterfactual, observed = float(expected.sum()), float(actual.sum())
    avoided = counterfactual - observed
    p, c, q = model.n_periods, model.explanatory, len(expected)
    rho = min(max(model.autocorrelation, 0.0), 0.95)
    p_eff = p * (1 - rho) / (1 + rho)
    from scipy import stats  # SciPy loads in a second; a meter question needs none of it

    t = float(stats.t.ppf(0.5 + confidence / 2, max(p - c, 1)))
    a, b, d = FSU_POLYNOMIAL[model.method]
    core = (
        t
        * (a * months**2 + b * months + d)
        * model.cv_rmse_caltrack
        * math.sqrt(p / p_eff * (1 + 2 / p_eff) / q)
    )
    uncertainty = abs(core * counterfactual)
    return CaltrackSavings(
        counterfactual=counterfactual,
        actual=observed,
        avoided=avoided,
        percent=100 * avoided / counterfactual if counterfactual else 0.0,
        fsu=uncertainty / abs(avoided) if avoided else None,
        uncertainty=uncertainty,
        confidence=confidence,
        periods_used=q,
        periods_masked=int((~used).sum()),
        periods=table,
        ashrae=ashrae_savings(model.fit, expected, actual, confidence),
        issues=issues,
    )
