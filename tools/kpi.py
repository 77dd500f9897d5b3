"""Energy performance indicators (ISO 50006 EnPIs): energy, peak demand, load factor, SEC, cost,
carbon, base load and intensity, each with its method and the data behind it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import Field

from common.errors import EMSError, InsufficientData
from common.intervals import QUARTER_S, Interval
from store import catalog, memo, queries
from store.profile import get_profile
from store.rollups import bucket_starts
from store.schema import GRAIN_DAY
from tools import grain, kpi_grain, resolve
from tools.base import SOURCE_SETTINGS, SiteInput, Tariff, ToolContext, ToolResult, tool
from tools.economics import (
    SOURCE_STATED,
    Cost,
    NoTariff,
    PeakOf,
    StatedPeriod,
    energy_cost,
    hourly_prices,
    stated_tariff,
)
from tools.grain import Grain, on_grid
from tools.kpi_hours import read_hours
from tools.periods import Period, iso_times
from tools.scope import top_meters

KpiName = Literal[
    "energy",
    "peak_demand",
    "load_factor",
    "sec",
    "cost",
    "carbon",
    "base_load",
    "intensity",
    "average_power",
]
# KPIs of one meter's own data only: production and floor area belong to one meter.
SINGLE_METER = ("sec", "intensity")
# KPIs read off the interval profile of the meters' sum (a cost by time of use and demand
# charge too): a daily reading added to quarter-hours would make the sum's profile a daily
# one, with no demand or time of use left in it; refused for a daily meter among others.
PROFILE_KPIS = ("peak_demand", "load_factor", "base_load", "cost")
Array = npt.NDArray[np.float64]
QUARTER_H = 0.25
# What a KPI reads of the quarter-hours: their energy and reading counts (not min or max).
KPI_READ: tuple[queries.RollupColumn, ...] = ("n", "sum")


class InvalidKpiRequest(EMSError):
    """A KPI asked of meters or with values it cannot be computed for (the reason says why)."""


class NoFloorArea(InsufficientData):
    """An intensity asked of a meter (or a site) the catalogue gives no floor area."""


class KpiInput(SiteInput):
    kpi: KpiName = Field(
        description="'energy' (kWh), 'peak_demand' (highest 15-minute average kW and when), "
        "'load_factor' (average/peak), 'sec' (kWh per unit produced), 'cost' (time-of-use "
        "energy + demand charge), 'carbon' (kg CO2e), 'base_load' (night and weekend floor, "
        "kW), 'intensity' (kWh per m2)."
    )
    meter: str = Field(description="Meter name or alias, as the site's catalogue lists it.")
    period: str = Field(
        description="Time range: 'last week', 'yesterday', '2025-09', '2025-Q3', "
        "'2025-09-05..2025-09-11'."
    )
    production_meter: str | None = Field(
        default=None,
        description="For 'sec': a production meter to divide by. Default: the meter's own "
        "production series, else the production meters linked to it in the catalogue, else "
        "(for a meter at the top of the tree) all the site's production.",
    )
    with_meters: list[str] = Field(
        default_factory=list,
        description="Further meters added to `meter` interval by interval before the KPI is "
        "computed: 'the combined peak of both lines', 'what the two compressors cost together'. "
        "Not for 'sec'; for 'intensity' only all the site's supplies of one carrier together "
        "(the site's intensity).",
    )
    emission_factor: float | None = Field(
        default=None,
        ge=0,
        description="For 'carbon': kg CO2e per kWh the user states ('using 0.42 kg/kWh'). "
        "Default: the site's factor for the meter's carrier.",
    )
    price_per_kwh: float | None = Field(
        default=None,
        ge=0,
        description="For 'cost': a price per kWh the user states, flat, or for the hours outside "
        "`tou_periods`. Stated prices replace the site's tariff. Default: the site's tariff.",
    )
    tou_periods: list[StatedPeriod] = Field(
        default_factory=list,
        description="For 'cost': time-of-use periods the user states (days, start, end, price "
        "per kWh), with `price_per_kwh` for the other hours.",
    )
    demand_charge_per_kw: float | None = Field(
        default=None,
        ge=0,
        description="For 'cost': a charge per kW of each month's peak the user states (0 for "
        "none). Default: the tariff's own; none with stated prices.",
    )
    currency: str | None = Field(
        default=None, description="Currency of stated prices, e.g. 'EUR'. Default: the site's."
    )
    demand_window_minutes: Literal[15, 30, 60] | None = Field(
        default=None,
        description="For 'peak_demand', 'load_factor' and a demand charge: the demand window the "
        "user states. Default: the installation's (15 minutes unless configured).",
    )


class Parameter(ToolResult):
    """A value the KPI was computed with, and where it came from."""

    name: str
    value: str
    source: str = Field(description="'stated in the question', 'site catalogue', ... or default")


class Point(ToolResult):
    start: str
    value: float


class KpiResult(ToolResult):
    kpi: str
    meter: str
    meters: list[str] = Field(
        default_factory=list, description="every meter whose energy was added up"
    )
    period: dict[str, str]
    value: float
    unit: str
    method: str
    details: dict[str, float | str | None]
    points: list[Point] = Field(description="the series behind the value, for a chart")
    source: str
    caveats: list[str] = Field(default_factory=list)
    parameters: list[Parameter] = Field(
        default_factory=list, description="values used, stated or by default, with their source"
    )


@dataclass(frozen=True)
class Quarters:
    """Interval energy of one meter over a period: bucket starts (epoch s) and kWh.

    `step_h` is the meter's own interval in hours (0.25 for 15-minute data; per bucket where
    the interval changes): an hourly meter's reading is an hour's energy, so its power is
    kWh / 1 h, not kWh / 0.25 h. `n` counts the readings in each bucket; `grain` is the
    meter's interval over the period (of several meters added up, the coarsest one's, and
    the buckets are that interval's).
    """

    start: npt.NDArray[np.int64]
    kwh: Array
    tz: str
    step_h: float | Array = QUARTER_H
    n: npt.NDArray[np.int64] | None = None
    grain: Grain | None = None
    meter: str = ""  # the meter whose interval `grain` is (the coarsest of several added up)
    counts: list[tuple[str, Grain, int]] = field(default_factory=list)  # readings per meter
    # Peak demand-window kW of groups of buckets, where the buckets are coarser than the window
    peak_of: PeakOf | None = None

    @property
    def kw(self) -> Array:
        return self.kwh / self.step_h

    def local(self) -> pd.DatetimeIndex:
        return self._local

    # Worked out once per Quarters: a report asks five KPIs of the same meter's month.
    @cached_property
    def _local(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(pd.to_datetime(self.start, unit="s", utc=True)).tz_convert(self.tz)

    @cached_property
    def days(self) -> tuple[npt.NDArray[np.int64], list[str]]:
        """Each interval's local day as a number (0 for the first day) and each day's start."""
        midnights = bucket_starts(self.start, GRAIN_DAY, self.tz)  # as the day rollups
        starts, which = np.unique(midnights, return_inverse=True)
        return which.reshape(-1), iso_times(starts, self.tz)


# ------------------------------------------------------------------ pure computation


def local_offsets(start: npt.NDArray[np.int64], tz: str) -> npt.NDArray[np.int64]:
    """Each time's offset from UTC in the site's zone, in seconds (+19800 at +05:30)."""
    local = pd.DatetimeIndex(pd.to_datetime(start, unit="s", utc=True)).tz_convert(tz)
    naive = local.tz_localize(None).to_numpy().astype("datetime64[s]").astype(np.int64)
    return naive - start


def peak_demand(q: Quarters, window_s: int = 900) -> tuple[float, int]:
    """Highest average kW over fixed demand windows (15, 30 or 60 minutes of the local
    clock) and its start; readings coarser than the window are their own windows."""
    if window_s <= float(np.min(q.step_h)) * 3600:
        i = int(np.argmax(q.kw))
        return float(q.kw[i]), int(q.start[i])
    window = on_grid(q.start, window_s, q.tz)
    starts, inverse = np.unique(window, return_inverse=True)
    sums = np.bincount(inverse, weights=q.kwh)
    i = int(np.argmax(sums))
    return float(sums[i] / (window_s / 3600)), int(starts[i])


def base_load(q: Quarters) -> tuple[float, float]:
    """Night (00:00-05:00) and weekend floor: the 10th percentile of kW then, and its share."""
    local = q.local()
    idle = (np.asarray(local.hour) < 5) | (np.asarray(local.day_of_week) >= 5)
    if not idle.any():
        raise InsufficientData("no night or weekend intervals in the period to find a base load")
    floor = float(np.percentile(q.kw[idle], 10))
    average = float(q.kw.mean())
    return floor, floor / average if average else float("nan")


# ------------------------------------------------------------------ the tool


def _quarters(ctx: ToolContext, found: list[resolve.Target], period: Period) -> Quarters:
    """The meters' 15-minute rollups over the period (gas m3 in kWh), several meters' energy
    added up per reading of the coarsest of their intervals (an hourly meter's reading spans
    four quarter-hours of a 15-minute one), each meter's readings counted against its own.

    Within a `read_once` scope (a report's KPIs of one meter's month) it is made once."""
    key = _quarters_key(ctx, found, period)
    return memo.remembered(key, lambda: _read_quarters(ctx, found, period))


def _quarters_key(
    ctx: ToolContext, found: list[resolve.Target], period: Period
) -> tuple[object, ...]:
    meters = tuple((t.series.id, t.factor, t.meter.name) for t in found)
    return ("kpi quarters", ctx.engine, meters, period.start_ts, period.end_ts, ctx.site.timezone)


def _hours(
    ctx: ToolContext, args: KpiInput, found: list[resolve.Target], period: Period
) -> Quarters | None:
    """One meter's energy in whole local hours to price, where the hours give its
    quarter-hours' cost: its readings are 15-minute or finer, the tariffs' prices hold for
    whole hours, and the quarter-hours are not already read (a report's energy of the month)."""
    if args.kpi != "cost" or len(found) != 1 or memo.known(_quarters_key(ctx, found, period)):
        return None
    t = found[0]
    g = grain.grains(ctx, [t.series.id], period.start_ts, period.end_ts)[t.series.id]
    if g.billing or not g.within_day or g.coarsest.seconds > QUARTER_S:
        return None
    try:
        tariffs = _tariffs(ctx, args, t.meter.kind, t.meter.name)
    except EMSError:
        return None  # the quarter-hours' path says what is missing
    if not hourly_prices(tariffs):
        return None
    tz = ctx.site.timezone
    with ctx.engine.connect() as conn:
        read = read_hours(conn, t, period, tz, ctx.config.demand_window_s)
    if read is None:
        return None
    counts = [(t.meter.name, g, int(read.n.sum()))]
    return Quarters(
        read.start, read.kwh, tz, read.hours, read.n, g, t.meter.name, counts, read.peak_of
    )


def _read_quarters(ctx: ToolContext, found: list[resolve.Target], period: Period) -> Quarters:
    ids = [t.series.id for t in found]
    with ctx.engine.connect() as conn:
        frame = queries.rollups(
            conn, ids, 900, period.start_ts, period.end_ts, tz=ctx.site.timezone, columns=KPI_READ
        )
    frame = resolve.scaled_frame(frame, found)
    seen = grain.grains(ctx, ids, period.start_ts, period.end_ts)
    coarse = max(found, key=lambda t: seen[t.series.id].coarsest.seconds)
    g = seen[coarse.series.id]
    read = frame.groupby("series_id")["n"].sum()
    counts = [(t.meter.name, seen[t.series.id], int(read.get(t.series.id, 0))) for t in found]
    if len(found) > 1:
        frame = _summed(frame, g, ctx.site.timezone)
    start = frame["bucket"].to_numpy(np.int64)
    hours = grain.reading_hours(g, start) if len(found) == 1 else _bucket_hours(g, start)
    return Quarters(
        start,
        frame["sum"].to_numpy(np.float64),
        ctx.site.timezone,
        hours,
        frame["n"].to_numpy(np.int64),
        g,
        coarse.meter.name,
        counts,
    )


def _summed(frame: pd.DataFrame, g: Grain, tz: str) -> pd.DataFrame:
    """Several meters' energy added up per reading of the coarsest interval among them."""
    step = g.coarsest.demand_seconds
    ts = frame["bucket"].to_numpy(np.int64)
    keys = bucket_starts(ts, GRAIN_DAY, tz) if not g.within_day else on_grid(ts, step, tz)
    return (
        frame.assign(bucket=keys)
        .groupby("bucket", as_index=False)
        .agg(sum=("sum", "sum"), n=("n", "sum"))
    )


def _bucket_hours(g: Grain, start: npt.NDArray[np.int64]) -> Array:
    """Hours each bucket of a sum of meters spans: the coarsest interval, or its local day."""
    if not g.within_day:
        return grain.reading_hours(g, start)
    return np.full(len(start), g.coarsest.demand_seconds / 3600)


def _iso(ts: int, tz: str) -> str:
    return pd.Timestamp(ts, unit="s", tz="UTC").tz_convert(tz).isoformat()


def _daily_points(q: Quarters, values: Array | None = None) -> list[Point]:
    which, starts = q.days
    # pandas' grouped sum (compensated, in the intervals' order), as with the days as keys.
    daily = pd.Series(q.kwh if values is None else values).groupby(which).sum()
    return [
        Point(start=start, value=v)
        for start, v in zip(starts, daily.to_numpy(np.float64).tolist(), strict=True)
    ]


def _coverage_caveats(q: Quarters, period: Period, ctx: ToolContext) -> list[str]:
    """Readings missing from each meter, judged against its own interval."""
    end = min(period.end_ts, int(ctx.now.timestamp()))
    notes = []
    for meter, g, read in q.counts:
        expected = g.expected(end)
        present = min(read, expected)
        if expected and present < 0.98 * expected:
            what = "days" if not g.within_day else f"{g.describe()} readings"
            whose = f"{meter}: " if len(q.counts) > 1 else ""
            notes.append(
                f"{whose}{expected - present} of {expected} {what} have no data; totals cover "
                "what was metered"
            )
    return notes


@tool(KpiInput)
def compute_kpi(ctx: ToolContext, args: KpiInput) -> KpiResult:
    """Compute one energy KPI for a meter over a period: energy, peak demand (with its time),
    load factor, specific energy consumption per unit produced, time-of-use cost with demand
    charge, carbon emissions, base load or energy intensity per m2. Use it for "peak demand of
    a meter last week", "what did this meter cost in September", "SEC of a production line"."""
    period = resolve.period(ctx, args.period)
    found = _targets(ctx, args)
    target = found[0]
    names = [t.meter.name for t in found]
    if args.demand_window_minutes is not None:
        config = replace(ctx.config, demand_window_s=60 * args.demand_window_minutes)
        ctx = replace(ctx, config=config)
    q = _hours(ctx, args, found, period) or _quarters(ctx, found, period)
    if len(q.kwh) == 0:
        raise InsufficientData(f"no energy readings for {' + '.join(names)} in {period.describe()}")
    out = _HANDLERS[args.kpi](ctx, args, target, q, period)
    g = q.grain
    assert g is not None
    bill_notes = grain.bill_caveats(ctx, target.meter.name, target.series.id, g)
    return KpiResult(
        kpi=args.kpi,
        meter=" + ".join(names),
        meters=names,
        period=period.as_dict(),
        value=out.value,
        unit=out.unit,
        method=out.method,
        details=out.details,
        points=out.points,
        source=f"store rollups ({g.describe()} energy)",
        caveats=[
            *out.caveats,
            *bill_notes,
            *_coverage_caveats(q, period, ctx),
            *_converted(found, q),
        ],
        parameters=out.parameters,
    )


def _targets(ctx: ToolContext, args: KpiInput) -> list[resolve.Target]:
    """The meter and any meters added to it: one carrier, each meter once."""
    found = resolve.targets(ctx, [args.meter, *args.with_meters], "energy")
    unique = list({t.meter.id: t for t in found}.values())
    if len(unique) > 1 and args.kpi in SINGLE_METER and not _site_supplies(ctx, args, unique):
        raise InvalidKpiRequest(
            f"{args.kpi} is computed for one meter at a time (its own production or floor "
            "area); ask for each meter separately"
        )
    intervals = {t.series.interval for t in unique}
    coarse = any(i is not None and not i.within_day for i in intervals)
    if len(unique) > 1 and args.kpi in PROFILE_KPIS and len(intervals) > 1 and coarse:
        # below a day the sum is taken at the coarsest interval and said so (see _quarters)
        each = ", ".join(f"{t.meter.name}: {_readings(t.series.interval)}" for t in unique)
        raise InvalidKpiRequest(
            f"{args.kpi} of several meters needs their sum interval by interval, and they are "
            f"read at different intervals ({each}); ask for each meter separately"
        )
    carriers = sorted({t.meter.kind for t in unique})
    if len(carriers) > 1:
        raise InvalidKpiRequest(
            f"meters of different carriers ({', '.join(carriers)}) cannot be added up; ask "
            "for each carrier separately"
        )
    return unique


def _site_supplies(ctx: ToolContext, args: KpiInput, found: list[resolve.Target]) -> bool:
    """The intensity of every supply of one carrier at the top of the site's tree, added up:
    the site's own intensity, over the site's floor area."""
    if args.kpi != "intensity" or len({t.meter.kind for t in found}) > 1:
        return False
    with ctx.engine.connect() as conn:
        tops = top_meters(catalog.list_meters(conn, ctx.site.id), [found[0].meter.kind])
    return {m.id for m in tops} == {t.meter.id for t in found}


def _readings(interval: Interval | None) -> str:
    return "interval unknown" if interval is None else f"{interval.words()} readings"


def _window(ctx: ToolContext, args: KpiInput) -> Parameter:
    minutes = ctx.config.demand_window_s // 60
    source = SOURCE_STATED if args.demand_window_minutes is not None else SOURCE_SETTINGS
    return Parameter(name="demand window", value=f"{minutes} minutes", source=source)


def _converted(found: list[resolve.Target], q: Quarters) -> list[str]:
    """The conversion of a gas meter read in m3, as the answer states it (for one meter: of
    several, each meter's own total is not at hand here, so the factor is stated)."""
    if len(found) == 1:
        t = found[0]
        return [t.conversion(float(q.kwh.sum()) / t.factor)] if t.converted else []
    return [
        f"{t.meter.name}: {t.series.unit} x {t.factor:g} {t.unit}/{t.series.unit}"
        for t in found
        if t.converted
    ]


Details = dict[str, float | str | None]


@dataclass(frozen=True)
class Outcome:
    value: float
    unit: str
    method: str
    details: Details = field(default_factory=dict)
    points: list[Point] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    parameters: list[Parameter] = field(default_factory=list)


def _grain(q: Quarters) -> Grain:
    assert q.grain is not None  # _quarters always sets it
    return q.grain


def _energy(ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period) -> Outcome:
    method = f"sum of {_grain(q).describe()} energy"
    return Outcome(float(q.kwh.sum()), "kWh", method, {}, _daily_points(q))


def _peak(ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period) -> Outcome:
    g = _grain(q)
    if not g.within_day:
        return _billed_peak(ctx, t, q)
    window = kpi_grain.demand_window(g, q.meter, ctx.config.demand_window_s, "peak demand")
    kw, at = peak_demand(q, window.seconds)
    method = f"highest {window.words} average power (energy in the window / its hours)"
    points = [
        Point(start=s, value=float(v)) for s, v in zip(iso_times(q.start, q.tz), q.kw, strict=True)
    ]
    details: Details = {"at": _iso(at, q.tz), "window_minutes": window.seconds / 60}
    return Outcome(kw, "kW", method, details, points, list(window.caveats), [_window(ctx, args)])


def _billed_peak(ctx: ToolContext, t: resolve.Target, q: Quarters) -> Outcome:
    """Daily readings show no peak; bills may state the utility's own (of one meter: a bill's
    peak says nothing of a sum's)."""
    g = _grain(q)
    alone = len(q.counts) <= 1
    found = kpi_grain.billed_peak(ctx, t.series.id, g) if g.billing and alone else None
    if found is None:
        raise kpi_grain.no_peak(q.meter, g.coarsest, "peak demand")
    kw, bill = found
    method = "the highest peak demand the period's bills state (the utility's own reading)"
    return Outcome(kw, "kW", method, {"at": f"bill {bill.text()}"})


def _load_factor(
    ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period
) -> Outcome:
    g = _grain(q)
    average = float(q.kwh.sum()) / float(np.sum(np.broadcast_to(q.step_h, q.kwh.shape)))
    if not g.within_day:
        billed = _billed_peak(ctx, t, q)
        details: Details = {"average_kw": average, "peak_kw": billed.value}
        details["peak_at"] = billed.details["at"]
        method = "average kW / the highest peak demand the bills state"
        return Outcome(average / billed.value, "ratio", method, details)
    window = kpi_grain.demand_window(g, q.meter, ctx.config.demand_window_s, "load factor")
    peak, at = peak_demand(q, window.seconds)
    details = {"average_kw": average, "peak_kw": peak, "peak_at": _iso(at, q.tz)}
    method = f"average kW / peak {window.words} kW over metered intervals"
    return Outcome(
        average / peak, "ratio", method, details, [], list(window.caveats), [_window(ctx, args)]
    )


def _average_power(
    ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period
) -> Outcome:
    hours = float(np.sum(np.broadcast_to(q.step_h, q.kwh.shape)))
    energy = float(q.kwh.sum())
    details: Details = {"energy_kwh": energy, "metered_hours": hours}
    method = "energy / hours of metered intervals"
    return Outcome(energy / hours, "kW", method, details, _daily_points(q))


def _sec(ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period) -> Outcome:
    made = resolve.production(ctx, t.meter, args.production_meter)
    with ctx.engine.connect() as conn:
        totals = queries.period_totals(
            conn, list(made.series_ids), p.start_ts, p.end_ts, tz=ctx.site.timezone
        )
    units = sum(tot.sum for tot in totals.values())
    if units <= 0:
        raise InsufficientData(
            f"no production recorded on {made.describe()} in {p.describe()}; SEC is undefined"
        )
    energy = float(q.kwh.sum())
    details: Details = {
        "energy_kwh": energy,
        "production_units": units,
        "production_meters": made.describe(),
        "production_from": made.how,
    }
    method = f"energy / production of {made.describe()} over the period"
    return Outcome(energy / units, "kWh/unit", method, details, caveats=_listed(made.caveat))


def _listed(caveat: str | None) -> list[str]:
    return [caveat] if caveat else []


def _tariffs(ctx: ToolContext, args: KpiInput, carrier: str, name: str) -> tuple[Tariff, ...]:
    """The stated prices when the question gives them, else the site's tariffs (with a stated
    demand charge, if any, in place of theirs)."""
    site = ctx.config.tariffs_for(carrier)
    if args.price_per_kwh is not None or args.tou_periods:
        currency = args.currency or (site[0].currency if site else "")
        country, region = ctx.site.country, ctx.site.region
        try:
            return (
                stated_tariff(
                    args.price_per_kwh,
                    args.tou_periods,
                    args.demand_charge_per_kw,
                    currency,
                    (country, region) if country else None,
                ),
            )
        except ValueError as exc:
            raise InvalidKpiRequest(str(exc)) from None
    if not site:
        raise InsufficientData(
            f"no {carrier} tariff is known to price {name}; add one to the site "
            f"catalogue (tariffs: carrier {carrier})"
        )
    if args.demand_charge_per_kw is not None:
        site = tuple(replace(t, demand_charge_per_kw=args.demand_charge_per_kw) for t in site)
    return site


def _cost_parameters(args: KpiInput, cost: Cost, ctx: ToolContext) -> list[Parameter]:
    tariff = cost.used[0][0]
    stated = tariff.source == SOURCE_STATED
    names = "; ".join(dict.fromkeys(t.name for t, _, _ in cost.used))
    out = [Parameter(name="tariff", value=names, source=tariff.source or "")]
    # The demand charge is said apart when it does not come with the prices: a stated one
    # beside the site's or the question's energy prices, or none because the question stated
    # energy prices only (a stated tariff adds no demand charge of the site's).
    apart = stated or args.demand_charge_per_kw is not None
    prices = tariff.prices(demand=not apart)
    out.append(Parameter(name="prices", value=prices, source=tariff.source or ""))
    if args.demand_charge_per_kw is not None:
        charge = args.demand_charge_per_kw
        unit = f" {tariff.currency}" if tariff.currency else ""
        value = f"{charge:g}{unit}/kW of each month's peak" if charge else "none"
        out.append(Parameter(name="demand charge", value=value, source=SOURCE_STATED))
    elif stated:
        out.append(
            Parameter(
                name="demand charge",
                value="none",
                source="the question gave energy prices only; the site's is not added",
            )
        )
    if tariff.demand_charge_per_kw:
        out.append(_window(ctx, args))
    return out


def _billed(ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters) -> Outcome | None:
    """The cost the bills state, for a billed meter priced without stated prices."""
    g = _grain(q)
    stated = args.price_per_kwh is not None or bool(args.tou_periods)
    billed = kpi_grain.billed_cost(ctx, t.series.id, g) if g.billing and not stated else None
    if billed is None:
        return None
    tariffs = ctx.config.tariffs_for(t.meter.kind)
    currency = tariffs[0].currency if tariffs else ctx.config.tariffs["electricity"].currency
    method = "the cost stated on the bills, pro-rated by days"
    details: Details = {"currency": currency}
    return Outcome(billed[0], currency, method, details, _daily_points(q), billed[1])


def _cost(ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period) -> Outcome:
    carrier = t.meter.kind
    g = _grain(q)
    billed = _billed(ctx, args, t, q)
    if billed is not None:
        return billed
    tariffs = _tariffs(ctx, args, carrier, t.meter.name)
    interval_notes = kpi_grain.cost_caveats(g, q.meter, tariffs)
    try:
        kw = q.peak_of or _window_kw(q, ctx.config.demand_window_s)
        cost = energy_cost(q.local(), q.kwh, kw, tariffs)
    except NoTariff as exc:
        raise InsufficientData(
            f"{exc} to price {t.meter.name}'s {carrier}; add one to the site catalogue's tariffs"
        ) from None
    currency = tariffs[0].currency
    details: Details = {
        "energy_cost": cost.energy,
        "demand_cost": cost.demand,
        "tariff": _tariffs_used(cost),
        "currency": currency,
    }
    details.update({f"peak_kw_{m}": v for m, v in cost.peaks.items()})
    method = f"{g.describe()} energy x the time-of-use price of the tariff valid that day"
    if any(t.demand_charge_per_kw for t, _, _ in cost.used):
        method += ", plus demand charge x each month's peak kW (pro rata for partial months)"
    caveats = list(interval_notes)
    if len(cost.used) > 1:
        caveats.append(f"the period crosses a tariff change: {_tariffs_used(cost)}")
    demand = cost.demand if g.within_day else 0.0
    if not g.within_day:
        details["demand_cost"] = None
        details.update({f"peak_kw_{m}": None for m in cost.peaks})
    parameters = _cost_parameters(args, cost, ctx)
    return Outcome(
        cost.energy + demand, currency, method, details, _daily_points(q), caveats, parameters
    )


def _window_kw(q: Quarters, window_s: int) -> Array:
    """Each interval's kW as the average of its demand window (a demand charge is on the
    window's average, not on one quarter-hour); readings coarser than the window keep theirs."""
    if window_s <= float(np.min(q.step_h)) * 3600:
        return q.kw
    window = on_grid(q.start, window_s, q.tz)
    _, inverse = np.unique(window, return_inverse=True)
    sums = np.bincount(inverse, weights=q.kwh)
    return np.asarray(sums[inverse] / (window_s / 3600), dtype=np.float64)


def _tariffs_used(cost: Cost) -> str:
    if len(cost.used) == 1:
        return cost.used[0][0].label()
    return "; ".join(f"{t.label()} {first}..{last}" for t, first, last in cost.used)


def _carbon(ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period) -> Outcome:
    if args.emission_factor is not None:
        factor, label = args.emission_factor, SOURCE_STATED
    else:
        found = ctx.config.emission_factors.get(t.meter.kind)
        if found is None:
            raise InsufficientData(f"no emission factor configured for {t.meter.kind} meters")
        factor, label = found, ctx.config.factor_source(t.meter.kind)
    details: Details = {"factor_kg_per_kwh": factor, "factor_source": label}
    energy = float(q.kwh.sum())
    method = f"energy x {factor:g} kg CO2e/kWh ({label})"
    used = Parameter(name="emission factor", value=f"{factor:g} kg CO2e/kWh", source=label)
    points = _daily_points(q, q.kwh * factor)
    return Outcome(energy * factor, "kg CO2e", method, details, points, parameters=[used])


def _base(ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period) -> Outcome:
    g = _grain(q)
    if g.billing:
        raise kpi_grain.no_peak(q.meter, g.coarsest, "base load")
    if not g.within_day:
        floor = kpi_grain.daily_floor(q.kwh)
        average = float(q.kw.mean())
        details: Details = {"share_of_average": floor / average if average else None}
        details["annualised_kwh"] = floor * 8760
        method = "10th percentile of daily average power (daily readings show no night hours)"
        caveat = (
            f"{t.meter.name} has daily readings: the night and weekend floor cannot be seen; "
            "this is the 10th percentile of its days' average power, an upper bound of its "
            "base load"
        )
        return Outcome(floor, "kW", method, details, caveats=[caveat])
    floor, share = base_load(q)
    details = {"share_of_average": share, "annualised_kwh": floor * 8760}
    method = f"10th percentile of {g.describe()} kW at night (00-05) and weekends"
    return Outcome(floor, "kW", method, details)


def _intensity(
    ctx: ToolContext, args: KpiInput, t: resolve.Target, q: Quarters, p: Period
) -> Outcome:
    area, source = _site_area(ctx, t) if args.with_meters else _floor_area(ctx, t)
    energy = float(q.kwh.sum())
    details: Details = {"floor_area_m2": area, "energy_kwh": energy}
    used = [Parameter(name="floor area", value=f"{area:,.0f} m2", source=source)]
    return Outcome(
        energy / area, "kWh/m2", "energy / floor area over the period", details, parameters=used
    )


def _site_area(ctx: ToolContext, t: resolve.Target) -> tuple[float, str]:
    """The site's floor area, for all its supplies of a carrier together (see _site_supplies)."""
    with ctx.engine.connect() as conn:
        area = get_profile(conn, ctx.site.id).floor_area_m2
    if not area:
        raise NoFloorArea("the site has no floor area; the intensity of its supplies needs it")
    return area, f"the site's, for all its {t.meter.kind} supplies together; site catalogue"


def _floor_area(ctx: ToolContext, t: resolve.Target) -> tuple[float, str]:
    """The meter's own floor area; for the site's only supply of its carrier (the one meter at
    the top of that carrier's tree) without one, the site's floor area from its catalogue: the
    site's energy use intensity. A supply beside others feeds only part of the site."""
    if t.meter.floor_area_m2:
        return t.meter.floor_area_m2, f"{t.meter.name}'s own, site catalogue"
    if t.meter.parent_id is None:
        with ctx.engine.connect() as conn:
            site_area = get_profile(conn, ctx.site.id).floor_area_m2
            tops = top_meters(catalog.list_meters(conn, ctx.site.id), [t.meter.kind])
        others = [m.name for m in tops if m.id != t.meter.id]
        if site_area and others:
            raise InsufficientData(
                f"{t.meter.name} is one of the site's {t.meter.kind} supplies (with "
                f"{', '.join(others)}); the site's floor area covers them all, so it is not "
                f"{t.meter.name}'s intensity: give {t.meter.name} a floor area of its own, or "
                "rank the sites per m2 for the whole site's"
            )
        if site_area:
            return (
                site_area,
                f"the site's, as {t.meter.name} has none of its own; site catalogue",
            )
    raise NoFloorArea(
        f"meter {t.meter.name} has no floor area; intensity needs one (give it floor_area_m2 "
        "in the plant file, or the site one when the meter is the site's supply)"
    )


_HANDLERS = {
    "energy": _energy,
    "peak_demand": _peak,
    "load_factor": _load_factor,
    "sec": _sec,
    "cost": _cost,
    "carbon": _carbon,
    "base_load": _base,
    "intensity": _intensity,
    "average_power": _average_power,
}
