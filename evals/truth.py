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
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, text

from evals.dataset import TruthSpec, parse_period
from tools.base import AnalyticsConfig, Tariff

Truth = float | str | list[str]
TruthFn = Callable[[Connection | Engine, TruthSpec], Truth]

CONFIG = AnalyticsConfig()
TARIFF: Tariff = CONFIG.tariffs["electricity"]

_READINGS = text(
    """
    SELECT r.ts, r.value, s.interval_s, st.timezone
    FROM readings r
    JOIN series s ON s.id = r.series_id
    JOIN meters m ON m.id = s.meter_id
    JOIN sites st ON st.id = m.site_id
    WHERE st.name = :site AND m.name = :meter AND s.metric = :metric
      AND r.ts >= :start AND r.ts < :end
    ORDER BY r.ts
    """
)
_SERIES = text(
    """
    SELECT m.name, m.kind, m.floor_area_m2, s.interval_s,
           EXISTS (SELECT 1 FROM meters c WHERE c.parent_id = m.id) AS is_total
    FROM series s
    JOIN meters m ON m.id = s.meter_id
    JOIN sites st ON st.id = m.site_id
    WHERE st.name = :site AND s.metric = :metric
    ORDER BY m.name
    """
)


class TruthError(ValueError):
    """A truth spec that cannot be computed: unknown meter, missing parameter, no data."""


@dataclass(frozen=True)
class Readings:
    """One meter's raw readings of one metric over a period: local times and values."""

    local: pd.DatetimeIndex
    values: pd.Series
    step_h: float

    @property
    def kw(self) -> pd.Series:
        """Average power of each interval (interval energy / interval hours)."""
        return self.values / self.step_h


# ------------------------------------------------------------------ reading raw data


def _site_tz(conn: Connection, site: str) -> str:
    row = conn.execute(text("SELECT timezone FROM sites WHERE name = :s"), {"s": site}).first()
    if row is None:
        raise TruthError(f"no site named {site!r}")
    return str(row[0])


def _window(conn: Connection, spec: TruthSpec, which: str = "period") -> tuple[int, int]:
    value = spec.period if which == "period" else spec.reference
    if value is None:
        raise TruthError(f"truth {spec.fn!r} needs a {which}")
    start, end = parse_period(value, _site_tz(conn, spec.site))
    return int(start.timestamp()), int(end.timestamp())


def _meter_info(
    conn: Connection, spec: TruthSpec, meter: str, metric: str | None = None
) -> dict[str, Any]:
    metric = metric or spec.metric
    rows = conn.execute(_SERIES, {"site": spec.site, "metric": metric}).mappings().all()
    for row in rows:
        if row["name"] == meter:
            return dict(row)
    raise TruthError(f"no meter {meter!r} with a {metric!r} series at {spec.site}")


def read(
    conn: Connection, spec: TruthSpec, meter: str, which: str = "period", metric: str | None = None
) -> Readings:
    """Raw readings of `meter` over the spec's period (or reference), in site time."""
    start, end = _window(conn, spec, which)
    params = {
        "site": spec.site,
        "meter": meter,
        "metric": metric or spec.metric,
        "start": start,
        "end": end,
    }
    frame = pd.DataFrame(conn.execute(_READINGS, params).all(), columns=["ts", "v", "step", "tz"])
    if frame.empty:
        _meter_info(conn, spec, meter, str(params["metric"]))
        raise TruthError(f"no {params['metric']} readings for {meter!r} in {spec.period!r}")
    tz = str(frame["tz"].iloc[0])
    local = pd.DatetimeIndex(pd.to_datetime(frame["ts"], unit="s", utc=True)).tz_convert(tz)
    step_s = float(frame["step"].iloc[0] or 900)
    return Readings(local, pd.Series(frame["v"].to_numpy(float), index=local), step_s / 3600)


def _one_meter(spec: TruthSpec) -> str:
    meters = spec.meters()
    if len(meters) != 1:
        raise TruthError(f"truth {spec.fn!r} needs exactly one meter, got {meters}")
    return meters[0]


