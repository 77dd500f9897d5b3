"""Ground truth for the eval's questions, computed from the raw readings with plain SQL and pandas.

Nothing here calls `tools/` or `store.queries`: every number is recomputed from the `readings`,
`series`, `meters`, `production_links`, `sites` (with the catalogue's profile: tariffs, emission
factors, calorific value, shifts, closures), `event_labels` and `incidents` tables and the
written KPI definitions, so a bug in a tool cannot hide behind the same bug in its truth.
Every series keeps its own interval: the power of an hourly reading is its kWh over one hour,
a demand window never is shorter than the meter's interval, and a gas meter read in m3 has
m3 x calorific value of energy (evals.readings, evals.site_profile).

Each function takes a Connection or an Engine and a `TruthSpec` and returns a number, a string
or a list of strings; `FUNCTIONS` maps the names a question set uses to them.
"""

from __future__ import annotations

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
    energy_meters,
    epoch_window,
    meter_info,
    one_meter,
    period_total,
    read,
    site_tz,
)
from evals.site_profile import pricing, shift_labels, site_facts
from evals.truth_baseline import baseline_deviation, baseline_expected, baseline_uncertainty
from evals.truth_kpis import (
    average_power,
    backtest_alerts,
    base_load,
    carbon,
    cost,
    episodes_above,
    hours_above,
    intensity,
    load_factor,
    peak_demand,
    peak_time,
    profile_peak_hour,
    sec,
    tariff_cost,
    window_average_kw,
    window_energy,
    window_peak,
    window_peak_time,
    window_share,
)

Truth = float | str | list[str]
TruthFn = Callable[[Connection | Engine, TruthSpec], Truth]

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


def daily_totals(conn: Connection, spec: TruthSpec) -> pd.Series:
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
    return float(daily_totals(conn, spec).max())


def min_day(conn: Connection, spec: TruthSpec) -> float:
    """The smallest local-day total of the metric in the period (kWh on the quietest day)."""
    return float(daily_totals(conn, spec).min())


# ------------------------------------------------------------------ comparisons and rankings


def pct_change(conn: Connection, spec: TruthSpec) -> float:
    """Change of the total from `reference` to `period` in % of the reference."""
    now, then = period_total(conn, spec), period_total(conn, spec, "reference")
    return 100.0 * (now - then) / then


def difference(conn: Connection, spec: TruthSpec) -> float:
    """Total over `period` minus the total over `reference` (kWh)."""
    return period_total(conn, spec) - period_total(conn, spec, "reference")


def parent_of(conn: Connection, spec: TruthSpec, meter: str) -> str:
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
    base = spec.base_meters() or [parent_of(conn, spec, spec.meters()[0])]
    whole = period_total(conn, spec.model_copy(update={"meter": base}))
    return 100.0 * period_total(conn, spec) / whole


MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def period_name(text: str, tz: str) -> str:
    """A whole calendar month by its English name ('October'), any other period as written."""
    start, end = parse_period(text, tz)
    next_month = (start.replace(day=28) + pd.Timedelta(days=4)).replace(day=1)
    whole = start.day == 1 and start.hour == 0 and end == next_month
    return MONTHS[start.month - 1] if whole else text


def larger_period(conn: Connection, spec: TruthSpec) -> str:
    """Which of `period` and `reference` had the larger total of the named meters: a whole
    month by its name ('October'), another period as written."""
    now, then = period_total(conn, spec), period_total(conn, spec, "reference")
    chosen = spec.period if now >= then else spec.reference
    return period_name(str(chosen), site_tz(conn, spec.site))


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
    if spec.metric == "energy":
        rows = list(energy_meters(conn, spec.site).values())
    else:
        found = conn.execute(SERIES_SQL, {"site": spec.site, "metric": spec.metric}).mappings()
        rows = [dict(r) for r in found]
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


