"""Precision and recall of anomaly detection on the demo plant's labelled events.

Run: `python -m evals.anomaly_eval [--home PATH]` on a store holding the demo plant (make run).
Detection runs month by month, as a person asking "anything unusual in <month>?" would; an event
counts as found when a detected event overlaps it on its meter (or on the meter's parent, which
measures the same load). Writes the "anomaly" section of evals/RESULTS.md.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from benchmarks.common import table, write_section
from ems_agent.app import open_app
from ems_agent.settings import load_settings
from store import catalog
from store.schema import EventLabel, Meter, Reading
from tools.anomaly import detect_anomalies
from tools.base import ToolContext

RESULTS = Path(__file__).parent / "RESULTS.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", default=None, help="EMS_HOME holding the demo plant")
    args = parser.parse_args()
    settings = load_settings(**({"home": Path(args.home)} if args.home else {}))
    app = open_app(settings)
    with app.engine.connect() as conn:
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
    truth = [(meters[m].name, kind, a, b) for m, kind, a, b in labels]
    months = _months(truth, tz)
    # "Now" is just after the last reading, as it would be for a plant streaming live.
    now = datetime.fromtimestamp(int(last) + 900, tz)
    events, elapsed = [], []
    for month in months:
        ctx = ToolContext(app.engine, site, now)
        start = time.perf_counter()
        events += detect_anomalies(ctx, {"period": month}).events
        elapsed.append(time.perf_counter() - start)
    report(truth, events, parent, months, elapsed)


def _months(truth: list[tuple[str, str, int, int]], tz: ZoneInfo) -> list[str]:
    first = datetime.fromtimestamp(min(a for _, _, a, _ in truth), tz)
    last = datetime.fromtimestamp(max(b for _, _, _, b in truth), tz)
    months, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        months.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def _overlaps(
    event_meter: str,
    a: int,
    b: int,
    label: tuple[str, str, int, int],
    parent: dict[str, str | None],
) -> bool:
    meter, _, la, lb = label
    return (event_meter == meter or event_meter == parent.get(meter)) and a < lb and la < b


def report(truth, events, parent, months, elapsed) -> None:  # type: ignore[no-untyped-def]
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
    meters = {m for m, *_ in spans} | {label[0] for label in truth}
    meter_months = len(meters) * len(months)
    rows = [[kind, str(by_kind[kind]), str(found_kind[kind])] for kind in sorted(by_kind)]
    true_events = len(spans) - len(false)
    body = "\n\n".join(
        [
            "## Anomaly detection on the demo plant",
            f"Command: `python -m evals.anomaly_eval`; {len(months)} months ({months[0]} to "
            f"{months[-1]}) checked one month at a time, {len(meters)} meters. Median time per "
            f"month (all meters): {sorted(elapsed)[len(elapsed) // 2]:.2f} s.",
            table(["injected event", "labelled", "found"], rows),
            f"Recall: {sum(found)}/{len(truth)} labelled events found. Detected events: "
            f"{len(spans)}, of which {true_events} overlap a labelled event "
            f"(precision {true_events / max(len(spans), 1):.0%}); "
            f"{len(false)} unexplained events = {len(false) / meter_months:.2f} per meter-month "
            f"(target: at most 1).",
            "Unexplained events by meter and kind: "
            + ", ".join(
                f"{m} {k} x{n}"
                for (m, k), n in sorted(Counter((e.meter, e.kind) for e in false).items())
            ),
        ]
    )
    write_section("anomaly", body, RESULTS)
    print(body)


if __name__ == "__main__":
    main()
