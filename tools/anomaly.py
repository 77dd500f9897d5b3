"""Anomaly detection: a short list of contiguous events per meter, not thousands of points.

Each day's energy is checked against what a model trained on the meter's past year expects:
a level per kind of day (working day, Saturday shift where the plant runs one, day off: Sundays,
the site's public holidays, shutdowns), heating and cooling degree-hours inside and outside the
shift hours at the balance points that fit best, length of day and production, each slope kept
only where the data support it. Days the model learnt from are cleaned of past faults first. The
score is the residual over the robust spread (MAD) of the training residuals; an Isolation Forest
gives a second opinion. Demand spikes are quarter-hours against the same quarter-hour on recent
days of the same kind. Data-quality problems (gaps, stuck and negative readings) are found on the
raw 15-minute series and reported as their own kinds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import Field

from common.errors import InsufficientData
from common.timeutil import day_starts
from store import bills, queries
from tools import grain, resolve
from tools.base import SiteInput, ToolContext, ToolResult, tool
from tools.calendar import closed_days
from tools.data_quality import quality_findings
from tools.drivers import COOL_BASES, HEAT_BASES, degree_names, site_drivers
from tools.events import EventKind, of_kinds
from tools.grain import Grain
from tools.periods import Period

Array = npt.NDArray[np.float64]
TRAINING_DAYS = 365  # as much of the past year as exists (at least MIN_TRAINING_DAYS)
MIN_TRAINING_DAYS = 21
COMPLETE = 88 / 96  # share of its readings a day needs to be scored
TEMP_MARGIN = 1.5  # degrees beyond the training range where a model may not extrapolate
THRESHOLD = 3.5  # robust z-score of a day's energy that flags it
SHIFT_DAYS = 28  # a run of days this recent in the training with a level of its own ...
SHIFT_MIN_DAYS = 3  # ... at least this long ...
SHIFT_BEFORE = 10  # ... is kept out of it when this many other days remain to learn from
SHIFT_SIZE = 0.1  # ... it moves daily energy by this share of the mean
SHIFT_T = 6.0  # ... and its t statistic is at least this
REFITS = 3  # rounds of refitting without the training days found anomalous
MATERIAL = 0.05  # share of a meter's mean daily energy below which a deviation is noise
STRONG = 6.0  # a single flagged day is an event only above this
DRIFT_DAYS = 7  # a week ...
DRIFT_Z = 1.5  # ... whose days average this score is a sustained shift
SPIKE = 8.0  # robust z-score of a quarter-hour against its usual level
SPIKE_RATIO = 1.5  # ... and at least this multiple of it
SPIKE_CEILING = 1.2  # ... and this multiple of the highest quarter-hour on those days
SPIKE_MIN_KW = 25.0  # ... and at least this much extra power
SPIKE_NEIGHBOURS = 1.2  # ... and this multiple of the hour either side of it
PROFILE_DAYS = 10  # same-type days a quarter-hour is compared with
T_MIN = 3.0  # |t| a driver slope needs to stay in the daily model
MIN_KIND_DAYS = 2  # training days a kind of day needs for a level of its own
MIN_SLOPE_DAYS = 10  # ... and for a slope of its own on a driver
SEASON_DAYS = 180  # training span that can tell a length-of-day effect from a trend
OFF = "off"  # Sundays, public holidays, shutdowns
EXTRA = "extra shift"  # production on a day the shift plan has off
Severity = Literal["info", "warning", "critical"]


class AnomalyInput(SiteInput):
    meters: list[str] = Field(
        default_factory=list, description="Meter names or aliases; empty for every energy meter."
    )
    period: str = Field(description="Period to check, e.g. 'last week', 'yesterday', '2025-09'.")
    include_data_quality: bool = Field(
        default=True, description="Also report gaps, stuck meters and negative readings."
    )
    kinds: list[EventKind] = Field(
        default_factory=list,
        description="Only events of these kinds (e.g. ['stuck_meter'] for 'any stuck meters?'); "
        "empty for every kind.",
    )


_KINDS = get_args(EventKind)
_KINDS_LISTED = f"{', '.join(_KINDS[:-1])} or {_KINDS[-1]}"


class Event(ToolResult):
    meter: str
    kind: str = Field(description=_KINDS_LISTED)
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
    currency: str = Field(default="EUR", description="currency of the events' extra cost")
    kinds: list[str] = Field(
        default_factory=list, description="the kinds of event looked for; empty for every kind"
    )


@dataclass
class Daily:
    start: npt.NDArray[np.int64]  # local midnights
    energy: Array
    kind: npt.NDArray[np.object_]  # kind of day: "off" or the shifts that run on it
    drivers: pd.DataFrame  # per day: temperature, degree columns, production, daylight
    columns: dict[tuple[str, str], Array] = field(default_factory=dict)  # built by _design

    @property
    def temperature(self) -> Array:
        return self.drivers["temperature"].to_numpy(float)


@dataclass(frozen=True)
class Fit:
    """A fitted daily model: the columns it kept and their coefficients."""

    kinds: tuple[str, ...]  # kinds of day with their own intercept (and slopes)
    fallback: str  # the kind a day of an unseen kind is scored as
    columns: tuple[str, ...]
    beta: Array


def day_kinds(
    ctx: ToolContext, starts: npt.NDArray[np.int64], made: Array
) -> npt.NDArray[np.object_]:
    """The kind of each local day: "off" on days without a shift (Sundays), on the site's
    public holidays and on days a producing site made nothing (a shutdown); else the names of
    the shifts that run on that weekday, so a Saturday shift is a kind of its own only where
    the plant runs one. `made` is production per day (NaN where unknown)."""
    local = pd.DatetimeIndex(pd.to_datetime(starts, unit="s", utc=True)).tz_convert(
        ctx.site.timezone
    )
    dates = list(local.date)
    closed = closed_days(ctx.site, ctx.config, {d.year for d in dates})
    on_weekday: dict[int, list[str]] = {}
    for name, weekdays, *_ in ctx.config.shifts:
        for day in weekdays:
            on_weekday.setdefault(day, []).append(name)
    planned = ["+".join(on_weekday.get(d.weekday(), [])) or OFF for d in dates]
    kinds = np.array([OFF if d in closed else k for d, k in zip(dates, planned, strict=True)])
    kinds = kinds.astype(object)
    if np.nansum(made) > 0:
        # Where production is recorded it says whether the plant worked: a shutdown the
        # calendar does not know, or an extra shift on a day off.
        kinds[made == 0] = OFF
        kinds[(made > 0) & (kinds == OFF)] = EXTRA
    return kinds


def _daily(
    ctx: ToolContext, target: resolve.Target, lo: int, hi: int, drivers: pd.DataFrame, g: Grain
) -> Daily:
    """Complete days only (by the meter's own interval): a day with missing readings is a
    data problem, not a drop."""
    with ctx.engine.connect() as conn:
        frame = queries.rollups(conn, [target.series.id], 86400, lo, hi, tz=ctx.site.timezone)
    frame = resolve.scaled_frame(frame, [target])  # gas read in m3: in kWh
    frame = frame[frame["n"] >= COMPLETE * _per_day(g, frame["bucket"])].set_index("bucket")
    table = drivers.reindex(frame.index)
    weather = [c for c in table.columns if c != "production"]
    table[weather] = table[weather].interpolate(limit_direction="both")
    table["temperature"] = table["temperature"].fillna(12.0)
    table = table.fillna({c: 0.0 for c in weather})
    starts = frame.index.to_numpy(np.int64)
    kinds = day_kinds(ctx, starts, table["production"].to_numpy(float))
    table["production"] = table["production"].fillna(0.0)
    # A holiday or shutdown has no hours in use, whatever the weekday's shift plan says.
    off = kinds == OFF
    for name in degree_names():
        table.loc[off, f"{name}~"] += table.loc[off, name]
        table.loc[off, name] = 0.0
    doy = pd.DatetimeIndex(pd.to_datetime(starts, unit="s", utc=True)).day_of_year.to_numpy()
    # Length of day follows the solstices; its sign (hemisphere) is left to the fit.
    table["daylight"] = np.cos(2 * np.pi * (doy - 172) / 365.25)
    return Daily(starts, frame["sum"].to_numpy(float), kinds, table)


def _per_day(g: Grain, starts: pd.Series) -> npt.NDArray[np.float64]:
    """Readings each local day should hold at the meter's interval (1 for daily readings)."""
    days = starts.to_numpy(np.int64)
    if not len(days):
        return np.zeros(0)
    ends = np.array([_next_midnight(int(d), g.tz) for d in days], dtype=np.int64)
    step = g.history.seconds_at(days)
    return np.where(step >= 86400, 1.0, (ends - days) / step)


def _design(d: Daily, fit_kinds: tuple[str, ...], fallback: str, columns: tuple[str, ...]) -> Array:
    """Feature matrix of `columns`: kind intercepts ("kind:<k>"), per-kind slopes of a
    driver ("<driver>@<k>") and production."""
    kind = np.array([k if k in fit_kinds else fallback for k in d.kind], dtype=object)
    tag = "|".join(fit_kinds) + ">" + fallback
    out = []
    for col in columns:
        if (col, tag) not in d.columns:
            if col == "production":
                values = d.drivers["production"].to_numpy(float)
            elif col.startswith("kind:"):
                values = (kind == col[5:]).astype(float)
            else:
                driver, group = col.split("@")
                values = d.drivers[driver].to_numpy(float) * np.isin(kind, group.split("|"))
            d.columns[(col, tag)] = values
        out.append(d.columns[(col, tag)])
    return np.column_stack(out) if out else np.zeros((len(d.energy), 0))


def _ols(x: Array, y: Array) -> tuple[Array, Array]:
    """Least-squares coefficients and their t statistics."""
    # Columns scaled to unit length first: production is some 1e4 times a kind flag.
    norms = np.linalg.norm(x, axis=0)
    norms[norms == 0] = 1.0
    scaled, *_ = np.linalg.lstsq(x / norms, y, rcond=None)
    dof = max(len(y) - x.shape[1], 1)
    sigma2 = float(np.sum((y - (x / norms) @ scaled) ** 2)) / dof
    xs = x / norms
    se = np.sqrt(np.clip(np.diag(np.linalg.pinv(xs.T @ xs)) * sigma2, 1e-18, None))
    return np.asarray(scaled / norms, dtype=np.float64), np.asarray(scaled / se, dtype=np.float64)


def _select(d: Daily, y: Array, kinds: tuple[str, ...], fallback: str, columns: list[str]) -> Fit:
    """Drop, one at a time, the driver slopes the data do not support: a weather slope must be
    positive and every slope clear of noise (|t| >= T_MIN), so a meter that does not follow
    the weather gets no weather term to extrapolate with."""
    columns = list(columns)
    while True:
        x = _design(d, kinds, fallback, tuple(columns))
        beta, t = _ols(x, y)
        weak = [
            (abs(float(t[j])), c)
            for j, c in enumerate(columns)
            if "@" in c
            and (abs(float(t[j])) < T_MIN or (not c.startswith("daylight") and beta[j] <= 0))
        ]
        if not weak:
            return Fit(kinds, fallback, tuple(columns), beta)
        columns.remove(min(weak)[1])


def _candidates(train: Daily) -> tuple[tuple[str, ...], str, list[list[str]]]:
    """Kinds of day with enough training days, the kind others are scored as, and the
    column sets to try: one heating and one cooling balance point each."""
    counts = pd.Series(train.kind).value_counts()
    kinds = tuple(str(k) for k, n in counts.items() if n >= MIN_KIND_DAYS)
    working = [k for k in kinds if k != OFF]
    fallback = working[0] if working else kinds[0]
    seasonal = int(train.start[-1] - train.start[0]) >= SEASON_DAYS * 86400
    base = [f"kind:{k}" for k in kinds] + (
        ["production"] if train.drivers["production"].any() else []
    )
    every = "|".join(kinds)
    drivers = [f"heat{b:g}" for b in HEAT_BASES] + [f"cool{b:g}" for b in COOL_BASES]
    slopes = {d: _slopes(train, d, kinds) for d in [*drivers, "daylight"]}
    sets = []
    for heat in HEAT_BASES:
        for cool in COOL_BASES:
            # Hours out of use are alike whatever the day (a building in set-back): one slope.
            columns = [*base, f"heat{heat:g}~@{every}", f"cool{cool:g}~@{every}"]
            columns += slopes[f"heat{heat:g}"] + slopes[f"cool{cool:g}"]
            sets.append(columns + (slopes["daylight"] if seasonal else []))
    return kinds, fallback, sets


def _slopes(train: Daily, driver: str, kinds: tuple[str, ...]) -> list[str]:
    """Slope columns of a driver ("<driver>@<kind>|<kind>..."): a kind of day gets its own
    where MIN_SLOPE_DAYS of it have the driver non-zero (three Saturdays fit any slope
    perfectly); the others share one, or the commonest kind's."""
    values = np.abs(train.drivers[driver].to_numpy(float)) > 0.05

    def enough(group: list[str]) -> bool:
        return int((values & np.isin(train.kind, group)).sum()) >= MIN_SLOPE_DAYS

    own = [[k] for k in kinds if enough([k])]
    rest = [k for k in kinds if not enough([k])]
    if rest and enough(rest):
        own.append(rest)
    elif rest and own:
        own[0] = own[0] + rest
    return [f"{driver}@{'|'.join(group)}" for group in own]


def _fit_daily(train: Daily, keep: npt.NDArray[np.bool_]) -> Fit:
    """The balance points that fit the kept training days best, then the supported slopes."""
    rows = Daily(train.start[keep], train.energy[keep], train.kind[keep], train.drivers[keep])
    kinds, fallback, sets = _candidates(rows)
    best, best_sse = sets[0], np.inf
    for columns in sets:
        x = _design(rows, kinds, fallback, tuple(columns))
        x = x / np.maximum(np.linalg.norm(x, axis=0), 1e-12)
        beta, *_ = np.linalg.lstsq(x, rows.energy, rcond=None)
        sse = float(np.sum((rows.energy - x @ beta) ** 2))
        if sse < best_sse:
            best, best_sse = columns, sse
    return _select(rows, rows.energy, kinds, fallback, best)


def _robust_scores(train: Daily, test: Daily) -> tuple[Array, Array]:
    """Expected energy per test day and robust z-scores of the residuals."""
    usable = np.ones(len(train.energy), dtype=bool)
    fit = _fit_daily(train, usable)
    episode = _recent_episode(train, fit)
    if episode is not None:
        usable[episode[0] : episode[1]] = False
        fit = _fit_daily(train, usable)
    keep = usable.copy()
    for _ in range(REFITS):
        residuals = train.energy - _design(train, fit.kinds, fit.fallback, fit.columns) @ fit.beta
        centre = float(np.median(residuals[keep]))
        mad = float(np.median(np.abs(residuals[keep] - centre)))
        z = (residuals - centre) / _scale(mad, train.energy)
        # Refit without the days that were themselves anomalous (a past leak, a drift, a
        # shutdown): outliers, and what the detector would flag had they been asked about.
        anomalous = np.abs(residuals - centre) > 3.5 * 1.4826 * mad + 1e-9
        anomalous |= (np.abs(z) >= THRESHOLD) | _sustained(z) | _sustained(-z) | ~usable
        if (~anomalous).sum() < MIN_TRAINING_DAYS or np.array_equal(~anomalous, keep):
            break
        keep = ~anomalous
        fit = _fit_daily(train, keep)
    x = _design(train, fit.kinds, fit.fallback, fit.columns)[keep]
    residuals = train.energy[keep] - x @ fit.beta
    mad = float(np.median(np.abs(residuals - np.median(residuals))))
    expected = np.clip(_design(test, fit.kinds, fit.fallback, fit.columns) @ fit.beta, 0, None)
    z = (test.energy - expected) / _scale(mad, train.energy)
    # A kind of day the history holds too few of (a first Saturday shift) is not scored.
    return expected, np.where(np.isin(test.kind, fit.kinds), z, 0.0)


def _recent_episode(train: Daily, fit: Fit) -> tuple[int, int] | None:
    """Training days [a, b) within the last SHIFT_DAYS whose level stands clearly apart from
    the rest, if there are such: a leak that started before the period (ongoing or just
    fixed) would otherwise be learnt as normal."""
    x = _design(train, fit.kinds, fit.fallback, fit.columns)
    n = len(train.energy)
    size = SHIFT_SIZE * float(np.mean(np.abs(train.energy)))
    days = np.arange(n)
    best: tuple[float, int, int] | None = None
    for a in range(max(0, n - SHIFT_DAYS), n - SHIFT_MIN_DAYS + 1):
        for b in range(a + SHIFT_MIN_DAYS, n + 1):
            if n - (b - a) < SHIFT_BEFORE:
                continue
            step = ((days >= a) & (days < b)).astype(float)
            beta, t = _ols(np.column_stack([x, step]), train.energy)
            if abs(beta[-1]) >= size and (best is None or abs(t[-1]) > best[0]):
                best = (abs(float(t[-1])), a, b)
    return (best[1], best[2]) if best is not None and best[0] >= SHIFT_T else None


def _unlike_history(train: Daily, test: Daily) -> npt.NDArray[np.bool_]:
    """Test days warmer or colder (by TEMP_MARGIN) than every training day of their kind:
    a model may not extrapolate, least of all on the few days off a short history holds."""
    out = np.ones(len(test.energy), dtype=bool)
    for kind in set(test.kind):
        seen = train.temperature[train.kind == kind]
        here = test.kind == kind
        if len(seen):
            t = test.temperature[here]
            out[here] = (t > seen.max() + TEMP_MARGIN) | (t < seen.min() - TEMP_MARGIN)
    return out


def _scale(mad: float, energy: Array) -> float:
    """Robust spread of the residuals, at least MATERIAL of the mean daily energy: days within
    a few percent of expectation are not worth an incident, however tight the fit."""
    return max(1.4826 * mad, MATERIAL * float(np.mean(np.abs(energy))) + 1e-9)


def _isolation(train: Daily, test: Daily, seed: int = 0) -> Array:
    """Isolation Forest anomaly score per test day, 0..1 (about 0.5 is ordinary)."""
    x_train = np.column_stack([train.kind != OFF, train.temperature, train.energy])
    x_test = np.column_stack([test.kind != OFF, test.temperature, test.energy])
    # scikit-learn is imported here: loading it costs a question that never scores anomalies.
    from sklearn.ensemble import IsolationForest

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
    runs: tuple[tuple[int, EventKind], ...] = ((1, "consumption_high"), (-1, "consumption_low"))
    for sign, kind in runs:
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
    kind: EventKind,
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
    meter: str,
    frame: pd.DataFrame,
    tz: str,
    test_lo: int,
    price: float,
    kinds: pd.Series,
    step: int = 900,
) -> list[Event]:
    """Readings far above the same time of day on recent days of the same kind (`kinds`:
    kind of day by local date, see day_kinds), in readings `step` seconds apart (15 minutes,
    or the meter's own coarser interval)."""
    per_hour = 3600 / step
    if frame.empty:
        return []
    local = pd.DatetimeIndex(pd.to_datetime(frame["bucket"], unit="s", utc=True)).tz_convert(tz)
    table = pd.DataFrame(
        {
            "value": frame["sum"].to_numpy(float),
            "day": local.tz_localize(None).normalize(),
            "slot": local.hour * 4 + local.minute // 15,
        }
    )
    grid = table.pivot_table(index="day", columns="slot", values="value", aggfunc="max")
    kind = kinds.reindex(grid.index).fillna(OFF).to_numpy(object)
    events: list[Event] = []
    values = grid.to_numpy(float)
    days = list(grid.index)
    slots = [int(c) for c in grid.columns]
    starts = frame["bucket"].to_numpy(np.int64)
    for kind_of_day in sorted(set(kind)):
        rows = np.flatnonzero(kind == kind_of_day)
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
            material = (values[r] - median) * per_hour >= SPIKE_MIN_KW
            hot = (z >= SPIKE) & (values[r] >= SPIKE_RATIO * median) & (values[r] >= ceiling)
            hot &= material
            for a, b in _runs(np.nan_to_num(hot, nan=0).astype(bool), max_gap=2):
                if b - a > 3 * per_hour or not _stands_out(values[r], a, b, step):
                    continue  # hours long, or a raised stretch: a sustained change, not a spike
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
                        int(t1) + step,
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


