"""What every incident notifier shares: retries with backoff, the event id, plain text and HTML.

A notifier turns an `IncidentNotice` into a message on one channel (webhook, e-mail, Slack) and
returns a `Delivery` saying whether it arrived; delivery failures are data, never exceptions.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable

from markdown_it import MarkdownIt
from markdown_it.token import Token
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from common.notices import Delivery, IncidentNotice

log = logging.getLogger(__name__)


def event_id(notice: IncidentNotice) -> str:
    """An id that is the same every time this incident's event is sent, so receivers can drop
    duplicates: `<site>:<incident>:<event>`. An incident opens and resolves once but may be
    updated several times, so an update's id also carries a digest of what it says."""
    key = f"{notice.site}:{notice.incident_id}:{notice.event}"
    if notice.event == "updated":
        canonical = json.dumps(notice.to_json(), sort_keys=True, separators=(",", ":"))
        key += ":" + hashlib.sha256(canonical.encode()).hexdigest()[:16]
    return key


def notice_facts(notice: IncidentNotice) -> list[tuple[str, str]]:
    """The notice's key figures as (label, value) rows, leaving out what it does not have."""
    rows = [("Severity", notice.severity), ("State", notice.state)]
    if notice.meter:
        rows.append(("Meter", notice.meter))
    rows.append(("Since", notice.start))
    if notice.end:
        rows.append(("Until", notice.end))
    if notice.extra_kwh is not None:
        rows.append(("Extra energy", f"{notice.extra_kwh:,.1f} kWh"))
    if notice.cost is not None:
        rows.append(("Cost", f"{notice.cost:,.2f} {notice.currency}"))
    if notice.co2_kg is not None:
        rows.append(("CO2", f"{notice.co2_kg:,.1f} kg CO2e"))
    return rows


class TransientFailure(Exception):
    """An attempt failed in a way that may pass (connection, time-out, 429, 5xx): retry it."""

    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after  # seconds the receiver asked us to wait


class PermanentFailure(Exception):
    """An attempt failed in a way that sending again cannot fix (bad request, refused login)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def deliver(
    name: str,
    attempt: Callable[[], tuple[bool, str]],
    *,
    notice: IncidentNotice,
    where: str,
    attempts: int,
    backoff: float,
    max_wait: float,
    sleep: Callable[[float], None],
) -> Delivery:
    """Run `attempt` until it returns, retrying transient failures with exponential backoff and
    jitter (or the receiver's Retry-After); `attempt` returns (ok, detail). A notice that was
    not delivered is logged with `where` it was going."""
    delivery = _retried(name, attempt, attempts, backoff, max_wait, sleep)
    if not delivery.ok:
        log.warning(
            "incident %s (%s) was not delivered by %s to %s: %s",
            notice.incident_id,
            notice.event,
            name,
            where,
            delivery.detail,
        )
    return delivery


def deliver_file(
    name: str,
    attempt: Callable[[], tuple[bool, str]],
    *,
    what: str,
    where: str,
    attempts: int,
    backoff: float,
    max_wait: float,
    sleep: Callable[[float], None],
) -> Delivery:
    """As `deliver`, for a file such as the monthly report (`what` names it in the log)."""
    delivery = _retried(name, attempt, attempts, backoff, max_wait, sleep)
    if not delivery.ok:
        log.warning("%s was not delivered by %s to %s: %s", what, name, where, delivery.detail)
    return delivery


def _retried(
    name: str,
    attempt: Callable[[], tuple[bool, str]],
    attempts: int,
    backoff: float,
    max_wait: float,
    sleep: Callable[[float], None],
) -> Delivery:
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, not {attempts}")
    count = 0
    backoff_wait = wait_exponential_jitter(multiplier=backoff, max=max_wait, jitter=backoff)

    def once() -> tuple[bool, str]:
        nonlocal count
        count += 1
        return attempt()

    def wait(state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome else None
        if isinstance(failure, TransientFailure) and failure.retry_after is not None:
            return failure.retry_after
        return backoff_wait(state)

    retrying = Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait,
        retry=retry_if_exception_type(TransientFailure),
        sleep=sleep,
        reraise=True,
    )
    try:
        ok, detail = retrying(once)
    except TransientFailure as exc:
        detail = f"{exc.detail} (gave up after {count} attempt{'s' if count > 1 else ''})"
        return Delivery(name, False, count, detail)
    except PermanentFailure as exc:
        return Delivery(name, False, count, f"{exc.detail} (not retried)")
    return Delivery(name, ok, count, detail)


_MARKDOWN = MarkdownIt("commonmark", {"html": False})


def markdown_to_html(markdown: str) -> str:
    """CommonMark as HTML; raw HTML in the text is escaped, never passed through."""
    return str(_MARKDOWN.render(markdown))


def markdown_to_text(markdown: str) -> str:
    """CommonMark as readable plain text: no emphasis marks, links as `text (url)`, lists kept."""
    lines: list[str] = []
    lists: list[list[int]] = []  # per open list: [next number], or [] for a bullet list
    marker = ""
    for token in _MARKDOWN.parse(markdown):
        indent = "  " * max(len(lists) - 1, 0)
        if token.type in ("bullet_list_open", "ordered_list_open"):
            lists.append([int(token.attrGet("start") or 1)] if token.type[0] == "o" else [])
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            if not lists:
                lines.append("")
        elif token.type == "list_item_open":
            counter = lists[-1]
            marker = f"{counter[0]}. " if counter else "- "
            if counter:
                counter[0] += 1
        elif token.type == "inline":
            text = _inline_text(token.children or [])
            pad = indent + " " * len(marker)
            first, *rest = text.split("\n")
            lines.append(indent + marker + first if marker else indent + first)
            lines.extend(pad + line if marker else indent + line for line in rest)
            marker = ""
        elif token.type in ("fence", "code_block"):
            lines.extend("    " + line for line in token.content.rstrip("\n").split("\n"))
            lines.append("")
        elif token.type == "hr":
            lines.extend(["-" * 20, ""])
        elif token.type in ("paragraph_close", "heading_close") and not token.hidden:
            lines.append("")
    return "\n".join(lines).strip() + "\n"


def _inline_text(children: list[Token]) -> str:
    parts: list[str] = []
    hrefs: list[tuple[str, int]] = []  # open links: (href, index of their first part)
    for child in children:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            parts.append(child.content)
        elif child.type == "link_open":
            hrefs.append((str(child.attrGet("href") or ""), len(parts)))
        elif child.type == "link_close" and hrefs:
            href, first = hrefs.pop()
            if href and "".join(parts[first:]) != href:
                parts.append(f" ({href})")
    return "".join(parts)
