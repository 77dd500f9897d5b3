"""MQTT benchmark: the ingestor's rate into SQLite and PostgreSQL against a bare subscriber's.

Run: `python -m benchmarks.mqtt_bench [--pg URL] [--broker mosquitto|embedded] [--scale X]
[--writer process|thread] [--write]`. Each measurement drains a broker queue: a subscriber (the
bare counter, or the product's `MqttIngest` storing through its writer process, or a writer
thread with `--writer thread`) makes its persistent QoS 1
session, goes offline, the messages are published into that session's queue in bounded windows,
and the subscriber comes back; the time from its reconnect to the last message counted (or
reading committed) gives the rate. So the publisher never competes with the subscriber for the
two cores, and the figure is the subscriber's own capacity (amqtt keeps no offline queue: there
the subscriber stays online and is timed from the first publish). Message counts are rounded to
whole ingestor batches. Every wait has a deadline, the store must hold exactly the readings
sent, and `--write` replaces the "mqtt" section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url

from benchmarks.common import stamp, table, write_section
from connectors.broker import EmbeddedBroker
from connectors.ingest import Ingestor
from connectors.ingest_process import make_ingestor
from connectors.mqtt import MqttConfig, MqttIngest
from connectors.payloads import decode
from store.engine import drop_database, make_engine
from store.migrate import upgrade
from store.schema import Base, DeadLetter, Reading

MOSQUITTO = "/usr/sbin/mosquitto"
# The ingestor acknowledges a message only once its batch is committed, so the broker must let a
# whole batch be in flight: Mosquitto's default window of 20 stalls it (and its default queue of
# 1000 then drops QoS 1 messages). The queue is unlimited because the benchmark fills it offline.
MOSQUITTO_CONF = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence false
max_inflight_messages 0
max_queued_messages 0
"""
METERS = 50
SPACING_S = 60  # one reading a minute per series: distinct timestamps, never a duplicate
AGE_S = 200 * 86400  # well inside the decoder's 400-day window, and nowhere near the future
BATCH_READINGS = 100
# Several seconds of draining at the raw rate, so the start of a run (connecting, the first
# batch creating the 50 series, the last commit) is a small part of the time measured.
SINGLE_MESSAGES = 50_000
BATCH_MESSAGES = 5_000
PUBLISH_WINDOW = 1_000  # QoS 1 messages in flight at most; the known hang came without a bound
SINGLE_TARGET = 0.8
BATCH_TARGET = 200_000.0
PARTS = ("decode", "no broker")  # the in-process breakdown, kept out of the main table


class BenchTimeout(RuntimeError):
    """A step of the benchmark did not finish within its deadline."""


