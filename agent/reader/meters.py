"""Finding the meters a question names: by name or alias (spelt with or without dashes and
spaces, "pump two" as "pump 2"), by a catalogue group or a family word shared by
several names ("both pumps", "the two presses"), or by a close misspelling."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from agent.reader.lexicon import Lexicon
from agent.reader.slots import Match, MeterMention, UnknownName, Words
from agent.reader.text import Kind, Sheet, Token, fold
from agent.reader.vocabulary import NameKey, Vocabulary, pieces

# Punctuation that may sit inside a written name: "pump-2", "AHU_3", "P/101", "press #2".
GLUE = frozenset("-_/.#")
# the words that ask which of several: a family word right after one means all of them
WHICH = frozenset({"which", "qual", "quais", "welcher", "welche", "welches", "welchem", "welchen"})
QUANTIFIERS = (
    ("all", "of", "the"),
    ("both", "of", "the"),
    ("the", "two"),
    ("the", "three"),
    ("all", "the"),
    ("both", "the"),
    ("all", "three"),
    ("both",),
    ("all",),
    ("each",),
    ("every",),
)
ORDER = {Match.NAME: 0, Match.ALIAS: 1, Match.GROUP: 2, Match.FAMILY: 3, Match.EQUIPMENT: 4}
# Words naming meters as a kind: one word for several ("the pump": which one?)
KINDS = (Match.FAMILY, Match.GROUP, Match.EQUIPMENT)
FUZZY_CUTOFF = 85.0


@dataclass(frozen=True)
class Window:
    tokens: tuple[int, ...]  # every token of the window, glue included
    compact: str


@dataclass
class MeterFinding:
    mentions: list[MeterMention]
    unknown: list[UnknownName]


class MeterReader:
    """Reads meter names off a sheet, claiming the tokens it uses."""

    def __init__(self, sheet: Sheet, vocab: Vocabulary, lexicon: Lexicon) -> None:
        self.sheet = sheet
        self.vocab = vocab
        self.lexicon = lexicon
        self.numbers = lexicon.number_words
        self.found: list[tuple[int, MeterMention]] = []
        self.unknown: list[UnknownName] = []

    def read(self) -> MeterFinding:
        if self.vocab.keys:
            self._exact()
            self._tails()
            self._fuzzy()
            self._siblings()
        self.found.sort(key=lambda f: f[0])
        found = _named_before(self._heads([m for _, m in self.found]), self.sheet.question)
        found = _asked_which(found, self.sheet)
        return MeterFinding(found, self.unknown)

    # ------------------------------------------------------------------ windows

    def _piece(self, token: Token, previous: Token | None) -> str:
        """A token's part of a compact name; number words after a word become digits."""
        word = fold(token.norm)
        if word in self.numbers and previous is not None and previous.kind is Kind.WORD:
            return str(self.numbers[word])
        return "".join(pieces(word))

    def _window(self, start: int, size: int) -> Window | None:
        """`size` name tokens from `start`, glue between them allowed; None if it runs out."""
        tokens = self.sheet.tokens
        chosen: list[int] = []
        parts: list[str] = []
        i, previous = start, None
        while i < len(tokens) and len(parts) < size:
            t = tokens[i]
            if self.sheet.claimed[i]:
                return None
            if t.kind in (Kind.WORD, Kind.NUMBER):
                parts.append(self._piece(t, previous))
                chosen.append(i)
                previous = t
            elif t.text in GLUE and t.glued and parts and i + 1 < len(tokens):
                chosen.append(i)
            else:
                return None
            i += 1
        if len(parts) < size or not "".join(parts):
            return None
        return Window(tuple(chosen), "".join(parts))

    # ------------------------------------------------------------------ passes

    def _exact(self) -> None:
        i = 0
        while i < len(self.sheet.tokens):
            i = self._exact_at(i)

    def _exact_at(self, i: int) -> int:
        for size in range(self.vocab.max_pieces + 1, 0, -1):
            window = self._window(i, size)
            if window is None:
                continue
            keys = self.vocab.lookup(window.compact)
            if not keys:
                continue
            key = _best(keys)
            if key.initial and self._ordinary(window):
                continue
            if self._unknown_member(key, window):
                return window.tokens[-1] + 2
            self._add(window.tokens, key, 100.0)
            return window.tokens[-1] + 1
        return i + 1

    def _ordinary(self, window: Window) -> bool:
        """A word the lexicon reads ("main", "central") names no meter by its first word alone."""
        return any(self.sheet.tokens[j].norm in self.lexicon.known_words for j in window.tokens)

    def _unknown_member(self, key: NameKey, window: Window, *, misspelt: bool = False) -> bool:
        """ "pump 3" where only 1 and 2 exist: a name the catalogue lacks, not the family (or the
        group named by its singular). A misspelt family word ("compresor-9") may have matched
        the plural."""
        after = window.tokens[-1] + 1
        plural = key.plural and not misspelt
        tokens = self.sheet.tokens
        if after + 1 < len(tokens) and tokens[after].text in "-_#" and tokens[after].glued:
            after += 1  # "pump-3"
        if key.match not in KINDS or plural or after >= len(tokens):
            return False
        nxt = tokens[after]
        if self.sheet.claimed[after] or not (
            nxt.kind is Kind.NUMBER or (nxt.kind is Kind.WORD and len(nxt.norm) == 1)
        ):
            return False
        words = self.sheet.claim(tuple(range(window.tokens[0], after + 1)))
        self.unknown.append(UnknownName(words, key.meters))
        return True

    def _tails(self) -> None:
        """ "the lamps of galpão 2" for "Iluminação Galpão 2": the last two or more words of
        one meter's name, and of no other name or alias, name that meter."""
        owners: dict[str, list[NameKey]] = {}
        for key in self.vocab.keys:
            if key.match is Match.NAME and len(key.meters) == 1:
                for k in range(2, len(key.pieces)):
                    owners.setdefault("".join(key.pieces[-k:]), []).append(key)
        if not owners:
            return
        for size in range(max(len(k.pieces) for k in self.vocab.keys), 1, -1):
            for i in range(len(self.sheet.tokens)):
                window = self._window(i, size)
                if window is None or self.vocab.lookup(window.compact):
                    continue
                found = owners.get(window.compact, [])
                if len(found) == 1:
                    self._add(window.tokens, found[0], 95.0, fuzzy=True)

    def _fuzzy(self) -> None:
        """Misspelt names ("compresor 2", "chiler"); a window holding an ordinary word of
        the lexicon ("use", "last") is not a name."""
        known = self.lexicon.known_words
        for size in (3, 2, 1):
            for i in range(len(self.sheet.tokens)):
                window = self._window(i, size)
                if window is None or any(
                    self.sheet.tokens[j].norm in known
                    for j in window.tokens
                    if self.sheet.tokens[j].kind is Kind.WORD
                ):
                    continue
                if len(window.compact) < 4 or window.compact.isdigit():
                    continue
                self._fuzzy_window(window)

    def _fuzzy_window(self, window: Window) -> None:
        best = self.vocab.fuzzy(window.compact, FUZZY_CUTOFF)
        if best is not None and len(window.compact) >= 5:
            key = _best(self.vocab.lookup(best[0].compact))
            if not self._unknown_member(key, window, misspelt=True):
                self._add(window.tokens, key, best[1], fuzzy=True)
            return
        if len(window.tokens) == 1 and len(window.compact) >= 4:
            # "extr" for the extruders: the start of a family word
            for key in self.vocab.keys:
                if key.match is Match.FAMILY and not key.plural:
                    if key.compact.startswith(window.compact) and not key.compact[-1].isdigit():
                        if not self._unknown_member(key, window):
                            self._add(window.tokens, key, 90.0, fuzzy=True)
                        return

    def _siblings(self) -> None:
        """ "pump 1 and 2", "press a or b": the second is a sibling of the first."""
        for _, mention in list(self.found):
            if mention.match not in (Match.NAME, Match.ALIAS) or len(mention.meters) != 1:
                continue
            key_pieces = pieces(mention.key)
            if len(key_pieces) < 2:
                continue
            i = mention.words.tokens[-1] + 1
            self._sibling_after(i, key_pieces[:-1])

    def _sibling_after(self, i: int, stem: tuple[str, ...]) -> None:
        tokens = self.sheet.tokens
        while i + 1 < len(tokens) and tokens[i].norm in ("and", "or", "&", ",", "+", "vs"):
            nxt = tokens[i + 1]
            if self.sheet.claimed[i + 1] or not (
                nxt.kind is Kind.NUMBER or (nxt.kind is Kind.WORD and len(nxt.norm) == 1)
            ):
                return
            keys = self.vocab.lookup("".join(stem) + self._piece(nxt, tokens[i]))
            if not keys:
                return
            self._add((i + 1,), keys[0], 100.0, sibling=True)
            i += 2

    def _heads(self, found: list[MeterMention]) -> list[MeterMention]:
        """ "compresor GA 55": a word naming several meters (a family, misspelt or not) right
        before the name of one of them is the first word of that name, not the family too."""
        out: list[MeterMention] = []
        skip: set[int] = set()
        for i, m in enumerate(found):
            if i in skip:
                continue
            nxt = found[i + 1] if i + 1 < len(found) else None
            if (
                nxt is not None
                and len(m.meters) > 1
                and m.words.tokens
                and nxt.words.tokens
                and nxt.words.tokens[0] == m.words.tokens[-1] + 1
                and set(nxt.meters) < set(m.meters)
            ):
                words = self.sheet.words((*m.words.tokens, *nxt.words.tokens))
                out.append(replace(nxt, words=words))
                skip.add(i + 1)
                continue
            out.append(m)
        return out

    # ------------------------------------------------------------------ recording

    def _of_the_kind(self, last: int) -> bool:
        """ "the compressor data": the kind's word used of a noun the lexicon lists."""
        after = last + 1
        tokens = self.sheet.tokens
        return after < len(tokens) and tokens[after].norm in self.lexicon.of_the_kind

    def _quantifier(self, first: int) -> tuple[int, ...]:
        """The "both", "all the", "the two" just before a mention."""
        tokens = self.sheet.tokens
        for words in QUANTIFIERS:
            start = first - len(words)
            if start < 0:
                continue
            span = tuple(range(start, first))
            if all(tokens[j].norm == w for j, w in zip(span, words, strict=True)):
                if self.sheet.free(span):
                    return span
        return ()

    def _add(
        self,
        window: tuple[int, ...],
        key: NameKey,
        score: float,
        *,
        fuzzy: bool = False,
        sibling: bool = False,
    ) -> None:
        quantifier = self._quantifier(window[0]) if len(key.meters) > 1 else ()
        words = self.sheet.claim((*quantifier, *window))
        if window[-1] + 1 < len(self.sheet.tokens):
            after = self.sheet.tokens[window[-1] + 1]
            if after.kind is Kind.POSSESSIVE and not self.sheet.claimed[after.index]:
                words = self.sheet.words((*words.tokens, *self.sheet.claim((after.index,)).tokens))
        match = Match.SIBLING if sibling else (Match.FUZZY if fuzzy else key.match)
        ambiguous = key.match in KINDS and not key.plural and not quantifier
        ambiguous = ambiguous and not self._of_the_kind(window[-1])
        # an alias two meters share names neither of them for sure
        ambiguous = ambiguous or key.match in (Match.NAME, Match.ALIAS)
        mention = MeterMention(
            meters=key.meters,
            match=match,
            words=words,
            key=key.label,
            ambiguous=ambiguous and len(key.meters) > 1,
            score=score,
        )
        self.found.append((words.start, mention))


