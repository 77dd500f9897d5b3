"""Incidents in Slack: Block Kit messages with Acknowledge / Resolve buttons, the notifier that
posts them, and the Markdown-to-mrkdwn conversion the Slack bot's answers use as well."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from common.notices import Delivery, Event, IncidentNotice, ReportNotice

log = logging.getLogger(__name__)

ACK_ACTION = "incident_ack"
RESOLVE_ACTION = "incident_resolve"
ACTIONS_BLOCK = "incident_actions"
SEVERITY_EMOJI = {"critical": ":red_circle:", "warning": ":large_orange_circle:"}
DEFAULT_EMOJI = ":large_blue_circle:"
STATE_EMOJI = {"acknowledged": ":eyes:", "resolved": ":white_check_mark:"}
SECTION_LIMIT = 3000  # characters of mrkdwn Slack accepts in one section block
RATE_LIMIT_RETRIES = 3

# ------------------------------------------------------------------ Markdown to mrkdwn

_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_LINK = re.compile(r"\[([^\]\n]+)\]\(<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\)")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC = re.compile(r"(?<![\w*\\])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")


def escape(text: str) -> str:
    """Text with Slack's three control characters escaped, so it is shown as written."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _inline_text(text: str) -> str:
    links: list[str] = []

    def link(match: re.Match[str]) -> str:
        label = match.group(1).replace("|", "/")
        links.append(f"<{match.group(2)}|{escape(label)}>")
        return f"\x00{len(links) - 1}\x00"

    text = _LINK.sub(link, text)
    text = escape(text)
    # Bold is marked with a placeholder first, so the italic pass cannot take its asterisks.
    text = _BOLD.sub(lambda m: f"\x01{m.group(2)}\x01", text)
    text = _ITALIC.sub(lambda m: f"_{m.group(1)}_", text)
    text = _STRIKE.sub(lambda m: f"~{m.group(1)}~", text)
    text = text.replace("\x01", "*")
    return re.sub("\x00(\\d+)\x00", lambda m: links[int(m.group(1))], text)


def _inline(line: str) -> str:
    """One line's emphasis, links and code spans; nothing inside a code span is changed."""
    out: list[str] = []
    last = 0
    for match in _CODE_SPAN.finditer(line):
        out.append(_inline_text(line[last : match.start()]))
        out.append(f"`{escape(match.group(2))}`")
        last = match.end()
    out.append(_inline_text(line[last:]))
    return "".join(out)


def to_mrkdwn(markdown: str) -> str:
    """The Markdown the agent writes as Slack mrkdwn: `**bold**` to `*bold*`, `[text](url)` to
    `<url|text>`, headings bold, bullets as `•`; code blocks, and tables as code blocks, kept."""
    lines: list[str] = []
    fenced = False
    table = False
    for raw in markdown.replace("\r\n", "\n").split("\n"):
        if raw.strip().startswith("```"):
            fenced = not fenced
            lines.append("```")
            continue
        if fenced:
            lines.append(escape(raw))
            continue
        is_row = raw.strip().startswith("|")
        if is_row != table:  # a Markdown table has no mrkdwn form: show it monospaced
            lines.append("```")
            table = is_row
        if is_row:
            lines.append(escape(raw.strip()))
        elif heading := _HEADING.match(raw):
            lines.append(f"*{_inline(heading.group(1)).replace('*', '')}*")
        elif bullet := _BULLET.match(raw):
            depth = len(bullet.group(1).expandtabs(4)) // 2
            lines.append("    " * depth + "• " + _inline(bullet.group(2)))
        elif _RULE.match(raw):
            lines.append("───")
        else:
            lines.append(_inline(raw))
    if fenced or table:
        lines.append("```")
    return "\n".join(lines).strip("\n")


def sections(mrkdwn: str, limit: int = SECTION_LIMIT) -> list[dict[str, Any]]:
    """Section blocks holding the text, split at line ends to stay within Slack's limit."""
    blocks: list[dict[str, Any]] = []
    chunk = ""
    for line in mrkdwn.split("\n"):
        while len(line) > limit:  # one very long line: cut it where it must be cut
            if chunk:
                blocks.append(_section(chunk))
                chunk = ""
            blocks.append(_section(line[:limit]))
            line = line[limit:]
        if chunk and len(chunk) + 1 + len(line) > limit:
            blocks.append(_section(chunk))
            chunk = line
        else:
            chunk = f"{chunk}\n{line}" if chunk else line
    if chunk.strip():
        blocks.append(_section(chunk))
    return blocks


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context_block(items: list[str], *, limit: int = 10) -> dict[str, Any]:
    """A context block (small grey text) with at most `limit` elements, the last one noting
    how many were left out."""
    shown = items[:limit]
    if len(items) > limit:
        shown = [*items[: limit - 1], f"… and {len(items) - limit + 1} more"]
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": item[:2000]} for item in shown],
    }


