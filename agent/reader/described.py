"""Meters a question names by a word of their catalogue entry rather than their name: "the
kiln" for a meter whose description says "tunnel kiln", "admin building" for "Prédio
Administrativo" (the start of a word of its name), "the line" for two meters described as
lines. Such words would otherwise be left unused, and the question would fall back to the
whole site: a confident number about the wrong meter."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import yaml

from agent.reader.lexical import Lexical
from agent.reader.lexicon import Lexicon
from agent.reader.slots import Kpi, Match, MeasureMention, MeterMention, Unused, Words
from agent.reader.text import Sheet, fold
from agent.reader.vocabulary import MeterEntry, Vocabulary, pieces

# Shorter words ("air", "hot", "de") say too little of a meter to pick it.
MIN_WORD = 4


def _entry_words(meter: MeterEntry, quiet: frozenset[str]) -> frozenset[str]:
    """The words a meter's catalogue entry is known by: its name, aliases, groups and
    description, without stop words, numbers and short words."""
    texts = (meter.name, *meter.aliases, *meter.groups, meter.description)
    return frozenset(
        w
        for text in texts
        for w in pieces(text)
        if len(w) >= MIN_WORD and not w.isdigit() and w not in quiet
    )


def _singular(word: str) -> str | None:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > MIN_WORD:
        return word[:-1]
    return None


def _fits(word: str, known: frozenset[str]) -> tuple[bool, bool]:
    """Whether a question word is one of the entry's words (as written, its singular, or the
    start of one: "admin", "comp"), and whether it was a plural."""
    if word in known or any(k.startswith(word) for k in known):
        return True, False
    one = _singular(word)
    if one is not None and (one in known or any(k.startswith(one) for k in known)):
        return True, True
    return False, False


def _candidates(
    words: Sequence[str], vocab: Vocabulary, quiet: frozenset[str]
) -> tuple[tuple[str, ...], bool]:
    """The meters whose entries hold the most of the words (at least one), and whether a
    matching word was a plural ("the compressors": every one of them)."""
    scored: list[tuple[str, int, bool]] = []
    for meter in vocab.meters:
        fits = [_fits(w, _entry_words(meter, quiet)) for w in words]
        hits = sum(1 for ok, _ in fits if ok)
        if hits:
            scored.append((meter.name, hits, any(p for _, p in fits)))
    top = max((hits for _, hits, _ in scored), default=0)
    best = [(name, p) for name, hits, p in scored if hits == top]
    return tuple(n for n, _ in best), any(p for _, p in best)


def described_meters(
    unused: Sequence[Unused], vocab: Vocabulary, lexicon: Lexicon
) -> tuple[list[MeterMention], list[Unused], list[str]]:
    """The first unused phrase that words of meters' catalogue entries account for, as a meter
    mention (a question back when a singular word fits several meters), the phrases left
    unused, and what the answer must say about the choice."""
    quiet = lexicon.stop_words | lexicon.fillers
    found = [(i, *_candidates(_words(u, lexicon), vocab, quiet)) for i, u in enumerate(unused)]
    found = [(i, meters, plural) for i, meters, plural in found if meters]
    if not found:
        return [], list(unused), []
    i, meters, plural = found[0]
    used = [i]
    if len(meters) > 1 and not plural:
        # "the boxes the corrugator made": another phrase that fits one of them, and only
        # one, says which (the boxes are counted on two meters, one of them the corrugator's)
        shared = [(j, tuple(m for m in meters if m in other)) for j, other, _ in found[1:]]
        picked = next(((j, common) for j, common in shared if len(common) == 1), None)
        if picked is not None:
            used.append(picked[0])
            meters = picked[1]
    phrase = unused[i]
    mention = MeterMention(
        meters=meters,
        match=Match.DESCRIBED,
        words=phrase.words,
        key=phrase.text,
        ambiguous=len(meters) > 1 and not plural,
    )
    rest = [u for j, u in enumerate(unused) if j not in used]
    if mention.ambiguous:
        return [mention], rest, []
    said = "' and '".join(re.sub(r"['\u2019]s$", "", unused[j].text) for j in sorted(used))
    note = (
        f"No meter is named '{said}'; I took {', '.join(meters)}, whose catalogue entry "
        f"(name, alias, group or description) matches '{said}'."
    )
    return [mention], rest, [note]


def measure_before(
    unused: Sequence[Unused], sheet: Sheet, lex: Lexical, vocab: Vocabulary, lexicon: Lexicon
) -> list[Unused]:
    """ "the production board", "the heating pump": a word read as a measure (or as a topic
    the site has no series for) just before a phrase that fits several meters' entries, when
    with it the phrase fits one meter and all its words fit that one, says which meter (the
    board of the production hall) and is no measure asked. Drops it from `lex`."""
    quiet = lexicon.stop_words | lexicon.fillers
    out = []
    for phrase in unused:
        first = phrase.words.tokens[0] if phrase.words.tokens else 0
        alone, _ = _candidates(_words(phrase, lexicon), vocab, quiet)
        before = (first - 1,)
        claimed = [m for m in lex.measures if m.words.tokens == before]
        topics = [u for u in lex.unsupported if u.words.tokens == before]
        if len(alone) < 2 or len(claimed) + len(topics) != 1:
            out.append(phrase)
            continue
        token = sheet.tokens[first - 1]
        text = sheet.question[token.start : phrase.words.end]
        widened = Unused(text, Words((first - 1, *phrase.words.tokens), token.start,
                                     phrase.words.end, text))  # fmt: skip
        words = _words(widened, lexicon)
        fits = {
            m.name: sum(_fits(w, _entry_words(m, quiet))[0] for w in words) for m in vocab.meters
        }
        best = [n for n, hits in fits.items() if hits == len(words)]
        if len(best) != 1 or best[0] not in alone:
            out.append(phrase)
            continue
        out.append(widened)
        lex.measures = [m for m in lex.measures if m not in claimed]
        lex.unsupported = [u for u in lex.unsupported if u not in topics]
    return out


def also_described(
    unused: Sequence[Unused], vocab: Vocabulary, lexicon: Lexicon, named: frozenset[str]
) -> tuple[list[MeterMention], list[Unused], list[str]]:
    """ "the main supply plus the office's separate supply", "the chilled water plant than the
    annex": beside meters named, a phrase left over that two or more words of one meter's
    catalogue entry account for (all its words but one at most) is that meter too; a phrase
    fitting several meters stays unused, unless one of them is named (then it restates that
    one); one restating a meter named is its words."""
    quiet = lexicon.stop_words | lexicon.fillers
    found, rest, notes = [], [], []
    for phrase in unused:
        words = _words(phrase, lexicon)
        fits = [
            (m.name, sum(_fits(w, _entry_words(m, quiet))[0] for w in words)) for m in vocab.meters
        ]
        top = max((hits for _, hits in fits), default=0)
        best = [name for name, hits in fits if hits == top]
        if words and top >= len(words) and len([n for n in best if n in named]) == 1:
            continue  # "Utilidades, as a % of the board": the one board named, said again
        if top < 2 or top < len(words) - 1 or len(best) != 1:
            rest.append(phrase)
            continue
        if best[0] in named:
            continue  # "the main supply (Cabine Primária)": said twice
        found.append(MeterMention(tuple(best), Match.DESCRIBED, phrase.words, key=phrase.text))
        said = re.sub(r"['\u2019]s$", "", phrase.text)
        notes.append(
            f"No meter is named '{said}'; I took {best[0]}, whose catalogue entry "
            f"(name, alias, group or description) matches '{said}'."
        )
    return found, rest, notes


def _words(phrase: Unused, lexicon: Lexicon) -> list[str]:
    """The words of a phrase that may name a meter by its entry: not numbers, short words or
    the language's generic nouns ("part", "side")."""
    return [
        w
        for w in pieces(phrase.text)
        if len(w) >= MIN_WORD and not w.isdigit() and w not in lexicon.generic_words
    ]


