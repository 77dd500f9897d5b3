"""The HTTP API served on 127.0.0.1 over a copy of the demo plant, with a token of each kind
(viewer, operator, admin, expired, revoked), for the API, MCP and schema tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.app import ApiHandle, build_api, serve
from api.deps import ApiDeps
from api.tokens import TokenStore
from ems_agent.api_wiring import api_deps, routers
from ems_agent.app import App
from ems_agent.context import fixed_clock
from ems_agent.settings import load_settings

# The demo plant's history ends 2026-11-05 (tests/conftest.py); "now" is noon that day.
NOW = datetime(2026, 11, 5, 11, 0, tzinfo=UTC)
ROLES = ("viewer", "operator", "admin")


@dataclass
class Served:
    url: str
    app: App
    deps: ApiDeps
    handle: ApiHandle
    api: FastAPI
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, who: str | None = "viewer", **headers: str) -> httpx.Client:
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


def make_tokens(store: TokenStore) -> dict[str, str]:
    made = {role: store.create(role, role).secret for role in ROLES}
    made["revoked"] = store.create("revoked", "admin").secret
    store.revoke("revoked")
    past = TokenStore(store.engine, clock=lambda: datetime.now(UTC) - timedelta(hours=2))
    made["expired"] = past.create("expired", "admin", timedelta(hours=1)).secret
    made["unknown"] = "ems_" + "x" * 43
    return made


def start(home: Path, database: Path, **api: Any) -> Served:
    settings = load_settings(home=home, database_url=f"sqlite:///{database}")
    app = App(settings, clock=fixed_clock(NOW))
    deps = api_deps(app)
    if api:
        deps = replace(deps, settings=replace(deps.settings, **api))
    tokens = make_tokens(deps.tokens)
    api = build_api(deps, extra=routers())  # as `ems-agent api` serves it
    handle = serve(api, "127.0.0.1", 0)
    return Served(handle.url, app, deps, handle, api, tokens)


@pytest.fixture(scope="module", name="served")
def served_fixture(
    tmp_path_factory: pytest.TempPathFactory, demo_template: Path
) -> Iterator[Served]:
    """One server for a test module, over its own copy of the demo plant."""
    folder = tmp_path_factory.mktemp("api")
    database = folder / "demo.db"
    shutil.copyfile(demo_template, database)
    running = start(folder / "home", database)
    try:
        yield running
    finally:
        running.handle.close()
        running.app.engine.dispose()
