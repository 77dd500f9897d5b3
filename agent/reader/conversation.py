"""Conversation state that follows the user: a follow-up inherits what it leaves out from the
turn before, a new question that names its own scope does not, and the words that point back
("that", "it", "the two", "as a percentage", "and the week before") are resolved.

What each kind of turn keeps from the conversation (K) and what it replaces (R):

- a new period only ("and the week before?", "same for last month", "and yesterday?"):
  K meters, measure, operation, parameters; R the period (a relation such as "the week
  before" is taken from the last subject period).
- a new meter only ("and press 2?", "what about the dryer?", "same for the other one"):
  K period, measure, operation, parameters; R the meters.
- a unit or derived figure ("in MWh", "as a share", "per day", "in R$", "the difference?"):
  K meters, period and measure (unless the unit cannot measure it); R unit, operation, grain.
- "that", "it": the meters the last answer was about (several stay one side).
- "the two", "both", "compare the two": the two meters of the last answer, else the last two
  discussed; after two periods, the two periods.
- "the first one", "the latter": that meter of the last answer, in its order.
- "the other one": the other of the last two discussed, else of a two-meter family or group.
- "the bigger one", "the one that used less": the meter the last answer put first or last by
  the figure it compared (a comparison or a ranking of meters); asked back after any other.
- a question naming its own meters and period: K nothing it names (a data question naming
  no period takes the period under discussion); a new metric naming no scope: K the scope.
- a stated price, factor or exchange rate: K in every later turn of the thread that states
  none of its kind; R when a turn states another. A price or factor belongs to the carrier it
  was stated for (said, "a gas factor of 0.18", or of the meters asked): K only in turns about
  that carrier ("and the gas burner?" after a grid factor takes the site's gas factor); a turn
  stating one for another carrier R only that carrier's.
- a stated threshold: K in follow-ups of the same kind and in an alert asked "for that".
- a confirmation, a decline, "help": K nothing.

A referent that points at no single meter ("it" at a conversation's start, "the other one"
after three meters, "the second one" after one) is asked back, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from functools import cache
from itertools import pairwise
from typing import Any

from agent.reader.conditions import held_for
from agent.reader.dates import bounds, same_stretch, shift
from agent.reader.lexicon import default_lexicon
from agent.reader.parameters import parse_number
from agent.reader.reader import read
from agent.reader.reading import Reading
from agent.reader.slots import (
    WINDOW_KPIS,
    CarrierMention,
    FreeText,
    HourWindow,
    Intent,
    Kpi,
    Match,
    MeasureMention,
    MeterMention,
    Op,
    OperationMention,
    PeriodMention,
    PeriodRole,
    Reason,
    Referent,
    Relation,
    Scope,
    ScopeMention,
    Threshold,
    TimeSpan,
    UnitMention,
    Unused,
    Words,
)
from agent.reader.vocabulary import ENERGY_CARRIERS, Vocabulary, pieces
from common.errors import EMSError, UnknownUnit
from common.units import METRIC_DIMENSIONS, parse_unit

# Cue features that make a question a request of its own kind, not a fragment of the last one.
WEAK_FEATURES = frozenset(
    {"list", "condition", "judgement", "state", "usual", "follow", "purpose", "runs", "whole"}
)
BACK_WORDS = frozenset({"similar", "this", "that", "it", "such", "same"})
# Intents a follow-up never takes over: it cannot be "yes" to a question nobody asked.
NOT_INHERITED = frozenset(
    {Intent.CONFIRM, Intent.DECLINE, Intent.HELP, Intent.UNSUPPORTED, Intent.UNCLEAR}
)
REFERENCE_INTENTS = {
    "incident": Intent.INCIDENT,
    "alert": Intent.ALERT_ACK,
    "rule": Intent.ALERT_UPDATE,
}
COMPARING = (Op.MORE, Op.LESS, Op.WHICH_MORE, Op.WHICH_LESS, Op.COMPARE, Op.DIFFERENCE)
# Kinds of request made of a threshold: one that states none takes the one just discussed
SETS_THRESHOLD = frozenset({Intent.ALERT_CREATE})
# What "ok, set that up (as an alert rule)" reads as on its own: a yes, or the rules asked about
SET_UP_FROM = frozenset({Intent.CONFIRM, Intent.ALERT_RULES})
# Kinds of question whose next question of the same kind, naming nothing, is about the same
# meters and period ("which days are missing?" after a coverage)
GOES_ON = frozenset({Intent.COVERAGE})
# Words that put a question in the past ("were there"), and words that ask of the present
# state whatever the tense ("still open", "now"): an incident question of the past is of the
# period under discussion.
PAST_WORDS = frozenset("was were did had happened occurred opened raised fired".split())
PRESENT_WORDS = frozenset(
    "still now currently open ongoing active running unresolved outstanding current".split()
)
DISCUSSED = 8  # meters of earlier turns kept for "the two"
# nouns of several periods: "those two months", "both weeks", "the two shifts"
PERIOD_NOUNS = frozenset({"days", "weeks", "months", "quarters", "years", "periods", "shifts"})
# "same line", "selbe Linie", "mesma linha": a word for several meters after one of these is
# the one of them just discussed
SAME_WORDS = frozenset({"same", "selbe", "selben", "gleiche", "gleichen", "mesma", "mesmo"})
# "the compressor" right after one of the compressors: the definite article points back
DEFINITE = frozenset({"the", "o", "a", "der", "die", "das", "den"})
# "the same days last week": words after "same" that mean the stretch of days just discussed
STRETCH_WORDS = frozenset({"days", "dates", "weekdays", "stretch", "span"})
# "of" before the whole of a share: "% of the board", "Prozent vom Hauptzähler", "% do QGBT"
OF_WORDS = frozenset({"of", "vom", "von", "des", "do", "da", "de"})
ORDINALS = {"first": 0, "1st": 0, "former": 0, "second": 1, "2nd": 1, "latter": 1, "third": 2,
            "3rd": 2}  # fmt: skip


class Pending(StrEnum):
    """What the last answer asked the user for."""

    CHOICE = "choice"  # which of several meters
    NOTE = "note"  # a note for resolving or acknowledging
    CONFIRM = "confirm"  # yes or no to a proposed write


@dataclass(frozen=True)
class Frame:
    """The turn before, as the next one sees it: what was read (after its own follow-up
    resolution), what the answer was about, and what it asked back, if anything."""

    reading: Reading
    subjects: tuple[str, ...] = ()  # meters the answer named ("the top consumer was press-2")
    pending: Pending | None = None
    options: tuple[str, ...] = ()  # the meters offered when asking which one
    discussed: tuple[str, ...] = ()  # meters of this and earlier turns, the latest first
    # what the user stated in this or an earlier turn (a price, a factor, a rate), by slot:
    # it holds for the rest of the conversation until a turn states another
    stated: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    ranked: tuple[str, ...] = ()  # the answer's meters by the figure it compared, largest first
    # the periods this and earlier turns asked about, the latest first: "how much up or
    # down?" after "last week?" and "and the week before?" sets the two against each other
    periods_discussed: tuple[PeriodMention, ...] = ()

    @property
    def meters(self) -> tuple[str, ...]:
        return self.subjects or self.reading.meter_names

    @classmethod
    def after(
        cls,
        before: Frame | None,
        reading: Reading,
        subjects: tuple[str, ...] = (),
        pending: Pending | None = None,
        options: tuple[str, ...] = (),
        ranked: tuple[str, ...] = (),
    ) -> Frame:
        """The frame of a turn, remembering the meters discussed before it, so that "the two"
        after "comp 1 last week" and "and comp 2?" finds both."""
        frame = cls(reading, subjects, pending, options, ranked=ranked)
        earlier = before.discussed if before is not None else ()
        found = tuple(dict.fromkeys((*frame.meters, *earlier)))[:DISCUSSED]
        stated = dict(before.stated) if before is not None else {}
        for group in STATED:
            if group[0] == "prices" and (_a_part(reading) or _priced_part(reading)):
                continue  # the part of one bill asked about is not a tariff for what follows
            if any(getattr(reading, n) for n in group):
                said = {_carrier(i) for n in group for i in getattr(reading, n)}
                for n in group:
                    # a gas factor stated after a grid one keeps the grid one for its meters
                    others = [i for i in stated.get(n, ()) if None not in said and
                              _carrier(i) not in (None, *said)]  # fmt: skip
                    stated[n] = _moved(getattr(reading, n)) + tuple(others)
        kept = tuple((n, v) for n, v in stated.items() if v)
        return replace(
            frame, discussed=found, stated=kept, periods_discussed=_discussed(before, reading)
        )


def _discussed(before: Frame | None, reading: Reading) -> tuple[PeriodMention, ...]:
    """The periods asked about in this and the earlier turns, the latest first, each once."""
    earlier = before.periods_discussed if before is not None else ()
    asked = tuple(p for p in reading.subject_periods if p.span is not None)
    unique: dict[object, PeriodMention] = {}
    for p in (*_moved(asked), *earlier):
        if p.span is not None:
            unique.setdefault((p.span.start, p.span.end, p.span.period), p)
    return tuple(unique.values())[:DISCUSSED]


def _a_part(reading: Reading) -> bool:
    """Whether the prices a turn states only pick out a part of the bill: "how much of that is
    the demand charge?", "energy only"."""
    return any(p.part for p in reading.prices) or any(d.part for d in reading.demand_charges)


