"""The ingestion core behind the MQTT client: decoded messages in, batches stored, acks out.

Messages are buffered and written in batches (by count and by age) through the store's
idempotent upsert; only after a batch is committed are its messages acknowledged, so a crash
loses nothing (the broker redelivers) and a redelivery counts nothing twice (the upsert). A
message that cannot be stored goes to the dead-letter table with the reason and its raw
payload, in the same transaction as the batch, and is acknowledged too: retrying it would fail
the same way. Register (cumulative) series are differenced here, with their last reading kept
in the store so a restart continues where it stopped.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Connection, Engine, insert, select, update

from connectors.payloads import Decoded, InvalidPayload, TopicScheme, decode
from connectors.registers import RegisterTracker
from store import catalog
from store.errors import EMSError
from store.schema import DeadLetter, SmallState
from store.writes import write_readings

Ack = Callable[[int], None]


@dataclass
class Health:
    """Counters for `ems-agent status` and the metrics endpoint."""

    messages: int = 0
    readings: int = 0
    dead_letters: int = 0
    batches: int = 0
    last_batch_seconds: float = 0.0
    last_lag_seconds: float = 0.0
    started: float = field(default_factory=time.time)

    def rate(self) -> float:
        return self.readings / max(time.time() - self.started, 1e-9)


@dataclass
class _Pending:
    decoded: list[tuple[int, Decoded]] = field(default_factory=list)  # (mid, message)
    dead: list[tuple[int, str, str, str]] = field(default_factory=list)  # mid, topic, reason, raw
    since: float = 0.0

    def __len__(self) -> int:
        return len(self.decoded) + len(self.dead)


class Ingestor:
    """Buffers messages and stores them in batches; thread-safe for the MQTT network thread."""

    def __init__(
        self,
        engine: Engine,
        *,
        timezone: str = "UTC",
        scheme: TopicScheme | None = None,
        cumulative: frozenset[tuple[str, str]] = frozenset(),
        batch_size: int = 5000,
        batch_seconds: float = 1.0,
        ack: Ack | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.timezone = timezone
        self.scheme = scheme or TopicScheme()
        self.cumulative = cumulative
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.ack = ack if ack is not None else (lambda mid: None)
        self.clock = clock  # wall time: stamps bare numbers, checks meter clocks
        self.monotonic = monotonic  # ages batches, immune to clock changes
        self.health = Health()
        self._pending = _Pending()
        self._lock = threading.Lock()
        # One batch is written at a time: the ticker's age flush and a full batch on the
        # network thread would otherwise race to create the same new series.
        self._flushing = threading.Lock()
        self._series: dict[tuple[str, str, str], tuple[int, str]] = {}
        self._zones: dict[int, str] = {}
        self._registers: dict[int, RegisterTracker] = {}

    def handle(self, mid: int, topic: str, payload: bytes) -> None:
        """Take one message; flushes when the batch is full or old enough."""
        received = self.clock()
        with self._lock:
            self.health.messages += 1
            if not self._pending:
                self._pending.since = self.monotonic()
            try:
                self._pending.decoded.append((mid, decode(topic, payload, received, self.scheme)))
            except InvalidPayload as exc:
                # Kept as readable text; NUL bytes are escaped (PostgreSQL text cannot hold them).
                raw = payload[:10_000].decode("utf-8", errors="backslashreplace")
                raw = raw.replace("\x00", "\\x00")
                self._pending.dead.append((mid, topic, str(exc), raw))
            due = len(self._pending) >= self.batch_size
        if due:
            self.flush()

    def tick(self) -> None:
        """Called periodically: flush a batch that has waited long enough."""
        with self._lock:
            age = self.monotonic() - self._pending.since
            due = bool(self._pending) and age >= self.batch_seconds
        if due:
            self.flush()

    def flush(self) -> int:
        """Store the buffered batch in one transaction, then acknowledge its messages."""
        with self._flushing:
            return self._flush()

    def _flush(self) -> int:
        with self._lock:
            batch, self._pending = self._pending, _Pending()
        if not batch:
            return 0
        started = time.perf_counter()
        try:
            with self.engine.begin() as conn:
                stored = self._store(conn, batch)
        except Exception:
            # Nothing was committed: put the batch back so nothing is acknowledged or lost,
            # and forget what was learnt inside the rolled-back transaction: register
            # positions and any series it created (both reload from the store).
            self._registers.clear()
            self._series.clear()
            self._zones.clear()
            with self._lock:
                batch.decoded += self._pending.decoded
                batch.dead += self._pending.dead
                self._pending = batch
            raise
        for mid, _ in batch.decoded:
            self.ack(mid)
        for mid, *_ in batch.dead:
            self.ack(mid)
        self.health.batches += 1
        self.health.readings += stored
        self.health.dead_letters += len(batch.dead)
        self.health.last_batch_seconds = time.perf_counter() - started
        return stored

    def _store(self, conn: Connection, batch: _Pending) -> int:
        grouped: dict[int, list[tuple[int, float]]] = defaultdict(list)
        dead = list(batch.dead)
        newest = 0
        for mid, message in batch.decoded:
            try:
                series_id = self._series_id(conn, message)
            except EMSError as exc:
                dead.append((mid, f"{message.site}/{message.meter}/{message.metric}", str(exc), ""))
                continue
            readings = message.readings
            if (message.meter, message.metric) in self.cumulative:
                readings = self._differences(conn, series_id, readings)
            grouped[series_id] += readings
            newest = max([newest, *(ts for ts, _ in message.readings)])
        stored = 0
        for series_id, readings in grouped.items():
            if not readings:
                continue
            ts = np.array([r[0] for r in readings], dtype=np.int64)
            values = np.array([r[1] for r in readings], dtype=np.float64)
            order = np.argsort(ts, kind="stable")
            write_readings(conn, series_id, ts[order], values[order], self._zones[series_id])
            stored += len(readings)
        for _, topic, reason, raw in dead:
            conn.execute(insert(DeadLetter).values(source=topic, reason=reason, payload=raw))
        if newest:
            self.health.last_lag_seconds = max(self.clock() - newest, 0.0)
        return stored

    def _series_id(self, conn: Connection, message: Decoded) -> int:
        key = (message.site, message.meter, message.metric)
        if key not in self._series:
            site = catalog.ensure_site(conn, message.site, self.timezone)
            series = catalog.ensure_series(
                conn,
                site.id,
                message.meter,
                message.metric,
                message.unit,
                cumulative=(message.meter, message.metric) in self.cumulative,
            )
            self._series[key] = (series.id, site.timezone)
            self._zones[series.id] = site.timezone
        return self._series[key][0]

    def _differences(
        self, conn: Connection, series_id: int, readings: list[tuple[int, float]]
    ) -> list[tuple[int, float]]:
        """Register readings to interval amounts, continuing from the stored last register."""
        tracker = self._registers.get(series_id)
        key = f"register:{series_id}"
        if tracker is None:
            tracker = RegisterTracker()
            state = conn.execute(select(SmallState.value).where(SmallState.key == key)).scalar()
            if state:
                tracker.last = (int(state["ts"]), float(state["value"]))
            self._registers[series_id] = tracker
        out = []
        for ts, value in sorted(readings):
            step = tracker.push(ts, value)
            if step is not None and np.isfinite(step[1]):
                out.append((step[0], step[1]))
        if tracker.last is not None:
            _save_state(conn, key, {"ts": tracker.last[0], "value": tracker.last[1]})
        return out


def _save_state(conn: Connection, key: str, value: dict[str, float | int]) -> None:
    exists = conn.execute(select(SmallState.key).where(SmallState.key == key)).scalar()
    if exists:
        conn.execute(update(SmallState).where(SmallState.key == key).values(value=value))
    else:
        conn.execute(insert(SmallState).values(key=key, value=value))
