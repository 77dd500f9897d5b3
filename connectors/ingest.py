"""The ingestion core behind the MQTT client: decoded messages in, batches stored, acks out.

Messages are buffered and written in batches (by count and by age) through the store's
idempotent upsert; only after a batch is committed are its messages acknowledged, so a crash
loses nothing (the broker redelivers) and a redelivery counts nothing twice (the upsert). A
message that cannot be stored goes to the dead-letter table with the reason and its raw
payload, in the same transaction as the batch, and is acknowledged too: retrying it would fail
the same way. Register (cumulative) series are differenced here, with their last reading kept
in the store so a restart continues where it stopped.

Batches are written one at a time and in order. By default the thread that fills a batch
writes it; after `start_writer()` a writer thread does, fed a bounded queue of full batches, so
receiving and decoding go on while a batch is stored (SQLite and the socket release the GIL).
A batch whose commit fails stays at the head of the queue, unacknowledged, and is retried.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from sqlalchemy import Connection, Engine, insert, select, update

from common.errors import EMSError
from connectors.payloads import Columns, Decoded, InvalidPayload, TopicScheme, decode
from connectors.registers import RegisterTracker
from store import catalog
from store.schema import DeadLetter, SmallState
from store.writes import SeriesWrite, write_many

Ack = Callable[[list[int]], None]  # acknowledges a committed batch's messages, in arrival order
log = logging.getLogger(__name__)
RETRY_S = 1.0  # the writer thread's pause after a failed commit before it tries the batch again


@dataclass
class Health:
    """Counters for `ems-agent status` and the metrics endpoint."""

    messages: int = 0
    readings: int = 0
    dead_letters: int = 0
    batches: int = 0
    last_batch_seconds: float = 0.0
    last_lag_seconds: float = 0.0
    store_failures: int = 0  # commits that failed (each is retried)
    writer_restarts: int = 0  # writer processes that died and were replaced
    started: float = field(default_factory=time.time)

    def rate(self) -> float:
        return self.readings / max(time.time() - self.started, 1e-9)


class IngestCore(Protocol):
    """What the MQTT client drives: `Ingestor` (storing on a writer thread) or
    `ingest_process.ProcessIngestor` (storing in a child process)."""

    scheme: TopicScheme
    health: Health
    ack: Ack

    def handle(self, mid: int, topic: str, payload: bytes) -> None: ...
    def tick(self) -> None: ...
    def flush(self) -> int: ...
    def start_writer(self) -> None: ...
    def stop_writer(self) -> None: ...


@dataclass
class _Pending:
    decoded: list[tuple[int, Decoded]] = field(default_factory=list)  # (mid, message)
    dead: list[tuple[int, str, str, str]] = field(default_factory=list)  # mid, topic, reason, raw
    mids: list[int] = field(default_factory=list)  # every message, in the order it arrived
    since: float = 0.0
    readings: int = 0
    # Messages whose series could not be made (a unit the series does not have), with why.
    failed: list[tuple[int, str]] = field(default_factory=list)

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
        batch_readings: int = 250_000,
        batch_seconds: float = 1.0,
        ack: Ack | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        queued_batches: int = 2,
    ) -> None:
        self.engine = engine
        self.timezone = timezone
        self.scheme = scheme or TopicScheme()
        self.cumulative = cumulative
        self.batch_size = batch_size  # messages
        # A batch is also full at this many readings: with 100-reading messages the writer
        # then stores one batch while the next is received, instead of one long batch.
        self.batch_readings = batch_readings
        self.batch_seconds = batch_seconds
        self.ack = ack if ack is not None else (lambda mids: None)
        self.clock = clock  # wall time: stamps bare numbers, checks meter clocks
        self.monotonic = monotonic  # ages batches, immune to clock changes
        self.queued_batches = queued_batches  # full batches waiting for the writer, at most
        self.health = Health()
        self._pending = _Pending()
        self._sealed: deque[_Pending] = deque()  # full batches, oldest first, not yet committed
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # a batch was sealed or committed
        # One batch is written at a time: the ticker's age flush, the writer thread and a full
        # batch on the network thread would otherwise race to create the same new series.
        self._flushing = threading.Lock()
        self._writer: threading.Thread | None = None
        self._stopping = False
        self._series: dict[tuple[str, str, str], tuple[int, str]] = {}
        self._zones: dict[int, str] = {}
        self._registers: dict[int, RegisterTracker] = {}

    def start_writer(self) -> None:
        """Store full batches on a writer thread from now on; `stop_writer()` ends it."""
        with self._lock:
            if self._writer is not None:
                return
            self._stopping = False
            self._writer = threading.Thread(
                target=self._write_loop, name="ems-ingest-writer", daemon=True
            )
        self._writer.start()

    def stop_writer(self) -> None:
        """End the writer thread; batches it has not committed stay queued for `flush()`."""
        with self._lock:
            writer, self._writer = self._writer, None
            self._stopping = True
            self._changed.notify_all()
        if writer is not None:
            writer.join(timeout=60)

    def handle(self, mid: int, topic: str, payload: bytes, received: float | None = None) -> None:
        """Take one message; a full batch is stored, or queued for the writer thread.

        `received` is when the message arrived (default: now); it stamps bare numbers and
        checks the meter's clock. With the writer thread running, this waits while
        `queued_batches` full batches are queued, so a slow store holds back the broker rather
        than filling memory.
        """
        if received is None:
            received = self.clock()
        decoded: Decoded | None = None
        try:  # outside the lock: decoding is pure
            decoded = decode(topic, payload, received, self.scheme)
        except InvalidPayload as exc:
            reason = str(exc)
        except Exception as exc:
            # A payload the decoder fails on in a way it did not foresee is still this
            # message's fault: kept as a dead letter too, so one message cannot stop ingestion.
            log.exception("decoding a message on %s failed unexpectedly", topic)
            reason = f"the payload could not be decoded ({type(exc).__name__}: {exc})"
        if decoded is None:
            # Kept as readable text; NUL bytes are escaped (PostgreSQL text cannot hold them).
            raw = payload[:10_000].decode("utf-8", errors="backslashreplace")
            raw = raw.replace("\x00", "\\x00")
        with self._lock:
            self.health.messages += 1
            if not self._pending:
                self._pending.since = self.monotonic()
            self._pending.mids.append(mid)
            if decoded is not None:
                self._pending.decoded.append((mid, decoded))
                self._pending.readings += len(decoded.readings)
            else:
                self._pending.dead.append((mid, topic, reason, raw))
            full = self._pending.readings >= self.batch_readings
            if len(self._pending) < self.batch_size and not full:
                return
            if self._writer is not None:
                self._seal()
                while len(self._sealed) > self.queued_batches and not self._stopping:
                    self._changed.wait()
                return
        self.flush()

    def store_now(
        self, decoded: list[Decoded], dead: list[tuple[str, str, str]]
    ) -> tuple[int, list[tuple[int, str]]]:
        """Store decoded messages and dead letters (source, reason, raw) now, in one
        transaction, after any batch being written (HTTP ingestion: the request waits for the
        commit instead of acknowledging). Returns the readings stored and, by position in
        `decoded`, the messages whose series could not be made, with the reason."""
        batch = _Pending()
        batch.decoded = list(enumerate(decoded))
        batch.dead = [(-1, source, reason, raw) for source, reason, raw in dead]
        with self._flushing:
            stored = self._write(batch)
        return stored, batch.failed

    def tick(self) -> None:
        """Called periodically: flush a batch that has waited long enough, and without the
        writer thread retry batches whose commit failed."""
        with self._lock:
            age = self.monotonic() - self._pending.since
            aged = bool(self._pending) and age >= self.batch_seconds
            if self._writer is not None:
                if aged:
                    self._seal()
                return
            if not (aged or self._sealed):
                return
        self.flush()

    def flush(self) -> int:
        """Store the buffered batches in order, each in one transaction, then acknowledge them.

        Raises what the store raised; the failed batch and those after it stay queued.
        """
        with self._flushing:
            with self._lock:
                self._seal()
            return self._write_sealed()

    def _seal(self) -> None:
        """Queue the pending batch for writing (the caller holds `_lock`)."""
        if self._pending:
            self._sealed.append(self._pending)
            self._pending = _Pending()
            self._changed.notify_all()

    def _write_loop(self) -> None:
        while True:
            with self._lock:
                self._changed.wait_for(lambda: bool(self._sealed) or self._stopping)
                if self._stopping:
                    return
            try:
                with self._flushing:
                    self._write_sealed()
            except Exception:  # the store is down: keep the batch, try again shortly
                self.health.store_failures += 1
                log.exception("storing a batch failed; it stays queued and unacknowledged")
                with self._lock:
                    self._changed.wait_for(lambda: self._stopping, timeout=RETRY_S)

    def _write_sealed(self) -> int:
        """Write queued batches oldest first until none is left (the caller holds `_flushing`)."""
        stored = 0
        while True:
            with self._lock:
                if not self._sealed:
                    return stored
                batch = self._sealed[0]
            stored += self._write(batch)
            with self._lock:
                self._sealed.popleft()
                self._changed.notify_all()

    def _write(self, batch: _Pending) -> int:
        started = time.perf_counter()
        try:
            with self.engine.begin() as conn:
                stored = self._store(conn, batch)
        except Exception:
            # Nothing was committed: the batch stays queued, nothing of it acknowledged; forget
            # what was learnt inside the rolled-back transaction: register positions and any
            # series it created (both reload from the store).
            self._registers.clear()
            self._series.clear()
            self._zones.clear()
            raise
        # MQTT wants acknowledgements in the order the messages arrived, dead letters included.
        self.ack(batch.mids)
        self.health.batches += 1
        self.health.readings += stored
        self.health.dead_letters += len(batch.dead)
        self.health.last_batch_seconds = time.perf_counter() - started
        return stored

    def _store(self, conn: Connection, batch: _Pending) -> int:
        grouped: dict[int, list[Columns | list[tuple[int, float]]]] = defaultdict(list)
        dead = list(batch.dead)
        newest = 0
        for mid, message in batch.decoded:
            try:
                series_id = self._series_id(conn, message)
            except EMSError as exc:
                dead.append((mid, f"{message.site}/{message.meter}/{message.metric}", str(exc), ""))
                batch.failed.append((mid, str(exc)))
                continue
            readings = message.readings
            if (message.meter, message.metric) in self.cumulative:
                newest = max([newest, *(ts for ts, _ in readings)])
                readings = self._differences(conn, series_id, readings)
                grouped[series_id].append(readings)
            else:
                grouped[series_id].append(message.columns or readings)
        writes = []
        for series_id, parts in grouped.items():
            ts, values = _concatenate(parts)  # in arrival order: a later value for a time wins
            if len(ts):
                writes.append(SeriesWrite(series_id, ts, values, self._zones[series_id]))
                newest = max(newest, int(ts.max()))
        write_many(conn, writes)
        stored = sum(len(w.ts) for w in writes)
        if dead:
            conn.execute(
                insert(DeadLetter),
                [
                    {"source": topic, "reason": reason, "payload": raw}
                    for _, topic, reason, raw in dead
                ],
            )
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


def _concatenate(parts: list[Columns | list[tuple[int, float]]]) -> Columns:
    """One series' readings of a batch as arrays, in the order they arrived."""
    chunks: list[Columns] = []
    rows: list[tuple[int, float]] = []
    for part in parts:
        if isinstance(part, tuple):
            if rows:
                chunks.append(_columns(rows))
                rows = []
            chunks.append(part)
        else:
            rows += part
    if rows or not chunks:
        chunks.append(_columns(rows))
    return np.concatenate([c[0] for c in chunks]), np.concatenate([c[1] for c in chunks])


def _columns(rows: list[tuple[int, float]]) -> Columns:
    # Timestamps are within days of now, far below 2**53: exact as float64.
    pairs = np.array(rows, dtype=np.float64).reshape(-1, 2)
    return pairs[:, 0].astype(np.int64), pairs[:, 1]


def _save_state(conn: Connection, key: str, value: dict[str, float | int]) -> None:
    exists = conn.execute(select(SmallState.key).where(SmallState.key == key)).scalar()
    if exists:
        conn.execute(update(SmallState).where(SmallState.key == key).values(value=value))
    else:
        conn.execute(insert(SmallState).values(key=key, value=value))
