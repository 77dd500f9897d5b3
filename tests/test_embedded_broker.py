"""The embedded broker and the `ingest` command: publish -> amqtt -> ingestor -> store, and a
clean stop on Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from connectors.broker import BrokerError, EmbeddedBroker
from connectors.ingest import Ingestor
from connectors.mqtt import MqttConfig, MqttIngest
from store.engine import make_engine
from store.migrate import upgrade
from store.schema import Reading
from tests.test_mqtt_broker import free_port, wait_for


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    broker = EmbeddedBroker(tmp_path / "home", free_port())
    broker.start()
    yield broker
    broker.stop()
    assert broker.process is None


def publish(port: int, messages: list[tuple[str, dict[str, float]]]) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="pub", protocol=mqtt.MQTTv311)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        for topic, payload in messages:
            client.publish(topic, json.dumps(payload), qos=1).wait_for_publish(5)
    finally:
        client.loop_stop()
        client.disconnect()


def readings(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Reading)).scalar_one())
    finally:
        engine.dispose()


def test_embedded_broker_carries_readings_into_the_store(
    embedded: EmbeddedBroker, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    upgrade(engine)
    now = time.time()
    ingestor = Ingestor(engine, batch_size=20, batch_seconds=0.2)
    service = MqttIngest(MqttConfig(url=embedded.url, protocol=311, client_id="ing-test"), ingestor)
    service.start()
    try:
        assert service.subscribed.wait(10)
        publish(
            embedded.port,
            [("ems/plant/press/energy", {"ts": now - 900 * i, "value": 1.0}) for i in range(50)],
        )
        wait_for(lambda: readings(url) == 50)
    finally:
        service.stop()
        engine.dispose()


def test_a_busy_port_is_a_clear_error(embedded: EmbeddedBroker, tmp_path: Path) -> None:
    with pytest.raises(BrokerError, match=f"port {embedded.port} .* already in use"):
        EmbeddedBroker(tmp_path / "other", embedded.port).start()


def test_ingest_command_runs_until_ctrl_c(embedded: EmbeddedBroker, tmp_path: Path) -> None:
    home = tmp_path / "ingest-home"
    metrics = free_port()
    env = os.environ | {"EMS_HOME": str(home), "EMS_MQTT_PORT": str(embedded.port)}
    script = Path(sys.executable).parent / "ems-agent"
    proc = subprocess.Popen(
        [str(script), "ingest", "--status-every", "0", "--metrics-port", str(metrics), "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: (home / "ems.db").exists())
        now = time.time()
        batch = [
            ("ems/demo-plant/chiller/energy", {"ts": now - 900 * i, "value": 2.0})
            for i in range(10)
        ]

        def stored_after_publishing() -> bool:
            # Until the ingestor has subscribed, messages go nowhere; writes are idempotent,
            # so publishing the same readings again until they land is harmless.
            publish(embedded.port, batch)
            return readings(f"sqlite:///{home / 'ems.db'}") == 10

        wait_for(stored_after_publishing)

        def exported() -> str:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{metrics}/metrics", timeout=1) as r:
                    return str(r.read().decode())
            except OSError:
                return ""

        def readings_exported() -> float:
            found = re.search(r"^ems_ingest_readings (\S+)$", exported(), re.M)
            return float(found.group(1)) if found else 0.0

        wait_for(lambda: readings_exported() >= 10, 30)
    finally:
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert json.loads(stdout)["readings"] >= 10  # republished copies count, stored once
    assert "Traceback" not in stderr
    status = subprocess.run(
        [str(script), "status", "--json"], env=env, capture_output=True, text=True, check=True
    )
    report = json.loads(status.stdout)
    assert report["ingestors"]["ems-ingestor"]["readings"] >= 10
    assert report["ingestors"]["ems-ingestor"]["connected"] is False
    assert report["dead_letters"] == 0


class Subscriber:
    """A paho client on a persistent session (unless `clean`) that acknowledges only when told,
    as the ingestor does after a commit."""

    def __init__(self, port: int, *, clean: bool = False, subscribe: bool = True) -> None:
        self.got: list[tuple[int, bytes]] = []
        self.subscribed = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id="slow-subscriber",
            protocol=mqtt.MQTTv311,
            clean_session=clean,
        )
        self.client.manual_ack_set(True)
        self.client.on_message = lambda c, u, m: self.got.append((m.mid, bytes(m.payload)))
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        if subscribe:
            self.barrier()

    def barrier(self) -> None:
        """Subscribe and wait for the SUBACK: the broker has then read everything sent before."""
        self.subscribed.clear()
        self.client.subscribe("ems/#", qos=1)
        assert self.subscribed.wait(10)

    def ack_all(self) -> None:
        for mid, _ in self.got:
            self.client.ack(mid, 1)

    def values(self) -> list[float]:
        return [json.loads(payload)["value"] for _, payload in self.got]

    def drop(self) -> None:
        """Vanish without DISCONNECT, as a killed process does."""
        self.client.loop_stop()
        sock = self.client.socket()
        assert sock is not None
        sock.close()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def payloads(n: int) -> list[tuple[str, dict[str, float]]]:
    return [
        ("ems/plant/press/energy", {"ts": 1_795_000_000 + 900 * i, "value": i}) for i in range(n)
    ]


def test_unacknowledged_messages_are_redelivered_to_a_persistent_session(
    embedded: EmbeddedBroker,
) -> None:
    first = Subscriber(embedded.port)
    publish(embedded.port, payloads(10))
    wait_for(lambda: len(first.got) == 10)
    first.drop()  # none acknowledged

    second = Subscriber(embedded.port, subscribe=False)  # the session keeps the subscription
    wait_for(lambda: len(second.got) >= 10)
    assert sorted(second.values()) == list(range(10))  # each once, none missing
    second.ack_all()
    second.barrier()
    second.drop()

    # Redelivered messages are sent on reconnection, before anything published after it.
    third = Subscriber(embedded.port, subscribe=False)
    publish(embedded.port, [("ems/plant/press/energy", {"ts": 1_795_900_000, "value": 99})])
    wait_for(lambda: 99 in third.values())
    assert third.values() == [99]
    third.close()


def test_a_clean_session_gets_nothing_redelivered(embedded: EmbeddedBroker) -> None:
    first = Subscriber(embedded.port, clean=True)
    publish(embedded.port, payloads(5))
    wait_for(lambda: len(first.got) == 5)
    first.drop()
    second = Subscriber(embedded.port, clean=True)
    publish(embedded.port, [("ems/plant/press/energy", {"ts": 1_795_900_000, "value": 99})])
    wait_for(lambda: 99 in second.values())
    assert second.values() == [99]
    second.close()
