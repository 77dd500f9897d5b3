"""Engines from a URL, with the per-dialect setup the store relies on (SQLite WAL, foreign keys)."""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # A larger page cache keeps bulk upserts fast once the readings index outgrows the default 2 MB.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets its folder; a bare postgresql:// URL uses psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(parsed, pool_pre_ping=True, **kwargs)


def drop_database(admin_url: str, name: str, attempts: int = 10) -> bool:
    """Drop a PostgreSQL database, waiting out sessions (autovacuum) still attached to it.

    Returns False, with a warning, when it is still in use after the attempts: a leftover
    scratch database is not worth failing a run for.
    """
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        for attempt in range(attempts):
            try:
                with admin.connect() as conn:
                    force = " WITH (FORCE)" if attempt % 2 == 0 else ""
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"{force}'))
                return True
            except DBAPIError:
                time.sleep(0.5)
        warnings.warn(f"could not drop database {name}; drop it by hand", stacklevel=2)
        return False
    finally:
        admin.dispose()
