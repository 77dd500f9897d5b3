"""The live simulator continues the history over MQTT, and never publishes the future."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from connectors.broker import EmbeddedBroker
from connectors.ingest import Ingestor
from connectors.live import LiveSimulator, publish_window
from connectors.mqtt import MqttConfig, MqttIngest
from connectors.plant import demo_plant
from connectors.simulator import simulate
from store.engine import make_engine
from store.migrate import upgrade
from store.schema import Meter, Reading, Series
from tests.test_mqtt_broker import free_port, wait_for


def test_publish_window_sends_what_the_history_holds() -> None:
    sent: list[tuple[str, bytes]] = []
    start = int(datetime(2026, 3, 10, 9, tzinfo=UTC).timestamp())
    count = publish_window(demo_plant(), 42, start, start + 1800, lambda t, p: sent.append((t, p)))
    assert count == len(sent) == 2 * 12
    topic, payload = sent[0]
    assert topic.startswith("ems/demo-plant/") and b'"unit"' in payload


def test_replay_catches_up_and_stops_at_the_clock(tmp_path: Path) -> None:
    broker = EmbeddedBroker(tmp_path / "home", free_port())
    broker.start()
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    upgrade(engine)
    ingestor = Ingestor(engine, timezone="Europe/Berlin", batch_size=200, batch_seconds=0.2)
    service = MqttIngest(MqttConfig(url=broker.url, protocol=311, client_id="live-ing"), ingestor)
    now = time.time()
    start = int(now // 900 * 900) - 4 * 900  # four complete quarter-hours behind the clock
    simulator = LiveSimulator(
        MqttConfig(url=broker.url, protocol=311, client_id="live"),
        seed=42,
        speed=10_000,
        start=start,
    )
    stop = threading.Event()
    runner = threading.Thread(target=simulator.run, args=(stop,))
    try:
        service.start()
        assert service.subscribed.wait(10)
        runner.start()
        wait_for(lambda: simulator.published >= 4 * 12)
        wait_for(lambda: ingestor.health.readings >= 4 * 12)
    finally:
        stop.set()
        runner.join(timeout=15)
        service.stop()
        broker.stop()
    assert not runner.is_alive()
    assert simulator.position <= time.time()  # it never ran ahead of the clock
    with engine.connect() as conn:
        rows = conn.execute(
            select(Meter.name, Series.metric, Reading.ts, Reading.value)
            .join(Series, Series.id == Reading.series_id)
            .join(Meter, Meter.id == Series.meter_id)
        ).all()
    engine.dispose()
    got = pd.DataFrame(rows, columns=["meter", "metric", "ts", "value"])
    truth = simulate(
        demo_plant(),
        datetime.fromtimestamp(start, UTC),
        datetime.fromtimestamp(start + 3600, UTC),
        42,
    ).frame
    merged = truth.merge(got, on=["meter", "metric", "ts"], suffixes=("", "_stored"))
    assert len(merged) == len(truth)
    assert (merged["value"] - merged["value_stored"]).abs().max() < 1e-9
