"""Equipment words across languages, from equipment.yaml: a question naming a meter by what it
is in its own language ("Kältemaschine", "the furnace", "Hauptzähler") names the site's meters
whose catalogue entry says they are that equipment, in whatever language the catalogue uses."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import yaml

from agent.reader.slots import Match, MeterMention, UnknownName, Words
from agent.reader.text import adjacent, fold, joined
from agent.reader.vocabulary import MeterEntry, NameKey, _consumers, _plurals, _variants

EQUIPMENT_FILE = Path(__file__).with_name("equipment.yaml")
LANGUAGES = ("en", "de", "pt", "es", "fr")
Pieces = tuple[str, ...]


@dataclass(frozen=True)
class Concept:
    """One kind of equipment and every way of writing it (folded pieces: ("air", "compressor"))."""

    name: str
    forms: tuple[Pieces, ...]
    mass: bool = False  # "lamps", "Druckluft": the whole system, every meter of it
    includes: tuple[str, ...] = ()  # concepts whose meters are part of this one


@dataclass(frozen=True)
class Equipment:
    concepts: tuple[Concept, ...]
    head_ends: frozenset[str]


def _forms(phrases: Iterable[str]) -> tuple[Pieces, ...]:
    found: dict[Pieces, None] = {}
    for phrase in phrases:
        for words in _variants(phrase):
            if words:
                found[words] = None
    return tuple(found)


@cache
def equipment() -> Equipment:
    """The concepts of equipment.yaml, checked when loaded."""
    data = yaml.safe_load(EQUIPMENT_FILE.read_text(encoding="utf-8"))
    concepts = []
    for name, entry in data["concepts"].items():
        phrases = [p.strip() for lang in LANGUAGES for p in str(entry.get(lang, "")).split(";")]
        concepts.append(
            Concept(
                name=name,
                forms=_forms(p for p in phrases if p),
                mass=bool(entry.get("mass", False)),
                includes=tuple(entry.get("includes", ())),
            )
        )
    known = {c.name for c in concepts}
    for c in concepts:
        unknown = set(c.includes) - known
        if unknown or not c.forms:
            raise ValueError(f"equipment.yaml: concept {c.name!r} is empty or includes {unknown}")
    return Equipment(tuple(concepts), frozenset(fold(data["head_ends"]).split()))


def description_head(description: str, head_ends: frozenset[str]) -> str:
    """What a description says the meter is: its words before the first clause mark or
    preposition ("Steam generator for the corrugator" -> "Steam generator")."""
    clause = re.split(r"[,;:(]|\.(?:\s|$)", description.strip())[0]
    kept = []
    for word in clause.split():
        if fold(word) in head_ends:
            break
        kept.append(word)
    return " ".join(kept)


def _holds(words: Pieces, form: Pieces) -> bool:
    n = len(form)
    return any(words[i : i + n] == form for i in range(len(words) - n + 1))


def _with_plurals(forms: Iterable[Pieces]) -> set[Pieces]:
    return {p for f in forms for p in (f, *_plurals(f))}


def _entry_texts(meter: MeterEntry, head_ends: frozenset[str]) -> list[Pieces]:
    texts = (*meter.aliases, meter.name, *meter.groups)
    head = description_head(meter.description, head_ends)
    return [w for t in (*texts, head) for w in _variants(t) if w]


def concept_meters(meters: Sequence[MeterEntry], found: Equipment) -> dict[str, tuple[str, ...]]:
    """Each concept's meters: those whose name, alias, group or description head holds one of
    its words (the energy users among them when production counters fit as well)."""
    by_name = {m.name: m for m in meters}
    texts = {m.name: _entry_texts(m, found.head_ends) for m in meters}
    own: dict[str, list[str]] = {}
    for c in found.concepts:
        forms = _with_plurals(c.forms)
        own[c.name] = [
            m.name for m in meters if any(_holds(w, f) for w in texts[m.name] for f in forms)
        ]
    out = {}
    for c in found.concepts:
        names = [*own[c.name], *(n for i in c.includes for n in own[i])]
        if names:
            out[c.name] = _consumers(list(dict.fromkeys(names)), by_name)
    return out


def _concept_keys(concept: Concept, members: tuple[str, ...], taken: set[str]) -> Iterable[NameKey]:
    """A family of the concept's meters, even of one: followed by a number or a letter
    ("Pumpe 7") the word names a member the catalogue lacks, not that meter."""
    label = " ".join(concept.forms[0])
    for form in concept.forms:
        if "".join(form) not in taken:
            yield NameKey(form, members, Match.EQUIPMENT, label, plural=concept.mass)
        for plural in _plurals(form):
            if "".join(plural) not in taken:
                yield NameKey(plural, members, Match.EQUIPMENT, label, plural=True)


def _translations(meters: Sequence[MeterEntry], concepts: Sequence[Concept]) -> Iterable[NameKey]:
    """A name or alias holding a concept's word, with the word written in another language:
    "Linie 2" for "line 2", "Kompressor GA 55" for "Compressor GA 55"."""
    for m in meters:
        for label in (m.name, *m.aliases):
            for words in _variants(label):
                for c in concepts:
                    for form in c.forms:
                        yield from _swapped(m.name, label, words, form, c.forms)


def _swapped(
    meter: str, label: str, words: Pieces, form: Pieces, others: Sequence[Pieces]
) -> Iterable[NameKey]:
    n = len(form)
    for i in range(len(words) - n + 1):
        if words[i : i + n] != form:
            continue
        for other in others:
            if other != form:
                swapped = (*words[:i], *other, *words[i + n :])
                yield NameKey(swapped, (meter,), Match.ALIAS, label)


def equipment_keys(meters: Sequence[MeterEntry], taken: set[str]) -> list[NameKey]:
    """Keys for the equipment words of the site's meters, none spelt like a key in `taken`
    (the catalogue's own names, aliases, groups and families)."""
    found = equipment()
    by_concept = concept_meters(meters, found)
    keys: list[NameKey] = []
    for c in found.concepts:
        if c.name in by_concept:
            keys += _concept_keys(c, by_concept[c.name], taken)
    concept_words = {k.compact for k in keys}
    translated: dict[str, list[NameKey]] = {}
    for key in _translations(meters, found.concepts):
        if key.compact not in taken and key.compact not in concept_words:
            translated.setdefault(key.compact, []).append(key)
    # a translation two meters share ("line" of two names) names neither for sure: left out
    keys += [ks[0] for ks in translated.values() if len({m for k in ks for m in k.meters}) == 1]
    return keys


def equipment_notes(mentions: Sequence[MeterMention]) -> list[str]:
    """What the answer must say of meters named by an equipment word rather than a name: which
    meters the word was taken for (none when it asks back which one)."""
    notes = []
    for m in mentions:
        if m.match is not Match.EQUIPMENT or m.ambiguous:
            continue
        said = re.sub(r"['\u2019]s$", "", m.words.text)
        notes.append(
            f"No meter is named '{said}'; I took {', '.join(m.meters)}, whose catalogue entry "
            f"(name, alias, group or description) matches '{said}'."
        )
    return notes


def narrowed(
    mentions: Sequence[MeterMention], question: str, stop_words: frozenset[str]
) -> tuple[list[MeterMention], list[Words]]:
    """ "the lamps of halle 2", "Kessel Caldeira": an equipment word beside a name of one of
    its meters (nothing but stop words between) says what that meter is, not more meters; its
    words join that name's. A word for several meters (equipment, family, group) that opens
    the question as its topic ("Druckluft - what did pump 2 cost?") is no further meter when
    the question names some of them, and one for one of several ("which compressor") is none
    when the question names two or more of them: its words are returned apart, read as the
    question's context."""
    dropped: dict[int, list[MeterMention]] = {}
    labels: list[MeterMention] = []
    for m in mentions:
        if _kind_of_named(m, mentions):  # "which compressor used more, GA 55 or GA 75?"
            labels.append(m)
            continue
        if m.match is not Match.EQUIPMENT:
            if len(m.meters) > 1 and _topic(m.words, question):  # "compressors: pump 2 ..."
                labels += [m] if any(set(o.meters) < set(m.meters) for o in mentions) else []
            continue
        beside = [
            i
            for i, o in enumerate(mentions)
            if o.match is not Match.EQUIPMENT
            and set(o.meters) <= set(m.meters)
            and adjacent(m.words, o.words, question, stop_words)
        ]
        if beside:
            dropped.setdefault(beside[0], []).append(m)
        elif _topic(m.words, question) and any(
            o.match is not Match.EQUIPMENT and set(o.meters) < set(m.meters) for o in mentions
        ):
            labels.append(m)
    gone = {id(m) for ms in [*dropped.values(), labels] for m in ms}
    kept = [
        replace(m, words=joined([m.words, *(d.words for d in dropped.get(i, []))], question))
        for i, m in enumerate(mentions)
        if id(m) not in gone
    ]
    return kept, [m.words for m in labels]


def _kind_of_named(m: MeterMention, mentions: Sequence[MeterMention]) -> bool:
    """A word for one of several meters ("which compressor") where the question names two or
    more of them by name: it asks which of those, not about a further meter."""
    if not m.ambiguous or len(m.meters) < 2:
        return False
    named = {n for o in mentions if o is not m and set(o.meters) < set(m.meters) for n in o.meters}
    return len(named) >= 2


def _topic(words: Words, question: str) -> bool:
    """The words open the question and a dash, colon or comma follows them."""
    return not question[: words.start].strip() and bool(
        re.match(r"\s*[-\u2013:,]", question[words.end :])
    )


def before_unknown(
    mentions: Sequence[MeterMention], unknown: Sequence[UnknownName], question: str
) -> tuple[list[MeterMention], list[UnknownName]]:
    """ "Compressor GA 90" where GA 55 and GA 75 exist: the equipment word starts a name the
    catalogue lacks, so it names none of the compressors; its words join the unknown name."""
    kept, names = [], list(unknown)
    for m in mentions:
        after = [
            i
            for i, u in enumerate(names)
            if m.match is Match.EQUIPMENT
            and u.words.start >= m.words.end
            and not question[m.words.end : u.words.start].strip()
        ]
        if not after:
            kept.append(m)
            continue
        u = names[after[0]]
        names[after[0]] = replace(u, words=joined([m.words, u.words], question))
    return kept, names


def described_unknown(
    mentions: Sequence[MeterMention],
    unknown: Sequence[UnknownName],
    question: str,
    descriptions: dict[str, str],
    stop_words: frozenset[str],
) -> tuple[list[MeterMention], list[UnknownName]]:
    """ "the hall 2 lamps" where the lamps' catalogue description says "lamps of hall 2": a
    name the catalogue lacks, beside a meter whose description holds it, says
    which that meter is; its words join the meter's, no part of it is asked for."""
    kept, names = list(mentions), list(unknown)
    for i, m in enumerate(kept):
        if len(m.meters) != 1:
            continue
        said = fold(descriptions.get(m.meters[0], "")).lower()
        for u in list(names):
            phrase = re.escape(fold(u.words.text).lower())
            if re.search(rf"\b{phrase}\b", said) and adjacent(
                m.words, u.words, question, stop_words
            ):
                kept[i] = m = replace(m, words=joined([m.words, u.words], question))
                names.remove(u)
    return kept, names
