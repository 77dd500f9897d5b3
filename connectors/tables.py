"""Reading meter-data exports (CSV or .xlsx, long or wide layout) into candidate rows of text.

This is the part of parsing that deals with how a file is written: its encoding, separator,
title lines above the header, decimal commas, a time zone named in the time column's header, and
which layout it uses. `connectors.parsing` validates the rows that come out; nothing is judged
here except whether the file as a whole can be read (`ImportFormatError`).

Layouts, told apart by the header (case-insensitive, any column order):

- long: `timestamp, meter, value` plus optional `metric`, `unit`, and the catalogue columns
  `carrier` and `parent`; other columns are ignored.
- wide: a time column (by name, or the first column when it holds dates), then one column per
  meter named `meter [unit]`, `meter (unit)`, or plain `meter` with a default unit. Each column's
  metric follows `column_metric`. An empty cell is a missing reading, not a row.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from openpyxl import load_workbook

from common.errors import EMSError, UnknownUnit
from common.timeutil import UnknownTimezone, zone
from common.units import Dimension, UnitInfo, check_metric_unit, parse_unit

CHUNK_ROWS = 200_000
SNIFF_LINES = 50  # lines that decide the separator and where the header is
SAMPLE_VALUES = 10_000  # values of a `;` or tab file that decide if it writes decimal commas
TIME_HEADERS = frozenset(
    {"timestamp", "time", "datetime", "date", "ts", "date/time", "date_time", "zeitstempel"}
    | {"datum", "zeit", "horodatage"}
)
# The metric of a wide column whose unit cannot measure the requested metric, by the unit's
# dimension. Mass and ratio have no single obvious metric (steam or product? humidity or valve
# position?), so such a column needs --metric.
DIMENSION_METRIC: dict[Dimension, str] = {
    Dimension.ENERGY: "energy",
    Dimension.POWER: "power",
    Dimension.VOLUME: "volume",
    Dimension.FLOW: "flow",
    Dimension.COUNT: "production",
    Dimension.PRESSURE: "pressure",
    Dimension.TEMPERATURE: "temperature",
}
# Which temperature a column holds, from words in its name. The baseline tools take
# outdoor_temperature as the weather driver, so a water temperature must never be read as one;
# a name with none of these words stays a plain `temperature`.
TEMPERATURE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("outdoor_temperature", ("outdoor", "outside", "ambient", "oat", "weather", "außen", "aussen")),
    ("supply_temperature", ("supply", "flow", "vorlauf")),
    ("return_temperature", ("return", "rücklauf", "ruecklauf")),
)

# Columns of a bills file (connectors.bills), by their names with spaces and punctuation
# dropped; a readings import that meets this layout points at `import-bills` instead.
BILL_COLUMNS: dict[str, tuple[str, ...]] = {
    "start": ("start", "from", "periodstart", "startdate", "billingstart", "von", "beginn"),
    "end": ("end", "to", "periodend", "enddate", "billingend", "bis", "ende"),
    "quantity": ("quantity", "kwh", "energy", "usage", "consumption", "value", "verbrauch"),
    "unit": ("unit", "einheit"),
    "cost": ("cost", "costs", "amount", "total", "totalcost", "charge", "betrag", "kosten"),
    "peak_kw": ("peakkw", "peak", "demand", "peakdemand", "maxdemand", "kw", "demandkw"),
    "estimated": ("estimated", "estimate", "readtype", "geschätzt"),
    "meter": ("meter", "zähler"),
}

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
ObjectArray = npt.NDArray[np.object_]
Progress = Callable[[int, int], None]
NumberStyle = Literal["point", "comma", "cells"]

_HEADER = re.compile(r"^(?P<name>.*?)\s*[\[(](?P<bracket>[^\])]*)[\])]\s*$")
_LOOKS_LIKE_DATE = re.compile(r"^\s*(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./]\d{1,2}[./]\d{2,4})")
_WORDS = re.compile(r"[^\W\d_]+")
_EUROPEAN = re.compile(r"\s*[+-]?\d{1,3}(?:\.\d{3})+(?:,\d*)?\s*")  # with dots: in threes
_US = re.compile(r"\s*[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?\s*")
_DOTTED_THOUSANDS = re.compile(r"\s*[+-]?\d{1,3}(?:\.\d{3})+\s*")
_COMMA_TO_POINT = str.maketrans({".": None, ",": ".", " ": None, "\u00a0": None, "\u202f": None})
_DROP_GROUPS = str.maketrans({",": None})


class ImportFormatError(EMSError):
    """The file as a whole cannot be read; the message says why and what to do."""


class UnreadableFile(ImportFormatError):
    """Missing, empty, binary or corrupt: no table could be read from the file."""


class UnknownLayout(ImportFormatError):
    """A table was read, but its header is no layout we know, or a column lacks a usable unit."""


class Layout(StrEnum):
    LONG = "long"
    WIDE = "wide"


@dataclass
class Table:
    """The file's cells as text: a header, and rows each with its physical line number."""

    name: str
    header: list[str]
    cells: pd.DataFrame  # one str column per header field, labelled 0..n-1
    lines: IntArray
    fields: IntArray | None  # per row, its field count when it fills fields beyond the header
    numbers: NumberStyle
    raw: Callable[[int], str]  # a line as written, to quote a bad row
    total: int  # rows below the header, for progress