def children_of(conn: Connection, spec: TruthSpec, meter: str) -> list[str]:
    """The direct sub-meters of `meter` that have a series of the spec's metric."""
    rows = conn.execute(
        text(
            """
            SELECT c.name FROM meters c JOIN meters p ON p.id = c.parent_id
            JOIN sites st ON st.id = p.site_id WHERE st.name = :site AND p.name = :meter
            """
        ),
        {"site": spec.site, "meter": meter},
    ).all()
    measured = energy_meters(conn, spec.site) if spec.metric == "energy" else None
    names = [str(r[0]) for r in rows]
    if measured is not None:
        names = [n for n in names if n in measured]
    if not names:
        raise TruthError(f"meter {meter!r} has no sub-meters with {spec.metric}")
    return names


def _unmetered(conn: Connection, spec: TruthSpec) -> tuple[float, float]:
    parent = one_meter(spec)
    whole = period_total(conn, spec)
    seen = period_total(conn, spec.model_copy(update={"meter": children_of(conn, spec, parent)}))
    return whole - seen, whole


def unmetered_energy(conn: Connection, spec: TruthSpec) -> float:
    """A parent meter's total minus the totals of its direct sub-meters (kWh no sub-meter
    sees: losses and unmetered loads) over the period."""
    return _unmetered(conn, spec)[0]


def unmetered_share(conn: Connection, spec: TruthSpec) -> float:
    """The unmetered remainder (`unmetered_energy`) in % of the parent meter's total."""
    rest, whole = _unmetered(conn, spec)
    return 100.0 * rest / whole


# ------------------------------------------------------------------ splits


def part_labels(conn: Connection, spec: TruthSpec, r: Readings, by: str) -> np.ndarray:
    """Each interval's part: its shift (the site's shift plan, 'holiday or shutdown' on closed
    days, else 'off-shift'), 'weekend' or 'weekday', or its time-of-use period name in the
    tariff valid that day ('off-peak' outside every period)."""
    facts = site_facts(conn, spec.site)
    if by == "shift":
        return shift_labels(facts, r.local)
    if by == "weekend":
        return np.where(np.asarray(r.local.day_of_week) >= 5, "weekend", "weekday")
    carrier = str(meter_info(conn, spec, one_meter(spec))["kind"])
    return pricing(facts, carrier, r.local).period


def _part(conn: Connection, spec: TruthSpec, by: str, part: str) -> tuple[float, float]:
    r = read(conn, spec, one_meter(spec))
    mask = part_labels(conn, spec, r, by) == part
    return float(r.values[mask].sum()), float(r.values.sum())


def weekend_share(conn: Connection, spec: TruthSpec) -> float:
    """Share in % of the period's energy used on Saturdays and Sundays."""
    part, whole = _part(conn, spec, "weekend", "weekend")
    return 100.0 * part / whole


def weekend_energy(conn: Connection, spec: TruthSpec) -> float:
    """Energy (kWh) used on Saturdays and Sundays in the period."""
    return _part(conn, spec, "weekend", "weekend")[0]


def shift_energy(conn: Connection, spec: TruthSpec) -> float:
    """Energy (kWh) in one shift (`shift`: a shift's name, 'off-shift' or 'holiday or
    shutdown')."""
    return _part(conn, spec, "shift", spec.shift or "early")[0]


def shift_share(conn: Connection, spec: TruthSpec) -> float:
    """Share in % of the period's energy falling in one shift."""
    part, whole = _part(conn, spec, "shift", spec.shift or "early")
    return 100.0 * part / whole


def tou_energy(conn: Connection, spec: TruthSpec) -> float:
    """Energy (kWh) in the tariff period `part` of the site's tariff valid each day."""
    return _part(conn, spec, "tou", spec.part or "peak")[0]


def tou_share(conn: Connection, spec: TruthSpec) -> float:
    """Share in % of the energy in the tariff period `part` ('peak', another period's name, or
    'off-peak')."""
    part, whole = _part(conn, spec, "tou", spec.part or "peak")
    return 100.0 * part / whole


# ------------------------------------------------------------------ data and events


