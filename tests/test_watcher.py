"""The watcher on the demo plant: labelled faults become incidents, nothing is opened twice
across steps, restarts or crashes, failing notifiers and knowledge stores are recorded and
passed over, resolutions are notified and the scheduler runs it.

The demo plant's injected faults are read from `event_labels` by the tests only. The stepped
run (20 daily runs of `run_once`) takes about 30 s; the whole module 1 to 1.5 minutes on 2
shared cores.
"""

from __future__ import annotations

import itertools
import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import Engine, func, select, text

from agent import watcher as watcher_module
from agent.models import make_backend
from agent.summary import Summariser
from agent.watcher import SETTLE_S, Segment, Watcher, WatchReport, clusters, merge_segments
from common.errors import EMSError
from common.notices import Delivery, IncidentNotice
from ems_agent.context import TurnContexts, fixed_clock
from ems_agent.settings import Settings
from ems_agent.slices import llm_settings
from store import catalog
from store import incidents as store
from store.engine import make_engine
from store.schema import EventLabel, Incident, Meter, SmallState
from store.writes import write_readings
from tests.openai_server import Reply, ScriptedOpenAIServer
from tools.alerts import create_alert_rule, update_alert
from tools.base import AnalyticsConfig, ToolContext
from tools.incidents import update_incident

TZ = ZoneInfo("Europe/Berlin")
FIRST = datetime(2026, 9, 21, tzinfo=TZ)
STEPS = 20  # daily runs: the last is 2026-10-10 00:00


class Recorder:
    """A notifier that keeps every notice it is sent."""

    def __init__(self, name: str = "recorder") -> None:
        self.name = name
        self.sent: list[IncidentNotice] = []

    def send(self, notice: IncidentNotice) -> Delivery:
        self.sent.append(notice)
        return Delivery(self.name, True, 1, "kept")


class Exploding:
    name = "exploding"

    def send(self, notice: IncidentNotice) -> Delivery:
        raise RuntimeError("the notifier's own bug")


class Refused:
    name = "webhook"

    def send(self, notice: IncidentNotice) -> Delivery:
        return Delivery(self.name, False, 3, "HTTP 503 (gave up after 3 attempts)")


@dataclass
class FakeKnowledge:
    """A knowledge store that records what it is asked, and can fail."""

    fail: bool = False
    queries: list[tuple[str, str]] = field(default_factory=list)
    indexed: dict[int, tuple[str, str, dict[str, Any]]] = field(default_factory=dict)

    def _check(self) -> None:
        if self.fail:
            raise ConnectionError("Chroma server at 127.0.0.1:1 is down")

    def search(
        self, query: str, *, k: int = 4, collection: str = "documents", where: Any = None
    ) -> list[Any]:
        self.queries.append((collection, query))
        self._check()
        return []

    def similar_incidents(
        self, text: str, *, k: int = 3, exclude_id: int | None = None
    ) -> list[Any]:
        self.queries.append(("incidents", text))
        self._check()
        return []

    def index_incident(
        self, incident_id: int, title: str, text: str, metadata: dict[str, Any]
    ) -> None:
        self._check()
        self.indexed[incident_id] = (title, text, metadata)


def site_of(engine: Engine) -> catalog.SiteRef:
    with engine.connect() as conn:
        return catalog.get_site(conn, "demo-plant")


def make_watcher(
    engine: Engine,
    notifiers: list[Any] | None = None,
    knowledge: Any = None,
    summariser: Any = None,
) -> Watcher:
    return Watcher(
        engine,
        TurnContexts(engine, site_of(engine), AnalyticsConfig(), clock=fixed_clock(FIRST)),
        knowledge,
        notifiers if notifiers is not None else [Recorder()],
        summariser or Summariser(knowledge),
    )


def step(watcher: Watcher, first: datetime, days: int) -> list[WatchReport]:
    return [watcher.run_once(first + timedelta(days=d)) for d in range(days)]


def incidents_of(engine: Engine) -> list[store.IncidentRow]:
    with engine.connect() as conn:
        return store.list_incidents(conn, site_of(engine).id, states=store.STATES, limit=None)


@dataclass
class Stepped:
    engine: Engine
    reports: list[WatchReport]
    recorder: Recorder
    knowledge: FakeKnowledge


