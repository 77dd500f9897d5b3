"""What no slot consumed: names shaped like a meter's that the catalogue lacks ("pump 7"), and
the remaining content words, merged into phrases as written, for "I did not use ..."."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from agent.reader.dates import MONTHS, WEEKDAYS
from agent.reader.dates import WORDS as CALENDAR
from agent.reader.lexicon import Lexicon
from agent.reader.slots import UnknownName, Unused
from agent.reader.text import Kind, Sheet, Token
from agent.reader.vocabulary import Vocabulary
from common.units import is_unit


def _quiet(t: Token, lexicon: Lexicon) -> bool:
    """Stop words, fillers, punctuation: never content of their own."""
    quiet = lexicon.stop_words | lexicon.fillers
    return not t.is_content or t.norm in quiet or (t.corrected_from or t.norm) in quiet


def _distinguisher(t: Token) -> bool:
    """A number or a letter after a name ("pump 7", "line-c", "Line C"); not the word "a"."""
    if t.kind is Kind.NUMBER:
        return True
    letter = t.kind is Kind.WORD and len(t.norm) == 1
    return letter and (t.norm not in ("a", "i") or t.glued or t.text.isupper())


def unknown_names(sheet: Sheet, lexicon: Lexicon, vocab: Vocabulary) -> list[UnknownName]:
    """ "pump 7", "line-c", "P101": an unknown word with a number or letter after it, claimed
    so that the answer can say there is no such meter and name the closest ones."""
    found = []
    tokens = sheet.tokens
    known = lexicon.known_words
    for t in tokens:
        if t.kind is not Kind.WORD or len(t.norm) < 2 or t.norm in known:
            continue
        j = t.index + 1
        if j < len(tokens) and tokens[j].text in "-_#" and tokens[j].glued:
            j += 1
        if j >= len(tokens) or not _distinguisher(tokens[j]):
            continue
        span = tuple(range(t.index, j + 1))
        if not sheet.free(span):
            continue
        words = sheet.claim(span)
        found.append(UnknownName(words, vocab.closest(words.text)))
    return found


def leftovers(sheet: Sheet, lexicon: Lexicon) -> list[Unused]:
    """Unclaimed content words; neighbours (or parts of one hyphenated word) form one phrase."""
    phrases: list[list[int]] = []
    for t in sheet.tokens:
        if sheet.claimed[t.index] or _quiet(t, lexicon):
            continue
        previous = phrases[-1][-1] if phrases else None
        glue = previous is not None and all(
            not sheet.tokens[k].is_content and sheet.tokens[k].glued
            for k in range(previous + 1, t.index)
        )
        if previous is not None and (t.index == previous + 1 or glue):
            phrases[-1].append(t.index)
        else:
            phrases.append([t.index])
    out = []
    for indices in phrases:
        words = sheet.words(tuple(indices))
        out.append(Unused(words.text, words))
    return out


class Weight(StrEnum):
    """The kind of a word left over that would change the figure if it were read: an answer
    that leaves it out would state a number for another question."""

    NEGATION = "negation"  # "not the dryer": something asked to be left out
    DATE = "date"  # "October", "Monday"
    NUMBER = "number"  # "40", "12", "22:00"
    MONEY = "money"  # "€", "reais"
    UNIT = "unit"  # "kW", "m3"
    MEASURE = "measure"  # "power factor", "SEC", a metric a series measures
    METER = "meter"  # a word of a meter's name or alias


MONEY_SIGNS = frozenset("€$£")
WEIGHED_TABLES = {"currency": Weight.MONEY, "measure": Weight.MEASURE, "metric": Weight.MEASURE}


def weight(
    u: Unused,
    tokens: Sequence[Token],
    lexicon: Lexicon,
    vocab: Vocabulary,
    consumed: frozenset[int] = frozenset(),
) -> Weight | None:
    """What kind of figure-changing word the leftover `u` is, or None when it is harmless (an
    ordinary word the lexicon does not know as a filler, or a restatement of what a slot read:
    "working days (Mon-Fri)", "30-minute averages ... the highest 30 min kW"). `consumed`: the
    token indices the slots used."""
    if not u.words.tokens:
        return None
    found = _weight(u, tokens, lexicon, vocab)
    if found in (Weight.NUMBER, Weight.DATE) and _restates(u, tokens, consumed):
        return None
    return found


def _restates(u: Unused, tokens: Sequence[Token], consumed: frozenset[int]) -> bool:
    """In brackets right after words a slot read (a gloss of them), or numbers all of which
    a slot read already."""
    first, last = u.words.tokens[0], u.words.tokens[-1]
    opened = [t for t in tokens[:first] if t.text == "("]
    closed = opened and all(t.text != ")" for t in tokens[opened[-1].index : first])
    if closed and opened[-1].index > 0 and opened[-1].index - 1 in consumed:
        return True
    read_numbers = {tokens[i].norm for i in consumed if tokens[i].kind is Kind.NUMBER}
    numbers = [tokens[i].norm for i in range(first, last + 1) if tokens[i].kind is Kind.NUMBER]
    return bool(numbers) and set(numbers) <= read_numbers


def _weight(
    u: Unused, tokens: Sequence[Token], lexicon: Lexicon, vocab: Vocabulary
) -> Weight | None:
    first = u.words.tokens[0]
    span = [tokens[i] for i in range(first, u.words.tokens[-1] + 1)]
    if lexicon.negation_before([t.norm for t in tokens[:first]]) is not None:
        # "a 60 min window, not 15": a number set against the one stated is no part to drop;
        # "outside the shifts (no primeiro/segundo turno)": the site's shifts restated
        contrast = all(t.kind is Kind.NUMBER or not t.is_content for t in span)
        shifts = {p for name in vocab.shifts for p in name.lower().split()}
        restated = all(t.norm in shifts or not t.is_content for t in span)
        return None if contrast or restated else Weight.NEGATION
    if any(t.text in MONEY_SIGNS for t in span):
        return Weight.MONEY
    for t in span:
        found = _token_weight(t, lexicon, vocab)
        if found is not None:
            return found
    return _table_weight(u.text.lower(), lexicon)


def _token_weight(t: Token, lexicon: Lexicon, vocab: Vocabulary) -> Weight | None:
    if t.norm in lexicon.negations:
        return Weight.NEGATION  # "without" before a name read as one to add
    # digits only: a number word left over counts something already read ("the same two
    # months"); digits are a threshold, a price or a day no slot took
    if t.kind in (Kind.NUMBER, Kind.TIME):
        return Weight.NUMBER
    if t.kind is not Kind.WORD:
        return None
    # names that are also ordinary words ("sun", "mar", "segunda") count when written as names
    named = t.norm not in CALENDAR.needs_lead or t.text[:1].isupper()
    if (t.norm in MONTHS or t.norm in WEEKDAYS) and named:
        return Weight.DATE
    if len(t.norm) > 1 and is_unit(t.text):
        return Weight.UNIT
    if t.norm in vocab.metrics or _table_weight(t.norm, lexicon) is not None:
        return Weight.MEASURE if t.norm in vocab.metrics else _table_weight(t.norm, lexicon)
    if len(t.norm) > 2 and t.norm not in lexicon.known_words and t.norm in _name_words(vocab):
        return Weight.METER
    return None


def _table_weight(text: str, lexicon: Lexicon) -> Weight | None:
    table = next((t for t in lexicon.word_tables(text) if t in WEIGHED_TABLES), None)
    return None if table is None else WEIGHED_TABLES[table]


def _name_words(vocab: Vocabulary) -> frozenset[str]:
    """The words of the site's meter names, aliases and groups."""
    return frozenset(p for k in vocab.keys for p in k.pieces if p.isalpha())