def _asked_which(mentions: list[MeterMention], sheet: Sheet) -> list[MeterMention]:
    """ "anything odd on compressed air? which compressor?": a word fitting several meters right
    after "which" ("qual", "welcher") asks which of them, so it is every one of them, not a
    choice to ask back; unless the question names one of them too ("which compressor used more
    than GA 55?" points at the other)."""
    out = []
    for m in mentions:
        first = m.words.tokens[0] if m.words.tokens else 0
        asked = m.ambiguous and first > 0 and sheet.tokens[first - 1].norm in WHICH
        named = {n for o in mentions if o is not m and len(o.meters) == 1 for n in o.meters}
        if asked and not named & set(m.meters):
            m = replace(m, ambiguous=False)
        out.append(m)
    return out


def _named_before(mentions: list[MeterMention], question: str) -> list[MeterMention]:
    """ "How long was press 2 below 5 kW? I want to see how long the big press rests.": a
    singular word fitting several meters, in a later sentence than the one meter of them the
    question names for sure, is that meter, not a question which one ("compare press 1
    with the press" still asks)."""
    out = []
    for m in mentions:
        named = {
            s.meters[0]: s
            for s in mentions
            if len(s.meters) == 1
            and s.meters[0] in m.meters
            and re.search(r"[.?!]\s", question[s.words.end : m.words.start])
        }
        if m.ambiguous and len(named) == 1:
            m = replace(m, meters=tuple(named), ambiguous=False)
        out.append(m)
    return out


