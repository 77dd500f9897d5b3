"""The Slack bot (Bolt): mentions, direct messages, the /ems command and the incident buttons,
answered by the same agent as the chat page and the command line, one Slack thread per
conversation.

Slack wants every request acknowledged within three seconds; an agent turn can take longer, so
each listener acknowledges first and does the work in a lazy listener (Bolt's worker threads).
Whatever goes wrong in a turn becomes a polite message in the thread, never a crash."""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any, Literal
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App as BoltApp
from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.signature import SignatureVerifier

from agent.evidence import ChartSpec, Evidence, evidence
from common.errors import EMSError, NotConfigured
from common.roles import at_least
from connectors.notify.slack import (
    ACK_ACTION,
    RESOLVE_ACTION,
    context_block,
    escape,
    incident_blocks,
    notice_from_incident,
    sections,
    slack_error_text,
    to_mrkdwn,
)
from tools.base import Tool, ToolContext

if TYPE_CHECKING:
    from agent.loop import Agent, Reply

log = logging.getLogger(__name__)

# What a Web API call may raise: Slack's answer, or no answer (refused, timed out, DNS).
SLACK_FAILURES = (SlackClientError, OSError)

EVENTS_PATH = "/slack/events"
RESOLVE_VIEW = "incident_resolve_note"
NOTE_BLOCK, NOTE_ACTION = "resolution_note", "note"
MAX_CHARTS = 2
MAX_BLOCKS = 48  # Slack allows 50 blocks in a message; two are kept for the context lines
SORRY = (
    ":warning: Sorry, something went wrong on my side while answering ({kind}). "
    "It is logged; please try again, or ask in other words."
)
HELP = """*What I can do*
• Answer questions about your meters, with numbers from the store and a chart: mention me in a \
channel or write to me directly, e.g. _what was the site's peak demand last week?_, \
_is METER above its baseline this month?_, _rank the meters by energy last month_
• Follow-ups in the same thread remember the conversation: _and the week before?_
• Alert rules: _alert me when METER's demand goes above 400 kW_ (operators confirm with *yes*)
• Incidents: *Acknowledge* and *Resolve* buttons on incident messages (operators)
*Commands*
• `/ems QUESTION` answers here · `/ems incidents` lists active incidents · `/ems help` shows this"""


class SlackUnavailable(EMSError):
    """Slack's Web API refused the bot's token or could not be reached at start."""


class BadSlackAction(EMSError):
    """A button or form from Slack that does not name what it acts on."""


@dataclass(frozen=True)
class SlackSettings:
    """Roles of Slack users (`slack_users`, else `slack_default_role`) and the Web API's URL."""

    users: Mapping[str, str] = field(default_factory=dict)
    default_role: str = "viewer"
    api_url: str | None = None


@dataclass(frozen=True)
class SlackDeps:
    """What the bot is handed by the root: the agent (its turn contexts carry the site and the
    clock), the tools its buttons and `/ems incidents` call, and its settings."""

    agent: Agent
    tools: Mapping[str, Tool[Any, Any]]
    settings: SlackSettings


@dataclass
class BotStats:
    """What the bot did since it started, for the command's summary (listeners run in threads)."""

    answered: int = 0
    failed: int = 0
    actions: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, what: Literal["answered", "failed", "actions"]) -> None:
        with self._lock:
            setattr(self, what, getattr(self, what) + 1)


@dataclass(frozen=True)
class Asked:
    """One message to answer, and the thread the answer goes to."""

    team: str
    channel: str
    user: str
    text: str
    thread_ts: str

    @property
    def thread(self) -> str:
        return thread_id(self.team, self.channel, self.thread_ts)


def thread_id(team: str, channel: str, thread_ts: str) -> str:
    """The agent's conversation id of a Slack thread: its memory lives as long as the thread."""
    return f"slack-{team}-{channel}-{thread_ts}"


def role_for(settings: SlackSettings, user_id: str) -> str:
    """The Slack user's role: `slack_users` names it, else `slack_default_role`."""
    return settings.users.get(user_id, settings.default_role)


_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


def strip_mentions(text: str) -> str:
    """The message without `<@U...>` mentions (of the bot or anyone), trimmed."""
    return _MENTION.sub("", text).strip()


