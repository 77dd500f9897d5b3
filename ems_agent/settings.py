"""One settings object for the product: environment (prefix EMS_), an optional TOML file, defaults.

Every default serves the embedded mode: all state under EMS_HOME (default ./.ems), SQLite there.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def _config_file() -> Path:
    """The TOML file: EMS_CONFIG if set, else ems.toml inside EMS_HOME."""
    explicit = os.environ.get("EMS_CONFIG")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("EMS_HOME", ".ems")) / "ems.toml"


class TouPeriod(BaseModel):
    days: list[int] = Field(description="Weekdays, 0 = Monday ... 6 = Sunday.")
    start_hour: int = Field(ge=0, le=24)
    end_hour: int = Field(ge=0, le=24)
    price: float = Field(ge=0, description="Price per kWh in this period.")


class TariffSettings(BaseModel):
    name: str = "site tariff"
    currency: str = "EUR"
    periods: list[TouPeriod] = Field(default_factory=list)
    default_price: float = Field(ge=0, description="Price per kWh outside the periods.")
    demand_charge_per_kw: float = Field(default=0.0, ge=0, description="Per kW of monthly peak.")


class UserSettings(BaseModel):
    """A person who may log in to the chat page; the password is stored only as a hash."""

    name: str = Field(min_length=1, description="Login name.")
    role: Literal["viewer", "operator", "admin"] = Field(default="viewer")
    password_hash: str = Field(description="Argon2 hash, from `ems-agent users hash-password`.")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EMS_", extra="ignore")

    home: Path = Field(default=Path(".ems"), description="Folder holding all embedded state.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the store; default: SQLite file ems.db inside home.",
    )
    site: str | None = Field(
        default=None,
        description="The site commands and questions refer to when the store holds several; "
        "with one site it is that one, whatever its name.",
    )
    timezone: str = Field(default="Europe/Berlin", description="Time zone for new sites.")
    demo_seed: int = Field(default=42, description="Seed of the demo plant's simulator.")
    log_level: str = Field(default="INFO")
    tariff: TariffSettings | None = Field(
        default=None, description="Electricity tariff; without one a labelled default is used."
    )
    gas_price_per_kwh: float = Field(default=0.07, ge=0)
    emission_factors: dict[str, float] | None = Field(
        default=None,
        description="kg CO2e per kWh by meter kind; without them labelled defaults are used.",
    )
    demand_window_minutes: int = Field(default=15, description="15, 30 or 60.")
    mqtt_url: str | None = Field(
        default=None,
        description="Broker to ingest from, e.g. mqtt://user:pass@broker:1883 or mqtts://...; "
        "unset: the embedded broker on 127.0.0.1:mqtt_port.",
    )
    mqtt_port: int = Field(default=1883, description="Port of the embedded broker.")
    mqtt_protocol: int | None = Field(
        default=None, description="5 or 311; default 5 for an external broker, 311 embedded."
    )
    mqtt_share_group: str | None = Field(
        default=None, description="MQTT 5 shared-subscription group, for several ingestors."
    )
    mqtt_client_id: str = Field(default="ems-ingestor")
    ingest_writer: Literal["process", "thread"] = Field(
        default="process",
        description="Where the ingestor decodes and stores: a child process (keeps up with "
        "the broker) or a thread of the ingestor's own process.",
    )
    llm_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 (Ollama); unset "
        "with no llm_model: the built-in offline model answers.",
    )
    llm_model: str | None = Field(
        default=None, description="Model name at the endpoint, e.g. gpt-4o-mini or llama3.1."
    )
    llm_timeout_s: float = Field(default=60.0, gt=0, description="Per-request time limit.")
    llm_max_retries: int = Field(
        default=3, ge=0, le=10, description="Retries (with backoff) on rate limits and time-outs."
    )
    llm_temperature: float = Field(default=0.0, ge=0, le=2)
    # Knowledge store: embedded Chroma under home, or a Chroma server.
    chroma_url: str | None = Field(
        default=None, description="Chroma server, e.g. http://chroma:8000; unset: embedded."
    )
    # Watcher: anomaly detection and alert rules on a schedule.
    watch_interval_s: float = Field(default=300.0, gt=0, description="Seconds between runs.")
    # Notifications of incidents. Secrets (tokens, passwords, signing keys) come only from the
    # environment: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, EMS_WEBHOOK_SECRET,
    # EMS_SMTP_PASSWORD (see `secret`).
    slack_incident_channel: str | None = Field(
        default=None, description="Slack channel that incident summaries are posted to."
    )
    slack_api_url: str | None = Field(
        default=None, description="Base URL of Slack's Web API (default: Slack's own)."
    )
    slack_users: dict[str, Literal["viewer", "operator", "admin"]] = Field(
        default_factory=dict, description="Slack user id -> role; others get slack_default_role."
    )
    slack_default_role: Literal["viewer", "operator", "admin"] = Field(default="viewer")
    webhook_url: str | None = Field(
        default=None, description="URL that incident notices are POSTed to as JSON."
    )
    smtp_host: str | None = Field(default=None, description="SMTP server for incident e-mail.")
    smtp_port: int = Field(default=25, gt=0, lt=65536)
    smtp_starttls: bool = Field(default=False)
    smtp_user: str | None = Field(default=None)
    smtp_from: str | None = Field(default=None, description="Sender of incident e-mail.")
    smtp_to: list[str] = Field(default_factory=list, description="Recipients of incident e-mail.")
    # The chat page.
    users: list[UserSettings] = Field(
        default_factory=list, description="Who may log in to the chat page, with roles."
    )
    ui_host: str = Field(default="127.0.0.1", description="Address the chat page listens on.")
    ui_port: int = Field(default=7860, gt=0, lt=65536, description="Port of the chat page.")
    # The HTTP API and MCP endpoint (`ems-agent api`, and `up` beside the chat page).
    api_host: str = Field(default="127.0.0.1", description="Address the HTTP API listens on.")
    api_port: int = Field(default=7870, gt=0, lt=65536, description="Port of the HTTP API.")
    api_cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins browsers may call the API from, e.g. https://grafana.example; "
        "empty: no CORS.",
    )
    api_max_body_bytes: int = Field(
        default=16 * 1024 * 1024, gt=0, description="Largest request body the API reads."
    )
    api_ask_per_minute: int = Field(
        default=30, gt=0, description="Questions one API token may ask per minute."
    )
    remote_url: str | None = Field(
        default=None,
        description="A running EMS API (e.g. http://127.0.0.1:7870) that `ems-agent ask` "
        "forwards questions to, with the token in EMS_API_TOKEN; unset: answer in the process.",
    )

    @field_validator("demand_window_minutes")
    @classmethod
    def _window(cls, value: int) -> int:
        if value not in (15, 30, 60):
            raise ValueError("demand_window_minutes must be 15, 30 or 60")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from common.timeutil import UnknownTimezone, zone

        try:
            zone(value)
        except UnknownTimezone as exc:
            raise ValueError(str(exc)) from None
        return value

    @property
    def knowledge_path(self) -> Path:
        """Folder of the embedded Chroma store (documents and incidents)."""
        return self.home / "knowledge"

    @property
    def conversations_path(self) -> Path:
        """SQLite file holding conversation threads (the agent's memory)."""
        return self.home / "conversations.db"

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'ems.db').resolve()}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_config_file())
        return (init_settings, env_settings, toml)


SECRETS = (
    "OPENAI_API_KEY",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "EMS_WEBHOOK_SECRET",
    "EMS_SMTP_PASSWORD",
    "EMS_API_TOKEN",
)


def secret(name: str) -> str | None:
    """A secret from the environment (never from a file); empty counts as unset."""
    if name not in SECRETS:
        raise KeyError(f"{name} is not a secret the product knows")
    return os.environ.get(name) or None


def require_secret(name: str, needed_for: str) -> str:
    """The secret, or an error that names the variable and what needs it."""
    value = secret(name)
    if value is None:
        from common.errors import MissingSecret

        raise MissingSecret(
            f"{needed_for} needs {name} in the environment (secrets are never read from "
            f"ems.toml); export {name}=... and start again"
        )
    return value


def load_settings(**overrides: Any) -> Settings:
    settings = Settings(**overrides)
    settings.home.mkdir(parents=True, exist_ok=True)
    return settings