@dataclass
class Rows:
    """Candidate readings in long form, as text, each with its line and the column it came from."""

    layout: Layout
    line: IntArray
    timestamp: pd.Series
    meter: pd.Series
    metric: pd.Series  # empty where the file names none
    value: pd.Series
    unit: pd.Series  # empty where the file names none
    value_column: str | ObjectArray  # header of each value's column, for error records
    columns: dict[str, str | None]  # header text of the timestamp, meter, unit ... columns
    fields: IntArray  # field count of rows longer than the header, else 0
    width: int  # fields in the header
    timezone: str  # of naive times
    notes: list[str]
    # The meter's carrier and parent (long layout only); empty where the file names none.
    carrier: pd.Series | None = None
    parent: pd.Series | None = None


# ------------------------------------------------------------------------------ reading


def read_table(path: Path, sheet: str | None, on_progress: Progress | None) -> Table:
    """The header and text cells of a CSV file or of a sheet (the first when None) of a workbook.

    Raises UnreadableFile when the file is missing, empty, binary, an old .xls or damaged.
    """
    if not path.exists():
        raise UnreadableFile(f"{path}: no such file")
    if path.is_dir():
        raise UnreadableFile(f"{path} is a folder; give a CSV or .xlsx file")
    with path.open("rb") as handle:
        magic = handle.read(8)
    if magic.startswith(b"\xd0\xcf\x11\xe0") or path.suffix.lower() == ".xls":
        raise UnreadableFile(
            f"{path.name} is an old Excel .xls workbook, which is not read; save it as .xlsx or CSV"
        )
    if magic.startswith(b"PK\x03\x04") or path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet, on_progress)
    return _read_csv(path, on_progress)


def _read_csv(path: Path, on_progress: Progress | None) -> Table:
    text = _decode(path.read_bytes(), path.name)
    if not text.strip():
        raise UnreadableFile(f"{path.name} is empty")
    delimiter, skip = _sniff(text)
    physical = text.count("\n") + text.count("\r") - text.count("\r\n")
    physical += not text.endswith(("\n", "\r"))
    frame: pd.DataFrame | None = None
    try:
        frame = _read_with_pandas(text, delimiter, skip, physical, on_progress)
    except pd.errors.ParserError:
        pass  # a row with more fields than the header: read exactly below
    fields = None
    if frame is not None and len(frame) == physical - skip:
        lines = np.arange(skip + 1, physical + 1, dtype=np.int64)
    else:
        # Quoted line breaks, lone \r line ends or over-long rows: the csv module keeps lines.
        frame, lines, fields = _read_exactly(text, delimiter, skip)
    # A comma inside a value of a `;` or tab file cannot be a delimiter: most often a decimal.
    numbers: NumberStyle = "point" if delimiter == "," else "comma"
    rows = max(physical - skip - 1, 0)  # lines below the header
    return _table(path.name, frame, lines, fields, numbers, _line_reader(text), rows)


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:4096]:
        raise UnreadableFile(
            f"{name} is not a text CSV file (binary content); give a CSV or .xlsx export"
        )
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _sniff(text: str) -> tuple[str, int]:
    """The delimiter, and how many lines come before the header.

    The delimiter is the one the most lines hold equally often: decimal commas in a `;` file
    vary from line to line, its `;` do not. The header is the first line with at least that
    many, so a title above it ('Trend export, Building 4') is skipped even when it holds a
    delimiter itself; only a title as wide as the table is taken for the header.
    """
    lines = [
        line.rstrip("\r\n")
        for line in itertools.islice(io.StringIO(text, newline=None), SNIFF_LINES)
    ]
    best: tuple[int, int, str] | None = None
    for delimiter in (",", ";", "\t"):
        counts = Counter(n for line in lines if (n := _separators(line, delimiter)))
        if counts:
            count, support = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
            if best is None or (support, count) > best[:2]:
                best = (support, count, delimiter)
    if best is None:
        return ",", 0
    _, count, delimiter = best
    return delimiter, next(
        i for i, line in enumerate(lines) if _separators(line, delimiter) >= count
    )


