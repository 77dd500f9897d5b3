"""Cross-checks of a plant file against itself and the store: unique names and aliases, a tree
without cycles, production links to production series, units that fit their metrics, a known
time zone and holiday calendar, valid and non-overlapping time windows, one factor per carrier.

Every check returns Problems on the path it is about; `check_plant` collects them all, so a
user sees every problem of a file at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import holidays
import numpy as np
import numpy.typing as npt

from common.errors import EMSError
from common.timeutil import zone
from common.units import DEFAULT_UNIT, Dimension, check_metric_unit, parse_unit
from connectors.catalog_file import (
    CARRIERS,
    DAY_NAMES,
    BudgetSpec,
    ClosureSpec,
    MeterSpec,
    PlantFile,
    Problem,
    SiteSpec,
    TariffSpec,
)
from store.catalog import normal_name

# The main series of a meter of each carrier when the file names no unit.
MAIN_SERIES: dict[str, tuple[str, str] | None] = {
    "electricity": ("energy", "kWh"),
    "gas": ("energy", "kWh"),
    "heat": ("energy", "kWh"),
    "steam": ("energy", "kWh"),
    "water": ("volume", "m3"),
    "compressed_air": ("volume", "m3"),
    "production": ("production", "unit"),
    "weather": ("outdoor_temperature", "degC"),
    "driver": None,
}
# Metrics a carrier's main series may have (None: any).
MAIN_METRICS: dict[str, frozenset[str] | None] = {
    "electricity": frozenset({"energy", "power"}),
    "gas": frozenset({"energy", "volume", "flow"}),
    "heat": frozenset({"energy", "power"}),
    "steam": frozenset({"energy", "power"}),
    "water": frozenset({"volume", "flow"}),
    "compressed_air": frozenset({"volume", "flow", "energy"}),
    "production": frozenset({"production"}),
    "weather": frozenset({"outdoor_temperature", "humidity"}),
    "driver": None,
}
_DIMENSION_METRIC = {
    Dimension.ENERGY: "energy",
    Dimension.POWER: "power",
    Dimension.VOLUME: "volume",
    Dimension.FLOW: "flow",
    Dimension.COUNT: "production",
    Dimension.TEMPERATURE: "temperature",
    Dimension.PRESSURE: "pressure",
    Dimension.RATIO: "occupancy",
}


@dataclass(frozen=True)
class KnownMeter:
    """A meter as the store has it, for checks that look beyond the file."""

    name: str
    kind: str
    unit: str
    parent: str | None = None
    aliases: tuple[str, ...] = ()
    series: Mapping[str, str] = field(default_factory=dict)  # metric -> unit


@dataclass(frozen=True)
class StoreView:
    """What the store holds of the site a file is applied to (empty: a new site)."""

    timezone: str | None = None
    country: str | None = None
    currency: str | None = None
    has_data: bool = False
    meters: Mapping[str, KnownMeter] = field(default_factory=dict)
    # The store's other sites: name -> aliases (a site's alias may name no other site).
    other_sites: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def main_series(carrier: str, unit: str | None) -> tuple[str, str]:
    """The metric and unit of a meter's main series; ValueError says why none fits."""
    if unit is None:
        default = MAIN_SERIES[carrier]
        if default is None:
            raise ValueError(
                f"a {carrier} meter needs a unit or its series "
                "(e.g. series: [{metric: occupancy, unit: '%'}])"
            )
        return default
    dimension = parse_unit(unit).dimension
    metric = _DIMENSION_METRIC.get(dimension)
    if carrier == "weather":
        metric = {Dimension.TEMPERATURE: "outdoor_temperature", Dimension.RATIO: "humidity"}.get(
            dimension
        )
    elif carrier == "driver" and dimension is Dimension.COUNT:
        metric = "count"  # a counted driver (visitors, batches) is not the plant's production
    allowed = MAIN_METRICS[carrier]
    if metric is None or (allowed is not None and metric not in allowed):
        default = MAIN_SERIES[carrier]
        such = f" such as {default[1]!r}" if default else ""
        wanted = ", ".join(sorted(allowed)) if allowed else "a standard metric"
        raise ValueError(
            f"unit {unit!r} measures {dimension.value}, but the main series of a {carrier} "
            f"meter is {wanted}{such}; give another unit or declare its series"
        )
    return metric, unit


