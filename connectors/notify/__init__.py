"""Incident notifiers (webhook, e-mail, Slack), made from the settings slice that sets them up."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from common.errors import MissingSecret, NotConfigured
from connectors.notify.email import EmailNotifier
from connectors.notify.webhook import WebhookNotifier

if TYPE_CHECKING:
    from connectors.notify.slack import SlackIncidentNotifier

log = logging.getLogger(__name__)

__all__ = ["EmailNotifier", "NotifySettings", "WebhookNotifier", "make_notifiers"]


_EMAIL_NEEDS = {
    "smtp_host": "EMS_SMTP_HOST",
    "smtp_from": "EMS_SMTP_FROM",
    "smtp_to": "EMS_SMTP_TO",
}


@dataclass(frozen=True)
class NotifySettings:
    """What the notifiers need, secrets included (the root reads those from the environment)."""

    webhook_url: str | None = None
    webhook_secret: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str | None = None
    smtp_to: tuple[str, ...] = ()
    slack_incident_channel: str | None = None
    slack_bot_token: str | None = None
    slack_api_url: str | None = None


def make_notifiers(
    config: NotifySettings,
) -> list[WebhookNotifier | EmailNotifier | SlackIncidentNotifier]:
    """Every notifier the settings configure, in the order webhook, e-mail, Slack.

    Raises:
        NotConfigured: A notifier is half configured (the message names what is missing), or
            its settings cannot work (a webhook URL that is not http(s)).
        MissingSecret: A configured notifier needs a secret that is not in the environment.
    """
    notifiers: list[WebhookNotifier | EmailNotifier | SlackIncidentNotifier] = []
    if config.webhook_url:
        notifiers.append(WebhookNotifier(config.webhook_url, config.webhook_secret))
    email = _email(config)
    if email is not None:
        notifiers.append(email)
    if config.slack_incident_channel:
        if config.slack_bot_token:
            notifiers.append(_slack(config, config.slack_incident_channel, config.slack_bot_token))
        else:
            log.warning(
                "slack_incident_channel is %r but SLACK_BOT_TOKEN is not in the environment: "
                "incidents are not posted to Slack; export SLACK_BOT_TOKEN=xoxb-... to post them",
                config.slack_incident_channel,
            )
    return notifiers


def _email(config: NotifySettings) -> EmailNotifier | None:
    given = {name: getattr(config, name) for name in _EMAIL_NEEDS}
    if not any(given.values()) and not config.smtp_user:
        return None
    missing = [name for name, value in given.items() if not value]
    if missing:
        names = " and ".join(f"{name} ({_EMAIL_NEEDS[name]})" for name in missing)
        raise NotConfigured(
            f"incident e-mail is half configured: {names} {'is' if len(missing) == 1 else 'are'}"
            " missing; set all of smtp_host, smtp_from and smtp_to (in ems.toml or as EMS_SMTP_*"
            " variables), or none of them to send no e-mail"
        )
    if config.smtp_user and not config.smtp_password:
        raise MissingSecret(
            f"incident e-mail (smtp_user={config.smtp_user!r}) needs EMS_SMTP_PASSWORD in the "
            "environment (secrets are never read from ems.toml); export EMS_SMTP_PASSWORD=... "
            "and start again"
        )
    assert config.smtp_host is not None and config.smtp_from is not None  # checked above
    return EmailNotifier(
        config.smtp_host,
        config.smtp_port,
        config.smtp_from,
        list(config.smtp_to),
        config.smtp_user,
        config.smtp_password if config.smtp_user else None,
        config.smtp_starttls,
    )


def _slack(config: NotifySettings, channel: str, token: str) -> SlackIncidentNotifier:
    # Imported here: slack_sdk is only loaded by installations that post to Slack.
    from slack_sdk import WebClient

    from connectors.notify.slack import SlackIncidentNotifier

    if config.slack_api_url:
        client = WebClient(token=token, base_url=config.slack_api_url)
    else:
        client = WebClient(token=token)
    return SlackIncidentNotifier(client, channel)
