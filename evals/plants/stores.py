"""Stores of plants besides the demo for the evals, built once and cached: apply the plant file,
export its synthetic history as a long CSV with UTC timestamps, import it as a user would.

`plant_store(FILE, cache)` works for any plant file: its scenario is `FILE` with the suffix
`.scenario.yaml` beside it when there is one (else a year up to `DEFAULT_END`, seed 42, no
faults). The cache key holds the plant file's and the scenario's text and the synthesizer's
version, so an edit to either builds a new store.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from connectors.catalog_file import read_plant
from connectors.synth import SYNTH_VERSION
from connectors.synth_load import Scenario, load_plant_via_csv, read_scenario
from store.engine import make_engine
from store.migrate import upgrade

PLANTS = Path(__file__).parent
SECOND_PLANT = PLANTS / "second_plant.yaml"
DEFAULT_END = date(2026, 11, 5)  # the demo eval's day, so both plants end on the same day

Progress = Callable[[str, int, int], None]


def scenario_path(plant_file: Path) -> Path:
    """Where a plant file's scenario lives: `NAME.scenario.yaml` beside `NAME.yaml`."""
    return plant_file.with_name(f"{plant_file.stem}.scenario.yaml")


def scenario_for(plant_file: Path) -> Scenario:
    path = scenario_path(plant_file)
    return read_scenario(path) if path.exists() else Scenario(end=DEFAULT_END)


def _key(plant_file: Path, scenario: Scenario) -> str:
    digest = hashlib.sha256(plant_file.read_bytes())
    digest.update(scenario.model_dump_json().encode())
    return digest.hexdigest()[:12]


def plant_store(
    plant_file: Path,
    cache: Path,
    *,
    scenario: Scenario | None = None,
    progress: Progress | None = None,
) -> Path:
    """A SQLite store holding the plant and its history, built through the CSV import once
    and kept under `cache`; returns its path. Copy it before writing to it."""
    chosen = scenario or scenario_for(plant_file)
    path = cache / f"{plant_file.stem}-v{SYNTH_VERSION}-{_key(plant_file, chosen)}.db"
    if path.exists():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    document = read_plant(plant_file)
    scratch = path.with_suffix(".partial")
    scratch.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{scratch}")
    try:
        upgrade(engine)
        with tempfile.TemporaryDirectory() as work:
            load_plant_via_csv(engine, document, chosen, Path(work), progress=progress)
    except BaseException:
        engine.dispose()
        scratch.unlink(missing_ok=True)
        raise
    engine.dispose()
    shutil.move(scratch, path)
    return path


def second_plant_store(cache: Path, progress: Progress | None = None) -> Path:
    """The second plant's year up to 2026-11-05 (see evals/plants/second_plant.yaml)."""
    return plant_store(SECOND_PLANT, cache, progress=progress)
