"""Applying a plant file to the store and exporting a site back to one: the diff, one
transaction, idempotent, and an export that applies back with no changes.

Keys a file leaves out keep what the store has; meters the store has and the file does not are
listed and left alone (never deleted with their data). A dry run reports the same changes and
writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection, Engine

from common.errors import UnknownSite
from common.intervals import Interval
from common.units import DEFAULT_UNIT
from connectors.catalog_checks import (
    KnownMeter,
    StoreView,
    check_plant,
    holiday_region,
    main_series,
)
from connectors.catalog_file import (
    DAY_NAMES,
    ClosureSpec,
    MeterSpec,
    PlantDocument,
    SiteSpec,
    TariffSpec,
    days_text,
)
from store import catalog, profile
from store.profile import (
    BudgetDef,
    ClosureDef,
    EmissionFactorDef,
    ShiftDef,
    SiteProfile,
    TariffDef,
    TouPeriodDef,
    Window,
)
from store.sites import site_names

SeriesState = tuple[str, str, str | None]  # metric, unit, interval ('15min', 'billing')


@dataclass(frozen=True)
class MeterState:
    name: str
    kind: str
    unit: str
    description: str | None = None
    aliases: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    parent: str | None = None
    floor_area_m2: float | None = None
    production: tuple[str, ...] = ()  # sorted names of linked production meters
    series: tuple[SeriesState, ...] = ()  # sorted by metric


@dataclass(frozen=True)
class SiteState:
    name: str
    timezone: str
    country: str | None = None
    region: str | None = None
    profile: SiteProfile = field(default_factory=SiteProfile)


@dataclass
class Catalogue:
    """A site's catalogue as stored (site None: not in the store yet)."""

    site: SiteState | None
    site_id: int | None = None
    meters: dict[str, MeterState] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    series_ids: dict[tuple[str, str], int] = field(default_factory=dict)
    has_data: bool = False


@dataclass(frozen=True)
class Change:
    subject: str  # "site north", "meter pump-3", "tariff electricity"
    text: str  # the line shown to people

    def to_json(self) -> dict[str, str]:
        return {"subject": self.subject, "text": self.text}


@dataclass
class ApplyReport:
    site: str
    source: str
    dry_run: bool
    changes: list[Change] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)

    @property
    def applied(self) -> bool:
        return bool(self.changes) and not self.dry_run

    def lines(self) -> list[str]:
        return [c.text for c in self.changes] + [
            f"meter {name}: not in the file (left alone)" for name in self.not_in_file
        ]


# ------------------------------------------------------------------ reading the store


def read_catalogue(conn: Connection, site_name: str) -> Catalogue:
    try:
        site = catalog.get_site(conn, site_name)
    except UnknownSite:
        return Catalogue(site=None)
    meters = catalog.list_meters(conn, site.id)
    names = {m.id: m.name for m in meters}
    links = catalog.production_links(conn, site.id)
    series: dict[int, list[SeriesState]] = {}
    series_ids: dict[tuple[str, str], int] = {}
    for meter, s in catalog.list_series(conn, site.id):
        interval = s.interval.text() if s.interval else None
        series.setdefault(meter.id, []).append((s.metric, s.unit, interval))
        series_ids[(meter.name, s.metric)] = s.id
    states = {
        m.name: MeterState(
            name=m.name,
            kind=m.kind,
            unit=m.unit,
            description=m.description,
            aliases=m.aliases,
            groups=m.groups,
            parent=names.get(m.parent_id) if m.parent_id else None,
            floor_area_m2=m.floor_area_m2,
            production=tuple(sorted(names[p] for p in links.get(m.id, ()))),
            series=tuple(sorted(series.get(m.id, []))),
        )
        for m in meters
    }
    return Catalogue(
        site=SiteState(
            site.name, site.timezone, site.country, site.region, profile.get_profile(conn, site.id)
        ),
        site_id=site.id,
        meters=states,
        ids={m.name: m.id for m in meters},
        series_ids=series_ids,
        has_data=bool(catalog.meters_with_data(conn, [m.id for m in meters])),
    )


