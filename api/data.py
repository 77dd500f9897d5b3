"""The store's data for programs: sites, meters and series, the catalogue (read; applied by an
admin), and readings and rollups at any grain, a page at a time."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Connection

from api.auth import Admin, Viewer, deps_of
from api.errors import COMMON, responses
from api.tokens import Principal
from api.tool_routes import SiteQuery
from common.errors import EMSError
from common.timeutil import from_epoch, to_epoch, zone
from store import catalog, pages, queries
from store.schema import GRAIN_15MIN, GRAIN_DAY, GRAIN_HOUR

Grain = Literal["15min", "hour", "day", "week", "month"]
STORED = {"15min": GRAIN_15MIN, "hour": GRAIN_HOUR, "day": GRAIN_DAY}
PLANT_MEDIA = {"application/yaml": "yaml", "text/yaml": "yaml", "application/x-yaml": "yaml"}


class BadRange(EMSError):
    """A range of time the data routes cannot use."""


# ------------------------------------------------------------------ models


class SiteOut(BaseModel):
    name: str
    timezone: str
    country: str | None


class SeriesOut(BaseModel):
    metric: str
    unit: str
    interval_s: int | None
    cumulative: bool
    readings: int
    first: str | None
    last: str | None


class MeterOut(BaseModel):
    name: str
    carrier: str
    unit: str
    parent: str | None
    aliases: list[str]
    groups: list[str]
    description: str | None
    series: list[SeriesOut]


class MeterList(BaseModel):
    site: str
    timezone: str
    meters: list[MeterOut]


class ReadingOut(BaseModel):
    ts: int = Field(description="Epoch seconds, UTC (the start of an interval metric's interval).")
    time: str = Field(description="The same time in the site's zone, ISO 8601.")
    value: float


class ReadingsPage(BaseModel):
    site: str
    meter: str
    metric: str
    unit: str
    start: str
    end: str
    readings: list[ReadingOut]
    next_cursor: int | None = Field(description="Pass as `cursor` for the next page; null: done.")


class BucketOut(BaseModel):
    ts: int = Field(description="Start of the bucket, epoch seconds (local boundaries).")
    time: str
    n: int = Field(description="Readings in the bucket.")
    sum: float
    min: float
    max: float
    avg: float


class RollupsPage(BaseModel):
    site: str
    meter: str
    metric: str
    unit: str
    grain: Grain
    timezone: str
    start: str
    end: str
    buckets: list[BucketOut]
    next_cursor: int | None


class ApplyOut(BaseModel):
    site: str
    dry_run: bool
    applied: bool
    changes: list[str]
    not_in_file: list[str]


# ------------------------------------------------------------------ helpers


def _range(
    now: datetime, tz: str, period: str | None, start: datetime | None, end: datetime | None
) -> tuple[int, int]:
    """[start, end) as epoch seconds: a period in words, or start and end (naive: site time)."""
    from tools.periods import resolve_period

    if start is not None or end is not None:
        if start is None or end is None:
            raise BadRange("give both start and end, or a period such as 'last 7 days'")
        site_zone = zone(tz)
        lo, hi = (m if m.tzinfo else m.replace(tzinfo=site_zone) for m in (start, end))
        if hi <= lo:
            raise BadRange(f"end {end.isoformat()} is not after start {start.isoformat()}")
        return to_epoch(lo), to_epoch(hi)
    found = resolve_period(period or "last 7 days", now, tz)
    return found.start_ts, found.end_ts


def _iso(ts: int, tz: str) -> str:
    return from_epoch(ts, zone(tz)).isoformat()


def _coarse(rows: list[tuple[int, int, float, float, float]], grain: Grain, tz: str) -> list[Any]:
    """Day rollups folded into local weeks (from Monday) or calendar months."""
    site_zone = zone(tz)
    out: dict[int, list[float]] = {}
    for bucket, n, total, low, high in rows:
        day = from_epoch(bucket, site_zone).date()
        first = day - timedelta(days=day.weekday()) if grain == "week" else day.replace(day=1)
        key = to_epoch(datetime.combine(first, datetime.min.time(), site_zone))
        agg = out.get(key)
        if agg is None:
            out[key] = [n, total, low, high]
        else:
            agg[0] += n
            agg[1] += total
            agg[2] = min(agg[2], low)
            agg[3] = max(agg[3], high)
    return [(k, int(v[0]), v[1], v[2], v[3]) for k, v in sorted(out.items())]


Period = Annotated[
    str | None,
    Query(
        description="A period in words, in the site's zone: 'yesterday', 'last week', "
        "'2026-10', '2026-10-01..2026-10-07' (default: last 7 days).",
        max_length=100,
    ),
]
Start = Annotated[datetime | None, Query(description="Start (ISO 8601; naive: site time).")]
End = Annotated[datetime | None, Query(description="End, excluded.")]
Cursor = Annotated[int | None, Query(description="`next_cursor` of the previous page.")]
Meter = Annotated[str, Query(min_length=1, max_length=200, description="Meter name or alias.")]
Metric = Annotated[str, Query(min_length=1, max_length=100, description="Metric of the series.")]
Limit = Annotated[int | None, Query(ge=1, description="Page size (and at most 10,000).")]
Row = TypeVar("Row", bound=tuple[Any, ...])


def _limit(request: Request, limit: int | None) -> int:
    ceiling = deps_of(request).settings.max_page
    return min(limit or ceiling, ceiling)


@dataclass(frozen=True)
class _Read:
    """One series over [lo, hi) at a page size, as the readings and rollups routes read it."""

    conn: Connection
    site: str
    tz: str
    lo: int
    hi: int
    size: int
    meter: str
    series: catalog.SeriesRef

    def page(self, rows: Sequence[Row]) -> tuple[list[Row], int | None]:
        """A page of rows (asked for one more than the page holds) and the next page's cursor."""
        shown = list(rows[: self.size])
        return shown, shown[-1][0] if len(rows) > self.size else None


