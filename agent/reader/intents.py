"""Choosing the intent from everything a question contains, by the weighted features of the
lexicon (a how-to about a leak alarm is a knowledge question, though it names a leak and an
alarm), and the operations a question implies by its shape: yes or no, which of two."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType

from agent.reader.reading import Reading
from agent.reader.slots import (
    Action,
    Cue,
    DemandWindow,
    Grain,
    Intent,
    Kpi,
    MeasureMention,
    Op,
    OperationMention,
    PeriodRole,
    Reason,
    UnitMention,
    Words,
)

AUXILIARIES = frozenset(
    "is was were are did does do has have had will would can could should isn't wasn't didn't "
    "doesn't don't hasn't haven't won't".split()
)
OPENERS = frozenset("so ok okay and but also then hey hi please quick quickly".split())
REQUEST_SUBJECTS = frozenset({"you", "u", "ya"})
WHICH_WORDS = frozenset({"which", "who", "what", "whichever"})
LESS_WORDS = frozenset({"least", "lowest", "smallest", "less", "lower", "fewer", "quietest"})
# "more efficient" is less energy per unit made: the word before an efficiency word turns the
# comparison of the SEC it is read as around
EFFICIENT = re.compile(r"effici|eficien|effizien", re.IGNORECASE)
BETTER = frozenset({"more", "most", "better", "best", "higher", "mais", "melhor"})
WORSE = frozenset({"less", "least", "worse", "worst", "lower", "menos", "pior", "weniger"})


def _structural(r: Reading) -> set[str]:
    found = {
        name
        for name, present in (
            ("meter", bool(r.meters)),
            ("carrier", bool(r.carriers)),
            ("scope", bool(r.scopes)),
            ("period", bool(r.periods)),
            ("measure", any(m.kpi is not None for m in r.measures)),
            ("metric", r.metric is not None and not _driver(r)),
            ("driver", _driver(r)),
            ("operation", bool(r.operations)),
            ("grain", bool(r.grains)),
            ("split", bool(r.splits)),
            ("threshold", bool(r.thresholds)),
            ("horizon", bool(r.horizons)),
            ("hour_window", bool(r.hour_windows)),
            ("price", bool(r.prices or r.tou_windows or r.demand_charges)),
            ("emission_factor", bool(r.emission_factors)),
            ("action", bool(r.actions)),
            ("unknown_name", bool(r.unknown_names)),
        )
        if present
    }
    found |= {f"{ref.kind}_ref" for ref in r.references if ref.kind}
    if _meter_incident(r):
        found.add("incident_named")
    cues = {c.feature for c in r.cues}
    listing = "state" in cues or ("list" in cues and "history" not in cues)
    if "incident" in cues and listing:
        # "list all incidents on the CAG, closed too": the register listed by state, not a
        # search of past cases like this one ("any incidents like this before?")
        found.add("incident_listing")

    if r.free("sql") is not None:
        found.add("sql")  # a statement written out, taken whole before any cue was read
    found |= {f"unsupported:{u.reason.value}" for u in r.unsupported}
    first = _first_content(r)
    switching = {a.action for a in r.actions} & {Action.ENABLE, Action.DISABLE}
    if switching and r.meters and not r.references and not cues & {"alert", "rule"}:
        # "switch off pump 2" is a control action; "turn the pump 2 alert off" is about a rule
        found.add("control")
    opening = [u for u in r.unsupported if u.reason is Reason.CONTROL and u.words.tokens]
    if first is not None and any(u.words.tokens[0] <= first for u in opening):
        # "lower the chilled water setpoint by 1 °C": an order opening on a control action,
        # whatever figure it names beside it
        found.add("control")
    return found


def _driver(r: Reading) -> bool:
    """ "a baseline of the cooling plant against outdoor temperature": a series named beside a
    baseline is what the baseline is fitted on, not a figure asked of its own."""
    named = r.metric is not None or any(c.feature == "weather_driver" for c in r.cues)
    return named and any(c.feature == "baseline" for c in r.cues)


def _meter_incident(r: Reading) -> bool:
    """ "the cooler incident in August": one incident named by its meter, the subject of the
    question (its cost, its CO2) rather than the meter's own figures."""
    ends = {m.words.tokens[-1] for m in r.meters if m.words.tokens}
    # "the cooler fouling incident": the words of a fault between the meter and the word
    faulty = {t for c in r.cues if c.feature == "anomaly" for t in c.words.tokens}
    for c in r.cues:
        if c.feature != "incident" or not c.words.tokens:
            continue
        if r.tokens[c.words.tokens[-1]].norm != "incident":
            continue
        before = c.words.tokens[0] - 1
        while before in faulty:
            before -= 1
        if before in ends:
            return True
    return False