def _separators(line: str, delimiter: str) -> int:
    """Delimiters between fields: one closing the line (data rows often have it, headers not)
    makes no field."""
    return line.removesuffix(delimiter).count(delimiter)


def _read_with_pandas(
    text: str, delimiter: str, skip: int, physical: int, on_progress: Progress | None
) -> pd.DataFrame:
    reader = pd.read_csv(
        io.StringIO(text),
        sep=delimiter,
        skiprows=skip,
        header=None,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
        chunksize=CHUNK_ROWS,
    )
    chunks = []
    total = max(physical - skip - 1, 0)
    with reader:
        for chunk in reader:
            chunks.append(chunk)
            if on_progress is not None:
                on_progress(min(sum(len(c) for c in chunks) - 1, total), total)
    return pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()


def _read_exactly(text: str, delimiter: str, skip: int) -> tuple[pd.DataFrame, IntArray, IntArray]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    starts: list[int] = []
    line = 1
    for row in reader:
        if line > skip:
            rows.append(row)
            starts.append(line)
        line = reader.line_num + 1
    width = len(rows[0]) if rows else 0  # the header's: rows are padded or cut to it
    fields = np.array(
        [len(row) if any(c.strip() for c in row[width:]) else 0 for row in rows], dtype=np.int64
    )
    padded = [(row + [""] * width)[:width] for row in rows]
    return pd.DataFrame(padded, dtype=str), np.array(starts, dtype=np.int64), fields


def _line_reader(text: str) -> Callable[[int], str]:
    cache: list[str] = []

    def raw(line: int) -> str:
        if not cache:
            cache.extend(re.split(r"\r\n|\r|\n", text))  # once, and only when a row is bad
        return cache[line - 1] if 0 < line <= len(cache) else ""

    return raw


def _read_xlsx(path: Path, sheet: str | None, on_progress: Progress | None) -> Table:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of error for a damaged file
        raise UnreadableFile(
            f"{path.name} could not be opened as an Excel workbook ({exc.__class__.__name__}); "
            "is it a real .xlsx file? Open and save it in Excel, or export it as CSV"
        ) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            names = ", ".join(repr(n) for n in book.sheetnames)
            raise UnreadableFile(f"{path.name} has no sheet named {sheet!r}; its sheets: {names}")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        rows: list[list[str]] = []
        for values in ws.iter_rows(values_only=True):
            rows.append([_cell_text(v) for v in values])
            if on_progress is not None and len(rows) % CHUNK_ROWS == 0:
                on_progress(len(rows) - 1, max(ws.max_row or 0, len(rows)) - 1)
    except ImportFormatError:
        raise
    except Exception as exc:
        raise UnreadableFile(
            f"{path.name}: the workbook is damaged ({exc.__class__.__name__}: {exc}); "
            "open and save it in Excel, or export it as CSV"
        ) from None
    finally:
        book.close()
    width = max((len(row) for row in rows), default=0)
    frame = pd.DataFrame([row + [""] * (width - len(row)) for row in rows], dtype=str)

    def raw(line: int) -> str:
        return ",".join(rows[line - 1]).rstrip(",")

    lines = np.arange(1, len(rows) + 1, dtype=np.int64)
    return _table(path.name, frame, lines, None, "cells", raw, max(len(rows) - 1, 0))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        # Excel keeps times as fractions of a day; round away its float error (08:29:59.9999).
        return (value + timedelta(microseconds=500_000)).replace(microsecond=0).isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _table(
    name: str,
    frame: pd.DataFrame,
    lines: IntArray,
    fields: IntArray | None,
    numbers: NumberStyle,
    raw: Callable[[int], str],
    total: int,
) -> Table:
    """Split off the header: the first row with two filled cells (a sheet's title row above it,
    such as 'Trend export', is skipped), or else the first row with anything in it."""
    counts = [int(frame.iloc[i].str.strip().ne("").sum()) for i in range(min(len(frame), 50))]
    at = next((i for i, n in enumerate(counts) if n >= 2), None)
    at = next((i for i, n in enumerate(counts) if n >= 1), None) if at is None else at
    if at is None:
        raise UnreadableFile(f"{name} is empty")
    header = [str(h).strip().lstrip("\ufeff") for h in frame.iloc[at]]
    cells = frame.iloc[at + 1 :].reset_index(drop=True)
    cells.columns = pd.RangeIndex(len(header))
    fields = None if fields is None else fields[at + 1 :]
    return Table(name, header, cells, lines[at + 1 :], fields, numbers, raw, total)