def _part_of_time(reading: Reading) -> bool:
    """Whether the turn asks only a part of its period: hours of the day, a tariff period, a
    shift or some days ("just the ponta kWh", "only at night", "weekends only")."""
    return any(s.part for s in reading.splits) or bool(reading.hour_windows)


def _priced_part(reading: Reading) -> bool:
    """ "what did just the ponta kWh cost, at R$ 2,35?": a price stated with a part of the
    period is that part's price (the rest of the period is not priced at it)."""
    own = any(p.words.tokens for p in reading.prices)
    return own and _part_of_time(reading)


def _part_kept(reading: Reading, prev: Reading) -> bool:
    """Whether the turn carries on a part of the period priced before, with its price."""
    carried = "prices" in reading.inherited and bool(prev.prices)
    return carried and _part_of_time(reading) and _part_of_time(prev)


def _drops_part(reading: Reading, prev: Reading) -> bool:
    """ "the whole-week cost in USD" after "just the ponta kWh": the whole of what a part was
    asked of, so the part (and a price stated only for it) is left behind."""
    return "whole" in reading.features() and _part_of_time(prev)


def _moved(items: tuple[Any, ...]) -> tuple[Any, ...]:
    """Slot values taken from the turn before: they keep the words they were read from as
    text, but consume no token of this question."""
    return tuple(replace(i, words=Words((), 0, 0, i.words.text)) for i in items)


def _intent_cues(r: Reading) -> frozenset[str]:
    return r.features() - WEAK_FEATURES


def _fragment(r: Reading) -> bool:
    """A question that does not say what it asks: no measure, no cue of its own kind, and not
    both what and when ("the average outdoor temperature yesterday" stands alone)."""
    whole = r.names_scope and bool(r.periods) and bool(r.operations)
    own = r.measures or _intent_cues(r) or whole or r.references or r.actions or r.free("sql")
    return r.intent is Intent.UNCLEAR or (r.intent not in NOT_INHERITED and not own)


def _leans(r: Reading) -> bool:
    """It points back: "and ...", "what about ...", "that", "the two", "any similar
    incidents?", or says too little to stand on its own."""
    back = "history" in r.features() and any(t.norm in BACK_WORDS for t in r.tokens)
    return (
        r.follows
        or bool(r.referents)
        or _there(r)
        or _fragment(r)
        or (back and not r.names_scope)
        or _bare_measure(r)
    )


def _there(r: Reading) -> bool:
    """ "how many daily readings are missing there?": "there" closing a question that names no
    meter points back at the one just discussed (not "is there ...", which asks whether)."""
    return not r.names_scope and bool(THERE.search(r.question))


THERE = re.compile(
    # "how many incidents were there?" asks whether, of no place: a verb of being before it
    r"(?<!\bis )(?<!\bare )(?<!\bwas )(?<!\bwere )(?<!\bbe )(?<!\bbeen )(?<!\bgibt es )"
    r"\b(?:there|dort|ali|l[aá])\s*[?.!]*\s*$",
    re.IGNORECASE,
)


def _bare_measure(r: Reading) -> bool:
    """ "per m2?" after an office's kWh: a figure asked of nothing, in no period of its own, is
    asked of what was just discussed (not a ranking, which is of every meter)."""
    return (
        r.intent is Intent.DATA
        and bool(r.measures)
        and not (r.names_scope or r.periods or r.all_meters or r.top)
        and not r.asks(Op.RANK)
    )


def _has(r: Reading, kind: str) -> bool:
    return any(x.kind == kind for x in r.referents)


def follow(
    reading: Reading, previous: Frame | None, now: datetime, vocab: Vocabulary | None = None
) -> Reading:
    """`reading` completed from the turn before where it leans on it; a question that stands
    on its own is returned as read. Inherited slots are listed in `inherited`. With the
    site's `vocab`, what the turn states is marked with the carrier it is for, and what an
    earlier turn stated is kept only for a turn about its carrier."""
    if previous is not None:
        reading = _followed(reading, previous, now, vocab)
    return _holidays_taken(_own_carrier(reading, _carriers(reading, vocab)))


def _holidays_taken(reading: Reading) -> Reading:
    """ "correction: the 18-21h price doesn't apply on public holidays" after a quote's
    windows: the stated windows it names (by their hours, else all of them) skip the site's
    public holidays; said of no window stated in the conversation, its words are not used."""
    if not reading.holidays_off:
        return reading
    windows, unused = list(reading.tou_windows), list(reading.unused)
    for off in reading.holidays_off:
        named = [w for w in windows if off.hours is None or (w.start, w.end) == off.hours]
        if not named:
            unused.append(Unused(off.words.text, off.words))
            continue
        windows = [replace(w, except_holidays=True) if w in named else w for w in windows]
    return replace(reading, tou_windows=tuple(windows), holidays_off=(), unused=tuple(unused))


def _followed(
    reading: Reading, previous: Frame, now: datetime, vocab: Vocabulary | None
) -> Reading:
    if previous.pending is Pending.NOTE and reading.intent is not Intent.DECLINE:
        return _as_note(reading, previous)
    if previous.pending is Pending.CHOICE:
        reading = _choice(reading, previous)
    changed = _price_changed(reading, previous)
    if changed is not None:
        return changed
    reading = _set_up(_new_level(reading, previous), previous)
    reading = _sibling(reading, previous, now, vocab)
    reading = _rest_of_day(_bare_prices(reading, previous, now, vocab), previous)
    reading = _following(_in_volume(reading, previous), previous, now)
    reading = _meters_incident(reading, previous)
    if reading.intent in (Intent.CONFIRM, Intent.DECLINE, Intent.HELP):
        return reading
    reading = _that_period(_that_one(reading, previous), previous)
    reading = _references(_by_rank(_that_kind(reading, previous), previous), previous)
    if not _leans(reading) and not _goes_on(reading, previous):
        reading = _same_time(reading, previous)
    else:
        reading = _own_series(_inherit(reading, previous, now, vocab), vocab)
    return _still_stated(reading, previous, _carriers(reading, vocab))


# "ponta is 2.35 not 2.20", "R$ 2.35 instead of R$ 2.20": a new number said in place of an old
INSTEAD = re.compile(
    r"(?<![\w.,])(?P<new>\d+[.,]\d+)(?:\s*[^\w\s]+)?,?\s+(?:not|instead of|rather than|in place of|"
    r"em vez de|ao inv[eé]s de|e n[aã]o|n[aã]o|statt|anstatt|nicht)\s+(?:[^\d\s]+\s*)?"
    r"(?P<old>\d+[.,]\d+)(?![\d.,]*\d)",
    re.IGNORECASE,
)


def _price_changed(reading: Reading, previous: Frame) -> Reading | None:
    """ "sorry, ponta is 2.35 not 2.20" after a cost at stated prices: the question before
    again, with the one price stated there at the old number set to the new one. None when
    the old number is no price of the turn before, or more than one."""
    found = INSTEAD.search(reading.question)
    prev = previous.reading
    if found is None or not (prev.prices or prev.tou_windows):
        return None
    new, old = (float(found.group(g).replace(",", ".")) for g in ("new", "old"))
    windows = [w for w in prev.tou_windows if abs(w.price - old) < 1e-9]
    prices = [p for p in prev.prices if abs(p.per_kwh - old) < 1e-9]
    if len(windows) + len(prices) != 1:
        return None
    return replace(
        prev,
        tou_windows=tuple(replace(w, price=new) if w in windows else w for w in prev.tou_windows),
        prices=tuple(replace(p, per_kwh=new) if p in prices else p for p in prev.prices),
        follows=True,
    )


# a number with a decimal part, on its own: neither a clock time, a percentage nor a quantity
BARE_DECIMAL = re.compile(r"(?<![\w.,:/$€£])\d+[.,]\d+(?![\w.,:%/]|\s*(?:%|k?wh?\b|mwh\b))")


def _bare_prices(
    reading: Reading, previous: Frame, now: datetime, vocab: Vocabulary | None
) -> Reading:
    """ "now with 0.27 from 7 to 19 on weekdays and 0.19 otherwise" after a cost at a stated
    price per kWh: numbers with decimals the turn leaves unused are prices in the unit stated
    before, and the question is read again with that unit written after each; kept only when
    that reading uses every one of them."""
    prev = previous.reading
    currency = next((p.currency for p in prev.prices if p.currency and not p.part), None)
    if vocab is None or currency is None or reading.prices or reading.tou_windows:
        return reading
    text = reading.question
    numbers = list(BARE_DECIMAL.finditer(text))
    left = " ".join(u.text for u in reading.unused)
    if not numbers or not all(m.group() in left for m in numbers):
        return reading
    priced = BARE_DECIMAL.sub(lambda m: f"{m.group()} {currency}/kWh", text)
    try:
        again = read(priced, vocab, now)
    except EMSError:
        return reading
    if not (again.prices or again.tou_windows) or any(
        BARE_DECIMAL.search(u.text) for u in again.unused
    ):
        return reading
    return replace(again, follows=True)


