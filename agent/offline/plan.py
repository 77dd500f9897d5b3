"""From a reading to tool calls, or to one question back when something needed is missing or
ambiguous, or to an honest refusal: one small handler per intent (and, for questions that ask
for numbers, per kind of question, in agent/offline/data.py), found by the intent."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from agent.offline.site import Site
from agent.reader import Intent, Op, Reading
from agent.reader.conversation import Pending
from agent.reader.slots import PeriodMention, TimeSpan

# Questions for numbers about meters: "it" must be a meter
POINTING = frozenset({Intent.DATA, Intent.BASELINE, Intent.COVERAGE, Intent.FORECAST})
ASK_PERIOD = "For which period? For example 'yesterday', 'last week', 'this month' or 'September'."


@dataclass(frozen=True)
class Call:
    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Plan:
    """What the model does for a question: tool calls, or a message (a question back, a
    refusal, help), with what the answer must say besides the results."""

    kind: str
    calls: tuple[Call, ...] = ()
    message: str | None = None
    outcome: str = "answer"  # answer | clarify | refuse
    notes: tuple[str, ...] = ()  # assumptions and defaults the answer states
    pending: Pending | None = None
    options: tuple[str, ...] = ()
    detail: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    # the reading the plan was made from, when its handler read more of the question (words a
    # ranking consumed): what the answer says it did not use comes from this one
    reading: Reading | None = None


@dataclass(frozen=True)
class Question:
    """Everything a handler plans from."""

    reading: Reading
    site: Site
    now: datetime
    tools: frozenset[str]
    previous_meters: tuple[str, ...] = ()  # what the last answer was about
    previous_answer: str = ""
    recent_periods: tuple[TimeSpan, ...] = ()  # the periods discussed, the latest first
    shown_incidents: tuple[int, ...] = ()  # the incidents answers showed, the latest first

    @property
    def subject_periods(self) -> tuple[PeriodMention, ...]:
        return tuple(p for p in self.reading.subject_periods if p.span is not None)

    def period(self, index: int = 0) -> str | None:
        found = [p.span for p in self.subject_periods if p.span is not None]
        return found[index].period if len(found) > index else None


Handler = Callable[[Question], Plan]
HANDLERS: dict[Intent, Handler] = {}


def handles(*intents: Intent) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of these intents."""

    def register(fn: Handler) -> Handler:
        for intent in intents:
            if intent in HANDLERS:
                raise TypeError(f"intent {intent} has two handlers")
            HANDLERS[intent] = fn
        return fn

    return register


def ask(message: str, *, pending: Pending | None = None, options: tuple[str, ...] = ()) -> Plan:
    return Plan("clarify", message=message, outcome="clarify", pending=pending, options=options)


def refuse(message: str) -> Plan:
    return Plan("refuse", message=message, outcome="refuse")


def say(message: str, kind: str = "say") -> Plan:
    return Plan(kind, message=message)


def plan(q: Question) -> Plan:
    """The plan for the question: its intent's handler."""
    from agent.offline import data, incidents, refusals, requests  # noqa: F401  (handlers)
    from agent.offline.areas import no_floor_area, stated_area
    from agent.offline.calorific import with_calorific
    from agent.offline.requests import unwritten_zero

    handler = HANDLERS.get(q.reading.intent)
    if "list_incidents" in q.tools and incidents.of_event(q.reading):
        handler = HANDLERS[Intent.INCIDENT]  # "what did the leak cost?": the incident's own cost
    if "get_incident" in q.tools and incidents.weighs_shown(q.reading, q.shown_incidents):
        return incidents.compare_shown(
            q.shown_incidents, q.reading
        )  # "which was worse?" of two shown
    if handler is None:
        return ask("What would you like to know? " + refusals.HELP)
    which = (
        _which_day(q)
        or refusals.not_yet(q)
        or refusals.unmeasured_asked(q)
        or refusals.other_site(q)
    )
    if which is not None:
        return which
    unresolved = next((x for x in q.reading.referents if x.kind == "unresolved"), None)
    if unresolved is not None:
        return _ask_which(q, unresolved.words.text)
    dangling = _points_nowhere(q)
    if dangling is not None:
        shown = ", ".join(m.name for m in q.site.vocab.meters[:8])
        return ask(
            f"Which meter do you mean by '{dangling}'? Nothing was discussed before this "
            f"question. The meters here include {shown}."
        )
    decided = with_calorific(q, handler(q))
    return (
        refusals.unread_figure(q, decided)
        or refusals.unplaced_measure(q, decided)
        or stated_area(q, decided)
        or no_floor_area(q, decided)
        or unwritten_zero(q, decided)
        or decided
    )


def _which_day(q: Question) -> Plan | None:
    """ "12/10" (or "1/10 to 7/10") where both orders give days and the site's catalogue
    does not say how it writes dates, or a day without a year whose coming one is near: one
    question back naming both, never one picked silently."""
    found = next((p for p in q.reading.periods if p.choices), None)
    if found is None:
        return None
    days = tuple(c.label for c in found.choices)
    one_day = {(c.start.month, c.start.day) for c in found.choices if c.start}
    why = (
        "It was written without a year, and the coming one is less than a month away."
        if len(one_day) == 1
        else "The site's catalogue names no country whose date order would tell."
    )
    return ask(
        f"Which do you mean by '{found.words.text}': {' or '.join(days)}? {why}", options=days
    )


def _ask_which(q: Question, word: str) -> Plan:
    """ "the other one" after three meters, "the first one" at a conversation's start: the
    meters it could mean, asked back."""
    shown = q.previous_meters or tuple(m.name for m in q.site.vocab.meters[:8])
    before = "the last answer was about" if q.previous_meters else "the meters here include"
    return ask(f"Which meter do you mean by '{word}'? {before.capitalize()} {', '.join(shown)}.")


def _points_nowhere(q: Question) -> str | None:
    """The word ("it", "that one", "the two") of a first question that points back to meters
    when nothing came before it and it names none: a guess (the site, the largest meter) would
    answer another question. In a ranking it is the question's own top meter ("the biggest
    consumer and how much did it use")."""
    r = q.reading
    if (
        r.intent not in POINTING
        or q.previous_answer
        or q.previous_meters
        or r.names_scope
        or r.all_meters
        or r.site_wide
        or r.asks(Op.RANK)
        or r.top
    ):
        return None
    found = (x for x in r.referents if x.kind in ("that", "pair") and x.words.tokens)
    first = next(found, None)
    return first.words.text if first is not None else None