def _total(conn: Connection, spec: TruthSpec, which: str = "period") -> float:
    meters = spec.meters()
    if not meters:
        raise TruthError(f"truth {spec.fn!r} needs a meter")
    return float(sum(read(conn, spec, m, which).values.sum() for m in meters))


# ------------------------------------------------------------------ amounts and levels


def energy(conn: Connection, spec: TruthSpec) -> float:
    """Sum of the metric (energy, kWh) over the period; several meters are added up."""
    return _total(conn, spec)


def stat(conn: Connection, spec: TruthSpec) -> float:
    """`stat` (sum, mean, min or max) of one meter's raw readings of `metric` over the period."""
    values = read(conn, spec, _one_meter(spec)).values
    how = spec.stat or "mean"
    return float(getattr(values, how)())


def average(conn: Connection, spec: TruthSpec) -> float:
    """Mean of one meter's readings of a level metric (e.g. outdoor temperature, degC)."""
    return float(read(conn, spec, _one_meter(spec)).values.mean())


def _daily(conn: Connection, spec: TruthSpec) -> pd.Series:
    meters = spec.meters()
    parts = [read(conn, spec, m).values for m in meters]
    values = pd.concat(parts)
    local = pd.DatetimeIndex(values.index)
    daily: pd.Series = values.groupby(local.date).sum()
    return daily


def daily_average(conn: Connection, spec: TruthSpec) -> float:
    """Energy per local calendar day of the period (total / days in the period)."""
    start, end = parse_period(str(spec.period), _site_tz(conn, spec.site))
    return _total(conn, spec) / (end.date() - start.date()).days


def max_day(conn: Connection, spec: TruthSpec) -> float:
    """The largest local-day total of the metric in the period (kWh on the busiest day)."""
    return float(_daily(conn, spec).max())


def min_day(conn: Connection, spec: TruthSpec) -> float:
    """The smallest local-day total of the metric in the period (kWh on the quietest day)."""
    return float(_daily(conn, spec).min())


# ------------------------------------------------------------------ KPIs


def peak_demand(conn: Connection, spec: TruthSpec) -> float:
    """Highest 15-minute average power in kW: the largest interval kWh divided by 0.25 h."""
    return float(read(conn, spec, _one_meter(spec)).kw.max())


def peak_time(conn: Connection, spec: TruthSpec) -> str:
    """Local clock time ('HH:MM') at which the peak 15-minute interval starts."""
    r = read(conn, spec, _one_meter(spec))
    return r.local[int(np.argmax(r.kw.to_numpy()))].strftime("%H:%M")


def load_factor(conn: Connection, spec: TruthSpec) -> float:
    """Average kW over metered intervals divided by peak 15-minute kW (a ratio, 0..1)."""
    kw = read(conn, spec, _one_meter(spec)).kw
    return float(kw.mean() / kw.max())


def sec(conn: Connection, spec: TruthSpec) -> float:
    """Specific energy consumption: the meter's kWh / units of its production meter
    (`production_meter`, default '<meter>-output') over the period."""
    meter = _one_meter(spec)
    made = read(conn, spec, spec.production_meter or f"{meter}-output", metric="production")
    units = float(made.values.sum())
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
    (pro rata for partial months); gas at the flat gas price."""
    meter = _one_meter(spec)
    r = read(conn, spec, meter)
    if _meter_info(conn, spec, meter)["kind"] == "gas":
        return float(r.values.sum()) * CONFIG.gas_price_per_kwh
    energy_cost = float(np.sum(r.values.to_numpy() * _tou_prices(r.local, TARIFF)))
    return energy_cost + _demand_charge(r, TARIFF)


def carbon(conn: Connection, spec: TruthSpec) -> float:
    """kg CO2e: energy times the default emission factor of the meter's kind."""
    meter = _one_meter(spec)
    kind = str(_meter_info(conn, spec, meter)["kind"])
    if kind not in CONFIG.emission_factors:
        raise TruthError(f"no emission factor for {kind} meters")
    return float(read(conn, spec, meter).values.sum()) * CONFIG.emission_factors[kind]


