"""Incident history and rules that start from now.

`incident_history` keeps an incident's timeline: the watcher's re-assessments (each field that
changed, with its old and new value) and what people did (acknowledged, noted, resolved). The
notes earlier releases kept inside `incidents.details["notes"]` move into it, oldest first.

`alert_rules.active_from_ts` is the first window a rule watches, so a rule made today never
raises alerts for the history before it. Existing rules keep watching every window (NULL).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-20
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ACTIONS = {"acknowledge": "acknowledged", "resolve": "resolved"}


def _moment(text: Any) -> datetime:
    try:
        stamp = datetime.fromisoformat(str(text))
    except ValueError:
        return datetime.now(UTC)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def upgrade() -> None:
    op.create_table(
        "incident_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_history_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_history")),
    )
    op.create_index(
        op.f("ix_incident_history_incident_id"), "incident_history", ["incident_id"], unique=False
    )
    # Plain ADD COLUMN on both dialects (a SQLite batch copy would trip over the query views).
    op.add_column("alert_rules", sa.Column("active_from_ts", sa.BigInteger(), nullable=True))
    _move_notes()


def _move_notes() -> None:
    bind = op.get_bind()
    history = sa.table(
        "incident_history",
        sa.column("incident_id", sa.Integer()),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("by", sa.String()),
        sa.column("action", sa.String()),
        sa.column("note", sa.Text()),
        sa.column("changes", sa.JSON()),
    )
    rows = []
    for incident_id, details in bind.execute(sa.text("SELECT id, details FROM incidents")):
        data = json.loads(details) if isinstance(details, str) else dict(details or {})
        for note in data.get("notes", []):
            action = str(note.get("action", "note"))
            rows.append(
                {
                    "incident_id": incident_id,
                    "at": _moment(note.get("at")),
                    "by": str(note.get("by") or "?"),
                    "action": ACTIONS.get(action, action),
                    "note": note.get("note"),
                    "changes": {},
                }
            )
    if rows:
        op.bulk_insert(history, rows)


def downgrade() -> None:
    op.drop_column("alert_rules", "active_from_ts")
    op.drop_index(op.f("ix_incident_history_incident_id"), table_name="incident_history")
    op.drop_table("incident_history")
