"""Parsing meter-data exports (CSV, Excel; long or wide) into validated readings and bad rows.

Pure: a file in, clean readings and a list of bad rows (with line numbers) out; nothing is
stored here. Vectorised with pandas so a million-row export parses in seconds.
"""

from __future__ import annotations

import csv
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from connectors.registers import registers_to_intervals
from store.errors import EMSError, UnknownUnit
from store.timeutil import zone
from store.units import (
    ADDITIVE_METRICS,
    DEFAULT_UNIT,
    UnitInfo,
    canonical_unit,
    check_metric_unit,
    parse_unit,
)

CHUNK_ROWS = 200_000
TIME_COLUMNS = ("timestamp", "time", "datetime", "date", "ts", "zeitstempel", "datum")
_HEADER_UNIT = re.compile(r"^(?P<name>.*?)\s*[\[(](?P<unit>[^\])]+)[\])]\s*$")
_HAS_OFFSET = re.compile(r"(?:z|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)

Progress = Callable[[int, int], None]


class ImportFormatError(EMSError):
    """The file as a whole cannot be read: missing, empty, corrupt, or an unknown layout."""


@dataclass(frozen=True)
class ParseOptions:
    """How to read a file.

    `cumulative` names the meters whose values are register readings (totals since
    installation); they are turned into interval amounts. With `interval_ending`, timestamps of
    interval metrics mark the end of each interval and are moved to its start.
    """

    timezone: str = "UTC"
    unit: str | None = None
    metric: str = "energy"
    cumulative: frozenset[str] = frozenset()
    interval_ending: bool = False
    sheet: str | None = None
    dayfirst: bool = False


@dataclass(frozen=True)
class RowError:
    line: int
    column: str | None
    reason: str
    raw: str


@dataclass(frozen=True)
class SeriesInfo:
    unit: str
    cumulative: bool
    interval_s: int | None


@dataclass
class ParsedFile:
    readings: pd.DataFrame
    series: dict[tuple[str, str], SeriesInfo]
    errors: list[RowError]
    rows_total: int
    rows_ok: int
    duplicates: int
    format: str
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Rows:
    """Long-layout rows as strings, each with its line number in the file."""

    frame: pd.DataFrame  # columns: line, timestamp, meter, metric, value, unit, toolong
    format: str
    table: pd.DataFrame  # the file as read, to quote bad rows


def parse_file(
    path: Path, options: ParseOptions, on_progress: Progress | None = None
) -> ParsedFile:
    """Read a CSV or .xlsx export and return its valid readings and its bad rows."""
    zone(options.timezone)
    if not path.exists():
        raise ImportFormatError(f"{path}: no such file")
    if path.is_dir():
        raise ImportFormatError(f"{path} is a folder; give a CSV or .xlsx file")
    table = _read_table(path, options, on_progress)
    rows = _to_long(table, options, path)
    return _validate(rows, options)


# ---------------------------------------------------------------- reading


def _read_table(path: Path, options: ParseOptions, on_progress: Progress | None) -> pd.DataFrame:
    """All cells as strings, plus a `__line__` column with the physical line (or sheet row)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_excel(path, options)
    if path.suffix.lower() == ".xls":
        raise ImportFormatError(f"{path.name}: old .xls workbooks are not read; save as .xlsx")
    raw = path.read_bytes()
    if not raw.strip():
        raise ImportFormatError(f"{path.name} is empty")
    if b"\x00" in raw[:4096]:
        raise ImportFormatError(f"{path.name} is not a text CSV file (binary content)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    header = text.splitlines()[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    if "\t" in header and header.count("\t") > header.count(delimiter):
        delimiter = "\t"
    return _read_csv_text(text, delimiter, path, on_progress)


def _read_csv_text(
    text: str, delimiter: str, path: Path, on_progress: Progress | None
) -> pd.DataFrame:
    total = text.count("\n")
    import io

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reader = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            on_bad_lines="warn",
            chunksize=CHUNK_ROWS,
        )
        chunks = []
        for chunk in reader:
            chunks.append(chunk)
            if on_progress is not None:
                on_progress(min(sum(len(c) for c in chunks), total), total)
    if any("Skipping line" in str(w.message) for w in caught):
        # Rows with the wrong number of fields: reread with the csv module to keep line numbers.
        return _read_csv_exact(text, delimiter)
    frame = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()
    if frame.columns.empty:
        raise ImportFormatError(f"{path.name} has no header row")
    frame["__line__"] = np.arange(2, len(frame) + 2)
    return frame


def _read_csv_exact(text: str, delimiter: str) -> pd.DataFrame:
    reader = csv.reader(text.splitlines(), delimiter=delimiter)
    header = next(reader)
    records, lines = [], []
    for row in reader:
        records.append(
            (row + [""] * len(header))[: len(header)] if len(row) <= len(header) else None
        )
        lines.append(reader.line_num)
    good = [r if r is not None else [""] * len(header) for r in records]
    frame = pd.DataFrame(good, columns=header, dtype=str)
    frame["__line__"] = lines
    frame["__toolong__"] = [r is None for r in records]
    return frame


def _read_excel(path: Path, options: ParseOptions) -> pd.DataFrame:
    try:
        frame = pd.read_excel(
            path, sheet_name=options.sheet or 0, dtype=str, keep_default_na=False, engine="openpyxl"
        )
    except ValueError as exc:
        raise ImportFormatError(f"{path.name}: {exc}") from None
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise ImportFormatError(
            f"{path.name} could not be opened as an Excel workbook ({exc.__class__.__name__}); "
            "is it a real .xlsx file?"
        ) from None
    if frame.columns.empty:
        raise ImportFormatError(f"{path.name}: the sheet is empty")
    frame["__line__"] = np.arange(2, len(frame) + 2)
    return frame


# ---------------------------------------------------------------- layout


def _to_long(table: pd.DataFrame, options: ParseOptions, path: Path) -> _Rows:
    columns = {str(c).strip().lower(): c for c in table.columns if not str(c).startswith("__")}
    time_col = next((columns[c] for c in TIME_COLUMNS if c in columns), None)
    if {"meter", "value"} <= set(columns) and time_col is not None:
        return _Rows(_long_frame(table, columns, time_col, options), "long", table)
    if time_col is None:
        first = next(iter(columns.values()), None)
        expected = "timestamp,meter,metric,value,unit (long) or timestamp,<meter> [unit],... (wide)"
        if first is None or not _looks_like_time(table[first]):
            found = ", ".join(str(c) for c in columns.values())
            raise ImportFormatError(
                f"{path.name}: unrecognised header ({found}); expected {expected}"
            )
        time_col = first
    return _Rows(_wide_frame(table, time_col, options, path), "wide", table)


def _looks_like_time(column: pd.Series) -> bool:
    sample = column.head(20)
    parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.5) if len(sample) else False


def _stripped(column: pd.Series) -> pd.Series:
    """Strip each distinct value once: columns like meter and unit repeat a few values."""
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    cleaned = np.array([str(u).strip() for u in uniques], dtype=object)
    return pd.Series(cleaned[codes], index=column.index, dtype=object)


def _long_frame(
    table: pd.DataFrame, columns: dict[str, str], time_col: str, options: ParseOptions
) -> pd.DataFrame:
    def col(name: str, default: str) -> pd.Series:
        return table[columns[name]] if name in columns else pd.Series(default, index=table.index)

    metric = _stripped(col("metric", options.metric).str.lower())
    return pd.DataFrame(
        {
            "line": table["__line__"],
            "timestamp": _stripped(table[time_col]),
            "meter": _stripped(table[columns["meter"]]),
            "metric": metric.where(metric != "", options.metric),
            "value": table[columns["value"]],
            "unit": _stripped(col("unit", options.unit or "")),
            "toolong": table["__toolong__"] if "__toolong__" in table else False,
        }
    )


def _wide_frame(
    table: pd.DataFrame, time_col: str, options: ParseOptions, path: Path
) -> pd.DataFrame:
    parts = []
    for column in table.columns:
        if column == time_col or str(column).startswith("__"):
            continue
        header = str(column).strip()
        match = _HEADER_UNIT.match(header)
        meter, unit = (match["name"].strip(), match["unit"].strip()) if match else (header, None)
        unit = unit or options.unit
        if unit is None:
            raise ImportFormatError(
                f"{path.name}: column {header!r} names no unit; write it as '{header} [kWh]' "
                "or pass --unit"
            )
        parts.append(
            pd.DataFrame(
                {
                    "line": table["__line__"],
                    "timestamp": table[time_col].astype(str).str.strip(),
                    "meter": meter,
                    "metric": options.metric,
                    "value": table[column].astype(str).str.strip(),
                    "unit": unit,
                    "toolong": table["__toolong__"] if "__toolong__" in table else False,
                    "column": header,
                }
            )
        )
    if not parts:
        raise ImportFormatError(f"{path.name}: a timestamp column but no meter columns")
    frame = pd.concat(parts, ignore_index=True)
    # Empty cells in a wide export are simply missing readings, not errors.
    return frame[frame["value"] != ""].reset_index(drop=True)


# ---------------------------------------------------------------- validation


class _Collector:
    """Bad rows found so far; a row is reported once, with the first reason found."""

    def __init__(self, frame: pd.DataFrame, table: pd.DataFrame) -> None:
        self.frame = frame
        self.bad = np.zeros(len(frame), dtype=bool)
        self.errors: list[RowError] = []
        self._table = table
        self._raw: pd.DataFrame | None = None

    def flag(
        self, mask: np.ndarray, column: str | None, reason: Callable[[pd.Series], str]
    ) -> None:
        mask = np.asarray(mask, dtype=bool) & ~self.bad
        for i in np.flatnonzero(mask):
            row = self.frame.iloc[i]
            col = row.get("column") if column == "value" and "column" in row else column
            self.errors.append(RowError(int(row["line"]), col, reason(row), self._raw_text(row)))
        self.bad |= mask

    def _raw_text(self, row: pd.Series) -> str:
        if self._raw is None:
            # Indexed on first use: most files have no bad rows at all.
            cols = [c for c in self._table.columns if not str(c).startswith("__")]
            self._raw = self._table.set_index("__line__")[cols]
        try:
            values = self._raw.loc[int(row["line"])]
            return ",".join(str(v) for v in np.atleast_1d(np.asarray(values, dtype=object)))
        except KeyError:
            return ""


def _validate(rows: _Rows, options: ParseOptions) -> ParsedFile:
    frame = rows.frame.reset_index(drop=True)
    blank = frame["timestamp"].eq("") & frame["meter"].eq("") & frame["value"].eq("")
    frame = frame[~(blank & ~frame["toolong"].astype(bool))]
    frame = frame.reset_index(drop=True)
    bad = _Collector(frame, rows.table)
    bad.flag(frame["toolong"].to_numpy(bool), None, lambda r: "more fields than the header has")
    bad.flag(frame["meter"].eq("").to_numpy(), "meter", lambda r: "no meter name")
    ts = _timestamps(frame, options, bad)
    values = _values(frame, options, bad)
    canonical_units = _units(frame, values, bad)
    frame = frame.assign(ts=ts, value_num=values, canonical=canonical_units)
    bad.frame = frame
    good = frame[~bad.bad]
    good, duplicates = _duplicates(good, bad)
    readings = pd.DataFrame(
        {
            "meter": good["meter"].to_numpy(str),
            "metric": good["metric"].to_numpy(str),
            "ts": good["ts"].to_numpy(np.int64),
            "value": good["value_num"].to_numpy(np.float64),
            "unit": good["canonical"].to_numpy(str),
        }
    ).sort_values(["meter", "metric", "ts"], ignore_index=True)
    readings, series, notes = _series(readings, options)
    rows_total = len(frame)
    errors = sorted(bad.errors, key=lambda e: e.line)
    return ParsedFile(
        readings=readings,
        series=series,
        errors=errors,
        rows_total=rows_total,
        rows_ok=rows_total - int(bad.bad.sum()),
        duplicates=duplicates,
        format=rows.format,
        warnings=notes,
    )


def _timestamps(frame: pd.DataFrame, options: ParseOptions, bad: _Collector) -> np.ndarray:
    """Epoch seconds per row. Each distinct text is parsed once: a long file repeats every
    timestamp once per meter, so this is where most of the parsing time is saved."""
    codes, uniques = pd.factorize(frame["timestamp"])
    text = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    epoch = np.zeros(len(text), dtype=np.int64)
    state = np.zeros(len(text), dtype=np.int8)  # 0 ok, 1 unreadable, 2 DST gap, 3 ambiguous
    aware = (
        text.str.contains(_HAS_OFFSET, na=False) & text.str.contains(r"\d[T ]\d|\dT", na=False)
    ).to_numpy(bool)
    if aware.any():
        parsed = pd.to_datetime(text[aware], format="ISO8601", utc=True, errors="coerce")
        ok = parsed.notna().to_numpy(bool)
        epoch[np.flatnonzero(aware)[ok]] = _seconds(parsed[ok])
        state[np.flatnonzero(aware)[~ok]] = 1
    naive_pos = np.flatnonzero(~aware)
    local = pd.DatetimeIndex(_parse_naive(text[~aware], options.dayfirst))
    if len(naive_pos):
        epoch[naive_pos], state[naive_pos] = _localize(local, options.timezone)
    rows_state = state[codes]
    tz = options.timezone
    bad.flag(rows_state == 1, "timestamp", lambda r: f"cannot read time {r['timestamp']!r}")
    bad.flag(
        rows_state == 2,
        "timestamp",
        lambda r: f"time {r['timestamp']!r} does not exist in {tz} (clocks jump forward)",
    )
    out = epoch[codes]
    ambiguous = np.flatnonzero(rows_state == 3)
    if len(ambiguous):
        naive_local = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[s]")
        naive_local[naive_pos] = local.as_unit("s").to_numpy()
        wall = pd.DatetimeIndex(naive_local[codes[ambiguous]])
        out[ambiguous] = _resolve_ambiguous(frame.iloc[ambiguous], wall, tz)
    return out


def _localize(local: pd.DatetimeIndex, tz: str) -> tuple[np.ndarray, np.ndarray]:
    """Epoch seconds of naive local times, and a state: 1 unreadable, 2 DST gap, 3 ambiguous."""
    state = np.where(np.asarray(local.isna(), dtype=bool), 1, 0).astype(np.int8)
    strict = local.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    ok = ~np.asarray(strict.isna(), dtype=bool)
    epoch = np.zeros(len(local), dtype=np.int64)
    epoch[ok] = strict[ok].as_unit("s").asi8
    problem = ~ok & (state == 0)
    if problem.any():
        gap = np.asarray(
            local[problem].tz_localize(tz, ambiguous=True, nonexistent="NaT").isna(), dtype=bool
        )
        state[np.flatnonzero(problem)[gap]] = 2
        state[np.flatnonzero(problem)[~gap]] = 3
    return epoch, state


def _seconds(values: pd.Series) -> np.ndarray:
    return np.asarray(pd.DatetimeIndex(values).tz_convert("UTC").as_unit("s").asi8, dtype=np.int64)


def _parse_naive(text: pd.Series, dayfirst: bool) -> pd.Series:
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    missing = parsed.isna() & text.ne("")
    if missing.any():
        first = text[missing].iloc[0]
        # Dotted dates (06.01.2025) are day-first wherever they are written.
        dotted = re.match(r"\d{1,2}\.\d{1,2}\.\d{4}", first) is not None
        fmt = pd.tseries.api.guess_datetime_format(first, dayfirst=dayfirst or dotted)
        if fmt is not None:
            parsed[missing] = pd.to_datetime(text[missing], format=fmt, errors="coerce")
    return parsed


def _resolve_ambiguous(frame: pd.DataFrame, local: pd.DatetimeIndex, tz: str) -> np.ndarray:
    """A wall time that happens twice when clocks go back: first occurrence in the file is
    summer time, the second winter time (exports list the repeated hour in order)."""
    keys = pd.DataFrame(
        {"meter": frame["meter"].to_numpy(), "metric": frame["metric"].to_numpy(), "t": local}
    )
    first = keys.groupby(["meter", "metric", "t"]).cumcount().to_numpy() == 0
    summer = local.tz_localize(tz, ambiguous=np.ones(len(local), bool))
    winter = local.tz_localize(tz, ambiguous=np.zeros(len(local), bool))
    return np.where(first, summer.as_unit("s").asi8, winter.as_unit("s").asi8)


def _values(frame: pd.DataFrame, options: ParseOptions, bad: _Collector) -> np.ndarray:
    text = frame["value"]
    values = pd.to_numeric(text, errors="coerce").to_numpy(np.float64, copy=True)
    retry = np.flatnonzero(np.isnan(values))
    if len(retry):
        # Only the cells that failed: padded numbers, and European '1.234,5' meaning 1234.5.
        cells = text.iloc[retry].astype(str).str.strip()
        comma = cells.str.fullmatch(r"-?[\d.]*\d,\d+", na=False)
        cells = cells.where(
            ~comma, cells.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        )
        values[retry] = pd.to_numeric(cells, errors="coerce").to_numpy(np.float64)
    empty = (
        text.astype(str).str.strip().eq("").to_numpy() if len(retry) else np.zeros(len(text), bool)
    )
    bad.flag(empty, "value", lambda r: "no value")
    bad.flag(np.isnan(values) & ~empty, "value", lambda r: f"value {r['value']!r} is not a number")
    bad.flag(np.isinf(values), "value", lambda r: f"value {r['value']!r} is infinite")
    return values


def _units(frame: pd.DataFrame, values: np.ndarray, bad: _Collector) -> np.ndarray:
    """Convert values in place to canonical units; returns each row's canonical unit."""
    units = frame["unit"].where(frame["unit"] != "", frame["metric"].map(DEFAULT_UNIT).fillna(""))
    canonical = np.empty(len(frame), dtype=object)
    groups = units.groupby([frame["metric"], units]).groups
    for key, index in groups.items():
        metric, unit_text = cast(tuple[str, str], key)
        pos = frame.index.get_indexer(index)
        try:
            info = _unit_for(str(metric), str(unit_text))
        except UnknownUnit as exc:
            mask = np.zeros(len(frame), bool)
            mask[pos] = True
            bad.flag(mask, "unit", _constant(str(exc)))
            continue
        values[pos] = values[pos] * info.factor + info.offset
        canonical[pos] = canonical_unit(info)
        if str(metric) in ADDITIVE_METRICS:
            negative = np.zeros(len(frame), bool)
            negative[pos] = values[pos] < 0
            bad.flag(
                negative,
                "value",
                lambda r: (
                    f"negative {r['metric']} {r['value']}; if this meter reports a "
                    "register, import it with --cumulative"
                ),
            )
    return canonical


def _constant(message: str) -> Callable[[pd.Series], str]:
    return lambda _row: message


def _unit_for(metric: str, unit_text: str) -> UnitInfo:
    if not unit_text:
        raise UnknownUnit(f"no unit given for metric {metric!r}; add a unit column or --unit")
    info = parse_unit(unit_text)
    check_metric_unit(metric, info)
    return info


def _duplicates(good: pd.DataFrame, bad: _Collector) -> tuple[pd.DataFrame, int]:
    keys = ["meter", "metric", "ts"]
    dup = good.duplicated(keys, keep=False)
    if not dup.any():
        return good, 0
    groups = good[dup].groupby(keys)
    conflicting = groups["value_num"].transform("nunique") > 1
    conflict_rows = good[dup][conflicting]
    lines_by_key = conflict_rows.groupby(keys)["line"].apply(list)
    mask = np.zeros(len(bad.frame), bool)
    mask[bad.frame.index.get_indexer(conflict_rows.index)] = True
    bad.flag(
        mask,
        "value",
        lambda r: (
            f"conflicting values for {r['meter']} {r['metric']} at {r['timestamp']} "
            f"(lines {', '.join(map(str, lines_by_key[(r['meter'], r['metric'], r['ts'])]))})"
        ),
    )
    kept = good.drop(conflict_rows.index)
    exact = int(kept.duplicated(keys).sum())
    return kept.drop_duplicates(keys), exact


def _series(
    readings: pd.DataFrame, options: ParseOptions
) -> tuple[pd.DataFrame, dict[tuple[str, str], SeriesInfo], list[str]]:
    series: dict[tuple[str, str], SeriesInfo] = {}
    notes: list[str] = []
    parts = []
    for (meter, metric), group in readings.groupby(["meter", "metric"], sort=True):
        key = (str(meter), str(metric))
        ts = group["ts"].to_numpy(np.int64)
        values = group["value"].to_numpy(np.float64)
        interval = int(np.median(np.diff(ts))) if len(ts) >= 3 else None
        cumulative = key[0] in options.cumulative
        if cumulative:
            result = registers_to_intervals(ts, values)
            notes += [f"{key[0]} {key[1]}: {issue.message}" for issue in result.issues]
            ts, values = result.ts, result.values
        elif options.interval_ending and key[1] in ADDITIVE_METRICS and interval:
            ts = ts - interval
        unit = str(group["unit"].iloc[0])
        series[key] = SeriesInfo(unit=unit, cumulative=cumulative, interval_s=interval)
        parts.append(
            pd.DataFrame(
                {"meter": key[0], "metric": key[1], "ts": ts, "value": values, "unit": unit}
            )
        )
    if not parts:
        return readings, series, notes
    return pd.concat(parts, ignore_index=True), series, notes
