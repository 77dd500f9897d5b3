"""Energy baselines (ISO 50001 EnB): fit a meter's daily energy on its drivers, store the model
as a new version, and compare a reporting period with what the baseline expects."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field
from sqlalchemy import func, insert, select

from common.errors import InsufficientData
from store import catalog, queries
from store.catalog import MeterRef
from store.schema import BaselineModel, EventLabel
from tools import resolve
from tools.base import SiteInput, ToolContext, ToolResult, tool
from tools.mv import ASHRAE_LIMITS, Fit, fit_model, savings
from tools.periods import Period

Driver = Literal["temperature", "production", "workday"]
ModelType = Literal["auto", "mlr", "3p_heating", "3p_cooling", "4p", "5p"]
COMPLETE = 0.9  # a day counts when at least 90 % of its quarter-hours were metered
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


def _quarters_per_day(index: pd.Index, tz: str) -> np.ndarray:
    """92, 96 or 100: local days are 23 to 25 hours long around DST changes."""
    local = pd.DatetimeIndex(
        pd.to_datetime(index.to_numpy(np.int64), unit="s", utc=True)
    ).tz_convert(tz)
    following = (local.tz_localize(None) + pd.Timedelta(days=1)).tz_localize(
        tz, ambiguous="NaT", nonexistent="shift_forward"
    )
    seconds = np.asarray((following - local).total_seconds(), dtype=np.float64)
    return np.nan_to_num(seconds, nan=86400.0) / 900


def model_frame(
    ctx: ToolContext, meter: str, drivers: list[str], period: Period, grain: str = "day"
) -> pd.DataFrame:
    """One row per complete local day (or hour): energy and the requested drivers; hourly
    frames also carry hour-of-day by workday indicators, the shape of a working day."""
    step = GRAIN_SECONDS[grain]
    target = resolve.targets(ctx, [meter], "energy")[0]
    with ctx.engine.connect() as conn:
        days = queries.rollups(
            conn, [target.series.id], step, period.start_ts, period.end_ts, tz=ctx.site.timezone
        )
        pairs = catalog.list_series(conn, ctx.site.id)
    days = resolve.scaled_frame(days, [target])  # gas read in m3: in kWh
    frame = pd.DataFrame(
        {"energy": days.set_index("bucket")["sum"], "n": days.set_index("bucket")["n"]}
    )
    expected = _quarters_per_day(frame.index, ctx.site.timezone) if grain == "day" else 4
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
    days = local.normalize()
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


def _store(ctx: ToolContext, meter_id: int, fit: Fit, period: Period, drivers: list[str]) -> int:
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
                },
                metrics={
                    "n": fit.n,
                    "r2": fit.r2,
                    "adj_r2": fit.adj_r2,
                    "cv_rmse": fit.cv_rmse,
                    "nmbe": fit.nmbe,
                    "rmse": fit.rmse,
                    "autocorrelation": fit.autocorrelation,
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
    meter = resolve.meter(ctx, args.meter)
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
        balance_points=fit.balance_points,
        coefficients=[
            CoefficientOut(name=c.name, value=c.value, std_error=c.std_error, t_stat=c.t_stat)
            for c in fit.coefficients
        ],
        r2=fit.r2,
        adj_r2=fit.adj_r2,
        cv_rmse_percent=fit.cv_rmse,
        nmbe_percent=fit.nmbe,
        ashrae14_ok=fit.ashrae_ok,
        ashrae14_limits={"cv_rmse_percent": cv_max, "nmbe_percent": nmbe_max},
        caveats=[*fit.caveats, *_driver_caveats(ctx, meter, drivers)],
        deviation=_deviation(ctx, args, fit, drivers) if args.reporting else None,
        unit=f"kWh/{args.grain}",
    )