@lru_cache(maxsize=64)
def _subdivisions(country: str) -> tuple[tuple[str, ...], dict[str, str]]:
    cls = type(holidays.country_holidays(country))
    return tuple(cls.subdivisions), dict(getattr(cls, "subdivisions_aliases", {}) or {})


def holiday_region(country: str, region: str) -> str | None:
    """The holidays package's code of a region given by code or name ('BY', 'Bayern'), or None."""
    codes, aliases = _subdivisions(country)
    wanted = region.strip().lower()
    for code in codes:
        if code.lower() == wanted:
            return code
    for alias, code in aliases.items():
        if alias.lower() == wanted:
            return code
    return None


def check_plant(plant: PlantFile, view: StoreView) -> list[Problem]:
    """Every cross-check; an empty list means the file can be applied."""
    return [*_site_checks(plant.site, view), *_meter_checks(plant.meters, view)]


# ------------------------------------------------------------------ the site


def _site_checks(site: SiteSpec, view: StoreView) -> list[Problem]:
    problems = _place_checks(site, view) + _site_alias_checks(site, view)
    problems += _windows("shifts", [(s.name, s.days, s.start, s.end) for s in site.shifts or []])
    problems += [p for i, c in enumerate(site.closures) for p in _closure(i, c)]
    problems += _tariff_checks(site, view)
    factors = [f.carrier for f in site.emission_factors]
    problems += _duplicates("emission_factors", factors, "a factor for")
    problems += [p for i, b in enumerate(site.budgets) for p in _budget(i, b)]
    budgets = [f"{b.carrier} {b.month or b.year}" for b in site.budgets]
    problems += _duplicates("budgets", budgets, "a budget for")
    return problems


def _site_alias_checks(site: SiteSpec, view: StoreView) -> list[Problem]:
    """A site's aliases must not name another site (by its name or one of its aliases)."""
    owners = {normal_name(n): n for n in view.other_sites}
    owners |= {normal_name(a): n for n, aliases in view.other_sites.items() for a in aliases}
    problems = _duplicates("aliases", [normal_name(a) for a in site.aliases], "the alias")
    for k, alias in enumerate(site.aliases):
        owner = owners.get(normal_name(alias))
        if owner is not None:
            problems.append(
                Problem(("site", "aliases", k), f"alias {alias!r} already names site {owner}")
            )
    return problems


def _place_checks(site: SiteSpec, view: StoreView) -> list[Problem]:
    problems = []
    try:
        zone(site.timezone)
    except EMSError as exc:
        problems.append(Problem(("site", "timezone"), str(exc)))
    else:
        if view.timezone and view.timezone != site.timezone and view.has_data:
            problems.append(
                Problem(
                    ("site", "timezone"),
                    f"site {site.name!r} has data, whose days and hours are kept in "
                    f"{view.timezone}; its time zone cannot change to {site.timezone}",
                )
            )
    country = site.country if "country" in site.model_fields_set else view.country
    if site.country and site.country not in holidays.list_supported_countries():
        problems.append(
            Problem(
                ("site", "country"),
                f"{site.country!r} is not a country the public-holiday calendar knows "
                "(ISO 3166 alpha-2, such as DE, US, GB)",
            )
        )
    elif site.region and not country:
        problems.append(Problem(("site", "region"), "a region needs the site's country"))
    elif site.region and country and holiday_region(country, site.region) is None:
        codes, _ = _subdivisions(country)
        problems.append(
            Problem(
                ("site", "region"),
                f"{site.region!r} is not a region of {country}; regions: {', '.join(codes)}",
            )
        )
    return problems


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _week_mask(days: Sequence[int], start: str, end: str) -> npt.NDArray[np.bool_]:
    """The minutes of a week (Monday 00:00 first) a window covers."""
    mask = np.zeros(7 * 1440, dtype=bool)
    s, e = _minutes(start), _minutes(end)
    for day in days:
        base = day * 1440
        if s < e:
            mask[base + s : base + e] = True
        else:
            mask[base + s : base + 1440] = True
            after = (day + 1) % 7 * 1440
            mask[after : after + e] = True
    return mask


