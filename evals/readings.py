"""Raw readings for the eval's ground truth: plain SQL over the store's tables, read into pandas.

Nothing here calls `tools/` or `store.queries`, so a bug in a tool cannot hide behind the same
bug in its truth. `evals.truth` builds every truth function on these readers.

A reading belongs to a period when its interval lies inside it: one still under way at a
period's end ("today so far" at 11:20 ends with the 11:00-11:15 reading) is not counted,
as a live store would not hold it yet (bills are pro-rated by the truth functions instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from common.errors import EMSError
from evals.dataset import TruthSpec, parse_period

READINGS_SQL = text(
    """
    SELECT r.ts, r.value, CASE WHEN s.billing THEN 0 ELSE s.interval_s END AS interval_s,
           st.timezone
    FROM readings r
    JOIN series s ON s.id = r.series_id
    JOIN meters m ON m.id = s.meter_id
    JOIN sites st ON st.id = m.site_id
    WHERE st.name = :site AND m.name = :meter AND s.metric = :metric
      AND r.ts >= :start AND r.ts < :end AND (s.billing OR r.ts + COALESCE(s.interval_s, 0) <= :end)
    ORDER BY r.ts
    """
)
SERIES_SQL = text(
    """
    SELECT m.name, m.kind, m.floor_area_m2,
           CASE WHEN s.billing THEN 0 ELSE s.interval_s END AS interval_s, s.metric, s.unit,
           EXISTS (SELECT 1 FROM meters c WHERE c.parent_id = m.id) AS is_total,
           m.parent_id IS NULL AS is_root
    FROM series s
    JOIN meters m ON m.id = s.meter_id
    JOIN sites st ON st.id = m.site_id
    WHERE st.name = :site AND s.metric = :metric
    ORDER BY m.name
    """
)
CALORIFIC_SQL = text("SELECT gas_calorific_value FROM sites WHERE name = :site")
ENERGY = "energy"
VOLUME = "volume"
EPOCH_DAY = pd.Timestamp("1970-01-01")  # where intervals of several days are counted from
BILLING_S = 0  # the interval the queries give a series read from bills (series.billing)


class TruthError(EMSError, ValueError):
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


def site_tz(conn: Connection, site: str) -> str:
    row = conn.execute(text("SELECT timezone FROM sites WHERE name = :s"), {"s": site}).first()
    if row is None:
        raise TruthError(f"no site named {site!r}")
    return str(row[0])


def epoch_window(conn: Connection, spec: TruthSpec, which: str = "period") -> tuple[int, int]:
    value = spec.period if which == "period" else spec.reference
    if value is None:
        raise TruthError(f"truth {spec.fn!r} needs a {which}")
    start, end = parse_period(value, site_tz(conn, spec.site))
    return int(start.timestamp()), int(end.timestamp())


def _series(conn: Connection, site: str, metric: str) -> dict[str, dict[str, Any]]:
    rows = conn.execute(SERIES_SQL, {"site": site, "metric": metric}).mappings().all()
    return {str(row["name"]): dict(row) for row in rows}


def energy_meters(conn: Connection, site: str) -> dict[str, dict[str, Any]]:
    """Every meter whose energy the truth can compute: an energy series, or a gas meter read
    in m3 (a volume series), whose energy is its volume times the site's calorific value."""
    found = _series(conn, site, ENERGY)
    for name, row in _series(conn, site, VOLUME).items():
        if row["kind"] == "gas" and name not in found:
            found[name] = row
    return dict(sorted(found.items()))


def _calorific_value(conn: Connection, site: str, meter: str) -> float:
    value = conn.execute(CALORIFIC_SQL, {"site": site}).scalar()
    if not value:
        raise TruthError(
            f"gas meter {meter!r} is read in m3 and site {site!r} has no calorific value"
        )
    return float(value)


def meter_info(
    conn: Connection, spec: TruthSpec, meter: str, metric: str | None = None
) -> dict[str, Any]:
    """The meter's catalogue row and its series of `metric` (energy: also a gas meter's m3)."""
    metric = metric or spec.metric
    rows = energy_meters(conn, spec.site) if metric == ENERGY else _series(conn, spec.site, metric)
    if meter in rows:
        return rows[meter]
    raise TruthError(f"no meter {meter!r} with a {metric!r} series at {spec.site}")


def _step_seconds(declared: Any, ts: pd.Series, meter: str) -> float:
    """The series' own interval; undeclared, the commonest gap between its readings."""
    if declared == BILLING_S:
        raise TruthError(f"{meter!r} is read from bills; this truth needs interval data")
    if declared:
        return float(declared)
    gaps = np.diff(ts.to_numpy(np.int64))
    return float(pd.Series(gaps).mode().iloc[0]) if len(gaps) else 900.0


