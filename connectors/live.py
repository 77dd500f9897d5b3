"""The live simulator: the demo plant's meters published over MQTT, quarter-hour by quarter-hour.

Values come from the same deterministic simulator as the history, so live data continues the
history seamlessly, faults included. With a speed above 1 it replays from a past moment at that
pace until it catches up with the clock, then goes on in real time: meters never report the
future, which the ingestor would rightly refuse.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from connectors.mqtt import MqttConfig
from connectors.plant import PlantSpec, demo_plant
from connectors.simulator import STEP, simulate

Publish = Callable[[str, bytes], None]


def publish_window(plant: PlantSpec, seed: int, start: int, end: int, publish: Publish) -> int:
    """Publish every simulated reading with an interval start in [start, end); returns count."""
    sim = simulate(
        plant, datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC), seed
    )
    units = {(m.name, metric): unit for m in plant.meters for metric, unit in m.metrics}
    for ts, meter, metric, value in sim.frame.itertuples(index=False):
        payload = {"ts": int(ts), "value": float(value), "unit": units[(meter, metric)]}
        publish(f"ems/{plant.site}/{meter}/{metric}", json.dumps(payload).encode())
    return len(sim.frame)


class LiveSimulator:
    """Publishes quarter-hours as they complete; run() blocks until `stop` is set."""

    def __init__(
        self,
        config: MqttConfig,
        *,
        seed: int,
        speed: float = 1.0,
        start: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.seed = seed
        self.speed = max(speed, 1.0)
        self.clock = clock
        now = int(clock())
        self.position = (start if start is not None else now) // STEP * STEP
        self.published = 0
        self.plant = demo_plant()

    def run(self, stop: threading.Event) -> None:
        host, port, tls, user, password = self.config.endpoint()
        protocol = mqtt.MQTTv5 if self.config.protocol == 5 else mqtt.MQTTv311
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"{self.config.client_id}-sim", protocol=protocol
        )
        if user:
            client.username_pw_set(user, password)
        if tls:
            client.tls_set()
        client.connect(host, port)
        client.loop_start()
        try:
            self._loop(client, stop)
        finally:
            client.loop_stop()
            client.disconnect()

    def _loop(self, client: mqtt.Client, stop: threading.Event) -> None:
        def publish(topic: str, payload: bytes) -> None:
            client.publish(topic, payload, qos=1).wait_for_publish(10)

        real_start, sim_start = time.monotonic(), self.position
        while not stop.is_set():
            following = self.position + STEP
            # Replay at `speed` while behind the clock; never publish a quarter not yet over.
            due_by_speed = real_start + (following - sim_start) / self.speed
            wait = max(due_by_speed - time.monotonic(), following - self.clock(), 0.0)
            if stop.wait(min(wait, 1.0)) or wait > 1.0:
                continue
            self.published += publish_window(
                self.plant, self.seed, self.position, following, publish
            )
            self.position = following
