"""CalTRACK daily and billing baselines on data made from known parameters, each data rule
triggered by data built to fail it, and bad input; numbers are checked against the truth or
against least squares written here, never against the module itself."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from common.errors import EMSError, InsufficientData
from tools.caltrack import CaltrackSettings, fit_billing, fit_daily
from tools.caltrack_data import (
    DisqualifiedData,
    InvalidUsageData,
    IssueCode,
    daily_temperature,
)
from tools.caltrack_savings import billing_savings, daily_savings, predict_daily

START = date(2023, 1, 1)
END = date(2024, 1, 1)


def climate(days: int, seed: int, mean: float = 10.0, start: str = "2023-01-01") -> pd.Series:
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=days, freq="D")
    doy = np.arange(days)
    t = mean - 10 * np.cos(2 * np.pi * (doy - 18) / 365.25) + rng.normal(0, 3, days)
    return pd.Series(t, index=dates)


def usage(
    t: pd.Series, intercept: float, bh: float, bc: float, heat: float, cool: float
) -> np.ndarray:
    return np.array(intercept + bh * np.clip(heat - t, 0, None) + bc * np.clip(t - cool, 0, None))


def daily_frame(t: pd.Series, energy: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"date": t.index, "energy": energy, "temperature": t.to_numpy()})


def ols(x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    w = np.ones(len(y)) if w is None else w
    design = np.column_stack([np.ones(len(y)), x]) * np.sqrt(w)[:, None]
    beta, *_ = np.linalg.lstsq(design, y * np.sqrt(w), rcond=None)
    return np.asarray(beta)


@pytest.fixture(scope="module")
def year() -> pd.Series:
    return climate(365, seed=3)


# ------------------------------------------------------------------ daily method


def test_daily_recovers_known_balance_points_and_slopes(year: pd.Series) -> None:
    rng = np.random.default_rng(5)
    truth = usage(year, 200.0, 12.0, 18.0, 15.3, 19.7)
    model = fit_daily(daily_frame(year, truth + rng.normal(0, 4, len(year))))
    assert model.model_type == "hdd_cdd"
    assert model.heating_balance_point == pytest.approx(15.3, abs=0.4)
    assert model.cooling_balance_point == pytest.approx(19.7, abs=0.4)
    assert model.beta_hdd == pytest.approx(12.0, rel=0.05)
    assert model.beta_cdd == pytest.approx(18.0, rel=0.05)
    assert model.intercept == pytest.approx(200.0, rel=0.03)
    assert not [i for i in model.issues if i.disqualifying]


def test_daily_coefficients_and_statistics_match_least_squares(year: pd.Series) -> None:
    rng = np.random.default_rng(6)
    energy = usage(year, 80.0, 5.0, 0.0, 16.0, 99.0) + rng.normal(0, 6, len(year))
    model = fit_daily(daily_frame(year, energy), CaltrackSettings(fuel="gas", refine=False))
    assert model.model_type == "hdd_only"
    hdd = np.clip(model.heating_balance_point - year.to_numpy(), 0, None)
    beta = ols(hdd, energy)
    assert model.intercept == pytest.approx(beta[0], rel=1e-9)
    assert model.beta_hdd == pytest.approx(beta[1], rel=1e-9)
    residuals = energy - (beta[0] + beta[1] * hdd)
    n, sst = len(energy), ((energy - energy.mean()) ** 2).sum()
    assert model.adj_r2 == pytest.approx(1 - (residuals @ residuals / (n - 2)) / (sst / (n - 1)))
    cv = np.sqrt(residuals @ residuals / (n - 1)) / energy.mean()  # §4.3.2.2: P - c
    assert model.cv_rmse_caltrack == pytest.approx(cv)
    assert model.cv_rmse == pytest.approx(
        100 * np.sqrt(residuals @ residuals / (n - 2)) / energy.mean()
    )
    # the selected balance point minimises the sum of squares over the 0.5 °C grid
    sse = []
    for point in np.arange(-1.0, 32.01, 0.5):
        x = np.clip(point - year.to_numpy(), 0, None)
        if x.sum() * 9 / 5 < 20:
            continue
        b = ols(x, energy)
        sse.append((((energy - b[0] - b[1] * x) ** 2).sum(), point))
    assert model.heating_balance_point == pytest.approx(min(sse)[1])


def test_gas_fits_no_cooling_models(year: pd.Series) -> None:
    energy = usage(year, 30.0, 2.0, 3.0, 15.0, 18.0)
    model = fit_daily(daily_frame(year, energy), CaltrackSettings(fuel="gas"))
    assert model.model_type == "hdd_only"
    assert {c.model_type for c in model.candidates} == {"intercept_only", "hdd_only"}


def test_flat_usage_selects_the_intercept_only_model(year: pd.Series) -> None:
    energy = np.random.default_rng(7).normal(50, 5, len(year))
    model = fit_daily(daily_frame(year, energy))
    assert model.model_type == "intercept_only"
    assert model.intercept == pytest.approx(energy.mean())
    assert IssueCode.NO_WEATHER_MODEL in {i.code for i in model.issues}


def test_cooling_only_site(year: pd.Series) -> None:
    rng = np.random.default_rng(8)
    energy = usage(year, 100.0, 0.0, 9.0, -50.0, 18.0) + rng.normal(0, 3, len(year))
    model = fit_daily(daily_frame(year, energy))
    assert model.model_type == "cdd_only"
    assert model.cooling_balance_point == pytest.approx(18.0, abs=0.5)
    assert model.beta_cdd == pytest.approx(9.0, rel=0.06)


def test_p_value_screen_of_caltrack_1(year: pd.Series) -> None:
    """A slope hidden in noise passes CalTRACK 2.0 (no screen) but not a 0.1 p-value limit."""
    rng = np.random.default_rng(9)
    energy = usage(year, 100.0, 0.15, 0.0, 12.0, 99.0) + rng.normal(0, 20, len(year))
    loose = fit_daily(daily_frame(year, energy))
    strict = fit_daily(daily_frame(year, energy), CaltrackSettings(max_p_value=1e-6))
    assert loose.model_type != "intercept_only"
    assert loose.p_values[f"beta_{loose.model_type[:3]}"] > 1e-6
    assert strict.model_type == "intercept_only"


def test_degree_day_rule_skips_cooling_in_a_cold_climate() -> None:
    """§3.2.2.2: balance points with too few degree days are not attempted."""
    cold = climate(365, seed=4, mean=-15.0)
    energy = usage(cold, 100.0, 3.0, 0.0, 10.0, 99.0)
    model = fit_daily(daily_frame(cold, energy))
    cdd = next(c for c in model.candidates if c.model_type == "cdd_only")
    # a cooling balance point can only qualify where the year has 10 warm days
    warm_points = [p for p in np.arange(-1.0, 32.01, 0.5) if (cold > p).sum() >= 10]
    assert cdd.fitted == len(warm_points) or cdd.status == "not_attempted"
    assert model.model_type == "hdd_only"


def test_step_beyond_three_fahrenheit_is_refused(year: pd.Series) -> None:
    with pytest.raises(InvalidUsageData, match="3 °F"):
        fit_daily(daily_frame(year, np.ones(len(year))), CaltrackSettings(step=2.0))


# ------------------------------------------------------------------ billing method


def bills_from(t: pd.Series, energy: np.ndarray, lengths: list[int]) -> pd.DataFrame:
    starts = t.index[0] + pd.to_timedelta(np.cumsum([0, *lengths[:-1]]), "D")
    ends = starts + pd.to_timedelta(lengths, "D")
    series = pd.Series(energy, index=t.index)
    total = [
        series[(series.index >= a) & (series.index < b)].sum()
        for a, b in zip(starts, ends, strict=True)
    ]
    return pd.DataFrame({"start": starts, "end": ends, "energy": total})


UNEVEN = [31, 27, 33, 29, 35, 26, 32, 30, 34, 28, 31, 29]  # 365 days


def test_billing_recovers_parameters_from_uneven_periods(year: pd.Series) -> None:
    truth = usage(year, 300.0, 15.0, 25.0, 14.0, 19.0)
    model = fit_billing(bills_from(year, truth, UNEVEN), year)
    assert model.method == "billing"
    assert model.n_periods == 12 and model.n_days == 365
    assert model.model_type == "hdd_cdd"
    assert model.heating_balance_point == pytest.approx(14.0, abs=0.3)
    assert model.cooling_balance_point == pytest.approx(19.0, abs=0.3)
    assert model.beta_hdd == pytest.approx(15.0, rel=0.03)
    assert model.intercept == pytest.approx(300.0, rel=0.02)


def test_billing_is_weighted_least_squares_on_usage_per_day(year: pd.Series) -> None:
    """§3.3.3, §3.3.5, §3.4.2: per-day usage on mean HDD per day, weighted by period days."""
    rng = np.random.default_rng(10)
    energy = usage(year, 100.0, 6.0, 0.0, 16.0, 99.0) + rng.normal(0, 30, len(year))
    bills = bills_from(year, energy, UNEVEN)
    model = fit_billing(bills, year, CaltrackSettings(fuel="gas", refine=False))
    assert model.model_type == "hdd_only"
    days = np.array(UNEVEN, dtype=float)
    hdd = np.array(
        [
            np.clip(
                model.heating_balance_point - year[(year.index >= a) & (year.index < b)], 0, None
            ).mean()
            for a, b in zip(bills["start"], bills["end"], strict=True)
        ]
    )
    beta = ols(hdd, bills["energy"].to_numpy() / days, days)
    assert model.intercept == pytest.approx(beta[0], rel=1e-9)
    assert model.beta_hdd == pytest.approx(beta[1], rel=1e-9)


def test_billing_period_rules(year: pd.Series) -> None:
    truth = usage(year, 300.0, 15.0, 0.0, 14.0, 99.0)
    lengths = [31, 20, 40, 29, 30, 31, 30, 31, 31, 30, 31, 31]  # 365 days
    bills = bills_from(year, truth, lengths)
    bills["estimated"] = False
    bills.loc[4, "estimated"] = True  # added to the next period (61 days)
    model = fit_billing(
        bills, year, CaltrackSettings(fuel="gas", cycle="monthly"), accept_disqualified=True
    )
    codes = [i.code for i in model.issues]
    assert IssueCode.PERIOD_TOO_SHORT in codes and IssueCode.PERIOD_TOO_LONG in codes
    assert IssueCode.ESTIMATED_READ_COMBINED in codes
    # the 20-day read, the 40-day read and the combined 61-day period are left out: 8 remain
    assert model.n_periods == 8
    assert IssueCode.TOO_MANY_MISSING_DAYS in codes


def test_billing_period_without_temperature_coverage_is_left_out(year: pd.Series) -> None:
    truth = usage(year, 300.0, 15.0, 0.0, 14.0, 99.0)
    temps = year.copy()
    temps.iloc[40:45] = np.nan  # 5 of the second period's 27 days: under 90 % covered
    model = fit_billing(
        bills_from(year, truth, UNEVEN),
        temps,
        CaltrackSettings(fuel="gas"),
        accept_disqualified=True,
    )
    issue = next(i for i in model.issues if i.code == IssueCode.PERIOD_TEMPERATURE_COVERAGE_LOW)
    assert issue.data["coverage"] == pytest.approx(22 / 27)
    assert model.n_periods == 11


def test_estimated_read_without_a_next_read_is_dropped(year: pd.Series) -> None:
    bills = bills_from(year, np.full(365, 10.0), UNEVEN)
    bills["estimated"] = [False] * 11 + [True]
    model = fit_billing(bills, year, CaltrackSettings(fuel="gas"), accept_disqualified=True)
    assert IssueCode.ESTIMATED_READ_DROPPED in {i.code for i in model.issues}
    assert model.n_periods == 11


# ------------------------------------------------------------------ data rules


def refused(codes: IssueCode, call: object) -> list[IssueCode]:
    with pytest.raises(DisqualifiedData) as caught:
        call()  # type: ignore[operator]
    found = [i.code for i in caught.value.issues if i.disqualifying]
    assert codes in found
    assert codes.value.replace("_", " ")[:8] or str(caught.value)
    return found


def test_short_baseline_is_refused_unless_accepted() -> None:
    t = climate(300, seed=11)
    frame = daily_frame(t, usage(t, 50.0, 2.0, 0.0, 15.0, 99.0))
    refused(IssueCode.BASELINE_TOO_SHORT, lambda: fit_daily(frame))
    model = fit_daily(frame, accept_disqualified=True)
    assert model.accepted_disqualified
    issue = next(i for i in model.issues if i.code == IssueCode.BASELINE_TOO_SHORT)
    assert issue.data["span_days"] == 300 and issue.section == "2.2.1.1"


def test_long_baseline_is_refused() -> None:
    t = climate(500, seed=12)
    refused(IssueCode.BASELINE_TOO_LONG, lambda: fit_daily(daily_frame(t, np.full(500, 5.0))))


def test_too_many_missing_days(year: pd.Series) -> None:
    energy = usage(year, 50.0, 2.0, 0.0, 15.0, 99.0)
    energy[10:48] = np.nan  # 38 days, one more than allowed
    refused(IssueCode.TOO_MANY_MISSING_DAYS, lambda: fit_daily(daily_frame(year, energy)))
    energy[47] = 60.0  # 37 missing: allowed
    assert fit_daily(daily_frame(year, energy)).n_periods == 365 - 37


def test_month_without_temperature_coverage(year: pd.Series) -> None:
    temps = year.copy()
    temps["2023-02-10":"2023-02-12"] = np.nan  # 3 of February's 28 days: 89 % covered
    frame = daily_frame(temps, usage(year, 50.0, 2.0, 0.0, 15.0, 99.0))
    found = refused(IssueCode.MONTH_TEMPERATURE_COVERAGE_LOW, lambda: fit_daily(frame))
    assert found == [IssueCode.MONTH_TEMPERATURE_COVERAGE_LOW]
    temps["2023-02-12"] = 1.0
    assert fit_daily(daily_frame(temps, frame["energy"].to_numpy())).n_periods == 363


def test_negative_usage_is_refused(year: pd.Series) -> None:
    energy = usage(year, 50.0, 2.0, 0.0, 15.0, 99.0)
    energy[100] = -5.0
    refused(IssueCode.NEGATIVE_USAGE, lambda: fit_daily(daily_frame(year, energy)))


def test_zero_electricity_is_missing_but_zero_gas_is_usage(year: pd.Series) -> None:
    energy = usage(year, 50.0, 2.0, 0.0, 15.0, 99.0)
    energy[:5] = 0.0
    electricity = fit_daily(daily_frame(year, energy))
    gas = fit_daily(daily_frame(year, energy), CaltrackSettings(fuel="gas"))
    assert electricity.n_periods == 360 and gas.n_periods == 365
    issue = next(i for i in electricity.issues if i.code == IssueCode.ZERO_USAGE_TREATED_AS_MISSING)
    assert issue.data["count"] == 5 and not issue.disqualifying


def test_extreme_values_are_flagged_not_refused(year: pd.Series) -> None:
    energy = np.full(365, 50.0) + np.random.default_rng(2).normal(0, 1, 365)
    energy[200] = 500.0
    model = fit_daily(daily_frame(year, energy))
    issue = next(i for i in model.issues if i.code == IssueCode.EXTREME_USAGE)
    q1, median, q3 = np.percentile(energy, [25, 50, 75])
    assert issue.data["limit"] == pytest.approx(median + 3 * (q3 - q1))
    assert issue.data["count"] == 1 and not issue.disqualifying


# ------------------------------------------------------------------ temperature


def test_daily_temperature_means_local_days_across_dst() -> None:
    hours = pd.date_range(
        "2024-03-30", "2024-04-01", freq="h", tz="Europe/Berlin", inclusive="left"
    )
    readings = pd.Series(np.arange(len(hours), dtype=float), index=hours)
    daily = daily_temperature(readings)
    assert list(daily["expected_hours"]) == [24, 23]
    local = readings.groupby(readings.index.tz_localize(None).normalize()).mean()
    assert daily["temperature"].to_numpy() == pytest.approx(local.to_numpy())


def test_daily_temperature_starts_at_the_first_of_a_repeated_midnight() -> None:
    # Havana turns its clocks back from 01:00 to 00:00 on 1 November 2026: that day's
    # midnight happens twice and the day has 25 hours, the first from 04:00 UTC.
    utc = pd.date_range(
        "2026-11-01 04:00", "2026-11-03 05:00", freq="h", tz="UTC", inclusive="left"
    )
    readings = pd.Series(np.arange(len(utc), dtype=float), index=utc.tz_convert("America/Havana"))
    daily = daily_temperature(readings)
    assert list(daily["expected_hours"]) == [25, 24]
    assert list(daily["hours"]) == [25, 24]
    local = readings.groupby(readings.index.tz_localize(None).normalize()).mean()
    assert daily["temperature"].to_numpy() == pytest.approx(local.to_numpy())


def test_daily_temperature_interpolates_up_to_six_hours() -> None:
    hours = pd.date_range("2024-06-01", periods=72, freq="h")
    values = pd.Series(np.linspace(10, 20, 72), index=hours)
    gaps = values.copy()
    gaps.iloc[30:36] = np.nan  # six hours: interpolated exactly on a straight line
    gaps.iloc[50:57] = np.nan  # seven hours: left missing
    daily = daily_temperature(gaps)
    assert daily["temperature"].iloc[1] == pytest.approx(values.iloc[24:48].mean())
    assert daily["hours"].tolist() == [24, 24, 17]
    assert daily["temperature"].iloc[2] == pytest.approx(gaps.iloc[48:72].mean())


def test_day_with_half_its_hours_missing_has_no_temperature() -> None:
    quarter_hours = pd.date_range("2024-06-01", periods=2 * 96, freq="15min")
    readings = pd.Series(5.0, index=quarter_hours)
    readings.iloc[96 + 4 * 5 : 96 + 4 * 17] = np.nan  # 12 hours of the second day
    daily = daily_temperature(readings)
    assert daily["temperature"].iloc[0] == 5.0
    assert np.isnan(daily["temperature"].iloc[1])


# ------------------------------------------------------------------ reporting period


def test_daily_savings_against_known_saving(year: pd.Series) -> None:
    rng = np.random.default_rng(13)
    base = usage(year, 200.0, 12.0, 18.0, 15.0, 20.0)
    model = fit_daily(daily_frame(year, base + rng.normal(0, 5, 365)))
    nxt = climate(366, seed=14, start="2024-01-01")
    truth = usage(nxt, 200.0, 12.0, 18.0, 15.0, 20.0)
    temps = nxt.copy()
    temps.iloc[:3] = np.nan  # no counterfactual without a temperature (§3.5.3.1)
    frame = daily_frame(temps, 0.9 * truth)
    result = daily_savings(model, frame)
    assert result.periods_used == 363 and result.periods_masked == 3
    assert result.avoided == pytest.approx(0.1 * truth[3:].sum(), rel=0.03)
    hdd = np.clip(model.heating_balance_point - temps.to_numpy(), 0, None)
    cdd = np.clip(temps.to_numpy() - model.cooling_balance_point, 0, None)
    expected = model.intercept + model.beta_hdd * hdd + model.beta_cdd * cdd
    assert result.counterfactual == pytest.approx(np.nansum(expected))
    assert predict_daily(model, temps).to_numpy()[3:] == pytest.approx(expected[3:])
    # §4.3.2.4 written out: t (a M² + b M + d) CV sqrt(P/P' (1 + 2/P') / Q) / F
    from scipy import stats

    rho = min(max(model.autocorrelation, 0.0), 0.95)
    p_eff = 365 * (1 - rho) / (1 + rho)
    m = 366 / (365.25 / 12)
    u = stats.t.ppf(0.95, 363) * (-0.00024 * m**2 + 0.03535 * m + 1.00286)
    u *= model.cv_rmse_caltrack * np.sqrt(365 / p_eff * (1 + 2 / p_eff) / 363)
    assert result.fsu == pytest.approx(u * result.counterfactual / result.avoided)
    assert result.ashrae.avoided == pytest.approx(result.avoided)


def test_billing_savings_combines_off_cycle_reads(year: pd.Series) -> None:
    truth = usage(year, 300.0, 15.0, 0.0, 14.0, 99.0)
    model = fit_billing(bills_from(year, truth, UNEVEN), year, CaltrackSettings(fuel="gas"))
    nxt = climate(365, seed=15, start="2024-01-01")
    truth2 = usage(nxt, 300.0, 15.0, 0.0, 14.0, 99.0)
    lengths = [31, 10, 19, 29, 30, 31, 30, 31, 31, 30, 31, 31, 31]
    bills = bills_from(nxt, 0.8 * truth2, [*lengths[:-1], 365 - sum(lengths[:-1])])
    result = billing_savings(model, bills, nxt)
    # the 10-day read is added to the next period (§3.5.5.3): 13 reads, 12 periods
    assert result.periods_used == 12
    assert result.periods["days"].min() == 29
    assert result.avoided == pytest.approx(0.2 * truth2.sum(), rel=0.02)


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("frame", "error", "words"),
    [
        (pd.DataFrame({"date": [], "energy": [], "temperature": []}), InsufficientData, "no rows"),
        (pd.DataFrame({"day": ["2024-01-01"], "energy": [1.0]}), InvalidUsageData, "lacks columns"),
        (
            pd.DataFrame(
                {"date": ["2024-01-01", None], "energy": [1.0, 2.0], "temperature": [1.0, 2.0]}
            ),
            InvalidUsageData,
            "missing in rows [1]",
        ),
        (
            pd.DataFrame(
                {
                    "date": ["2024-01-02", "2024-01-01"],
                    "energy": [1.0, 2.0],
                    "temperature": [1.0, 2.0],
                }
            ),
            InvalidUsageData,
            "must increase",
        ),
        (
            pd.DataFrame(
                {
                    "date": ["2024-01-01", "2024-01-01"],
                    "energy": [1.0, 2.0],
                    "temperature": [1.0, 2.0],
                }
            ),
            InvalidUsageData,
            "without repeats",
        ),
        (
            pd.DataFrame({"date": ["2024-01-01"], "energy": ["lots"], "temperature": [1.0]}),
            InvalidUsageData,
            "not a number in rows [0]",
        ),
        (
            pd.DataFrame({"date": ["2024-01-01"], "energy": [np.inf], "temperature": [1.0]}),
            InvalidUsageData,
            "infinite",
        ),
    ],
)
def test_bad_daily_frames(frame: pd.DataFrame, error: type[EMSError], words: str) -> None:
    with pytest.raises(error) as caught:
        fit_daily(frame)
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("bills", "words"),
    [
        (
            pd.DataFrame({"start": ["2024-02-01"], "end": ["2024-01-01"], "energy": [1.0]}),
            "ends (2024-01-01) before or on its start (2024-02-01): -31 days",
        ),
        (
            pd.DataFrame(
                {
                    "start": ["2024-02-01", "2024-01-01"],
                    "end": ["2024-03-01", "2024-02-01"],
                    "energy": [1.0, 1.0],
                }
            ),
            "in order without overlaps: row 1",
        ),
        (
            pd.DataFrame(
                {
                    "start": ["2024-01-01", "2024-01-20"],
                    "end": ["2024-02-01", "2024-03-01"],
                    "energy": [1.0, 1.0],
                }
            ),
            "before the previous period ends 2024-02-01",
        ),
        (
            pd.DataFrame({"start": ["2024-01-01"], "end": [None], "energy": [1.0]}),
            "missing in rows [0]",
        ),
    ],
)
def test_bad_billing_frames(bills: pd.DataFrame, words: str, year: pd.Series) -> None:
    with pytest.raises(InvalidUsageData) as caught:
        fit_billing(bills, year)
    assert words in str(caught.value)


def test_bad_temperature_readings() -> None:
    with pytest.raises(InvalidUsageData, match="DatetimeIndex"):
        daily_temperature(pd.Series([1.0, 2.0]))
    with pytest.raises(InsufficientData, match="no temperature"):
        daily_temperature(pd.Series([], index=pd.DatetimeIndex([]), dtype=float))


def test_disqualified_error_is_an_ems_error_with_its_issues(year: pd.Series) -> None:
    energy = np.full(365, np.nan)
    energy[:100] = 5.0
    with pytest.raises(EMSError) as caught:
        fit_daily(daily_frame(year, energy))
    assert isinstance(caught.value, DisqualifiedData)
    assert "accept_disqualified=True" in str(caught.value)
    assert "CalTRACK 2.2.1.2" in str(caught.value)
