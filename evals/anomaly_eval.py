"""Precision and recall of anomaly detection on the demo plant's labelled events.

Run: `python -m evals.anomaly_eval [--write]`. The demo plant (seed 42) is simulated afresh into
a temporary SQLite store, 14 months up to 2026-11-05, so the figures follow the simulator and
every run sees the same data; `--home PATH` checks an existing store instead (make run).
Detection runs month by month over the last twelve whole months, as a person asking "anything
unusual in <month>?" would; an event counts as found when a detected event overlaps it on its
meter (or on the meter's parent, which measures the same load). `--write` replaces the
"anomaly" section of evals/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from benchmarks.common import table, write_section
from connectors.demo import load_demo
from store import catalog
from store.engine import make_engine
from store.migrate import upgrade
from store.schema import EventLabel, Meter, Reading
from tools.anomaly import Event, detect_anomalies
from tools.base import ToolContext

RESULTS = Path(__file__).parent / "RESULTS.md"
DEMO_SEED = 42
DEMO_END = date(2026, 11, 5)
DEMO_DAYS = 430  # twelve whole months before DEMO_END's month, plus two months of history
MONTHS = 12
Label = tuple[str, str, int, int]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", default=None, help="EMS_HOME holding the demo plant")
    parser.add_argument("--write", action="store_true", help="write evals/RESULTS.md")
    args = parser.parse_args()
    if args.home:
        from ems_agent.app import open_app
        from ems_agent.settings import load_settings

        run(open_app(load_settings(home=Path(args.home))).engine, args.write, args.home)
        return
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'demo.db'}")
        upgrade(engine)
        load_demo(engine, seed=DEMO_SEED, days=DEMO_DAYS, end=DEMO_END)
        run(engine, args.write, None)
        engine.dispose()


def run(engine: Engine, write: bool, home: str | None) -> None:
    """Detect month by month on the store's demo plant and report against its labels."""
    with engine.connect() as conn:
        site = catalog.get_site(conn, "demo-plant")
        meters = {m.id: m for m in catalog.list_meters(conn, site.id)}
        labels = conn.execute(
            select(EventLabel.meter_id, EventLabel.kind, EventLabel.start_ts, EventLabel.end_ts)
            .join(Meter, Meter.id == EventLabel.meter_id)
            .where(Meter.site_id == site.id, EventLabel.source == "simulator")
        ).all()
        last = conn.execute(select(func.max(Reading.ts))).scalar_one()
    tz = ZoneInfo(site.timezone)
    parent = {m.name: meters[m.parent_id].name if m.parent_id else None for m in meters.values()}
    # "Now" is just after the last reading, as it would be for a plant streaming live.
    now = datetime.fromtimestamp(int(last) + 900, tz)
    months = _months(now, tz)
    lo = int(datetime.fromisoformat(f"{months[0]}-01").replace(tzinfo=tz).timestamp())
    hi = int(datetime.fromisoformat(f"{now:%Y-%m}-01").replace(tzinfo=tz).timestamp())
    truth = [(meters[m].name, kind, a, b) for m, kind, a, b in labels if a < hi and lo < b]
    events: list[Event] = []
    elapsed = []
    checked: set[str] = set()
    for month in months:
        ctx = ToolContext(engine, site, now)
        start = time.perf_counter()
        result = detect_anomalies(ctx, {"period": month})
        elapsed.append(time.perf_counter() - start)
        events += result.events
        checked |= set(result.meters_checked)
    body = report(truth, events, parent, months, elapsed, home, checked)
    if write:
        write_section("anomaly", body, RESULTS)
    print(body)


def _months(now: datetime, tz: ZoneInfo) -> list[str]:
    """The MONTHS whole months before the one holding `now`."""
    y, m = now.astimezone(tz).year, now.astimezone(tz).month
    months = []
    for _ in range(MONTHS):
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        months.append(f"{y}-{m:02d}")
    return months[::-1]


def _overlaps(
    event_meter: str, a: int, b: int, label: Label, parent: dict[str, str | None]
) -> bool:
    meter, _, la, lb = label
    return (event_meter == meter or event_meter == parent.get(meter)) and a < lb and la < b


def report(
    truth: list[Label],
    events: list[Event],
    parent: dict[str, str | None],
    months: list[str],
    elapsed: list[float],
    home: str | None,
    checked: set[str],
) -> str:
    """The RESULTS.md section: recall per injected kind, precision, unexplained events."""
    spans = [
        (
            e.meter,
            int(datetime.fromisoformat(e.start).timestamp()),
            int(datetime.fromisoformat(e.end).timestamp()),
            e,
        )
        for e in events
    ]
    found = [any(_overlaps(m, a, b, label, parent) for m, a, b, _ in spans) for label in truth]
    false = [
        e for m, a, b, e in spans if not any(_overlaps(m, a, b, label, parent) for label in truth)
    ]
    by_kind = Counter(kind for _, kind, _, _ in truth)
    found_kind = Counter(label[1] for label, ok in zip(truth, found, strict=True) if ok)
    # How each injected fault was reported: a leak found only as a stuck meter is a wrong story.
    as_kind = Counter(
        (label[1], e.kind)
        for label in truth
        for m, a, b, e in spans
        if _overlaps(m, a, b, label, parent) and m == label[0]
    )
    # Every meter checked counts, whether or not anything was found on it.
    meters = checked | {m for m, *_ in spans} | {label[0] for label in truth}
    meter_months = len(meters) * len(months)
    rows = [
        [
            kind,
            str(by_kind[kind]),
            str(found_kind[kind]),
            ", ".join(f"{k} x{n}" for (lk, k), n in sorted(as_kind.items()) if lk == kind) or "-",
        ]
        for kind in sorted(by_kind)
    ]
    true_events = len(spans) - len(false)
    store = (
        f"the store in {home}"
        if home
        else (f"the demo plant simulated afresh (seed {DEMO_SEED}, {DEMO_DAYS} days to {DEMO_END})")
    )
    command = "python -m evals.anomaly_eval --write" + (f" --home {home}" if home else "")
    return "\n\n".join(
        [
            "## Anomaly detection on the demo plant",
            f"{datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {os.cpu_count()} cores. "
            f"Command: `{command}`; {store}; {len(months)} months ({months[0]} to {months[-1]}) "
            f"checked one month at a time, {len(meters)} meters. Median time per month (all "
            f"meters): {sorted(elapsed)[len(elapsed) // 2]:.2f} s.",
            table(["injected event", "labelled", "found", "reported on its meter as"], rows),
            f"Recall: {sum(found)}/{len(truth)} labelled events found. Detected events: "
            f"{len(spans)}, of which {true_events} overlap a labelled event "
            f"(precision {true_events / max(len(spans), 1):.0%}); "
            f"{len(false)} unexplained events = {len(false) / meter_months:.2f} per meter-month "
            f"(target: at most 1).",
            "Unexplained events by meter and kind: "
            + (
                ", ".join(
                    f"{m} {k} x{n}"
                    for (m, k), n in sorted(Counter((e.meter, e.kind) for e in false).items())
                )
                or "none"
            ),
        ]
    )


if __name__ == "__main__":
    main()
