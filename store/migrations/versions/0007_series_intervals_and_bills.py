"""Any interval: each series' interval history, billing series, and the bills table.

`series_intervals` keeps when a series' interval changed (a meter swapped from hourly to
15-minute readings); `series.billing` marks a series whose daily values are pro-rated from
`bills`. Earlier releases stored a declared `billing` interval as 0 seconds: it becomes a
billing series with one value a day. Every interval a series already had becomes the first
entry of its history, as declared (earlier releases did not tell a declared interval from one
an import saw).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-18
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: a SQLite batch copy of `series` would trip over the query views.
    op.add_column(
        "series",
        sa.Column("billing", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "series_intervals",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("start_ts", sa.BigInteger(), nullable=False),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        sa.Column("billing", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["series.id"],
            name=op.f("fk_series_intervals_series_id_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("series_id", "start_ts", name=op.f("pk_series_intervals")),
    )
    op.create_table(
        "bills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=True),
        sa.Column("peak_kw", sa.Float(), nullable=True),
        sa.Column("estimated", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_bills_series_id_series"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bills")),
        sa.UniqueConstraint("series_id", "start_date", name=op.f("uq_bills_series_id")),
    )
    op.execute("UPDATE series SET billing = TRUE, interval_s = 86400 WHERE interval_s = 0")
    op.execute(
        "INSERT INTO series_intervals (series_id, start_ts, interval_s, billing, source) "
        "SELECT id, 0, interval_s, billing, 'declared' FROM series WHERE interval_s IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_table("bills")
    op.drop_table("series_intervals")
    op.execute("UPDATE series SET interval_s = 0 WHERE billing")
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.drop_column("billing")
