"""Turning what a person typed (meters, metrics, periods) into store references or clear errors."""

from __future__ import annotations

from dataclasses import dataclass

from common.errors import EMSError, UnknownSeries
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


class NoProductionLink(EMSError):
    """A meter's SEC was asked for, but nothing says which production is its output."""


@dataclass(frozen=True)
class Production:
    """The production a meter's energy is divided by, and how it was found."""

    series_ids: tuple[int, ...]
    meters: tuple[str, ...]
    how: str  # "named", "own", "linked" or "site"
    caveat: str | None = None

    def describe(self) -> str:
        return ", ".join(self.meters)


def production(
    ctx: ToolContext, meter: MeterRef, named: str | None = None, *, as_driver: bool = False
) -> Production:
    """A meter's production, by the catalogue: the production meter the question names, else
    the meter's own production series, else its explicit production links, else, for a meter
    at the top of the tree, all the site's production (with a caveat saying so). Never by a
    meter's name. Raises NoProductionLink saying how to link one, unless `as_driver`: as a
    relevant variable of a baseline, the site's production serves any meter (with a caveat)."""
    with ctx.engine.connect() as conn:
        pairs = catalog.list_series(conn, ctx.site.id)
        links = catalog.production_links(conn, ctx.site.id).get(meter.id, ())
        made = {m.id: (m.name, s.id) for m, s in pairs if s.metric == "production"}
        if named:
            other = catalog.resolve_meter(conn, ctx.site.id, named)
            if other.id not in made:
                raise UnknownSeries(f"meter {other.name} has no production series")
            return Production((made[other.id][1],), (other.name,), "named")
    if meter.id in made:
        return Production((made[meter.id][1],), (meter.name,), "own")
    linked = [made[i] for i in links if i in made]
    if linked:
        return Production(tuple(s for _, s in linked), tuple(n for n, _ in linked), "linked")
    names = sorted(n for n, _ in made.values())
    if not made:
        raise UnknownSeries(f"the site has no production meter to divide {meter.name}'s energy by")
    ids = tuple(s for _, s in sorted(made.values()))
    if meter.parent_id is None:
        caveat = (
            f"{meter.name} has no production link; as a meter at the top of the tree its energy "
            f"is divided by all the site's production ({', '.join(names)})"
        )
        return Production(ids, tuple(names), "site", caveat)
    if as_driver:
        caveat = (
            f"{meter.name} has no production link, so the production driver is all the site's "
            f"production ({', '.join(names)})"
        )
        return Production(ids, tuple(names), "site", caveat)
    raise NoProductionLink(
        f"{meter.name} has no production series and no production link, so its SEC is "
        f"undefined; link the meter that counts its output (in the plant file: production: "
        f"[METER], or `ems-agent catalog set-meter {meter.name} --production METER`) or name "
        f"one; production meters here: {', '.join(names)}"
    )