def answer_blocks(reply: Reply, found: Evidence) -> list[dict[str, Any]]:
    """The answer in mrkdwn, then a context line naming the tools called and the sources."""
    blocks = sections(to_mrkdwn(reply.answer) or "_(no answer)_")[:MAX_BLOCKS]
    calls = ", ".join(dict.fromkeys(f"`{c.name}`" for c in reply.tool_calls))
    line = f":wrench: {calls}" if calls else ":speech_balloon: no tools called"
    line += f" · {escape(reply.model)} · {reply.latency_ms / 1000:.1f} s"
    sources = list(dict.fromkeys(_sources(reply)))
    items = [line, *(f":books: {escape(s)}" for s in [*found.citations, *sources])]
    blocks.append(context_block(items))
    return blocks


def _sources(reply: Reply) -> list[str]:
    return [
        str(c.result["source"])
        for c in reply.tool_calls
        if isinstance(c.result.get("source"), str) and c.result["source"]
    ]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "chart"


class SlackBot:
    """What the listeners do, apart from how Bolt calls them."""

    def __init__(self, deps: SlackDeps, stats: BotStats) -> None:
        self.settings = deps.settings
        self.agent = deps.agent
        self.registry = deps.tools
        self.stats = stats
        self._thread_locks: dict[str, threading.Lock] = {}
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ messages

    def on_mention(self, body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        """`@ems ...` in a channel: answered in the thread of the message."""
        asked = self._asked(body, event)
        if asked is not None:
            self.answer(client, asked)

    def on_message(
        self, body: dict[str, Any], event: dict[str, Any], client: WebClient, context: Any
    ) -> None:
        """A direct message, or a reply without a mention in a thread the bot is talking in."""
        if event.get("subtype") not in (None, "file_share", "thread_broadcast"):
            return  # edits, deletions, joins, other bots' posts
        bot_user = getattr(context, "bot_user_id", None)
        text = str(event.get("text") or "")
        asked = self._asked(body, event, dedupe=False)
        if asked is None:
            return
        if event.get("channel_type") != "im":
            if not event.get("thread_ts") or (bot_user and f"<@{bot_user}>" in text):
                return  # a channel message, or a mention that app_mention answers
            if not self.agent.history(asked.thread):
                return  # a thread the bot is not part of
        if self._duplicate(body):
            return
        self.answer(client, asked)

    def _asked(
        self, body: dict[str, Any], event: dict[str, Any], *, dedupe: bool = True
    ) -> Asked | None:
        if event.get("bot_id") or not event.get("user") or not event.get("channel"):
            return None
        if dedupe and self._duplicate(body):
            return None
        ts = str(event.get("thread_ts") or event.get("ts") or "")
        team = str(body.get("team_id") or event.get("team") or "T")
        text = strip_mentions(str(event.get("text") or ""))
        return Asked(team, str(event["channel"]), str(event["user"]), text, ts)

    def _duplicate(self, body: dict[str, Any]) -> bool:
        """Slack sends an event again when it thinks the first delivery failed; answer once."""
        event_id = body.get("event_id")
        if not event_id:
            return False
        with self._lock:
            if event_id in self._seen:
                return True
            self._seen[event_id] = None
            while len(self._seen) > 1000:
                self._seen.popitem(last=False)
        return False

    def answer(self, client: WebClient, asked: Asked) -> None:
        """Ask the agent in the thread's conversation; post the answer and its charts."""
        if not asked.text:
            self._post(client, asked, HELP)
            return
        try:
            with self._thread_lock(asked.thread):
                reply = self.agent.ask(
                    asked.text,
                    thread=asked.thread,
                    user=f"slack:{asked.user}",
                    role=role_for(self.settings, asked.user),
                )
        except EMSError as exc:
            self.stats.add("failed")
            self._post(client, asked, f":warning: {escape(str(exc))}")
            return
        except Exception as exc:  # a bug: logged with its traceback, the person gets words
            log.exception("Slack question %r in %s failed", asked.text, asked.thread)
            self.stats.add("failed")
            self._post(client, asked, SORRY.format(kind=type(exc).__name__))
            return
        self.stats.add("answered")
        found = self._evidence(reply)
        self._post(client, asked, to_mrkdwn(reply.answer), answer_blocks(reply, found))
        for chart in found.charts[:MAX_CHARTS]:
            self.upload_chart(client, asked.channel, asked.thread_ts, chart)

    def _thread_lock(self, thread: str) -> threading.Lock:
        # Two messages in one thread at once would race on its checkpoint: one at a time.
        with self._lock:
            return self._thread_locks.setdefault(thread, threading.Lock())

    @staticmethod
    def _evidence(reply: Reply) -> Evidence:
        try:
            return evidence(reply)
        except Exception:  # the answer is still worth posting without its chart
            log.exception("no evidence for the answer in %s", reply.thread)
            return Evidence([], [], [], [])

    def _post(
        self,
        client: WebClient,
        asked: Asked,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
    ) -> None:
        try:
            client.chat_postMessage(
                channel=asked.channel,
                thread_ts=asked.thread_ts,
                text=text[:3900],
                blocks=blocks,
                unfurl_links=False,
            )
        except SLACK_FAILURES as exc:
            log.error("answer not posted to %s: %s", asked.channel, slack_error_text(exc))

    def upload_chart(
        self, client: WebClient, channel: str, thread_ts: str | None, chart: ChartSpec
    ) -> None:
        """The chart as a PNG in the thread; a failed upload is logged, the answer stands."""
        from slack_bot.chart_image import render_png

        try:
            png = render_png(chart)
            client.files_upload_v2(
                channel=channel,
                thread_ts=thread_ts,
                content=png,
                filename=f"{_slug(chart.title)}.png",
                title=chart.title,
                alt_txt=f"{chart.kind} chart: {chart.title} ({chart.unit})",
            )
        except SLACK_FAILURES as exc:
            log.warning("chart not uploaded to %s: %s", channel, slack_error_text(exc, channel))
        except Exception:
            log.exception("chart %r not drawn", chart.title)

    # ------------------------------------------------------------------ /ems

    def ack_command(self, ack: Callable[..., Any], command: dict[str, Any]) -> None:
        """Within Slack's three seconds: help at once, else a note that the answer is coming."""
        text = str(command.get("text") or "").strip()
        if text.lower() in ("", "help"):
            ack(text=HELP, response_type="ephemeral")
        else:
            ack(
                text=f":hourglass_flowing_sand: Working on: _{escape(text)}_",
                response_type="ephemeral",
            )

    def on_command(
        self, command: dict[str, Any], respond: Callable[..., Any], client: WebClient
    ) -> None:
        """The answer to `/ems QUESTION` (or `/ems incidents`), visible in the channel."""
        text = str(command.get("text") or "").strip()
        if text.lower() in ("", "help"):
            return
        user, channel = str(command.get("user_id") or ""), str(command.get("channel_id") or "")
        try:
            if text.lower().split()[0] == "incidents":
                self._respond_incidents(respond, user)
                return
            # A slash command has no thread to remember: each one is a conversation of its own.
            thread = f"slack-{command.get('team_id', 'T')}-{channel}-cmd-{uuid.uuid4().hex[:8]}"
            reply = self.agent.ask(
                text, thread=thread, user=f"slack:{user}", role=role_for(self.settings, user)
            )
        except EMSError as exc:
            self.stats.add("failed")
            respond(text=f":warning: {escape(str(exc))}", response_type="ephemeral")
            return
        except Exception as exc:
            log.exception("/ems %r failed", text)
            self.stats.add("failed")
            respond(text=SORRY.format(kind=type(exc).__name__), response_type="ephemeral")
            return
        self.stats.add("answered")
        found = self._evidence(reply)
        blocks = [sections(f"<@{user}> asked: _{escape(text)}_")[0], *answer_blocks(reply, found)]
        respond(text=to_mrkdwn(reply.answer)[:3900], blocks=blocks, response_type="in_channel")
        for chart in found.charts[:MAX_CHARTS]:
            self.upload_chart(client, channel, None, chart)

    def _respond_incidents(self, respond: Callable[..., Any], user: str) -> None:
        listed = self._tool("list_incidents")(
            self._context(user, role_for(self.settings, user)), {"state": "active", "limit": 5}
        ).to_json()
        incidents = listed.get("incidents", [])
        if not incidents:
            respond(text="No open or acknowledged incidents.", response_type="ephemeral")
            return
        blocks: list[dict[str, Any]] = []
        for incident in incidents:
            blocks += [*incident_blocks(notice_from_incident(incident)), {"type": "divider"}]
        respond(
            text=f"{len(incidents)} active incidents",
            blocks=blocks[:50],
            response_type="in_channel",
        )

    # ------------------------------------------------------------------ incident buttons

    def on_ack_button(self, body: dict[str, Any], client: WebClient) -> None:
        """Acknowledge: the press is the confirmation; operators only."""
        self.stats.add("actions")
        user, channel, ts = _who_where(body)
        try:
            incident_id = _incident_id(body)
            incident = self._update(incident_id, "acknowledge", None, body)
        except EMSError as exc:
            self._ephemeral(client, channel, user, f":no_entry: {escape(str(exc))}")
            return
        except Exception as exc:
            log.exception("acknowledging from Slack failed")
            self._ephemeral(client, channel, user, SORRY.format(kind=type(exc).__name__))
            return
        footer = f":eyes: Acknowledged by <@{user}> at {_clock(self._now())}"
        self._update_message(client, channel, ts, incident, footer)

    def on_resolve_button(
        self, ack: Callable[..., Any], body: dict[str, Any], client: WebClient
    ) -> None:
        """Resolve: ask for the resolution note in a modal (the trigger lasts three seconds)."""
        ack()
        self.stats.add("actions")
        user, channel, ts = _who_where(body)
        try:
            incident_id = _incident_id(body)
            self._require_operator(user, "resolve incidents")
        except EMSError as exc:
            self._ephemeral(client, channel, user, f":no_entry: {escape(str(exc))}")
            return
        try:
            client.views_open(
                trigger_id=str(body.get("trigger_id") or ""),
                view=resolve_modal(incident_id, channel, ts),
            )
        except SLACK_FAILURES as exc:
            log.warning("resolution form not opened: %s", slack_error_text(exc, channel))
            self._ephemeral(client, channel, user, "I could not open the resolution form.")

    def on_resolve_submit(
        self, ack: Callable[..., Any], body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        """The modal's note resolves the incident; a problem is shown in the form itself."""
        self.stats.add("actions")
        user = str((body.get("user") or {}).get("id") or "")
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
            incident_id = int(meta["incident_id"])
        except (ValueError, KeyError, TypeError):
            ack(response_action="errors", errors={NOTE_BLOCK: "This form lost its incident."})
            return
        values = (view.get("state") or {}).get("values") or {}
        note = str(((values.get(NOTE_BLOCK) or {}).get(NOTE_ACTION) or {}).get("value") or "")
        if not note.strip():
            ack(response_action="errors", errors={NOTE_BLOCK: "Write what was done."})
            return
        try:
            incident = self._update(incident_id, "resolve", note.strip(), body)
        except EMSError as exc:
            ack(response_action="errors", errors={NOTE_BLOCK: str(exc)[:150]})
            return
        except Exception as exc:  # the form says so and stays open; the note is not lost
            log.exception("resolving from Slack failed")
            problem = f"Something went wrong on my side ({type(exc).__name__}); it is logged."
            ack(response_action="errors", errors={NOTE_BLOCK: problem})
            return
        ack()
        footer = f":white_check_mark: Resolved by <@{user}>: {escape(note.strip())}"
        if meta.get("channel") and meta.get("ts"):
            self._update_message(client, meta["channel"], meta["ts"], incident, footer)

    def _update(
        self, incident_id: int, action: str, note: str | None, body: dict[str, Any]
    ) -> dict[str, Any]:
        user = body.get("user") or {}
        user_id = str(user.get("id") or "")
        role = self._require_operator(user_id, f"{action} incidents")
        name = user.get("username") or user.get("name") or user_id
        ctx = self._context(str(name), role)
        args = {"incident_id": incident_id, "action": action, "note": note}
        result: dict[str, Any] = self._tool("update_incident")(ctx, args).to_json()
        return result

    def _require_operator(self, user_id: str, what: str) -> str:
        from tools.alerts import NotAllowed

        role = role_for(self.settings, user_id)
        if not at_least(role, "operator"):
            raise NotAllowed(
                f"only operators may {what}; you are a {role} here "
                "(an admin can add you to slack_users in ems.toml)"
            )
        return role

    def _tool(self, name: str) -> Tool[Any, Any]:
        found = self.registry.get(name)
        if found is None:
            raise NotConfigured(f"the {name} tool is not installed in this version")
        return found

    def _now(self) -> datetime:
        return self._context("slack", "viewer").now

    def _context(self, user: str, role: str) -> ToolContext:
        return self.agent.context(user=f"slack:{user}", role=role)

    def _update_message(
        self, client: WebClient, channel: str, ts: str, incident: dict[str, Any], footer: str
    ) -> None:
        notice = notice_from_incident(incident)
        try:
            client.chat_update(
                channel=channel,
                ts=ts,
                text=f"Incident #{notice.incident_id} is {notice.state}",
                blocks=incident_blocks(notice, footer=footer),
            )
        except SLACK_FAILURES as exc:
            log.warning("incident message not updated: %s", slack_error_text(exc, channel))

    def _ephemeral(self, client: WebClient, channel: str, user: str, text: str) -> None:
        try:
            client.chat_postEphemeral(channel=channel, user=user, text=text)
        except SLACK_FAILURES as exc:
            log.warning("note to %s not shown: %s", user, slack_error_text(exc, channel))

    def on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("Slack request failed: %r (type %s)", error, body.get("type"), exc_info=error)


def _who_where(body: dict[str, Any]) -> tuple[str, str, str]:
    """Who pressed a button, and the channel and ts of the message it is on."""
    user = str((body.get("user") or {}).get("id") or "")
    channel = str(
        (body.get("channel") or {}).get("id")
        or (body.get("container") or {}).get("channel_id")
        or ""
    )
    ts = str(
        (body.get("message") or {}).get("ts")
        or (body.get("container") or {}).get("message_ts")
        or ""
    )
    return user, channel, ts


def _incident_id(body: dict[str, Any]) -> int:
    actions = body.get("actions") or [{}]
    value = str(actions[0].get("value") or "")
    if not value.isdigit():
        raise BadSlackAction(f"this button does not name an incident (value {value!r})")
    return int(value)


def _clock(moment: datetime) -> str:
    return f"{moment:%-d %b %H:%M}"


def resolve_modal(incident_id: int, channel: str, ts: str) -> dict[str, Any]:
    """The form asking for the resolution note; it carries where the incident message is."""
    return {
        "type": "modal",
        "callback_id": RESOLVE_VIEW,
        "private_metadata": json.dumps({"incident_id": incident_id, "channel": channel, "ts": ts}),
        "title": {"type": "plain_text", "text": f"Resolve incident #{incident_id}"[:24]},
        "submit": {"type": "plain_text", "text": "Resolve"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": NOTE_BLOCK,
                "label": {"type": "plain_text", "text": "What was done?"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": NOTE_ACTION,
                    "multiline": True,
                    "min_length": 3,
                    "placeholder": {
                        "type": "plain_text",
                        "text": "e.g. Leak at valve V-12 repaired; pressure back to 6.5 bar",
                    },
                },
            }
        ],
    }


# ------------------------------------------------------------------ the Bolt app


def _ack(ack: Callable[..., Any]) -> None:
    ack()


def build_slack_app(
    deps: SlackDeps,
    *,
    client: WebClient,
    signing_secret: str | None = None,
    token_verification: bool = True,
    stats: BotStats | None = None,
) -> BoltApp:
    """The Bolt app answering Slack through the agent.

    Args:
        deps: The agent, the tools and the settings, from the root.
        client: The Web API client (SLACK_BOT_TOKEN at `slack_api_url`).
        signing_secret: Verifies HTTP requests (SLACK_SIGNING_SECRET). Without one no HTTP
            request is accepted (Socket Mode needs none).
        token_verification: Check the token with `auth.test` at start (and learn the bot's id).
        stats: Counters the bot updates as it works.
    """
    # A random secret nobody knows refuses every HTTP request rather than trusting an empty one.
    signing = signing_secret or secrets.token_hex(32)
    try:
        bolt = BoltApp(
            client=client,
            signing_secret=signing,
            token_verification_enabled=token_verification,
            name="ems-agent",
        )
    except BoltError as exc:
        raise SlackUnavailable(f"Slack did not accept the bot token: {exc}") from None
    except (OSError, SlackClientError) as exc:
        raise SlackUnavailable(f"could not reach Slack at {client.base_url}: {exc}") from None
    bot = SlackBot(deps, stats or BotStats())
    bolt.event("app_mention")(ack=_ack, lazy=[bot.on_mention])
    bolt.event("message")(ack=_ack, lazy=[bot.on_message])
    bolt.command("/ems")(ack=bot.ack_command, lazy=[bot.on_command])
    bolt.action(ACK_ACTION)(ack=_ack, lazy=[bot.on_ack_button])
    bolt.action(RESOLVE_ACTION)(bot.on_resolve_button)
    bolt.view(RESOLVE_VIEW)(bot.on_resolve_submit)
    bolt.error(bot.on_error)
    return bolt


# ------------------------------------------------------------------ serving it


class _SafeRequestHandler(SlackRequestHandler):
    """Bolt's WSGI adapter, answering a body that is not JSON with 400 instead of a 500."""

    def __init__(self, app: BoltApp, signing_secret: str, path: str = EVENTS_PATH) -> None:
        super().__init__(app, path)
        self.verifier = SignatureVerifier(signing_secret)

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        body, headers = request.get_body(), request.get_headers()  # the body can be read once
        try:
            parsed = BoltRequest(body=body, query=request.query_string, headers=headers)
        except ValueError:
            return self._refuse(body, headers)
        if not _well_formed(parsed.body):
            return self._refuse(body, headers)
        return self.app.dispatch(parsed)

    def _refuse(self, body: str, headers: dict[str, Any]) -> BoltResponse:
        """401 for an unsigned request (as Bolt answers), 400 for a signed malformed one."""
        timestamp = str(headers.get("x-slack-request-timestamp") or "0")
        signature = str(headers.get("x-slack-signature") or "")
        if not self.verifier.is_valid(body, timestamp, signature):
            return BoltResponse(status=401, body={"error": "invalid request"})
        log.warning("a signed Slack request with a malformed body was refused")
        return BoltResponse(status=400, body={"error": "malformed request body"})


def _well_formed(body: Any) -> bool:
    """The parts Bolt's middleware reads have the types Slack sends."""
    if not isinstance(body, dict):
        return False
    objects = ("event", "view", "team", "channel", "container", "message")
    if any(key in body and not isinstance(body[key], dict) for key in objects):
        return False
    if "user" in body and not isinstance(body["user"], dict | str):
        return False
    actions = body.get("actions", [])
    return isinstance(actions, list) and all(isinstance(a, dict) for a in actions)


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("slack http: " + format, *args)


class PortInUse(EMSError):
    """The address the Slack bot was asked to listen on is taken or not available."""


def serve_http(
    bolt: BoltApp, signing_secret: str, host: str = "127.0.0.1", port: int = 3000
) -> WSGIServer:
    """A threaded HTTP server for Slack's requests at `/slack/events` (call serve_forever)."""
    handler = _SafeRequestHandler(bolt, signing_secret)
    try:
        return make_server(
            host, port, handler, server_class=_ThreadingServer, handler_class=_QuietHandler
        )
    except OSError as exc:
        raise PortInUse(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); choose another --port"
        ) from None


def socket_mode_handler(bolt: BoltApp, app_token: str) -> SocketModeHandler:
    """The Socket Mode connection (no public URL needed), using the app's Web API client, so
    `slack_api_url` applies to `apps.connections.open` as well."""
    return SocketModeHandler(bolt, app_token=app_token, web_client=bolt.client)


def connect_socket_mode(bolt: BoltApp, app_token: str) -> SocketModeHandler:
    """A connected Socket Mode handler (it reconnects by itself), or why Slack refused it."""
    handler = socket_mode_handler(bolt, app_token)
    try:
        handler.connect()  # type: ignore[no-untyped-call]
    except SLACK_FAILURES as exc:
        raise SlackUnavailable(
            f"Socket Mode did not start: {slack_error_text(exc, 'Socket Mode')}. SLACK_APP_TOKEN "
            "must be an app-level token (xapp-...) with the connections:write scope, and Socket "
            "Mode must be turned on in the app's settings"
        ) from None
    return handler
