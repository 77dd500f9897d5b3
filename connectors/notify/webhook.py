"""Incident notices POSTed as signed JSON to a webhook, retried with backoff when it may pass.

The body is the notice's JSON (`IncidentNotice.to_json()`) plus `event_id`, which is the same
each time one incident's event is sent (`<site>:<incident>:<event>`, with a digest of the content
for updates), so a receiver that keeps the ids it has seen can drop duplicates; a retry sends
the same id.

Every request carries `X-EMS-Event` (the event id), `X-EMS-Timestamp` (Unix seconds when the
attempt was made) and, when EMS_WEBHOOK_SECRET is set, `X-EMS-Signature: sha256=<hex>`: the
HMAC-SHA256, keyed with the secret, of the timestamp, a dot and the raw body bytes. A receiver
verifies it like this::

    import hashlib, hmac, time

    def verify(secret: bytes, headers, body: bytes, tolerance: int = 300) -> bool:
        timestamp = headers["X-EMS-Timestamp"]
        if abs(time.time() - int(timestamp)) > tolerance:  # refuses replays of old requests
            return False
        expected = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256)
        return hmac.compare_digest(headers["X-EMS-Signature"], "sha256=" + expected.hexdigest())

Each attempt is signed afresh, so a retry after a long wait still passes the time check.
Connection errors, time-outs, HTTP 429 and 5xx are retried with exponential backoff and jitter
(a Retry-After header is honoured, up to `max_wait`); other 4xx and redirects are not.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC
from email.message import Message
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from common.errors import NotConfigured
from common.notices import Delivery, IncidentNotice
from connectors.notify.base import (
    PermanentFailure,
    TransientFailure,
    deliver,
    event_id,
)

USER_AGENT = "ems-agent-webhook/1"
SNIPPET = 200  # characters of an error response quoted in the delivery's detail


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected POST would become a GET without the notice: report it instead."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class WebhookNotifier:
    """POSTs incident notices as JSON to one URL, signed when a secret is given."""

    name: str = "webhook"

    def __init__(
        self,
        url: str,
        secret: str | None = None,
        timeout: float = 10.0,
        attempts: int = 5,
        *,
        backoff: float = 1.0,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """A notifier for `url`.

        Args:
            url: The receiver's http:// or https:// address.
            secret: Key of the HMAC signature (EMS_WEBHOOK_SECRET); None sends no signature.
            timeout: Seconds to wait for the receiver on each attempt.
            attempts: Attempts in all, the first one included.
            backoff: First backoff wait in seconds; it doubles on each retry, plus jitter.
            max_wait: Longest wait between attempts; a longer Retry-After gives up instead.
            sleep: How to wait between attempts (tests pass one that records).
            clock: Current Unix time, for the timestamp header and Retry-After dates.
        """
        if attempts < 1:
            raise ValueError(f"attempts must be at least 1, not {attempts}")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise NotConfigured(
                f"webhook_url {url!r} is not an http:// or https:// address: set EMS_WEBHOOK_URL "
                "to the full URL of the receiver, e.g. https://hooks.example.com/ems"
            )
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.max_wait = max_wait
        self._sleep = sleep
        self._clock = clock
        self._opener = urllib.request.build_opener(_NoRedirects())
        self._where = parts.netloc

    def payload(self, notice: IncidentNotice) -> dict[str, Any]:
        """The JSON document sent for a notice."""
        return {**notice.to_json(), "event_id": event_id(notice)}

    def headers(self, body: bytes, timestamp: int) -> dict[str, str]:
        """The request headers of one attempt, with the signature when there is a secret."""
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "X-EMS-Timestamp": str(timestamp),
        }
        if self.secret:
            signed = str(timestamp).encode() + b"." + body
            digest = hmac.new(self.secret.encode(), signed, hashlib.sha256).hexdigest()
            headers["X-EMS-Signature"] = f"sha256={digest}"
        return headers

    def send(self, notice: IncidentNotice) -> Delivery:
        """POST the notice, retrying what may pass; never raises for delivery failures."""
        payload = self.payload(notice)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        return deliver(
            self.name,
            lambda: self._post(body, payload["event_id"]),
            notice=notice,
            where=self._where,
            attempts=self.attempts,
            backoff=self.backoff,
            max_wait=self.max_wait,
            sleep=self._sleep,
        )

    def _post(self, body: bytes, event: str) -> tuple[bool, str]:
        headers = self.headers(body, int(self._clock())) | {"X-EMS-Event": event}
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read(64 * 1024)  # the answer is not used; a huge one is not waited for
                return True, f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            with exc:
                raise self._refused(exc.code, exc.headers, _snippet(exc)) from None
        except urllib.error.URLError as exc:
            raise self._unreachable(exc.reason) from None
        except OSError as exc:  # time-out or reset while reading the answer
            raise self._unreachable(exc) from None

    def _refused(self, status: int, headers: Message, text: str) -> Exception:
        detail = f"HTTP {status}" + (f": {text}" if text else "")
        if status == 429 or status >= 500:
            wait = retry_after(headers.get("Retry-After"), self._clock())
            if wait is not None and wait > self.max_wait:
                return PermanentFailure(
                    f"{detail}; the receiver asked to wait {wait:.0f} s (Retry-After), longer "
                    f"than the {self.max_wait:.0f} s this notifier waits"
                )
            return TransientFailure(detail, wait)
        if 300 <= status < 400:
            return PermanentFailure(
                f"{detail}; the webhook URL redirects to {headers.get('Location') or '?'}: "
                "set EMS_WEBHOOK_URL to the address it points to"
            )
        if status in (401, 403):
            return PermanentFailure(
                f"{detail}; the receiver refused the notice: check that it expects the "
                "signature made with EMS_WEBHOOK_SECRET"
            )
        return PermanentFailure(f"{detail}; the receiver rejected the notice")

    def _unreachable(self, reason: object) -> Exception:
        if isinstance(reason, ssl.SSLCertVerificationError):
            return PermanentFailure(
                f"the TLS certificate of {self._where} could not be verified: "
                f"{reason.verify_message}"
            )
        if isinstance(reason, TimeoutError):
            return TransientFailure(f"no answer from {self._where} within {self.timeout:g} s")
        if isinstance(reason, ConnectionRefusedError):
            return TransientFailure(f"connection refused by {self._where}")
        return TransientFailure(f"could not reach {self._where}: {reason}")


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # unreadable: fall back to our own backoff
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def _snippet(exc: urllib.error.HTTPError) -> str:
    try:
        raw = exc.read(SNIPPET * 4)
    except OSError:
        return ""
    text = " ".join(raw.decode("utf-8", "replace").split())
    return text[:SNIPPET] + ("..." if len(text) > SNIPPET else "")
