"""The portfolio: sites ranked against each other by energy, cost or carbon per carrier, in
total or per m2 of floor area, each site over the period in its own time zone."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from common.errors import InsufficientData, NoSite, UnknownSeries
from store import catalog, queries
from store.profile import get_profile
from store.sites import find_site
from tools import resolve, scope
from tools.base import SOURCE_SITE, ToolContext, ToolInput, ToolResult, tool
from tools.economics import NoTariff, energy_cost
from tools.periods import Period

Measure = Literal["energy", "cost", "carbon"]
ALL = "all carriers"


class PortfolioInput(ToolInput):
    period: str = Field(
        description="Period, e.g. 'last month' or '2025'; each site reads it in its own zone."
    )
    measure: Measure = Field(
        default="energy",
        description="'energy' (kWh), 'cost' (time-of-use energy + demand charge, in each "
        "site's currency) or 'carbon' (kg CO2e).",
    )
    per_m2: bool = Field(
        default=True,
        description="Rank by the measure per m2 of floor area (sites without a floor area are "
        "listed, not ranked); false: by the sites' totals.",
    )
    carrier: str | None = Field(
        default=None,
        description="One carrier ('electricity', 'gas' ...); empty: each carrier ranked "
        "separately.",
    )
    mix_carriers: bool = Field(
        default=False,
        description="Also rank the carriers added up (energy in kWh, gas in m3 converted); only "
        "when the question asks for all energy together.",
    )
    sites: list[str] = Field(
        default_factory=list, description="Site names or aliases; empty for every site."
    )


class SiteFigure(ToolResult):
    site: str
    carrier: str
    period: dict[str, str]
    energy_kwh: float
    value: float = Field(description="the measure's total in `unit`")
    unit: str
    floor_area_m2: float | None
    floor_area_from: str | None = Field(description="where the floor area comes from")
    per_m2: float | None
    meters: list[str] = Field(description="the site's top meters of the carrier, added up")
    notes: list[str] = Field(default_factory=list)


class RankedSite(ToolResult):
    rank: int
    site: str
    value: float = Field(description="what the sites are ranked by, in the ranking's unit")


class SiteRanking(ToolResult):
    carrier: str
    unit: str
    ranking: list[RankedSite]
    not_ranked: list[str] = Field(description="sites of this carrier not ranked, with why")


class PortfolioResult(ToolResult):
    period: str
    measure: str
    per_m2: bool
    rankings: list[SiteRanking]
    sites: list[SiteFigure]
    conversions: list[str]
    source: str


@tool(PortfolioInput)
def rank_sites(ctx: ToolContext, args: PortfolioInput) -> PortfolioResult:
    """Rank the sites of the portfolio by energy, cost or carbon over a period, per carrier,
    per m2 of floor area (default) or in total. A site's use of a carrier is the sum of its top
    meters of that carrier (the supply meters); floor areas come from the site catalogue, else
    from those meters. Use it for "which site used the most per m2 last month", "compare our
    sites' gas use this year", "which plant emits the most CO2"."""
    with ctx.engine.connect() as conn:
        refs = (
            [find_site(conn, name) for name in args.sites]
            if args.sites
            else catalog.list_sites(conn)
        )
    if not refs:
        raise NoSite()
    figures: list[SiteFigure] = []
    conversions: list[str] = []
    for ref in dict.fromkeys(refs):
        site_figures, converted = _site_figures(ctx.for_site(ref), args)
        figures += site_figures
        conversions += converted
    if args.mix_carriers:
        figures += _mixed(figures, args)
    if not figures:
        raise InsufficientData(
            f"no site has {args.carrier or 'energy'} data in {args.period!r} to rank"
        )
    carriers = list(dict.fromkeys(f.carrier for f in figures))
    return PortfolioResult(
        period=args.period,
        measure=args.measure,
        per_m2=args.per_m2,
        rankings=[_rank(c, [f for f in figures if f.carrier == c], args) for c in carriers],
        sites=figures,
        conversions=conversions,
        source="store rollups of each site's top meters; economics from each site's catalogue",
    )


