"""Energy baselines (ISO 50001 EnB): fit a meter's daily energy on its drivers, store the model
as a new version, and compare a reporting period with what the baseline expects."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field
from sqlalchemy import func, insert, select

from common.errors import InsufficientData
from common.timeutil import day_starts
from store import catalog, intervals, queries
from store.catalog import MeterRef
from store.rollups import day_ends
from store.schema import BaselineModel, EventLabel
from tools import baseline_caltrack, resolve
from tools import grain as tool_grain
from tools.base import SiteInput, ToolContext, ToolResult, tool
from tools.caltrack_savings import CaltrackSavings
from tools.mv import ASHRAE_LIMITS, Fit, fit_model, savings
from tools.periods import Period

Driver = Literal["temperature", "production", "workday"]
ModelType = Literal["auto", "mlr", "3p_heating", "3p_cooling", "4p", "5p"]
Method = Literal["auto", "caltrack_daily", "caltrack_billing", "regression"]
COMPLETE = 0.9  # a day (hour) counts when at least 90 % of its readings were metered
GRAIN_SECONDS = {"day": 86400, "hour": 3600}


def _default_drivers() -> list[Driver]:
    return ["temperature", "production"]


class BaselineInput(SiteInput):
    meter: str = Field(description="Meter name or alias whose energy to model.")
    baseline: str = Field(
        description="Baseline period (ideally 12 months), e.g. '2025' or '2025-01..2025-12-31'."
    )
    reporting: str | None = Field(
        default=None,
        description="Reporting period to compare with the baseline, e.g. 'this month'.",
    )
    drivers: list[Driver] = Field(
        default_factory=_default_drivers,
        description="Relevant variables: 'temperature' (outdoor, as heating/cooling degree "
        "days with a fitted balance point), 'production' (units produced), 'workday' (1 on "
        "days with production or Monday-Friday).",
    )
    grain: Literal["day", "hour"] = Field(
        default="day",
        description="'day' (daily energy) or 'hour' (hourly energy with the shape of a working "
        "day); hourly fits take longer and are judged by the hourly ASHRAE 14 limits.",
    )
    model: ModelType = Field(
        default="auto",
        description="'auto' (best of the forms below), 'mlr' (linear on drivers), "
        "'3p_heating', '3p_cooling', '4p', '5p' (change-point models on temperature).",
    )
    method: Method = Field(
        default="auto",
        description="'regression' (the drivers above, daily or hourly), 'caltrack_daily' or "
        "'caltrack_billing' (the CalTRACK 2.0 daily and billing methods: degree days with "
        "fitted balance points, the methods' data rules); 'auto' takes CalTRACK billing for "
        "bills, CalTRACK daily for daily readings (regression where the site records "
        "production and it is a driver) and regression for readings within the day.",
    )
    accept_disqualified: bool = Field(
        default=False,
        description="Fit a CalTRACK baseline even where its data rules disqualify the data "
        "(too short, too many missing days); only when the user says so after being told.",
    )


class CoefficientOut(ToolResult):
    name: str
    value: float
    std_error: float
    t_stat: float


class DayPoint(ToolResult):
    start: str
    actual: float
    expected: float
    cusum: float = Field(description="cumulative actual - expected up to this day, kWh")


class Deviation(ToolResult):
    period: dict[str, str]
    steps: int = Field(description="complete days (or hours) compared")
    expected_kwh: float
    actual_kwh: float
    deviation_kwh: float = Field(description="actual - expected; positive means above baseline")
    deviation_percent: float
    avoided_kwh: float
    uncertainty_kwh: float = Field(description="ASHRAE 14 savings uncertainty at 90 % confidence")
    points: list[DayPoint]


class IssueOut(ToolResult):
    code: str
    section: str = Field(description="the CalTRACK 2.0 section of the rule")
    description: str
    disqualifying: bool


class CaltrackOut(ToolResult):
    model_type: str = Field(description="intercept_only, hdd_only, cdd_only or hdd_cdd")
    heating_balance_point: float | None
    cooling_balance_point: float | None
    cv_rmse_caltrack: float = Field(description="CalTRACK's CV(RMSE), a fraction of 1")
    autocorrelation: float
    periods: int = Field(description="days or billing periods in the fit")
    days: int
    accepted_disqualified: bool


class BaselineResult(ToolResult):
    meter: str
    version: int
    model_type: str
    grain: str
    baseline_period: dict[str, str]
    days_used: int = Field(description="days (or hours, at hourly grain) in the fit")
    days_excluded: int
    drivers: list[str]
    balance_points: dict[str, float]
    coefficients: list[CoefficientOut]
    r2: float
    adj_r2: float
    cv_rmse_percent: float
    nmbe_percent: float
    ashrae14_ok: bool
    ashrae14_limits: dict[str, float]
    caveats: list[str]
    deviation: Deviation | None
    unit: str = Field(default="kWh/day", description="unit of the modelled energy per step")
    method: str = Field(default="regression", description="regression, caltrack_daily, ...")
    issues: list[IssueOut] = Field(
        default_factory=list, description="the CalTRACK data rules' findings, as data"
    )
    caltrack: CaltrackOut | None = None


def _per_step(
    ctx: ToolContext, series_ids: list[int], period: Period, stat: str, grain: int
) -> pd.Series:
    with ctx.engine.connect() as conn:
        frame = queries.rollups(
            conn, series_ids, grain, period.start_ts, period.end_ts, tz=ctx.site.timezone
        )
    if frame.empty:
        return pd.Series(dtype=float)
    grouped = frame.groupby("bucket").agg(sum=("sum", "sum"), n=("n", "sum"))
    return grouped["sum"] / grouped["n"] if stat == "avg" else grouped["sum"]


def _expected_readings(
    ctx: ToolContext, series_id: int, index: pd.Index, grain: str, period: Period
) -> np.ndarray:
    """Readings each local day (or hour) should hold at the meter's own interval: 96 for a
    quarter-hour meter's day (92 or 100 around DST), 24 for an hourly one's, 1 for daily."""
    tz = ctx.site.timezone
    starts = index.to_numpy(np.int64)
    with ctx.engine.connect() as conn:
        history = intervals.histories(conn, [series_id], tz, period.end_ts)[series_id]
    step = history.seconds_at(starts).astype(np.float64)
    if grain == "hour":
        return np.maximum(3600 / step, 1.0)
    ends = day_ends(starts, tz).astype(np.float64)
    return np.where(step >= 86400, 1.0, (ends - starts) / step)


def _regression_fits(ctx: ToolContext, target: resolve.Target, period: Period, grain: str) -> None:
    """Refuse data a regression at this grain cannot use, naming what can."""
    g = tool_grain.grains(ctx, [target.series.id], period.start_ts, period.end_ts)
    seen = g[target.series.id]
    if seen.billing:
        raise InsufficientData(
            f"{target.meter.name} is read from bills, spread evenly over their days: a "
            "regression on those days would fit the spreading; use method caltrack_billing"
        )
    if grain == "hour" and seen.coarsest.seconds > 3600:
        raise InsufficientData(
            f"{target.meter.name} has {seen.describe()} readings: an hourly baseline needs "
            "hourly or finer readings; fit a daily one (grain day)"
        )


def model_frame(
    ctx: ToolContext, meter: str, drivers: list[str], period: Period, grain: str = "day"
) -> pd.DataFrame:
    """One row per complete local day (or hour): energy and the requested drivers; hourly
    frames also carry hour-of-day by workday indicators, the shape of a working day."""
    step = GRAIN_SECONDS[grain]
    target = resolve.targets(ctx, [meter], "energy")[0]
    _regression_fits(ctx, target, period, grain)
    with ctx.engine.connect() as conn:
        days = queries.rollups(
            conn, [target.series.id], step, period.start_ts, period.end_ts, tz=ctx.site.timezone
        )
        pairs = catalog.list_series(conn, ctx.site.id)
    days = resolve.scaled_frame(days, [target])  # gas read in m3: in kWh
    frame = pd.DataFrame(
        {"energy": days.set_index("bucket")["sum"], "n": days.set_index("bucket")["n"]}
    )
    expected = _expected_readings(ctx, target.series.id, frame.index, grain, period)
    frame = frame[frame["n"] >= COMPLETE * expected]
    if "temperature" in drivers:
        temps = [s.id for _, s in pairs if s.metric == "outdoor_temperature"]
        if not temps:
            raise InsufficientData(
                "no outdoor temperature series at this site for the temperature driver"
            )
        frame["temperature"] = _per_step(ctx, temps[:1], period, "avg", step)
    production = [s.id for m, s in pairs if s.metric == "production"]
    if "production" in drivers:
        if not production:
            raise InsufficientData("no production series at this site for the production driver")
        made = resolve.production(ctx, target.meter, as_driver=True)
        frame["production"] = _per_step(ctx, list(made.series_ids), period, "sum", step)
    if "workday" in drivers or grain == "hour":
        frame["workday"] = _workdays(ctx, frame.index, production, period)
    if grain == "hour":
        local = pd.DatetimeIndex(pd.to_datetime(frame.index, unit="s", utc=True)).tz_convert(
            ctx.site.timezone
        )
        slot = np.asarray(local.hour) + 24 * frame["workday"].to_numpy(int)
        for s in range(1, 48):  # slot 0 (midnight on a day off) is the intercept
            frame[f"slot_{s:02d}"] = (slot == s).astype(float)
    return frame.dropna()


def _driver_caveats(ctx: ToolContext, meter: MeterRef, drivers: list[str]) -> list[str]:
    if "production" not in drivers:
        return []
    caveat = resolve.production(ctx, meter, as_driver=True).caveat
    return [caveat] if caveat else []


def _workdays(
    ctx: ToolContext, index: pd.Index, production: list[int], period: Period
) -> np.ndarray:
    """1.0 on local days with production (or Monday to Friday where nothing is produced)."""
    local = pd.DatetimeIndex(pd.to_datetime(index, unit="s", utc=True)).tz_convert(
        ctx.site.timezone
    )
    days = day_starts(local)
    if production:
        made = _per_step(ctx, production, period, "sum", 86400)
        made_days = pd.DatetimeIndex(pd.to_datetime(made.index, unit="s", utc=True)).tz_convert(
            ctx.site.timezone
        )
        working = set(made_days[made.to_numpy() > 0])
        return np.array([d in working for d in days], dtype=float)
    return np.asarray(local.day_of_week < 5, dtype=float)


def _excluded_days(ctx: ToolContext, meter_id: int, index: pd.Index, step: int) -> pd.Index:
    """Days overlapping periods a user marked as maintenance or fault (labels to exclude)."""
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            select(EventLabel.start_ts, EventLabel.end_ts).where(
                EventLabel.meter_id == meter_id,
                EventLabel.exclude.is_(True),
                EventLabel.source != "simulator",
            )
        ).all()
    starts = index.to_numpy()
    drop = np.zeros(len(starts), dtype=bool)
    for a, b in rows:
        drop |= (starts < b) & (starts + step > a)
    return index[drop]


Extra = tuple[dict[str, Any], dict[str, Any]]


def _store(
    ctx: ToolContext,
    meter_id: int,
    fit: Fit,
    period: Period,
    drivers: list[str],
    extra: Extra = ({}, {}),
) -> int:
    """Store a fit as the meter's next model version; `extra` adds a method's own parameters
    and metrics (CalTRACK's model type, balance points, CV(RMSE), issues)."""
    with ctx.engine.begin() as conn:
        latest = conn.execute(
            select(func.max(BaselineModel.version)).where(
                BaselineModel.meter_id == meter_id, BaselineModel.name == "default"
            )
        ).scalar_one()
        version = int(latest or 0) + 1
        conn.execute(
            insert(BaselineModel).values(
                meter_id=meter_id,
                name="default",
                version=version,
                model_type=fit.model_type,
                grain=fit.grain,
                start_ts=period.start_ts,
                end_ts=period.end_ts,
                drivers=drivers,
                parameters={
                    "terms": fit.terms,
                    "coefficients": {c.name: c.value for c in fit.coefficients},
                    "balance_points": fit.balance_points,
                    **extra[0],
                },
                metrics={
                    "n": fit.n,
                    "r2": fit.r2,
                    "adj_r2": fit.adj_r2,
                    "cv_rmse": fit.cv_rmse,
                    "nmbe": fit.nmbe,
                    "rmse": fit.rmse,
                    "autocorrelation": fit.autocorrelation,
                    **extra[1],
                },
            )
        )
    return version


def _columns(frame: pd.DataFrame, drivers: list[str]) -> dict[str, np.ndarray]:
    names = drivers + [c for c in frame.columns if c.startswith("slot_")]
    return {d: frame[d].to_numpy(np.float64) for d in dict.fromkeys(names) if d in frame}


def _deviation(ctx: ToolContext, args: BaselineInput, fit: Fit, drivers: list[str]) -> Deviation:
    period = resolve.period(ctx, str(args.reporting))
    frame = model_frame(ctx, args.meter, drivers, period, args.grain)
    if frame.empty:
        raise InsufficientData(
            f"no complete {args.grain}s of data in the reporting period {period.describe()}"
        )
    columns = _columns(frame, drivers)
    expected = fit.predict(columns) if columns else np.full(len(frame), fit.coefficients[0].value)
    actual = frame["energy"].to_numpy(np.float64)
    result = savings(fit, expected, actual)
    starts = pd.to_datetime(frame.index, unit="s", utc=True).tz_convert(ctx.site.timezone)
    cusum = np.cumsum(actual - expected)
    return Deviation(
        period=period.as_dict(),
        steps=len(frame),
        expected_kwh=result.expected,
        actual_kwh=result.actual,
        deviation_kwh=result.actual - result.expected,
        deviation_percent=-result.percent,
        avoided_kwh=result.avoided,
        uncertainty_kwh=result.uncertainty,
        points=[
            DayPoint(
                start=d.date().isoformat() if args.grain == "day" else d.isoformat(),
                actual=float(a),
                expected=float(e),
                cusum=float(c),
            )
            for d, a, e, c in zip(starts, actual, expected, cusum, strict=True)
        ],
    )


@tool(BaselineInput)
def energy_baseline(ctx: ToolContext, args: BaselineInput) -> BaselineResult:
    """Fit an energy baseline for a meter (daily energy against outdoor temperature,
    production and workdays; regression or change-point model), report its fit against
    ASHRAE Guideline 14, store it as a new model version, and optionally compare a reporting
    period: expected vs actual kWh, deviation in %, CUSUM and avoided energy with its
    uncertainty. Use it for "is this meter above its baseline this month", "how much did we
    save since the retrofit"."""
    period = resolve.period(ctx, args.baseline)
    target = resolve.targets(ctx, [args.meter], "energy")[0]
    method, why = _method(ctx, args, target, period)
    if method != "regression":
        return _caltrack(ctx, args, target, period, method, why)
    meter = target.meter
    drivers: list[str] = [str(d) for d in dict.fromkeys(args.drivers)]
    frame = model_frame(ctx, meter.name, drivers, period, args.grain)
    excluded = _excluded_days(ctx, meter.id, frame.index, GRAIN_SECONDS[args.grain])
    frame = frame.drop(excluded)
    y = frame["energy"].to_numpy(np.float64)
    columns = _columns(frame, drivers)
    extra = [d for d in columns if d != "temperature"]
    fit = fit_model(y, columns, args.model, extra, args.grain)
    version = _store(ctx, meter.id, fit, period, drivers)
    cv_max, nmbe_max = ASHRAE_LIMITS[args.grain]
    return BaselineResult(
        meter=meter.name,
        version=version,
        model_type=fit.model_type,
        grain=args.grain,
        baseline_period=period.as_dict(),
        days_used=fit.n,
        days_excluded=len(excluded),
        drivers=drivers,
        **_fit_statistics(fit, cv_max, nmbe_max),
        caveats=[*fit.caveats, *_driver_caveats(ctx, meter, drivers)],
        deviation=_deviation(ctx, args, fit, drivers) if args.reporting else None,
        unit=f"kWh/{args.grain}",
    )


# ------------------------------------------------------------------ CalTRACK


def _method(
    ctx: ToolContext, args: BaselineInput, target: resolve.Target, period: Period
) -> tuple[str, list[str]]:
    """The method to fit, and why where `auto` chose it from the meter's interval."""
    seen = tool_grain.grains(ctx, [target.series.id], period.start_ts, period.end_ts)
    g = seen[target.series.id]
    name = target.meter.name
    if args.method == "caltrack_daily" and g.billing:
        raise InsufficientData(
            f"{name} is read from bills: its days are the bills spread evenly, not measured "
            "days; use method caltrack_billing"
        )
    if args.method != "auto":
        return args.method, []
    if g.billing:
        return "caltrack_billing", [f"{name} is read from bills: CalTRACK's billing method"]
    if not g.within_day and args.grain == "day" and not _production_asked(ctx, args):
        return "caltrack_daily", [f"{name} has {g.describe()} readings: CalTRACK's daily method"]
    return "regression", []


def _production_asked(ctx: ToolContext, args: BaselineInput) -> bool:
    """Production is a driver asked for and recorded at the site: then a daily regression
    on it serves better than CalTRACK's weather-only daily method."""
    if "production" not in args.drivers:
        return False
    with ctx.engine.connect() as conn:
        return any(s.metric == "production" for _, s in catalog.list_series(conn, ctx.site.id))


def _caltrack(
    ctx: ToolContext,
    args: BaselineInput,
    target: resolve.Target,
    period: Period,
    method: str,
    why: list[str],
) -> BaselineResult:
    chosen: baseline_caltrack.Method = (
        "caltrack_billing" if method == "caltrack_billing" else "caltrack_daily"
    )
    model = baseline_caltrack.fit(ctx, target, chosen, period, args.accept_disqualified)
    fit = model.fit
    version = _store(
        ctx, target.meter.id, fit, period, ["temperature"], baseline_caltrack.stored_fields(model)
    )
    reporting = resolve.period(ctx, args.reporting) if args.reporting else None
    deviation, issues = None, list(model.issues)
    billing = model.method == "billing"
    measured = [baseline_caltrack.baseline_bills(ctx, target, model, period) if billing else None]
    if reporting is not None:
        saved = baseline_caltrack.savings(ctx, target, model, reporting)
        deviation = _caltrack_deviation(saved, model.method, reporting)
        issues += saved.issues
        if billing:
            measured.append(baseline_caltrack.reporting_bills(ctx, target, saved, reporting))
    cv_max, nmbe_max = ASHRAE_LIMITS[fit.grain]
    return BaselineResult(
        meter=target.meter.name,
        version=version,
        model_type=fit.model_type,
        grain="day" if model.method == "daily" else "billing period",
        baseline_period=period.as_dict(),
        days_used=model.n_days,
        days_excluded=0,
        drivers=["temperature"],
        **_fit_statistics(fit, cv_max, nmbe_max),
        caveats=[
            *why,
            *(m for m in measured if m),
            *fit.caveats,
            *(i.description for i in issues),
        ],
        deviation=deviation,
        unit="kWh/day",
        method=method,
        issues=[IssueOut(**baseline_caltrack.issue_json(i)) for i in issues],
        caltrack=CaltrackOut(
            model_type=model.model_type,
            heating_balance_point=model.heating_balance_point,
            cooling_balance_point=model.cooling_balance_point,
            cv_rmse_caltrack=model.cv_rmse_caltrack,
            autocorrelation=model.autocorrelation,
            periods=model.n_periods,
            days=model.n_days,
            accepted_disqualified=model.accepted_disqualified,
        ),
    )


def _caltrack_deviation(saved: CaltrackSavings, method: str, reporting: Period) -> Deviation:
    """The reporting period against the CalTRACK baseline: per day, or per whole bill."""
    table = saved.periods[saved.periods["used"]]
    first = table["date"] if method == "daily" else table["start"]
    actual = table["actual"].to_numpy(np.float64)
    expected = table["counterfactual"].to_numpy(np.float64)
    cusum = np.cumsum(actual - expected)
    starts = [pd.Timestamp(d).date().isoformat() for d in first]
    return Deviation(
        period=reporting.as_dict(),
        steps=saved.periods_used,
        expected_kwh=saved.counterfactual,
        actual_kwh=saved.actual,
        deviation_kwh=saved.actual - saved.counterfactual,
        deviation_percent=-saved.percent,
        avoided_kwh=saved.avoided,
        uncertainty_kwh=saved.uncertainty,
        points=[
            DayPoint(start=d, actual=float(a), expected=float(e), cusum=float(c))
            for d, a, e, c in zip(starts, actual, expected, cusum, strict=True)
        ],
    )


def _fit_statistics(fit: Fit, cv_max: float, nmbe_max: float) -> dict[str, Any]:
    """A fitted model's balance points, coefficients and ASHRAE 14 figures, as every baseline
    method reports them."""
    return {
        "balance_points": fit.balance_points,
        "coefficients": [
            CoefficientOut(name=c.name, value=c.value, std_error=c.std_error, t_stat=c.t_stat)
            for c in fit.coefficients
        ],
        "r2": fit.r2,
        "adj_r2": fit.adj_r2,
        "cv_rmse_percent": fit.cv_rmse,
        "nmbe_percent": fit.nmbe,
        "ashrae14_ok": fit.ashrae_ok,
        "ashrae14_limits": {"cv_rmse_percent": cv_max, "nmbe_percent": nmbe_max},
    }
