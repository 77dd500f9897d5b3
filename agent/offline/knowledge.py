"""What a knowledge question searches for: the words of the question worth searching for
(equipment and symptom, without the filler), where to search (documents, past incidents or
both), and what "has this happened before?" is about when it names nothing itself."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import yaml

from agent.render.knowledge import ACTIONS, FILLER, SECTIONS, asked_sections, words

# Naming the documents or the incident history.
DOCUMENTS = re.compile(
    r"\b(?:run ?books?|manuals?|procedures?|documentation|documents?|docs|guidelines?|guidance|"
    r"sops?|checklists?|handbooks?|playbooks?|work instructions?|knowledge (?:base|library)|"
    r"(?:our|the) library|best practices?|according to)\b"
)


WORDS_FILE = Path(__file__).with_name("library_words.yaml")


@cache
def library_words() -> dict[str, str]:
    """Other-language words as the library's documents say them (library_words.yaml); an
    empty value drops a word that says nothing of the topic."""
    data = yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8")) or {}
    return {str(k).lower(): str(v or "") for k, v in (data.get("words") or {}).items()}


def collection(history: bool, documents: bool) -> str:
    """Where to search: past incidents, the documents, or both when both are asked for."""
    if history and documents:
        return "all"
    return "incidents" if history else "documents"


def _stem(name: str) -> str:
    """The start of a meter's name that its spellings share (its first letters, at most six)."""
    letters = re.match(r"[a-z]*", name.lower())
    return (letters.group(0) if letters else "")[:6] or name


METHOD_WORDS = ("product",)  # how the library names the product when it says how it works
SECTION_NAMES = frozenset({name for name, _ in SECTIONS} | set(METHOD_WORDS))
EQUIPMENT_WORDS = 3  # words of a meter's description that say what equipment it is


def equipment(description: str) -> list[str]:
    """What a meter is, from its catalogue description: the last words before its first
    clause mark or preposition ("Variable-speed screw compressor, 75 kW" -> variable-speed
    screw compressor; "Chilled-water plant for process cooling" -> chilled-water plant), where
    the noun that says what it is stands in English; no figures."""
    head = re.split(r"[,;:(.]|\b(?:for|of|with|at|in|on|from|by|to)\b", description.lower())[0]
    found = [w for w in words(head) if w not in FILLER and not any(c.isdigit() for c in w)]
    return found[-EQUIPMENT_WORDS:]


def _without_names(text: str, names: Iterable[str]) -> str:
    for name in sorted(names, key=len, reverse=True):
        spaced = r"[\s-]?".join(map(re.escape, re.split(r"[\s-]", name)))
        text = re.sub(rf"\b{spaced}\b", " ", text, flags=re.IGNORECASE)
    return text


def search_query(
    text: str,
    meters: Iterable[str] = (),
    context: str = "",
    described: dict[str, tuple[str, str]] | None = None,
    method: bool = False,
) -> str:
    """The words of a question worth searching for: equipment and symptom, without the filler.

    `meters` are the canonical names the question refers to (added when it used an alias);
    `context` is what the conversation was about ("pump consumption high"), used for "has
    this happened before?" that names nothing itself. `described` maps a meter to the words
    the question named it by and its catalogue description: a plant's own name ("GA 75") is
    in no runbook, so it narrows the search by what the meter is instead of replacing it.
    `method`: the question asks how the product itself works a figure out."""
    described = described or {}
    meters = list(meters)
    text = _without_names(text, [w for said, _ in described.values() for w in (said,)])
    kinds = [w for _, desc in described.values() for w in equipment(desc)]
    meters = [m for m in meters if m not in described]
    for name in meters:  # "pump 2" is pump-2
        spaced = r"[\s-]?".join(map(re.escape, re.split(r"[\s-]", name)))
        text = re.sub(rf"\b{spaced}\b", name, text, flags=re.IGNORECASE)
    kept = [w for w in words(text) if w not in FILLER and not w.isdigit()]
    kept += [w for w in kinds if w not in kept]
    # a name the question shortened stays; a topic that shares a name's start is not a name
    kept += [m for m in meters if m not in kept and not any(w.startswith(_stem(m)) for w in kept)]
    topical = [w for w in kept if w not in ACTIONS]
    if context and (len(topical) < 2 or ENDS_ON_PRONOUN.search(text)):
        kept += [w for w in words(context) if w not in kept and w not in FILLER]
    if method:
        # how the product itself works a figure out: the library says so of "the product",
        # in whichever section holds it, not in the checks or fixes a verb would point to
        kept += [w for w in METHOD_WORDS if w not in kept]
    else:
        kept += [s for s in asked_sections(text) if s not in kept]
    return " ".join(kept) or " ".join(words(text))


KINDS = re.compile(
    r"\b(?:consumption high|consumption low|demand spike|meter outage|stuck meter|negative "
    r"values|compressed[- ]air leak|short[- ]cycling|efficiency drift|fouling)\b"
)


REFERS = re.compile(r"\b(?:this|that|it|these|those|same|such)\b")
# "anything to watch out for before we drop it?": the thing spoken of is the last one's topic
ENDS_ON_PRONOUN = re.compile(r"\b(?:it|this|that|them|these|those)\s*(?:[?.!,;]|$)")
# what the last answer searched the library for, as it said so
SEARCHED = re.compile(r'searched for "([^"]+)"')


def refers_back(text: str, where: str) -> bool:
    """Whether a knowledge question leans on the conversation: "has this happened before?",
    "any similar incidents?", "how do I fix it?" (a definition question stands alone)."""
    return where != "documents" or bool(REFERS.search(text))


def context_of(meters: Iterable[str], answer: str) -> str:
    """What a conversation was about, for "has this happened before?": the meters of the last
    question, the event kinds the last answer named and what it searched the library for."""
    kinds = dict.fromkeys(m.group(0) for m in KINDS.finditer(answer.lower()))
    searched = SEARCHED.search(answer)
    # the topic searched, not the kind of section the last question wanted ("fixes")
    topic = [w for w in searched.group(1).split() if w not in SECTION_NAMES] if searched else []
    return " ".join([*meters, *kinds, *topic])


# The lines of an answer that say how its figures were worked out.
METHOD_LINES = re.compile(r"^(?:Method|Used|Source|Meters checked|Baseline|Model)\b[^:\n]*:", re.M)


def method_of(answer: str) -> list[str]:
    """How the last answer's figures were worked out, as it stated: its method, the settings
    it used and its source (empty when it stated none)."""
    return [line.strip() for line in answer.splitlines() if METHOD_LINES.match(line.strip())]