def features(r: Reading) -> frozenset[str]:
    return frozenset(_structural(r) | _cues(r))


# "comp2 weekend share in september? we had that leak", "GA 75 kWh off shift last week - we
# suspect a leak": a statement after the question (after its question mark, a dash or a full
# stop) tells why it is asked; its words do not choose what is asked
CONTEXT = re.compile(
    r"(?:\?|\s[-\u2013\u2014]|\.(?=\s))\s*"
    r"(?:we|i|there|they|it|trying|checking|looking|suspect\w*)\b[^?]*$",
    re.IGNORECASE,
)


def _cues(r: Reading) -> frozenset[str]:
    context = CONTEXT.search(r.question)
    if context is None or not r.question[: context.start()].strip():
        return r.features()
    return frozenset(c.feature for c in r.cues if c.words.start < context.start())


def choose(
    r: Reading, weights: Mapping[Intent, Mapping[str, float]]
) -> tuple[Intent, MappingProxyType[Intent, float]]:
    """The intent with the best score; ties go to the intent listed first in the lexicon.
    With nothing scoring above zero the question is unsupported when it has words the reader
    could not use, and unclear otherwise."""
    present = features(r)
    scores = {
        intent: w.get("bias", 0.0) + sum(v for f, v in w.items() if f in present)
        for intent, w in weights.items()
    }
    best = max(scores, key=lambda i: scores[i]) if scores else Intent.UNCLEAR
    if not scores or scores[best] <= 0:
        best = Intent.UNSUPPORTED if (r.unused or r.unsupported) else Intent.UNCLEAR
    return best, MappingProxyType(scores)


def _first_content(r: Reading) -> int | None:
    for t in r.tokens:
        if t.is_content and t.norm not in OPENERS:
            return t.index
    return None


def _yes_no(r: Reading) -> OperationMention | None:
    """ "Is the dryer above its baseline?", "did press 2 use less ...": a yes or no first.
    "Could you tell me ..." is a request, not a yes/no question; "ok do it" an answer."""
    if r.features() & {"confirm", "decline"}:
        return None
    i = _first_content(r)
    if i is None or r.tokens[i].norm not in AUXILIARIES:
        return None
    nxt = next((t for t in r.tokens[i + 1 :] if t.is_content), None)
    if nxt is None or nxt.norm in REQUEST_SUBJECTS:
        return None
    t = r.tokens[i]
    return OperationMention(Op.YES_NO, Words((), t.start, t.end, t.text))


def _alternatives(r: Reading) -> int:
    """How many meters or periods the question chooses among; "which pump" counts
    every meter the word fits."""
    subjects = [p for p in r.periods if p.role is PeriodRole.SUBJECT]
    meters = {n for m in r.meters for n in m.meters}
    return max(len(meters), len(subjects))


def _which(r: Reading, turned: tuple[Op, int] | None) -> Op | None:
    """ "which used more, press 1 or press 2", "did pump-1 use more in September or
    October": a comparison between named alternatives asks for the winner."""
    words = {t.norm for t in r.tokens}
    comparative = r.asks(Op.MORE, Op.LESS, Op.RANK)
    if not comparative or _alternatives(r) < 2:
        return None
    if not (words & WHICH_WORDS or "or" in words):
        return None
    if turned is not None:  # "more efficient": the lower SEC
        return Op.WHICH_LESS if turned[0] is Op.LESS else Op.WHICH_MORE
    said_less = any(o.op is Op.LESS and " " in o.words.text for o in r.operations)
    less = (said_less or any(t.norm in LESS_WORDS for t in r.tokens)) and not r.asks(Op.MORE)
    return Op.WHICH_LESS if less else Op.WHICH_MORE


