"""An incident changes only in the open: re-scoring keeps its history (what it said before and
when that changed), what a person did is never overridden, and a new alert rule opens no
incidents for the history before it (a back-test reports them instead). On both dialects."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from alembic import command
from sqlalchemy import Engine, text

from agent.summary import Summariser
from agent.watcher import Segment, Watcher, merge_segments
from ems_agent.context import TurnContexts, fixed_clock
from store import catalog
from store import incidents as store
from store.engine import make_engine
from store.migrate import alembic_config, upgrade
from store.writes import write_readings
from tests.test_watcher import (
    OUTAGE,
    TZ,
    Recorder,
    incidents_of,
    incidents_of_site,
    make_watcher,
    outage_store,
    site_of,
)
from tools.alert_backtest import backtest_alert_rule
from tools.alerts import create_alert_rule
from tools.base import ToolContext
from tools.incidents import get_incident, update_incident

DAY = 86400


def test_rescoring_part_of_an_incident_keeps_what_was_not_looked_at_again() -> None:
    sep = [int(datetime(2026, 9, d, tzinfo=TZ).timestamp()) for d in range(1, 31)]
    # Stored: 8 to 23 September, 1,500 kWh. A run that re-scores from the 15th finds 22 to 25.
    stored = Segment(sep[7], sep[22], "warning", 1500.0, 300.0, 6.0)
    found = Segment(sep[21], sep[24], "warning", 90.0, 18.0, 5.0)
    merged = merge_segments([stored], [found], rescored_from=sep[14])
    assert [(s.start, s.end) for s in merged] == [(sep[7], sep[14]), (sep[21], sep[24])]
    assert merged[0].extra_kwh == pytest.approx(1500.0 * 7 / 15)  # in proportion to its time
    assert merged[0].cost == pytest.approx(300.0 * 7 / 15)
    # Re-scored from before it began, the stored segment is replaced as a whole.
    assert merge_segments([stored], [found], rescored_from=sep[0]) == [found]


def watcher_at(engine: Engine, site: catalog.SiteRef, now: datetime) -> Watcher:
    return Watcher(
        engine, TurnContexts(engine, site, clock=fixed_clock(now)), None, [Recorder()], Summariser()
    )


def test_a_late_correction_is_recorded_and_the_person_keeps_the_incident(engine: Engine) -> None:
    site, now = outage_store(engine)
    watcher_at(engine, site, now).run_once()
    [outage] = incidents_of_site(engine, site.id)
    assert (outage.start_ts, outage.end_ts) == OUTAGE
    ctx = ToolContext(engine, site, now, user="olga")
    update_incident(ctx, {"incident_id": outage.id, "action": "acknowledge", "note": "on site"})
    # The gateway's buffer arrives late: 09:00 to 11:00 are there after all.
    late = np.arange(OUTAGE[0], OUTAGE[0] + 2 * 3600, 900, dtype=np.int64)
    with engine.begin() as conn:
        sid = catalog.ensure_series(conn, site.id, "press-1", "energy", "kWh").id
        write_readings(conn, sid, late, np.full(len(late), 12.0), "Europe/Berlin")
    watcher_at(engine, site, now).run_once()  # the same days again
    [after] = incidents_of_site(engine, site.id)
    assert (after.start_ts, after.end_ts) == (OUTAGE[0] + 2 * 3600, OUTAGE[1])
    assert (after.state, after.acknowledged_by) == ("acknowledged", "olga")
    shown = get_incident(ctx, {"incident_id": outage.id})
    assert [(t.action, t.by) for t in shown.timeline] == [
        ("opened", "watcher"),
        ("acknowledged", "olga"),
        ("reassessed", "watcher"),
    ]
    assert shown.timeline[1].note == "on site"
    start = shown.timeline[2].changes["start"]
    assert start == ["2026-03-27T09:00:00+01:00", "2026-03-27T11:00:00+01:00"]
    assert "re-scored the data from" in (shown.timeline[2].note or "")
    # Quiet for more than a week: the watcher resolves nothing a person acknowledged; it says so.
    for days in (9, 10):
        watcher_at(engine, site, now + timedelta(days=days)).run_once()
    kept = get_incident(ctx, {"incident_id": outage.id})
    assert (kept.state, kept.acknowledged_by, kept.resolution) == ("acknowledged", "olga", None)
    quiet = [t for t in kept.timeline if t.action == "quiet"]
    assert len(quiet) == 1 and "left for olga to resolve" in (quiet[0].note or "")
    assert [n.note for n in kept.notes] == ["on site"]


def test_rerunning_the_watcher_leaves_what_people_did_unchanged(demo_engine: Engine) -> None:
    # Up to 1 October the watcher has opened the compressed-air leak of late September and the
    # low consumption after it; a person acknowledges the first and resolves the second.
    days = [datetime(2026, 9, 20, tzinfo=TZ) + timedelta(days=d) for d in range(0, 11, 2)]
    last = days[-1]
    for day in days:
        make_watcher(demo_engine).run_once(day)
    acked, resolved = [i for i in incidents_of(demo_engine) if i.state == "open"][:2]
    ctx = ToolContext(demo_engine, site_of(demo_engine), last, user="olga")
    note = {"incident_id": acked.id, "action": "acknowledge", "note": "checking the valves"}
    update_incident(ctx, note)
    update_incident(
        ctx, {"incident_id": resolved.id, "action": "resolve", "note": "sensor replaced"}
    )
    before = {i.id: get_incident(ctx, {"incident_id": i.id}) for i in (acked, resolved)}
    # A watcher that lost its place runs over the same days again, then three weeks on.
    with demo_engine.begin() as conn:
        conn.execute(text("DELETE FROM service_state"))
    for day in [*days, last + timedelta(days=21)]:
        make_watcher(demo_engine).run_once(day)
    assert [i.id for i in incidents_of(demo_engine) if i.state == "resolved"]  # settled others
    now_acked = get_incident(ctx, {"incident_id": acked.id})
    assert (now_acked.state, now_acked.acknowledged_by) == ("acknowledged", "olga")
    assert [n.note for n in now_acked.notes] == ["checking the valves"]
    assert now_acked.timeline[: len(before[acked.id].timeline)] == before[acked.id].timeline
    now_resolved = get_incident(ctx, {"incident_id": resolved.id})
    # A person's resolution: nothing but the watcher's summary of it changes.
    kept = {"summary", "citations", "problems"}
    assert now_resolved.model_dump(exclude=kept) == before[resolved.id].model_dump(exclude=kept)
    assert now_resolved.resolution == "sensor replaced" and now_resolved.resolved_by == "olga"
    people = {(t.by, t.action) for i in incidents_of(demo_engine) for t in i.history}
    assert ("olga", "resolved") in people and ("olga", "acknowledged") in people


def test_a_new_rule_opens_no_incidents_for_the_history_before_it(demo_engine: Engine) -> None:
    site = site_of(demo_engine)
    made = datetime(2026, 11, 4, 18, tzinfo=TZ)
    ctx = ToolContext(demo_engine, site, made, user="olga")
    rule = {
        "meter": "compressor-2",
        "target": "demand",
        "condition": ">",
        "threshold": 60.0,
        "unit": "kW",
    }
    create_alert_rule(ctx, rule)
    # The watcher catching up on September (as on a first start) after the rule was made.
    watcher = make_watcher(demo_engine)
    watcher.catch_up(datetime(2026, 9, 1, tzinfo=TZ), datetime(2026, 10, 1, tzinfo=TZ))
    alerts = [i for i in incidents_of(demo_engine) if i.kind == "alert_rule"]
    assert alerts == []
    with demo_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alerts")).scalar_one() == 0
    # Asked for, a back-test says what the rule would have raised, and still stores nothing.
    tested = backtest_alert_rule(ctx, {**rule, "period": "2026-09"})
    kwh = quarter_hours(demo_engine, "compressor-2", "2026-09-01", "2026-10-01")
    assert tested.windows == len(kwh) and (kwh * 4 > 60.0).any() == bool(tested.episodes)
    assert max(e.peak_value for e in tested.episodes) == pytest.approx(kwh.max() * 4)
    with demo_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alerts")).scalar_one() == 0
        assert (
            conn.execute(
                text("SELECT count(*) FROM incidents WHERE kind = 'alert_rule'")
            ).scalar_one()
            == 0
        )
    # From the moment it was made on, it watches as before.
    later = replace(ctx, now=made + timedelta(days=1))
    assert later.now > made


def quarter_hours(engine: Engine, meter: str, first: str, end: str) -> np.ndarray:
    lo = int(datetime.fromisoformat(first).replace(tzinfo=TZ).timestamp())
    hi = int(datetime.fromisoformat(end).replace(tzinfo=TZ).timestamp())
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT r.value FROM readings r JOIN series s ON s.id = r.series_id JOIN meters m "
                "ON m.id = s.meter_id WHERE m.name = :m AND s.metric = 'energy' AND r.ts >= :lo "
                "AND r.ts < :hi ORDER BY r.ts"
            ),
            {"m": meter, "lo": lo, "hi": hi},
        ).all()
    return np.array([r[0] for r in rows])


def test_the_migration_moves_the_notes_into_the_timeline(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0004")
    notes = [
        {"at": "2026-10-09T08:00:00+00:00", "by": "olga", "action": "acknowledge", "note": "on it"},
        {"at": "2026-10-09T09:30:00+00:00", "by": "olga", "action": "resolve", "note": "fixed"},
    ]
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO sites (name, timezone, created_at) VALUES ('p', 'UTC', '2026-01-01')")
        )
        conn.execute(
            text(
                "INSERT INTO incidents (site_id, kind, severity, state, start_ts, title, details, "
                "created_at, updated_at) VALUES (1, 'meter_outage', 'warning', 'resolved', 0, 't', "
                ":d, '2026-01-01', '2026-01-01')"
            ),
            {"d": __import__("json").dumps({"notes": notes})},
        )
    upgrade(engine)
    with engine.connect() as conn:
        row = store.get_incident(conn, 1, 1)
    assert [(e.by, e.action, e.note) for e in row.history] == [
        ("olga", "acknowledged", "on it"),
        ("olga", "resolved", "fixed"),
    ]
    assert row.history[1].at == datetime.fromisoformat("2026-10-09T09:30:00+00:00")
    engine.dispose()