def store_view(current: Catalogue, others: Mapping[str, Sequence[str]] | None = None) -> StoreView:
    """What the checks see of the store: the site's catalogue, and the other sites' names and
    aliases (`others`)."""
    site = current.site
    return StoreView(
        other_sites={n: tuple(a) for n, a in (others or {}).items()},
        timezone=site.timezone if site else None,
        country=site.country if site else None,
        currency=site.profile.currency if site else None,
        has_data=current.has_data,
        meters={
            name: KnownMeter(
                name=name,
                kind=m.kind,
                unit=m.unit,
                parent=m.parent,
                aliases=m.aliases,
                series={metric: unit for metric, unit, _ in m.series},
            )
            for name, m in current.meters.items()
        },
    )


# ------------------------------------------------------------------ what the file wants


def _window(spec: Any) -> dict[str, Any]:
    return {"days": tuple(spec.days), "start": spec.start, "end": spec.end}


def _tariff(t: TariffSpec) -> TariffDef:
    return TariffDef(
        carrier=t.carrier,
        name=t.name,
        default_price=t.default_price,
        demand_charge_per_kw=t.demand_charge_per_kw,
        periods=tuple(
            TouPeriodDef(
                **_window(p), name=p.name, price=p.price, except_holidays=p.except_holidays
            )
            for p in t.periods
        ),
        currency=t.currency,
        valid_from=t.valid_from,
        valid_to=t.valid_to,
    )


def _closure(c: ClosureSpec) -> ClosureDef:
    return ClosureDef(c.name, c.start, c.end)


def desired_site(spec: SiteSpec, current: SiteState | None) -> SiteState:
    given = spec.model_fields_set
    base = current or SiteState(spec.name, spec.timezone)
    country = spec.country if "country" in given else base.country
    region = spec.region if "region" in given else base.region
    if region and country:
        region = holiday_region(country, region) or region
    updates: dict[str, Any] = {}
    simple = ("currency", "floor_area_m2", "gas_calorific_value_kwh_per_m3")
    updates.update({key: getattr(spec, key) for key in simple if key in given})
    if "aliases" in given:
        updates["aliases"] = tuple(spec.aliases)
    if "shifts" in given:
        updates["shifts"] = (
            None
            if spec.shifts is None
            else tuple(ShiftDef(**_window(s), name=s.name) for s in spec.shifts)
        )
    if "closures" in given:
        updates["closures"] = tuple(_closure(c) for c in spec.closures)
    if "tariffs" in given:
        updates["tariffs"] = tuple(_tariff(t) for t in spec.tariffs)
    if "emission_factors" in given:
        updates["emission_factors"] = tuple(
            EmissionFactorDef(f.carrier, f.kg_co2e_per_kwh, f.source, f.year)
            for f in spec.emission_factors
        )
    if "budgets" in given:
        updates["budgets"] = tuple(
            BudgetDef(b.carrier, b.month, b.year, b.kwh, b.cost) for b in spec.budgets
        )
    return SiteState(spec.name, spec.timezone, country, region, replace(base.profile, **updates))


def desired_meter(spec: MeterSpec, current: MeterState | None) -> MeterState:
    """The meter as it will be: the file's keys over what the store has."""
    kind = spec.carrier or (current.kind if current else "electricity")
    declared = _declared(spec, kind, current)
    unit = spec.unit or (current.unit if current else (declared[0][1] if declared else "kWh"))
    series = {s[0]: s for s in (current.series if current else ())}
    for metric, s_unit, interval in declared:
        keep = series[metric][2] if metric in series else None
        series[metric] = (metric, s_unit, keep if interval is None else interval)
    base = current or MeterState(spec.name, kind, unit)
    values: dict[str, Any] = {"kind": kind, "unit": unit, "series": tuple(sorted(series.values()))}
    for key in ("description", "parent", "floor_area_m2"):
        if spec.given(key):
            values[key] = getattr(spec, key)
    for key in ("aliases", "groups"):
        if spec.given(key):
            values[key] = tuple(dict.fromkeys(getattr(spec, key)))
    if spec.given("production"):
        values["production"] = tuple(sorted(set(spec.production)))
    return replace(base, **values)


def _declared(spec: MeterSpec, kind: str, current: MeterState | None) -> list[SeriesState]:
    if spec.series is not None:
        return [
            (
                s.metric.lower(),
                s.unit or DEFAULT_UNIT[s.metric.lower()],
                s.interval,
            )
            for s in spec.series
        ]
    if current is not None and not (spec.given("carrier") or spec.given("unit")):
        return []
    metric, unit = main_series(kind, spec.unit or (current.unit if current else None))
    return [(metric, unit, None)]


# ------------------------------------------------------------------ the diff


