"""The site's own words for the reader, built from its catalogue: meters with their aliases,
carriers, parents, groups and series; the families their names share ("pump" for
"pump-1" and "pump-2"); the site's shift and tariff-period names."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from rapidfuzz import fuzz, process
from sqlalchemy import Connection

from agent.reader.dates import site_date_order
from agent.reader.slots import Match
from agent.reader.text import fold, transliterate
from common.errors import EMSError
from store import catalog
from store.catalog import SiteRef

# Kinds that measure what a site uses; production counters and weather stations are drivers.
ENERGY_CARRIERS = frozenset({"electricity", "gas", "water", "heat", "steam", "compressed_air"})


class InvalidVocabulary(EMSError):
    """A catalogue the reader cannot use as given (a duplicate name, an unknown member)."""


@dataclass(frozen=True)
class MeterEntry:
    name: str
    carrier: str
    unit: str = "kWh"
    aliases: tuple[str, ...] = ()
    parent: str | None = None
    groups: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ("energy",)
    production: tuple[str, ...] = ()  # meters whose production series measure its output
    description: str = ""


@dataclass(frozen=True)
class NameKey:
    """One way of naming meters: a name, an alias, a group or a family word."""

    pieces: tuple[str, ...]  # folded letters-or-digits runs: ("pump", "2")
    meters: tuple[str, ...]
    match: Match
    label: str  # as the catalogue writes it
    plural: bool = False  # "pumps": every member, no question back
    initial: bool = False  # the first word of one meter's name alone ("cabine")

    @property
    def compact(self) -> str:
        return "".join(self.pieces)


def pieces(text: str) -> tuple[str, ...]:
    """Runs of letters or of digits: "Pump-2" -> ("pump", "2"), "pump2" too."""
    return tuple(re.findall(r"[^\W\d_]+|\d+", fold(text)))


def _variants(text: str) -> set[tuple[str, ...]]:
    return {pieces(text), tuple(re.findall(r"[^\W\d_]+|\d+", transliterate(text)))}


def _plurals(words: tuple[str, ...]) -> list[tuple[str, ...]]:
    last = words[-1]
    if last.isdigit():
        return []
    forms = [last + "s", last + "es", last + "en", last + "n"]  # "Kompressoren", "Linien"
    if last.endswith("y"):
        forms.append(last[:-1] + "ies")
    return [(*words[:-1], form) for form in forms]


def _singular(words: tuple[str, ...]) -> tuple[str, ...] | None:
    last = words[-1]
    if len(last) > 3 and last.endswith("s") and not last.endswith("ss"):
        return (*words[:-1], last[:-1])
    return None


# The first word of a longer name is a family word from this length ("compressor", not "ga").
HEAD_WORD = 4


def _stems(words: tuple[str, ...]) -> Iterable[tuple[str, ...]]:
    """The starts of a name that a family may share: what is left before a number, a letter or
    one last word ("linie" of "Linie 2", "kompressor" of "Kompressor Nord"), and the first word
    of a longer name ("compressor" of "Compressor GA 55" and "Compressor GA 75": "the two
    compressors")."""
    for cut in range(1, len(words)):
        stem, rest = words[:cut], words[cut:]
        if stem[-1].isdigit() or len(stem[-1]) < 3:
            continue
        distinguisher = rest[0].isdigit() or len(rest[0]) == 1
        if len(rest) == 1 or (len(rest) == 2 and distinguisher):
            yield stem
        elif cut == 1 and len(stem[0]) >= HEAD_WORD:
            yield stem


@dataclass(frozen=True)
class Vocabulary:
    """What the reader knows of one site. Build it with `build_vocabulary`."""

    site: str
    meters: tuple[MeterEntry, ...]
    shifts: tuple[str, ...] = ()
    tariff_periods: tuple[str, ...] = ()
    currency: str | None = None
    fiscal_year_start: int = 1  # month; 1 when the catalogue names none
    date_order: str | None = None  # "dmy" or "mdy" as the site writes dates; None: unknown
    # where the site is, for its public holidays by name ("on Independence Day")
    country: str | None = None
    region: str | None = None
    keys: tuple[NameKey, ...] = field(default=(), compare=False)
    _by_compact: Mapping[str, tuple[NameKey, ...]] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, repr=False
    )

    def meter(self, name: str) -> MeterEntry | None:
        return next((m for m in self.meters if m.name == name), None)

    def lookup(self, compact: str) -> tuple[NameKey, ...]:
        return self._by_compact.get(compact, ())

    def children(self, name: str) -> tuple[str, ...]:
        return tuple(m.name for m in self.meters if m.parent == name)

    def of_carrier(self, carrier: str) -> tuple[str, ...]:
        return tuple(m.name for m in self.meters if m.carrier == carrier)

    @property
    def carriers(self) -> frozenset[str]:
        return frozenset(m.carrier for m in self.meters)

    @property
    def metrics(self) -> frozenset[str]:
        return frozenset(x for m in self.meters for x in m.metrics)

    def site_meters(self) -> tuple[str, ...]:
        """Roots of the tree that have sub-meters: the site's own totals, one per carrier."""
        parents = {m.parent for m in self.meters if m.parent}
        return tuple(m.name for m in self.meters if m.parent is None and m.name in parents)

    @property
    def max_pieces(self) -> int:
        return max((len(k.pieces) for k in self.keys), default=1)

    def closest(self, text: str, limit: int = 3) -> tuple[str, ...]:
        """Meter names whose name or alias is nearest to `text`, for "did you mean ...?"."""
        choices = {k.compact: k for k in self.keys if k.match in (Match.NAME, Match.ALIAS)}
        found = process.extract(
            "".join(pieces(text)), list(choices), scorer=fuzz.ratio, limit=limit * 2
        )
        names = [m for c, score, _ in found if score >= 50 for m in choices[c].meters]
        return tuple(dict.fromkeys(names))[:limit]

    def siblings(self, text: str) -> tuple[str, ...]:
        """Meters named like `text` but for its last number or letter ("press C" beside press
        A and press B, "Linha 5" beside Linha 3 and Linha 4): the family the site meters, of
        which `text` is a member it does not meter, not a misspelling of one."""
        words = pieces(text)
        if len(words) < 2 or not _identifier(words[-1]):
            return ()
        stem = "".join(words[:-1])  # spelt within a small edit distance: "compresor 9"
        found = [
            m
            for k in self.keys
            if k.match in (Match.NAME, Match.ALIAS)
            and len(k.pieces) == len(words)
            and fuzz.ratio("".join(k.pieces[:-1]), stem) >= 85
            and _identifier(k.pieces[-1])
            and k.pieces[-1] != words[-1]
            for m in k.meters
        ]
        return tuple(dict.fromkeys(found))

    def fuzzy(self, compact: str, cutoff: float = 85.0) -> tuple[NameKey, float] | None:
        """The name or alias within a small edit distance, with the same digits."""
        digits = re.findall(r"\d+", compact)
        choices = [
            k.compact
            for k in self.keys
            if (
                k.match not in (Match.FAMILY, Match.EQUIPMENT) or (k.plural and len(k.compact) >= 6)
            )
            and re.findall(r"\d+", k.compact) == digits
        ]
        best = process.extractOne(compact, choices, scorer=fuzz.ratio, score_cutoff=cutoff)
        if best is None:
            return None
        return self._by_compact[best[0]][0], float(best[1])


