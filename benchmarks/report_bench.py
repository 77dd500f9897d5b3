"""The monthly energy report on the demo plant (SQLite) with 400 days of history, so the same
month last year is there too, and a baseline on the main meters: the figures (the
`monthly_report` tool), the HTML with its charts, and the PDF, first call and median.

Run: `python -m benchmarks.report_bench [--home PATH] [--repeat 5] [--write]`. Without --home a
fresh store (or an empty --home) is filled with the demo plant first (a minute or two).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.report import report_file
from benchmarks.common import stamp, table, write_section
from common.timeutil import zone
from connectors.demo import load_demo
from ems_agent.app import open_app
from ems_agent.settings import load_settings
from ems_agent.slices import analytics_config
from store import catalog
from store.schema import BaselineModel
from tools.base import ToolContext
from tools.baseline import energy_baseline
from tools.report import monthly_report

BASELINED = ("main-incomer", "boiler")  # the report compares each with its baseline (EnPI)
TARGET_S = 10.0
NOTE = (
    "The report is single-threaded, so on a machine of its own its wall time comes close to "
    "its CPU time; on a shared one the wall time grows with the load average (run queue "
    "length) over the cores."
)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, float, Any]:
    """(first call s, median of the next `repeat` calls s, their median CPU s, the result).
    CPU time is this process's own: on a shared machine it shows what the wall time hides."""
    started = time.perf_counter()
    result = fn()
    first = time.perf_counter() - started
    walls, cpus = [], []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return first, statistics.median(walls), statistics.median(cpus), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", help="EMS_HOME holding the demo plant (400 days)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="ems-report-bench-"))
    fresh = not (home / "ems.db").exists()  # a --home from an earlier run is used as it is
    app = open_app(load_settings(home=home))
    if fresh:
        load_demo(app.engine, seed=42, days=400)
    with app.engine.connect() as conn:
        site = catalog.get_site(conn, "demo-plant")
    ctx = ToolContext(
        app.engine, site, datetime.now(zone(site.timezone)), analytics_config(app.settings)
    )
    for meter in BASELINED:
        energy_baseline(ctx, {"meter": meter, "baseline": "last 365 days"})
    try:
        rows = _measure(ctx, args.repeat)
    finally:
        with app.engine.begin() as conn:
            conn.execute(BaselineModel.__table__.delete())  # the benchmark's own fits
    body = "\n\n".join(
        [
            "## Monthly report",
            stamp() + " Command: `python -m benchmarks.report_bench`. The demo plant with 400 "
            f"days of history (SQLite), baselines on {', '.join(BASELINED)}; the report of "
            f"last month; seconds, the first call and the median of {args.repeat} more (wall and "
            f"this process's CPU). Load average when it ended: {_load()}.",
            table(["step", "first s", "median s", "median CPU s", "target"], rows),
            NOTE,
        ]
    )
    if args.write:
        write_section("report", body)
    print(body)


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def _measure(ctx: ToolContext, repeat: int) -> list[list[str]]:
    def figures() -> Any:
        return monthly_report(ctx, {"month": "last month"})

    def whole() -> bytes:
        return report_file(figures(), "pdf").content

    *fig, report = timed(figures, repeat)
    *page, _ = timed(lambda: report_file(report, "html"), repeat)
    *pdf, _ = timed(lambda: report_file(report, "pdf"), repeat)
    *both, made = timed(whole, repeat)
    last_year = any(m.last_year_kwh is not None for m in report.meters)
    if not made.startswith(b"%PDF") or not last_year:
        raise SystemExit("the report is not what the benchmark expects (PDF, last year's month)")
    label = f"{report.month}, {len(report.meters)} meters, {len(report.enpi)} EnPIs"
    steps = [
        (f"figures (`monthly_report`, {label})", fig, ""),
        ("HTML with its charts (matplotlib)", page, ""),
        ("PDF (HTML, then WeasyPrint)", pdf, ""),
        ("**report for a month** (figures + PDF)", both, f"< {TARGET_S:.0f} s"),
    ]
    return [[name, *(f"{t:.2f}" for t in times), target] for name, times, target in steps]


if __name__ == "__main__":
    main()
