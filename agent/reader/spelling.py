"""Shorthand written out ("lst wk" is "last week") and misspelt common words corrected by edit
distance ("septmber", "yesterdy", "consumtion"), so that the phrases of the lexicon find them.
Meter names are matched before this, by their own rules."""

from __future__ import annotations

from functools import cache

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from agent.reader.dates import CALENDAR_WORDS, MONTHS, WEEKDAYS
from agent.reader.lexicon import Lexicon
from agent.reader.text import Kind, Sheet, Token, corrected


def write_out(tokens: tuple[Token, ...], lexicon: Lexicon) -> tuple[Token, ...]:
    """Shorthand replaced by what it stands for; a glued "/" or "-" after it means it is part
    of a name or unit ("w/o", "wk-43") and it is left alone."""
    changes = {}
    for t in tokens:
        if t.kind is not Kind.WORD or t.norm not in lexicon.abbreviations:
            continue
        nxt = tokens[t.index + 1] if t.index + 1 < len(tokens) else None
        if nxt is not None and nxt.glued and nxt.text in "/-":
            continue
        changes[t.index] = lexicon.abbreviations[t.norm]
    return corrected(tokens, changes)


@cache
def _targets(lexicon: Lexicon) -> tuple[str, ...]:
    return tuple(sorted(lexicon.correctable | CALENDAR_WORDS))


@cache
def _known(lexicon: Lexicon) -> frozenset[str]:
    return (
        lexicon.known_words
        | lexicon.ordinary
        | frozenset(MONTHS)
        | frozenset(WEEKDAYS)
        | frozenset(_targets(lexicon))
    )


def _best(word: str, targets: tuple[str, ...]) -> str | None:
    """The one target within the allowed distance; none when two are equally near."""
    limit = 1 if len(word) <= 6 else 2
    found = process.extract(
        word, targets, scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=2
    )
    if not found or (len(found) > 1 and found[1][1] == found[0][1]):
        return None
    best = found[0][0]
    return best if best[0] == word[0] else None


def correct(sheet: Sheet, lexicon: Lexicon) -> tuple[Sheet, list[tuple[str, str]]]:
    """The sheet with misspelt unclaimed words corrected, and what was corrected."""
    known, targets = _known(lexicon), _targets(lexicon)
    changes: dict[int, str] = {}
    for t in sheet.unclaimed():
        word = t.norm
        if t.kind is not Kind.WORD or len(word) < 4 or word in known or not word.isalpha():
            continue
        plural = word[:-1] if word.endswith("s") else ""
        if plural in known or lexicon.names_word(word):
            continue
        best = _best(word, targets)
        if best is not None:
            changes[t.index] = best
    if not changes:
        return sheet, []
    tokens = corrected(sheet.tokens, changes)
    return sheet.rebuilt(tokens), [(sheet.tokens[i].text, w) for i, w in changes.items()]
