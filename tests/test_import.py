"""The importer: a parsed export stored in one transaction, as the store then holds it.

How files are read and rows judged is tested in test_parsing.py and test_registers.py; the CLI's
strict mode, idempotence and time-zone refusal in test_cli.py. Here: what ends up stored.
Expected values are worked out by hand, never with the code under test.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from connectors.importer import import_file
from connectors.parsing import ParseOptions
from store import catalog, queries

DATA = Path(__file__).parent / "data" / "import"
BERLIN = ZoneInfo("Europe/Berlin")


def epoch(text: str, tz: ZoneInfo = BERLIN) -> int:
    moment = datetime.fromisoformat(text)
    return int((moment if moment.tzinfo else moment.replace(tzinfo=tz)).timestamp())


def stored(engine: Engine, site: str, meter: str, metric: str = "energy") -> dict[int, float]:
    with engine.connect() as conn:
        site_ref = catalog.get_site(conn, site)
        series = catalog.get_series(
            conn, catalog.resolve_meter(conn, site_ref.id, meter).id, metric
        )
        frame = queries.readings(conn, series.id, 0, 2**40)
    return dict(zip(frame["ts"].tolist(), frame["value"].tolist(), strict=True))


def test_a_european_export_is_stored_in_the_sites_zone(sqlite_engine: Engine) -> None:
    report = import_file(
        sqlite_engine,
        DATA / "european.csv",
        site="werk",
        options=ParseOptions(timezone="Europe/Berlin"),
    )
    assert (report.rows_total, report.rows_ok, report.errors) == (4, 4, [])
    assert stored(sqlite_engine, "werk", "Kompressor 1") == {
        epoch("2025-01-06T00:00"): 1234.5,
        epoch("2025-01-06T00:15"): 1240.0,
    }
    assert stored(sqlite_engine, "werk", "Kompressor 2") == {
        epoch("2025-01-06T00:00"): 0.5,
        epoch("2025-01-06T00:15"): 0.75,
    }
    with sqlite_engine.connect() as conn:
        assert catalog.get_site(conn, "werk").timezone == "Europe/Berlin"


def test_a_wide_export_stores_one_series_per_column_in_canonical_units(
    sqlite_engine: Engine,
) -> None:
    progress: list[tuple[str, int, int]] = []
    report = import_file(
        sqlite_engine,
        DATA / "bms_wide.csv",
        site="plant",
        options=ParseOptions(timezone="Europe/Berlin"),
        progress=lambda phase, done, total: progress.append((phase, done, total)),
    )
    quarter = [epoch(f"2025-01-06T00:{m:02d}") for m in (0, 15, 30, 45)]
    # The chiller column is in MWh: 1, 1.5, 2 and 2.5 MWh stored as kWh.
    assert stored(sqlite_engine, "plant", "chiller") == dict(
        zip(quarter, [1000.0, 1500.0, 2000.0, 2500.0], strict=True)
    )
    # An empty cell is no reading, not a zero.
    assert stored(sqlite_engine, "plant", "line-a") == {
        quarter[0]: 10.0,
        quarter[2]: 12.0,
        quarter[3]: 13.0,
    }
    assert [(s.meter, s.unit, s.readings) for s in report.series] == [
        ("chiller", "kWh", 4),
        ("line-a", "kWh", 3),
    ]
    assert (report.stats.new, report.rows_total, report.rows_ok) == (7, 7, 7)
    with sqlite_engine.connect() as conn:
        site = catalog.get_site(conn, "plant")
        chiller = catalog.resolve_meter(conn, site.id, "chiller")
        assert catalog.get_series(conn, chiller.id, "energy").interval_s == 900
    assert [p[0] for p in progress][-2:] == ["store", "store"]
    assert progress[-1] == ("store", 7, 7)
    assert {p[0] for p in progress} == {"parse", "store"}


def test_register_readings_are_stored_as_interval_amounts(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    registers = [5_000, 5_010, 5_021, 5_033, 4, 14]  # the register is reset after 5,033
    path = tmp_path / "registers.csv"
    path.write_text(
        "timestamp,meter,value\n"
        + "".join(f"2025-01-01T00:{15 * i:02d}:00Z,main,{r}\n" for i, r in enumerate(registers[:4]))
        + "".join(f"2025-01-01T01:{15 * i:02d}:00Z,main,{r}\n" for i, r in enumerate(registers[4:]))
    )
    report = import_file(
        sqlite_engine,
        path,
        site="plant",
        options=ParseOptions(cumulative=frozenset({"main"})),
    )
    start = epoch("2025-01-01T00:00:00+00:00")
    # Differences stamped at each interval's start; after the reset the 4 counts from zero.
    assert stored(sqlite_engine, "plant", "main") == {
        start: 10.0,
        start + 900: 11.0,
        start + 1800: 12.0,
        start + 2700: 4.0,
        start + 3600: 10.0,
    }
    assert report.series[0].readings == 5
    assert any("reset" in w and "5033" in w for w in report.warnings)
    with sqlite_engine.connect() as conn:
        site = catalog.get_site(conn, "plant")
        main = catalog.resolve_meter(conn, site.id, "main")
        assert catalog.get_series(conn, main.id, "energy").cumulative
