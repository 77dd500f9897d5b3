"""The CalTRACK daily and billing methods as the baseline tool runs them: daily and billing
frames built from the store, the fit and the reporting period's savings, and the fields a
stored model version keeps.

Days come from the meter's daily rollups, judged at its own interval: a day with more than
half of its readings is scaled to a full day, the rest are missing (CalTRACK §2.2.2.1).
Bills come from the bills table as billed. Temperatures are the site's outdoor temperature
series, hourly or finer readings made daily by `caltrack_data.daily_temperature`, or daily
means as they are.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd

from common.errors import InsufficientData, UnknownSeries
from store import bills, catalog, intervals, queries
from tools import grain
from tools.base import ToolContext
from tools.caltrack import CaltrackModel, CaltrackSettings, fit_billing, fit_daily
from tools.caltrack_data import DisqualifiedData, Issue, daily_temperature, disqualified
from tools.caltrack_savings import CaltrackSavings, billing_savings, daily_savings
from tools.periods import Period
from tools.resolve import Target

Method = Literal["caltrack_daily", "caltrack_billing"]


def dates(ctx: ToolContext, period: Period) -> tuple[date, date]:
    """A period's first local day and the day after its last."""
    tz = ctx.site.timezone
    return grain.local_date(period.start_ts, tz), grain.local_date(period.end_ts - 1, tz) + (
        timedelta(days=1)
    )


def _fuel(target: Target) -> Literal["electricity", "gas"]:
    # Heating-only fuels fit no cooling models and keep zero reads (CalTRACK §3.2.1.1).
    return "gas" if target.meter.kind in ("gas", "heat", "steam") else "electricity"


def settings(target: Target) -> CaltrackSettings:
    return CaltrackSettings(unit="C", fuel=_fuel(target))


# ------------------------------------------------------------------ frames from the store


def daily_energy(ctx: ToolContext, series_id: int, first: date, end: date) -> pd.Series:
    """Energy per local day [first, end), NaN where half the day's readings or more are
    missing; a day with more than half is scaled to a full day (§2.2.2.1)."""
    tz = ctx.site.timezone
    lo, hi = bills.midnight(first, tz), bills.midnight(end, tz)
    with ctx.engine.connect() as conn:
        frame = queries.rollups(conn, [series_id], 86400, lo, hi, tz=tz)
        history = intervals.histories(conn, [series_id], tz, hi)[series_id]
    calendar = pd.date_range(pd.Timestamp(first), pd.Timestamp(end - timedelta(days=1)), freq="D")
    if frame.empty:
        return pd.Series(np.nan, index=calendar)
    starts = frame["bucket"].to_numpy(np.int64)
    expected = np.array(
        [
            history.expected(int(d), bills.midnight(_day(d, tz) + timedelta(1), tz), tz)
            for d in starts
        ],
        dtype=np.float64,
    )
    n, total = frame["n"].to_numpy(np.float64), frame["sum"].to_numpy(np.float64)
    value = np.where(n > expected / 2, total * np.maximum(expected / n, 1.0), np.nan)
    days = pd.DatetimeIndex([pd.Timestamp(_day(d, tz)) for d in starts])
    return pd.Series(value, index=days).reindex(calendar)


def _day(ts: int, tz: str) -> date:
    return grain.local_date(int(ts), tz)


def temperatures(ctx: ToolContext, first: date, end: date) -> pd.DataFrame | pd.Series:
    """The site's daily mean outdoor temperatures over [first, end), in °C."""
    tz = ctx.site.timezone
    with ctx.engine.connect() as conn:
        pairs = catalog.list_series(conn, ctx.site.id)
    found = [s for _, s in pairs if s.metric == "outdoor_temperature"]
    if not found:
        raise UnknownSeries(
            "no outdoor temperature series at this site: CalTRACK baselines need one (import "
            "hourly or daily outdoor temperatures as metric outdoor_temperature)"
        )
    series = found[0]
    lo, hi = bills.midnight(first, tz), bills.midnight(end, tz)
    with ctx.engine.connect() as conn:
        raw = queries.readings(conn, series.id, lo, hi)
        history = intervals.histories(conn, [series.id], tz, hi)[series.id]
    if raw.empty:
        raise InsufficientData(f"no outdoor temperatures from {first} to {end - timedelta(1)}")
    when = pd.DatetimeIndex(pd.to_datetime(raw["ts"], unit="s", utc=True)).tz_convert(tz)
    values = pd.Series(raw["value"].to_numpy(np.float64), index=when)
    if history.coarsest(lo, hi).within_day:
        return daily_temperature(values)
    return pd.Series(values.to_numpy(), index=when.tz_localize(None).normalize())


