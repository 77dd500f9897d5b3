"""Coverage, KPIs and queries judged at each series' own interval: median milliseconds per call
over a year of 1-minute readings (525,600 rows) beside a daily meter (SQLite).

Run: `python -m benchmarks.intervals_bench [--home PATH] [--no-write]`. A store without the
benchmark's site is filled from generated CSV files through the importer, as a user would load
them. With
`--no-write` it prints the table only: run the file with PYTHONPATH pointing at another
checkout (e.g. main) for a before/after comparison on the same data.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from benchmarks.common import median_ms, stamp, table, write_section
from connectors.importer import import_file
from connectors.parsing import ParseOptions
from ems_agent.app import analytics_config, open_app
from ems_agent.settings import load_settings
from store import catalog
from tools.base import ToolContext
from tools.registry import all_tools

SITE, TZ = "interval-bench", "Europe/Berlin"
NOW = datetime(2026, 1, 5, 9, tzinfo=ZoneInfo(TZ))
FINE, DAILY = "feed 1min", "utility daily"

CASES: list[tuple[str, dict[str, Any]]] = [
    ("data_coverage", {"period": "last 365 days"}),
    ("data_coverage", {"meters": [FINE], "period": "last month"}),
    ("compute_kpi", {"kpi": "energy", "meter": FINE, "period": "last 365 days"}),
    ("compute_kpi", {"kpi": "peak_demand", "meter": FINE, "period": "last 365 days"}),
    ("compute_kpi", {"kpi": "load_factor", "meter": FINE, "period": "last month"}),
    ("compute_kpi", {"kpi": "energy", "meter": DAILY, "period": "last 365 days"}),
    ("query_metric", {"meters": [FINE], "period": "last 365 days", "grain": "day"}),
    ("query_metric", {"meters": [FINE], "period": "last week", "grain": "15min"}),
    ("rank_meters", {"period": "last 365 days"}),
]


def _write_csvs(folder: Path) -> list[Path]:
    rng = np.random.default_rng(1)
    minutes = pd.date_range("2025-01-01", "2026-01-01", freq="min", inclusive="left")
    load = 40 + 25 * np.sin(2 * np.pi * minutes.hour / 24) + rng.normal(0, 3, len(minutes))
    fine = folder / "fine.csv"
    pd.DataFrame(
        {"timestamp": minutes.strftime("%Y-%m-%d %H:%M"), f"{FINE} [kWh]": load.round(3) / 60}
    ).to_csv(fine, index=False)
    days = pd.date_range("2025-01-01", "2025-12-31", freq="D")
    daily = folder / "daily.csv"
    pd.DataFrame(
        {"date": days.strftime("%Y-%m-%d"), f"{DAILY} [kWh]": rng.normal(900, 50, len(days))}
    ).to_csv(daily, index=False)
    return [fine, daily]


def _load(engine: Any, folder: Path) -> float:
    start = time.perf_counter()
    for path in _write_csvs(folder):
        import_file(engine, path, site=SITE, options=ParseOptions(timezone=TZ))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", help="EMS_HOME (the data is loaded once, then reused)")
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md alone")
    args = parser.parse_args()
    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="ems-iv-bench-"))
    app = open_app(load_settings(home=home))
    with app.engine.connect() as conn:
        known = any(s.name == SITE for s in catalog.list_sites(conn))
    loaded = None if known else _load(app.engine, home)
    with app.engine.connect() as conn:
        site = catalog.get_site(conn, SITE)
    ctx = ToolContext(app.engine, site, NOW, analytics_config(app.settings))
    registry = all_tools()
    rows = []
    for name, payload in CASES:
        tool = registry[name]
        first = time.perf_counter()
        tool(ctx, payload)
        first_ms = (time.perf_counter() - first) * 1000
        median = median_ms(lambda tool=tool, payload=payload: tool(ctx, payload), repeat=7)
        args_text = ", ".join(f"{k}={v}" for k, v in payload.items())
        rows.append([name, args_text[:70], f"{first_ms:,.0f}", f"{median:,.0f}"])
    load_text = f" Import of both files: {loaded:,.1f} s." if loaded is not None else ""
    body = "\n\n".join(
        [
            "## Any interval: a year of 1-minute readings (SQLite)",
            stamp() + " Command: `python -m benchmarks.intervals_bench`. Milliseconds: the "
            "first call, then the median of 7 calls." + load_text,
            table(["tool", "arguments", "first ms", "median ms"], rows),
        ]
    )
    if not args.no_write:
        write_section("intervals", body)
    print(body)


if __name__ == "__main__":
    main()