def wait_until(done: Callable[[], bool], seconds: float, what: Callable[[], str]) -> None:
    """Poll `done` every 2 ms; raise BenchTimeout naming `what()` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise BenchTimeout(f"{what()} (deadline {seconds:g} s)")
        time.sleep(0.002)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


# ---------------------------------------------------------------- workload


@dataclass(frozen=True)
class Workload:
    """Messages to publish, built once and published once per measurement."""

    kind: str  # "single" or "batch"
    per_message: int
    messages: list[tuple[str, bytes]]

    @property
    def readings(self) -> int:
        return len(self.messages) * self.per_message

    @property
    def label(self) -> str:
        return f"{self.per_message} reading{'s' if self.per_message > 1 else ''} / message"


def make_workload(kind: str, count: int, per_message: int, now: float) -> Workload:
    """`count` messages of `per_message` readings over METERS series, one a minute per series,
    in milliseconds since the epoch as most gateways send them."""
    rng = random.Random(7)
    start = (int(now) - AGE_S) // SPACING_S * SPACING_S
    messages = []
    for j in range(count):
        meter, chunk = j % METERS, j // METERS
        first = chunk * per_message
        items = [
            {
                "ts": (start + SPACING_S * (first + i)) * 1000,
                "value": round(rng.uniform(0.5, 20.0), 3),
                "unit": "kWh",
            }
            for i in range(per_message)
        ]
        body = items[0] if per_message == 1 else items
        payload = json.dumps(body, separators=(",", ":")).encode()
        messages.append((f"ems/bench/meter-{meter:02d}/energy", payload))
    return Workload(kind, per_message, messages)


# ---------------------------------------------------------------- broker and publisher


@dataclass(frozen=True)
class Broker:
    name: str
    port: int
    protocol: int  # what the product speaks to it: 5 to Mosquitto, 3.1.1 to the embedded one
    queues_offline: bool  # amqtt 0.12 delivers nothing queued for an offline session


@contextmanager
def running_broker(kind: str, work: Path) -> Iterator[Broker]:
    """Start Mosquitto (or the embedded amqtt broker) on a free port of 127.0.0.1."""
    port = free_port()
    if kind == "embedded":
        embedded = EmbeddedBroker(work, port=port)
        embedded.start()
        try:
            yield Broker(f"embedded amqtt {amqtt_version()}", port, 311, False)
        finally:
            embedded.stop()
        return
    conf = work / "mosquitto.conf"
    conf.write_text(MOSQUITTO_CONF.format(port=port))
    with (work / "mosquitto.log").open("wb") as out:
        process = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=out, stderr=out)
    try:
        wait_until(
            lambda: port_open(port) or process.poll() is not None,
            10,
            lambda: f"mosquitto did not listen on 127.0.0.1:{port}",
        )
        if process.poll() is not None:
            raise BenchTimeout(f"mosquitto exited: {(work / 'mosquitto.log').read_text()[-500:]}")
        yield Broker(f"Mosquitto {mosquitto_version()}", port, 5, True)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def mosquitto_version() -> str:
    out = subprocess.run([MOSQUITTO, "-h"], capture_output=True, text=True, timeout=10).stdout
    words = out.split()
    return words[2] if len(words) > 2 and words[1] == "version" else "?"


def amqtt_version() -> str:
    from importlib.metadata import version

    return version("amqtt")


def paho_client(broker: Broker, client_id: str) -> mqtt.Client:
    version = mqtt.MQTTv5 if broker.protocol == 5 else mqtt.MQTTv311
    kwargs: dict[str, Any] = {} if version == mqtt.MQTTv5 else {"clean_session": False}
    return mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=version, **kwargs)


def publish(broker: Broker, workload: Workload, timeout: float) -> float:
    """Publish every message with QoS 1, never more than PUBLISH_WINDOW unacknowledged;
    returns the seconds it took."""
    client = paho_client(broker, f"bench-pub-{uuid.uuid4().hex[:6]}")
    client.max_inflight_messages_set(PUBLISH_WINDOW)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    pending: deque[mqtt.MQTTMessageInfo] = deque()
    deadline = time.monotonic() + timeout

    def settle(keep: int) -> None:
        while len(pending) > keep:
            info = pending.popleft()
            info.wait_for_publish(max(deadline - time.monotonic(), 0.01))
            if not info.is_published():
                raise BenchTimeout(
                    f"the broker did not acknowledge message {info.mid} in time; "
                    f"{len(pending)} more are still in flight"
                )

    try:
        started = time.perf_counter()
        for topic, payload in workload.messages:
            settle(PUBLISH_WINDOW - 1)
            pending.append(client.publish(topic, payload, qos=1))
        settle(0)
        return time.perf_counter() - started
    finally:
        client.disconnect()
        client.loop_stop()


# ---------------------------------------------------------------- subscribers


class Subscriber(Protocol):
    def prepare(self) -> None: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def subscribed(self) -> bool: ...
    def progress(self) -> int: ...
    def describe(self) -> str: ...


class Counter:
    """The bare subscriber: paho-mqtt 2, QoS 1, persistent session, counts and auto-acks."""

    def __init__(self, broker: Broker, client_id: str) -> None:
        self.broker = broker
        self.count = 0
        self._subscribed = threading.Event()
        self.client = paho_client(broker, client_id)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = self._on_message

    def prepare(self) -> None:
        pass

    def start(self) -> None:
        properties = None
        if self.broker.protocol == 5:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = 3600
        self.client.connect_async(
            "127.0.0.1", self.broker.port, clean_start=False, properties=properties
        )
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def subscribed(self) -> bool:
        return self._subscribed.is_set()

    def progress(self) -> int:
        return self.count

    def describe(self) -> str:
        return f"{self.count:,} messages counted"

    def _on_connect(self, client: mqtt.Client, *_: Any) -> None:
        client.subscribe("ems/+/+/+", qos=1)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.count += 1


class Ingesting:
    """The product's ingestion path: MqttIngest (acks after commit) around an Ingestor."""

    def __init__(
        self, broker: Broker, client_id: str, engine: Engine, batch_size: int, writer: str
    ) -> None:
        self.ingestor = make_ingestor(engine, batch_size=batch_size, writer=writer)
        config = MqttConfig(
            url=f"mqtt://127.0.0.1:{broker.port}", client_id=client_id, protocol=broker.protocol
        )
        self.service = MqttIngest(config, self.ingestor)

    def prepare(self) -> None:
        """Start the writer (process) before the clock starts: a start-up cost, not a rate."""
        self.service.prepare()

    def start(self) -> None:
        self.service.start()

    def stop(self) -> None:
        self.service.stop()

    def subscribed(self) -> bool:
        return self.service.subscribed.is_set()

    def progress(self) -> int:
        return self.ingestor.health.readings

    def describe(self) -> str:
        h = self.ingestor.health
        return (
            f"{h.messages:,} messages received, {h.readings:,} readings committed in "
            f"{h.batches} batches, {h.dead_letters} dead letters"
        )


