"""The Overview tab's figures, every number from the registered tools (never SQL of the page's
own): per carrier the energy, cost and CO2 of a time range and of the month so far against the
same days a year before and the catalogue's budget, the main meters' demand now, the open
incidents with their cost, and the meter tree with each meter's share."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chat_ui.panels import run_tool
from chat_ui.ranges import Range
from common.errors import EMSError
from store import catalog, profile
from store.catalog import MeterRef
from tools.base import ToolContext

# Carriers whose meters count energy (kWh); production, weather and drivers are no carriers.
ENERGY_CARRIERS = ("electricity", "gas", "heat", "steam", "compressed_air", "water")
TOP_INCIDENTS = 5
# Tool calls of one overview run side by side: each waits on the store most of its time.
WORKERS = 4


@dataclass(frozen=True)
class Figures:
    """Energy, cost and CO2 of one carrier's top meters over one span (None: no data)."""

    energy: float | None
    cost: float | None
    co2: float | None


@dataclass(frozen=True)
class Budget:
    """A catalogue budget and how much of it the period so far has used."""

    label: str  # "November 2026" or "2026"
    kwh: float | None
    cost: float | None
    used_kwh: float | None
    used_cost: float | None
    elapsed: float  # share of the budget's period gone by (0..1)


@dataclass(frozen=True)
class Bar:
    start: str  # ISO local time
    value: float


@dataclass(frozen=True)
class TreeRow:
    """A line of the meter tree: a meter (or a parent's unmetered remainder) with its energy
    and its share of its parent's."""

    name: str
    depth: int
    kwh: float | None
    share: float | None
    remainder: bool = False


@dataclass
class CarrierView:
    carrier: str
    unit: str
    meters: list[str]  # the tree's top meters, whose sum is the carrier's total
    span: Figures
    span_before: Figures
    month: Figures
    month_before: Figures
    budget: Budget | None = None
    demand_kw: dict[str, float] = field(default_factory=dict)
    bars: list[Bar] = field(default_factory=list)
    tree: list[TreeRow] = field(default_factory=list)


@dataclass
class Overview:
    site: str
    timezone: str
    currency: str
    now: datetime
    span: Range
    month: Range
    carriers: list[CarrierView]
    incidents: list[dict[str, Any]]
    incidents_total: int
    incidents_cost: float | None
    problems: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ tool calls


def _totals(ctx: ToolContext, meters: list[str], period: str) -> dict[str, float]:
    try:
        result = run_tool(ctx, "query_metric", {"meters": meters, "period": period})
    except EMSError:
        return {}  # no readings in the span (before the meter existed, an outage)
    return {t["meter"]: t["value"] for t in result["totals"] if t["value"] is not None}


def _kpi(ctx: ToolContext, kpi: str, meter: str, period: str) -> float | None:
    try:
        return float(
            run_tool(ctx, "compute_kpi", {"kpi": kpi, "meter": meter, "period": period})["value"]
        )
    except EMSError:
        return None