def _v(value: Any) -> str:
    if value is None or value == ():
        return "none"
    if isinstance(value, tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _window_text(w: Window) -> str:
    return f"{days_text(w.days)} {w.start}-{w.end}"


def _series_text(s: SeriesState) -> str:
    interval = f" {s[2]}" if s[2] is not None else ""
    return f"{s[0]} ({s[1]}{interval})"


def describe_tariff(t: TariffDef) -> str:
    periods = "; ".join(
        f"{p.name} {_window_text(p)} {p.price:g}" + (" except public holidays" * p.except_holidays)
        for p in t.periods
    )
    parts = [f"{t.default_price:g}/kWh"]
    if periods:
        parts.append(periods)
    if t.demand_charge_per_kw:
        parts.append(f"demand {t.demand_charge_per_kw:g}/kW")
    currency = f"{t.currency}, " if t.currency else ""
    span = f"{t.valid_from or 'always'}..{t.valid_to or 'open'}"
    return f"{t.carrier} {t.name!r} ({currency}{span}): {', '.join(parts)}"


def describe_factor(f: EmissionFactorDef) -> str:
    year = f" {f.year}" if f.year else ""
    return f"{f.carrier} {f.kg_co2e_per_kwh:g} kg CO2e/kWh ({f.source}{year})"


def _listed(kind: str, before: Sequence[str], after: Sequence[str]) -> list[Change]:
    gone = [f"- {kind} {b}" for b in before if b not in after]
    new = [f"+ {kind} {a}" for a in after if a not in before]
    return [Change(kind, text) for text in gone + new]


def site_changes(before: SiteState | None, after: SiteState) -> list[Change]:
    subject = f"site {after.name}"
    if before is None:
        changes = [Change(subject, f"+ site {after.name} ({after.timezone})")]
        before = SiteState(after.name, after.timezone)
    else:
        changes = []
    fields = (
        ("timezone", before.timezone, after.timezone),
        ("country", before.country, after.country),
        ("region", before.region, after.region),
        ("currency", before.profile.currency, after.profile.currency),
        ("floor area m2", before.profile.floor_area_m2, after.profile.floor_area_m2),
        (
            "gas calorific value kWh/m3",
            before.profile.gas_calorific_value_kwh_per_m3,
            after.profile.gas_calorific_value_kwh_per_m3,
        ),
    )
    changes += [
        Change(subject, f"{subject}: {name} {_v(a)} -> {_v(b)}") for name, a, b in fields if a != b
    ]
    old, new = before.profile, after.profile
    changes += _listed("site alias", old.aliases, new.aliases)
    if (old.shifts is None) != (new.shifts is None) and not (old.shifts or new.shifts):
        declared = "declared: none" if new.shifts is not None else "not declared"
        changes.append(Change("shift", f"{subject}: shifts {declared}"))
    changes += _listed(
        "shift",
        [f"{s.name} {_window_text(s)}" for s in old.shifts or ()],
        [f"{s.name} {_window_text(s)}" for s in new.shifts or ()],
    )
    changes += _listed(
        "closure",
        [f"{c.name} {c.start}..{c.end}" for c in old.closures],
        [f"{c.name} {c.start}..{c.end}" for c in new.closures],
    )
    changes += _listed(
        "tariff",
        [describe_tariff(t) for t in old.tariffs],
        [describe_tariff(t) for t in new.tariffs],
    )
    changes += _listed(
        "emission factor",
        [describe_factor(f) for f in old.emission_factors],
        [describe_factor(f) for f in new.emission_factors],
    )
    changes += _listed(
        "budget", [_budget(b) for b in old.budgets], [_budget(b) for b in new.budgets]
    )
    return changes


def _budget(b: BudgetDef) -> str:
    amounts = ", ".join(
        f"{v:g} {u}" for v, u in ((b.kwh, "kWh"), (b.cost, "cost")) if v is not None
    )
    return f"{b.carrier} {b.month or b.year}: {amounts}"


_METER_FIELDS = (
    ("kind", "carrier"),
    ("unit", "unit"),
    ("description", "description"),
    ("parent", "parent"),
    ("aliases", "aliases"),
    ("groups", "groups"),
    ("floor_area_m2", "floor area m2"),
    ("production", "production"),
)


def meter_changes(before: MeterState | None, after: MeterState, has_data: bool) -> list[Change]:
    subject = f"meter {after.name}"
    if before is None:
        extra = [
            f"{label} {_v(getattr(after, key))}"
            for key, label in _METER_FIELDS[3:]
            if getattr(after, key) not in (None, ())
        ]
        series = ", ".join(_series_text(s) for s in after.series)
        extra.append(f"series {series or 'none'}")
        head = f"+ meter {after.name} ({after.kind}, {after.unit})"
        return [Change(subject, f"{head}: {'; '.join(extra)}")]
    changes = []
    for key, label in _METER_FIELDS:
        a, b = getattr(before, key), getattr(after, key)
        if a != b:
            note = " (it has data)" if key == "kind" and has_data else ""
            changes.append(Change(subject, f"{subject}: {label} {_v(a)} -> {_v(b)}{note}"))
    old = {s[0]: s for s in before.series}
    for s in after.series:
        if s[0] not in old:
            changes.append(Change(subject, f"{subject}: + series {_series_text(s)}"))
        elif old[s[0]] != s:
            a_text, b_text = old[s[0]][2] or "none", s[2] or "none"
            changes.append(
                Change(subject, f"{subject}: series {s[0]} interval {a_text} -> {b_text}")
            )
    return changes


# ------------------------------------------------------------------ apply


def apply_plant(
    engine: Engine,
    document: PlantDocument,
    *,
    site: str | None = None,
    dry_run: bool = False,
    list_absent: bool = True,
) -> ApplyReport:
    """Check a plant file against the store and apply it in one transaction (or only report
    what would change). Raises InvalidPlantFile, naming each problem's line or key, with
    nothing written."""
    if site:
        spec = document.plant.site.model_copy(update={"name": site})
        document = replace(document, plant=document.plant.model_copy(update={"site": spec}))
    if dry_run:
        with engine.connect() as conn:
            return apply_in(conn, document, dry_run=True, list_absent=list_absent)
    with engine.begin() as conn:
        return apply_in(conn, document, dry_run=False, list_absent=list_absent)


def apply_in(
    conn: Connection, document: PlantDocument, *, dry_run: bool = False, list_absent: bool = True
) -> ApplyReport:
    """`apply_plant` inside a transaction the caller holds (the importer's, say)."""
    plant = document.plant
    current = read_catalogue(conn, plant.site.name)
    others = {n: a for n, a in site_names(conn).items() if n != plant.site.name}
    problems = check_plant(plant, store_view(current, others))
    if problems:
        raise document.source.fail(problems)
    site = desired_site(plant.site, current.site)
    meters = {m.name: desired_meter(m, current.meters.get(m.name)) for m in plant.meters}
    kind_changed = [
        current.ids[n]
        for n, m in meters.items()
        if n in current.meters and current.meters[n].kind != m.kind
    ]
    with_data = catalog.meters_with_data(conn, kind_changed)
    report = ApplyReport(site.name, document.source.name, dry_run)
    report.changes = site_changes(current.site, site)
    for name, meter in meters.items():
        has_data = current.ids.get(name) in with_data
        report.changes += meter_changes(current.meters.get(name), meter, has_data)
    if list_absent:
        report.not_in_file = sorted(set(current.meters) - set(meters))
    if report.changes and not dry_run:
        _write(conn, current, site, meters)
    return report


def _write(
    conn: Connection, current: Catalogue, site: SiteState, meters: Mapping[str, MeterState]
) -> None:
    ref = catalog.ensure_site(conn, site.name, site.timezone, site.country)
    catalog.update_site(
        conn, ref.id, timezone=site.timezone, country=site.country, region=site.region
    )
    if current.site is None or current.site.profile != site.profile:
        profile.set_profile(conn, ref.id, site.profile)
    ids = dict(current.ids)
    for name, meter in meters.items():
        if name not in ids:
            ids[name] = catalog.ensure_meter(
                conn, ref.id, name, kind=meter.kind, unit=meter.unit
            ).id
    for name, meter in meters.items():
        before = current.meters.get(name)
        values = {
            key: getattr(meter, key)
            for key in ("kind", "unit", "description", "aliases", "groups", "floor_area_m2")
            if before is None or getattr(before, key) != getattr(meter, key)
        }
        if before is None or before.parent != meter.parent:
            values["parent_id"] = ids[meter.parent] if meter.parent else None
        catalog.update_meter(conn, ids[name], **values)
        _write_series(conn, ref.id, current, meter)
        if before is None or before.production != meter.production:
            catalog.set_production_links(conn, ids[name], [ids[p] for p in meter.production])


def _write_series(conn: Connection, site_id: int, current: Catalogue, meter: MeterState) -> None:
    before = current.meters.get(meter.name)
    old = {s[0]: s for s in before.series} if before else {}
    for metric, unit, text in meter.series:
        interval = Interval.parse(text) if text else None
        if metric not in old:
            catalog.ensure_series(conn, site_id, meter.name, metric, unit, interval=interval)
        elif interval is not None and old[metric][2] != text:
            catalog.set_series_interval(conn, current.series_ids[(meter.name, metric)], interval)


# ------------------------------------------------------------------ export


def export_plant(conn: Connection, site_name: str) -> dict[str, Any]:
    """The site's catalogue as plant-file data: apply it back and nothing changes."""
    current = read_catalogue(conn, site_name)
    if current.site is None:
        catalog.get_site(conn, site_name)  # raises UnknownSite with the known names
        raise AssertionError("unreachable")
    return {
        "version": 1,
        "site": _site_data(current.site),
        "meters": [_meter_data(m) for m in _tree_order(current.meters)],
    }


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None and v != []}


