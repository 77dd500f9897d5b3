"""The CSV/Excel importer: parse a file, then store its good rows in one transaction.

Parsing (connectors.parsing) finds the bad rows; this module decides what is stored: with
`strict` a single bad row rejects the whole file, otherwise the good rows go in and the bad ones
are reported. Either way the write is one transaction, so a file is never half-stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine

from common.errors import EMSError
from common.intervals import DAY_S
from common.units import ADDITIVE_METRICS
from connectors.catalog_file import PlantSource, validate_plant
from connectors.catalog_sync import apply_in
from connectors.parsing import ParsedFile, ParseOptions, RowError, parse_file
from store import bills, catalog, intervals
from store.catalog import SiteRef
from store.writes import WriteStats, write_readings

Progress = Callable[[str, int, int], None]


class ImportRejected(EMSError):
    """A strict import found bad rows and stored nothing."""


@dataclass
class SeriesReport:
    meter: str
    metric: str
    unit: str
    readings: int
    first_ts: int
    last_ts: int
    stats: WriteStats


@dataclass
class ImportReport:
    """What an import did, for people (the CLI table) and machines (--json)."""

    path: str
    site: str
    format: str
    rows_total: int
    rows_ok: int
    duplicates: int
    stats: WriteStats = field(default_factory=WriteStats)
    series: list[SeriesReport] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    catalogue: list[str] = field(default_factory=list)  # what the carrier/parent columns changed
    skipped: list[str] = field(default_factory=list)  # series not stored (see the warnings)

    @property
    def rows_bad(self) -> int:
        return self.rows_total - self.rows_ok


def import_file(
    engine: Engine,
    path: Path,
    *,
    site: str,
    options: ParseOptions,
    strict: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Parse and store one file. Raises ImportRejected (strict) or a parsing error (whole file).

    `options.timezone` reads naive timestamps; it must agree with the site's own time zone when
    the site exists, since the site's days and hours are built in it.
    """
    with engine.connect() as conn:
        existing = {s.name: s for s in catalog.list_sites(conn)}.get(site)
        known = _known_meters(conn, existing) if existing else {}
    if existing is not None and existing.timezone != options.timezone:
        raise ImportRejected(
            f"site {site!r} keeps its data in {existing.timezone}, but the import was asked to "
            f"read times in {options.timezone}; drop --timezone or pass --timezone "
            f"{existing.timezone}"
        )

    def parse_progress(done: int, total: int) -> None:
        if progress is not None:
            progress("parse", done, total)

    parsed = parse_file(path, options, on_progress=parse_progress, known_meters=known)
    report = ImportReport(
        path=str(path),
        site=site,
        format=parsed.format,
        rows_total=parsed.rows_total,
        rows_ok=parsed.rows_ok,
        duplicates=parsed.duplicates,
        errors=list(parsed.errors),
        warnings=list(parsed.warnings),
    )
    if strict and parsed.errors:
        first = parsed.errors[0]
        raise ImportRejected(
            f"{path.name}: {len(parsed.errors)} bad rows, nothing stored (--strict); "
            f"first at line {first.line}: {first.reason}"
        )
    _store(engine, parsed, report, site=site, options=options, progress=progress, strict=strict)
    return report


