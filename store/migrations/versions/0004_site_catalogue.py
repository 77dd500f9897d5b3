"""The site catalogue: a site's region, currency, floor area, calorific value and profile; meter
groups; explicit production links (SEC) between meters.

Columns are added in place (plain ADD COLUMN on both dialects: a SQLite batch copy of `meters`
would trip over the query views that read it). Existing rows get empty groups and profiles.

Earlier releases divided a meter's energy by the production series of the meter named
`<meter>-output`, by convention. Upgrading writes that pairing down once as explicit links, so
an existing store keeps its SEC answers; from here on only the links count, and they can be
seen and changed like any other part of the catalogue.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SITE_COLUMNS = (
    ("region", sa.String(length=64)),
    ("currency", sa.String(length=3)),
    ("floor_area_m2", sa.Float()),
    ("gas_calorific_value", sa.Float()),
)


def upgrade() -> None:
    for name, kind in SITE_COLUMNS:
        op.add_column("sites", sa.Column(name, kind, nullable=True))
    op.add_column(
        "sites", sa.Column("profile", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
    )
    op.add_column(
        "meters", sa.Column("groups", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
    )
    op.create_table(
        "production_links",
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("production_meter_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meter_id"],
            ["meters.id"],
            name=op.f("fk_production_links_meter_id_meters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["production_meter_id"],
            ["meters.id"],
            name=op.f("fk_production_links_production_meter_id_meters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("meter_id", "production_meter_id", name=op.f("pk_production_links")),
    )
    op.execute(
        "INSERT INTO production_links (meter_id, production_meter_id) "
        "SELECT m.id, p.id FROM meters m "
        "JOIN meters p ON p.site_id = m.site_id AND p.name = m.name || '-output' "
        "WHERE EXISTS (SELECT 1 FROM series s WHERE s.meter_id = p.id AND s.metric = 'production') "
        "AND EXISTS (SELECT 1 FROM series s WHERE s.meter_id = m.id AND s.metric = 'energy')"
    )


def downgrade() -> None:
    op.drop_table("production_links")
    with op.batch_alter_table("meters", schema=None) as batch_op:
        batch_op.drop_column("groups")
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("profile")
        for name, _ in reversed(SITE_COLUMNS):
            batch_op.drop_column(name)
