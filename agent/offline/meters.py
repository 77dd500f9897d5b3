"""Finding the meters a question names: by name, alias or a close misspelling, telling apart
"the compressor" (which one?) from "the compressors" (all of them)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz
from sqlalchemy import Engine

from store import catalog
from store.catalog import SiteRef

# Words that name the whole site; they point at the utility (top-level) meter.
SITE_WORDS = re.compile(
    r"\b(?:whole site|the site|site total|site-wide|sitewide|whole plant|the plant|plant total|"
    r"whole factory|the factory|our site|overall|total consumption|total energy|in total|"
    r"the building|whole building|main meter|utility meter|grid connection|we use|we used|"
    r"did we|do we|are we|were we|our consumption|our energy|our demand|our peak|our bill)\b"
)
PLURAL_HINT = re.compile(r"\b(?:all|both|each|every|the two|together|combined)\b")


@dataclass(frozen=True)
class MeterInfo:
    name: str
    kind: str
    unit: str
    aliases: tuple[str, ...]
    description: str
    metrics: tuple[str, ...]
    is_total: bool  # has sub-meters (the main incomer)
    is_root: bool
    stem: str  # name without its number or letter: "compressor" for compressor-2


@dataclass
class Catalogue:
    """The site's meters as the question finder sees them, loaded once per question."""

    site: SiteRef | None
    meters: list[MeterInfo]
    _keys: list[tuple[str, MeterInfo]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for m in self.meters:
            for key in {normal(m.name), *(normal(a) for a in m.aliases)}:
                self._keys.append((key, m))
                compact = key.replace(" ", "")
                if compact != key:
                    self._keys.append((compact, m))
        self._keys.sort(key=lambda kv: -len(kv[0]))

    def by_name(self, name: str) -> MeterInfo | None:
        return next((m for m in self.meters if m.name == name), None)

    def site_meter(self) -> MeterInfo | None:
        """The meter that stands for the whole site: the electrical root with sub-meters."""
        roots = [m for m in self.meters if m.is_total and m.is_root]
        elec = [m for m in roots if m.kind == "electricity"]
        return next(iter(elec or roots), None)

    def with_metric(self, metric: str) -> list[MeterInfo]:
        return [m for m in self.meters if metric in m.metrics]


def load_catalogue(engine: Engine, site: SiteRef | None) -> Catalogue:
    if site is None:  # a turn without a site knows no meters
        return Catalogue(None, [])
    with engine.connect() as conn:
        meters = catalog.list_meters(conn, site.id)
        series = catalog.list_series(conn, site.id)
    metrics: dict[int, list[str]] = {}
    for m, s in series:
        metrics.setdefault(m.id, []).append(s.metric)
    parents = {m.parent_id for m in meters if m.parent_id is not None}
    infos = [
        MeterInfo(
            name=m.name,
            kind=m.kind,
            unit=m.unit,
            aliases=m.aliases,
            description=m.description or "",
            metrics=tuple(metrics.get(m.id, ())),
            is_total=m.id in parents,
            is_root=m.parent_id is None,
            stem=_stem(m.name),
        )
        for m in meters
    ]
    return Catalogue(site, infos)


def normal(text: str) -> str:
    """Lower case, possessives dropped, separators as single spaces: "Line-A's" -> "line a"."""
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"'s\b", "", text)
    text = re.sub(r"[-_/#.,;:!?()\"'\[\]]+", " ", text)
    text = re.sub(r"\bno\s+(?=\d)", "", text)
    # "compressor two" is compressor-2
    text = re.sub(
        r"\b([a-z]{3,}) (one|two|three|four|five|six|seven|eight|nine)\b",
        lambda m: f"{m.group(1)} {NUMBERS[m.group(2)]}",
        text,
    )
    return " ".join(text.split())


NUMBERS = {
    w: str(i) for i, w in enumerate("one two three four five six seven eight nine".split(), 1)
}


def _stem(name: str) -> str:
    return re.sub(r"[\s-]+(?:\d+|[a-z])$", "", name.lower()).replace("-", " ").strip()


@dataclass(frozen=True)
class MeterMatch:
    meters: tuple[str, ...]
    ambiguous: tuple[str, ...] = ()  # a singular name that fits several meters
    word: str = ""  # what the question said, for asking back


def find_meters(question: str, cat: Catalogue) -> MeterMatch:
    """The meters named in the question, in order of mention."""
    text = f" {normal(question)} "
    found: list[tuple[int, str]] = []
    taken = [False] * len(text)
    for key, meter in cat._keys:
        for m in re.finditer(rf"(?<=\s){re.escape(key)}(?=\s)", text):
            if any(taken[m.start() : m.end()]):
                continue
            found.append((m.start(), meter.name))
            for i in range(m.start(), m.end()):
                taken[i] = True
    masked = "".join(" " if t else c for c, t in zip(text, taken, strict=True))
    found += _fuzzy(masked, cat)
    group = _groups(masked, cat)
    names = _unique(n for _, n in sorted(found))
    if group is not None:
        word, members, plural = group
        if plural or PLURAL_HINT.search(text):
            names = _unique([*names, *members])
        elif not names:
            return MeterMatch((), tuple(members), word)
    return MeterMatch(tuple(names))


def _unique(names: object) -> list[str]:
    out: list[str] = []
    for n in names:  # type: ignore[attr-defined]
        if n not in out:
            out.append(n)
    return out


def _fuzzy(text: str, cat: Catalogue) -> list[tuple[int, str]]:
    """Misspelt names ("compresor 2", "chiler"): close in spelling, same digits."""
    words = [(m.start(), m.group()) for m in re.finditer(r"\S+", text)]
    out = []
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            chunk = " ".join(w for _, w in words[i : i + size])
            if len(chunk) < 5:
                continue
            for key, meter in cat._keys:
                if len(key) < 5 or re.findall(r"\d+", key) != re.findall(r"\d+", chunk):
                    continue
                if fuzz.ratio(chunk, key) >= 86:
                    out.append((words[i][0], meter.name))
                    break
    return out


def _groups(text: str, cat: Catalogue) -> tuple[str, list[str], bool] | None:
    """A family word ("compressor", "lines", "air compressors") naming several meters."""
    stems: dict[str, list[str]] = {}
    for m in cat.meters:
        if m.stem and m.stem != m.name.replace("-", " "):
            stems.setdefault(m.stem, []).append(m.name)
        for alias in m.aliases:
            short = re.fullmatch(r"([a-z]{3,})\s?\d+", alias)
            if short and short.group(1) != m.stem:
                stems.setdefault(short.group(1), []).append(m.name)
    for stem, members in stems.items():
        if len(members) < 2:
            continue
        hit = re.search(rf"\b(?:air )?{re.escape(stem)}(s|es)?\b", text)
        if hit:
            members = [n for n in members if not n.endswith(("-output", "output"))]
            return stem, members, bool(hit.group(1))
    if re.search(r"\bcompressed air\b", text):
        members = [m.name for m in cat.meters if m.stem == "compressor"]
        if members:
            return "compressed air", members, True
    return None