def _best(keys: tuple[NameKey, ...]) -> NameKey:
    """The most specific way of naming (a name over an alias over a group over a family); when
    several meters are named that way, one key for all of them."""
    order = min(ORDER.get(k.match, 9) for k in keys)
    same = [k for k in keys if ORDER.get(k.match, 9) == order]
    meters = tuple(dict.fromkeys(m for k in same for m in k.meters))
    first = same[0]
    return NameKey(first.pieces, meters, first.match, first.label, first.plural, first.initial)


def family_before_unknown(
    sheet: Sheet, mentions: list[MeterMention], unknown: list[UnknownName]
) -> tuple[list[MeterMention], list[UnknownName]]:
    """ "compressor GA 90" beside Compressor GA 55 and GA 75: a word naming several meters
    right before a name the catalogue lacks is that name's first word (one meter that is not
    there), not a question which of the family is meant."""
    kept = []
    for m in mentions:
        after = next(
            (u for u in unknown if m.words.tokens and u.words.tokens
             and u.words.tokens[0] == m.words.tokens[-1] + 1),
            None,
        )  # fmt: skip
        if len(m.meters) < 2 or after is None:
            kept.append(m)
            continue
        words = sheet.words((*m.words.tokens, *after.words.tokens))
        unknown = [replace(u, words=words) if u is after else u for u in unknown]
    return kept, unknown