@pytest.fixture(scope="module")
def stepped(tmp_path_factory: pytest.TempPathFactory, demo_template: Path) -> Iterator[Stepped]:
    """The watcher run day by day over three weeks of the demo plant, once for the module."""
    path = tmp_path_factory.mktemp("watched") / "demo.db"
    shutil.copyfile(demo_template, path)
    engine = make_engine(f"sqlite:///{path}")
    recorder, knowledge = Recorder(), FakeKnowledge()
    reports = step(make_watcher(engine, [recorder], knowledge), FIRST, STEPS)
    yield Stepped(engine, reports, recorder, knowledge)
    engine.dispose()


def labels_in(engine: Engine, lo: int, hi: int) -> list[tuple[str, str, int, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Meter.name, EventLabel.kind, EventLabel.start_ts, EventLabel.end_ts)
            .join(Meter, Meter.id == EventLabel.meter_id)
            .where(EventLabel.start_ts < hi, EventLabel.end_ts > lo)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_labelled_faults_in_the_window_become_incidents(stepped: Stepped) -> None:
    lo = int(datetime.fromisoformat(stepped.reports[0].window["start"]).timestamp())
    hi = int((FIRST + timedelta(days=STEPS - 1)).timestamp())
    labels = labels_in(stepped.engine, lo, hi)
    assert {kind for _, kind, _, _ in labels} == {"compressed_air_leak", "meter_outage"}
    found = incidents_of(stepped.engine)
    for meter, kind, a, b in labels:
        matches = [i for i in found if i.meter == meter and i.start_ts < b and (i.end_ts or hi) > a]
        assert matches, f"labelled {kind} on {meter} has no incident"
    unlabelled = [
        i
        for i in found
        if not any(
            i.meter == m and i.start_ts < b and (i.end_ts or hi) > a for m, _, a, b in labels
        )
    ]
    print(f"\n{len(labels)} labels, {len(found)} incidents, {len(unlabelled)} without a label")
    seconds = sorted(r.seconds for r in stepped.reports)
    print(f"run_once: median {seconds[len(seconds) // 2]:.2f} s, max {seconds[-1]:.2f} s")


def test_the_outage_incident_spans_the_gap_in_the_readings(stepped: Stepped) -> None:
    with stepped.engine.connect() as conn:
        stamps = [
            int(t)
            for (t,) in conn.execute(
                text(
                    "SELECT r.ts FROM readings r JOIN series s ON s.id = r.series_id JOIN meters m "
                    "ON m.id = s.meter_id WHERE m.name = 'offices' AND s.metric = 'energy' "
                    "AND r.ts >= :lo AND r.ts < :hi ORDER BY r.ts"
                ),
                {
                    "lo": int(datetime(2026, 10, 7, tzinfo=TZ).timestamp()),
                    "hi": int(datetime(2026, 10, 10, tzinfo=TZ).timestamp()),
                },
            )
        ]
    gaps = [(a + 900, b) for a, b in itertools.pairwise(stamps) if b - a > 900]
    assert len(gaps) == 1
    [outage] = [i for i in incidents_of(stepped.engine) if i.kind == "meter_outage"]
    assert (outage.meter, outage.start_ts, outage.end_ts) == ("offices", *gaps[0])
    assert outage.extra_kwh is None and outage.severity == "warning"


def test_no_incident_is_opened_twice_across_steps(stepped: Stepped) -> None:
    found = incidents_of(stepped.engine)
    opened = [i for r in stepped.reports for i in r.opened]
    assert len(opened) == len(set(opened)) == len(found)
    by_key: dict[tuple[str | None, str], list[store.IncidentRow]] = {}
    for i in found:
        by_key.setdefault((i.meter, i.kind), []).append(i)
    for rows in by_key.values():
        rows.sort(key=lambda r: r.start_ts)
        for before, after in itertools.pairwise(rows):
            assert (before.end_ts or 0) < after.start_ts, (
                f"overlapping {before.title} / {after.title}"
            )
    notices = Counter((n.incident_id, n.event) for n in stepped.recorder.sent)
    assert {i.id for i in found} == {iid for iid, e in notices if e == "opened"}
    assert max(notices.values()) <= 2  # an update may be sent again, opened/resolved once
    assert all(n == 1 for (_, e), n in notices.items() if e in ("opened", "resolved"))
    assert all(i.pending is None for i in found)


def test_incident_figures_follow_the_tariff_and_emission_factors(stepped: Stepped) -> None:
    config = AnalyticsConfig()
    priced = [i for i in incidents_of(stepped.engine) if i.extra_kwh is not None]
    assert priced
    for i in priced:
        price = config.gas_price_per_kwh if i.meter_kind == "gas" else 0.16
        assert i.cost == pytest.approx(i.extra_kwh * price)  # type: ignore[operator]
        factor = config.emission_factors[i.meter_kind or ""]
        assert i.co2_kg == pytest.approx(i.extra_kwh * factor)  # type: ignore[operator]
        assert i.currency == "EUR"


def test_notices_carry_the_summary_and_figures(stepped: Stepped) -> None:
    for notice in stepped.recorder.sent:
        assert notice.site == "demo-plant" and notice.currency == "EUR"
        assert notice.summary.startswith("### ") and "**Next steps**" in notice.summary
        if notice.extra_kwh is not None:
            assert f"{abs(notice.extra_kwh):,.1f} kWh" in notice.summary
    for incident in incidents_of(stepped.engine):
        assert incident.summary and incident.id in stepped.knowledge.indexed
    kinds = {q for c, q in stepped.knowledge.queries if c == "documents"}
    assert any("meter outage" in q and "offices" in q for q in kinds)


def test_quiet_incidents_are_resolved_after_the_settling_time(stepped: Stepped) -> None:
    last = int((FIRST + timedelta(days=STEPS - 1)).timestamp())
    for i in incidents_of(stepped.engine):
        quiet = last - (i.end_ts or last)
        assert (i.state == "resolved") == (quiet >= SETTLE_S), i.title
        if i.state == "resolved":
            assert i.resolved_by == "watcher" and "no recurrence" in (i.resolution or "")


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Incident)).scalar_one())


