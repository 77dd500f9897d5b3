"""Being honest about what the agent cannot do: requests for exports, reports, explanations
beyond the tools, control actions, changing data, a quantity no series measures; saying what it
can do instead; and the lines that name the parts of a question that were not used."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta

from agent.offline import kinds
from agent.offline.plan import Plan, Question, ask, handles, refuse, say
from agent.reader import Intent, Op, Reading, Reason
from agent.reader.dates import bounds
from agent.reader.leftovers import Weight, weight
from agent.reader.lexicon import default_lexicon
from agent.reader.slots import (
    Action,
    Grain,
    Kpi,
    PeriodMention,
    Scope,
    Split,
    TimeSpan,
    Unused,
    Words,
)
from agent.reader.text import Kind
from agent.reader.vocabulary import ENERGY_CARRIERS
from agent.render.text import period_text
from common.errors import EMSError
from common.units import is_unit
from tools.compare import CompareResult

HELP = (
    "I answer questions about this site's meters: energy and demand, costs, carbon, KPIs such "
    "as SEC and load factor, comparisons, shares and rankings, hours of the day, baselines, "
    "anomalies, data gaps, forecasts and alert rules; and what the runbooks, the ISO 50001 "
    "notes and past incidents say. For example: \"What was the main meter's peak demand last "
    'week?", "How much did we use overnight 22:00-06:00 last week?" or "How do I check a '
    'stuck meter?"'
)
INSTEAD = {
    Reason.EXPORT: (
        "I can't attach files, put them in shared folders or drives (SharePoint, OneDrive, "
        "FTP), send e-mail or send messages (WhatsApp, SMS) myself. I can "
        "show the figures here, with a table beside the answer that downloads as CSV or Excel "
        "from the chat page or the API, e.g. '15-minute energy of the main meter yesterday' or "
        "'daily energy of every meter in October'."
    ),
    Reason.REPORT: (
        "I can't write documents, presentations or reviews. I can make the site's monthly "
        "energy report (PDF and HTML), e.g. 'make me the November report', and give the "
        "figures a document would use: totals, KPIs, comparisons with last year or a baseline, "
        "rankings and incidents."
    ),
    Reason.CONTROL: (
        "I can't switch equipment or change setpoints: I only read the meters. I can show what "
        "it used, or set an alert rule that tells you when it runs."
    ),
    Reason.EXPLANATION: (
        "I can't tell why from the meter data alone. I can show when and how much it was "
        "higher (anomalies, or a comparison with its baseline or another period) and what the "
        "runbooks name as likely causes."
    ),
    Reason.CHANGE_DATA: (
        "I can't delete or change stored meter data: the store is read-only to me, so that "
        "nothing recorded is ever lost. Corrected readings can be re-imported with "
        "`ems-agent import-csv`, which replaces the values it corrects."
    ),
    Reason.INSTRUCTIONS: (
        "I can't do that: my rules stay as they are, and I never show passwords, keys or other "
        "secrets. " + HELP
    ),
    Reason.OFF_TOPIC: "That is outside what I can help with. " + HELP,
    Reason.RATE_OF_CHANGE: (
        "I can't watch how fast a value changes (a rate of change, such as kW per minute): "
        "alert rules compare the value itself with a level, for a duration if you like. I can "
        "alert when it goes above a level instead, e.g. 'above 500 kW for 15 minutes'."
    ),
}
ORDER = (Reason.CHANGE_DATA, Reason.INSTRUCTIONS, Reason.EXPORT, Reason.REPORT, Reason.CONTROL,
         Reason.EXPLANATION, Reason.RATE_OF_CHANGE, Reason.NO_SERIES, Reason.OFF_TOPIC)  # fmt: skip


def measured(q: Question) -> str:
    metrics = sorted(q.site.vocab.metrics - {"energy"})
    extra = f", and {', '.join(m.replace('_', ' ') for m in metrics)}" if metrics else ""
    return f"energy (kWh), demand (kW) and the KPIs computed from them{extra}"


def _missing(r: Reading, q: Question | None = None) -> list[Words]:
    """The words of quantities no series measures: metrics without a series, and carriers
    the site has no meter of ("steam" where nothing meters steam), unless they are words of
    a named meter's own description ("the chilled water plant", "the steam generator")."""
    said = [u.words for u in r.unsupported if u.reason is Reason.NO_SERIES]
    if not any(c.meters for c in r.carriers):
        # "electricity and steam": the carrier metered is answered, the other said unused
        said += [c.words for c in r.carriers if c.words.text]
    return [w for w in said if not _bracketed(w, r) and (q is None or not _describes(w, r, q))]