@contextmanager
def _read(
    request: Request,
    principal: Principal,
    site: str | None,
    meter: str,
    metric: str,
    when: tuple[str | None, datetime | None, datetime | None],
    limit: int | None,
) -> Iterator[_Read]:
    """The site's context, the range (`when`: period, start, end), the page size, the meter and
    its series, in that order (so a bad range is reported before an unknown meter)."""
    from tools import resolve

    ctx = deps_of(request).contexts(site)(user=principal.name, role=principal.role)
    tz = ctx.site.timezone
    lo, hi = _range(ctx.now, tz, *when)
    size = _limit(request, limit)
    found = resolve.meter(ctx, meter)
    with ctx.engine.connect() as conn:
        series = catalog.get_series(conn, found.id, metric)
        yield _Read(conn, ctx.site.name, tz, lo, hi, size, found.name, series)


# ------------------------------------------------------------------ routes


def data_router() -> APIRouter:
    router = APIRouter(tags=["data"])
    errors = responses(*COMMON, 404)

    @router.get("/sites", response_model=list[SiteOut], responses=errors)
    def sites(request: Request, principal: Viewer) -> list[SiteOut]:
        """The sites in the store."""
        with deps_of(request).engine.connect() as conn:
            found = catalog.list_sites(conn)
        return [SiteOut(name=s.name, timezone=s.timezone, country=s.country) for s in found]

    @router.get("/meters", response_model=MeterList, responses=errors)
    def meters(request: Request, principal: Viewer, site: SiteQuery = None) -> MeterList:
        """A site's meters with their series: unit, interval, readings held, first and last."""
        ctx = deps_of(request).contexts(site)(user=principal.name, role=principal.role)
        with ctx.engine.connect() as conn:
            listed = catalog.list_meters(conn, ctx.site.id)
            series = catalog.list_series(conn, ctx.site.id)
            stats = queries.series_stats(conn, [s.id for _, s in series])
        names = {m.id: m.name for m in listed}
        tz = ctx.site.timezone
        out = {
            m.id: MeterOut(
                name=m.name,
                carrier=m.kind,
                unit=m.unit,
                parent=names.get(m.parent_id) if m.parent_id else None,
                aliases=list(m.aliases),
                groups=list(m.groups),
                description=m.description,
                series=[],
            )
            for m in listed
        }
        for meter, s in series:
            st = stats[s.id]
            out[meter.id].series.append(
                SeriesOut(
                    metric=s.metric,
                    unit=s.unit,
                    interval_s=s.interval_s,
                    cumulative=s.cumulative,
                    readings=st.count,
                    first=_iso(st.first_ts, tz) if st.first_ts is not None else None,
                    last=_iso(st.last_ts, tz) if st.last_ts is not None else None,
                )
            )
        return MeterList(site=ctx.site.name, timezone=tz, meters=list(out.values()))

    @router.get("/catalog", response_model=dict[str, Any], responses=errors)
    def catalogue(request: Request, principal: Viewer, site: SiteQuery = None) -> dict[str, Any]:
        """The site's catalogue as a plant file (JSON); `PUT /catalog` applies it back."""
        from connectors.catalog_sync import export_plant

        ctx = deps_of(request).contexts(site)(user=principal.name, role=principal.role)
        with ctx.engine.connect() as conn:
            return export_plant(conn, ctx.site.name)

    @router.put(
        "/catalog",
        response_model=ApplyOut,
        responses=responses(*COMMON, 415),
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": "A plant file: YAML (or JSON, which YAML reads) or TOML.",
                "content": {
                    "application/yaml": {"schema": {"type": "string"}},
                    "application/json": {"schema": {"type": "object"}},
                    "application/toml": {"schema": {"type": "string"}},
                },
            }
        },
    )
    async def apply_catalogue(
        request: Request,
        principal: Admin,
        dry_run: Annotated[bool, Query(description="List the changes, write nothing.")] = False,
    ) -> ApplyOut:
        """Apply a plant file (admins): every problem named by its line or key and nothing
        written, else every change, in one transaction."""
        import anyio

        body = await request.body()
        media = request.headers.get("content-type", "application/yaml").split(";")[0].strip()
        fmt = "toml" if media in ("application/toml", "text/toml") else "yaml"
        if fmt == "yaml" and media not in (*PLANT_MEDIA, "application/json"):
            from connectors.http_readings import UnsupportedFormat

            raise UnsupportedFormat(f"a plant file is YAML, JSON or TOML; not {media!r}")
        engine = deps_of(request).engine
        return await anyio.to_thread.run_sync(_apply, engine, body, fmt, dry_run)

    _readings_routes(router, errors)
    return router