def test_a_restarted_watcher_rerunning_the_window_opens_nothing(demo_engine: Engine) -> None:
    first = datetime(2026, 10, 6, tzinfo=TZ)
    step(make_watcher(demo_engine), first, 4)
    before = [(i.id, i.start_ts, i.end_ts, i.state) for i in incidents_of(demo_engine)]
    assert any(kind == "meter_outage" for kind in (i.kind for i in incidents_of(demo_engine)))
    recorder = Recorder()
    again = step(make_watcher(demo_engine, [recorder]), first, 4)
    assert [r.opened for r in again] == [[], [], [], []]
    assert [(i.id, i.start_ts) for i in incidents_of(demo_engine)] == [b[:2] for b in before]
    assert [n for n in recorder.sent if n.event == "opened"] == []


def test_a_crash_inside_the_run_stores_nothing(
    demo_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime(2026, 10, 9, tzinfo=TZ)

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(watcher_module.store, "put_state", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        make_watcher(demo_engine).run_once(now)
    assert count(demo_engine) == 0
    with demo_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(SmallState)).scalar_one() == 0
    monkeypatch.undo()
    recorder = Recorder()
    report = make_watcher(demo_engine, [recorder]).run_once(now)
    assert len(report.opened) == count(demo_engine) > 0
    assert sorted(n.incident_id for n in recorder.sent) == sorted(report.opened)


class CrashingSummariser:
    def summarise(self, *args: Any) -> Any:
        raise RuntimeError("killed while summarising")


def test_notices_lost_to_a_crash_after_the_commit_are_sent_on_restart(demo_engine: Engine) -> None:
    now = datetime(2026, 10, 9, tzinfo=TZ)
    with pytest.raises(RuntimeError, match="killed"):
        make_watcher(demo_engine, summariser=CrashingSummariser()).run_once(now)
    stored = incidents_of(demo_engine)
    assert stored and all(i.pending == "opened" for i in stored)
    recorder = Recorder()
    restarted = make_watcher(demo_engine, [recorder])
    report = restarted.run_once(now)
    assert report.opened == []
    assert sorted(n.incident_id for n in recorder.sent) == sorted(i.id for i in stored)
    assert {n.event for n in recorder.sent} == {"opened"}
    restarted.run_once(now)
    assert len(recorder.sent) == len(stored)  # nothing sent twice


def test_failing_notifiers_and_knowledge_are_recorded_and_passed_over(demo_engine: Engine) -> None:
    recorder = Recorder()
    knowledge = FakeKnowledge(fail=True)
    watcher = make_watcher(demo_engine, [Exploding(), Refused(), recorder], knowledge)
    report = watcher.run_once(datetime(2026, 10, 9, tzinfo=TZ))
    assert report.opened and len(recorder.sent) == len(report.opened)
    joined = "\n".join(report.problems)
    assert "exploding: RuntimeError: the notifier's own bug" in joined
    assert "webhook: HTTP 503 (gave up after 3 attempts)" in joined
    assert "indexing in the knowledge store failed" in joined
    assert "runbook search failed: ConnectionError" in joined
    incident = incidents_of(demo_engine)[0]
    assert incident.summary and incident.pending is None
    assert any("HTTP 503" in p for p in incident.details["problems"])
    assert len([p for p in incident.details["problems"] if "indexing" in p]) == 1
    deliveries = {d["notifier"]: d["ok"] for d in incident.details["deliveries"]}
    assert deliveries == {"exploding": False, "webhook": False, "recorder": True}


def test_a_resolution_is_notified_indexed_and_not_reopened(demo_engine: Engine) -> None:
    recorder, knowledge = Recorder(), FakeKnowledge()
    watcher = make_watcher(demo_engine, [recorder], knowledge)
    watcher.run_once(datetime(2026, 10, 9, tzinfo=TZ))
    [outage] = [i for i in incidents_of(demo_engine) if i.kind == "meter_outage"]
    ctx = ToolContext(
        demo_engine, site_of(demo_engine), datetime(2026, 10, 9, 8, tzinfo=TZ), user="ana"
    )
    update_incident(
        ctx, {"incident_id": outage.id, "action": "resolve", "note": "gateway rebooted"}
    )
    report = watcher.run_once(datetime(2026, 10, 10, tzinfo=TZ))
    assert outage.id not in report.opened
    resolved = [n for n in recorder.sent if n.event == "resolved"]
    assert [(n.incident_id, n.state) for n in resolved] == [(outage.id, "resolved")]
    assert "gateway rebooted" in resolved[0].summary
    _, body, metadata = knowledge.indexed[outage.id]
    assert "Resolution: gateway rebooted" in body and metadata["state"] == "resolved"
    outages = [i for i in incidents_of(demo_engine) if i.kind == "meter_outage"]
    assert [i.id for i in outages] == [outage.id]


def test_alert_rule_episodes_become_incidents(demo_engine: Engine) -> None:
    site = site_of(demo_engine)
    now = datetime(2026, 10, 9, tzinfo=TZ)
    ctx = ToolContext(demo_engine, site, now)
    with demo_engine.connect() as conn:
        peak_kwh = conn.execute(
            text(
                "SELECT max(r.value) FROM readings r JOIN series s ON s.id = r.series_id JOIN "
                "meters m ON m.id = s.meter_id WHERE m.name = 'main-incomer' AND s.metric = "
                "'energy' AND r.ts >= :lo AND r.ts < :hi"
            ),
            {"lo": int((now - timedelta(days=1)).timestamp()), "hi": int(now.timestamp())},
        ).scalar_one()
    limit = round(peak_kwh * 4 * 0.98, 1)  # just under the day's highest 15-minute demand
    create_alert_rule(  # made a day ago: a rule watches only from when it was made
        replace(ctx, now=now - timedelta(days=1)),
        {
            "meter": "main-incomer",
            "target": "demand",
            "condition": ">",
            "threshold": limit,
            "unit": "kW",
        },
    )
    recorder = Recorder()
    watcher = make_watcher(demo_engine, [recorder])
    report = watcher.run_once(now)
    alerts = [i for i in incidents_of(demo_engine) if i.kind == "alert_rule"]
    assert alerts and all(i.meter == "main-incomer" for i in alerts)
    assert report.alerts == len(alerts)
    assert all("peak" in i.title and "kW" in i.title for i in alerts)
    watcher.run_once(now)
    assert len([i for i in incidents_of(demo_engine) if i.kind == "alert_rule"]) == len(alerts)
    alert_id = alerts[0].details["alert_id"]
    update_alert(ctx, {"alert_id": alert_id, "action": "resolve", "note": "load shed"})
    watcher.run_once(now + timedelta(hours=1))
    [closed] = [i for i in incidents_of(demo_engine) if i.id == alerts[0].id]
    assert (closed.state, closed.resolution) == ("resolved", "load shed")
    assert (closed.id, "resolved") in [(n.incident_id, n.event) for n in recorder.sent]


def test_a_site_without_energy_meters_is_a_problem_not_a_crash(sqlite_engine: Engine) -> None:
    with sqlite_engine.begin() as conn:
        site = catalog.ensure_site(conn, "empty", "Europe/Berlin")
        catalog.ensure_series(conn, site.id, "weather", "outdoor_temperature", "degC")
    watcher = Watcher(
        sqlite_engine,
        TurnContexts(sqlite_engine, site, clock=fixed_clock(FIRST)),
        None,
        [],
        Summariser(),
    )
    report = watcher.run_once()
    assert report.opened == [] and report.problems
    assert "anomaly detection" in report.problems[0] and "energy" in report.problems[0]


def test_the_scheduler_runs_the_watcher_once_at_a_time(demo_engine: Engine) -> None:
    done = threading.Event()
    reports: list[WatchReport] = []

    def on_report(report: WatchReport) -> None:
        reports.append(report)
        done.set()

    watcher = make_watcher(demo_engine)
    scheduler = watcher.schedule(3600, on_report)
    try:
        assert done.wait(60), "the first scheduled run did not finish"
        [job] = scheduler.get_jobs()
        assert (job.max_instances, job.coalesce) == (1, True)
        assert job.trigger.interval == timedelta(hours=1)
    finally:
        scheduler.shutdown(wait=True)
    assert reports[0].now == FIRST.isoformat()


def test_clusters_and_merges() -> None:
    day = 86400
    a, b, c = (
        Segment(0, day, "info", 10.0, 1.0, 4.0),
        Segment(day + 3600, 2 * day, "warning", 5.0, 0.5, 5.0),
        Segment(5 * day, 6 * day, "info", 1.0, 0.1, 4.0),
    )
    assert clusters([c, a, b]) == [[a, b], [c]]
    rescored = Segment(0, 2 * day, "critical", 20.0, 2.0, 9.0)
    assert merge_segments([a, b, c], [rescored]) == [rescored, c]
    assert merge_segments([a], [a]) == [a]


def test_the_watcher_keeps_its_incidents_on_both_dialects(engine: Engine) -> None:
    """Four weeks of a synthetic meter with a five-hour gap: one outage incident, on SQLite and
    PostgreSQL alike, and none more when the same window runs again."""
    site, now = outage_store(engine)
    gap = OUTAGE
    recorder = Recorder()
    watcher = Watcher(
        engine,
        TurnContexts(engine, site, clock=fixed_clock(now)),
        None,
        [recorder],
        Summariser(),
    )
    first = watcher.run_once()
    again = Watcher(
        engine,
        TurnContexts(engine, site, clock=fixed_clock(now)),
        None,
        [recorder],
        Summariser(),
    ).run_once()
    assert again.opened == []
    [incident] = incidents_of_site(engine, site.id)
    assert first.opened == [incident.id]
    assert (incident.meter, incident.kind, incident.start_ts, incident.end_ts) == (
        "press-1",
        "meter_outage",
        *gap,
    )
    assert [n.event for n in recorder.sent] == ["opened"]
    with engine.connect() as conn:
        assert store.get_state(conn, "watcher:plant") == {
            "until": int(now.timestamp()),
            "last_run": now.isoformat(),
        }


def incidents_of_site(engine: Engine, site_id: int) -> list[store.IncidentRow]:
    with engine.connect() as conn:
        return store.list_incidents(conn, site_id, states=store.STATES, limit=None)


def outage_store(engine: Engine) -> tuple[catalog.SiteRef, datetime]:
    """Four weeks of a synthetic meter with a gap from 09:00 to 14:00 on 2026-03-27."""
    start = datetime(2026, 3, 2, tzinfo=TZ)
    ts = np.arange(int(start.timestamp()), int((start + timedelta(days=28)).timestamp()), 900)
    gap = OUTAGE
    keep = (ts < gap[0]) | (ts >= gap[1])
    hours = (ts % 86400) / 3600
    values = 10.0 + 5.0 * np.sin(hours / 24 * 2 * np.pi) + (ts // 900 % 7) * 0.1
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "plant", "Europe/Berlin")
        sid = catalog.ensure_series(conn, site.id, "press-1", "energy", "kWh").id
        write_readings(conn, sid, ts[keep], values[keep], "Europe/Berlin")
    return site, start + timedelta(days=28)


OUTAGE = (
    int(datetime(2026, 3, 27, 9, tzinfo=TZ).timestamp()),
    int(datetime(2026, 3, 27, 14, tzinfo=TZ).timestamp()),
)


def test_a_language_model_writes_the_summary_the_notice_carries(
    sqlite_engine: Engine, openai_server: ScriptedOpenAIServer, tmp_path: Path
) -> None:
    site, now = outage_store(sqlite_engine)
    prose = "**What happened.** press-1 sent no data from 2026-03-27 09:00 to 14:00 (5.0 h)."
    openai_server.add(Reply.text(prose))
    settings = Settings(
        home=tmp_path, llm_base_url=openai_server.base_url, llm_model="test-model", llm_timeout_s=5
    )
    recorder = Recorder()
    summariser = Summariser(None, make_backend(llm_settings(settings)))
    watcher = Watcher(
        sqlite_engine,
        TurnContexts(sqlite_engine, site, clock=fixed_clock(now)),
        None,
        [recorder],
        summariser,
    )
    report = watcher.run_once()
    assert report.problems == []
    [notice] = recorder.sent
    assert notice.summary.startswith(prose) and "**Sources**" in notice.summary
    [request] = openai_server.chat_requests
    facts = request.body["messages"][1]["content"]
    assert "- Since: 2026-03-27 09:00" in facts and "- Duration: 5.0 h" in facts
    [incident] = incidents_of_site(sqlite_engine, site.id)
    assert incident.summary == notice.summary and incident.details["summary_model"] == "test-model"


def test_catching_up_on_history_runs_week_by_week_from_the_first_reading(
    demo_engine: Engine,
) -> None:
    """A first start on old data: weekly runs from the first reading (not from a start long
    before it), the outage of 8 October found, and a second catch-up opening nothing."""
    with demo_engine.connect() as conn:
        first_ts = int(conn.execute(text("SELECT MIN(ts) FROM readings")).scalar_one())
    watcher = make_watcher(demo_engine)
    assert not watcher.has_run()
    end = datetime(2026, 10, 12, tzinfo=TZ)
    seen: list[tuple[int, int]] = []
    reports = watcher.catch_up(
        datetime(2025, 1, 1, tzinfo=TZ), end, progress=lambda _s, d, t: seen.append((d, t))
    )
    expected_runs = len(range(first_ts + 7 * 86400, int(end.timestamp()), 7 * 86400)) + 1
    assert len(reports) == expected_runs == seen[-1][1] == len(seen)
    assert reports[-1].now == end.isoformat()
    assert watcher.has_run()
    kinds = {(i.kind, catalog_name(demo_engine, i.meter_id)) for i in incidents_of(demo_engine)}
    assert ("meter_outage", "offices") in kinds
    opened = sum(len(r.opened) for r in reports)
    assert opened == len(incidents_of(demo_engine))
    again = make_watcher(demo_engine).catch_up(datetime(2025, 1, 1, tzinfo=TZ), end)
    assert len(again) == 1 and again[0].opened == []  # it goes on from where it stopped


def test_a_stopped_catch_up_goes_on_from_where_it_stopped(demo_engine: Engine) -> None:
    stop = threading.Event()
    end = datetime(2026, 10, 12, tzinfo=TZ)
    watcher = make_watcher(demo_engine)

    def progress(_stage: str, done: int, _total: int) -> None:
        if done == 2:
            stop.set()

    start = datetime(2026, 9, 1, tzinfo=TZ)
    first = watcher.catch_up(start, end, progress=progress, stop=stop)
    assert len(first) == 2
    rest = make_watcher(demo_engine).catch_up(start, end)
    assert rest[0].now > first[-1].now and rest[-1].now == end.isoformat()
    with pytest.raises(EMSError, match="nothing to catch up on"):
        watcher.catch_up(end, start)


def catalog_name(engine: Engine, meter_id: int | None) -> str | None:
    with engine.connect() as conn:
        return {m.id: m.name for m in catalog.list_meters(conn, site_of(engine).id)}.get(meter_id)  # type: ignore[arg-type]
