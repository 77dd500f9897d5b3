"""The catalogue of sites, meters and series: created on first sight, looked up by name or alias."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Insert, delete, exists, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from common.errors import StoreConflict, UnknownMeter, UnknownSeries, UnknownSite
from common.intervals import Interval
from common.timeutil import zone
from common.units import ADDITIVE_METRICS, MeterKind, check_metric_unit, parse_unit
from store import intervals, memo
from store.schema import Meter, ProductionLink, Reading, Series, Site


@dataclass(frozen=True)
class SiteRef:
    id: int
    name: str
    timezone: str
    country: str | None = None
    region: str | None = None  # subdivision of the country, for its public holidays


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
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeriesRef:
    id: int
    meter_id: int
    metric: str
    unit: str
    additive: bool
    cumulative: bool
    interval_s: int | None  # the current interval (see store.intervals for its history)
    billing: bool = False  # its daily values are pro-rated from bills

    @property
    def interval(self) -> Interval | None:
        if self.interval_s is None:
            return None
        return Interval(self.interval_s, self.billing)


_SERIES_COLUMNS = (
    Series.id,
    Series.meter_id,
    Series.metric,
    Series.unit,
    Series.additive,
    Series.cumulative,
    Series.interval_s,
    Series.billing,
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


_SITE_COLUMNS = (Site.id, Site.name, Site.timezone, Site.country, Site.region)


def get_site(conn: Connection, name: str) -> SiteRef:
    row = conn.execute(select(*_SITE_COLUMNS).where(Site.name == name)).first()
    if row is None:
        known = [r[0] for r in conn.execute(select(Site.name))]
        hint = f"; known sites: {', '.join(known)}" if known else "; the store has no sites yet"
        raise UnknownSite(f"no site named {name!r}{hint}")
    return SiteRef(*row)


def list_sites(conn: Connection) -> list[SiteRef]:
    rows = conn.execute(select(*_SITE_COLUMNS).order_by(Site.name))
    return [SiteRef(*r) for r in rows]


def update_site(
    conn: Connection, site_id: int, *, timezone: str, country: str | None, region: str | None
) -> None:
    """Set where a site is: its time zone (only while it has no data: rollups are built in it)
    and the country and region whose public holidays it keeps."""
    zone(timezone)
    conn.execute(
        update(Site)
        .where(Site.id == site_id)
        .values(timezone=timezone, country=country, region=region)
    )


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
        groups=tuple(row.groups or ()),
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
    Meter.groups,
)


def list_meters(conn: Connection, site_id: int) -> list[MeterRef]:
    def read() -> list[MeterRef]:
        rows = conn.execute(
            select(*_METER_COLUMNS).where(Meter.site_id == site_id).order_by(Meter.name)
        )
        return [_meter_ref(r) for r in rows]

    return list(memo.remembered(("meters", conn.engine, site_id), read))


def guess_kind(metric: str, unit: str) -> str:
    """The kind a meter first seen with this metric and unit most likely is."""
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


def normal_name(text: str) -> str:
    """The key names and aliases are matched by: lower case, letters and digits only."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


_METER_FIELDS = frozenset(
    {"kind", "unit", "parent_id", "description", "aliases", "groups", "floor_area_m2"}
)


def update_meter(conn: Connection, meter_id: int, **values: Any) -> None:
    """Set catalogue fields of a meter (kind, unit, parent_id, description, aliases, groups,
    floor_area_m2); its name, series and data are left alone."""
    unknown = set(values) - _METER_FIELDS
    if unknown:
        raise ValueError(f"not a meter catalogue field: {', '.join(sorted(unknown))}")
    for key in ("aliases", "groups"):
        if key in values:
            values[key] = list(values[key])
    if values:
        conn.execute(update(Meter).where(Meter.id == meter_id).values(**values))