def drain(
    make: Callable[[], Subscriber], broker: Broker, workload: Workload, expect: int, timeout: float
) -> tuple[float, float]:
    """Queue `workload` for an offline persistent session, then time its subscriber draining it
    until `progress()` reaches `expect`. A broker that keeps no queue for offline sessions
    (amqtt) gets the subscriber online and the time from the first publish instead.
    Returns (subscriber seconds, publish seconds)."""
    sub = make()
    sub.start()
    try:
        wait_until(sub.subscribed, 10, lambda: "the subscriber was not subscribed")
        if broker.queues_offline:
            sub.stop()
            published = publish(broker, workload, timeout)
            sub = make()
            sub.prepare()
            started = time.perf_counter()
            sub.start()
        else:
            started = time.perf_counter()
            published = publish(broker, workload, timeout)
        wait_until(
            lambda: sub.progress() >= expect,
            timeout,
            lambda: f"only {sub.describe()} of {expect:,} expected",
        )
        elapsed = time.perf_counter() - started
    finally:
        sub.stop()
    if sub.progress() != expect:
        raise AssertionError(f"expected {expect:,}, got {sub.describe()}")
    return elapsed, published


# ---------------------------------------------------------------- stores


def count_rows(engine: Engine, model: type[Base]) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


@contextmanager
def sqlite_stores(work: Path) -> Iterator[Callable[[], Engine]]:
    """A fresh migrated SQLite file per measurement, copied from one migrated template."""
    template = work / "template.db"
    engine = make_engine(f"sqlite:///{template}")
    upgrade(engine)
    engine.dispose()
    made = iter(range(1_000_000))

    def fresh() -> Engine:
        path = work / f"ingest-{next(made)}.db"
        shutil.copyfile(template, path)
        return make_engine(f"sqlite:///{path}")

    yield fresh


@contextmanager
def pg_stores(admin_url: str) -> Iterator[Callable[[], Engine]]:
    """A scratch database made from the admin URL, emptied before each measurement, dropped at
    the end."""
    name = f"ems_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()

        def fresh() -> Engine:
            engine = make_engine(url)
            with engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            return engine

        yield fresh
    finally:
        drop_database(admin_url, name)


# ---------------------------------------------------------------- measurements


@dataclass
class Runs:
    """Rates of the repeats of one (workload, sink) pair."""

    messages: int
    readings: int
    seconds: list[float] = field(default_factory=list)
    publish_seconds: list[float] = field(default_factory=list)

    def msg_rate(self) -> float:
        return statistics.median(self.messages / s for s in self.seconds)

    def reading_rate(self) -> float:
        return statistics.median(self.readings / s for s in self.seconds)

    def vs(self, raw: Runs) -> float:
        """Median over repeats of this rate over the bare subscriber's in the same repeat: the
        two run back to back, so a load spike from other work moves both."""
        return statistics.median(
            (self.messages / s) / (raw.messages / r)
            for s, r in zip(self.seconds, raw.seconds, strict=True)
        )


