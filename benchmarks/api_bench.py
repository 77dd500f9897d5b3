"""The HTTP API on the one-year demo plant (SQLite): p95 latency of every read tool called over
HTTP with a viewer token, and HTTP ingestion of 5,000-reading batches into a fresh store.

Run: `python -m benchmarks.api_bench [--home PATH] [--repeat 40] [--write]`. Without --home a
fresh store is filled with the demo plant first (about a minute). The server is uvicorn on
127.0.0.1 in this process; the client is httpx with one keep-alive connection. With
`--ingest-only` only ingestion is measured and written (its own section): over HTTP and
in-process through the `ReadingsPost.post` the endpoint calls, to tell the HTTP layer's share
from parsing, checking and storing. With `--before DIR` (an earlier tree, `git archive REV |
tar -x -C DIR`) ingestion is measured in child processes that alternate between that tree and
this one, `--rounds` times, the earlier tree first in odd rounds; the medians of both go side
by side with the CPU ratio.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # A child, run as a file with the measured tree first on its path: not this folder (its
    # common.py would hide the product's `common`), and this tree only as a fallback.
    sys.path.remove(str(Path(__file__).resolve().parent))
    sys.path.append(str(Path(__file__).resolve().parent.parent))

import httpx
import orjson

from api.app import build_api, serve
from benchmarks.common import stamp, table, write_section
from benchmarks.tools_bench import CASES
from connectors.demo import load_demo
from ems_agent.api_wiring import api_deps
from ems_agent.app import open_app
from ems_agent.settings import load_settings

BATCH = 5_000
METERS = 50
SITE = "bench-site"


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


def tool_latency(client: httpx.Client, repeat: int) -> list[list[str]]:
    rows = []
    for name, payload, _ in CASES:
        if name in ("energy_baseline", "detect_anomalies"):
            continue  # model fits with their own targets (tools_bench); not reads of stored data
        times = []
        for i in range(repeat + 1):
            started = time.perf_counter()
            answer = client.post(f"/api/v1/tools/{name}", json=payload)
            elapsed = (time.perf_counter() - started) * 1000
            if answer.status_code != 200:
                raise SystemExit(f"{name}: {answer.status_code} {answer.text[:300]}")
            if i:  # the first call warms caches
                times.append(elapsed)
        args = ", ".join(f"{k}={v}" for k, v in payload.items())[:70]
        rows.append(
            [name, args, f"{statistics.median(times):,.0f}", f"{p95(times):,.0f}", "< 250 ms"]
        )
    return rows


def batches(count: int, fmt: str) -> list[tuple[bytes, str]]:
    """`count` bodies of 5,000 readings: 50 meters x 100 quarter-hours, each batch later."""
    start = int(time.time()) - 86400 * 300
    out = []
    for b in range(count):
        readings = [
            {
                "meter": f"gw-{i % METERS}",
                "metric": "energy",
                "ts": start + 900 * (b * (BATCH // METERS) + i // METERS),
                "value": round(1.0 + (i * 7919 % 1000) / 100, 3),
            }
            for i in range(BATCH)
        ]
        if fmt == "json":
            out.append((orjson.dumps(readings), "application/json"))
        elif fmt == "ndjson":
            out.append((b"\n".join(orjson.dumps(r) for r in readings), "application/x-ndjson"))
        else:
            lines = ["meter,metric,ts,value"] + [
                f"{r['meter']},energy,{r['ts']},{r['value']}" for r in readings
            ]
            out.append(("\n".join(lines).encode(), "text/csv"))
    return out


def _settle() -> None:
    """Keep the start-up's objects out of the collector's full passes, as `ems-agent api`
    does once it serves."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _fresh_store() -> Any:
    """A fresh store whose configured site takes the posted readings, which name none (a store
    with no site and none configured refuses them)."""
    home = Path(tempfile.mkdtemp(prefix="ems-api-ingest-"))
    return open_app(load_settings(home=home, site=SITE))


def _over_http(bodies: list[tuple[bytes, str]]) -> tuple[int, float, float]:
    """Readings stored, wall seconds and CPU seconds (client and server) of posting `bodies`."""
    app = _fresh_store()
    deps = api_deps(app)
    token = deps.tokens.create("bench", "operator").secret
    handle = serve(build_api(deps), "127.0.0.1", 0)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=handle.url, headers=headers, timeout=120) as client:
            # FastAPI builds its routing state on the first request: a start-up cost, untimed.
            client.get("/api/v1/metrics").raise_for_status()
            _settle()
            started, cpu = time.perf_counter(), time.process_time()
            stored = 0
            for body, kind in bodies:
                answer = client.post(
                    "/api/v1/readings", content=body, headers={"Content-Type": kind}
                )
                stored += answer.json()["stored"]
            return stored, time.perf_counter() - started, time.process_time() - cpu
    finally:
        handle.close()


