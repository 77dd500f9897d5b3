"""The database schema: sites, meters, series, readings, rollups and the tables later features fill.

Times of readings and rollups are whole seconds since the Unix epoch, UTC, in a BIGINT: the same on
SQLite and PostgreSQL, cheap to bucket, and exact. Interval metrics (energy, production) are stamped
at the start of their interval.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[str]: JSON}


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Subdivision of the country for public holidays (a state, province or canton).
    region: Mapped[str | None] = mapped_column(String(64), default=None)
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    floor_area_m2: Mapped[float | None] = mapped_column(Float, default=None)
    gas_calorific_value: Mapped[float | None] = mapped_column(Float, default=None)  # kWh per m3
    # Shifts, closures, tariffs, emission factors and budgets (store.profile reads and writes it).
    profile: Mapped[dict[str, Any]] = mapped_column(default=dict)

    meters: Mapped[list[Meter]] = relationship(back_populates="site")


class Meter(Base):
    __tablename__ = "meters"
    __table_args__ = (UniqueConstraint("site_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("meters.id"), default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    aliases: Mapped[list[str]] = mapped_column(default=list)
    tags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    floor_area_m2: Mapped[float | None] = mapped_column(Float, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Free names a meter belongs to ("compressors", "HVAC"), so a question can name a group.
    groups: Mapped[list[str]] = mapped_column(default=list)

    site: Mapped[Site] = relationship(back_populates="meters")
    series: Mapped[list[Series]] = relationship(back_populates="meter")


class Series(Base):
    """One metric of one meter: the unit it is stored in and how its readings arrive."""

    __tablename__ = "series"
    __table_args__ = (UniqueConstraint("meter_id", "metric"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(16))
    # Additive series (energy, production) sum over time; the others are levels and average.
    additive: Mapped[bool] = mapped_column(Boolean, default=True)
    # The source is a cumulative register; stored values are already per-interval differences.
    cumulative: Mapped[bool] = mapped_column(Boolean, default=False)
    # The current interval (the latest entry of its history in `series_intervals`): seconds
    # between readings, None while unknown; `billing` when its daily values are pro-rated
    # from bills (then interval_s is a day).
    interval_s: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    billing: Mapped[bool] = mapped_column(Boolean, default=False)

    meter: Mapped[Meter] = relationship(back_populates="series")


class SeriesInterval(Base):
    """A series' interval history: from `start_ts` on (until the next entry) its readings are
    `interval_s` apart, or pro-rated daily values of bills. The first entry also holds before
    its start. `source` says how it is known: declared (plant file, bills), detected (the
    readings of an import) or inferred (the store, from readings that came without either)."""

    __tablename__ = "series_intervals"

    series_id: Mapped[int] = mapped_column(
        ForeignKey("series.id", ondelete="CASCADE"), primary_key=True
    )
    start_ts: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    interval_s: Mapped[int] = mapped_column(Integer)
    billing: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(16))


class Bill(Base):
    """A utility bill of one series: its days (local dates, `end_date` excluded), the quantity in
    the series' unit and what else it states. Its quantity is also stored as readings, spread
    evenly over its days, so every tool that works by day can use it."""

    __tablename__ = "bills"
    __table_args__ = (UniqueConstraint("series_id", "start_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    quantity: Mapped[float] = mapped_column(Float)
    cost: Mapped[float | None] = mapped_column(Float, default=None)
    peak_kw: Mapped[float | None] = mapped_column(Float, default=None)
    estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProductionLink(Base):
    """An explicit SEC link: the production meter whose output a meter's energy is divided by."""

    __tablename__ = "production_links"

    meter_id: Mapped[int] = mapped_column(
        ForeignKey("meters.id", ondelete="CASCADE"), primary_key=True
    )
    production_meter_id: Mapped[int] = mapped_column(
        ForeignKey("meters.id", ondelete="CASCADE"), primary_key=True
    )


class Reading(Base):
    __tablename__ = "readings"
    # The primary key is the only index; on SQLite a rowid table would keep a second copy.
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012

    series_id: Mapped[int] = mapped_column(
        ForeignKey("series.id", ondelete="CASCADE"), primary_key=True
    )
    ts: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    value: Mapped[float] = mapped_column(Float)


class Rollup(Base):
    """Aggregates of readings per bucket, kept current by every write.

    Grain 900 and 3600 buckets start on the site's local quarter-hour and hour; grain 86400
    buckets start at the site's local midnight, so a day is 23 or 25 hours long around DST.
    """

    __tablename__ = "rollups"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012

    series_id: Mapped[int] = mapped_column(
        ForeignKey("series.id", ondelete="CASCADE"), primary_key=True
    )
    grain: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    sum: Mapped[float] = mapped_column(Float)
    min: Mapped[float] = mapped_column(Float)
    max: Mapped[float] = mapped_column(Float)


