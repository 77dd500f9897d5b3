"""Start-up benchmark: how long `ems-agent --help`, `meters` and a meter question take end to end,
and how long pytest takes to start on one test file, against `python -c pass` as the floor.

Every run is a new process (a cold interpreter) with the operating system's file cache and the
bytecode caches warm, as on a machine where the package is installed: one untimed run first,
then `--repeat` timed runs, reported as median and spread (min-max). `--source` measures another
checkout of the code (e.g. an export of main) for a before/after comparison.

    python -m benchmarks.cli_bench [--repeat 7] [--source PATH --label before] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.common import stamp, table, write_section

ROOT = Path(__file__).resolve().parent.parent
CLI = "import sys; from ems_agent.cli import app; sys.argv[0] = 'ems-agent'; app()"
# A stated month, so that a server on the real clock and `--now` read the same period.
QUESTION = "What was compressor-2's peak demand in October 2026?"
NOW = "2026-11-05T09:00"


@dataclass(frozen=True)
class Case:
    name: str
    argv: list[str]
    target: str
    remote: bool = False  # forwarded to a running `ems-agent api` (EMS_REMOTE_URL)


@dataclass(frozen=True)
class Timing:
    case: Case
    runs: list[float]  # wall seconds
    cpu: list[float]  # user + system seconds of the process

    @property
    def median(self) -> float:
        return statistics.median(self.runs)


def cases(source: Path) -> list[Case]:
    py = sys.executable
    return [
        Case("python -c pass (floor)", [py, "-c", "pass"], ""),
        Case("ems-agent --help", [py, "-c", CLI, "--help"], "< 0.5 s"),
        Case("ems-agent meters", [py, "-c", CLI, "meters"], ""),
        Case(
            "ems-agent ask (meter question, offline model)",
            [py, "-c", CLI, "ask", QUESTION, "--now", NOW],
            "< 1.5 s",
        ),
        Case(
            "ems-agent ask, forwarded to a running `ems-agent api` (EMS_REMOTE_URL)",
            [py, "-c", CLI, "ask", QUESTION],
            "< 1.5 s",
            remote=True,
        ),
        Case(
            "pytest start-up, one file (collect tests/test_query_tool.py)",
            [
                py,
                "-m",
                "pytest",
                "-q",
                "--collect-only",
                "-p",
                "no:cacheprovider",
                str(source / "tests" / "test_query_tool.py"),
            ],
            "< 5 s",
        ),
    ]


def environment(source: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMS_", "OPENAI_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its bytecode cached
    env |= {"PYTHONPATH": str(source), "EMS_HOME": str(home)}
    return env


def run(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall time, and the CPU time the process used (which other load on the machine does not
    inflate the way it inflates the wall time)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[-3:])} failed ({done.returncode}):\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def demo_home(source: Path, work: Path) -> Path:
    """An EMS_HOME holding the demo plant's last 60 days up to NOW's date."""
    home = work / "home"
    env = environment(source, home)
    argv = [sys.executable, "-c", CLI, "demo", "--days", "60", "--end", NOW[:10]]
    subprocess.run(argv, env=env, cwd=source, check=True, capture_output=True, timeout=600)
    return home


@contextmanager
def api_server(source: Path, env: dict[str, str]) -> Iterator[dict[str, str]]:
    """`ems-agent api` on a free loopback port over the same store, and the variables that make
    `ask` forward to it."""
    made = subprocess.run(
        [sys.executable, "-c", CLI, "tokens", "create", "--name", "bench", "--json"],
        env=env,
        cwd=source,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    token = json.loads(made.stdout)["token"]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    argv = [sys.executable, "-c", CLI, "api", "--port", str(port)]
    server = subprocess.Popen(
        argv, env=env, cwd=source, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if (
                    httpx.get(
                        f"{url}/api/v1/health",
                        timeout=1,
                        headers={"Authorization": f"Bearer {token}"},
                    ).status_code
                    == 200
                ):
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise SystemExit(f"ems-agent api did not answer at {url} within two minutes")
        yield {"EMS_REMOTE_URL": url, "EMS_API_TOKEN": token}
    finally:
        server.terminate()
        server.wait(timeout=30)


def measure(source: Path, repeat: int) -> list[Timing]:
    with tempfile.TemporaryDirectory() as tmp:
        home = demo_home(source, Path(tmp))
        env = environment(source, home)
        timings = []
        with api_server(source, env) as forward:
            for case in cases(source):
                case_env = env | forward if case.remote else env
                run(case.argv, case_env, source)  # untimed: bytecode and file cache warm
                runs = [run(case.argv, case_env, source) for _ in range(repeat)]
                timings.append(Timing(case, [w for w, _ in runs], [c for _, c in runs]))
                print(f"{case.name}: median {timings[-1].median:.2f} s", file=sys.stderr)
        shutil.rmtree(home, ignore_errors=True)
    return timings


def markdown(results: dict[str, list[Timing]], repeat: int, command: str) -> str:
    labels = list(results)
    header = ["command"]
    for label in labels:
        header += [f"{label}: wall s, median (min-max)", f"{label}: CPU s"]
    header.append("target")
    rows = []
    for i, first in enumerate(results[labels[0]]):
        cells = []
        for label in labels:
            t = results[label][i]
            cells.append(f"{t.median:.2f} ({min(t.runs):.2f}-{max(t.runs):.2f})")
            cells.append(f"{statistics.median(t.cpu):.2f}")
        rows.append([first.case.name, *cells, first.case.target])
    load = os.getloadavg()[0]
    return "\n\n".join(
        [
            "## Command line and test start-up",
            f"{stamp()} Command: `{command}`. Load average at the end: {load:.2f}.",
            f"Wall time of a new process per run (cold interpreter, warm file and bytecode "
            f"caches), median of {repeat} runs after one untimed run, and the CPU time (user + "
            "system) the process used, which other load on a shared machine does not inflate; "
            "the demo plant's last 60 days as the store. `ask` is end to end: start, open the "
            "store, build the agent, answer with the offline model, print; forwarded, the "
            "agent runs in an `ems-agent api` started once beforehand on the same store and "
            "the command's CPU column is only the client's.",
            table(header, rows),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--source", type=Path, action="append", default=[])
    parser.add_argument("--label", action="append", default=[])
    parser.add_argument("--write", action="store_true", help="Write into benchmarks/RESULTS.md.")
    args = parser.parse_args()
    sources = [*args.source, ROOT]
    labels = [*args.label, "now"] if args.label else [str(s) for s in sources[:-1]] + ["now"]
    if len(labels) != len(sources):
        parser.error("give one --label per --source")
    pairs = zip(labels, sources, strict=True)
    results = {label: measure(src.resolve(), args.repeat) for label, src in pairs}
    command = "python -m benchmarks.cli_bench " + " ".join(sys.argv[1:])
    section = markdown(results, args.repeat, command.strip())
    print(section)
    if args.write:
        write_section("cli", section)


if __name__ == "__main__":
    main()
