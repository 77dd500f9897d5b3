"""The Slack bot end to end without Slack's cloud: a recording Slack Web API server on 127.0.0.1,
the Bolt app served over HTTP and signed requests posted to it (signatures computed here), the
agent answering from the demo plant, checked against pandas over the raw readings; the incident
notifier and Socket Mode against the same fakes; the `ems-agent slack` command."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import io
import json
import logging
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from PIL import Image
from sqlalchemy import Engine, text

from agent.loop import Agent
from common.notices import IncidentNotice
from connectors.notify.slack import SlackIncidentNotifier, incident_blocks, to_mrkdwn, web_client
from ems_agent.app import App, slack_deps
from ems_agent.settings import load_settings
from slack_bot.bot import (
    HELP,
    BotStats,
    SlackUnavailable,
    build_slack_app,
    connect_socket_mode,
    serve_http,
    thread_id,
)
from store import catalog
from store import incidents as incident_store
from store.engine import make_engine
from tests.test_agent_offline import offline_agent

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 5, 0, 0, tzinfo=TZ)
SECRET = "8f742231b10e8888abcd99b1c5a6f3e2"
TEAM, BOT_USER, OPERATOR, VIEWER = "T0TEAM", "U0BOT", "U0OPERATOR", "U0VIEWER"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
WAIT_S = 30.0
MESSAGE_TS = "1762280000.000100"  # the incident message the buttons are on
EXE = str(Path(sys.executable).with_name("ems-agent"))


# ------------------------------------------------------------------ a recording Slack Web API


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    body: bytes = b""
    reply: dict[str, Any] = field(default_factory=dict)


@dataclass
class SlackAPI:
    """Answers the Web API methods the bot uses with plausible JSON and records every call."""

    calls: list[Call] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)  # method -> errors to answer
    rate_limits: dict[str, int] = field(default_factory=dict)  # method -> 429s before success
    changed: threading.Condition = field(default_factory=threading.Condition)
    port: int = 0
    socket_url: str = ""  # what apps.connections.open hands out (Socket Mode)
    count: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def record(self, call: Call) -> None:
        with self.changed:
            self.calls.append(call)
            self.changed.notify_all()

    def of(self, method: str) -> list[Call]:
        return self.wait_for(method, n=0)

    def wait_for(
        self, method: str, where: Callable[[Call], bool] = lambda c: True, n: int = 1
    ) -> list[Call]:
        """The calls of `method` matching `where`, once there are at least n of them."""
        deadline = time.monotonic() + WAIT_S
        with self.changed:
            while len(found := [c for c in self.calls if c.method == method and where(c)]) < n:
                if not self.changed.wait(max(deadline - time.monotonic(), 0)):
                    seen = [(c.method, str(c.args.get("text", ""))[:60]) for c in self.calls]
                    raise AssertionError(f"{len(found)} of {n} {method} calls arrived: {seen}")
            return found

    def answer(self, method: str, args: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.changed:
            if self.rate_limits.get(method):
                self.rate_limits[method] -= 1
                return 429, {"ok": False, "error": "ratelimited"}
            if self.errors.get(method):
                return 200, {"ok": False, "error": self.errors[method].pop(0)}
            self.count += 1
            ts, file_id = f"1762300000.{self.count:06d}", f"F{self.count:06d}"
        channel = args.get("channel") or args.get("channel_id")
        files = json.loads(args.get("files") or "[]")
        upload = f"http://127.0.0.1:{self.port}/upload/{file_id}"
        replies: dict[str, dict[str, Any]] = {
            "auth.test": {"team_id": TEAM, "user_id": BOT_USER, "bot_id": "B0BOT", "user": "ems"},
            "chat.postMessage": {
                "channel": channel,
                "ts": ts,
                "message": {"text": args.get("text")},
            },
            "chat.update": {"channel": channel, "ts": args.get("ts"), "text": args.get("text")},
            "chat.postEphemeral": {"message_ts": ts},
            "files.getUploadURLExternal": {"upload_url": upload, "file_id": file_id},
            "files.completeUploadExternal": {"files": [{"id": f["id"]} for f in files]},
            "views.open": {"view": {"id": "V0VIEW"}},
            "apps.connections.open": {"url": self.socket_url},
        }
        if method not in replies:
            return 200, {"ok": False, "error": "unknown_method"}
        return 200, {"ok": True, **replies[method]}


def _handler(api: SlackAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            kind, _, name = self.path.lstrip("/").partition("/")
            if kind in ("upload", "response"):  # file bytes, and response_url messages
                args = json.loads(body) if kind == "response" else {"file": name}
                api.record(Call(kind, args, headers, body))
                return self._send(200, b"ok", "text/plain")
            json_body = "json" in headers.get("content-type", "")
            args = json.loads(body) if json_body else dict(urllib.parse.parse_qsl(body.decode()))
            status, reply = api.answer(name, args)
            api.record(Call(name, args, headers, body, reply))
            self._send(status, json.dumps(reply).encode(), "application/json")

        def _send(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Retry-After", "0")  # read only with a 429
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture
def slack_api() -> Iterator[SlackAPI]:
    api = SlackAPI()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    api.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield api
    server.shutdown()
    server.server_close()


# ------------------------------------------------------------------ the bot over HTTP


@pytest.fixture
def agent(demo_engine: Engine, tmp_path: Path) -> Agent:
    return offline_agent(demo_engine, tmp_path / "threads.db", NOW)


@dataclass
class Bot:
    url: str
    bolt: Any
    stats: BotStats

    def post(
        self, body: str, *, form: bool = False, timestamp: int | None = None, secret: str = SECRET
    ) -> tuple[int, str, float]:
        """POST a request signed as Slack signs them (v0 HMAC-SHA256 of v0:ts:body)."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded" if form else "application/json",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": f"v0={digest.hexdigest()}",
        }
        request = urllib.request.Request(self.url, body.encode(), headers, method="POST")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode(), time.monotonic() - started
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(), time.monotonic() - started

    def event(self, event: dict[str, Any], event_id: str | None = None) -> tuple[int, str, float]:
        return self.post(json.dumps(envelope(event, event_id or f"Ev{time.monotonic_ns()}")))

    def interaction(self, payload: dict[str, Any]) -> tuple[int, str, float]:
        return self.post(urllib.parse.urlencode({"payload": json.dumps(payload)}), form=True)

    def drain(self) -> None:
        """Wait until every listener has finished (the bot takes no requests after this)."""
        self.bolt.listener_runner.listener_executor.shutdown(wait=True)