# "and the following week?" after a week gone by: the week after it, not a forecast
FOLLOWING = re.compile(r"^(?:the )?(?:following|next) (?P<u>day|week)$", re.IGNORECASE)
AFTER = {"day": Relation.DAY_AFTER, "week": Relation.WEEK_AFTER}


def _in_volume(reading: Reading, previous: Frame) -> Reading:
    """ "in cubic metres please" after the energy of gas meters: the figure just given, asked
    in a volume no series holds (the answer converts it with a calorific value, or says why
    it cannot); a volume asked of nothing else, not a question of its own."""
    prev = previous.reading
    asked = [u for u in reading.unsupported if u.reason is Reason.NO_SERIES]
    if reading.intent is not Intent.UNSUPPORTED or prev.intent is not Intent.DATA:
        return reading
    if (
        not asked
        or any(u.topic != "volume" for u in asked)
        or len(asked) < len(reading.unsupported)
    ):
        return reading
    if reading.names_scope or reading.periods or reading.measures or reading.unused:
        return reading
    return replace(reading, intent=Intent.DATA, follows=True)


def _following(reading: Reading, previous: Frame, now: datetime) -> Reading:
    """ "and the following week?" after the energy of a past week: the week after the one
    just discussed (had been taken as a forecast horizon and the last figure repeated); not
    when a forecast is asked or the period just discussed runs into today."""
    if len(reading.horizons) != 1 or reading.periods or "forecast" in reading.features():
        return reading
    found = FOLLOWING.match(reading.horizons[0].words.text.strip())
    prev = previous.reading
    before = [p for p in prev.periods if p.role is PeriodRole.SUBJECT and p.span is not None]
    if found is None or not before or prev.intent is Intent.FORECAST:
        return reading
    span = before[0].span
    assert span is not None
    if bounds(span, now)[1] >= now.date():
        return reading
    words = reading.horizons[0].words
    period = PeriodMention(words, None, relation=AFTER[found.group("u").lower()])
    return replace(reading, horizons=(), periods=(period,), intent=prev.intent, follows=True)


# the last mark of a meter's name that tells it from its siblings: a letter or a number
# ("hall C", "press-2"), and what comes before it
MARKED_NAME = re.compile(r"^(?P<stem>.*?\w)(?P<sep>[\s_-]+)(?P<mark>[A-Za-z]|\d{1,3})$")


def _sibling(reading: Reading, previous: Frame, now: datetime, vocab: Vocabulary | None) -> Reading:
    """ "and D?" after "hall C", "and 3?" after "press-2": a lone letter or number the turn
    leaves unused, in place of the mark ending the meter named before, names its sibling; the
    question is read again with the sibling's words, kept only when that names a meter."""
    prev = previous.reading
    if vocab is None or reading.meters or not prev.meters or not reading.unused:
        return reading
    named = MARKED_NAME.match(prev.meters[-1].words.text)
    if named is None:
        return reading
    kind = str.isdigit if named.group("mark").isdigit() else str.isalpha
    marks = [
        u
        for u in reading.unused
        if len(u.words.tokens) == 1
        and MARKED_NAME.match("x " + u.text)
        and kind(u.text)
        and u.text.lower() != named.group("mark").lower()
    ]
    if len(marks) != 1:
        return reading
    mark = marks[0]
    text = reading.question
    said = named.group("stem") + named.group("sep") + mark.text
    try:
        again = read(text[: mark.words.start] + said + text[mark.words.end :], vocab, now)
    except EMSError:
        return reading
    if not again.meters or again.meters[0].meters == prev.meters[-1].meters:
        return reading
    if any(u.text == mark.text for u in again.unused):
        return reading
    return replace(again, follows=True)


def _rest_of_day(reading: Reading, previous: Frame) -> Reading:
    """ "and the rest of the day?" after the energy of stated hours of a day ("06:00-22:00
    yesterday"): the hours of the day outside them, over the same period (no forecast of
    today's remaining hours); a part of the day named without hours ("the night part") says
    no more than that."""
    prev = previous.reading
    rest = [h for h in reading.horizons if h.day == "today"]
    stated = [w for w in prev.hour_windows if not w.assumed]
    if len(rest) != 1 or len(stated) != 1 or prev.intent is Intent.FORECAST:
        return reading
    if any(not w.assumed for w in reading.hour_windows):
        return reading
    (said,) = stated
    window = HourWindow(start=said.end, end=said.start, words=rest[0].words)
    return replace(
        reading,
        intent=prev.intent,
        hour_windows=(window,),
        horizons=tuple(h for h in reading.horizons if h is not rest[0]),
        follows=True,
    )


def _own_series(reading: Reading, vocab: Vocabulary | None) -> Reading:
    """ "avg outdoor temp over the same time?" after the gas a furnace burned: a measure carried
    over that no meter the turn names has a series of is left behind, so the meters' own
    series is asked (the weather station's temperature), not the furnace's kWh of it."""
    if vocab is None or "measures" not in reading.inherited or "meters" in reading.inherited:
        return reading
    entries = [vocab.meter(n) for m in reading.meters for n in m.meters]
    if not entries or any(e is None for e in entries):
        return reading
    wanted = {m.metric or "energy" for m in reading.measures}
    if any(wanted & set(e.metrics) for e in entries if e is not None):
        return reading
    return replace(reading, measures=(), inherited=reading.inherited - {"measures"})


def _that_kind(reading: Reading, previous: Frame) -> Reading:
    """ "base load of that compressor?" after an answer that found something on one of them:
    a word for several meters, pointed back at with "that" or "this", is the one of them the
    last answer was about (else the one discussed latest), when that is one meter."""
    pointers = {t for r in reading.referents if r.kind == "that" for t in r.words.tokens}
    # "same line", "same line but May": "same" is no referent of its own (unused, or read as
    # the cue of a follow-up), but right before a family word it points back all the same
    same = {t.index for t in reading.tokens if t.norm in SAME_WORDS}
    # "what did the compressor's kWh cost?" right after one compressor's figures: "the" points
    # back too, at the one the last answer was about only
    definite = {t.index for t in reading.tokens if t.norm in DEFINITE}
    if not pointers | same | definite:
        return reading
    mentions, used = [], set()
    for m in reading.meters:
        first = m.words.tokens[0] if m.words.tokens else -1
        if m.ambiguous and first - 1 in pointers | same | definite:
            among = [s for s in previous.meters if s in m.meters]
            if first - 1 not in definite:
                among = among or [s for s in previous.discussed if s in m.meters][:1]
            if len(among) == 1:
                m = replace(m, meters=tuple(among), ambiguous=False)
                used.add(first - 1)
        mentions.append(m)
    unused = tuple(u for u in reading.unused if not (set(u.words.tokens) & used & same))
    return replace(reading, meters=tuple(mentions), unused=unused)


RANKS = {"larger": 0, "smaller": -1}


def _by_rank(reading: Reading, previous: Frame) -> Reading:
    """ "the bigger one", "the one that used less": the meter the last answer put first or
    last by the figure it compared; with no such answer before, asked back, never guessed."""
    said = next((x for x in reading.referents if x.kind in RANKS), None)
    # "what % of the site was the biggest one": a scope named only as the whole of a share
    base = _base(reading) if reading.names_scope else None
    if said is None or (reading.names_scope and base is None):
        return reading
    others = tuple(x for x in reading.referents if x is not said)
    if len(previous.ranked) < 2:
        unresolved = Referent("unresolved", said.words)
        return replace(reading, referents=(*others, unresolved))
    chosen = previous.ranked[RANKS[said.kind]]
    mention = MeterMention((chosen,), Match.NAME, said.words, key="rank")
    # with the words taken as the meter, what is left says nothing of its own ("and the ...?")
    intent = Intent.UNCLEAR if reading.intent is Intent.UNSUPPORTED else reading.intent
    share_of = base or reading.share_of  # the meter named as the whole stays the whole
    return replace(
        reading,
        meters=(mention,),
        referents=others,
        intent=intent,
        follows=True,
        share_of=share_of,
    )


def _still_stated(reading: Reading, previous: Frame, carriers: frozenset[str]) -> Reading:
    """A price, factor or rate the user stated earlier in the conversation, for a question
    that states none of its group: it holds until replaced ("at 0.20 EUR/kWh", then "and
    press 2 this month?" is costed at 0.20 too), prices not when the site's tariff is asked,
    and a price or factor only for a question about its carrier (`carriers`: those of the
    meters asked, none known for the site as a whole)."""
    stated = dict(previous.stated)
    changes: dict[str, Any] = {}
    for group in STATED:
        if any(getattr(reading, n) for n in group if n not in reading.inherited):
            continue
        if group[0] == "prices" and "site_tariff" in reading.features():
            continue
        if group[0] == "emission_factors" and _own_factor(reading):
            continue
        if group[0] == "prices" and _part_kept(reading, previous.reading):
            continue  # "and the week before?" after the ponta kWh at R$ 2,35: its price too
        carried = {n: stated.get(n, ()) for n in group}
        if group[0] == "prices" and _other_figure(reading, previous.reading):
            # "and the load factor that month?" after "what if the window were 60 minutes?":
            # a window tried for one figure is not the site's for the next
            carried["demand_windows"] = tuple(
                w for w in carried.get("demand_windows", ()) if not w.what_if
            )
        changes |= _of_carriers(carried, carriers)
    if not changes:
        return reading
    kept = frozenset(n for n, v in changes.items() if v)
    return replace(reading, **changes, inherited=(reading.inherited - frozenset(changes)) | kept)


