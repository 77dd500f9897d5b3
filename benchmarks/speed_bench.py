"""Before and after in one run: the HTTP API's read tools and the monthly report, timed in
child processes that alternate between an earlier source tree and this one on the same store,
so both see the same load; wall and CPU time, and a check that both give the same figures.

Run: `python -m benchmarks.speed_bench --home PATH --before DIR [--rounds 3] [--write]`, where
PATH is an EMS_HOME holding the demo plant with 400 days of history (`load_demo(..., days=400)`)
and DIR an earlier tree (`git archive REV | tar -x -C DIR`). Each round runs the API child and
the report child of each tree, the earlier tree first in odd rounds and second in even ones.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # A child, run as a file with the measured tree first on its path: not this folder (its
    # common.py would hide the product's `common`), and this tree only as a fallback.
    sys.path.remove(str(Path(__file__).resolve().parent))
    sys.path.append(str(Path(__file__).resolve().parent.parent))
from benchmarks.common import stamp, table, write_section

HERE = Path(__file__).resolve().parent.parent
REPORTED_METERS = ("main-incomer", "boiler")


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


def _api(home: Path, repeat: int, now: datetime) -> dict[str, Any]:
    """Each read tool over HTTP: wall ms per call, this process's CPU ms (server and client)."""
    import httpx

    from api.app import build_api, serve
    from benchmarks.tools_bench import CASES
    from ems_agent.api_wiring import api_deps
    from ems_agent.app import open_app
    from ems_agent.context import fixed_clock
    from ems_agent.settings import load_settings

    deps = api_deps(open_app(load_settings(home=home), clock=fixed_clock(now)))
    token = deps.tokens.create(f"bench-{time.time_ns()}", "viewer").secret
    handle = serve(build_api(deps), "127.0.0.1", 0)
    out: dict[str, Any] = {}
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=handle.url, headers=headers, timeout=120) as client:
            for name, payload, _ in CASES:
                if name in ("energy_baseline", "detect_anomalies"):
                    continue  # model fits, with their own targets (tools_bench)
                walls, cpus, body = [], [], {}
                for i in range(repeat + 1):
                    started, cpu = time.perf_counter(), time.process_time()
                    answer = client.post(f"/api/v1/tools/{name}", json=payload)
                    wall, used = time.perf_counter() - started, time.process_time() - cpu
                    if answer.status_code != 200:
                        raise SystemExit(f"{name}: {answer.status_code} {answer.text[:300]}")
                    if i:  # the first call warms caches
                        walls.append(wall * 1000)
                        cpus.append(used * 1000)
                    body = answer.json()
                args = ", ".join(f"{k}={v}" for k, v in payload.items())[:60]
                out[f"{name} | {args}"] = {
                    "wall": walls,
                    "cpu": cpus,
                    "figures": json.dumps(body, sort_keys=True),
                }
    finally:
        handle.close()
    return out


def _report(home: Path, repeat: int, now: datetime) -> dict[str, Any]:
    """Last month's report: the figures, then figures and PDF; wall and CPU seconds."""
    from agent.report import report_file
    from common.timeutil import zone
    from ems_agent.app import open_app
    from ems_agent.settings import load_settings
    from ems_agent.slices import analytics_config
    from store import catalog
    from store.schema import BaselineModel
    from tools.base import ToolContext
    from tools.baseline import energy_baseline
    from tools.report import monthly_report

    app = open_app(load_settings(home=home))
    with app.engine.connect() as conn:
        site = catalog.get_site(conn, "demo-plant")
    ctx = ToolContext(
        app.engine, site, now.astimezone(zone(site.timezone)), analytics_config(app.settings)
    )
    for meter in REPORTED_METERS:
        energy_baseline(ctx, {"meter": meter, "baseline": "last 365 days"})
    out: dict[str, Any] = {}
    try:
        steps = {
            "figures": lambda: monthly_report(ctx, {"month": "last month"}),
            "figures + PDF": lambda: report_file(
                monthly_report(ctx, {"month": "last month"}), "pdf"
            ),
        }
        for step, run in steps.items():
            run()
            walls, cpus = [], []
            for _ in range(repeat):
                started, cpu = time.perf_counter(), time.process_time()
                run()
                walls.append(time.perf_counter() - started)
                cpus.append(time.process_time() - cpu)
            out[step] = {"wall": walls, "cpu": cpus}
        figures = monthly_report(ctx, {"month": "last month"}).model_dump(mode="json")
        figures.pop("generated_at", None)
        out["figures"]["figures"] = json.dumps(figures, sort_keys=True)
    finally:
        with app.engine.begin() as conn:
            conn.execute(BaselineModel.__table__.delete())  # the benchmark's own fits
    return out


