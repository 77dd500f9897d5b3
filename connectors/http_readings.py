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
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import orjson

from connectors.ingest import Ingestor
from connectors.payloads import Checked, Decoded, InvalidPayload, check_readings

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
    items: list[Any] = []
    lines: list[int] = []
    for number, line in enumerate(body.splitlines()):
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


def _csv_items(body: bytes) -> list[Any]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadBody(f"the CSV body is not UTF-8: {exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if "ts" not in header and "timestamp" not in header:
        missing.append("ts")
    if missing:
        raise BadBody(
            f"the CSV header lacks {', '.join(missing)}; it needs meter, metric, ts (or "
            "timestamp) and value, and may have site and unit"
        )
    reader.fieldnames = header
    items: list[Any] = []
    for row in reader:
        item: dict[str, Any] = {k: (v.strip() if isinstance(v, str) else v) for k, v in row.items()}
        item["value"] = _number(item.get("value") or "")
        stamp = item.pop("timestamp", None) if "ts" not in item else item["ts"]
        item["ts"] = _number(stamp) if stamp else stamp
        for optional in ("site", "unit"):
            if not item.get(optional):
                item.pop(optional, None)
        items.append(item)
    return items


# ------------------------------------------------------------------ checking and storing


@lru_cache(maxsize=65_536)
def _series_key(site: Any, meter: Any, metric: Any) -> tuple[str, str, str] | str:
    """(site, meter, metric) of a reading, or why they are not usable."""
    for name, value in (("site", site), ("meter", meter), ("metric", metric)):
        if not isinstance(value, str) or not value.strip():
            return f"'{name}' must be non-empty text, not {value!r}"
        if len(value) > 200:
            return f"'{name}' is longer than 200 characters"
    return site.strip(), meter.strip(), metric.strip().lower()


Group = tuple[str, str, str, Any]  # site, meter, metric, unit as given


def _grouped(
    items: list[Any], default_site: str
) -> tuple[dict[Group, list[int]], list[tuple[int, str]]]:
    """The readings' positions by series and unit, and the readings that name no series."""
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
        try:
            key = _series_key(item.get("site", default_site), item.get("meter"), item.get("metric"))
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


class ReadingsPost:
    """Takes posted bodies of readings and stores them through the ingestor."""

    def __init__(
        self,
        ingestor: Ingestor,
        default_site: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ingestor = ingestor
        self.default_site = default_site
        self.clock = clock

    def post(self, body: bytes, content_type: str | None, source: str) -> PostResult:
        """Check and store a body; raises BadBody (nothing stored) when it is not readings."""
        fmt = body_format(content_type)
        lines: list[int] | None = None
        if fmt == "json":
            items = _json_items(body)
        elif fmt == "ndjson":
            items, lines = _ndjson_items(body)
        else:
            items = _csv_items(body)
        received = self.clock()
        groups, bad = _grouped(items, self.default_site)
        series: dict[tuple[str, str, str], _Series] = {}
        for (site, meter, metric, unit), positions in groups.items():
            checked = check_readings(metric, unit, [items[i] for i in positions], received)
            self._collect(series, (site, meter, metric), positions, checked, bad)
        registers = {(m, k) for m, k in self.ingestor.cumulative}
        messages, indices = _decoded(series, registers)
        dead = [(f"http {source}", *self._letter(items, i, reason, lines)) for i, reason in bad]
        stored, failed = self.ingestor.store_now(messages, dead)
        for message_index, reason in failed:
            bad += [(int(i), reason) for i in indices[message_index]]
        rejected = sorted(Rejected(lines[i] if lines else i, r) for i, r in bad)
        return PostResult(len(items), stored, rejected)

    @staticmethod
    def _collect(
        series: dict[tuple[str, str, str], _Series],
        key: tuple[str, str, str],
        positions: list[int],
        checked: Checked,
        bad: list[tuple[int, str]],
    ) -> None:
        bad.extend((positions[i], reason) for i, reason in checked.bad)
        if not len(checked.positions):
            return
        at = np.asarray(positions, dtype=np.int64)[checked.positions]
        found = series.get(key)
        if found is None:
            series[key] = _Series([at], [checked.columns[0]], [checked.columns[1]], checked.unit)
        else:
            found.positions.append(at)
            found.ts.append(checked.columns[0])
            found.values.append(checked.columns[1])

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
