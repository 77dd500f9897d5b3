"""CalTRACK daily and billing baselines (CalTRACK methods 2.0, sections 2 to 4): degree-day
models with a balance-point search, candidate selection by adjusted R², the methods' data
sufficiency rules as data, predictions, avoided energy and its fractional savings uncertainty.

Pure numpy/pandas: frames in, dataclasses out; nothing here knows the store or the agent.
Entry points: `fit_daily` and `fit_billing` fit a baseline (`tools.caltrack_savings`
compares a reporting period with it). Temperatures come from
`caltrack_data.daily_temperature` (hourly or finer readings to daily means).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from common.errors import InsufficientData
from tools import caltrack_data as data
from tools.caltrack_data import DisqualifiedData, Fuel, Issue, IssueCode
from tools.mv import Coefficient, Fit, ashrae_caveats, goodness_of_fit, lag1_autocorrelation

Array = npt.NDArray[np.float64]
ModelType = Literal["intercept_only", "hdd_only", "cdd_only", "hdd_cdd"]
Method = Literal["daily", "billing"]
# §3.2.1: balance points searched from 30 to 90 °F; §3.2.2.2.2: at least 20 degree days a year.
RANGE_F = (30.0, 90.0)
MIN_TOTAL_DD_F = 20.0
MIN_NONZERO_DD_DAYS = 10  # §3.2.2.2.1, daily data only
MAX_STEP_F = 3.0  # §3.2.3
TERMS: dict[str, list[str]] = {
    "intercept_only": [],
    "hdd_only": ["hdd"],
    "cdd_only": ["cdd"],
    "hdd_cdd": ["hdd", "cdd"],
}


@dataclass(frozen=True)
class CaltrackSettings:
    """How to fit: temperature unit, fuel, the balance-point grid and the p-value screen.

    `step` is the grid spacing in `unit` (default 0.5 °C or 1 °F; §3.2.3 allows up to 3 °F).
    `refine` searches a five-times finer grid around each model type's best grid point, so
    balance points are not limited to the grid. `max_p_value` 1.0 follows CalTRACK 2.0, which
    dropped the p-value screen (§3.4.3.2 appendix); 0.1 restores CalTRACK 1.0's. `fuel` "gas"
    (any heating-only fuel) fits no cooling models (§3.2.1.1, §3.4.3.1) and keeps zero reads.
    `cycle` names the billing cycle for the period-length limits (§2.2.3.5), or infers it.
    """

    unit: Literal["C", "F"] = "C"
    fuel: Fuel = "electricity"
    step: float | None = None
    refine: bool = True
    max_p_value: float = 1.0
    cycle: data.Cycle = "auto"

    def grid(self) -> Array:
        step = self.step if self.step is not None else (0.5 if self.unit == "C" else 1.0)
        if not 0 < step <= self.from_f(MAX_STEP_F, delta=True) + 1e-9:
            raise data.InvalidUsageData(
                f"balance-point step {step} must be above 0 and at most 3 °F "
                f"({self.from_f(MAX_STEP_F, delta=True):.2f} °{self.unit}) (§3.2.3)"
            )
        low, high = (self.from_f(t) for t in RANGE_F)
        first = math.ceil(low / step - 1e-9) * step
        return np.round(np.arange(first, high + 1e-9, step), 6)

    def from_f(self, value: float, delta: bool = False) -> float:
        if self.unit == "F":
            return value
        return value * 5 / 9 if delta else (value - 32) * 5 / 9


@dataclass(frozen=True)
class CandidateSummary:
    """The best candidate of one model type, and how many of its kind were tried."""

    model_type: ModelType
    status: Literal["qualified", "disqualified", "not_attempted"]
    adj_r2: float | None
    heating_balance_point: float | None
    cooling_balance_point: float | None
    fitted: int
    qualified: int


@dataclass
class CaltrackModel:
    """A fitted CalTRACK baseline: usage per day = intercept + beta_hdd * HDD + beta_cdd * CDD
    (§3.3.2), with degree days per day at the balance points, in `unit`.

    `r2` and `adj_r2` are the selection statistics on usage per day (weighted by period days
    for billing, §3.4.3.3); `cv_rmse` and `nmbe` are ASHRAE Guideline 14's on period totals,
    and `cv_rmse_caltrack` CalTRACK's (§4.3.2.2, P - c degrees of freedom), as fractions of 1
    for the latter and percent for the former. `fit` is the same model as `tools.mv` knows it.
    """

    method: Method
    model_type: ModelType
    unit: str
    intercept: float
    beta_hdd: float
    beta_cdd: float
    heating_balance_point: float | None
    cooling_balance_point: float | None
    std_errors: dict[str, float]
    p_values: dict[str, float]
    r2: float
    adj_r2: float
    cv_rmse: float
    nmbe: float
    cv_rmse_caltrack: float
    autocorrelation: float
    n_periods: int
    n_days: int
    span_days: int
    fit: Fit
    issues: list[Issue]
    candidates: list[CandidateSummary]
    fuel: Fuel = "electricity"
    cycle: data.Cycle = "auto"
    accepted_disqualified: bool = False

    @property
    def explanatory(self) -> int:
        """c of §3.4.3.3: explanatory variables besides the intercept."""
        return {"intercept_only": 0, "hdd_only": 1, "cdd_only": 1, "hdd_cdd": 2}[self.model_type]

    def usage_per_day(self, hdd: Array, cdd: Array) -> Array:
        """Usage per day from degree days per day at the model's balance points (§3.3.2)."""
        return np.asarray(self.intercept + self.beta_hdd * hdd + self.beta_cdd * cdd)

    def degree_days(self, temperature: Array) -> tuple[Array, Array]:
        """Daily HDD and CDD at the model's balance points (§3.3.4, §3.3.5); zero when unused."""
        hdd = np.zeros(len(temperature))
        cdd = np.zeros(len(temperature))
        if self.heating_balance_point is not None:
            hdd = np.clip(self.heating_balance_point - temperature, 0, None)
        if self.cooling_balance_point is not None:
            cdd = np.clip(temperature - self.cooling_balance_point, 0, None)
        return hdd, cdd


# ------------------------------------------------------------------ fitting


@dataclass
class _Design:
    """Rows to fit: usage per day `y`, weights `w`, days per row, and `rows` (rows x days)
    averaging each day's degree days into the row's degree days per day."""

    y: Array
    w: Array
    days: Array
    rows: Array
    temperature: Array
    years: float

    def degree_days(self, points: Array, kind: str) -> Array:
        t = self.temperature[:, None]
        per_day = (
            np.clip(points[None, :] - t, 0, None)
            if kind == "hdd"
            else np.clip(t - points[None, :], 0, None)
        )
        return np.asarray(self.rows @ per_day)


def _fit_batch(x: Array, y: Array, w: Array) -> tuple[Array, Array, Array, Array]:
    """Weighted least squares for a stack of designs x (B, n, k): coefficients, standard
    errors, p-values and adjusted R² (§3.4.3.3, weighted as statsmodels' WLS does)."""
    n, k = x.shape[1], x.shape[2]
    xtw = np.transpose(x, (0, 2, 1)) * w
    a = xtw @ x
    b = xtw @ y
    # A vanishing ridge keeps a degenerate candidate (a degree-day column of zeros) solvable;
    # such candidates are refused by the degree-day rules anyway.
    a = a + np.eye(k) * 1e-12 * np.trace(a, axis1=1, axis2=2)[:, None, None]
    beta = np.linalg.solve(a, b[..., None])[..., 0]
    residuals = y[None, :] - np.einsum("bnk,bk->bn", x, beta)
    ssr = (w * residuals**2).sum(axis=1)
    mean = float((w * y).sum() / w.sum())
    sst = float((w * (y - mean) ** 2).sum())
    dof = max(n - k, 1)
    adj = 1 - (ssr / dof) / (sst / max(n - 1, 1)) if sst > 0 else np.zeros(len(x))
    cov = np.linalg.inv(a) * (ssr / dof)[:, None, None]
    se = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        from scipy import stats  # SciPy loads in a second; a meter question needs none of it

        p = 2 * stats.t.sf(np.abs(beta / se), dof)
    return beta, se, np.nan_to_num(p, nan=1.0), np.asarray(adj)


