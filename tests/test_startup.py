"""What the command line loads before it answers: `--help` and `meters` never load the
analytics, agent or front-end libraries, a meter question never loads Chroma or Gradio, and an
up-to-date store is recognised without Alembic. (How long it takes is benchmarks/cli_bench.py's
job; this checks what is imported, which a slow machine cannot blur.)"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from store.engine import make_engine
from store.migrate import files_head, head_revision, upgrade

ROOT = Path(__file__).resolve().parent.parent
ANALYTICS = {"sklearn", "scipy"}
AGENT = {"langchain", "langchain_core", "langgraph", "openai"}
FRONT_ENDS = {"chromadb", "gradio", "slack_bolt", "matplotlib", "plotly"}

RUN = """
import json, sys
from ems_agent.cli import app
code = None
try:
    app(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
modules = sorted({m.split(".")[0] for m in sys.modules})
sys.stderr.write("\\nMODULES " + json.dumps({"exit": code, "modules": modules}))
"""


def loaded(home: Path, *args: str) -> set[str]:
    """The top-level packages imported by `ems-agent ARGS`, run in a fresh interpreter."""
    env = {**os.environ, "EMS_HOME": str(home), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", RUN, *args], env=env, capture_output=True, text=True, timeout=300
    )
    marker = done.stderr.rfind("MODULES ")
    assert marker >= 0, done.stderr
    found = json.loads(done.stderr[marker + len("MODULES ") :])
    assert found["exit"] in (0, None), done.stderr  # the command itself succeeded
    return set(found["modules"])


@pytest.fixture
def demo_home(tmp_path: Path, demo_template: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(demo_template, home / "ems.db")
    return home


def test_help_loads_no_library_of_the_commands(tmp_path: Path) -> None:
    modules = loaded(tmp_path, "--help")
    assert "ems_agent" in modules
    assert modules & (ANALYTICS | AGENT | FRONT_ENDS | {"pandas", "sqlalchemy", "alembic"}) == set()


def test_meters_loads_no_pandas_analytics_agent_or_front_end(demo_home: Path) -> None:
    modules = loaded(demo_home, "meters", "--json")
    assert "sqlalchemy" in modules
    assert modules & (ANALYTICS | AGENT | FRONT_ENDS | {"alembic", "pandas"}) == set()


def test_a_meter_question_loads_no_knowledge_store_or_page(demo_home: Path) -> None:
    question = "what was compressor-2's peak demand last week?"
    modules = loaded(demo_home, "ask", question, "--now", "2026-11-05T09:00", "--json")
    assert {"langchain", "langgraph"} <= modules
    assert modules & (ANALYTICS | FRONT_ENDS | {"alembic", "openai"}) == set()


def test_the_newest_revision_is_read_from_the_scripts_as_alembic_reads_it() -> None:
    assert files_head() == head_revision()


def test_an_up_to_date_store_needs_no_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert upgrade(make_engine(url)) is True  # a new store is migrated by Alembic
    probe = (
        "import sys; from store.engine import make_engine; from store.migrate import upgrade; "
        f"print(upgrade(make_engine({url!r})), 'alembic' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.stdout.split() == ["False", "False"], done.stderr
