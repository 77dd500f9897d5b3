"""Schema migrations: bring any store, new or old, to the current schema in place."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r"^revision(?:\s*:\s*str)?\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)
_DOWN = re.compile(r"^down_revision(?:\s*:[^=]+)?\s*=\s*(?:None|[\"']([^\"']+)[\"'])", re.MULTILINE)


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def files_head() -> str | None:
    """The newest revision, read from the migration scripts' `revision` and `down_revision`
    lines without loading Alembic; None when the scripts do not say it plainly (then Alembic
    decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN.search(source)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        if down.group(1):
            parents.add(down.group(1))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _stored_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    except DBAPIError:  # no table yet: a new store
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


def upgrade(engine: Engine) -> bool:
    """Migrate to the newest schema; returns True when anything was applied.

    A store already at the newest revision is recognised with one query, without importing
    Alembic (a few tenths of a second on every command)."""
    head = files_head()
    if head is not None and _stored_revision(engine) == head:
        return False
    if current_revision(engine) == head_revision():
        return False
    from alembic import command

    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    _enable_timescale(engine)
    return True


def _enable_timescale(engine: Engine) -> None:
    """Turn readings into a TimescaleDB hypertable where the server has the extension."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        available = conn.execute(
            text("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")
        ).first()
        if available is None:
            return
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS timescaledb"))
        # Integer time: chunks of 30 days of epoch seconds.
        conn.execute(
            text(
                "SELECT create_hypertable('readings', 'ts', chunk_time_interval => 2592000, "
                "if_not_exists => TRUE, migrate_data => TRUE)"
            )
        )
