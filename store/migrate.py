"""Schema migrations: bring any store, new or old, to the current schema in place."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade(engine: Engine) -> bool:
    """Migrate to the newest schema; returns True when anything was applied."""
    if current_revision(engine) == head_revision():
        return False
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