def production_links(conn: Connection, site_id: int) -> dict[int, tuple[int, ...]]:
    """Explicit SEC links of a site's meters: meter id -> ids of its production meters."""

    def read() -> dict[int, tuple[int, ...]]:
        rows = conn.execute(
            select(ProductionLink.meter_id, ProductionLink.production_meter_id)
            .join(Meter, Meter.id == ProductionLink.meter_id)
            .where(Meter.site_id == site_id)
            .order_by(ProductionLink.meter_id, ProductionLink.production_meter_id)
        )
        links: dict[int, tuple[int, ...]] = {}
        for meter_id, production_id in rows:
            links[meter_id] = (*links.get(meter_id, ()), production_id)
        return links

    return dict(memo.remembered(("production links", conn.engine, site_id), read))


def set_production_links(conn: Connection, meter_id: int, production_ids: Sequence[int]) -> None:
    """Replace a meter's production links with `production_ids`."""
    conn.execute(delete(ProductionLink).where(ProductionLink.meter_id == meter_id))
    for pid in dict.fromkeys(production_ids):
        conn.execute(insert(ProductionLink).values(meter_id=meter_id, production_meter_id=pid))


def set_series_interval(conn: Connection, series_id: int, interval: Interval) -> None:
    """Declare a series' interval (store.intervals.declare: readings already stored keep the
    interval they were judged by)."""
    intervals.declare(conn, series_id, interval)


def meters_with_data(conn: Connection, meter_ids: Sequence[int]) -> set[int]:
    """The meters among `meter_ids` that have at least one stored reading."""
    if not meter_ids:
        return set()
    has = exists().where(Reading.series_id == Series.id)
    rows = conn.execute(
        select(Series.meter_id).where(Series.meter_id.in_(list(meter_ids)), has).distinct()
    )
    return {r[0] for r in rows}


def resolve_meter(conn: Connection, site_id: int, text: str) -> MeterRef:
    """Find a meter by exact name, case-insensitive name or alias, ignoring spaces and dashes.

    Raises UnknownMeter listing the closest names when nothing matches.
    """
    name = text.strip()
    exact = memo.remembered(
        ("meter", conn.engine, site_id, name), lambda: _meter_by_name(conn, site_id, name)
    )
    if exact is not None:
        return exact
    meters = list_meters(conn, site_id)
    wanted = normal_name(text)
    for meter in meters:
        if wanted in {normal_name(meter.name), *(normal_name(a) for a in meter.aliases)}:
            return meter
    names = [m.name for m in meters]
    by_key = {normal_name(m.name): m.name for m in meters}
    by_key.update({normal_name(a): m.name for m in meters for a in m.aliases})
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
    interval: Interval | None = None,
) -> SeriesRef:
    """Return the series for a meter's metric, creating meter and series on first sight.

    `unit` must be canonical (the store keeps one unit per series); a different unit for an
    existing series is a conflict rather than a silent mix. A declared `interval` (or
    `interval_s` seconds) becomes the series' interval when nothing is known of it yet.
    """
    if interval is None and interval_s:
        interval = Interval(interval_s)
    metric = metric.strip().lower()
    info = parse_unit(unit)
    check_metric_unit(metric, info)
    meter_ref = _meter_by_name(conn, site_id, meter.strip())
    if meter_ref is None:
        meter_ref = ensure_meter(
            conn, site_id, meter, kind=kind or guess_kind(metric, info.symbol), unit=info.symbol
        )
    values = {
        "meter_id": meter_ref.id,
        "metric": metric,
        "unit": info.symbol,
        "additive": metric in ADDITIVE_METRICS,
        "cumulative": cumulative,
    }
    _insert_ignore(conn, Series.__table__, values)
    series = get_series(conn, meter_ref.id, metric)
    if series.unit != info.symbol:
        raise StoreConflict(
            f"{meter_ref.name} {metric} is stored in {series.unit}, not {info.symbol}"
        )
    if interval is not None and not intervals.history(conn, series.id):
        intervals.declare(conn, series.id, interval)
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
    def read() -> list[tuple[MeterRef, SeriesRef]]:
        meters = {m.id: m for m in list_meters(conn, site_id)}
        rows = conn.execute(
            select(*_SERIES_COLUMNS)
            .where(Series.meter_id.in_(meters))
            .order_by(Series.meter_id, Series.metric)
        )
        return [(meters[r.meter_id], SeriesRef(*r)) for r in rows]

    return list(memo.remembered(("series", conn.engine, site_id), read))
