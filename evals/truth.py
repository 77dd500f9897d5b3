"""Ground truth for the eval's questions, computed from the raw readings with plain SQL and pandas.

Nothing here calls `tools/` or `store.queries`: every number is recomputed from the `readings`,
`series`, `meters`, `sites`, `event_labels` and `incidents` tables and the written KPI
definitions, so a bug in a tool cannot hide behind the same bug in its truth. Only numeric
parameters (the default tariff, emission factors, gas price, shift hours) are imported, as data.

Each function takes a Connection or an Engine and a `TruthSpec` and returns a number, a string
or a list of strings; `FUNCTIONS` maps the names a question set uses to them.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, text

from evals.dataset import TruthSpec, parse_period
from evals.readings import (
    SERIES_SQL,
    Readings,
    TruthError,
    clock_mask,
    clock_minutes,
    epoch_window,
    meter_info,
    one_meter,
    period_total,
    read,
    site_tz,
    summed,
)
from tools.base import AnalyticsConfig, Tariff

Truth = float | str | list[str]
TruthFn = Callable[[Connection | Engine, TruthSpec], Truth]

CONFIG = AnalyticsConfig()
TARIFF: Tariff = CONFIG.tariffs["electricity"]

# ------------------------------------------------------------------ amounts and levels


def energy(conn: Connection, spec: TruthSpec) -> float:
    """Sum of the metric (energy, kWh) over the period; several meters are added up."""
    return period_total(conn, spec)


def stat(conn: Connection, spec: TruthSpec) -> float:
    """`stat` (sum, mean, min or max) of one meter's raw readings of `metric` over the period."""
    values = read(conn, spec, one_meter(spec)).values
    how = spec.stat or "mean"
    return float(getattr(values, how)())


def average(conn: Connection, spec: TruthSpec) -> float:
    """Mean of one meter's readings of a level metric (e.g. outdoor temperature, degC)."""
    return float(read(conn, spec, one_meter(spec)).values.mean())


def _daily(conn: Connection, spec: TruthSpec) -> pd.Series:
    meters = spec.meters()
    parts = [read(conn, spec, m).values for m in meters]
    values = pd.concat(parts)
    local = pd.DatetimeIndex(values.index)
    daily: pd.Series = values.groupby(local.date).sum()
    return daily


def daily_average(conn: Connection, spec: TruthSpec) -> float:
    """Energy per local calendar day of the period (total / days in the period)."""
    start, end = parse_period(str(spec.period), site_tz(conn, spec.site))
    return period_total(conn, spec) / (end.date() - start.date()).days


def max_day(conn: Connection, spec: TruthSpec) -> float:
    """The largest local-day total of the metric in the period (kWh on the busiest day)."""
    return float(_daily(conn, spec).max())


def min_day(conn: Connection, spec: TruthSpec) -> float:
    """The smallest local-day total of the metric in the period (kWh on the quietest day)."""
    return float(_daily(conn, spec).min())


# ------------------------------------------------------------------ KPIs


def _epoch(local: pd.DatetimeIndex) -> np.ndarray:
    """Unix seconds of each time (whatever the index's resolution)."""
    return np.asarray(
        (local - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1), dtype=np.int64
    )


def _window_kw(conn: Connection, spec: TruthSpec) -> pd.Series:
    """Average kW per fixed demand window (`window_minutes`, default 15, aligned to the clock)
    of the named meters added up, indexed by the window's local start."""
    r = summed(conn, spec)
    minutes = spec.window_minutes or 15
    if minutes * 60 <= r.step_h * 3600:
        return r.kw
    epoch = _epoch(r.local)
    starts = epoch - epoch % (minutes * 60)
    sums = r.values.groupby(starts).sum()
    local = pd.to_datetime(sums.index, unit="s", utc=True).tz_convert(r.local.tz)
    return pd.Series(sums.to_numpy() / (minutes / 60), index=local)


def peak_demand(conn: Connection, spec: TruthSpec) -> float:
    """Highest 15-minute average power in kW: the largest interval kWh divided by 0.25 h."""
    return float(read(conn, spec, one_meter(spec)).kw.max())


def peak_time(conn: Connection, spec: TruthSpec) -> str:
    """Local clock time ('HH:MM') at which the peak 15-minute interval starts."""
    r = read(conn, spec, one_meter(spec))
    return r.local[int(np.argmax(r.kw.to_numpy()))].strftime("%H:%M")


def window_peak(conn: Connection, spec: TruthSpec) -> float:
    """Highest average kW over fixed clock-aligned demand windows of `window_minutes` (15, 30
    or 60; default 15) of one meter, or of several meters added up per interval (a group's
    coincident peak)."""
    return float(_window_kw(conn, spec).max())


def window_peak_time(conn: Connection, spec: TruthSpec) -> str:
    """Local clock time ('HH:MM') at which the `window_peak` window starts."""
    kw = _window_kw(conn, spec)
    return pd.Timestamp(kw.index[int(np.argmax(kw.to_numpy()))]).strftime("%H:%M")


def average_power(conn: Connection, spec: TruthSpec) -> float:
    """Average kW over the metered intervals of the period (the named meters added up)."""
    return float(summed(conn, spec).kw.mean())


def window_energy(conn: Connection, spec: TruthSpec) -> float:
    """kWh in the intervals whose local start lies in the daily window `hours` (and on `days`)
    over the period, the named meters added up."""
    r = summed(conn, spec)
    return float(r.values[clock_mask(r.local, spec.hours, spec.days)].sum())


def window_average_kw(conn: Connection, spec: TruthSpec) -> float:
    """Average kW over the intervals inside the daily window `hours` (and `days`): their kWh
    divided by their hours."""
    r = summed(conn, spec)
    inside = r.kw[clock_mask(r.local, spec.hours, spec.days)]
    if inside.empty:
        raise TruthError(f"no intervals in {spec.hours!r} within {spec.period!r}")
    return float(inside.mean())


def window_share(conn: Connection, spec: TruthSpec) -> float:
    """Share in % of the period's energy that falls in the daily window `hours` (and `days`)."""
    r = summed(conn, spec)
    return float(
        100.0 * r.values[clock_mask(r.local, spec.hours, spec.days)].sum() / r.values.sum()
    )


def profile_peak_hour(conn: Connection, spec: TruthSpec) -> str:
    """'HH:00': the local hour of day with the highest average kW over the period (on `days`
    only when given), the hourly load profile's top."""
    r = summed(conn, spec)
    keep = clock_mask(r.local, None, spec.days)
    kw = r.kw[keep]
    hours = np.asarray(pd.DatetimeIndex(kw.index).hour)
    profile = kw.groupby(hours).mean()
    return f"{int(profile.index[int(np.argmax(profile.to_numpy()))]):02d}:00"


def _runs(flags: np.ndarray, epoch: np.ndarray, step_s: int) -> list[tuple[int, int]]:
    """(first, last) positions of runs of True over consecutive intervals (a gap ends a run)."""
    runs: list[tuple[int, int]] = []
    for i in np.flatnonzero(flags):
        if runs and runs[-1][1] == i - 1 and epoch[i] - epoch[i - 1] == step_s:
            runs[-1] = (runs[-1][0], int(i))
        else:
            runs.append((int(i), int(i)))
    return runs


def _episodes(conn: Connection, spec: TruthSpec) -> tuple[list[tuple[int, int]], float]:
    if spec.threshold is None:
        raise TruthError(f"truth {spec.fn!r} needs a threshold")
    r = summed(conn, spec)
    kw = r.kw.to_numpy()
    flags = kw < spec.threshold if spec.condition == "<" else kw > spec.threshold
    step_s = round(r.step_h * 3600)
    runs = _runs(flags, _epoch(r.local), step_s)
    least = (spec.min_minutes or 0) * 60
    long_runs = [(a, b) for a, b in runs if (b - a + 1) * step_s > least]
    return long_runs, r.step_h


def episodes_above(conn: Connection, spec: TruthSpec) -> float:
    """How many times the meter(s)' 15-minute kW stayed above `threshold` (below, with
    condition '<') for longer than `min_minutes`: runs of consecutive intervals, a gap in the
    data ending a run."""
    return float(len(_episodes(conn, spec)[0]))


def hours_above(conn: Connection, spec: TruthSpec) -> float:
    """Hours spent in the episodes `episodes_above` counts (every interval above the threshold
    when `min_minutes` is not given)."""
    runs, step_h = _episodes(conn, spec)
    return float(sum(b - a + 1 for a, b in runs) * step_h)


def load_factor(conn: Connection, spec: TruthSpec) -> float:
    """Average kW over metered intervals divided by peak 15-minute kW (a ratio, 0..1)."""
    kw = read(conn, spec, one_meter(spec)).kw
    return float(kw.mean() / kw.max())


def sec(conn: Connection, spec: TruthSpec) -> float:
    """Specific energy consumption: the meter's kWh / units of its production meter
    (`production_meter`, default '<meter>-output'; several are added up) over the period."""
    meter = one_meter(spec)
    named = spec.production_meters() or [f"{meter}-output"]
    units = float(sum(read(conn, spec, m, metric="production").values.sum() for m in named))
    if units <= 0:
        raise TruthError(f"no production in {spec.period!r}; SEC is undefined")
    return float(read(conn, spec, meter).values.sum()) / units


def _tou_prices(local: pd.DatetimeIndex, tariff: Tariff) -> np.ndarray:
    """Price of each interval: the first tariff period whose weekdays and hours contain it."""
    weekday, hour = np.asarray(local.day_of_week), np.asarray(local.hour)
    prices = np.full(len(local), tariff.default_price)
    done = np.zeros(len(local), dtype=bool)
    for days, start_h, end_h, price in tariff.periods:
        inside = ~done & np.isin(weekday, days) & (hour >= start_h) & (hour < end_h)
        prices[inside] = price
        done |= inside
    return prices


def _demand_charge(r: Readings, tariff: Tariff) -> float:
    """Each local calendar month's peak kW x the charge, pro rata to the days with data."""
    months = np.asarray(r.local.year) * 100 + np.asarray(r.local.month)
    dates = np.asarray(r.local.date)
    kw = r.kw.to_numpy()
    total = 0.0
    for key in np.unique(months):
        inside = months == key
        month_days = calendar.monthrange(int(key) // 100, int(key) % 100)[1]
        share = len(set(dates[inside])) / month_days
        total += float(kw[inside].max()) * tariff.demand_charge_per_kw * share
    return total


def cost(conn: Connection, spec: TruthSpec) -> float:
    """Cost in EUR: electricity at the default time-of-use tariff plus its monthly demand charge
    (pro rata for partial months); gas at the flat gas price. Times `rate` when given (the
    user's conversion into another currency)."""
    meter = one_meter(spec)
    r = read(conn, spec, meter)
    rate = spec.rate or 1.0
    if meter_info(conn, spec, meter)["kind"] == "gas":
        return float(r.values.sum()) * CONFIG.gas_price_per_kwh * rate
    energy_cost = float(np.sum(r.values.to_numpy() * _tou_prices(r.local, TARIFF)))
    return (energy_cost + _demand_charge(r, TARIFF)) * rate


def tariff_cost(conn: Connection, spec: TruthSpec) -> float:
    """Cost under the user's tariff: each interval's kWh x `price`, or x `peak_price` inside
    `peak_hours` on `peak_days` (default Mon-Fri); plus, when `demand_charge` is given, that
    charge x each calendar month's peak 15-minute kW (pro rata as the product does); times
    `rate`. Several meters are costed one by one and added up."""
    if spec.price is None:
        raise TruthError("truth 'tariff_cost' needs a price")
    charge = spec.demand_charge or 0.0
    periods: tuple[tuple[tuple[int, ...], int, int, float], ...] = ()
    if spec.peak_price is not None:
        if spec.peak_hours is None:
            raise TruthError("a peak price needs its peak_hours")
        start, end = clock_minutes(spec.peak_hours)
        if start % 60 or end % 60 or end <= start:
            raise TruthError(f"peak hours {spec.peak_hours!r} must be whole hours within a day")
        days = tuple(spec.peak_days if spec.peak_days is not None else range(5))
        periods = ((days, start // 60, end // 60, spec.peak_price),)
    tariff = Tariff("user", "", periods, spec.price, charge, False)
    total = 0.0
    for meter in spec.meters():
        r = read(conn, spec, meter)
        total += float(np.sum(r.values.to_numpy() * _tou_prices(r.local, tariff)))
        total += _demand_charge(r, tariff) if charge else 0.0
    return total * (spec.rate or 1.0)


def carbon(conn: Connection, spec: TruthSpec) -> float:
    """kg CO2e: energy times the default emission factor of the meter's kind, or times the
    user's `factor` (then several meters are added up)."""
    if spec.factor is not None:
        return period_total(conn, spec) * spec.factor
    meter = one_meter(spec)
    kind = str(meter_info(conn, spec, meter)["kind"])
    if kind not in CONFIG.emission_factors:
        raise TruthError(f"no emission factor for {kind} meters")
    return float(read(conn, spec, meter).values.sum()) * CONFIG.emission_factors[kind]


def base_load(conn: Connection, spec: TruthSpec) -> float:
    """10th percentile of 15-minute kW over nights (00:00-05:00) and weekends (Sat, Sun)."""
    r = read(conn, spec, one_meter(spec))
    idle = (np.asarray(r.local.hour) < 5) | (np.asarray(r.local.day_of_week) >= 5)
    return float(np.percentile(r.kw.to_numpy()[idle], 10))


def intensity(conn: Connection, spec: TruthSpec) -> float:
    """Energy intensity: kWh over the period divided by the meter's floor area in m2."""
    meter = one_meter(spec)
    area = meter_info(conn, spec, meter)["floor_area_m2"]
    if not area:
        raise TruthError(f"meter {meter!r} has no floor area")
    return float(read(conn, spec, meter).values.sum()) / float(area)


# ------------------------------------------------------------------ comparisons and rankings


def pct_change(conn: Connection, spec: TruthSpec) -> float:
    """Change of the total from `reference` to `period` in % of the reference."""
    now, then = period_total(conn, spec), period_total(conn, spec, "reference")
    return 100.0 * (now - then) / then


def difference(conn: Connection, spec: TruthSpec) -> float:
    """Total over `period` minus the total over `reference` (kWh)."""
    return period_total(conn, spec) - period_total(conn, spec, "reference")


def _parent(conn: Connection, spec: TruthSpec, meter: str) -> str:
    row = conn.execute(
        text(
            """
            SELECT p.name FROM meters m JOIN meters p ON p.id = m.parent_id
            JOIN sites st ON st.id = m.site_id WHERE st.name = :site AND m.name = :meter
            """
        ),
        {"site": spec.site, "meter": meter},
    ).first()
    if row is None:
        raise TruthError(f"meter {meter!r} has no parent; name a base_meter")
    return str(row[0])


def share(conn: Connection, spec: TruthSpec) -> float:
    """Share in % of the named meters' total energy in the total of `base_meter` (default: the
    first meter's parent, e.g. the main incomer) over the same period."""
    base = spec.base_meters() or [_parent(conn, spec, spec.meters()[0])]
    whole = period_total(conn, spec.model_copy(update={"meter": base}))
    return 100.0 * period_total(conn, spec) / whole


def _two_totals(conn: Connection, spec: TruthSpec) -> tuple[float, float]:
    meters = spec.meters()
    if len(meters) != 2:
        raise TruthError(f"truth {spec.fn!r} needs two meters, got {meters}")
    return tuple(  # type: ignore[return-value]
        float(read(conn, spec, m).values.sum()) for m in meters
    )


def meters_difference(conn: Connection, spec: TruthSpec) -> float:
    """First meter's total minus the second's over the same period (kWh)."""
    first, second = _two_totals(conn, spec)
    return first - second


def meters_pct(conn: Connection, spec: TruthSpec) -> float:
    """How much more (or less) the first meter used than the second, in % of the second."""
    first, second = _two_totals(conn, spec)
    return 100.0 * (first - second) / second


def larger_meter(conn: Connection, spec: TruthSpec) -> str:
    """Name of the meter with the larger total over the period, of the two named."""
    first, second = _two_totals(conn, spec)
    return spec.meters()[0] if first >= second else spec.meters()[1]


def ranking(conn: Connection, spec: TruthSpec) -> pd.Series:
    """Totals per meter, largest first: meters with the metric of one carrier (`kind`, else
    electricity), totals (parents) left out."""
    rows = conn.execute(SERIES_SQL, {"site": spec.site, "metric": spec.metric}).mappings().all()
    carrier = spec.kind or "electricity"
    names = [r["name"] for r in rows if not r["is_total"] and r["kind"] == carrier]
    if not names:
        raise TruthError(f"no meters to rank for {carrier} {spec.metric}")
    totals = {n: float(read(conn, spec, n).values.sum()) for n in names}
    return pd.Series(totals).sort_values(ascending=False)


def top_meter(conn: Connection, spec: TruthSpec) -> str:
    """Name of the largest consumer in the ranking (sub-meters only)."""
    return str(ranking(conn, spec).index[0])


def top_meter_value(conn: Connection, spec: TruthSpec) -> float:
    """Total of the largest consumer in the ranking (kWh)."""
    return float(ranking(conn, spec).iloc[0])


_PARENTS = text(
    """
    SELECT m.name, p.name AS parent FROM meters m
    JOIN sites st ON st.id = m.site_id LEFT JOIN meters p ON p.id = m.parent_id
    WHERE st.name = :site
    """
)


def top_share(conn: Connection, spec: TruthSpec) -> float:
    """Share in % of the largest consumer in the ranked meters' sum plus what their parents
    measured beyond them (the unmetered remainder) where every sub-meter has as many readings
    as its parent: for the sub-meters of one complete tree, a share of the parent."""
    ranked = ranking(conn, spec)
    parents: dict[str, str | None] = {
        str(name): parent for name, parent in conn.execute(_PARENTS, {"site": spec.site})
    }
    values = {str(n): float(v) for n, v in ranked.items()}
    whole = sum(values.values())
    for parent in {p for n in values if (p := parents.get(n))}:
        top = read(conn, spec, parent).values
        below = [n for n in values if parents.get(n) == parent]
        if all(len(read(conn, spec, n).values) >= len(top) for n in below):
            whole += max(0.0, float(top.sum()) - sum(values[n] for n in below))
    return float(100.0 * ranked.iloc[0] / whole)


def top_n(conn: Connection, spec: TruthSpec) -> list[str]:
    """Names of the `n` largest consumers (default 3), largest first."""
    return [str(name) for name in ranking(conn, spec).index[: spec.n or 3]]


def bottom_meter(conn: Connection, spec: TruthSpec) -> str:
    """Name of the smallest consumer in the ranking."""
    return str(ranking(conn, spec).index[-1])


# ------------------------------------------------------------------ splits


def _shift_labels(local: pd.DatetimeIndex) -> np.ndarray:
    """Shift of each interval by its start (the site's shift plan); the rest is 'off-shift'."""
    weekday = np.asarray(local.day_of_week)
    hour = np.asarray(local.hour + local.minute / 60)
    labels = np.full(len(local), "off-shift", dtype=object)
    for name, days, start_h, end_h in CONFIG.shifts:
        inside = (hour >= start_h) & (hour < end_h) if start_h < end_h else (hour >= start_h)
        labels[(labels == "off-shift") & np.isin(weekday, days) & inside] = name
    return labels


def _part_labels(r: Readings, by: str) -> np.ndarray:
    if by == "shift":
        return _shift_labels(r.local)
    if by == "weekend":
        return np.where(np.asarray(r.local.day_of_week) >= 5, "weekend", "weekday")
    prices = _tou_prices(r.local, TARIFF)
    return np.where(prices != TARIFF.default_price, "peak", "off-peak")


def _part(conn: Connection, spec: TruthSpec, by: str, part: str) -> tuple[float, float]:
    r = read(conn, spec, one_meter(spec))
    mask = _part_labels(r, by) == part
    return float(r.values[mask].sum()), float(r.values.sum())


def weekend_share(conn: Connection, spec: TruthSpec) -> float:
    """Share in % of the period's energy used on Saturdays and Sundays."""
    part, whole = _part(conn, spec, "weekend", "weekend")
    return 100.0 * part / whole


def weekend_energy(conn: Connection, spec: TruthSpec) -> float:
    """Energy (kWh) used on Saturdays and Sundays in the period."""
    return _part(conn, spec, "weekend", "weekend")[0]


def shift_energy(conn: Connection, spec: TruthSpec) -> float:
    """Energy (kWh) in one shift (`shift`: early, late, saturday or off-shift)."""
    return _part(conn, spec, "shift", spec.shift or "early")[0]


def shift_share(conn: Connection, spec: TruthSpec) -> float:
    """Share in % of the period's energy falling in one shift."""
    part, whole = _part(conn, spec, "shift", spec.shift or "early")
    return 100.0 * part / whole


def tou_share(conn: Connection, spec: TruthSpec) -> float:
    """Share in % of the energy in the default tariff's `part` ('peak' or 'off-peak')."""
    part, whole = _part(conn, spec, "tou", spec.part or "peak")
    return 100.0 * part / whole


# ------------------------------------------------------------------ data and events


def missing_intervals(conn: Connection, spec: TruthSpec) -> float:
    """Expected 15-minute intervals in the period minus the readings present, summed over the
    named meters (every meter with the metric when none is named)."""
    start, end = epoch_window(conn, spec)
    names = spec.meters() or [
        str(r["name"])
        for r in conn.execute(SERIES_SQL, {"site": spec.site, "metric": spec.metric}).mappings()
    ]
    missing = 0
    for name in names:
        step = int(meter_info(conn, spec, name)["interval_s"] or 900)
        try:
            present = len(read(conn, spec, name).values)
        except TruthError:
            present = 0
        missing += (end - start) // step - present
    return float(missing)


def coverage_percent(conn: Connection, spec: TruthSpec) -> float:
    """Share in % of one meter's expected 15-minute intervals that have a reading."""
    start, end = epoch_window(conn, spec)
    expected = (end - start) / int(meter_info(conn, spec, one_meter(spec))["interval_s"] or 900)
    return 100.0 * (expected - missing_intervals(conn, spec)) / expected


def events(conn: Connection, spec: TruthSpec) -> list[str]:
    """Meters (or kinds, with `returns: kinds`) of the simulator's labelled events that overlap
    the period, optionally only on the named meters or of one `kind`; sorted, unique."""
    start, end = epoch_window(conn, spec)
    rows = conn.execute(
        text(
            """
            SELECT m.name, e.kind FROM event_labels e
            JOIN meters m ON m.id = e.meter_id JOIN sites st ON st.id = m.site_id
            WHERE st.name = :site AND e.source = 'simulator'
              AND e.start_ts < :end AND e.end_ts > :start
            """
        ),
        {"site": spec.site, "start": start, "end": end},
    ).all()
    wanted = set(spec.meters())
    found = [
        (str(name), str(kind))
        for name, kind in rows
        if (not wanted or name in wanted) and (spec.kind is None or kind == spec.kind)
    ]
    return sorted({name if spec.returns == "meters" else kind for name, kind in found})


def sql(conn: Connection, spec: TruthSpec) -> float | str:
    """The first cell of a hand-written SELECT (`query`): a number as float, else text."""
    if not spec.query:
        raise TruthError("truth 'sql' needs a query")
    value = conn.execute(text(spec.query)).scalar()
    if value is None:
        raise TruthError(f"query returned nothing: {spec.query}")
    return float(value) if isinstance(value, int | float) else str(value)


# ------------------------------------------------------------------ incidents

_INCIDENTS = text(
    """
    SELECT i.id, i.state, i.kind, i.start_ts, i.end_ts, i.extra_kwh, i.cost, i.co2_kg,
           m.name AS meter
    FROM incidents i
    JOIN sites st ON st.id = i.site_id
    LEFT JOIN meters m ON m.id = i.meter_id
    WHERE st.name = :site
    ORDER BY i.id
    """
)
_STATES = {
    "active": ("open", "acknowledged"),
    "all": ("open", "acknowledged", "resolved"),
    "open": ("open",),
    "acknowledged": ("acknowledged",),
    "resolved": ("resolved",),
}


def _incident_table(conn: Connection, spec: TruthSpec) -> pd.DataFrame:
    result = conn.execute(_INCIDENTS, {"site": spec.site})
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def incidents(conn: Connection, spec: TruthSpec) -> list[str]:
    """Ids ('#4') of the site's incidents in `state` (default 'active': open or acknowledged),
    on the named meters, of one `kind`, overlapping the period (an incident without an end
    runs on)."""
    table = _incident_table(conn, spec)
    keep = table["state"].isin(_STATES[spec.state or "active"])
    if spec.meters():
        keep &= table["meter"].isin(spec.meters())
    if spec.kind is not None:
        keep &= table["kind"] == spec.kind
    if spec.period is not None:
        start, end = epoch_window(conn, spec)
        last = table["end_ts"].fillna(np.inf)
        keep &= (table["start_ts"] < end) & (last >= start)
    return [f"#{int(i)}" for i in table.loc[keep, "id"]]


def _incident(conn: Connection, spec: TruthSpec, column: str) -> Any:
    if spec.n is None:
        raise TruthError(f"truth {spec.fn!r} needs the incident id as `n`")
    table = _incident_table(conn, spec)
    found = table.loc[table["id"] == spec.n, column]
    if found.empty or pd.isna(found.iloc[0]):
        raise TruthError(f"no {column} for incident #{spec.n} at {spec.site}")
    return found.iloc[0]


def incident_extra_kwh(conn: Connection, spec: TruthSpec) -> float:
    """Energy above expectation (kWh) of incident `n`, as stored."""
    return float(_incident(conn, spec, "extra_kwh"))


def incident_cost(conn: Connection, spec: TruthSpec) -> float:
    """Cost of incident `n`'s extra energy, in its currency, as stored."""
    return float(_incident(conn, spec, "cost"))


def incident_co2(conn: Connection, spec: TruthSpec) -> float:
    """kg CO2e of incident `n`'s extra energy, as stored."""
    return float(_incident(conn, spec, "co2_kg"))


def incident_state(conn: Connection, spec: TruthSpec) -> str:
    """State of incident `n`: open, acknowledged or resolved."""
    return str(_incident(conn, spec, "state"))


# ------------------------------------------------------------------ entry points

_RAW: dict[str, Callable[[Connection, TruthSpec], Truth]] = {
    fn.__name__: fn
    for fn in (
        energy,
        stat,
        average,
        daily_average,
        max_day,
        min_day,
        peak_demand,
        peak_time,
        window_peak,
        window_peak_time,
        average_power,
        window_energy,
        window_average_kw,
        window_share,
        profile_peak_hour,
        episodes_above,
        hours_above,
        tariff_cost,
        share,
        meters_difference,
        meters_pct,
        larger_meter,
        load_factor,
        sec,
        cost,
        carbon,
        base_load,
        intensity,
        pct_change,
        difference,
        top_meter,
        top_meter_value,
        top_share,
        top_n,
        bottom_meter,
        weekend_share,
        weekend_energy,
        shift_energy,
        shift_share,
        tou_share,
        missing_intervals,
        coverage_percent,
        events,
        sql,
        incidents,
        incident_extra_kwh,
        incident_cost,
        incident_co2,
        incident_state,
    )
}


def _accepting_engines(fn: Callable[[Connection, TruthSpec], Truth]) -> TruthFn:
    def run(db: Connection | Engine, spec: TruthSpec) -> Truth:
        if isinstance(db, Engine):
            with db.connect() as conn:
                return fn(conn, spec)
        return fn(db, spec)

    run.__doc__ = fn.__doc__
    run.__name__ = fn.__name__
    return run


FUNCTIONS: dict[str, TruthFn] = {name: _accepting_engines(fn) for name, fn in _RAW.items()}


def evaluate(db: Connection | Engine, spec: TruthSpec | dict[str, Any]) -> Truth:
    """Compute the truth a spec names (a TruthSpec or its dict form)."""
    parsed = spec if isinstance(spec, TruthSpec) else TruthSpec.model_validate(spec)
    if parsed.fn not in FUNCTIONS:
        raise TruthError(f"unknown truth function {parsed.fn!r}; known: {', '.join(FUNCTIONS)}")
    return FUNCTIONS[parsed.fn](db, parsed)
