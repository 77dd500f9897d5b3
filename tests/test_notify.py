"""Incident notifiers against real servers on 127.0.0.1: an HTTP receiver and an aiosmtpd server."""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from common.errors import MissingSecret, NotConfigured
from common.notices import IncidentNotice
from connectors.notify import EmailNotifier, WebhookNotifier, make_notifiers
from connectors.notify.base import event_id, markdown_to_text
from connectors.notify.webhook import retry_after
from ems_agent.settings import Settings
from ems_agent.slices import notify_settings

SECRET = "whsec-test-0123456789"
TITLE = "compressor-2 sustained excess since 2026-11-03"
SUMMARY = (
    "## What happened\n\n"
    "**compressor-2** ran *18 %* above its baseline since `2026-11-03`.\n\n"
    "- survey the ring main for leaks\n"
    "- see the [runbook](https://runbooks.example/air)\n"
)
NOTICE = IncidentNotice(
    event="opened",
    incident_id=12,
    site="demo-plant",
    title=TITLE,
    severity="critical",
    state="open",
    meter="compressor-2",
    start="2026-11-03T06:00:00+01:00",
    end=None,
    extra_kwh=1234.5,
    cost=86.42,
    currency="EUR",
    co2_kg=432.1,
    summary=SUMMARY,
    citations=("Compressed-air leaks runbook § Leak survey (runbooks/compressed-air-leaks.md)",),
)
# What a receiver must get, written out by hand rather than taken from the code under test.
EXPECTED_BODY = {
    "event": "opened",
    "event_id": "demo-plant:12:opened",
    "incident_id": 12,
    "site": "demo-plant",
    "title": TITLE,
    "severity": "critical",
    "state": "open",
    "meter": "compressor-2",
    "start": "2026-11-03T06:00:00+01:00",
    "end": None,
    "extra_kwh": 1234.5,
    "cost": 86.42,
    "currency": "EUR",
    "co2_kg": 432.1,
    "summary": SUMMARY,
    "citations": ["Compressed-air leaks runbook § Leak survey (runbooks/compressed-air-leaks.md)"],
}
NOTIFY_ENV = (
    "EMS_WEBHOOK_URL", "EMS_WEBHOOK_SECRET", "EMS_SMTP_HOST", "EMS_SMTP_PORT", "EMS_SMTP_FROM",
    "EMS_SMTP_TO", "EMS_SMTP_USER", "EMS_SMTP_PASSWORD", "EMS_SMTP_STARTTLS",
    "EMS_SLACK_INCIDENT_CHANNEL", "EMS_SLACK_API_URL", "SLACK_BOT_TOKEN",
)  # fmt: skip


@pytest.fixture(autouse=True)
def _no_notify_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NOTIFY_ENV:
        monkeypatch.delenv(name, raising=False)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- a webhook receiver ------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"ok": true}'
    delay: float = 0.0


@dataclass(frozen=True)
class Hit:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes


class Receiver(ThreadingHTTPServer):
    """Records every request and answers from a script (then 200), on 127.0.0.1."""

    daemon_threads = False  # handler threads are joined on close
    block_on_close = True

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.script: list[Answer] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)
        self.thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"

    def answer(self, *answers: Answer) -> None:
        with self.lock:
            self.script.extend(answers)

    def take(self, hit: Hit) -> Answer:
        with self.lock:
            self.hits.append(hit)
            return self.script.pop(0) if self.script else Answer()

    def close(self) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join(5)


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        answer = self.server.take(Hit(self.command, self.path, headers, body))
        time.sleep(answer.delay)
        try:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the time-out test)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def signature(secret: str, hit: Hit) -> str:
    """The signature a receiver computes, independently of the notifier's code."""
    signed = hit.headers["x-ems-timestamp"].encode() + b"." + hit.body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def webhook(receiver: Receiver, waits: list[float], **kwargs: Any) -> WebhookNotifier:
    return WebhookNotifier(receiver.url + "/hooks/ems", sleep=waits.append, **kwargs)


