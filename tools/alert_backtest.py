"""Back-testing an alert rule: the episodes it would have raised over a past period, computed
exactly as the watcher evaluates rules, with nothing stored (no alert, no incident); beside
them, the plain runs beyond the threshold, which people often count instead."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from tools import resolve
from tools.alerts import (
    CLEAR_WINDOWS,
    HYSTERESIS,
    WINDOWS,
    RuleInput,
    draft_rule,
    episodes,
    holds,
    local_iso,
    needed_windows,
    validate_rule,
    window_values,
)
from tools.base import ToolContext, ToolResult, tool


class BacktestInput(RuleInput):
    period: str = Field(
        description="The past period to test the rule on, e.g. 'last month', '2025-09'."
    )


class BacktestEpisode(ToolResult):
    start: str
    end: str | None = Field(description="when the condition cleared; None if it still held")
    peak_value: float
    hours: float = Field(description="how long the condition held, in hours")


class BacktestResult(ToolResult):
    rule: str
    meter: str
    unit: str
    period: dict[str, str]
    windows: int = Field(description="windows of data the rule was tested on")
    episodes: list[BacktestEpisode] = Field(
        description="the alerts the rule would have raised: each opens once the condition has "
        "held for the rule's duration and closes only after the value is back inside the "
        "threshold by the hysteresis margin for the clearing windows in a row"
    )
    runs: int = Field(
        description="runs of consecutive windows beyond the threshold lasting at least the "
        "rule's duration, counted without hysteresis (any window back inside, or a gap in the "
        "data, ends a run): more than the alerts when the value hovers at the threshold"
    )
    duration_minutes: int = Field(description="how long the condition must hold (the rule's)")
    hysteresis_percent: float = Field(description="how far back inside the threshold clears")
    clear_windows: int = Field(description="windows in a row back inside that close an alert")
    stored: bool = Field(description="always false: a back-test opens no alert or incident")
    source: str


@tool(BacktestInput)
def backtest_alert_rule(ctx: ToolContext, args: BacktestInput) -> BacktestResult:
    """Back-test an alert rule over a past period: the alerts it would have raised (start, end,
    worst value) had it existed then. Nothing is stored: no alert and no incident is opened. Use
    it for "how often would this rule have fired last month?" before creating a rule."""
    meter = validate_rule(ctx, args)
    period = resolve.period(ctx, args.period)
    rule = draft_rule(args, meter)
    end = min(period.end_ts, int(ctx.now.timestamp()))
    values = window_values(ctx, rule, period.start_ts, end)
    windows = list(
        zip(values.index.to_numpy(np.int64).tolist(), values.to_numpy(float).tolist(), strict=True)
    )
    needed, step = needed_windows(rule), WINDOWS[args.window]
    found = episodes(
        windows, args.condition, args.threshold, period.start_ts, needed=needed, step=step
    )
    tz = ctx.site.timezone
    return BacktestResult(
        rule=rule.name,
        meter=meter,
        unit=rule.unit,
        period=period.as_dict(),
        windows=len(values),
        episodes=[
            BacktestEpisode(
                start=local_iso(e.start, tz),
                end=local_iso(e.end, tz) if e.end is not None else None,
                peak_value=e.peak,
                hours=((e.end if e.end is not None else end) - e.start) / 3600,
            )
            for e in found
        ],
        runs=runs_beyond(windows, args.condition, args.threshold, needed, step),
        duration_minutes=needed * step // 60,
        hysteresis_percent=100 * HYSTERESIS,
        clear_windows=CLEAR_WINDOWS,
        stored=False,
        source=f"store rollups ({args.window} windows), evaluated as the watcher does",
    )


def runs_beyond(
    windows: list[tuple[int, float]], condition: str, threshold: float, needed: int, step: int
) -> int:
    """Runs of at least `needed` consecutive windows (each `step` seconds after the last) in
    which the condition holds, without hysteresis: the count people make by eye on a chart."""
    count, length, last = 0, 0, None
    for start, value in windows:
        follows = last is not None and start == last + step
        length = (length + 1 if follows else 1) if holds(condition, value, threshold) else 0
        count += length == needed
        last = start
    return count