@dataclass
class _Candidate:
    model_type: ModelType
    heating: float | None
    cooling: float | None
    beta: Array
    se: Array
    p: Array
    adj_r2: float


class _Search:
    """Candidate models over the balance-point grid (§3.2, §3.4.3) for one design."""

    def __init__(self, design: _Design, settings: CaltrackSettings, method: Method) -> None:
        self.design = design
        self.settings = settings
        self.method = method
        self.min_total = settings.from_f(MIN_TOTAL_DD_F, delta=True) * design.years
        self.min_nonzero = MIN_NONZERO_DD_DAYS * design.years if method == "daily" else 0.0

    def enough(self, dd: Array) -> Array:
        """§3.2.2.2: enough days with degree days and enough degree days per year."""
        total = (dd * self.design.days[:, None]).sum(axis=0)
        nonzero = (dd > 0).sum(axis=0)
        return np.asarray((total >= self.min_total) & (nonzero >= self.min_nonzero))

    def evaluate(
        self, model_type: ModelType, heating: Array, cooling: Array
    ) -> tuple[list[_Candidate], int]:
        """Fit pairs (heating[i], cooling[i]) (NaN = term unused); return the qualified
        candidates (§3.4.3.2) and how many were fitted."""
        d = self.design
        columns = [np.ones((len(heating), len(d.y)))]
        ok = np.ones(len(heating), dtype=bool)
        for points, kind in ((heating, "hdd"), (cooling, "cdd")):
            if not np.isnan(points).all():
                dd = d.degree_days(points, kind)
                ok &= self.enough(dd)
                columns.append(dd.T)
        if not ok.any():
            return [], 0
        x = np.stack(columns, axis=2)[ok]
        beta, se, p, adj = _fit_batch(x, d.y, d.w)
        qualified = (beta >= 0).all(axis=1) & (p[:, 1:] <= self.settings.max_p_value).all(axis=1)
        h, c = heating[ok], cooling[ok]
        found = [
            _Candidate(model_type, _num(h[i]), _num(c[i]), beta[i], se[i], p[i], float(adj[i]))
            for i in np.flatnonzero(qualified)
        ]
        return found, int(ok.sum())

    def pairs(self, model_type: ModelType, grid: Array) -> tuple[Array, Array]:
        nan = np.full(len(grid), np.nan)
        if model_type == "hdd_only":
            return grid, nan
        if model_type == "cdd_only":
            return nan, grid
        h, c = np.meshgrid(grid, grid, indexing="ij")
        keep = h <= c  # §3.2.2.1: cooling balance point at or above heating
        return h[keep], c[keep]

    def best(self, model_type: ModelType) -> tuple[_Candidate | None, int, int]:
        grid = self.settings.grid()
        found, fitted = self.evaluate(model_type, *self.pairs(model_type, grid))
        top = max(found, key=lambda f: f.adj_r2, default=None)
        if top is not None and self.settings.refine:
            top = self._refine(top, grid)
        return top, fitted, len(found)

    def _refine(self, top: _Candidate, grid: Array) -> _Candidate:
        step = float(grid[1] - grid[0]) if len(grid) > 1 else 1.0
        offsets = np.linspace(-step, step, 11)

        def local(centre: float | None) -> Array:
            if centre is None:
                return np.array([np.nan])
            return np.clip(centre + offsets, grid[0], grid[-1])

        grid_h, grid_c = np.meshgrid(local(top.heating), local(top.cooling), indexing="ij")
        h, c = grid_h.ravel(), grid_c.ravel()
        keep = np.isnan(h) | np.isnan(c) | (h <= c)
        found, _ = self.evaluate(top.model_type, h[keep], c[keep])
        return max([top, *found], key=lambda f: f.adj_r2)