def _window_data(w: Window) -> dict[str, Any]:
    return {"days": [DAY_NAMES[d] for d in w.days], "start": w.start, "end": w.end}


def _site_data(site: SiteState) -> dict[str, Any]:
    p = site.profile
    data: dict[str, Any] = {
        "name": site.name,
        "timezone": site.timezone,
        "aliases": list(p.aliases),
        "country": site.country,
        "region": site.region,
        "currency": p.currency,
        "floor_area_m2": p.floor_area_m2,
        "gas_calorific_value_kwh_per_m3": p.gas_calorific_value_kwh_per_m3,
        "shifts": None
        if p.shifts is None
        else [{"name": s.name, **_window_data(s)} for s in p.shifts],
        "closures": [{"name": c.name, "from": c.start, "to": c.end} for c in p.closures],
        "tariffs": [_tariff_data(t) for t in p.tariffs],
        "emission_factors": [
            _drop_empty(
                {
                    "carrier": f.carrier,
                    "kg_co2e_per_kwh": f.kg_co2e_per_kwh,
                    "source": f.source,
                    "year": f.year,
                }
            )
            for f in p.emission_factors
        ],
        "budgets": [_drop_empty(vars(b).copy()) for b in p.budgets],
    }
    # A declared empty shift plan is kept: it is not the same as none declared.
    return {k: v for k, v in data.items() if v is not None and (v != [] or k == "shifts")}


