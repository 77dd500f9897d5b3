"""The store's incident functions: list, look up, open, update, acknowledge and resolve
incidents, and the small key/value state services keep across restarts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from common.errors import EMSError
from store.schema import Incident, Meter, SmallState

STATES = ("open", "acknowledged", "resolved")
ACTIVE = ("open", "acknowledged")
SEVERITIES = ("info", "warning", "critical")


class UnknownIncident(EMSError):
    """An incident id that is not in the store (or belongs to another site)."""


class IncidentClosed(EMSError):
    """A change asked of an incident that is already resolved."""


@dataclass(frozen=True)
class IncidentRow:
    """One stored incident, with its meter's name."""

    id: int
    site_id: int
    meter_id: int | None
    meter: str | None
    meter_kind: str | None
    kind: str
    severity: str
    state: str
    start_ts: int
    end_ts: int | None
    extra_kwh: float | None
    cost: float | None
    co2_kg: float | None
    currency: str | None
    title: str
    summary: str | None
    resolution: str | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    pending: str | None
    dedup_key: str | None
    details: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class NewIncident:
    """What the watcher stores when it opens an incident."""

    meter_id: int | None
    kind: str
    severity: str
    start_ts: int
    end_ts: int | None
    title: str
    dedup_key: str
    extra_kwh: float | None = None
    cost: float | None = None
    co2_kg: float | None = None
    currency: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    pending: str | None = "opened"


def now_utc() -> datetime:
    return datetime.now(UTC)


def _insert(conn: Connection, table: Any) -> Any:
    """An INSERT with ON CONFLICT clauses, spelt for the connection's dialect."""
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    return module.insert(table)


_COLUMNS = (
    Incident.id,
    Incident.site_id,
    Incident.meter_id,
    Meter.name.label("meter"),
    Meter.kind.label("meter_kind"),
    Incident.kind,
    Incident.severity,
    Incident.state,
    Incident.start_ts,
    Incident.end_ts,
    Incident.extra_kwh,
    Incident.cost,
    Incident.co2_kg,
    Incident.currency,
    Incident.title,
    Incident.summary,
    Incident.resolution,
    Incident.acknowledged_by,
    Incident.acknowledged_at,
    Incident.resolved_by,
    Incident.resolved_at,
    Incident.pending,
    Incident.dedup_key,
    Incident.details,
    Incident.created_at,
    Incident.updated_at,
)


def _select() -> Any:
    return select(*_COLUMNS).outerjoin(Meter, Meter.id == Incident.meter_id)


def _row(r: Any) -> IncidentRow:
    values = dict(r._mapping)
    values["details"] = dict(values["details"] or {})
    return IncidentRow(**values)


def list_incidents(
    conn: Connection,
    site_id: int,
    *,
    states: Sequence[str] = ACTIVE,
    meter_id: int | None = None,
    limit: int | None = 20,
) -> list[IncidentRow]:
    """Incidents of a site in the given states, newest first."""
    stmt = _select().where(Incident.site_id == site_id, Incident.state.in_(list(states)))
    if meter_id is not None:
        stmt = stmt.where(Incident.meter_id == meter_id)
    stmt = stmt.order_by(Incident.start_ts.desc(), Incident.id.desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_row(r) for r in conn.execute(stmt)]


def get_incident(conn: Connection, site_id: int, incident_id: int) -> IncidentRow:
    """One incident of the site; an unknown id raises UnknownIncident naming what to do."""
    found = conn.execute(
        _select().where(Incident.site_id == site_id, Incident.id == incident_id)
    ).first()
    if found is None:
        raise UnknownIncident(
            f"no incident #{incident_id} at this site; list_incidents (or `ems-agent incidents "
            "list --state all`) shows the ids"
        )
    return _row(found)


def nearby(
    conn: Connection,
    site_id: int,
    meter_id: int | None,
    kind: str,
    start_ts: int,
    end_ts: int,
    gap_s: int,
) -> list[IncidentRow]:
    """Incidents of a meter and kind whose period overlaps or touches [start_ts - gap_s,
    end_ts + gap_s], oldest first: the ones a newly found event continues."""
    meter = Incident.meter_id.is_(None) if meter_id is None else Incident.meter_id == meter_id
    stmt = (
        _select()
        .where(Incident.site_id == site_id, meter, Incident.kind == kind)
        .where(Incident.start_ts <= end_ts + gap_s)
        .where(or_(Incident.end_ts.is_(None), Incident.end_ts >= start_ts - gap_s))
        .order_by(Incident.start_ts)
    )
    return [_row(r) for r in conn.execute(stmt)]


def by_key(conn: Connection, site_id: int, dedup_key: str) -> IncidentRow | None:
    found = conn.execute(
        _select().where(Incident.site_id == site_id, Incident.dedup_key == dedup_key)
    ).first()
    return _row(found) if found is not None else None