def _at(minute: int) -> str:
    day, rest = divmod(minute, 1440)
    return f"{DAY_NAMES[day]} {rest // 60:02d}:{rest % 60:02d}"


Windows = Sequence[tuple[str, Sequence[int], str, str]]


def _windows(
    where: str, windows: Windows, prefix: tuple[str | int, ...] = ("site",)
) -> list[Problem]:
    """Each window has a length and none overlaps an earlier one."""
    problems = []
    masks: list[npt.NDArray[np.bool_]] = []
    for i, (name, days, start, end) in enumerate(windows):
        path = (*prefix, where, i)
        if start == "24:00":
            problems.append(Problem((*path, "start"), "nothing starts at 24:00; write 00:00"))
            masks.append(np.zeros(7 * 1440, dtype=bool))
            continue
        if start == end:
            problems.append(Problem((*path, "end"), f"{name!r} starts and ends at {start}"))
            masks.append(np.zeros(7 * 1440, dtype=bool))
            continue
        mask = _week_mask(days, start, end)
        for j, other in enumerate(masks):
            both = np.flatnonzero(mask & other)
            if len(both):
                problems.append(
                    Problem(
                        path,
                        f"{name!r} overlaps {where}[{j}] ({windows[j][0]!r}) from {_at(both[0])}; "
                        "each quarter-hour belongs to one of them",
                    )
                )
                break
        masks.append(mask)
    return problems


def _closure(i: int, closure: ClosureSpec) -> list[Problem]:
    path = ("site", "closures", i)
    recurring = [len(closure.start) == 5, len(closure.end) == 5]
    if recurring[0] != recurring[1]:
        return [
            Problem(
                (*path, "to"),
                "both ends of a closure are dates (one-off) or both are MM-DD (every year)",
            )
        ]
    if not recurring[0] and closure.end < closure.start:
        return [Problem((*path, "to"), f"ends ({closure.end}) before it starts ({closure.start})")]
    return []


def _tariff_checks(site: SiteSpec, view: StoreView) -> list[Problem]:
    problems: list[Problem] = []
    currency = site.currency if "currency" in site.model_fields_set else view.currency
    country = site.country if "country" in site.model_fields_set else view.country
    for i, tariff in enumerate(site.tariffs):
        path = ("site", "tariffs", i)
        if tariff.currency is None and currency is None:
            problems.append(
                Problem(
                    (*path, "currency"),
                    "prices need a currency: set site.currency (e.g. EUR) or this tariff's",
                )
            )
        if tariff.valid_from and tariff.valid_to and tariff.valid_to < tariff.valid_from:
            problems.append(
                Problem(
                    (*path, "valid_to"),
                    f"ends ({tariff.valid_to}) before it is valid from {tariff.valid_from}",
                )
            )
        periods = [(p.name, p.days, p.start, p.end) for p in tariff.periods]
        problems += _windows("periods", periods, path)
        for j, p in enumerate(tariff.periods):
            if p.except_holidays and not country:
                problems.append(
                    Problem(
                        (*path, "periods", j, "except_holidays"),
                        f"tariff {tariff.name!r} period {p.name!r} does not hold on public "
                        "holidays, but the site has no country to take them from: set "
                        "site.country (and site.region where it has its own)",
                    )
                )
    problems += _validity_overlaps(site.tariffs)
    return problems


def _validity_overlaps(tariffs: Sequence[TariffSpec]) -> list[Problem]:
    """Validity windows of one carrier's tariffs may not overlap (open ends reach forever)."""
    problems = []
    for i, a in enumerate(tariffs):
        for j in range(i):
            b = tariffs[j]
            if a.carrier != b.carrier:
                continue
            starts_before_b_ends = (
                b.valid_to is None or a.valid_from is None or (a.valid_from <= b.valid_to)
            )
            ends_after_b_starts = (
                a.valid_to is None or b.valid_from is None or (a.valid_to >= b.valid_from)
            )
            if starts_before_b_ends and ends_after_b_starts:
                problems.append(
                    Problem(
                        ("site", "tariffs", i, "valid_from"),
                        f"{a.carrier} tariff {a.name!r} is valid {_span(a)}, which overlaps "
                        f"tariffs[{j}] ({b.name!r}, {_span(b)}); one tariff prices each day",
                    )
                )
    return problems


