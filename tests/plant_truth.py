"""What the tools should answer on a random plant, computed with pandas from the raw readings
(read with plain SQL) and the plant file's own data. Nothing here calls `tools/` or
`store.queries`; only the tools' documented built-in defaults (a fallback tariff, emission
factors and shifts, used when a plant file gives none) are read, as data.
"""

from __future__ import annotations

import calendar
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import pandas as pd
from sqlalchemy import Engine, text

from tests.plants import PlantCase
from tools.base import AnalyticsConfig

DEFAULTS = AnalyticsConfig()
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LONG_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ENERGY_CARRIERS = ("electricity", "gas", "heat", "steam")

RAW_SQL = text(
    """
    SELECT m.name AS meter, s.metric AS metric, r.ts AS ts, r.value AS value
    FROM readings r
    JOIN series s ON s.id = r.series_id
    JOIN meters m ON m.id = s.meter_id
    JOIN sites st ON st.id = m.site_id
    WHERE st.name = :site
    ORDER BY m.name, s.metric, r.ts
    """
)


def read_raw(engine: Engine, site: str) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(RAW_SQL, {"site": site}).all()
    frame = pd.DataFrame(rows, columns=["meter", "metric", "ts", "value"])
    return frame.astype({"ts": "int64", "value": "float64"})


def days_of(spec: Any) -> list[int]:
    """Plant-file days ('mon-fri', 'sat', 0..6) as 0 = Monday .. 6."""
    out: list[int] = []
    for item in spec if isinstance(spec, list) else [spec]:
        if isinstance(item, int):
            out.append(item)
        elif "-" in item:
            a, b = (DAY_NAMES.index(p) for p in item.split("-"))
            out += list(range(a, b + 1)) if a <= b else [*range(a, 7), *range(0, b + 1)]
        else:
            out.append(DAY_NAMES.index(item))
    return sorted(set(out))


def hours_of(clock: str) -> float:
    h, m = clock.split(":")
    return int(h) + int(m) / 60


def holds(weekday: np.ndarray, hour: np.ndarray, days: Sequence[int], a: float, b: float) -> Any:
    """A window of days and hours; past midnight it holds the next days' early hours."""
    if a < b:
        return np.isin(weekday, days) & (hour >= a) & (hour < b)
    after = [(d + 1) % 7 for d in days]
    return (np.isin(weekday, days) & (hour >= a)) | (np.isin(weekday, after) & (hour < b))