def _temperature_on(temps: pd.DataFrame | pd.Series, calendar: pd.DatetimeIndex) -> np.ndarray:
    column = temps["temperature"] if isinstance(temps, pd.DataFrame) else temps
    column = column.copy()
    column.index = pd.DatetimeIndex(column.index).tz_localize(None).normalize()
    return column.reindex(calendar).to_numpy(np.float64)


def daily_frame(ctx: ToolContext, series_id: int, first: date, end: date) -> pd.DataFrame:
    energy = daily_energy(ctx, series_id, first, end)
    calendar = pd.DatetimeIndex(energy.index)
    temps = temperatures(ctx, first, end)
    return pd.DataFrame(
        {
            "date": calendar,
            "energy": energy.to_numpy(),
            "temperature": _temperature_on(temps, calendar),
        }
    )


def bills_frame(ctx: ToolContext, series_id: int, first: date, end: date) -> pd.DataFrame:
    """The series' bills overlapping [first, end) as CalTRACK reads them."""
    with ctx.engine.connect() as conn:
        found = bills.list_bills(conn, series_id, first, end)
    return pd.DataFrame(
        {
            "start": [pd.Timestamp(b.start) for b in found],
            "end": [pd.Timestamp(b.end) for b in found],
            "energy": [b.quantity for b in found],
            "estimated": [b.estimated for b in found],
        }
    )


# ------------------------------------------------------------------ fit and savings


def fit(
    ctx: ToolContext, target: Target, method: Method, baseline: Period, accept: bool
) -> CaltrackModel:
    """Fit the method on the baseline period (its end is the intervention's start)."""
    first, end = dates(ctx, baseline)
    try:
        if method == "caltrack_daily":
            frame = daily_frame(ctx, target.series.id, first, end)
            return fit_daily(
                frame, settings(target), start=first, end=end, accept_disqualified=accept
            )
        frame = _bills_or_refuse(ctx, target, first, end)
        if not (
            (frame["start"] >= pd.Timestamp(first)) & (frame["end"] <= pd.Timestamp(end))
        ).any():
            raise _no_whole_bill(target, frame, first, end, "baseline")
        temps = temperatures(ctx, _first(frame, first), _last(frame, end))
        return fit_billing(
            frame, temps, settings(target), start=first, end=end, accept_disqualified=accept
        )
    except DisqualifiedData as exc:
        reasons = "; ".join(
            f"{i.description} (CalTRACK {i.section})" for i in disqualified(exc.issues)
        )
        kind = "daily" if method == "caltrack_daily" else "billing"
        raise DisqualifiedData(
            f"{target.meter.name}'s data fails the CalTRACK {kind} method's data rules: "
            f"{reasons}. To fit it anyway, ask again with accept_disqualified: true; every "
            "issue is then kept with the model as a caveat",
            exc.issues,
        ) from None


def _bills_or_refuse(ctx: ToolContext, target: Target, first: date, end: date) -> pd.DataFrame:
    frame = bills_frame(ctx, target.series.id, first, end)
    if frame.empty:
        raise InsufficientData(
            f"{target.meter.name} has no bills from {first} to {end - timedelta(1)}; the "
            "billing method fits bills (ems-agent import-bills), the daily method daily data"
        )
    return frame


def _first(frame: pd.DataFrame, default: date) -> date:
    return min(pd.Timestamp(frame["start"].min()).date(), default)


def _last(frame: pd.DataFrame, default: date) -> date:
    return max(pd.Timestamp(frame["end"].max()).date(), default)


def savings(
    ctx: ToolContext, target: Target, model: CaltrackModel, reporting: Period
) -> CaltrackSavings:
    """Avoided energy over the reporting period, by the model's method."""
    first, end = dates(ctx, reporting)
    if model.method == "daily":
        frame = daily_frame(ctx, target.series.id, first, end)
        return daily_savings(model, frame, start=first, end=end)
    frame = _bills_or_refuse(ctx, target, first, end)
    temps = temperatures(ctx, _first(frame, first), _last(frame, end))
    try:
        return billing_savings(model, frame, temps, start=first, end=end)
    except InsufficientData:
        raise _no_whole_bill(target, frame, first, end, "reporting period") from None