def measure_raw(
    broker: Broker, workload: Workload, timeout: float, tag: str
) -> tuple[float, float]:
    client_id = f"bench-raw-{tag}"
    expect = len(workload.messages)
    return drain(lambda: Counter(broker, client_id), broker, workload, expect, timeout)


def measure_ingest(
    broker: Broker,
    workload: Workload,
    engine: Engine,
    batch_size: int,
    timeout: float,
    tag: str,
    writer: str = "process",
) -> tuple[float, float]:
    """Drain into the store, then check it holds exactly the readings sent and no dead letter."""
    client_id = f"bench-ingest-{tag}"
    try:
        result = drain(
            lambda: Ingesting(broker, client_id, engine, batch_size, writer),
            broker,
            workload,
            workload.readings,
            timeout,
        )
        stored, dead = count_rows(engine, Reading), count_rows(engine, DeadLetter)
    finally:
        engine.dispose()
    if stored != workload.readings or dead:
        raise AssertionError(
            f"the store holds {stored:,} readings and {dead} dead letters; "
            f"{workload.readings:,} readings were sent"
        )
    return result


def breakdown(workload: Workload, fresh: Callable[[], Engine], batch_size: int) -> list[float]:
    """Seconds to decode the messages alone, and to put them through an Ingestor into SQLite
    in this thread with no broker: the ingestion path minus receiving."""
    received = time.time()
    started = time.perf_counter()
    for topic, payload in workload.messages:
        decode(topic, payload, received)
    decoding = time.perf_counter() - started
    engine = fresh()
    try:
        ingestor = Ingestor(engine, batch_size=batch_size)
        started = time.perf_counter()
        for mid, (topic, payload) in enumerate(workload.messages):
            ingestor.handle(mid, topic, payload)
        ingestor.flush()
        ingesting = time.perf_counter() - started
        stored = count_rows(engine, Reading)
    finally:
        engine.dispose()
    if stored != workload.readings:
        raise AssertionError(f"{stored:,} of {workload.readings:,} readings stored")
    return [decoding, ingesting]


def run_all(
    broker: Broker,
    workloads: list[Workload],
    stores: dict[str, Callable[[], Engine]],
    args: argparse.Namespace,
) -> dict[tuple[str, str], Runs]:
    """Every repeat measures the bare subscriber first, then each store, for each workload."""
    runs: dict[tuple[str, str], Runs] = {}
    sinks: dict[str, Callable[[], Engine] | None] = {"raw": None, **stores}
    for repeat in range(args.repeat):
        for wl in workloads:
            for sink, fresh in sinks.items():
                tag = f"{wl.kind}-{sink}-{repeat}".lower()
                if fresh is None:
                    seconds, published = measure_raw(broker, wl, args.timeout, tag)
                else:
                    engine = fresh()
                    seconds, published = measure_ingest(
                        broker, wl, engine, args.batch_size, args.timeout, tag, args.writer
                    )
                entry = runs.setdefault((wl.kind, sink), Runs(len(wl.messages), wl.readings))
                entry.seconds.append(seconds)
                entry.publish_seconds.append(published)
                print(
                    f"  repeat {repeat + 1}: {wl.label:<24} {sink:<10} "
                    f"{wl.readings / seconds:>12,.0f} readings/s "
                    f"(published at {len(wl.messages) / published:,.0f} msg/s)",
                    file=sys.stderr,
                )
            parts = breakdown(wl, stores["SQLite"], args.batch_size)
            for part, seconds in zip(PARTS, parts, strict=True):
                entry = runs.setdefault((wl.kind, part), Runs(len(wl.messages), wl.readings))
                entry.seconds.append(seconds)
    return runs


# ---------------------------------------------------------------- report


def target(kind: str, sink: str) -> str:
    if sink == "raw":
        return ""
    if kind == "single":
        return f"≥ {SINGLE_TARGET:.0%} of raw"
    return f"≥ {BATCH_TARGET:,.0f} readings/s (SQLite)"


