"""The ingestor with its decoding and storing in a child process.

In one process the MQTT network thread and a writer thread take turns on the GIL: every
microsecond spent decoding and storing is a microsecond the network thread does not receive,
and single-reading messages then arrive faster than they are stored. Here the network thread
only buffers each message (topic, payload, time received); full batches go through a pipe to
a child process that decodes and stores them with the same `Ingestor` (dead letters, registers,
the one upsert) and reports each commit back, and only then are the batch's messages
acknowledged, in arrival order, as the thread writer does.

Guarantees kept: a batch is acknowledged only after its commit. A batch the child could not
commit (the store is down) is retried by the child and stays unacknowledged. If the child dies,
a new one is started and every batch not yet committed is sent to it again (the upsert makes a
second write of a committed batch change nothing). At stop, batches that could not be stored
in time stay unacknowledged, so the broker hands them over again at the next start.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Pipe
from typing import Any

from sqlalchemy import Engine

from common.errors import EMSError
from connectors.ingest import RETRY_S, Ack, Health, IngestCore, Ingestor
from connectors.payloads import TopicScheme

log = logging.getLogger(__name__)
START_TIMEOUT_S = 60.0  # the child imports numpy, pandas and SQLAlchemy before it is ready
STOP_TIMEOUT_S = 30.0  # at stop, how long batches still being stored are waited for
Message = tuple[int, str, bytes, float]  # mid, topic, payload, time received


class WriterProcessError(EMSError):
    """The ingestor's writer process could not be started."""


@dataclass(frozen=True)
class WriterSpec:
    """What the child needs to build its Ingestor; sent to it at start (picklable)."""

    url: str  # the store's URL, password included
    timezone: str = "UTC"
    pattern: str = TopicScheme().pattern
    cumulative: frozenset[tuple[str, str]] = frozenset()
    log_level: int = logging.WARNING


@dataclass
class _Batch:
    number: int
    messages: list[Message]
    sent: int = -1  # the child generation it was sent to; -1 not yet sent


@dataclass
class _State:
    pending: list[Message] = field(default_factory=list)
    pending_bytes: int = 0
    since: float = 0.0
    outstanding: deque[_Batch] = field(default_factory=deque)  # sealed, not yet committed
    next_number: int = 1


