"""Ingestion over HTTP (POST /readings), the health of the installation, and the Prometheus
metrics of the API and the ingestors."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from pydantic import BaseModel, Field

from api.auth import Operator, Viewer, deps_of
from api.errors import COMMON, responses
from common.errors import EMSError

READING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["meter", "metric", "ts", "value"],
    "properties": {
        "site": {"type": "string", "description": "Default: the installation's site."},
        "meter": {"type": "string"},
        "metric": {"type": "string", "description": "energy, power, production, ..."},
        "ts": {
            "oneOf": [{"type": "string", "format": "date-time"}, {"type": "number"}],
            "description": "ISO 8601 with an offset or Z, or Unix seconds or milliseconds.",
        },
        "value": {"type": "number"},
        "unit": {"type": "string", "description": "Default: the metric's usual unit."},
    },
}


class RejectedOut(BaseModel):
    index: int = Field(
        description="Position of the reading in the body (NDJSON: its line, from 0)."
    )
    reason: str


class IngestOut(BaseModel):
    received: int = Field(description="Readings in the body.")
    stored: int = Field(description="Readings stored (posting them again changes nothing).")
    rejected: list[RejectedOut] = Field(description="Bad readings, each kept as a dead letter.")


class HealthOut(BaseModel):
    status: str
    version: str
    site: str | None = Field(description="The default site; null: the store holds none or several")
    database: str
    newest_reading_age_s: int | None
    dead_letters: int
    ingestors: dict[str, dict[str, Any]]


class ApiMetrics:
    """The API's own counters beside the ingestors' last reported health."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "ems_api_requests",
            "API requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.seconds = Histogram(
            "ems_api_request_seconds", "API request time", ["route"], registry=self.registry
        )
        self.readings = Counter(
            "ems_api_readings_stored",
            "Readings stored through POST /readings",
            registry=self.registry,
        )
        self.rejected = Counter(
            "ems_api_readings_rejected",
            "Readings refused by POST /readings",
            registry=self.registry,
        )
        self.ingest = Gauge(
            "ems_ingestor",
            "Ingestors' last reported health",
            ["ingestor", "what"],
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.seconds.labels(route).observe(seconds)


INGEST_DOC = {
    "requestBody": {
        "required": True,
        "description": 'Readings as a JSON list (or {"readings": [...]}), NDJSON (one reading '
        "a line) or CSV with a header of meter, metric, ts (or timestamp), value and "
        "optionally site and unit.",
        "content": {
            "application/json": {"schema": {"type": "array", "items": READING_SCHEMA}},
            "application/x-ndjson": {"schema": {"type": "string"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


def ops_router(metrics: ApiMetrics) -> APIRouter:
    router = APIRouter()

    @router.post(
        "/readings",
        tags=["ingestion"],
        response_model=IngestOut,
        responses={
            **responses(*COMMON, 400, 415, 503),
            422: {"model": IngestOut, "description": "Every reading was refused (none stored)"},
        },
        openapi_extra=INGEST_DOC,
    )
    async def post_readings(request: Request, principal: Operator) -> JSONResponse:
        """Store readings (operators) with the MQTT ingestor's checks, dead letters and
        idempotent upsert: a bad reading is named by its index and kept as a dead letter, the
        rest are stored in one transaction; posting the same readings again counts them once."""
        import anyio

        body = await request.body()
        kind = request.headers.get("content-type")
        readings = deps_of(request).readings
        result = await anyio.to_thread.run_sync(readings.post, body, kind, principal.name)
        metrics.readings.inc(result.stored)
        metrics.rejected.inc(len(result.rejected))
        out = IngestOut(
            received=result.received,
            stored=result.stored,
            rejected=[RejectedOut(index=r.index, reason=r.reason) for r in result.rejected],
        )
        status = 422 if result.rejected and not result.stored else 200
        return JSONResponse(out.model_dump(mode="json"), status)

    @router.get(
        "/health", tags=["operations"], response_model=HealthOut, responses=responses(*COMMON)
    )
    def health(request: Request, principal: Viewer) -> HealthOut:
        """The store reachable, the newest reading's age, dead letters, the ingestors."""
        from sqlalchemy import func, select

        from connectors import health as ingest_health
        from store.schema import DeadLetter, Reading

        deps = deps_of(request)
        with deps.engine.connect() as conn:
            letters = int(conn.execute(select(func.count()).select_from(DeadLetter)).scalar_one())
            newest = conn.execute(select(func.max(Reading.ts))).scalar()
        try:
            chosen = deps.contexts(None).current_site()
        except EMSError:  # a default site the store does not hold: health still answers
            chosen = None
        site = chosen.name if chosen is not None else None
        return HealthOut(
            status="ok",
            version=deps.version,
            site=site,
            database=deps.engine.url.render_as_string(hide_password=True),
            newest_reading_age_s=None if newest is None else int(time.time() - newest),
            dead_letters=letters,
            ingestors=ingest_health.load_all(deps.engine),
        )

    @router.get(
        "/metrics",
        tags=["operations"],
        responses={
            200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}}},
            **responses(*COMMON),
        },
    )
    def prometheus(request: Request, principal: Viewer) -> Response:
        """Prometheus metrics: the API's requests and ingestion, the ingestors' health."""
        from connectors import health as ingest_health

        for name, values in ingest_health.load_all(deps_of(request).engine).items():
            for what, value in values.items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    metrics.ingest.labels(name, what).set(value)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router