BRACKETS = re.compile(r"\s*\(([^)]*)\)")


def _bracketed(words: Words, r: Reading) -> bool:
    """ "compressed air (GA 55 + GA 75)": the user defines the word at once by the meters in
    the brackets after it, so it names those meters, not a quantity nobody meters."""
    found = BRACKETS.match(r.question, words.end) if words.tokens else None
    if found is None:
        return False
    start, end = found.span(1)
    return any(start <= m.words.start < end for m in r.meters if m.words.tokens)


def only_unmeasured(r: Reading, q: Question | None = None) -> bool:
    """Everything asked is a quantity no series measures: energy appears only as a verb
    ("how much water did we use", "how much steam did we use last week"); not a word of a
    named meter's own description ("the chilled water plant, CAG"). A carrier the site does
    meter beside it ("electricity and steam") leaves something to answer."""
    missing = _missing(r, q)
    if not missing or _answered_apart(r, missing):
        return False
    if any(_per(r, w) for w in missing):
        return True  # "kWh per employee": a ratio whose divisor no series measures
    verbs = kinds.kinds().verb_words
    # "water in m3": a unit says how a missing carrier is counted; "flow in m3/h" asks the
    # volume series in that unit
    carrier = any(u.topic in ENERGY_CARRIERS for u in r.unsupported) or any(
        not c.meters for c in r.carriers
    )
    explicit = [
        m
        for m in r.measures
        if (m.kpi is not Kpi.ENERGY or m.metric != "energy" or m.words.text.lower() not in verbs)
        and not (carrier and m.kpi is None and is_unit(m.words.text))
        and not _said_after(r, m.words.start, missing)
        and not _of_missing(r, m.words, missing, spent=m.kpi is Kpi.COST)
    ]
    return not explicit


def _of_missing(r: Reading, measure: Words, missing: list[Words], *, spent: bool = False) -> bool:
    """ "steam usage", "NOx emissions", "consumption of steam": the measure word is the missing
    quantity's own (its usage, its emissions), not a figure of something metered asked
    beside it; the energy or CO2e of the meter named would answer another question. Money
    "spent on water" is the missing quantity's own cost."""
    if not measure.tokens:
        return False
    first, last = measure.tokens[0], measure.tokens[-1]
    links = OF | SPENT_ON if spent else OF
    for w in missing:
        if not w.tokens:
            continue
        if w.tokens[-1] + 1 == first:
            return True
        between = [t.norm for t in r.tokens[last + 1 : w.tokens[0]]]
        if between[:1] and between[0] in links and set(between) <= links | OF_THE:
            return True
    return False


def _said_after(r: Reading, at: int, missing: list[Words]) -> bool:
    """ "power factor of the cabine last week? the utility charges reactive": a word in a
    statement after the question mark (one with no question of its own) says why the missing
    quantity is asked, not a figure asked besides it."""
    mark = r.question.find("?")
    if mark < 0 or at < mark or "?" in r.question[mark + 1 :]:
        return False
    return all(w.tokens and w.end <= mark for w in missing)


CLAUSE = re.compile(r"[,;?!]|\.\s|\s(?:and|but|also|plus)\s", re.IGNORECASE)


def _clauses(r: Reading, missing: list[Words]) -> tuple[set[int], Callable[[Words], int]]:
    """The clauses that hold a missing word, and the clause of any words."""
    cuts = [m.end() for m in CLAUSE.finditer(r.question)]

    def clause(w: Words) -> int:
        return sum(1 for c in cuts if c <= w.start)

    return {clause(w) for w in missing}, clause


PER = frozenset({"per", "pro", "por", "je"})


def _per(r: Reading, words: Words) -> bool:
    """The words divide what is asked: "per employee", "pro Mitarbeiter"."""
    if not words.tokens:
        return False
    first = words.tokens[0]
    return r.tokens[first].norm in PER or (first > 0 and r.tokens[first - 1].norm in PER)


def _answered_apart(r: Reading, missing: list[Words]) -> bool:
    """ "What did the press use last week, and how many m³ of air did it take?": a clause of its
    own names a meter and what to measure of it, with no missing word in it; that part is
    answered, and the missing one said not used."""
    lacking, clause = _clauses(r, missing)
    named = {clause(m.words) for m in r.meters if not m.ambiguous and m.words.tokens}
    measured = {clause(m.words) for m in r.measures if m.words.tokens}
    return bool((named & measured) - lacking)