def _stands_out(day: Array, a: int, b: int, step: int = 900) -> bool:
    """A spike stands above the hour either side of it (the reading either side of coarser
    ones), not just above other days (a cold morning raises the whole stretch)."""
    near_n = max(1, 3600 // step)
    around = np.r_[day[max(0, a - near_n) : a], day[b : b + near_n]]
    around = around[~np.isnan(around)]
    if not len(around):
        return True
    peak, near = float(np.nanmax(day[a:b])), float(around.max())
    return peak >= SPIKE_NEIGHBOURS * near and (peak - near) * 3600 / step >= SPIKE_MIN_KW


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
    meter: str, frame: pd.DataFrame, lo: int, end: int, tz: str, g: Grain | None = None
) -> list[Event]:
    """Gaps, stuck readings and negative readings from `lo` to `end`, at the meter's own
    interval (tools.data_quality); readings before `lo` only say how the meter usually reads."""
    step = g.coarsest.demand_seconds if g is not None else 900
    billing = g is not None and g.billing
    return [
        _event(meter, kind, "data_quality", a, b, tz, severity, 0.0, None, None, 0.0, None)
        for kind, a, b, severity in quality_findings(frame, lo, end, tz, step, stuck=not billing)
    ]


def _kinds_by_date(ctx: ToolContext, quarters: pd.DataFrame, drivers: pd.DataFrame) -> pd.Series:
    """Kind of day (day_kinds) of each local date in a 15-minute frame."""
    local = pd.DatetimeIndex(pd.to_datetime(quarters["bucket"], unit="s", utc=True))
    days = day_starts(local.tz_convert(ctx.site.timezone)).unique()
    starts = np.asarray(days.as_unit("s").asi8, dtype=np.int64)
    made = drivers["production"].reindex(starts).to_numpy(float)
    return pd.Series(day_kinds(ctx, starts, made), index=days.tz_localize(None).normalize())


