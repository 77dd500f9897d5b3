"""Validation of meter-data exports into readings: times, numbers, units, duplicates, registers.

A file goes in; readings in canonical units, one record per bad row (its line, column, value as
written and a fixed `RowProblem` key) and warnings come out. Nothing is stored here: the
importer decides what to keep. How the file is written (separators, decimal commas, title lines,
long or wide layout) is `connectors.tables`' job. Vectorised with pandas, so a million-row export
parses in seconds.

Rows: in the long layout a row without a metric takes `ParseOptions.metric`, one without a unit
the option's unit where it can measure the metric, else the metric's default unit (kWh for
energy). A wide column's metric is `ParseOptions.metric` when its unit can measure it, else
inferred from the unit and the column's name (`connectors.tables.column_metric`), with a warning.
A unit problem in a wide header fails the whole file: it is one fix, and would otherwise make
every row of that column bad.

Times: ISO 8601 with an offset or `Z` is exact. Naive times are wall-clock time in
`ParseOptions.timezone`, or in a zone the time column's header names (`Timestamp (UTC)`). A naive
time in the spring-forward gap is a bad row; one in the autumn overlap is resolved by order (first
pass summer time, second winter time) when that series' rows are in time order, else a bad row.
Dotted dates (06.01.2025) are day-first, slashed ones month-first unless `dayfirst`.

Catalogue columns: a long file may give each meter's `carrier` and `parent`, checked like a plant
file: a known carrier, a parent that is a meter of the file or the store, no meter its own
parent or in a cycle, one carrier and one parent per meter. A row that breaks one is a bad row.

Registers: `ParseOptions.cumulative` names the meters whose values are register readings (totals
since installation). Their amount series (energy, volume, production) become interval amounts
stamped at the interval start by `connectors.registers`; resets, rollovers and swaps become
warnings. A negative amount of any other meter is a bad row.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from common.errors import UnknownUnit
from common.timeutil import from_epoch, zone
from common.units import (
    ADDITIVE_METRICS,
    DEFAULT_UNIT,
    UnitInfo,
    canonical_unit,
    check_metric_unit,
    parse_unit,
)
from connectors.catalog_checks import cycle as _cycle
from connectors.catalog_file import CARRIERS
from connectors.registers import RegisterIssue, registers_to_intervals
from connectors.tables import (
    ImportFormatError,
    Layout,
    NumberStyle,
    Progress,
    Rows,
    UnknownLayout,
    UnreadableFile,
    parse_numbers,
    read_table,
    table_rows,
)

__all__ = [
    "ImportFormatError",
    "Layout",
    "ParseOptions",
    "ParsedFile",
    "RowError",
    "RowProblem",
    "SeriesInfo",
    "UnknownLayout",
    "UnreadableFile",
    "parse_file",
]

# Metrics whose reading covers the interval before an interval-ending timestamp.
INTERVAL_METRICS = ADDITIVE_METRICS | {"demand"}
MAX_ISSUES_LISTED = 5  # register issues listed per series; the rest are counted

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]

_OFFSET_AT_END = re.compile(r"(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$")
_TIME_OF_DAY = re.compile(r"\d[T ]\d")
_MONTH_ABOVE_12 = re.compile(r"^\s*(1[3-9]|[23]\d)/\d{1,2}/")
_NO_WALL = np.iinfo(np.int64).min


class RowProblem(StrEnum):
    """What is wrong with a bad row, as a fixed key (the reason says it in words)."""

    EXTRA_FIELDS = "extra_fields"
    MISSING_METER = "missing_meter"
    MISSING_TIME = "missing_time"
    UNREADABLE_TIME = "unreadable_time"
    NONEXISTENT_TIME = "nonexistent_time"  # in the spring-forward gap
    AMBIGUOUS_TIME = "ambiguous_time"  # in the autumn overlap, rows out of time order
    MISSING_VALUE = "missing_value"
    NOT_A_NUMBER = "not_a_number"
    INFINITE_VALUE = "infinite_value"
    MISSING_UNIT = "missing_unit"
    UNKNOWN_UNIT = "unknown_unit"
    WRONG_UNIT = "wrong_unit"  # a unit that cannot measure the metric
    NEGATIVE_AMOUNT = "negative_amount"
    CONFLICTING_DUPLICATE = "conflicting_duplicate"
    UNKNOWN_CARRIER = "unknown_carrier"
    UNKNOWN_PARENT = "unknown_parent"  # not a meter of the file or the store
    PARENT_CYCLE = "parent_cycle"  # its own parent, or a circle in the tree
    CONFLICTING_CATALOGUE = "conflicting_catalogue"  # rows give one meter two carriers or parents
    # Bills (connectors.bills)
    UNREADABLE_DATE = "unreadable_date"
    END_BEFORE_START = "end_before_start"
    OVERLAPPING_BILL = "overlapping_bill"
    UNKNOWN_METER = "unknown_meter"
    MEASURED_DATA = "measured_data"  # a bill over readings measured at the meter's own interval


@dataclass(frozen=True)
class ParseOptions:
    """How to read a file.

    Attributes:
        timezone: IANA zone of naive timestamps, such as 'Europe/Berlin'.
        unit: unit of values the file gives none: wide columns without `[unit]` in the header,
            and long rows with an empty unit (where it can measure their metric).
        metric: metric of wide columns whose unit can measure it, and of long rows without one.
        cumulative: meters whose values are register readings, to turn into interval amounts.
        interval_ending: timestamps mark the end of each interval; interval metrics (energy,
            volume, production, demand) move back to the interval's start.
        sheet: Excel sheet to read; the first one when None.
        dayfirst: read slashed dates such as 03/04/2025 as 3 April.
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
    """A bad row: its line in the file (its row number in a sheet), the column, why (in words and
    as a key), and the row as written."""

    line: int
    column: str | None
    reason: str
    raw: str
    problem: RowProblem