@pytest.fixture
def bot(slack_api: SlackAPI, agent: Agent, caplog: pytest.LogCaptureFixture) -> Iterator[Bot]:
    settings = load_settings(slack_users={OPERATOR: "operator"}, slack_api_url=slack_api.url)
    stats = BotStats()
    client = web_client("xoxb-test-token", settings.slack_api_url)
    bolt = build_slack_app(
        slack_deps(App(settings), agent), client=client, signing_secret=SECRET, stats=stats
    )
    server = serve_http(bolt, SECRET, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    caplog.set_level(logging.WARNING)
    bot = Bot(f"http://127.0.0.1:{server.server_port}/slack/events", bolt, stats)
    yield bot
    bot.drain()
    server.shutdown()  # returns once serve_forever has stopped
    server.server_close()
    # An error that was only logged is a failure too (tests that expect one clear the log).
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def raw(engine: Engine, meter: str, start: str, end: str) -> pd.Series:
    """Energy readings of one meter in [start, end) local dates, read with plain SQL."""
    lo = int(datetime.fromisoformat(start).replace(tzinfo=TZ).timestamp())
    hi = int(datetime.fromisoformat(end).replace(tzinfo=TZ).timestamp())
    sql = text(
        "SELECT r.ts, r.value FROM readings r JOIN series s ON s.id = r.series_id "
        "JOIN meters m ON m.id = s.meter_id WHERE m.name = :m AND s.metric = 'energy' "
        "AND r.ts >= :lo AND r.ts < :hi ORDER BY r.ts"
    )
    with engine.connect() as conn:
        rows = conn.execute(sql, {"m": meter, "lo": lo, "hi": hi}).all()
    return pd.Series([v for _, v in rows], index=[t for t, _ in rows], dtype=float)


def envelope(event: dict[str, Any], event_id: str) -> dict[str, Any]:
    """An Events API callback as Slack wraps an event."""
    authorizations = [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}]
    return {"type": "event_callback", "team_id": TEAM, "api_app_id": "A0APP", "event": event,
            "event_id": event_id, "event_time": int(time.time()),
            "authorizations": authorizations}  # fmt: skip


def message(
    text_: str, ts: str, *, thread_ts: str | None = None, user: str = OPERATOR, im: bool = False
) -> dict[str, Any]:
    """A `message` event: in a channel (a thread reply when thread_ts is given), or a DM."""
    event = {"type": "message", "user": user, "text": text_, "ts": ts, "event_ts": ts}
    event |= {"channel_type": "im", "channel": "D0DIRECT"} if im else {"channel": "C0PLANT"}
    return event | ({"thread_ts": thread_ts} if thread_ts else {})


def mention(text_: str, ts: str, **where: Any) -> dict[str, Any]:
    return message(f"<@{BOT_USER}> {text_}", ts, **where) | {"type": "app_mention"}


def in_thread(slack_api: SlackAPI, ts: str, n: int = 1) -> list[Call]:
    """The answers posted in the thread of ts, once there are n."""
    return slack_api.wait_for("chat.postMessage", lambda c: c.args.get("thread_ts") == ts, n)


def answer_text(call: Call) -> str:
    """What the person sees of a posted answer: its section blocks, or its text."""
    blocks = call.args.get("blocks") or []
    parts = [b["text"]["text"] for b in blocks if b.get("type") == "section" and "text" in b]
    return "\n".join(parts) or str(call.args.get("text"))


def context_text(call: Call) -> str:
    blocks = call.args.get("blocks") or []
    return " ".join(e["text"] for b in blocks if b.get("type") == "context" for e in b["elements"])


# ------------------------------------------------------------------ questions in threads


def test_a_mention_is_answered_in_its_thread_with_the_number_and_a_chart(
    bot: Bot, slack_api: SlackAPI, demo_engine: Engine
) -> None:
    ts = "1762290000.000100"
    status, _, elapsed = bot.event(mention("daily energy of compressor-2 last week", ts))
    assert status == 200
    assert elapsed < 3.0  # acknowledged before the agent's turn, not after it
    (answer,) = in_thread(slack_api, ts)
    assert answer.args["channel"] == "C0PLANT"
    assert answer.headers["authorization"] == "Bearer xoxb-test-token"
    expected = raw(demo_engine, "compressor-2", "2026-10-26", "2026-11-02").sum()
    shown = answer_text(answer)
    assert f"{expected:,.0f} kWh" in shown
    assert "*compressor-2*" in shown and "**" not in shown  # Markdown bold became mrkdwn
    assert "query_metric" in context_text(answer) and "store rollups" in context_text(answer)

    (done,) = slack_api.wait_for("files.completeUploadExternal")
    assert (done.args["channel_id"], done.args["thread_ts"]) == ("C0PLANT", ts)
    (uploaded,) = slack_api.wait_for("upload")
    assert uploaded.body.startswith(PNG_MAGIC)
    assert Image.open(io.BytesIO(uploaded.body)).size[0] >= 600
    (asked,) = slack_api.of("files.getUploadURLExternal")
    assert int(asked.args["length"]) == len(uploaded.body)
    assert asked.args["filename"].endswith(".png")
    assert bot.stats.answered == 1


def test_a_follow_up_in_the_thread_continues_the_conversation(
    bot: Bot, slack_api: SlackAPI, agent: Agent, demo_engine: Engine
) -> None:
    ts = "1762290000.000200"
    bot.event(mention("what was compressor-2's peak demand last week", ts))
    in_thread(slack_api, ts)
    # A mention in the thread comes twice, as app_mention and as message: one answer.
    twin = mention("and the week before?", "1762290050.000300", thread_ts=ts)
    bot.event(twin | {"type": "message"})
    bot.event(twin)
    bot.drain()
    first, second = in_thread(slack_api, ts, 2)
    week = raw(demo_engine, "compressor-2", "2026-10-26", "2026-11-02")
    assert f"{week.max() * 4:,.1f} kW" in answer_text(first)
    before = raw(demo_engine, "compressor-2", "2026-10-19", "2026-10-26")
    assert f"{before.max() * 4:,.1f} kW" in answer_text(second)
    history = agent.history(thread_id(TEAM, "C0PLANT", ts))
    asked = ["what was compressor-2's peak demand last week", "and the week before?"]
    assert [m.content for m in history if m.type == "human"] == asked


