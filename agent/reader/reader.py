"""Reading one question: the extractors run on a shared sheet, most specific first (a written
SQL statement, numbered objects, meter names, stated parameters, periods, thresholds, then the
lexicon's words), each claiming the words it uses; what is left is reported as unused."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from agent.reader.areas import find_floor_areas
from agent.reader.conditions import (
    Conditions,
    find_references,
    find_sql,
    find_thresholds,
    find_top,
)
from agent.reader.dates import bounds
from agent.reader.described import (
    also_described,
    counted,
    described_meters,
    measure_before,
    qualified,
)
from agent.reader.equipment import (
    before_unknown,
    described_unknown,
    equipment_notes,
    narrowed,
)
from agent.reader.intents import choose, implied_operations
from agent.reader.leftovers import leftovers, unknown_names
from agent.reader.lexical import Lexical, priced_unmeasured, read_compounds, read_lexical
from agent.reader.lexicon import Lexicon, default_lexicon
from agent.reader.meters import (
    family_before_unknown,
    find_meters,
    kind_words,
    left_out,
    numbered,
)
from agent.reader.nights import timed_periods
from agent.reader.omitted import days_left_out
from agent.reader.parameters import ALL_DAYS, Stated, find_stated, unlabelled_calorific_values
from agent.reader.periods import find_periods
from agent.reader.public_days import holiday_periods
from agent.reader.reading import Reading
from agent.reader.slots import (
    FreeText,
    Intent,
    Kpi,
    MeasureMention,
    MeterMention,
    Op,
    PeriodMention,
    Reason,
    Split,
    SplitMention,
    Words,
)
from agent.reader.spelling import correct, write_out
from agent.reader.text import MAX_QUESTION_CHARS, Sheet, tokenize
from agent.reader.vocabulary import ENERGY_CARRIERS, Vocabulary
from common.errors import EMSError
from tools.periods import InvalidPeriod


class UnreadableQuestion(EMSError):
    """A question the reader will not read: too long, or not text."""


def _check(question: object, now: datetime) -> str:
    if not isinstance(question, str):
        raise UnreadableQuestion(f"a question must be text, not {type(question).__name__}")
    if len(question) > MAX_QUESTION_CHARS:
        raise UnreadableQuestion(
            f"the question is {len(question):,} characters long; ask in at most "
            f"{MAX_QUESTION_CHARS:,} characters"
        )
    if now.tzinfo is None:
        raise UnreadableQuestion("the current time must carry the site's time zone")
    return question


def read(
    question: str, vocab: Vocabulary, now: datetime, *, lexicon: Lexicon | None = None
) -> Reading:
    """What `question` asks of the site `vocab` describes, at `now` (site-local, aware).

    Never guesses silently: every slot records the words it consumed, the rest are `unused`.
    """
    question = _check(question, now)
    lexicon = lexicon or default_lexicon()
    reading = implied_operations(_speaker(_asides(_extract(question, vocab, now, lexicon))))
    intent, scores = choose(reading, lexicon.weights)
    return _topic(replace(reading, intent=intent, scores=scores))


def _asides(reading: Reading) -> Reading:
    """ "0,35 kg/kWh (our supplier's label, not the grid factor)": words in brackets right
    after a stated value, none of them read as anything else, say where the value comes
    from; context, not a part of the question left unused."""
    q = reading.question
    ends = [f.words.end for f in reading.emission_factors]
    ends += [p.words.end for p in reading.prices]
    ends += [c.words.end for c in reading.calorific_values]
    ends += [x.words.end for x in reading.exchange_rates]
    aside: list[Any] = []
    for end in ends:
        m = re.match(r"\s*\(([^()]*)\)", q[end:])
        if m is None:
            continue
        a, b = end + m.start(1), end + m.end(1)
        inside = [u for u in reading.unused if a <= u.words.start and u.words.end <= b]
        read_there = any(
            a <= item.words.start < b for _, item in reading.slots() if item.words.tokens
        )
        if inside and not read_there:
            aside += inside
    if not aside:
        return reading
    return replace(
        reading,
        unused=tuple(u for u in reading.unused if u not in aside),
        free_text=(*reading.free_text, *(FreeText("context", u.text, u.words) for u in aside)),
    )


# the days of the week each part of a weekday/weekend split holds (Monday = 0)
PART_DAYS = {"weekend": frozenset({5, 6}), "weekday": frozenset(range(5))}


def _days_restated(
    splits: list[SplitMention], periods: list[PeriodMention], now: datetime
) -> tuple[list[SplitMention], list[Words]]:
    """ "this past weekend (Sat+Sun)": a part of the week said of periods made of its days
    alone restates them, no split to make; its words are context."""
    spans = [p.span for p in periods if p.span is not None]
    if not spans:
        return splits, []
    days: set[int] = set()
    for span in spans:
        try:
            first, last = bounds(span, now)
        except (InvalidPeriod, ValueError):
            return splits, []
        if (last - first).days > 6:
            return splits, []
        days |= {(first + timedelta(days=i)).weekday() for i in range((last - first).days + 1)}
    kept, restated = [], []
    for s in splits:
        if s.split is Split.WEEKDAY_WEEKEND and days <= PART_DAYS.get(s.part or "", frozenset()):
            restated.append(s.words)
        else:
            kept.append(s)
    return kept, restated


def _extract(question: str, vocab: Vocabulary, now: datetime, lexicon: Lexicon) -> Reading:
    """Every extractor in turn on one sheet; the order is the precedence of their claims."""
    numbers = dict(lexicon.number_words)
    sheet = Sheet(question, write_out(tokenize(question), lexicon))
    cond = Conditions()
    find_sql(sheet, cond)
    find_references(sheet, cond)
    compounds = read_compounds(sheet, lexicon, vocab)
    meters = find_meters(sheet, vocab, lexicon)
    kind_words(sheet, meters.mentions, vocab, lexicon)
    sheet, corrections = correct(sheet, lexicon)
    stated = find_stated(sheet, numbers, lexicon, vocab.tariff_periods)
    dismissed: list[Words] = []  # "ok forget august": said, and not asked
    areas = find_floor_areas(sheet, lexicon)
    named_days = holiday_periods(sheet, vocab, now)
    periods, notes = find_periods(
        sheet,
        now,
        vocab.fiscal_year_start,
        lexicon=lexicon,
        date_order=vocab.date_order,
        dismissed=dismissed,
    )
    periods = sorted([*named_days, *periods], key=lambda p: p.words.start)
    periods, stated.hour_windows = timed_periods(sheet, periods, stated.hour_windows, now, lexicon)
    periods, left_out_days = days_left_out(sheet, periods, now, lexicon)
    find_top(sheet, cond, numbers)
    find_thresholds(sheet, cond)
    unlabelled_calorific_values(sheet, stated)  # "above 0.12 kWh/m3" is a threshold's
    lex = read_lexical(sheet, lexicon, vocab, compounds)
    lex.splits, restated = _days_restated(lex.splits, periods, now)
    priced_unmeasured(lex, question, lexicon.stop_words)
    unknown = meters.unknown + (unknown_names(sheet, lexicon, vocab) if vocab.meters else [])
    meters.mentions, unknown = family_before_unknown(sheet, meters.mentions, unknown)
    kept, topics = narrowed(meters.mentions, question, lexicon.stop_words)
    meters.mentions, unknown = before_unknown(kept, unknown, question)
    described_as = {e.name: e.description for e in vocab.meters}
    meters.mentions, unknown = described_unknown(
        meters.mentions, unknown, question, described_as, lexicon.stop_words
    )
    meters.mentions, qualifiers = qualified(meters.mentions, sheet, vocab, lexicon)
    context = [FreeText("context", w.text, w) for w in (*topics, *dismissed, *restated)]
    notes = [*notes, *qualifiers, *equipment_notes(meters.mentions), *_weekday_windows(stated)]
    mentions = sorted(meters.mentions + numbered(sheet, vocab), key=lambda m: m.words.start)
    out = left_out(mentions, sheet, lexicon, vocab)
    mentions, notes = out.kept, [*notes, *out.notes]
    context += [FreeText("context", w.text, w) for w in out.context]
    unused = leftovers(sheet, lexicon)
    unused = measure_before(unused, sheet, lex, vocab, lexicon)
    described: list[MeterMention] = []
    if not mentions and not unknown:
        described, unused, told = described_meters(unused, vocab, lexicon)
        notes = [*notes, *told]
    counts, unused = counted(sheet, unused, mentions + described, vocab, lexicon)
    lex.measures.extend(counts)
    lex.measures.extend(_window_peak(lex, stated))
    lex.measures.extend(_only_series(lex, mentions + described, vocab))
    if mentions or described:
        named = frozenset(n for m in mentions + described for n in m.meters)
        more, unused, told = also_described(unused, vocab, lexicon, named)
        mentions = sorted(mentions + more, key=lambda m: m.words.start)
        notes = [*notes, *told]
    return Reading(
        question=question,
        tokens=sheet.tokens,
        meters=tuple(mentions + described),
        unknown_names=tuple(sorted(unknown, key=lambda u: u.words.start)),
        periods=tuple(periods),
        days_left_out=tuple(left_out_days),
        unused=tuple(unused),
        notes=tuple(notes),
        corrections=tuple(corrections),
        **_lexical_slots(lex),
        **_stated_slots(stated),
        floor_areas=tuple(areas),
        **(_condition_slots(cond) | {"free_text": (*cond.free, *context)}),
    )


def _only_series(
    lex: Lexical, mentions: list[MeterMention], vocab: Vocabulary
) -> list[MeasureMention]:
    """ "the average outdoor temperature", the words naming a meter of no energy carrier that
    records one series: with nothing else asked of it, that series is what is asked."""
    if lex.measures or not mentions:
        return []
    kept: set[str] = set()
    for m in mentions:
        for name in m.meters:
            entry = vocab.meter(name)
            if entry is None or "energy" in entry.metrics or len(entry.metrics) != 1:
                return []
            if entry.carrier in ENERGY_CARRIERS:  # gas metered in m3: its energy is asked
                return []
            kept.add(entry.metrics[0])
    if len(kept) != 1:
        return []
    at = mentions[0].words.start  # the meter's words name it; the measure takes none of them
    return [MeasureMention(Words((), at, at, ""), None, kept.pop())]


# "Juliana do segundo turno: ...", "this is Tom from the night shift -": who asks, by name and
# shift, before the question itself
SPEAKER = re.compile(
    r"^\s*(?:(?:hi|hello|hey|oi|olá|ola)[,!]?\s+)?(?:i'?m |i am |this is |aqui (?:é|e) |sou )?"
    r"(?P<name>[^\W\d_]+) (?:do|da|from|of)(?: the| o| a)? $",
    re.IGNORECASE,
)


def _window_peak(lex: Lexical, stated: Stated) -> list[MeasureMention]:
    """ "we are billed on the highest hourly average": the top of a stated demand window's
    means is the peak demand over that window, though no word of demand is said."""
    if not stated.demand_windows or any(m.kpi not in (None, Kpi.ENERGY) for m in lex.measures):
        return []
    top = next((o for o in lex.operations if o.op is Op.MAX), None)
    return [MeasureMention(top.words, Kpi.PEAK_DEMAND)] if top is not None else []


def _weekday_windows(stated: Stated) -> list[str]:
    """What the answer says of a stated time-of-use window written without its days."""
    return [
        f"No days were given for {w.start:%H:%M}-{w.end:%H:%M}: I took it Mon-Fri, as a "
        "tariff's peak hours are; say 'every day' if it holds at weekends too."
        for w in stated.tou
        if not w.days_said and w.days != ALL_DAYS
    ]


def _speaker(reading: Reading) -> Reading:
    """A shift named only to say who is asking ("Juliana do segundo turno: linha 3
    yesterday?") is not a split of the figures asked; the speaker's name is used up with it."""
    for split in reading.splits:
        if split.split is not Split.SHIFT or not split.words.tokens:
            continue
        before = reading.question[: split.words.start]
        after = reading.question[split.words.end :]
        found = SPEAKER.match(before)
        if found is None or not re.match(r"\s*[:,\-\u2013\u2014]", after):
            continue
        name = found.start("name")
        said = [u for u in reading.unused if u.words.start == name]
        tokens = tuple(sorted({*split.words.tokens, *(i for u in said for i in u.words.tokens)}))
        start = min(name, split.words.start)
        words = Words(tokens, start, split.words.end, reading.question[start : split.words.end])
        return replace(
            reading,
            splits=tuple(s for s in reading.splits if s is not split),
            unused=tuple(u for u in reading.unused if u not in said),
            free_text=(*reading.free_text, FreeText("context", words.text, words)),
        )
    return reading


def _lexical_slots(lex: Lexical) -> dict[str, Any]:
    names = ("carriers", "scopes", "measures", "operations", "grains", "splits", "currencies",
             "units", "actions", "cues", "unsupported", "referents")  # fmt: skip
    return {name: tuple(getattr(lex, name)) for name in names} | {"follows": lex.follows}


def _stated_slots(stated: Stated) -> dict[str, Any]:
    return {
        "hour_windows": tuple(stated.hour_windows),
        "emission_factors": tuple(stated.emission_factors),
        "prices": tuple(stated.prices),
        "tou_windows": tuple(stated.tou),
        "holidays_off": tuple(stated.holidays_off),
        "demand_charges": tuple(stated.demand_charges),
        "exchange_rates": tuple(stated.exchange_rates),
        "demand_windows": tuple(stated.demand_windows),
        "horizons": tuple(stated.horizons),
        "calorific_values": tuple(stated.calorific_values),
    }


def _condition_slots(cond: Conditions) -> dict[str, Any]:
    return {
        "thresholds": tuple(cond.thresholds),
        "top": tuple(cond.top),
        "references": tuple(cond.references),
        "free_text": tuple(cond.free),
    }


def _topic(reading: Reading) -> Reading:
    """A knowledge question's remaining words are what to search for, not unused words; so is
    a quantity no series measures ("what does the manual say about cleaning solar panels?"):
    the library is asked about it, no figure of it."""
    if reading.intent is not Intent.KNOWLEDGE:
        return reading
    unmeasured = [u for u in reading.unsupported if u.reason is Reason.NO_SERIES]
    parts = sorted(
        [(u.words, u.text) for u in reading.unused]
        + [(u.words, u.words.text) for u in unmeasured if u.words.tokens],
        key=lambda p: p[0].start,
    )
    if not parts:
        return reading
    first, last = parts[0][0], parts[-1][0]
    tokens = tuple(sorted(i for w, _ in parts for i in w.tokens))
    text = " ".join(t for _, t in parts)
    words = replace(
        first, tokens=tokens, end=last.end, text=reading.question[first.start : last.end]
    )
    return replace(
        reading,
        free_text=(*reading.free_text, FreeText("topic", text, words)),
        unused=(),
        unsupported=tuple(u for u in reading.unsupported if u not in unmeasured),
    )
