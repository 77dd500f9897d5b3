"""One endpoint per tool, generated from the registry: the tool's own input model is the request
body and its result model the response, so the API cannot disagree with the tools."""

from __future__ import annotations

import inspect
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.auth import Viewer, deps_of, needed_role, require
from api.calls import allowed, output_model, run_tool
from api.deps import ApiDeps
from api.errors import COMMON, responses
from api.tokens import Principal
from tools.base import Tool

SiteQuery = Annotated[
    str | None,
    Query(description="Site name; default: the installation's site (EMS_SITE).", max_length=100),
]


class ToolInfo(BaseModel):
    name: str
    description: str
    writes: bool = Field(description="Whether the tool changes data (needs the operator role).")
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]


class ToolCatalogue(BaseModel):
    tools: list[ToolInfo]


def json_response(model: BaseModel) -> Response:
    """A result as JSON, serialised by its own model (validated when it was made)."""
    return Response(model.model_dump_json(), media_type="application/json")


def _endpoint(declared: Tool[Any, Any]) -> Any:
    def endpoint(request: Request, args: Any, principal: Principal, site: str | None) -> Response:
        return json_response(run_tool(deps_of(request), declared.name, args, principal, site))

    # FastAPI reads the signature: the body is the tool's own input model.
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                "request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request
            ),
            inspect.Parameter(
                "args",
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                annotation=Annotated[declared.input_model, Body()],
            ),
            inspect.Parameter(
                "principal",
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                annotation=Annotated[Principal, Depends(require(needed_role(declared.writes)))],
            ),
            inspect.Parameter(
                "site", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=SiteQuery, default=None
            ),
        ]
    )
    return endpoint


def tool_router(deps: ApiDeps) -> APIRouter:
    router = APIRouter(prefix="/tools", tags=["tools"])

    @router.get("", response_model=ToolCatalogue, responses=responses(*COMMON))
    def list_tools(request: Request, principal: Viewer) -> ToolCatalogue:
        """The tools this token may call, with their input and output schemas."""
        tools = deps_of(request).tools
        return ToolCatalogue(
            tools=[
                ToolInfo(
                    name=name,
                    description=t.description,
                    writes=t.writes,
                    input_schema=t.input_model.model_json_schema(),
                    output_schema=output_model(t).model_json_schema(),
                )
                for name, t in sorted(tools.items())
                if allowed(principal, t)
            ]
        )

    for name, declared in sorted(deps.tools.items()):
        role = needed_role(declared.writes)
        router.add_api_route(
            f"/{name}",
            _endpoint(declared),
            methods=["POST"],
            name=name,
            operation_id=name,
            summary=declared.description.split("\n")[0][:120],
            description=f"{declared.description}\n\nNeeds the {role} role.",
            response_model=output_model(declared),
            responses=responses(*COMMON, 404, 409, 503),
        )
    return router