def test_a_direct_message_is_answered_once_and_what_is_not_asked_is_left_alone(
    bot: Bot, slack_api: SlackAPI, demo_engine: Engine
) -> None:
    stranger = message("lunch at noon?", "1762290060.000100", thread_ts="1762290001.000100")
    channel = message("morning all", "1762290065.000100")
    own = message("an answer", "1762290070.000100", im=True) | {"bot_id": "B0OTHER"}
    edited = message("edited", "1762290080.000100", im=True) | {"subtype": "message_changed"}
    for event in (stranger, channel, own, edited):
        assert bot.event(event)[0] == 200
    ts = "1762290100.000100"
    dm = message("energy of line-a yesterday", ts, user=VIEWER, im=True)
    for _ in range(2):  # Slack sends an event again when it doubts the first delivery
        assert bot.event(dm, event_id="Ev0SAME")[0] == 200
    bot.event(mention("", "1762290450.000100"))  # a bare mention gets the help
    bot.drain()
    posts = {c.args["thread_ts"]: c for c in slack_api.of("chat.postMessage")}
    assert len(slack_api.of("chat.postMessage")) == len(posts) == 2  # nothing else, nothing twice
    assert posts["1762290450.000100"].args["text"] == HELP
    answer = posts[ts]
    assert answer.args["channel"] == "D0DIRECT"
    expected = raw(demo_engine, "line-a", "2026-11-04", "2026-11-05").sum()
    assert f"{expected:,.0f} kWh" in answer_text(answer)


