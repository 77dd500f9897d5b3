"""Loading the demo plant into the store: meters, simulated history and its labelled events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import numpy as np
from sqlalchemy import Connection, Engine, delete, func, insert, select

from common.timeutil import zone
from connectors.catalog_sync import ApplyReport, apply_plant
from connectors.plant import PlantSpec, demo_document, demo_plant
from connectors.simulator import simulate
from store import catalog
from store.schema import EventLabel, Meter, Reading, Series, Site
from store.writes import WriteStats, write_readings

Progress = Callable[[str, int, int], None]


@dataclass
class DemoReport:
    site: str
    timezone: str
    start: datetime
    end: datetime
    meters: int
    series: int
    stats: WriteStats
    events: int
    catalogue: list[str] = field(default_factory=list)  # what applying the plant file changed


def demo_window(plant: PlantSpec, days: int, end: date | None = None) -> tuple[datetime, datetime]:
    """The `days` whole local days ending at the start of `end` (default: today, site time)."""
    tz = zone(plant.timezone)
    last = end or datetime.now(tz).date()
    stop = datetime.combine(last, time(0), tzinfo=tz)
    return datetime.combine(last - timedelta(days=days), time(0), tzinfo=tz), stop


def has_data(engine: Engine, site: str) -> bool:
    with engine.connect() as conn:
        count = conn.execute(
            select(func.count())
            .select_from(Reading)
            .join(Series, Series.id == Reading.series_id)
            .join(Meter, Meter.id == Series.meter_id)
            .where(Meter.site_id == select(Site.id).where(Site.name == site).scalar_subquery())
            .limit(1)
        ).scalar_one()
    return bool(count)


def apply_demo_catalogue(engine: Engine) -> ApplyReport:
    """Apply the demo plant's file to the store, as `ems-agent catalog apply` would."""
    return apply_plant(engine, demo_document(), list_absent=False)


def _series_ids(engine: Engine, plant: PlantSpec) -> dict[tuple[str, str], int]:
    with engine.connect() as conn:
        site = catalog.get_site(conn, plant.site)
        return {(m.name, s.metric): s.id for m, s in catalog.list_series(conn, site.id)}


def load_demo(
    engine: Engine,
    *,
    seed: int,
    days: int = 365,
    end: date | None = None,
    progress: Progress | None = None,
) -> DemoReport:
    """Create the demo site and write its simulated history; loading it again changes nothing."""
    plant = demo_plant()
    start, stop = demo_window(plant, days, end)
    catalogue = apply_demo_catalogue(engine)
    series = _series_ids(engine, plant)
    stats = WriteStats()
    events = []
    month = start
    total_days = (stop - start).days
    # A month at a time keeps memory flat and lets the bar move.
    while month < stop:
        chunk_end = min(month + timedelta(days=31), stop)
        sim = simulate(plant, month, chunk_end, seed)
        events.extend(sim.events)
        with engine.begin() as conn:
            for (meter, metric), group in sim.frame.groupby(["meter", "metric"], sort=False):
                stats += write_readings(
                    conn,
                    series[(str(meter), str(metric))],
                    group["ts"].to_numpy(np.int64),
                    group["value"].to_numpy(np.float64),
                    plant.timezone,
                )
        month = chunk_end
        if progress is not None:
            progress("simulate", (month - start).days, total_days)
    unique_events = {(e.meter, e.kind, e.start): e for e in events}
    with engine.begin() as conn:
        site = catalog.get_site(conn, plant.site)
        _store_labels(conn, site.id, list(unique_events.values()))
    return DemoReport(
        site=plant.site,
        timezone=plant.timezone,
        start=start,
        end=stop,
        meters=len(plant.meters),
        series=len(series),
        stats=stats,
        events=len(unique_events),
        catalogue=catalogue.lines(),
    )


def _store_labels(conn: Connection, site_id: int, events: list) -> None:  # type: ignore[type-arg]
    """Replace the simulator's labels with the events of this load (user labels stay)."""
    meters = {m.name: m.id for m in catalog.list_meters(conn, site_id)}
    conn.execute(
        delete(EventLabel).where(
            EventLabel.source == "simulator", EventLabel.meter_id.in_(list(meters.values()))
        )
    )
    for e in sorted(events, key=lambda e: (e.start, e.meter)):
        conn.execute(
            insert(EventLabel).values(
                meter_id=meters[e.meter],
                kind=e.kind,
                start_ts=int(e.start.timestamp()),
                end_ts=int(e.end.timestamp()),
                description=e.description,
                source="simulator",
                # Ground truth for tests and evals, not knowledge the tools may use.
                exclude=False,
                details=dict(e.details),
            )
        )
