"""The ingestor storing through its child process: batches stored and acknowledged in arrival
order, a killed child replaced with nothing lost or doubled, a store that is not ready retried
with nothing acknowledged, and a child that cannot start named."""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from common.errors import EMSError
from connectors.ingest import Ingestor
from connectors.ingest_process import (
    ProcessIngestor,
    WriterProcessError,
    WriterSpec,
    make_ingestor,
)
from store import catalog, queries
from store.engine import make_engine
from store.migrate import upgrade
from store.schema import DeadLetter, Reading
from tests.test_ingest import Acks

NOW = 1_795_000_000.0
T0 = int(NOW) - 86400 * 3
TOPIC = "ems/plant/press/energy"


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def started() -> Iterator[Callable[..., ProcessIngestor]]:
    """Builds ProcessIngestors with their child running; stops every one at the end."""
    made: list[ProcessIngestor] = []

    def build(url: str, acks: Acks, **kwargs: object) -> ProcessIngestor:
        ingestor = ProcessIngestor(
            WriterSpec(url=url, timezone="Europe/Berlin"),
            ack=acks,
            clock=lambda: NOW,
            **kwargs,  # type: ignore[arg-type]
        )
        ingestor.start_writer()
        made.append(ingestor)
        return ingestor

    yield build
    for ingestor in made:
        ingestor.stop_writer()


def wait_for(done: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def stored(engine: Engine, meter: str = "press") -> list[tuple[int, float]]:
    with engine.connect() as conn:
        site = catalog.get_site(conn, "plant")
        sid = catalog.get_series(conn, catalog.resolve_meter(conn, site.id, meter).id, "energy").id
        frame = queries.readings(conn, sid, 0, 2**40)
    return list(zip(frame["ts"].tolist(), frame["value"].tolist(), strict=True))


def reading(i: int) -> bytes:
    return json.dumps({"ts": T0 + 900 * i, "value": 1.0 + i}).encode()


def test_batches_are_stored_by_the_child_and_acknowledged_in_arrival_order(
    engine: Engine, started: Callable[..., ProcessIngestor]
) -> None:
    acks = Acks()
    ingestor = started(url_of(engine), acks, batch_size=5)
    messages = [(i + 1, TOPIC, reading(i)) for i in range(10)]
    messages[3] = (4, TOPIC, b"not json")
    messages[7] = (8, "ems/plant/press", reading(7))  # a topic missing its metric
    messages.append((11, "ems/plant/oven/energy", b"2.5"))  # a bare number: stamped on receipt
    for mid, topic, payload in messages:
        ingestor.handle(mid, topic, payload)
    ingestor.flush()
    assert acks == list(range(1, 12))
    assert stored(engine) == [(T0 + 900 * i, 1.0 + i) for i in range(10) if i not in (3, 7)]
    assert stored(engine, "oven") == [(int(NOW), 2.5)]
    with engine.connect() as conn:
        reasons = sorted(r for (r,) in conn.execute(select(DeadLetter.reason)))
    assert len(reasons) == 2 and "not JSON" in reasons[0] and "does not match" in reasons[1]
    h = ingestor.health
    assert (h.messages, h.readings, h.dead_letters, h.batches) == (11, 9, 2, 3)


def test_stop_stores_what_is_buffered_then_ends_the_child(
    sqlite_engine: Engine, started: Callable[..., ProcessIngestor]
) -> None:
    acks = Acks()
    ingestor = started(url_of(sqlite_engine), acks, batch_size=1000)
    child = ingestor._process
    assert child is not None
    for i in range(3):
        ingestor.handle(i + 1, TOPIC, reading(i))
    ingestor.stop_writer()
    assert acks == [1, 2, 3] and len(stored(sqlite_engine)) == 3
    assert child.poll() is not None  # the child has exited


def test_a_killed_child_is_replaced_and_its_batch_stored_once(
    sqlite_engine: Engine, started: Callable[..., ProcessIngestor], tmp_path: Path
) -> None:
    """The child is killed while its commit waits on a locked database: a new child gets the
    batch again, with the ones sent after it, and each reading is stored once."""
    acks = Acks()
    ingestor = started(url_of(sqlite_engine), acks, batch_size=10)
    for i in range(10):  # one committed batch first, so the series exists
        ingestor.handle(i + 1, TOPIC, reading(i))
    wait_for(lambda: len(acks) == 10)
    database = sqlite_engine.url.database
    assert database is not None
    blocker = sqlite3.connect(database, timeout=5)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        for i in range(10, 30):  # two batches: as many as may wait without holding us back
            ingestor.handle(i + 1, TOPIC, reading(i))
        time.sleep(0.5)  # the child now waits on the lock inside its commit
        first = ingestor._process
        assert first is not None
        os.kill(first.pid, signal.SIGKILL)
        wait_for(lambda: ingestor._process is not first)
        assert acks == list(range(1, 11))  # nothing after the first batch was acknowledged
    finally:
        blocker.rollback()
        blocker.close()
    for i in range(30, 40):
        ingestor.handle(i + 1, TOPIC, reading(i))
    wait_for(lambda: len(acks) == 40)
    assert acks == list(range(1, 41))
    assert ingestor.health.writer_restarts == 1
    assert stored(sqlite_engine) == [(T0 + 900 * i, 1.0 + i) for i in range(40)]
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Reading)).scalar_one() == 40


def test_a_store_that_is_not_ready_is_retried_and_nothing_acknowledged_until_it_is(
    tmp_path: Path, started: Callable[..., ProcessIngestor], caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"  # no tables yet
    acks = Acks()
    ingestor = started(url, acks, batch_size=2)
    with caplog.at_level(logging.ERROR):
        for i in range(4):
            ingestor.handle(i + 1, TOPIC, reading(i))
        wait_for(lambda: "storing a batch failed" in caplog.text)
    assert "no such table" in caplog.text
    time.sleep(0.3)
    assert acks == [] and ingestor.health.store_failures >= 1
    assert ingestor.health.writer_restarts == 0
    engine = make_engine(url)
    upgrade(engine)  # the store comes up: the child's next try commits
    wait_for(lambda: len(acks) == 4)
    assert acks == [1, 2, 3, 4] and len(stored(engine)) == 4
    engine.dispose()


def test_a_child_that_cannot_open_the_store_names_the_reason() -> None:
    ingestor = ProcessIngestor(WriterSpec(url="nosuchdb://somewhere/ems"))
    with pytest.raises(WriterProcessError, match=r"could not start: .*nosuchdb"):
        ingestor.start_writer()


def test_the_thread_writer_is_used_where_no_other_process_can_open_the_store(
    sqlite_engine: Engine,
) -> None:
    assert isinstance(make_ingestor(sqlite_engine, writer="thread"), Ingestor)
    assert isinstance(make_ingestor(make_engine("sqlite://")), Ingestor)
    made = make_ingestor(sqlite_engine, timezone="Asia/Kolkata", batch_size=7)
    assert isinstance(made, ProcessIngestor)
    assert made.spec.url == url_of(sqlite_engine) and made.spec.timezone == "Asia/Kolkata"
    assert made.batch_size == 7
    with pytest.raises(EMSError, match="'process' or 'thread', not 'fork'"):
        make_ingestor(sqlite_engine, writer="fork")