@dataclass
class Truth:
    """A random plant's raw rows and plant file, and the answers they imply."""

    case: PlantCase
    raw: pd.DataFrame

    @property
    def tz(self) -> ZoneInfo:
        return self.case.zone

    def midnight(self, day: date) -> int:
        return int(datetime.combine(day, time(0), self.tz).timestamp())

    @property
    def now(self) -> int:
        return self.midnight(self.case.end)

    # -------------------------------------------------------------- catalogue facts

    def meter(self, name: str) -> dict[str, Any]:
        return self.case.meter(name)

    def series(self, name: str) -> list[tuple[str, str, int]]:
        """(metric, unit, interval s) of a meter, as its plant file declares them."""
        out = []
        for s in self.meter(name)["series"]:
            interval = s["interval"]
            seconds = {"min": 60, "h": 3600, "d": 86400}
            number = int("".join(ch for ch in interval if ch.isdigit()))
            out.append((s["metric"], s["unit"], number * seconds[interval.lstrip("0123456789")]))
        return out

    def interval(self, name: str, metric: str) -> int:
        return next(i for m, _, i in self.series(name) if m == metric)

    def children(self, name: str) -> list[str]:
        return [m["name"] for m in self.case.meters() if m.get("parent") == name]

    def has_metric(self, name: str, metric: str) -> bool:
        return any(m == metric for m, _, _ in self.series(name))

    def production_meters(self, name: str) -> list[str] | None:
        """Whose production divides a meter's energy, by the catalogue: its own series, its
        links, or for a root every production meter; None when nothing does."""
        if self.has_metric(name, "production"):
            return [name]
        links = self.meter(name).get("production", [])
        if links:
            return list(links)
        if self.meter(name).get("parent") is None:
            return [
                m["name"] for m in self.case.meters() if self.has_metric(m["name"], "production")
            ]
        return None

    # -------------------------------------------------------------- rows

    def rows(self, meter: str, metric: str, lo: int, hi: int) -> pd.DataFrame:
        """A series' readings with lo <= ts < hi."""
        empty = (np.zeros(0, np.int64), np.zeros(0))
        ts, values = self._groups.get((meter, metric), empty)
        a, b = np.searchsorted(ts, lo), np.searchsorted(ts, hi)
        return pd.DataFrame({"ts": ts[a:b], "value": values[a:b]})

    @functools.cached_property
    def _groups(self) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
        return {
            (str(m), str(k)): (g["ts"].to_numpy(np.int64), g["value"].to_numpy(np.float64))
            for (m, k), g in self.raw.groupby(["meter", "metric"], sort=False)
        }

    def local(self, ts: Any) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(
            pd.to_datetime(np.asarray(ts, dtype=np.int64), unit="s", utc=True)
        ).tz_convert(self.case.timezone)

    def slots(self, interval: int, lo: int, hi: int) -> np.ndarray:
        """Starts of a series' intervals in [lo, hi): local midnights for a day, else every
        instant whose local time is a whole number of intervals into its day."""
        if interval == 86400:
            first = datetime.fromtimestamp(lo, self.tz).date() - timedelta(days=1)
            out, day = [], first
            while self.midnight(day) < hi:
                if self.midnight(day) >= lo:
                    out.append(self.midnight(day))
                day += timedelta(days=1)
            return np.array(out, dtype=np.int64)
        step = math.gcd(interval, 900)
        ts = np.arange(-(-lo // step) * step, hi, step, dtype=np.int64)
        wall = self.local(ts).tz_localize(None).as_unit("s").asi8
        return ts[np.asarray(wall) % interval == 0]

    def offsets_fit(self, interval: int, lo: int, hi: int) -> bool:
        """Whether the zone's offset is a whole number of intervals throughout [lo, hi), so a
        grid of intervals from the epoch is also the local grid."""
        ts = np.arange(lo, hi + 1, 900, dtype=np.int64)
        offsets = self.local(ts).tz_localize(None).as_unit("s").asi8 - ts
        return bool(np.all(np.asarray(offsets) % interval == 0))

    # -------------------------------------------------------------- demand

    def energy_metric(self, meter: str) -> str:
        """The series a meter's energy is read from: its energy, else gas read in m3."""
        return "energy" if self.has_metric(meter, "energy") else "volume"

    def kwh(self, meter: str, lo: int, hi: int) -> pd.DataFrame:
        """A meter's energy readings in kWh: gas read in m3 times the site's calorific value."""
        if self.has_metric(meter, "energy"):
            return self.rows(meter, "energy", lo, hi)
        value = self.case.data["site"]["gas_calorific_value_kwh_per_m3"]
        rows = self.rows(meter, "volume", lo, hi)
        return rows.assign(value=rows["value"] * value)

    def demand(self, meter: str, lo: int, hi: int) -> pd.DataFrame:
        """kW per demand window (15 minutes, or the meter's interval when longer): start, kW."""
        interval = self.interval(meter, self.energy_metric(meter))
        rows = self.kwh(meter, lo, hi)
        if interval <= 900:
            window = rows["ts"] - rows["ts"] % 900
            sums = rows.groupby(window)["value"].sum()
            return pd.DataFrame({"ts": sums.index.to_numpy(np.int64), "kw": sums.to_numpy() / 0.25})
        hours = interval / 3600
        return pd.DataFrame({"ts": rows["ts"], "kw": rows["value"] / hours})

    def metered_hours(self, meter: str, lo: int, hi: int) -> float:
        interval = self.interval(meter, self.energy_metric(meter))
        return len(self.kwh(meter, lo, hi)) * interval / 3600

    # -------------------------------------------------------------- economics

    def tariffs(self, carrier: str) -> list[dict[str, Any]]:
        """A carrier's tariffs in the order they are tried: the site's by validity, then the
        built-in fallback for electricity and gas."""
        mine = [t for t in self.case.data["site"].get("tariffs", []) if t["carrier"] == carrier]
        mine.sort(key=lambda t: t.get("valid_from") or date.min)
        if carrier == "electricity":
            d = DEFAULTS.tariffs["electricity"]
            periods = [
                {
                    "name": "peak",
                    "days": list(days),
                    "start": f"{a:02.0f}:00",
                    "end": f"{b:02.0f}:00",
                    "price": p,
                }
                for days, a, b, p in d.periods
            ]
            mine.append(
                {
                    "name": d.name,
                    "default_price": d.default_price,
                    "demand_charge_per_kw": d.demand_charge_per_kw,
                    "periods": periods,
                }
            )
        elif carrier == "gas":
            mine.append({"name": "gas price", "default_price": DEFAULTS.gas_price_per_kwh})
        return mine

    def tariff_index(self, tariffs: list[dict[str, Any]], local: pd.DatetimeIndex) -> np.ndarray:
        days = local.tz_localize(None).normalize().date
        out = np.full(len(local), -1)
        for i, day in enumerate(days):
            for k, t in enumerate(tariffs):
                lo, hi = t.get("valid_from"), t.get("valid_to")
                if (lo is None or lo <= day) and (hi is None or day <= hi):
                    out[i] = k
                    break
        return out

    def prices(
        self, tariffs: list[dict[str, Any]], local: pd.DatetimeIndex
    ) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Per instant: the tariff's index, its price and the name of its period."""
        which = self.tariff_index(tariffs, local)
        weekday = np.asarray(local.day_of_week)
        hour = np.asarray(local.hour + local.minute / 60)
        price = np.zeros(len(local))
        names = ["off-peak"] * len(local)
        for i in range(len(local)):
            if which[i] < 0:
                continue
            t = tariffs[which[i]]
            price[i] = t["default_price"]
            for p in t.get("periods", []):
                if holds(
                    weekday[i : i + 1],
                    hour[i : i + 1],
                    days_of(p["days"]),
                    hours_of(p["start"]),
                    hours_of(p["end"]),
                )[0]:
                    price[i] = p["price"]
                    names[i] = f"{p['name']} ({p['price']:g}/kWh)"
                    break
        return which, price, names

    def cost(self, meter: str, lo: int, hi: int) -> float | None:
        """Energy x each interval's price, plus each tariff's demand charge on each month's
        highest demand, pro rata to the days of the month it priced; None: no tariff."""
        carrier = self.meter(meter)["carrier"]
        tariffs = self.tariffs(carrier)
        rows = self.rows(meter, "energy", lo, hi)
        which, price, _ = self.prices(tariffs, self.local(rows["ts"]))
        if not tariffs or (which < 0).any():
            return None
        energy = float((rows["value"].to_numpy() * price).sum())
        demand = self.demand(meter, lo, hi)
        local = self.local(demand["ts"])
        k = self.tariff_index(tariffs, local)
        months = local.year * 100 + local.month
        days = local.tz_localize(None).normalize()
        charge = 0.0
        for month in np.unique(months):
            for t in np.unique(k[months == month]):
                rows_k = (months == month) & (k == t)
                size = calendar.monthrange(month // 100, month % 100)[1]
                covered = len(np.unique(days[rows_k])) / size
                rate = float(tariffs[t].get("demand_charge_per_kw", 0.0))
                charge += float(demand["kw"].to_numpy()[rows_k].max()) * rate * covered
        return energy + charge

    def factor(self, carrier: str) -> float | None:
        for f in self.case.data["site"].get("emission_factors", []):
            if f["carrier"] == carrier:
                return float(f["kg_co2e_per_kwh"])
        return DEFAULTS.emission_factors.get(carrier)

    # -------------------------------------------------------------- calendar

    def closed(self, years: Sequence[int]) -> set[date]:
        site = self.case.data["site"]
        out: set[date] = set()
        if site.get("country"):
            out |= set(
                holidays.country_holidays(
                    site["country"], subdiv=site.get("region"), years=list(years)
                )
            )
        for c in site.get("closures", []):
            day, last = c["from"], c["to"]
            while day <= last:
                out.add(day)
                day += timedelta(days=1)
        return out

    def shifts(self) -> list[tuple[str, list[int], float, float]]:
        site = self.case.data["site"]
        if "shifts" not in site:
            return [(n, list(d), a, b) for n, d, a, b in DEFAULTS.shifts]
        return [
            (s["name"], days_of(s["days"]), hours_of(s["start"]), hours_of(s["end"]))
            for s in site["shifts"]
        ]

    def shift_labels(self, local: pd.DatetimeIndex) -> list[str]:
        """The shift of each local time; shift time on a holiday or closure is 'holiday or
        shutdown'; the part of a night shift after midnight belongs to the day it began."""
        closed = self.closed(sorted({d.year for d in local.date} | {min(local.date).year - 1}))
        weekday = np.asarray(local.day_of_week)
        hour = np.asarray(local.hour + local.minute / 60)
        labels = []
        for i, moment in enumerate(local):
            label = "off-shift"
            for name, days, a, b in self.shifts():
                if not holds(weekday[i : i + 1], hour[i : i + 1], days, a, b)[0]:
                    continue
                began = (
                    moment.date() - timedelta(days=1) if (b <= a and hour[i] < b) else moment.date()
                )
                label = "holiday or shutdown" if began in closed else name
                break
            labels.append(label)
        return labels

    def split_labels(self, meter: str, by: str, ts: pd.Series) -> list[str]:
        local = self.local(ts)
        weekday = np.asarray(local.day_of_week)
        if by == "weekday_weekend":
            return ["weekend" if d >= 5 else "weekday" for d in weekday]
        if by == "day_of_week":
            return [LONG_DAYS[d] for d in weekday]
        if by == "hour_of_day":
            return [f"{h:02d}:00" for h in local.hour]
        if by == "shift":
            return self.shift_labels(local)
        carrier = self.meter(meter)["carrier"]
        tariffs = self.tariffs(carrier) or self.tariffs("electricity")
        return self.prices(tariffs, local)[2]
