"""Measurement and verification math (ASHRAE Guideline 14, IPMVP option C): regression and
change-point baselines, their goodness of fit, and savings with their uncertainty.

Pure numpy: data in, fitted models and numbers out. Nothing here knows the store.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from common.errors import InsufficientData

Array = npt.NDArray[np.float64]
BALANCE_POINTS = np.arange(8.0, 24.01, 0.5)
# ASHRAE Guideline 14 calibration limits by data grain: (CV(RMSE) %, |NMBE| %)
ASHRAE_LIMITS = {"month": (15.0, 5.0), "day": (30.0, 10.0), "hour": (30.0, 10.0)}
MIN_POINTS = {"day": 30, "hour": 24 * 14, "month": 9}


@dataclass(frozen=True)
class Coefficient:
    name: str
    value: float
    std_error: float
    t_stat: float


@dataclass
class Fit:
    """A fitted baseline: its form, parameters and fit statistics, all plain data."""

    model_type: str
    terms: list[str]
    coefficients: list[Coefficient]
    balance_points: dict[str, float]
    n: int
    r2: float
    adj_r2: float
    cv_rmse: float  # percent
    nmbe: float  # percent
    rmse: float
    mean_y: float
    autocorrelation: float
    grain: str
    caveats: list[str] = field(default_factory=list)

    @property
    def ashrae_ok(self) -> bool:
        cv_max, nmbe_max = ASHRAE_LIMITS[self.grain]
        return self.cv_rmse <= cv_max and abs(self.nmbe) <= nmbe_max

    def design(self, drivers: dict[str, Array]) -> Array:
        return design_matrix(self.terms, drivers, self.balance_points)

    def predict(self, drivers: dict[str, Array]) -> Array:
        beta = np.array([c.value for c in self.coefficients])
        return np.asarray(self.design(drivers) @ beta, dtype=np.float64)


def design_matrix(terms: list[str], drivers: dict[str, Array], bp: dict[str, float]) -> Array:
    """Columns for an intercept and each term: hdd/cdd use the balance points in `bp`."""
    n = len(next(iter(drivers.values())))
    columns = [np.ones(n)]
    for term in terms:
        if term == "hdd":
            columns.append(np.clip(bp["heating"] - drivers["temperature"], 0, None))
        elif term == "cdd":
            columns.append(np.clip(drivers["temperature"] - bp["cooling"], 0, None))
        else:
            columns.append(np.asarray(drivers[term], dtype=np.float64))
    return np.column_stack(columns)


def _sse(x: Array, y: Array) -> tuple[Array, Array, float]:
    """Least-squares coefficients, residuals and their sum of squares."""
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    residuals = y - x @ beta
    return np.asarray(beta, dtype=np.float64), residuals, float(residuals @ residuals)


def _ols(x: Array, y: Array) -> tuple[Array, Array, float]:
    beta, _, sse = _sse(x, y)
    dof = max(len(y) - x.shape[1], 1)
    cov = sse / dof * np.linalg.pinv(x.T @ x)
    errors = np.sqrt(np.clip(np.diag(cov), 0, None))
    return np.asarray(beta, dtype=np.float64), np.asarray(errors, dtype=np.float64), sse


def _statistics(y: Array, predicted: Array, p: int) -> tuple[float, float, float, float, float]:
    n = len(y)
    residuals = y - predicted
    sse = float(residuals @ residuals)
    sst = float(((y - y.mean()) ** 2).sum())
    r2 = 1 - sse / sst if sst > 0 else 0.0
    adj = 1 - (1 - r2) * (n - 1) / max(n - p, 1)
    rmse = math.sqrt(sse / max(n - p, 1))
    mean = float(y.mean())
    cv = 100 * rmse / mean if mean else float("inf")
    nmbe = 100 * float(residuals.sum()) / (max(n - p, 1) * mean) if mean else float("inf")
    return r2, adj, cv, nmbe, rmse


def _lag1(residuals: Array) -> float:
    if len(residuals) < 3 or np.allclose(residuals, residuals[0]):
        return 0.0
    return float(np.corrcoef(residuals[:-1], residuals[1:])[0, 1])


def fit_terms(
    y: Array, drivers: dict[str, Array], terms: list[str], grain: str, model_type: str
) -> Fit:
    """OLS on the given terms; hdd/cdd balance points are searched on a 0.5 degree grid."""
    if len(y) < MIN_POINTS[grain] or len(y) < 5 * (len(terms) + 1):
        raise InsufficientData(
            f"{len(y)} {grain}s of baseline data; a {model_type} model needs at least "
            f"{max(MIN_POINTS[grain], 5 * (len(terms) + 1))}"
        )
    heat = BALANCE_POINTS if "hdd" in terms else [0.0]
    cool = BALANCE_POINTS if "cdd" in terms else [0.0]
    best: tuple[float, dict[str, float]] | None = None
    for h in heat:
        for c in cool:
            if "hdd" in terms and "cdd" in terms and c < h:
                continue
            bp = {"heating": float(h), "cooling": float(c)}
            # The search compares fits by their squared error alone: the standard errors
            # (a pseudo-inverse each) are worked out for the chosen balance points only.
            _, _, sse = _sse(design_matrix(terms, drivers, bp), y)
            if best is None or sse < best[0]:
                best = (sse, bp)
    assert best is not None
    bp = best[1]
    x = design_matrix(terms, drivers, bp)
    beta, se, _ = _ols(x, y)
    predicted = x @ beta
    r2, adj, cv, nmbe, rmse = _statistics(y, predicted, x.shape[1])
    names = ["intercept", *terms]
    coefficients = [
        Coefficient(name, float(b), float(s), float(b / s) if s > 0 else float("inf"))
        for name, b, s in zip(names, beta, se, strict=True)
    ]
    used = {"heating": "hdd", "cooling": "cdd"}
    fit = Fit(
        model_type=model_type,
        terms=terms,
        coefficients=coefficients,
        balance_points={k: v for k, v in bp.items() if used[k] in terms},
        n=len(y),
        r2=r2,
        adj_r2=adj,
        cv_rmse=cv,
        nmbe=nmbe,
        rmse=rmse,
        mean_y=float(y.mean()),
        autocorrelation=_lag1(y - predicted),
        grain=grain,
    )
    fit.caveats = _caveats(fit)
    return fit


def _caveats(fit: Fit) -> list[str]:
    notes = []
    cv_max, nmbe_max = ASHRAE_LIMITS[fit.grain]
    if fit.cv_rmse > cv_max:
        notes.append(f"CV(RMSE) {fit.cv_rmse:.1f}% exceeds the ASHRAE 14 limit of {cv_max:g}%")
    if abs(fit.nmbe) > nmbe_max:
        notes.append(f"NMBE {fit.nmbe:.2f}% exceeds the ASHRAE 14 limit of ±{nmbe_max:g}%")
    for c in fit.coefficients[1:]:
        if abs(c.t_stat) < 2 and not c.name.startswith("slot_"):
            notes.append(f"driver {c.name} is not significant (|t| = {abs(c.t_stat):.1f} < 2)")
    return notes


CANDIDATES: dict[str, list[str]] = {
    "3p_heating": ["hdd"],
    "3p_cooling": ["cdd"],
    "5p": ["hdd", "cdd"],
}


def fit_model(
    y: Array, drivers: dict[str, Array], model: str, extra_terms: list[str], grain: str
) -> Fit:
    """Fit the requested model type; 'auto' picks the best adjusted R² among the forms whose
    temperature terms are significant."""
    has_temp = "temperature" in drivers
    if model == "mlr":
        return fit_terms(y, drivers, extra_terms, grain, "mlr")
    if model == "4p":
        return _fit_4p(y, drivers, extra_terms, grain)
    if model in CANDIDATES:
        if not has_temp:
            raise InsufficientData(f"a {model} model needs outdoor temperature data")
        return fit_terms(y, drivers, CANDIDATES[model] + extra_terms, grain, model)
    fits = [fit_terms(y, drivers, extra_terms, grain, "mlr")] if extra_terms else []
    if has_temp:
        # Two balance points over thousands of hours is a slow search; hourly uses 3P forms.
        forms = {k: v for k, v in CANDIDATES.items() if grain != "hour" or k != "5p"}
        for name, terms in forms.items():
            fit = fit_terms(y, drivers, terms + extra_terms, grain, name)
            temp_t = [abs(c.t_stat) for c in fit.coefficients if c.name in ("hdd", "cdd")]
            if all(t >= 2 for t in temp_t):
                fits.append(fit)
    if not fits:
        return fit_terms(y, drivers, extra_terms, grain, "mean")
    return max(fits, key=lambda f: f.adj_r2)


def _fit_4p(y: Array, drivers: dict[str, Array], extra: list[str], grain: str) -> Fit:
    """Four-parameter change point: different slopes below and above one temperature."""
    best: Fit | None = None
    for cp in BALANCE_POINTS:
        d = dict(drivers)
        d["below"] = np.clip(cp - drivers["temperature"], 0, None)
        d["above"] = np.clip(drivers["temperature"] - cp, 0, None)
        fit = fit_terms(y, d, ["below", "above", *extra], grain, "4p")
        if best is None or fit.adj_r2 > best.adj_r2:
            fit.balance_points = {"change_point": float(cp)}
            best = fit
    assert best is not None
    return best


# ------------------------------------------------------------------ savings


@dataclass(frozen=True)
class Savings:
    expected: float
    actual: float
    avoided: float  # expected - actual
    percent: float  # avoided / expected
    uncertainty: float  # absolute, same unit as avoided, at `confidence`
    fractional_uncertainty: float | None
    confidence: float


def savings(fit: Fit, expected: Array, actual: Array, confidence: float = 0.9) -> Savings:
    """Avoided energy and its ASHRAE 14 (Annex B) uncertainty, with autocorrelation correction.

    U = t * 1.26 * CV * sqrt(n/n' * (1 + 2/n) / m) / F, where n' = n (1-rho)/(1+rho).
    """
    total_expected = float(expected.sum())
    total_actual = float(actual.sum())
    avoided = total_expected - total_actual
    n, m = fit.n, len(expected)
    rho = min(max(fit.autocorrelation, 0.0), 0.95)
    n_eff = n * (1 - rho) / (1 + rho)
    from scipy import stats  # SciPy loads in a second; only savings need it

    t = float(stats.t.ppf(0.5 + confidence / 2, max(n - len(fit.coefficients), 1)))
    cv = fit.cv_rmse / 100
    fraction = avoided / total_expected if total_expected else 0.0
    core = t * 1.26 * cv * math.sqrt((n / n_eff) * (1 + 2 / n) / m) if m else float("inf")
    absolute = core * total_expected
    return Savings(
        expected=total_expected,
        actual=total_actual,
        avoided=avoided,
        percent=100 * fraction,
        uncertainty=abs(absolute),
        fractional_uncertainty=abs(core / fraction) if fraction else None,
        confidence=confidence,
    )


def goodness_of_fit(y: Array, predicted: Array, p: int) -> tuple[float, float, float, float, float]:
    """R², adjusted R², CV(RMSE) %, NMBE % and RMSE of a fit with p parameters (ASHRAE 14)."""
    return _statistics(y, predicted, p)


def lag1_autocorrelation(residuals: Array) -> float:
    """Lag-1 autocorrelation of residuals in time order (0 for fewer than three)."""
    return _lag1(residuals)


def ashrae_caveats(fit: Fit) -> list[str]:
    """The ASHRAE 14 limits a fit misses and the drivers that are not significant."""
    return _caveats(fit)
