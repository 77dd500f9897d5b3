"""Raw readings for the eval's ground truth: plain SQL over the store's tables, read into pandas.

Nothing here calls `tools/` or `store.queries`, so a bug in a tool cannot hide behind the same
bug in its truth. `evals.truth` builds every truth function on these readers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from evals.dataset import TruthSpec, parse_period

READINGS_SQL = text(
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
SERIES_SQL = text(
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


def meter_info(
    conn: Connection, spec: TruthSpec, meter: str, metric: str | None = None
) -> dict[str, Any]:
    metric = metric or spec.metric
    rows = conn.execute(SERIES_SQL, {"site": spec.site, "metric": metric}).mappings().all()
    for row in rows:
        if row["name"] == meter:
            return dict(row)
    raise TruthError(f"no meter {meter!r} with a {metric!r} series at {spec.site}")


def read(
    conn: Connection, spec: TruthSpec, meter: str, which: str = "period", metric: str | None = None
) -> Readings:
    """Raw readings of `meter` over the spec's period (or reference), in site time."""
    start, end = epoch_window(conn, spec, which)
    params = {
        "site": spec.site,
        "meter": meter,
        "metric": metric or spec.metric,
        "start": start,
        "end": end,
    }
    frame = pd.DataFrame(
        conn.execute(READINGS_SQL, params).all(), columns=["ts", "v", "step", "tz"]
    )
    if frame.empty:
        meter_info(conn, spec, meter, str(params["metric"]))
        raise TruthError(f"no {params['metric']} readings for {meter!r} in {spec.period!r}")
    tz = str(frame["tz"].iloc[0])
    local = pd.DatetimeIndex(pd.to_datetime(frame["ts"], unit="s", utc=True)).tz_convert(tz)
    step_s = float(frame["step"].iloc[0] or 900)
    return Readings(local, pd.Series(frame["v"].to_numpy(float), index=local), step_s / 3600)


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
    values = pd.concat([p.values for p in parts]).groupby(level=0).sum().sort_index()
    return Readings(pd.DatetimeIndex(values.index), values, parts[0].step_h)


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