# --- webhook -----------------------------------------------------------------------------------


def test_webhook_retries_server_errors_and_signs_every_attempt(receiver: Receiver) -> None:
    receiver.answer(Answer(500), Answer(503, body=b"overloaded"), Answer(200))
    waits: list[float] = []
    delivery = webhook(receiver, waits, secret=SECRET, attempts=5).send(NOTICE)

    assert (delivery.notifier, delivery.ok, delivery.attempts, delivery.detail) == (
        "webhook", True, 3, "HTTP 200"
    )  # fmt: skip
    assert len(receiver.hits) == 3
    for hit in receiver.hits:
        assert (hit.method, hit.path) == ("POST", "/hooks/ems")
        assert hit.headers["content-type"].startswith("application/json")
        assert json.loads(hit.body) == EXPECTED_BODY
        assert abs(int(hit.headers["x-ems-timestamp"]) - time.time()) < 60
        assert hit.headers["x-ems-signature"] == signature(SECRET, hit)
        assert hit.headers["x-ems-signature"] != signature("another secret", hit)
    # exponential backoff with up to one backoff unit of jitter: 1-2 s, then 2-3 s
    assert len(waits) == 2
    assert 1.0 <= waits[0] <= 2.0
    assert 2.0 <= waits[1] <= 3.0


def test_webhook_honours_retry_after(receiver: Receiver) -> None:
    receiver.answer(Answer(429, {"Retry-After": "7"}, b"slow down"), Answer(204, body=b""))
    waits: list[float] = []
    delivery = webhook(receiver, waits).send(NOTICE)
    assert (delivery.ok, delivery.attempts, delivery.detail) == (True, 2, "HTTP 204")
    assert waits == [7.0]


def test_webhook_gives_up_when_retry_after_is_too_long(receiver: Receiver) -> None:
    receiver.answer(Answer(503, {"Retry-After": "3600"}))
    waits: list[float] = []
    delivery = webhook(receiver, waits, max_wait=60).send(NOTICE)
    assert (delivery.ok, delivery.attempts, waits) == (False, 1, [])
    assert "HTTP 503" in delivery.detail
    assert "3600 s (Retry-After)" in delivery.detail


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = 1_800_000_000.0  # 2027-01-15T08:00:00Z
    assert retry_after("120", now) == 120.0
    assert retry_after("Fri, 15 Jan 2027 08:00:30 GMT", now) == 30.0
    assert retry_after("Fri, 15 Jan 2027 07:00:00 GMT", now) == 0.0  # already past
    assert retry_after("soon", now) is None
    assert retry_after(None, now) is None


def test_webhook_does_not_retry_a_bad_request(receiver: Receiver) -> None:
    receiver.answer(Answer(400, body=b'{"error": "unknown field severity"}'))
    waits: list[float] = []
    delivery = webhook(receiver, waits, attempts=5).send(NOTICE)
    assert (delivery.ok, delivery.attempts, waits, len(receiver.hits)) == (False, 1, [], 1)
    assert delivery.detail.startswith('HTTP 400: {"error": "unknown field severity"}')
    assert "not retried" in delivery.detail


def test_webhook_reports_a_refused_signature(receiver: Receiver) -> None:
    receiver.answer(Answer(401, body=b"bad signature"))
    delivery = webhook(receiver, [], secret="wrong").send(NOTICE)
    assert (delivery.ok, delivery.attempts) == (False, 1)
    assert "EMS_WEBHOOK_SECRET" in delivery.detail


def test_webhook_does_not_follow_a_redirect(receiver: Receiver) -> None:
    receiver.answer(Answer(302, {"Location": "https://elsewhere.example/hook"}))
    delivery = webhook(receiver, []).send(NOTICE)
    assert (delivery.ok, delivery.attempts, len(receiver.hits)) == (False, 1, 1)
    assert "redirects to https://elsewhere.example/hook" in delivery.detail