def _efficiency(r: Reading) -> tuple[Op, int] | None:
    """ "which line was more efficient": the SEC compared, lower being better; the operation
    the comparative means, and the token it is written at."""
    for m in r.measures:
        if m.kpi is not Kpi.SEC or not m.words.tokens or not EFFICIENT.search(m.words.text):
            continue
        before = m.words.tokens[0] - 1
        word = r.tokens[before].norm if before >= 0 else ""
        if word in BETTER:
            return Op.LESS, before
        if word in WORSE:
            return Op.MORE, before
    return None


def _turned(
    r: Reading, ops: list[OperationMention], turned: tuple[Op, int] | None
) -> list[OperationMention]:
    """The comparative before an efficiency word read the way round the SEC goes."""
    if turned is None:
        return ops
    op, at = turned
    out = [o for o in ops if not (o.op in (Op.MORE, Op.LESS) and at in o.words.tokens)]
    return [
        *out,
        OperationMention(op, Words((at,), r.tokens[at].start, r.tokens[at].end, r.tokens[at].text)),
    ]


def _comparative_cost(r: Reading) -> list[OperationMention]:
    """ "how much cheaper", "costlier": a comparison of cost, and by how much."""
    ops = []
    for m in r.measures:
        text = m.words.text.lower()
        if m.kpi is Kpi.COST and text in ("cheaper", "costlier", "more expensive"):
            ops.append(
                OperationMention(Op.LESS if text == "cheaper" else Op.MORE, _implied(m.words))
            )
            if r.asks(Op.TOTAL):
                ops.append(OperationMention(Op.DIFFERENCE, _implied(m.words)))
    return ops


def _implied(words: Words) -> Words:
    """Where an implied operation shows, without consuming the words again."""
    return replace(words, tokens=())


def implied_operations(r: Reading) -> Reading:
    """Operations the question's shape implies, added to those its words name; they point at
    the words that imply them but consume none."""
    turned = _efficiency(r)
    ops = _turned(r, list(r.operations), turned) + _comparative_cost(r)
    r = replace(r, operations=tuple(ops))
    if turned is not None:
        note = "More efficient read as less energy per unit produced (a lower SEC)."
        r = replace(r, notes=(*r.notes, note))
    yes_no = _yes_no(r)
    if yes_no is not None:
        ops.append(yes_no)
    which = _which(r, turned)
    if which is not None:
        ops.append(OperationMention(which, _implied(r.operations[0].words)))
    if r.reference_periods and not any(o.op is Op.COMPARE for o in ops):
        ops.append(OperationMention(Op.COMPARE, _implied(r.reference_periods[0].words)))
    r = _charged_peak(_baseline_drivers(r))
    r = replace(r, operations=tuple(ops), measures=r.measures + _implied_measures(r))
    return _window_peak(_unit_of_peak(r))


# A power unit said alone ("kW", "MW"): a measure of its own, unless a peak is asked
BARE_POWER_UNITS = {"kw": "kW", "mw": "MW"}


def _unit_of_peak(r: Reading) -> Reading:
    """ "maior demanda da cabine em fevereiro, kW e quando?": beside a peak demand asked, a
    power unit said alone is the unit that peak is wanted in, not an average power too."""
    if Kpi.PEAK_DEMAND not in r.kpis:
        return r
    bare = [
        m
        for m in r.measures
        if m.kpi is Kpi.AVERAGE_POWER and m.words.text.strip().lower() in BARE_POWER_UNITS
    ]
    if not bare:
        return r
    units = tuple(
        UnitMention(BARE_POWER_UNITS[m.words.text.strip().lower()], m.words) for m in bare
    )
    return replace(r, measures=tuple(m for m in r.measures if m not in bare), units=r.units + units)


# Series a baseline is fitted against, never the figure it models ("CAG baseline on
# temperature": the cooling plant's energy, explained by the temperature outside).
DRIVER_METRICS = frozenset({"outdoor_temperature"})


