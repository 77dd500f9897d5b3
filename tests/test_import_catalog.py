"""Long CSV exports may carry each meter's `carrier` and `parent`: checked like a plant file, bad
values are bad rows with their line, and good ones reach the catalogue in the import's
transaction."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from sqlalchemy import Engine

from connectors.catalog_file import parse_plant
from connectors.catalog_sync import apply_plant
from connectors.importer import ImportRejected, import_file
from connectors.parsing import ParseOptions, RowProblem
from store import catalog

TZ = "Europe/Berlin"
HEADER = "timestamp,meter,metric,value,unit,carrier,parent"


def csv(tmp_path: Path, rows: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "export.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def meters(engine: Engine, site: str = "west") -> dict[str, tuple[str, str | None]]:
    """Each meter's kind and parent name, read back from the store."""
    with engine.connect() as conn:
        ref = catalog.get_site(conn, site)
        found = catalog.list_meters(conn, ref.id)
    names = {m.id: m.name for m in found}
    return {m.name: (m.kind, names.get(m.parent_id or -1)) for m in found}


def run(engine: Engine, path: Path, strict: bool = False):  # type: ignore[no-untyped-def]
    return import_file(engine, path, site="west", options=ParseOptions(timezone=TZ), strict=strict)


def test_carrier_and_parent_columns_reach_the_catalogue(engine: Engine, tmp_path: Path) -> None:
    path = csv(
        tmp_path,
        [
            "2026-03-01T00:00:00Z,supply,energy,40,kWh,electricity,",
            "2026-03-01T00:00:00Z,kiln-1,energy,12,kWh,gas,supply",
            "2026-03-01T00:15:00Z,kiln-1,energy,13,kWh,,",  # blank: the meter's first row says
            "2026-03-01T00:00:00Z,kiln-1-count,production,5,unit,production,",
            "2026-03-01T00:00:00Z,tank-2,volume,3,m3,,supply",  # no carrier: guessed, as before
        ],
    )
    report = run(engine, path)
    assert report.errors == [] and report.rows_ok == 5
    assert meters(engine) == {
        "supply": ("electricity", None),
        "kiln-1": ("gas", "supply"),
        "kiln-1-count": ("production", None),
        "tank-2": ("water", "supply"),
    }
    assert "+ meter kiln-1 (gas, kWh): parent supply; series energy (kWh)" in report.catalogue
    again = run(engine, path)
    assert again.catalogue == [] and again.stats.new == 0


def test_bad_catalogue_values_are_bad_rows_with_their_line(engine: Engine, tmp_path: Path) -> None:
    apply_plant(
        engine,
        parse_plant(
            textwrap.dedent(
                """\
                version: 1
                site: {name: west, timezone: Europe/Berlin}
                meters:
                  - {name: supply, carrier: electricity}
                  - {name: hall, carrier: electricity, parent: supply}
                """
            ),
            "plant.yaml",
            "yaml",
        ),
    )
    path = csv(
        tmp_path,
        [
            "2026-03-01T00:00:00Z,press-1,energy,1,kWh,steel,",  # line 2
            "2026-03-01T00:00:00Z,press-2,energy,1,kWh,electricity,nowhere",  # line 3
            "2026-03-01T00:00:00Z,press-3,energy,1,kWh,electricity,press-3",  # line 4
            "2026-03-01T00:00:00Z,press-4,energy,1,kWh,electricity,hall",  # line 5: fine
            "2026-03-01T00:15:00Z,press-4,energy,1,kWh,gas,hall",  # line 6
            "2026-03-01T00:30:00Z,press-4,energy,1,kWh,,supply",  # line 7
            "2026-03-01T00:00:00Z,supply,energy,9,kWh,,press-5",  # line 8
            "2026-03-01T00:00:00Z,press-5,energy,1,kWh,electricity,hall",  # line 9
        ],
    )
    report = run(engine, path)
    got = [(e.line, e.column, e.problem, e.reason) for e in report.errors]
    assert got == [
        (
            2,
            "carrier",
            RowProblem.UNKNOWN_CARRIER,
            "unknown carrier 'steel'; carriers are: electricity, gas, water, compressed_air, "
            "steam, heat, production, weather, driver",
        ),
        (
            3,
            "parent",
            RowProblem.UNKNOWN_PARENT,
            "no meter named 'nowhere' in this file or the store",
        ),
        (4, "parent", RowProblem.PARENT_CYCLE, "a meter cannot be its own parent"),
        (
            6,
            "carrier",
            RowProblem.CONFLICTING_CATALOGUE,
            "meter 'press-4' is given carrier 'electricity' on line 5; one meter has one carrier",
        ),
        (
            7,
            "parent",
            RowProblem.CONFLICTING_CATALOGUE,
            "meter 'press-4' is given parent 'hall' on line 5; one meter has one parent",
        ),
        (
            8,
            "parent",
            RowProblem.PARENT_CYCLE,
            "the tree goes round in a circle: supply -> press-5 -> hall -> supply",
        ),
        (
            9,
            "parent",
            RowProblem.PARENT_CYCLE,
            "the tree goes round in a circle: press-5 -> hall -> supply -> press-5",
        ),
    ]
    assert report.rows_ok == 1
    assert meters(engine) == {
        "supply": ("electricity", None),
        "hall": ("electricity", "supply"),
        "press-4": ("electricity", "hall"),
    }


def test_strict_rejects_the_file_and_stores_nothing(engine: Engine, tmp_path: Path) -> None:
    path = csv(
        tmp_path,
        [
            "2026-03-01T00:00:00Z,supply,energy,40,kWh,electricity,",
            "2026-03-01T00:00:00Z,kiln-1,energy,12,kWh,heat pump,supply",
        ],
    )
    with pytest.raises(ImportRejected, match="line 3: unknown carrier 'heat pump'"):
        run(engine, path, strict=True)
    with engine.connect() as conn:
        assert catalog.list_sites(conn) == []


def test_files_without_the_columns_import_as_before(engine: Engine, tmp_path: Path) -> None:
    path = csv(
        tmp_path,
        ["2026-03-01T00:00:00Z,supply,energy,40,kWh"],
        header="timestamp,meter,metric,value,unit",
    )
    report = run(engine, path)
    assert report.catalogue == [] and meters(engine) == {"supply": ("electricity", None)}
