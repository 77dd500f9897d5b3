"""Repeating clock windows ("every night 22:00-06:00", "6-10 am on weekdays") with their energy,
average power and share of the period, and episodes of demand beyond a threshold that last
("above 750 kW for more than 30 minutes")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import Field, field_validator

from common.errors import InsufficientData
from common.timeutil import day_starts
from store import queries
from tools import resolve
from tools.base import SOURCE_SETTINGS, ToolContext, ToolInput, ToolResult, day_names, tool
from tools.calendar import in_window, local_clock
from tools.kpi import local_offsets
from tools.periods import Period, iso_times

ALL_DAYS = [0, 1, 2, 3, 4, 5, 6]
CLOCK = re.compile(
    r"^\s*((?:[01]?\d|2[0-3]):[0-5]\d|24:00)\s*-\s*((?:[01]?\d|2[0-3]):[0-5]\d|24:00)\s*$"
)


@dataclass(frozen=True)
class Intervals:
    """Several meters' interval energy added up per interval, in time order."""

    start: npt.NDArray[np.int64]
    kwh: npt.NDArray[np.float64]
    step_s: int
    tz: str

    @property
    def kw(self) -> npt.NDArray[np.float64]:
        return self.kwh / (self.step_s / 3600)

    def local(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(pd.to_datetime(self.start, unit="s", utc=True)).tz_convert(self.tz)


def load(ctx: ToolContext, names: list[str], period: Period) -> tuple[list[str], Intervals]:
    """The meters' canonical names and their energy per interval, added up."""
    found = resolve.targets(ctx, names, "energy")
    unique = list({t.meter.id: t for t in found}.values())
    with ctx.engine.connect() as conn:
        frame = queries.rollups(
            conn,
            [t.series.id for t in unique],
            900,
            period.start_ts,
            period.end_ts,
            tz=ctx.site.timezone,
        )
    meters = [t.meter.name for t in unique]
    if frame.empty:
        raise InsufficientData(
            f"no energy readings for {' + '.join(meters)} in {period.describe()}"
        )
    summed = frame.groupby("bucket", as_index=False).agg(kwh=("sum", "sum"))
    step = max(max(t.series.interval_s or 900 for t in unique), 900)
    return meters, Intervals(
        summed["bucket"].to_numpy(np.int64),
        summed["kwh"].to_numpy(np.float64),
        step,
        ctx.site.timezone,
    )


def _hours(text: str) -> tuple[float, float]:
    match = CLOCK.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a clock window such as '22:00-06:00' or '06:00-10:00'")
    start, end = (int(p[:-3]) + int(p[-2:]) / 60 for p in match.groups())
    if start == end:
        raise ValueError(f"the window {text!r} starts and ends at the same time")
    return start, end


# ------------------------------------------------------------------ clock windows


class WindowInput(ToolInput):
    meters: list[str] = Field(
        min_length=1,
        description="Meter names or aliases; several are added up (both compressors together).",
    )
    period: str = Field(description="Period, e.g. 'last week', '2026-10' or 'last 10 days'.")
    hours: str = Field(
        description="The daily window in local time, 'HH:MM-HH:MM'; an end before the start runs "
        "past midnight ('22:00-06:00' is every night)."
    )
    days: list[int] = Field(
        default_factory=lambda: list(ALL_DAYS),
        description="Weekdays the window starts on, 0 = Monday ... 6 = Sunday (default every day; "
        "[0, 1, 2, 3, 4] for weekdays).",
    )

    @field_validator("hours")
    @classmethod
    def _clock(cls, text: str) -> str:
        _hours(text)
        return text.strip().replace(" ", "")

    @field_validator("days")
    @classmethod
    def _weekdays(cls, days: list[int]) -> list[int]:
        if not days or any(not 0 <= d <= 6 for d in days):
            raise ValueError(f"weekdays are 0 (Monday) to 6 (Sunday), not {days}")
        return sorted(set(days))


class Point(ToolResult):
    start: str
    value: float


class WindowPart(ToolResult):
    meter: str
    energy_kwh: float
    average_kw: float


class WindowResult(ToolResult):
    meter: str = Field(description="the meters as one name ('a + b')")
    meters: list[str]
    period: dict[str, str]
    hours: str
    days: list[int]
    window: str = Field(description="the window in words: '22:00-06:00 every day'")
    energy_kwh: float = Field(description="energy inside the window over the period")
    metered_hours: float = Field(description="hours of metered intervals inside the window")
    average_kw: float = Field(description="energy inside the window / its metered hours")
    period_energy_kwh: float = Field(description="energy of the whole period")
    share_percent: float = Field(description="the window's share of the period's energy")
    peak_kw: float = Field(
        description="the highest interval demand inside the window (interval energy / interval "
        "hours, of the meters added up)"
    )
    peak_at: str = Field(description="when that highest interval began, local time")
    peak_minutes: int = Field(description="the length of the intervals the peak is over")
    parts: list[WindowPart] = Field(description="each meter's own figures, when several")
    points: list[Point] = Field(description="energy inside the window per day, for a chart")
    source: str
    caveats: list[str] = Field(default_factory=list)


@tool(WindowInput)
def clock_window(ctx: ToolContext, args: WindowInput) -> WindowResult:
    """Energy, average power and peak interval demand of one or more meters (added up) inside a
    daily clock window that repeats over a period, and its share of the period's energy. Use it
    for "how much did we use overnight 22:00-06:00 last week and at what average kW", "what did
    press 1 draw between 6 and 10 am on weekdays in October", "the peak kW at night last week"."""
    period = resolve.period(ctx, args.period)
    meters, data = load(ctx, args.meters, period)
    start, end = _hours(args.hours)
    weekday, hour = local_clock(data.local())
    inside = in_window(weekday, hour, args.days, start, end)
    if not inside.any():
        raise InsufficientData(
            f"no metered intervals inside {args.hours} on {day_names(args.days)} in "
            f"{period.describe()}"
        )
    energy = float(data.kwh[inside].sum())
    hours = float(inside.sum()) * data.step_s / 3600
    whole = float(data.kwh.sum())
    kw = data.kw[inside]
    top = int(np.argmax(kw))
    return WindowResult(
        meter=" + ".join(meters),
        meters=meters,
        period=period.as_dict(),
        hours=args.hours,
        days=args.days,
        # whole days ("weekends"): the days alone, not 00:00-24:00 on them
        window=day_names(args.days)
        if (start, end) == (0, 24)
        else f"{args.hours} {day_names(args.days)}",
        energy_kwh=energy,
        metered_hours=hours,
        average_kw=energy / hours,
        period_energy_kwh=whole,
        share_percent=100 * energy / whole if whole else 0.0,
        peak_kw=float(kw[top]),
        peak_at=iso_times(data.start[inside][top : top + 1], ctx.site.timezone)[0],
        peak_minutes=data.step_s // 60,
        parts=_parts(ctx, meters, period, args, start, end) if len(meters) > 1 else [],
        points=_daily(data, inside),
        source="store rollups (15-minute energy)",
        caveats=_missing(data, period, ctx),
    )


def _parts(
    ctx: ToolContext, meters: list[str], period: Period, args: WindowInput, start: float, end: float
) -> list[WindowPart]:
    parts = []
    for name in meters:
        _, one = load(ctx, [name], period)
        weekday, hour = local_clock(one.local())
        inside = in_window(weekday, hour, args.days, start, end)
        kwh = float(one.kwh[inside].sum())
        hours = float(inside.sum()) * one.step_s / 3600
        parts.append(WindowPart(meter=name, energy_kwh=kwh, average_kw=kwh / hours if hours else 0))
    return parts


def _daily(data: Intervals, inside: npt.NDArray[np.bool_]) -> list[Point]:
    local = data.local()[inside]
    daily = pd.Series(data.kwh[inside], index=local).groupby(day_starts(local)).sum()
    return [Point(start=pd.Timestamp(t).isoformat(), value=float(v)) for t, v in daily.items()]  # type: ignore[arg-type]


def _missing(data: Intervals, period: Period, ctx: ToolContext) -> list[str]:
    end = min(period.end_ts, int(ctx.now.timestamp()))
    expected = max(0, (end - period.start_ts) // data.step_s)
    if expected and len(data.kwh) < 0.98 * expected:
        return [
            f"{expected - len(data.kwh)} of {expected} intervals have no data; the figures cover "
            "what was metered"
        ]
    return []


# ------------------------------------------------------------------ episodes


class EpisodeInput(ToolInput):
    meters: list[str] = Field(
        min_length=1, description="Meter names or aliases; several are added up."
    )
    period: str = Field(description="Period, e.g. 'October' as '2026-10', or 'last week'.")
    threshold_kw: float = Field(description="The demand threshold in kW.")
    condition: Literal[">", ">=", "<", "<="] = Field(
        default=">", description="'>' above the threshold (default), '<' below it."
    )
    min_minutes: float = Field(
        default=0,
        ge=0,
        description="How long the condition must hold in a row: 30 for 'for more than 30 "
        "minutes'. 0 counts every run.",
    )
    strictly_longer: bool = Field(
        default=True,
        description="True: longer than min_minutes ('more than 30 minutes'); False: at least.",
    )
    window_minutes: Literal[15, 30, 60] | None = Field(
        default=None,
        description="Demand window the kW are averaged over. Default: the installation's.",
    )


class Episode(ToolResult):
    start: str
    end: str
    minutes: float
    peak_kw: float = Field(description="the extreme kW in the episode (lowest, for '<')")


class EpisodeResult(ToolResult):
    meter: str
    meters: list[str]
    period: dict[str, str]
    threshold_kw: float
    condition: str
    min_minutes: float
    strictly_longer: bool
    window_minutes: int
    window_source: str
    count: int = Field(description="how many episodes lasted long enough")
    hours: float = Field(description="hours inside those episodes")
    episodes: list[Episode] = Field(description="the episodes, first first (at most 50)")
    source: str


@tool(EpisodeInput)
def count_episodes(ctx: ToolContext, args: EpisodeInput) -> EpisodeResult:
    """Count the episodes in which one or more meters' demand (added up) stayed above (or
    below) a threshold for longer than a given time, with each episode's start, end, length and
    peak. Use it for "how many times did the main meter stay above 750 kW for more than 30
    minutes in October", "how long were we below 50 kW last weekend". A gap in the data ends an
    episode."""
    period = resolve.period(ctx, args.period)
    meters, data = load(ctx, args.meters, period)
    window_s = 60 * args.window_minutes if args.window_minutes else ctx.config.demand_window_s
    start, kw, step = _windowed(data, max(window_s, data.step_s))
    holds = {
        ">": kw > args.threshold_kw,
        ">=": kw >= args.threshold_kw,
        "<": kw < args.threshold_kw,
        "<=": kw <= args.threshold_kw,
    }[args.condition]
    found = []
    for first, last in _runs(holds, start, step):
        minutes = (last - first + 1) * step / 60
        long_enough = (
            minutes > args.min_minutes if args.strictly_longer else minutes >= args.min_minutes
        )
        if long_enough:
            found.append((first, last, minutes))
    extreme = np.max if args.condition in (">", ">=") else np.min
    times = iso_times(start, ctx.site.timezone)
    ends = iso_times(start + step, ctx.site.timezone)
    episodes = [
        Episode(start=times[a], end=ends[b], minutes=m, peak_kw=float(extreme(kw[a : b + 1])))
        for a, b, m in found
    ]
    return EpisodeResult(
        meter=" + ".join(meters),
        meters=meters,
        period=period.as_dict(),
        threshold_kw=args.threshold_kw,
        condition=args.condition,
        min_minutes=args.min_minutes,
        strictly_longer=args.strictly_longer,
        window_minutes=window_s // 60,
        window_source="stated in the question" if args.window_minutes else SOURCE_SETTINGS,
        count=len(found),
        hours=sum(m for _, _, m in found) / 60,
        episodes=episodes[:50],
        source="store rollups (15-minute energy)",
    )


def _windowed(
    data: Intervals, window_s: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], int]:
    """Average kW per demand window on the site's clock (the intervals themselves when the
    window is one interval)."""
    if window_s <= data.step_s:
        return data.start, data.kw, data.step_s
    window = data.start - np.mod(data.start + local_offsets(data.start, data.tz), window_s)
    starts, inverse = np.unique(window, return_inverse=True)
    sums = np.bincount(inverse, weights=data.kwh)
    return starts, sums / (window_s / 3600), window_s


def _runs(
    flags: npt.NDArray[np.bool_], start: npt.NDArray[np.int64], step: int
) -> list[tuple[int, int]]:
    """(first, last) positions of runs of True over consecutive windows; a gap ends a run."""
    runs: list[tuple[int, int]] = []
    for i in np.flatnonzero(flags).tolist():
        if runs and runs[-1][1] == i - 1 and start[i] - start[i - 1] == step:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs
