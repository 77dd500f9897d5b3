"""Ground truth of the KPIs: power and demand windows, thresholds, load factor, SEC, cost, carbon,
base load and intensity, from the raw readings and the site's catalogue (see evals.truth).

Every series keeps its own interval: the power of an hourly reading is its kWh over one hour, and
a demand window is never shorter than the meter's interval. Cost prices each interval by its
carrier's tariff valid that day and adds each month's demand charge (evals.site_profile).
"""

from __future__ import annotations

import calendar

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from evals.dataset import TruthSpec, parse_period
from evals.readings import (
    SERIES_SQL,
    Readings,
    TruthError,
    clock_mask,
    clock_minutes,
    meter_info,
    one_meter,
    period_total,
    read,
    site_tz,
    summed,
)
from evals.site_profile import (
    Tariff,
    Window,
    price_with,
    pricing,
    public_holidays,
    site_facts,
)

DEMAND_WINDOW_MINUTES = 15  # the product's default demand window (EMS_DEMAND_WINDOW_MINUTES)


def _epoch(local: pd.DatetimeIndex) -> np.ndarray:
    """Unix seconds of each time (whatever the index's resolution)."""
    return np.asarray(
        (local - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1), dtype=np.int64
    )


def _window_kw(conn: Connection, spec: TruthSpec) -> pd.Series:
    """Average kW per fixed demand window (`window_minutes`, default 15, aligned to the clock;
    never shorter than the meters' own interval) of the named meters added up, indexed by the
    window's local start."""
    return _windows(summed(conn, spec), spec.window_minutes or DEMAND_WINDOW_MINUTES)


def _windows(r: Readings, minutes: int) -> pd.Series:
    """Average kW per window of `minutes` on the local clock: an hourly window starts at a
    full local hour even where the zone is half an hour off UTC (Asia/Kolkata)."""
    if minutes * 60 <= r.step_h * 3600:
        return r.kw
    epoch = _epoch(r.local)
    wall = _epoch(pd.DatetimeIndex(r.local.tz_localize(None)).tz_localize("UTC"))
    starts = epoch - wall % (minutes * 60)
    sums = r.values.groupby(starts).sum()
    local = pd.to_datetime(sums.index, unit="s", utc=True).tz_convert(r.local.tz)
    return pd.Series(sums.to_numpy() / (minutes / 60), index=local)


def peak_demand(conn: Connection, spec: TruthSpec) -> float:
    """Highest average power in kW over the demand windows (15 minutes, or the meter's own
    interval when longer: an hourly meter's peak is its highest hourly average) of one meter."""
    one_meter(spec)
    return float(_window_kw(conn, spec).max())


def _when(conn: Connection, spec: TruthSpec, kw: pd.Series) -> str:
    """Local start of the highest window: 'HH:MM' within one day, 'YYYY-MM-DD HH:MM' over a
    longer period (the right time on another day is another peak)."""
    at = pd.Timestamp(kw.index[int(np.argmax(kw.to_numpy()))])
    start, end = parse_period(str(spec.period), site_tz(conn, spec.site))
    return at.strftime("%H:%M" if (end.date() - start.date()).days <= 1 else "%Y-%m-%d %H:%M")


def peak_time(conn: Connection, spec: TruthSpec) -> str:
    """Local start of the peak demand window: 'HH:MM' for a one-day period, else
    'YYYY-MM-DD HH:MM'."""
    one_meter(spec)
    return _when(conn, spec, _window_kw(conn, spec))


def window_peak(conn: Connection, spec: TruthSpec) -> float:
    """Highest average kW over fixed clock-aligned demand windows of `window_minutes` (15, 30
    or 60; default 15) of one meter, or of several meters added up per interval (a group's
    coincident peak)."""
    return float(_window_kw(conn, spec).max())


def window_peak_time(conn: Connection, spec: TruthSpec) -> str:
    """Local start of the `window_peak` window: 'HH:MM' for a one-day period, else
    'YYYY-MM-DD HH:MM'."""
    return _when(conn, spec, _window_kw(conn, spec))


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


def demand_windows(r: Readings, minutes: int = DEMAND_WINDOW_MINUTES) -> Readings:
    """The readings added up into clock-aligned windows of `minutes` (a meter read every 5
    minutes gives 15-minute kW); readings at least that long stay as they are."""
    if minutes * 60 <= r.step_h * 3600:
        return r
    kw = _windows(r, minutes)
    local = pd.DatetimeIndex(kw.index)
    return Readings(local, pd.Series(kw.to_numpy() * minutes / 60, index=local), minutes / 60)


def _episodes(conn: Connection, spec: TruthSpec) -> tuple[list[tuple[int, int]], float]:
    if spec.threshold is None:
        raise TruthError(f"truth {spec.fn!r} needs a threshold")
    r = demand_windows(summed(conn, spec))
    kw = r.kw.to_numpy()
    flags = kw < spec.threshold if spec.condition == "<" else kw > spec.threshold
    step_s = round(r.step_h * 3600)
    runs = _runs(flags, _epoch(r.local), step_s)
    least = (spec.min_minutes or 0) * 60
    if spec.strictly_longer:
        long_runs = [(a, b) for a, b in runs if (b - a + 1) * step_s > least]
    else:
        long_runs = [(a, b) for a, b in runs if (b - a + 1) * step_s >= least]
    return long_runs, r.step_h


def episodes_above(conn: Connection, spec: TruthSpec) -> float:
    """How many times the meter(s)' 15-minute kW stayed above `threshold` (below, with
    condition '<') for longer than `min_minutes` (at least that long, with `strictly_longer`
    false): runs of consecutive intervals, a gap in the data ending a run."""
    return float(len(_episodes(conn, spec)[0]))


# The watcher's alert rule as the back-test states it (hysteresis_percent, clear_windows): an
# alert closes once the value is 5 % of the threshold back inside it for two windows in a row.
ALERT_HYSTERESIS, ALERT_CLEAR_WINDOWS = 0.05, 2


def backtest_alerts(conn: Connection, spec: TruthSpec) -> float:
    """How many alerts a rule on the meter(s)' 15-minute kW (`threshold`, `condition`) would
    have raised over the period, as the watcher raises them: one opens once the condition has
    held for longer than `min_minutes` (or for that long, with `strictly_longer` false; whole
    windows in a row, a gap starting the count
    again), and closes only after two windows in a row 5 % of the threshold back inside it; a
    window between the threshold and that margin keeps it open. `episodes_above` counts the
    runs without that hysteresis."""
    if spec.threshold is None:
        raise TruthError(f"truth {spec.fn!r} needs a threshold")
    r = demand_windows(summed(conn, spec))
    step_s = round(r.step_h * 3600)
    least = (spec.min_minutes or 0) * 60
    # longer than 30 minutes: three 15-minute windows; 30 minutes (not strictly longer): two
    needed = least // step_s + 1 if spec.strictly_longer else max(1, -(-least // step_s))
    below = spec.condition == "<"
    margin = ALERT_HYSTERESIS * abs(spec.threshold)
    count, run, clears, open_, last = 0, 0, 0, False, None
    for ts, kw in zip(_epoch(r.local).tolist(), r.kw.to_numpy().tolist(), strict=True):
        if not open_:
            beyond = kw < spec.threshold if below else kw > spec.threshold
            follows = last is not None and ts - last == step_s
            run = (run + 1 if follows else 1) if beyond else 0
            if run >= needed:
                count, open_, run, clears = count + 1, True, 0, 0
        else:
            back = kw > spec.threshold + margin if below else kw < spec.threshold - margin
            clears = clears + 1 if back else 0
            if clears >= ALERT_CLEAR_WINDOWS:
                open_, clears = False, 0
        last = ts
    return float(count)


def hours_above(conn: Connection, spec: TruthSpec) -> float:
    """Hours spent in the episodes `episodes_above` counts (every interval above the threshold
    when `min_minutes` is not given)."""
    runs, step_h = _episodes(conn, spec)
    return float(sum(b - a + 1 for a, b in runs) * step_h)


def load_factor(conn: Connection, spec: TruthSpec) -> float:
    """Average kW over metered intervals divided by the peak demand (a ratio, 0..1)."""
    kw = read(conn, spec, one_meter(spec)).kw
    return float(kw.mean() / peak_demand(conn, spec))


_LINKS = text(
    """
    SELECT p.name FROM production_links l
    JOIN meters m ON m.id = l.meter_id JOIN meters p ON p.id = l.production_meter_id
    JOIN sites st ON st.id = m.site_id
    WHERE st.name = :site AND m.name = :meter ORDER BY p.name
    """
)


def production_meters(conn: Connection, spec: TruthSpec, meter: str) -> list[str]:
    """Whose production a meter's SEC divides by: the spec's `production_meter` when the user
    named one; else the meter's own production series; else its explicit production links;
    else, for a meter at the top of the tree, every production series of the site."""
    if spec.production_meters():
        return spec.production_meters()
    rows = conn.execute(SERIES_SQL, {"site": spec.site, "metric": "production"}).mappings()
    made = {str(r["name"]) for r in rows}
    if meter in made:
        return [meter]
    linked = [str(name) for (name,) in conn.execute(_LINKS, {"site": spec.site, "meter": meter})]
    if linked:
        return linked
    if meter_info(conn, spec, meter)["is_root"] and made:
        return sorted(made)
    raise TruthError(f"{meter!r} has no production series or link; its SEC is undefined")


def sec(conn: Connection, spec: TruthSpec) -> float:
    """Specific energy consumption: the meter's kWh / the units its production meters counted
    over the period (see `production_meters`; several are added up)."""
    meter = one_meter(spec)
    named = production_meters(conn, spec, meter)
    units = float(sum(read(conn, spec, m, metric="production").values.sum() for m in named))
    if units <= 0:
        raise TruthError(f"no production in {spec.period!r}; SEC is undefined")
    return float(read(conn, spec, meter).values.sum()) / units


def _demand_charge(r: Readings, tariffs: tuple[Tariff, ...], index: np.ndarray) -> float:
    """Each tariff's demand charge on each calendar month's highest demand among the windows
    it priced, pro rata to the days of the month it priced that have data."""
    kw = _windows(r, DEMAND_WINDOW_MINUTES)
    local = pd.DatetimeIndex(kw.index)
    which = pd.Series(index, index=r.local).reindex(local, method="ffill").to_numpy()
    months = np.asarray(local.year) * 100 + np.asarray(local.month)
    dates = np.asarray(local.date)
    total = 0.0
    for i, tariff in enumerate(tariffs):
        if not tariff.demand_charge:
            continue
        for key in np.unique(months[which == i]):
            inside = (months == key) & (which == i)
            month_days = calendar.monthrange(int(key) // 100, int(key) % 100)[1]
            share = len(set(dates[inside])) / month_days
            total += float(kw.to_numpy()[inside].max()) * tariff.demand_charge * share
    return total


def cost_parts(conn: Connection, spec: TruthSpec) -> tuple[float, float]:
    """Energy cost and demand charge of the named meters, each priced by the site's tariffs
    of its carrier (catalogue, else the documented defaults), before any `rate`."""
    facts = site_facts(conn, spec.site)
    energy_cost = demand = 0.0
    for meter in spec.meters():
        r = read(conn, spec, meter)
        carrier = str(meter_info(conn, spec, meter)["kind"])
        priced = pricing(facts, carrier, r.local)
        energy_cost += float(np.sum(r.values.to_numpy() * priced.price))
        demand += _demand_charge(r, priced.tariffs, priced.index)
    return energy_cost, demand


def cost(conn: Connection, spec: TruthSpec) -> float:
    """Cost in the site's currency: each interval's energy at the time-of-use price of its
    carrier's tariff valid that day, plus each month's demand charge (pro rata for partial
    months); several meters are added up. Times `rate` when given (the user's conversion into
    another currency)."""
    if not spec.meters():
        raise TruthError("truth 'cost' needs a meter")
    return sum(cost_parts(conn, spec)) * (spec.rate or 1.0)


def _user_tariff(spec: TruthSpec) -> Tariff:
    if spec.price is None:
        raise TruthError("truth 'tariff_cost' needs a price")
    periods: tuple[tuple[str, Window, float], ...] = ()
    if spec.peak_price is not None:
        if spec.peak_hours is None:
            raise TruthError("a peak price needs its peak_hours")
        start, end = clock_minutes(spec.peak_hours)
        days = tuple(spec.peak_days if spec.peak_days is not None else range(5))
        periods = (("peak", Window(days, start / 60, end / 60), spec.peak_price),)
    skip = frozenset({0}) if periods and spec.peak_except_holidays else frozenset()
    return Tariff("user", spec.price, spec.demand_charge or 0.0, periods, except_holidays=skip)


def tariff_cost_parts(conn: Connection, spec: TruthSpec) -> tuple[float, float]:
    """Energy cost and demand charge of the named meters under the user's tariff, before any
    `rate` (the demand charge is 0 without a `demand_charge`)."""
    tariff = _user_tariff(spec)
    facts = site_facts(conn, spec.site) if tariff.except_holidays else None
    energy_cost = demand = 0.0
    for meter in spec.meters():
        r = read(conn, spec, meter)
        off = None
        if facts is not None:
            years = sorted({int(y) for y in np.asarray(r.local.year)})
            off = public_holidays(facts.country, facts.region, years)
        priced = price_with((tariff,), r.local, "no tariff covers", off)
        energy_cost += float(np.sum(r.values.to_numpy() * priced.price))
        demand += _demand_charge(r, priced.tariffs, priced.index)
    return energy_cost, demand


def tariff_cost(conn: Connection, spec: TruthSpec) -> float:
    """Cost under the user's tariff: each interval's kWh x `price`, or x `peak_price` inside
    `peak_hours` on `peak_days` (default Mon-Fri); plus, when `demand_charge` is given, that
    charge x each calendar month's peak demand (pro rata as the product does); times `rate`.
    Several meters are costed one by one and added up."""
    return sum(tariff_cost_parts(conn, spec)) * (spec.rate or 1.0)


def carbon(conn: Connection, spec: TruthSpec) -> float:
    """kg CO2e: each meter's energy times the emission factor of its carrier (the site
    catalogue's, else the documented default), or times the user's `factor`; several meters
    are added up."""
    if spec.factor is not None:
        return period_total(conn, spec) * spec.factor
    if not spec.meters():
        raise TruthError("truth 'carbon' needs a meter")
    facts = site_facts(conn, spec.site)
    total = 0.0
    for meter in spec.meters():
        kind = str(meter_info(conn, spec, meter)["kind"])
        total += float(read(conn, spec, meter).values.sum()) * facts.factor(kind)
    return total


def base_load(conn: Connection, spec: TruthSpec) -> float:
    """10th percentile of the 15-minute kW (the meter's own interval when longer) over nights
    (00:00-05:00) and weekends (Sat, Sun); undefined for meters read less often than hourly."""
    r = demand_windows(read(conn, spec, one_meter(spec)))
    if r.step_h > 1:
        raise TruthError(f"base load needs readings of an hour or less; {spec.meter} has longer")
    idle = (np.asarray(r.local.hour) < 5) | (np.asarray(r.local.day_of_week) >= 5)
    return float(np.percentile(r.kw.to_numpy()[idle], 10))


_SITE_AREA = text("SELECT floor_area_m2 FROM sites WHERE name = :site")


def intensity(conn: Connection, spec: TruthSpec) -> float:
    """Energy intensity: kWh over the period divided by the meter's floor area in m2; a meter
    at the top of the tree without one of its own is divided by the site's floor area, and so
    are several meters together (a site's supplies: the site's electricity per m2)."""
    meters = spec.meters()
    if len(meters) > 1:
        area = conn.execute(_SITE_AREA, {"site": spec.site}).scalar()
        if not area:
            raise TruthError(f"site {spec.site!r} has no floor area")
        return period_total(conn, spec) / float(area)
    meter = one_meter(spec)
    info = meter_info(conn, spec, meter)
    area = info["floor_area_m2"]
    if not area and info["is_root"]:
        area = conn.execute(_SITE_AREA, {"site": spec.site}).scalar()
    if not area:
        raise TruthError(f"meter {meter!r} has no floor area")
    return float(read(conn, spec, meter).values.sum()) / float(area)