def find_meters(sheet: Sheet, vocab: Vocabulary, lexicon: Lexicon) -> MeterFinding:
    """Every meter mention in the question, in order, with the tokens claimed."""
    return MeterReader(sheet, vocab, lexicon).read()


# tables whose word, said alone, asks for a quantity rather than naming a meter's kind
QUANTITY_TABLES = frozenset({"carrier", "metric", "measure", "unsupported"})


def kind_words(
    sheet: Sheet, mentions: list[MeterMention], vocab: Vocabulary, lexicon: Lexicon
) -> None:
    """ "Which compressor used more, GA 55 or GA 75?": a word of the names of the meters named
    is their kind, claimed when every meter whose name holds it is named already (else "the
    other compressor" would lose the one it points at). A word that asks for a quantity on its
    own ("how much water did the Hot Water Heater use") is left to be read as that quantity."""
    named = {name for m in mentions for name in m.meters}
    if not named:
        return
    for t in sheet.unclaimed():
        if t.kind is not Kind.WORD or len(t.norm) < 3 or _quantity_word(t.norm, lexicon):
            continue
        word = t.norm.removesuffix("s")
        holding = {m.name for m in vocab.meters if word in m.name.lower().split()}
        if (holding and holding <= named) or _supplies(t.norm, named, vocab, lexicon):
            sheet.claim((t.index,))


