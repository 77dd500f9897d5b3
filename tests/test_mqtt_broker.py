"""Publish -> broker -> ingestor -> store, through a real Mosquitto on 127.0.0.1, and the
delivery guarantees also through the embedded broker (amqtt) where it can keep them.

Mosquitto comes from Debian (.ci/run installs it); without it these tests skip on a laptop and
fail under CI. The shared-subscription test is Mosquitto only (amqtt speaks MQTT 3.1.1, which
has none), and so is the queue across a broker restart (see that test for why). Every test
waits on counters with a deadline, never on a fixed sleep, and stops every thread it started.
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine, func, select

from connectors.broker import EmbeddedBroker, port_open
from connectors.ingest import IngestCore, Ingestor
from connectors.ingest_process import ProcessIngestor, WriterSpec
from connectors.mqtt import MqttConfig, MqttConfigError, MqttIngest, puback_packets
from store.engine import make_engine
from store.schema import DeadLetter, Reading
from tests.conftest import need_server

MOSQUITTO = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")
START = 1_795_000_000  # a fixed instant; the ingestor's clock is pinned just after it


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached before the deadline")


class Broker:
    """Mosquitto in a child process, with on-disk persistence; restartable on the same port."""

    name = "mosquitto"
    protocol = 5

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.conf = workdir / "mosquitto.conf"
        # Started as root, Mosquitto drops to the user `mosquitto`, which cannot write the
        # persistence file into pytest's private temp dir: it would then keep nothing across a
        # restart, silently. Staying the current user keeps the file writable.
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\nuser {getpass.getuser()}\n"
            f"persistence true\npersistence_location {workdir}/\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [MOSQUITTO or "mosquitto", "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: port_open("127.0.0.1", self.port), 10)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class Embedded:
    """The embedded broker (amqtt, MQTT 3.1.1) as `ems-agent up` runs it, restartable too."""

    name = "embedded"
    protocol = 311

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.broker = EmbeddedBroker(workdir / "embedded", self.port)

    @property
    def url(self) -> str:
        return self.broker.url

    def start(self) -> None:
        self.broker.start()

    def stop(self) -> None:
        self.broker.stop()


AnyBroker = Broker | Embedded


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    if MOSQUITTO is None:
        need_server("mosquitto is not installed (apt-get install mosquitto)")
    b = Broker(tmp_path)
    b.start()
    yield b
    b.stop()


@pytest.fixture(params=["mosquitto", "embedded"])
def any_broker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AnyBroker]:
    """Mosquitto, then the embedded broker: the delivery guarantees must hold on both."""
    if request.param == "mosquitto":
        yield request.getfixturevalue("broker")
        return
    embedded = Embedded(tmp_path)
    embedded.start()
    yield embedded
    embedded.stop()


def publisher(port: int, protocol: int = 5) -> mqtt.Client:
    version = mqtt.MQTTv5 if protocol == 5 else mqtt.MQTTv311
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{port}", protocol=version)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def count(engine: Engine, table: type = Reading) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.fixture(params=["thread", "process"])
def writer(request: pytest.FixtureRequest) -> str:
    """Where the ingestor stores: a thread of the test process, or its child process."""
    return str(request.param)


def ingesting(
    b: AnyBroker, engine: Engine, writer: str
) -> Iterator[tuple[MqttIngest, AnyBroker, Engine]]:
    def clock() -> float:
        return START + 900 * 200

    ingestor: IngestCore
    if writer == "process":
        url = engine.url.render_as_string(hide_password=False)
        spec = WriterSpec(url=url)
        ingestor = ProcessIngestor(spec, batch_size=50, batch_seconds=0.2, clock=clock)
    else:
        ingestor = Ingestor(engine, batch_size=50, batch_seconds=0.2, clock=clock)
    service = MqttIngest(MqttConfig(url=b.url, protocol=b.protocol), ingestor)
    service.start()
    # Subscribed, not only connected: a reading published before the broker holds the
    # subscription is, by MQTT's rules, delivered to no one.
    assert service.subscribed.wait(10)
    yield service, b, engine
    service.stop()
    assert not any(t.name == "ems-ingest-ticker" and t.is_alive() for t in threading.enumerate())


@pytest.fixture
def running(
    broker: Broker, engine: Engine, writer: str
) -> Iterator[tuple[MqttIngest, AnyBroker, Engine]]:
    yield from ingesting(broker, engine, writer)


@pytest.fixture
def running_on_any(
    any_broker: AnyBroker, engine: Engine, writer: str
) -> Iterator[tuple[MqttIngest, AnyBroker, Engine]]:
    yield from ingesting(any_broker, engine, writer)


def test_published_readings_are_stored_exactly_once(running) -> None:  # type: ignore[no-untyped-def]
    service, broker, engine = running
    pub = publisher(broker.port)
    try:
        for i in range(120):
            payload = json.dumps({"ts": START + 900 * i, "value": 1.0 + i % 5})
            pub.publish(f"ems/plant/m{i % 3}/energy", payload, qos=1).wait_for_publish(5)
        pub.publish("ems/plant/m0/energy", b"not json", qos=1).wait_for_publish(5)
        wait_for(lambda: count(engine) == 120 and count(engine, DeadLetter) == 1)
    finally:
        pub.loop_stop()
        pub.disconnect()
    assert service.ingestor.health.readings == 120
    with engine.connect() as conn:
        total = conn.execute(select(func.sum(Reading.value))).scalar_one()
    assert total == pytest.approx(sum(1.0 + i % 5 for i in range(120)))


def publish_readings(b: AnyBroker, first: int, last: int, value: float = 2.0) -> None:
    """Publish readings first..last-1 with QoS 1, each acknowledged by the broker."""
    pub = publisher(b.port, b.protocol)
    try:
        for i in range(first, last):
            payload = json.dumps({"ts": START + 900 * i, "value": value})
            pub.publish("ems/plant/press/energy", payload, qos=1).wait_for_publish(5)
    finally:
        pub.loop_stop()
        pub.disconnect()


def test_a_broker_restart_under_a_connected_ingestor_loses_and_doubles_nothing(
    running_on_any,
) -> None:  # type: ignore[no-untyped-def]
    """The broker restarts mid-stream; the ingestor reconnects and subscribes again by itself,
    and every reading published before and after is stored exactly once."""
    service, b, engine = running_on_any
    publish_readings(b, 0, 30)
    wait_for(lambda: count(engine) == 30)
    b.stop()
    wait_for(lambda: not service.connected.is_set())
    b.start()
    assert service.subscribed.wait(20)
    publish_readings(b, 30, 60)
    wait_for(lambda: count(engine) == 60)
    with engine.connect() as conn:
        assert conn.execute(select(func.sum(Reading.value))).scalar_one() == pytest.approx(120.0)


def test_readings_published_while_the_ingestor_is_stopped_reach_it_later(
    running_on_any,
) -> None:  # type: ignore[no-untyped-def]
    """The broker queues QoS 1 readings for the stopped ingestor's persistent session and hands
    them over when it starts again."""
    service, b, engine = running_on_any
    publish_readings(b, 0, 20)
    wait_for(lambda: count(engine) == 20)
    service.stop()
    publish_readings(b, 20, 50)
    service.start()
    wait_for(lambda: count(engine) == 50)
    with engine.connect() as conn:
        assert conn.execute(select(func.sum(Reading.value))).scalar_one() == pytest.approx(100.0)


def test_a_broker_restart_keeps_the_queue_of_a_stopped_ingestor(running) -> None:  # type: ignore[no-untyped-def]
    """Readings queued for a stopped ingestor's persistent session survive a broker restart
    mid-stream: the ingestor comes back to all of them, each stored exactly once.

    Mosquitto only. The embedded broker (amqtt 0.12) keeps a session's queue and its
    unacknowledged messages in memory, so a restart loses them. Its one persistence plugin,
    `amqtt.contrib.persistence.SessionDBPlugin`, cannot fix that: it stores no in-flight
    messages; it skips anonymous sessions; it rewrites a session's whole queue (a JSON list) in
    a separate async transaction per message, so concurrent messages overwrite each other (run
    through this test's steps, it kept 7 of the 20 messages queued before the restart, and a
    race stored the session twice); it never removes a delivered message, so every start
    replays all of them, and a replayed old reading overwrites a corrected one; and with its
    default `clear_on_shutdown` a clean stop deletes everything. Beneath that, amqtt sends the
    publisher's PUBACK before it routes the message and drops unrouted ones at shutdown, so
    "acknowledged means kept across a restart" cannot hold for it. Production brokers
    (Mosquitto with `persistence true`, EMQX, HiveMQ) keep both across a restart.
    """
    service, b, engine = running
    publish_readings(b, 0, 40)
    wait_for(lambda: count(engine) == 40)
    service.stop()
    publish_readings(b, 40, 70)  # queued for the stopped ingestor
    b.stop()
    b.start()
    publish_readings(b, 70, 100)  # queued by the restarted broker for the restored session
    service.start()
    wait_for(lambda: count(engine) == 100)
    with engine.connect() as conn:
        assert conn.execute(select(func.sum(Reading.value))).scalar_one() == pytest.approx(200.0)


def test_a_batch_is_acknowledged_with_one_packet_of_its_pubacks_in_order(
    sqlite_engine: Engine,
) -> None:
    """PUBACK is 0x40, remaining length 2, then the packet id big-endian (MQTT 3.1.1 and 5,
    section 3.4); a QoS 0 message (id 0) gets none. The installed paho takes the batched path."""
    assert puback_packets([1, 258, 65535]) == bytes.fromhex("40020001400201024002ffff")
    service = MqttIngest(MqttConfig(), Ingestor(sqlite_engine))
    assert service.batched_acks
    queued: list[tuple[int, bytes, int, int]] = []
    service._queue_packet = lambda *packet: queued.append(packet)  # type: ignore[assignment]
    service.ingestor.ack([7, 0, 3])
    assert queued == [(0x40, bytes.fromhex("4002000740020003"), 0, 0)]
    service.ingestor.ack([0])
    assert len(queued) == 1


def test_bad_urls_are_refused_with_the_reason() -> None:
    with pytest.raises(MqttConfigError, match="must start with mqtt://"):
        MqttConfig(url="http://broker:1883").endpoint()
    with pytest.raises(MqttConfigError, match="names no host"):
        MqttConfig(url="mqtt://").endpoint()
    host, port, tls, user, password = MqttConfig(url="mqtts://ems:s%40cret@broker.local").endpoint()
    assert (host, port, tls, user, password) == ("broker.local", 8883, True, "ems", "s@cret")


def test_two_ingestors_on_one_shared_subscription_store_each_reading_once(
    broker: Broker, engine: Engine
) -> None:
    services = []
    for name in ("a", "b"):
        ingestor = Ingestor(
            engine, batch_size=20, batch_seconds=0.2, clock=lambda: START + 900 * 300
        )
        config = MqttConfig(
            url=f"mqtt://127.0.0.1:{broker.port}", client_id=f"ing-{name}", share_group="ems"
        )
        services.append(MqttIngest(config, ingestor))
    try:
        for service in services:
            service.start()
            assert service.subscribed.wait(10)
            assert service.topic_filter == "$share/ems/ems/+/+/+"
        pub = publisher(broker.port)
        try:
            for i in range(200):
                payload = json.dumps({"ts": START + 900 * i, "value": 1.0})
                pub.publish(f"ems/plant/m{i % 4}/energy", payload, qos=1).wait_for_publish(5)
            wait_for(lambda: sum(s.ingestor.health.readings for s in services) >= 200)
        finally:
            pub.loop_stop()
            pub.disconnect()
    finally:
        for service in services:
            service.stop()
    assert count(engine) == 200
    assert sum(s.ingestor.health.messages for s in services) == 200  # none delivered twice
    assert all(s.ingestor.health.messages > 0 for s in services)  # the stream was split


def test_an_ingestor_killed_mid_batch_loses_and_doubles_nothing(
    any_broker: AnyBroker, tmp_path: Path
) -> None:
    """300 readings received but not yet committed when the ingestor is killed (SIGKILL): the
    broker redelivers them to the restarted ingestor, which stores each once."""
    broker = any_broker
    home = tmp_path / "home"
    env = os.environ | {"EMS_HOME": str(home), "EMS_MQTT_PROTOCOL": str(broker.protocol)}
    script = Path(sys.executable).parent / "ems-agent"
    command = [
        str(script),
        "ingest",
        "--mqtt-url",
        broker.url,
        "--batch-seconds",
        "60",
        "--status-every",
        "0",
    ]
    db = home / "ems.db"

    def stored() -> int:
        if not db.exists():
            return 0
        engine = make_engine(f"sqlite:///{db}")
        try:
            return count(engine)
        except Exception:  # tables not created yet
            return 0
        finally:
            engine.dispose()

    first = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    now = time.time()
    pub = publisher(broker.port, broker.protocol)
    try:
        assert first.stderr is not None
        for line in first.stderr:  # blocks until the ingestor says it is subscribed
            if line.strip() == "subscribed":
                break
        # Its batch now waits 60 s unwritten: everything below is received, not committed.
        for i in range(300):
            payload = json.dumps({"ts": now - 900 * i, "value": 1.0})
            pub.publish("ems/plant/press/energy", payload, qos=1).wait_for_publish(5)
        assert stored() == 0
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        pub.loop_stop()
        pub.disconnect()
    second = subprocess.Popen(
        [*command[:-4], "--batch-seconds", "0.2", "--status-every", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: stored() == 300, 60)
    finally:
        second.send_signal(signal.SIGINT)
        second.wait(timeout=30)
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        assert conn.execute(select(func.sum(Reading.value))).scalar_one() == pytest.approx(300.0)
    engine.dispose()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(payload=st.one_of(st.binary(max_size=300), st.text(max_size=100).map(str.encode)))
def test_fuzzed_payloads_through_the_broker_never_stop_the_ingestor(
    running, payload: bytes
) -> None:  # type: ignore[no-untyped-def]
    service, broker, engine = running
    before = service.ingestor.health.messages
    pub = publisher(broker.port)
    try:
        pub.publish("ems/plant/fuzz/energy", payload, qos=1).wait_for_publish(5)
        wait_for(lambda: service.ingestor.health.messages > before)
    finally:
        pub.loop_stop()
        pub.disconnect()
    service.ingestor.flush()
    assert service.connected.is_set()
    assert any(t.name == "ems-ingest-ticker" and t.is_alive() for t in threading.enumerate())
    stored = count(engine) + count(engine, DeadLetter)
    assert stored >= 1  # every message became a reading or a dead letter