def test_webhook_without_secret_sends_no_signature(receiver: Receiver) -> None:
    delivery = webhook(receiver, []).send(NOTICE)
    assert delivery.ok
    [hit] = receiver.hits
    assert "x-ems-signature" not in hit.headers
    assert hit.headers["x-ems-timestamp"].isdigit()
    assert json.loads(hit.body) == EXPECTED_BODY


def test_webhook_to_a_closed_port_fails_without_raising(caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    waits: list[float] = []
    notifier = WebhookNotifier(f"http://127.0.0.1:{port}/hook", attempts=3, sleep=waits.append)
    with caplog.at_level(logging.WARNING):
        delivery = notifier.send(NOTICE)
    assert (delivery.ok, delivery.attempts, len(waits)) == (False, 3, 2)
    assert delivery.detail == f"connection refused by 127.0.0.1:{port} (gave up after 3 attempts)"
    assert "incident 12" in caplog.text


def test_webhook_times_out_and_retries(receiver: Receiver) -> None:
    receiver.answer(Answer(200, delay=0.6), Answer(200, delay=0.6))
    delivery = webhook(receiver, [], timeout=0.2, attempts=2).send(NOTICE)
    assert (delivery.ok, delivery.attempts, len(receiver.hits)) == (False, 2, 2)
    assert "no answer from 127.0.0.1" in delivery.detail
    assert "within 0.2 s" in delivery.detail


def test_notifiers_need_at_least_one_attempt() -> None:
    with pytest.raises(ValueError, match="attempts must be at least 1"):
        WebhookNotifier("http://127.0.0.1/hook", attempts=0)
    with pytest.raises(ValueError, match="attempts must be at least 1"):
        EmailNotifier("127.0.0.1", 25, "a@x.example", ["b@x.example"], attempts=0)


def test_webhook_refuses_a_url_that_is_not_http() -> None:
    with pytest.raises(NotConfigured, match="EMS_WEBHOOK_URL"):
        WebhookNotifier("ftp://hooks.example.com/ems")
    with pytest.raises(NotConfigured, match="not an http"):
        WebhookNotifier("hooks.example.com/ems")


def test_event_ids_are_stable_per_incident_and_event() -> None:
    assert event_id(NOTICE) == event_id(replace(NOTICE, summary="rewritten")) == (
        "demo-plant:12:opened"
    )  # fmt: skip
    assert event_id(replace(NOTICE, event="resolved")) == "demo-plant:12:resolved"
    assert event_id(replace(NOTICE, incident_id=13)) == "demo-plant:13:opened"
    update = replace(NOTICE, event="updated", state="acknowledged")
    assert event_id(update) == event_id(replace(update))
    assert event_id(update).startswith("demo-plant:12:updated:")
    # a later update of the same incident says something else, so it is not a duplicate
    assert event_id(update) != event_id(replace(update, summary="a second note"))


# --- e-mail ------------------------------------------------------------------------------------


@dataclass
class Mailbox:
    """An aiosmtpd handler: records accepted mail, refuses some recipients, fails DATA at will."""

    refuse: set[str] = field(default_factory=set)
    data_answers: list[str] = field(default_factory=list)  # answers to DATA before "250"
    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_answers:
            return self.data_answers.pop(0)
        assert isinstance(envelope.content, bytes) and envelope.mail_from is not None
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"ems",
        b"smtp-pass",
    )
    return AuthResult(success=ok, handled=False)  # not handled: the server answers 235 or 535


@dataclass
class SmtpServer:
    mailbox: Mailbox
    port: int

    def notifier(self, recipients: list[str], **kwargs: Any) -> EmailNotifier:
        kwargs.setdefault("sleep", lambda seconds: None)
        return EmailNotifier("127.0.0.1", self.port, "ems@plant.example", recipients, **kwargs)


