"""Which meters a reading is about: the names it used (a group or family as its members), a
carrier ("gas"), the site or every meter; or a question back when a name fits several meters,
or the unknown name itself, for the tool to answer with the closest names."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from agent.offline.plan import Plan, ask, refuse
from agent.offline.site import Site
from agent.reader import Reading
from agent.reader.conversation import Pending
from agent.reader.lexicon import default_lexicon
from agent.reader.slots import MeterMention, Op, Scope, UnknownName
from agent.reader.vocabulary import ENERGY_CARRIERS

# How the meters were chosen, for the answer to say so.
NAMED, SITE, CARRIER, ALL, NONE, UNKNOWN = "named", "site", "carrier", "all", "none", "unknown"


@dataclass(frozen=True)
class Sides:
    """The meters, each mention of the question kept as one side ("both presses" is one side
    of two meters; "press 1 and press 2" two sides of one)."""

    sides: tuple[tuple[str, ...], ...]
    how: str  # NAMED, SITE, CARRIER, ALL, NONE or UNKNOWN

    @property
    def meters(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m for side in self.sides for m in side))


@dataclass(frozen=True)
class Ask:
    """A question back instead of a plan: which meter, or which name was meant; or the refusal
    that says there is no such meter, on a site with no meter at all."""

    message: str
    pending: Pending | None = None
    options: tuple[str, ...] = ()
    refused: bool = False

    def plan(self) -> Plan:
        if self.refused:
            return refuse(self.message)
        return ask(self.message, pending=self.pending, options=self.options)


def _of_metric(site: Site, names: tuple[str, ...], metric: str) -> tuple[str, ...]:
    """A named meter's series of the metric asked: a weather station's temperature, a line's
    production (its own series, or the production meter linked to it)."""
    out = []
    for name in names:
        m = site.meter(name)
        if m is None or metric in m.metrics:
            out.append(name)
        elif metric == "production" and m.production:
            out.extend(m.production)
        else:
            out.append(name)
    return tuple(dict.fromkeys(out))


def _which(reading: Reading) -> Ask:
    """The question back for a name that fits several meters."""
    mention = reading.ambiguous[0]
    options = mention.meters
    return Ask(
        f"Which {mention.words.text.strip() or 'meter'} do you mean: {' or '.join(options)}? "
        "Or say 'both'." if len(options) == 2 else
        f"Which {mention.words.text.strip() or 'meter'} do you mean: {', '.join(options)}? "
        "Or say 'all'.",
        Pending.CHOICE,
        options,
    )  # fmt: skip


def _carriers_of_site(reading: Reading, site: Site, named: list[MeterMention]) -> tuple[str, ...]:
    """ "the site, electricity and gas together": with the site named and a carrier, a meter
    known by a carrier's name ("gas" for a burner) is that carrier too; the site's meters
    of each carrier named (their roots), all together."""
    said = {m.words.text.strip().lower() for m in named}
    whole = reading.site_wide or adds_up(reading)
    if not (whole and reading.carriers and said <= ENERGY_CARRIERS):
        return ()
    found: list[str] = []
    for carrier in [*(c.carrier for c in reading.carriers), *sorted(said)]:
        found += site.roots(carrier) or site.vocab.of_carrier(carrier)
    return tuple(dict.fromkeys(found))


def _named(reading: Reading, site: Site, named: list[MeterMention], metric: str) -> Sides:
    carriers = _carriers_of_site(reading, site, named)
    if carriers:
        return Sides((carriers,), CARRIER)
    included = _site_including(reading, site, named)
    if included:
        return Sides((included,), NAMED)
    found = [_of_metric(site, m.meters, metric) for m in named]
    found += _added_carriers(reading, site, found)
    # the same meter named twice ("the kiln ... the gas kiln") is one side
    return Sides(tuple(dict.fromkeys(found)), NAMED)


INCLUDED_REACH = 3  # words between "incl." and the meter it puts in ("incl. the annex's")


def _site_including(reading: Reading, site: Site, named: list[MeterMention]) -> tuple[str, ...]:
    """ "site electricity in feb incl. the admin building's own supply": the site's supplies
    of the carrier asked, with each meter named after an including word added to them (a
    meter already inside them adds nothing); () when the question says no such thing."""
    from agent.offline.kinds import kinds

    if not reading.site_wide or not named:
        return ()
    words = kinds().including_words
    for m in named:
        first = m.words.tokens[0] if m.words.tokens else 0
        before = [
            t.norm.rstrip(".") for t in reading.tokens[max(0, first - INCLUDED_REACH) : first]
        ]
        if not any(w in words for w in before):
            return ()
    carrier = reading.carriers[0].carrier if reading.carriers else "electricity"
    roots = site.roots(carrier)
    if not roots:
        return ()
    covered, below = set(roots), list(roots)
    while below:  # the roots and every meter under them
        kids = [c for b in below for c in site.vocab.children(b) if c not in covered]
        covered.update(kids)
        below = kids
    added = [n for m in named for n in m.meters if n not in covered]
    return tuple(dict.fromkeys([*roots, *added]))


def adds_up(reading: Reading) -> bool:
    """The question asks for what it names added up ("plus", "+", "together", "combined")."""
    from agent.offline.kinds import kinds

    words = kinds().joining_words
    return any(t.norm in words for t in reading.tokens)


def _added_carriers(
    reading: Reading, site: Site, found: list[tuple[str, ...]]
) -> list[tuple[str, ...]]:
    """ "the main supply + the annex plus the gas": a carrier added to named meters that
    carry none of it is that carrier's supply (its roots), one more side; a carrier the named
    meters carry ("electricity of both supplies") only says which they are."""
    if not reading.carriers or not adds_up(reading):
        return []
    have = {site.carrier(m) for side in found for m in side}
    out: list[tuple[str, ...]] = []
    for mention in reading.carriers:
        if mention.carrier in have:
            continue
        side = site.roots(mention.carrier) or site.vocab.of_carrier(mention.carrier)
        if side:
            out.append(tuple(side))
            have.add(mention.carrier)
    return out


def sides(
    reading: Reading, site: Site, metric: str = "energy", *, default_site: bool
) -> Sides | Ask:
    """The meters of the reading, as sides, or a question back."""
    reading = unplaced_as_name(reading, site)
    among = _among(reading)
    if among is not None:
        return Sides(tuple((m,) for m in _of_metric(site, among, metric)), NAMED)
    return _sides(reading, site, metric, default_site)


def _sides(reading: Reading, site: Site, metric: str, default_site: bool) -> Sides | Ask:
    if reading.ambiguous:
        return _which(reading)
    named = [m for m in reading.meters if not m.ambiguous]
    if named:
        part = _part_of_named(reading)
        return _named(reading, site, named, metric) if part is None else _no_part(part, named, site)
    if reading.unknown_names:
        return _no_such(reading.unknown_names[0], site, reading)
    if reading.carriers:
        carrier = reading.carriers[0].carrier
        roots = site.roots(carrier)
        if roots:
            return Sides((roots,), CARRIER)
        members = site.vocab.of_carrier(carrier)
        if members:
            return Sides((members,), CARRIER)
    if metric != "energy":
        with_metric = site.with_metric(metric)
        if with_metric:
            return Sides((with_metric,), NAMED)
    if reading.site_wide or default_site:
        roots = site.roots("electricity") or site.roots()
        if roots:
            return Sides((roots,), SITE)
    if reading.all_meters:
        return Sides((), ALL)
    return Sides((), NONE)


def _among(reading: Reading) -> tuple[str, ...] | None:
    """ "which pump used more?": the meters one word fits, when the question asks which
    of them wins (each a side of its own), not about one of them."""
    if not reading.asks(Op.WHICH_MORE, Op.WHICH_LESS) or len(reading.meters) != 1:
        return None
    mention = reading.meters[0]
    return mention.meters if len(mention.meters) > 1 else None


SHOWN = 12  # meters listed when a name is close to none
# "the hall lamps for Halle 3", "pump 4 in building 2": the words that put a numbered name the
# catalogue lacks as a place or part within the meter named beside it
WITHIN = frozenset({"in", "for", "at", "of", "im", "für", "fuer", "em", "no", "na"})
ARTICLES = frozenset({"the", "der", "die", "das", "dem", "o", "a"})


def _part_of_named(reading: Reading) -> UnknownName | None:
    """A numbered name the catalogue lacks, put as a place or part of a meter the question
    names ("lamps kWh for Halle 3 only"): the named meter's total would answer another
    question, so no figure is given for it."""
    for unknown in reading.unknown_names:
        tokens = unknown.words.tokens
        if not tokens or not reading.tokens[tokens[-1]].norm.isdigit():
            continue
        before = [t.norm for t in reading.tokens[: tokens[0]] if t.is_content]
        if before and before[-1] in ARTICLES:
            before.pop()
        if before and before[-1] in WITHIN:
            return unknown
    return None


def _no_part(unknown: UnknownName, named: list[MeterMention], site: Site) -> Ask:
    meters = _listed(tuple(dict.fromkeys(m for n in named for m in n.meters)))
    where = f" at {site.name}" if site.name else ""
    return Ask(
        f"There is no meter '{unknown.words.text}'{where}: {meters} is metered as a whole, "
        f"with no sub-meter of its own for '{unknown.words.text}', so I have no figure for "
        f"that part alone. Ask for {meters} alone for the whole meter's figure.",
        refused=True,
    )


def _no_such(unknown: UnknownName, site: Site, reading: Reading) -> Ask:
    """A name the catalogue lacks, before any figure (a guess at the nearest meter would
    answer another question): another member of a family the site meters ("press 3" beside
    press 1 and 2, a press the site does not meter), refused naming the members there are;
    close to some meters, asked back naming them; close to none ("the dryer"), asked back
    listing the meters there are (the user meant some meter; the answer to "which one?" goes
    on with the question)."""
    question = reading.question
    end = unknown.words.end
    while end < len(question) and question[end].isalnum():
        end += 1  # "Pump K3" as written, where the name's words stop at "Pump K"
    start = unknown.words.start
    first = unknown.words.tokens[0] if unknown.words.tokens else None
    for u in reading.unused:
        # "press line 3": a word not placed right before the name is the name's first word
        if first is not None and u.words.tokens and u.words.tokens[-1] + 1 == first:
            start = u.words.start
    name = question[unknown.words.start : end].strip() or unknown.words.text.strip()
    written = question[start:end].strip() or name
    options = unknown.suggestions[:3]
    where = f" at {site.name}" if site.name else ""
    said = f"There is no meter '{written}'{where}, so I have no figures for it."
    family = site.vocab.siblings(name)
    if family:
        return Ask(f"{said} The meters named like it are {_listed(family)}.", refused=True)
    if options:
        choice = " or ".join(options) if len(options) < 3 else ", ".join(options)
        return Ask(f"{said} Did you mean {choice}?", Pending.CHOICE, options)
    names = [m.name for m in site.vocab.meters]
    if not site.present:  # no site chosen: the turn says which sites there are instead
        return Ask(said, Pending.CHOICE)
    if not names:
        return Ask(said, refused=True)
    more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    listed = f" The meters here are {', '.join(names[:SHOWN])}{more}."
    return Ask(f"{said}{listed} Which one did you mean?", Pending.CHOICE, tuple(names[:SHOWN]))


def _listed(names: tuple[str, ...]) -> str:
    """ "A", "A and B", "A, B and C"."""
    return " and ".join(filter(None, [", ".join(names[:-1]), names[-1]]))


def unplaced_as_name(reading: Reading, site: Site) -> Reading:
    """A question that names nothing it is about but holds a word the reader could not place
    ("how much did the dryer use?"): that word taken as a meter the catalogue lacks, so the
    answer names the closest meters instead of ranking or totalling the whole site."""
    if reading.names_scope or reading.all_meters or not reading.unused:
        return reading
    first, *rest = reading.unused
    unknown = UnknownName(first.words, site.vocab.closest(first.text))
    return replace(reading, unknown_names=(unknown,), unused=tuple(rest))


def site_note(reading: Reading, found: Sides, site: Site | None = None) -> tuple[str, ...]:
    """What the answer must say when it chose the meters itself: the site's total it took,
    and any supply of the same carrier fed apart from it, which that total leaves out."""
    notes: list[str] = []
    if found.how == SITE and not reading.site_wide and not reading.inherited & {"meters", "scopes"}:
        notes.append(f"No meter was named, so this is the whole site ({', '.join(found.meters)}).")
    if site is not None and found.how in (SITE, CARRIER) and found.meters:
        carrier = site.carrier(found.meters[0])
        apart = [m for m in site.tops(carrier) if m not in found.meters]
        if apart:
            notes.append(
                f"{', '.join(found.meters)} is the main {carrier} supply; {', '.join(apart)} "
                "has a supply of its own and is not included: name it to add it."
            )
    return tuple(notes)


def unranked_boards(r: Reading, site: Site) -> tuple[Reading, tuple[str, ...]]:
    """A ranking that says "not the QGBT boards": meters named after a negation that have
    sub-meters are what a ranking of end meters leaves out anyway, so the mention is dropped
    (and returned, for the answer to say so) instead of being asked about."""
    kept, dropped = [], []
    said: set[int] = set()
    for m in r.meters:
        first = m.words.tokens[0] if m.words.tokens else None
        negation = None
        if first is not None:
            negation = default_lexicon().negation_before([t.norm for t in r.tokens[:first]])
        boards = all(site.vocab.children(n) for n in m.meters)
        if first is not None and negation is not None and boards:
            dropped += list(m.meters)
            # "not counting the ... board": the words around the name are read with it
            said.update(range(negation, first), (m.words.tokens[-1] + 1,))
        else:
            kept.append(m)
    if not dropped:
        return r, ()
    unused = tuple(u for u in r.unused if not set(u.words.tokens) <= said)
    return replace(r, meters=tuple(kept), unused=unused), tuple(dict.fromkeys(dropped))


def site_spelled_out(r: Reading) -> tuple[Reading, tuple[str, ...]]:
    """ "the biggest consumer, and what % is it of the site's total (A + B)?": meters named in
    brackets after the site say what the site's total is, not what is ranked; the mention is
    dropped from the ranking (and returned, for the answer to say so)."""
    site = next((s for s in r.scopes if s.scope is Scope.SITE), None)
    if site is None or not r.meters or not (r.asks(Op.RANK) or r.top):
        return r, ()
    opened = r.question.find("(", site.words.end)
    closed = r.question.find(")", opened)
    if opened < 0 or r.question[site.words.end : opened].strip(" ,:-") not in ("", "electricity"):
        return r, ()
    inside = all(opened < m.words.start and m.words.end <= closed for m in r.meters)
    if not inside or closed < 0:
        return r, ()
    return replace(r, meters=()), r.meter_names


JOINERS = frozenset({"+", "plus"})


def joined_sides(r: Reading, found: Sides) -> Sides:
    """ "cabine + escritórios vs caldeira": meters written with a plus between them are one
    side of a comparison, each side added up; other sides stay as named."""
    if found.how != NAMED or len(found.sides) != len(r.meters) or len(r.meters) < 3:
        return found
    groups: list[list[str]] = []
    previous: int | None = None
    for mention, side in zip(r.meters, found.sides, strict=True):
        first = mention.words.tokens[0] if mention.words.tokens else None
        known = previous is not None and first is not None
        between = [t.norm for t in r.tokens[(previous or 0) + 1 : first]] if known else []
        words = [w for w in between if w not in ("(", ")")]
        if groups and words and all(w in JOINERS for w in words):
            groups[-1] += [m for m in side if m not in groups[-1]]
        else:
            groups.append(list(side))
        previous = mention.words.tokens[-1] if mention.words.tokens else None
    if len(groups) < 2:
        return found  # everything added up leaves nothing to compare
    return Sides(tuple(tuple(g) for g in groups), found.how)


def every_sub_meter(reading: Reading) -> bool:
    """ "minus its sub-meters", "what all the sub-meters see": every sub-meter of a meter, not
    only the ones named; "minus the cooling sub-meter" is the one named (a word for all meters
    said of one meter, or plural after a name, names no others)."""
    for s in reading.scopes:
        said = s.words.text.lower()
        if s.scope is not Scope.ALL_METERS:
            continue
        before = reading.question[: s.words.start].lower()
        if re.search(r"\b(?:all|every|each|any)\b", said) or (
            said.endswith("s") and re.search(r"\b(?:its|the|all|their|of)\s+$", before)
        ):
            return True
    # "not seen by any of its sub-meters (X, Y)": the remainder's own words say every one
    return any(
        o.op is Op.REMAINDER and EVERY_SUB.search(o.words.text.lower()) for o in reading.operations
    )


EVERY_SUB = re.compile(r"\b(?:all|every|each|any|its|their)\b.*\bsub[\s-]?meters\b")
