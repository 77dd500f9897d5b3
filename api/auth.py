"""Who a request acts for: its bearer token checked on every request, and the role each route
needs (reads a viewer, writes an operator, the catalogue's apply an admin)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import Forbidden
from api.tokens import Principal
from common.roles import Role, at_least

if TYPE_CHECKING:
    from api.deps import ApiDeps

bearer = HTTPBearer(
    auto_error=False,
    description="An API token from `ems-agent tokens create --name NAME --role viewer`.",
)


def deps_of(request: Request) -> ApiDeps:
    deps: ApiDeps = request.app.state.deps
    return deps


def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    """The token's principal; a TokenError (401) when it is missing, unknown, expired or
    revoked. Also used by the MCP endpoint."""
    secret = credentials.credentials if credentials is not None else None
    principal = deps_of(request).tokens.verify(secret)
    request.state.principal = principal
    return principal


def require(role: Role) -> Callable[..., Principal]:
    """A dependency that admits tokens of `role` or above."""

    def check(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal:
        principal = authenticate(request, credentials)
        if not at_least(principal.role, role):
            raise Forbidden(
                f"this needs the {role} role; the token {principal.name!r} is a {principal.role}"
            )
        return principal

    check.__name__ = f"require_{role}"
    return check


Viewer = Annotated[Principal, Depends(require("viewer"))]
Operator = Annotated[Principal, Depends(require("operator"))]
Admin = Annotated[Principal, Depends(require("admin"))]


def needed_role(writes: bool) -> Role:
    """The role a tool needs: a write an operator's, a read a viewer's."""
    return "operator" if writes else "viewer"