@pytest.fixture
def smtp_server(request: pytest.FixtureRequest) -> Iterator[SmtpServer]:
    """An aiosmtpd server on a free port; `@pytest.mark.parametrize("smtp_server", [{...}],
    indirect=True)` passes Controller options (authentication)."""
    options: dict[str, Any] = getattr(request, "param", {})
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield SmtpServer(mailbox, port)
    finally:
        controller.stop()


def test_email_sends_one_multipart_message(smtp_server: SmtpServer) -> None:
    to = ["energy@plant.example", "shift-lead@plant.example"]
    delivery = smtp_server.notifier(to).send(NOTICE)

    assert (delivery.notifier, delivery.ok, delivery.attempts) == ("email", True, 1)
    assert delivery.detail == f"sent through 127.0.0.1:{smtp_server.port} to {', '.join(to)}"
    [(sender, rcpt, message)] = smtp_server.mailbox.messages
    assert (sender, rcpt) == ("ems@plant.example", to)
    assert message["Subject"] == f"[critical] demo-plant: {TITLE}"
    assert message["To"] == ", ".join(to)
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    text = plain.get_content().replace("\r\n", "\n")
    assert "compressor-2 ran 18 % above its baseline since 2026-11-03." in text
    assert "- see the runbook (https://runbooks.example/air)" in text
    assert "**" not in text and "`" not in text
    assert "Extra energy: 1,234.5 kWh" in text
    assert "Cost:         86.42 EUR" in text
    assert "Sources:\n- Compressed-air leaks runbook § Leak survey" in text
    page = html.get_content()
    assert "<strong>compressor-2</strong>" in page
    assert '<a href="https://runbooks.example/air">runbook</a>' in page
    assert "<td>1,234.5 kWh</td>" in page


def test_email_accepts_named_addresses(smtp_server: SmtpServer) -> None:
    notifier = EmailNotifier(
        "127.0.0.1",
        smtp_server.port,
        "EMS agent <ems@plant.example>",
        ["Energy team <energy@plant.example>"],
    )
    assert notifier.send(NOTICE).ok
    [(sender, rcpt, message)] = smtp_server.mailbox.messages
    assert (sender, rcpt) == ("ems@plant.example", ["energy@plant.example"])
    assert message["From"] == "EMS agent <ems@plant.example>"
    assert message["Message-ID"].endswith("@plant.example>")


def test_email_threads_the_mails_of_one_incident(smtp_server: SmtpServer) -> None:
    notifier = smtp_server.notifier(["energy@plant.example"])
    resolved = replace(NOTICE, event="resolved", state="resolved", end="2026-11-04T09:00:00+01:00")
    for notice in (NOTICE, replace(NOTICE, event="updated", state="acknowledged"), resolved):
        assert notifier.send(notice).ok
    opened, updated, closed = (message for _, _, message in smtp_server.mailbox.messages)
    assert updated["Subject"] == f"[critical] demo-plant: {TITLE} (updated)"
    assert closed["Subject"] == f"[resolved] demo-plant: {TITLE}"
    assert updated["In-Reply-To"] == closed["References"] == opened["Message-ID"]
    assert len({opened["Message-ID"], updated["Message-ID"], closed["Message-ID"]}) == 3
    assert notifier.message(NOTICE)["Message-ID"] == opened["Message-ID"]  # resent: same id
    assert "Until:" in closed.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_email_names_a_refused_recipient(smtp_server: SmtpServer) -> None:
    smtp_server.mailbox.refuse = {"nobody@plant.example"}
    notifier = smtp_server.notifier(["energy@plant.example", "nobody@plant.example"])
    delivery = notifier.send(NOTICE)
    assert (delivery.ok, delivery.attempts) == (False, 1)
    assert delivery.detail.startswith("sent to energy@plant.example; ")
    assert "refused nobody@plant.example (550 5.1.1" in delivery.detail
    assert "EMS_SMTP_TO" in delivery.detail
    [(_, rcpt, _)] = smtp_server.mailbox.messages
    assert rcpt == ["energy@plant.example"]


