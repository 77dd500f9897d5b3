"""The MCP server driven by the SDK's own client, over stdio (`ems-agent mcp` as a child
process) and over streamable HTTP at /mcp with API tokens: the tools listed with their
annotations, a KPI called and checked against pandas, a write refused to a viewer."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pandas as pd
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy import text

from tests.api_fixtures import Served, served_fixture  # noqa: F401
from tools.registry import all_tools

ROOT = Path(__file__).resolve().parent.parent
KPI = {"kpi": "energy", "meter": "chiller", "period": "2026-10-01..2026-10-07"}
RULE = {"meter": "chiller", "target": "demand", "condition": ">", "threshold": 900, "unit": "kW"}


def expected_energy(database: str) -> float:
    """The chiller's energy 1-7 October (Berlin) summed by pandas from the raw readings."""
    from store.engine import make_engine

    engine = make_engine(database)
    query = text(
        "SELECT r.ts, r.value FROM readings r JOIN series s ON s.id = r.series_id "
        "JOIN meters m ON m.id = s.meter_id WHERE m.name = 'chiller' AND s.metric = 'energy'"
    )
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(query).all())
    engine.dispose()
    local = pd.to_datetime(frame["ts"], unit="s", utc=True).dt.tz_convert("Europe/Berlin")
    inside = (local >= pd.Timestamp("2026-10-01", tz="Europe/Berlin")) & (
        local < pd.Timestamp("2026-10-08", tz="Europe/Berlin")
    )
    return float(frame[inside]["value"].sum())


async def exercise(client: Client) -> dict[str, Any]:
    tools = (await client.list_tools()).tools
    kpi = await client.call_tool("compute_kpi", KPI)
    write = await client.call_tool("create_alert_rule", RULE)
    return {"tools": {t.name: t for t in tools}, "kpi": kpi, "write": write}


def check_viewer(seen: dict[str, Any], database: str) -> None:
    registry = all_tools()
    reads = {name for name, t in registry.items() if not t.writes}
    assert set(seen["tools"]) == reads  # a viewer is offered the read tools only
    for name in reads:
        annotations = seen["tools"][name].annotations
        assert annotations.read_only_hint is True, name
    kpi = seen["kpi"]
    assert not kpi.is_error
    assert kpi.structured_content["value"] == pytest.approx(expected_energy(database))
    assert seen["tools"]["compute_kpi"].output_schema["title"] == "KpiResult"
    assert seen["write"].is_error and "operator role" in seen["write"].content[0].text


def test_mcp_over_stdio_lists_and_calls_the_tools_and_refuses_a_viewers_write(
    tmp_path: Path, demo_template: Path
) -> None:
    copy = tmp_path / "demo.db"
    shutil.copyfile(demo_template, copy)
    database = f"sqlite:///{copy}"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "EMS_HOME": str(tmp_path / "home"),
        "EMS_DATABASE_URL": database,
    }
    params = StdioServerParameters(
        command=sys.executable,
        args=["-c", "from ems_agent.cli import app; app()", "mcp", "--role", "viewer"],
        env=env,
        cwd=str(tmp_path),
    )

    async def run() -> dict[str, Any]:
        async with Client(params, read_timeout_seconds=120) as client:
            return await exercise(client)

    check_viewer(anyio.run(run), database)


def http_client(served: Served, who: str | None) -> Client:
    headers = {"Authorization": f"Bearer {served.tokens[who]}"} if who else {}
    http = httpx2.AsyncClient(headers=headers, timeout=60)
    return Client(streamable_http_client(f"{served.url}/mcp", http_client=http))


def test_mcp_over_http_with_a_viewer_token(served: Served) -> None:
    async def run() -> dict[str, Any]:
        async with http_client(served, "viewer") as client:
            return await exercise(client)

    check_viewer(anyio.run(run), served.app.settings.db_url)


def test_mcp_over_http_offers_and_runs_writes_for_an_operator(served: Served) -> None:
    async def run() -> dict[str, Any]:
        async with http_client(served, "operator") as client:
            return await exercise(client)

    seen = anyio.run(run)
    writes = {name for name, t in all_tools().items() if t.writes}
    assert writes and writes <= set(seen["tools"])
    for name in writes:
        assert seen["tools"][name].annotations.read_only_hint is False
    assert not seen["write"].is_error and seen["write"].structured_content["threshold"] == 900


@pytest.mark.parametrize("who", [None, "expired", "revoked", "unknown"])
def test_mcp_over_http_refuses_requests_without_a_valid_token(
    served: Served, who: str | None
) -> None:
    headers = {"Authorization": f"Bearer {served.tokens[who]}"} if who else {}
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    answer = httpx2.post(
        f"{served.url}/mcp",
        json=body,
        headers={**headers, "Accept": "application/json, text/event-stream"},
    )
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
