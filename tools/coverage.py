"""Data coverage: how many of a meter's expected intervals arrived, and where the gaps are."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from store import queries
from tools import resolve
from tools.base import SiteInput, ToolContext, ToolResult, tool


class CoverageInput(SiteInput):
    meters: list[str] = Field(
        default_factory=list, description="Meter names or aliases; empty for every meter."
    )
    metric: str = Field(default="energy", description="Metric whose coverage to check.")
    period: str = Field(description="Period to check, e.g. 'last month' or 'last 7 days'.")
    min_gap_minutes: int = Field(
        default=15, ge=15, description="Only list gaps at least this long (minutes)."
    )


class Gap(ToolResult):
    start: str
    end: str
    hours: float


class MeterCoverage(ToolResult):
    meter: str
    expected_intervals: int
    present_intervals: int
    coverage_percent: float
    gaps: list[Gap]


class CoverageResult(ToolResult):
    metric: str
    period: dict[str, str]
    meters: list[MeterCoverage]
    interval_minutes: int
    source: str


def find_gaps(present: np.ndarray, start: int, end: int, step: int) -> list[tuple[int, int]]:
    """Runs of missing buckets in [start, end) given the sorted bucket starts that are present."""
    expected = np.arange(start - start % step, end, step, dtype=np.int64)
    expected = expected[expected >= start]
    missing = ~np.isin(expected, present)
    if not missing.any():
        return []
    edges = np.diff(np.r_[0, missing.astype(np.int8), 0])
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [
        (int(expected[a]), int(expected[b - 1]) + step) for a, b in zip(starts, stops, strict=True)
    ]


@tool(CoverageInput)
def data_coverage(ctx: ToolContext, args: CoverageInput) -> CoverageResult:
    """Check data completeness per meter over a period: expected vs received 15-minute
    intervals, coverage in percent and the list of gaps (meter outages). Use it for "are we
    missing data", "did a meter drop out last week", before trusting a total."""
    period = resolve.period(ctx, args.period)
    found = resolve.targets(ctx, args.meters, args.metric)
    end = min(period.end_ts, int(ctx.now.timestamp()) // 900 * 900)
    tz = ctx.site.timezone
    with ctx.engine.connect() as conn:
        frame = queries.rollups(
            conn, [t.series.id for t in found], 900, period.start_ts, end, tz=tz
        )
    out = []
    for t in found:
        present = frame.loc[frame["series_id"] == t.series.id, "bucket"].to_numpy(np.int64)
        # A meter reports at its own interval (15 minutes, an hour ...), never finer here.
        step = max(t.series.interval_s or 900, 900)
        gaps = find_gaps(present, period.start_ts, end, step)
        expected = max(0, (end - period.start_ts + step - 1) // step)
        listed = [
            Gap(start=_iso(a, tz), end=_iso(b, tz), hours=(b - a) / 3600)
            for a, b in gaps
            if (b - a) >= args.min_gap_minutes * 60
        ]
        out.append(
            MeterCoverage(
                meter=t.meter.name,
                expected_intervals=expected,
                present_intervals=len(present),
                coverage_percent=100 * len(present) / expected if expected else 100.0,
                gaps=listed,
            )
        )
    return CoverageResult(
        metric=found[0].series.metric,
        period=period.as_dict(),
        meters=out,
        interval_minutes=15,
        source="store rollups (15-minute)",
    )


def _iso(ts: int, tz: str) -> str:
    return pd.Timestamp(ts, unit="s", tz="UTC").tz_convert(tz).isoformat()