def _identifier(piece: str) -> bool:
    """The part of a name that tells members of a family apart: a number or one letter."""
    return piece.isdigit() or len(piece) == 1


def _consumers(members: Sequence[str], by_name: Mapping[str, MeterEntry]) -> tuple[str, ...]:
    """A family word means the meters that use energy when it also names driver meters
    (the production counters "press a output" beside "press a")."""
    energy = [m for m in members if by_name[m].carrier in ENERGY_CARRIERS]
    return tuple(energy or members)


def _name_keys(meters: Sequence[MeterEntry]) -> list[NameKey]:
    keys = []
    for m in meters:
        for words in _variants(m.name):
            if words:
                keys.append(NameKey(words, (m.name,), Match.NAME, m.name))
        for alias in m.aliases:
            for words in _variants(alias):
                if words:
                    keys.append(NameKey(words, (m.name,), Match.ALIAS, alias))
    return keys


def _group_keys(groups: Mapping[str, Sequence[str]]) -> list[NameKey]:
    keys = []
    for group, members in groups.items():
        for words in _variants(group):
            if not words:
                continue
            forms = [words, *_plurals(words)]
            keys += [NameKey(f, tuple(members), Match.GROUP, group, plural=True) for f in forms]
            singular = _singular(words)
            if singular:
                # "the compressor" of the group "compressors": one of them, which?
                keys.append(NameKey(singular, tuple(members), Match.GROUP, group, plural=False))
    return keys


