"""Giving any plant file a history: apply the file, synthesize its series and store them (or
write them as a long CSV with UTC timestamps that `import-csv` reads), with the injected faults
kept as event labels.

A scenario says how: the seed, how many days up to which end, declared faults, whether to draw
more from the seed, and load traits for chosen meters. It is a small YAML file of its own, so a
plant file stays a plain plant file.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, Engine, delete, insert

from common.errors import EMSError
from common.timeutil import zone
from connectors.catalog_file import PlantDocument
from connectors.catalog_sync import apply_plant, read_catalogue
from connectors.importer import ImportReport, import_file
from connectors.parsing import ParseOptions
from connectors.synth import PlantView, Synthesis, Traits, plant_faults, plant_traits, synthesize
from connectors.synth_faults import Fault, FaultSpec
from store import catalog
from store.schema import EventLabel
from store.writes import WriteStats, write_readings

Progress = Callable[[str, int, int], None]
CHUNK_DAYS = 31  # a month at a time keeps memory flat and lets a progress bar move
LABEL_SOURCE = "simulator"  # ground truth for tests and evals, as the demo plant's labels


class InvalidScenario(EMSError):
    """A scenario file (or its faults and traits) that does not fit the plant."""


class TraitsSpec(BaseModel):
    """Load traits a scenario sets for one meter; the others keep their drawn values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base: float | None = Field(default=None, ge=0)
    shift: float | None = Field(default=None, ge=0)
    cooling: float | None = Field(default=None, ge=0)
    heating: float | None = Field(default=None, ge=0)
    daylight: float | None = Field(default=None, ge=0, le=1)
    per_unit: float | None = Field(default=None, ge=0)
    rate: float | None = Field(default=None, ge=0)

    def given(self) -> dict[str, float]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class Scenario(BaseModel):
    """How to simulate a plant's history."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = 42
    days: int = Field(default=365, ge=1, le=3660)
    end: date | None = None  # the first day not simulated; None: today at the site
    random_faults: bool = False
    faults: list[FaultSpec] = Field(default_factory=list)
    traits: dict[str, TraitsSpec] = Field(default_factory=dict)


def read_scenario(path: Path) -> Scenario:
    """A scenario YAML file; InvalidScenario names what is wrong."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return Scenario.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidScenario(f"{path.name}: cannot read it ({exc})") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidScenario(f"{path.name}: {problems}") from None


@dataclass(frozen=True)
class Plan:
    """A scenario resolved against a plant: its window, traits and faults."""

    plant: PlantView
    seed: int
    start: datetime
    end: datetime
    traits: Mapping[str, Traits]
    faults: Sequence[Fault]


def history_window(timezone: str, days: int, end: date | None) -> tuple[datetime, datetime]:
    """`days` whole local days ending at the start of `end` (default: today at the site)."""
    tz = zone(timezone)
    last = end or datetime.now(tz).date()
    stop = datetime.combine(last, time(0), tzinfo=tz)
    return datetime.combine(last - timedelta(days=days), time(0), tzinfo=tz), stop


def check_meters(scenario: Scenario, meters: Iterable[str]) -> None:
    """InvalidScenario naming each meter the scenario gives that the plant does not have."""
    known = set(meters)
    unknown = sorted(({f.meter for f in scenario.faults} | set(scenario.traits)) - known)
    if unknown:
        raise InvalidScenario(
            f"the scenario names meters the plant does not have: {', '.join(unknown)}; "
            f"its meters: {', '.join(sorted(known))}"
        )


def plan(plant: PlantView, scenario: Scenario) -> Plan:
    """The scenario's window, traits and faults for this plant; InvalidScenario names a meter
    it gives that the plant does not have."""
    check_meters(scenario, plant.meters)
    start, end = history_window(plant.timezone, scenario.days, scenario.end)
    overrides = {name: spec.given() for name, spec in scenario.traits.items()}
    traits = plant_traits(plant, scenario.seed, overrides)
    faults = plant_faults(
        plant,
        scenario.seed,
        start,
        end,
        declared=scenario.faults,
        random=scenario.random_faults,
        traits=traits,
    )
    return Plan(plant, scenario.seed, start, end, traits, faults)


def chunks(p: Plan) -> Iterator[tuple[datetime, datetime, Synthesis]]:
    """The plan's history a month at a time (local midnights, so days stay whole)."""
    month = p.start
    while month < p.end:
        stop = min(month + timedelta(days=CHUNK_DAYS), p.end)
        yield (
            month,
            stop,
            synthesize(p.plant, month, stop, p.seed, traits=p.traits, faults=p.faults),
        )
        month = stop


# ------------------------------------------------------------------ into the store


@dataclass
class LoadReport:
    site: str
    timezone: str
    start: datetime
    end: datetime
    meters: int
    series: int
    stats: WriteStats
    faults: int
    skipped: list[str] = field(default_factory=list)  # series not simulated, with why
    catalogue: list[str] = field(default_factory=list)  # what applying the plant file changed


