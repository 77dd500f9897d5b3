"""Reference values of a truth: the amounts it is computed from or set against (both totals of a
change, the parts and the whole of a share or a cost, the ranked totals, a daily question's
total), which an answer may state beside the truth without stating a wrong number. A count of
runs above a threshold and a count of the alerts a rule would have raised are no references of
each other: an answer that gives one when the other was asked gives a wrong number, unless the
case lists both as its truths.

Computed like the truth itself, from the raw readings with plain SQL (evals.truth); a reference
that cannot be computed is simply left out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np
from sqlalchemy import Connection, Engine

from evals.dataset import TruthSpec
from evals.readings import TruthError, clock_mask, period_total, read, summed
from evals.truth import (
    all_meters,
    coverage_counts,
    daily_totals,
    incident_value,
    parent_of,
    part_labels,
    ranking,
)
from evals.truth_kpis import (
    cost_parts,
    production_meters,
    tariff_cost_parts,
)

RefFn = Callable[[Connection, TruthSpec], Iterable[float]]


def _meter_totals(conn: Connection, spec: TruthSpec) -> list[float]:
    totals = [float(read(conn, spec, m).values.sum()) for m in spec.meters()]
    return [*totals, sum(totals)]


def _change(conn: Connection, spec: TruthSpec) -> list[float]:
    now, then = period_total(conn, spec), period_total(conn, spec, "reference")
    return [now, then, now - then, 100 * (now - then) / then if then else math.nan]


def _two_meters(conn: Connection, spec: TruthSpec) -> list[float]:
    first, second, *_ = _meter_totals(conn, spec)
    return [first, second, first - second, 100 * (first - second) / second if second else 0.0]


def _share(conn: Connection, spec: TruthSpec) -> list[float]:
    base = spec.base_meters() or [parent_of(conn, spec, spec.meters()[0])]
    return [period_total(conn, spec), period_total(conn, spec.model_copy(update={"meter": base}))]


def _daily_figures(conn: Connection, spec: TruthSpec) -> list[float]:
    daily = daily_totals(conn, spec)
    return [float(daily.sum()), float(daily.mean()), float(daily.max()), float(daily.min())]


def _parts(by: str) -> RefFn:
    def parts(conn: Connection, spec: TruthSpec) -> list[float]:
        r = read(conn, spec, spec.meters()[0])
        labels = part_labels(conn, spec, r, by)
        whole = float(r.values.sum())
        out = [whole]
        for label in set(labels):
            part = float(r.values[labels == label].sum())
            out += [part, 100 * part / whole if whole else 0.0]
        return out

    return parts


def _clock_window(conn: Connection, spec: TruthSpec) -> list[float]:
    r = summed(conn, spec)
    inside = clock_mask(r.local, spec.hours, spec.days)
    part, whole = float(r.values[inside].sum()), float(r.values.sum())
    return [part, whole, 100 * part / whole if whole else 0.0, float(r.kw[inside].mean())]


def _ranked(conn: Connection, spec: TruthSpec) -> list[float]:
    totals = ranking(conn, spec)
    whole = float(totals.sum())
    return [whole, *map(float, totals), *(100 * float(t) / whole for t in totals)]


def _power(conn: Connection, spec: TruthSpec) -> list[float]:
    r = summed(conn, spec)
    return [float(r.kw.mean()), float(r.kw.max()), float(r.values.sum())]


def _coverage_figures(conn: Connection, spec: TruthSpec) -> list[float]:
    out: list[float] = []
    for meter in spec.meters() or all_meters(conn, spec):
        expected, present = coverage_counts(conn, spec, meter)
        out += [expected, present, expected - present, 100 * present / expected]
    return out


def _levels(conn: Connection, spec: TruthSpec) -> list[float]:
    values = read(conn, spec, spec.meters()[0]).values
    return [float(values.mean()), float(values.min()), float(values.max()), float(values.sum())]


def _cost(conn: Connection, spec: TruthSpec) -> list[float]:
    # The parts of the tariff the truth prices by: the user's own for tariff_cost.
    parts = tariff_cost_parts if spec.fn == "tariff_cost" else cost_parts
    energy_cost, demand = parts(conn, spec)
    rate = spec.rate or 1.0
    # a converted cost may be shown beside the tariff's own currency it was converted from
    unconverted = [energy_cost + demand, energy_cost, demand] if rate != 1.0 else []
    return [
        energy_cost * rate,
        demand * rate,
        *unconverted,
        *_site_energy(conn, spec, demand),
        *_meter_totals(conn, spec),
    ]


def _site_energy(conn: Connection, spec: TruthSpec, demand: float) -> list[float]:
    """A user's tariff that prices only the demand ("at 12 EUR/kW, what would the demand
    charge be?"): the bill beside it keeps the site's energy prices, so the site's energy part
    and that part plus the user's demand charge are figures the answer may state."""
    if spec.fn != "tariff_cost" or spec.price or spec.peak_price:
        return []
    site_energy, _ = cost_parts(conn, spec)
    rate = spec.rate or 1.0
    return [site_energy * rate, (site_energy + demand) * rate]


def _sec(conn: Connection, spec: TruthSpec) -> list[float]:
    meter = spec.meters()[0]
    made = production_meters(conn, spec, meter)
    units = sum(float(read(conn, spec, m, metric="production").values.sum()) for m in made)
    return [float(read(conn, spec, meter).values.sum()), units]


def _incident_figures(conn: Connection, spec: TruthSpec) -> list[float]:
    out = []
    for column in ("extra_kwh", "cost", "co2_kg"):
        try:
            out.append(float(incident_value(conn, spec, column)))
        except TruthError:
            continue
    return out


_REFERENCES: dict[str, RefFn] = {
    **dict.fromkeys(("energy", "carbon", "intensity"), _meter_totals),
    **dict.fromkeys(("pct_change", "difference"), _change),
    **dict.fromkeys(("meters_pct", "meters_difference"), _two_meters),
    "share": _share,
    **dict.fromkeys(("daily_average", "max_day", "min_day"), _daily_figures),
    **dict.fromkeys(("weekend_share", "weekend_energy"), _parts("weekend")),
    **dict.fromkeys(("shift_share", "shift_energy"), _parts("shift")),
    **dict.fromkeys(("tou_share", "tou_energy"), _parts("tou")),
    **dict.fromkeys(("window_share", "window_energy", "window_average_kw"), _clock_window),
    **dict.fromkeys(("top_meter_value", "top_share"), _ranked),
    **dict.fromkeys(
        ("peak_demand", "window_peak", "average_power", "base_load", "load_factor"), _power
    ),
    **dict.fromkeys(("missing_intervals", "coverage_percent"), _coverage_figures),
    **dict.fromkeys(("stat", "average"), _levels),
    **dict.fromkeys(("cost", "tariff_cost"), _cost),
    "sec": _sec,
    **dict.fromkeys(("incident_extra_kwh", "incident_cost", "incident_co2"), _incident_figures),
}


def references(db: Connection | Engine, spec: TruthSpec) -> list[float]:
    """The reference values of a truth spec (empty when it has none or they cannot be
    computed)."""
    fn = _REFERENCES.get(spec.fn)
    if fn is None:
        return []
    if isinstance(db, Engine):
        with db.connect() as conn:
            return references(conn, spec)
    try:
        values = list(fn(db, spec))
    except (TruthError, ValueError, IndexError, ZeroDivisionError):
        return []
    return [float(v) for v in values if np.isfinite(v)]
