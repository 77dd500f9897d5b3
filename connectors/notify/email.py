"""Incident notices as e-mail (plain text and HTML) over SMTP, retried when the server is away.

Connection failures, time-outs and temporary (4xx) SMTP answers are retried with backoff; a
refused login, sender or recipient is not, and the delivery names what was refused. Mails of
one incident share a thread (References to the mail that opened it), and sending the same
notice twice gives the same Message-ID, so mail clients show it once.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from html import escape

from common.notices import Delivery, IncidentNotice, ReportNotice
from connectors.notify.base import (
    PermanentFailure,
    TransientFailure,
    deliver,
    deliver_file,
    event_id,
    markdown_to_html,
    markdown_to_text,
    notice_facts,
)


def subject(notice: IncidentNotice) -> str:
    """E.g. `[critical] SITE: METER sustained excess since 2026-11-03`."""
    if notice.event == "resolved":
        return f"[resolved] {notice.site}: {notice.title}"
    updated = " (updated)" if notice.event == "updated" else ""
    return f"[{notice.severity}] {notice.site}: {notice.title}{updated}"


def plain_body(notice: IncidentNotice) -> str:
    """The text part: title, key figures, the summary without Markdown, the sources."""
    facts = notice_facts(notice)
    width = max(len(label) for label, _ in facts) + 2
    lines = [notice.title, f"Site {notice.site}, incident #{notice.incident_id} ({notice.event})"]
    lines.append("")
    lines.extend(f"{label + ':':<{width}}{value}" for label, value in facts)
    if notice.summary.strip():
        lines.extend(["", markdown_to_text(notice.summary).rstrip()])
    if notice.citations:
        lines.extend(["", "Sources:", *(f"- {citation}" for citation in notice.citations)])
    return "\n".join(lines) + "\n"


def html_body(notice: IncidentNotice) -> str:
    """The HTML part: the same content, with the summary's Markdown rendered."""
    rows = "".join(
        f"<tr><th align='left' style='padding-right:1em'>{escape(label)}</th>"
        f"<td>{escape(value)}</td></tr>"
        for label, value in notice_facts(notice)
    )
    parts = [
        f"<h2>{escape(notice.title)}</h2>",
        f"<p>Site {escape(notice.site)}, incident #{notice.incident_id} "
        f"({escape(notice.event)})</p>",
        f"<table>{rows}</table>",
    ]
    if notice.summary.strip():
        parts.append(markdown_to_html(notice.summary))
    if notice.citations:
        items = "".join(f"<li>{escape(citation)}</li>" for citation in notice.citations)
        parts.append(f"<p>Sources:</p><ul>{items}</ul>")
    return "<html><body>" + "\n".join(parts) + "</body></html>\n"