def _drop_explained(events: list[Event]) -> list[Event]:
    """A consumption event on a meter whose data was stuck or missing at the time is an
    artefact of the data problem, which is reported instead."""
    quality = [e for e in events if e.category == "data_quality"]

    def explained(e: Event) -> bool:
        return any(q.meter == e.meter and q.start < e.end and e.start < q.end for q in quality)

    return [e for e in events if e.category == "data_quality" or not explained(e)]


def _daily_events(
    meter: str, train: Daily, test: Daily, tz: str, price: float
) -> tuple[list[Event], list[str]]:
    """Consumption events of one meter's test days, and the caveats of scoring them."""
    if len(train.energy) < MIN_TRAINING_DAYS:
        return [], [
            f"{meter}: under three weeks of history before the period; daily consumption not scored"
        ]
    if not len(test.energy):
        return [], []
    caveats = []
    expected, z = _robust_scores(train, test)
    outside = _unlike_history(train, test)
    if outside.any():
        z = np.where(outside, 0.0, z)
        caveats.append(
            f"{meter}: {int(outside.sum())} day(s) warmer or colder than any day of the same "
            "kind (working day, Saturday shift, day off) in its history were not scored"
        )
    iso = _isolation(train, test)
    return consumption_events(meter, test, expected, z, iso, tz, price), caveats


