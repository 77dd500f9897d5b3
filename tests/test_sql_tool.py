"""run_sql: answers real SELECTs on both databases and refuses everything else with a reason."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import Engine, func, select

from store import catalog
from store.schema import Reading
from store.writes import write_readings
from tools import sql as sql_tool
from tools.base import ToolContext
from tools.sql import UnsafeQuery, run_sql

TZ = "Europe/Berlin"


@pytest.fixture
def ctx(engine: Engine) -> ToolContext:
    ts = 1_735_686_000 + 900 * np.arange(400, dtype=np.int64)
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "plant", TZ)
        for meter, scale in (("press", 2.0), ("oven", 3.0)):
            sid = catalog.ensure_series(conn, site.id, meter, "energy", "kWh").id
            write_readings(conn, sid, ts, scale * (1 + np.arange(400) % 7), TZ)
    return ToolContext(engine=engine, site=site, now=datetime(2025, 3, 1, tzinfo=ZoneInfo(TZ)))


def test_select_over_the_views_matches_the_data(ctx: ToolContext) -> None:
    result = run_sql(
        ctx,
        {
            "sql": "SELECT meter, SUM(value) AS kwh, COUNT(*) AS n FROM meter_readings "
            "GROUP BY meter ORDER BY meter"
        },
    )
    expected = {
        m: scale * sum(1 + i % 7 for i in range(400))
        for m, scale in (("oven", 3.0), ("press", 2.0))
    }
    assert result.columns == ["meter", "kwh", "n"]
    assert [(r[0], pytest.approx(r[1]), r[2]) for r in result.rows] == [
        (m, pytest.approx(v), 400) for m, v in sorted(expected.items())
    ]
    assert not result.truncated and "LIMIT" in result.sql


def test_row_limit_and_truncation(ctx: ToolContext) -> None:
    result = run_sql(ctx, {"sql": "SELECT ts, value FROM readings ORDER BY ts", "limit": 25})
    assert result.row_count == 25 and result.truncated


def test_ctes_and_joins_with_conditions_are_fine(ctx: ToolContext) -> None:
    result = run_sql(
        ctx,
        {
            "sql": "WITH d AS (SELECT meter, grain, sum FROM meter_rollups WHERE grain = 'day') "
            "SELECT m.name, COUNT(*) FROM d JOIN meters m ON m.name = d.meter GROUP BY m.name"
        },
    )
    assert sorted(r[0] for r in result.rows) == ["oven", "press"]


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("DELETE FROM readings", "only SELECT"),
        ("DELETE FROM readings WHERE ts < 1770000000 - old junk", "only SELECT.*not DELETE"),
        ("truncate readings, now", "only SELECT.*not TRUNCATE"),
        ("UPDATE readings SET value = 0", "only SELECT"),
        ("INSERT INTO readings VALUES (1, 2, 3)", "only SELECT"),
        ("DROP TABLE readings", "only SELECT"),
        ("CREATE TABLE x (a int)", "only SELECT"),
        ("SELECT 1; DELETE FROM readings", "exactly one statement"),
        ("SELECT * FROM readings -- sneaky", "comments are not allowed"),
        ("SELECT /* hidden */ 1", "comments are not allowed"),
        ("PRAGMA table_info(readings)", "only SELECT"),
        ("ATTACH DATABASE '/tmp/x.db' AS x", "only SELECT|does not parse"),
        ("SELECT * FROM readings a JOIN readings b ON 1 = 1", "cross joins"),
        ("SELECT load_extension('evil')", r"load_extension\(\) is not allowed"),
        ("SELECT pg_read_file('/etc/passwd')", "is not allowed"),
        ("SELECT readfile('/etc/passwd')", r"readfile\(\) is not allowed"),
        ("SELECT * FROM sqlite_master", "table 'sqlite_master' is not allowed"),
        ("SELECT * FROM service_state", "not allowed"),
        ("SELECT * FROM event_labels", "not allowed"),
        ("SELECT * FROM readings a, readings b", "cross joins"),
        ("SELECT * FROM readings a CROSS JOIN readings b", "cross joins"),
        ("SELECT * FROM readings a JOIN readings b", "cross joins"),
        ("SELECT * INTO copy FROM readings", "INTO"),
        ("SELEC 1", "does not parse|only SELECT"),
        ("SELECT * FROM readings FOR UPDATE", "locking|not allowed|does not parse"),
    ],
)
def test_refused_queries_say_why_and_change_nothing(
    ctx: ToolContext, query: str, reason: str
) -> None:
    with ctx.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(Reading)).scalar_one()
    with pytest.raises(UnsafeQuery, match=reason):
        run_sql(ctx, {"sql": query})
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Reading)).scalar_one() == before


def test_database_errors_come_back_as_hints(ctx: ToolContext) -> None:
    with pytest.raises(UnsafeQuery, match=r"database rejected the query: .*no_such_column"):
        run_sql(ctx, {"sql": "SELECT no_such_column FROM readings"})


def test_runaway_query_is_stopped(ctx: ToolContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sql_tool, "TIMEOUT_S", 0.3)
    runaway = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) "
        "SELECT COUNT(*) FROM n"
    )
    with pytest.raises(UnsafeQuery, match=r"ran longer than 0\.3 s"):
        run_sql(ctx, {"sql": runaway})
    # The connection is usable and writable again afterwards.
    assert run_sql(ctx, {"sql": "SELECT COUNT(*) FROM readings"}).rows == [[800]]
    with ctx.engine.begin() as conn:
        conn.execute(Reading.__table__.delete().where(Reading.ts < 0))