def _other_figure(reading: Reading, prev: Reading) -> bool:
    """Whether the turn asks a figure of its own other than the one asked before."""
    own = {m.kpi for m in reading.measures if m.words.tokens}
    return bool(own) and own != {m.kpi for m in prev.measures}


def _carrier(item: Any) -> str | None:
    return getattr(item, "carrier", None)


def _carriers(reading: Reading, vocab: Vocabulary | None) -> frozenset[str]:
    """The energy carriers a question is about: of its meters and the carriers it names."""
    if vocab is None:
        return frozenset()
    entries = (vocab.meter(n) for n in reading.meter_names)
    found = {e.carrier for e in entries if e is not None}
    found |= {c.carrier for c in reading.carriers}
    return frozenset(found & ENERGY_CARRIERS)


def _of_carriers(group: dict[str, tuple[Any, ...]], carriers: frozenset[str]) -> dict[str, Any]:
    """What a group stated holds for a question about `carriers`: the values stated for one
    of them or for none in particular, the latest first; nothing of the group when all that
    was said of a carrier (a price, a factor) was said of another one."""
    if not carriers:
        return group
    fits = {n: tuple(i for i in v if _carrier(i) in (None, *carriers)) for n, v in group.items()}
    owned = any(hasattr(i, "carrier") for v in group.values() for i in v)
    if owned and not any(hasattr(i, "carrier") for v in fits.values() for i in v):
        return {n: () for n in group}
    return fits


def _own_carrier(reading: Reading, carriers: frozenset[str]) -> Reading:
    """What this turn states itself, marked with the one carrier it is asked about (a price
    said of a press is an electricity price), unless it says its own ("a gas factor")."""
    if len(carriers) != 1:
        return reading
    (carrier,) = carriers
    changes: dict[str, Any] = {
        n: tuple(
            replace(i, carrier=carrier) if hasattr(i, "carrier") and i.carrier is None else i
            for i in getattr(reading, n)
        )
        for group in STATED
        for n in group
        if n not in reading.inherited and getattr(reading, n)
    }
    return replace(reading, **changes) if changes else reading


def _asks_numbers(reading: Reading) -> bool:
    """A total, or a difference, or a figure in a unit of a quantity (kWh, kW): what the data
    holds, not how complete it is (a coverage is a share of intervals, in %)."""
    return reading.asks(Op.TOTAL, *COMPARING) or any(_quantity(u.unit) for u in reading.units)


def _quantity(unit: str) -> bool:
    try:
        return parse_unit(unit).dimension != parse_unit("%").dimension
    except UnknownUnit:
        return False


def _goes_on(reading: Reading, previous: Frame) -> bool:
    """ "which days are missing?" after the coverage of one meter in August: a question of
    the same kind that names neither meters nor a period goes on about the same ones."""
    prev = previous.reading
    return (
        reading.intent is prev.intent
        and reading.intent in GOES_ON
        and not reading.names_scope
        and not reading.periods
        and (prev.names_scope or bool(prev.periods))
    )


def _of_the_past(r: Reading) -> bool:
    """ "how many incidents were there?": asked in the past tense and not of the present state
    ("still open", "now"), so of the period under discussion, not of today."""
    words = {t.norm for t in r.tokens}
    return bool(words & PAST_WORDS) and not words & PRESENT_WORDS


def _same_time(reading: Reading, previous: Frame) -> Reading:
    """A question for numbers that names its own meters but no period, in a conversation about
    one: the period under discussion ("what does the dryer come to at the standard tariff");
    an incident question in the past tense, too ("how many incidents were there?")."""
    past_incidents = reading.intent is Intent.INCIDENT and _of_the_past(reading)
    if (
        (reading.intent is not Intent.DATA and not past_incidents)
        or reading.periods
        or previous.reading.intent
        not in (
            Intent.DATA,
            Intent.BASELINE,
        )
    ):
        return reading
    before = tuple(p for p in previous.reading.periods if p.span is not None)
    if not before:
        return reading
    return replace(reading, periods=_moved(before), inherited=reading.inherited | {"periods"})


def _as_note(reading: Reading, previous: Frame) -> Reading:
    """The answer to "what was found or done?": the whole message is the note."""
    tokens = tuple(t.index for t in reading.tokens)
    first, last = reading.tokens[0] if tokens else None, reading.tokens[-1] if tokens else None
    start, end = (first.start, last.end) if first and last else (0, 0)
    words = Words(tokens, start, end, reading.question[start:end])
    note = FreeText("note", reading.question.strip(), words)
    prev = previous.reading
    return Reading(
        question=reading.question,
        tokens=reading.tokens,
        intent=prev.intent,
        references=_moved(prev.references),
        actions=_moved(prev.actions),
        free_text=(note,),
        inherited=frozenset({"references", "actions"}),
    )


def _choice(reading: Reading, previous: Frame) -> Reading:
    """ "both", "the second", or one of the offered names, after "which one do you mean?"."""
    options = previous.options
    named = [m for m in reading.meter_names if m in options]
    chosen: tuple[str, ...] = ()
    words: Words | None = None
    if _has(reading, "pair") or any(t.norm in ("all", "either", "each") for t in reading.tokens):
        chosen = options
    elif not named:
        for t in reading.tokens:
            if t.norm in ORDINALS and ORDINALS[t.norm] < len(options):
                chosen = (options[ORDINALS[t.norm]],)
                words = Words((t.index,), t.start, t.end, t.text)
                break
            only = _told_apart(t.norm, options)
            if only is not None:
                chosen, words = (only,), Words((t.index,), t.start, t.end, t.text)
                break
    if not chosen:
        return replace(reading, follows=reading.follows or bool(named))
    # with the choice taken out, what is left says nothing of its own: "the second one"
    intent = Intent.UNCLEAR if reading.intent is Intent.UNSUPPORTED else reading.intent
    mention = MeterMention(chosen, Match.NAME, words or Words((), 0, 0, "choice"), key="choice")
    referents = reading.referents + ((Referent("choice", words),) if words else ())
    unused = tuple(u for u in reading.unused if not words or u.words.tokens != words.tokens)
    return replace(
        reading, intent=intent, meters=(mention,), referents=referents, unused=unused, follows=True
    )


# Words that point a word fitting several meters back at the one just discussed ("that board")
POINTING = frozenset({"that", "this", "the same", "same"})


def _that_one(reading: Reading, previous: Frame) -> Reading:
    """ "how much of that board does no sub-meter see?" after a share of one of two boards: a
    word fitting several meters, pointed back at with "that", is the one of them the
    conversation was about (the latest discussed); none or several discussed stays a
    question back."""
    meters = list(reading.meters)
    for i, m in enumerate(meters):
        if not m.ambiguous or not m.words.tokens:
            continue
        said = next((x for x in reading.referents if x.kind == "that"), None)
        first = m.words.tokens[0]
        if said is None or not said.words.tokens or said.words.tokens[-1] + 1 != first:
            continue
        talked = (*previous.discussed, *previous.reading.meter_names, *previous.reading.share_of)
        discussed = [n for n in dict.fromkeys(talked) if n in m.meters]
        if len(discussed) != 1:
            continue
        words = Words((*said.words.tokens, *m.words.tokens), said.words.start, m.words.end,
                      reading.question[said.words.start : m.words.end])  # fmt: skip
        meters[i] = replace(m, meters=(discussed[0],), ambiguous=False, words=words)
        referents = tuple(x for x in reading.referents if x is not said)
        return replace(reading, meters=tuple(meters), referents=referents, follows=True)
    return reading


def _that_stretch(
    reading: Reading, p: PeriodMention, before: list[PeriodMention], now: datetime
) -> bool:
    """ "that August period", "that week": a period pointed back at with "that", holding the
    period the last turn was about, is that period."""
    inner = before[0].span if len(before) == 1 else None
    if inner is None or p.span is None or not p.words.tokens:
        return False
    if not _demonstrative_before(reading.question[: p.words.start]):
        return False
    try:
        (first, last), (inner_first, inner_last) = bounds(p.span, now), bounds(inner, now)
    except EMSError:  # a period the tools cannot read yet ("today" at midnight)
        return False
    return first <= inner_first and inner_last <= last


@cache
@cache
def _own_factor_words() -> re.Pattern[str]:
    words = default_lexicon().own_factor
    return re.compile(r"\b(?:" + "|".join(words or ["(?!)"]) + r")\b", re.I)


def _own_factor(reading: Reading) -> bool:
    """The turn asks for the site's own emission factor ("the factor we have in the system")."""
    return _own_factor_words().search(reading.question) is not None


def _demonstratives() -> re.Pattern[str]:
    words = default_lexicon().demonstratives
    return re.compile(r"\b(?:" + "|".join(words or ["(?!)"]) + r")\s+$", re.I)