# ------------------------------------------------------------------ incident messages


def _when(iso: str | None) -> str:
    if not iso:
        return "ongoing"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{moment:%-d %b %Y %H:%M}"


def impact_text(notice: IncidentNotice) -> str:
    """'1,234.5 kWh extra · 321.00 EUR · 456.7 kg CO2e', leaving out what is not known."""
    parts = []
    if notice.extra_kwh is not None:
        parts.append(f"{notice.extra_kwh:,.1f} kWh extra")
    if notice.cost is not None:
        parts.append(f"{notice.cost:,.2f} {notice.currency}")
    if notice.co2_kg is not None:
        parts.append(f"{notice.co2_kg:,.1f} kg CO2e")
    return " · ".join(parts) or "not estimated"


def _buttons(notice: IncidentNotice) -> dict[str, Any] | None:
    value = str(notice.incident_id)
    elements: list[dict[str, Any]] = []
    if notice.state == "open":
        elements.append(_button(ACK_ACTION, "Acknowledge", value, "primary"))
    if notice.state != "resolved":
        elements.append(_button(RESOLVE_ACTION, "Resolve", value, None))
    return (
        {"type": "actions", "block_id": ACTIONS_BLOCK, "elements": elements} if elements else None
    )


def _button(action: str, label: str, value: str, style: str | None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action,
        "text": {"type": "plain_text", "text": label},
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def incident_blocks(notice: IncidentNotice, *, footer: str | None = None) -> list[dict[str, Any]]:
    """The incident as Block Kit: header, key facts, the summary, citations, and the buttons
    that still apply to its state (Acknowledge while open, Resolve until resolved)."""
    emoji = SEVERITY_EMOJI.get(notice.severity, DEFAULT_EMOJI)
    title = f"{notice.title or 'Incident'} (#{notice.incident_id})"
    state = f"{STATE_EMOJI.get(notice.state, '')} {notice.state}".strip()
    fields = [
        f"*Severity*\n{emoji} {escape(notice.severity)}",
        f"*State*\n{escape(state)}",
        f"*Meter*\n{escape(notice.meter or 'site-wide')} ({escape(notice.site)})",
        f"*Period*\n{_when(notice.start)} to {_when(notice.end)}",
        f"*Impact*\n{escape(impact_text(notice))}",
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150], "emoji": True}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
    ]
    if notice.summary.strip():
        blocks.extend(sections(to_mrkdwn(notice.summary))[:40])
    if notice.citations:
        blocks.append(context_block([f":books: {escape(c)}" for c in notice.citations]))
    if footer:
        blocks.append(context_block([footer]))
    buttons = _buttons(notice)
    if buttons:
        blocks.append(buttons)
    return blocks


def fallback_text(notice: IncidentNotice) -> str:
    """The plain line notifications and screen readers show instead of the blocks."""
    return f"{notice.severity.capitalize()} incident #{notice.incident_id}: {notice.title}"


def notice_from_incident(incident: Mapping[str, Any], event: Event = "updated") -> IncidentNotice:
    """An `IncidentNotice` from an incident tool's result (`IncidentOut` as JSON)."""
    return IncidentNotice(
        event=event,
        incident_id=int(incident["id"]),
        site=str(incident.get("site") or ""),
        title=str(incident.get("title") or ""),
        severity=str(incident.get("severity") or "info"),
        state=str(incident.get("state") or "open"),
        meter=incident.get("meter"),
        start=str(incident.get("start") or ""),
        end=incident.get("end"),
        extra_kwh=incident.get("extra_kwh"),
        cost=incident.get("cost"),
        currency=str(incident.get("currency") or "EUR"),
        co2_kg=incident.get("co2_kg"),
        summary=str(incident.get("summary") or ""),
        citations=tuple(incident.get("citations") or ()),
    )


# ------------------------------------------------------------------ the Web API client


def web_client(token: str | None, base_url: str | None = None) -> WebClient:
    """A WebClient that retries connection errors once and waits out rate limits (HTTP 429,
    honouring Retry-After) up to three times; `base_url` replaces Slack's own API address."""
    handlers = [ConnectionErrorRetryHandler(), RateLimitErrorRetryHandler(RATE_LIMIT_RETRIES)]
    if base_url:
        return WebClient(token=token, base_url=_with_slash(base_url), retry_handlers=handlers)
    return WebClient(token=token, retry_handlers=handlers)


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


