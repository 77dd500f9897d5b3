"""The chat page's parts without a browser: the meters overview checked against pandas over the
raw readings, conversation threads, evidence drawing, incidents by role, login over HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import gradio as gr
import httpx
import pytest
from sqlalchemy import Engine, text

from agent.evidence import ChartSpec, Evidence, evidence
from agent.loop import Agent
from chat_ui import panels, triage
from chat_ui.app import PortInUse, UIHandle, build_ui, login_check, serve
from chat_ui.charts import figure, sparkline
from chat_ui.chat import evidence_for, pending_html, tables_html, thread_messages
from chat_ui.page import Page
from chat_ui.threads import ThreadIndex, title_of
from common.errors import EMSError, NotConfigured
from ems_agent.app import App, build_agent, ui_deps
from ems_agent.context import fixed_clock
from ems_agent.settings import Settings, UserSettings, load_settings
from ems_agent.users import Accounts, hash_password
from store import catalog
from store import incidents as incident_store
from tests.test_agent_offline import TZ, raw
from tools.base import ToolContext

NOW = datetime(2026, 11, 4, 18, 0, tzinfo=TZ)  # a Wednesday with data up to midnight
PASSWORD = "energy-manager-1"


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def settings(demo_engine: Engine, password_hash: str) -> Settings:
    users = [
        UserSettings(name="olga", role="operator", password_hash=password_hash),
        UserSettings(name="vic", role="viewer", password_hash=password_hash),
    ]
    return load_settings(database_url=demo_engine.url.render_as_string(False), users=users)


@pytest.fixture
def ui_app(settings: Settings) -> App:
    return App(settings, fixed_clock(NOW))


@pytest.fixture
def agent(ui_app: App) -> Agent:
    return build_agent(ui_app, role="viewer")


def context(agent: Agent, role: str = "operator", user: str = "olga") -> ToolContext:
    return agent.context(user=user, role=role)


def add_incident(engine: Engine, title: str = "Compressed-air leak on compressor-2") -> int:
    """An open incident as the watcher would store it."""
    with engine.begin() as conn:
        site = catalog.get_site(conn, "demo-plant")
        meter = catalog.resolve_meter(conn, site.id, "compressor-2")
        start = int(datetime(2026, 11, 3, 22, 0, tzinfo=TZ).timestamp())
        new = incident_store.NewIncident(
            meter_id=meter.id,
            kind="consumption_high",
            severity="warning",
            start_ts=start,
            end_ts=start + 6 * 3600,
            title=title,
            dedup_key=f"test:{title}",
            extra_kwh=138.0,
            cost=22.1,
            currency="EUR",
        )
        incident_id, _ = incident_store.insert_incident(conn, site.id, new)
        incident_store.change_incident(
            conn, incident_id, summary="Night-time draw **23 kW** above normal; likely a leak."
        )
    return incident_id


# ------------------------------------------------------------------ meters overview


def test_meters_overview_matches_raw_readings(agent: Agent, demo_engine: Engine) -> None:
    cards = {c.meter: c for c in panels.meters_overview(context(agent))}
    assert "weather" not in cards and {"compressor-1", "chiller", "main-incomer"} <= set(cards)
    card = cards["compressor-1"]
    today = raw(demo_engine, "compressor-1", "2026-11-04T00:00", "2026-11-04T18:00").sum()
    assert card.today == pytest.approx(today)
    same_days = [
        raw(demo_engine, "compressor-1", f"{d}T00:00", f"{d}T18:00").sum()
        for d in ("2026-10-28", "2026-10-21", "2026-10-14", "2026-10-07")
    ]
    assert card.typical == pytest.approx(statistics.median(same_days))
    assert card.typical_days == 4
    assert card.change == pytest.approx(today / statistics.median(same_days) - 1)
    days = [(date(2026, 10, 28) + timedelta(days=i)).isoformat() for i in range(7)]
    assert card.days == days
    expected = [raw(demo_engine, "compressor-1", d, f"{d}T23:59:59").sum() for d in days]
    assert card.daily == pytest.approx(expected)


def test_meters_overview_page_text(agent: Agent) -> None:
    page = panels.meters_html(context(agent))
    assert page.count('class="meter-card') == len(panels.meters_overview(context(agent)))
    assert "vs typical Wednesday" in page and "<svg" in page


def test_meters_overview_without_data_says_so(agent: Agent) -> None:
    early = agent.context(now=datetime(2026, 5, 1, 9, 0, tzinfo=TZ))
    assert "No meter overview" in panels.meters_html(early)


def test_a_missing_tool_is_named() -> None:
    with pytest.raises(NotConfigured, match="no_such_tool"):
        panels.run_tool(None, "no_such_tool", {})  # type: ignore[arg-type]


# ------------------------------------------------------------------ conversations


def test_thread_index_keeps_each_persons_own(tmp_path: Path) -> None:
    index = ThreadIndex(tmp_path / "threads.db")
    index.record("olga", "t1", "What was compressor-2's peak demand last week?")
    index.record("vic", "t2", "hello")
    index.record("olga", "t3", "x " * 80)
    index.record("olga", "t1", "and the week before?")
    assert [t.thread for t in index.threads("olga")] == ["t1", "t3"]
    assert index.threads("olga")[0].title == "What was compressor-2's peak demand last week?"
    assert index.owner("t2") == "vic" and index.owner("nope") is None
    index.record("vic", "t1", "take it over")  # another person cannot claim a thread
    assert index.owner("t1") == "olga"
    assert len(title_of("word " * 40)) <= 62


def test_a_stored_thread_comes_back_with_its_evidence(agent: Agent) -> None:
    first = agent.ask("What was compressor-2's peak demand last week?", now=NOW, role="operator")
    second = agent.ask("and the week before?", thread=first.thread, now=NOW, role="operator")
    messages, answered = thread_messages(agent.history(first.thread))
    assert [m["role"] for m in messages] == ["user", "assistant", "assistant"] * 2
    assert messages[1]["content"] == first.answer and messages[4]["content"] == second.answer
    assert messages[2]["metadata"]["title"].startswith("Tools used: compute_kpi")
    back = evidence_for(answered, 3)  # the second question: the answer after it
    assert back is not None and back.question == "and the week before?"
    assert back.evidence.charts == evidence(second).charts
    assert evidence_for(answered, 0) is not None and evidence_for(answered, 99) is None


def test_a_reopened_pending_write_shows_the_change_and_what_it_writes(agent: Agent) -> None:
    reply = agent.ask("alert me when line-A's SEC passes 0.42 kWh/unit", now=NOW, role="operator")
    assert reply.outcome == "confirm"
    waiting = agent.pending(reply.thread)
    messages, _ = thread_messages(agent.history(reply.thread), waiting)
    shown = messages[-1]["content"]
    assert "create an alert rule on line-a: sec > 0.42 kWh/unit" in shown and "Confirm" in shown
    table = pending_html(waiting)
    assert "create_alert_rule" in table and "<td>0.4200</td>" in table and "kWh/unit" in table
    assert pending_html([]) == ""


# ------------------------------------------------------------------ drawing


def test_figure_carries_the_chart_values() -> None:
    line = ChartSpec(
        "a, last week",
        "kW",
        "line",
        ["2026-10-26T00:00:00+01:00", "2026-10-26T00:15:00+01:00"],
        {"compressor-2": [1.5, None]},
    )
    bars = ChartSpec("b", "kWh", "bar", ["line-a", "line-b"], {"2026-10": [3.0, 4.0]})
    fig = figure([line, bars])
    assert fig is not None and len(fig.data) == 3
    assert list(fig.data[0].y) == [1.5, None]
    assert list(fig.data[1].y) == [1.5] and fig.data[1].name == "highest: 1.5 kW"
    assert fig.data[2].type == "bar" and list(fig.data[2].x) == ["line-a", "line-b"]
    assert figure([]) is None
    band = ChartSpec(
        "f",
        "kWh",
        "line",
        ["2026-11-05T18:00:00+01:00"] * 2,
        {"expected": [2.0, 2.0], "low (10 %)": [1.0, 1.0], "high (90 %)": [3.0, 3.0]},
    )
    assert [t.name for t in figure([band]).data][1:] == ["10-90 % range", "expected"]  # type: ignore[union-attr]


def test_sparkline_draws_every_known_day() -> None:
    svg = sparkline([1.0, 2.0, None, 4.0])
    path = svg.split('d="')[1].split('"')[0]
    assert path.count("M") == 2 and path.count("L") == 1  # two runs: [1, 2] and [4]
    assert "<path" not in sparkline([None, None])


def test_tables_escape_text_and_format_numbers() -> None:
    ev = Evidence([], [("t", ["meter", "kWh"], [["<b>x</b>", 12345.678]])], [], [])
    page = tables_html(ev)
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "12,346" in page and "<b>x" not in page


# ------------------------------------------------------------------ incidents by role


def active(agent: Agent, state: str = "active") -> list[dict[str, object]]:
    return triage.listing(context(agent), triage.Filters(state=state)).incidents


def test_an_operator_acknowledges_and_resolves(agent: Agent, demo_engine: Engine) -> None:
    incident_id = add_incident(demo_engine)
    found = triage.listing(context(agent), triage.Filters())
    assert [i["id"] for i in found.incidents] == [incident_id] and found.total == 1
    row = triage.listing_html(found)
    assert "Compressed-air leak" in row and "138 kWh" in row and "22 EUR" in row
    assert "<strong>23 kW</strong>" in row
    done = triage.act(context(agent), incident_id, "acknowledge", None)
    assert (done["state"], done["acknowledged_by"]) == ("acknowledged", "olga")
    with pytest.raises(triage.NoteNeeded):
        triage.act(context(agent), incident_id, "resolve", "  ")
    with pytest.raises(triage.NoteNeeded):
        triage.act(context(agent), incident_id, "note", "")
    triage.act(context(agent), incident_id, "resolve", "drain valve replaced")
    assert active(agent) == []
    assert active(agent, "resolved")[0]["resolution"] == "drain valve replaced"


def test_a_viewer_cannot_change_incidents(agent: Agent, demo_engine: Engine) -> None:
    incident_id = add_incident(demo_engine)
    with pytest.raises(EMSError, match="operator"):
        triage.act(context(agent, "viewer", "vic"), incident_id, "acknowledge", None)
    assert active(agent)[0]["state"] == "open"


def test_incident_rows_are_static_html_that_escapes_the_watchers_text() -> None:
    base = {"severity": "warning", "meter": "chiller", "start": "2026-11-03T22:00:00+01:00"}
    found = [
        {
            **base,
            "id": 7,
            "title": "Leak <script>alert(1)</script>",
            "state": "acknowledged",
            "acknowledged_by": "olga",
            "summary": "Draw **23 kW** above normal <b>raw</b>",
            "timeline": [
                {
                    "at": "2026-11-04T08:00:00+01:00",
                    "by": "olga",
                    "action": "acknowledged",
                    "note": "<i>on it</i>",
                },
            ],
        },
        {
            **base,
            "id": 3,
            "title": "Old spike",
            "state": "resolved",
            "severity": "critical",
            "resolution": "valve fixed",
            "resolved_by": "olga",
        },
    ]
    rows = triage.listing_html(triage.Listing(found, total=2, offset=0), opened=3)
    assert rows.count('<details class="incident ') == 2 and "<script>" not in rows
    assert "&lt;script&gt;" in rows and "&lt;b&gt;raw" in rows and "&lt;i&gt;on it" in rows
    assert "<strong>23 kW</strong>" in rows and "acknowledged by olga" in rows
    assert 'class="incident sev-critical state-resolved" data-incident="3" open>' in rows
    assert 'data-incident="7">' in rows  # only the one asked for is expanded
    assert "Resolved by olga:</strong> valve fixed" in rows
    none = triage.listing_html(triage.Listing([], total=0, offset=0))
    assert "No incidents match these filters." in none
    assert "not available: the tool is missing" in triage.listing_html("the tool is missing")


def incidents_row(engine: Engine) -> tuple[object, ...]:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT state, acknowledged_by, resolution FROM incidents"))
        return tuple(row.one())


ACTIVE = ("active", [], "", "", 0)  # the triage filters: state, severities, meter, period, page


def test_the_incident_buttons_act_on_the_picked_incident(ui_app: App, demo_engine: Engine) -> None:
    incident_id = add_incident(demo_engine)
    page = Page(ui_deps(ui_app))
    acknowledge, resolve = page.acter("acknowledge"), page.acter("resolve")
    olga, vic = gr.Request(username="olga"), gr.Request(username="vic")
    refused = acknowledge(incident_id, "", *ACTIVE, vic)
    assert "you are a viewer" in refused[4] and refused[5] == gr.skip()
    assert "pick the incident first" in acknowledge(None, "", *ACTIVE, olga)[4]
    assert incidents_row(demo_engine) == ("open", None, None)

    cards, position, pick, _, message, note = acknowledge(incident_id, "on it", *ACTIVE, olga)
    assert f"#{incident_id} Compressed-air leak" in message and "acknowledged** by olga" in message
    assert "acknowledged by olga" in cards and note == "" and position.startswith("Showing 1 to 1")
    assert "on it" in cards and f'data-incident="{incident_id}" open' in cards  # its timeline
    assert pick.choices == [(f"#{incident_id} Compressed-air leak on compressor-2", incident_id)]
    assert incidents_row(demo_engine) == ("acknowledged", "olga", None)

    cards, position, pick, _, message, note = resolve(f"#{incident_id}", "  ", *ACTIVE, olga)
    assert "before resolving" in message and note == gr.skip()
    assert incidents_row(demo_engine) == ("acknowledged", "olga", None)

    cards, position, pick, _, message, _ = resolve(
        incident_id, "drain valve replaced", *ACTIVE, olga
    )
    assert "resolved** by olga: drain valve replaced" in message
    assert "No incidents match these filters." in cards and pick.choices == []
    assert incidents_row(demo_engine) == ("resolved", "olga", "drain valve replaced")
    resolved = ("resolved", [], "", "", 0)
    again = resolve(incident_id, "twice", *resolved, olga)
    assert f"#{incident_id} not resolved:" in again[4] and "drain valve replaced" in again[0]
    assert incidents_row(demo_engine) == ("resolved", "olga", "drain valve replaced")
    noted = page.acter("note")(incident_id, "valve was corroded", *resolved, olga)
    assert "Note added" in noted[4] and "valve was corroded" in noted[0]


def test_triage_filters_and_pages_with_the_total(ui_app: App, demo_engine: Engine) -> None:
    for n in range(23):
        add_incident(demo_engine, f"Spike {n}")
    page = Page(ui_deps(ui_app))
    olga = gr.Request(username="olga")
    cards, position, pick, at = page.refresh_incidents("all", [], "", "", 0, olga)
    assert position == "Showing 1 to 20 of 23 incidents" and cards.count("<details") == 20
    assert " open>" not in cards  # collapsed until clicked
    cards, position, pick, at = page.pager(+1)("all", [], "", "", at, olga)
    assert (position, at) == ("Showing 21 to 23 of 23 incidents", 1)
    assert cards.count("<details") == 3 and len(pick.choices) == 3
    # Next on the last page, or a filter that leaves fewer: never an empty page past the end.
    _, position, _, at = page.pager(+1)("all", [], "", "", at, olga)
    assert (position, at) == ("Showing 21 to 23 of 23 incidents", 1)
    _, position, _, at = page.refilter("active", ["warning"], "", "", 1, olga)
    assert (position, at) == ("Showing 1 to 20 of 23 incidents", 0)
    _, position, _, at = page.refresh_incidents("all", [], "", "2026-09", 1, olga)
    assert (position, at) == ("No incidents match these filters.", 0)
    _, position, _, _ = page.refresh_incidents("all", ["critical"], "", "", 0, olga)
    assert position == "No incidents match these filters."
    _, position, _, _ = page.refresh_incidents("all", ["warning"], "chiller", "", 0, olga)
    assert position == "No incidents match these filters."
    _, position, _, _ = page.refresh_incidents("all", [], "compressor-2", "2026-11", 0, olga)
    assert position == "Showing 1 to 20 of 23 incidents"
    cards, position, _, _ = page.refresh_incidents("all", [], "no-such-meter", "", 0, olga)
    assert "not available" in cards and "no-such-meter" in cards


def test_the_page_makes_no_event_handlers_inside_a_render(ui_app: App) -> None:
    # Handlers made inside @gr.render get new ids each time it re-runs; a click that lands
    # during a re-run sends an id that no longer exists and is lost.
    blocks = build_ui(ui_deps(ui_app))
    assert blocks.default_config.renderables == []
    ids = {
        block_id: str(getattr(block, "elem_id", "")) for block_id, block in blocks.blocks.items()
    }
    buttons = {"incident-acknowledge", "incident-add-note", "incident-resolve"}
    clicked = sorted(
        (ids[block_id], event, fn.name)
        for fn in blocks.fns.values()
        for block_id, event in fn.targets
        if block_id is not None and ids.get(block_id) in buttons
    )
    assert clicked == [
        ("incident-acknowledge", "click", "act"),
        ("incident-add-note", "click", "act"),
        ("incident-resolve", "click", "act"),
    ]


def test_alert_rules_table(agent: Agent) -> None:
    reply = agent.ask("alert me when line-A's SEC passes 0.42 kWh/unit", now=NOW, role="operator")
    agent.ask("yes", thread=reply.thread, now=NOW, role="operator")
    columns, rows = panels.alert_rules(context(agent))
    row = dict(zip(columns, rows[0], strict=True))
    assert (row["meter"], row["target"], row["threshold"], row["unit"]) == (
        "line-a",
        "sec",
        0.42,
        "kWh/unit",
    )


# ------------------------------------------------------------------ the server and its login


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def page(ui_app: App) -> Iterator[UIHandle]:
    handle = serve(ui_deps(ui_app), "127.0.0.1", free_port())
    yield handle
    handle.close()


def test_login_over_http(page: UIHandle) -> None:
    with httpx.Client(base_url=page.url, timeout=30) as client:
        assert client.get("/gradio_api/login_check").status_code == 401
        bad = client.post("/login", data={"username": "olga", "password": "wrong-password"})
        assert bad.status_code == 400 and not client.cookies
        good = client.post("/login", data={"username": "olga", "password": PASSWORD})
        assert good.status_code == 200 and good.json() == {"success": True}
        assert client.get("/gradio_api/login_check").status_code == 200


def test_the_port_in_use_is_named(ui_app: App) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUse, match=str(port)):
            serve(ui_deps(ui_app), "127.0.0.1", port)


def test_repeated_failures_lock_a_name_for_a_while(settings: Settings) -> None:
    check = login_check(Accounts(settings))

    async def attempts() -> list[bool]:
        failed = [await check("olga", "guess") for _ in range(10)]
        return [*failed, await check("olga", PASSWORD), await check("vic", PASSWORD)]

    results = asyncio.run(attempts())
    assert results == [False] * 11 + [True]


def test_a_broken_users_file_refuses_logins_without_crashing(settings: Settings) -> None:
    (settings.home / "users.toml").write_text("[[users]\n")
    assert asyncio.run(login_check(Accounts(settings))("olga", PASSWORD)) is False


def test_first_start_without_users_prints_the_admin_password(
    demo_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    bare = App(
        load_settings(database_url=demo_engine.url.render_as_string(False)), fixed_clock(NOW)
    )
    handle = serve(ui_deps(bare), "127.0.0.1", free_port())
    try:
        said = capsys.readouterr().err
        password = said.split("with password ")[1].split()[0]
        with httpx.Client(base_url=handle.url, timeout=30) as client:
            ok = client.post("/login", data={"username": "admin", "password": password})
            assert ok.status_code == 200
    finally:
        handle.close()


def test_ui_command_serves_until_interrupted(demo_engine: Engine, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "EMS_DATABASE_URL": demo_engine.url.render_as_string(False)}
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "ems-agent"), "ui", "--port", str(port), "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = []  # one indented JSON object, printed once the page is up
        while not lines or lines[-1] != "}\n":
            lines.append(proc.stdout.readline())
            assert lines[-1], proc.stderr.read() if proc.stderr else ""
        started = json.loads("".join(lines))
        assert started == {"url": f"http://127.0.0.1:{port}/", "site": "demo-plant"}
        assert httpx.get(started["url"], timeout=30).status_code == 200
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert rest == "" and "log in as 'admin' with password" in err and "stopped" in err


def test_ui_command_on_an_empty_store_serves_and_says_what_to_load() -> None:
    # Knowledge questions need no meter data: the page starts, and says how to load some.
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "ems-agent"), "ui", "--port", str(free_port())],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        started = proc.stdout.readline()
        assert "no meter data yet" in started and "ems-agent demo" in started, started
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
