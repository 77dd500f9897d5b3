"""Turning what a person typed (meters, metrics, periods) into store references or clear errors."""

from __future__ import annotations

from dataclasses import dataclass

from common.errors import UnknownSeries
from store import catalog
from store.catalog import MeterRef, SeriesRef
from tools.base import ToolContext
from tools.periods import Period, resolve_period


@dataclass(frozen=True)
class Target:
    meter: MeterRef
    series: SeriesRef


def period(ctx: ToolContext, text: str) -> Period:
    return resolve_period(text, ctx.now, ctx.site.timezone)


def meter(ctx: ToolContext, name: str) -> MeterRef:
    with ctx.engine.connect() as conn:
        return catalog.resolve_meter(conn, ctx.site.id, name)


def targets(ctx: ToolContext, names: list[str], metric: str) -> list[Target]:
    """Series of `metric` for the named meters; no names means every meter that has the metric."""
    metric = metric.strip().lower()
    with ctx.engine.connect() as conn:
        pairs = catalog.list_series(conn, ctx.site.id)
        if not names:
            found = [Target(m, s) for m, s in pairs if s.metric == metric]
            if not found:
                metrics = sorted({s.metric for _, s in pairs})
                raise UnknownSeries(
                    f"no meter at {ctx.site.name} has a {metric!r} series; "
                    f"metrics available: {', '.join(metrics) or 'none'}"
                )
            return found
        out = []
        for name in names:
            m = catalog.resolve_meter(conn, ctx.site.id, name)
            series = [s for mm, s in pairs if mm.id == m.id]
            match = [s for s in series if s.metric == metric]
            if not match:
                have = ", ".join(s.metric for s in series) or "no data"
                raise UnknownSeries(f"meter {m.name} has no {metric!r} series (it has: {have})")
            out.append(Target(m, match[0]))
    return out
