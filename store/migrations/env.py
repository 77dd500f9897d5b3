"""Alembic environment: runs the store's migrations on the connection handed in by store.migrate."""

from __future__ import annotations

from alembic import context

from store.schema import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `ems-agent migrate` (store.migrate.upgrade)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
