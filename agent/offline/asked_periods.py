"""The periods a question for numbers is about: those it names, those it joins into one
("August and September together"), the two just discussed ("both weeks together", "compare
the two"), and the two sides of a comparison, a period still running cut with its reference to
the time it has run."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import NamedTuple

from agent.offline import kinds
from agent.offline.plan import ASK_PERIOD, Plan, Question, ask
from agent.offline.scope import Sides
from agent.reader import Op, Reading
from agent.reader.conversation import PERIOD_NOUNS, plural_time
from agent.reader.dates import bounds, shift, whole_days
from agent.reader.slots import (
    NO_WORDS,
    Grain,
    PeriodMention,
    Referent,
    Relation,
    TimeSpan,
    Words,
)
from common.errors import EMSError

MAX_PERIODS = 4
MAX_STEPS = 31  # a month of days: the most figures of one KPI asked step by step
PREVIOUS = {
    "today": "yesterday",
    "this week": "last week",
    "this month": "last month",
    "this quarter": "last quarter",
    "this year": "last year",
}


def periods(q: Question) -> list[str] | Plan:
    """The periods asked, at most MAX_PERIODS; the two discussed or those joined as one."""
    found = [p.span.period for p in q.subject_periods if p.span is not None][:MAX_PERIODS]
    both = _the_two(q) or _joined_periods(q)
    if both is not None:
        return both
    # a note on the words taken for no period ("there is no 31 September") comes before the ask
    return found or ask(" ".join((*q.reading.notes, ASK_PERIOD)))


def steps(q: Question, grain: Grain) -> list[str] | None:
    """The days, weeks or months the periods asked are made of, each a period of its own ("the
    daily cost last week": each day's cost), up to the clock; None for more than MAX_STEPS."""
    found: list[str] = []
    for p in q.subject_periods:
        if p.span is None:
            continue
        first, last = bounds(p.span, q.now)
        found += _steps_of(first, min(last, q.now.date()), grain)
    return found if 0 < len(found) <= MAX_STEPS else None


def _steps_of(first: date, last: date, grain: Grain) -> list[str]:
    found: list[str] = []
    start = first
    while start <= last and len(found) <= MAX_STEPS:
        if grain is Grain.DAY:
            end = start
        elif grain is Grain.WEEK:
            end = start + timedelta(days=6 - start.weekday())
        else:
            end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        end = min(end, last)
        whole_month = grain is Grain.MONTH and start.day == 1 and (end + timedelta(days=1)).day == 1
        if start == end:
            found.append(start.isoformat())
        else:
            found.append(f"{start:%Y-%m}" if whole_month else f"{start}..{end}")
        start = end + timedelta(days=1)
    return found


def recent_days(q: Question) -> list[TimeSpan]:
    """The periods discussed, the latest first, each stretch of days once: "yesterday (Sun
    29.03.)" and "that day" are one period, not the two of a comparison."""
    seen: set[object] = set()
    out: list[TimeSpan] = []
    for span in q.recent_periods:
        if not span.period:
            continue
        try:
            key: object = bounds(span, q.now)
        except EMSError:
            key = span.period
        if key not in seen:
            seen.add(key)
            out.append(span)
    return out


def _the_two(q: Question) -> list[str] | None:
    """ "over those two months together": the last two periods discussed, as one range when
    they meet and are asked as one (a joining word, or "over"/"across" before them), else each:
    "its average kW in those two weeks" is each week's."""
    r = q.reading
    pointed = [x for x in r.referents if _of_periods(r, x)]
    if "periods" not in r.inherited or not pointed:
        return None
    spans = recent_days(q)[:2]
    if len(spans) < 2:
        return None
    try:  # "last week", then "the week before": words resolved to their days at now
        (start, first_end, first), (second_start, end, second) = sorted(
            (*bounds(s, q.now), s.period) for s in spans
        )
    except ValueError:
        return None
    if (second_start - first_end).days <= 1 and _as_one(q, pointed[0]):
        return [f"{start.isoformat()}..{end.isoformat()}"]
    return [first, second]


def _as_one(q: Question, x: Referent) -> bool:
    """The periods pointed at are asked as one stretch: "together", "combined", or "over" or
    "across" right before "those two weeks"."""
    first = x.words.tokens[0] if x.words.tokens else 0
    before = [t.norm for t in q.reading.tokens[max(0, first - 1) : first]]
    return joined(q) or bool({"over", "across", "throughout"} & set(before))


def joined(q: Question) -> bool:
    """The question asks for its meters added up ("added together", "plus", "combined")."""
    words = kinds.kinds().joining_words
    return any(t.norm in words for t in q.reading.tokens)


def periods_joined(q: Question) -> bool:
    """Two or more periods asked about as one ("August and September together", "June plus
    August", "across July and September"): a joining word, or "across" before them."""
    spans = [p for p in q.subject_periods if p.span is not None]
    if len(spans) < 2:
        return False
    # "across" joins the periods it stands before, not "across all meters in May and June"
    first = min((p.words.tokens[0] for p in spans if p.words.tokens), default=0)
    before = [t.norm for t in q.reading.tokens[max(0, first - 2) : first]]
    return joined(q) or "across" in before


def _joined_periods(q: Question) -> list[str] | None:
    """ "August and September together (Aug+Sep)": periods that meet, asked added up, are
    one range from the first's start to the last's end."""
    spans = [p.span for p in q.subject_periods if p.span is not None]
    if not periods_joined(q) or any(s.start is None or s.end is None for s in spans):
        return None
    ordered = sorted(spans, key=lambda s: (s.start, s.end))
    for first, second in itertools.pairwise(ordered):
        assert first.end is not None and second.start is not None
        if (second.start - first.end).days != 1:
            return None
    start, end = ordered[0].start, ordered[-1].end
    assert start is not None and end is not None
    return [f"{start.isoformat()}..{end.isoformat()}"]


def _of_periods(r: Reading, x: Referent) -> bool:
    """ "those two months": a pair of periods; "the two lines" is a pair of meters."""
    if plural_time(x):
        return True  # "those 2 months", read as time words
    if x.kind != "pair" or x.words is None or not x.words.tokens:
        return False
    after = x.words.tokens[-1] + 1
    return after < len(r.tokens) and r.tokens[after].norm in PERIOD_NOUNS


def two_periods(q: Question, found: Sides) -> Question | None:
    """ "compare the two" after two answers about one meter: the two periods just discussed,
    as the subjects of a comparison (two meters would be the two meant instead)."""
    r = q.reading
    # "difference?" that names nothing of its own is about the two periods just discussed too
    said: list[Words] = [m.words for m in r.meters] + [c.words for c in r.carriers]
    said += [s.words for s in r.scopes] + [p.words for p in r.periods]
    bare = not any(w.tokens for w in said)
    if not (bare or any(x.kind == "pair" for x in r.referents)) or len(found.sides) > 1:
        return None
    # "as a % change?" after two periods of one meter: their change in percent; "as a % of
    # the board that week?" names the whole it is a percentage of, so it is a share
    percent = r.asks(Op.PERCENT) and not r.asks(Op.SHARE) and not r.share_of
    change = r.asks(*kinds.COMPARATIVES) or percent
    if not change or "periods" not in r.inherited:
        return None
    if len(q.subject_periods) >= 2:
        return None  # "diff in kWh?" after a comparison of two periods: the same two, as compared
    spans = recent_days(q)[:2]
    if len(spans) < 2:
        return None
    # the first discussed is the subject: "last week", then "and the week before?"; a period
    # still running is cut to its whole days, as "the same days last week" was
    periods = tuple(PeriodMention(NO_WORDS, whole_days(s, q.now)) for s in reversed(spans))
    return replace(q, reading=replace(r, periods=periods))


class Compared(NamedTuple):
    """The two periods of a comparison as the tools are asked them, the running one's label
    (or "") when both were cut to the time it has run, and the two as named."""

    period: str
    reference: str
    running: str
    named: tuple[str, str]


def compared_periods(q: Question) -> Compared | None:
    """The periods of a comparison, the later or the one asked of first."""
    r = q.reading
    subjects = [p for p in q.subject_periods]
    compared = [p for p in r.reference_periods if p.span is not None]
    references = compared or [p for p in r.base_periods if p.span is not None]
    first: TimeSpan | None
    second: TimeSpan | None
    if subjects and compared and not subjects[0].words.tokens and compared[0].words.tokens:
        # "and vs the days after?" after a question about some days: those days are set
        # against the ones named now, in the order the person set them
        first, second = subjects[0].span, compared[0].span
    elif subjects and compared and _than(r.question, compared[0]):
        # "how many kWh more in the week of 9-15 March than in the week of 23-29": the
        # period before "than" is the one the figure is of, whichever came first
        first, second = subjects[0].span, compared[0].span
    elif subjects and compared:
        # "the first half vs the second half": a change over time runs from the earlier
        first, second = _in_order(subjects[0], compared[0])
    elif subjects and references:
        first, second = subjects[0].span, references[0].span
    elif len(subjects) >= 2:
        first, second = _in_order(subjects[0], subjects[1])
    elif subjects and subjects[0].span is not None:
        first = subjects[0].span
        second = _previous(first, q.now)
    elif references:
        second = references[0].span
        assert second is not None
        like = _current_like(second, q.now)
        if like is None:
            return None
        first = like
    else:
        return None
    assert first is not None and second is not None
    return Compared(*so_far(first, second, q.now), named=(first.period, second.period))


THAN = re.compile(r"\bthan\s+(?:(?:in|on|during|over|for|the|(?:week|month|days?|period) of)\s+)*$")


def _than(question: str, reference: PeriodMention) -> bool:
    """Whether the reference period is the one after "than" ("more in May than in June")."""
    words = reference.words
    return bool(words.tokens) and bool(THAN.search(question[: words.start].lower()))


def _in_order(a: PeriodMention, b: PeriodMention) -> tuple[TimeSpan, TimeSpan]:
    """ "did it use more in September or October": the later one set against the earlier."""
    sa, sb = a.span, b.span
    assert sa is not None and sb is not None
    if sa.start and sb.start and sa.start < sb.start:
        return sb, sa
    return sa, sb


def _previous(span: TimeSpan, now: datetime) -> TimeSpan:
    if span.period in PREVIOUS:
        name = PREVIOUS[span.period]
        return TimeSpan(name, name)
    return shift(span, Relation.PERIOD_BEFORE, now)


def _current_like(reference: TimeSpan, now: datetime) -> TimeSpan | None:
    """ "more than last month": this month (the reference's own calendar unit, now); None
    for days that are no calendar unit ("vs 23-24/02": which days to set against them is not
    said)."""
    if reference.start is None or reference.end is None:
        return TimeSpan("this month", "this month")
    first, last = reference.start, reference.end
    after = last + timedelta(days=1)
    if first == last:
        name = "today"
    elif first.weekday() == 0 and (last - first).days == 6:
        name = "this week"
    elif first.day == 1 and after.day == 1:
        months = (after.year - first.year) * 12 + after.month - first.month
        name = {1: "this month", 3: "this quarter", 12: "this year"}.get(months, "")
        if (months == 3 and first.month % 3 != 1) or (months == 12 and first.month != 1):
            name = ""
    else:
        name = ""
    return TimeSpan(name, name) if name else None


def so_far(first: TimeSpan, second: TimeSpan, now: datetime) -> tuple[str, str, str]:
    """A period running at now ("this month", "since 1 August", or "October" asked in October)
    against a whole one: both cut to the time elapsed, as the tools cut the running one."""
    from tools.periods import resolve_period

    tz = str(now.tzinfo)
    try:
        running = resolve_period(first.period, now, tz)
        reference = resolve_period(second.period, now, tz)
    except EMSError:  # a period the tools cannot read is theirs to report
        return first.period, second.period, ""
    # cut at now's last complete quarter-hour ("since 1 August" too, which is not said so far)
    ends_now = running.so_far or now - timedelta(minutes=15) < running.end <= now
    if not ends_now or reference.so_far or reference.end <= reference.start:
        return first.period, second.period, ""
    fmt = "%Y-%m-%dT%H:%M"
    cut = min(reference.start + (running.end - running.start), reference.end)
    return (
        f"{running.start:{fmt}}..{running.end:{fmt}}",
        f"{reference.start:{fmt}}..{cut:{fmt}}",
        first.label.capitalize() or first.period.capitalize(),
    )