def answered_apart(r: Reading, q: Question) -> Reading:
    """The reading of the clauses that can be answered, when another clause asks for what no
    series measures: the meters named only there ("how many m³ of compressed air") are left
    out, and the answer says so, instead of being added to the figure asked apart."""
    missing = _missing(r, q)
    if not missing or not _answered_apart(r, missing):
        return r
    lacking, clause = _clauses(r, missing)
    dropped = [m for m in r.meters if m.words.tokens and clause(m.words) in lacking]
    if not dropped:
        return r
    said = [m.words.text for m in dropped]
    notes = [
        f"I did not use '{w}': it is named in the part of the question that asks for "
        f"{', '.join(repr(x.text) for x in missing)}, which no series here measures."
        for w in said
    ]
    kept = tuple(m for m in r.meters if m not in dropped)
    return replace(r, meters=kept, notes=(*r.notes, *notes))


def _describes(words: Words, r: Reading, q: Question) -> bool:
    """The word is a named meter's description as the question writes it ("the chilled water
    plant"): a word beside it in the question is beside it in the description. A word that
    only occurs in a description ("water of the chilled water plant") is asked for."""
    described = [_plain(e.description) for m in r.meter_names if (e := q.site.meter(m))]
    said, tokens = _plain(words.text), words.tokens
    aligned = bool(tokens) and tokens[-1] < len(r.tokens)
    if not aligned or not said.startswith(f" {r.tokens[tokens[0]].norm} "):
        # words of another turn (a question back answered): no neighbours to look at
        return any(said in d for d in described)
    first, last = tokens[0], tokens[-1]
    content = [t for t in r.tokens if t.is_content]
    before = [t.norm for t in content if t.index < first][-1:]
    after = [t.norm for t in content if t.index > last][:1]
    core = said.strip()
    phrases = [f" {w} {core} " for w in before] + [f" {core} {w} " for w in after]
    phrases += [said] if len(said.split()) > 1 else []  # "chilled water" is a phrase of it
    return any(p in d for p in phrases for d in described)


def _plain(text: str) -> str:
    """Lower-case words between single spaces, with a space at each end."""
    return " " + " ".join(re.findall(r"[^\W_]+", text.lower())) + " "


def metered(q: Question) -> str:
    """What the site meters, carrier by carrier, as its catalogue says: "electricity
    (Grid Feed and 8 more) and gas (Process Gas)"."""
    parts = []
    for carrier in sorted(ENERGY_CARRIERS & q.site.vocab.carriers):
        # the supplies first: "electricity (Grid Feed and 7 more)"
        names = tuple(dict.fromkeys([*q.site.tops(carrier), *q.site.vocab.of_carrier(carrier)]))
        more = f" and {len(names) - 1} more" if len(names) > 1 else ""
        parts.append(f"{carrier.replace('_', ' ')} ({names[0]}{more})")
    if not parts:
        return ""
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + f" and {parts[-1]}"
    return f" The meters here measure {listed}."


def not_measured(q: Question) -> Plan:
    missing = _missing(q.reading, q)
    names = ", ".join(dict.fromkeys(f"'{w.text}'" for w in missing))
    watch = q.reading.intent in WATCHING
    doing = "alert on" if watch else "give"
    instead = "I give no other figure in its place" if not watch else "no rule was stored"
    return refuse(
        f"I can't {doing} {names}: no meter at {q.site.name} measures it, so there is no series "
        f"of it to {'watch' if watch else 'compute from'}, and {instead}.{metered(q)} What I "
        f"can {'watch' if watch else 'give'} here: {measured(q)}."
    )


# Intents that ask for figures, or to watch them, of a quantity: one no series measures is
# refused whatever is asked of it, before any figure of a nearby quantity is given.
WATCHING = frozenset({Intent.ALERT_CREATE})
OF_A_QUANTITY = frozenset(
    {Intent.ALERT_CREATE, Intent.ALERT_LIST, Intent.FORECAST, Intent.BASELINE, Intent.ANOMALY}
)


def unmeasured_asked(q: Question) -> Plan | None:
    """ "alert when cos phi goes under 0.92", "the pressure in the air net right now": what is
    asked is a quantity no series measures, in a question that is not a plain one for numbers
    (those are refused in their own handler): refused, naming what the site does measure."""
    if q.reading.intent in OF_A_QUANTITY and only_unmeasured(q.reading, q):
        return not_measured(q)
    return None