def baseline_bills(
    ctx: ToolContext, target: Target, model: CaltrackModel, period: Period
) -> str | None:
    """What the billing method fitted of a baseline its bills do not cover day for day: only
    whole bills count (CalTRACK §2.2.5); None when they cover it."""
    first, end = dates(ctx, period)
    span = (end - first).days
    if model.n_days >= span:
        return None
    frame = bills_frame(ctx, target.series.id, first, end)
    cut = frame[(frame["start"] < pd.Timestamp(first)) | (frame["end"] > pd.Timestamp(end))]
    text = (
        f"the billing method counts whole bills only: the baseline {first}..{end - timedelta(1)}"
        f" is fitted on {_bills(model.n_periods)} covering {model.n_days} of its {span} days"
    )
    return f"{text}; bills the period cuts, left out: {_spans(cut)}" if not cut.empty else text


def reporting_bills(
    ctx: ToolContext, target: Target, saved: CaltrackSavings, period: Period
) -> str | None:
    """What the billing method measured of a reporting period its bills do not cover day for
    day: whole bills with usage and temperatures; None when they cover it."""
    first, end = dates(ctx, period)
    span = (end - first).days
    table = saved.periods
    used = table[table["used"]]
    days = int(used["days"].sum())
    if days >= span:
        return None
    text = (
        f"the billing method counts whole bills only: the reporting period {first}.."
        f"{end - timedelta(1)} is measured by {_bills(len(used))} from "
        f"{used['start'].min():%Y-%m-%d} to {used['end'].max() - pd.Timedelta(days=1):%Y-%m-%d}"
        f" ({days} of its {span} days)"
    )
    frame = bills_frame(ctx, target.series.id, first, end)
    cut = frame[(frame["start"] < pd.Timestamp(first)) | (frame["end"] > pd.Timestamp(end))]
    if not cut.empty:
        text += f"; bills the period cuts, left out: {_spans(cut)}"
    masked = table[~table["used"]]
    if not masked.empty:
        text += f"; bills without usage or 90 % of their temperatures, left out: {_spans(masked)}"
    return text


def _bills(count: int) -> str:
    return f"{count} bill{'s' if count != 1 else ''}"


def _spans(frame: pd.DataFrame) -> str:
    return ", ".join(
        f"{a:%Y-%m-%d}..{b - pd.Timedelta(days=1):%Y-%m-%d}"
        for a, b in zip(frame["start"], frame["end"], strict=True)
    )


def _no_whole_bill(
    target: Target, frame: pd.DataFrame, first: date, end: date, what: str
) -> InsufficientData:
    return InsufficientData(
        f"no bill of {target.meter.name} lies wholly within the {what} {first}.."
        f"{end - timedelta(1)}; its bills there: {_spans(frame)}. Ask for a period that holds "
        "whole bills"
    )


def stored_fields(model: CaltrackModel) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a stored model version keeps beside the common fit: the CalTRACK model type,
    balance points and coefficients, CalTRACK's CV(RMSE), autocorrelation, the data rules'
    issues and whether disqualified data was accepted."""
    parameters = {
        "method": f"caltrack_{model.method}",
        "model_type": model.model_type,
        "unit": model.unit,
        "fuel": model.fuel,
        "cycle": model.cycle,
        "intercept": model.intercept,
        "beta_hdd": model.beta_hdd,
        "beta_cdd": model.beta_cdd,
        "heating_balance_point": model.heating_balance_point,
        "cooling_balance_point": model.cooling_balance_point,
        "candidates": [asdict(c) for c in model.candidates],
    }
    metrics = {
        "cv_rmse_caltrack": model.cv_rmse_caltrack,
        "autocorrelation": model.autocorrelation,
        "n_periods": model.n_periods,
        "n_days": model.n_days,
        "span_days": model.span_days,
        "accepted_disqualified": model.accepted_disqualified,
        "issues": [issue_json(i, data=True) for i in model.issues],
    }
    return parameters, metrics


def issue_json(issue: Issue, data: bool = False) -> dict[str, Any]:
    """An issue of the data rules as stored (with its numbers) or as a result shows it."""
    out: dict[str, Any] = {
        "code": str(issue.code),
        "section": issue.section,
        "description": issue.description,
        "disqualifying": issue.disqualifying,
    }
    if data:
        out["data"] = dict(issue.data)
    return out
