"""A small plant shaped unlike the demo, for the eval's truth and `eval --plant`: São Paulo time,
an hourly supply meter, a press with its production on its own meter, a gas kiln read in m3,
a daily office meter with a missing day, two dated electricity tariffs with a named peak, a
night shift over midnight and a one-day closure. Its readings are plain arrays, so tests can work
out every answer with numpy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from connectors.catalog_file import parse_plant
from connectors.catalog_sync import apply_plant
from store import catalog
from store.writes import write_readings

SITE = "campo"
TZ = "America/Sao_Paulo"  # UTC-03:00 all year (no DST since 2019)
START = datetime(2026, 3, 2, tzinfo=ZoneInfo(TZ))  # a Monday
DAYS = 7
WEEK = "2026-03-02..2026-03-08"
CALORIFIC = 10.0
SITE_AREA, OFFICE_AREA = 1000.0, 200.0
MISSING_DAY = 3  # the office meter sent nothing for Thursday 5 March

PLANT_FILE = f"""version: 1
site:
  name: {SITE}
  timezone: {TZ}
  country: BR
  region: SP
  currency: BRL
  floor_area_m2: {SITE_AREA}
  gas_calorific_value_kwh_per_m3: {CALORIFIC}
  shifts:
    - {{name: dia, days: [mon-fri], start: "06:00", end: "18:00"}}
    - {{name: noite, days: [mon-thu], start: "22:00", end: "06:00"}}
  closures:
    - {{name: manutencao, from: 2026-03-05, to: 2026-03-05}}
  tariffs:
    - carrier: electricity
      name: T1
      valid_to: 2026-03-03
      default_price: 0.5
      demand_charge_per_kw: 10
      periods: [{{name: ponta, days: [mon-fri], start: "18:00", end: "21:00", price: 2.0}}]
    - carrier: electricity
      name: T2
      valid_from: 2026-03-04
      default_price: 0.6
      demand_charge_per_kw: 20
      periods: [{{name: ponta, days: [mon-fri], start: "18:00", end: "21:00", price: 3.0}}]
    - {{carrier: gas, name: G, default_price: 0.3}}
  emission_factors:
    - {{carrier: electricity, kg_co2e_per_kwh: 0.1, source: test}}
    - {{carrier: gas, kg_co2e_per_kwh: 0.25, source: test}}
meters:
  - name: supply
    carrier: electricity
    series: [{{metric: energy, unit: kWh, interval: 1h}}]
  - name: press
    carrier: electricity
    parent: supply
    series:
      - {{metric: energy, unit: kWh, interval: 15min}}
      - {{metric: production, unit: unit, interval: 1h}}
  - name: kiln
    carrier: gas
    unit: m3
    series: [{{metric: volume, unit: m3, interval: 1h}}]
  - name: admin
    carrier: electricity
    floor_area_m2: {OFFICE_AREA}
    series: [{{metric: energy, unit: kWh, interval: 1d}}]
"""

ROLES_FILE = f"""version: 1
site: {SITE}
roles:
  site: {{value: {SITE}, says: {{phrase: the campo plant, currency: BRL, symbol: R$}}}}
  press_line: {{meter: press, says: {{spaced: the press}}}}
  kiln: {{meter: kiln, says: {{phrase: the kiln}}}}
absent:
  chiller: no cooling
"""


@dataclass(frozen=True)
class SmallPlant:
    """The plant's readings by index: hours (supply, press production, kiln m3), quarter-hours
    (press energy) and days (office, with `MISSING_DAY` absent)."""

    supply: np.ndarray
    press: np.ndarray
    made: np.ndarray
    kiln_m3: np.ndarray
    admin: np.ndarray

    @staticmethod
    def make(seed: int = 3) -> SmallPlant:
        rng = np.random.default_rng(seed)
        hour = np.arange(DAYS * 24) % 24
        weekday = (np.arange(DAYS * 24) // 24) % 7
        working = (weekday < 5) & (hour >= 6) & (hour < 18)
        quarter_working = np.repeat(working, 4)
        return SmallPlant(
            supply=100 + 80 * working + rng.uniform(0, 30, DAYS * 24),
            press=5 + 10 * quarter_working + rng.uniform(0, 3, DAYS * 96),
            made=np.where(working, 20.0, 0.0) + rng.integers(0, 3, DAYS * 24),
            kiln_m3=4 + rng.uniform(0, 2, DAYS * 24),
            admin=300 + rng.uniform(0, 50, DAYS),
        )

    def series(self) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
        """(meter, metric) -> (epoch seconds, values)."""
        first = int(START.timestamp())
        hours = first + 3600 * np.arange(DAYS * 24, dtype=np.int64)
        quarters = first + 900 * np.arange(DAYS * 96, dtype=np.int64)
        days = np.array(
            [int((START + timedelta(days=d)).timestamp()) for d in range(DAYS) if d != MISSING_DAY],
            dtype=np.int64,
        )
        return {
            ("supply", "energy"): (hours, self.supply),
            ("press", "energy"): (quarters, self.press),
            ("press", "production"): (hours, self.made),
            ("kiln", "volume"): (hours, self.kiln_m3),
            ("admin", "energy"): (days, np.delete(self.admin, MISSING_DAY)),
        }

    def load(self, engine: Engine) -> None:
        """Apply the plant file as `ems-agent catalog apply` would, then write the readings."""
        apply_plant(engine, parse_plant(PLANT_FILE, "campo.yaml", "yaml"))
        with engine.begin() as conn:
            site = catalog.get_site(conn, SITE)
            ids = {(m.name, s.metric): s.id for m, s in catalog.list_series(conn, site.id)}
            for key, (ts, values) in self.series().items():
                write_readings(conn, ids[key], ts, values.astype(np.float64), TZ)

    def csv(self, path: Path) -> Path:
        """The readings as a long CSV export with UTC timestamps."""
        units = {"energy": "kWh", "production": "unit", "volume": "m3"}
        rows = [
            {
                "timestamp": pd.Timestamp(int(t), unit="s", tz="UTC").isoformat(),
                "meter": meter,
                "metric": metric,
                "value": float(v),
                "unit": units[metric],
            }
            for (meter, metric), (ts, values) in self.series().items()
            for t, v in zip(ts, values, strict=True)
        ]
        pd.DataFrame(rows).to_csv(path, index=False)
        return path