_ERRORS = {
    "channel_not_found": "Slack has no channel {channel} that the bot can see; set "
    "slack_incident_channel to the channel's ID (e.g. C0123456789), which private channels need",
    "not_in_channel": "the bot is not a member of {channel}; invite it there with /invite",
    "is_archived": "channel {channel} is archived; choose another slack_incident_channel",
    "invalid_auth": "Slack refused the bot token (invalid_auth); check SLACK_BOT_TOKEN",
    "not_authed": "no bot token was sent; export SLACK_BOT_TOKEN=xoxb-...",
    "token_revoked": "the bot token was revoked; install the app again and update SLACK_BOT_TOKEN",
    "account_inactive": "the bot's token belongs to a deleted app or user; update SLACK_BOT_TOKEN",
    "ratelimited": "Slack kept rate-limiting the bot (HTTP 429) after {retries} retries",
    "invalid_blocks": "Slack rejected the message layout (invalid_blocks)",
    "msg_too_long": "the message is longer than Slack accepts (msg_too_long)",
}


def slack_error_text(exc: Exception, channel: str = "the channel") -> str:
    """What went wrong with a Web API call, in words that say what to do."""
    if isinstance(exc, SlackApiError):
        code = str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
        if code == "missing_scope":
            needed = exc.response.get("needed") or "chat:write"
            return f"the bot token lacks the Slack scope {needed}; add it and reinstall the app"
        template = _ERRORS.get(code)
        if template:
            return template.format(channel=channel, retries=RATE_LIMIT_RETRIES)
        return f"Slack answered {code}"
    return f"could not reach Slack: {exc}"


# ------------------------------------------------------------------ the notifier


class _CountingRateLimitHandler(RateLimitErrorRetryHandler):
    """Slack's rate-limit retry, counting the retries of the calling thread's request."""

    def __init__(self, max_retry_count: int) -> None:
        super().__init__(max_retry_count)
        self.local = threading.local()

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        self.local.retries = getattr(self.local, "retries", 0) + 1
        super().prepare_for_next_attempt(
            state=state, request=request, response=response, error=error
        )


class SlackIncidentNotifier:
    """Posts each incident notice to one channel; updates of an incident it posted this run
    go into the thread of the first message, so the channel keeps one message per incident."""

    name = "slack"

    def __init__(self, client: WebClient, channel: str) -> None:
        self.channel = channel
        self._retries = _CountingRateLimitHandler(RATE_LIMIT_RETRIES)
        # A copy of the caller's client with our retry handlers, so counting attempts does not
        # change the client the bot shares.
        self.client = WebClient(
            token=client.token,
            base_url=_with_slash(client.base_url),
            timeout=client.timeout,
            ssl=client.ssl,
            proxy=client.proxy,
            headers=dict(client.headers),
            logger=client.logger,
            retry_handlers=[ConnectionErrorRetryHandler(), self._retries],
        )
        self._posted: dict[int, str] = {}  # incident id -> ts of its first message

    def send(self, notice: IncidentNotice) -> Delivery:
        """Post the notice; a Slack error comes back as a failed Delivery, never raised."""
        self._retries.local.retries = 0
        thread_ts = self._posted.get(notice.incident_id)
        try:
            response = self.client.chat_postMessage(
                channel=self.channel,
                text=fallback_text(notice),
                blocks=incident_blocks(notice),
                thread_ts=thread_ts,
                unfurl_links=False,
            )
        except SlackClientError as exc:
            detail = slack_error_text(exc, self.channel)
            log.warning("incident #%s not posted to Slack: %s", notice.incident_id, detail)
            return Delivery(self.name, False, self._attempts(), detail)
        except (OSError, ValueError) as exc:  # connection refused, time-out, bad URL
            detail = f"could not reach Slack at {self.client.base_url}: {exc}"
            return Delivery(self.name, False, self._attempts(), detail)
        ts = str(response.get("ts") or "")
        if thread_ts is None and ts:
            self._posted[notice.incident_id] = ts
        where = f"thread {thread_ts}" if thread_ts else f"message {ts}"
        return Delivery(self.name, True, self._attempts(), f"posted to {self.channel} ({where})")

    def send_report(self, notice: ReportNotice) -> Delivery:
        """Upload the monthly report to the channel with its summary; a Slack error comes back
        as a failed Delivery, never raised. Uploads need the channel's ID (C0123456789) and the
        files:write scope."""
        self._retries.local.retries = 0
        try:
            self.client.files_upload_v2(
                channel=self.channel,
                content=notice.content,
                filename=notice.filename,
                title=notice.title,
                initial_comment=f"*{escape(notice.title)}*\n{escape(notice.summary.strip())}",
            )
        except SlackClientError as exc:
            detail = slack_error_text(exc, self.channel)
            log.warning("the %s report was not uploaded to Slack: %s", notice.month, detail)
            return Delivery(self.name, False, self._attempts(), detail)
        except (OSError, ValueError) as exc:  # connection refused, time-out, bad URL
            detail = f"could not reach Slack at {self.client.base_url}: {exc}"
            return Delivery(self.name, False, self._attempts(), detail)
        return Delivery(self.name, True, self._attempts(), f"uploaded to {self.channel}")

    def _attempts(self) -> int:
        return 1 + int(getattr(self._retries.local, "retries", 0))