def other_site(q: Question) -> Plan | None:
    """ "with our Manaus plant", "the Recife site": a name written as a name (capitalised) just
    before a word for a site, which is no word of this site's name and no meter here: another
    site, which the catalogue does not hold. No figure of it can be given, and this site's
    alone would answer another question."""
    r = q.reading
    if r.intent is not Intent.DATA:
        return None
    own = set(re.findall(r"[^\W_]+", q.site.name.casefold()))
    starts = {s.words.tokens[0] for s in r.scopes if s.scope is Scope.SITE and s.words.tokens}
    for u in r.unused:
        tokens = u.words.tokens
        if not tokens or tokens[-1] + 1 not in starts:
            continue
        words = [r.tokens[i].text for i in tokens]
        if not all(w[:1].isupper() for w in words) or {w.casefold() for w in words} & own:
            continue
        site = r.tokens[tokens[-1] + 1].text
        return refuse(
            f"I can't give that: I did not use '{u.text} {site}'. There is no site '{u.text}' in "
            f"the catalogue, so I have no data of it; I answer for {q.site.name}. I give no "
            f"figure of {q.site.name} alone in place of the comparison. Ask for "
            f"{q.site.name}'s figures on their own if they help."
        )
    return None


DATED = frozenset({Intent.DATA, Intent.BASELINE, Intent.COVERAGE, Intent.ANOMALY})
FORECAST_DAYS = 7  # the forecast tool's longest horizon


def _days(span: TimeSpan, now: datetime) -> tuple[date, date] | None:
    """A span's first and last local day; None for one the tools refuse to read at now
    ("today" at midnight has not begun)."""
    try:
        return bounds(span, now)
    except EMSError:
        return None


def _said(p: PeriodMention) -> str:
    return p.words.text or (p.span.label if p.span else "")