def read(
    conn: Connection, spec: TruthSpec, meter: str, which: str = "period", metric: str | None = None
) -> Readings:
    """Raw readings of `meter` over the spec's period (or reference), in site time. Energy of
    a gas meter read in m3 is its volume times the site's calorific value (kWh)."""
    start, end = epoch_window(conn, spec, which)
    wanted = metric or spec.metric
    info = meter_info(conn, spec, meter, wanted)
    scale = 1.0
    if wanted == ENERGY and info["metric"] == VOLUME:
        scale = _calorific_value(conn, spec.site, meter)
    params = {"site": spec.site, "meter": meter, "metric": info["metric"]}
    frame = pd.DataFrame(
        conn.execute(READINGS_SQL, {**params, "start": start, "end": end}).all(),
        columns=["ts", "v", "step", "tz"],
    )
    if frame.empty:
        raise TruthError(f"no {wanted} readings for {meter!r} in {spec.period!r}")
    tz = str(frame["tz"].iloc[0])
    local = pd.DatetimeIndex(pd.to_datetime(frame["ts"], unit="s", utc=True)).tz_convert(tz)
    step_s = _step_seconds(frame["step"].iloc[0], frame["ts"], meter)
    values = pd.Series(frame["v"].to_numpy(float) * scale, index=local)
    return Readings(local, values, step_s / 3600)


def one_meter(spec: TruthSpec) -> str:
    meters = spec.meters()
    if len(meters) != 1:
        raise TruthError(f"truth {spec.fn!r} needs exactly one meter, got {meters}")
    return meters[0]


def period_total(conn: Connection, spec: TruthSpec, which: str = "period") -> float:
    meters = spec.meters()
    if not meters:
        raise TruthError(f"truth {spec.fn!r} needs a meter")
    return float(sum(read(conn, spec, m, which).values.sum() for m in meters))


def summed(conn: Connection, spec: TruthSpec, which: str = "period") -> Readings:
    """The named meters' readings added up per interval (one meter: its own readings)."""
    meters = spec.meters()
    if not meters:
        raise TruthError(f"truth {spec.fn!r} needs a meter")
    parts = [read(conn, spec, m, which) for m in meters]
    step_h = max(p.step_h for p in parts)
    on_step = [_on_step(p, step_h) for p in parts]
    values = pd.concat(on_step).groupby(level=0).sum().sort_index()
    return Readings(pd.DatetimeIndex(values.index), values, step_h)


def _localized(wall: pd.DatetimeIndex, tz: Any) -> pd.DatetimeIndex:
    """Wall-clock times in `tz`: a time a clock change repeats as its first, one it skips as
    the time the clocks jump to."""
    return wall.tz_localize(
        tz, ambiguous=np.ones(len(wall), dtype=bool), nonexistent="shift_forward"
    )


def local_midnights(local: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The local midnight that starts each time's day."""
    return _localized(local.tz_localize(None).normalize(), local.tz)


def _on_step(r: Readings, step_h: float) -> pd.Series:
    """A meter's energy per interval of `step_h` hours (the coarsest of a sum of meters),
    finer readings added up into intervals laid from each local midnight of the site, so a sum
    never mixes intervals and never splits a local day. Up to an hour, intervals of that many
    hours of elapsed time from the midnight (a day around a clock change has one more or one
    fewer); coarser, intervals of the local clock (00:00-06:00 on the day the clocks go back
    holds 7 hours), a daily one the whole local day, several days counted on the calendar."""
    if r.step_h == step_h:
        return r.values
    step = pd.Timedelta(hours=step_h)
    if step_h <= 1:
        midnight = local_midnights(r.local)
        starts = midnight + ((r.local - midnight) // step) * step
    else:
        wall = r.local.tz_localize(None)
        day = wall.normalize()
        if step_h < 24:
            start = day + ((wall - day) // step) * step
        else:
            every = round(step_h / 24)
            start = EPOCH_DAY + pd.to_timedelta((day - EPOCH_DAY).days // every * every, unit="D")
        starts = _localized(pd.DatetimeIndex(start), r.local.tz)
    return r.values.groupby(pd.DatetimeIndex(starts)).sum(min_count=1).dropna()


def clock_minutes(text: str) -> tuple[int, int]:
    """'22:00-06:00' (or '22-6') as minutes of the day of its start and end."""
    try:
        bounds = [b.strip().split(":") for b in text.split("-")]
        start, end = ((int(b[0]) * 60 + (int(b[1]) if len(b) > 1 else 0)) for b in bounds)
    except ValueError:
        raise TruthError(f"cannot read the clock window {text!r}; use 'HH:MM-HH:MM'") from None
    return start, end


def clock_mask(local: pd.DatetimeIndex, hours: str | None, days: list[int] | None) -> np.ndarray:
    """Intervals whose local start lies in the daily window `hours` (wrapping past midnight
    when the end is not after the start) and on one of `days` (0=Mon)."""
    keep = np.ones(len(local), dtype=bool)
    if hours is not None:
        start, end = clock_minutes(hours)
        minute = np.asarray(local.hour * 60 + local.minute)
        inside = (minute >= start) & (minute < end)
        keep &= inside if start < end else (minute >= start) | (minute < end)
    if days is not None:
        keep &= np.isin(np.asarray(local.day_of_week), days)
    return keep
