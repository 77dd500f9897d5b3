"""What an incident question asks for beyond its slots: the state filter ("still not
resolved"), the severity ("critical incidents"), the one event it names ("the leak on pump 2
in September"), and the questions asked back before a change. The words are data, in
incidents.yaml beside this module."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from agent.offline.plan import Call, Plan
from agent.reader import Intent, Kpi, Reading
from agent.reader.intents import CONTEXT
from agent.reader.slots import Action, Reference, Words
from common.errors import EMSError

WORDS_FILE = Path(__file__).with_name("incidents.yaml")

ASK_NOTE = (
    "What was found or done? Resolving incident #{n} needs a short note, e.g. 'replaced the "
    "leaking coupling'; it is kept, so the next similar incident can cite it."
)
ASK_WHICH = (
    "Which incident? Give its number, e.g. '{verb} incident 4'; 'any open incidents?' lists them."
)
# The state each group of state words asks for, in the order they are tried (incidents.yaml).
STATE_OF_GROUP = {
    "all": "all",
    "not_resolved": "active",
    "resolved": "resolved",
    "not_acknowledged": "open",
    "active_and_acknowledged": "active",
    "new": "open",
    "acknowledged": "acknowledged",
    "active": "active",
}
# What an incident keeps of its impact: a figure of these asked of one event is the incident's.
IMPACT = frozenset({Kpi.ENERGY, Kpi.COST, Kpi.CARBON})
CHANGES = frozenset({Action.ACKNOWLEDGE, Action.RESOLVE})
# Questions an event named as one incident is taken from: a meter's figures, an anomaly check,
# the data's coverage ("the outage"), a baseline ("the extra energy of the leak").
EVENT_INTENTS = frozenset(
    {Intent.DATA, Intent.ANOMALY, Intent.COVERAGE, Intent.BASELINE, Intent.INCIDENT}
)


class InvalidIncidentWords(EMSError):
    """incidents.yaml does not follow its schema; the message names the entry."""


@dataclass(frozen=True)
class IncidentWords:
    events: Mapping[str, re.Pattern[str]]  # incident kind -> its event words
    states: tuple[tuple[str, re.Pattern[str]], ...]  # state filter -> its words, in order
    listing: re.Pattern[str]
    plural: re.Pattern[str]
    one: re.Pattern[str]  # a word standing for one listed incident, right after what picks it
    weigh: re.Pattern[str]  # words that weigh two incidents against each other


def _any_of(phrases: Sequence[Any]) -> re.Pattern[str]:
    alternatives = "|".join(
        sorted((str(p).replace(" ", r"\s+") for p in phrases), key=len, reverse=True)
    )
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


@cache
def words() -> IncidentWords:
    return parse_words(yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8")), WORDS_FILE.name)


def parse_words(data: Any, name: str) -> IncidentWords:
    """The incident words of a loaded file; a file that lacks a section, names a state group
    that does not exist or holds a broken pattern is refused, naming the file and the fault."""
    try:
        events = {str(k): _any_of(v) for k, v in data["events"].items()}
        states = tuple((STATE_OF_GROUP[str(k)], _any_of(v)) for k, v in data["states"].items())
        one = re.compile(rf"\s+{_any_of(data['one_of_listed']).pattern}", re.IGNORECASE)
        return IncidentWords(
            events,
            states,
            _any_of(data["listing"]),
            _any_of(data["incidents"]),
            one,
            _any_of(data["weigh"]),
        )
    except (KeyError, TypeError, AttributeError, re.error) as exc:
        raise InvalidIncidentWords(f"{name}: {type(exc).__name__} {exc}") from None


def state_of(text: str, has_period: bool) -> str:
    """The state filter a listing asks for: active (open or acknowledged) unless it says; with
    a period and no state word, every state of that period."""
    for state, pattern in words().states:
        if pattern.search(text):
            return state
    return "all" if has_period else "active"


def state_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Where the question says a state ("still open, not even acknowledged"): the words the
    state filter used, so none of them is left over as unread."""
    return tuple(m.span() for _, pattern in words().states for m in pattern.finditer(text))


def says_state(text: str) -> bool:
    """Whether the question names a state at all ("open", "resolved", "abertos")."""
    return any(pattern.search(text) for _, pattern in words().states)


def asks_state(text: str) -> bool:
    """ "the furnace incident from August - is it still open?": a state word closing the
    question is what it asks of the incident, not the state that picks it ("the open one on
    the furnace")."""
    rest = re.compile(r"[\s?!.]*$")
    return any(
        rest.fullmatch(text, m.end())
        for _, pattern in words().states
        for m in pattern.finditer(text)
    )


def lists(text: str) -> bool:
    """ "which incidents did we resolve", "list the incidents we acknowledged": a question
    about several incidents, whose verb is a filter, not a change to make."""
    w = words()
    return bool(w.plural.search(text) and w.listing.search(text))


def severity_of(text: str) -> str | None:
    """The severity a question narrows incidents to ("any critical incidents?"), if any."""
    m = re.search(r"\b(critical|warning|info)s?\b", text)
    return m.group(1) if m else None


def event_kinds(r: Reading) -> tuple[str, ...]:
    """The incident kinds of the one event the question names ("the leak", "a spike this
    morning", "the outage from 8 Oct"), in the question itself, not in a statement after it
    of why it is asked ("... ? we had that leak")."""
    question = r.question
    for cue in r.cues:  # "... last week - leak hunting": why it is asked, no event named
        if cue.feature == "purpose" and cue.words.tokens:
            w = cue.words
            question = question[: w.start] + " " * (w.end - w.start) + question[w.end :]
    context = CONTEXT.search(question)
    text = question[: context.start()] if context and context.start() else question
    # "How much overnight...? Trying to size the leak losses.": only the sentences that ask
    asked = [m.group(0) for m in re.finditer(r"[^?.!]*\?", text)]
    if asked:
        text = " ".join(asked)
    return tuple(kind for kind, pattern in words().events.items() if pattern.search(text))