def _family_keys(meters: Sequence[MeterEntry], taken: set[str]) -> list[NameKey]:
    by_name = {m.name: m for m in meters}
    families: dict[tuple[str, ...], list[str]] = {}
    for m in meters:
        for label in (m.name, *m.aliases):
            for words in _variants(label):
                for stem in _stems(words):
                    families.setdefault(stem, []).append(m.name)
                if len(words) == 1:
                    families.setdefault(words, []).append(m.name)
    keys = []
    for stem, found in families.items():
        members = _consumers(list(dict.fromkeys(found)), by_name)
        if len(members) < 2:
            continue
        label = " ".join(stem)
        if "".join(stem) not in taken:
            keys.append(NameKey(stem, members, Match.FAMILY, label))
        keys += [NameKey(p, members, Match.FAMILY, label, plural=True) for p in _plurals(stem)]
    return [k for k in keys if k.compact not in taken or k.plural]


def _initial_keys(meters: Sequence[MeterEntry], taken: set[str]) -> list[NameKey]:
    """The first word of a name that goes on with words ("cabine" of "Cabine Primária"), when no
    other meter's name or alias starts with it. A name going on with a number or a letter
    ("pump 2") is one of a numbered series, so its first word alone names none of it."""
    starts: dict[str, set[str]] = {}
    for m in meters:
        for label in (m.name, *m.aliases):
            for words in _variants(label):
                if words:
                    starts.setdefault(words[0], set()).add(m.name)
    keys = []
    for m in meters:
        for words in _variants(m.name):
            if len(words) < 2 or words[0].isdigit() or len(words[0]) < 4:
                continue
            if words[1].isdigit() or len(words[1]) == 1:
                continue
            if starts.get(words[0]) == {m.name} and words[0] not in taken:
                keys.append(NameKey(words[:1], (m.name,), Match.ALIAS, m.name, initial=True))
    return keys


def _check_calendar(fiscal_year_start: int, date_order: str | None) -> None:
    if not 1 <= fiscal_year_start <= 12:
        raise InvalidVocabulary(f"fiscal year start {fiscal_year_start} is not a month (1-12)")
    if date_order not in (None, "dmy", "mdy"):
        raise InvalidVocabulary(f"date order {date_order!r} is neither 'dmy' nor 'mdy'")