def _in_process(bodies: list[tuple[bytes, str]]) -> tuple[int, float, float]:
    """The same posts through `ReadingsPost.post` with no HTTP, into another fresh store, with
    the WAL checkpoint thread the served API runs (on a tree that has one)."""
    app = _fresh_store()
    readings = api_deps(app).readings
    with _checkpoints(app.engine):
        _settle()
        started, cpu = time.perf_counter(), time.process_time()
        stored = sum(readings.post(body, kind, "bench").stored for body, kind in bodies)
        return stored, time.perf_counter() - started, time.process_time() - cpu


def _checkpoints(engine: Any) -> AbstractContextManager[Any]:
    try:
        from store.checkpoint import WalCheckpointer
    except ImportError:  # an earlier tree: its commits checkpoint the log themselves
        return nullcontext()
    return WalCheckpointer(engine)


def measured(count: int) -> dict[str, tuple[int, float, float]]:
    """Readings stored, wall and CPU seconds per body format and path ("json HTTP", ...)."""
    out = {}
    for fmt in ("json", "ndjson", "csv"):
        bodies = batches(count, fmt)
        for where, run in (("HTTP", _over_http), ("in-process", _in_process)):
            stored, elapsed, cpu = run(bodies)
            if stored != count * BATCH:
                raise SystemExit(f"{fmt} {where}: stored {stored:,} of {count * BATCH:,}")
            out[f"{fmt} {where}"] = (stored, elapsed, cpu)
    return out


def ingestion(
    count: int, found: dict[str, tuple[int, float, float]] | None = None
) -> list[list[str]]:
    rows = []
    for key, (stored, elapsed, cpu) in (found or measured(count)).items():
        rows.append(
            [
                *key.split(" "),
                f"{stored:,}",
                f"{elapsed / count * 1000:,.0f}",
                f"{cpu / count * 1000:,.0f}",
                f"{stored / elapsed:,.0f}",
                f"{stored / cpu:,.0f}",
                "≥ 100,000",
            ]
        )
    return rows


def _child(tree: Path, count: int) -> dict[str, tuple[int, float, float]]:
    """`measured(count)` in a child process on `tree`'s product, this file its harness."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", "--batches", str(count)],
        env=dict(os.environ, PYTHONPATH=str(tree)),
        capture_output=True,
        text=True,
        check=False,
        cwd=str(tree),
    )
    if done.returncode:
        raise SystemExit(f"the child on {tree} failed:\n{done.stderr[-3000:]}")
    found: dict[str, tuple[int, float, float]] = json.loads(done.stdout.splitlines()[-1])
    return found


def alternated(
    before: Path, count: int, rounds: int
) -> tuple[dict[str, tuple[int, float, float]], list[list[str]]]:
    """This tree's medians and the before/after rows: CPU and wall ms per post, the ratio."""
    runs: dict[str, list[dict[str, tuple[int, float, float]]]] = {"before": [], "now": []}
    trees = {"before": before, "now": Path(__file__).resolve().parent.parent}
    for i in range(rounds):
        for name in ("before", "now") if i % 2 == 0 else ("now", "before"):
            runs[name].append(_child(trees[name], count))

    def median(name: str, key: str, at: int) -> float:
        return statistics.median(run[key][at] for run in runs[name]) / count * 1000

    rows, now = [], {}
    for key in runs["now"][0]:
        cpu = (median("before", key, 2), median("now", key, 2))
        wall = (median("before", key, 1), median("now", key, 1))
        now[key] = (count * BATCH, wall[1] * count / 1000, cpu[1] * count / 1000)
        rows.append(
            [*key.split(" "), *(f"{c:.0f}" for c in cpu), f"{cpu[1] / cpu[0]:.2f}"]
            + [f"{w:.0f}" for w in wall]
        )
    return now, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", help="EMS_HOME holding the one-year demo plant")
    parser.add_argument("--repeat", type=int, default=40, help="Calls per tool.")
    parser.add_argument("--batches", type=int, default=40, help="5,000-reading posts per format.")
    parser.add_argument("--ingest-only", action="store_true", help="Measure ingestion only.")
    parser.add_argument("--tools-only", action="store_true", help="Measure the read tools only.")
    parser.add_argument("--write", action="store_true", help="Write benchmarks/RESULTS.md.")
    parser.add_argument("--before", help="An earlier tree to alternate with (ingestion only).")
    parser.add_argument("--rounds", type=int, default=3, help="Rounds of children (--before).")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measured(args.batches)))
        return
    if args.before:
        args.ingest_only = True
    if not args.ingest_only:
        load_start = os.getloadavg()[0]
        body = latency_report(tool_latencies(args), args, load_start)
        print(body)
        if args.write:
            write_section("api", body)
    if args.tools_only:
        return
    load = os.getloadavg()[0]
    if args.before:
        now, compared = alternated(Path(args.before), args.batches, args.rounds)
        body = ingest_report(ingestion(args.batches, now), args, load, compared)
    else:
        body = ingest_report(ingestion(args.batches), args, load)
    print(body)
    if args.write:
        write_section("api-ingest", body)