def _tariff_data(t: TariffDef) -> dict[str, Any]:
    return _drop_empty(
        {
            "carrier": t.carrier,
            "name": t.name,
            "currency": t.currency,
            "valid_from": t.valid_from,
            "valid_to": t.valid_to,
            "default_price": t.default_price,
            "demand_charge_per_kw": t.demand_charge_per_kw or None,
            "periods": [
                {"name": p.name, **_window_data(p), "price": p.price}
                | ({"except_holidays": True} if p.except_holidays else {})
                for p in t.periods
            ],
        }
    )


def _meter_data(m: MeterState) -> dict[str, Any]:
    units = {s[1] for s in m.series}
    series = [
        _drop_empty(
            {
                "metric": s[0],
                "unit": s[1],
                "interval": s[2],
            }
        )
        for s in m.series
    ]
    data = _drop_empty(
        {
            "name": m.name,
            "carrier": m.kind,
            "unit": m.unit if not units or m.unit in units else None,
            "description": m.description,
            "parent": m.parent,
            "aliases": list(m.aliases),
            "groups": list(m.groups),
            "floor_area_m2": m.floor_area_m2,
            "production": list(m.production),
        }
    )
    data["series"] = series
    return data


def _tree_order(meters: Mapping[str, MeterState]) -> list[MeterState]:
    """Parents before their sub-meters, siblings by name."""
    children: dict[str | None, list[MeterState]] = {}
    for m in meters.values():
        parent = m.parent if m.parent in meters else None
        children.setdefault(parent, []).append(m)
    ordered: list[MeterState] = []

    def visit(parent: str | None) -> None:
        for m in sorted(children.get(parent, []), key=lambda m: m.name):
            ordered.append(m)
            visit(m.name)

    visit(None)
    seen = {m.name for m in ordered}
    return ordered + sorted(
        (m for m in meters.values() if m.name not in seen), key=lambda m: m.name
    )
