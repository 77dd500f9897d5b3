"""Which kind of data question a reading is, scored from its features by the weights in
kinds.yaml (data beside the handlers of agent/offline/data.py), with the other word lists the
handlers use."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, get_args

import yaml

from agent.reader import Kpi, Op, Reading
from agent.reader.dates import bounds
from agent.reader.slots import Grain, GrainMention, OperationMention, Split, Words
from common.errors import EMSError
from tools.events import EventKind

KINDS_FILE = Path(__file__).with_name("kinds.yaml")
COMPARATIVES = frozenset(
    {Op.MORE, Op.LESS, Op.WHICH_MORE, Op.WHICH_LESS, Op.COMPARE, Op.DIFFERENCE}
)


class InvalidKinds(EMSError):
    """kinds.yaml does not follow its schema; the message names the entry."""


@dataclass(frozen=True)
class Kinds:
    weights: Mapping[str, Mapping[str, float]]
    level_words: Mapping[str, str]  # word -> statistic
    verb_words: frozenset[str]
    intensive: frozenset[str]
    implied_grains: Mapping[str, Grain]
    joining_words: frozenset[str]
    demand_charge_words: frozenset[str] = frozenset()
    anomaly_kinds: Mapping[str, str] = field(default_factory=dict)  # word -> event kind
    anomaly_faults: tuple[Fault, ...] = ()
    including_words: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Fault:
    """A fault the anomaly tool has no kind for: its words, the kinds it shows up as (none:
    the tool cannot see it) and how, for the answer to say."""

    name: str
    words: frozenset[str]
    kinds: tuple[str, ...]
    shows: str


def _faults(data: Mapping[str, Mapping[str, Any]]) -> tuple[Fault, ...]:
    return tuple(
        Fault(
            str(name),
            frozenset(map(str, entry["words"])),
            tuple(map(str, entry["kinds"])),
            " ".join(str(entry["shows"]).split()),
        )
        for name, entry in data.items()
    )


@cache
def kinds() -> Kinds:
    data = yaml.safe_load(KINDS_FILE.read_text(encoding="utf-8"))
    try:
        joining = frozenset(map(str, data["joining_words"]))
        charges = frozenset(str(w).lower() for w in data["demand_charge_words"])
        weights = {
            str(k): {str(f): float(w) for f, w in v.items()} for k, v in data["kinds"].items()
        }
        levels = {str(w): str(stat) for stat, ws in data["level_words"].items() for w in ws}
        grains = {str(w): Grain(g) for w, g in data["implied_grains"].items()}
        intensive = frozenset(Kpi(k).value for k in data["intensive"])
        named = {str(w): str(k) for k, ws in data["anomaly_kinds"].items() for w in ws}
        faults = _faults(data["anomaly_faults"])
        including = frozenset(str(w).lower() for w in data["including_words"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidKinds(f"{KINDS_FILE.name}: {exc}") from None
    known = set(get_args(EventKind))
    wrong = sorted(
        {k for k in named.values() if k not in known}
        | {k for f in faults for k in f.kinds if k not in known}
    )
    if wrong:
        raise InvalidKinds(f"{KINDS_FILE.name}: not an anomaly event kind: {', '.join(wrong)}")
    return Kinds(
        weights,
        levels,
        frozenset(map(str, data["verb_words"])),
        intensive,
        grains,
        joining,
        charges,
        named,
        faults,
        including,
    )


def implied_grain(reading: Reading) -> Grain | None:
    """ "which day", "at what hour": the series step a question implies without naming it."""
    if reading.grains:
        return reading.grains[0].grain
    words = kinds().implied_grains
    for o in reading.operations:
        if o.op in (Op.AVERAGE, Op.MAX, Op.MIN):
            # "average daily", "biggest day": the average or extreme of that step, not of
            # the readings
            steps = [words[w] for w in re.findall(r"\w+", o.words.text.lower()) if w in words]
            if steps and o.words.text.lower() not in words:
                return steps[0]
            if o.op is not Op.AVERAGE and (step := _step_after(reading, o, words)):
                return step  # "the biggest gas day", "highest single day"
        if o.op in (Op.WHEN, Op.MAX, Op.MIN):
            found = re.search(r"\b(?:which|what)\s+(\w+)", o.words.text.lower())
            if found and found.group(1) in words:
                return words[found.group(1)]
    return None


def same_step(reading: Reading, before: Reading | None) -> Reading:
    """ "and the quietest one?" after "the busiest day in July": an extreme asked alone of
    what the turn before found the extreme of a step is the extreme of that same step, not of
    the readings. A turn naming a measure or a step of its own keeps its own."""
    if before is None or not reading.follows or implied_grain(reading) is not None:
        return reading
    extremes = (Op.MIN, Op.MAX)
    own = [o for o in reading.operations if o.words.tokens]
    if not own or any(o.op not in extremes for o in own) or not before.asks(*extremes):
        return reading
    if any(m.words.tokens for m in reading.measures):
        return reading
    step = implied_grain(before)
    if step is None:
        return reading
    grain = GrainMention(step, Words((), 0, 0, step.value))
    return replace(reading, grains=(grain,), inherited=reading.inherited | {"grains"})


def _step_after(reading: Reading, o: OperationMention, words: Mapping[str, Grain]) -> Grain | None:
    """The step named by a word after an extreme, a meter's name or one word between at most:
    "the biggest gas day", "the highest Pump K1 day" ask for the extreme of that step."""
    if not o.words.tokens:
        return None
    named = {i for m in reading.meters for i in m.words.tokens}
    between = 0
    for t in reading.tokens[o.words.tokens[-1] + 1 :]:
        if t.norm in words and words[t.norm].value == t.norm:  # "day", not "daily" or "days"
            return words[t.norm]
        between += t.index not in named
        if between > 1:
            break
    return None


def _structure(r: Reading, sides: int, group: bool, now: datetime | None) -> set[str]:
    comparative = bool(r.ops & COMPARATIVES)
    subjects = len([p for p in r.subject_periods if p.span is not None])
    references = r.reference_periods or (r.base_periods if r.intent.value == "data" else ())
    found = {
        name
        for name, present in (
            ("kpi", any(k is not Kpi.ENERGY for k in r.kpis)),
            ("metric", r.metric is not None),
            # "last week without Thursday": the days kept are a window of whole days
            ("hour_window", bool(r.hour_windows or r.days_left_out)),
            ("split", bool(r.splits)),
            ("split_part", any(s.part for s in r.splits)),
            ("grain", implied_grain(r) is not None and not _one_step(r, now)),
            ("top", bool(r.top)),
            ("all_meters", r.all_meters),
            ("no_scope", not r.names_scope),
            ("named", bool(r.meters)),
            ("group", group),
            ("duration", any(t.duration_min for t in r.thresholds)),
            ("count_threshold", bool(r.thresholds) and r.asks(Op.COUNT)),
            ("reference", bool(references)),
            ("periods_compared", subjects >= 2 and comparative),
            ("meters_compared", sides >= 2 and comparative and subjects <= 1 and not references),
            ("share_before", bool(r.share_of)),
            ("share_whole", not comparative and r.share_whole() is not None),
            ("tariff_parts", _tariff_parts(r)),
        )
        if present
    }
    return found


def _one_step(r: Reading, now: datetime | None) -> bool:
    """ "the monthly peak in July", "the daily peak yesterday": a KPI of a step the one period
    asked is exactly one of is the KPI of that period, not a series of one point (which
    would be read as energy, not as the KPI asked)."""
    step = implied_grain(r)
    spans = [p.span for p in r.subject_periods if p.span is not None]
    if step is None or len(spans) != 1 or not any(k is not Kpi.ENERGY for k in r.kpis):
        return False
    start, end = spans[0].start, spans[0].end
    if now is not None:
        start, end = bounds(spans[0], now)
    if start is None or end is None:
        return False
    if step is Grain.DAY:
        return start == end
    if step is Grain.WEEK:
        return start.weekday() == 0 and (end - start).days == 6
    if step is Grain.MONTH:
        return start.day == 1 and (end + timedelta(days=1)).day == 1 and end.month == start.month
    return False


def _tariff_parts(r: Reading) -> bool:
    """ "the cost at our tariff (peak, off-peak and demand)", "ponta + demand charge", a price
    stated for each period: the parts of a tariff listed beside a cost are what the tariff is
    made of, so the cost is the whole tariff's, not a split of the kWh by period (which states
    no money)."""
    if Kpi.COST not in r.kpis:
        return False
    parts = {s.part for s in r.splits if s.split is Split.TOU and s.part}
    parts |= {p.name for p in r.prices if p.name} | {w.name for w in r.tou_windows}
    charges = kinds().demand_charge_words
    named = any(m.kpi is Kpi.COST and m.words.text.lower() in charges for m in r.measures)
    return len(parts) + bool(named or r.demand_charges) >= 2


def features(r: Reading, sides: int, group: bool, now: datetime | None = None) -> frozenset[str]:
    ops = {f"op:{o.value}" for o in r.ops}
    kpis = {f"kpi:{k.value}" for k in r.kpis}
    return frozenset(_structure(r, sides, group, now) | ops | kpis)


def choose(r: Reading, sides: int, group: bool, now: datetime | None = None) -> str:
    """The kind with the best score; ties go to the kind listed first."""
    present = features(r, sides, group, now)
    scores = {
        kind: w.get("bias", 0.0) + sum(v for f, v in w.items() if f in present)
        for kind, w in kinds().weights.items()
    }
    return max(scores, key=lambda k: scores[k])