@dataclass(frozen=True)
class SeriesInfo:
    unit: str  # canonical unit symbol
    cumulative: bool  # read from register readings
    interval_s: int | None  # median spacing of the readings, when there are at least three


@dataclass(frozen=True)
class MeterColumns:
    """A meter's catalogue columns as its good rows give them (None: not given)."""

    carrier: str | None
    parent: str | None


@dataclass
class ParsedFile:
    """A parsed file.

    `readings` has columns meter, metric, ts (int64 epoch seconds, UTC), value (float64, in the
    canonical unit) and unit, sorted by meter, metric and ts. A row is one reading: a line in the
    long layout, a filled cell in the wide one. `rows_total` counts them, `rows_ok` those that
    are not bad (exact duplicates included: `duplicates` counts the extra copies dropped).
    `errors` holds one record per bad line and column, so a wide line whose time is bad is one
    error, however many readings it held.
    """

    readings: pd.DataFrame
    series: dict[tuple[str, str], SeriesInfo]
    errors: list[RowError]
    rows_total: int
    rows_ok: int
    duplicates: int
    format: Layout
    warnings: list[str] = field(default_factory=list)
    catalogue: dict[str, MeterColumns] = field(default_factory=dict)


def parse_file(
    path: Path | str,
    options: ParseOptions,
    on_progress: Progress | None = None,
    known_meters: Mapping[str, str | None] | None = None,
) -> ParsedFile:
    """Read a CSV or .xlsx export and return its valid readings, bad rows and warnings.

    `on_progress(done_rows, total_rows)` is called as the file is read, once per chunk, and once
    more when parsing is done. Raises ImportFormatError (UnreadableFile, UnknownLayout) when the
    file as a whole cannot be read, UnknownTimezone for a bad `options.timezone`.
    `known_meters` (name -> parent) are the store's meters, which a parent column may name.
    """
    zone(options.timezone)
    table = read_table(Path(path), options.sheet, on_progress)
    rows = table_rows(table, options.timezone, options.unit, options.metric)
    parsed = _validate(rows, table.numbers, table.raw, options, known_meters or {})
    if on_progress is not None:
        on_progress(table.total, table.total)
    return parsed


# ------------------------------------------------------------------------------ validation

_OK, _UNREADABLE, _GAP, _AMBIGUOUS, _EMPTY = range(5)  # states of a time text
_GAP_TEXT = "time {t!r} does not exist in {tz}: the clocks jump forward over it"
_OVERLAP_TEXT = (
    "time {t!r} happens twice in {tz} (the clocks go back) and this meter's rows are not in "
    "time order, so which one is meant cannot be told"
)