def _num(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _select(
    design: _Design, settings: CaltrackSettings, method: Method
) -> tuple[_Candidate, list[CandidateSummary]]:
    """All candidate types (§3.4.3.1); the qualified one with the highest adjusted R² wins,
    the intercept-only model counting as 0 (§3.4.3.3); ties go to the simpler model."""
    search = _Search(design, settings, method)
    intercept, se, p, _ = _fit_batch(np.ones((1, len(design.y), 1)), design.y, design.w)
    chosen = _Candidate("intercept_only", None, None, intercept[0], se[0], p[0], 0.0)
    base_ok = bool(intercept[0, 0] >= 0)
    summaries = [
        CandidateSummary(
            "intercept_only",
            "qualified" if base_ok else "disqualified",
            0.0,
            None,
            None,
            1,
            int(base_ok),
        )
    ]
    types: list[ModelType] = ["hdd_only", "cdd_only", "hdd_cdd"]
    best_adj = 0.0 if base_ok else -math.inf
    for model_type in types:
        if settings.fuel == "gas" and model_type != "hdd_only":
            continue
        top, fitted, qualified = search.best(model_type)
        summaries.append(_summary(model_type, top, fitted, qualified))
        if top is not None and top.adj_r2 > best_adj:
            chosen, best_adj = top, top.adj_r2
    if best_adj == -math.inf:
        raise InsufficientData(
            "no CalTRACK candidate model qualifies: every fit has a negative coefficient (§3.4.3.2)"
        )
    return chosen, summaries


def _summary(
    model_type: ModelType, top: _Candidate | None, fitted: int, qualified: int
) -> CandidateSummary:
    status: Literal["qualified", "disqualified", "not_attempted"] = (
        "qualified" if top is not None else ("disqualified" if fitted else "not_attempted")
    )
    return CandidateSummary(
        model_type,
        status,
        top.adj_r2 if top else None,
        top.heating if top else None,
        top.cooling if top else None,
        fitted,
        qualified,
    )


# ------------------------------------------------------------------ model


def _model(
    method: Method,
    design: _Design,
    chosen: _Candidate,
    summaries: list[CandidateSummary],
    settings: CaltrackSettings,
    extra: dict[str, object],
) -> CaltrackModel:
    names = ["intercept", *(f"beta_{t}" for t in TERMS[chosen.model_type])]
    values = dict(zip(names, chosen.beta.tolist(), strict=True))
    ses = dict(zip(names, chosen.se.tolist(), strict=True))
    model = CaltrackModel(
        method=method,
        model_type=chosen.model_type,
        unit=settings.unit,
        intercept=values["intercept"],
        beta_hdd=values.get("beta_hdd", 0.0),
        beta_cdd=values.get("beta_cdd", 0.0),
        heating_balance_point=chosen.heating,
        cooling_balance_point=chosen.cooling,
        std_errors=ses,
        p_values=dict(zip(names, chosen.p.tolist(), strict=True)),
        r2=0.0,
        adj_r2=chosen.adj_r2,
        cv_rmse=0.0,
        nmbe=0.0,
        cv_rmse_caltrack=0.0,
        autocorrelation=0.0,
        n_periods=len(design.y),
        n_days=int(design.days.sum()),
        fit=None,  # type: ignore[arg-type]  # set just below from the model itself
        candidates=summaries,
        fuel=settings.fuel,
        cycle=settings.cycle,
        **extra,  # type: ignore[arg-type]
    )
    _statistics(model, design)
    return model


def _statistics(model: CaltrackModel, design: _Design) -> None:
    """Goodness of fit on period totals (§4.3.2.2; ASHRAE 14 through tools.mv)."""
    daily_hdd, daily_cdd = model.degree_days(design.temperature)
    hdd, cdd = design.rows @ daily_hdd, design.rows @ daily_cdd
    upd = model.usage_per_day(hdd, cdd)
    w = design.w
    mean = float((w * design.y).sum() / w.sum())
    sst = float((w * (design.y - mean) ** 2).sum())
    model.r2 = 1 - float((w * (design.y - upd) ** 2).sum()) / sst if sst > 0 else 0.0
    actual, predicted = design.y * design.days, upd * design.days
    k = model.explanatory + 1
    _, _, cv, nmbe, rmse = goodness_of_fit(actual, predicted, k)
    residuals = actual - predicted
    dof = max(len(actual) - model.explanatory, 1)
    model.cv_rmse, model.nmbe = cv, nmbe
    model.cv_rmse_caltrack = math.sqrt(float(residuals @ residuals) / dof) / float(actual.mean())
    model.autocorrelation = lag1_autocorrelation(residuals)
    terms = TERMS[model.model_type]
    names = ["intercept", *(f"beta_{t}" for t in terms)]
    coefficients = [
        Coefficient(
            t,
            float(getattr(model, n)),
            model.std_errors[n],
            float(getattr(model, n)) / model.std_errors[n] if model.std_errors[n] > 0 else math.inf,
        )
        for t, n in zip(["intercept", *terms], names, strict=True)
    ]
    points = {"heating": model.heating_balance_point, "cooling": model.cooling_balance_point}
    model.fit = Fit(
        model_type=f"caltrack_{model.method}_{model.model_type}",
        terms=terms,
        coefficients=coefficients,
        balance_points={k: v for k, v in points.items() if v is not None},
        n=len(actual),
        r2=model.r2,
        adj_r2=model.adj_r2,
        cv_rmse=cv,
        nmbe=nmbe,
        rmse=rmse,
        mean_y=float(actual.mean()),
        autocorrelation=model.autocorrelation,
        grain="day" if model.method == "daily" else "month",
    )
    model.fit.caveats = ashrae_caveats(model.fit)


def _refuse(issues: list[Issue], accept: bool, what: str) -> None:
    """Disqualified data is refused unless the caller accepts it explicitly (STYLE 6)."""
    bad = data.disqualified(issues)
    if bad and not accept:
        reasons = "; ".join(f"{i.description} (CalTRACK {i.section})" for i in bad)
        raise DisqualifiedData(
            f"the {what} baseline fails the CalTRACK data rules: {reasons}. "
            "Pass accept_disqualified=True to fit it anyway.",
            issues,
        )


def bounds(
    first: pd.Timestamp, last_end: pd.Timestamp, start: date | None, end: date | None
) -> tuple[pd.Timestamp, pd.Timestamp, int]:
    lo = pd.Timestamp(start) if start is not None else first
    hi = pd.Timestamp(end) if end is not None else last_end
    if hi <= lo:
        raise data.InvalidUsageData(
            f"the period ends ({hi:%Y-%m-%d}) before it starts ({lo:%Y-%m-%d})"
        )
    return lo, hi, (hi - lo).days


def _weather_issues(chosen: _Candidate) -> list[Issue]:
    if chosen.model_type != "intercept_only":
        return []
    return [
        Issue(
            IssueCode.NO_WEATHER_MODEL,
            "3.4.3.3",
            "no heating or cooling model beat the mean: the baseline is a constant usage per day",
            False,
        )
    ]


def fit_daily(
    frame: pd.DataFrame,
    settings: CaltrackSettings | None = None,
    *,
    start: date | None = None,
    end: date | None = None,
    accept_disqualified: bool = False,
) -> CaltrackModel:
    """Fit the CalTRACK daily method (§3.1 to §3.4) to one row per local day.

    Args:
        frame: columns `date`, `energy` (the day's usage, NaN when missing) and `temperature`
            (the day's mean outdoor temperature in `settings.unit`, NaN when missing;
            `caltrack_data.daily_temperature` makes it from hourly readings).
        settings: unit, fuel, balance-point grid; defaults to °C electricity.
        start: first day of the baseline (default: the frame's first date); rows outside
            [start, end) are not used (§2.2.5).
        end: the day after the baseline (the intervention start; default: the day after the
            frame's last date).
        accept_disqualified: fit even when a data rule disqualifies the baseline; the issues
            stay on the model.

    Raises:
        DisqualifiedData: a sufficiency rule failed (the `issues` say which, with numbers).
        InvalidUsageData: the frame cannot be read.
        InsufficientData: no usable days.
    """
    settings = settings or CaltrackSettings()
    days = data.read_daily(frame)
    lo, hi, span = bounds(days.index[0], days.index[-1] + pd.Timedelta(days=1), start, end)
    days = days[(days.index >= lo) & (days.index < hi)]
    energy, issues = data.usage_issues(days["energy"].to_numpy(np.float64), settings.fuel)
    temperature = days["temperature"].to_numpy(np.float64)
    has_t = ~np.isnan(temperature)
    valid = ~np.isnan(energy) & has_t
    calendar = pd.date_range(lo, hi - pd.Timedelta(days=1), freq="D")
    issues += data.day_temperature_issue(int((~np.isnan(energy) & ~has_t).sum()))
    issues += data.span_issues(span, 1) + data.missing_days_issue(int(valid.sum()), span)
    issues += data.month_coverage_issues(
        pd.Series(has_t, index=days.index).reindex(calendar, fill_value=False)
    )
    _refuse(issues, accept_disqualified, "daily")
    if valid.sum() < 3:
        raise InsufficientData(
            f"{int(valid.sum())} days with usage and temperature: too few to fit"
        )
    ones = np.ones(int(valid.sum()))
    design = _Design(energy[valid], ones, ones, np.eye(len(ones)), temperature[valid], span / 365)
    chosen, summaries = _select(design, settings, "daily")
    issues += _weather_issues(chosen)
    extra = {
        "issues": issues,
        "span_days": span,
        "accepted_disqualified": bool(data.disqualified(issues)),
    }
    return _model("daily", design, chosen, summaries, settings, extra)


def period_rows(
    periods: pd.DataFrame, temps: pd.DataFrame, calendar: pd.DatetimeIndex
) -> tuple[Array, Array, Array]:
    """Averaging rows (periods x days) over each period's days with a temperature, the
    period's hourly temperature coverage (§2.2.3.2), and the temperature of each day."""
    t = temps.reindex(calendar)
    temperature = t["temperature"].to_numpy(np.float64)
    hours = t["hours"].fillna(0).to_numpy(np.float64)
    expected = t["expected_hours"].fillna(24).to_numpy(np.float64)
    rows = np.zeros((len(periods), len(calendar)))
    coverage = np.zeros(len(periods))
    starts = periods["start"].to_numpy()
    ends = periods["end"].to_numpy()
    for i, (a, b) in enumerate(zip(starts, ends, strict=True)):
        inside = (calendar >= a) & (calendar < b)
        coverage[i] = hours[inside].sum() / max(expected[inside].sum(), 1.0)
        known = inside & ~np.isnan(temperature)
        if known.any():
            rows[i, known] = 1.0 / known.sum()
    return rows, coverage, np.nan_to_num(temperature, nan=0.0)


def _coverage_mask(
    periods: pd.DataFrame, rows: Array, coverage: Array
) -> tuple[npt.NDArray[np.bool_], list[Issue]]:
    ok = (coverage >= data.PERIOD_TEMPERATURE_COVERAGE) & (rows.sum(axis=1) > 0)
    issues = [
        data.period_temperature_issue(pd.Timestamp(periods["start"].iloc[i]), float(coverage[i]))
        for i in np.flatnonzero(~ok)
    ]
    return ok, issues


def fit_billing(
    bills: pd.DataFrame,
    temperature: pd.DataFrame | pd.Series,
    settings: CaltrackSettings | None = None,
    *,
    start: date | None = None,
    end: date | None = None,
    end_inclusive: bool = False,
    accept_disqualified: bool = False,
) -> CaltrackModel:
    """Fit the CalTRACK billing method: usage per day of each billing period against the
    period's mean degree days per day, weighted by the period's days (§3.3, §3.4.2).

    Args:
        bills: columns `start`, `end` (the next period's start; the last day with
            `end_inclusive`), `energy` (the period's usage, NaN when missing) and optionally
            `estimated` (True for estimated reads, §2.2.3.1). Periods in order, no overlaps.
        temperature: `caltrack_data.daily_temperature(readings)`, or a Series of daily mean
            temperatures by date, in `settings.unit`.
        settings: unit, fuel, balance-point grid, billing cycle; defaults to °C electricity.
        start: first day of the baseline; only periods within [start, end) are used (§2.2.5).
        end: the day after the baseline (the intervention start).
        end_inclusive: `end` is the period's last day rather than the next period's start.
        accept_disqualified: fit even when a data rule disqualifies the baseline.

    Raises:
        DisqualifiedData, InvalidUsageData, InsufficientData: as `fit_daily`.
    """
    settings = settings or CaltrackSettings()
    periods = data.read_bills(bills, end_inclusive)
    lo, hi, span = bounds(periods["start"].iloc[0], periods["end"].iloc[-1], start, end)
    periods = periods[(periods["start"] >= lo) & (periods["end"] <= hi)]
    if periods.empty:
        raise InsufficientData(f"no billing period lies within {lo:%Y-%m-%d}..{hi:%Y-%m-%d}")
    periods, issues = data.combine_estimated(periods.reset_index(drop=True))
    cycle = data.infer_cycle(periods["days"].to_numpy(), settings.cycle)
    keep, length_issues = data.period_length_issues(periods, cycle)
    days = periods["days"].to_numpy(np.float64)
    upd, usage_issues = data.usage_issues(
        periods["energy"].to_numpy(np.float64) / days, settings.fuel
    )
    calendar = pd.date_range(lo, hi - pd.Timedelta(days=1), freq="D")
    temps = data.as_daily_temperature(temperature)
    rows, coverage, daily_t = period_rows(periods, temps, calendar)
    covered, coverage_issues = _coverage_mask(periods, rows, coverage)
    kept = keep.to_numpy(bool)
    valid = kept & covered & ~np.isnan(upd)
    valid_days = int(days[valid].sum() - periods["estimated_days"].to_numpy()[valid].sum())
    has_t = temps["temperature"].reindex(calendar).notna()
    issues += (
        length_issues
        + usage_issues
        + [c for c, k in zip(coverage_issues, kept[~covered], strict=True) if k]
    )
    issues += data.span_issues(span, int(days[0])) + data.missing_days_issue(valid_days, span)
    issues += data.month_coverage_issues(has_t)
    _refuse(issues, accept_disqualified, "billing")
    if valid.sum() < 3:
        raise InsufficientData(f"{int(valid.sum())} usable billing periods: too few to fit")
    design = _Design(upd[valid], days[valid], days[valid], rows[valid], daily_t, span / 365)
    chosen, summaries = _select(design, settings, "billing")
    issues += _weather_issues(chosen)
    extra = {
        "issues": issues,
        "span_days": span,
        "accepted_disqualified": bool(data.disqualified(issues)),
    }
    return _model("billing", design, chosen, summaries, settings, extra)
