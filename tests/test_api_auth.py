"""Every route of the HTTP API against every kind of token: no token, an unknown, expired or
revoked one are refused (401); a role below the route's is refused (403); the route's role and
those above it get through. Which role a route needs is written here, from the product's rules
(reads a viewer, writes an operator, the catalogue's apply an admin), not read from the code."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.api_fixtures import ROLES, Served, served_fixture  # noqa: F401
from tools.registry import all_tools

# Routes that change data, besides the tools that declare `writes`.
OPERATOR = {
    ("POST", "/api/v1/readings"),
    ("POST", "/api/v1/incidents/{incident_id}/acknowledge"),
    ("POST", "/api/v1/incidents/{incident_id}/resolve"),
    ("POST", "/api/v1/alert-rules"),
    ("PATCH", "/api/v1/alert-rules/{rule_id}"),
    ("DELETE", "/api/v1/alert-rules/{rule_id}"),
}
ADMIN = {("PUT", "/api/v1/catalog")}
READS = {
    ("GET", "/api/v1/tools"),
    ("POST", "/api/v1/ask"),
    ("GET", "/api/v1/sites"),
    ("GET", "/api/v1/meters"),
    ("GET", "/api/v1/catalog"),
    ("GET", "/api/v1/readings"),
    ("GET", "/api/v1/rollups"),
    ("GET", "/api/v1/incidents"),
    ("GET", "/api/v1/incidents/{incident_id}"),
    ("GET", "/api/v1/alert-rules"),
    ("GET", "/api/v1/alerts"),
    ("GET", "/api/v1/knowledge/search"),
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/metrics"),
    ("GET", "/api/v1/export"),
    ("POST", "/api/v1/export/answer"),
    ("GET", "/api/v1/reports"),
}
NOW_TS = int(time.time())
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/ask"): {"question": "What was the site's energy yesterday?"},
    ("POST", "/api/v1/readings"): [
        {"meter": "auth-probe", "metric": "energy", "ts": NOW_TS - 900, "value": 1.0}
    ],
    ("POST", "/api/v1/incidents/{incident_id}/acknowledge"): {},
    ("POST", "/api/v1/incidents/{incident_id}/resolve"): {"note": "checked"},
    ("POST", "/api/v1/alert-rules"): {
        "meter": "main-incomer",
        "target": "demand",
        "condition": ">",
        "threshold": 5000,
        "unit": "kW",
    },
    ("PATCH", "/api/v1/alert-rules/{rule_id}"): {"threshold": 6000},
    ("POST", "/api/v1/tools/query_metric"): {"period": "yesterday"},
    ("POST", "/api/v1/export/answer"): {"tool_calls": [], "format": "xlsx"},
}
PARAMS: dict[str, dict[str, str]] = {
    "/api/v1/readings": {"meter": "main-incomer", "period": "yesterday"},
    "/api/v1/rollups": {"meter": "main-incomer", "period": "yesterday"},
    "/api/v1/knowledge/search": {"query": "compressed air leaks"},
    "/api/v1/export": {"meter": "main-incomer", "period": "yesterday", "grain": "hour"},
    # A month that has not begun: refused at once, after the token and role are checked.
    "/api/v1/reports": {"month": "2027-01", "format": "json"},
}


def expected_role(method: str, path: str) -> str:
    tools = all_tools()
    name = path.removeprefix("/api/v1/tools/")
    if method == "POST" and name in tools:
        return "operator" if tools[name].writes else "viewer"
    if (method, path) in ADMIN:
        return "admin"
    if (method, path) in OPERATOR:
        return "operator"
    assert (method, path) in READS, f"{method} {path} is not classified in this test"
    return "viewer"


def routes(served: Served) -> list[tuple[str, str]]:
    # Included routers are resolved lazily by FastAPI; the schema lists every operation.
    paths = served.api.openapi()["paths"]
    return sorted((method.upper(), path) for path, ops in paths.items() for method in ops)


def call(served: Served, who: str | None, method: str, path: str) -> int:
    url = path.replace("{incident_id}", "1").replace("{rule_id}", "1")
    body = BODIES.get((method, path))
    if body is None and method in ("POST", "PUT", "PATCH"):
        body = {}
    kwargs: dict[str, Any] = {"params": PARAMS.get(path)}
    if (method, path) == ("PUT", "/api/v1/catalog"):
        kwargs["content"] = "version: 1\nsite: {name: demo-plant, timezone: Europe/Berlin}\n"
        kwargs["headers"] = {"Content-Type": "application/yaml"}
        kwargs["params"] = {"dry_run": "true"}
    elif body is not None:
        kwargs["json"] = body
    with served.client(who) as client:
        return client.request(method, url, **kwargs).status_code


def test_every_route_is_classified_and_the_tools_each_have_one(served: Served) -> None:
    found = routes(served)
    tools = {f"/api/v1/tools/{name}" for name in all_tools()}
    assert {p for m, p in found if p.startswith("/api/v1/tools/")} == tools
    for method, path in found:
        expected_role(method, path)  # fails on a route this test does not know
    assert len(found) == len(tools) + len(OPERATOR | ADMIN | READS)


@pytest.mark.parametrize("who", [None, "unknown", "expired", "revoked"])
def test_without_a_valid_token_every_route_answers_401(served: Served, who: str | None) -> None:
    refused = {(m, p): call(served, who, m, p) for m, p in routes(served)}
    assert set(refused.values()) == {401}, {k: v for k, v in refused.items() if v != 401}


@pytest.mark.parametrize("who", ROLES)
def test_each_role_reaches_exactly_the_routes_at_or_below_it(served: Served, who: str) -> None:
    wrong = {}
    for method, path in routes(served):
        needed = expected_role(method, path)
        status = call(served, who, method, path)
        allowed = ROLES.index(who) >= ROLES.index(needed)
        if allowed and status in (401, 403):
            wrong[(method, path)] = f"{status}, but a {who} may"
        elif not allowed and status != 403:
            wrong[(method, path)] = f"{status}, but a {who} may not (needs {needed})"
        elif status >= 500:
            wrong[(method, path)] = f"{status}"
    assert wrong == {}


def test_the_refusals_say_why(served: Served) -> None:
    with served.client(None) as client:
        missing = client.get("/api/v1/sites")
    with served.client("expired") as client:
        expired = client.get("/api/v1/sites")
    with served.client("revoked") as client:
        revoked = client.get("/api/v1/sites")
    with served.client("viewer") as client:
        below = client.post(
            "/api/v1/tools/create_alert_rule", json=BODIES[("POST", "/api/v1/alert-rules")]
        )
    assert missing.headers["www-authenticate"] == "Bearer"
    assert missing.json()["error"] == "TokenMissing" and "tokens create" in missing.json()["detail"]
    assert expired.json()["error"] == "TokenExpired" and "expired on" in expired.json()["detail"]
    assert revoked.json()["error"] == "TokenRevoked"
    assert below.status_code == 403 and "operator role" in below.json()["detail"]


def test_a_token_revoked_while_in_use_is_refused_from_then_on(served: Served) -> None:
    issued = served.deps.tokens.create("short-lived", "viewer")
    headers = {"Authorization": f"Bearer {issued.secret}"}
    with served.client(None, **headers) as client:
        assert client.get("/api/v1/sites").status_code == 200
        served.deps.tokens.revoke("short-lived")
        assert client.get("/api/v1/sites").status_code == 401


def test_only_the_hash_of_a_token_is_stored(served: Served) -> None:
    from sqlalchemy import select

    from store.schema import ApiToken

    with served.app.engine.connect() as conn:
        stored = conn.execute(select(ApiToken.__table__)).all()
    text = repr(stored)
    assert stored and all(secret not in text for secret in served.tokens.values())


def test_tokens_are_verified_on_each_store(engine: Engine) -> None:
    """The token lookup every request makes, on SQLite and PostgreSQL: each token finds its own
    name and role, a revoked or unknown one is refused, whichever is looked up first."""
    from api.tokens import TokenRevoked, TokenStore, TokenUnknown

    tokens = TokenStore(engine)
    made = {name: tokens.create(name, role).secret for name, role in zip("abc", ROLES, strict=True)}
    tokens.revoke("b")
    with pytest.raises(TokenRevoked, match="'b' was revoked"):
        tokens.verify(made["b"])
    for name, role in (("c", "admin"), ("a", "viewer")):
        principal = tokens.verify(made[name])
        assert (principal.name, principal.role) == (name, role)
    with pytest.raises(TokenUnknown):
        tokens.verify(made["a"][:-1] + ("x" if made["a"][-1] != "x" else "y"))
