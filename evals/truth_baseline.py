"""Ground truth for baseline questions: an ISO 50001 energy baseline fitted again from the raw
readings, and a reporting period set against it.

The model is the one the baseline tool documents for a meter read within the day with outdoor
temperature as its driver (regression, `model: auto`): daily kWh of the complete local days
(at least 90 % of their readings present) on the day's mean outdoor temperature, in the
change-point forms 3P heating (HDD), 3P cooling (CDD) and 5P (both), each balance point
searched on a 0.5 degC grid from 8 to 24 degC by least squares; of the forms whose temperature
terms are significant (|t| >= 2), the one of the highest adjusted R², else the baseline days'
mean. The uncertainty is ASHRAE Guideline 14's (Annex B) at 90 % confidence, corrected for the
residuals' lag-1 autocorrelation. Written here with numpy and scipy from the raw readings,
never by calling `tools/`, so a mistake in the tool shows as a wrong number.

A spec names the meter, the reporting `period` and the baseline period as its `reference`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats
from sqlalchemy import Connection, text

from evals.dataset import TruthSpec
from evals.readings import Readings, TruthError, one_meter, read

Array = npt.NDArray[np.float64]
BALANCE = np.arange(8.0, 24.01, 0.5)
FORMS = {"3p_heating": ("hdd",), "3p_cooling": ("cdd",), "5p": ("hdd", "cdd")}
COMPLETE = 0.9
CONFIDENCE = 0.9
_WEATHER = text(
    """
    SELECT m.name FROM series s JOIN meters m ON m.id = s.meter_id
    JOIN sites st ON st.id = m.site_id
    WHERE st.name = :site AND s.metric = 'outdoor_temperature' ORDER BY s.id LIMIT 1
    """
)


def day_hours(midnights: pd.DatetimeIndex) -> npt.NDArray[np.float64]:
    """Hours of each local day from its midnight to the next on the local calendar: 23 on the
    day the clocks go forward, 25 on the day they go back, else 24."""
    following = (midnights.tz_localize(None) + pd.Timedelta(days=1)).tz_localize(
        midnights.tz, ambiguous=np.ones(len(midnights), dtype=bool), nonexistent="shift_forward"
    )
    return np.asarray((following - midnights) / pd.Timedelta(hours=1), dtype=np.float64)


def _complete_days(r: Readings) -> pd.Series:
    """kWh of each local day that holds at least 90 % of the readings its length asks for
    (a day of 23 or 25 hours around a clock change asks for fewer or more)."""
    days = r.local.normalize()
    grouped = r.values.groupby(days).agg(["sum", "count"])
    wanted = np.maximum(day_hours(pd.DatetimeIndex(grouped.index)) / r.step_h, 1.0)
    complete: pd.Series = grouped["sum"][grouped["count"].to_numpy() >= COMPLETE * wanted]
    return complete


def daily_frame(conn: Connection, spec: TruthSpec, which: str) -> pd.DataFrame:
    """Energy and mean outdoor temperature of each complete local day of the spec's period
    (`which`: 'period' or 'reference')."""
    energy = _complete_days(read(conn, spec, one_meter(spec), which))
    station = conn.execute(_WEATHER, {"site": spec.site}).scalar()
    if station is None:
        raise TruthError(f"site {spec.site!r} has no outdoor temperature series")
    temps = read(conn, spec, str(station), which, metric="outdoor_temperature")
    mean = temps.values.groupby(temps.local.normalize()).mean()
    frame = pd.DataFrame({"energy": energy}).join(mean.rename("temperature"), how="inner")
    return frame.dropna()


@dataclass(frozen=True)
class Model:
    """A fitted baseline: its terms, balance points, coefficients and fit figures."""

    terms: tuple[str, ...]
    heating: float
    cooling: float
    beta: Array
    t_stats: Array
    adj_r2: float
    cv: float  # RMSE over the mean, a fraction
    n: int
    rho: float  # lag-1 autocorrelation of the residuals

    def predict(self, temperature: Array) -> Array:
        return np.asarray(_design(self.terms, temperature, self.heating, self.cooling) @ self.beta)


def _design(terms: tuple[str, ...], t: Array, heating: float, cooling: float) -> Array:
    columns = [np.ones(len(t))]
    columns += [np.clip(heating - t, 0, None)] if "hdd" in terms else []
    columns += [np.clip(t - cooling, 0, None)] if "cdd" in terms else []
    return np.column_stack(columns)


def _fitted(terms: tuple[str, ...], t: Array, y: Array, heating: float, cooling: float) -> Model:
    x = _design(terms, t, heating, cooling)
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    residuals = y - x @ beta
    n, p = len(y), x.shape[1]
    dof = max(n - p, 1)
    sse = float(residuals @ residuals)
    errors = np.sqrt(np.clip(np.diag(sse / dof * np.linalg.pinv(x.T @ x)), 0, None))
    t_stats = np.divide(beta, errors, out=np.full(p, np.inf), where=errors > 0)
    sst = float(((y - y.mean()) ** 2).sum())
    r2 = 1 - sse / sst if sst > 0 else 0.0
    rho = 0.0
    if n >= 3 and not np.allclose(residuals, residuals[0]):
        rho = float(np.corrcoef(residuals[:-1], residuals[1:])[0, 1])
    return Model(
        terms=terms,
        heating=heating,
        cooling=cooling,
        beta=np.asarray(beta, dtype=np.float64),
        t_stats=t_stats,
        adj_r2=1 - (1 - r2) * (n - 1) / dof,
        cv=math.sqrt(sse / dof) / float(y.mean()),
        n=n,
        rho=rho,
    )


def _best_points(terms: tuple[str, ...], t: Array, y: Array) -> Model:
    """The form fitted at the balance points of least squared error (5P: cooling at or above
    heating)."""
    heats = BALANCE if "hdd" in terms else np.array([0.0])
    cools = BALANCE if "cdd" in terms else np.array([0.0])
    pairs = [
        (h, c) for h in heats for c in cools if not ("hdd" in terms and "cdd" in terms) or c >= h
    ]

    def sse(pair: tuple[float, float]) -> float:
        x = _design(terms, t, *pair)
        beta, *_ = np.linalg.lstsq(x, y, rcond=None)
        residuals = y - x @ beta
        return float(residuals @ residuals)

    heating, cooling = min(pairs, key=sse)
    return _fitted(terms, t, y, float(heating), float(cooling))


def fit(frame: pd.DataFrame) -> Model:
    """The baseline on a daily frame: the significant change-point form of the highest
    adjusted R², else the mean."""
    t = frame["temperature"].to_numpy(np.float64)
    y = frame["energy"].to_numpy(np.float64)
    if len(y) < 30:
        raise TruthError(f"{len(y)} complete baseline days; a baseline needs at least 30")
    models = [_best_points(terms, t, y) for terms in FORMS.values()]
    significant = [m for m in models if all(abs(s) >= 2 for s in m.t_stats[1:])]
    if not significant:
        return _fitted((), t, y, 0.0, 0.0)
    return max(significant, key=lambda m: m.adj_r2)


@dataclass(frozen=True)
class Outcome:
    """The reporting period against the baseline, over its complete days (kWh)."""

    expected: float
    actual: float
    uncertainty: float


def outcome(conn: Connection, spec: TruthSpec) -> Outcome:
    if spec.reference is None:
        raise TruthError(f"truth {spec.fn!r} needs the baseline period as its reference")
    model = fit(daily_frame(conn, spec, "reference"))
    days = daily_frame(conn, spec, "period")
    if days.empty:
        raise TruthError(f"no complete days to report on in {spec.period!r}")
    expected = float(model.predict(days["temperature"].to_numpy(np.float64)).sum())
    rho = min(max(model.rho, 0.0), 0.95)
    n, m, p = model.n, len(days), len(model.beta)
    student = float(stats.t.ppf(0.5 + CONFIDENCE / 2, max(n - p, 1)))
    spread = 1.26 * model.cv * math.sqrt((1 + rho) / (1 - rho) * (1 + 2 / n) / m)
    return Outcome(expected, float(days["energy"].sum()), abs(student * spread * expected))


def baseline_expected(conn: Connection, spec: TruthSpec) -> float:
    """kWh the baseline (fitted on `reference`) expects over the complete days of `period`."""
    return outcome(conn, spec).expected


def baseline_deviation(conn: Connection, spec: TruthSpec) -> float:
    """Actual minus expected kWh over the complete days of `period`: positive above the
    baseline, negative below it."""
    found = outcome(conn, spec)
    return found.actual - found.expected


def baseline_uncertainty(conn: Connection, spec: TruthSpec) -> float:
    """ASHRAE Guideline 14 uncertainty (kWh, 90 % confidence) of the deviation over `period`."""
    return outcome(conn, spec).uncertainty