def _demonstrative_before(text: str) -> bool:
    """The text ends in a word pointing back ("that", "dieser", "desse")."""
    return _demonstratives().search(text) is not None


def _base_kept(
    reading: Reading, prev: Reading, resolved: list[PeriodMention]
) -> list[PeriodMention]:
    """ "what would the baseline have expected for that period?" after a baseline fitted on a
    period the user named: the same base period, unless this turn names its own."""
    if reading.intent is not Intent.BASELINE or any(p.role is PeriodRole.BASE for p in resolved):
        return []
    return list(_moved(tuple(p for p in prev.periods if p.role is PeriodRole.BASE and p.span)))


def _that_period(reading: Reading, previous: Frame) -> Reading:
    """ "how much up or down is last week vs that one?" after the week before was asked: a
    comparison of a period it names with "that one" is with the period the last turn was
    about (its subject period), which becomes the reference."""
    compare = [o for o in reading.operations if o.op is Op.COMPARE and o.words.tokens]
    subjects = reading.subject_periods
    if not compare or not subjects or reading.reference_periods or reading.names_scope:
        return reading
    said = next((x for x in reading.referents if x.kind == "that" and x.words.tokens), None)
    if said is None or said.words.tokens[0] <= compare[0].words.tokens[-1]:
        return reading
    before = [p for p in previous.reading.periods if p.role is PeriodRole.SUBJECT and p.span]
    if len(before) != 1 or before[0].span == subjects[0].span:
        return reading
    reference = replace(before[0], role=PeriodRole.REFERENCE, words=said.words)
    referents = tuple(x for x in reading.referents if x is not said)
    return replace(
        reading, periods=(*reading.periods, reference), referents=referents, follows=True
    )


def _told_apart(word: str, options: tuple[str, ...]) -> str | None:
    """ "the 75" after "GA 55 or GA 75?": a piece of one offered name, and of no other, picks
    it (a number or a word the names do not share)."""
    said = pieces(word)
    if not said:
        return None
    holders = [o for o in options if _run_of(said, pieces(o))]
    return holders[0] if len(holders) == 1 else None


def _run_of(part: tuple[str, ...], whole: tuple[str, ...]) -> bool:
    n = len(part)
    return any(whole[i : i + n] == part for i in range(len(whole) - n + 1))


def _references(reading: Reading, previous: Frame) -> Reading:
    """ "acknowledge it" after showing incident 6: the same incident. A change that names its
    own meter ("ack the Pump 2 spike") points at that meter's, not back."""
    prev = previous.reading
    if prev.intent is Intent.INCIDENT and any(not x.kind for x in reading.references):
        # "what did #5 cost so far?" after incidents were listed: #5 is one of them
        refs = tuple(replace(x, kind=x.kind or "incident") for x in reading.references)
        return replace(reading, references=refs, intent=Intent.INCIDENT)
    if not reading.actions and _by_severity(reading, prev):
        # "the critical one - which meter, how many extra kWh?" after incidents were listed:
        # the incidents of that severity, looked up again (not one meter's total)
        return replace(reading, intent=Intent.INCIDENT, follows=True)
    if reading.references or not prev.references:
        return reading
    if not reading.actions:
        return _incident_remedy(_incident_figure(reading, previous), previous)
    if reading.names_scope and not set(reading.meter_names) <= set(previous.meters):
        return reading
    kind = prev.references[0].kind
    return replace(
        reading,
        references=_moved(prev.references),
        intent=REFERENCE_INTENTS.get(kind, prev.intent),
        inherited=reading.inherited | {"references"},
    )


def _by_severity(reading: Reading, prev: Reading) -> bool:
    """A severity named, and no incident or meter, after a question about incidents."""
    named = reading.references or reading.names_scope
    return (
        prev.intent is Intent.INCIDENT and "incident_severity" in reading.features() and not named
    )


# What an incident keeps of its impact: "how many extra kWh was that?" after one incident
INCIDENT_FIGURES = frozenset({Kpi.ENERGY, Kpi.COST, Kpi.CARBON})


def _incident_figure(reading: Reading, previous: Frame) -> Reading:
    """ "how many extra kWh was that one?" after the answer showed one incident: a figure an
    incident keeps (its energy, cost, CO2), asked of it ("that", "it") with no period and no
    other meter of its own, is the incident's own figure, not the meter's total."""
    prev = previous.reading
    incident = prev.references[0].kind == "incident" and len(prev.references) == 1
    figures = {m.kpi for m in reading.measures}
    if (
        not incident
        or reading.intent is not Intent.DATA
        or not figures
        or not figures <= INCIDENT_FIGURES
        or reading.periods
        or not set(reading.meter_names) <= set(previous.meters)
        or not (reading.referents or _fragment(reading) or _bare_measure(reading))
    ):
        return reading
    return _of_incident_shown(reading, prev)


def _of_incident_shown(reading: Reading, prev: Reading) -> Reading:
    """The turn asked of the one incident the turn before showed."""
    return replace(
        reading,
        references=_moved(prev.references),
        intent=Intent.INCIDENT,
        inherited=reading.inherited | {"references"},
    )


def _incident_remedy(reading: Reading, previous: Frame) -> Reading:
    """ "what was done to fix it?" after the answer showed one incident: what was done about
    it is the incident's own resolution note, when the question names no other meter, no
    period and no figure of its own."""
    prev = previous.reading
    incident = len(prev.references) == 1 and prev.references[0].kind == "incident"
    if (
        not incident
        or not _asks_remedy(reading)
        or reading.intent is Intent.INCIDENT
        or reading.measures
        or reading.periods
        or not set(reading.meter_names) <= set(previous.meters)
    ):
        return reading
    return _of_incident_shown(reading, prev)


def _asks_remedy(reading: Reading) -> bool:
    """What was done about it: the remedy words, or the incident history's own ("what was done
    to fix it?" reads as a question of past incidents too)."""
    if "remedy" in reading.features():
        return True
    fixed = re.search(r"\b(?:fix|fixed|repair|repaired|solve|solved|resolve|resolved|done)\b",
                      reading.question.lower())  # fmt: skip
    return "history" in reading.features() and fixed is not None


# the word standing for a thing just discussed after the meter it is of: "the compressor one"
ONE = frozenset({"one", "ones"})


def _meters_incident(reading: Reading, previous: Frame) -> Reading:
    """ "and the press-2 one from this month: extra kWh?" in a conversation about incidents:
    "one" after a meter stands for that meter's incident, not for its energy."""
    prev = previous.reading
    about = prev.intent is Intent.INCIDENT or any(r.kind == "incident" for r in prev.references)
    if not about or reading.intent is not Intent.DATA or reading.references:
        return reading
    after = {m.words.tokens[-1] + 1 for m in reading.meters if m.words.tokens}
    if not any(t.index in after and t.norm in ONE for t in reading.tokens):
        return reading
    return replace(reading, intent=Intent.INCIDENT, follows=True)


def _inherit(
    reading: Reading, previous: Frame, now: datetime, vocab: Vocabulary | None = None
) -> Reading:
    """What the follow-up leaves out, from the turn before: the scope always; the periods
    unless it is a search of the library; the rest only for a question of the same kind."""
    prev = previous.reading
    changes: dict[str, Any] = {}
    # "so what's its total?", "difference in kWh between the two days?" after a look at the
    # data's coverage asks for the numbers
    total = reading.intent is Intent.DATA and prev.intent in GOES_ON and _asks_numbers(reading)
    if _fragment(reading) and prev.intent not in NOT_INHERITED and not total:
        changes["intent"] = prev.intent
    intent = changes.get("intent", reading.intent)
    inherited = _scope_changes(reading, previous, changes, vocab)
    periods = _change_between(reading, previous, now) or _periods(reading, prev, now)
    # "any incident still running on it?" after numbers of last week: incidents as they are now
    fresh = intent is Intent.INCIDENT and prev.intent is not Intent.INCIDENT
    fresh = fresh and not _of_the_past(reading)
    if intent is not Intent.KNOWLEDGE and not fresh and periods != reading.periods:
        changes["periods"] = periods
        inherited.add("periods")
    if intent == prev.intent:
        inherited |= _detail_changes(reading, prev, changes)
        _what_if(reading, prev, changes)
    elif intent in SETS_THRESHOLD and prev.thresholds and not reading.thresholds:
        # "set up an alert for exactly that" after "how often above 750 kW for 30 min?": the
        # threshold and its duration are what "that" was about
        changes["thresholds"] = _moved(prev.thresholds)
        inherited.add("thresholds")
    return replace(reading, **changes, inherited=reading.inherited | frozenset(inherited))


# operations that ask how one period's figure moved from another's
CHANGE_OPS = frozenset({Op.DIFFERENCE, Op.COMPARE, Op.MORE, Op.LESS, Op.PERCENT})