def load_plant(
    engine: Engine,
    document: PlantDocument,
    scenario: Scenario,
    *,
    progress: Progress | None = None,
) -> LoadReport:
    """Apply a plant file and write its synthetic history and fault labels to the store;
    loading it again changes nothing. A scenario that does not fit changes nothing either."""
    _check_before_applying(engine, document, scenario)
    applied = apply_plant(engine, document, list_absent=False)
    with engine.connect() as conn:
        current = read_catalogue(conn, document.plant.site.name)
    p = plan(PlantView.of_catalogue(current), scenario)
    stats = WriteStats()
    skipped: dict[tuple[str, str], str] = {}
    total = (p.end - p.start).days
    for _, stop, synthesis in chunks(p):
        skipped |= synthesis.skipped
        with engine.begin() as conn:
            for (meter, metric), group in synthesis.frame.groupby(["meter", "metric"], sort=False):
                stats += write_readings(
                    conn,
                    current.series_ids[(str(meter), str(metric))],
                    group["ts"].to_numpy(np.int64),
                    group["value"].to_numpy(np.float64),
                    p.plant.timezone,
                )
        if progress is not None:
            progress("simulate", (stop - p.start).days, total)
    with engine.begin() as conn:
        store_labels(conn, document.plant.site.name, p.faults)
    return _report(p, stats, skipped, applied.lines())


def _check_before_applying(engine: Engine, document: PlantDocument, scenario: Scenario) -> None:
    with engine.connect() as conn:
        stored = read_catalogue(conn, document.plant.site.name).meters
    check_meters(scenario, [*stored, *(m.name for m in document.plant.meters)])


def _report(
    p: Plan, stats: WriteStats, skipped: dict[tuple[str, str], str], catalogue: list[str]
) -> LoadReport:
    return LoadReport(
        site=p.plant.site.name,
        timezone=p.plant.timezone,
        start=p.start,
        end=p.end,
        meters=len(p.plant.meters),
        series=sum(len(m.series) for m in p.plant.meters.values()) - len(skipped),
        stats=stats,
        faults=len(p.faults),
        skipped=[f"{meter} {metric}: {why}" for (meter, metric), why in sorted(skipped.items())],
        catalogue=catalogue,
    )


def store_labels(conn: Connection, site: str, faults: Sequence[Fault]) -> None:
    """Replace the site's synthetic fault labels with these (labels people added stay)."""
    site_ref = catalog.get_site(conn, site)
    meters = {m.name: m.id for m in catalog.list_meters(conn, site_ref.id)}
    conn.execute(
        delete(EventLabel).where(
            EventLabel.source == LABEL_SOURCE, EventLabel.meter_id.in_(list(meters.values()))
        )
    )
    for f in sorted(faults, key=lambda f: (f.start, f.meter)):
        conn.execute(
            insert(EventLabel).values(
                meter_id=meters[f.meter],
                kind=f.label,
                start_ts=f.start_ts,
                end_ts=f.end_ts,
                description=f.description,
                source=LABEL_SOURCE,
                # Ground truth for tests and evals, not knowledge the tools may use.
                exclude=False,
                details=_json(f.details),
            )
        )


def _json(details: Mapping[str, Any]) -> dict[str, Any]:
    return {k: dict(v) if isinstance(v, Mapping) else v for k, v in details.items()}


# ------------------------------------------------------------------ as a CSV export


@dataclass
class CsvReport:
    path: Path
    site: str
    start: datetime
    end: datetime
    rows: int
    faults: list[Fault]
    skipped: list[str] = field(default_factory=list)


def export_csv(
    document: PlantDocument,
    scenario: Scenario,
    path: Path,
    *,
    progress: Progress | None = None,
) -> CsvReport:
    """The synthetic history of a plant file as a long CSV (timestamp in UTC with `Z`, meter,
    metric, value, unit), written a month at a time; the store is not touched."""
    p = plan(PlantView.of_document(document), scenario)
    units = {
        (name, metric): unit for name, m in p.plant.meters.items() for metric, unit, _ in m.series
    }
    rows = 0
    skipped: dict[tuple[str, str], str] = {}
    total = (p.end - p.start).days
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "meter", "metric", "value", "unit"])
        for _, stop, synthesis in chunks(p):
            skipped |= synthesis.skipped
            frame = synthesis.frame.sort_values(["ts", "meter", "metric"], kind="stable")
            stamps = [
                datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                for t in frame["ts"].tolist()
            ]
            for stamp, meter, metric, value in zip(
                stamps, frame["meter"], frame["metric"], frame["value"], strict=True
            ):
                writer.writerow([stamp, meter, metric, _number(value), units[(meter, metric)]])
            rows += len(frame)
            if progress is not None:
                progress("simulate", (stop - p.start).days, total)
    return CsvReport(
        path,
        p.plant.site.name,
        p.start,
        p.end,
        rows,
        list(p.faults),
        [f"{meter} {metric}: {why}" for (meter, metric), why in sorted(skipped.items())],
    )


def _number(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


def load_plant_via_csv(
    engine: Engine,
    document: PlantDocument,
    scenario: Scenario,
    workdir: Path,
    *,
    progress: Progress | None = None,
) -> tuple[CsvReport, ImportReport]:
    """As a user with a new plant would: apply the plant file, then import its history from a
    long CSV export with UTC timestamps (`ems-agent import-csv`), then label the faults."""
    _check_before_applying(engine, document, scenario)
    apply_plant(engine, document, list_absent=False)
    path = workdir / f"{_safe(document.plant.site.name)}-history.csv"
    exported = export_csv(document, scenario, path, progress=progress)
    site = document.plant.site
    imported = import_file(
        engine,
        path,
        site=site.name,
        options=ParseOptions(timezone=site.timezone),
        strict=True,
        progress=progress,
    )
    with engine.begin() as conn:
        store_labels(conn, site.name, exported.faults)
    return exported, imported


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
