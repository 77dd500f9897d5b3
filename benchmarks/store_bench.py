"""Store benchmark: CSV import rate, and query latency over a year of 15-minute data for 50 meters.

Run: `python -m benchmarks.store_bench [--pg URL] [--rows N]`; writes the "store" section of
benchmarks/RESULTS.md. Each query is timed from raw readings and from rollups, on SQLite and,
when a URL is given, on PostgreSQL.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from benchmarks.common import median_ms, stamp, table, write_section
from connectors.importer import import_file
from connectors.parsing import ParseOptions
from store import catalog, queries
from store.engine import make_engine
from store.migrate import upgrade
from store.writes import write_readings

TZ = "Europe/Berlin"
METERS = 50
YEAR_START = int(datetime(2025, 1, 1, tzinfo=ZoneInfo(TZ)).timestamp())
QUARTERS = 35_040  # one year of 15-minute intervals


def make_csv(path: Path, rows: int) -> None:
    """A long-layout CSV of `rows` readings: 50 meters, consecutive 15-minute intervals."""
    per_meter = rows // METERS
    ts = YEAR_START + 900 * np.arange(per_meter, dtype=np.int64)
    stamps = pd.to_datetime(ts, unit="s", utc=True).strftime("%Y-%m-%dT%H:%M:%SZ")
    rng = np.random.default_rng(7)
    with path.open("w") as f:
        f.write("timestamp,meter,metric,value,unit\n")
        for m in range(METERS):
            values = np.round(rng.gamma(4.0, 5.0, per_meter), 3)
            frame = pd.DataFrame(
                {"timestamp": stamps, "meter": f"meter-{m:02d}", "metric": "energy"}
            )
            frame["value"] = values
            frame["unit"] = "kWh"
            frame.to_csv(f, header=False, index=False)


def bench_import(make_url: Callable[[], str], csv: Path, rows: int, repeat: int) -> float:
    """Median rows/s of `repeat` imports, each into a fresh empty store."""
    rates = []
    for _ in range(repeat):
        engine = make_engine(make_url())
        upgrade(engine)
        start = time.perf_counter()
        report = import_file(
            engine, csv, site="bench", options=ParseOptions(timezone=TZ), strict=True
        )
        rates.append(rows / (time.perf_counter() - start))
        assert report.stats.new == rows, report.stats
        engine.dispose()
    return statistics.median(rates)


def load_year(engine: Engine) -> dict[str, int]:
    """Fill 50 meters with one year of 15-minute energy readings through the write path."""
    rng = np.random.default_rng(11)
    ts = YEAR_START + 900 * np.arange(QUARTERS, dtype=np.int64)
    series: dict[str, int] = {}
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "bench", TZ)
        for m in range(METERS):
            name = f"meter-{m:02d}"
            sid = catalog.ensure_series(conn, site.id, name, "energy", "kWh").id
            write_readings(conn, sid, ts, rng.gamma(4.0, 5.0, QUARTERS), TZ)
            series[name] = sid
    return series


def bench_queries(engine: Engine, series: dict[str, int]) -> dict[str, tuple[float, float]]:
    one = series["meter-07"]
    year_end = YEAR_START + QUARTERS * 900
    month = (
        int(datetime(2025, 7, 1, tzinfo=ZoneInfo(TZ)).timestamp()),
        int(datetime(2025, 8, 1, tzinfo=ZoneInfo(TZ)).timestamp()),
    )
    results: dict[str, tuple[float, float]] = {}
    with engine.connect() as conn:
        cases = {
            "one meter, daily totals for a year": lambda src: queries.rollups(
                conn, [one], 86400, YEAR_START, year_end, tz=TZ, source=src
            ),
            "site-wide daily table for a year (50 meters)": lambda src: queries.daily_table(
                conn, series, YEAR_START, year_end, tz=TZ, source=src
            ),
            "one meter, peak 15-min demand in a month": lambda src: queries.peak_15min(
                conn, one, *month, source=src
            ),
        }
        for name, fn in cases.items():
            raw_repeat = 3 if "site-wide" in name else 7
            results[name] = (
                median_ms(lambda fn=fn: fn("raw"), repeat=raw_repeat),
                median_ms(lambda fn=fn: fn("rollup"), repeat=15),
            )
    return results


def pg_scratch(admin_url: str) -> tuple[str, str]:
    name = f"ems_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), name


def pg_drop(admin_url: str, name: str) -> None:
    from store.engine import drop_database

    drop_database(admin_url, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", help="PostgreSQL admin URL; a scratch database is created")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the import CSV")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ems-bench-"))
    try:
        csv = work / "import.csv"
        make_csv(csv, args.rows)
        counter = itertools.count()
        rates = {
            "SQLite": bench_import(
                lambda: f"sqlite:///{work / f'import-{next(counter)}.db'}", csv, args.rows, 3
            )
        }
        latency = {}
        sqlite = make_engine(f"sqlite:///{work / 'year.db'}")
        upgrade(sqlite)
        latency["SQLite"] = bench_queries(sqlite, load_year(sqlite))
        if args.pg:
            scratch: list[str] = []

            def fresh_pg() -> str:
                url, name = pg_scratch(args.pg)
                scratch.append(name)
                return url

            try:
                rates["PostgreSQL"] = bench_import(fresh_pg, csv, args.rows, 3)
                pg = make_engine(fresh_pg())
                upgrade(pg)
                latency["PostgreSQL"] = bench_queries(pg, load_year(pg))
                pg.dispose()
            finally:
                for name in scratch:
                    pg_drop(args.pg, name)
        report(args.rows, rates, latency)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(
    rows: int, rates: dict[str, float], latency: dict[str, dict[str, tuple[float, float]]]
) -> None:
    import_rows = [
        [db, f"{rows:,}", f"{rate:,.0f}", "≥ 100,000 (SQLite)"] for db, rate in rates.items()
    ]
    query_rows = []
    for db, cases in latency.items():
        for name, (raw, rollup) in cases.items():
            target = "< 200 ms" if "site-wide" in name else "< 50 ms"
            query_rows.append(
                [db, name, f"{raw:,.1f}", f"{rollup:,.1f}", f"{raw / rollup:,.0f}x", target]
            )
    body = "\n\n".join(
        [
            "## Store: import and query latency",
            stamp() + " Command: `python -m benchmarks.store_bench --pg URL`.",
            "Import of a long-layout CSV (50 meters x 15-minute energy readings), one "
            "transaction, rollups included; rows per second end to end (parse and store), "
            "median of 3 imports, each into a fresh store:",
            table(["database", "rows", "rows/s", "target"], import_rows),
            "Query latency over one year of 15-minute data for 50 meters (1,752,000 readings); "
            "median milliseconds, from raw readings and from rollups:",
            table(["database", "query", "raw ms", "rollup ms", "speed-up", "target"], query_rows),
        ]
    )
    write_section("store", body)
    print(body)


if __name__ == "__main__":
    main()