_BILLS = (
    "{meter} is read from bills, spread evenly over their days: its days are not scored "
    "(compare its bills with a baseline instead); only missing bills are reported"
)
_NO_SPIKES = "{meter} has {grain} readings: demand spikes need readings within the day"


@dataclass(frozen=True)
class _Scan:
    """What every meter's check shares: the period, the training span, the site's drivers,
    each series' first reading and the electricity price."""

    period: Period
    end: int
    train_lo: int
    drivers: pd.DataFrame
    first: dict[int, int | None]
    price: float
    quality: bool


def _check_meter(
    ctx: ToolContext, target: resolve.Target, scan: _Scan
) -> tuple[list[Event], list[str]]:
    """One meter's events and caveats, at the grain its readings support."""
    tz, meter, sid = ctx.site.timezone, target.meter.name, target.series.id
    price = ctx.config.gas_price_per_kwh if target.meter.kind == "gas" else scan.price
    seen = grain.grains(ctx, [sid], scan.train_lo, scan.end)[sid]
    g = grain.Grain(seen.history, scan.period.start_ts, scan.end, tz)
    events: list[Event] = []
    caveats: list[str] = []
    if g.billing:
        caveats.append(_BILLS.format(meter=meter))
    else:
        train = _daily(ctx, target, scan.train_lo, scan.period.start_ts, scan.drivers, seen)
        test = _daily(ctx, target, scan.period.start_ts, scan.end, scan.drivers, seen)
        events, caveats = _daily_events(meter, train, test, tz, price)
    with ctx.engine.connect() as conn:
        lo = scan.period.start_ts - 21 * 86400
        quarters = queries.rollups(conn, [sid], 900, lo, scan.end, tz=tz)
    quarters = resolve.scaled_frame(quarters, [target])  # gas read in m3: in kWh
    if g.within_day:
        kinds = _kinds_by_date(ctx, quarters, scan.drivers)
        step = g.coarsest.demand_seconds
        events += spike_events(meter, quarters, tz, scan.period.start_ts, price, kinds, step)
    elif not g.billing:
        caveats.append(_NO_SPIKES.format(meter=meter, grain=g.describe()))
    if scan.quality:
        lo = max(scan.period.start_ts, scan.first.get(sid) or scan.period.start_ts)
        if lo > scan.period.start_ts:
            caveats.append(
                f"{meter}: no readings before {_iso(lo, tz)}; the time before is not counted "
                "as an outage"
            )
        end, waiting = _bill_not_due(ctx, target, scan.end) if g.billing else (scan.end, None)
        caveats += [waiting] if waiting else []
        events += quality_events(meter, quarters, lo, end, tz, g)
    return events, caveats


