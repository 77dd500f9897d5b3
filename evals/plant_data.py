"""The store of a plant besides the demo for `ems-agent eval --plant`: its plant file applied and
its history written, built once per plant (and readings file) and kept in a cache.

Two sources of history: the plant's own readings (a CSV or Excel export, imported as
`ems-agent import-csv` would), or the synthetic history for any plant file that
`evals.plants.stores.plant_store(FILE, cache, progress=...)` builds. Either way the result is
the path of a SQLite store the runner copies for every set.
"""

from __future__ import annotations

import hashlib
import importlib
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import cast

from common.errors import EMSError
from connectors.catalog_file import read_plant
from connectors.catalog_sync import apply_plant
from connectors.importer import import_file
from connectors.parsing import ParseOptions
from store.engine import make_engine
from store.migrate import upgrade

Progress = Callable[[str, int, int], None]
StoreBuilder = Callable[..., Path]
SYNTHETIC = "evals.plants.stores"  # module with `plant_store(plant_file, cache, progress=...)`


class NoPlantHistory(EMSError):
    """A plant file whose history cannot be built here (no readings given, no synthesizer)."""


def plant_site(plant_file: Path) -> tuple[str, str]:
    """The site name and time zone a plant file declares (the file checked on the way)."""
    plant = read_plant(plant_file).plant
    return plant.site.name, plant.site.timezone


def _key(*files: Path) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def imported_store(
    plant_file: Path, data: Path, cache: Path, progress: Progress | None = None
) -> Path:
    """A store holding the plant file and its own readings file, imported as a user would
    (bad rows refuse the whole file); cached by both files' contents."""
    path = cache / f"{plant_file.stem}-import-{_key(plant_file, data)}.db"
    if path.exists():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    document = read_plant(plant_file)
    site = document.plant.site
    scratch = path.with_suffix(".partial")
    scratch.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{scratch}")
    try:
        upgrade(engine)
        apply_plant(engine, document, list_absent=False)
        options = ParseOptions(timezone=site.timezone)
        import_file(engine, data, site=site.name, options=options, strict=True, progress=progress)
    finally:
        engine.dispose()
    shutil.move(scratch, path)
    return path


def synthetic_builder() -> StoreBuilder:
    """The synthetic-history store builder, or NoPlantHistory naming the way out."""
    try:
        module = importlib.import_module(SYNTHETIC)
    except ModuleNotFoundError:
        raise NoPlantHistory(
            f"this installation cannot simulate a plant file's history ({SYNTHETIC} is "
            "missing); pass --data FILE with the plant's readings (CSV or Excel)"
        ) from None
    return cast(StoreBuilder, module.plant_store)


def plant_store(
    plant_file: Path,
    cache: Path,
    data: Path | None = None,
    progress: Progress | None = None,
    builder: StoreBuilder | None = None,
) -> Path:
    """The plant's store: imported from `data` when given, else synthetic history."""
    if not plant_file.exists():
        raise NoPlantHistory(f"--plant {plant_file}: no such file")
    if data is not None:
        if not data.exists():
            raise NoPlantHistory(f"--data {data}: no such file")
        return imported_store(plant_file, data, cache, progress)
    build = builder or synthetic_builder()
    return build(plant_file, cache, progress=progress)
