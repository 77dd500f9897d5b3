"""Round M's library questions: an amount asked "typically" of a symptom is a rule of thumb
for the library, a German "which kinds are there" searches the library's words, and the
passage quoted keeps the list a sentence introduces and, for an amount, the sentence with the
figure. Passages here are written for the test."""

from __future__ import annotations

from agent.offline import knowledge
from agent.offline.requests import _written_out
from agent.reader import Intent, read
from agent.render.knowledge import condense
from tests.reader_plants import NOW, PLANTS

W = PLANTS["werk"]


def test_an_amount_typically_lost_to_a_symptom_is_a_library_question() -> None:
    for question in (
        "Roughly how much extra gas does Gaskessel short-cycling typically cost?",
        "How much more energy do compressed-air leaks usually waste?",
    ):
        r = read(question, W, NOW)
        assert r.intent is Intent.KNOWLEDGE, (question, r.intent)
    assert read("How much gas did the Gaskessel use last week?", W, NOW).intent is Intent.DATA


def test_a_german_question_for_kinds_searches_types() -> None:
    r = read("Was genau ist ein EnPI nach ISO 50001 und welche Arten gibt es?", W, NOW)
    query = knowledge.search_query(_written_out(r)).split()
    assert "types" in query and not {"genau", "gibt", "arten"} & set(query)


PASSAGE = """A pump runs dry when its suction side empties while the motor keeps turning. It
heats the seal within seconds and scores the impeller. Operators rarely notice at first.
Typical damage from running dry: 2 to 5 seal replacements a year.

The standard names three kinds:
- Dry start: the pump is started against an empty suction line.
- Dry run: the tank empties while it runs, and the motor keeps going.
- Cavitation: the suction pressure drops below the vapour pressure.
"""


def test_a_sentence_introducing_a_list_keeps_the_list() -> None:
    said = condense(PASSAGE.split("\n\n")[1], "pump dry kinds")
    for kind in ("Dry start", "Dry run", "Cavitation"):
        assert kind in said, said


def test_an_amount_asked_prefers_the_sentences_with_a_figure() -> None:
    said = condense(PASSAGE.split("\n\n")[0], "roughly much damage pump dry typically")
    assert "2 to 5" in said, said
    plain = condense(PASSAGE.split("\n\n")[0], "pump dry damage")
    assert plain.startswith("A pump runs dry"), plain
