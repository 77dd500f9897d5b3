"""Decoding MQTT meter messages: topic to (site, meter, metric), payload to validated readings.

Pure: bytes in, readings or an InvalidPayload naming what was wrong out. The ingestor sends a
message that fails here to the dead-letter table with that reason and carries on.

Payloads: a JSON object {"ts": ..., "value": ..., "unit": ...}, a JSON list of such objects,
or a bare number (then stamped with the time it was received, and flagged as such). "ts" is
ISO 8601 (with an offset or Z) or Unix time in seconds or milliseconds.
"""

from __future__ import annotations

import itertools
import json
import math
import operator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from common.errors import EMSError, UnknownUnit
from common.units import (
    DEFAULT_UNIT,
    UnitInfo,
    canonical_unit,
    check_metric_unit,
    parse_unit,
    to_canonical,
)

MAX_FUTURE_S = 300  # meter clocks drift; more than five minutes ahead is a wrong clock
MAX_AGE_S = 400 * 86400  # older than this is a replay or a broken clock, not late data
MAX_BATCH = 10_000
VECTOR_MIN = 8  # from this many readings a message is checked with numpy, not reading by reading
EXACT_FLOAT = 2.0**53  # integers up to this convert to float64 exactly, as Python's float() does
# Plausible ranges per metric, in canonical units, for one reading.
RANGES: dict[str, tuple[float, float]] = {
    "energy": (0.0, 1e10),  # registers count up for decades
    "power": (-1e6, 1e6),
    "production": (0.0, 1e9),
    "outdoor_temperature": (-60.0, 60.0),
    "temperature": (-50.0, 1000.0),
    "volume": (0.0, 1e7),
    "flow": (0.0, 1e6),
    "occupancy": (0.0, 100.0),
}


Columns = tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]


class InvalidPayload(EMSError):
    """A message that cannot be stored; the message says why."""


@dataclass(frozen=True)
class TopicScheme:
    """A topic pattern such as 'ems/{site}/{meter}/{metric}'."""

    pattern: str = "ems/{site}/{meter}/{metric}"

    @property
    def subscription(self) -> str:
        """The MQTT filter for the pattern: each placeholder becomes '+'."""
        return "/".join("+" if p.startswith("{") else p for p in self.pattern.split("/"))

    def parse(self, topic: str) -> tuple[str, str, str]:
        return _parse_topic(self.pattern, topic)


@lru_cache(maxsize=65_536)
def _parse_topic(pattern: str, topic: str) -> tuple[str, str, str]:
    """Topic to (site, meter, metric); cached, as a plant sends the same few hundred topics."""
    parts, fields = topic.split("/"), pattern.split("/")
    if len(parts) != len(fields):
        raise InvalidPayload(f"topic {topic!r} does not match {pattern!r}")
    found: dict[str, str] = {}
    for part, placeholder in zip(parts, fields, strict=True):
        if placeholder.startswith("{"):
            if not part:
                raise InvalidPayload(f"topic {topic!r} has an empty {placeholder}")
            found[placeholder.strip("{}")] = part
        elif part != placeholder:
            raise InvalidPayload(f"topic {topic!r} does not match {pattern!r}")
    return found["site"], found["meter"], found["metric"].lower()


@dataclass(frozen=True)
class Decoded:
    site: str
    meter: str
    metric: str
    unit: str  # canonical
    readings: list[tuple[int, float]]  # (epoch seconds, value in canonical unit)
    stamped_on_receipt: bool
    # The same readings as arrays, when they were checked with numpy (saves rebuilding them).
    columns: Columns | None = field(default=None, compare=False, repr=False)


def _finite(raw: int | float) -> bool:
    """Whether a JSON number is a finite float64: integers past 1e308 are not."""
    try:
        return math.isfinite(raw)
    except OverflowError:
        return False


def _timestamp(raw: Any, received: float) -> int:
    if isinstance(raw, bool) or raw is None:
        raise InvalidPayload(f"'ts' must be ISO 8601 or Unix time, not {raw!r}")
    if isinstance(raw, int | float):
        if not _finite(raw):
            raise InvalidPayload(f"'ts' {raw!r} is not a time")
        seconds = raw / 1000 if raw > 1e11 else raw  # milliseconds from most gateways
    elif isinstance(raw, str):
        try:
            moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InvalidPayload(f"'ts' {raw!r} is not ISO 8601") from None
        if moment.tzinfo is None:
            raise InvalidPayload(f"'ts' {raw!r} has no time zone; add Z or an offset")
        seconds = moment.timestamp()
    else:
        raise InvalidPayload(f"'ts' must be ISO 8601 or Unix time, not {type(raw).__name__}")
    if seconds > received + MAX_FUTURE_S:
        raise InvalidPayload(
            f"'ts' {raw!r} is {seconds - received:.0f} s in the future; check the meter's clock"
        )
    if seconds < received - MAX_AGE_S:
        raise InvalidPayload(f"'ts' {raw!r} is more than {MAX_AGE_S // 86400} days old")
    return int(seconds)


