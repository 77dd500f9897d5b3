"""`ems-agent ask` forwarded to a running EMS API (EMS_REMOTE_URL, EMS_API_TOKEN): the same
answer as in the process, follow-ups in the server's thread, and each way it can fail."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api_fixtures import Served, start

EXE = str(Path(sys.executable).with_name("ems-agent"))
# The server's clock (tests/api_fixtures.NOW) in the demo site's zone.
NOW_LOCAL = "2026-11-05T12:00:00+01:00"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, demo_template: Path) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("remote")
    database = folder / "demo.db"
    shutil.copyfile(demo_template, database)
    running = start(folder / "server-home", database)
    try:
        yield running
    finally:
        running.handle.close()
        running.app.engine.dispose()


@pytest.fixture
def home(tmp_path: Path, demo_template: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(demo_template, home / "ems.db")
    return home


def run(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "EMS_HOME": str(home), **env}
    for name in ("EMS_LLM_MODEL", "EMS_LLM_BASE_URL"):
        full.pop(name, None)
    return subprocess.run([EXE, *args], env=full, capture_output=True, text=True, timeout=120)


def remote(served: Served, who: str = "viewer") -> dict[str, str]:
    return {"EMS_REMOTE_URL": served.url, "EMS_API_TOKEN": served.tokens[who]}


def test_a_forwarded_answer_is_the_one_the_process_would_give(served: Served, home: Path) -> None:
    question = "energy of line-a yesterday"
    forwarded = run(home, "ask", question, "--json", **remote(served))
    assert forwarded.returncode == 0, forwarded.stderr
    here = run(home, "ask", question, "--json", "--local", "--now", NOW_LOCAL, **remote(served))
    assert here.returncode == 0, here.stderr
    there, mine = json.loads(forwarded.stdout), json.loads(here.stdout)
    assert there["answer"] == mine["answer"]
    assert [c["name"] for c in there["tool_calls"]] == [c["name"] for c in mine["tool_calls"]]
    assert [c["args"] for c in there["tool_calls"]] == [c["args"] for c in mine["tool_calls"]]
    assert there["outcome"] == "answer"


def test_a_follow_up_continues_the_servers_thread(served: Served, home: Path) -> None:
    first = run(home, "ask", "energy of line-a yesterday", "--json", **remote(served))
    assert first.returncode == 0, first.stderr
    thread = json.loads(first.stdout)["thread"]
    follow = run(home, "ask", "and the day before?", "--thread", thread, "--json", **remote(served))
    assert follow.returncode == 0, follow.stderr
    reply = json.loads(follow.stdout)
    assert reply["thread"] == thread
    (call,) = reply["tool_calls"]
    assert call["args"]["meters"] == ["line-a"]


def test_the_plain_output_names_the_server(served: Served, home: Path) -> None:
    done = run(home, "ask", "energy of line-a yesterday", **remote(served))
    assert done.returncode == 0, done.stderr
    assert "kWh" in done.stdout
    assert served.url in done.stderr and "query_metric" in done.stderr


def test_a_server_that_is_not_running_is_named(home: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    done = run(home, "ask", "energy of line-a yesterday", EMS_REMOTE_URL=url, EMS_API_TOKEN="x")
    assert done.returncode == 1
    assert f"could not reach the EMS API at {url}" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("who", ["revoked", "expired", "unknown"])
def test_a_refused_token_is_said(served: Served, home: Path, who: str) -> None:
    done = run(home, "ask", "energy of line-a yesterday", **remote(served, who))
    assert done.returncode == 1
    assert "refused the token in EMS_API_TOKEN" in done.stderr


def test_a_missing_token_names_the_variable(served: Served, home: Path) -> None:
    done = run(home, "ask", "energy of line-a yesterday", EMS_REMOTE_URL=served.url)
    assert done.returncode == 1
    assert "EMS_API_TOKEN" in done.stderr


def test_options_the_server_cannot_honour_are_refused_not_dropped(
    served: Served, home: Path
) -> None:
    done = run(
        home, "ask", "energy of line-a", "--now", NOW_LOCAL, "--role", "admin", **remote(served)
    )
    assert done.returncode == 1
    assert "--now, --role cannot be sent to the EMS API" in done.stderr
    assert "--local" in done.stderr