def _span(t: TariffSpec) -> str:
    return f"{t.valid_from or 'always'}..{t.valid_to or 'open'}"


def _budget(i: int, budget: BudgetSpec) -> list[Problem]:
    path = ("site", "budgets", i)
    problems = []
    if (budget.month is None) == (budget.year is None):
        problems.append(Problem(path, "a budget is for one month (month: 2026-11) or one year"))
    if budget.kwh is None and budget.cost is None:
        problems.append(Problem(path, "a budget needs kwh, cost or both"))
    return problems


def _duplicates(where: str, keys: Sequence[str], what: str) -> list[Problem]:
    seen: dict[str, int] = {}
    problems = []
    for i, key in enumerate(keys):
        if key in seen:
            message = f"{what} {key} is already given as {where}[{seen[key]}]"
            problems.append(Problem(("site", where, i), message))
        else:
            seen[key] = i
    return problems


# ------------------------------------------------------------------ the meters


def _meter_checks(meters: Sequence[MeterSpec], view: StoreView) -> list[Problem]:
    problems = _name_checks(meters, view)
    problems += _alias_checks(meters, view)
    problems += _tree_checks(meters, view)
    metrics: dict[str, set[str]] = {n: set(k.series) for n, k in view.meters.items()}
    unsure: set[str] = set()  # meters whose series are wrong already: no second problem
    for i, meter in enumerate(meters):
        found, have = _series_checks(i, meter, view.meters.get(meter.name))
        problems += found
        metrics[meter.name] = metrics.get(meter.name, set()) | have
        if found:
            unsure.add(meter.name)
    problems += _production_checks(meters, metrics, unsure)
    return problems


def _name_checks(meters: Sequence[MeterSpec], view: StoreView) -> list[Problem]:
    problems = []
    first: dict[str, int] = {}
    stored = {normal_name(name): name for name in view.meters}
    for i, meter in enumerate(meters):
        key = normal_name(meter.name)
        if key in first:
            j = first[key]
            problems.append(
                Problem(
                    ("meters", i, "name"),
                    f"{meter.name!r} is already meters[{j}] ({meters[j].name!r}); names are "
                    "matched ignoring case, spaces and dashes",
                )
            )
            continue
        first[key] = i
        if key in stored and stored[key] != meter.name:
            problems.append(
                Problem(
                    ("meters", i, "name"),
                    f"the store has this meter as {stored[key]!r}; use that spelling (names "
                    "are matched ignoring case, spaces and dashes)",
                )
            )
    return problems


def _alias_checks(meters: Sequence[MeterSpec], view: StoreView) -> list[Problem]:
    in_file = {m.name for m in meters}
    names = {normal_name(n): n for n in [*view.meters, *in_file]}
    owners: dict[str, str] = {}
    for known in view.meters.values():
        if known.name not in in_file:
            owners.update({normal_name(a): known.name for a in known.aliases})
    problems = []
    for i, meter in enumerate(meters):
        aliases: Sequence[str] = meter.aliases if meter.given("aliases") else ()
        if not meter.given("aliases") and meter.name in view.meters:
            aliases = view.meters[meter.name].aliases
        for k, alias in enumerate(aliases):
            key = normal_name(alias)
            path = ("meters", i, "aliases", k)
            if key in names and names[key] != meter.name:
                problems.append(
                    Problem(path, f"alias {alias!r} is the name of meter {names[key]!r}")
                )
            elif key in owners and owners[key] != meter.name:
                problems.append(
                    Problem(path, f"alias {alias!r} is also an alias of meter {owners[key]!r}")
                )
            owners.setdefault(key, meter.name)
    return problems


def _tree_checks(meters: Sequence[MeterSpec], view: StoreView) -> list[Problem]:
    known = set(view.meters) | {m.name for m in meters}
    parents = {name: k.parent for name, k in view.meters.items()}
    parents.update({m.name: m.parent for m in meters if m.given("parent")})
    problems = []
    for i, meter in enumerate(meters):
        if not meter.given("parent") or meter.parent is None:
            continue
        path = ("meters", i, "parent")
        if meter.parent == meter.name:
            problems.append(Problem(path, "a meter cannot be its own parent"))
        elif meter.parent not in known:
            problems.append(Problem(path, _no_meter(meter.parent, known)))
        else:
            found = cycle(meter.name, parents)
            if found:
                problems.append(Problem(path, f"the tree goes round in a circle: {found}"))
    return problems