COUNTED_FILE = Path(__file__).with_name("counted.yaml")


@cache
def count_nouns() -> frozenset[str]:
    """The words for what production counters count, from counted.yaml."""
    data = yaml.safe_load(COUNTED_FILE.read_text(encoding="utf-8"))
    return frozenset(fold(str(w)) for w in data["count_nouns"])


def _counters(names: Sequence[str], vocab: Vocabulary) -> list[MeterEntry]:
    """The meters whose series count a named meter's output: its own, or linked ones."""
    out = []
    for name in names:
        entry = vocab.meter(name)
        if entry is None:
            continue
        if "production" in entry.metrics:
            out.append(entry)
        out += [m for p in entry.production if (m := vocab.meter(p)) is not None]
    return out


def _count_words(counters: Sequence[MeterEntry], quiet: frozenset[str]) -> frozenset[str]:
    """What the counters' catalogue entries call their count: the production series' unit,
    and, of a meter that only counts, the words of its name, aliases and description."""
    words = set(count_nouns())
    for m in counters:
        words.update(pieces(m.unit))
        if m.carrier == "production":
            words.update(_entry_words(m, quiet))
    return frozenset(words)


def _known(word: str, known: frozenset[str]) -> bool:
    """The word, its singular or its plural ("tin" where the catalogue says "tins")."""
    return bool({word, _singular(word), word + "s", word + "es"} & known)