def insert_incident(conn: Connection, site_id: int, new: NewIncident) -> tuple[int, bool]:
    """Store a new incident unless one with the same natural key exists; returns (id, created)."""
    stamp = now_utc()
    values = {
        "site_id": site_id,
        "meter_id": new.meter_id,
        "kind": new.kind,
        "severity": new.severity,
        "state": "open",
        "start_ts": new.start_ts,
        "end_ts": new.end_ts,
        "extra_kwh": new.extra_kwh,
        "cost": new.cost,
        "co2_kg": new.co2_kg,
        "currency": new.currency,
        "title": new.title[:300],
        "details": new.details,
        "dedup_key": new.dedup_key,
        "pending": new.pending,
        "created_at": stamp,
        "updated_at": stamp,
    }
    stmt = _insert(conn, Incident.__table__).values(**values).on_conflict_do_nothing()
    # RETURNING, not rowcount: psycopg reports no row count for ON CONFLICT DO NOTHING.
    inserted = conn.execute(stmt.returning(Incident.id)).scalar_one_or_none()
    if inserted is not None:
        return int(inserted), True
    found = by_key(conn, site_id, new.dedup_key)
    if found is None:  # the conflict was on something other than the natural key
        raise RuntimeError(f"incident {new.dedup_key} neither stored nor found")
    return found.id, False


CHANGEABLE = frozenset(
    {
        "severity",
        "state",
        "start_ts",
        "end_ts",
        "extra_kwh",
        "cost",
        "co2_kg",
        "currency",
        "title",
        "summary",
        "resolution",
        "details",
        "pending",
        "acknowledged_by",
        "acknowledged_at",
        "resolved_by",
        "resolved_at",
    }
)


def change_incident(conn: Connection, incident_id: int, **values: Any) -> None:
    """Set columns of one incident (a bug if a name is not a changeable column)."""
    unknown = set(values) - CHANGEABLE
    if unknown:
        raise TypeError(f"not changeable incident columns: {', '.join(sorted(unknown))}")
    conn.execute(
        update(Incident).where(Incident.id == incident_id).values(**values, updated_at=now_utc())
    )


def _note(action: str, user: str, note: str | None) -> dict[str, Any]:
    stamp = now_utc().isoformat(timespec="seconds")
    return {"at": stamp, "by": user, "action": action, "note": note}


def acknowledge(
    conn: Connection, site_id: int, incident_id: int, user: str, note: str | None
) -> IncidentRow:
    """Mark an open incident acknowledged by `user`, keeping the note in its history."""
    row = get_incident(conn, site_id, incident_id)
    if row.state == "resolved":
        raise IncidentClosed(
            f"incident #{incident_id} is already resolved ({row.resolution or 'no note'}); "
            "a recurrence opens a new incident"
        )
    notes = [*row.details.get("notes", []), _note("acknowledge", user, note)]
    change_incident(
        conn,
        incident_id,
        state="acknowledged",
        acknowledged_by=user,
        acknowledged_at=now_utc(),
        details={**row.details, "notes": notes},
    )
    return get_incident(conn, site_id, incident_id)


def resolve(
    conn: Connection,
    site_id: int,
    incident_id: int,
    user: str,
    note: str,
    *,
    pending: str | None = "resolved",
) -> IncidentRow:
    """Resolve an incident with a note of what was found or done."""
    row = get_incident(conn, site_id, incident_id)
    if row.state == "resolved":
        raise IncidentClosed(
            f"incident #{incident_id} is already resolved by {row.resolved_by or 'the watcher'}: "
            f"{row.resolution or 'no note'}"
        )
    notes = [*row.details.get("notes", []), _note("resolve", user, note)]
    change_incident(
        conn,
        incident_id,
        state="resolved",
        resolution=note,
        resolved_by=user,
        resolved_at=now_utc(),
        pending=pending,
        details={**row.details, "notes": notes},
    )
    return get_incident(conn, site_id, incident_id)


def with_pending(conn: Connection, site_id: int) -> list[IncidentRow]:
    """Incidents whose latest change has not been summarised and sent yet, oldest first."""
    stmt = (
        _select()
        .where(Incident.site_id == site_id, Incident.pending.is_not(None))
        .order_by(Incident.id)
    )
    return [_row(r) for r in conn.execute(stmt)]


# ------------------------------------------------------------------ service state


def get_state(conn: Connection, key: str) -> dict[str, Any] | None:
    """A service's saved state (a watcher's high-water mark, say), or None."""
    value = conn.execute(select(SmallState.value).where(SmallState.key == key)).scalar_one_or_none()
    return dict(value) if value is not None else None


def put_state(conn: Connection, key: str, value: dict[str, Any]) -> None:
    """Save a service's state, replacing what was saved under the key."""
    stmt = _insert(conn, SmallState.__table__).values(key=key, value=value, updated_at=now_utc())
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        )
    )