def _bill_not_due(ctx: ToolContext, target: resolve.Target, end: int) -> tuple[int, str | None]:
    """Where a billed meter's next bill is not due yet, the days since its last bill are
    not missing: the check stops at its last billed day, and says so."""
    due = grain.next_bill_due(ctx, target.series.id)
    if due is None or due[0] <= end:
        return end, None
    _, last, longest = due
    stop = bills.midnight(last.end, ctx.site.timezone)
    return min(end, stop), (
        f"{target.meter.name}: its next bill is not due before {last.end + timedelta(longest)} "
        f"(its last bill ends {last.end_inclusive}, its longest bill ran {longest} days); the "
        "days since are not counted as missing"
    )


@tool(AnomalyInput)
def detect_anomalies(ctx: ToolContext, args: AnomalyInput) -> AnomalyResult:
    """Find unusual consumption and data problems per meter over a period, as a short list of
    events (start, end, kind, severity, expected vs actual kWh, extra kWh and cost): sustained
    excess (leaks, drifting equipment), demand spikes, drops, meter outages, stuck or negative
    readings. Each day is compared with a model of the meter trained on the year before the
    period (kind of day with public holidays, weather, production). Use it for "anything
    unusual last week", "why is the bill high"."""
    period = resolve.period(ctx, args.period)
    found = resolve.targets(ctx, args.meters, "energy")
    end = min(period.end_ts, int(ctx.now.timestamp()) // 900 * 900)
    train_lo = period.start_ts - TRAINING_DAYS * 86400
    with ctx.engine.connect() as conn:
        stats = queries.series_stats(conn, [t.series.id for t in found])
    scan = _Scan(
        period,
        end,
        train_lo,
        site_drivers(ctx, train_lo, end),
        # A meter's data begins with its first reading: no outage before it was connected.
        {sid: st.first_ts for sid, st in stats.items()},
        ctx.config.tariffs["electricity"].default_price,
        args.include_data_quality,
    )
    events: list[Event] = []
    caveats: list[str] = []
    for target in found:
        found_here, notes = _check_meter(ctx, target, scan)
        events += found_here
        caveats += notes
    if not found:
        raise InsufficientData("no energy meters to check")
    events, other = of_kinds(_drop_explained(events), args.kinds)
    caveats += other
    events.sort(key=lambda e: (e.start, e.meter))
    return AnomalyResult(
        currency=ctx.config.tariffs["electricity"].currency,  # the prices the costs used
        period=period.as_dict(),
        events=events,
        meters_checked=[t.meter.name for t in found],
        method=(
            "daily energy vs a least-squares model (kind of day from the shift plan, public "
            "holidays and production; heating/cooling degree-hours in and out of shift hours; "
            f"length of day; production) trained on up to {TRAINING_DAYS} days before, past "
            f"faults left out, flagged at robust z >= {THRESHOLD:g} or a sustained week; "
            "Isolation Forest score as a second opinion; demand spikes where a reading is "
            f"z >= {SPIKE:g} and {SPIKE_RATIO:g}x its usual level on recent days of the same "
            "kind and stands above the hour around it; gaps, stuck readings (where the meter "
            "usually varies) and negative readings at each meter's own interval"
        ),
        caveats=caveats,
        kinds=list(dict.fromkeys(args.kinds)),
    )