def expected_intervals(start: int, end: int, step_s: float, tz: str) -> int:
    """How many readings a series of interval `step_s` should have in [start, end): by elapsed
    seconds below a day, by local calendar days (23 or 25 hours long around DST) above."""
    if step_s < 86400:
        return int((end - start) // step_s)
    first = pd.Timestamp(start, unit="s", tz="UTC").tz_convert(tz)
    last = pd.Timestamp(end, unit="s", tz="UTC").tz_convert(tz)
    return int((last.normalize() - first.normalize()).days // round(step_s / 86400))


def coverage_counts(conn: Connection, spec: TruthSpec, name: str) -> tuple[int, int]:
    """(expected, present) readings of one meter's series of the spec's metric."""
    start, end = epoch_window(conn, spec)
    try:
        r = read(conn, spec, name)
    except TruthError:
        info = meter_info(conn, spec, name)
        if not info["interval_s"]:
            raise
        return expected_intervals(start, end, info["interval_s"], site_tz(conn, spec.site)), 0
    expected = expected_intervals(start, end, r.step_h * 3600, site_tz(conn, spec.site))
    return expected, len(r.values)


def all_meters(conn: Connection, spec: TruthSpec) -> list[str]:
    if spec.metric == "energy":
        return list(energy_meters(conn, spec.site))
    rows = conn.execute(SERIES_SQL, {"site": spec.site, "metric": spec.metric}).mappings()
    return [str(r["name"]) for r in rows]


def missing_intervals(conn: Connection, spec: TruthSpec) -> float:
    """Expected intervals (each series' own) in the period minus the readings present, summed
    over the named meters (every meter with the metric when none is named)."""
    missing = 0
    for name in spec.meters() or all_meters(conn, spec):
        expected, present = coverage_counts(conn, spec, name)
        missing += expected - present
    return float(missing)


def coverage_percent(conn: Connection, spec: TruthSpec) -> float:
    """Share in % of one meter's expected intervals that have a reading."""
    expected, present = coverage_counts(conn, spec, one_meter(spec))
    return 100.0 * present / expected


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


def incident_value(conn: Connection, spec: TruthSpec, column: str) -> Any:
    if spec.n is None:
        raise TruthError(f"truth {spec.fn!r} needs the incident id as `n`")
    table = _incident_table(conn, spec)
    found = table.loc[table["id"] == spec.n, column]
    if found.empty or pd.isna(found.iloc[0]):
        raise TruthError(f"no {column} for incident #{spec.n} at {spec.site}")
    return found.iloc[0]


def incident_extra_kwh(conn: Connection, spec: TruthSpec) -> float:
    """Energy above expectation (kWh) of incident `n`, as stored."""
    return float(incident_value(conn, spec, "extra_kwh"))


def incident_cost(conn: Connection, spec: TruthSpec) -> float:
    """Cost of incident `n`'s extra energy, in its currency, as stored."""
    return float(incident_value(conn, spec, "cost"))


def incident_co2(conn: Connection, spec: TruthSpec) -> float:
    """kg CO2e of incident `n`'s extra energy, as stored."""
    return float(incident_value(conn, spec, "co2_kg"))


def incident_state(conn: Connection, spec: TruthSpec) -> str:
    """State of incident `n`: open, acknowledged or resolved."""
    return str(incident_value(conn, spec, "state"))


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
        backtest_alerts,
        hours_above,
        tariff_cost,
        share,
        meters_difference,
        meters_pct,
        larger_meter,
        larger_period,
        unmetered_energy,
        unmetered_share,
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
        tou_energy,
        missing_intervals,
        coverage_percent,
        events,
        sql,
        incidents,
        incident_extra_kwh,
        incident_cost,
        incident_co2,
        incident_state,
        baseline_expected,
        baseline_deviation,
        baseline_uncertainty,
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
    if parsed.hours is not None and parsed.fn not in CLOCK_HOURS:
        raise TruthError(
            f"{parsed.fn} ignores `hours`; use one of {', '.join(sorted(CLOCK_HOURS))} for a "
            "daily window"
        )
    if parsed.days is not None and parsed.fn not in CLOCK_DAYS:
        raise TruthError(
            f"{parsed.fn} ignores `days`; use one of {', '.join(sorted(CLOCK_DAYS))} for weekdays"
        )
    return FUNCTIONS[parsed.fn](db, parsed)


# the functions that select intervals by a daily clock window (`hours`) and by weekday (`days`):
# any other function would silently ignore them and compute the whole period
CLOCK_HOURS = frozenset({"window_energy", "window_average_kw", "window_share"})
CLOCK_DAYS = CLOCK_HOURS | {"profile_peak_hour"}
