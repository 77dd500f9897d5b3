"""Incident store functions and tools: listing, showing, acknowledging and resolving with notes,
the natural key, roles, and the knowledge store re-indexing, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from langchain_core.messages import AIMessage
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from agent.writes import describe_write
from common.errors import UnknownMeter
from ems_agent.cli import app
from ems_agent.context import TurnContexts, fixed_clock
from store import catalog
from store import incidents as store
from store.engine import make_engine
from store.schema import Incident
from tools.alerts import NotAllowed
from tools.base import ToolContext
from tools.incidents import (
    NoteRequired,
    get_incident,
    incident_document,
    list_incidents,
    reindex,
    update_incident,
)
from tools.periods import InvalidPeriod
from tools.registry import all_tools

TZ = "Europe/Berlin"
ZONE = ZoneInfo(TZ)


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=ZONE).timestamp())


def new(meter_id: int | None, kind: str, start: str, **values: Any) -> store.NewIncident:
    start_ts = epoch(start)
    return store.NewIncident(
        meter_id=meter_id,
        kind=kind,
        severity=values.pop("severity", "warning"),
        start_ts=start_ts,
        end_ts=values.pop("end_ts", start_ts + 86400),
        title=values.pop("title", f"{kind} from {start}"),
        dedup_key=f"{meter_id}:{kind}:{start_ts}",
        **values,
    )


@pytest.fixture
def ctx(engine: Engine) -> ToolContext:
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "plant", TZ)
        c2 = catalog.ensure_series(conn, site.id, "compressor-2", "energy", "kWh").meter_id
        ch = catalog.ensure_series(conn, site.id, "chiller", "energy", "kWh").meter_id
        other = catalog.ensure_site(conn, "elsewhere", TZ)
        store.insert_incident(
            conn,
            site.id,
            new(c2, "consumption_high", "2026-09-21T00:00", extra_kwh=832.5, cost=133.2),
        )
        store.insert_incident(conn, site.id, new(ch, "meter_outage", "2026-10-08T04:00"))
        store.insert_incident(conn, site.id, new(c2, "stuck_meter", "2026-09-17T00:00"))
        store.insert_incident(conn, other.id, new(None, "alert_rule", "2026-09-01T00:00"))
    return ToolContext(engine, site, datetime(2026, 10, 10, tzinfo=ZONE), user="ana")


def ids(result: Any) -> list[str]:
    return [f"{i.meter}/{i.kind}" for i in result.incidents]


def test_list_filters_by_state_and_meter_newest_first(ctx: ToolContext) -> None:
    found = list_incidents(ctx, {})
    assert ids(found) == [
        "chiller/meter_outage",
        "compressor-2/consumption_high",
        "compressor-2/stuck_meter",
    ]
    assert ids(list_incidents(ctx, {"meter": "compressor-2", "limit": 1})) == [
        "compressor-2/consumption_high"
    ]
    first = found.incidents[1]
    assert first.start == "2026-09-21T00:00:00+02:00" and first.end == "2026-09-22T00:00:00+02:00"
    assert (first.extra_kwh, first.cost, first.currency) == (832.5, 133.2, "EUR")
    assert first.site == "plant" and first.state == "open" and first.summary is None
    assert list_incidents(ctx, {"state": "resolved"}).incidents == []


def test_list_filters_by_period_and_severity_and_says_which(ctx: ToolContext) -> None:
    # Each incident lasts a day: 17, 21 September and 8 October.
    september = list_incidents(ctx, {"period": "2026-09-18..2026-09-30"})
    assert ids(september) == ["compressor-2/consumption_high"]
    assert september.period is not None and september.period["start"].startswith("2026-09-18")
    assert september.state == "active" and september.severity == []
    first = list_incidents(ctx, {"period": "2026-09", "limit": 1})
    assert ids(first) == ["compressor-2/consumption_high"] and first.total == 2
    assert list_incidents(ctx, {"severity": "critical"}).incidents == []
    with pytest.raises(InvalidPeriod, match="the other week"):
        list_incidents(ctx, {"period": "the other week"})


def test_list_rejects_an_unknown_meter_and_bad_limits(ctx: ToolContext) -> None:
    with pytest.raises(UnknownMeter, match="compresor-9"):
        list_incidents(ctx, {"meter": "compresor-9"})
    with pytest.raises(ValueError, match="limit"):
        list_incidents(ctx, {"limit": 0})
    with pytest.raises(ValueError, match="state"):
        list_incidents(ctx, {"state": "closed"})


def test_get_shows_one_incident_and_names_unknown_ids(ctx: ToolContext) -> None:
    listed = list_incidents(ctx, {}).incidents[0]
    assert get_incident(ctx, {"incident_id": listed.id}) == listed
    with pytest.raises(store.UnknownIncident, match=r"no incident #999 .*incidents list"):
        get_incident(ctx, {"incident_id": 999})
    # An incident of another site is not visible here.
    with ctx.engine.connect() as conn:
        foreign = conn.execute(select(Incident.id).where(Incident.meter_id.is_(None))).scalar()
    with pytest.raises(store.UnknownIncident):
        get_incident(ctx, {"incident_id": foreign})


def test_acknowledge_then_resolve_keeps_the_notes(ctx: ToolContext) -> None:
    target = list_incidents(ctx, {"meter": "compressor-2"}).incidents[0].id
    acked = update_incident(
        ctx, {"incident_id": target, "action": "acknowledge", "note": "looking"}
    )
    assert acked.state == "acknowledged" and acked.acknowledged_by == "ana"
    assert ids(list_incidents(ctx, {"state": "acknowledged"})) == ["compressor-2/consumption_high"]
    done = update_incident(
        ctx, {"incident_id": target, "action": "resolve", "note": " drain valve V12 fixed "}
    )
    assert done.state == "resolved" and done.resolution == "drain valve V12 fixed"
    assert done.resolved_by == "ana"
    assert [(n.action, n.by, n.note) for n in done.notes] == [
        ("acknowledged", "ana", "looking"),
        ("resolved", "ana", "drain valve V12 fixed"),
    ]
    # One timeline: the watcher's opening (with its figures), then what the person did.
    assert [(t.action, t.by) for t in done.timeline] == [
        ("opened", "watcher"),
        ("acknowledged", "ana"),
        ("resolved", "ana"),
    ]
    assert done.timeline[0].changes["extra_kwh"] == [None, 832.5]
    assert done.timeline[0].changes["start"] == [None, "2026-09-21T00:00:00+02:00"]
    with ctx.engine.connect() as conn:
        row = store.get_incident(conn, ctx.site.id, target)
    assert row.pending == "resolved"  # the watcher sends the resolved notice
    assert target not in [i.id for i in list_incidents(ctx, {}).incidents]
    with pytest.raises(store.IncidentClosed, match="already resolved by ana"):
        update_incident(ctx, {"incident_id": target, "action": "resolve", "note": "again"})
    with pytest.raises(store.IncidentClosed):
        update_incident(ctx, {"incident_id": target, "action": "acknowledge"})


def stored(ctx: ToolContext) -> list[tuple[Any, ...]]:
    with ctx.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(Incident.id, Incident.state, Incident.resolution, Incident.details)
            )
        ]


def test_bad_updates_are_refused_and_change_nothing(ctx: ToolContext) -> None:
    before = stored(ctx)
    target = before[0][0]
    for note in (None, "", "   "):
        with pytest.raises(NoteRequired, match=rf"resolving incident #{target} needs a note"):
            update_incident(ctx, {"incident_id": target, "action": "resolve", "note": note})
    viewer = ToolContext(ctx.engine, ctx.site, ctx.now, user="vic", role="viewer")
    with pytest.raises(NotAllowed, match="needs the operator role; vic is a viewer"):
        update_incident(viewer, {"incident_id": target, "action": "acknowledge"})
    with pytest.raises(store.UnknownIncident, match="#424242"):
        update_incident(ctx, {"incident_id": 424242, "action": "resolve", "note": "x"})
    with pytest.raises(ValueError, match="action"):
        update_incident(ctx, {"incident_id": target, "action": "close"})
    assert stored(ctx) == before


def test_a_note_is_added_without_changing_the_state(ctx: ToolContext) -> None:
    target = list_incidents(ctx, {"meter": "chiller"}).incidents[0].id
    with pytest.raises(NoteRequired, match=rf"adding a note to incident #{target} needs a note"):
        update_incident(ctx, {"incident_id": target, "action": "note", "note": "  "})
    noted = update_incident(
        ctx, {"incident_id": target, "action": "note", "note": "gateway swapped"}
    )
    assert noted.state == "open" and noted.acknowledged_by is None
    assert [(n.action, n.by, n.note) for n in noted.notes] == [("noted", "ana", "gateway swapped")]
    update_incident(ctx, {"incident_id": target, "action": "resolve", "note": "fixed"})
    later = update_incident(
        ctx, {"incident_id": target, "action": "note", "note": "root cause: a loose lead"}
    )
    assert later.state == "resolved" and later.resolution == "fixed"
    assert [n.note for n in later.notes] == ["gateway swapped", "fixed", "root cause: a loose lead"]
    assert describe_write(
        "update_incident", {"incident_id": 7, "action": "note", "note": "checked"}
    ) == ("add the note 'checked' to incident #7")


def test_lists_filter_by_severity_and_period_and_page_with_the_total(ctx: ToolContext) -> None:
    with ctx.engine.begin() as conn:
        c2 = catalog.resolve_meter(conn, ctx.site.id, "compressor-2").id
        for day in range(1, 8):
            critical = new(c2, "demand_spike", f"2026-08-0{day}T10:00", severity="critical")
            store.insert_incident(conn, ctx.site.id, critical)
    everything = list_incidents(ctx, {"state": "all", "limit": 200})
    assert everything.total == len(everything.incidents) == 10
    first = list_incidents(ctx, {"state": "all", "limit": 4})
    second = list_incidents(ctx, {"state": "all", "limit": 4, "offset": 4})
    assert first.total == second.total == 10 and second.offset == 4
    assert [i.id for i in first.incidents + second.incidents] == [
        i.id for i in everything.incidents[:8]
    ]
    critical = list_incidents(ctx, {"state": "all", "severity": ["critical"], "limit": 3})
    assert critical.total == 7 and len(critical.incidents) == 3
    assert {i.severity for i in critical.incidents} == {"critical"}
    august = list_incidents(ctx, {"state": "all", "period": "2026-08-03..2026-08-04"})
    starts = sorted(i.start[:10] for i in august.incidents)
    assert starts == ["2026-08-02", "2026-08-03", "2026-08-04"]  # the 2nd lasts into the 3rd
    september = list_incidents(ctx, {"state": "all", "period": "2026-09", "meter": "compressor-2"})
    assert ids(september) == ["compressor-2/consumption_high", "compressor-2/stuck_meter"]


def test_the_natural_key_stores_an_incident_once(ctx: ToolContext) -> None:
    with ctx.engine.begin() as conn:
        meter = catalog.resolve_meter(conn, ctx.site.id, "chiller")
        again = new(meter.id, "meter_outage", "2026-10-08T04:00", severity="critical")
        incident_id, created = store.insert_incident(conn, ctx.site.id, again)
        fresh = new(meter.id, "meter_outage", "2026-10-09T04:00")
        fresh_id, fresh_created = store.insert_incident(conn, ctx.site.id, fresh)
    assert created is False and fresh_created is True and fresh_id != incident_id
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Incident)).scalar_one() == 5
        row = store.get_incident(conn, ctx.site.id, incident_id)
    assert row.severity == "warning"  # the stored one is left alone


def test_nearby_finds_overlapping_and_adjacent_incidents(ctx: ToolContext) -> None:
    with ctx.engine.connect() as conn:
        c2 = catalog.resolve_meter(conn, ctx.site.id, "compressor-2").id
        day = epoch("2026-09-22T00:00")
        first = epoch("2026-09-21T00:00")

        def near(start: int, gap: int, kind: str = "consumption_high") -> list[int]:
            rows = store.nearby(conn, ctx.site.id, c2, kind, start, start + 86400, gap)
            return [r.start_ts for r in rows]

        assert near(day, 0) == [first]  # the next day touches the incident's end
        assert near(day + 86400, 0) == []  # a day apart
        assert near(day + 86400, 86400) == [first]  # ... bridged by a day's gap
        assert near(first - 86400, 0) == [first]  # the day before touches its start
        assert near(first, 0, "consumption_low") == []  # another kind


def test_service_state_round_trips(engine: Engine) -> None:
    with engine.begin() as conn:
        assert store.get_state(conn, "watcher:plant") is None
        store.put_state(conn, "watcher:plant", {"until": 1})
        store.put_state(conn, "watcher:plant", {"until": 2, "runs": 3})
    with engine.connect() as conn:
        assert store.get_state(conn, "watcher:plant") == {"until": 2, "runs": 3}


class RecordingIndex:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[int, str, str, dict[str, Any]]] = []
        self.fail = fail

    def index_incident(
        self, incident_id: int, title: str, text: str, metadata: dict[str, Any]
    ) -> None:
        if self.fail:
            raise ConnectionError("Chroma at http://127.0.0.1:1 refused the connection")
        self.calls.append((incident_id, title, text, metadata))


def test_resolution_notes_are_indexed_for_similar_incidents(ctx: ToolContext) -> None:
    target = list_incidents(ctx, {"meter": "compressor-2"}).incidents[0].id
    out = update_incident(
        ctx, {"incident_id": target, "action": "resolve", "note": "leak at valve V12 fixed"}
    )
    index = RecordingIndex()
    assert reindex(ctx, index, out) is None
    [(incident_id, title, text, metadata)] = index.calls
    assert incident_id == target and title == out.title
    assert "Resolution: leak at valve V12 fixed" in text
    assert metadata["state"] == "resolved" and metadata["meter"] == "compressor-2"
    assert metadata["resolution"] == "leak at valve V12 fixed"
    assert None not in metadata.values()
    assert incident_document(out)[1] == text


def test_a_failing_knowledge_store_is_recorded_not_raised(ctx: ToolContext) -> None:
    out = list_incidents(ctx, {}).incidents[0]
    problem = reindex(ctx, RecordingIndex(fail=True), out)
    assert problem is not None and "refused the connection" in problem
    assert get_incident(ctx, {"incident_id": out.id}).problems == [problem]


def test_tools_are_registered_and_the_write_is_described() -> None:
    registry = all_tools()
    assert {"list_incidents", "get_incident", "update_incident"} <= set(registry)
    assert registry["update_incident"].writes and not registry["list_incidents"].writes
    line = describe_write(
        "update_incident", {"incident_id": 7, "action": "resolve", "note": "fixed"}
    )
    assert line == "resolve incident #7 with the note 'fixed'"


def test_update_incident_reindexes_through_the_contexts_knowledge_store(ctx: ToolContext) -> None:
    index = RecordingIndex()
    with_knowledge = ToolContext(ctx.engine, ctx.site, ctx.now, user="ana", knowledge=index)  # type: ignore[arg-type]
    target = list_incidents(ctx, {}).incidents[0].id
    update_incident(
        with_knowledge, {"incident_id": target, "action": "acknowledge", "note": "on it"}
    )
    update_incident(with_knowledge, {"incident_id": target, "action": "resolve", "note": "reset"})
    assert [(c[0], c[3]["state"]) for c in index.calls] == [
        (target, "acknowledged"),
        (target, "resolved"),
    ]
    assert "acknowledged by ana: on it" in index.calls[0][2]
    assert "Resolution: reset" in index.calls[1][2]


# ------------------------------------------------------------------ command line

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, demo_template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An installation holding the demo plant, whose knowledge store (a Chroma server) is down."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(demo_template, home / "ems.db")
    monkeypatch.setenv("EMS_HOME", str(home))
    monkeypatch.setenv("EMS_CHROMA_URL", "http://127.0.0.1:1")
    return home


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_watch_once_then_list_show_ack_and_resolve(home: Path) -> None:
    code, stdout, stderr = invoke("watch", "--once", "--now", "2026-10-09T00:00", "--json")
    assert code == 0, stderr
    report = json.loads(stdout)
    assert report["opened"] and report["window"]["end"] == "2026-10-09T00:00:00+02:00"
    assert "knowledge store unavailable" in stderr and "127.0.0.1:1" in stderr
    code, stdout, _ = invoke("incidents", "list", "--state", "all", "--json")
    listed = json.loads(stdout)["incidents"]
    assert code == 0 and sorted(i["id"] for i in listed) == sorted(report["opened"])
    [outage] = [i for i in listed if i["kind"] == "meter_outage"]
    assert outage["meter"] == "offices" and outage["start"] == "2026-10-08T04:00:00+02:00"
    code, stdout, _ = invoke("incidents", "show", str(outage["id"]), "--json")
    shown = json.loads(stdout)
    assert code == 0 and shown["summary"].startswith("### offices: meter outage")
    code, stdout, _ = invoke(
        "incidents", "ack", str(outage["id"]), "--note", "on it", "--user", "ana", "--json"
    )
    acked = json.loads(stdout)
    assert code == 0 and (acked["state"], acked["acknowledged_by"]) == ("acknowledged", "ana")
    code, stdout, _ = invoke("incidents", "resolve", str(outage["id"]), "--note", "gateway reset")
    assert code == 0 and stdout.strip() == f"#{outage['id']} resolved: gateway reset"
    code, stdout, _ = invoke("incidents", "list")
    assert code == 0 and "meter_outage" not in stdout  # resolved: no longer active
    others = [i for i in listed if i["id"] != outage["id"]]
    assert ("extra kWh" in stdout) if others else ("no incidents" in stdout)


def test_bad_command_line_input_is_named(home: Path) -> None:
    code, stdout, _ = invoke("watch", "--once", "--now", "2026-10-09T00:00", "--json")
    first = json.loads(stdout)["opened"][0]
    cases = [
        (("incidents", "resolve", str(first)), "needs a note"),
        (("incidents", "resolve", str(first), "--note", "x", "--role", "viewer"), "operator role"),
        (("incidents", "ack", str(first), "--role", "boss"), "--role 'boss'"),
        (("incidents", "show", "9999"), "no incident #9999"),
        (("incidents", "list", "--state", "closed"), "--state 'closed'"),
        (("incidents", "list", "--meter", "compresor-9"), "compresor-9"),
        (("watch", "--interval", "0"), "--interval 0"),
        (("watch", "--now", "2026-10-09T00:00"), "--now only goes with --once"),
        (("watch", "--once", "--now", "yesterday"), "not an ISO time"),
    ]
    for args, message in cases:
        code, stdout, stderr = invoke(*args)
        assert code == 1 and message in stderr and stdout == "", (args, stderr)
    code, stdout, _ = invoke("incidents", "show", str(first), "--json")
    assert json.loads(stdout)["state"] == "open"  # nothing changed


def test_watch_runs_on_schedule_until_interrupted(home: Path) -> None:
    """The real command in its own process: the first run starts at once, Ctrl-C stops it
    cleanly and --json prints the runs. The demo data ends weeks before the real clock, so
    every meter is in an outage by now."""
    exe = str(Path(sys.executable).with_name("ems-agent"))
    env = {**os.environ, "EMS_HOME": str(home), "EMS_CHROMA_URL": "http://127.0.0.1:1"}
    proc = subprocess.Popen(
        [exe, "watch", "--interval", "3600", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    engine = make_engine(f"sqlite:///{home / 'ems.db'}")
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            with engine.connect() as conn:
                if store.get_state(conn, "watcher:demo-plant") is not None:
                    break
            time.sleep(0.2)
        else:
            pytest.fail(f"no run finished: {proc.stderr.read() if proc.stderr else ''}")
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        engine.dispose()
    assert proc.returncode == 0, stderr
    result = json.loads(stdout)
    assert result["interval_s"] == 3600 and len(result["runs"]) == 1
    assert "watching demo-plant every 3600 s" in stderr
    [run] = result["runs"]
    with make_engine(f"sqlite:///{home / 'ems.db'}").connect() as conn:
        rows = store.list_incidents(conn, 1, states=store.STATES, limit=None)
    assert sorted(run["opened"]) == sorted(r.id for r in rows)
    assert {r.kind for r in rows} >= {"meter_outage"}


def test_the_agent_asks_before_resolving_an_incident(demo_engine: Engine, tmp_path: Path) -> None:
    from agent.loop import Agent
    from agent.memory import sqlite_memory
    from agent.models import Backend
    from tests.scripted import ScriptedChatModel, call

    with demo_engine.begin() as conn:
        site = catalog.get_site(conn, "demo-plant")
        meter = catalog.resolve_meter(conn, site.id, "offices")
        target, _ = store.insert_incident(
            conn, site.id, new(meter.id, "meter_outage", "2026-10-08T04:00")
        )
    args = {"incident_id": target, "action": "resolve", "note": "gateway reset"}
    model = ScriptedChatModel(steps=[call("update_incident", **args), AIMessage("Resolved.")])
    now = datetime(2026, 10, 9, 9, tzinfo=ZONE)
    agent = Agent(
        Backend(model, "scripted", "http://127.0.0.1:1/v1"),
        all_tools(),
        sqlite_memory(tmp_path / "threads.db"),
        TurnContexts(demo_engine, site, clock=fixed_clock(now)),
        user="alice",
    )
    proposal = agent.ask("the offices outage is fixed, we reset the gateway")
    assert proposal.outcome == "confirm"
    assert f"resolve incident #{target} with the note 'gateway reset'" in proposal.answer
    with demo_engine.connect() as conn:
        assert store.get_incident(conn, site.id, target).state == "open"
    done = agent.ask("yes", thread=proposal.thread)
    assert done.answer == "Resolved." and [c.name for c in done.tool_calls] == ["update_incident"]
    with demo_engine.connect() as conn:
        row = store.get_incident(conn, site.id, target)
    assert (row.state, row.resolution, row.resolved_by) == ("resolved", "gateway reset", "alice")
    model.assert_used()


def test_the_answers_say_a_note_was_added_and_which_page_is_shown(ctx: ToolContext) -> None:
    from agent.render.incidents import IncidentListRenderer, IncidentRenderer

    everything = list_incidents(ctx, {"state": "all", "limit": 200})
    target = everything.incidents[0].id
    noted = update_incident(ctx, {"incident_id": target, "action": "note", "note": "fan checked"})
    head = IncidentRenderer().done(noted)[0]
    assert head == f"Done: note added to incident #{target} (still **open**): fan checked"
    page = list_incidents(ctx, {"state": "all", "limit": 1, "offset": 1})
    lines = IncidentListRenderer().answer(page)
    assert lines[0].startswith(f"2 to 2 of {everything.total} incident(s)")
    assert len(lines) == 3 and f"#{everything.incidents[1].id} " in lines[1]
    past = list_incidents(ctx, {"state": "all", "offset": everything.total})
    assert IncidentListRenderer().answer(past)[0].startswith(f"Only {everything.total} ")
    critical = IncidentListRenderer().answer(list_incidents(ctx, {"severity": "critical"}))
    assert critical[0] == "No critical open or acknowledged incidents on record."