def _value(raw: Any, metric: str, unit: UnitInfo) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise InvalidPayload(f"'value' must be a number, not {raw!r}")
    if not _finite(raw):
        raise InvalidPayload(f"'value' {raw!r} is not finite")
    value = to_canonical(float(raw), unit)
    low, high = RANGES.get(metric, (-math.inf, math.inf))
    if not low <= value <= high:
        raise InvalidPayload(f"{metric} {value:g} is outside the plausible range {low:g}..{high:g}")
    return value


@lru_cache(maxsize=4096)
def _unit(text: str | None, metric: str) -> UnitInfo:
    if text is None:
        text = DEFAULT_UNIT.get(metric)
        if text is None:
            raise InvalidPayload(f"no unit given and metric {metric!r} has no default unit")
    if not isinstance(text, str):
        raise InvalidPayload(f"'unit' must be text, not {text!r}")
    try:
        info = parse_unit(text)
        check_metric_unit(metric, info)
    except UnknownUnit as exc:
        raise InvalidPayload(str(exc)) from None
    return info


def reading_unit(text: str | None, metric: str) -> UnitInfo:
    """The unit of a metric's readings given as `text` (None: the metric's usual unit);
    raises InvalidPayload when it is unknown or does not fit the metric."""
    return _unit(text, metric)


def decode(
    topic: str, payload: bytes, received: float, scheme: TopicScheme | None = None
) -> Decoded:
    """Decode one message; raises InvalidPayload with the reason when anything is off.

    `received` is the receive time (epoch seconds) for bare numbers and clock checks. Values
    of cumulative series are returned as sent (registers); the ingestor differences them.
    """
    site, meter, metric = (scheme or TopicScheme()).parse(topic)
    data = _parse_json(payload)
    if isinstance(data, int | float) and not isinstance(data, bool):
        unit = _unit(None, metric)
        stamp = int(received)
        reading = (stamp, _value(data, metric, unit))
        return Decoded(site, meter, metric, canonical_unit(unit), [reading], True)
    if isinstance(data, dict):
        return _decode_one(site, meter, metric, data, received)
    items = data if isinstance(data, list) else [data]
    if not items:
        raise InvalidPayload("payload is an empty list")
    if len(items) > MAX_BATCH:
        raise InvalidPayload(f"batch of {len(items)} readings; at most {MAX_BATCH} per message")
    try:
        units = set(map(dict.get, items, itertools.repeat("unit")))  # all objects: one C loop
    except TypeError:  # a reading that is not an object, or an unhashable unit
        units = _units(items)
    if any(u is not None and not isinstance(u, str) for u in units):
        raise InvalidPayload("'unit' must be text such as 'kWh'")
    if len(units) > 1:
        raise InvalidPayload(
            f"readings in one message use different units: {sorted(map(str, units))}"
        )
    unit = _unit(units.pop(), metric)
    columns = _vector_readings(items, received, metric, unit) if len(items) >= VECTOR_MIN else None
    if columns is not None:
        readings = list(zip(columns[0].tolist(), columns[1].tolist(), strict=True))
    else:
        readings = []
        for i, item in enumerate(items):
            if not isinstance(item, dict) or "value" not in item or "ts" not in item:
                raise InvalidPayload(f"reading {i} must be an object with 'ts' and 'value'")
            readings.append((_timestamp(item["ts"], received), _value(item["value"], metric, unit)))
    return Decoded(site, meter, metric, canonical_unit(unit), readings, False, columns)


def _parse_json(payload: bytes) -> Any:
    """The payload's JSON: orjson (ten times the standard library's speed on a one-reading
    message), and the standard library for what orjson refuses, so NaN, Infinity and numbers
    past a float's range are refused by the value checks with their own reasons, as before.
    orjson reads an integer past 64 bits as a float; every such number is out of range anyway."""
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:  # ValueError: JSON, or over 4,300 digits
        raise InvalidPayload(f"payload is not JSON or a number: {exc}") from None


def _decode_one(
    site: str, meter: str, metric: str, item: dict[str, Any], received: float
) -> Decoded:
    """One reading as an object: the checks of a one-item list, in the same order, without
    the list's bookkeeping (most meters send one reading a message)."""
    text = item.get("unit")
    if text is not None and not isinstance(text, str):
        raise InvalidPayload("'unit' must be text such as 'kWh'")
    unit = _unit(text, metric)
    if "value" not in item or "ts" not in item:
        raise InvalidPayload("reading 0 must be an object with 'ts' and 'value'")
    reading = (_timestamp(item["ts"], received), _value(item["value"], metric, unit))
    return Decoded(site, meter, metric, canonical_unit(unit), [reading], False)


