"""What a "which ... more" question chooses between when it names two meters (or a family of
them) and two periods: the meters or the periods, told by the noun after "which" (a word of a
meter's name, or a word for a span of time); asked back when the question does not say. And
sides each written with a period of its own, paired."""

from __future__ import annotations

import itertools
from dataclasses import replace
from enum import StrEnum

from agent.offline.plan import Plan, Question, ask
from agent.offline.scope import Sides
from agent.reader import Op, Reading
from agent.reader.slots import PeriodMention, PeriodRole

# Words between "which" and its noun that say nothing of what is chosen ("which of the two").
FILLERS = frozenset({"of", "the", "these", "those", "two", "both", "our", "my", "one", "ones"})
# Words for a span of time: "which month", "which of the two periods".
TIME_NOUNS = frozenset(
    "day days week weeks month months quarter quarters year years period periods season "
    "seasons shift shifts time".split()
)
WHICH = frozenset({"which", "whichever"})
UNREAD_WORDS = 2  # words between "which" and its noun that no slot read ("which transfer pump")


class Chooses(StrEnum):
    METERS = "meters"
    PERIODS = "periods"
    UNSAID = "unsaid"


def _claimed_by_meter(r: Reading, index: int) -> bool:
    mentions = [m.words for m in r.meters] + [s.words for s in r.scopes]
    return any(index in w.tokens for w in mentions)


def _claimed_by_period(r: Reading, index: int) -> bool:
    return any(index in p.words.tokens for p in r.periods)


def chooses(r: Reading) -> Chooses:
    """The noun "which" is said of: a meter's word (or a word for meters) chooses between the
    meters, a word for time or a period itself between the periods. Words no slot read
    ("which transfer pump") are passed over, a few at most; a word some other slot read
    ("which used more") leaves it unsaid."""
    claimed = r.consumed()
    for t in r.tokens:
        if t.norm not in WHICH:
            continue
        after = [u for u in r.tokens[t.index + 1 :] if u.is_content and u.norm not in FILLERS]
        for noun in after[: UNREAD_WORDS + 1]:
            if _claimed_by_meter(r, noun.index):
                return Chooses.METERS
            if noun.norm in TIME_NOUNS or _claimed_by_period(r, noun.index):
                return Chooses.PERIODS
            if noun.index in claimed:
                return Chooses.UNSAID
        return Chooses.UNSAID
    return Chooses.UNSAID


def named_periods(r: Reading) -> list[PeriodMention]:
    """The periods the question itself names as its own or as the one to compare with
    ("last week or the week before"), in the order written."""
    roles = (PeriodRole.SUBJECT, PeriodRole.REFERENCE)
    found = [p for p in r.periods if p.role in roles and p.span is not None and p.words.tokens]
    return sorted(found, key=lambda p: p.words.tokens[0])


def either_way(q: Question, found: Sides) -> Question | Plan | None:
    """For a "which ... more" question with two sides and two periods of its own: the question
    with each period its own subject when it chooses between the meters (compared in each
    period), a question back when it does not say, None when it chooses between the periods
    (or is not such a question)."""
    r = q.reading
    periods = named_periods(r)
    if not r.asks(Op.WHICH_MORE, Op.WHICH_LESS) or len(found.sides) < 2 or len(periods) < 2:
        return None
    choice = chooses(r)
    if choice is Chooses.PERIODS:
        return None
    if choice is Chooses.METERS:
        subjects = tuple(replace(p, role=PeriodRole.SUBJECT) for p in periods)
        return replace(q, reading=replace(r, periods=subjects))
    names = " or ".join(", ".join(side) for side in found.sides)
    labels = [(p.span.label if p.span else "") or p.words.text for p in periods]
    return ask(
        f"Do you want to know which meter used more ({names}) in each of "
        f"{' and '.join(labels)}, or in which period each meter used more "
        f"({' or '.join(labels)})? Say 'which meter' or 'which period'."
    )


def paired(r: Reading, found: Sides) -> tuple[tuple[tuple[str, ...], str], ...] | None:
    """ "Linha 3 last week against Linha 4 the week before": as many periods as sides, written
    side, period, side, period (or period first each time), pairs each side with its own
    period; every side in every period would state figures nobody asked for."""
    periods = named_periods(r)
    mentions = sorted((m for m in r.meters if m.words.tokens), key=lambda m: m.words.tokens[0])
    n = len(found.sides)
    if n < 2 or len(periods) != n or len(mentions) != n:
        return None
    if any(not set(side) & set(m.meters) for side, m in zip(found.sides, mentions, strict=True)):
        return None  # the sides are not the mentions in order (a group, the site)
    marks = sorted(
        [(m.words.tokens[0], "side") for m in mentions]
        + [(p.words.tokens[0], "period") for p in periods]
    )
    kinds_in_order = [k for _, k in marks]
    if any(a == b for a, b in itertools.pairwise(kinds_in_order)):
        return None  # "A and B, last week and the week before": every side in every period
    spans = [p.span.period for p in periods if p.span is not None]
    return tuple(zip(found.sides, spans, strict=True))