def rows(runs: dict[tuple[str, str], Runs], workloads: list[Workload]) -> list[list[str]]:
    out = []
    for wl in workloads:
        raw = runs[(wl.kind, "raw")]
        for (kind, sink), r in runs.items():
            if kind != wl.kind or sink in PARTS:
                continue
            name = "bare subscriber, no storage" if sink == "raw" else f"ingestor → {sink}"
            out.append(
                [
                    wl.label,
                    name,
                    f"{r.messages:,}",
                    f"{r.msg_rate():,.0f}",
                    f"{r.reading_rate():,.0f}",
                    f"{r.vs(raw):.0%}",
                    target(kind, sink),
                ]
            )
    return out


def verdicts(runs: dict[tuple[str, str], Runs]) -> list[str]:
    """Each target, met or missed, with its figure."""
    out = []
    for (kind, sink), r in runs.items():
        if sink == "raw" or sink in PARTS:
            continue
        if kind == "single":
            ratio = r.vs(runs[(kind, "raw")])
            ok = ratio >= SINGLE_TARGET
            out.append(f"single-reading ingest into {sink}: {ratio:.0%} of raw")
        elif sink == "SQLite":
            ok = r.reading_rate() >= BATCH_TARGET
            out.append(f"batch ingest into SQLite: {r.reading_rate():,.0f} readings/s")
        else:
            continue
        out[-1] += " — target met" if ok else " — target MISSED"
    return out


def time_rows(runs: dict[tuple[str, str], Runs], workloads: list[Workload]) -> list[list[str]]:
    """Microseconds per message: receiving, decoding and storing, their sum, and as measured."""
    out = []
    for wl in workloads:

        def us(sink: str, kind: str = wl.kind) -> float:
            return 1e6 / runs[(kind, sink)].msg_rate()

        receive, decoding, store = us("raw"), us("decode"), us("no broker") - us("decode")
        total = receive + decoding + store
        out.append(
            [wl.label] + [f"{v:,.0f}" for v in (receive, decoding, store, total, us("SQLite"))]
        )
    return out


def method(broker: Broker, args: argparse.Namespace, publish_rate: float) -> str:
    if broker.queues_offline:
        timing = (
            "Each run queues the messages for an offline persistent session, then times its "
            "subscriber from reconnect to the last message counted (bare paho-mqtt 2 subscriber) "
            "or the last reading committed"
        )
        conf = ", `max_inflight_messages 0`, `max_queued_messages 0`"
    else:
        timing = (
            "amqtt delivers nothing queued for an offline session, so each subscriber stays "
            "online and is timed from the first publish (by a client in the same process) to the "
            "last message counted (bare paho-mqtt 2 subscriber) or the last reading committed"
        )
        conf = ""
    return (
        f"Broker: {broker.name} on 127.0.0.1 (MQTT {5 if broker.protocol == 5 else '3.1.1'}, "
        f"QoS 1{conf}). {timing} (`MqttIngest` with the {args.writer} writer, batches of "
        f"{args.batch_size:,} messages, into a fresh store; a writer process is started before "
        "the clock starts); the store is checked to hold exactly the readings sent. "
        f"{METERS} meters, one reading a minute each; median of {args.repeat} runs; 'vs raw' is "
        "the median of the ratios to the bare subscriber's run just before, in the same repeat. "
        f"The publisher (one paho client, window of {PUBLISH_WINDOW:,}) managed "
        f"{publish_rate:,.0f} single-reading msg/s."
    )


BREAKDOWN = (
    "Where the time goes, microseconds per message (median): receiving is the bare subscriber's "
    "time; decoding (`payloads.decode`) and storing (`Ingestor` batches through "
    "`store.writes.write_many` into SQLite) are timed in one thread with no broker."
)
BREAKDOWN_PROCESS = (
    " With the process writer the paho network thread only buffers each message; decoding and "
    "storing run in the writer process on the other core, fed batches of 5,000 messages or 8 MB "
    "(and a batch aged `batch_seconds`, 1 s), so the measured time is the network thread's "
    "while the writer keeps up. That thread also sends no PUBACK per message: a committed batch "
    "is acknowledged in one write, where the bare subscriber acknowledges each message as it "
    "arrives (paho's default); so the ingestor can drain faster than the bare subscriber."
)
BREAKDOWN_THREAD = (
    " With the thread writer receiving and decoding run on the paho network thread, storing on "
    "a writer thread; they overlap only while one of them has released the GIL, so the "
    "measured time lies between the network thread's part and the sum."
)


