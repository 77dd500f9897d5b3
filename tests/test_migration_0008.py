"""The alert-persistence migration (0008) keeps every existing rule, alerting at once as before."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from store import catalog
from store.migrate import alembic_config, upgrade
from tests.test_migration_0004 import empty_engine, upgrade_to  # noqa: F401 (a fixture)


def test_existing_rules_keep_alerting_at_once(empty_engine: Engine) -> None:  # noqa: F811
    # Up to whatever precedes 0008, so the test follows the chain when revisions land before it.
    previous = ScriptDirectory.from_config(alembic_config()).get_revision("0008").down_revision
    assert isinstance(previous, str)
    upgrade_to(empty_engine, previous)
    with empty_engine.begin() as conn:
        site = catalog.ensure_site(conn, "plant", "Europe/Berlin")
        meter = catalog.ensure_meter(conn, site.id, "press")
        conn.execute(
            text(
                "INSERT INTO alert_rules (site_id, name, meter_id, target, condition, threshold, "
                "unit, window_s, severity, enabled, created_at, updated_at) VALUES (:s, 'r', :m, "
                "'demand', '>', 100, 'kW', 900, 'warning', :on, :t, :t)"
            ),
            {"s": site.id, "m": meter.id, "on": True, "t": "2026-01-01 00:00:00+00:00"},
        )
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        rows = conn.execute(text("SELECT name, min_duration_s FROM alert_rules")).all()
    assert [tuple(r) for r in rows] == [("r", 0)]