def _apply(engine: Any, body: bytes, fmt: Any, dry_run: bool) -> ApplyOut:
    from connectors.catalog_file import InvalidPlantFile, parse_plant
    from connectors.catalog_sync import apply_plant

    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidPlantFile([f"the plant file is not UTF-8: {exc}"]) from None
    report = apply_plant(engine, parse_plant(text, "request body", fmt), dry_run=dry_run)
    return ApplyOut(
        site=report.site,
        dry_run=dry_run,
        applied=report.applied,
        changes=[c.text for c in report.changes],
        not_in_file=report.not_in_file,
    )


def _readings_routes(router: APIRouter, errors: dict[int | str, dict[str, Any]]) -> None:
    @router.get("/readings", response_model=ReadingsPage, responses=errors)
    def readings(
        request: Request,
        principal: Viewer,
        meter: Meter,
        metric: Metric = "energy",
        period: Period = None,
        start: Start = None,
        end: End = None,
        cursor: Cursor = None,
        limit: Limit = None,
        site: SiteQuery = None,
    ) -> ReadingsPage:
        """A series' raw readings over a range, oldest first, a page at a time."""
        with _read(request, principal, site, meter, metric, (period, start, end), limit) as r:
            found = pages.readings_page(r.conn, r.series.id, r.lo, r.hi, cursor, r.size)
        rows, next_cursor = r.page(found)
        return ReadingsPage(
            site=r.site,
            meter=r.meter,
            metric=r.series.metric,
            unit=r.series.unit,
            start=_iso(r.lo, r.tz),
            end=_iso(r.hi, r.tz),
            readings=[ReadingOut(ts=ts, time=_iso(ts, r.tz), value=v) for ts, v in rows],
            next_cursor=next_cursor,
        )

    @router.get("/rollups", response_model=RollupsPage, responses=errors)
    def rollups(
        request: Request,
        principal: Viewer,
        meter: Meter,
        metric: Metric = "energy",
        grain: Grain = "hour",
        period: Period = None,
        start: Start = None,
        end: End = None,
        cursor: Cursor = None,
        limit: Limit = None,
        site: SiteQuery = None,
    ) -> RollupsPage:
        """A series' count, sum, min, max and mean per 15 minutes, hour, day, week or month
        (local boundaries), from the rollups kept at write time, a page at a time."""
        with _read(request, principal, site, meter, metric, (period, start, end), limit) as r:
            if grain in STORED:
                found = pages.rollups_page(
                    r.conn, r.series.id, STORED[grain], r.lo, r.hi, cursor, r.size
                )
            else:
                days = pages.rollups_page(r.conn, r.series.id, GRAIN_DAY, r.lo, r.hi, None, 10**7)
                coarse = _coarse(days, grain, r.tz)
                found = [b for b in coarse if cursor is None or b[0] > cursor][: r.size + 1]
        rows, next_cursor = r.page(found)
        return RollupsPage(
            site=r.site,
            meter=r.meter,
            metric=r.series.metric,
            unit=r.series.unit,
            grain=grain,
            timezone=r.tz,
            start=_iso(r.lo, r.tz),
            end=_iso(r.hi, r.tz),
            buckets=[
                BucketOut(
                    ts=b, time=_iso(b, r.tz), n=n, sum=s, min=mn, max=mx, avg=s / n if n else 0.0
                )
                for b, n, s, mn, mx in rows
            ],
            next_cursor=next_cursor,
        )