@dataclass
class _Carrier:
    """One carrier at one site while it is added up."""

    meters: list[str] = field(default_factory=list)
    kwh: float = 0.0
    value: float = 0.0
    notes: list[str] = field(default_factory=list)


def _site_figures(ctx: ToolContext, args: PortfolioInput) -> tuple[list[SiteFigure], list[str]]:
    """The site's figures per carrier, and the conversions they needed."""
    period = resolve.period(ctx, args.period)
    with ctx.engine.connect() as conn:
        meters = catalog.list_meters(conn, ctx.site.id)
        profile = get_profile(conn, ctx.site.id)
    try:
        found = [t for t in resolve.targets(ctx, [], resolve.ENERGY) if t.unit == "kWh"]
    except UnknownSeries:
        return [], []
    carriers = sorted({t.meter.kind for t in found})
    if args.carrier:
        carriers = [c for c in carriers if c == args.carrier.strip().lower()]
    by_meter = {t.meter.id: t for t in found}
    tops = {c: [m for m in scope.top_meters(meters, [c]) if m.id in by_meter] for c in carriers}
    used = [by_meter[m.id] for ms in tops.values() for m in ms]
    with ctx.engine.connect() as conn:
        stored = queries.period_totals(
            conn, [t.series.id for t in used], period.start_ts, period.end_ts, tz=ctx.site.timezone
        )
    totals = resolve.scaled_totals(stored, used)
    out = []
    for carrier, top in tops.items():
        acc = _Carrier()
        for m in top:
            target = by_meter[m.id]
            if totals[target.series.id].n == 0:
                acc.notes.append(f"{m.name} has no readings in the period")
                continue
            acc.meters.append(m.name)
            acc.kwh += totals[target.series.id].sum
            acc.value += _measure(ctx, args.measure, target, period, totals, acc)
        if acc.meters:
            out.append(_figure(ctx, carrier, period.as_dict(), acc, args, profile.floor_area_m2))
    return out, resolve.conversions([t for t in used if totals[t.series.id].n], stored)


def _measure(
    ctx: ToolContext,
    measure: Measure,
    target: resolve.Target,
    period: Period,
    totals: dict[int, queries.Totals],
    acc: _Carrier,
) -> float:
    """One top meter's contribution to the measure: kWh, money or kg CO2e."""
    kwh = totals[target.series.id].sum
    carrier = target.meter.kind
    if measure == "energy":
        return kwh
    if measure == "carbon":
        factor = ctx.config.emission_factors.get(carrier)
        if factor is None:
            raise InsufficientData(f"no emission factor for {carrier} at {ctx.site.name}")
        acc.notes.append(
            f"{target.meter.name}: x {factor:g} kg CO2e/kWh ({ctx.config.factor_source(carrier)})"
        )
        return kwh * factor
    return _cost(ctx, target, period, acc)


def _cost(ctx: ToolContext, target: resolve.Target, period: Period, acc: _Carrier) -> float:
    """Time-of-use energy cost plus demand charge of one meter, by the tariffs of its site."""
    carrier = target.meter.kind
    tariffs = ctx.config.tariffs_for(carrier)
    if not tariffs:
        raise InsufficientData(
            f"no {carrier} tariff at {ctx.site.name}; add one to its catalogue (tariffs)"
        )
    with ctx.engine.connect() as conn:
        frame = queries.rollups(
            conn, [target.series.id], 900, period.start_ts, period.end_ts, tz=ctx.site.timezone
        )
    frame = resolve.scaled_frame(frame, [target])
    local = pd.DatetimeIndex(pd.to_datetime(frame["bucket"], unit="s", utc=True)).tz_convert(
        ctx.site.timezone
    )
    kwh = frame["sum"].to_numpy(np.float64)
    step_h = max(target.series.interval_s or 900, 900) / 3600
    try:
        cost = energy_cost(local, kwh, kwh / step_h, tariffs)
    except NoTariff as exc:
        raise InsufficientData(f"{exc} at {ctx.site.name} to price {carrier}") from None
    acc.notes.append(f"{target.meter.name}: {', '.join(t.label() for t, _, _ in cost.used)}")
    return cost.energy + cost.demand


