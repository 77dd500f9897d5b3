"""The store's incident functions: list, look up, open, update, acknowledge and resolve
incidents with their timeline, and the small key/value state services keep across restarts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from common.errors import EMSError
from store.schema import Incident, IncidentEntry, Meter, SmallState

STATES = ("open", "acknowledged", "resolved")
ACTIVE = ("open", "acknowledged")
SEVERITIES = ("info", "warning", "critical")
# What a timeline entry records: the watcher opens, re-assesses and notes a quiet spell; people
# acknowledge, add notes and resolve (the watcher resolves too, and says so).
ACTIONS = ("opened", "reassessed", "quiet", "acknowledged", "noted", "resolved")
WATCHER = "watcher"


class UnknownIncident(EMSError):
    """An incident id that is not in the store (or belongs to another site)."""


class IncidentClosed(EMSError):
    """A change asked of an incident that is already resolved."""


@dataclass(frozen=True)
class Entry:
    """One entry of an incident's timeline; `changes` maps a field to its [old, new] values."""

    at: datetime
    by: str
    action: str
    note: str | None = None
    changes: dict[str, list[Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class IncidentFilter:
    """Which incidents a list shows: states, and optionally a meter, severities and a period
    the incident overlaps (epoch s, end excluded)."""

    states: Sequence[str] = ACTIVE
    meter_id: int | None = None
    severities: Sequence[str] = ()
    start_ts: int | None = None
    end_ts: int | None = None


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
    history: tuple[Entry, ...] = ()

    @property
    def handled_by_person(self) -> bool:
        """Whether a person has taken this incident on (acknowledged or resolved it)."""
        return self.acknowledged_by is not None or (
            self.resolved_by is not None and self.resolved_by != WATCHER
        )


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


def _rows(conn: Connection, found: Sequence[Any]) -> list[IncidentRow]:
    """Incident rows with their timelines (one query for all of them)."""
    timelines = histories(conn, [int(r.id) for r in found])
    rows = []
    for r in found:
        values = dict(r._mapping)
        values["details"] = dict(values["details"] or {})
        rows.append(IncidentRow(**values, history=tuple(timelines.get(int(r.id), []))))
    return rows


def _filtered(stmt: Any, site_id: int, wanted: IncidentFilter) -> Any:
    stmt = stmt.where(Incident.site_id == site_id, Incident.state.in_(list(wanted.states)))
    if wanted.meter_id is not None:
        stmt = stmt.where(Incident.meter_id == wanted.meter_id)
    if wanted.severities:
        stmt = stmt.where(Incident.severity.in_(list(wanted.severities)))
    if wanted.end_ts is not None:
        stmt = stmt.where(Incident.start_ts < wanted.end_ts)
    if wanted.start_ts is not None:
        # Ends are exclusive: an incident that ended as the period began is not in it.
        stmt = stmt.where(or_(Incident.end_ts.is_(None), Incident.end_ts > wanted.start_ts))
    return stmt


def list_incidents(
    conn: Connection,
    site_id: int,
    *,
    states: Sequence[str] = ACTIVE,
    meter_id: int | None = None,
    limit: int | None = 20,
    offset: int = 0,
    where: IncidentFilter | None = None,
) -> list[IncidentRow]:
    """Incidents of a site in the given states (or matching `where`), newest first."""
    wanted = where or IncidentFilter(states=states, meter_id=meter_id)
    stmt = _filtered(_select(), site_id, wanted)
    stmt = stmt.order_by(Incident.start_ts.desc(), Incident.id.desc()).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return _rows(conn, conn.execute(stmt).all())


def count_incidents(conn: Connection, site_id: int, where: IncidentFilter) -> int:
    """How many incidents match, for "21-40 of 81"."""
    stmt = _filtered(select(func.count()).select_from(Incident), site_id, where)
    return int(conn.execute(stmt).scalar_one())


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
    return _rows(conn, [found])[0]


# ------------------------------------------------------------------ the timeline


def histories(conn: Connection, incident_ids: Sequence[int]) -> dict[int, list[Entry]]:
    """The timelines of these incidents, oldest entry first."""
    if not incident_ids:
        return {}
    stmt = (
        select(
            IncidentEntry.incident_id,
            IncidentEntry.at,
            IncidentEntry.by,
            IncidentEntry.action,
            IncidentEntry.note,
            IncidentEntry.changes,
        )
        .where(IncidentEntry.incident_id.in_(list(incident_ids)))
        .order_by(IncidentEntry.incident_id, IncidentEntry.at, IncidentEntry.id)
    )
    found: dict[int, list[Entry]] = {}
    for r in conn.execute(stmt):
        entry = Entry(_aware(r.at), r.by, r.action, r.note, dict(r.changes or {}))
        found.setdefault(int(r.incident_id), []).append(entry)
    return found


def _aware(stamp: datetime) -> datetime:
    """SQLite hands back naive times; the store keeps UTC."""
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def record(
    conn: Connection,
    incident_id: int,
    by: str,
    action: str,
    *,
    note: str | None = None,
    changes: dict[str, list[Any]] | None = None,
) -> None:
    """Add an entry to an incident's timeline (a bug if the action is not one of ACTIONS)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown incident history action {action!r}")
    conn.execute(
        insert(IncidentEntry).values(
            incident_id=incident_id,
            at=now_utc(),
            by=by,
            action=action,
            note=note,
            changes=changes or {},
        )
    )


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
    return _rows(conn, conn.execute(stmt).all())


def by_key(conn: Connection, site_id: int, dedup_key: str) -> IncidentRow | None:
    found = conn.execute(
        _select().where(Incident.site_id == site_id, Incident.dedup_key == dedup_key)
    ).first()
    return _rows(conn, [found])[0] if found is not None else None


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
        opened = {k: [None, values[k]] for k in FIGURES if values[k] is not None}
        record(conn, int(inserted), WATCHER, "opened", changes=opened)
        return int(inserted), True
    found = by_key(conn, site_id, new.dedup_key)
    if found is None:  # the conflict was on something other than the natural key
        raise RuntimeError(f"incident {new.dedup_key} neither stored nor found")
    return found.id, False


# The figures a re-assessment may change, as the timeline names them.
FIGURES = ("start_ts", "end_ts", "severity", "extra_kwh", "cost", "co2_kg")

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
    change_incident(
        conn, incident_id, state="acknowledged", acknowledged_by=user, acknowledged_at=now_utc()
    )
    record(conn, incident_id, user, "acknowledged", note=note)
    return get_incident(conn, site_id, incident_id)


def add_note(conn: Connection, site_id: int, incident_id: int, user: str, note: str) -> IncidentRow:
    """Add a person's note to an incident's timeline, in any state (a finding after the fact
    belongs with the incident too); the state is left as it is."""
    get_incident(conn, site_id, incident_id)
    change_incident(conn, incident_id)
    record(conn, incident_id, user, "noted", note=note)
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
    change_incident(
        conn,
        incident_id,
        state="resolved",
        resolution=note,
        resolved_by=user,
        resolved_at=now_utc(),
        pending=pending,
    )
    record(conn, incident_id, user, "resolved", note=note)
    return get_incident(conn, site_id, incident_id)


def recorded_figures(row: IncidentRow) -> dict[str, Any]:
    """The figures as the timeline last stated them (opening and re-assessments), falling back
    to the row's own for an incident older than its timeline."""
    figures = {k: getattr(row, k) for k in FIGURES}
    stated: dict[str, Any] = {}
    for entry in row.history:
        if entry.action in ("opened", "reassessed"):
            stated.update({k: v[1] for k, v in entry.changes.items() if k in FIGURES})
    return {**figures, **stated}


def record_reassessment(
    conn: Connection, row: IncidentRow, by: str, values: dict[str, Any], note: str
) -> dict[str, list[Any]]:
    """Record in the timeline which figures a re-assessment changed from what the timeline last
    stated (old and new); returns those changes (empty: nothing recorded)."""
    before = recorded_figures(row)
    changes = {k: [before[k], v] for k, v in values.items() if k in FIGURES and before[k] != v}
    if changes:
        record(conn, row.id, by, "reassessed", note=note, changes=changes)
    return changes


def with_pending(conn: Connection, site_id: int) -> list[IncidentRow]:
    """Incidents whose latest change has not been summarised and sent yet, oldest first."""
    stmt = (
        _select()
        .where(Incident.site_id == site_id, Incident.pending.is_not(None))
        .order_by(Incident.id)
    )
    return _rows(conn, conn.execute(stmt).all())


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