def _child(tree: Path, what: str, home: Path, repeat: int, now: datetime) -> dict[str, Any]:
    """One child on `tree`'s product; this file is its harness, the same for both trees."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    argv = ["--child", what, "--home", str(home), "--repeat", str(repeat), "--before", str(tree)]
    argv += ["--now", now.isoformat()]
    done = subprocess.run(
        [sys.executable, __file__, *argv],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=str(tree),
    )
    if done.returncode:
        raise SystemExit(f"{what} on {tree}: {done.stderr[-2000:]}")
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def _merge(into: dict[str, Any], found: dict[str, Any]) -> None:
    for key, value in found.items():
        slot = into.setdefault(key, {"wall": [], "cpu": [], "figures": set()})
        slot["wall"] += value["wall"]
        slot["cpu"] += value["cpu"]
        if "figures" in value:
            slot["figures"].add(value["figures"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", required=True, help="EMS_HOME with the 400-day demo plant")
    parser.add_argument("--before", required=True, help="the earlier source tree")
    parser.add_argument("--label", default="before", help="what to call the earlier tree")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=10, help="API calls per tool and round")
    parser.add_argument("--report-repeat", type=int, default=2, help="reports per round")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    parser.add_argument("--section", default="speed", help="the RESULTS.md section to write")
    parser.add_argument("--child", choices=["api", "report"], help=argparse.SUPPRESS)
    parser.add_argument("--now", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run = _api if args.child == "api" else _report
        print(json.dumps(run(Path(args.home), args.repeat, datetime.fromisoformat(args.now))))
        return
    # One clock for every child, so both trees answer the same questions ("last 365 days").
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    trees = {args.label: Path(args.before).resolve(), "now": HERE}
    api: dict[str, dict[str, Any]] = {label: {} for label in trees}
    report: dict[str, dict[str, Any]] = {label: {} for label in trees}
    load_start = os.getloadavg()[0]
    for r in range(args.rounds):
        order = list(trees.items()) if r % 2 == 0 else list(trees.items())[::-1]
        for label, tree in order:
            _merge(api[label], _child(tree, "api", Path(args.home), args.repeat, now))
            found = _child(tree, "report", Path(args.home), args.report_repeat, now)
            _merge(report[label], found)
    body = _markdown(args, api, report, load_start)
    print(body)
    if args.write:
        write_section(args.section, body)


def _same(a: dict[str, Any], b: dict[str, Any]) -> str:
    """'yes' for the same JSON byte for byte, 'to rounding' where only numbers differ and
    by no more than a billionth of their size (the last bits of a sum in another order)."""
    figures = a.get("figures", set()) | b.get("figures", set())
    if len(figures) <= 1:
        return "yes" if figures else ""
    first, *others = (json.loads(f) for f in figures)
    return "to rounding" if all(_close(first, o) for o in others) else "**no**"


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float | int) and isinstance(b, float | int):
        return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1e-9)
    return bool(a == b)


def _markdown(
    args: Any, api: dict[str, dict[str, Any]], report: dict[str, dict[str, Any]], load: float
) -> str:
    before, now = api[args.label], api["now"]
    rows = []
    for key in now:
        tool, arguments = key.split(" | ")
        b, n = before[key], now[key]
        rows.append(
            [tool, arguments]
            + [f"{statistics.median(x['wall']):,.0f}" for x in (b, n)]
            + [f"{p95(x['wall']):,.0f}" for x in (b, n)]
            + [f"{statistics.median(x['cpu']):,.0f}" for x in (b, n)]
            + [f"{statistics.median(n['cpu']) / statistics.median(b['cpu']):.2f}", _same(b, n)]
        )
    lab = args.label
    api_head = ["tool", "arguments", f"{lab} median ms", "now median ms", f"{lab} p95 ms"]
    api_head += ["now p95 ms", f"{lab} CPU ms", "now CPU ms", "CPU ratio", "same figures"]
    rep_rows = []
    for step in report["now"]:
        b, n = report[lab][step], report["now"][step]
        rep_rows.append(
            [step]
            + [f"{statistics.median(x['wall']):.2f}" for x in (b, n)]
            + [f"{statistics.median(x['cpu']):.2f}" for x in (b, n)]
            + [f"{statistics.median(n['cpu']) / statistics.median(b['cpu']):.2f}", _same(b, n)]
        )
    rep_head = ["step", f"{lab} wall s", "now wall s", f"{lab} CPU s", "now CPU s"]
    rep_head += ["CPU ratio", "same figures"]
    calls = args.rounds * args.repeat
    return "\n\n".join(
        [
            "## Speed: before and after, one run",
            f"{stamp()} Command: `python -m benchmarks.speed_bench --home PATH --before DIR "
            f"--label {lab} --rounds {args.rounds} --repeat {args.repeat}`, PATH the demo "
            "plant with 400 days of history (SQLite), DIR the earlier tree. Child processes "
            f"alternate between the trees, {args.rounds} rounds; load average (1 min) "
            f"{load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, on 2 cores shared "
            "with other work. CPU is the process's own (server and client for HTTP), which "
            "other work inflates less than wall time.",
            f"Read tools over HTTP (viewer token, uvicorn on 127.0.0.1, one keep-alive "
            f"connection), {calls} calls per tool and tree after a warm-up call each round:",
            table(api_head, rows),
            f"The monthly report of last month (baselines on {', '.join(REPORTED_METERS)}), "
            f"{args.rounds * args.report_repeat} reports per step and tree, medians:",
            table(rep_head, rep_rows),
        ]
    )


if __name__ == "__main__":
    main()