def tool_latencies(args: Any) -> list[list[str]]:
    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="ems-api-bench-"))
    app = open_app(load_settings(home=home))
    if not args.home:
        load_demo(app.engine, seed=42, days=365)
    deps = api_deps(app)
    token = deps.tokens.create(f"bench-{time.time_ns()}", "viewer").secret
    handle = serve(build_api(deps), "127.0.0.1", 0)
    try:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=handle.url, headers=headers, timeout=120) as client:
            return tool_latency(client, args.repeat)
    finally:
        handle.close()


def latency_report(latency: list[list[str]], args: Any, load_start: float) -> str:
    return "\n".join(
        [
            "## HTTP API",
            "",
            f"{stamp()} Command: `python -m benchmarks.api_bench --repeat {args.repeat} "
            + ("--tools-only" if args.tools_only else f"--batches {args.batches}")
            + " --write` (HTTP ingestion: the next section).",
            "",
            "Read tools over HTTP on the one-year demo plant (SQLite), viewer token, uvicorn on "
            "127.0.0.1 and an httpx client with one keep-alive connection; milliseconds per "
            f"call, end to end, over {args.repeat} calls after one warm-up call:",
            "",
            table(["tool", "arguments", "median ms", "p95 ms", "target"], latency),
            "",
            f"Load average (1 min) {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the "
            "end, on 2 cores.",
        ]
    )


def ingest_report(
    ingest: list[list[str]],
    args: Any,
    load_before: float,
    compared: list[list[str]] | None = None,
) -> str:
    header = [
        "body",
        "path",
        "readings",
        "wall ms per post",
        "CPU ms per post",
        "readings/s (wall)",
        "readings per CPU-second",
        "target",
    ]
    command = f"python -m benchmarks.api_bench --ingest-only --batches {args.batches}"
    if compared is not None:
        command += f" --before DIR --rounds {args.rounds}"
    lines = [
        "## HTTP ingestion",
        "",
        f"{stamp()} Command: `{command} --write`.",
        "",
        f"{args.batches} posts of 5,000 readings each per body format (50 meters x 100 "
        "quarter-hours, one post after the other) into a fresh SQLite store, rollups "
        "included. HTTP: uvicorn on 127.0.0.1 and an httpx client in this process; each "
        "post is parsed, checked, stored, committed and answered. In-process: the same "
        "bodies through `ReadingsPost.post` (what the endpoint calls) into another fresh "
        "store, with the WAL checkpoint thread the served API runs (on a tree that has one), "
        "which tells the HTTP layer's share apart. Both start timing after the "
        "start-up's objects are frozen out of garbage collection, as `ems-agent api` does. "
        "CPU is this process's CPU time (client and server for HTTP), which other work on a "
        "shared machine inflates less than the wall time"
        + (f"; medians of {args.rounds} runs:" if compared is not None else ":"),
        "",
        table(header, ingest),
    ]
    if compared is not None:
        lines += [
            "",
            f"Before and after in the same run: child processes alternating between DIR (the "
            f"earlier tree) and this one, {args.rounds} rounds, the earlier tree first in odd "
            "rounds; ms per post, medians:",
            "",
            table(
                [
                    "body",
                    "path",
                    "CPU before",
                    "CPU now",
                    "CPU ratio",
                    "wall before",
                    "wall now",
                ],
                compared,
            ),
        ]
    lines += [
        "",
        f"Load average (1 min): {load_before:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end, on 2 cores.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