def _no_meter(name: str, known: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return f"no meter named {name!r} in this file or the store{hint}"


def cycle(start: str, parents: Mapping[str, str | None]) -> str | None:
    """'a -> b -> a' when following parents from `start` comes back to it, else None."""
    chain = [start]
    current = parents.get(start)
    while current is not None and len(chain) <= len(parents):
        chain.append(current)
        if current == start:
            return " -> ".join(chain)
        current = parents.get(current)
    return None


def _series_checks(
    i: int, meter: MeterSpec, known: KnownMeter | None
) -> tuple[list[Problem], set[str]]:
    """Carrier, unit and series of one meter; also the metrics it will have."""
    path: tuple[str | int, ...] = ("meters", i)
    problems: list[Problem] = []
    carrier = meter.carrier or (known.kind if known else None)
    if carrier is None:
        problems.append(
            Problem((*path, "carrier"), f"a new meter needs a carrier: {', '.join(CARRIERS)}")
        )
        return problems, set()
    have: set[str] = set()
    stored = dict(known.series) if known else {}
    if meter.series is None:
        if known is not None and not (meter.given("carrier") or meter.given("unit")):
            return problems, have
        unit = meter.unit or (known.unit if known else None)
        try:
            metric, unit = main_series(carrier, unit)
        except ValueError as exc:
            key = "unit" if meter.unit else "carrier"
            return [Problem((*path, key), f"{meter.name}: {exc}")], have
        declared = [(metric, unit, (*path, "unit"))]
    else:
        declared = _declared_series(i, meter, problems)
    for metric, unit, where in declared:
        have.add(metric)
        if metric in stored and stored[metric] != unit:
            problems.append(
                Problem(
                    where,
                    f"{meter.name} {metric} is stored in {stored[metric]}, not {unit}; a series "
                    "keeps one unit",
                )
            )
    return problems, have


def _declared_series(
    i: int, meter: MeterSpec, problems: list[Problem]
) -> list[tuple[str, str, tuple[str | int, ...]]]:
    out: list[tuple[str, str, tuple[str | int, ...]]] = []
    seen: set[str] = set()
    for k, series in enumerate(meter.series or []):
        path = ("meters", i, "series", k)
        metric = series.metric.lower()
        if metric in seen:
            problems.append(Problem((*path, "metric"), f"series {metric!r} is declared twice"))
            continue
        seen.add(metric)
        unit = series.unit or DEFAULT_UNIT.get(metric)
        if unit is None:
            problems.append(Problem((*path, "unit"), f"series {metric!r} needs a unit"))
            continue
        try:
            check_metric_unit(metric, parse_unit(unit))
        except EMSError as exc:
            problems.append(Problem((*path, "unit"), str(exc)))
            continue
        out.append((metric, unit, (*path, "unit")))
    if meter.unit and out and meter.unit not in {u for _, u, _ in out}:
        units = ", ".join(sorted({u for _, u, _ in out}))
        problems.append(
            Problem(("meters", i, "unit"), f"{meter.unit!r} is not the unit of a series ({units})")
        )
    return out


def _production_checks(
    meters: Sequence[MeterSpec], metrics: Mapping[str, set[str]], unsure: set[str]
) -> list[Problem]:
    problems = []
    for i, meter in enumerate(meters):
        for k, target in enumerate(meter.production):
            path = ("meters", i, "production", k)
            if target in unsure:
                continue
            if target == meter.name:
                problems.append(
                    Problem(
                        path,
                        "a meter's own production series counts without a link; remove this one",
                    )
                )
            elif target not in metrics:
                problems.append(Problem(path, _no_meter(target, set(metrics))))
            elif "production" not in metrics[target]:
                have = ", ".join(sorted(metrics[target])) or "no series"
                problems.append(
                    Problem(
                        path,
                        f"meter {target!r} has no production series (it has {have}); link a "
                        "meter that counts what is produced",
                    )
                )
    return problems
