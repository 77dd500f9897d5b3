"""The agent on an OpenAI-compatible endpoint: the real `openai` client (through LangChain's
ChatOpenAI) against a scripted server on 127.0.0.1, tool calls and streaming on the wire."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text

from agent.loop import Agent
from agent.memory import sqlite_memory
from agent.models import ModelUnavailable, make_backend
from ems_agent.context import TurnContexts, fixed_clock
from ems_agent.settings import Settings
from ems_agent.slices import llm_settings
from store import catalog
from tests.openai_server import Reply, ScriptedOpenAIServer
from tools.registry import all_tools

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 5, 0, 0, tzinfo=TZ)


def make_agent(engine: Engine, base_url: str, home: Path, **settings: Any) -> Agent:
    with engine.connect() as conn:
        site = catalog.get_site(conn, "demo-plant")
    config = Settings(
        home=home, llm_base_url=base_url, llm_model="test-model", llm_timeout_s=5, **settings
    )
    return Agent(
        make_backend(llm_settings(config)),
        all_tools(),
        sqlite_memory(home / "threads.db"),
        TurnContexts(engine, site, clock=fixed_clock(NOW)),
    )


def week_total(engine: Engine, meter: str) -> float:
    lo, hi = datetime(2026, 10, 26, tzinfo=TZ), datetime(2026, 11, 2, tzinfo=TZ)
    sql = text(
        "SELECT sum(r.value) FROM readings r JOIN series s ON s.id = r.series_id JOIN meters m "
        "ON m.id = s.meter_id WHERE m.name = :m AND s.metric = 'energy' AND r.ts >= :lo "
        "AND r.ts < :hi"
    )
    with engine.connect() as conn:
        params = {"m": meter, "lo": int(lo.timestamp()), "hi": int(hi.timestamp())}
        return float(conn.execute(sql, params).scalar_one())


def test_tool_call_and_answer_on_the_wire(
    openai_server: ScriptedOpenAIServer, demo_engine: Engine, tmp_path: Path
) -> None:
    expected = week_total(demo_engine, "compressor-2")

    def answer(body: dict[str, Any]) -> Reply:
        tool_message = body["messages"][-1]
        assert tool_message["role"] == "tool"
        value = json.loads(tool_message["content"])["totals"][0]["value"]
        return Reply.text(f"compressor-2 used {value:,.0f} kWh last week.")

    openai_server.add(
        Reply.tool_calls([("query_metric", {"meters": ["compressor-2"], "period": "last week"})]),
        answer,
    )
    agent = make_agent(demo_engine, openai_server.base_url, tmp_path)
    events = list(agent.stream("How much did compressor-2 use last week?"))
    *pieces, reply = events
    assert not isinstance(reply, str)
    assert reply.answer == f"compressor-2 used {expected:,.0f} kWh last week."
    assert len(pieces) > 3  # the answer arrived token by token
    assert reply.model == "test-model"
    assert reply.tool_calls[0].result["totals"][0]["value"] == pytest.approx(expected)

    first = openai_server.chat_requests[0].body
    assert first["model"] == "test-model" and first["stream"] is True
    assert {t["function"]["name"] for t in first["tools"]} == set(all_tools())
    system = first["messages"][0]
    assert system["role"] == "system"
    assert "demo-plant" in system["content"] and "2026-11-05" in system["content"]
    assert first["messages"][-1] == {
        "role": "user",
        "content": "How much did compressor-2 use last week?",
    }


def test_a_write_proposed_by_the_model_waits_for_yes(
    openai_server: ScriptedOpenAIServer, demo_engine: Engine, tmp_path: Path
) -> None:
    rule = {
        "meter": "line-a",
        "target": "sec",
        "condition": ">",
        "threshold": 0.42,
        "unit": "kWh/unit",
        "window": "day",
    }
    openai_server.add(Reply.tool_calls([("create_alert_rule", rule)]), Reply.text("Created."))
    agent = make_agent(demo_engine, openai_server.base_url, tmp_path)
    proposal = agent.ask("alert me when line-A's SEC passes 0.42 kWh/unit")
    assert proposal.outcome == "confirm" and "0.42" in proposal.answer
    assert len(openai_server.chat_requests) == 1
    with demo_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alert_rules")).scalar_one() == 0
    done = agent.ask("yes", thread=proposal.thread)
    assert done.answer == "Created."
    with demo_engine.connect() as conn:
        assert conn.execute(text("SELECT threshold FROM alert_rules")).scalar_one() == 0.42


def test_rate_limits_are_retried(
    openai_server: ScriptedOpenAIServer, demo_engine: Engine, tmp_path: Path
) -> None:
    openai_server.add(
        Reply.error(status=429, headers={"retry-after-ms": "1"}), Reply.text("Hello there.")
    )
    reply = make_agent(demo_engine, openai_server.base_url, tmp_path).ask("hi")
    assert reply.answer == "Hello there."
    assert len(openai_server.chat_requests) == 2


def test_a_wrong_key_is_named(demo_engine: Engine, tmp_path: Path) -> None:
    with ScriptedOpenAIServer(api_key="sk-right") as server:
        agent = make_agent(demo_engine, server.base_url, tmp_path)
        with pytest.raises(ModelUnavailable, match=r"refused the API key.*OPENAI_API_KEY"):
            agent.ask("hi")


@pytest.mark.local_model
def test_an_unreachable_endpoint_is_named(demo_engine: Engine, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    agent = make_agent(demo_engine, f"http://127.0.0.1:{port}/v1", tmp_path, llm_max_retries=0)
    with pytest.raises(ModelUnavailable, match=r"cannot reach.*EMS_LLM_BASE_URL"):
        agent.ask("hi")


def test_the_command_line_uses_the_endpoint_from_settings(
    openai_server: ScriptedOpenAIServer, demo_template: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(demo_template, home / "ems.db")
    openai_server.add(Reply.text("Ready."))
    env = {
        **os.environ,
        "EMS_HOME": str(home),
        "EMS_LLM_BASE_URL": openai_server.base_url,
        "EMS_LLM_MODEL": "test-model",
        "OPENAI_API_KEY": "sk-local",
    }
    exe = str(Path(sys.executable).with_name("ems-agent"))
    done = subprocess.run(
        [exe, "ask", "hi", "--json"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["model"] == "test-model"
    assert openai_server.chat_requests[0].authorization == "Bearer sk-local"
