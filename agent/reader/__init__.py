"""The question reader: what a question asks, slot by slot, with the words each slot consumed
and the words none did, and how a follow-up completes itself from the turn before.

    vocab = vocabulary_from_store(conn, site)       # or build_vocabulary(...)
    reading = read(question, vocab, now)            # now: aware, in the site's time zone
    reading = follow(reading, previous_frame, now)  # previous_frame: Frame | None
    ... plan and answer ...
    frame = Frame(reading, subjects=("press-2",))   # what the answer was about
"""

from agent.reader.conversation import Frame, Pending, follow
from agent.reader.lexicon import InvalidLexicon, Lexicon, default_lexicon, load_lexicon
from agent.reader.reader import UnreadableQuestion, read
from agent.reader.reading import Reading
from agent.reader.slots import Intent, Kpi, Match, Op, PeriodRole, Reason, Relation, Scope
from agent.reader.vocabulary import (
    InvalidVocabulary,
    MeterEntry,
    Vocabulary,
    build_vocabulary,
    vocabulary_from_store,
)

__all__ = [
    "Frame",
    "Intent",
    "InvalidLexicon",
    "InvalidVocabulary",
    "Kpi",
    "Lexicon",
    "Match",
    "MeterEntry",
    "Op",
    "Pending",
    "PeriodRole",
    "Reading",
    "Reason",
    "Relation",
    "Scope",
    "UnreadableQuestion",
    "Vocabulary",
    "build_vocabulary",
    "default_lexicon",
    "follow",
    "load_lexicon",
    "read",
    "vocabulary_from_store",
]