def of_event(r: Reading) -> tuple[str, ...]:
    """The incident kinds of the event the question asks about as an incident: one event it
    names, asked for what an incident keeps of it (its extra energy, cost or CO2), its state,
    or to acknowledge or resolve it. Empty when it asks none of these ("any spikes?")."""
    if r.intent not in EVENT_INTENTS:
        return ()
    kinds = event_kinds(r)
    if not kinds:
        return ()
    asked = (
        any(m.kpi in IMPACT for m in r.measures)
        or "state" in r.features()
        or bool({a.action for a in r.actions} & CHANGES)
    )
    return kinds if asked else ()


def then_call(detail: Mapping[str, Any], listed: Any) -> dict[str, Any] | None:
    """The change a plan proposes once the incidents it looked up are in ("ack the Pump 2
    spike": the active incidents of Pump 2 first): the arguments of update_incident for the
    one incident of the kinds named, or None when none or several are (then it is asked back,
    never guessed)."""
    then = detail.get("then")
    found = list(getattr(listed, "incidents", None) or [])
    if not then or not found:
        return None
    kinds = tuple(detail.get("kinds", ()))
    matching = [i for i in found if not kinds or i.kind in kinds]
    if len(matching) != 1:
        return None
    return {"incident_id": matching[0].id, **then}


def one_of_listed(r: Reading, listed: Sequence[tuple[int, str, str]]) -> Reading:
    """ "tell me more about the burner one", "the gas one", "the leak incident" after incidents
    were listed (`listed`: number, meter, kind): the one listed incident the words pick out, by
    its meter (the catalogue's meters for the words: a name, an alias, a word of the
    description, the carrier) or its kind, followed by a word standing for one item. Unchanged
    when nothing is so picked out, or the words fit none or several (asked, never guessed)."""
    if not listed or any(ref.words.tokens for ref in r.references):
        return r
    w = words()
    named = [(m.words, m.meters) for m in r.meters] + [(c.words, c.meters) for c in r.carriers]
    picked = [(said, set(meters), set[str]()) for said, meters in named if said.tokens]
    for kind, pattern in w.events.items():
        for found in pattern.finditer(r.question):
            span = Words((), found.start(), found.end(), found.group(0))
            picked.append((span, set(), {kind}))
    for said, meters, kinds in picked:
        one = w.one.match(r.question, said.end)
        matching = {n for n, meter, kind in listed if meter in meters or kind in kinds}
        if one is None or len(matching) != 1:
            continue
        tokens = tuple(t.index for t in r.tokens if said.start <= t.start < one.end())
        words_ = Words(tokens, said.start, one.end(), r.question[said.start : one.end()])
        ref = Reference("incident", matching.pop(), words_)
        return replace(r, references=(ref,), intent=Intent.INCIDENT)
    return r


def weighs_shown(r: Reading, shown: Sequence[int]) -> bool:
    """ "which was worse and by how much?" after two answers that each showed one incident:
    the two incidents weighed against each other, when the question names no meter, period
    or incident of its own (then it asks about those instead)."""
    if len(shown) < 2 or not words().weigh.search(r.question):
        return False
    said = [m.words for m in r.meters] + [p.words for p in r.periods]
    own = [w for w in said + [x.words for x in r.references] if w.tokens]
    return not own and not {a.action for a in r.actions} & CHANGES


def compare_shown(shown: Sequence[int], r: Reading) -> Plan:
    """The two incidents shown last, looked up again to weigh what they kept: the extra energy
    or the CO2 when the question names it, else the cost."""
    said = {m.kpi for m in r.measures if m.words.tokens}
    weighed = "extra_kwh" if Kpi.ENERGY in said else "co2_kg" if Kpi.CARBON in said else "cost"
    calls = tuple(Call("get_incident", {"incident_id": n}) for n in shown[:2])
    return Plan("incident_compare", calls, detail={"weighed": weighed})


def about_incidents(before: Reading | None) -> bool:
    """Whether the turn before was about incidents: an incident question, or one that kept
    an incident under discussion."""
    return before is not None and (
        before.intent is Intent.INCIDENT or any(x.kind == "incident" for x in before.references)
    )


def one_named(r: Reading, before: Reading | None) -> Reading:
    """ "and the September one on the GA 75?", "the pump-2 one from this month" while the
    conversation is about incidents: one incident picked by its month or its meter (a word
    standing for one item right after them), looked up by them among the stored incidents
    rather than a meter's figures for the month. Unchanged otherwise, and when the question
    names an incident by its number."""
    if not about_incidents(before) or r.intent is Intent.INCIDENT:
        return r
    if any(x.words.tokens for x in r.references):
        return r
    w = words()
    named = [m.words for m in r.meters] + [p.words for p in r.periods]
    if any(said.tokens and w.one.match(r.question, said.end) for said in named):
        return replace(r, intent=Intent.INCIDENT, references=())
    return r


def names_one(r: Reading) -> bool:
    """A word standing for one incident right after the meter or the month that picks it
    ("the September one")."""
    w = words()
    named = [m.words for m in r.meters] + [p.words for p in r.periods]
    return any(said.tokens and w.one.match(r.question, said.end) for said in named)
