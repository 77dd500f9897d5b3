"""The bills importer: a CSV or Excel file of billing periods (start, end, quantity, optionally
cost, peak kW and an estimated flag) checked row by row and stored through `store.bills`.

Columns are found by name, case-insensitive, in any order: `start` (from, period start),
`end` (to, period end), `quantity` (kwh, energy, usage, consumption, value), and optional
`unit`, `cost` (amount, total), `peak_kw` (demand, peak demand, max demand), `estimated`
(true/false, yes/no, E/A) and `meter`. Dates are ISO or written day-first with dots, or with
slashes (month first unless `dayfirst`).

Bills print their period either as the first and last day billed (2025-01-01 - 2025-01-31) or
as meter-read dates, where a period ends on the day the next one starts. `period_end="auto"`
tells them apart per meter: periods that share a date with the next one's start are read
dates (the end excluded), else the end is the last day billed.

Bad rows (unreadable dates, an end before the start, a quantity that is not a non-negative
number, overlapping periods, a meter the site does not have, a bill over measured readings)
are listed with their line; the good ones are stored in one transaction, or nothing with
`strict`. Importing a file again changes nothing; a corrected bill replaces its days.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import pandas as pd
from sqlalchemy import Connection, Engine

from common.errors import EMSError, UnknownMeter, UnknownUnit
from common.units import (
    DEFAULT_UNIT,
    MeterKind,
    UnitInfo,
    canonical_unit,
    check_metric_unit,
    parse_unit,
    to_canonical,
)
from connectors.parsing import RowError, RowProblem
from connectors.tables import Table, bill_columns, parse_numbers, read_table
from store import bills as store_bills
from store import catalog
from store.bills import BillRecord, BillWrite

PeriodEnd = Literal["auto", "inclusive", "exclusive"]
_YES = frozenset({"true", "yes", "y", "1", "e", "est", "estimated", "ja", "x"})
_NO = frozenset({"false", "no", "n", "0", "a", "act", "actual", "nein", ""})


class BillsRejected(EMSError):
    """A bills file stored nothing: a strict import with bad rows, or a file that cannot be
    read as bills; the message says why and what to do."""


@dataclass(frozen=True)
class BillOptions:
    """How to read a bills file.

    Attributes:
        meter: meter of rows without a meter column (or an empty cell).
        metric: series the bills are for; 'energy' unless they bill gas volume ('volume').
        unit: unit of quantities when the file names none (default: the metric's, kWh).
        period_end: whether a period's end is its last day ('inclusive'), the next period's
            start ('exclusive'), or 'auto' (told apart per meter, see the module's docstring).
        carrier: create the file's meters the site does not have yet, with this carrier.
        dayfirst: read slashed dates such as 03/04/2025 as 3 April.
        sheet: Excel sheet to read; the first one when None.
    """

    meter: str | None = None
    metric: str = "energy"
    unit: str | None = None
    period_end: PeriodEnd = "auto"
    carrier: str | None = None
    dayfirst: bool = False
    sheet: str | None = None


@dataclass(frozen=True)
class _Row:
    line: int
    meter: str
    start: date
    end: date  # as written; made exclusive once the convention is known
    quantity: float  # in the series' canonical unit
    unit: str
    cost: float | None
    peak_kw: float | None
    estimated: bool

    @property
    def extras(self) -> tuple[float | None, float | None, bool]:
        return self.cost, self.peak_kw, self.estimated


_END = RowProblem.END_BEFORE_START
_OVERLAP = RowProblem.OVERLAPPING_BILL
_MEASURED = RowProblem.MEASURED_DATA


@dataclass
class MeterBills:
    meter: str
    unit: str
    bills: int
    first: date
    last: date  # last day billed
    stats: BillWrite
    period_end: str  # how the ends were read: "last day billed" or "next period's start"


@dataclass
class BillsReport:
    """What a bills import did, for people (the CLI) and machines (--json)."""

    path: str
    site: str
    rows_total: int
    rows_ok: int = 0
    meters: list[MeterBills] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_bad(self) -> int:
        return self.rows_total - self.rows_ok


# ------------------------------------------------------------------ reading


def _dates(cells: pd.Series, dayfirst: bool) -> pd.Series:
    text = cells.str.strip()
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    missing = parsed.isna() & text.ne("")
    if missing.any():
        first = str(text[missing].iloc[0])
        dotted = re.match(r"\d{1,2}\.\d{1,2}\.\d{2,4}", first) is not None
        fmt = "%d.%m.%Y" if dotted else ("%d/%m/%Y" if dayfirst else "%m/%d/%Y")
        parsed[missing] = pd.to_datetime(text[missing], format=fmt, errors="coerce")
    return parsed


class _Reader:
    """Checks a table's rows one by one; each problem becomes a RowError with its line."""

    def __init__(self, table: Table, columns: dict[str, int], options: BillOptions) -> None:
        self.table, self.columns, self.options = table, columns, options
        self.errors: list[RowError] = []
        self.cells = table.cells.fillna("").astype(str)
        self.filled = 0  # rows that are not empty

    def error(self, i: int, column: str | None, problem: RowProblem, reason: str) -> None:
        line = int(self.table.lines[i])
        header = self.table.header[self.columns[column]] if column in self.columns else column
        self.errors.append(RowError(line, header, reason, self.table.raw(line), problem))

    def column(self, name: str) -> pd.Series:
        if name not in self.columns:
            return pd.Series([""] * len(self.cells), dtype=str)
        return self.cells[self.columns[name]].str.strip()

    def rows(self) -> list[_Row]:
        starts = _dates(self.column("start"), self.options.dayfirst)
        ends = _dates(self.column("end"), self.options.dayfirst)
        quantity = parse_numbers(self.column("quantity"), self.table.numbers)
        cost = parse_numbers(self.column("cost"), self.table.numbers)
        peak = parse_numbers(self.column("peak_kw"), self.table.numbers)
        out = []
        for i in range(len(self.cells)):
            if not "".join(self.cells.iloc[i].tolist()).strip():
                continue  # an empty line
            self.filled += 1
            row = self._row(i, starts.iloc[i], ends.iloc[i], quantity[i], cost[i], peak[i])
            if row is not None:
                out.append(row)
        return out

    def _row(
        self,
        i: int,
        start: pd.Timestamp,
        end: pd.Timestamp,
        quantity: float,
        cost: float,
        peak: float,
    ) -> _Row | None:
        before = len(self.errors)
        meter = self.column("meter").iloc[i] or (self.options.meter or "")
        if not meter:
            self.error(i, "meter", RowProblem.MISSING_METER, "no meter: add --meter or a column")
        for name, value in (("start", start), ("end", end)):
            if pd.isna(value):
                text = self.column(name).iloc[i]
                reason = f"{name} date {text!r} cannot be read" if text else f"no {name} date"
                self.error(i, name, RowProblem.UNREADABLE_DATE, reason)
        self._figures(i, quantity, cost, peak)
        unit = self._unit(i)
        if len(self.errors) > before or unit is None:
            return None
        estimated = self._estimated(i)
        if estimated is None:
            return None
        return _Row(
            int(self.table.lines[i]),
            meter,
            start.date(),
            end.date(),
            to_canonical(float(quantity), unit),
            unit.symbol,
            None if pd.isna(cost) else float(cost),
            None if pd.isna(peak) else float(peak),
            estimated,
        )

    def _figures(self, i: int, quantity: float, cost: float, peak: float) -> None:
        text = self.column("quantity").iloc[i]
        if not text:
            self.error(i, "quantity", RowProblem.MISSING_VALUE, "no quantity")
        elif pd.isna(quantity) or abs(quantity) == float("inf"):
            self.error(i, "quantity", RowProblem.NOT_A_NUMBER, f"quantity {text!r} is no number")
        elif quantity < 0:
            self.error(
                i,
                "quantity",
                RowProblem.NEGATIVE_AMOUNT,
                f"negative quantity {text}: a bill's consumption cannot be negative (a credit "
                "belongs in the cost column)",
            )
        for name, value in (("cost", cost), ("peak_kw", peak)):
            written = self.column(name).iloc[i]
            if written and pd.isna(value):
                self.error(i, name, RowProblem.NOT_A_NUMBER, f"{name} {written!r} is no number")
        if not pd.isna(peak) and peak < 0:
            self.error(i, "peak_kw", RowProblem.NEGATIVE_AMOUNT, f"negative peak demand {peak:g}")

    def _unit(self, i: int) -> UnitInfo | None:
        text = (
            self.column("unit").iloc[i]
            or self.options.unit
            or DEFAULT_UNIT.get(self.options.metric, "kWh")
        )
        try:
            info = parse_unit(text)
            check_metric_unit(self.options.metric, info)
        except UnknownUnit as exc:
            self.error(i, "unit", RowProblem.UNKNOWN_UNIT, str(exc))
            return None
        return info

    def _estimated(self, i: int) -> bool | None:
        text = self.column("estimated").iloc[i].lower()
        if text in _YES:
            return True
        if text in _NO:
            return False
        self.error(
            i, "estimated", RowProblem.NOT_A_NUMBER, f"estimated {text!r} is not yes/no (or E/A)"
        )
        return None


# ------------------------------------------------------------------ checking periods


def _convention(
    rows: list[_Row], wanted: PeriodEnd, stored: Sequence[BillRecord]
) -> tuple[Literal["inclusive", "exclusive"], bool]:
    """How the rows write a period's end, and whether that was only assumed: periods that
    share a date with the next one's start are read dates; periods whose next one starts the
    day after end on their last day; with neither in the file, the stored bills decide."""
    if wanted != "auto":
        return wanted, False
    ordered = sorted(rows, key=lambda r: r.start)
    pairs = list(itertools.pairwise(ordered))
    if any(a.end == b.start for a, b in pairs):
        return "exclusive", False
    if any(a.end + timedelta(days=1) == b.start for a, b in pairs):
        return "inclusive", False
    ends = {b.end for b in stored} | {b.start for b in stored}
    if any(r.end in ends for r in rows):
        return "exclusive", False
    if any(r.end + timedelta(days=1) in ends for r in rows):
        return "inclusive", False
    return "inclusive", True


def _periods(
    rows: list[_Row], convention: Literal["inclusive", "exclusive"], raw: Callable[[int], str]
) -> tuple[list[tuple[_Row, BillRecord]], list[RowError], str]:
    """One meter's rows as bills with exclusive ends, and the rows whose period is empty or
    overlaps another's."""
    shift = timedelta(days=1 if convention == "inclusive" else 0)
    errors: list[RowError] = []
    good: list[tuple[_Row, BillRecord]] = []
    for row in sorted(rows, key=lambda r: (r.start, r.line)):
        end = row.end + shift
        if end <= row.start:
            last = "its last day" if convention == "inclusive" else "the next period's start"
            reason = f"the period ends {row.end} (read as {last}) before it starts {row.start}"
            errors.append(RowError(row.line, "end", reason, raw(row.line), _END))
            continue
        good.append((row, BillRecord(row.start, end, row.quantity, *row.extras)))
    overlapping = {
        id(x): y
        for (x, a), (y, b) in itertools.permutations(good, 2)
        if a.start < b.end and b.start < a.end
    }
    for row, _ in good:
        other = overlapping.get(id(row))
        if other is not None:
            reason = (
                f"the period {row.start}..{row.end} overlaps the bill on line {other.line} "
                f"({other.start}..{other.end}); which one is right cannot be told"
            )
            errors.append(RowError(row.line, "start", reason, raw(row.line), _OVERLAP))
    good = [(row, bill) for row, bill in good if id(row) not in overlapping]
    words = "last day billed" if convention == "inclusive" else "next period's start"
    return good, errors, words


# ------------------------------------------------------------------ importing


def import_bills(
    engine: Engine,
    path: Path,
    *,
    site: str,
    timezone: str,
    options: BillOptions,
    strict: bool = False,
) -> BillsReport:
    """Read a bills file and store its good bills in one transaction (nothing with `strict`
    when any row is bad). Raises BillsRejected when nothing could be stored."""
    table = read_table(path, options.sheet, None)
    columns = bill_columns(table.header)
    if columns is None:
        found = ", ".join(repr(h) for h in table.header)
        raise BillsRejected(
            f"{path.name}: no start, end and quantity columns ({found}); a bills file has one "
            "row per bill: start,end,quantity and optionally cost,peak_kw,estimated,unit,meter"
        )
    reader = _Reader(table, columns, options)
    rows = reader.rows()
    report = BillsReport(str(path), site, rows_total=reader.filled, errors=reader.errors)
    with engine.begin() as conn:
        site_ref = _site(conn, site, timezone, options)
        by_meter = _meters(conn, site_ref.id, rows, options, report, table)
        for name, meter_rows in by_meter.items():
            _store_meter(conn, site_ref, name, meter_rows, options, report, table)
        report.errors.sort(key=lambda e: e.line)
        bad = {e.line for e in report.errors}
        report.rows_ok = report.rows_total - len(bad)
        if strict and report.errors:
            first = report.errors[0]
            raise BillsRejected(
                f"{path.name}: {len(bad)} bad rows, nothing stored (--strict); first at line "
                f"{first.line}: {first.reason}"
            )
    return report


def _site(conn: Connection, site: str, timezone: str, options: BillOptions) -> catalog.SiteRef:
    known = {s.name: s for s in catalog.list_sites(conn)}
    if site in known:
        return known[site]
    if options.carrier is None:
        raise BillsRejected(
            f"no site named {site!r}; bills go to meters the site already has, or pass "
            "--carrier to create the site and its meters"
        )
    return catalog.ensure_site(conn, site, timezone)


def _meters(
    conn: Connection,
    site_id: int,
    rows: list[_Row],
    options: BillOptions,
    report: BillsReport,
    table: Table,
) -> dict[str, list[_Row]]:
    """The rows by the catalogue's meter name; rows of a meter the site does not have are bad
    unless `options.carrier` creates it."""
    if options.carrier is not None and options.carrier not in {k.value for k in MeterKind}:
        kinds = ", ".join(k.value for k in MeterKind)
        raise BillsRejected(f"unknown carrier {options.carrier!r}; carriers are: {kinds}")
    out: dict[str, list[_Row]] = {}
    names: dict[str, str | UnknownMeter] = {}
    for row in rows:
        if row.meter not in names:
            names[row.meter] = _meter_name(conn, site_id, row.meter, options)
        name = names[row.meter]
        if isinstance(name, UnknownMeter):
            reason = (
                f"{name}; bills go to meters the site has (declare it in the plant file or "
                f"pass --carrier to create it)"
            )
            report.errors.append(
                RowError(row.line, "meter", reason, table.raw(row.line), RowProblem.UNKNOWN_METER)
            )
            continue
        out.setdefault(name, []).append(row)
    return out


def _meter_name(
    conn: Connection, site_id: int, text: str, options: BillOptions
) -> str | UnknownMeter:
    try:
        return catalog.resolve_meter(conn, site_id, text).name
    except UnknownMeter as exc:
        if options.carrier is None:
            return exc
    catalog.ensure_meter(conn, site_id, text, kind=options.carrier)
    return text.strip()


def _store_meter(
    conn: Connection,
    site: catalog.SiteRef,
    meter: str,
    rows: list[_Row],
    options: BillOptions,
    report: BillsReport,
    table: Table,
) -> None:
    unit = canonical_unit(parse_unit(rows[0].unit))
    series = catalog.ensure_series(conn, site.id, meter, options.metric, unit)
    with_stored = store_bills.list_bills(conn, series.id)
    convention, assumed = _convention(rows, options.period_end, with_stored)
    good, errors, words = _periods(rows, convention, table.raw)
    report.errors += errors
    if assumed and good:
        report.warnings.append(
            f"{meter}: nothing in the file or the store tells how its periods end; each end "
            "was read as the last day billed (pass --period-end exclusive if it is the next "
            "period's start)"
        )
    if not good:
        return
    clashes = store_bills.measured_days(conn, series.id, [b for _, b in good], site.timezone)
    clashing = {id(bill): interval for bill, interval in clashes}
    for row, bill in good:
        if id(bill) in clashing:
            reason = (
                f"{meter} already has {clashing[id(bill)]} readings in {bill.text()}; a bill "
                "may not overwrite measured data"
            )
            report.errors.append(RowError(row.line, None, reason, table.raw(row.line), _MEASURED))
    kept = [
        replace(bill, source=Path(report.path).name) for _, bill in good if id(bill) not in clashing
    ]
    if not kept:
        return
    stats = store_bills.write_bills(conn, series.id, kept, site.timezone)
    report.meters.append(
        MeterBills(meter, unit, len(kept), kept[0].start, kept[-1].end_inclusive, stats, words)
    )
    for old in stats.replaced:
        report.warnings.append(
            f"{meter}: the stored bill {old.text()} was replaced by the file's bills over its days"
        )
