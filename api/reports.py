"""The monthly energy report for programs: the PDF, the HTML or the figures (JSON) of a site's
month, made by the `monthly_report` tool with the caller's role."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.auth import Viewer, deps_of
from api.errors import COMMON, responses
from api.exports import file_response
from api.tool_routes import SiteQuery

ReportFormat = Literal["pdf", "html", "json"]
MEDIA = {"pdf": "application/pdf", "html": "text/html", "json": "application/json"}


def report_router() -> APIRouter:
    router = APIRouter(tags=["reports"])
    ok: dict[int | str, dict[str, Any]] = {
        200: {"description": "The report", "content": {m: {} for m in MEDIA.values()}}
    }

    @router.get(
        "/reports",
        response_class=Response,
        responses={**ok, **responses(*COMMON, 404, 503)},
    )
    def monthly(
        request: Request,
        principal: Viewer,
        month: Annotated[
            str,
            Query(
                min_length=1,
                max_length=40,
                description="2026-11, 'last month', 'this month' or 'November 2026'.",
            ),
        ] = "last month",
        format: Annotated[ReportFormat, Query(description="pdf, html or json.")] = "pdf",
        site: SiteQuery = None,
    ) -> Response:
        """A site's monthly energy report: per carrier and meter tree the month's energy, cost,
        CO2, peak demand, load factor and SEC, EnPIs against the baselines with the ASHRAE 14
        figures, the same month last year, the incidents with their cost, and charts."""
        from agent.report import make_report, report_file

        contexts = deps_of(request).contexts(site)
        made = make_report(contexts, month, user=principal.name, role=principal.role)
        return file_response(report_file(made, format))

    return router
