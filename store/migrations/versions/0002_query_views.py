"""Read-only views for the SQL tool: readings and rollups with names and readable times.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

VIEWS = ("meter_readings", "meter_rollups")


def _time(column: str) -> str:
    if op.get_bind().dialect.name == "postgresql":
        return f"to_timestamp({column})"
    return f"datetime({column}, 'unixepoch')"


def upgrade() -> None:
    op.execute(
        "CREATE VIEW meter_readings AS "
        "SELECT st.name AS site, m.name AS meter, m.kind AS kind, s.metric AS metric, "
        f"s.unit AS unit, r.ts AS ts, {_time('r.ts')} AS time_utc, r.value AS value "
        "FROM readings r JOIN series s ON s.id = r.series_id "
        "JOIN meters m ON m.id = s.meter_id JOIN sites st ON st.id = m.site_id"
    )
    op.execute(
        "CREATE VIEW meter_rollups AS "
        "SELECT st.name AS site, m.name AS meter, s.metric AS metric, s.unit AS unit, "
        "CASE r.grain WHEN 900 THEN '15min' WHEN 3600 THEN 'hour' ELSE 'day' END AS grain, "
        f"r.bucket AS bucket, {_time('r.bucket')} AS bucket_utc, r.n AS n, r.sum AS sum, "
        "r.min AS min, r.max AS max, r.sum / r.n AS avg "
        "FROM rollups r JOIN series s ON s.id = r.series_id "
        "JOIN meters m ON m.id = s.meter_id JOIN sites st ON st.id = m.site_id"
    )


def downgrade() -> None:
    for view in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {view}")