def test_email_with_every_recipient_refused_is_not_retried(smtp_server: SmtpServer) -> None:
    smtp_server.mailbox.refuse = {"nobody@plant.example"}
    delivery = smtp_server.notifier(["nobody@plant.example"], attempts=3).send(NOTICE)
    assert (delivery.ok, delivery.attempts, smtp_server.mailbox.messages) == (False, 1, [])
    assert "every recipient was refused: nobody@plant.example (550" in delivery.detail


def test_email_retries_a_temporary_failure(smtp_server: SmtpServer) -> None:
    smtp_server.mailbox.data_answers = ["451 4.3.0 Try again later"]
    waits: list[float] = []
    notifier = smtp_server.notifier(["energy@plant.example"], sleep=waits.append)
    delivery = notifier.send(NOTICE)
    assert (delivery.ok, delivery.attempts, len(smtp_server.mailbox.messages)) == (True, 2, 1)
    assert len(waits) == 1 and 2.0 <= waits[0] <= 4.0


def test_email_to_a_closed_port_fails_without_raising() -> None:
    port = free_port()
    waits: list[float] = []
    notifier = EmailNotifier(
        "127.0.0.1", port, "ems@plant.example", ["a@plant.example"], attempts=3, sleep=waits.append
    )
    delivery = notifier.send(NOTICE)
    assert (delivery.ok, delivery.attempts, len(waits)) == (False, 3, 2)
    assert delivery.detail == f"connection refused by 127.0.0.1:{port} (gave up after 3 attempts)"


LOGIN = {"authenticator": authenticate, "auth_require_tls": False, "auth_required": True}
# Login without TLS is fine on loopback; aiosmtpd warns about it on every connection.
without_tls = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@without_tls
@pytest.mark.parametrize("smtp_server", [LOGIN], indirect=True)
def test_email_logs_in(smtp_server: SmtpServer) -> None:
    notifier = smtp_server.notifier(["energy@plant.example"], user="ems", password="smtp-pass")
    assert notifier.send(NOTICE).ok
    assert len(smtp_server.mailbox.messages) == 1


@without_tls
@pytest.mark.parametrize("smtp_server", [LOGIN], indirect=True)
def test_email_reports_a_refused_login(smtp_server: SmtpServer) -> None:
    notifier = smtp_server.notifier(["energy@plant.example"], user="ems", password="wrong")
    delivery = notifier.send(NOTICE)
    assert (delivery.ok, delivery.attempts, smtp_server.mailbox.messages) == (False, 1, [])
    assert "refused the login of 'ems' (535" in delivery.detail
    assert "EMS_SMTP_PASSWORD" in delivery.detail


def test_email_starttls_on_a_server_without_it(smtp_server: SmtpServer) -> None:
    delivery = smtp_server.notifier(["energy@plant.example"], starttls=True).send(NOTICE)
    assert (delivery.ok, delivery.attempts) == (False, 1)
    assert "does not offer STARTTLS: set EMS_SMTP_STARTTLS=false" in delivery.detail


def test_markdown_to_text() -> None:
    markdown = (
        "# Leak\n\nSee **this** and [that](https://x.example/a).\nNext line.\n\n"
        "1. one\n2. two\n   - nested\n\n```\ncode here\n```\n"
    )
    assert markdown_to_text(markdown) == (
        "Leak\n\nSee this and that (https://x.example/a).\nNext line.\n\n"
        "1. one\n2. two\n  - nested\n\n    code here\n"
    )
    assert markdown_to_text("<b>raw</b> & [https://a.example](https://a.example)") == (
        "<b>raw</b> & https://a.example\n"
    )


# --- from settings -----------------------------------------------------------------------------


def notifiers_from(settings: Settings) -> list[Any]:
    """The notifiers the root makes from these settings (secrets read from the environment)."""
    return list(make_notifiers(notify_settings(settings)))


