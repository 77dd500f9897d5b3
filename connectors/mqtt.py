"""The MQTT client of ingestion (paho-mqtt 2): subscribes with QoS 1 on a persistent session,
hands each message to the Ingestor, and acknowledges it only after its batch is committed.

The network thread receives and decodes; the Ingestor's writer thread stores full batches, so
the next batch is received while the last one is written. A committed batch is acknowledged
with one write of all its PUBACK packets, in arrival order, instead of one queued packet, one
wake-up of the network thread and one socket send per message: half of what a bare subscriber
spends on a single-reading message is its PUBACK."""

from __future__ import annotations

import logging
import ssl
import struct
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from common.errors import EMSError
from connectors.ingest import IngestCore

log = logging.getLogger(__name__)
SESSION_EXPIRY_S = 7 * 86400  # the broker keeps our queue across a week of downtime
PUBACK = 0x40
# A PUBACK is 4 bytes: the packet type, a remaining length of 2, then the packet id. MQTT 5 lets
# the reason code be left out when it is 0 (success), as paho itself does.
_PUBACK_HEADER = (PUBACK << 24) | (2 << 16)


def puback_packets(mids: list[int]) -> bytes:
    """The PUBACK packets acknowledging these packet ids, back to back."""
    return struct.pack(f">{len(mids)}I", *[_PUBACK_HEADER | mid for mid in mids])


class MqttConfigError(EMSError):
    """An MQTT URL or option that cannot work."""


@dataclass(frozen=True)
class MqttConfig:
    url: str = "mqtt://127.0.0.1:1883"
    client_id: str = "ems-ingestor"
    share_group: str | None = None  # MQTT 5 shared subscription: $share/<group>/<filter>
    protocol: int = 5
    keepalive: int = 30
    ca_file: str | None = None
    insecure: bool = False

    def endpoint(self) -> tuple[str, int, bool, str | None, str | None]:
        parsed = urlparse(self.url)
        if parsed.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
            raise MqttConfigError(f"MQTT URL {self.url!r} must start with mqtt:// or mqtts://")
        tls = parsed.scheme in ("mqtts", "ssl")
        if not parsed.hostname:
            raise MqttConfigError(f"MQTT URL {self.url!r} names no host")
        port = parsed.port or (8883 if tls else 1883)
        user = unquote(parsed.username) if parsed.username else None
        password = unquote(parsed.password) if parsed.password else None
        return parsed.hostname, port, tls, user, password


class MqttIngest:
    """Runs the paho network loop and a ticker that flushes aged batches; start() and stop()."""

    def __init__(self, config: MqttConfig, ingestor: IngestCore) -> None:
        self.config = config
        self.ingestor = ingestor
        self.connected = threading.Event()
        self.subscribed = threading.Event()  # set on the broker's SUBACK
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        version = mqtt.MQTTv5 if config.protocol == 5 else mqtt.MQTTv311
        kwargs: dict[str, Any] = {} if version == mqtt.MQTTv5 else {"clean_session": False}
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=config.client_id, protocol=version, **kwargs
        )
        self.client.manual_ack_set(True)
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        # paho's own queue of outgoing packets takes the batch's PUBACKs as one packet; it is
        # thread-safe, as `Client.ack` (which goes through it) must be. Without it (another
        # paho), each message is acknowledged through `Client.ack`.
        self._queue_packet = getattr(self.client, "_packet_queue", None)
        ingestor.ack = self._ack

    @property
    def topic_filter(self) -> str:
        base = self.ingestor.scheme.subscription
        return f"$share/{self.config.share_group}/{base}" if self.config.share_group else base

    def prepare(self) -> None:
        """Start the ingestor's writer (a child process takes a second or two); `start()`
        does it too."""
        self.ingestor.start_writer()

    def start(self) -> None:
        host, port, tls, user, password = self.config.endpoint()
        if user:
            self.client.username_pw_set(user, password)
        if tls:
            self.client.tls_set(ca_certs=self.config.ca_file, cert_reqs=ssl.CERT_REQUIRED)
            self.client.tls_insecure_set(self.config.insecure)
        properties = None
        if self.config.protocol == 5:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = SESSION_EXPIRY_S
            # Messages are acknowledged only after their batch is committed; with the broker's
            # default window (Mosquitto: 20) the ingestor stalls and the broker's queue then
            # drops QoS 1 messages. Let the broker send a whole batch before the first ack.
            properties.ReceiveMaximum = 65535
        self.client.connect_async(
            host, port, keepalive=self.config.keepalive, clean_start=False, properties=properties
        )
        self.ingestor.start_writer()
        self.client.loop_start()
        self._ticker = threading.Thread(target=self._tick, name="ems-ingest-ticker", daemon=True)
        self._stop.clear()
        self._ticker.start()

    def stop(self) -> None:
        """Store what is buffered, acknowledge it, then disconnect; joins every thread."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=10)
        self.ingestor.stop_writer()
        self.ingestor.flush()
        self.client.disconnect()
        self.client.loop_stop()

    def _tick(self) -> None:
        while not self._stop.wait(0.2):
            try:
                self.ingestor.tick()
            except Exception:  # the store is down: keep the batch, retry on the next tick
                log.exception("storing a batch failed; it stays buffered and unacknowledged")

    @property
    def batched_acks(self) -> bool:
        """Whether a committed batch is acknowledged in one write."""
        return self._queue_packet is not None

    def _ack(self, mids: list[int]) -> None:
        # The subscription is QoS 1, so a message arrives with QoS 1 (a packet id) or QoS 0
        # (id 0, nothing to acknowledge); never QoS 2.
        ids = [mid for mid in mids if mid]
        if not ids:
            return
        if self._queue_packet is None:
            for mid in ids:
                self.client.ack(mid, 1)
            return
        self._queue_packet(PUBACK, puback_packets(ids), 0, 0)

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            log.error("MQTT connection refused: %s", reason)
            return
        client.subscribe(self.topic_filter, qos=1)
        self.connected.set()
        log.info("connected to %s, subscribed to %s", self.config.url, self.topic_filter)

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, props: Any
    ) -> None:
        if any(r.is_failure for r in reasons):
            log.error("the broker refused the subscription to %s: %s", self.topic_filter, reasons)
            return
        self.subscribed.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self.connected.clear()
        self.subscribed.clear()
        if not self._stop.is_set():
            log.warning("MQTT connection lost (%s); reconnecting", reason)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            self.ingestor.handle(message.mid, message.topic, bytes(message.payload))
        except Exception:
            log.exception("storing a batch failed; it stays buffered and unacknowledged")
