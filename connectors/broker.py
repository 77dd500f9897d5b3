"""The embedded MQTT broker: amqtt in a child process on 127.0.0.1, so the embedded mode needs
nothing installed. Production points EMS_MQTT_URL at Mosquitto, EMQX or HiveMQ instead.

Two small amqtt plugins make it keep QoS 1 promises to a client that comes back to its
persistent session: `LocalClients` admits clients without marking them anonymous (amqtt keeps
no queue for anonymous sessions), and `Redelivery` resends what a client had not acknowledged
when its connection ended. Queues live in memory only: a restart of this broker loses what it
held (see tests/test_mqtt_broker.py for why amqtt's own persistence does not help).
"""

from __future__ import annotations

import functools
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common.errors import EMSError

CONFIG = """\
listeners:
  default:
    type: tcp
    bind: {host}:{port}
plugins:
  connectors.broker.LocalClients: {{}}
  connectors.broker.Redelivery: {{}}
"""


class BrokerError(EMSError):
    """The embedded broker could not start."""


def port_open(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.2).close()
        return True
    except OSError:
        return False


class EmbeddedBroker:
    """Start with start(), stop with stop(); the broker's log goes to EMS_HOME/logs/broker.log."""

    def __init__(self, home: Path, port: int = 1883, host: str = "127.0.0.1") -> None:
        self.home = home
        self.port = port
        self.host = host
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.home / "logs" / "broker.log"

    def start(self, timeout: float = 20.0) -> None:
        if port_open(self.host, self.port):
            raise BrokerError(
                f"port {self.port} on {self.host} is already in use; point EMS_MQTT_URL at the "
                f"broker running there, or set EMS_MQTT_PORT to a free port"
            )
        config = self.home / "broker.yaml"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(CONFIG.format(host=self.host, port=self.port))
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "amqtt.scripts.broker_script", "-c", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while not port_open(self.host, self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = self.log_path.read_text(errors="replace").splitlines()[-5:]
                raise BrokerError(
                    f"the embedded MQTT broker did not start on port {self.port}: "
                    + (" | ".join(tail) or "no output")
                )
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None


def __getattr__(name: str) -> Any:
    """amqtt loads `connectors.broker.LocalClients` and `.Redelivery` by name in the broker's
    own process; they are made on first use, so importing this module does not import amqtt."""
    factories = {"LocalClients": _local_clients, "Redelivery": _redelivery}
    if name in factories:
        return factories[name]()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _named(plugin: type, name: str) -> type:
    plugin.__module__, plugin.__qualname__ = __name__, name
    return plugin


@functools.cache
def _local_clients() -> type:
    from amqtt.plugins.base import BaseAuthPlugin

    class LocalClients(BaseAuthPlugin):  # type: ignore[misc]
        """Admits every client that can reach the listener (127.0.0.1 by default), and not as
        anonymous: amqtt keeps neither the queue nor the session of an anonymous client."""

        async def authenticate(self, *, session: Any) -> bool:
            return True

    return _named(LocalClients, "LocalClients")


@functools.cache
def _redelivery() -> type:
    from amqtt.broker import RetainedApplicationMessage
    from amqtt.mqtt.packet import PUBACK, PUBLISH
    from amqtt.plugins.base import BasePlugin

    class Redelivery(BasePlugin):  # type: ignore[misc]
        """Redelivers the QoS 1 messages a client had not acknowledged when it disconnected.

        MQTT 3.1.1 [MQTT-4.4.0-1] asks a broker to resend them when the client comes back to
        its persistent session; amqtt 0.12 drops them instead (closing the connection cancels
        the wait for their PUBACK, which discards them: Yakifo/amqtt#401). The ingestor
        acknowledges only after its batch is committed, so without this an ingestor killed
        mid-batch would lose it. They go back into the session's offline queue, which amqtt
        sends on reconnection. Once an amqtt release resends them itself, drop this plugin
        (until then a duplicate is harmless: writes are idempotent).
        """

        def __init__(self, context: Any) -> None:
            super().__init__(context)
            self.unacked: dict[str, dict[int, tuple[str, bytes]]] = {}
            self.early: dict[str, set[int]] = {}  # PUBACKs handled before their PUBLISH's event

        async def on_mqtt_packet_sent(self, *, packet: Any, session: Any = None) -> None:
            if session is None or packet.fixed_header.packet_type != PUBLISH or packet.qos != 1:
                return
            early = self.early.setdefault(session.client_id, set())
            if packet.packet_id in early:
                early.discard(packet.packet_id)
            else:
                pending = self.unacked.setdefault(session.client_id, {})
                pending[packet.packet_id] = (packet.topic_name, bytes(packet.data))

        async def on_mqtt_packet_received(self, *, packet: Any, session: Any = None) -> None:
            if session is None or packet.fixed_header.packet_type != PUBACK:
                return
            if self.unacked.get(session.client_id, {}).pop(packet.packet_id, None) is None:
                self.early.setdefault(session.client_id, set()).add(packet.packet_id)

        async def on_broker_client_disconnected(
            self, *, client_id: str, client_session: Any
        ) -> None:
            pending = self.unacked.pop(client_id, {})
            self.early.pop(client_id, None)
            if client_session.clean_session:
                return
            for topic, data in pending.values():
                await client_session.retained_messages.put(
                    RetainedApplicationMessage(None, topic, data, 1)
                )

    return _named(Redelivery, "Redelivery")