class EventLabel(Base):
    """A known event in a meter's data (the demo plant's injected faults, or labels a user adds)."""

    __tablename__ = "event_labels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    start_ts: Mapped[int] = mapped_column(BigInteger)
    end_ts: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(32), default="user")
    # Excluded from baselines and anomaly training (maintenance, known faults).
    exclude: Mapped[bool] = mapped_column(Boolean, default=True)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AlertRule(Base):
    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    meter_id: Mapped[int | None] = mapped_column(ForeignKey("meters.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(64))  # a metric or a KPI name
    condition: Mapped[str] = mapped_column(String(8))  # ">", ">=", "<", "<="
    threshold: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    window_s: Mapped[int] = mapped_column(Integer, default=900)
    # how long the condition must hold before an alert opens; 0: at once
    min_duration_s: Mapped[int] = mapped_column(Integer, default=0)
    severity: Mapped[str] = mapped_column(String(16), default="warning")
    channel: Mapped[str | None] = mapped_column(String(200), default=None)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The first window the rule watches (epoch s, the turn's clock when it was made or switched
    # on): a new rule never raises alerts for the history before it. None: every window.
    active_from_ts: Mapped[int | None] = mapped_column(BigInteger, default=None)


class Alert(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"))
    start_ts: Mapped[int] = mapped_column(BigInteger)
    end_ts: Mapped[int | None] = mapped_column(BigInteger, default=None)
    peak_value: Mapped[float] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(16), default="open")
    note: Mapped[str | None] = mapped_column(Text, default=None)
    acknowledged_by: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Incident(Base):
    """An anomaly or alert episode the watcher found, with its impact, summary and people's notes.

    `dedup_key` (meter, kind, first start) is the natural key: re-running the watcher over the
    same data can never store the same incident twice. `pending` names the notice ("opened",
    "updated", "resolved") not yet sent, so a crash between the write and the notice loses nothing.
    """

    __tablename__ = "incidents"
    __table_args__ = (UniqueConstraint("site_id", "dedup_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    meter_id: Mapped[int | None] = mapped_column(ForeignKey("meters.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="open")
    start_ts: Mapped[int] = mapped_column(BigInteger)
    end_ts: Mapped[int | None] = mapped_column(BigInteger, default=None)
    extra_kwh: Mapped[float | None] = mapped_column(Float, default=None)
    cost: Mapped[float | None] = mapped_column(Float, default=None)
    co2_kg: Mapped[float | None] = mapped_column(Float, default=None)
    title: Mapped[str] = mapped_column(String(300), default="")
    summary: Mapped[str | None] = mapped_column(Text, default=None)
    resolution: Mapped[str | None] = mapped_column(Text, default=None)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dedup_key: Mapped[str | None] = mapped_column(String(200), default=None)
    pending: Mapped[str | None] = mapped_column(String(16), default=None)
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    acknowledged_by: Mapped[str | None] = mapped_column(String(100), default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(100), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IncidentEntry(Base):
    """One entry of an incident's timeline: what the watcher found or re-assessed (the fields
    that changed, old and new), or what a person did (acknowledged, noted, resolved)."""

    __tablename__ = "incident_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    by: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text, default=None)
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)  # field -> [old, new]


class BaselineModel(Base):
    """A fitted energy baseline, versioned per meter: parameters and fit statistics as data."""

    __tablename__ = "baseline_models"
    __table_args__ = (UniqueConstraint("meter_id", "name", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100), default="default")
    version: Mapped[int] = mapped_column(Integer, default=1)
    model_type: Mapped[str] = mapped_column(String(32))
    grain: Mapped[str] = mapped_column(String(16))
    start_ts: Mapped[int] = mapped_column(BigInteger)
    end_ts: Mapped[int] = mapped_column(BigInteger)
    drivers: Mapped[list[str]] = mapped_column(default=list)
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DeadLetter(Base):
    """A message the ingestor could not store, kept with the reason and the raw payload."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiToken(Base):
    """A token of the HTTP API and the MCP server: a name, a role, and only the token's hash."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    # SHA-256 of the token, hex; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the token's first characters, to recognise it
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class SmallState(Base):
    """Key/value state that services keep across restarts (the watcher's high-water mark, say)."""

    __tablename__ = "service_state"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


Index("ix_event_labels_meter_start", EventLabel.meter_id, EventLabel.start_ts)
Index("ix_incidents_site_state", Incident.site_id, Incident.state)

# Grains the store keeps rollups for, in seconds.
GRAIN_15MIN = 900
GRAIN_HOUR = 3600
GRAIN_DAY = 86400
GRAINS = (GRAIN_15MIN, GRAIN_HOUR, GRAIN_DAY)
