"""Alert rules may ask that their condition hold for a while before an alert opens ("above
500 kW for more than 30 minutes"): a persistence in seconds, 0 for at once (every existing rule).

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "alert_rules",
        sa.Column("min_duration_s", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )


def downgrade() -> None:
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.drop_column("min_duration_s")
