"""Tokens of a question with their character spans, and the sheet on which extractors claim them:
a canonical lower-case text (shorthand written out, typos corrected) that regular expressions run
over, with the claimed tokens masked so that no two slots consume the same words."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from agent.reader.slots import Words

MAX_QUESTION_CHARS = 2000
# A claimed token is masked with this character: neither a word character nor a space (which
# "\x1f" is, to Python), so no pattern can match across or through it.
MASK = "\x00"


class Kind(StrEnum):
    WORD = "word"
    NUMBER = "number"
    TIME = "time"  # 22:00
    SYMBOL = "symbol"  # € $ % ° < > = / # &
    POSSESSIVE = "possessive"  # 's after a name
    PUNCT = "punct"


TOKEN = re.compile(
    r"(?P<time>\d{1,2}:\d\d)(?!\d)"
    r"|(?P<number>\d+(?:[.,]\d+)*)"
    r"|(?P<possessive>'s\b)"
    r"|(?P<word>[^\W\d_]+(?:'[^\W\d_]+)?)"
    r"|(?P<symbol>[€$£%°<>=/#&@+²³])"
    r"|(?P<punct>\S)"
)
# Contractions that are not possessives: "what's" is "what is", "press-a's" is press-a.
CONTRACTIONS = frozenset(
    "what's it's that's there's here's who's how's where's let's he's she's when's".split()
)


@dataclass(frozen=True)
class Token:
    index: int
    text: str  # as written
    start: int  # character span in the question
    end: int
    kind: Kind
    norm: str  # lower case; shorthand written out; a corrected typo
    glued: bool  # no space before it (pump-2, p2, 0.42kWh)
    corrected_from: str = ""

    @property
    def is_content(self) -> bool:
        return self.kind in (Kind.WORD, Kind.NUMBER, Kind.TIME)


def _clean(question: str) -> str:
    """Typographic quotes and dashes as plain ones; same length, so spans stay valid."""
    table = str.maketrans({"\u2019": "'", "\u2018": "'", "\u2013": "-", "\u2014": "-"})
    return question.translate(table)


def _norm(text: str, kind: Kind) -> str:
    low = text.lower()
    if kind is Kind.WORD and low.endswith("'s") and low not in CONTRACTIONS:
        return low[:-2]
    return low


def tokenize(question: str) -> tuple[Token, ...]:
    """Every non-space piece of the question: words, numbers, times, symbols, punctuation."""
    text = _clean(question)
    tokens: list[Token] = []
    for m in TOKEN.finditer(text):
        kind = Kind(m.lastgroup or "punct")
        glued = m.start() > 0 and not text[m.start() - 1].isspace()
        written = question[m.start() : m.end()]
        norm = _norm(m.group(), kind)
        tokens.append(Token(len(tokens), written, m.start(), m.end(), kind, norm, glued))
    return tuple(tokens)


def fold(text: str) -> str:
    """Lower case without accents, for matching names: "Kältemaschine" -> "kaltemaschine"."""
    text = text.lower().replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def transliterate(text: str) -> str:
    """German umlauts written out: "kältemaschine" -> "kaeltemaschine"."""
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
    return text.lower().translate(table)


def corrected(tokens: tuple[Token, ...], changes: dict[int, str]) -> tuple[Token, ...]:
    """The tokens with some norms replaced (shorthand, typos), remembering what was written."""
    return tuple(
        replace(t, norm=changes[t.index], corrected_from=t.norm) if t.index in changes else t
        for t in tokens
    )


class Sheet:
    """The question being read: tokens, the canonical text and which tokens are claimed."""

    def __init__(self, question: str, tokens: tuple[Token, ...]) -> None:
        self.question = question
        self.tokens = tokens
        parts: list[str] = []
        self.spans: list[tuple[int, int]] = []
        at = 0
        for token in tokens:
            if parts and not token.glued:
                parts.append(" ")
                at += 1
            self.spans.append((at, at + len(token.norm)))
            parts.append(token.norm)
            at += len(token.norm)
        self.text = "".join(parts)
        self.claimed: list[bool] = [False] * len(tokens)

    def rebuilt(self, tokens: tuple[Token, ...]) -> Sheet:
        """The same question with some tokens' norms changed; claims are kept."""
        sheet = Sheet(self.question, tokens)
        sheet.claimed = list(self.claimed)
        return sheet

    def masked(self) -> str:
        """The canonical text with claimed tokens masked."""
        chars = list(self.text)
        for i, taken in enumerate(self.claimed):
            if taken:
                a, b = self.spans[i]
                chars[a:b] = MASK * (b - a)
        return "".join(chars)

    def covering(self, start: int, end: int) -> tuple[int, ...]:
        """The tokens a canonical-text span [start, end) overlaps."""
        return tuple(i for i, (a, b) in enumerate(self.spans) if a < end and b > start)

    def free(self, indices: Iterable[int]) -> bool:
        return not any(self.claimed[i] for i in indices)

    def claim(self, indices: Iterable[int]) -> Words:
        """Mark tokens as consumed and return where they are in the question."""
        chosen = tuple(sorted(i for i in indices if not self.claimed[i]))
        for i in chosen:
            self.claimed[i] = True
        return self.words(chosen)

    def claim_span(self, start: int, end: int) -> Words:
        return self.claim(self.covering(start, end))

    def words(self, indices: tuple[int, ...]) -> Words:
        if not indices:
            return Words((), 0, 0, "")
        first, last = self.tokens[indices[0]], self.tokens[indices[-1]]
        return Words(indices, first.start, last.end, self.question[first.start : last.end])

    def unclaimed(self) -> Iterator[Token]:
        return (t for t in self.tokens if not self.claimed[t.index])


def joined(parts: Sequence[Words], question: str) -> Words:
    """One stretch of the question from the first of `parts` to the last."""
    start, end = min(w.start for w in parts), max(w.end for w in parts)
    tokens = tuple(sorted(t for w in parts for t in w.tokens))
    return Words(tokens, start, end, question[start:end])


def adjacent(a: Words, b: Words, question: str, stop_words: frozenset[str]) -> bool:
    """Nothing but stop words (at most two) stands between the two."""
    first, second = sorted((a, b), key=lambda w: w.start)
    between = re.findall(r"[^\W\d_]+|\d+|\S", question[first.end : second.start])
    return len(between) <= 2 and all(fold(w) in stop_words for w in between)