def build_vocabulary(
    site: str,
    meters: Iterable[MeterEntry],
    *,
    groups: Mapping[str, Iterable[str]] | None = None,
    shifts: Iterable[str] = (),
    tariff_periods: Iterable[str] = (),
    currency: str | None = None,
    fiscal_year_start: int = 1,
    date_order: str | None = None,
    country: str | None = None,
    region: str | None = None,
) -> Vocabulary:
    """The reader's vocabulary of a site. Groups are the meters' own `groups` plus `groups`;
    `date_order` ("dmy", "mdy") is how the site writes dates in numbers, if known; `country`
    and `region` name its public holidays."""
    entries = tuple(meters)
    by_name: dict[str, MeterEntry] = {}
    for m in entries:
        if m.name in by_name:
            raise InvalidVocabulary(f"the catalogue names meter {m.name!r} twice")
        by_name[m.name] = m
    for m in entries:
        if m.parent is not None and m.parent not in by_name:
            raise InvalidVocabulary(f"meter {m.name!r}: its parent {m.parent!r} is not a meter")
    members: dict[str, list[str]] = {}
    for m in entries:
        for g in m.groups:
            members.setdefault(g, []).append(m.name)
    for g, names in (groups or {}).items():
        for name in names:
            if name not in by_name:
                raise InvalidVocabulary(f"group {g!r}: no meter named {name!r}")
            members.setdefault(g, []).append(name)
    _check_calendar(fiscal_year_start, date_order)
    named = _name_keys(entries) + _group_keys(
        {g: list(dict.fromkeys(n)) for g, n in members.items()}
    )
    families = _family_keys(entries, {k.compact for k in named})
    taken = {k.compact for k in (*named, *families)}
    keys = named + families + _initial_keys(entries, taken)
    from agent.reader.equipment import equipment_keys  # it builds on this module's keys

    keys += equipment_keys(entries, {k.compact for k in keys})
    index: dict[str, list[NameKey]] = {}
    for key in keys:
        index.setdefault(key.compact, []).append(key)
    return Vocabulary(
        site=site,
        meters=entries,
        shifts=tuple(s.lower() for s in shifts),
        tariff_periods=tuple(p.lower() for p in tariff_periods),
        currency=currency,
        fiscal_year_start=fiscal_year_start,
        date_order=date_order,
        country=country,
        region=region,
        keys=tuple(keys),
        _by_compact=MappingProxyType({c: tuple(ks) for c, ks in index.items()}),
    )


def entries_from_store(conn: Connection, site: SiteRef) -> tuple[MeterEntry, ...]:
    """The site's meters as the catalogue declares them: carrier, unit, aliases, parent,
    groups, series and production links."""
    refs = catalog.list_meters(conn, site.id)
    names = {m.id: m.name for m in refs}
    metrics: dict[int, list[str]] = {}
    for meter, series in catalog.list_series(conn, site.id):
        metrics.setdefault(meter.id, []).append(series.metric)
    links = catalog.production_links(conn, site.id)
    return tuple(
        MeterEntry(
            name=m.name,
            carrier=m.kind,
            unit=m.unit,
            aliases=tuple(m.aliases),
            parent=names.get(m.parent_id) if m.parent_id is not None else None,
            groups=tuple(m.groups),
            metrics=tuple(metrics.get(m.id, ())),
            production=tuple(names[i] for i in links.get(m.id, ()) if i in names),
            description=m.description or "",
        )
        for m in refs
    )


def calendar_words(
    conn: Connection, site: SiteRef
) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
    """The site's shift names, tariff-period names and currency, from its catalogue's profile."""
    from store.profile import get_profile

    profile = get_profile(conn, site.id)
    shifts = tuple(dict.fromkeys(s.name for s in profile.shifts or ()))
    periods = tuple(dict.fromkeys(p.name for t in profile.tariffs for p in t.periods))
    return shifts, periods, profile.currency


def vocabulary_from_store(
    conn: Connection,
    site: SiteRef,
    *,
    shifts: Iterable[str] = (),
    tariff_periods: Iterable[str] = (),
    fiscal_year_start: int = 1,
) -> Vocabulary:
    """The vocabulary of a stored site: meters, aliases, carriers, tree, groups, series and
    production links from the catalogue; shift and tariff-period names and the currency from
    its profile, with `shifts` and `tariff_periods` added (names the tools use by default)."""
    own_shifts, own_periods, currency = calendar_words(conn, site)
    return build_vocabulary(
        site.name,
        entries_from_store(conn, site),
        shifts=dict.fromkeys([*own_shifts, *shifts]),
        tariff_periods=dict.fromkeys([*own_periods, *tariff_periods]),
        currency=currency,
        fiscal_year_start=fiscal_year_start,
        date_order=site_date_order(site.country, site.timezone),
        country=site.country,
        region=site.region,
    )
