"""One way to call a tool from the API and the MCP server: the role its declaration needs is
checked, the turn context is made by the root's factory, and the tool runs with it."""

from __future__ import annotations

import typing
from typing import TYPE_CHECKING, Any

from api.auth import needed_role
from api.errors import Forbidden
from common.errors import EMSError
from common.roles import at_least

if TYPE_CHECKING:
    from pydantic import BaseModel

    from api.deps import ApiDeps
    from api.tokens import Principal
    from tools.base import Tool, ToolInput, ToolResult


class UnknownTool(EMSError):
    """A tool name the registry does not hold."""


def output_model(declared: Tool[Any, Any]) -> type[BaseModel]:
    """The tool's result model, from its declared return type (the one declaration)."""
    found: type[BaseModel] = typing.get_type_hints(declared.fn)["return"]
    return found


def allowed(principal: Principal, declared: Tool[Any, Any]) -> bool:
    return at_least(principal.role, needed_role(declared.writes))


def run_tool(
    deps: ApiDeps,
    name: str,
    args: ToolInput | dict[str, Any],
    principal: Principal,
    site: str | None = None,
) -> ToolResult:
    """Run a tool as `principal` at `site` (default: the installation's). A write needs the
    operator role and runs at once: the caller is a program that named the write explicitly,
    where the chat's confirmation guards against a misread sentence."""
    declared = deps.tools.get(name)
    if declared is None:
        raise UnknownTool(f"no tool named {name!r}; GET /api/v1/tools lists them")
    if not allowed(principal, declared):
        raise Forbidden(
            f"{name} changes data and needs the operator role; the token {principal.name!r} "
            f"is a {principal.role}"
        )
    ctx = deps.contexts(site)(user=principal.name, role=principal.role)
    result: ToolResult = declared(ctx, args)
    return result
