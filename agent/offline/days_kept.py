"""The weekdays a period keeps when the question leaves days out of it ("last week without
Thursday", "this week so far, leaving out yesterday's holiday"): a day of a period of at most
a week is its weekday there; in a longer one only "every Sunday" is, a single day is asked
back, since counting without it would leave out each of its weekdays."""

from __future__ import annotations

from datetime import date, timedelta

from agent.offline.plan import Plan, Question, ask
from agent.reader import Kpi, Op
from agent.reader.dates import bounds
from agent.reader.slots import DaysLeftOut
from common.errors import EMSError

ALL_DAYS = (0, 1, 2, 3, 4, 5, 6)
NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# what the days kept answer: their energy, its average power and their peak interval demand
ANSWERED = frozenset({Kpi.ENERGY, Kpi.AVERAGE_POWER, Kpi.PEAK_DEMAND})
NOT_ANSWERED = frozenset({Op.MAX, Op.MIN, Op.WHEN, Op.PROFILE, Op.RANK, Op.BREAKDOWN, Op.TREND})


def kept_days(q: Question, days: list[int] | None) -> tuple[list[int] | None, list[str]] | Plan:
    """The weekdays to count (of `days`, else every day) without the days left out, and notes
    saying what was left out; unchanged when nothing is left out."""
    r = q.reading
    left = r.days_left_out
    if not left:
        return days, []
    per_day = r.asks(Op.AVERAGE) and Kpi.AVERAGE_POWER not in r.kpis
    if set(r.kpis) - ANSWERED or r.ops & NOT_ANSWERED or r.grains or per_day:
        said = "', '".join(d.words.text for d in left)
        return ask(
            f"I did not give a figure: leaving out '{said}', I can give the energy of the days "
            "kept, its average kW and peak demand, not the figure asked. Should I give that "
            "total, or name the days to count?"
        )
    spans = [p.span for p in q.subject_periods if p.span is not None]
    try:
        stretches = [bounds(s, q.now) for s in spans]
    except EMSError:
        stretches = []
    if not stretches:
        return days, []
    out = set(days if days is not None else ALL_DAYS)
    notes = []
    for d in left:
        dropped = _dropped(d, stretches)
        if isinstance(dropped, str):
            return ask(dropped)
        out -= dropped
        notes.append(f"As you asked ('{d.words.text}'), I left out {_said(d, stretches)}.")
    if not out:
        return ask("Leaving those days out leaves no day of the period: which days should I count?")
    return sorted(out), notes


def _dropped(d: DaysLeftOut, stretches: list[tuple[date, date]]) -> set[int] | str:
    """The weekdays that leaving `d` out removes, or what to ask back."""
    longest = max((last - first).days + 1 for first, last in stretches)
    if d.every:
        return set(d.weekdays)
    if longest > 7:
        named = ", ".join(f"{x:%-d %B}" for x in d.dates) or " or ".join(
            NAMES[w] for w in d.weekdays
        )
        return (
            f"I can leave a single day ({named}) out only of a period of at most a week: in a "
            f"longer one it would leave out every such weekday. Should I leave out every "
            f"{' and every '.join(NAMES[w] for w in _weekdays(d))} of the period, or ask for "
            "the days before and after it?"
        )
    for x in d.dates:
        if not any(first <= x <= last for first, last in stretches):
            return f"{x:%-d %B %Y} is not in the period asked: which days should I leave out?"
    return set(_weekdays(d))


def _weekdays(d: DaysLeftOut) -> tuple[int, ...]:
    return (*d.weekdays, *(x.weekday() for x in d.dates))


def _said(d: DaysLeftOut, stretches: list[tuple[date, date]]) -> str:
    """The days left out, by date where the period has one of each weekday."""
    if d.every:
        return "every " + " and every ".join(NAMES[w] for w in d.weekdays)
    first, last = stretches[0]
    found = [
        first + timedelta(days=i)
        for i in range((last - first).days + 1)
        if (first + timedelta(days=i)).weekday() in _weekdays(d)
    ]
    return ", ".join(f"{x:%a %-d %b %Y}" for x in found) or "no day of the period"
