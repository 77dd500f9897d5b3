"""The lexicon's phrases found in a question and turned into slots: measures (resolved against
the series the site has), operations, grains, splits (with the site's own shift and tariff
period names), carriers, scope, referents, actions, intent cues and unsupported topics."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from agent.reader.lexicon import Entry, Hit, Lexicon, compile_phrases
from agent.reader.slots import (
    Action,
    ActionMention,
    CarrierMention,
    Cue,
    CurrencyMention,
    Grain,
    GrainMention,
    Kpi,
    MeasureMention,
    Op,
    OperationMention,
    Reason,
    Referent,
    Scope,
    ScopeMention,
    Split,
    SplitMention,
    UnitMention,
    UnsupportedMention,
    Words,
)
from agent.reader.text import Sheet, adjacent, joined
from agent.reader.vocabulary import ENERGY_CARRIERS as CARRIERS
from agent.reader.vocabulary import Vocabulary, pieces


@dataclass
class Lexical:
    measures: list[MeasureMention] = field(default_factory=list)
    operations: list[OperationMention] = field(default_factory=list)
    grains: list[GrainMention] = field(default_factory=list)
    splits: list[SplitMention] = field(default_factory=list)
    carriers: list[CarrierMention] = field(default_factory=list)
    scopes: list[ScopeMention] = field(default_factory=list)
    referents: list[Referent] = field(default_factory=list)
    actions: list[ActionMention] = field(default_factory=list)
    currencies: list[CurrencyMention] = field(default_factory=list)
    units: list[UnitMention] = field(default_factory=list)
    cues: list[Cue] = field(default_factory=list)
    unsupported: list[UnsupportedMention] = field(default_factory=list)
    follows: bool = False


# Tariff-period names that are plain English words too ("peak demand" is no tariff period):
# they count as one only with "tariff", "hours" or the like beside them.
PLAIN_PERIOD_WORDS = frozenset(
    {"peak", "off-peak", "offpeak", "shoulder", "night", "day", "standard", "normal", "high",
     "low", "mid", "base", "super off-peak", "winter", "summer"}
)  # fmt: skip


@lru_cache(maxsize=64)
def site_entries(
    shifts: tuple[tuple[str, ...], ...],
    tariff_periods: tuple[str, ...],
    rank: int,
    shift_words: tuple[str, ...] = ("shift",),
) -> tuple[Entry, ...]:
    """Phrases for the site's own shift and tariff-period names ("the late shift"); each shift
    as (its name, the names meaning the same), with the lexicon's words for a shift in each
    language ("Spätschicht", "turno da noite")."""
    entries = []
    word = "(?:" + "|".join(shift_words) + ")s?"
    for name, *same in shifts:
        phrases = [
            p for n in (name, *same) for p in (f"(?:the )?{n} ?{word}", f"{word} (?:d[aeo] )?{n}")
        ]
        if len(name.split()) > 1:
            # a name of several words ("segundo turno") is the site's own term: it needs no
            # "shift" beside it, unlike "late" or "early"
            phrases.append(f"(?:the )?{name}")
        pattern = compile_phrases(phrases, f"shift {name!r}")
        entries.append(Entry("split", f"shift/{name}", pattern, rank))
    for name in tariff_periods:
        phrases = [f"{name} (?:tariff|period|hours|rate|time|band)s?", f"in (?:the )?{name} tariff"]
        if name.lower() not in PLAIN_PERIOD_WORDS:
            # the site's own term ("ponta", "HT") needs no "tariff" beside it: "fell in ponta"
            phrases.append(name)
        pattern = compile_phrases(phrases, f"tariff period {name!r}")
        entries.append(Entry("split", f"tou/{name}", pattern, rank))
    return tuple(entries)


# Tables whose phrases of several words may contain a meter's word and still win over it:
# "weather-normalised" is about a baseline, even at a site with a meter called "weather".
COMPOUND_TABLES = frozenset({"cue", "metric", "unsupported", "grain"})


# "how many kWh did the line produce": a unit of energy, power, volume or time asked for is the
# quantity; the verb after it counts no goods made
UNIT_ASKED = re.compile(
    r"\bhow (?:many|much) (?:[kmg]?wh|[kmg]w|kva\w*|kvar\w*|m3|m³|cubic|lit[er]{2}s?|hours?|hrs?"
    r"|therms?|tonnes?|tons?|kg)\b",
    re.IGNORECASE,
)
OTHER_DAYS = {"weekday": "weekend", "weekend": "weekday"}
MAKING = re.compile(r"(?:make|made|makes|produced?|produces)", re.IGNORECASE)


class LexicalReader:
    def __init__(self, sheet: Sheet, lexicon: Lexicon, vocab: Vocabulary, out: Lexical) -> None:
        self.sheet = sheet
        self.lexicon = lexicon
        self.vocab = vocab
        self.out = out

    def read(self, compounds_only: bool = False) -> Lexical:
        extra = site_entries(
            tuple(self.lexicon.shift_aliases(s) for s in self.vocab.shifts),
            tuple(self.vocab.tariff_periods),
            self.lexicon.rank("split"),
            self.lexicon.shift_words,
        )
        for hit in self.lexicon.scan(self.sheet.masked(), extra):
            if compounds_only and not self._compound(hit):
                continue
            words = self.sheet.claim_span(hit.start, hit.end)
            if words.tokens:
                self._add(hit, words)
        return self.out

    def _add(self, hit: Hit, words: Words) -> None:
        out, key = self.out, hit.key
        handlers = {
            "measure": lambda: self._measure(key, words),
            "metric": lambda: self._metric(key, words),
            "operation": lambda: out.operations.append(OperationMention(Op(key), words)),
            "grain": lambda: out.grains.append(GrainMention(Grain(key), words)),
            "split": lambda: self._split(key, words),
            "carrier": lambda: out.carriers.append(
                CarrierMention(key, self.vocab.of_carrier(key), words)
            ),
            "scope": lambda: self._scope(key, words),
            "referent": lambda: out.referents.append(Referent(key, words)),
            "action": lambda: out.actions.append(ActionMention(Action(key), words)),
            "currency": lambda: out.currencies.append(CurrencyMention(key, words)),
            "unit": lambda: out.units.append(UnitMention(key, words)),
            "cue": lambda: out.cues.append(Cue(key, words)),
            "unsupported": lambda: self._unsupported(key, words),
            "follow": lambda: self._follow(words),
        }
        handlers[hit.table]()

    def _follow(self, words: Words) -> None:
        """ "and what about", "instead": a follow-up's words, kept as a cue so that they are
        accounted for, though no intent weighs them."""
        self.out.follows = True
        self.out.cues.append(Cue("follow", words))

    def _compound(self, hit: Hit) -> bool:
        """A phrase of several words that contains a word of a meter's name, but is not itself
        a name ("weather normalised", but not "outdoor temperature" where that is an alias)."""
        if hit.table not in COMPOUND_TABLES:
            return False
        indices = self.sheet.covering(hit.start, hit.end)
        tokens = [self.sheet.tokens[i] for i in indices if self.sheet.tokens[i].is_content]
        if len(tokens) < 2 or self.vocab.lookup("".join(p for t in tokens for p in pieces(t.norm))):
            return False
        return any(self.vocab.lookup("".join(pieces(t.norm))) for t in tokens)

    def _metric(self, key: str, words: Words) -> None:
        """A series metric the site measures, or an honest "no series measures it"."""
        if "production" in key.split("|") and MAKING.fullmatch(words.text):
            if UNIT_ASKED.search(self.sheet.text):
                return
        have = self.vocab.metrics
        metric = next((m for m in key.split("|") if m in have), None)
        carrier = next((c for c in key.split("|") if c in CARRIERS), None)
        if metric is not None and carrier and carrier in words.text.lower():
            # "water consumption" needs a water meter: the m3 of a gas meter are no answer
            metric = metric if self.vocab.of_carrier(carrier) else None
        if metric is None:
            topic = key.split("|")[0].replace("_", " ")
            topic = carrier if carrier and carrier in words.text.lower() else topic
            self.out.unsupported.append(UnsupportedMention(topic, Reason.NO_SERIES, words))
        else:
            self.out.measures.append(MeasureMention(words, metric=metric))

    def _measure(self, key: str, words: Words) -> None:
        """A measure, and the carrier its phrase names ("gas use")."""
        self.out.measures.append(MeasureMention(words, kpi=Kpi(key)))
        self._implied_carrier(words)

    def _scope(self, key: str, words: Words) -> None:
        """A scope, and the carrier its phrase names ("electrical sub-meters")."""
        self.out.scopes.append(ScopeMention(Scope(key), words))
        self._implied_carrier(words)

    def _implied_carrier(self, words: Words) -> None:
        text = self._carrier_compound(words.text.lower())
        for entry in self.lexicon.entries:
            if entry.table == "carrier" and entry.pattern.search(text):
                meters = self.vocab.of_carrier(entry.key)
                implied = replace(words, tokens=())  # the scope consumed the words
                self.out.carriers.append(CarrierMention(entry.key, meters, implied))
                return

    def _carrier_compound(self, text: str) -> str:
        """ "gasverbrauch": a word made of a carrier and a measure's own word is read as the
        two ("gas verbrauch"); any other text as it is."""
        if " " in text:
            return text
        for cut in range(2, len(text) - 2):
            head, tail = text[:cut], text[cut:]
            carrier = any(
                e.table == "carrier" and e.pattern.fullmatch(head) for e in self.lexicon.entries
            )
            if carrier and any(
                e.table == "measure" and e.pattern.fullmatch(tail) for e in self.lexicon.entries
            ):
                return f"{head} {tail}"
        return text

    def _split(self, key: str, words: Words) -> None:
        split, _, part = key.partition("/")
        if split == Split.WEEKDAY_WEEKEND.value and part in OTHER_DAYS and words.tokens:
            # "without the weekend", "sem fim de semana": the other days are the ones asked
            norms = [t.norm for t in self.sheet.tokens[: words.tokens[0]]]
            at = self.lexicon.negation_before(norms)
            if at is not None and self.sheet.free((at,)):
                part = OTHER_DAYS[part]
                self.sheet.claim((at,))
                words = self.sheet.words(tuple(sorted({at, *words.tokens})))
        self.out.splits.append(SplitMention(Split(split), words, part))

    def _unsupported(self, key: str, words: Words) -> None:
        reason, _, topic = key.partition("/")
        self.out.unsupported.append(UnsupportedMention(topic or reason, Reason(reason), words))


def read_lexical(
    sheet: Sheet, lexicon: Lexicon, vocab: Vocabulary, found: Lexical | None = None
) -> Lexical:
    """Every lexicon phrase of the question not already claimed, as slots (added to `found`)."""
    return LexicalReader(sheet, lexicon, vocab, found or Lexical()).read()


def read_compounds(sheet: Sheet, lexicon: Lexicon, vocab: Vocabulary) -> Lexical:
    """Before meter names are read: the lexicon's phrases that contain a meter's word."""
    return LexicalReader(sheet, lexicon, vocab, Lexical()).read(compounds_only=True)


def priced_unmeasured(lex: Lexical, question: str, stop_words: frozenset[str]) -> None:
    """ "do we pay for Blindstrom?", "reactive energy charges": a cost whose object is a
    quantity no series measures is that quantity's cost, which cannot be computed either; its
    words join that quantity's, so no cost of the meter's energy is answered in its place."""
    for measure in [m for m in lex.measures if m.kpi is Kpi.COST and m.words.tokens]:
        for i, u in enumerate(lex.unsupported):
            if u.reason is Reason.NO_SERIES and adjacent(
                measure.words, u.words, question, stop_words
            ):
                lex.measures.remove(measure)
                lex.unsupported[i] = replace(u, words=joined([u.words, measure.words], question))
                break