def _store(
    engine: Engine,
    parsed: ParsedFile,
    report: ImportReport,
    *,
    site: str,
    options: ParseOptions,
    progress: Progress | None,
    strict: bool = False,
) -> None:
    frame = parsed.readings
    total = len(frame)
    done = 0
    with engine.begin() as conn:
        site_ref = catalog.ensure_site(conn, site, options.timezone)
        if parsed.catalogue:
            report.catalogue = _apply_columns(conn, parsed, site_ref, report.path)
        for (meter, metric), group in frame.groupby(["meter", "metric"], sort=True):
            info = parsed.series[(str(meter), str(metric))]
            ts = group["ts"].to_numpy(np.int64)
            segments = intervals.detect_steps(ts, site_ref.timezone)
            if not _storable(str(meter), str(metric), segments, report):
                continue
            series = catalog.ensure_series(
                conn, site_ref.id, str(meter), str(metric), info.unit, cumulative=info.cumulative
            )
            _check_bills(conn, series.id, ts, str(meter), str(metric), site_ref.timezone)
            stats = write_readings(
                conn, series.id, ts, group["value"].to_numpy(np.float64), site_ref.timezone
            )
            notes = intervals.record_detected(conn, series.id, segments, site_ref.timezone)
            report.warnings += [f"{meter} {metric}: {note}" for note in notes]
            report.stats += stats
            report.series.append(
                SeriesReport(
                    str(meter),
                    str(metric),
                    info.unit,
                    len(group),
                    int(ts.min()),
                    int(ts.max()),
                    stats,
                )
            )
            done += len(group)
            if progress is not None:
                progress("store", done, total)
        if strict and report.skipped:
            # Raised inside the transaction: nothing of the file is stored.
            raise ImportRejected(
                f"{Path(report.path).name}: nothing stored (--strict); "
                + ("; ".join(w for w in report.warnings if "not stored" in w))
            )


def _storable(
    meter: str, metric: str, segments: list[intervals.Segment], report: ImportReport
) -> bool:
    """Amounts read days apart (monthly totals) would land whole on one day of the rollups;
    they are bills, to be spread over their days by `import-bills`."""
    coarse = [s for s in segments if s.step >= 2 * DAY_S]
    if metric not in ADDITIVE_METRICS or not coarse:
        return True
    days = coarse[0].step / DAY_S
    report.warnings.append(
        f"{meter} {metric}: not stored: its readings are about {days:.0f} days apart, so each "
        "is an amount over many days; import them as bills (`ems-agent import-bills FILE "
        f"--meter {meter}`: start, end and quantity per row), which spreads them over their days"
    )
    report.skipped.append(f"{meter} {metric}")
    return False


def _check_bills(
    conn: Connection, series_id: int, ts: np.ndarray, meter: str, metric: str, tz: str
) -> None:
    """Readings may not overwrite the daily values pro-rated from a series' bills."""
    found = bills.overlapping(conn, series_id, int(ts[0]), int(ts[-1]) + 1, tz)
    if found:
        first = found[0]
        raise ImportRejected(
            f"{meter} {metric} has bills for {first.start}..{first.end_inclusive} (and "
            f"{len(found) - 1} more) where the file has readings; its daily values there are "
            "pro-rated from the bills. Import the readings under a meter of their own, or "
            "remove the bills first"
        )


def _known_meters(conn: Connection, site: SiteRef) -> dict[str, str | None]:
    """The store's meters of a site and their parents, which a parent column may name."""
    meters = catalog.list_meters(conn, site.id)
    names = {m.id: m.name for m in meters}
    return {m.name: names.get(m.parent_id) if m.parent_id else None for m in meters}


def _apply_columns(conn: Connection, parsed: ParsedFile, site: SiteRef, path: str) -> list[str]:
    """The carrier and parent columns, applied through the catalogue like a plant file that
    declares the file's meters with their series (new meters without a carrier get the kind
    their first series suggests, as before)."""
    stored = {m.name for m in catalog.list_meters(conn, site.id)}
    meters: dict[str, dict[str, Any]] = {}
    for (meter, metric), info in parsed.series.items():
        entry = meters.setdefault(meter, {"name": meter, "series": []})
        entry["series"].append({"metric": metric, "unit": info.unit})
        columns = parsed.catalogue.get(meter)
        if columns is not None and columns.carrier:
            entry["carrier"] = columns.carrier
        elif meter not in stored and "carrier" not in entry:
            entry["carrier"] = catalog.guess_kind(metric, info.unit)
        if columns is not None and columns.parent:
            entry["parent"] = columns.parent
    data = {
        "version": 1,
        "site": {"name": site.name, "timezone": site.timezone},
        "meters": list(meters.values()),
    }
    source = PlantSource(f"{Path(path).name} (carrier and parent columns)")
    report = apply_in(conn, validate_plant(data, source), list_absent=False)
    return report.lines()
