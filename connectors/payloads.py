"""Decoding MQTT meter messages: topic to (site, meter, metric), payload to validated readings.

Pure: bytes in, readings or an InvalidPayload naming what was wrong out. The ingestor sends a
message that fails here to the dead-letter table with that reason and carries on.

Payloads: a JSON object {"ts": ..., "value": ..., "unit": ...}, a JSON list of such objects,
or a bare number (then stamped with the time it was received, and flagged as such). "ts" is
ISO 8601 (with an offset or Z) or Unix time in seconds or milliseconds.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store.errors import EMSError, UnknownUnit
from store.units import (
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
        parts, fields = topic.split("/"), self.pattern.split("/")
        if len(parts) != len(fields):
            raise InvalidPayload(f"topic {topic!r} does not match {self.pattern!r}")
        found: dict[str, str] = {}
        for part, field in zip(parts, fields, strict=True):
            if field.startswith("{"):
                if not part:
                    raise InvalidPayload(f"topic {topic!r} has an empty {field}")
                found[field.strip("{}")] = part
            elif part != field:
                raise InvalidPayload(f"topic {topic!r} does not match {self.pattern!r}")
        return found["site"], found["meter"], found["metric"].lower()


@dataclass(frozen=True)
class Decoded:
    site: str
    meter: str
    metric: str
    unit: str  # canonical
    readings: list[tuple[int, float]]  # (epoch seconds, value in canonical unit)
    stamped_on_receipt: bool


def _timestamp(raw: Any, received: float) -> int:
    if isinstance(raw, bool) or raw is None:
        raise InvalidPayload(f"'ts' must be ISO 8601 or Unix time, not {raw!r}")
    if isinstance(raw, int | float):
        if not math.isfinite(raw):
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
    if not math.isfinite(raw):
        raise InvalidPayload(f"'value' {raw!r} is not finite")
    value = to_canonical(float(raw), unit)
    low, high = RANGES.get(metric, (-math.inf, math.inf))
    if not low <= value <= high:
        raise InvalidPayload(f"{metric} {value:g} is outside the plausible range {low:g}..{high:g}")
    return value


def _unit(text: Any, metric: str) -> UnitInfo:
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


def decode(
    topic: str, payload: bytes, received: float, scheme: TopicScheme | None = None
) -> Decoded:
    """Decode one message; raises InvalidPayload with the reason when anything is off.

    `received` is the receive time (epoch seconds) for bare numbers and clock checks. Values
    of cumulative series are returned as sent (registers); the ingestor differences them.
    """
    site, meter, metric = (scheme or TopicScheme()).parse(topic)
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidPayload(f"payload is not JSON or a number: {exc}") from None
    if isinstance(data, int | float) and not isinstance(data, bool):
        unit = _unit(None, metric)
        stamp = int(received)
        reading = (stamp, _value(data, metric, unit))
        return Decoded(site, meter, metric, canonical_unit(unit), [reading], True)
    items = data if isinstance(data, list) else [data]
    if not items:
        raise InvalidPayload("payload is an empty list")
    if len(items) > MAX_BATCH:
        raise InvalidPayload(f"batch of {len(items)} readings; at most {MAX_BATCH} per message")
    given = [item.get("unit") if isinstance(item, dict) else None for item in items]
    if any(u is not None and not isinstance(u, str) for u in given):
        raise InvalidPayload("'unit' must be text such as 'kWh'")
    units = set(given)
    if len(units) > 1:
        raise InvalidPayload(
            f"readings in one message use different units: {sorted(map(str, units))}"
        )
    unit = _unit(units.pop(), metric)
    readings = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or "value" not in item or "ts" not in item:
            raise InvalidPayload(f"reading {i} must be an object with 'ts' and 'value'")
        readings.append((_timestamp(item["ts"], received), _value(item["value"], metric, unit)))
    return Decoded(site, meter, metric, canonical_unit(unit), readings, False)