def _unit(ctx: ToolContext, measure: Measure, carrier: str) -> str:
    if measure == "energy":
        return "kWh"
    if measure == "carbon":
        return "kg CO2e"
    tariffs = ctx.config.tariffs_for(carrier)
    return tariffs[0].currency if tariffs else ""


def _figure(
    ctx: ToolContext,
    carrier: str,
    period: dict[str, str],
    acc: _Carrier,
    args: PortfolioInput,
    site_area: float | None,
) -> SiteFigure:
    area, source = _floor_area(ctx, carrier, acc.meters, site_area)
    return SiteFigure(
        site=ctx.site.name,
        carrier=carrier,
        period=period,
        energy_kwh=acc.kwh,
        value=acc.value,
        unit=_unit(ctx, args.measure, carrier),
        floor_area_m2=area,
        floor_area_from=source,
        per_m2=acc.value / area if area else None,
        meters=acc.meters,
        notes=acc.notes,
    )


def _floor_area(
    ctx: ToolContext, carrier: str, names: list[str], site_area: float | None
) -> tuple[float | None, str | None]:
    """The site's floor area from its catalogue, else the sum of its top meters' areas when
    every one of them has one (each supplies its own part of the site)."""
    if site_area:
        return site_area, SOURCE_SITE
    with ctx.engine.connect() as conn:
        areas = [catalog.resolve_meter(conn, ctx.site.id, n).floor_area_m2 for n in names]
    if names and all(areas):
        return float(sum(a or 0.0 for a in areas)), f"{carrier} top meters: {', '.join(names)}"
    return None, None


def _mixed(figures: list[SiteFigure], args: PortfolioInput) -> list[SiteFigure]:
    """Each site's carriers added up (kWh, money of one currency, kg CO2e)."""
    out = []
    for site in dict.fromkeys(f.site for f in figures):
        mine = [f for f in figures if f.site == site]
        units = {f.unit for f in mine}
        areas = {f.floor_area_m2 for f in mine if f.floor_area_from == SOURCE_SITE}
        area = next(iter(areas)) if areas else None
        value = sum(f.value for f in mine)
        notes = [f"{f.carrier}: {f.value:,.1f} {f.unit}" for f in mine]
        if len(units) > 1:
            notes.append(f"carriers priced in different units ({', '.join(sorted(units))})")
        out.append(
            SiteFigure(
                site=site,
                carrier=ALL,
                period=mine[0].period,
                energy_kwh=sum(f.energy_kwh for f in mine),
                value=value,
                unit=mine[0].unit if len(units) == 1 else "mixed",
                floor_area_m2=area,
                floor_area_from=SOURCE_SITE if area else None,
                per_m2=value / area if area else None,
                meters=[m for f in mine for m in f.meters],
                notes=notes,
            )
        )
    return out


def _rank(carrier: str, figures: list[SiteFigure], args: PortfolioInput) -> SiteRanking:
    """Sites of one carrier, largest first; those that cannot be compared are listed apart."""
    unit = figures[0].unit
    rankable: list[SiteFigure] = []
    not_ranked: list[str] = []
    for f in figures:
        if f.unit != unit:
            not_ranked.append(f"{f.site} (in {f.unit}, not {unit})")
        elif args.per_m2 and f.per_m2 is None:
            not_ranked.append(f"{f.site} (no floor area in its catalogue)")
        else:
            rankable.append(f)

    def key(f: SiteFigure) -> float:
        return (f.per_m2 or 0.0) if args.per_m2 else f.value

    rankable.sort(key=key, reverse=True)
    return SiteRanking(
        carrier=carrier,
        unit=f"{unit}/m2" if args.per_m2 else unit,
        ranking=[RankedSite(rank=i + 1, site=f.site, value=key(f)) for i, f in enumerate(rankable)],
        not_ranked=not_ranked,
    )