def _baseline_drivers(r: Reading) -> Reading:
    """A baseline question naming the weather is about a baseline driven by it: the
    temperature is its driver (a cue the baseline request reads), not the series asked; and
    what the baseline "would expect" is its expected figure, not a forecast of the future."""
    features = r.features()
    if "baseline" not in features:
        return r
    drivers = [m for m in r.measures if m.kpi is None and m.metric in DRIVER_METRICS]
    # "expect" beside a baseline is the baseline's own word: kept as part of it, not dropped
    cues = tuple(
        Cue("baseline", c.words) if c.feature == "forecast" and not r.horizons else c
        for c in r.cues
    )
    cues += tuple(Cue("weather_driver", m.words) for m in drivers)
    return replace(r, measures=tuple(m for m in r.measures if m not in drivers), cues=cues)


GRAIN_MINUTES = {Grain.MIN15: 15, Grain.HOUR: 60}


def _window_peak(r: Reading) -> Reading:
    """With a demand window stated, "the highest average kW" is the peak demand over that
    window, and a grain as long as the window ("on hourly averages") is the window's, not a
    series by the hour; a peak "in 15 min" states its window."""
    quarter = [g for g in r.grains if g.grain is Grain.MIN15]
    if not r.demand_windows and quarter and Kpi.PEAK_DEMAND in r.kpis:
        # "peak of A + B (15 min)": a peak by quarter hours is the 15-minute demand window
        r = replace(r, demand_windows=(DemandWindow(15, quarter[0].words),))
    if not r.demand_windows:
        return r
    minutes = {w.minutes for w in r.demand_windows}
    grains = tuple(g for g in r.grains if GRAIN_MINUTES.get(g.grain) not in minutes)
    measures = r.measures
    if r.asks(Op.MAX):
        measures = tuple(
            replace(m, kpi=Kpi.PEAK_DEMAND) if m.kpi is Kpi.AVERAGE_POWER else m for m in measures
        )
    return replace(r, grains=grains, measures=measures)


CHARGE_REACH = 5  # tokens between a demand charge and the peak it is charged on


def _charged_peak(r: Reading) -> Reading:
    """ "a demand charge of 11 EUR/kW on the month's peak": the peak is what the charge is
    billed on, so the question asks the cost, not the peak demand."""
    ends = [d.words.tokens[-1] for d in r.demand_charges if d.per_kw > 0 and d.words.tokens]
    if not ends:
        return r

    def charged(m: MeasureMention) -> bool:
        first = m.words.tokens[0] if m.words.tokens else -1
        return m.kpi is Kpi.PEAK_DEMAND and any(0 < first - end <= CHARGE_REACH for end in ends)

    if not any(charged(m) for m in r.measures):
        return r
    return replace(
        r, measures=tuple(replace(m, kpi=Kpi.COST) if charged(m) else m for m in r.measures)
    )


def _implied_measures(r: Reading) -> tuple[MeasureMention, ...]:
    """A price stated with nothing else asked ("with 0.15/kWh and 12 EUR/kW demand charge,
    what's press 2 in October?") asks what it cost; an emission factor alone, its carbon; a
    currency alone ("in euros?"), the cost."""
    if r.metric is not None or any(k is not Kpi.ENERGY for k in r.kpis):
        return ()
    priced = [p.words for p in r.prices] + [w.words for w in r.tou_windows]
    priced += [d.words for d in r.demand_charges if d.per_kw > 0]
    if priced:
        return (MeasureMention(_implied(priced[0]), Kpi.COST),)
    if r.emission_factors:
        return (MeasureMention(_implied(r.emission_factors[0].words), Kpi.CARBON),)
    # "what were the two months in euros?": money asked for, with nothing else measured (with
    # a rate, "in dollars? 1 USD = 5.40 BRL" converts the answer before, whatever it was)
    asked = [c.words for c in r.currencies if c.words.tokens]
    if asked and not r.kpis and not r.exchange_rates:
        return (MeasureMention(_implied(asked[0]), Kpi.COST),)
    # "Galpão 2 in July, real tariff, in euros at 0,16 EUR per real": a tariff named to price
    # with, and nothing else measured, asks the cost
    tariff = [c.words for c in r.cues if c.feature in ("site_tariff", "stated_tariff")]
    if tariff and not r.kpis:
        return (MeasureMention(_implied(tariff[0]), Kpi.COST),)
    return ()