# The word before a count that makes it the divisor of energy: "kWh per tin", "por caixa".
PER = frozenset({"per", "/", "each", "every", "por", "pro", "je", "par"})


def counted(
    sheet: Sheet,
    unused: Sequence[Unused],
    named: Sequence[MeterMention],
    vocab: Vocabulary,
    lexicon: Lexicon,
) -> tuple[list[MeasureMention], list[Unused]]:
    """ "Linha 4 boxes", "units on line 2": a phrase left over whose every word names what
    the named meter's output counter counts is that count (the production series), not the
    meter's energy; after "per" ("kWh per tin") it is what the energy is divided by, the
    SEC. Returns the measures and the phrases left unused."""
    counters = _counters([n for m in named if not m.ambiguous for n in m.meters], vocab)
    if not counters:
        return [], list(unused)
    quiet = lexicon.stop_words | lexicon.fillers
    known = _count_words(counters, quiet)
    found, rest = [], []
    for phrase in unused:
        said = [w for w in pieces(phrase.text) if not w.isdigit() and w not in quiet]
        if not said or not all(_known(w, known) for w in said):
            rest.append(phrase)
            continue
        first = phrase.words.tokens[0] if phrase.words.tokens else 0
        before = sheet.tokens[first - 1].norm if first > 0 else ""
        if before in PER:
            found.append(MeasureMention(sheet.words((first - 1, *phrase.words.tokens)), Kpi.SEC))
        else:
            found.append(MeasureMention(phrase.words, metric="production"))
    return found, rest


def qualified(
    mentions: Sequence[MeterMention], sheet: Sheet, vocab: Vocabulary, lexicon: Lexicon
) -> tuple[list[MeterMention], list[str]]:
    """ "the trim compressor" where one of two compressors is described as the trim one: a
    word for several meters, with a word right before it (or among its own words) that the
    catalogue entry of exactly one of them holds, is that one meter; the word joins its words.
    Fitting none or several of them, the question stays asked back."""
    quiet = lexicon.stop_words | lexicon.fillers | lexicon.generic_words
    out, notes = [], []
    for m in mentions:
        if len(m.meters) < 2 or not m.words.tokens or m.match is Match.NAME:
            out.append(m)
            continue
        first = m.words.tokens[0]
        before = sheet.tokens[first - 1] if first > 0 else None
        extra = (first - 1,) if before is not None and sheet.free((first - 1,)) else ()
        said = [sheet.tokens[i].norm for i in (*extra, *m.words.tokens)]
        entries = {n: _entry_words(e, quiet) for n in m.meters if (e := vocab.meter(n))}
        words = [w for w in said if len(w) >= MIN_WORD and w.isalpha() and w not in quiet]
        telling = [w for w in words if sum(_fits(w, k)[0] for k in entries.values()) == 1]
        picked = {n for w in telling for n, k in entries.items() if _fits(w, k)[0]}
        if len(picked) != 1:
            out.append(m)
            continue
        chosen = picked.pop()
        tokens = tuple(sorted({*m.words.tokens, *(sheet.claim(extra).tokens if extra else ())}))
        words_ = sheet.words(tokens)
        out.append(MeterMention((chosen,), Match.DESCRIBED, words_, key=words_.text))
        notes.append(
            f"No meter is named '{words_.text}'; I took {chosen}, whose catalogue entry "
            f"(name, alias, group or description) matches '{words_.text}'."
        )
    return out, notes
