"""Shared fixtures: a migrated store on SQLite and on a real PostgreSQL, isolated state per test.

PostgreSQL comes from EMS_TEST_PG_URL (an admin URL; each test run creates and drops its own
database). Without a reachable server the PostgreSQL cases skip on a laptop and fail under CI.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import settings
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from store.engine import drop_database, make_engine
from store.migrate import upgrade
from store.schema import Base

# The scripted OpenAI-compatible server's fixture (openai_server) for every test module.
pytest_plugins = ["tests.openai_server"]

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_URL = os.environ.get("EMS_TEST_PG_URL", "postgresql+psycopg://ems:ems@127.0.0.1:5432/postgres")

# Hypothesis: no per-example deadline anywhere (the machine is shared, a deadline only makes
# timing flakes); under CI the same examples every run, nothing kept between runs, and a
# failure printed with the blob that reproduces it. HYPOTHESIS_PROFILE chooses one by hand.
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if IN_CI else "dev"))


def need_server(reason: str) -> None:
    """Skip on a developer's machine; under CI a missing server is a failure, never a skip."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: integration tests may not skip)")
    pytest.skip(reason)


# Variables that point the product at a model, Slack, a mail server, a webhook or a Chroma server,
# or carry their secrets: a developer's shell may export any of them, a test never sees them.
OUTSIDE_WORLD = (
    "EMS_LLM_",
    "OPENAI_",
    "AZURE_OPENAI_",
    "LANGCHAIN_",
    "LANGSMITH_",
    "SLACK_",
    "EMS_SLACK_",
    "EMS_SMTP_",
    "EMS_WEBHOOK_",
    "EMS_CHROMA_",
    "EMS_MQTT_",
    "EMS_REMOTE_",
    "EMS_API_TOKEN",
)


class RealModelCall(RuntimeError):
    """A test built an OpenAI client for an endpoint that is not its own local server."""


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own EMS_HOME and none of the developer's endpoints or secrets;
    nothing a test does touches a real installation, a model, Slack or a mail server."""
    monkeypatch.setenv("EMS_HOME", str(tmp_path / "ems-home"))
    monkeypatch.delenv("EMS_DATABASE_URL", raising=False)
    monkeypatch.delenv("EMS_CONFIG", raising=False)
    clear_outside_world(monkeypatch)


def clear_outside_world(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(OUTSIDE_WORLD):
            monkeypatch.delenv(name)


# Whether the running test may point an OpenAI client at a loopback address of its own.
_LOCAL_MODEL = {"allowed": False}


def _guarded(original: Any) -> Any:
    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        from tests.openai_server import LIVE_PORTS

        base = str(kwargs.get("base_url") or "https://api.openai.com/v1")
        parts = urlsplit(base)
        local = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if not local or not (_LOCAL_MODEL["allowed"] or parts.port in LIVE_PORTS):
            raise RealModelCall(
                f"a test built an OpenAI client for {base}: tests talk only to their own "
                "ScriptedOpenAIServer (the openai_server fixture) on 127.0.0.1"
            )
        original(self, *args, **kwargs)

    return init


def _guard_openai(module: ModuleType) -> None:
    for client in (module.OpenAI, module.AsyncOpenAI):
        client.__init__ = _guarded(client.__init__)


class _OpenAIGuard(importlib.abc.MetaPathFinder):
    """Guards the OpenAI clients the moment `openai` is imported, so a test run that never
    builds one does not pay the 0.7 s of importing it just to be safe."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> ModuleSpec | None:
        if name != "openai":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            run = spec.loader.exec_module

            def exec_module(module: ModuleType) -> None:
                run(module)
                _guard_openai(module)

            spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if "openai" in sys.modules:
    _guard_openai(sys.modules["openai"])
else:
    sys.meta_path.insert(0, _OpenAIGuard())


@pytest.fixture(autouse=True)
def _no_real_model(request: pytest.FixtureRequest) -> Iterator[None]:
    """An OpenAI client may only be built for a scripted server the test runs on 127.0.0.1
    (the `openai_server` fixture or a ScriptedOpenAIServer), or for a loopback address when the
    test is marked `local_model`; anything else raises before a request can leave."""
    _LOCAL_MODEL["allowed"] = request.node.get_closest_marker("local_model") is not None
    yield
    _LOCAL_MODEL["allowed"] = False


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session."""
    try:
        admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any connection failure means: no server here
        yield f"unavailable: {exc.__class__.__name__}: {exc}".splitlines()[0]
        return
    name = f"ems_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        admin.dispose()
        drop_database(PG_URL, name)


def _truncate_all(engine: Engine) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Engine]:
    """A migrated, empty store; every test using it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "store.db"
        shutil.copyfile(sqlite_template, path)
        eng = make_engine(f"sqlite:///{path}")
    else:
        url = request.getfixturevalue("pg_database")
        if url.startswith("unavailable"):
            need_server(f"PostgreSQL not reachable at EMS_TEST_PG_URL ({url})")
        eng = make_engine(url)
        _truncate_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    """A migrated, empty SQLite store, for tests that are about something other than the dialect."""
    path = tmp_path / "store.db"
    shutil.copyfile(sqlite_template, path)
    eng = make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()


DEMO_END = date(2026, 11, 5)
DEMO_DAYS = 70


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """The demo plant's last 70 days up to 2026-11-05, simulated once per test session."""
    from connectors.demo import load_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    load_demo(engine, seed=42, days=DEMO_DAYS, end=DEMO_END)
    engine.dispose()
    return path


@pytest.fixture
def demo_engine(tmp_path: Path, demo_template: Path) -> Iterator[Engine]:
    """A private copy of the demo plant store, free to write to."""
    path = tmp_path / "demo.db"
    shutil.copyfile(demo_template, path)
    eng = make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()
