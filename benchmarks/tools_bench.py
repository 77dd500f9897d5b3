"""Tool latency on the one-year demo plant (SQLite): median milliseconds per call.

Run: `python -m benchmarks.tools_bench [--home PATH]`. Without --home a fresh store is filled
with the demo plant first. Writes the "tools" section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.common import median_ms, stamp, table, write_section
from common.timeutil import zone
from connectors.demo import load_demo
from ems_agent.app import analytics_config, open_app
from ems_agent.settings import load_settings
from store import catalog
from store.schema import BaselineModel
from tools.base import ToolContext
from tools.registry import all_tools

REGISTRY = all_tools()

CASES: list[tuple[str, dict[str, Any], str]] = [
    ("query_metric", {"meters": ["chiller"], "period": "last year"}, "< 200 ms"),
    ("query_metric", {"period": "last 365 days", "grain": "month"}, "< 200 ms"),
    (
        "compute_kpi",
        {"kpi": "peak_demand", "meter": "main-incomer", "period": "last month"},
        "< 200 ms",
    ),
    (
        "compute_kpi",
        {"kpi": "cost", "meter": "main-incomer", "period": "last 365 days"},
        "< 200 ms",
    ),
    ("compute_kpi", {"kpi": "sec", "meter": "line-a", "period": "last month"}, "< 200 ms"),
    ("compare_periods", {"period": "last month", "reference": "last year"}, "< 200 ms"),
    ("rank_meters", {"period": "last 365 days"}, "< 200 ms"),
    (
        "split_consumption",
        {"meter": "main-incomer", "period": "last month", "by": "shift"},
        "< 200 ms",
    ),
    ("data_coverage", {"period": "last month"}, "< 200 ms"),
    (
        "run_sql",
        {"sql": "SELECT meter, SUM(sum) FROM meter_rollups WHERE grain = 'day' GROUP BY meter"},
        "< 200 ms",
    ),
    ("forecast", {"meter": "main-incomer", "horizon": "7d", "demand_limit_kw": 1200}, "< 200 ms"),
    ("list_alert_rules", {}, "< 200 ms"),
    (
        "energy_baseline",
        {"meter": "chiller", "baseline": "last 365 days", "reporting": "last month"},
        "< 2 s (fit)",
    ),
    ("detect_anomalies", {"meters": ["compressor-1"], "period": "last month"}, "< 5 s (fit)"),
    ("detect_anomalies", {"period": "last month"}, "all 9 meters"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", help="EMS_HOME holding the one-year demo plant")
    args = parser.parse_args()
    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="ems-tools-bench-"))
    app = open_app(load_settings(home=home))
    if not args.home:
        load_demo(app.engine, seed=42, days=365)
    with app.engine.connect() as conn:
        site = catalog.get_site(conn, "demo-plant")
    now = datetime.now(zone(site.timezone))
    ctx = ToolContext(app.engine, site, now, analytics_config(app.settings))
    rows = []
    for name, payload, target in CASES:
        tool = REGISTRY[name]
        first = time.perf_counter()
        tool(ctx, payload)
        first_ms = (time.perf_counter() - first) * 1000
        repeat = 3 if name in ("detect_anomalies", "energy_baseline") else 9
        median = median_ms(lambda tool=tool, payload=payload: tool(ctx, payload), repeat=repeat)
        args_text = ", ".join(f"{k}={v}" for k, v in payload.items())
        rows.append([name, args_text[:70], f"{first_ms:,.0f}", f"{median:,.0f}", target])
    with app.engine.begin() as conn:
        conn.execute(BaselineModel.__table__.delete())  # the benchmark's own fits
    body = "\n\n".join(
        [
            "## Tools: latency on the one-year demo plant (SQLite)",
            stamp() + " Command: `python -m benchmarks.tools_bench`. Milliseconds: the first "
            "call, then the median of repeated calls.",
            table(["tool", "arguments", "first ms", "median ms", "target"], rows),
        ]
    )
    write_section("tools", body)
    print(body)


if __name__ == "__main__":
    main()