def base_load(conn: Connection, spec: TruthSpec) -> float:
    """10th percentile of 15-minute kW over nights (00:00-05:00) and weekends (Sat, Sun)."""
    r = read(conn, spec, _one_meter(spec))
    idle = (np.asarray(r.local.hour) < 5) | (np.asarray(r.local.day_of_week) >= 5)
    return float(np.percentile(r.kw.to_numpy()[idle], 10))


def intensity(conn: Connection, spec: TruthSpec) -> float:
    """Energy intensity: kWh over the period divided by the meter's floor area in m2."""
    meter = _one_meter(spec)
    area = _meter_info(conn, spec, meter)["floor_area_m2"]
    if not area:
        raise TruthError(f"meter {meter!r} has no floor area")
    return float(read(conn, spec, meter).values.sum()) / float(area)


# ------------------------------------------------------------------ comparisons and rankings


def pct_change(conn: Connection, spec: TruthSpec) -> float:
    """Change of the total from `reference` to `period` in % of the reference."""
    now, then = _total(conn, spec), _total(conn, spec, "reference")
    return 100.0 * (now - then) / then


def difference(conn: Connection, spec: TruthSpec) -> float:
    """Total over `period` minus the total over `reference` (kWh)."""
    return _total(conn, spec) - _total(conn, spec, "reference")


def ranking(conn: Connection, spec: TruthSpec) -> pd.Series:
    """Totals per meter, largest first: meters with the metric, totals (parents) left out,
    only `kind` when given."""
    rows = conn.execute(_SERIES, {"site": spec.site, "metric": spec.metric}).mappings().all()
    names = [
        r["name"]
        for r in rows
        if not r["is_total"] and (spec.kind is None or r["kind"] == spec.kind)
    ]
    if not names:
        raise TruthError(f"no meters to rank for {spec.kind or 'any'} {spec.metric}")
    totals = {n: float(read(conn, spec, n).values.sum()) for n in names}
    return pd.Series(totals).sort_values(ascending=False)


def top_meter(conn: Connection, spec: TruthSpec) -> str:
    """Name of the largest consumer in the ranking (sub-meters only)."""
    return str(ranking(conn, spec).index[0])


def top_meter_value(conn: Connection, spec: TruthSpec) -> float:
    """Total of the largest consumer in the ranking (kWh)."""
    return float(ranking(conn, spec).iloc[0])


def top_share(conn: Connection, spec: TruthSpec) -> float:
    """Share in % of the largest consumer in the sum of the ranked meters."""
    ranked = ranking(conn, spec)
    return float(100.0 * ranked.iloc[0] / ranked.sum())


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
    r = read(conn, spec, _one_meter(spec))
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
    start, end = _window(conn, spec)
    names = spec.meters() or [
        str(r["name"])
        for r in conn.execute(_SERIES, {"site": spec.site, "metric": spec.metric}).mappings()
    ]
    missing = 0
    for name in names:
        step = int(_meter_info(conn, spec, name)["interval_s"] or 900)
        try:
            present = len(read(conn, spec, name).values)
        except TruthError:
            present = 0
        missing += (end - start) // step - present
    return float(missing)


def coverage_percent(conn: Connection, spec: TruthSpec) -> float:
    """Share in % of one meter's expected 15-minute intervals that have a reading."""
    start, end = _window(conn, spec)
    expected = (end - start) / int(_meter_info(conn, spec, _one_meter(spec))["interval_s"] or 900)
    return 100.0 * (expected - missing_intervals(conn, spec)) / expected


def events(conn: Connection, spec: TruthSpec) -> list[str]:
    """Meters (or kinds, with `returns: kinds`) of the simulator's labelled events that overlap
    the period, optionally only on the named meters or of one `kind`; sorted, unique."""
    start, end = _window(conn, spec)
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
        start, end = _window(conn, spec)
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
