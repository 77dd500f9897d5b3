"""Posted readings read column by column: the common body, whose readings all name a valid
series and carry plain numbers for time and value, is checked and split by series in a few
numpy passes; any other body is left to the reading-by-reading path, which names each fault.

What comes out is what the reading-by-reading path makes of the same body: the same series
in the same order, the same checks (unit, clock, plausible range) with the same float64
operations, the readings of each series in the order they were posted.
"""

from __future__ import annotations

import math
from functools import lru_cache
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt

from common.units import canonical_unit
from connectors.payloads import (
    RANGES,
    Decoded,
    InvalidPayload,
    plain_columns,
    reading_unit,
)

Fields = dict[str, list[Any]]  # site, meter, metric, unit, ts and value of each reading
KEY_FIELDS = ("site", "meter", "metric", "unit")
Group = tuple[str, str, str, Any]  # site, meter, metric, unit as given
IntArray = npt.NDArray[np.int64]
# Distinct keys past this product of distinct values are numbered reading by reading.
MAX_KEY_SPACE = 2**62


@lru_cache(maxsize=65_536)
def series_key(site: Any, meter: Any, metric: Any) -> tuple[str, str, str] | str:
    """(site, meter, metric) of a reading, or why they are not usable."""
    for name, value in (("site", site), ("meter", meter), ("metric", metric)):
        if not isinstance(value, str) or not value.strip():
            return f"'{name}' must be non-empty text, not {value!r}"
        if len(value) > 200:
            return f"'{name}' is longer than 200 characters"
    return site.strip(), meter.strip(), metric.strip().lower()


def object_fields(items: list[Any], default_site: str | None) -> Fields | None:
    """The fields of readings that are all objects with 'ts', column by column (a missing
    site is the default one); None for any other list."""
    if not items or set(map(type, items)) != {dict}:
        return None
    if not all(map(dict.__contains__, items, repeat("ts"))):
        return None  # 'timestamp' for 'ts', or no time: the reading-by-reading path
    fields = {"site": list(map(dict.get, items, repeat("site"), repeat(default_site)))}
    for name in ("meter", "metric", "unit", "ts", "value"):
        fields[name] = list(map(dict.get, items, repeat(name)))
    return fields


def _factor(column: list[Any]) -> tuple[list[Any], IntArray | None]:
    """A column's distinct values in order of first appearance and each value's number among
    them (None when there is one value). Raises TypeError for an unhashable value."""
    distinct = dict.fromkeys(column)
    if len(distinct) == 1:
        return list(distinct), None
    number = {value: i for i, value in enumerate(distinct)}
    return list(distinct), np.fromiter(map(number.__getitem__, column), np.int64, len(column))


def _keys(fields: Fields, count: int) -> tuple[list[Group], IntArray] | None:
    """The distinct (site, meter, metric, unit) of the readings in order of first appearance,
    and each reading's number among them; None when a key field holds an unhashable value."""
    try:
        parts = [_factor(fields[name]) for name in KEY_FIELDS]
    except TypeError:
        return None
    varying = [i for i, (_, codes) in enumerate(parts) if codes is not None]
    base = [values[0] for values, _ in parts]
    if len(varying) <= 1:  # one field varies (the meter): its numbers already are the keys'
        if not varying:
            return [(base[0], base[1], base[2], base[3])], np.zeros(count, np.int64)
        at, (values, codes) = varying[0], parts[varying[0]]
        keys = [_with(base, at, value) for value in values]
        return keys, codes  # type: ignore[return-value]
    combined = np.zeros(count, np.int64)
    space = 1
    for values, codes in parts:
        if codes is not None:
            space *= len(values)
            if space > MAX_KEY_SPACE:
                return None
            combined = combined * len(values) + codes
    _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    rank = np.argsort(first)  # distinct keys in the order they first appear
    number = np.empty_like(rank)
    number[rank] = np.arange(len(rank))
    keys = [
        tuple(v[0] if c is None else v[int(c[f])] for v, c in parts) for f in first[rank].tolist()
    ]
    return keys, number[inverse.reshape(-1)]


def _with(base: list[Any], at: int, value: Any) -> Group:
    key = list(base)
    key[at] = value
    return (key[0], key[1], key[2], key[3])


class _Plan:
    """The series of a body's distinct keys, in the order the reading-by-reading path makes
    them, with each key's unit conversion and plausible range."""

    def __init__(self, keys: list[Group]) -> None:
        groups: dict[Group, None] = {}
        group_of: list[Group] = []
        for site, meter, metric, unit in keys:
            key = series_key(site, meter, metric)
            if isinstance(key, str) or (unit is not None and not isinstance(unit, str)):
                raise InvalidPayload(key if isinstance(key, str) else "'unit' must be text")
            # Spellings that differ only in case or spaces make one series.
            group_of.append((*key, unit))
            groups.setdefault(group_of[-1])
        kinds: dict[tuple[str, Any], list[Group]] = {}
        for group in groups:
            kinds.setdefault((group[2], group[3]), []).append(group)
        self.series: dict[tuple[str, str, str], int] = {}
        self.units: list[str] = []
        found: dict[Group, tuple[int, float, float, float, float]] = {}
        for (metric, unit), members in kinds.items():
            info = reading_unit(unit, metric)  # raises InvalidPayload
            low, high = RANGES.get(metric, (-math.inf, math.inf))
            for group in members:
                number = self.series.setdefault(group[:3], len(self.series))
                if number == len(self.units):
                    self.units.append(canonical_unit(info))
                found[group] = (number, info.factor, info.offset, low, high)
        rows = [found[group] for group in group_of]
        self.number = np.array([r[0] for r in rows], np.int64)
        self.scale = np.array([r[1:] for r in rows], np.float64).reshape(-1, 4)


def _checked_columns(
    fields: Fields, plan: _Plan, codes: IntArray, received: float
) -> tuple[IntArray, npt.NDArray[np.float64]] | None:
    """Epoch seconds and canonical values of every reading, or None when any reading is not
    plainly valid: `payloads.plain_columns` with each reading's series' unit and range."""
    factor, offset, low, high = (plan.scale[:, i][codes] for i in range(4))
    return plain_columns(fields["ts"], fields["value"], (factor, offset, low, high), received)


def by_series(
    fields: Fields, received: float, registers: set[tuple[str, str]]
) -> tuple[list[Decoded], list[IntArray]] | None:
    """One decoded message per series with the positions of its readings, when every reading
    is plainly valid; None otherwise (the reading-by-reading path then names the faults)."""
    count = len(fields["ts"])
    found = _keys(fields, count) if count else None
    if found is None:
        return None
    keys, codes = found
    try:
        plan = _Plan(keys)
    except InvalidPayload:
        return None
    checked = _checked_columns(fields, plan, codes, received)
    if checked is None:
        return None
    ts, values = checked
    numbers = plan.number[codes]
    order = np.argsort(numbers, kind="stable")  # each series' readings in posted order
    ts, values = ts[order], values[order]
    ends = np.cumsum(np.bincount(numbers, minlength=len(plan.series))).tolist()
    messages: list[Decoded] = []
    indices: list[IntArray] = []
    start = 0
    for ((site, meter, metric), number), end in zip(plan.series.items(), ends, strict=True):
        part = slice(start, end)
        readings: list[tuple[int, float]] = []
        if (meter, metric) in registers:  # registers are differenced reading by reading
            readings = list(zip(ts[part].tolist(), values[part].tolist(), strict=True))
        columns = (ts[part], values[part])
        messages.append(Decoded(site, meter, metric, plan.units[number], readings, False, columns))
        indices.append(order[part])
        start = end
    return messages, indices
