"""The ingestion core fed real paho MQTTMessage objects: batches, acks after commit, dead letters,
redelivery counted once, registers continued across a restart."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from paho.mqtt.client import MQTTMessage
from sqlalchemy import Engine, func, select

from connectors import ingest
from connectors.ingest import Ingestor
from store import catalog, queries
from store.schema import DeadLetter, Reading

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC).timestamp()
T0 = int(NOW) - 3600


def message(mid: int, topic: str, payload: object) -> MQTTMessage:
    msg = MQTTMessage(mid=mid, topic=topic.encode())
    msg.payload = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    msg.qos = 1
    return msg


def feed(ingestor: Ingestor, messages: list[MQTTMessage]) -> None:
    for msg in messages:
        ingestor.handle(msg.mid, msg.topic, msg.payload)


class Acks(list[int]):
    def __call__(self, mids: list[int]) -> None:
        self.extend(mids)


def make(engine: Engine, acks: Acks, **kwargs: object) -> Ingestor:
    return Ingestor(engine, timezone="Europe/Berlin", ack=acks, clock=lambda: NOW, **kwargs)  # type: ignore[arg-type]


def stored(engine: Engine, meter: str, metric: str = "energy") -> list[tuple[int, float]]:
    with engine.connect() as conn:
        site = catalog.get_site(conn, "plant")
        sid = catalog.get_series(conn, catalog.resolve_meter(conn, site.id, meter).id, metric).id
        frame = queries.readings(conn, sid, 0, 2**40)
    return list(zip(frame["ts"].tolist(), frame["value"].tolist(), strict=True))


def test_batch_is_stored_then_acknowledged_and_redelivery_counts_once(engine: Engine) -> None:
    acks = Acks()
    ingestor = make(engine, acks, batch_size=100)
    messages = [
        message(i + 1, "ems/plant/press/energy", {"ts": T0 + 900 * i, "value": 1.5 + i})
        for i in range(4)
    ]
    messages.append(message(5, "ems/plant/press/energy", [{"ts": T0 + 3600, "value": 9.0}]))
    feed(ingestor, messages)
    assert acks == []  # nothing acknowledged before the commit
    assert ingestor.flush() == 5
    assert acks == [1, 2, 3, 4, 5]
    expected = [(T0 + 900 * i, 1.5 + i) for i in range(4)] + [(T0 + 3600, 9.0)]
    assert stored(engine, "press") == expected
    feed(ingestor, messages)  # the broker redelivers after a reconnect
    ingestor.flush()
    assert stored(engine, "press") == expected
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Reading)).scalar_one() == 5


def test_bad_messages_become_dead_letters_and_the_rest_is_stored(engine: Engine) -> None:
    acks = Acks()
    ingestor = make(engine, acks)
    feed(
        ingestor,
        [
            message(1, "ems/plant/press/energy", {"ts": T0, "value": 2.0}),
            message(2, "ems/plant/press/energy", b"\x00garbage"),
            message(3, "ems/plant/press/energy", {"ts": T0, "value": float("nan")}),
            message(4, "ems/plant/press", {"ts": T0, "value": 1}),
            message(5, "ems/plant/press/energy", {"ts": T0 + 900, "value": 3.0, "unit": "kW"}),
        ],
    )
    ingestor.flush()
    assert acks == [1, 2, 3, 4, 5]  # in arrival order, dead letters among the stored ones
    assert stored(engine, "press") == [(T0, 2.0)]
    with engine.connect() as conn:
        letters = conn.execute(
            select(DeadLetter.source, DeadLetter.reason, DeadLetter.payload)
        ).all()
    reasons = " | ".join(r[1] for r in letters)
    assert len(letters) == 4 and ingestor.health.dead_letters == 4
    assert (
        "not JSON" in reasons
        and "does not match" in reasons
        and "needs a unit of energy" in reasons
    )
    assert any("garbage" in r[2] for r in letters)


def fail_first_write(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """The store's first write fails as if the database went away; later ones go through.
    Returns the count of writes tried, kept up to date."""
    real = ingest.write_many
    calls = {"n": 0}

    def failing_once(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database went away")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest, "write_many", failing_once)
    return calls


def test_a_failed_write_acknowledges_nothing_and_the_batch_is_kept(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    acks = Acks()
    ingestor = make(engine, acks)
    feed(ingestor, [message(1, "ems/plant/oven/energy", {"ts": T0, "value": 4.0})])
    fail_first_write(monkeypatch)
    with pytest.raises(RuntimeError):
        ingestor.flush()
    assert acks == []
    ingestor.flush()
    assert acks == [1] and stored(engine, "oven") == [(T0, 4.0)]


def test_registers_continue_across_a_restart(engine: Engine) -> None:
    cumulative = frozenset({("main", "energy")})
    first = make(engine, Acks(), cumulative=cumulative)
    feed(
        first,
        [
            message(i, "ems/plant/main/energy", {"ts": T0 + 900 * i, "value": 1000 + 10 * i})
            for i in range(3)
        ],
    )
    first.flush()
    assert stored(engine, "main") == [(T0, 10.0), (T0 + 900, 10.0)]
    restarted = make(engine, Acks(), cumulative=cumulative)  # a new process, same store
    feed(restarted, [message(9, "ems/plant/main/energy", {"ts": T0 + 2700, "value": 1035})])
    restarted.flush()
    assert stored(engine, "main")[-1] == (T0 + 1800, 15.0)


def test_batches_flush_by_size_and_by_age(engine: Engine) -> None:
    clock = {"now": NOW}
    acks = Acks()
    ingestor = Ingestor(
        engine,
        ack=acks,
        batch_size=3,
        batch_seconds=2.0,
        clock=lambda: NOW,
        monotonic=lambda: clock["now"],
    )
    feed(
        ingestor,
        [
            message(i, "ems/plant/press/energy", {"ts": T0 + 900 * i, "value": 1})
            for i in range(1, 4)
        ],
    )
    assert sorted(acks) == [1, 2, 3]  # full batch written at once
    feed(ingestor, [message(4, "ems/plant/press/energy", {"ts": T0 + 3600, "value": 1})])
    ingestor.tick()
    assert 4 not in acks
    clock["now"] += 2.5
    ingestor.tick()
    assert 4 in acks
    assert ingestor.health.readings == 4 and ingestor.health.batches == 2


def wait_for(done: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_the_writer_thread_stores_full_batches_in_order_and_acks_after_commit(
    engine: Engine,
) -> None:
    acks = Acks()
    ingestor = make(engine, acks, batch_size=10, batch_readings=25)
    ingestor.start_writer()
    try:
        press = [
            message(i + 1, "ems/plant/press/energy", {"ts": T0 + 60 * i, "value": float(i)})
            for i in range(20)
        ]
        oven = [{"ts": T0 + 60 * j, "value": 2.0} for j in range(30)]
        feed(ingestor, [*press, message(21, "ems/plant/oven/energy", oven)])
        wait_for(lambda: len(acks) == 21)  # the 30 readings of message 21 filled a batch
        assert acks == list(range(1, 22))
        assert ingestor.health.batches == 3 and ingestor.health.readings == 50
    finally:
        ingestor.stop_writer()
    assert stored(engine, "press") == [(T0 + 60 * i, float(i)) for i in range(20)]
    assert stored(engine, "oven") == [(T0 + 60 * j, 2.0) for j in range(30)]


def test_a_failing_store_keeps_batches_queued_and_holds_back_the_network_thread(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    acks = Acks()
    ingestor = make(engine, acks, batch_size=2, queued_batches=1)
    monkeypatch.setattr(ingest, "RETRY_S", 0.05)
    real = ingest.write_many
    down = threading.Event()
    down.set()

    def flaky(*args: object, **kwargs: object) -> object:
        if down.is_set():
            raise RuntimeError("database went away")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest, "write_many", flaky)
    ingestor.start_writer()
    msgs = [
        message(i, "ems/plant/press/energy", {"ts": T0 - 9000 + 900 * i, "value": 1.0 + i})
        for i in range(1, 9)
    ]
    network = threading.Thread(target=feed, args=(ingestor, msgs))
    network.start()
    try:
        time.sleep(0.5)
        assert acks == []  # nothing committed, nothing acknowledged
        assert network.is_alive()  # two full batches queued: the third waits for room
        assert ingestor.health.messages < 8
        assert ingestor.health.store_failures >= 2  # retried every RETRY_S
        down.clear()
        network.join(timeout=10)
        wait_for(lambda: len(acks) == 8)
    finally:
        ingestor.stop_writer()
        network.join(timeout=10)
    assert acks == list(range(1, 9))
    assert stored(engine, "press") == [(T0 - 9000 + 900 * i, 1.0 + i) for i in range(1, 9)]


def test_stop_writer_leaves_uncommitted_batches_for_flush(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    acks = Acks()
    ingestor = make(engine, acks, batch_size=1)
    calls = fail_first_write(monkeypatch)
    monkeypatch.setattr(ingest, "RETRY_S", 30.0)  # the writer would not retry before stopping
    ingestor.start_writer()
    feed(ingestor, [message(1, "ems/plant/oven/energy", {"ts": T0, "value": 4.0})])
    wait_for(lambda: calls["n"] == 1)
    ingestor.stop_writer()
    assert acks == []
    assert ingestor.flush() == 1
    assert acks == [1] and stored(engine, "oven") == [(T0, 4.0)]


def test_without_the_writer_thread_the_ticker_retries_a_failed_batch(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    acks = Acks()
    ingestor = make(engine, acks)
    feed(ingestor, [message(1, "ems/plant/oven/energy", {"ts": T0, "value": 4.0})])
    fail_first_write(monkeypatch)
    with pytest.raises(RuntimeError):
        ingestor.flush()
    ingestor.tick()  # nothing new is pending, but the failed batch is still queued
    assert acks == [1] and stored(engine, "oven") == [(T0, 4.0)]


def test_a_payload_the_decoder_fails_on_unexpectedly_becomes_a_dead_letter(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A decoder bug hit by one message costs that message only: it is kept with the reason and
    acknowledged, and the messages around it are stored."""
    real = ingest.decode

    def buggy(topic: str, payload: bytes, *args: object) -> object:
        if b"boom" in payload:
            raise ZeroDivisionError("division by zero")
        return real(topic, payload, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest, "decode", buggy)
    acks = Acks()
    ingestor = make(engine, acks)
    feed(
        ingestor,
        [
            message(1, "ems/plant/press/energy", {"ts": T0, "value": 2.0}),
            message(2, "ems/plant/press/energy", {"ts": T0 + 900, "value": 3.0, "x": "boom"}),
            message(3, "ems/plant/press/energy", {"ts": T0 + 1800, "value": 4.0}),
        ],
    )
    ingestor.flush()
    assert acks == [1, 2, 3]
    assert stored(engine, "press") == [(T0, 2.0), (T0 + 1800, 4.0)]
    with engine.connect() as conn:
        ((reason, payload),) = conn.execute(select(DeadLetter.reason, DeadLetter.payload)).all()
    assert reason == "the payload could not be decoded (ZeroDivisionError: division by zero)"
    assert "boom" in payload