# ------------------------------------------------------------------------------ layout


def _bill_key(header: str) -> str:
    return re.sub(r"[\s_\-./()\[\]]+", "", header.strip().lower())


def bill_columns(header: list[str]) -> dict[str, int] | None:
    """Where each bill column is, or None when the header has no start, end and quantity."""
    keys = [_bill_key(h) for h in header]
    found: dict[str, int] = {}
    for name, words in BILL_COLUMNS.items():
        at = next((i for i, k in enumerate(keys) if k in words), None)
        if at is None and name == "quantity":
            # "kWh (total)", "Energy [kWh]": a header that starts with a quantity word
            at = next((i for i, k in enumerate(keys) if k.startswith(("kwh", "energy"))), None)
        if at is not None and at not in found.values():
            found[name] = at
    return found if {"start", "end", "quantity"} <= set(found) else None


def split_header(text: str) -> tuple[str, str | None]:
    """'hall 2 [kWh]' -> ('hall 2', 'kWh'); a header without brackets has no unit."""
    match = _HEADER.match(text)
    return (match["name"].strip(), match["bracket"].strip()) if match else (text.strip(), None)


def table_rows(table: Table, timezone: str, unit: str | None, metric: str) -> Rows:
    """The table's candidate readings, one per line (long) or per filled cell (wide).

    `timezone` reads naive times unless the time column's header names a zone; `unit` and
    `metric` are the defaults of wide columns. Raises UnknownLayout when the header fits neither
    layout, or a wide column has no usable unit or metric.
    """
    names = [split_header(h)[0].lower() for h in table.header]
    if table.header and _LOOKS_LIKE_DATE.match(table.header[0]):
        raise UnknownLayout(
            f"{table.name} has no header row: its first line is data ({table.header[0]!r}, ...); "
            "add a header such as timestamp,meter,metric,value,unit"
        )
    time_at = next((i for i, n in enumerate(names) if n in TIME_HEADERS), None)
    if time_at is None and bill_columns(table.header) is not None:
        raise UnknownLayout(
            f"{table.name} holds bills (start, end and quantity columns), not readings; import "
            "it with `ems-agent import-bills FILE --meter METER`, which spreads each bill over "
            "its days"
        )
    if "meter" in names:
        return _long_rows(table, names, time_at, timezone)
    if time_at is None and len(names) > 1 and _holds_dates(table.cells[0]):
        time_at = 0
    if time_at is None or len(names) < 2:
        found = ", ".join(repr(h) for h in table.header)
        raise UnknownLayout(
            f"{table.name}: unrecognised header ({found}); expected a long layout "
            "(timestamp, meter, metric, value, unit) or a wide one (timestamp, then one column "
            "per meter such as 'NAME [kWh]')"
        )
    return _wide_rows(table, time_at, timezone, unit, metric)


def _holds_dates(column: pd.Series) -> bool:
    sample = [v for v in column.head(50) if v.strip()][:20]
    return bool(sample) and sum(bool(_LOOKS_LIKE_DATE.match(v)) for v in sample) * 2 >= len(sample)