def write_toml(text: str) -> None:
    home = Path(Settings().home)
    home.mkdir(parents=True, exist_ok=True)
    (home / "ems.toml").write_text(text)


def test_nothing_configured_means_no_notifiers() -> None:
    assert notifiers_from(Settings()) == []


def test_webhook_secret_comes_only_from_the_environment(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_toml(f'webhook_url = "{receiver.url}/hook"\nwebhook_secret = "from-the-file"\n')
    [notifier] = notifiers_from(Settings())
    assert isinstance(notifier, WebhookNotifier)
    assert (notifier.url, notifier.secret) == (f"{receiver.url}/hook", None)

    monkeypatch.setenv("EMS_WEBHOOK_SECRET", "from-the-environment")
    [notifier] = notifiers_from(Settings())
    assert notifier.send(NOTICE).ok
    [hit] = receiver.hits
    assert hit.headers["x-ems-signature"] == signature("from-the-environment", hit)


def test_email_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    write_toml(
        'smtp_host = "mail.plant.example"\nsmtp_port = 587\nsmtp_starttls = true\n'
        'smtp_from = "ems@plant.example"\nsmtp_to = ["a@plant.example", "b@plant.example"]\n'
    )
    [notifier] = notifiers_from(Settings())
    assert isinstance(notifier, EmailNotifier)
    assert (notifier.host, notifier.port, notifier.starttls, notifier.user) == (
        "mail.plant.example", 587, True, None
    )  # fmt: skip
    assert notifier.recipients == ("a@plant.example", "b@plant.example")

    monkeypatch.setenv("EMS_SMTP_USER", "ems")
    with pytest.raises(MissingSecret, match="EMS_SMTP_PASSWORD"):
        notifiers_from(Settings())
    monkeypatch.setenv("EMS_SMTP_PASSWORD", "pw")
    [notifier] = notifiers_from(Settings())
    assert (notifier.user, notifier.password) == ("ems", "pw")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({"smtp_host": "mail.example"}, "smtp_from (EMS_SMTP_FROM) and smtp_to (EMS_SMTP_TO) are"),
        ({"smtp_host": "mail.example", "smtp_to": ["a@x.example"]}, "smtp_from (EMS_SMTP_FROM) is"),
        ({"smtp_from": "e@x.example", "smtp_to": ["a@x.example"]}, "smtp_host (EMS_SMTP_HOST) is"),
        ({"smtp_user": "ems"}, "smtp_host (EMS_SMTP_HOST) and smtp_from"),
    ],
)
def test_half_configured_email_names_what_is_missing(given: dict[str, Any], missing: str) -> None:
    with pytest.raises(NotConfigured, match="half configured") as caught:
        notifiers_from(Settings(**given))
    assert missing in str(caught.value)


def test_slack_needs_its_token(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert notifiers_from(Settings(slack_incident_channel="#energy")) == []
    assert "SLACK_BOT_TOKEN" in caplog.text


def test_everything_configured_posts_to_slack_at_its_api_url(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    settings = Settings(
        webhook_url=receiver.url + "/hook",
        smtp_host="127.0.0.1",
        smtp_from="ems@plant.example",
        smtp_to=["a@plant.example"],
        slack_incident_channel="C0ENERGY",
        slack_api_url=receiver.url + "/api/",
    )
    notifiers = notifiers_from(settings)
    assert [n.name for n in notifiers] == ["webhook", "email", "slack"]
    receiver.answer(Answer(200, {"Content-Type": "application/json"}, b'{"ok": true, '
                           b'"channel": "C0ENERGY", "ts": "1764576000.000100"}'))  # fmt: skip
    delivery = notifiers[2].send(NOTICE)
    assert (delivery.notifier, delivery.ok) == ("slack", True)
    [hit] = receiver.hits
    assert hit.path == "/api/chat.postMessage"
    assert hit.headers["authorization"] == "Bearer xoxb-test-token"