def _units(items: list[Any]) -> set[Any]:
    """The units given in a message; readings that are not objects give none."""
    try:
        return {item.get("unit") if isinstance(item, dict) else None for item in items}
    except TypeError:  # an unhashable unit (a list or an object) is not text
        raise InvalidPayload("'unit' must be text such as 'kWh'") from None


def _vector_readings(
    items: list[Any], received: float, metric: str, unit: UnitInfo
) -> Columns | None:
    """The readings of a list of numeric readings, checked with numpy; None when any reading
    is not plainly valid, and then the reading-by-reading path finds and names the first fault.

    Gives exactly what the reading-by-reading path gives: the same float64 operations in the
    same order, elementwise, on numbers float64 holds exactly.
    """
    try:
        raw_ts = list(map(operator.itemgetter("ts"), items))
        raw_values = list(map(operator.itemgetter("value"), items))
    except (KeyError, TypeError):  # not an object, or one without 'ts' or 'value'
        return None
    low, high = RANGES.get(metric, (-math.inf, math.inf))
    return plain_columns(raw_ts, raw_values, (unit.factor, unit.offset, low, high), received)


Scale = tuple[Any, Any, Any, Any]  # factor, offset, low, high: numbers, or arrays per reading


def _numbers(column: list[Any]) -> tuple[npt.NDArray[np.float64], bool] | None:
    """A column of plain numbers as float64, and whether any was an integer; None for ISO
    text, booleans, nulls or integers past float64 (the checks of _timestamp and _value)."""
    types = set(map(type, column))
    if not types <= {int, float}:
        return None
    try:
        array = np.array(column, dtype=np.float64)
    except OverflowError:
        return None
    return array, int in types


def plain_columns(
    raw_ts: list[Any], raw_values: list[Any], scale: Scale, received: float
) -> Columns | None:
    """Epoch seconds and canonical values of columns of readings, or None when any reading is
    not plainly valid. `scale` is the unit's factor and offset and the metric's range, each one
    number or one per reading. The same float64 operations in the same order as the
    reading-by-reading path, elementwise, on numbers float64 holds exactly."""
    stamps, numbers = _numbers(raw_ts), _numbers(raw_values)
    if stamps is None or numbers is None:
        return None
    (ts, ts_int), (raw, raw_int) = stamps, numbers
    factor, offset, low, high = scale
    with np.errstate(over="ignore", invalid="ignore"):
        if not (np.isfinite(ts).all() and np.isfinite(raw).all()):
            return None
        if (ts_int and np.abs(ts).max() >= EXACT_FLOAT) or (
            raw_int and np.abs(raw).max() >= EXACT_FLOAT
        ):
            return None
        seconds = np.where(ts > 1e11, ts / 1000, ts)  # milliseconds from most gateways
        values = raw * factor + offset  # as to_canonical, one reading at a time
        if (
            (seconds > received + MAX_FUTURE_S).any()
            or (seconds < received - MAX_AGE_S).any()
            or not ((low <= values) & (values <= high)).all()
        ):
            return None
    return np.trunc(seconds).astype(np.int64), values


@dataclass(frozen=True)
class Checked:
    """Readings checked one by one (HTTP ingestion): the good ones as columns with their
    positions among those given, and each bad one's position with the reason."""

    positions: npt.NDArray[np.int64]
    columns: Columns
    unit: str  # canonical
    bad: list[tuple[int, str]]


def check_readings(metric: str, unit: str | None, items: list[Any], received: float) -> Checked:
    """The checks a message's readings get (time, clock, value, unit, plausible range), applied
    to readings of one metric and unit that arrived together but stand alone: a bad one is
    named by its position and the others pass. A batch that is plainly valid is checked with
    numpy, as a message's is."""
    empty: Columns = (np.empty(0, np.int64), np.empty(0, np.float64))
    try:
        info = _unit(unit, metric)
    except InvalidPayload as exc:
        return Checked(np.empty(0, np.int64), empty, "", [(i, str(exc)) for i in range(len(items))])
    canonical = canonical_unit(info)
    columns = _vector_readings(items, received, metric, info) if len(items) >= VECTOR_MIN else None
    if columns is not None:
        return Checked(np.arange(len(items), dtype=np.int64), columns, canonical, [])
    good: list[tuple[int, int, float]] = []
    bad: list[tuple[int, str]] = []
    for i, item in enumerate(items):
        try:
            if "value" not in item or "ts" not in item:
                raise InvalidPayload("a reading needs 'ts' and 'value'")
            good.append((i, _timestamp(item["ts"], received), _value(item["value"], metric, info)))
        except InvalidPayload as exc:
            bad.append((i, str(exc)))
    positions = np.fromiter((g[0] for g in good), np.int64, len(good))
    ts = np.fromiter((g[1] for g in good), np.int64, len(good))
    values = np.fromiter((g[2] for g in good), np.float64, len(good))
    return Checked(positions, (ts, values), canonical, bad)