def header_zone(header: str, timezone: str, notes: list[str]) -> str:
    """A zone the time column's header names (`Timestamp (UTC)`) wins over `timezone`."""
    bracket = split_header(header)[1]
    if not bracket:
        return timezone
    try:
        zone(bracket)
    except UnknownTimezone:
        return timezone  # a format hint such as (dd.mm.yyyy), not a zone
    if bracket != timezone:
        notes.append(
            f"times without an offset are read in {bracket}, as the header {header!r} says"
        )
    return bracket


def _long_rows(table: Table, names: list[str], time_at: int | None, timezone: str) -> Rows:
    value_at = names.index("value") if "value" in names else None
    if time_at is None or value_at is None:
        missing = " or ".join(
            repr(n) for n, at in (("timestamp", time_at), ("value", value_at)) if at is None
        )
        raise UnknownLayout(
            f"{table.name}: the header has a 'meter' column but no {missing} column; a long "
            "export needs timestamp, meter and value columns (metric and unit are optional); "
            f"found: {', '.join(repr(h) for h in table.header)}"
        )
    cells = table.cells

    def column(name: str) -> pd.Series:
        if name in names:
            return cells[names.index(name)]
        return pd.Series([""] * len(cells), dtype=str)

    def header(name: str) -> str | None:
        return table.header[names.index(name)] if name in names else None

    notes: list[str] = []
    return Rows(
        layout=Layout.LONG,
        line=table.lines,
        timestamp=cells[time_at],
        meter=column("meter"),
        metric=column("metric"),
        value=cells[value_at],
        unit=column("unit"),
        value_column=table.header[value_at],
        columns={
            "timestamp": table.header[time_at],
            "meter": header("meter"),
            "unit": header("unit"),
            "carrier": header("carrier"),
            "parent": header("parent"),
        },
        fields=_fields(table),
        width=len(table.header),
        timezone=header_zone(table.header[time_at], timezone, notes),
        notes=notes,
        carrier=column("carrier") if "carrier" in names else None,
        parent=column("parent") if "parent" in names else None,
    )


def _fields(table: Table) -> IntArray:
    return table.fields if table.fields is not None else np.zeros(len(table.cells), np.int64)


@dataclass(frozen=True)
class _WideColumn:
    at: int
    header: str
    meter: str
    metric: str
    unit: str


def _wide_rows(table: Table, time_at: int, timezone: str, unit: str | None, metric: str) -> Rows:
    notes: list[str] = []
    columns = [
        c
        for at in range(len(table.header))
        if at != time_at and (c := _wide_column(table, at, unit, metric, notes)) is not None
    ]
    if not columns:
        raise UnknownLayout(f"{table.name}: a time column but no meter columns")
    times, fields = table.cells[time_at].to_numpy(object), _fields(table)
    filled = [table.cells[c.at].str.strip().ne("").to_numpy(bool) for c in columns]

    def stacked(cell: Callable[[_WideColumn, npt.NDArray[np.bool_]], npt.ArrayLike]) -> ObjectArray:
        return np.concatenate(
            [np.asarray(cell(c, f), dtype=object) for c, f in zip(columns, filled, strict=True)]
        )

    def repeated(text: Callable[[_WideColumn], str]) -> ObjectArray:
        return stacked(lambda c, f: np.full(int(f.sum()), text(c), dtype=object))

    return Rows(
        layout=Layout.WIDE,
        line=np.concatenate([table.lines[f] for f in filled]),
        timestamp=pd.Series(stacked(lambda c, f: times[f]), dtype=str),
        meter=pd.Series(repeated(lambda c: c.meter), dtype=str),
        metric=pd.Series(repeated(lambda c: c.metric), dtype=str),
        value=pd.Series(stacked(lambda c, f: table.cells[c.at].to_numpy(object)[f]), dtype=str),
        unit=pd.Series(repeated(lambda c: c.unit), dtype=str),
        value_column=repeated(lambda c: c.header),
        columns={"timestamp": table.header[time_at], "meter": None, "unit": None},
        fields=np.concatenate([fields[f] for f in filled]),
        width=len(table.header),
        timezone=header_zone(table.header[time_at], timezone, notes),
        notes=notes,
    )


