"""Words that pick one meter of the conversation: "the other one" (the other of two
discussed, or of a two-meter family or group), "the first one", "the latter" (that one of the
last answer's meters, in its order). A word that points at no single meter is left unresolved,
for the answer to ask back."""

from __future__ import annotations

from dataclasses import replace

from agent.reader.conversation import ORDINALS, Frame, Pending
from agent.reader.reading import Reading
from agent.reader.slots import Intent, Match, MeterMention, Referent, Unused, Words
from agent.reader.vocabulary import Vocabulary

# "any other meter", "all other meters": every meter but the one discussed
ANY_WORDS = frozenset({"any", "all", "every", "some", "no", "anything", "alle", "andere"})


def the_other(reading: Reading, previous: Frame | None, vocab: Vocabulary) -> Reading:
    """ "same for the other one" after one of two meters of a family or a group, or after the
    second of two meters discussed: the other of the two; "the first one" or "the latter"
    after an answer about several meters: that one of them, in the answer's order. A word that
    points at no single meter (three others, nothing before) becomes an "unresolved" referent,
    asked back, never guessed."""
    if previous is not None and previous.pending is Pending.CHOICE:
        return reading  # "the second one" answers the question back, read by `follow`
    word = next((u for u in reading.unused if _picks(reading, u)), None)
    if word is None or (reading.names_scope and _family_after(reading, word) is None):
        return reading
    chosen = _picked(word.text.lower().split()[0], previous, vocab)
    family = _family_after(reading, word)
    if family is not None and not set(chosen) <= set(family.meters):
        return reading  # "the other line" after a pump: no line was discussed
    unused = tuple(u for u in reading.unused if u is not word)
    if not chosen:
        unresolved = Referent("unresolved", word.words)
        return replace(reading, referents=(*reading.referents, unresolved), unused=unused)
    said = word.words
    if family is not None:  # "other line": both words are the meter's
        w = family.words
        said = Words(
            (*said.tokens, *w.tokens), said.start, w.end, reading.question[said.start : w.end]
        )
    mention = MeterMention(chosen, Match.NAME, said, key="other")
    # with the word taken as the meter, what is left says nothing of its own ("same for ...")
    unsure = reading.intent is Intent.UNSUPPORTED and not reading.unsupported
    intent: Intent = Intent.UNCLEAR if unsure else reading.intent
    return replace(reading, meters=(mention,), unused=unused, intent=intent, follows=True)


def _family_after(reading: Reading, word: Unused) -> MeterMention | None:
    """ "the other line": the word for several meters right after "other", when it is the
    only meter the question names."""
    if len(reading.meters) != 1 or reading.scopes or reading.carriers or not word.words.tokens:
        return None
    m = reading.meters[0]
    after = word.words.tokens[-1] + 1
    return m if m.ambiguous and m.words.tokens[:1] == (after,) else None


def _picks(reading: Reading, word: Unused) -> bool:
    """ "other", "other one", "the latter", "the first one" (an ordinal alone, as in "the first
    alarm", is not a meter)."""
    words = word.text.lower().split()
    if not words or words[1:] not in ([], ["one"]) or not word.words.tokens:
        return False
    first = word.words.tokens[0]
    if first and reading.tokens[first - 1].norm in ANY_WORDS:
        return False  # "any other meter": every other one, not the other of two
    after = word.words.tokens[-1] + 1
    norms = [t.norm for t in reading.tokens[after : after + 1]]
    one = words[1:] == ["one"] or norms == ["one"]
    return words[0] in ("other", "former", "latter") or (words[0] in ORDINALS and one)


def _picked(word: str, previous: Frame | None, vocab: Vocabulary) -> tuple[str, ...]:
    """The one meter "other" or an ordinal points at, or () when it points at none or several."""
    if previous is None:
        return ()
    if word in ORDINALS:
        shown = previous.meters
        n = ORDINALS[word]
        return (shown[n],) if len(shown) >= 2 and n < len(shown) else ()
    if len(previous.meters) != 1:
        return ()
    (meter,) = previous.meters
    if len(previous.discussed) == 2 and meter in previous.discussed:
        # "press 1", "and the oven?", "the other one": the other of the two discussed
        return tuple(m for m in previous.discussed if m != meter)
    others = {
        o
        for k in vocab.keys
        if k.match in (Match.FAMILY, Match.GROUP, Match.EQUIPMENT)
        and meter in k.meters
        and len(k.meters) == 2
        for o in k.meters
        if o != meter
    }
    return (others.pop(),) if len(others) == 1 else ()
