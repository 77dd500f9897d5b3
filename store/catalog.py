"""The catalogue of sites, meters and series: created on first sight, looked up by name or alias."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from common.errors import StoreConflict, UnknownMeter, UnknownSeries, UnknownSite
from common.timeutil import zone
from common.units import ADDITIVE_METRICS, MeterKind, check_metric_unit, parse_unit
from store.schema import Meter, Series, Site


@dataclass(frozen=True)
class SiteRef:
    id: int
    name: str
    timezone: str
    country: str | None = None


@dataclass(frozen=True)
class MeterRef:
    id: int
    site_id: int
    name: str
    kind: str
    unit: str
    parent_id: int | None = None
    description: str | None = None
    aliases: tuple[str, ...] = ()
    tags: dict[str, Any] = field(default_factory=dict)
    floor_area_m2: float | None = None


@dataclass(frozen=True)
class SeriesRef:
    id: int
    meter_id: int
    metric: str
    unit: str
    additive: bool
    cumulative: bool
    interval_s: int | None


_SERIES_COLUMNS = (
    Series.id,
    Series.meter_id,
    Series.metric,
    Series.unit,
    Series.additive,
    Series.cumulative,
    Series.interval_s,
)


def _insert(conn: Connection, table: Any) -> Any:
    """An INSERT that can skip rows that already exist, on either dialect."""
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    return module.insert(table)


def _insert_ignore(conn: Connection, table: Any, values: dict[str, Any]) -> None:
    stmt: Insert = _insert(conn, table).values(**values).on_conflict_do_nothing()
    conn.execute(stmt)


def ensure_site(
    conn: Connection, name: str, timezone: str = "UTC", country: str | None = None
) -> SiteRef:
    """Return the site, creating it on first sight; an existing site keeps its time zone."""
    zone(timezone)
    name = name.strip()
    if not name:
        raise UnknownSite("a site needs a name")
    _insert_ignore(conn, Site.__table__, {"name": name, "timezone": timezone, "country": country})
    return get_site(conn, name)


def get_site(conn: Connection, name: str) -> SiteRef:
    row = conn.execute(
        select(Site.id, Site.name, Site.timezone, Site.country).where(Site.name == name)
    ).first()
    if row is None:
        known = [r[0] for r in conn.execute(select(Site.name))]
        hint = f"; known sites: {', '.join(known)}" if known else "; the store has no sites yet"
        raise UnknownSite(f"no site named {name!r}{hint}")
    return SiteRef(row.id, row.name, row.timezone, row.country)


def list_sites(conn: Connection) -> list[SiteRef]:
    rows = conn.execute(select(Site.id, Site.name, Site.timezone, Site.country).order_by(Site.name))
    return [SiteRef(r.id, r.name, r.timezone, r.country) for r in rows]


def _meter_ref(row: Any) -> MeterRef:
    return MeterRef(
        id=row.id,
        site_id=row.site_id,
        name=row.name,
        kind=row.kind,
        unit=row.unit,
        parent_id=row.parent_id,
        description=row.description,
        aliases=tuple(row.aliases or ()),
        tags=dict(row.tags or {}),
        floor_area_m2=row.floor_area_m2,
    )


_METER_COLUMNS = (
    Meter.id,
    Meter.site_id,
    Meter.name,
    Meter.kind,
    Meter.unit,
    Meter.parent_id,
    Meter.description,
    Meter.aliases,
    Meter.tags,
    Meter.floor_area_m2,
)


def list_meters(conn: Connection, site_id: int) -> list[MeterRef]:
    rows = conn.execute(
        select(*_METER_COLUMNS).where(Meter.site_id == site_id).order_by(Meter.name)
    )
    return [_meter_ref(r) for r in rows]


def _guess_kind(metric: str, unit: str) -> str:
    if metric in ("outdoor_temperature", "humidity"):
        return MeterKind.WEATHER.value
    if metric == "production":
        return MeterKind.PRODUCTION.value
    if parse_unit(unit).dimension.value in ("volume", "flow"):
        return MeterKind.WATER.value
    return MeterKind.ELECTRICITY.value


def ensure_meter(
    conn: Connection,
    site_id: int,
    name: str,
    *,
    kind: str | None = None,
    unit: str = "kWh",
    parent: str | None = None,
    description: str | None = None,
    aliases: Sequence[str] = (),
    tags: dict[str, Any] | None = None,
    floor_area_m2: float | None = None,
) -> MeterRef:
    """Return the meter, creating it on first sight.

    Descriptive fields given for an existing meter update it; a different kind is a conflict.
    """
    name = name.strip()
    if not name:
        raise UnknownMeter("a meter needs a name")
    if kind is not None and kind not in {k.value for k in MeterKind}:
        kinds = ", ".join(k.value for k in MeterKind)
        raise StoreConflict(f"unknown meter kind {kind!r} for {name!r}; kinds are: {kinds}")
    parent_id = resolve_meter(conn, site_id, parent).id if parent else None
    values: dict[str, Any] = {
        "site_id": site_id,
        "name": name,
        "kind": kind or MeterKind.ELECTRICITY.value,
        "unit": unit,
        "parent_id": parent_id,
        "description": description,
        "aliases": list(aliases),
        "tags": tags or {},
        "floor_area_m2": floor_area_m2,
    }
    _insert_ignore(conn, Meter.__table__, values)
    meter = _meter_by_name(conn, site_id, name)
    assert meter is not None
    if kind is not None and meter.kind != kind:
        raise StoreConflict(
            f"meter {name!r} is stored as {meter.kind}, not {kind}; rename one of them"
        )
    changes = {
        k: v
        for k, v in values.items()
        if k in ("parent_id", "description", "aliases", "tags", "floor_area_m2") and v
    }
    if changes:
        conn.execute(update(Meter).where(Meter.id == meter.id).values(**changes))
        meter = _meter_by_name(conn, site_id, name)
        assert meter is not None
    return meter


def _meter_by_name(conn: Connection, site_id: int, name: str) -> MeterRef | None:
    row = conn.execute(
        select(*_METER_COLUMNS).where(Meter.site_id == site_id, Meter.name == name)
    ).first()
    return _meter_ref(row) if row is not None else None


def _normal(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def resolve_meter(conn: Connection, site_id: int, text: str) -> MeterRef:
    """Find a meter by exact name, case-insensitive name or alias, ignoring spaces and dashes.

    Raises UnknownMeter listing the closest names when nothing matches.
    """
    exact = _meter_by_name(conn, site_id, text.strip())
    if exact is not None:
        return exact
    meters = list_meters(conn, site_id)
    wanted = _normal(text)
    for meter in meters:
        if wanted in {_normal(meter.name), *(_normal(a) for a in meter.aliases)}:
            return meter
    names = [m.name for m in meters]
    by_key = {_normal(m.name): m.name for m in meters}
    by_key.update({_normal(a): m.name for m in meters for a in m.aliases})
    close = difflib.get_close_matches(wanted, list(by_key), n=3, cutoff=0.5)
    suggestions = list(dict.fromkeys(by_key[c] for c in close)) or names[:5]
    hint = (
        f"; did you mean {', '.join(suggestions)}?" if suggestions else "; the site has no meters"
    )
    raise UnknownMeter(f"no meter named {text!r}{hint}")


def ensure_series(
    conn: Connection,
    site_id: int,
    meter: str,
    metric: str,
    unit: str,
    *,
    kind: str | None = None,
    cumulative: bool = False,
    interval_s: int | None = None,
) -> SeriesRef:
    """Return the series for a meter's metric, creating meter and series on first sight.

    `unit` must be canonical (the store keeps one unit per series); a different unit for an
    existing series is a conflict rather than a silent mix.
    """
    metric = metric.strip().lower()
    info = parse_unit(unit)
    check_metric_unit(metric, info)
    meter_ref = _meter_by_name(conn, site_id, meter.strip())
    if meter_ref is None:
        meter_ref = ensure_meter(
            conn, site_id, meter, kind=kind or _guess_kind(metric, info.symbol), unit=info.symbol
        )
    values = {
        "meter_id": meter_ref.id,
        "metric": metric,
        "unit": info.symbol,
        "additive": metric in ADDITIVE_METRICS,
        "cumulative": cumulative,
        "interval_s": interval_s,
    }
    _insert_ignore(conn, Series.__table__, values)
    series = get_series(conn, meter_ref.id, metric)
    if series.unit != info.symbol:
        raise StoreConflict(
            f"{meter_ref.name} {metric} is stored in {series.unit}, not {info.symbol}"
        )
    if interval_s and series.interval_s is None:
        conn.execute(update(Series).where(Series.id == series.id).values(interval_s=interval_s))
        series = get_series(conn, meter_ref.id, metric)
    return series


def get_series(conn: Connection, meter_id: int, metric: str) -> SeriesRef:
    row = conn.execute(
        select(*_SERIES_COLUMNS).where(Series.meter_id == meter_id, Series.metric == metric)
    ).first()
    if row is None:
        metrics = [
            r[0] for r in conn.execute(select(Series.metric).where(Series.meter_id == meter_id))
        ]
        have = ", ".join(metrics) if metrics else "none"
        raise UnknownSeries(f"this meter has no {metric!r} series; it has: {have}")
    return SeriesRef(*row)


def list_series(conn: Connection, site_id: int) -> list[tuple[MeterRef, SeriesRef]]:
    meters = {m.id: m for m in list_meters(conn, site_id)}
    rows = conn.execute(
        select(*_SERIES_COLUMNS)
        .where(Series.meter_id.in_(meters))
        .order_by(Series.meter_id, Series.metric)
    )
    return [(meters[r.meter_id], SeriesRef(*r)) for r in rows]
