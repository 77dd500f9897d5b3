"""The site-catalogue migration (0004) upgrades a store made by the previous schema in place:
nothing stored is lost, existing meters keep working, and the previous release's production
pairing becomes explicit links."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from store import catalog, profile, queries
from store.engine import drop_database, make_engine
from store.migrate import alembic_config, current_revision, head_revision, upgrade
from store.writes import write_readings
from tests.conftest import PG_URL, need_server
from tools.base import ToolContext
from tools.kpi import compute_kpi

TZ = "Europe/Berlin"
START = datetime(2026, 3, 2, tzinfo=ZoneInfo(TZ))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A store with no schema at all, on each dialect."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    name = f"ems_mig_{uuid.uuid4().hex[:10]}"
    try:
        admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:  # no server here
        need_server(f"PostgreSQL not reachable at EMS_TEST_PG_URL ({exc.__class__.__name__})")
    engine = make_engine(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        drop_database(PG_URL, name)


def upgrade_to(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def old_store(engine: Engine) -> dict[str, int]:
    """A store at revision 0003 with a site, a tree, a production pairing and readings."""
    upgrade_to(engine, "0003")
    assert current_revision(engine) == "0003"
    rng = np.random.default_rng(4)
    ts = int(START.timestamp()) + 900 * np.arange(96 * 14, dtype=np.int64)
    with engine.begin() as conn:
        site = catalog_0003_site(conn)
        ids = {}
        for name, kind, parent in [
            ("supply", "electricity", None),
            ("press-7", "electricity", "supply"),
            ("press-7-output", "production", None),
            ("oven-output", "production", None),
        ]:
            ids[name] = conn.execute(
                text(
                    "INSERT INTO meters (site_id, name, kind, unit, parent_id, aliases, tags, "
                    "created_at) VALUES (:s, :n, :k, 'kWh', :p, '[\"alias\"]', '{}', "
                    "CURRENT_TIMESTAMP) RETURNING id"
                ),
                {"s": site, "n": name, "k": kind, "p": ids.get(parent or "")},
            ).scalar_one()
        series = {}
        for meter, metric, unit in [
            ("supply", "energy", "kWh"),
            ("press-7", "energy", "kWh"),
            ("press-7-output", "production", "unit"),
            ("oven-output", "production", "unit"),
        ]:
            series[meter] = conn.execute(
                text(
                    "INSERT INTO series (meter_id, metric, unit, additive, cumulative, "
                    "interval_s, created_at) VALUES (:m, :metric, :u, TRUE, FALSE, 900, "
                    "CURRENT_TIMESTAMP) RETURNING id"
                ),
                {"m": ids[meter], "metric": metric, "u": unit},
            ).scalar_one()
            values = rng.gamma(2.0, 3.0, len(ts)).round(3)
            write_readings(conn, series[meter], ts, values, TZ)
    return series


def catalog_0003_site(conn) -> int:  # type: ignore[no-untyped-def]
    return conn.execute(
        text(
            "INSERT INTO sites (name, timezone, country, created_at) "
            "VALUES ('west', :tz, 'DE', CURRENT_TIMESTAMP) RETURNING id"
        ),
        {"tz": TZ},
    ).scalar_one()


def snapshot(engine: Engine) -> dict[str, object]:
    with engine.connect() as conn:
        return {
            table: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2"))]
            for table in ("readings", "rollups")
        } | {
            "meters": [
                tuple(r)
                for r in conn.execute(
                    text("SELECT id, site_id, name, kind, unit, parent_id FROM meters ORDER BY id")
                )
            ]
        }


def test_an_old_store_upgrades_in_place_with_nothing_lost(empty_engine: Engine) -> None:
    series = old_store(empty_engine)
    before = snapshot(empty_engine)
    assert upgrade(empty_engine) is True
    assert current_revision(empty_engine) == head_revision()
    assert snapshot(empty_engine) == before
    with empty_engine.connect() as conn:
        site = catalog.get_site(conn, "west")
        meters = {m.name: m for m in catalog.list_meters(conn, site.id)}
        assert site.region is None and all(m.groups == () for m in meters.values())
        assert meters["press-7"].aliases == ("alias",)
        assert profile.get_profile(conn, site.id) == profile.SiteProfile()
        # The pairing of the release before becomes one explicit link, and no other.
        assert catalog.production_links(conn, site.id) == {
            meters["press-7"].id: (meters["press-7-output"].id,)
        }
        raw = {
            name: queries.readings(conn, sid, 0, 2**40).set_index("ts")["value"]
            for name, sid in series.items()
        }
    # Existing meters keep working: SEC of the line from its linked counter, checked by pandas.
    ctx = ToolContext(empty_engine, site, START + timedelta(days=20))
    sec = compute_kpi(ctx, {"kpi": "sec", "meter": "press-7", "period": "2026-03-02..2026-03-08"})
    local = pd.to_datetime(raw["press-7"].index, unit="s", utc=True).tz_convert(TZ)
    week = (local >= pd.Timestamp("2026-03-02", tz=TZ)) & (
        local < pd.Timestamp("2026-03-09", tz=TZ)
    )
    expected = raw["press-7"][week].sum() / raw["press-7-output"][week].sum()
    assert sec.value == pytest.approx(expected, rel=1e-12)
    assert sec.details["production_meters"] == "press-7-output"
    assert upgrade(empty_engine) is False
