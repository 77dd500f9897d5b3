"""`ems-agent ask` and `ems-agent chat` on the demo plant, through the real command line."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import text

from store.engine import make_engine

EXE = str(Path(sys.executable).with_name("ems-agent"))


@pytest.fixture
def home(tmp_path: Path, demo_template: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(demo_template, home / "ems.db")
    return home


def run(
    home: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EMS_HOME": str(home), **(env or {})}
    env.pop("EMS_LLM_MODEL", None)
    env.pop("EMS_LLM_BASE_URL", None)
    return subprocess.run(
        [EXE, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def test_ask_json_is_one_object_with_the_contract(home: Path) -> None:
    done = run(home, "ask", "energy of line-a yesterday", "--now", "2026-11-05T00:00", "--json")
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)
    assert set(reply) >= {"answer", "tool_calls", "thread", "model", "latency_ms"}
    assert reply["model"] == "offline-planner"
    (call,) = reply["tool_calls"]
    assert call["name"] == "query_metric"
    assert call["args"] == {"meters": ["line-a"], "metric": "energy", "period": "yesterday"}
    day = datetime(2026, 11, 4, tzinfo=ZoneInfo("Europe/Berlin"))
    engine = make_engine(f"sqlite:///{home / 'ems.db'}")
    with engine.connect() as conn:
        frame = pd.read_sql(
            text(
                "SELECT r.value FROM readings r JOIN series s ON s.id = r.series_id JOIN meters m "
                "ON m.id = s.meter_id WHERE m.name = 'line-a' AND r.ts >= :lo AND r.ts < :hi"
            ),
            conn,
            params={"lo": int(day.timestamp()), "hi": int((day + timedelta(days=1)).timestamp())},
        )
    engine.dispose()
    assert call["result"]["totals"][0]["value"] == pytest.approx(frame["value"].sum())
    assert f"{frame['value'].sum():,.0f}" in reply["answer"]


def test_follow_up_through_the_thread_option(home: Path) -> None:
    now = ("--now", "2026-11-05T00:00", "--json")
    first = json.loads(run(home, "ask", "peak demand of the chiller last week", *now).stdout)
    second = run(home, "ask", "and the week before?", "--thread", first["thread"], *now)
    follow = json.loads(second.stdout)
    assert follow["thread"] == first["thread"]
    assert follow["tool_calls"][0]["args"]["meter"] == "chiller"
    assert follow["tool_calls"][0]["args"]["period"] != first["tool_calls"][0]["args"]["period"]


def test_bad_options_give_one_clear_line(home: Path) -> None:
    done = run(home, "ask", "energy yesterday", "--now", "next tuesday")
    assert done.returncode == 1
    assert "--now 'next tuesday' is not an ISO time" in done.stderr
    assert "Traceback" not in done.stderr
    done = run(home, "ask", "energy yesterday", "--role", "boss")
    assert done.returncode == 1 and "--role 'boss'" in done.stderr


def test_missing_api_key_names_the_variable(home: Path) -> None:
    env_home = home
    done = subprocess.run(
        [EXE, "ask", "hi"],
        env={**os.environ, "EMS_HOME": str(env_home), "EMS_LLM_MODEL": "gpt-4o-mini"}
        | {"OPENAI_API_KEY": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "OPENAI_API_KEY" in done.stderr and "EMS_LLM_BASE_URL" in done.stderr


def test_chat_keeps_the_conversation(home: Path) -> None:
    done = run(
        home,
        "chat",
        "--now",
        "2026-11-05T00:00",
        stdin="gas use of the boiler last week\nand the week before?\n",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("boiler") >= 2
    assert "26 Oct 2026" in done.stdout and "19 Oct 2026" in done.stdout


def test_a_knowledge_store_that_is_down_costs_meter_questions_nothing(home: Path) -> None:
    """The store opens only when a question needs it: with the Chroma server down a meter
    question is answered, and nothing is said about the knowledge store."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    env_home = {"EMS_CHROMA_URL": f"http://127.0.0.1:{closed}"}
    done = run(
        home,
        "ask",
        "energy of line-a yesterday",
        "--now",
        "2026-11-05T00:00",
        "--json",
        env=env_home,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tool_calls"][0]["name"] == "query_metric"
    assert "knowledge" not in done.stderr
