"""What the offline model knows of a site for one turn: the reader's vocabulary from the site's
catalogue (meters, aliases, groups, production links, shift and tariff-period names, currency)
and the facts a plan needs (carriers, the tree, which meters are totals), built once per
catalogue and kept while the catalogue is unchanged."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from threading import Lock

from sqlalchemy import Engine

from agent.reader import MeterEntry, Vocabulary, build_vocabulary
from agent.reader.dates import site_date_order
from agent.reader.vocabulary import ENERGY_CARRIERS, entries_from_store
from store import catalog
from store.catalog import SiteRef
from store.profile import get_profile
from tools.base import AnalyticsConfig

CACHED = 32
# The site of a turn without one (an empty store, or several and none chosen): no meters, so
# meter questions are refused with why, while knowledge and portfolio questions still answer.
NO_SITE = SiteRef(0, "", "UTC")


@dataclass(frozen=True)
class Site:
    """One site as a plan sees it."""

    ref: SiteRef
    vocab: Vocabulary
    config: AnalyticsConfig
    calorific_value: float | None = None  # kWh per m3 of gas, from the site's catalogue
    # meters whose energy is read a day or more apart -> how answers name it ("daily")
    coarse: Mapping[str, str] = field(default_factory=dict)
    # each meter's series: metric -> the unit the catalogue measures it in
    series_units: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # each meter's series: metric -> seconds between its readings
    series_seconds: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    # floor areas from the catalogue: the site's (key "") and each meter's own, in m2
    floor_areas: Mapping[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.ref.name

    @property
    def present(self) -> bool:
        """Whether the turn has a site at all (see NO_SITE)."""
        return self.ref is not NO_SITE

    def meter(self, name: str) -> MeterEntry | None:
        return self.vocab.meter(name)

    def is_total(self, name: str) -> bool:
        """A meter with sub-meters: the site's supply, a distribution board."""
        return bool(self.vocab.children(name))

    def under(self, name: str, ancestor: str) -> bool:
        """Whether `name` is fed from `ancestor`, directly or further down the tree."""
        seen: set[str] = set()
        entry = self.meter(name)
        while entry is not None and entry.parent is not None and entry.parent not in seen:
            if entry.parent == ancestor:
                return True
            seen.add(entry.parent)
            entry = self.meter(entry.parent)
        return False

    def roots(self, carrier: str | None = None) -> tuple[str, ...]:
        """The site's own totals: top meters with sub-meters (of one carrier when given), else
        the top meters of that carrier."""
        totals = [
            n for n in self.vocab.site_meters() if carrier is None or self.carrier(n) == carrier
        ]
        if totals or carrier is None:
            return tuple(totals)
        return self.tops(carrier)

    def tops(self, carrier: str) -> tuple[str, ...]:
        """Every top meter of a carrier (no parent of that carrier): the site's supplies, a
        building fed apart from the main supply included."""
        return tuple(
            m.name
            for m in self.vocab.meters
            if m.carrier == carrier and (m.parent is None or self.carrier(m.parent) != carrier)
        )

    def carrier(self, name: str) -> str:
        found = self.meter(name)
        return found.carrier if found else ""

    def with_metric(self, metric: str) -> tuple[str, ...]:
        return tuple(m.name for m in self.vocab.meters if metric in m.metrics)

    def consumers(self) -> tuple[str, ...]:
        """Meters that use energy and are not totals (what a ranking ranks)."""
        return tuple(
            m.name
            for m in self.vocab.meters
            if m.carrier in ENERGY_CARRIERS and "energy" in m.metrics and not self.is_total(m.name)
        )

    def volume_meters(self) -> tuple[str, ...]:
        """Meters with a series of a volume (m3)."""
        return tuple(
            n for n, units in self.series_units.items() if "m3" in map(_unit_key, units.values())
        )

    def has_production(self, name: str) -> bool:
        """Its SEC is defined: its own production series or a production link."""
        m = self.meter(name)
        return m is not None and ("production" in m.metrics or bool(m.production))

    @property
    def currency(self) -> str:
        electricity = self.config.tariffs.get("electricity")
        return self.vocab.currency or (electricity.currency if electricity else "")


def _unit_key(unit: str) -> str:
    return unit.strip().lower().replace("³", "3").replace(" ", "")


_CACHE: OrderedDict[tuple[object, ...], Vocabulary] = OrderedDict()
_LOCK = Lock()


_TURNS: OrderedDict[tuple[int, int, int], tuple[AnalyticsConfig, Site]] = OrderedDict()


def load_site(engine: Engine, ref: SiteRef | None, config: AnalyticsConfig) -> Site:
    """The site's vocabulary, built again only when its catalogue or calendar changed; read
    once per turn (a turn's model calls share its economics object). Without a site: a site
    of no meters (NO_SITE)."""
    if ref is None:
        return Site(NO_SITE, build_vocabulary("", ()), config)
    turn = (id(engine), ref.id, id(config))
    with _LOCK:
        seen = _TURNS.get(turn)
    if seen is not None and seen[0] is config:
        return seen[1]
    site = _load(engine, ref, config)
    with _LOCK:
        _TURNS[turn] = (config, site)
        while len(_TURNS) > CACHED:
            _TURNS.popitem(last=False)
    return site


def _load(engine: Engine, ref: SiteRef, config: AnalyticsConfig) -> Site:
    with engine.connect() as conn:
        entries = entries_from_store(conn, ref)
        profile = get_profile(conn, ref.id)
        calorific = profile.gas_calorific_value_kwh_per_m3
        areas = {m.name: m.floor_area_m2 for m in catalog.list_meters(conn, ref.id)}
        areas[""] = profile.floor_area_m2
        pairs = catalog.list_series(conn, ref.id)
        coarse = {
            meter.name: series.interval.words()
            for meter, series in pairs
            if series.metric == "energy"
            and series.interval is not None
            and not series.interval.within_day
        }
        units: dict[str, dict[str, str]] = {}
        seconds: dict[str, dict[str, int]] = {}
        for meter, series in pairs:
            units.setdefault(meter.name, {})[series.metric] = series.unit
            if series.interval is not None:
                seconds.setdefault(meter.name, {})[series.metric] = series.interval.seconds
    shifts = tuple(dict.fromkeys(s[0] for s in config.shifts))
    periods = tuple(
        dict.fromkeys(
            t.period_name(i)
            for tariffs in config.tariff_schedule.values() or [tuple(config.tariffs.values())]
            for t in tariffs
            for i in range(len(t.periods))
        )
    )
    electricity = config.tariffs.get("electricity")
    currency = electricity.currency if electricity else None
    order = site_date_order(ref.country, ref.timezone)
    key = (ref.id, ref.name, entries, shifts, periods, currency, order, ref.country, ref.region)
    with _LOCK:
        vocab = _CACHE.get(key)
        if vocab is not None:
            _CACHE.move_to_end(key)
    if vocab is None:
        vocab = build_vocabulary(
            ref.name,
            entries,
            shifts=shifts,
            tariff_periods=periods,
            currency=currency,
            date_order=order,
            country=ref.country,
            region=ref.region,
        )
        with _LOCK:
            _CACHE[key] = vocab
            while len(_CACHE) > CACHED:
                _CACHE.popitem(last=False)
    floor = {name: area for name, area in areas.items() if area}
    return Site(ref, vocab, config, calorific, coarse, units, seconds, floor)
