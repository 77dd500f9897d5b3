"""Data coverage: how many of a meter's expected readings arrived, judged at its own interval
(a minute to a day, or bills), and where the gaps are."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import pandas as pd
from pydantic import Field

from common.intervals import DAY_S
from store import queries
from store.intervals import Span, expected_count
from tools import grain, resolve
from tools.base import SiteInput, ToolContext, ToolResult, tool
from tools.grain import local_grid, on_grid


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
    interval: str = Field(description="the meter's own interval over the period")
    expected_intervals: int
    present_intervals: int
    coverage_percent: float
    gaps: list[Gap]


class CoverageResult(ToolResult):
    metric: str
    period: dict[str, str]
    meters: list[MeterCoverage]
    source: str
    caveats: list[str] = Field(default_factory=list)


def find_gaps(present: np.ndarray, start: int, end: int, step: int) -> list[tuple[int, int]]:
    """Runs of missing buckets in [start, end) given the sorted bucket starts that are present."""
    expected = np.arange(start - start % step, end, step, dtype=np.int64)
    expected = expected[expected >= start]
    return grid_gaps(expected, present, step)


def grid_gaps(expected: np.ndarray, present: np.ndarray, step: int) -> list[tuple[int, int]]:
    """Runs of the expected reading times that are not present, as [start, end) ranges."""
    missing = ~np.isin(expected, present)
    if not missing.any():
        return []
    edges = np.diff(np.r_[0, missing.astype(np.int8), 0])
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [
        (int(expected[a]), _after(expected, int(b), step))
        for a, b in zip(starts, stops, strict=True)
    ]


def _after(expected: np.ndarray, b: int, step: int) -> int:
    """End of the run of missing times ending before index b: the next expected time."""
    return int(expected[b]) if b < len(expected) else int(expected[b - 1]) + step


# Rollups read to see each interval's readings: the finest stored grain that holds one of them.
def _rollup_grain(step: int) -> int:
    return 900 if step < 3600 else 3600 if step < DAY_S else DAY_S


@dataclass
class _Count:
    expected: int = 0
    present: int = 0
    gaps: list[tuple[int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class _Buckets:
    """Stored buckets (start and reading count) of one series at one grain, in time order."""

    bucket: np.ndarray
    n: np.ndarray

    def within(self, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = np.searchsorted(self.bucket, [start, end])
        return self.bucket[lo:hi], self.n[lo:hi]


def _stored_buckets(
    ctx: ToolContext, wanted: dict[int, list[tuple[int, Span]]]
) -> dict[tuple[int, int], _Buckets]:
    """Every series' buckets at each stored grain its spans need, from one read per grain of
    all the series (bucket and count only): one read of nine meters costs about what one
    meter's read did, since the driver's cost is in the rows' values, not the statements."""
    out: dict[tuple[int, int], _Buckets] = {}
    with ctx.engine.connect() as conn:
        for stored, spans in wanted.items():
            ids = sorted({sid for sid, _ in spans})
            start = min(span.start for _, span in spans)
            end = max(span.end for _, span in spans)
            frame = queries.rollups(
                conn, ids, stored, start, end, tz=ctx.site.timezone, columns=("n",)
            )
            sids = frame["series_id"].to_numpy(np.int64)
            buckets, counts = frame["bucket"].to_numpy(np.int64), frame["n"].to_numpy(np.int64)
            # Rows come ordered by series, then bucket: each series is one slice.
            edges = np.searchsorted(sids, [*ids, max(ids) + 1])
            for sid, lo, hi in zip(ids, edges[:-1], edges[1:], strict=True):
                out[(sid, stored)] = _Buckets(buckets[lo:hi], counts[lo:hi])
    return out


def _span_coverage(ctx: ToolContext, stored: _Buckets, span: Span, tally: _Count) -> None:
    """Count one stretch of a series at its own interval: readings expected and present, and
    the runs of its reading times with nothing (at least a quarter-hour of them)."""
    tz = ctx.site.timezone
    step = span.interval.demand_seconds
    buckets, counts = stored.within(span.start, span.end)
    expected = expected_count(span.start, span.end, span.interval, tz)
    tally.expected += expected
    tally.present += min(int(counts.sum()), expected)
    present = on_grid(buckets, step, tz)
    tally.gaps += grid_gaps(local_grid(span.start, span.end, step, tz), present, step)


def _bill_caveats(ctx: ToolContext, target: resolve.Target) -> list[str]:
    """How a billed meter is counted, and whether the days since its last bill are late."""
    name = target.meter.name
    out = [
        f"{name} is read from bills: a day counts as present when a bill covers it, and gaps "
        "are days no bill covers"
    ]
    due = grain.next_bill_due(ctx, target.series.id)
    if due is not None and due[0] > ctx.now.timestamp():
        _, last, longest = due
        out.append(
            f"{name}'s days after its last bill ({last.end_inclusive}) are not late: its next "
            f"bill is not due before {last.end + timedelta(longest)} (its longest bill ran "
            f"{longest} days)"
        )
    return out


@tool(CoverageInput)
def data_coverage(ctx: ToolContext, args: CoverageInput) -> CoverageResult:
    """Check data completeness per meter over a period: readings expected at each meter's
    own interval (1 minute to daily, or bills) vs received, coverage in percent and the list
    of gaps (meter outages, missing bills). Use it for "are we missing data", "did a meter
    drop out last week", before trusting a total."""
    period = resolve.period(ctx, args.period)
    found = resolve.targets(ctx, args.meters, args.metric)
    end = min(period.end_ts, int(ctx.now.timestamp()) // 900 * 900)
    tz = ctx.site.timezone
    seen = grain.grains(ctx, [t.series.id for t in found], period.start_ts, end)
    spans = {t.series.id: seen[t.series.id].spans() for t in found}
    wanted: dict[int, list[tuple[int, Span]]] = {}
    for sid, listed_spans in spans.items():
        for span in listed_spans:
            wanted.setdefault(_rollup_grain(span.interval.demand_seconds), []).append((sid, span))
    stored = _stored_buckets(ctx, wanted)
    out, caveats = [], []
    for t in found:
        g = seen[t.series.id]
        tally = _Count()
        for span in spans[t.series.id]:
            grain_s = _rollup_grain(span.interval.demand_seconds)
            _span_coverage(ctx, stored[(t.series.id, grain_s)], span, tally)
        listed = [
            Gap(start=_iso(a, tz), end=_iso(b, tz), hours=(b - a) / 3600)
            for a, b in tally.gaps
            if (b - a) >= args.min_gap_minutes * 60
        ]
        out.append(
            MeterCoverage(
                meter=t.meter.name,
                interval=g.describe(),
                expected_intervals=tally.expected,
                present_intervals=tally.present,
                coverage_percent=100 * tally.present / tally.expected if tally.expected else 100.0,
                gaps=listed,
            )
        )
        if g.billing:
            caveats += _bill_caveats(ctx, t)
    return CoverageResult(
        metric=found[0].series.metric,
        period=period.as_dict(),
        meters=out,
        source="store rollups, each meter judged at its own interval",
        caveats=caveats,
    )


def _iso(ts: int, tz: str) -> str:
    return pd.Timestamp(ts, unit="s", tz="UTC").tz_convert(tz).isoformat()