def _sum(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def figures(ctx: ToolContext, meters: list[str], span: Range) -> Figures:
    """A carrier's energy (query_metric), cost and CO2 (compute_kpi) over a span."""
    if span.end <= span.start:
        return Figures(None, None, None)
    energy = _totals(ctx, meters, span.period)
    if not energy:
        return Figures(None, None, None)
    cost = _sum([_kpi(ctx, "cost", m, span.period) for m in energy])
    co2 = _sum([_kpi(ctx, "carbon", m, span.period) for m in energy])
    return Figures(sum(energy.values()), cost, co2)


def _demand_now(ctx: ToolContext, meters: list[str], now: datetime) -> dict[str, float]:
    """Each top meter's average demand over the last complete quarter-hour (kW)."""
    end = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    quarter = Range(end - timedelta(minutes=15), end, "last quarter-hour", "15min")
    found = {m: _kpi(ctx, "peak_demand", m, quarter.period) for m in meters}
    return {m: v for m, v in found.items() if v is not None}


def _bars(ctx: ToolContext, meters: list[str], span: Range) -> list[Bar]:
    try:
        result = run_tool(
            ctx, "query_metric", {"meters": meters, "period": span.period, "grain": span.grain}
        )
    except EMSError:
        return []
    by_start: dict[str, float] = {}
    for p in result["points"]:
        by_start[p["start"]] = by_start.get(p["start"], 0.0) + p["value"]
    return [
        Bar(t, v) for t, v in sorted(by_start.items(), key=lambda kv: datetime.fromisoformat(kv[0]))
    ]


# ------------------------------------------------------------------ the tree


def remainders(tree: list[MeterRef], kwh: dict[str, float]) -> dict[str, float]:
    """Each parent's energy less its metered children's: what no sub-meter sees.

    To be replaced by the sub-meter scope of tools/compare.py (the unmetered remainder per
    carrier) once it is on main; until then the parent-minus-children difference of the
    query tool's totals, as that tool will state it."""
    children: dict[int, list[MeterRef]] = {}
    for m in tree:
        if m.parent_id is not None:
            children.setdefault(m.parent_id, []).append(m)
    out = {}
    for m in tree:
        kids = [k for k in children.get(m.id, []) if k.name in kwh]
        if kids and m.name in kwh:
            out[m.name] = kwh[m.name] - sum(kwh[k.name] for k in kids)
    return out


def tree_rows(meters: list[MeterRef], kwh: dict[str, float]) -> list[TreeRow]:
    """The carrier's meters as an indented tree, each with its share of its parent, and each
    parent's unmetered remainder as a row of its own."""
    ids = {m.id for m in meters}
    children: dict[int | None, list[MeterRef]] = {}
    for m in meters:
        parent = m.parent_id if m.parent_id in ids else None
        children.setdefault(parent, []).append(m)
    rest = remainders(meters, kwh)
    rows: list[TreeRow] = []

    def walk(parent: MeterRef | None, depth: int) -> None:
        whole = kwh.get(parent.name) if parent else None
        kids = sorted(
            children.get(parent.id if parent else None, []), key=lambda m: -kwh.get(m.name, 0.0)
        )
        for m in kids:
            value = kwh.get(m.name)
            share = value / whole if value is not None and whole else None
            rows.append(TreeRow(m.name, depth, value, share))
            walk(m, depth + 1)
        if parent is not None and parent.name in rest:
            value = rest[parent.name]
            rows.append(
                TreeRow(
                    f"unmetered ({parent.name})",
                    depth,
                    value,
                    value / whole if whole else None,
                    True,
                )
            )

    walk(None, 0)
    return rows


# ------------------------------------------------------------------ budgets


def _budget(
    ctx: ToolContext,
    budgets: tuple[profile.BudgetDef, ...],
    carrier: str,
    view: CarrierView,
    now: datetime,
) -> Budget | None:
    month_key = f"{now:%Y-%m}"
    for b in budgets:
        if b.carrier == carrier and b.month == month_key:
            gone = _elapsed(_month_start(now), now, 1)
            return Budget(f"{now:%B %Y}", b.kwh, b.cost, view.month.energy, view.month.cost, gone)
    for b in budgets:
        if b.carrier == carrier and b.year == now.year and b.month is None:
            start = now.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
            ytd = figures(ctx, view.meters, Range(start, now, "year to date", "month"))
            return Budget(
                str(now.year), b.kwh, b.cost, ytd.energy, ytd.cost, _elapsed(start, now, 12)
            )
    return None


def _month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _elapsed(start: datetime, now: datetime, months: int) -> float:
    year, month = divmod(start.month - 1 + months, 12)
    end = start.replace(year=start.year + year, month=month + 1)
    return (now - start) / (end - start)


# ------------------------------------------------------------------ the whole tab


def overview(ctx: ToolContext, span: Range) -> Overview:
    """Everything the Overview tab shows for a time range, as of ctx.now."""
    now = ctx.now
    month = Range(_month_start(now), now, "month to date", "day")
    with ctx.engine.connect() as conn:
        meters = catalog.list_meters(conn, ctx.site.id)
        budgets = profile.get_profile(conn, ctx.site.id).budgets
    with ThreadPoolExecutor(WORKERS) as pool:
        run: Callable[..., Future[Any]] = pool.submit
        everything = run(_totals, ctx, [], span.period)
        incidents = run(_incidents, ctx)
        pending = []
        for carrier in ENERGY_CARRIERS:
            own = [m for m in meters if m.kind == carrier]
            ids = {m.id for m in own}
            tops = [m.name for m in own if m.parent_id not in ids]
            if not tops:
                continue
            spans = [span, span.year_before(), month, month.year_before()]
            jobs = [run(figures, ctx, tops, s) for s in spans]
            demand = run(_demand_now, ctx, tops, now) if carrier == "electricity" else None
            pending.append((carrier, own, tops, jobs, demand, run(_bars, ctx, tops, span)))
        carriers = []
        for carrier, own, tops, jobs, demand, bars in pending:
            got = [j.result() for j in jobs]
            if got[0].energy is None and got[2].energy is None:
                continue  # a carrier with no data at all in either span
            view = CarrierView(carrier, "kWh", tops, *got)
            view.budget = _budget(ctx, budgets, carrier, view, now)
            view.demand_kw = demand.result() if demand is not None else {}
            view.bars = bars.result()
            names = {m.name for m in own}
            view.tree = tree_rows(own, {m: v for m, v in everything.result().items() if m in names})
            carriers.append(view)
        active, total, problems = incidents.result()
    currency = next(iter(ctx.config.tariffs.values())).currency if ctx.config.tariffs else ""
    return Overview(
        site=ctx.site.name,
        timezone=ctx.site.timezone,
        currency=currency,
        now=now,
        span=span,
        month=month,
        carriers=carriers,
        incidents=active[:TOP_INCIDENTS],
        incidents_total=total,
        incidents_cost=_sum([i.get("cost") for i in active]),
        problems=problems,
    )


def _incidents(ctx: ToolContext) -> tuple[list[dict[str, Any]], int, list[str]]:
    """The open and acknowledged incidents (all of them, for their total cost)."""
    try:
        listed = run_tool(ctx, "list_incidents", {"state": "active", "limit": 200})
    except EMSError as exc:
        return [], 0, [f"incidents: {exc}"]
    return listed["incidents"], int(listed["total"]), []
