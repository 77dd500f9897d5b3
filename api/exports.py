"""Exports for programs: a meter's readings or rollups as CSV, Excel or Parquet, and an
answer's tables (from the tool calls /ask returned) as CSV or Excel; times in the site's zone
with their offset, units in the headers."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Protocol

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.auth import Viewer, deps_of
from api.data import End, Meter, Metric, Period, Start, _range
from api.errors import COMMON, responses
from api.tool_routes import SiteQuery
from common.errors import InsufficientData
from connectors.exporter import MEDIA

ExportGrain = Literal["raw", "15min", "hour", "day", "week", "month"]
SeriesFormat = Literal["csv", "xlsx", "parquet"]


class AnswerExport(BaseModel):
    """An answer's tool calls, as /ask returned them, and the file to make of its tables."""

    tool_calls: list[dict[str, Any]] = Field(
        max_length=100, description="The answer's `tool_calls`: name, args and result of each."
    )
    format: Literal["csv", "xlsx"] = Field(
        default="xlsx", description="csv (one table) or xlsx (a sheet per table)."
    )
    table: int | None = Field(
        default=None,
        ge=0,
        le=1000,
        description="Which table (0 is the first); CSV needs one when there are several.",
    )


class NamedFile(Protocol):
    """A made file (an export, a report): its name, media type and bytes."""

    @property
    def filename(self) -> str: ...
    @property
    def media_type(self) -> str: ...
    @property
    def content(self) -> bytes: ...


def file_response(file: NamedFile) -> Response:
    """A file to save, with its name."""
    headers = {"Content-Disposition": f'attachment; filename="{file.filename}"'}
    return Response(file.content, media_type=file.media_type, headers=headers)


def _files(*kinds: str) -> dict[int | str, dict[str, Any]]:
    ok: dict[int | str, dict[str, Any]] = {
        200: {"description": "The file", "content": {MEDIA[k]: {} for k in kinds}}
    }
    return {**ok, **responses(*COMMON, 404, 503)}


def export_router() -> APIRouter:
    router = APIRouter(tags=["exports"])

    @router.get("/export", response_class=Response, responses=_files("csv", "xlsx", "parquet"))
    def export_series(
        request: Request,
        principal: Viewer,
        meter: Meter,
        metric: Metric = "energy",
        grain: Annotated[
            ExportGrain, Query(description="raw (the readings) or a local bucket.")
        ] = "raw",
        format: Annotated[SeriesFormat, Query(description="The file's format.")] = "csv",
        period: Period = None,
        start: Start = None,
        end: End = None,
        site: SiteQuery = None,
    ) -> Response:
        """A meter's readings, or their count, sum, min, max and mean per 15 minutes, hour, day,
        week or month (local boundaries), as one file: times in the site's zone with their
        offset, units in the headers."""
        from connectors.exporter import frame_file, series_frame
        from store import catalog
        from tools import resolve

        ctx = deps_of(request).contexts(site)(user=principal.name, role=principal.role)
        tz = ctx.site.timezone
        lo, hi = _range(ctx.now, tz, period, start, end)
        found = resolve.meter(ctx, meter)
        with ctx.engine.connect() as conn:
            series = catalog.get_series(conn, found.id, metric)
            frame = series_frame(conn, series, grain, lo, hi, tz)
        if frame.empty:
            raise InsufficientData(f"no {metric} readings of {found.name} in that range")
        stem = f"{found.name}-{metric}-{grain}"
        return file_response(frame_file(frame, format, stem, sheet=f"{found.name} {metric}"))

    @router.post("/export/answer", response_class=Response, responses=_files("csv", "xlsx"))
    def export_answer(
        request: Request, principal: Viewer, body: AnswerExport, site: SiteQuery = None
    ) -> Response:
        """An answer's tables, drawn from its tool calls as the chat page draws them, as CSV
        (one table) or an Excel workbook (a sheet per table)."""
        from agent.evidence import evidence_from_calls
        from agent.export import answer_file

        contexts = deps_of(request).contexts(site)
        tables = evidence_from_calls(body.tool_calls).tables
        chosen = contexts.current_site()  # times in the site's zone; UTC without one
        tz = chosen.timezone if chosen is not None else "UTC"
        file = answer_file(tables, body.format, tz, index=body.table)
        return file_response(file)

    return router
