"""Readings posted over HTTP (JSON, NDJSON or CSV), checked as MQTT payloads are and stored by
the ingestor in one transaction: each bad reading is named by its index and kept as a dead
letter, the rest are stored with the same idempotent upsert, so a retried post counts once.

A reading is an object {"site": ..., "meter": ..., "metric": ..., "ts": ..., "value": ...,
"unit": ...}: the MQTT topic's parts beside the MQTT payload's fields. "site" defaults to the
installation's site and "unit" to the metric's usual one; "timestamp" is accepted for "ts".
"""

from __future__ import annotations

import csv
import io
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from itertools import repeat
from typing import Any, Literal

import numpy as np
import orjson

from connectors.ingest import Ingestor
from connectors.payloads import Decoded, InvalidPayload, check_readings
from connectors.readings_columns import Fields, Group, by_series, object_fields, series_key

Format = Literal["json", "ndjson", "csv"]
MEDIA_TYPES: dict[str, Format] = {
    "application/json": "json",
    "application/x-ndjson": "ndjson",
    "application/ndjson": "ndjson",
    "application/jsonl": "ndjson",
    "application/x-jsonlines": "ndjson",
    "text/csv": "csv",
}
MAX_RAW = 2_000  # characters of a bad reading kept in its dead letter
CSV_COLUMNS = ("meter", "metric", "value")


class BadBody(InvalidPayload):
    """A posted body that cannot be read as readings at all (nothing in it is stored)."""


class UnsupportedFormat(InvalidPayload):
    """A body of a media type the readings endpoint does not read."""


@dataclass(frozen=True, order=True)
class Rejected:
    index: int
    reason: str


@dataclass(frozen=True)
class PostResult:
    received: int
    stored: int
    rejected: list[Rejected]


def body_format(content_type: str | None) -> Format:
    media = (content_type or "application/json").split(";")[0].strip().lower()
    if media not in MEDIA_TYPES:
        raise UnsupportedFormat(
            f"readings are read from {', '.join(sorted(set(MEDIA_TYPES)))}; not {media!r}"
        )
    return MEDIA_TYPES[media]


# ------------------------------------------------------------------ reading the body


