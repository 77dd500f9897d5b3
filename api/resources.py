"""Incidents, alert rules, alerts and the knowledge library as resources: each route calls the
tool that does the job, so the role a route needs is its tool's and the body its result."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.auth import Operator, Viewer, deps_of
from api.calls import run_tool
from api.errors import COMMON, responses
from api.tokens import Principal
from api.tool_routes import SiteQuery, json_response
from tools.alerts import AlertList, RuleChange, RuleInput, RuleList, RuleOut
from tools.incidents import IncidentList, IncidentOut
from tools.knowledge import KnowledgeResult

Id = Annotated[int, Path(ge=1, le=2**31 - 1, description="The id as the list shows it.")]
IncidentState = Literal["active", "open", "acknowledged", "resolved", "all"]


class Note(BaseModel):
    note: str | None = Field(default=None, max_length=4000, description="What was found or done.")


class Resolution(BaseModel):
    note: str = Field(min_length=1, max_length=4000, description="What was found or done.")


class RuleUpdate(BaseModel):
    threshold: float | None = Field(default=None, description="New threshold, same unit.")
    condition: Literal[">", ">=", "<", "<="] | None = Field(default=None)
    severity: Literal["info", "warning", "critical"] | None = Field(default=None)
    enabled: bool | None = Field(default=None, description="Switch the rule on or off.")


def _call(
    request: Request, name: str, args: dict[str, Any], who: Principal, site: str | None
) -> Response:
    return json_response(run_tool(deps_of(request), name, args, who, site))


def resource_router() -> APIRouter:
    router = APIRouter()
    reads = responses(*COMMON, 404)
    writes = responses(*COMMON, 404, 409)

    @router.get("/incidents", tags=["incidents"], response_model=IncidentList, responses=reads)
    def incidents(
        request: Request,
        principal: Viewer,
        state: IncidentState = "active",
        meter: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 20,
        site: SiteQuery = None,
    ) -> Response:
        """Incidents, newest first, with their impact and summary."""
        args = {"state": state, "meter": meter, "limit": limit}
        return _call(request, "list_incidents", args, principal, site)

    @router.get(
        "/incidents/{incident_id}", tags=["incidents"], response_model=IncidentOut, responses=reads
    )
    def incident(
        request: Request, principal: Viewer, incident_id: Id, site: SiteQuery = None
    ) -> Response:
        """One incident with its summary, citations and notes."""
        return _call(request, "get_incident", {"incident_id": incident_id}, principal, site)

    @router.post(
        "/incidents/{incident_id}/acknowledge",
        tags=["incidents"],
        response_model=IncidentOut,
        responses=writes,
    )
    def acknowledge(
        request: Request, principal: Operator, incident_id: Id, body: Note, site: SiteQuery = None
    ) -> Response:
        """Acknowledge an incident (operators), optionally with a note."""
        args = {"incident_id": incident_id, "action": "acknowledge", "note": body.note}
        return _call(request, "update_incident", args, principal, site)

    @router.post(
        "/incidents/{incident_id}/resolve",
        tags=["incidents"],
        response_model=IncidentOut,
        responses=writes,
    )
    def resolve(
        request: Request,
        principal: Operator,
        incident_id: Id,
        body: Resolution,
        site: SiteQuery = None,
    ) -> Response:
        """Resolve an incident (operators) with a note of what was found or done."""
        args = {"incident_id": incident_id, "action": "resolve", "note": body.note}
        return _call(request, "update_incident", args, principal, site)

    @router.get("/alert-rules", tags=["alerts"], response_model=RuleList, responses=reads)
    def rules(
        request: Request,
        principal: Viewer,
        meter: Annotated[str | None, Query(max_length=200)] = None,
        site: SiteQuery = None,
    ) -> Response:
        """The site's alert rules."""
        return _call(request, "list_alert_rules", {"meter": meter}, principal, site)

    @router.post(
        "/alert-rules", tags=["alerts"], response_model=RuleOut, responses=writes, status_code=201
    )
    def create_rule(
        request: Request, principal: Operator, body: RuleInput, site: SiteQuery = None
    ) -> Response:
        """Create an alert rule (operators)."""
        made = run_tool(deps_of(request), "create_alert_rule", body, principal, site)
        return Response(made.model_dump_json(), status_code=201, media_type="application/json")

    @router.patch(
        "/alert-rules/{rule_id}", tags=["alerts"], response_model=RuleList, responses=writes
    )
    def change_rule(
        request: Request, principal: Operator, rule_id: Id, body: RuleUpdate, site: SiteQuery = None
    ) -> Response:
        """Change an alert rule's threshold, condition, severity or on/off (operators)."""
        args = RuleChange(rule_id=rule_id, **body.model_dump(exclude_none=True))
        return _call(request, "update_alert_rule", args.model_dump(), principal, site)

    @router.delete(
        "/alert-rules/{rule_id}", tags=["alerts"], response_model=RuleList, responses=writes
    )
    def delete_rule(
        request: Request, principal: Operator, rule_id: Id, site: SiteQuery = None
    ) -> Response:
        """Delete an alert rule and its alerts (operators)."""
        return _call(
            request, "update_alert_rule", {"rule_id": rule_id, "delete": True}, principal, site
        )

    @router.get("/alerts", tags=["alerts"], response_model=AlertList, responses=reads)
    def alerts(
        request: Request,
        principal: Viewer,
        state: Literal["open", "acknowledged", "resolved", "active", "all"] = "active",
        site: SiteQuery = None,
    ) -> Response:
        """Alerts raised by the alert rules, newest first."""
        return _call(request, "list_alerts", {"state": state}, principal, site)

    @router.get(
        "/knowledge/search",
        tags=["knowledge"],
        response_model=KnowledgeResult,
        responses=responses(*COMMON, 503),
    )
    def knowledge(
        request: Request,
        principal: Viewer,
        query: Annotated[
            str, Query(min_length=2, max_length=1000, description="What to look for.")
        ],
        collection: Literal["documents", "incidents", "all"] = "documents",
        k: Annotated[int, Query(ge=1, le=20)] = 4,
    ) -> Response:
        """Passages of the manuals, runbooks and past incidents, best first, with citations."""
        args = {"query": query, "collection": collection, "k": k}
        return _call(request, "search_knowledge", args, principal, None)

    return router