class ProcessIngestor:
    """The interface `MqttIngest` drives (handle, tick, flush, start_writer, stop_writer,
    health, ack), storing through a child process."""

    def __init__(
        self,
        spec: WriterSpec,
        *,
        batch_size: int = 5000,
        batch_bytes: int = 8_000_000,
        batch_seconds: float = 1.0,
        queued_batches: int = 2,
        ack: Ack | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spec = spec
        self.scheme = TopicScheme(spec.pattern)
        self.batch_size = batch_size  # messages
        # Payloads are not decoded here, so a batch of many-reading messages is bounded by
        # size instead of by readings: about 180,000 readings of a typical gateway's JSON.
        self.batch_bytes = batch_bytes
        self.batch_seconds = batch_seconds
        self.queued_batches = queued_batches
        self.ack = ack if ack is not None else (lambda mids: None)
        self.clock = clock
        self.monotonic = monotonic
        self.health = Health()
        self._state = _State()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._stopping = False
        self._generation = 0
        self._pipe: Pipe | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._threads: list[threading.Thread] = []
        self._failing = False  # the child's last report was a failed commit

    # ------------------------------------------------------------ the network thread's side

    def handle(self, mid: int, topic: str, payload: bytes) -> None:
        """Buffer one message; a full batch goes to the child. Waits while `queued_batches`
        batches wait for their commit, so a slow store holds back the broker."""
        received = self.clock()
        with self._lock:
            state = self._state
            self.health.messages += 1
            if not state.pending:
                state.since = self.monotonic()
            state.pending.append((mid, topic, payload, received))
            state.pending_bytes += len(payload)
            if len(state.pending) < self.batch_size and state.pending_bytes < self.batch_bytes:
                return
            self._seal()
            while len(state.outstanding) > self.queued_batches and not self._stopping:
                self._changed.wait()

    def tick(self) -> None:
        """Send a batch that has waited `batch_seconds`."""
        with self._lock:
            state = self._state
            if state.pending and self.monotonic() - state.since >= self.batch_seconds:
                self._seal()

    def flush(self) -> int:
        """Send what is buffered and wait until everything sent is committed; returns the
        readings stored meanwhile. Raises when that takes longer than STOP_TIMEOUT_S."""
        readings = self.health.readings
        with self._lock:
            self._seal()
            if not self._changed.wait_for(
                lambda: not self._state.outstanding or self._process is None, STOP_TIMEOUT_S
            ):
                waiting = sum(len(b.messages) for b in self._state.outstanding)
                raise EMSError(
                    f"{waiting:,} messages were not stored within {STOP_TIMEOUT_S:.0f} s; "
                    "they stay unacknowledged and the broker delivers them again"
                )
        return self.health.readings - readings

    def _seal(self) -> None:
        """Queue the pending messages as a batch for the child (the caller holds the lock)."""
        state = self._state
        if state.pending:
            state.outstanding.append(_Batch(state.next_number, state.pending))
            state.next_number += 1
            state.pending, state.pending_bytes = [], 0
            self._changed.notify_all()

    # ------------------------------------------------------------ the child's lifecycle

    def start_writer(self) -> None:
        """Start the child and wait until it is ready; then the sender and receiver threads."""
        with self._lock:
            if self._process is not None:
                return
            self._stopping = False
        self._spawn()
        self._threads = [
            threading.Thread(target=self._send_loop, name="ems-ingest-sender", daemon=True),
            threading.Thread(target=self._receive_loop, name="ems-ingest-receiver", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop_writer(self) -> None:
        """Store what is buffered (waiting up to STOP_TIMEOUT_S), then end the child."""
        try:
            self.flush()
        except EMSError as exc:
            log.warning("%s", exc)
        with self._lock:
            self._stopping = True
            pipe, process = self._pipe, self._process
            self._process = None
            self._changed.notify_all()
        if pipe is not None:
            try:
                pipe.send(None)
            except OSError:
                pass
        if process is not None:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if pipe is not None:
            pipe.close()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads = []

    def _spawn(self) -> None:
        """Start a child: a fresh interpreter running this module (forking a process that
        has threads is unsafe, and multiprocessing's spawn would import the caller's main
        module again), joined to this one by a socket pair."""
        ours, theirs = socket.socketpair()
        with ours, theirs:
            # Its own session: Ctrl-C in a terminal reaches the parent only, which then
            # stores what is buffered through the child before stopping it.
            process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
            )
            pipe = Pipe(ours.detach())
        pipe.send(self.spec)
        if not pipe.poll(START_TIMEOUT_S):
            process.kill()
            pipe.close()
            raise WriterProcessError(
                f"the ingestor's writer process was not ready within {START_TIMEOUT_S:.0f} s"
            )
        try:
            hello = pipe.recv()
        except EOFError:
            code = process.wait(timeout=10)
            pipe.close()
            raise WriterProcessError(
                f"the ingestor's writer process exited at start (exit code {code}); "
                "its error is above"
            ) from None
        if hello[0] != "ready":
            process.wait(timeout=10)
            pipe.close()
            raise WriterProcessError(f"the ingestor's writer process could not start: {hello[1]}")
        with self._lock:
            self._generation += 1
            old, self._pipe, self._process = self._pipe, pipe, process
            if old is not None:
                old.close()
            for batch in self._state.outstanding:
                batch.sent = -1  # a new child: everything not committed is sent again
            self._changed.notify_all()

    def _send_loop(self) -> None:
        """Send sealed batches to the child in order, pickled outside the lock."""
        while True:
            with self._lock:
                self._changed.wait_for(lambda: self._stopping or self._unsent() is not None)
                if self._stopping:
                    return
                batch, generation, pipe = self._unsent(), self._generation, self._pipe
            assert batch is not None and pipe is not None
            try:
                pipe.send((batch.number, batch.messages))
            except OSError:  # the child died; the receiver starts another and this resends
                self._wait_for_new_child(generation)
                continue
            with self._lock:
                if self._generation == generation:
                    batch.sent = generation

    def _wait_for_new_child(self, generation: int) -> None:
        with self._lock:
            self._changed.wait_for(
                lambda: self._stopping or self._generation != generation, RETRY_S
            )

    def _unsent(self) -> _Batch | None:
        for batch in self._state.outstanding:
            if batch.sent != self._generation:
                return batch
        return None

    def _receive_loop(self) -> None:
        """Acknowledge what the child committed; start a new child when it dies."""
        while True:
            with self._lock:
                pipe = self._pipe
            try:
                report = pipe.recv() if pipe is not None else None
            except (EOFError, OSError):
                report = None
            if report is None:
                with self._lock:
                    if self._stopping:
                        return
                log.error("the ingestor's writer process stopped; starting a new one")
                self.health.writer_restarts += 1
                try:
                    self._spawn()
                except WriterProcessError as exc:
                    log.error("%s; retrying in %.0f s", exc, RETRY_S * 5)
                    time.sleep(RETRY_S * 5)
                continue
            self._report(report)

    def _report(self, report: tuple[Any, ...]) -> None:
        if report[0] == "failed":
            self.health.store_failures += 1
            if not self._failing:
                log.error(
                    "storing a batch failed; it stays unacknowledged and is retried: %s",
                    report[2],
                )
            self._failing = True
            return
        _, number, readings, dead, seconds, lag = report
        self._failing = False
        done: list[int] = []
        with self._lock:
            outstanding = self._state.outstanding
            while outstanding and outstanding[0].number <= number:
                done += [m[0] for m in outstanding.popleft().messages]
                self.health.batches += 1
            self.health.readings += readings
            self.health.dead_letters += dead
            self.health.last_batch_seconds = seconds
            if lag is not None:
                self.health.last_lag_seconds = lag
            self._changed.notify_all()
        self.ack(done)


# ---------------------------------------------------------------- the child


def serve(pipe: Pipe) -> None:
    """The child: store batches until told to stop, or until the parent is gone (then what
    is not committed stays unacknowledged at the broker, as if the parent had stored it)."""
    try:
        _serve(pipe)
    except (EOFError, OSError):
        log.warning("the ingestor is gone; its writer process stops")


def _serve(pipe: Pipe) -> None:
    spec: WriterSpec = pipe.recv()
    logging.basicConfig(level=spec.log_level, format="%(levelname)s %(name)s: %(message)s")
    try:
        from store.engine import make_engine

        engine = make_engine(spec.url)
        ingestor = Ingestor(
            engine,
            timezone=spec.timezone,
            scheme=TopicScheme(spec.pattern),
            cumulative=spec.cumulative,
            batch_size=sys.maxsize,  # this loop decides what a batch is
            batch_readings=sys.maxsize,
        )
    except Exception as exc:
        pipe.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    pipe.send(("ready",))
    while True:
        job = pipe.recv()
        if job is None:
            break
        number = _take(ingestor, job)
        if not _commit(ingestor, pipe, number):
            break
    engine.dispose()


def _take(ingestor: Ingestor, job: tuple[int, list[Message]]) -> int:
    """Hand a batch's messages to the ingestor; returns the batch's number."""
    for mid, topic, payload, received in job[1]:
        ingestor.handle(mid, topic, payload, received)
    return job[0]


def _commit(ingestor: Ingestor, pipe: Pipe, number: int) -> bool:
    """Store what the ingestor holds, retrying while the store is down; False when told to
    stop meanwhile. Batches that arrive during the retries join the same commit."""
    health = ingestor.health
    before = (health.readings, health.dead_letters)
    while True:
        started = time.perf_counter()
        try:
            ingestor.flush()
        except Exception as exc:
            pipe.send(("failed", number, f"{type(exc).__name__}: {exc}"))
            if pipe.poll(RETRY_S):
                job = pipe.recv()
                if job is None:
                    return False
                number = _take(ingestor, job)
            continue
        lag = health.last_lag_seconds if health.readings > before[0] else None
        pipe.send(
            (
                "done",
                number,
                health.readings - before[0],
                health.dead_letters - before[1],
                time.perf_counter() - started,
                lag,
            )
        )
        return True


def make_ingestor(
    engine: Engine,
    *,
    timezone: str = "UTC",
    writer: str = "process",
    batch_size: int = 5000,
    batch_seconds: float = 1.0,
    cumulative: frozenset[tuple[str, str]] = frozenset(),
) -> IngestCore:
    """The ingestor for a store: storing in a child process (`writer="process"`), or on a
    thread of this one (`"thread"`, and always for an in-memory SQLite, which no other
    process can open)."""
    if writer not in ("process", "thread"):
        raise EMSError(f"the ingest writer is 'process' or 'thread', not {writer!r}")
    url = engine.url
    in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
    if writer == "thread" or in_memory:
        return Ingestor(
            engine,
            timezone=timezone,
            cumulative=cumulative,
            batch_size=batch_size,
            batch_seconds=batch_seconds,
        )
    spec = WriterSpec(
        url=url.render_as_string(hide_password=False),
        timezone=timezone,
        cumulative=cumulative,
        log_level=logging.getLogger().getEffectiveLevel(),
    )
    return ProcessIngestor(spec, batch_size=batch_size, batch_seconds=batch_seconds)


if __name__ == "__main__":  # the child, started by ProcessIngestor._spawn
    from connectors import ingest_process  # the module proper, not this __main__ copy

    ingest_process.serve(Pipe(int(sys.argv[1])))
