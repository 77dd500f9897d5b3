"""Ingestion health where operators look: a row in the store for `ems-agent status`, and a
Prometheus endpoint for monitoring."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, start_http_server
from sqlalchemy import Engine, insert, select, update

from connectors.ingest import Health
from store.schema import SmallState


def snapshot(health: Health, connected: bool) -> dict[str, Any]:
    return {
        "messages": health.messages,
        "readings": health.readings,
        "dead_letters": health.dead_letters,
        "batches": health.batches,
        "readings_per_second": round(health.rate(), 2),
        "lag_seconds": round(health.last_lag_seconds, 1),
        "batch_seconds": round(health.last_batch_seconds, 4),
        "store_failures": health.store_failures,
        "writer_restarts": health.writer_restarts,
        "connected": connected,
        "updated": datetime.now(UTC).isoformat(),
        "updated_ts": time.time(),
    }


def save(engine: Engine, name: str, values: dict[str, Any]) -> None:
    """Keep the latest health of one ingestor under service_state 'ingest:<name>'."""
    key = f"ingest:{name}"
    with engine.begin() as conn:
        exists = conn.execute(select(SmallState.key).where(SmallState.key == key)).scalar()
        if exists:
            conn.execute(update(SmallState).where(SmallState.key == key).values(value=values))
        else:
            conn.execute(insert(SmallState).values(key=key, value=values))


def load_all(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(SmallState.key, SmallState.value).where(SmallState.key.like("ingest:%"))
        ).all()
    return {key.split(":", 1)[1]: dict(value) for key, value in rows}


class Metrics:
    """Gauges served at http://host:port/metrics for Prometheus."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.registry = CollectorRegistry()
        names = {
            "messages": "MQTT messages received",
            "readings": "readings stored",
            "dead_letters": "messages kept as dead letters",
            "batches": "batches committed",
            "readings_per_second": "readings stored per second since start",
            "lag_seconds": "age of the newest reading when its batch was stored",
            "batch_seconds": "time to store the last batch",
            "store_failures": "commits that failed and were retried",
            "writer_restarts": "writer processes that died and were replaced",
        }
        self.gauges = {
            key: Gauge(f"ems_ingest_{key}", text, registry=self.registry)
            for key, text in names.items()
        }
        self.server, self.thread = start_http_server(port, addr=host, registry=self.registry)

    def update(self, values: dict[str, Any]) -> None:
        for key, gauge in self.gauges.items():
            gauge.set(float(values[key]))

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


class Reporter:
    """Publishes an ingestor's health every few seconds: to the store, and to Prometheus."""

    def __init__(self, engine: Engine, name: str, metrics: Metrics | None = None) -> None:
        self.engine, self.name, self.metrics = engine, name, metrics
        self._last = 0.0

    def maybe(self, health: Health, connected: bool, every: float = 5.0) -> None:
        if time.monotonic() - self._last < every:
            return
        values = snapshot(health, connected)
        save(self.engine, self.name, values)
        if self.metrics is not None:
            self.metrics.update(values)
        self._last = time.monotonic()

    def close(self, health: Health) -> None:
        save(self.engine, self.name, snapshot(health, False))
        if self.metrics is not None:
            self.metrics.close()