def _change_between(
    reading: Reading, previous: Frame, now: datetime
) -> tuple[PeriodMention, ...] | None:
    """ "how much up or down?" after "last week?" and "and the week before?": a change asked
    with no period of its own, after a turn that kept the meters and asked another period, is
    the change between the last two periods discussed, from the earlier to the later."""
    prev = previous.reading
    asked = [p for p in prev.subject_periods if p.span is not None]
    if reading.periods or not reading.ops & CHANGE_OPS or prev.reference_periods:
        return None
    if _has(reading, "time") or reading.asks(Op.SHARE):
        return None  # "as a percentage of that week's total": of the one week pointed at
    if len(asked) != 1 or not ({"meters", "scopes", "carriers"} & prev.inherited):
        return None
    spans = [p for p in previous.periods_discussed if p.span is not None][:2]
    if len(spans) < 2 or asked[0].span != spans[0].span:
        return None
    a, b = (bounds(p.span, now)[0] for p in spans if p.span is not None)
    if a == b:
        return None
    later, earlier = (spans[0], spans[1]) if a > b else (spans[1], spans[0])
    return (
        *_moved((replace(later, role=PeriodRole.SUBJECT, relation=None),)),
        *_moved((replace(earlier, role=PeriodRole.REFERENCE, relation=None),)),
    )


def _new_level(reading: Reading, previous: Frame) -> Reading:
    """ "and at 750?" after "how often would 780 kW have fired", "make it 75 kW and 45 minutes"
    after a rule proposed: a bare number (the level) and a bare length of time (how long it
    must hold), all the turn says besides pointing back, change the one threshold under
    discussion (same comparison and unit), in a request of the same kind."""
    prev = previous.reading
    if reading.thresholds or len(prev.thresholds) != 1:
        return reading
    (t,) = prev.thresholds
    reading = _same_duration(reading, t)
    # "and with 100 kW?": the level's own unit, read as a measure, says nothing new
    measured = [m for m in reading.measures if not _unit_of(m.words.text, t.unit)]
    if not reading.unused or reading.names_scope or measured:
        return reading
    # "same 500 kW rule, but this month so far": a level written with its unit may come with
    # a period of its own; a bare number beside a period may be part of a date
    if reading.periods and len(reading.measures) != 1:
        return reading
    if {u.unit for u in reading.units} - {t.unit}:
        return reading  # "and at 750 kWh?" after a kW level is another question
    any_length = bool(ANY_DURATION.search(reading.question.lower()))
    changed = _level_said(reading.unused, t, any_length)
    if changed is None:
        return reading
    return replace(
        reading,
        intent=prev.intent,
        thresholds=(changed,),
        unused=(),
        units=(),
        measures=(),
        follows=True,
    )


# "45 minutes", "2 h", "45 minutos": a length of time said alone, how long a level must hold
BARE_DURATION = re.compile(
    r"(?P<n>\d+(?:[.,]\d+)?)\s*(?P<u>min(?:ute|uto)?s?|h|hrs?|hours?|horas?)"
)

# what a change of a rule says of it besides its new level: "the threshold", "same duration"
RULE_WORDS = re.compile(
    r"(?:the )?(?:threshold|level|limit|trigger level)|(?:the )?same (?:duration|length|delay|time)"
)

# "go ahead with 505 kW, warning, email": how the rule's alerts go, said bare beside its level
# (the rule's plan reads the severity from the question; the channel said before is kept)
DELIVERY_WORDS = re.compile(
    r"(?:(?:,|and|\s)*\b(?:critical|warning|info|e-?mail|slack|teams)\b)+[\s,.!]*"
)

# "wait - change it to 53 kW first": words that only pace the change
ASIDE = re.compile(r"(?:wait|first|actually|instead|then|ok|okay|hmm|please)[\s,.!-]*")

# "how many hours above 54, any duration?": the level with no length it must hold
ANY_DURATION = re.compile(r"(?:any|whatever|regardless of(?: the)?) ?(?:duration|length)")

# "same 500 kW rule": the level under discussion said again, or a level in its place
SAID_AGAIN = re.compile(r"^(?:the |a )?(?:same|mesm[ao]|selbe[nr]?|gleiche[nr]?)\s+")


def _level_said(
    unused: tuple[Any, ...], t: Threshold, any_length: bool = False
) -> Threshold | None:
    """The threshold `t` with the level and the duration the unused words say, when they say
    nothing else (at most one of each); None when any word is something else."""
    level: tuple[float, Words] | None = None
    minutes: float | None = None
    for u in unused:
        text = SAID_AGAIN.sub("", u.text.strip().lower())
        if RULE_WORDS.fullmatch(u.text.strip().lower()):
            continue  # "drop the threshold to 54 kW, same duration": the rule's own words
        if DELIVERY_WORDS.fullmatch(u.text.strip().lower()) or ASIDE.fullmatch(text):
            continue
        if ANY_DURATION.fullmatch(text) or (any_length and text in ("duration", "length")):
            minutes = 0.0  # "any duration": no length it must hold
            continue
        timed = BARE_DURATION.fullmatch(text)
        if timed is not None and minutes is None:
            amount = parse_number(timed.group("n"))
            minutes = amount * 60 if timed.group("u").startswith("h") else amount
            continue
        try:
            value = parse_number(text)
        except ValueError:
            return None
        if level is not None:
            return None
        level = (value, u.words)
    if level is None and minutes is None:
        return None
    changed = t if level is None else replace(t, value=level[0], words=level[1])
    if minutes is not None:
        changed = replace(changed, duration_min=minutes or None, longer=False)
    return changed


# "same 30+ min", "the same 30 min": the duration of the level under discussion, said again
SAME_DURATION = re.compile(
    r"\b(?:the )?same,? (?P<n>\d+)\s*\+?\s*(?:min|mins|minutes?)\b(?:\s*(?:or more|\+))?"
)


def _same_duration(reading: Reading, t: Threshold) -> Reading:
    """A follow-up that says the duration of the threshold under discussion again ("and at 600
    kW, same 30+ min?") says nothing new by it: its words are used, no grain or minimum."""
    m = SAME_DURATION.search(reading.question.lower())
    if m is None or t.duration_min is None or float(m.group("n")) != t.duration_min:
        return reading

    def inside(w: Words) -> bool:
        return bool(w.tokens) and m.start() <= w.start and w.end <= m.end()

    return replace(
        reading,
        unused=tuple(u for u in reading.unused if not inside(u.words)),
        operations=tuple(o for o in reading.operations if not inside(o.words)),
        grains=tuple(g for g in reading.grains if not inside(g.words)),
    )


def _unit_of(text: str, unit: str) -> bool:
    """The words are the threshold's unit ("kW" beside a level in kW)."""
    return bool(unit) and text.strip().lower() == unit.lower()


def _set_up(reading: Reading, previous: Frame) -> Reading:
    """ "ok, set that one up (as an alert rule)" after a rule was tried on past data, or after
    a count of how often one level was crossed (nothing waits for a yes, or the loop would
    have taken it as one): the rule just tried, or that level, proposed for real."""
    # "fine, create it at 820 kW for 15 min": a yes to nothing asked that says its own level
    # is the rule asked for, not a yes
    leveled = reading.intent is Intent.CONFIRM and bool(reading.thresholds)
    prev = previous.reading
    about_rule = prev.intent is Intent.ALERT_CREATE or len(prev.thresholds) == 1
    if reading.intent is Intent.ALERT_CREATE and not reading.names_scope and about_rule:
        # "ok, create the rule with 500 kW" after a rule tried on one meter: on that meter
        return replace(reading, follows=True)
    if reading.intent not in SET_UP_FROM or not ("setup" in reading.features() or leveled):
        return reading
    if prev.intent is not Intent.ALERT_CREATE and len(prev.thresholds) != 1:
        return reading
    return replace(reading, intent=Intent.ALERT_CREATE, follows=True)


def _what_if(reading: Reading, prev: Reading, changes: dict[str, Any]) -> None:
    """A follow-up of a rule tried on past data ("only if it stays above for an hour?", "and at
    750?") is tried too, unless it asks for the rule to be set up; a duration it says without
    a level is how long the level under discussion must hold (its words are no time grain)."""
    carried = changes.get("thresholds", ())
    held = held_for(reading.question.lower()) if len(carried) == 1 else None
    if held is not None:
        minutes, longer, start, end = held
        changes["thresholds"] = (replace(carried[0], duration_min=minutes, longer=longer),)
        changes["grains"] = tuple(
            g for g in reading.grains if not (g.words.tokens and start <= g.words.start < end)
        )
    tried = [c for c in prev.cues if c.feature == "backtest"]
    # a severity or a channel said in the turn is how a real rule's alerts go: it is set up
    asks_for_real = reading.features() & {"notify", "setup", "confirm", "severity", "channel"}
    # "make it 85 kW, rest the same" after "before I say yes - how often would it have
    # fired?": the rule proposed is what is changed, proposed again, not tried again; unless
    # the turn asks again how many times ("drop it to 505 kW. how many times then?")
    deciding = "deciding" in prev.features() and bool(reading.thresholds)
    deciding = deciding and not reading.asks(Op.COUNT)
    if tried and not asks_for_real and not deciding and "backtest" not in reading.features():
        changes["cues"] = reading.cues + _moved(tuple(tried[:1]))
    # "make it 230 kW, rest the same": the severity said before holds for the rule changed
    for said in ("severity", "channel"):  # so does the channel its alerts go to
        kept = [c for c in prev.cues if c.feature == said]
        if kept and said not in reading.features():
            changes["cues"] = changes.get("cues", reading.cues) + _moved(tuple(kept[:1]))