@dataclass
class _Names:
    """Stripped texts of a column as codes into sorted distinct names (meters repeat a lot)."""

    codes: IntArray
    names: ObjectArray

    @classmethod
    def of(cls, column: pd.Series, clean: Callable[[pd.Series], pd.Series] | None = None) -> _Names:
        codes, uniques = pd.factorize(column)
        tidy = pd.Series(np.asarray(uniques, dtype=object), dtype=str).str.strip()
        sorted_codes, names = pd.factorize(clean(tidy) if clean else tidy, sort=True)
        return cls(sorted_codes[codes].astype(np.int64), np.asarray(names, dtype=object))

    def text(self) -> ObjectArray:
        return self.names[self.codes]


class _Check:
    """The rules a candidate row must pass, one method each. A row is reported once, for the
    first rule it breaks; later rules only look at rows still good."""

    def __init__(self, rows: Rows, options: ParseOptions) -> None:
        self.rows, self.options = rows, options
        self.meters = _Names.of(rows.meter)
        self.metrics = _Names.of(
            rows.metric, lambda s: s.str.lower().where(s.ne(""), options.metric)
        )
        self.stamps = _Names.of(rows.timestamp)
        self.group = self.meters.codes * len(self.metrics.names) + self.metrics.codes
        self.blank = self._blank()
        self.bad = self.blank.copy()
        self._found: list[tuple[IntArray, str | ObjectArray | None, RowProblem, list[str]]] = []

    def flag(
        self,
        mask: BoolArray,
        column: str | ObjectArray | None,
        problem: RowProblem,
        reason: str | Callable[[IntArray], list[str]],
    ) -> None:
        new = np.flatnonzero(mask & ~self.bad)
        if len(new):
            self.bad[new] = True
            reasons = reason(new) if callable(reason) else [reason] * len(new)
            columns = column[new] if isinstance(column, np.ndarray) else column
            self._found.append((new, columns, problem, reasons))

    def errors(self, raw: Callable[[int], str]) -> list[RowError]:
        found = [
            (int(self.rows.line[i]), col[k] if isinstance(col, np.ndarray) else col, why[k], kind)
            for at, col, kind, why in self._found
            for k, i in enumerate(at)
        ]
        # A wide row's bad time is one error, not one per meter column.
        unique = sorted(dict.fromkeys(found), key=lambda e: e[0])
        return [RowError(line, col, why, raw(line), kind) for line, col, why, kind in unique]

    def _blank(self) -> BoolArray:
        """Blank lines: no rows at all, neither counted nor reported."""
        empty = np.asarray((self.meters.text() == "") & (self.stamps.text() == ""), dtype=bool)
        at = np.flatnonzero(empty)
        empty[at] = self.rows.value.iloc[at].str.strip().eq("").to_numpy(bool)
        return empty

    def extra_fields(self) -> None:
        fields, width = self.rows.fields, self.rows.width
        self.flag(
            fields > 0,
            None,
            RowProblem.EXTRA_FIELDS,
            lambda at: [f"{n} fields, but the header has {width}" for n in fields[at].tolist()],
        )

    def times(self) -> IntArray:
        """Epoch seconds per row. Each distinct text is parsed once: a long file repeats every
        timestamp once per meter, so this is where most of the parsing time is saved."""
        tz, codes, dayfirst = self.rows.timezone, self.stamps.codes, self.options.dayfirst
        epochs, states, walls = _parse_times(self.stamps.names, tz, dayfirst)
        epoch, state = epochs[codes], states[codes]
        ambiguous = state == _AMBIGUOUS
        if ambiguous.any():
            settled, unresolved = _settle_overlap(
                self.group, self.rows.line, walls[codes], ambiguous, tz
            )
            epoch[ambiguous] = settled[ambiguous]
            state[ambiguous & ~unresolved] = _OK
        shown, column = self.stamps.text(), self.rows.columns["timestamp"]

        def quoted(template: str) -> Callable[[IntArray], list[str]]:
            return lambda at: [
                template.format(t=t, tz=tz, hint=_date_hint(t, dayfirst)) for t in shown[at]
            ]

        self.flag(state == _EMPTY, column, RowProblem.MISSING_TIME, "no time")
        unreadable = quoted("cannot read time {t!r}{hint}")
        self.flag(state == _UNREADABLE, column, RowProblem.UNREADABLE_TIME, unreadable)
        self.flag(state == _GAP, column, RowProblem.NONEXISTENT_TIME, quoted(_GAP_TEXT))
        self.flag(state == _AMBIGUOUS, column, RowProblem.AMBIGUOUS_TIME, quoted(_OVERLAP_TEXT))
        return epoch

    def values(self, style: NumberStyle) -> FloatArray:
        text, column = self.rows.value, self.rows.value_column
        values = parse_numbers(text, style)
        failed = np.isnan(values)
        empty = np.zeros(len(values), dtype=bool)
        at = np.flatnonzero(failed)
        empty[at] = text.iloc[at].str.strip().eq("").to_numpy(bool)

        def quoted(template: str) -> Callable[[IntArray], list[str]]:
            return lambda at: [template.format(v=v.strip()) for v in text.iloc[at]]

        self.flag(empty, column, RowProblem.MISSING_VALUE, "no value")
        self.flag(failed, column, RowProblem.NOT_A_NUMBER, quoted("value {v!r} is not a number"))
        infinite = quoted("value {v!r} is infinite")
        self.flag(np.isinf(values), column, RowProblem.INFINITE_VALUE, infinite)
        return values

    def units(self, values: FloatArray) -> ObjectArray:
        """Convert values in place to canonical units and return each row's canonical unit.
        The work is per distinct (metric, unit) pair, of which a file has a handful."""
        units = _Names.of(self.rows.unit)
        width = len(units.names)
        pairs, first, inverse = np.unique(
            self.metrics.codes * width + units.codes, return_index=True, return_inverse=True
        )
        factor, offset = np.ones(len(pairs)), np.zeros(len(pairs))
        canonical = np.full(len(pairs), "", dtype=object)
        long = self.rows.layout is Layout.LONG
        column = self.rows.columns["unit"] if long else self.rows.value_column
        kinds: dict[str, str] = {}
        for k in np.argsort(first):  # in file order: a metric's first unit sets its kind
            metric, text = self.metrics.names[pairs[k] // width], units.names[pairs[k] % width]
            try:
                info = _unit_for(str(metric), str(text), self.options.unit, kinds)
            except _BadUnit as exc:
                self.flag(inverse == k, column, exc.problem, str(exc))
                continue
            factor[k], offset[k], canonical[k] = info.factor, info.offset, canonical_unit(info)
        values *= factor[inverse]
        values += offset[inverse]
        return canonical[inverse]

    def negatives(self, values: FloatArray) -> None:
        """Amounts per interval cannot be negative; registers (running totals) may dip."""
        amounts = np.isin(self.metrics.codes, _positions(self.metrics.names, ADDITIVE_METRICS))
        registers = np.isin(
            self.meters.codes, _positions(self.meters.names, self.options.cumulative)
        )
        text, metric = self.rows.value, self.metrics.text()
        self.flag(
            amounts & ~registers & (values < 0),
            self.rows.value_column,
            RowProblem.NEGATIVE_AMOUNT,
            lambda at: [
                f"negative {metric[i]} {text.iloc[i].strip()}: an amount per interval cannot be "
                "negative; if this meter reports a running total (a register), import it with "
                "--cumulative"
                for i in at
            ],
        )

    def deduplicate(self, ts: IntArray, values: FloatArray) -> tuple[IntArray, int]:
        """Good rows in output order (series, then time), each reading once. Rows that give one
        series different values at one time are all bad: which one is right cannot be told."""
        good = np.flatnonzero(~self.bad)
        order = good[np.lexsort((ts[good], self.group[good]))]
        g, t = self.group[order], ts[order]
        first = np.concatenate([[True], (g[1:] != g[:-1]) | (t[1:] != t[:-1])])
        if first.all():
            return order, 0
        starts, run = np.flatnonzero(first), np.cumsum(first) - 1
        v = values[order]
        conflict = (np.maximum.reduceat(v, starts) != np.minimum.reduceat(v, starts))[run]
        lines: dict[int, set[int]] = {}
        for r, row in zip(run[conflict].tolist(), order[conflict].tolist(), strict=True):
            lines.setdefault(r, set()).add(int(self.rows.line[row]))
        run_of = dict(zip(order[conflict].tolist(), run[conflict].tolist(), strict=True))
        shown, meter, metric = self.stamps.text(), self.meters.text(), self.metrics.text()
        mask = np.zeros(len(self.bad), dtype=bool)
        mask[order[conflict]] = True
        self.flag(
            mask,
            self.rows.value_column,
            RowProblem.CONFLICTING_DUPLICATE,
            lambda at: [
                f"conflicting values for {meter[i]} {metric[i]} at {shown[i]} (lines "
                f"{', '.join(map(str, sorted(lines[run_of[i]])))}); none of them is kept"
                for i in at
            ],
        )
        return order[first & ~conflict], int((~first & ~conflict).sum())


def _validate(
    rows: Rows,
    numbers: NumberStyle,
    raw: Callable[[int], str],
    options: ParseOptions,
    known: Mapping[str, str | None],
) -> ParsedFile:
    check = _Check(rows, options)
    check.extra_fields()
    no_meter = check.meters.text() == ""
    check.flag(no_meter, rows.columns["meter"], RowProblem.MISSING_METER, "no meter name")
    columns = _CatalogueCheck(check, known)
    ts = check.times()
    values = check.values(numbers)
    units = check.units(values)
    check.negatives(values)
    kept, duplicates = check.deduplicate(ts, values)
    readings, series, notes = _series(check, kept, ts, values, units)
    total = len(rows.line) - int(check.blank.sum())
    return ParsedFile(
        readings=readings,
        series=series,
        errors=check.errors(raw),
        rows_total=total,
        rows_ok=total - int((check.bad & ~check.blank).sum()),
        duplicates=duplicates,
        format=rows.layout,
        warnings=rows.notes + notes,
        catalogue=columns.result(),
    )


class _CatalogueCheck:
    """The catalogue columns of a long file, checked like a plant file's keys."""

    def __init__(self, check: _Check, known: Mapping[str, str | None]) -> None:
        self.check, self.known = check, known
        rows = check.rows
        self.carriers = self.parents = None
        if rows.carrier is not None:
            self.carriers = _Names.of(
                rows.carrier, lambda s: s.str.lower().str.replace(r"[\s-]+", "_", regex=True)
            )
            self._carriers(self.carriers)
        if rows.parent is not None:
            self.parents = _Names.of(rows.parent)
            self._parents(self.parents)

    def _carriers(self, carriers: _Names) -> None:
        check, shown = self.check, self.check.rows.carrier
        assert shown is not None
        unknown = [i for i, name in enumerate(carriers.names) if name and name not in CARRIERS]
        check.flag(
            np.isin(carriers.codes, unknown),
            check.rows.columns["carrier"],
            RowProblem.UNKNOWN_CARRIER,
            lambda at: [
                f"unknown carrier {shown.iloc[i].strip()!r}; carriers are: {', '.join(CARRIERS)}"
                for i in at
            ],
        )
        self._one_per_meter(carriers, "carrier")

    def _parents(self, parents: _Names) -> None:
        check = self.check
        column = check.rows.columns["parent"]
        meter, parent = check.meters.text(), parents.text()
        own = (parent != "") & (parent == meter)
        check.flag(own, column, RowProblem.PARENT_CYCLE, "a meter cannot be its own parent")
        names = set(check.meters.names.tolist()) | set(self.known)
        unknown = [i for i, n in enumerate(parents.names) if n and n not in names]
        check.flag(
            np.isin(parents.codes, unknown),
            column,
            RowProblem.UNKNOWN_PARENT,
            lambda at: [f"no meter named {parent[i]!r} in this file or the store" for i in at],
        )
        self._one_per_meter(parents, "parent")
        tree = dict(self.known) | {m: p for m, p in self._firsts(parents).items() if p}
        circles = {m: c for m in tree if (c := _cycle(m, tree)) is not None}
        check.flag(
            np.isin(meter, list(circles)) & (parent != ""),
            column,
            RowProblem.PARENT_CYCLE,
            lambda at: [f"the tree goes round in a circle: {circles[meter[i]]}" for i in at],
        )

    def _one_per_meter(self, values: _Names, what: str) -> None:
        """Rows that give a meter another value than its first row did are bad."""
        check = self.check
        good = np.flatnonzero(~check.bad & (values.text() != ""))
        first: dict[int, int] = {}  # meter code -> row giving its first value
        for i in good.tolist():  # rows are in file order
            first.setdefault(int(check.meters.codes[i]), i)
        expected = np.array(
            [values.codes[first[m]] if m in first else -1 for m in check.meters.codes.tolist()]
        )
        meter = check.meters.text()

        def reason(at: IntArray) -> list[str]:
            out = []
            for i in at.tolist():
                row = first[int(check.meters.codes[i])]
                out.append(
                    f"meter {meter[i]!r} is given {what} {values.names[values.codes[row]]!r} on "
                    f"line {int(check.rows.line[row])}; one meter has one {what}"
                )
            return out

        check.flag(
            (values.text() != "") & (expected >= 0) & (values.codes != expected),
            check.rows.columns[what],
            RowProblem.CONFLICTING_CATALOGUE,
            reason,
        )

    def _firsts(self, values: _Names | None) -> dict[str, str]:
        """Each meter's value on its good rows (the first non-empty one)."""
        if values is None:
            return {}
        check = self.check
        good = np.flatnonzero(~check.bad & (values.text() != ""))
        out: dict[str, str] = {}
        for i in good.tolist():
            out.setdefault(str(check.meters.text()[i]), str(values.text()[i]))
        return out

    def result(self) -> dict[str, MeterColumns]:
        carriers, parents = self._firsts(self.carriers), self._firsts(self.parents)
        return {
            m: MeterColumns(carriers.get(m), parents.get(m))
            for m in sorted(set(carriers) | set(parents))
        }


def _date_hint(text: str, dayfirst: bool) -> str:
    if not dayfirst and _MONTH_ABOVE_12.match(text):
        return " (a day-first date? pass --dayfirst)"
    return ""


def _parse_times(
    names: ObjectArray, tz: str, dayfirst: bool
) -> tuple[IntArray, npt.NDArray[np.int8], IntArray]:
    """Epoch seconds, state and wall-clock seconds (of local times) of distinct time texts."""
    text = pd.Series(names, dtype=str)
    epoch = np.zeros(len(text), dtype=np.int64)
    state = np.full(len(text), _UNREADABLE, dtype=np.int8)
    wall = np.full(len(text), _NO_WALL, dtype=np.int64)
    empty = text.eq("").to_numpy(bool)
    state[empty] = _EMPTY
    aware = (text.str.contains(_OFFSET_AT_END) & text.str.contains(_TIME_OF_DAY)).to_numpy(bool)
    if aware.any():
        exact = pd.DatetimeIndex(
            pd.to_datetime(text[aware], format="ISO8601", utc=True, errors="coerce")
        )
        ok = np.asarray(exact.notna(), dtype=bool)
        at = np.flatnonzero(aware)[ok]
        epoch[at], state[at] = exact[ok].as_unit("s").asi8, _OK
    naive = ~aware & ~empty
    if naive.any():
        local = _parse_naive(text[naive], dayfirst)
        ok = np.asarray(local.notna(), dtype=bool)
        at = np.flatnonzero(naive)[ok]
        wall[at] = local[ok].as_unit("s").asi8
        epoch[at], state[at] = _localize(local[ok], tz)
    return epoch, state, wall


def _parse_naive(text: pd.Series, dayfirst: bool) -> pd.DatetimeIndex:
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    missing = parsed.isna().to_numpy(bool)
    if missing.any():
        # Not ISO: guess the format from the first such text and read all the others with it.
        first = str(text[missing].iloc[0])
        dotted = re.match(r"\s*\d{1,2}\.\d{1,2}\.\d{2,4}", first) is not None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas warns when it guesses day-first by itself
            fmt = pd.tseries.api.guess_datetime_format(first, dayfirst=dayfirst or dotted)
        if fmt is not None:
            parsed[missing] = pd.to_datetime(text[missing], format=fmt, errors="coerce")
    return pd.DatetimeIndex(parsed)


def _localize(local: pd.DatetimeIndex, tz: str) -> tuple[IntArray, npt.NDArray[np.int8]]:
    """Epoch seconds of wall-clock times in a zone; a gap or an overlap gets its own state."""
    strict = local.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    ok = np.asarray(strict.notna(), dtype=bool)
    epoch = np.zeros(len(local), dtype=np.int64)
    epoch[ok] = strict[ok].as_unit("s").asi8
    state = np.where(ok, _OK, _AMBIGUOUS).astype(np.int8)
    if not ok.all():
        summer = np.ones(int((~ok).sum()), dtype=np.bool_)
        trial = local[~ok].tz_localize(tz, ambiguous=summer, nonexistent="NaT")
        state[np.flatnonzero(~ok)[np.asarray(trial.isna(), dtype=bool)]] = _GAP
    return epoch, state


def _settle_overlap(
    group: IntArray, line: IntArray, wall: IntArray, ambiguous: BoolArray, tz: str
) -> tuple[IntArray, BoolArray]:
    """Times in the autumn overlap: in each series' rows in file order, the first pass through
    the repeated hour is summer time and the pass after the step back is winter time. A series
    whose wall-clock times step back anywhere else is not in time order, and an overlap with
    more than one step back is no simple repeat: their overlap times stay unresolved."""
    at = np.flatnonzero(np.isin(group, np.unique(group[ambiguous])) & (wall != _NO_WALL))
    at = at[np.lexsort((line[at], group[at]))]
    g, w, a = group[at], wall[at], ambiguous[at]
    day = w // 86_400
    back = (g[1:] == g[:-1]) & ((w[1:] < w[:-1]) | ((w[1:] == w[:-1]) & a[1:] & a[:-1]))
    inside = a[1:] & a[:-1] & (day[1:] == day[:-1])
    disordered = np.isin(g, g[1:][back & ~inside])
    overlap = [g[a], day[a]]
    phase = pd.Series(np.concatenate([[0], back.astype(np.int64)])[a]).groupby(overlap).cumsum()
    too_many = phase.groupby(overlap).transform("max").to_numpy() > 1
    local = pd.DatetimeIndex(w[a].astype("datetime64[s]"))
    summer = local.tz_localize(tz, ambiguous=np.ones(len(local), np.bool_)).as_unit("s").asi8
    winter = local.tz_localize(tz, ambiguous=np.zeros(len(local), np.bool_)).as_unit("s").asi8
    epoch = np.zeros(len(group), dtype=np.int64)
    unresolved = np.zeros(len(group), dtype=bool)
    epoch[at[a]] = np.where(phase.to_numpy() == 0, summer, winter)
    unresolved[at[a]] = disordered[a] | too_many
    return epoch, unresolved


class _BadUnit(Exception):
    def __init__(self, problem: RowProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


def _unit_for(metric: str, text: str, default: str | None, kinds: dict[str, str]) -> UnitInfo:
    """The unit of a metric's rows. `kinds` holds each metric's canonical unit so far: a metric
    outside the standard set accepts any unit, but only one kind of unit."""
    if not text:
        text = default if default and _measures(metric, default) else DEFAULT_UNIT.get(metric, "")
        if not text:
            message = f"no unit for metric {metric!r}: add a unit column, or pass --unit"
            raise _BadUnit(RowProblem.MISSING_UNIT, message)
    try:
        info = parse_unit(text)
    except UnknownUnit as exc:
        raise _BadUnit(RowProblem.UNKNOWN_UNIT, str(exc)) from None
    try:
        check_metric_unit(metric, info)
    except UnknownUnit as exc:
        raise _BadUnit(RowProblem.WRONG_UNIT, str(exc)) from None
    first = kinds.setdefault(metric, canonical_unit(info))
    if first != canonical_unit(info):
        raise _BadUnit(
            RowProblem.WRONG_UNIT,
            f"unit {info.symbol!r} measures {info.dimension.value}, but other rows of metric "
            f"{metric!r} are in {first!r}; one metric keeps one kind of unit",
        )
    return info


def _measures(metric: str, unit: str) -> bool:
    try:
        check_metric_unit(metric, parse_unit(unit))
    except UnknownUnit:
        return False
    return True


def _positions(names: ObjectArray, wanted: frozenset[str]) -> IntArray:
    return np.array([i for i, name in enumerate(names) if name in wanted], dtype=np.int64)


# ------------------------------------------------------------------------------ series

_Part = tuple[tuple[str, str], str, IntArray, FloatArray]  # (meter, metric), unit, ts, values


def _series(
    check: _Check, kept: IntArray, ts: IntArray, values: FloatArray, units: ObjectArray
) -> tuple[pd.DataFrame, dict[tuple[str, str], SeriesInfo], list[str]]:
    """Per series: its interval, registers turned into amounts, interval-ending times moved."""
    options, group, width = check.options, check.group[kept], len(check.metrics.names)
    starts = np.flatnonzero(np.concatenate([[True], group[1:] != group[:-1]]))[: len(group)]
    series: dict[tuple[str, str], SeriesInfo] = {}
    notes: list[str] = []
    parts: list[_Part] = []
    ends = [*starts[1:].tolist(), len(group)] if len(group) else []
    for start, end in zip(starts.tolist(), ends, strict=True):
        code = int(group[start])
        key = (str(check.meters.names[code // width]), str(check.metrics.names[code % width]))
        t, v = ts[kept[start:end]], values[kept[start:end]]
        # The lower median: with a gap in a short series it is still a spacing that occurs.
        interval = int(np.sort(np.diff(t))[(len(t) - 2) // 2]) if len(t) >= 3 else None
        cumulative = key[0] in options.cumulative and key[1] in ADDITIVE_METRICS
        if cumulative:
            result = registers_to_intervals(t, v)
            t, v = result.ts, result.values
            notes += _issue_notes(key, result.issues, options.timezone)
        elif options.interval_ending and key[1] in INTERVAL_METRICS:
            if interval is None:
                notes.append(
                    f"{key[0]} {key[1]}: too few readings to tell the interval, so its "
                    "interval-ending times are kept as they are"
                )
            t = t - (interval or 0)
        series[key] = SeriesInfo(str(units[kept[start]]), cumulative, interval)
        parts.append((key, series[key].unit, t, v))
    return _readings(parts), series, notes + _cumulative_notes(options.cumulative, series)


def _issue_notes(key: tuple[str, str], issues: Sequence[RegisterIssue], tz: str) -> list[str]:
    where = zone(tz)
    notes = [
        f"{key[0]} {key[1]} at {from_epoch(i.ts, where).isoformat()}: {i.message}"
        for i in issues[:MAX_ISSUES_LISTED]
    ]
    if len(issues) > MAX_ISSUES_LISTED:
        more = len(issues) - MAX_ISSUES_LISTED
        notes.append(f"{key[0]} {key[1]}: {more} more register issues like these")
    return notes


def _cumulative_notes(
    cumulative: frozenset[str], series: dict[tuple[str, str], SeriesInfo]
) -> list[str]:
    meters = {meter for meter, _ in series}
    notes = [
        f"--cumulative names meter {name!r}, which is not in the file"
        for name in sorted(cumulative - meters)
    ]
    notes += [
        f"{meter} {metric} is kept as read: {metric} is not an amount, so it has no register"
        for (meter, metric), info in series.items()
        if meter in cumulative and not info.cumulative
    ]
    return notes


def _readings(parts: list[_Part]) -> pd.DataFrame:
    """One frame of all series; meter, metric and unit texts repeated by index, not per row."""
    at = np.repeat(np.arange(len(parts)), [len(p[2]) for p in parts])

    def column(pick: Callable[[_Part], str]) -> pd.Series:
        return pd.Series(np.array([pick(p) for p in parts], dtype=object)[at], dtype=str)

    return pd.DataFrame(
        {
            "meter": column(lambda p: p[0][0]),
            "metric": column(lambda p: p[0][1]),
            "ts": np.concatenate([p[2] for p in parts] or [np.zeros(0, np.int64)]),
            "value": np.concatenate([p[3] for p in parts] or [np.zeros(0)]),
            "unit": column(lambda p: p[1]),
        }
    )