WEEKDAY_LABEL = re.compile(r"^(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)


def coming_weekday(span: TimeSpan, now: datetime) -> date | None:
    """ "will we exceed 900 kW on Friday?": a weekday read as the last one is, in a question
    about what is ahead, the coming one (within the week)."""
    days = _days(span, now)
    if days is None or days[0] != days[1] or days[0] >= now.date():
        return None
    if not WEEKDAY_LABEL.search(span.label) or days[0] + timedelta(days=7) < now.date():
        return None
    return days[0] + timedelta(days=7)


def not_yet(q: Question) -> Plan | None:
    """A period that begins after now ("on 01.11.2026" asked on 21 October): nothing of it is
    metered yet, so no figure of it can be right; refused with the time the data runs to. A
    forecast reaches only the next days: a period ending beyond them is refused the same way
    instead of a forecast of other days."""
    r = q.reading
    today = q.now.date()
    spans = [(p, p.span) for p in r.periods if p.span is not None]
    if r.intent in DATED:
        # a period the tools cannot read yet has not begun either
        later = [p for p, s in spans if (d := _days(s, q.now)) is None or d[0] > today]
        if not later:
            return None
        return refuse(
            f"I can't give figures for '{_said(later[0])}': that is in the future. The data "
            "runs to now, "
            f"{q.now:%a %d %b %Y %H:%M}, and nothing after it is metered, so I give no figure "
            "for it. I can give the same period to date where it has begun, or a forecast of "
            "the next 24 hours or 7 days."
        )
    if r.intent is Intent.FORECAST:
        horizon = today + timedelta(days=FORECAST_DAYS)
        # one the tools cannot read yet (today at midnight) is within it: a forecast starts now
        beyond = [p for p, s in spans if (d := _days(s, q.now)) is not None and d[1] > horizon]
        # "how much will it use in September" asked on 31 August: the month read is last
        # year's, over already; a forecast of the next days is no figure for either
        past = [
            p
            for p, s in spans
            if (d := _days(s, q.now)) is not None
            and d[1] < today
            # "on Friday" read as the last one: the forecast takes the coming one
            and coming_weekday(s, q.now) is None
        ]
        if past and not beyond:
            beyond = past
        if not beyond and any(m.kpi is Kpi.COST for m in r.measures):
            return refuse(
                "I can't forecast a cost or a bill: my forecast is of energy (kWh) and demand "
                "(kW) for the next 24 hours or 7 days, from the profile of the recent weeks. I "
                "can give that forecast, or the cost of a period that has been metered."
            )
        if not beyond:
            return None
        return refuse(
            f"I can't forecast '{_said(beyond[0])}': my forecast reaches only the next 24 hours "
            "or the next "
            f"7 days from now ({q.now:%a %d %b %Y %H:%M}), from the profile of the recent weeks, "
            "and a figure for other days would not be a forecast of the period you asked. I "
            "can forecast the next 24 hours or 7 days, or give the same period last year."
        )
    return None


def not_used(r: Reading, q: Question | None = None) -> list[str]:
    """Sentences naming what the answer did not use, and why."""
    lines = []
    site = f" at {q.site.name}" if q else ""
    for u in r.unsupported:
        if u.reason is Reason.NO_SERIES:
            lines.append(f"I did not use '{u.words.text}': no series{site} measures it.")
        else:
            lines.append(f"I did not do '{u.words.text}': {INSTEAD[u.reason].split(':')[0]}.")
    for c in r.carriers:
        # "and the steam per box" where no meter carries steam: the figures given are not it
        if not c.meters and c.words.text and not _bracketed(c.words, r):
            carrier = c.carrier.replace("_", " ")
            lines.append(f"I did not use '{c.words.text}': no meter{site} measures {carrier}.")
    for w in r.unused:
        if _counts_a_period(r, w):
            continue  # "the 12 months from Nov 2025 to Oct 2026": the period was used
        left_out = _negated(r, w)
        if left_out:
            lines.append(
                f"I did not act on '{left_out}': I could not tell which meter '{w.text}' is, "
                "so I left nothing out for it."
            )
        else:
            lines.append(f"I did not use '{w.text}' of your question: I could not place it.")
    return lines


# What one question back asks of a word left over that would change the figure. No digits: a
# number in a question back could be taken for an answer.
ASK_WEIGHED = {
    Weight.NEGATION: "what should it leave out? Name the meter, the days or the hours, e.g. "
    "'without the weekend'.",
    Weight.DATE: "which period should it be? E.g. 'last October', 'last Monday' or 'the "
    "first half of October'.",
    Weight.NUMBER: "what is it: a threshold, a price, a count, a date or part of a meter's "
    "name? Write it with its unit (kW, kWh, a currency per kWh, minutes) or its month.",
    Weight.MONEY: "what should it change: the currency of a cost, or a price? Write the "
    "currency and, for a price, its amount per kWh.",
    Weight.UNIT: "what is counted in it: which figure, or which threshold?",
    Weight.MEASURE: "which figure do you want? E.g. energy, peak demand, cost, carbon, or a "
    "series the meter measures.",
    Weight.METER: "which meter is it?",
}


def unread_figure(q: Question, decided: Plan) -> Plan | None:
    """A plan for figures whose question holds a word left over that would change them ("in
    October", "12", "reais", "not the dryer"): one question back naming the word instead of
    a number for a question only partly read."""
    r = decided.reading or q.reading
    if not decided.calls or r.intent is Intent.KNOWLEDGE or not r.unused:
        return None
    lexicon, consumed = default_lexicon(), r.consumed()
    for u in r.unused:
        kind = weight(u, r.tokens, lexicon, q.site.vocab, consumed)
        # a ranking or a split shows each meter or part by name: what it was asked to leave
        # out and did not can be seen in it, and the answer says so; a total would hide it
        listed = kind is Weight.NEGATION and (r.asks(Op.RANK) or bool(r.top or r.splits))
        if kind is None or listed or (kind is Weight.NUMBER and _counts_a_period(r, u)):
            continue
        said = _left_out(r, u) if kind is Weight.NEGATION else ""
        taken = _taken_out(r, u) if kind is Weight.NEGATION else None
        again = _ask_taken_out(*taken) if taken else _ask_weighed(kind, q)
        return ask(
            f"I did not give a figure: I could not use '{said or u.text}' of your question, "
            f"and it would change the answer. {again}"
        )
    return None


def unplaced_measure(q: Question, decided: Plan) -> Plan | None:
    """ "the cooler's COP", "the power factor of the press": a word the reader could not place,
    attached to a meter's name where what is asked of the meter stands, in a question that
    names no measure and no operation. The default measure would answer another question, so
    the answer says what it cannot give and gives no figure in its place."""
    r = decided.reading or q.reading
    if r.intent is not Intent.DATA or r.measures or r.operations or not decided.calls:
        return None
    lexicon, consumed = default_lexicon(), r.consumed()
    for u in r.unused:
        if not u.words.tokens or weight(u, r.tokens, lexicon, q.site.vocab, consumed):
            continue
        meter = _attached_meter(r, u)
        if meter:
            return refuse(
                f"I can't give {meter}'s '{u.text}': I could not place it, and no series of "
                "this site measures it, so I give no other figure in its place. I can give "
                "its energy, peak demand, cost, carbon or a KPI such as SEC or load factor."
            )
    return None


def _attached_meter(r: Reading, u: Unused) -> str:
    """The meter whose name the unused words belong to as what is asked of it: right after
    its possessive ("cooler's COP") or right before "of" and its name ("COP of the cooler")."""
    first, last = u.words.tokens[0], u.words.tokens[-1]
    if r.tokens[first].kind is not Kind.WORD:
        return ""
    for m in r.meters:
        if not m.words.tokens or m.ambiguous or len(m.meters) != 1:
            continue
        start, end = m.words.tokens[0], m.words.tokens[-1]
        owner = r.tokens[end].text.lower().endswith(("'s", "s'"))
        between = [t.norm for t in r.tokens[last + 1 : start]]
        if (owner and first == end + 1) or (between[:1] == ["of"] and set(between) <= OF_THE):
            return m.meters[0]
    return ""


# "of" as a question in English or Portuguese writes it ("consumo de energia reativa"), and
# the words that may stand between it and what it is of
OF = frozenset({"of", "de", "da", "do", "das", "dos"})
OF_THE = OF | frozenset({"the", "our", "its", "a", "o", "nosso", "nossa"})
# "spend on water", "gasto com água": what money went to
SPENT_ON = frozenset({"on", "for", "com", "em", "für"})


UNITS_OF_TIME = {"day": 1, "days": 1, "week": 7, "weeks": 7}
MONTH_WORDS = frozenset({"month", "months"})


def _counts_a_period(r: Reading, u: Unused) -> bool:
    """ "the 12 months from Nov 2025 to Oct 2026": a count of days, weeks or months that is
    the length of a period the question states restates it; it changes no figure."""
    last = u.words.tokens[-1]
    if len(u.words.tokens) != 1 or last + 1 >= len(r.tokens):
        return False
    try:
        count = int(r.tokens[last].norm)
    except ValueError:
        return False
    unit = r.tokens[last + 1].norm
    for p in r.periods:
        start, end = (p.span.start, p.span.end) if p.span is not None else (None, None)
        if start is None or end is None:
            continue
        days = (end - start).days + 1
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        if (unit in UNITS_OF_TIME and days == count * UNITS_OF_TIME[unit]) or (
            unit in MONTH_WORDS and start.day == 1 and months == count
        ):
            return True
    return False


def _left_out(r: Reading, u: Unused) -> str:
    """ "excluding the board" as written: the negation with what it leaves out, whether the
    leftover is what follows the negation or the negation word itself."""
    said = _negated(r, u)
    if said:
        return said
    later = (_negated(r, v) for v in r.unused if v.words.start > u.words.start)
    return next((n for n in later if n and n.lower().startswith(u.text.lower())), "")


def _taken_out(r: Reading, u: Unused) -> tuple[str, tuple[str, ...]] | None:
    """ "the incomer without the compressors": the negation word left over stands right before
    meters named that another meter named holds; that one and the meters (the question back
    names both instead of asking for a meter already named)."""
    if (
        len(u.words.tokens) != 1
        or r.tokens[u.words.tokens[0]].norm not in default_lexicon().negations
    ):
        return None
    at = u.words.tokens[0]
    after = [m for m in r.meters if m.words.tokens and m.words.tokens[0] > at]
    before = [m for m in r.meters if m.words.tokens and m.words.tokens[-1] < at]
    if not after or len(before) != 1 or len(before[0].meters) != 1:
        return None
    between = [t.norm for t in r.tokens[at + 1 : after[0].words.tokens[0]]]
    if any(w not in default_lexicon().negation_between for w in between):
        return None
    return before[0].meters[0], tuple(dict.fromkeys(n for m in after for n in m.meters))


def _ask_taken_out(holder: str, meters: tuple[str, ...]) -> str:
    names = " and ".join(meters) if len(meters) < 3 else ", ".join(meters)
    them = "them" if len(meters) > 1 else "it"
    return (
        f"Should I take {names} out of {holder}, that is {holder} minus {them}? Say 'minus' "
        f"for that, or ask for {holder} and {them} apart."
    )


def _ask_weighed(kind: Weight, q: Question) -> str:
    text = ASK_WEIGHED[kind]
    if kind is Weight.METER:
        names = ", ".join(m.name for m in q.site.vocab.meters[:8])
        text += f" The meters here include {names}."
    return text[0].upper() + text[1:]


def _negated(r: Reading, w: Unused) -> str:
    """ "not the board", as written, when the unused words were asked to be left out: the
    answer says it did not leave them out, not merely that it did not use them."""
    if not w.words.tokens:
        return ""
    first = w.words.tokens[0]
    named = {i for m in r.meters for i in m.words.tokens}
    words = [t.norm for t in r.tokens[:first]]
    i = default_lexicon().negation_before(words, named)
    return "" if i is None else r.question[r.tokens[i].start : w.words.end]


@handles(Intent.UNSUPPORTED)
def unsupported(q: Question) -> Plan:
    r = q.reading
    reasons = {u.reason for u in r.unsupported}
    reason = next((x for x in ORDER if x in reasons), None)
    if reason is None and _switches(r):
        reason = Reason.CONTROL  # "turn off pump 2": an alert rule's verb on a meter
    if reason is None:
        if r.unused:
            words = ", ".join(f"'{u.text}'" for u in r.unused)
            return refuse(f"I can't help with {words}. " + HELP)
        return refuse(INSTEAD[Reason.OFF_TOPIC])
    if reason is Reason.NO_SERIES:
        return not_measured(q)
    if reason is Reason.EXPORT and _names_nothing(q):
        # "send me the numbers" with nothing before it: which numbers is the first question
        return ask("Which figures do you mean? Name a meter and a period. " + INSTEAD[reason])
    return refuse(_echo(r, reason) + INSTEAD[reason] + _cause_unread(r, reason))


def _cause_unread(r: Reading, reason: Reason) -> str:
    """ "is it the new order mix?": the cause put forward is words no meter measures, named so
    the user sees it was not checked."""
    if reason is not Reason.EXPLANATION or not r.unused:
        return ""
    words = ", ".join(f"'{u.text}'" for u in r.unused)
    return f" I did not use {words}: no meter here measures it, so I cannot check it."


def _names_nothing(q: Question) -> bool:
    r = q.reading
    said = r.names_scope or r.periods or r.measures or r.all_meters
    return not said and not q.previous_answer and not q.previous_meters


# Reasons whose words are quoted back: the user sees which part of the request was refused.
# Instructions to the model and off-topic requests are not repeated.
ECHOED = frozenset(
    {Reason.EXPORT, Reason.REPORT, Reason.CONTROL, Reason.CHANGE_DATA, Reason.RATE_OF_CHANGE}
)
SWITCHING = frozenset({Action.ENABLE, Action.DISABLE})
TRAILING = frozenset({"the", "a", "an", "all", "my", "our", "this", "that", "it", "to", "of"})


def _switches(r: Reading) -> bool:
    return bool(r.meters) and not r.references and any(a.action in SWITCHING for a in r.actions)


# "switch pump 2 off": a verb whose particle follows its object is quoted with both
PARTICLE = re.compile(r"\w+(?:\s+[^\s,.;!?]+){1,3}?\s+(?:off|on|down)\b", re.IGNORECASE)


def _phrasal(r: Reading, words: Words) -> str:
    found = PARTICLE.match(r.question, words.start) if len(words.tokens) == 1 else None
    return found.group(0) if found else words.text


def _echo(r: Reading, reason: Reason) -> str:
    """ "You asked me to 'turn off'. ": the words that asked for what cannot be done."""
    if reason not in ECHOED:
        return ""
    said = [u.words.text for u in r.unsupported if u.reason is reason and u.words.text]
    if reason is Reason.CONTROL:
        said += [_phrasal(r, a.words) for a in r.actions if a.action in SWITCHING and a.words.text]
    if not said:
        return ""
    words = said[0].split()
    while len(words) > 1 and words[-1].lower() in TRAILING:
        words.pop()
    return f"I did not act on '{' '.join(words)}'. "


def nothing_to_compare(q: Question, compared: list[CompareResult]) -> str | None:
    """ "October vs October last year" with no data in the earlier period (before the history
    starts): whatever was asked of the comparison (a change, which is more, or the two side by
    side), it cannot be made, so it is refused with the period not used named and the day the
    history begins, and without a figure beside it that could be taken for the comparison's
    answer; the period there is may be asked for alone."""
    r = q.reading
    if not compared or any(c.reference_value is not None for x in compared for c in x.changes):
        return None
    first = compared[0]
    changes = [c for x in compared for c in x.changes]
    meters = ", ".join(dict.fromkeys(c.meter for c in changes))
    said = next((p.words.text for p in r.reference_periods if p.words.text), "")
    echo = f"I did not use '{said}': " if said else ""
    starts = sorted({c.history_from for c in changes if c.history_from})
    since = f": it begins on {' and '.join(starts)}" if starts else ""
    return (
        f"I can't make that comparison: {echo}there is no data for {meters} in "
        f"{period_text(first.reference, bare=True)}, the period to compare with (the history "
        f"does not reach back that far{since}), so there is nothing to compare "
        f"{period_text(first.period, bare=True)} with. Ask for that period alone, or compare it "
        "with one the history covers, e.g. the month before."
    )


WITHIN_DAY = frozenset({Grain.HOUR, Grain.MIN15})
PEAKS = frozenset({Kpi.PEAK_DEMAND, Kpi.LOAD_FACTOR})
HOURS_SPLITS = frozenset({Split.HOUR_OF_DAY, Split.TOU, Split.SHIFT})


def within_day(r: Reading) -> str:
    """The words that ask about hours within a day ("hour by hour", "night", "15-min peak"),
    or ""."""
    said = [w.words.text for w in r.hour_windows] + [w.words.text for w in r.demand_windows]
    said += [g.words.text for g in r.grains if g.grain in WITHIN_DAY]
    said += [s.words.text for s in r.splits if s.split in HOURS_SPLITS]
    steps = kinds.kinds().implied_grains  # "hour by hour": a profile's step in its words
    said += [
        o.words.text
        for o in r.operations
        if o.op is Op.PROFILE and any(steps.get(w) in WITHIN_DAY for w in o.words.text.split())
    ]
    said += [m.words.text for m in r.measures if m.kpi in PEAKS]
    # "last night", "28.08. 22:00 to 29.08. 06:00": a period that starts or ends within a day
    said += [p.words.text for p in r.periods if p.span and CLOCK_TIME.search(p.span.period)]
    return next((w for w in said if w), "")


CLOCK_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def finer_than_read(q: Question, meters: tuple[str, ...]) -> Plan | None:
    """Hours of the day asked of meters read only once a day (or by bills): refused before
    any figure, naming their interval and what can be given instead."""
    coarse = [m for m in meters if m in q.site.coarse]
    asked = within_day(q.reading)
    if not meters or len(coarse) < len(meters) or not asked:
        return None
    read = ", ".join(f"{m} ({q.site.coarse[m]} readings)" for m in coarse)
    return refuse(
        f"I can't give that: {read} is read once a day or less often, so what happens within a "
        f"day cannot be seen in its data. I did not use '{asked}'. What I can give for it: daily "
        "totals and the average per day, its busiest day, and energy, cost and carbon over a "
        "period."
    )


WRITERS = frozenset({"operator", "admin"})


def writes_allowed(plan: Plan, q: Question, role: str, writes: frozenset[str]) -> Plan:
    """A plan that would change stored state (an alert rule, an incident), refused before any
    call when the person may not write: the tool would refuse it anyway, and asking it to
    would look like an attempt."""
    if role in WRITERS or not any(c.name in writes for c in plan.calls):
        return plan
    said = [a.words.text for a in q.reading.actions if a.words.text]
    echo = f"I did not act on '{said[0]}'. " if said else ""
    return refuse(
        f"I can't do that: changing alert rules or incidents needs the operator role, and you "
        f"are signed in as a {role}, so nothing was changed. {echo}An operator can make the "
        "change; I can still show the figures, or back-test a rule ('how often would it have "
        "fired last month?'), which stores nothing."
    )


@handles(Intent.HELP)
def greeting(q: Question) -> Plan:
    return say(HELP, "help")


@handles(Intent.CONFIRM, Intent.DECLINE)
def nothing_pending(q: Question) -> Plan:
    return ask("Nothing is waiting for your confirmation. What would you like to know?")


@handles(Intent.UNCLEAR)
def unclear(q: Question) -> Plan:
    if q.reading.referents:
        return ask(
            "What should I look at? Name a meter or a period, e.g. 'the main meter last week'. "
            + HELP
        )
    return ask("What would you like to know? " + HELP)