def _wide_column(
    table: Table, at: int, default_unit: str | None, default_metric: str, notes: list[str]
) -> _WideColumn | None:
    header = table.header[at]
    meter, bracket = split_header(header)
    if not meter:
        if not table.cells[at].str.strip().ne("").any():
            return None  # the empty column a trailing delimiter makes
        raise UnknownLayout(
            f"{table.name}: column {at + 1} ({header!r}) has values but no meter name in the header"
        )
    unit_text = bracket or default_unit
    if not unit_text:
        raise UnknownLayout(
            f"{table.name}: column {header!r} names no unit; write the header as "
            f"'{meter} [kWh]', or pass --unit"
        )
    try:
        unit = parse_unit(unit_text)
        metric = column_metric(meter, unit, default_metric)
    except UnknownUnit as exc:
        raise UnknownLayout(f"{table.name}: column {header!r}: {exc}") from None
    if metric != default_metric:
        notes.append(
            f"column {header!r} is read as {metric}, since {unit.symbol!r} measures "
            f"{unit.dimension.value}, not {default_metric} (pass --metric to choose another)"
        )
    return _WideColumn(at, header, meter, metric, unit_text)


def column_metric(meter: str, unit: UnitInfo, metric: str) -> str:
    """The metric of a wide column: `metric` when its unit can measure it; else the metric of
    the unit's dimension (`DIMENSION_METRIC`), where a temperature is told apart by the words
    of the column's name (`TEMPERATURE_WORDS`). Raises UnknownUnit for a unit with no such
    metric (mass, ratio)."""
    try:
        check_metric_unit(metric, unit)
    except UnknownUnit as exc:
        implied = DIMENSION_METRIC.get(unit.dimension)
        if implied is None:
            raise UnknownUnit(f"{exc}; pass --metric to name what it measures") from None
        if unit.dimension is Dimension.TEMPERATURE:
            words = _WORDS.findall(meter.lower())
            for name, stems in TEMPERATURE_WORDS:
                if any(word.startswith(stems) for word in words):
                    return name
        return implied
    return metric


# ------------------------------------------------------------------------------ numbers


def parse_numbers(text: pd.Series, style: NumberStyle) -> FloatArray:
    """Numbers as exports write them; NaN where a text is no number.

    A `;` or tab file whose first values mostly use decimal commas is read the European way
    throughout (1.234 is 1234); other files plainly, with only the cells that fail retried in
    local forms (1,5 in a sheet, 1,234.5 in a `,` file or a sheet).
    """
    raw = text.to_numpy(object)
    european = style == "comma" and _writes_decimal_commas(raw[:SAMPLE_VALUES])
    values = _european(raw) if european else _plain(raw)
    failed = np.flatnonzero(np.isnan(values))
    if len(failed) == 0:
        return values
    if european:
        values[failed] = _plain(raw[failed])  # a stray 12.5: there is only one way to read it
        return values
    local = _european(raw[failed]) if style != "point" else np.full(len(failed), np.nan)
    if style != "comma":
        rest = np.isnan(local)
        local[rest] = _american(raw[failed][rest])
    values[failed] = local
    return values


def _plain(cells: ObjectArray) -> FloatArray:
    return pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce").to_numpy(
        np.float64, copy=True
    )


def _european(cells: ObjectArray) -> FloatArray:
    """1.234,5 and 1,5: the comma is the decimal point, dots only group digits in threes."""
    fixed = [
        c.translate(_COMMA_TO_POINT) if "." not in c or _EUROPEAN.fullmatch(c) else ""
        for c in cells
    ]
    return _plain(np.array(fixed, dtype=object))


def _american(cells: ObjectArray) -> FloatArray:
    """1,234.5: commas group digits in threes."""
    fixed = [c.translate(_DROP_GROUPS) if _US.fullmatch(c) else "" for c in cells]
    return _plain(np.array(fixed, dtype=object))


def _writes_decimal_commas(cells: ObjectArray) -> bool:
    """More values with a decimal comma than with an unmistakable decimal point (12.5; 1.250
    could be either)."""
    commas = sum(1 for c in cells if "," in c)
    points = sum(1 for c in cells if "." in c and not _DOTTED_THOUSANDS.fullmatch(c))
    return commas > points