def _scope_changes(
    reading: Reading, previous: Frame, changes: dict[str, Any], vocab: Vocabulary | None = None
) -> set[str]:
    base = _base(reading, after_share=previous.reading.asks(Op.SHARE))
    if base is not None:
        # "as a percentage of the site": the named scope is the base, the subject stays
        scope = _past_aside(reading, _scope(reading, previous), previous, vocab)
        split = previous.reading.share_whole() if not previous.reading.share_of else None
        if split is not None and "meters" in scope:
            # after "X's share of Y", "of Z instead?": X is still the part, Z the new whole
            asked = Words((), 0, 0, "the last question")
            scope["meters"] = (MeterMention(split[0], Match.NAME, asked),)
        scopes = scope.get("scopes", ()) if base else reading.scopes  # () the site, said now
        changes.update(scope, share_of=base, scopes=scopes)
        said = next((o.words for o in reading.operations if o.op is Op.PERCENT), None)
        if said is not None and not reading.asks(Op.SHARE):
            # "as a % of ...": a percentage of a whole named is a share of it
            changes["operations"] = (*reading.operations, OperationMention(Op.SHARE, said))
        return set(scope)
    if not reading.names_scope:
        scope = _lacking(reading, _scope(reading, previous), vocab)
        scope = _past_aside(reading, scope, previous, vocab)
        changes.update(scope)
        return set(scope)
    if reading.asks_share_of_before() and not reading.splits and not reading.share_of:
        # "office weekend share of that": a part of the day or week named with its meter is a
        # share of that meter's own total ("that" the period), not of the last answer's meter
        changes["share_of"] = previous.meters
    return set()


def _past_aside(
    reading: Reading, scope: dict[str, Any], previous: Frame, vocab: Vocabulary | None
) -> dict[str, Any]:
    """ "its peak demand that day?" after the cooling plant's kWh and then an aside on the outdoor
    temperature: an energy figure asked of meters that have no energy series (the weather
    station) is of the meter discussed before the aside that has one, not of the site."""
    own = [m for m in reading.measures if m.words.tokens]
    energy = any(m.kpi is not None or m.metric == "energy" for m in own) or reading.asks(Op.SHARE)
    meters = [name for m in scope.get("meters", ()) for name in m.meters]
    if vocab is None or not energy or reading.metric not in (None, "energy"):
        return scope
    if not meters:
        # "its" after an aside on a series of the site as a whole ("the outside temperature")
        aside = previous.reading.metric not in (None, "energy") and _has(reading, "that")
        if not aside:
            return scope
    elif any((e := vocab.meter(name)) is None or "energy" in e.metrics for name in meters):
        return scope
    back = next(
        (
            name
            for name in previous.discussed
            if name not in meters and (e := vocab.meter(name)) is not None and "energy" in e.metrics
        ),
        None,
    )
    if back is None:
        return scope
    said = Words((), 0, 0, "the last answer")
    return {**scope, "meters": (MeterMention((back,), Match.NAME, said),)}


def _lacking(reading: Reading, scope: dict[str, Any], vocab: Vocabulary | None) -> dict[str, Any]:
    """ "avg outdoor temp that month?" after the cooling plant's energy: a series the meters under
    discussion do not have is asked of the site (the meter that has it), not of them."""
    metric = reading.metric
    meters = [name for m in scope.get("meters", ()) for name in m.meters]
    if vocab is None or metric is None or not meters:
        return scope
    entries = [vocab.meter(name) for name in meters]
    if any(e is None or metric in e.metrics for e in entries):
        return scope
    if metric == "volume" and all(e is not None and e.carrier == "gas" for e in entries):
        return scope  # "that in m³?" of gas metered in kWh: its energy over a calorific value
    return {key: value for key, value in scope.items() if key != "meters"}


# What a question states (prices, a factor, an exchange rate), in groups that go together:
# each group is kept for the follow-ups that state nothing of it ("in dollars? 1 EUR = 1.10
# USD" keeps the price stated before), prices not when the follow-up asks for the site's tariff.
STATED = (
    ("prices", "tou_windows", "demand_charges", "demand_windows"),
    ("emission_factors",),
    ("exchange_rates", "currencies"),
)


def _stated_changes(reading: Reading, prev: Reading, changes: dict[str, Any]) -> set[str]:
    inherited = set()
    for group in STATED:
        if group[0] == "prices" and _window_priced_alone(reading, prev):
            # "and with ponta at R$ 2,40 18-21h on weekdays?" after a flat price: the other
            # hours keep the price stated before
            changes["prices"] = _moved(tuple(p for p in prev.prices if not p.part))
            inherited.add("prices")
            continue
        if any(getattr(reading, n) for n in group):
            continue
        if group[0] == "prices" and ("site_tariff" in reading.features() or _a_part(prev)):
            continue
        if group[0] == "emission_factors" and _own_factor(reading):
            continue
        if group[0] == "prices" and _drops_part(reading, prev):
            continue  # the prices before the part, if any, are still stated (_still_stated)
        for name in group:
            carry = getattr(prev, name)
            if carry:
                changes[name] = _moved(carry)
                inherited.add(name)
    return inherited


def _window_priced_alone(reading: Reading, prev: Reading) -> bool:
    """The turn prices hours of the day and nothing else, after a turn that priced every hour."""
    flat = [p for p in prev.prices if not p.part]
    return bool(reading.tou_windows) and not reading.prices and bool(flat)


def _detail_changes(reading: Reading, prev: Reading, changes: dict[str, Any]) -> set[str]:
    """Measures, grains, splits, hours, thresholds, a search topic, the operations and what the
    question before stated (prices, factors)."""
    inherited = _stated_changes(reading, prev, changes)
    own_ops = [o for o in reading.operations if o.words.tokens]
    # "and the co2 for the month?" after "per day on average?": a measure of its own is asked
    # over the period, not by the step the other measure was shown in
    kpis = {m.kpi for m in reading.measures}
    other_measure = bool(kpis) and kpis != {m.kpi for m in prev.measures}
    for name in ("measures", "grains", "splits", "hour_windows", "thresholds", "free_text"):
        own, carry = getattr(reading, name), getattr(prev, name)
        context: tuple[Any, ...] = ()
        if name == "free_text":  # words that only set the scene neither carry nor block
            context = tuple(f for f in own if f.kind == "context")
            own = tuple(f for f in own if f.kind != "context")
            carry = tuple(f for f in carry if f.kind == "topic")
        if own or not carry or (name != "measures" and reading.measures and own_ops):
            continue
        if name == "hour_windows" and _beyond_window(reading):
            continue
        if name in ("splits", "hour_windows") and _drops_part(reading, prev):
            carry = tuple(c for c in carry if name == "splits" and not c.part)
            if not carry:
                continue
        if name == "grains" and other_measure and not own_ops:
            continue
        if name == "measures" and not _fits(reading.units, carry):
            continue  # "and in kWh?" after a volume: the unit says what is asked now
        changes[name] = context + _moved(carry)
        inherited.add(name)
    inherited |= _drivers_kept(reading, prev, changes)
    return inherited | _operations_kept(reading, prev, changes)


def _operations_kept(reading: Reading, prev: Reading, changes: dict[str, Any]) -> set[str]:
    """What the question before asked done (a share, a comparison) when this turn asks nothing
    of its own, or only "as a percentage?"."""
    inherited: set[str] = set()
    own_ops = [o for o in reading.operations if o.words.tokens]
    only_percent = bool(own_ops) and all(o.op is Op.PERCENT for o in own_ops)
    together = bool(own_ops) and all(o.op is Op.TOTAL for o in own_ops)
    if (only_percent or together) and prev.asks(Op.SHARE) and not reading.measures:
        # "as a percentage?" after a share: the same share, of the same whole; "both
        # together?" after two shares: the share of the two added up
        changes["operations"] = reading.operations + _moved(prev.operations)
        changes.setdefault("share_of", prev.share_of)
        inherited |= {"operations", "share_of"}
    elif only_percent and prev.asks(*COMPARING):
        # "as a percentage?" after a comparison: the same comparison, its difference in %
        changes["operations"] = reading.operations + _moved(prev.operations)
        inherited.add("operations")
    elif not own_ops and not reading.measures and prev.operations:
        changes["operations"] = reading.operations + _moved(prev.operations)
        inherited.add("operations")
        named = set(reading.meter_names)
        if prev.asks(Op.SHARE) and prev.share_of and named and not named & set(prev.share_of):
            # "and line 4?" after a share of a whole named: the same share of the same whole
            changes.setdefault("share_of", prev.share_of)
            inherited.add("share_of")
    return inherited


def _drivers_kept(reading: Reading, prev: Reading, changes: dict[str, Any]) -> set[str]:
    """ "is that gap bigger than the model's uncertainty?" after a baseline on the temperature:
    the same model, so the same driver, unless the turn names drivers of its own."""
    drivers = tuple(c for c in prev.cues if c.feature == "weather_driver")
    if reading.intent is not Intent.BASELINE or not drivers or reading.measures:
        return set()
    if any(c.feature == "weather_driver" for c in reading.cues):
        return set()
    changes["cues"] = reading.cues + _moved(drivers)
    return {"cues"}


