"""Back-testing an alert rule: the episodes it would have raised over a past period, computed
exactly as the watcher evaluates rules, with nothing stored (no alert, no incident)."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from tools import resolve
from tools.alerts import (
    WINDOWS,
    RuleInput,
    RuleOut,
    episodes,
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
    episodes: list[BacktestEpisode]
    stored: bool = Field(description="always false: a back-test opens no alert or incident")
    source: str


@tool(BacktestInput)
def backtest_alert_rule(ctx: ToolContext, args: BacktestInput) -> BacktestResult:
    """Back-test an alert rule over a past period: the alerts it would have raised (start, end,
    worst value) had it existed then. Nothing is stored: no alert and no incident is opened. Use
    it for "how often would this rule have fired last month?" before creating a rule."""
    meter = validate_rule(ctx, args)
    period = resolve.period(ctx, args.period)
    target = f"metric:{args.metric}" if args.target == "metric" else args.target
    rule = RuleOut(
        id=0,
        name=f"{meter} {args.target} {args.condition} {args.threshold:g} {args.unit}",
        meter=meter,
        target=target,
        condition=args.condition,
        threshold=args.threshold,
        unit=args.unit.strip(),
        window=args.window,
        for_minutes=args.for_minutes,
        severity=args.severity,
        channel=args.channel,
        enabled=True,
    )
    end = min(period.end_ts, int(ctx.now.timestamp()))
    values = window_values(ctx, rule, period.start_ts, end)
    windows = zip(
        values.index.to_numpy(np.int64).tolist(), values.to_numpy(float).tolist(), strict=True
    )
    found = episodes(
        windows,
        args.condition,
        args.threshold,
        period.start_ts,
        needed=needed_windows(rule),
        step=WINDOWS[args.window],
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
        stored=False,
        source=f"store rollups ({args.window} windows), evaluated as the watcher does",
    )