def _json_items(body: bytes) -> list[Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        import json

        try:  # NaN and Infinity reach the value checks and are refused there, one by one
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadBody(f"the body is not JSON: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("readings"), list):
        readings: list[Any] = data["readings"]
        return readings
    if isinstance(data, dict) and "meter" in data:
        return [data]
    if isinstance(data, list):
        return data
    raise BadBody(
        'the body must be a JSON list of readings, {"readings": [...]}, or one reading object'
    )


@dataclass(frozen=True)
class _Unreadable:
    """An NDJSON line that is not JSON, kept as text for its dead letter."""

    raw: str


def _ndjson_items(body: bytes) -> tuple[list[Any], list[int]]:
    """The readings of an NDJSON body and the line (0-based) each came from; blank lines skip."""
    raw = body.splitlines()
    if all(map(bytes.strip, raw)):  # no blank line: every line parsed in one C loop
        try:
            return list(map(orjson.loads, raw)), list(range(len(raw)))
        except orjson.JSONDecodeError:
            pass  # a line that is not JSON: read line by line, each such line named
    items: list[Any] = []
    lines: list[int] = []
    for number, line in enumerate(raw):
        if not line.strip():
            continue
        try:
            items.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            items.append(_Unreadable(line.decode("utf-8", errors="backslashreplace")))
        lines.append(number)
    return items, lines


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


@dataclass(frozen=True)
class _Table:
    """A CSV body read column by column: the header's names (a "timestamp" column renamed ts,
    and last) and their columns, stripped, with numbers for ts and value."""

    keys: list[str]
    columns: list[list[Any]]

    def items(self) -> list[Any]:
        """The readings as objects, as `_csv_rows` reads them."""
        return list(map(dict, map(zip, repeat(self.keys), zip(*self.columns, strict=True))))

    def fields(self, default_site: str | None) -> Fields | None:
        if not self.columns:
            return None
        at = dict(zip(self.keys, self.columns, strict=True))
        count = len(self.columns[0])
        return {
            "site": at.get("site") or [default_site] * count,
            "meter": at["meter"],
            "metric": at["metric"],
            "unit": at.get("unit") or [None] * count,
            "ts": at["ts"],
            "value": at["value"],
        }


def _csv_body(body: bytes) -> list[Any] | _Table:
    """The readings of a CSV body: column by column when every row has the header's fields
    with numbers for ts and value and no empty site or unit, else row by row as objects."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadBody(f"the CSV body is not UTF-8: {exc}") from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader, [])]
    except csv.Error as exc:  # a carriage return inside a row, a field past the size limit
        raise BadBody(f"the CSV body cannot be read: {exc}") from None
    missing = [c for c in CSV_COLUMNS if c not in header]
    if "ts" not in header and "timestamp" not in header:
        missing.append("ts")
    if missing:
        raise BadBody(
            f"the CSV header lacks {', '.join(missing)}; it needs meter, metric, ts (or "
            "timestamp) and value, and may have site and unit"
        )
    split = _split_columns(text, len(header))
    if split is not None:
        table = _csv_table(header, split)
        if table is not None:
            return table
    try:
        rows = list(filter(None, reader))  # blank lines are skipped
    except csv.Error as exc:
        raise BadBody(f"the CSV body cannot be read at line {reader.line_num}: {exc}") from None
    table = _csv_table(header, _transposed(rows, len(header)))
    return table if table is not None else _csv_rows(header, rows)


def _split_columns(text: str, width: int) -> list[list[str]] | None:
    """The data rows' fields column by column, split at the commas, for a body where that is
    what the csv module reads: no quotes, no NUL, lines ended by \n or \r\n, no field past
    the csv module's size limit, every row of `width` fields; None for any other body."""
    if '"' in text or "\x00" in text:
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:  # a lone carriage return ends a row for the csv module
            return None
    rows = list(filter(None, text.split("\n")[1:]))  # blank lines are skipped
    if not rows or set(map(str.count, rows, repeat(","))) != {width - 1}:
        return None
    limit = csv.field_size_limit()
    if len(text) > limit and max(map(len, rows)) > limit:
        return None
    fields = ",".join(rows).split(",")
    return [fields[i::width] for i in range(width)]


def _transposed(rows: list[list[str]], width: int) -> list[list[str]] | None:
    """Rows column by column when all have `width` fields; None otherwise."""
    if set(map(len, rows)) - {width}:
        return None
    return [list(column) for column in zip(*rows, strict=True)]


def _csv_table(header: list[str], raw: list[list[str]] | None) -> _Table | None:
    """`_csv_rows` column by column, in C loops, for a body whose rows all have the header's
    fields, with numbers for ts and value and no empty site or unit; None for any other."""
    if raw is None or len(set(header)) < len(header):
        return None
    columns: list[list[Any]] = [list(map(str.strip, column)) for column in raw]
    if not columns or not columns[0]:
        return _Table(header, [])
    at = {name: i for i, name in enumerate(header)}
    if any(name in at and not all(columns[at[name]]) for name in ("site", "unit")):
        return None
    stamp = "ts" if "ts" in at else "timestamp"
    try:
        columns[at["value"]] = list(map(float, columns[at["value"]]))
        columns[at[stamp]] = list(map(float, columns[at[stamp]]))
    except ValueError:  # text where a number belongs: each reading gets its own reason
        return None
    keys = header
    if stamp == "timestamp":  # renamed to ts, which then comes last, as reading by reading
        keys = [*header[: at[stamp]], *header[at[stamp] + 1 :], "ts"]
        columns.append(columns.pop(at[stamp]))
    return _Table(keys, columns)


def _csv_rows(header: list[str], rows: list[list[str]]) -> list[Any]:
    """The readings of CSV rows one by one, as `csv.DictReader` reads them (fields past the
    header under None, missing ones None)."""
    width = len(header)
    items: list[Any] = []
    for row in rows:
        fields: dict[str | None, Any] = dict(zip(header, row, strict=False))
        if len(row) > width:
            fields[None] = row[width:]
        for key in header[len(row) :]:
            fields[key] = None
        item = {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items()}
        item["value"] = _number(item.get("value") or "")
        stamp = item.pop("timestamp", None) if "ts" not in item else item["ts"]
        item["ts"] = _number(stamp) if stamp else stamp
        for optional in ("site", "unit"):
            if not item.get(optional):
                item.pop(optional, None)
        items.append(item)
    return items


# ------------------------------------------------------------------ checking and storing


NO_SITE = (
    "the reading names no 'site' and there is no default site (the store holds none or "
    "several, and EMS_SITE is unset): name the site in each reading"
)


def _grouped(
    items: list[Any], default_site: str | None
) -> tuple[dict[Group, list[int]], list[tuple[int, str]]]:
    """The readings' positions by series and unit, and the readings that name no series."""
    groups = _grouped_at_once(items, default_site)
    if groups is not None:
        return groups, []
    return _grouped_each(items, default_site)


def _grouped_at_once(items: list[Any], default_site: str | None) -> dict[Group, list[int]] | None:
    """`_grouped` for a body whose readings are all objects with 'ts' that name valid series:
    the fields are read in C loops and each distinct series is checked once. None when any
    reading needs the reading-by-reading path, which names its fault."""
    if set(map(type, items)) != {dict} or not all(map(dict.__contains__, items, repeat("ts"))):
        return None
    sites = map(dict.get, items, repeat("site"), repeat(default_site))
    fields = (map(dict.get, items, repeat(name)) for name in ("meter", "metric", "unit"))
    keys = list(zip(sites, *fields, strict=True))
    try:
        codes = {key: code for code, key in enumerate(dict.fromkeys(keys))}
    except TypeError:  # an unhashable field (a list, an object)
        return None
    numbered = np.fromiter(map(codes.__getitem__, keys), np.int64, len(keys))
    order = np.argsort(numbered, kind="stable")
    ends = np.cumsum(np.bincount(numbered, minlength=len(codes)))[:-1]
    groups: dict[Group, list[int]] = {}
    for (site, meter, metric, unit), positions in zip(codes, np.split(order, ends), strict=True):
        key = series_key(site, meter, metric)
        if isinstance(key, str) or (unit is not None and not isinstance(unit, str)):
            return None
        # Spellings that differ only in case or spaces make one series, in posted order.
        groups.setdefault((*key, unit), []).extend(positions.tolist())
    if len(groups) < len(codes):
        for merged in groups.values():
            merged.sort()
    return groups


def _grouped_each(
    items: list[Any], default_site: str | None
) -> tuple[dict[Group, list[int]], list[tuple[int, str]]]:
    """`_grouped` reading by reading, naming each reading that names no series."""
    groups: dict[Group, list[int]] = defaultdict(list)
    bad: list[tuple[int, str]] = []
    for i, item in enumerate(items):
        if isinstance(item, _Unreadable):
            bad.append((i, "the line is not JSON"))
            continue
        if not isinstance(item, dict):
            bad.append((i, f"a reading must be an object, not {type(item).__name__}"))
            continue
        if "ts" not in item and "timestamp" in item:
            item["ts"] = item["timestamp"]
        if item.get("site", default_site) is None:
            bad.append((i, NO_SITE))
            continue
        try:
            key = series_key(item.get("site", default_site), item.get("meter"), item.get("metric"))
        except TypeError:  # an unhashable site, meter or metric (a list, an object)
            key = "'site', 'meter' and 'metric' must be text"
        unit = item.get("unit")
        if isinstance(key, str):
            bad.append((i, key))
        elif unit is not None and not isinstance(unit, str):
            bad.append((i, f"'unit' must be text such as 'kWh', not {unit!r}"))
        else:
            groups[(*key, unit)].append(i)
    return groups, bad


@dataclass
class _Series:
    positions: list[np.ndarray[Any, Any]]
    ts: list[np.ndarray[Any, Any]]
    values: list[np.ndarray[Any, Any]]
    unit: str


def _decoded(
    series: dict[tuple[str, str, str], _Series], registers: set[tuple[str, str]]
) -> tuple[list[Decoded], list[np.ndarray[Any, Any]]]:
    """One decoded message per series, its readings in the order they were posted (a later
    value for the same time wins, as in a message)."""
    messages: list[Decoded] = []
    indices: list[np.ndarray[Any, Any]] = []
    for (site, meter, metric), parts in series.items():
        positions = np.concatenate(parts.positions)
        order = np.argsort(positions, kind="stable")
        ts = np.concatenate(parts.ts)[order]
        values = np.concatenate(parts.values)[order]
        readings: list[tuple[int, float]] = []
        if (meter, metric) in registers:  # registers are differenced reading by reading
            readings = list(zip(ts.tolist(), values.tolist(), strict=True))
        messages.append(Decoded(site, meter, metric, parts.unit, readings, False, (ts, values)))
        indices.append(positions[order])
    return messages, indices


def _checked(
    items: list[Any], groups: dict[Group, list[int]], received: float, bad: list[tuple[int, str]]
) -> dict[tuple[str, str, str], _Series]:
    """The good readings of each series; the bad ones are added to `bad`. The readings of
    all series of one metric and unit are checked together (one numpy pass when all are
    plainly valid), then split back by series."""
    kinds: dict[tuple[str, Any], list[tuple[tuple[str, str, str], list[int]]]] = defaultdict(list)
    for (site, meter, metric, unit), positions in groups.items():
        kinds[(metric, unit)].append(((site, meter, metric), positions))
    series: dict[tuple[str, str, str], _Series] = {}
    for (metric, unit), members in kinds.items():
        flat = [i for _, positions in members for i in positions]
        checked = check_readings(metric, unit, [items[i] for i in flat], received)
        bad.extend((flat[i], reason) for i, reason in checked.bad)
        at = np.asarray(flat, dtype=np.int64)
        ends = np.cumsum([len(positions) for _, positions in members])
        cuts = np.searchsorted(checked.positions, ends)  # checked.positions ascend
        start = 0
        for (key, _), cut in zip(members, cuts.tolist(), strict=True):
            if cut > start:
                part = slice(start, cut)
                ts, values = checked.columns[0][part], checked.columns[1][part]
                _add(series, key, at[checked.positions[part]], ts, values, checked.unit)
            start = cut
    return series


def _add(
    series: dict[tuple[str, str, str], _Series],
    key: tuple[str, str, str],
    at: np.ndarray[Any, Any],
    ts: np.ndarray[Any, Any],
    values: np.ndarray[Any, Any],
    unit: str,
) -> None:
    found = series.get(key)
    if found is None:
        series[key] = _Series([at], [ts], [values], unit)
    else:
        found.positions.append(at)
        found.ts.append(ts)
        found.values.append(values)


@dataclass(frozen=True)
class _Read:
    """A body's readings checked: one message per series with the positions of its readings,
    and the bad readings by position with why (`items` quotes them in dead letters)."""

    count: int
    messages: list[Decoded]
    indices: list[np.ndarray[Any, Any]]
    bad: list[tuple[int, str]]
    items: list[Any]


def _read(
    parsed: list[Any] | _Table,
    default_site: str | None,
    received: float,
    registers: set[tuple[str, str]],
) -> _Read:
    """Check a body's readings: column by column when all are plainly valid, else reading by
    reading, naming each bad one."""
    if isinstance(parsed, _Table):
        fields = parsed.fields(default_site)
    else:
        fields = object_fields(parsed, default_site)
    fast = by_series(fields, received, registers) if fields is not None else None
    if fast is not None and fields is not None:
        return _Read(len(fields["ts"]), *fast, [], [])
    items = parsed.items() if isinstance(parsed, _Table) else parsed
    groups, bad = _grouped(items, default_site)
    series = _checked(items, groups, received, bad)
    return _Read(len(items), *_decoded(series, registers), bad, items)


class ReadingsPost:
    """Takes posted bodies of readings and stores them through the ingestor."""

    def __init__(
        self,
        ingestor: Ingestor,
        default_site: str | Callable[[], str | None] | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`default_site` is the site of readings that name none, or what finds it at each
        post (the store's only site, or the configured one); None: each reading names one."""
        self.ingestor = ingestor
        self.default_site = default_site
        self.clock = clock

    def post(self, body: bytes, content_type: str | None, source: str) -> PostResult:
        """Check and store a body; raises BadBody (nothing stored) when it is not readings."""
        fmt = body_format(content_type)
        lines: list[int] | None = None
        if fmt == "json":
            parsed: list[Any] | _Table = _json_items(body)
        elif fmt == "ndjson":
            parsed, lines = _ndjson_items(body)
        else:
            parsed = _csv_body(body)
        received = self.clock()
        default = self.default_site() if callable(self.default_site) else self.default_site
        registers = {(m, k) for m, k in self.ingestor.cumulative}
        read = _read(parsed, default, received, registers)
        bad = read.bad
        letters = (self._letter(read.items, i, reason, lines) for i, reason in bad)
        dead = [(f"http {source}", *letter) for letter in letters]
        stored, failed = self.ingestor.store_now(read.messages, dead)
        for message_index, reason in failed:
            bad += [(int(i), reason) for i in read.indices[message_index]]
        rejected = sorted(Rejected(lines[i] if lines else i, r) for i, r in bad)
        return PostResult(read.count, stored, rejected)

    @staticmethod
    def _letter(
        items: list[Any], index: int, reason: str, lines: list[int] | None
    ) -> tuple[str, str]:
        """A bad reading's dead letter: the reason with its index, and the reading as sent."""
        where = f"line {lines[index] + 1}" if lines else f"reading {index}"
        item = items[index]
        try:
            raw = (
                item.raw
                if isinstance(item, _Unreadable)
                else orjson.dumps(item, default=str).decode()
            )
        except TypeError:
            raw = repr(item)
        return f"{where}: {reason}", raw[:MAX_RAW].replace("\x00", "\\x00")
