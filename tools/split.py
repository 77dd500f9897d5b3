"""Splits of a meter's consumption: weekday/weekend, shifts, tariff periods, hour, weekday."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from common.errors import InsufficientData
from store import queries
from tools import grain, resolve
from tools.base import SiteInput, ToolContext, ToolResult, tool
from tools.calendar import closed_days, local_clock, shift_of
from tools.economics import NoTariff, period_rows, price_intervals

SplitBy = Literal["weekday_weekend", "shift", "tou", "hour_of_day", "day_of_week"]
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class SplitInput(SiteInput):
    meter: str = Field(description="Meter name or alias.")
    period: str = Field(description="Period, e.g. 'last month' or '2025-Q3'.")
    by: SplitBy = Field(
        description="'weekday_weekend', 'shift' (the site's shift plan; shift hours on the "
        "site's holidays and closures are 'holiday or shutdown', the rest off-shift), "
        "'tou' (tariff periods: peak and off-peak), 'hour_of_day' (average profile) or "
        "'day_of_week'."
    )
    metric: str = Field(default="energy", description="Metric to split, normally 'energy'.")
    days: list[int] = Field(
        default_factory=lambda: list(range(7)),
        description="Only these weekdays, 0 = Monday ... 6 = Sunday: [0, 1, 2, 3, 4] for a "
        "weekday profile. Default every day.",
    )

    @field_validator("days")
    @classmethod
    def _weekdays(cls, days: list[int]) -> list[int]:
        if not days or any(not 0 <= d <= 6 for d in days):
            raise ValueError(f"weekdays are 0 (Monday) to 6 (Sunday), not {days}")
        return sorted(set(days))


class Part(ToolResult):
    name: str
    value: float
    share_percent: float | None
    hours: float = Field(description="hours of data in this part")
    average_per_hour: float


class SplitResult(ToolResult):
    meter: str
    metric: str
    unit: str
    by: str
    period: dict[str, str]
    parts: list[Part]
    source: str
    days: list[int] = Field(default_factory=lambda: list(range(7)), description="weekdays used")
    caveats: list[str] = Field(default_factory=list)


CLOSED = "holiday or shutdown"


def _labels(local: pd.DatetimeIndex, by: str, ctx: ToolContext, carrier: str) -> np.ndarray:
    weekday, hour = local_clock(local)
    if by == "weekday_weekend":
        return np.where(weekday >= 5, "weekend", "weekday")
    if by == "day_of_week":
        return np.array([DAY_NAMES[d] for d in weekday])
    if by == "hour_of_day":
        return np.array([f"{int(h):02d}:00" for h in hour])
    if by == "shift":
        # Shift hours the site's holidays and closures took away are a part of their own.
        closed = closed_days(ctx.site, ctx.config, {d.year for d in local.date})
        labels = shift_of(local, ctx.config.shifts, closed)
        planned = shift_of(local, ctx.config.shifts, frozenset())
        labels[(labels == "") & (planned != "")] = CLOSED
        labels[labels == ""] = "off-shift"
        return labels
    return _tou_labels(local, ctx, carrier)


def _tou_labels(local: pd.DatetimeIndex, ctx: ToolContext, carrier: str) -> np.ndarray:
    """Each interval's time-of-use period in the tariff valid that day ("off-peak" outside
    every period)."""
    tariffs = ctx.config.tariffs_for(carrier) or ctx.config.tariffs_for("electricity")
    try:
        priced = price_intervals(local, tariffs)
    except NoTariff as exc:
        raise InsufficientData(f"{exc}; add one to the site catalogue's tariffs") from None
    labels = np.full(len(local), "off-peak", dtype=object)
    for k, tariff in enumerate(tariffs):
        rows = np.flatnonzero(priced.tariff == k)
        for i, hit in enumerate(period_rows(tariff, local[rows])):
            labels[rows[hit]] = f"{tariff.period_name(i)} ({tariff.periods[i][3]:g}/kWh)"
    return labels


@tool(SplitInput)
def split_consumption(ctx: ToolContext, args: SplitInput) -> SplitResult:
    """Split a meter's consumption over a period by weekday vs weekend, by shift, by
    time-of-use tariff period, by hour of day or by day of week, with each part's share and
    hourly average. Use it for "how much do we use at weekends", "energy per shift",
    "what share of this meter's energy falls in peak hours", "daily load profile"."""
    period = resolve.period(ctx, args.period)
    target = resolve.targets(ctx, [args.meter], args.metric)[0]
    g = grain.grains(ctx, [target.series.id], period.start_ts, period.end_ts)[target.series.id]
    by, caveats = _split_for(g, target.meter.name, args.by)
    with ctx.engine.connect() as conn:
        frame = queries.rollups(
            conn, [target.series.id], 900, period.start_ts, period.end_ts, tz=ctx.site.timezone
        )
    frame = resolve.scaled_frame(frame, [target])  # gas read in m3: in kWh
    if frame.empty:
        raise InsufficientData(
            f"no {args.metric} readings for {target.meter.name} in {period.describe()}"
        )
    local = pd.DatetimeIndex(pd.to_datetime(frame["bucket"], unit="s", utc=True)).tz_convert(
        ctx.site.timezone
    )
    if len(args.days) < 7:
        keep = np.isin(np.asarray(local.day_of_week), args.days)
        frame, local = frame[keep].reset_index(drop=True), local[keep]
        if frame.empty:
            raise InsufficientData(f"no readings on the weekdays asked in {period.describe()}")
    labels = _labels(local, by, ctx, target.meter.kind)
    additive = target.series.additive
    # Hours each bucket's reading covers: a quarter-hour, or the meter's own longer interval.
    span_h = np.maximum(g.history.seconds_at(frame["bucket"].to_numpy(np.int64)), 900) / 3600
    grouped = (
        pd.DataFrame({"label": labels, "sum": frame["sum"], "n": frame["n"], "h": span_h})
        .groupby("label", sort=False)
        .agg(total=("sum", "sum"), n=("n", "sum"), hours=("h", "sum"))
    )
    whole = float(grouped["total"].sum())
    parts = []
    for name, row in grouped.iterrows():
        hours = float(row["hours"])
        value = float(row["total"]) if additive else float(row["total"] / row["n"])
        parts.append(
            Part(
                name=str(name),
                value=value / hours if by == "hour_of_day" and additive else value,
                share_percent=100 * float(row["total"]) / whole if additive and whole else None,
                hours=hours,
                average_per_hour=float(row["total"]) / hours if additive else value,
            )
        )
    if by in ("hour_of_day", "day_of_week"):
        order = [f"{h:02d}:00" for h in range(24)] if by == "hour_of_day" else list(DAY_NAMES)
        parts.sort(key=lambda p: order.index(p.name))
    else:
        parts.sort(key=lambda p: -p.value)
    return SplitResult(
        meter=target.meter.name,
        metric=target.series.metric,
        # An hourly profile of energy is an average power.
        unit="kW" if by == "hour_of_day" and additive else target.unit,
        by=by,
        period=period.as_dict(),
        parts=parts,
        source=f"store rollups ({g.describe()})",
        caveats=caveats,
        days=args.days,
    )


def _split_for(g: grain.Grain, meter: str, by: SplitBy) -> tuple[SplitBy, list[str]]:
    """The split a meter's readings support: splits within the day need readings within
    the day (daily readings give a day-of-week split instead of an hourly profile); bills,
    spread evenly over their days, cannot be split at all."""
    if g.billing:
        raise InsufficientData(
            f"{meter} is read from bills, spread evenly over their days: its energy cannot be "
            "split by day or hour; ask for its energy or cost over whole bills or months"
        )
    if g.within_day or by in ("weekday_weekend", "day_of_week"):
        notes = []
        if by in ("shift", "tou") and g.coarsest.demand_seconds > 900:
            notes.append(
                f"{meter} has {g.describe()} readings: a reading is counted in the "
                f"{'shift' if by == 'shift' else 'tariff period'} it starts in"
            )
        return by, notes
    if by == "hour_of_day":
        return "day_of_week", [
            f"{meter} has {g.describe()} readings: no hourly profile can be made from them; "
            "the split by day of week is given instead"
        ]
    what = "shift" if by == "shift" else "tariff period"
    raise InsufficientData(
        f"{meter} has {g.describe()} readings: which {what} its energy fell in cannot be told; "
        "a split by weekday/weekend or day of week can be given"
    )