def report(
    runs: dict[tuple[str, str], Runs],
    workloads: list[Workload],
    broker: Broker,
    args: argparse.Namespace,
) -> str:
    command = "python -m benchmarks.mqtt_bench" + (" --pg URL" if args.pg else "")
    command += "" if args.broker == "mosquitto" else f" --broker {args.broker}"
    command += "" if args.scale == 1 else f" --scale {args.scale:g}"
    command += "" if args.writer == "process" else f" --writer {args.writer}"
    publish_rate = statistics.median(
        r.messages / s
        for (kind, _), r in runs.items()
        if kind == "single"
        for s in r.publish_seconds
    )
    header = ["payload", "subscriber", "messages", "msg/s", "readings/s", "vs raw", "target"]
    breakdown_header = [
        "payload",
        "receive",
        "decode",
        "store (SQLite)",
        "sum",
        "measured (SQLite)",
    ]
    body = "\n\n".join(
        [
            "## MQTT ingestion",
            f"{stamp()} Command: `{command}`. {args.load_note}",
            method(broker, args, publish_rate),
            table(header, rows(runs, workloads)),
        ]
    )
    # Online subscribers (amqtt) are timed from the first publish: "receive" would be publishing.
    if broker.queues_offline:
        note = BREAKDOWN + (BREAKDOWN_PROCESS if args.writer == "process" else BREAKDOWN_THREAD)
        body += "\n\n" + note + "\n\n" + table(breakdown_header, time_rows(runs, workloads))
    return body


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", help="PostgreSQL admin URL; a scratch database is made and dropped")
    parser.add_argument("--broker", choices=["mosquitto", "embedded"], default="mosquitto")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the message counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--batch-size", type=int, default=5000, help="ingestor batch (messages)")
    parser.add_argument(
        "--writer",
        choices=["process", "thread"],
        default="process",
        help="where the ingestor stores (the product's default: a child process)",
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per publish or drain")
    parser.add_argument("--max-seconds", type=int, default=600, help="abort the whole run after")
    parser.add_argument("--write", action="store_true", help="replace the section in RESULTS.md")
    return parser.parse_args(argv)


def whole_batches(count: float, batch_size: int) -> int:
    """Round up to whole ingestor batches, so the last one is flushed by count, not by age."""
    return max(1, round(count / batch_size)) * batch_size


def _watchdog(signum: int, frame: FrameType | None) -> None:
    raise BenchTimeout("the whole benchmark ran past --max-seconds; aborted")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    now = time.time()
    single = whole_batches(SINGLE_MESSAGES * args.scale, args.batch_size)
    batch = whole_batches(BATCH_MESSAGES * args.scale, args.batch_size)
    workloads = [
        make_workload("single", single, 1, now),
        make_workload("batch", batch, BATCH_READINGS, now),
    ]
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="ems-mqtt-bench-"))
    signal.signal(signal.SIGALRM, _watchdog)
    signal.alarm(args.max_seconds)
    try:
        with ExitStack() as stack:
            broker = stack.enter_context(running_broker(args.broker, work))
            stores = {"SQLite": stack.enter_context(sqlite_stores(work))}
            if args.pg:
                stores["PostgreSQL"] = stack.enter_context(pg_stores(args.pg))
            runs = run_all(broker, workloads, stores, args)
            args.load_note = (
                f"Load average (1 min) {load_before:.1f} at the start, "
                f"{os.getloadavg()[0]:.1f} at the end, on a machine shared with other work."
            )
            body = report(runs, workloads, broker, args)
    except (BenchTimeout, AssertionError) as exc:
        sys.exit(f"mqtt_bench aborted, no result: {exc}")
    finally:
        signal.alarm(0)
        shutil.rmtree(work, ignore_errors=True)
    print(body)
    print("\n" + "\n".join(verdicts(runs)))
    if args.write:
        write_section("mqtt", body)


if __name__ == "__main__":
    main()
