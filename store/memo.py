"""A scope in which each read of the catalogue and the rollups is made once: a monthly report
asks the same meters, profile and month of quarter-hours for every KPI of every meter.

Outside a scope nothing is kept, so every other caller reads the store as before.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_READS: ContextVar[dict[tuple[Hashable, ...], object] | None] = ContextVar(
    "store_reads", default=None
)


@contextmanager
def read_once() -> Iterator[None]:
    """Within the block, a read repeated with the same arguments returns what the first one
    found: one consistent snapshot of the store for read-only work (a write in the block is
    not seen by the reads remembered before it). A nested block shares the outer one."""
    if _READS.get() is not None:
        yield
        return
    token = _READS.set({})
    try:
        yield
    finally:
        _READS.reset(token)


def remembered(key: tuple[Hashable, ...], read: Callable[[], T]) -> T:
    """`read()`, or inside `read_once` the result of its first call with this key. The key
    names the read and its arguments, the engine among them (two stores are never mixed)."""
    reads = _READS.get()
    if reads is None:
        return read()
    if key not in reads:
        reads[key] = read()
    found: T = reads[key]  # type: ignore[assignment]
    return found


def known(key: tuple[Hashable, ...]) -> bool:
    """Whether the current scope already holds the read of `key` (never outside a scope)."""
    reads = _READS.get()
    return reads is not None and key in reads
