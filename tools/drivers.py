"""The site's daily drivers for anomaly models: weather as degree-hours inside and outside
the shift hours at several balance points, and production."""

from __future__ import annotations

import numpy as np
import pandas as pd

from common.timeutil import day_starts
from store import catalog, queries
from tools.base import ToolContext
from tools.calendar import in_window

HEAT_BASES = (10.0, 12.0, 14.0, 16.0, 18.0)  # balance points tried, degC
COOL_BASES = (12.0, 14.0, 16.0, 18.0, 20.0, 22.0)


def _production(ctx: ToolContext, ids: list[int], lo: int, hi: int) -> pd.Series:
    if not ids:
        return pd.Series(dtype=float)
    with ctx.engine.connect() as conn:
        frame = queries.rollups(conn, ids, 86400, lo, hi, tz=ctx.site.timezone)
    return frame.groupby("bucket")["sum"].sum()


def _weather(ctx: ToolContext, ids: list[int], lo: int, hi: int) -> pd.DataFrame:
    """Per local day: mean temperature, and degrees below each heating base and above each
    cooling base hour by hour (a mild day can still need cooling in the afternoon), summed
    apart for the hours inside the shift plan ("heat15") and outside it ("heat15~"): a
    building is heated and cooled harder while it is in use."""
    columns = ["temperature"] + [f"{d}{s}" for d in degree_names() for s in ("", "~")]
    if not ids:
        return pd.DataFrame(columns=columns, dtype=float)
    with ctx.engine.connect() as conn:
        frame = queries.rollups(conn, ids[:1], 3600, lo, hi, tz=ctx.site.timezone)
    t = (frame["sum"] / frame["n"]).to_numpy(float)
    local = pd.DatetimeIndex(pd.to_datetime(frame["bucket"], unit="s", utc=True))
    local = local.tz_convert(ctx.site.timezone)
    hour, weekday = np.asarray(local.hour, dtype=float), np.asarray(local.day_of_week)
    in_use = np.zeros(len(t), dtype=bool)
    for _, weekdays, start, end in ctx.config.shifts:
        in_use |= in_window(weekday, hour, weekdays, start, end)
    table = {"temperature": t}
    for b in HEAT_BASES:
        table |= {f"heat{b:g}": np.clip(b - t, 0, None) * in_use}
        table |= {f"heat{b:g}~": np.clip(b - t, 0, None) * ~in_use}
    for b in COOL_BASES:
        table |= {f"cool{b:g}": np.clip(t - b, 0, None) * in_use}
        table |= {f"cool{b:g}~": np.clip(t - b, 0, None) * ~in_use}
    day = day_starts(local).as_unit("s").asi8
    daily: pd.DataFrame = pd.DataFrame(table, index=day).groupby(level=0).mean()
    return daily[columns]


def degree_names() -> list[str]:
    return [f"heat{b:g}" for b in HEAT_BASES] + [f"cool{b:g}" for b in COOL_BASES]


def site_drivers(ctx: ToolContext, lo: int, hi: int) -> pd.DataFrame:
    """Daily drivers of the site: weather (temperature, degree columns) and production."""
    with ctx.engine.connect() as conn:
        pairs = catalog.list_series(conn, ctx.site.id)
    temps = [s.id for _, s in pairs if s.metric == "outdoor_temperature"]
    made = [s.id for _, s in pairs if s.metric == "production"]
    table = _weather(ctx, temps, lo, hi)
    production = _production(ctx, made, lo, hi)
    table = table.reindex(table.index.union(production.index))
    table["production"] = production.reindex(table.index)
    return pd.DataFrame(table)
