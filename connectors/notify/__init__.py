"""Incident notifiers (webhook, e-mail, Slack), made from the settings that configure them."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from common.errors import NotConfigured
from connectors.notify.base import Delivery, IncidentNotice, Notifier
from connectors.notify.email import EmailNotifier
from connectors.notify.webhook import WebhookNotifier
from ems_agent.settings import require_secret, secret

if TYPE_CHECKING:
    from ems_agent.settings import Settings

log = logging.getLogger(__name__)

__all__ = [
    "Delivery",
    "EmailNotifier",
    "IncidentNotice",
    "Notifier",
    "WebhookNotifier",
    "notifiers_from_settings",
]

_EMAIL_NEEDS = {
    "smtp_host": "EMS_SMTP_HOST",
    "smtp_from": "EMS_SMTP_FROM",
    "smtp_to": "EMS_SMTP_TO",
}


def notifiers_from_settings(settings: Settings) -> list[Notifier]:
    """Every notifier the settings configure, in the order webhook, e-mail, Slack.

    Raises:
        NotConfigured: A notifier is half configured (the message names what is missing), or
            its settings cannot work (a webhook URL that is not http(s)).
        MissingSecret: A configured notifier needs a secret that is not in the environment.
    """
    notifiers: list[Notifier] = []
    if settings.webhook_url:
        notifiers.append(WebhookNotifier(settings.webhook_url, secret("EMS_WEBHOOK_SECRET")))
    email = _email(settings)
    if email is not None:
        notifiers.append(email)
    if settings.slack_incident_channel:
        token = secret("SLACK_BOT_TOKEN")
        if token:
            notifiers.append(_slack(settings, settings.slack_incident_channel, token))
        else:
            log.warning(
                "slack_incident_channel is %r but SLACK_BOT_TOKEN is not in the environment: "
                "incidents are not posted to Slack; export SLACK_BOT_TOKEN=xoxb-... to post them",
                settings.slack_incident_channel,
            )
    return notifiers


def _email(settings: Settings) -> EmailNotifier | None:
    given = {name: getattr(settings, name) for name in _EMAIL_NEEDS}
    if not any(given.values()) and not settings.smtp_user:
        return None
    missing = [name for name, value in given.items() if not value]
    if missing:
        names = " and ".join(f"{name} ({_EMAIL_NEEDS[name]})" for name in missing)
        raise NotConfigured(
            f"incident e-mail is half configured: {names} {'is' if len(missing) == 1 else 'are'}"
            " missing; set all of smtp_host, smtp_from and smtp_to (in ems.toml or as EMS_SMTP_*"
            " variables), or none of them to send no e-mail"
        )
    password = None
    if settings.smtp_user:
        password = require_secret(
            "EMS_SMTP_PASSWORD", f"incident e-mail (smtp_user={settings.smtp_user!r})"
        )
    assert settings.smtp_host is not None and settings.smtp_from is not None  # checked above
    return EmailNotifier(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_from,
        settings.smtp_to,
        settings.smtp_user,
        password,
        settings.smtp_starttls,
    )


def _slack(settings: Settings, channel: str, token: str) -> Notifier:
    # Imported here: slack_sdk is only loaded by installations that post to Slack.
    from slack_sdk import WebClient

    from connectors.notify.slack import SlackIncidentNotifier

    if settings.slack_api_url:
        client = WebClient(token=token, base_url=settings.slack_api_url)
    else:
        client = WebClient(token=token)
    return SlackIncidentNotifier(client, channel)