def test_a_failing_turn_becomes_a_polite_message(
    bot: Bot, slack_api: SlackAPI, agent: Agent, monkeypatch: Any, caplog: Any
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("model server fell over")

    monkeypatch.setattr(agent, "ask", broken)
    ts = "1762290400.000100"
    bot.event(mention("energy of line-b yesterday", ts))
    (answer,) = in_thread(slack_api, ts)
    assert "Sorry, something went wrong" in answer.args["text"]
    assert "RuntimeError" in answer.args["text"]
    bot.drain()
    assert any("failed" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    caplog.clear()  # the error was expected: it is logged, and the bot kept running
    assert bot.stats.failed == 1


# ------------------------------------------------------------------ writes and roles


def rules(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        sql = text("SELECT target, threshold, unit, created_by FROM alert_rules")
        return [tuple(r) for r in conn.execute(sql)]


def test_an_operators_write_needs_yes_in_the_thread_and_a_viewers_is_refused(
    bot: Bot, slack_api: SlackAPI, demo_engine: Engine
) -> None:
    ts = "1762290200.000100"
    bot.event(mention("alert me when line-A's SEC passes 0.42 kWh/unit", ts))
    (question,) = in_thread(slack_api, ts)
    assert "Shall I go ahead?" in answer_text(question)
    assert rules(demo_engine) == []
    bot.event(message("yes", "1762290210.000100", thread_ts=ts))
    done = in_thread(slack_api, ts, 2)[1]
    assert "create_alert_rule" in context_text(done)
    assert rules(demo_engine) == [("sec", 0.42, "kWh/unit", f"slack:{OPERATOR}")]
    # A viewer (not in slack_users: the default role) is refused by the tool itself.
    ts = "1762290300.000100"
    bot.event(mention("alert me when the chiller demand exceeds 200 kW", ts, user=VIEWER))
    (answer,) = in_thread(slack_api, ts)
    assert "operator" in answer_text(answer) and "Shall I go ahead?" not in answer_text(answer)
    assert len(rules(demo_engine)) == 1


# ------------------------------------------------------------------ /ems


def command(text_: str, port: int, user: str = OPERATOR) -> str:
    fields = {"team_id": TEAM, "channel_id": "C0PLANT", "user_id": user, "command": "/ems"}
    url = f"http://127.0.0.1:{port}/response/cmd"
    return urllib.parse.urlencode(fields | {"text": text_, "response_url": url, "trigger_id": "1"})


def test_ems_help_at_once_then_answers_and_incidents_through_the_response_url(
    bot: Bot, slack_api: SlackAPI, demo_engine: Engine
) -> None:
    status, body, elapsed = bot.post(command("help", slack_api.port), form=True)
    assert status == 200 and elapsed < 3.0
    assert json.loads(body) == {"text": HELP, "response_type": "ephemeral"}
    assert "/ems incidents" in HELP and "Acknowledge" in HELP
    question = command("energy of compressor-1 yesterday", slack_api.port)
    status, body, elapsed = bot.post(question, form=True)
    assert status == 200 and elapsed < 3.0
    assert "Working on" in json.loads(body)["text"]
    (reply,) = slack_api.wait_for("response")
    expected = raw(demo_engine, "compressor-1", "2026-11-04", "2026-11-05").sum()
    assert reply.args["response_type"] == "in_channel"
    assert f"{expected:,.0f} kWh" in reply.args["text"]
    assert "*compressor-1*" in reply.args["text"]
    incident_id = open_incident(demo_engine)
    bot.post(command("incidents", slack_api.port, user=VIEWER), form=True)
    reply = slack_api.wait_for("response", n=2)[1]
    assert actions_of(reply.args["blocks"]) == [
        ("incident_ack", str(incident_id)),
        ("incident_resolve", str(incident_id)),
    ]
    assert "compressor-2 ran all night" in json.dumps(reply.args["blocks"])


# ------------------------------------------------------------------ incident buttons


def open_incident(engine: Engine) -> int:
    with engine.begin() as conn:
        site = catalog.get_site(conn, "demo-plant")
        meter = catalog.resolve_meter(conn, site.id, "compressor-2")
        start = int(datetime(2026, 11, 3, 22, tzinfo=TZ).timestamp())
        title, key = "compressor-2 ran all night", f"compressor-2:consumption_high:{start}"
        new = incident_store.NewIncident(
            meter.id, "consumption_high", "warning", start, start + 6 * 3600, title, key,
            extra_kwh=412.5, cost=66.0, co2_kg=156.75, currency="EUR",
            details={"citations": ["Compressed-air leaks runbook § Leak survey"]},
        )  # fmt: skip
        return incident_store.insert_incident(conn, site.id, new)[0]


def stored(engine: Engine, incident_id: int) -> tuple[Any, ...]:
    sql = "SELECT state, acknowledged_by, resolution, resolved_by FROM incidents WHERE id = :i"
    with engine.connect() as conn:
        return tuple(conn.execute(text(sql), {"i": incident_id}).one())


def button(action: str, incident_id: int | str, user: str = OPERATOR) -> dict[str, Any]:
    name = "ada" if user == OPERATOR else "vic"
    return {"type": "block_actions", "user": {"id": user, "username": name, "team_id": TEAM},
            "team": {"id": TEAM}, "channel": {"id": "C0ALERTS"}, "trigger_id": "1337.42.trigger",
            "container": {"type": "message", "message_ts": MESSAGE_TS, "channel_id": "C0ALERTS"},
            "message": {"type": "message", "ts": MESSAGE_TS, "text": "incident"},
            "actions": [{"type": "button", "action_id": action, "value": str(incident_id)}],
            }  # fmt: skip


def actions_of(blocks: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [
        (e["action_id"], e["value"])
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
    ]


def test_acknowledge_needs_an_operator_and_updates_the_incident_and_its_message(
    bot: Bot, slack_api: SlackAPI, demo_engine: Engine
) -> None:
    incident_id = open_incident(demo_engine)
    bot.interaction(button("incident_ack", incident_id, VIEWER))
    bot.interaction(button("incident_resolve", incident_id, VIEWER))
    bot.interaction(button("incident_ack", "not-a-number"))  # a button naming no incident
    assert slack_api.wait_for("chat.postEphemeral", lambda c: "does not name" in c.args["text"])
    refusals = slack_api.wait_for("chat.postEphemeral", lambda c: c.args["user"] == VIEWER, n=2)
    assert {(r.args["user"], r.args["channel"]) for r in refusals} == {(VIEWER, "C0ALERTS")}
    assert all("operator" in r.args["text"] for r in refusals)
    assert stored(demo_engine, incident_id) == ("open", None, None, None)

    status, _, elapsed = bot.interaction(button("incident_ack", incident_id))
    assert status == 200 and elapsed < 3.0
    (update,) = slack_api.wait_for("chat.update")
    assert (update.args["channel"], update.args["ts"]) == ("C0ALERTS", MESSAGE_TS)
    assert stored(demo_engine, incident_id) == ("acknowledged", "slack:ada", None, None)
    assert actions_of(update.args["blocks"]) == [("incident_resolve", str(incident_id))]
    assert f"Acknowledged by <@{OPERATOR}>" in context_text(update)
    assert "acknowledged" in json.dumps(update.args["blocks"])
    assert slack_api.of("views.open") == []  # the viewer's Resolve opened no form


def submission(view: dict[str, Any], note: str) -> dict[str, Any]:
    values = {"resolution_note": {"note": {"type": "plain_text_input", "value": note}}}
    form = {"id": "V0VIEW", "type": "modal", "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"], "state": {"values": values}}  # fmt: skip
    user = {"id": OPERATOR, "username": "ada", "team_id": TEAM}
    return {"type": "view_submission", "team": {"id": TEAM}, "user": user, "view": form}


def test_resolve_opens_a_form_and_its_note_resolves_the_incident(
    bot: Bot, slack_api: SlackAPI, demo_engine: Engine
) -> None:
    incident_id = open_incident(demo_engine)
    bot.interaction(button("incident_resolve", incident_id))
    (opened,) = slack_api.wait_for("views.open")
    assert opened.args["trigger_id"] == "1337.42.trigger"
    view = opened.args["view"]
    assert stored(demo_engine, incident_id)[0] == "open"  # nothing changes until the note

    status, body, _ = bot.interaction(submission(view, "   "))
    assert status == 200 and json.loads(body)["response_action"] == "errors"  # the form says why
    assert stored(demo_engine, incident_id)[0] == "open"

    status, body, elapsed = bot.interaction(submission(view, "Leak at drain valve V-12 fixed"))
    assert (status, body) == (200, "") and elapsed < 3.0  # an empty 200 closes the form
    note = "Leak at drain valve V-12 fixed"
    assert stored(demo_engine, incident_id) == ("resolved", None, note, "slack:ada")
    (update,) = slack_api.wait_for("chat.update")
    assert update.args["ts"] == MESSAGE_TS and actions_of(update.args["blocks"]) == []
    assert note in context_text(update)

    status, body, _ = bot.interaction(submission(view, "again"))  # resolving twice is explained
    assert "already resolved" in json.loads(body)["errors"]["resolution_note"]


# ------------------------------------------------------------------ refused requests


def test_bad_signatures_stale_and_malformed_requests_are_refused(
    bot: Bot, slack_api: SlackAPI
) -> None:
    event = {"type": "event_callback", "team_id": TEAM, "event": mention("hi", "1.000100")}
    body = json.dumps(event | {"event_id": "Ev0FORGED"})
    assert bot.post(body, secret="not-the-secret")[0] == 401
    assert bot.post(body, timestamp=int(time.time()) - 600)[0] == 401  # replayed 10 minutes on
    forged = urllib.parse.urlencode({"payload": "{not json"})
    assert bot.post(forged, form=True, secret="not-the-secret")[0] == 401
    assert [c.method for c in slack_api.calls] == ["auth.test"]  # nothing was posted
    # Signed but malformed: a 400 that says so, and the bot keeps going.
    status, body, _ = bot.post(urllib.parse.urlencode({"payload": "{not json"}), form=True)
    assert status == 400 and "malformed" in body
    status, body, _ = bot.post(json.dumps({"type": "event_callback", "event": "not an object"}))
    assert status == 400 and "malformed" in body
    # Well typed but incomplete: a mention without a channel or user is acknowledged, ignored.
    assert bot.event({"type": "app_mention", "text": "hello", "ts": "1.2"})[0] == 200
    challenge = bot.post(json.dumps({"type": "url_verification", "challenge": "c-1"}))[1]
    assert json.loads(challenge) == {"challenge": "c-1"}
    ts = "1762290600.000100"
    assert bot.event(mention("energy of the offices yesterday", ts))[0] == 200
    assert len(in_thread(slack_api, ts)) == 1


# ------------------------------------------------------------------ Markdown and incident blocks


@pytest.mark.parametrize(
    ("markdown", "mrkdwn"),
    [
        ("## Peak demand", "*Peak demand*"),
        ("**compressor-2** used *more*", "*compressor-2* used _more_"),
        ("[the runbook](https://kb.ex/r?a=1&b=2)", "<https://kb.ex/r?a=1&b=2|the runbook>"),
        ("- leaks\n  - valve V-12\n1. first", "• leaks\n    • valve V-12\n1. first"),
        ("Use `a*b*c < 2` & check <tags>", "Use `a*b*c &lt; 2` &amp; check &lt;tags&gt;"),
        ("| meter | kWh |\n|---|---|\nafter", "```\n| meter | kWh |\n|---|---|\n```\nafter"),
        ("~~old~~ value, 5 * 3 * 2", "~old~ value, 5 * 3 * 2"),
    ],
)  # fmt: skip
def test_markdown_becomes_slack_mrkdwn(markdown: str, mrkdwn: str) -> None:
    assert to_mrkdwn(markdown) == mrkdwn


NOTICE = IncidentNotice(
    "opened", 7, "demo-plant", "compressor-2 ran all night", "critical", "open", "compressor-2",
    "2026-11-03T22:00:00+01:00", "2026-11-04T04:00:00+01:00", 412.5, 66.0, "EUR", 156.75,
    "Likely a **leak**: see [runbook](https://kb.example/leaks).",
    ("Compressed-air leaks runbook § Leak survey",),
)  # fmt: skip


def notice(**changes: Any) -> IncidentNotice:
    return dataclasses.replace(NOTICE, **changes)


def test_incident_blocks_carry_the_facts_and_the_buttons() -> None:
    blocks = incident_blocks(notice())
    assert blocks[0]["text"]["text"] == "compressor-2 ran all night (#7)"
    facts = " ".join(f["text"] for f in blocks[1]["fields"])
    assert ":red_circle: critical" in facts and "compressor-2 (demo-plant)" in facts
    assert "3 Nov 2026 22:00 to 4 Nov 2026 04:00" in facts
    assert "412.5 kWh extra · 66.00 EUR · 156.8 kg CO2e" in facts
    assert blocks[2]["text"]["text"] == "Likely a *leak*: see <https://kb.example/leaks|runbook>."
    assert "Compressed-air leaks runbook § Leak survey" in blocks[3]["elements"][0]["text"]
    assert actions_of(blocks) == [("incident_ack", "7"), ("incident_resolve", "7")]
    assert actions_of(incident_blocks(notice(state="acknowledged"))) == [("incident_resolve", "7")]
    assert actions_of(incident_blocks(notice(state="resolved"))) == []
    unknown = incident_blocks(notice(extra_kwh=None, cost=None, co2_kg=None, end=None))
    facts = " ".join(f["text"] for f in unknown[1]["fields"])
    assert "not estimated" in facts and "to ongoing" in facts


# ------------------------------------------------------------------ the incident notifier


def test_the_notifier_posts_threads_updates_and_waits_out_rate_limits(
    slack_api: SlackAPI,
) -> None:
    notifier = SlackIncidentNotifier(web_client("xoxb-notify", slack_api.url), "C0ALERTS")
    first = notifier.send(notice())
    assert (first.notifier, first.ok, first.attempts) == ("slack", True, 1)
    (posted,) = slack_api.wait_for("chat.postMessage")
    assert posted.args["channel"] == "C0ALERTS"
    assert posted.args["blocks"] == incident_blocks(notice())
    assert posted.headers["authorization"] == "Bearer xoxb-notify"
    assert notifier.send(notice(event="updated", state="acknowledged")).ok
    (threaded,) = slack_api.wait_for("chat.postMessage", lambda c: "thread_ts" in c.args)
    assert threaded.args["thread_ts"] == posted.reply["ts"]
    slack_api.rate_limits["chat.postMessage"] = 1  # HTTP 429 once: waited out, sent again
    delivery = notifier.send(notice(incident_id=9))
    assert (delivery.ok, delivery.attempts) == (True, 2)
    assert len(slack_api.of("chat.postMessage")) == 4
    slack_api.rate_limits["chat.postMessage"] = 10
    given_up = notifier.send(notice(incident_id=8))
    assert (given_up.ok, given_up.attempts) == (False, 4)
    assert "rate-limiting" in given_up.detail


def test_slack_errors_come_back_in_words(slack_api: SlackAPI, agent: Agent) -> None:
    slack_api.errors["chat.postMessage"] = ["channel_not_found", "not_in_channel", "invalid_auth"]
    notifier = SlackIncidentNotifier(web_client("xoxb-notify", slack_api.url), "#energy")
    details = [notifier.send(notice()) for _ in range(3)]
    assert [d.ok for d in details] == [False, False, False]
    assert "slack_incident_channel" in details[0].detail and "#energy" in details[0].detail
    assert "/invite" in details[1].detail
    assert "SLACK_BOT_TOKEN" in details[2].detail
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gone = SlackIncidentNotifier(web_client("xoxb-n", f"http://127.0.0.1:{port}/api"), "C0")
    delivery = gone.send(notice())
    assert not delivery.ok and "could not reach Slack" in delivery.detail
    # The bot checks its token when it starts, and says so when Slack refuses it.
    slack_api.errors["auth.test"] = ["invalid_auth"]
    settings = load_settings(slack_api_url=slack_api.url)
    with pytest.raises(SlackUnavailable, match="invalid_auth"):
        build_slack_app(
            slack_deps(App(settings), agent), client=web_client("xoxb-bad", slack_api.url)
        )


# ------------------------------------------------------------------ Socket Mode


def test_socket_mode_round_trip_through_a_local_websocket_server(
    slack_api: SlackAPI, agent: Agent, demo_engine: Engine
) -> None:
    """A local WebSocket server plays Slack's Socket Mode endpoint (Slack's cloud is out of
    reach): hello, one events_api envelope, and the bot's acknowledgement of it."""
    from websockets.sync.server import ServerConnection, serve

    ts = "1762290700.000100"
    callback = envelope(mention("energy of the boiler yesterday", ts), "Ev0SOCKET")
    acks: queue.Queue[dict[str, Any]] = queue.Queue()
    done = threading.Event()

    def endpoint(ws: ServerConnection) -> None:
        ws.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {}}))
        ws.send(json.dumps({"envelope_id": "env-1", "type": "events_api", "payload": callback}))
        acks.put(json.loads(ws.recv(timeout=WAIT_S)))
        done.wait(WAIT_S)

    with serve(endpoint, "127.0.0.1", 0, compression=None) as ws_server:
        worker = threading.Thread(target=ws_server.serve_forever, daemon=True)
        worker.start()
        slack_api.socket_url = f"ws://127.0.0.1:{ws_server.socket.getsockname()[1]}/link/?t=1"
        settings = load_settings(slack_api_url=slack_api.url, slack_default_role="operator")
        client = web_client("xoxb-test-token", settings.slack_api_url)
        bolt = build_slack_app(slack_deps(App(settings), agent), client=client)
        slack_api.errors["apps.connections.open"] = ["not_allowed_token_type"]
        with pytest.raises(SlackUnavailable, match=r"not_allowed_token_type.*xapp-"):
            connect_socket_mode(bolt, "xoxb-a-bot-token-by-mistake")
        handler = connect_socket_mode(bolt, "xapp-1-A0APP-test")
        assert handler.client.web_client.base_url == slack_api.url
        try:
            assert acks.get(timeout=WAIT_S) == {"envelope_id": "env-1"}
            (answer,) = in_thread(slack_api, ts)
        finally:
            done.set()
            handler.close()
            bolt.listener_runner.listener_executor.shutdown(wait=True)
            ws_server.shutdown()
            worker.join(5)
    (_, opened) = slack_api.of("apps.connections.open")
    assert opened.headers["authorization"] == "Bearer xapp-1-A0APP-test"
    expected = raw(demo_engine, "boiler", "2026-11-04", "2026-11-05").sum()
    assert f"{expected:,.0f} kWh" in answer_text(answer)


# ------------------------------------------------------------------ the command


@pytest.fixture
def home(tmp_path: Path, demo_template: Path) -> Path:
    return Path(shutil.copy(demo_template, tmp_path / "ems.db")).parent


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "EMS_LLM"))}
    return env | {"EMS_HOME": str(home)} | extra


def test_the_command_names_the_secret_it_needs(home: Path) -> None:
    for args, extra, missing in [
        ("--http", {}, "SLACK_BOT_TOKEN"),
        ("--http", {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ("--socket", {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN"),
    ]:
        env, run = cli_env(home, **extra), [EXE, "slack", args]
        done = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 1, done.stderr
        assert f"export {missing}=" in done.stderr and "Traceback" not in done.stderr


def test_the_command_serves_slack_over_http_until_stopped(home: Path, slack_api: SlackAPI) -> None:
    env = cli_env(home, SLACK_BOT_TOKEN="xoxb-cli", SLACK_SIGNING_SECRET=SECRET,
                  EMS_SLACK_API_URL=slack_api.url,
                  EMS_SLACK_USERS=json.dumps({OPERATOR: "operator"}))  # fmt: skip
    command = [EXE, "slack", "--http", "--port", "0", "--json"]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    process = subprocess.Popen(command, env=env, text=True, **pipes)  # type: ignore[call-overload]
    assert process.stderr is not None and process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    stderr = process.stderr
    threading.Thread(target=lambda: [lines.put(x) for x in stderr], daemon=True).start()
    try:
        seen = ""
        while (found := re.search(r"http://127\.0\.0\.1:\d+/slack/events", seen)) is None:
            seen += lines.get(timeout=60)
        cli_bot = Bot(found.group(0), None, BotStats())
        ts = "1762290800.000100"
        assert cli_bot.event(mention("energy of line-a on 2026-11-04", ts))[0] == 200
        (answer,) = in_thread(slack_api, ts)
        assert answer.headers["authorization"] == "Bearer xoxb-cli"
        engine = make_engine(f"sqlite:///{home / 'ems.db'}")
        expected = raw(engine, "line-a", "2026-11-04", "2026-11-05").sum()
        engine.dispose()
        assert f"{expected:,.0f} kWh" in answer_text(answer)
        assert cli_bot.post("{}", secret="wrong")[0] == 401
    finally:
        process.send_signal(signal.SIGTERM)
        status = process.wait(timeout=60)
    summary = json.loads(process.stdout.read())
    assert status == 0
    assert summary["mode"] == "http" and summary["answered"] == 1 and summary["failed"] == 0