class EmailNotifier:
    """Sends each incident notice as one multipart e-mail to a fixed list of recipients."""

    name: str = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        recipients: Sequence[str],
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        *,
        timeout: float = 15.0,
        attempts: int = 3,
        backoff: float = 2.0,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """A notifier through the SMTP server at host:port.

        Args:
            host: The SMTP server (EMS_SMTP_HOST).
            port: Its port (EMS_SMTP_PORT), 25 or 587 as a rule.
            sender: The From address (EMS_SMTP_FROM).
            recipients: Who gets the mail (EMS_SMTP_TO).
            user: Login name, or None to send without logging in.
            password: The login's password (EMS_SMTP_PASSWORD).
            starttls: Upgrade the connection with STARTTLS before logging in.
            timeout: Seconds to wait for the server on each step.
            attempts: Attempts in all, the first one included.
            backoff: First backoff wait in seconds; it doubles on each retry, plus jitter.
            max_wait: Longest wait between attempts.
            sleep: How to wait between attempts (tests pass one that records).
        """
        if not recipients:
            raise ValueError("an EmailNotifier needs at least one recipient")
        if attempts < 1:
            raise ValueError(f"attempts must be at least 1, not {attempts}")
        self.host, self.port, self.sender = host, port, sender
        self.recipients = tuple(recipients)
        self.user, self.password, self.starttls = user, password, starttls
        self.timeout, self.attempts = timeout, attempts
        self.backoff, self.max_wait = backoff, max_wait
        self._sleep = sleep
        self._where = f"{host}:{port}"
        # The SMTP envelope takes bare addresses; the headers keep "Name <address>" forms.
        self._envelope_from = parseaddr(sender)[1] or sender
        self._envelope_to = [parseaddr(r)[1] or r for r in self.recipients]

    def message(self, notice: IncidentNotice) -> EmailMessage:
        """The e-mail sent for a notice."""
        message = EmailMessage()
        message["Subject"] = subject(notice)
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = self._message_id(notice)
        if notice.event != "opened":
            first = self._message_id(replace(notice, event="opened"))
            message["In-Reply-To"] = first
            message["References"] = first
        message["X-EMS-Event"] = event_id(notice)
        # Quoted-printable passes any server, also one without 8BITMIME.
        message.set_content(plain_body(notice), cte="quoted-printable")
        message.add_alternative(html_body(notice), subtype="html", cte="quoted-printable")
        return message

    def send(self, notice: IncidentNotice) -> Delivery:
        """Send the notice's e-mail, retrying what may pass; never raises for delivery failures."""
        message = self.message(notice)
        return deliver(
            self.name,
            lambda: self._submit(message),
            notice=notice,
            where=self._where,
            attempts=self.attempts,
            backoff=self.backoff,
            max_wait=self.max_wait,
            sleep=self._sleep,
        )

    def report_message(self, notice: ReportNotice) -> EmailMessage:
        """The e-mail of a monthly report: its summary, with the report attached."""
        message = EmailMessage()
        message["Subject"] = f"[report] {notice.title}"
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message["Date"] = formatdate(usegmt=True)
        domain = self._envelope_from.rpartition("@")[2] or "ems-agent.invalid"
        digest = hashlib.sha256(notice.event_id.encode()).hexdigest()[:24]
        message["Message-ID"] = f"<{digest}.report-{notice.month}@{domain}>"
        message["X-EMS-Event"] = notice.event_id
        body = f"{notice.title}\n\n{notice.summary.strip()}\n\nThe report is attached.\n"
        message.set_content(body, cte="quoted-printable")
        kind, _, sub = notice.media_type.partition("/")
        message.add_attachment(
            notice.content, maintype=kind, subtype=sub.split(";")[0], filename=notice.filename
        )
        return message

    def send_report(self, notice: ReportNotice) -> Delivery:
        """Send the monthly report's e-mail; never raises for delivery failures."""
        message = self.report_message(notice)
        return deliver_file(
            self.name,
            lambda: self._submit(message),
            what=f"the {notice.month} report of {notice.site}",
            where=self._where,
            attempts=self.attempts,
            backoff=self.backoff,
            max_wait=self.max_wait,
            sleep=self._sleep,
        )

    def _message_id(self, notice: IncidentNotice) -> str:
        domain = self._envelope_from.rpartition("@")[2] or "ems-agent.invalid"
        digest = hashlib.sha256(event_id(notice).encode()).hexdigest()[:24]
        return f"<{digest}.incident-{notice.incident_id}@{domain}>"

    def _submit(self, message: EmailMessage) -> tuple[bool, str]:
        try:
            refused = self._transmit(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise _all_refused(exc.recipients) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentFailure(
                f"{self._where} refused the login of {self.user!r} ({_reply(exc)}): check "
                "EMS_SMTP_USER and EMS_SMTP_PASSWORD"
            ) from None
        except smtplib.SMTPSenderRefused as exc:
            raise PermanentFailure(
                f"{self._where} refused the sender {self.sender} ({_reply(exc)}): set "
                "EMS_SMTP_FROM to an address the server accepts"
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentFailure(self._unsupported(exc)) from None
        except smtplib.SMTPResponseException as exc:
            detail = f"{self._where} answered {_reply(exc)}"
            if 400 <= exc.smtp_code < 500:
                raise TransientFailure(detail) from None
            raise PermanentFailure(detail) from None
        except ssl.SSLCertVerificationError as exc:
            raise PermanentFailure(
                f"the TLS certificate of {self._where} could not be verified: {exc.verify_message}"
            ) from None
        except OSError as exc:  # refused, reset, timed out, disconnected, unknown host
            raise TransientFailure(self._unreachable(exc)) from None
        accepted = [r for r in self._envelope_to if r not in refused]
        if refused:
            words = ", ".join(f"{r} ({_codes(c, m)})" for r, (c, m) in refused.items())
            return False, (
                f"sent to {', '.join(accepted)}; {self._where} refused {words}: correct EMS_SMTP_TO"
            )
        return True, f"sent through {self._where} to {', '.join(accepted)}"

    def _transmit(self, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.ehlo()
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.user:
                smtp.login(self.user, self.password or "")
            return smtp.send_message(message, self._envelope_from, self._envelope_to)

    def _unsupported(self, exc: smtplib.SMTPNotSupportedError) -> str:
        if self.starttls and "STARTTLS" in str(exc):
            return (
                f"{self._where} does not offer STARTTLS: set EMS_SMTP_STARTTLS=false, or use "
                "the server's submission port (587)"
            )
        return (
            f"{self._where} does not offer login (SMTP AUTH) on this connection: unset "
            "EMS_SMTP_USER, or set EMS_SMTP_STARTTLS=true if it offers login only over TLS"
        )

    def _unreachable(self, exc: OSError) -> str:
        if isinstance(exc, ConnectionRefusedError):
            return f"connection refused by {self._where}"
        if isinstance(exc, TimeoutError):
            return f"no answer from {self._where} within {self.timeout:g} s"
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            return f"{self._where} closed the connection ({exc})"
        return f"could not reach {self._where}: {exc}"


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return _codes(exc.smtp_code, exc.smtp_error)


def _codes(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}"


def _all_refused(recipients: dict[str, tuple[int, bytes]]) -> Exception:
    words = ", ".join(f"{r} ({_codes(c, m)})" for r, (c, m) in recipients.items())
    detail = f"every recipient was refused: {words}"
    if all(400 <= code < 500 for code, _ in recipients.values()):
        return TransientFailure(detail)  # greylisting or a full mailbox: may pass
    return PermanentFailure(detail + ": correct EMS_SMTP_TO")
