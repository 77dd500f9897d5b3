"""Incident lifecycle: a natural key, the pending notice, currency, who acknowledged and resolved.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = (
    ("dedup_key", sa.String(length=200)),
    ("pending", sa.String(length=16)),
    ("currency", sa.String(length=3)),
    ("acknowledged_by", sa.String(length=100)),
    ("acknowledged_at", sa.DateTime(timezone=True)),
    ("resolved_by", sa.String(length=100)),
    ("resolved_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        for name, kind in COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
        batch_op.create_unique_constraint(op.f("uq_incidents_site_id"), ["site_id", "dedup_key"])


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_incidents_site_id"), type_="unique")
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
