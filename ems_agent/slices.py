"""Each part's slice of the one Settings object: the root cuts them, the parts never see Settings.

Secrets are read here, from the environment only, and travel inside the slice that needs them.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from agent.models import LlmSettings
    from api.deps import ApiSettings
    from chat_ui.app import UiSettings
    from connectors.notify import NotifySettings
    from ems_agent.settings import Settings
    from knowledge.store import KnowledgeSettings
    from slack_bot.bot import SlackSettings
    from store.catalog import SiteRef
    from tools.base import AnalyticsConfig
    from tools.economics import Installation

# The slices' own modules are imported inside each function: cutting the model's slice must
# not load the chat page's Gradio, nor the Slack bot's Bolt.


def installation(settings: Settings) -> Installation:
    """What this installation's settings say about economics (`[tariff]`, `emission_factors`,
    `gas_price_per_kwh`, the demand window); a site's catalogue comes first."""
    from tools.base import Tariff
    from tools.economics import Installation

    t = settings.tariff
    tariff = None
    if t is not None:
        tariff = Tariff(
            name=t.name,
            currency=t.currency,
            periods=tuple((tuple(p.days), p.start_hour, p.end_hour, p.price) for p in t.periods),
            default_price=t.default_price,
            demand_charge_per_kw=t.demand_charge_per_kw,
            is_default=False,
        )
    return Installation(
        tariff=tariff,
        emission_factors=settings.emission_factors,
        gas_price_per_kwh=(
            settings.gas_price_per_kwh if "gas_price_per_kwh" in settings.model_fields_set else None
        ),
        demand_window_s=settings.demand_window_minutes * 60,
    )


def analytics_config(
    settings: Settings,
    engine: Engine | None = None,
    site: SiteRef | None = None,
    today: date | None = None,
) -> AnalyticsConfig:
    """The tools' economics for a site on `today`: its catalogue, else this installation's
    settings, else labelled defaults (without a site: the settings and the defaults)."""
    from ems_agent.context import system_clock
    from tools.economics import site_config

    profile = None
    if engine is not None and site is not None:
        from store.profile import get_profile

        with engine.connect() as conn:
            profile = get_profile(conn, site.id)
    country, region = (site.country, site.region) if site is not None else (None, None)
    day = today or system_clock().date()
    return site_config(profile, installation(settings), day, country, region)


def llm_settings(settings: Settings) -> LlmSettings:
    from agent.models import LlmSettings
    from ems_agent.settings import secret

    return LlmSettings(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=secret("OPENAI_API_KEY"),
        timeout_s=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
        temperature=settings.llm_temperature,
    )


def knowledge_settings(settings: Settings) -> KnowledgeSettings:
    from knowledge.store import KnowledgeSettings

    return KnowledgeSettings(path=settings.knowledge_path, url=settings.chroma_url)


def notify_settings(settings: Settings) -> NotifySettings:
    from connectors.notify import NotifySettings
    from ems_agent.settings import secret

    return NotifySettings(
        webhook_url=settings.webhook_url,
        webhook_secret=secret("EMS_WEBHOOK_SECRET"),
        smtp_host=settings.smtp_host,
        smtp_port=settings.smtp_port,
        smtp_starttls=settings.smtp_starttls,
        smtp_user=settings.smtp_user,
        smtp_password=secret("EMS_SMTP_PASSWORD"),
        smtp_from=settings.smtp_from,
        smtp_to=tuple(settings.smtp_to),
        slack_incident_channel=settings.slack_incident_channel,
        slack_bot_token=secret("SLACK_BOT_TOKEN"),
        slack_api_url=settings.slack_api_url,
    )


def ui_settings(settings: Settings) -> UiSettings:
    from chat_ui.app import UiSettings

    return UiSettings(
        host=settings.ui_host,
        port=settings.ui_port,
        threads_path=settings.home / "chat_threads.db",
    )


def slack_settings(settings: Settings) -> SlackSettings:
    from slack_bot.bot import SlackSettings

    return SlackSettings(
        users=dict(settings.slack_users),
        default_role=settings.slack_default_role,
        api_url=settings.slack_api_url,
    )


def api_settings(settings: Settings) -> ApiSettings:
    from api.deps import ApiSettings

    return ApiSettings(
        host=settings.api_host,
        port=settings.api_port,
        cors_origins=tuple(settings.api_cors_origins),
        max_body_bytes=settings.api_max_body_bytes,
        ask_per_minute=settings.api_ask_per_minute,
    )