def _supplies(word: str, named: set[str], vocab: Vocabulary, lexicon: Lexicon) -> bool:
    """ "both supplies (cabine + escritórios)": a supply word where every meter named is at the
    top of its carrier's tree."""
    if word not in lexicon.supply_words:
        return False
    entries = [vocab.meter(n) for n in named]
    return all(e is not None and e.parent is None for e in entries)


def _quantity_word(word: str, lexicon: Lexicon) -> bool:
    return not QUANTITY_TABLES.isdisjoint(lexicon.word_tables(word))


# "the 75 over the 55": after "the", before the end, a mark or a joining word
THE_NUMBER = re.compile(r"\bthe (?P<n>\d+)(?=\s*(?:$|[?,.!;)]|(?:over|vs|versus|than|and|or|x)\b))")


def numbered(sheet: Sheet, vocab: Vocabulary) -> list[MeterMention]:
    """ "how much more is the 75 over the 55?": a number left over after "the" is the meter
    whose name ends in it, when exactly one does (what else it could be was read before)."""
    found = []
    for m in THE_NUMBER.finditer(sheet.masked()):
        span = sheet.covering(m.start("n"), m.end("n"))
        ending = [e.name for e in vocab.meters if e.name.split()[-1] == m.group("n")]
        if len(ending) == 1 and sheet.free(span):
            words = sheet.claim(sheet.covering(m.start(), m.end()))
            found.append(MeterMention((ending[0],), Match.SIBLING, words, key=m.group("n")))
    return found


@dataclass
class LeftOut:
    """Meters the question asks to leave out of nothing it asks ("lines only, no compressors")."""

    kept: list[MeterMention]
    context: list[Words]  # the negation and the meters' words: said, and done
    notes: list[str]


def left_out(
    mentions: list[MeterMention], sheet: Sheet, lexicon: Lexicon, vocab: Vocabulary
) -> LeftOut:
    """A meter named after a negation ("no compressors", "not line 2") that no other meter
    named holds (itself or under it in the tree) was never part of the figure asked: it is
    left out and the answer says so. One that a named meter holds ("the incomer without the
    compressors", "A minus B") stays a mention, for the subtraction or the question back
    that the planner makes of it."""
    norms = [t.norm for t in sheet.tokens]
    out = LeftOut(list(mentions), [], [])
    for m in mentions:
        if not m.words.tokens:
            continue
        at = lexicon.negation_before(norms[: m.words.tokens[0]])
        if at is None or norms[at] in lexicon.subtractions:
            continue
        named = {n for o in mentions if o is not m for n in o.meters}
        inside = named | {d for n in named for d in _under(n, vocab)}
        if not named or set(m.meters) & inside or _under_any(m.meters, named, vocab):
            continue
        out.kept.remove(m)
        out.context.append(sheet.words(tuple(range(at, m.words.tokens[-1] + 1))))
        out.notes.append(f"I left out {', '.join(m.meters)}, as asked.")
    return out


def _under_any(meters: tuple[str, ...], named: set[str], vocab: Vocabulary) -> bool:
    """Some of `meters` holds a meter named: leaving it out would take that one out too."""
    return any(named & _under(m, vocab) for m in meters)


def _under(name: str, vocab: Vocabulary) -> set[str]:
    found: set[str] = set()
    todo = list(vocab.children(name))
    while todo:
        child = todo.pop()
        if child not in found:
            found.add(child)
            todo.extend(vocab.children(child))
    return found
