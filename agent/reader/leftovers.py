"""What no slot consumed: names shaped like a meter's that the catalogue lacks ("pump 7"), and
the remaining content words, merged into phrases as written, for "I did not use ..."."""

from __future__ import annotations

from agent.reader.lexicon import Lexicon
from agent.reader.slots import UnknownName, Unused
from agent.reader.text import Kind, Sheet, Token
from agent.reader.vocabulary import Vocabulary


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