def _beyond_window(reading: Reading) -> bool:
    """ "what was its SEC last week?" after the night hours of a day: a figure that hours of the
    day cannot give, asked of a period of its own, is asked of that whole period (the hours
    before are not carried; said again in the turn, they are asked back)."""
    own = {m.kpi for m in reading.measures if m.kpi is not None and m.words.tokens}
    stated = any(p.words.tokens for p in reading.periods)
    return bool(own - WINDOW_KPIS) and stated


def _fits(units: tuple[UnitMention, ...], measures: tuple[MeasureMention, ...]) -> bool:
    """Whether every unit named can measure the carried series (no unit named fits all)."""
    metrics = [m.metric for m in measures if m.kpi is None and m.metric]
    for u in units:
        try:
            dimension = parse_unit(u.unit).dimension
        except UnknownUnit:
            continue
        if any(METRIC_DIMENSIONS.get(m, dimension) != dimension for m in metrics):
            return False
    return True


def _base(reading: Reading, after_share: bool = False) -> tuple[str, ...] | None:
    """The meters after "of" in a share or percentage that names nothing else; () for the site.
    Right after a share, "and of the whole <meter>?" asks the same share of another whole."""
    own = reading.asks(Op.SHARE, Op.PERCENT) or (after_share and not reading.operations)
    if not own or reading.measures or reading.asks(Op.RANK):
        return None  # "which load ... what percentage of the total" has a subject of its own
    if reading.asks(Op.REMAINDER):
        return None  # "how much of that board does no sub-meter see?": the board's remainder
    # "the whole plant (Main Board)": a meter in brackets right after a scope names that scope
    bracketed = {m.words.tokens[0] - 2 for m in reading.meters if _in_brackets(reading, m)}
    scopes = [s for s in reading.scopes if not (s.words.tokens and s.words.tokens[-1] in bracketed)]
    mentions: list[MeterMention | ScopeMention | CarrierMention] = [
        *reading.meters,
        *scopes,
        *reading.carriers,
    ]
    if len(mentions) != 1 or not mentions[0].words.tokens:
        return None
    if isinstance(mentions[0], MeterMention) and (
        any(s.part for s in reading.splits) or reading.hour_windows
    ):
        # "how much of line 3's week was outside any shift": a part of the day or week named
        # with the meter after "of" is that part of the meter's own total, not a share of it
        return None
    first = mentions[0].words.tokens[0]
    reach = 3 if after_share else 2
    if isinstance(mentions[0], MeterMention) and _in_brackets(reading, mentions[0]):
        reach += 3  # "of the whole plant (Main Board)": the name in brackets after its words
    before = [t.norm for t in reading.tokens[max(0, first - reach) : first]]
    if not OF_WORDS & set(before):
        return None
    return reading.meter_names or tuple(getattr(mentions[0], "meters", ()))


def _in_brackets(reading: Reading, mention: MeterMention) -> bool:
    """Whether a meter's name is written in brackets: "(Main Board)"."""
    if not mention.words.tokens:
        return False
    first, last = mention.words.tokens[0], mention.words.tokens[-1]
    tokens = reading.tokens
    return (
        first > 0
        and tokens[first - 1].text == "("
        and last + 1 < len(tokens)
        and tokens[last + 1].text == ")"
    )


def _scope(reading: Reading, previous: Frame) -> dict[str, Any]:
    """The meters a follow-up is about: the answer's subjects for "it" and "the two", else
    the meters, carriers and scope the last question named."""
    prev = previous.reading
    subjects = previous.subjects
    said = Words((), 0, 0, "the last answer")
    if _has(reading, "pair") and len(previous.meters) < 2 <= len(previous.discussed):
        # "compare the two" after one meter and then another: the last two discussed
        subjects = previous.discussed[:2][::-1]
        if _has(prev, "pair"):
            # "the two together as a % of the incomer?", then "both together at 21 ct?": the
            # two of both turns are the same, not the incomer the turn between named besides
            earlier = [m for m in previous.discussed if m not in previous.meters]
            subjects = tuple(earlier[:2]) if len(earlier) >= 2 else subjects
    if subjects and _has(reading, "pair") and reading.asks(Op.TOTAL) and prev.asks(Op.SHARE):
        # "both together?" after a share of each: one side, the two added up
        return {"meters": (MeterMention(subjects, Match.NAME, said),)}
    if subjects and _has(reading, "pair"):
        # "which of the two": each of them on its own
        return {"meters": tuple(MeterMention((s,), Match.NAME, said) for s in subjects)}
    if subjects and _has(reading, "that") and not (prev.asks(*COMPARING) and len(prev.meters) > 1):
        return {"meters": (MeterMention(subjects, Match.NAME, said),)}
    whole = _whole(reading, prev)
    if whole:
        return whole
    if subjects and prev.carriers and prev.meters:
        # "and the month before?" after "electricity plus gas": a carrier beside named meters
        # was read by how the question joined them; the follow-up is about what was answered
        return {"meters": tuple(MeterMention((s,), Match.NAME, said) for s in subjects)}
    carried = {
        "meters": _moved(prev.meters),
        "carriers": _moved(prev.carriers),
        "scopes": _moved(prev.scopes),
    }
    return {name: value for name, value in carried.items() if value}


def _whole(reading: Reading, prev: Reading) -> dict[str, Any]:
    """ "how much isn't covered by any sub-meter?" after a ranking of the site's meters or "what
    % of the site was the top one": a remainder is of a whole, so of the whole the last question
    ranked the meters of (the site) or took a share of."""
    if not reading.asks(Op.REMAINDER):
        return {}
    said = Words((), 0, 0, "the last question")
    if prev.share_of:
        return {"meters": (MeterMention(prev.share_of, Match.NAME, said),)}
    site = any(s.scope is Scope.SITE for s in prev.scopes) and prev.asks(Op.SHARE, Op.PERCENT)
    if site or prev.asks(Op.RANK):
        return {"scopes": (ScopeMention(Scope.SITE, said),)}
    return {}


def plural_time(x: Referent) -> bool:
    """ "those months", "these 2 weeks": time words for more than one period (by the period
    noun they end in, so "that week's" is one)."""
    words = x.words.text.lower().split()
    return x.kind == "time" and bool(words) and words[-1] in PERIOD_NOUNS


def _plural_time(reading: Reading) -> bool:
    return any(plural_time(x) for x in reading.referents)


def _same_stretch(reading: Reading) -> bool:
    """ "the same days last week": the stretch of days just discussed, in another period."""
    words = [t.norm for t in reading.tokens]
    return any(a == "same" and b in STRETCH_WORDS for a, b in pairwise(words))


def _once(mentions: list[PeriodMention], question: str) -> list[PeriodMention]:
    """ "the Sunday before, 22.03.": a relation resolved to the very days the question also
    writes as a date is one period written twice, not two to compare."""
    out: list[PeriodMention] = []
    for m in mentions:
        twin = next((o for o in out if o.role is m.role and _same_span(o.span, m.span)), None)
        if twin is None:
            out.append(m)
            continue
        tokens = tuple(sorted({*twin.words.tokens, *m.words.tokens}))
        start, end = min(twin.words.start, m.words.start), max(twin.words.end, m.words.end)
        words = Words(tokens, start, end, question[start:end]) if tokens else twin.words
        out[out.index(twin)] = replace(twin, words=words)
    return out


def _same_span(a: TimeSpan | None, b: TimeSpan | None) -> bool:
    if a is None or b is None or a.start is None or b.start is None:
        return False
    return (a.start, a.end) == (b.start, b.end)


def _periods(reading: Reading, prev: Reading, now: datetime) -> tuple[PeriodMention, ...]:
    """Own periods where given; relations ("the week before") resolved against the last
    subject period; a comparison that names only its reference keeps the last subject."""
    before = [p for p in prev.periods if p.role is PeriodRole.SUBJECT and p.span is not None]
    if _has(reading, "time") and not reading.subject_periods:
        if _plural_time(reading):
            # "gas for those 2 months" after two months set side by side: every one of them
            return _moved(tuple(p for p in prev.periods if p.span is not None)) + reading.periods
        return _moved(tuple(before)) + reading.periods
    own = list(reading.periods)
    resolved: list[PeriodMention] = []
    for p in own:
        if p.span is None and p.relation is not None and before:
            anchor = before[0].span
            assert anchor is not None
            resolved.append(replace(p, span=shift(anchor, p.relation, now, p.weekday, p.length)))
        elif _that_stretch(reading, p, before, now):
            # "for that August period" after 01.08.-30.08.: the days just discussed
            resolved.append(replace(p, span=before[0].span))
        else:
            resolved.append(p)
    resolved = _once(resolved, reading.question)
    resolved = [*resolved, *_base_kept(reading, prev, resolved)]
    if not resolved:
        return _moved(tuple(p for p in prev.periods if p.span is not None))
    if before and _same_stretch(reading) and len(resolved) == 1 and resolved[0].span:
        anchor = before[0].span
        assert anchor is not None
        return (replace(resolved[0], span=same_stretch(anchor, resolved[0].span, now)),)
    if not any(p.role is PeriodRole.SUBJECT for p in resolved):
        return _moved(tuple(before)) + tuple(resolved)
    return tuple(resolved)
