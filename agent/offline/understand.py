"""Reading a question: what is asked (the intent), of which meters, over which periods, with which
threshold. Follow-ups ("and last month?", "what about compressor-1?") inherit what they omit."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from rapidfuzz import fuzz, process

from agent.offline import incidents, knowledge
from agent.offline.meters import SITE_WORDS, Catalogue, find_meters, normal
from agent.offline.phrases import MONTHS, WEEKDAYS, Span, find_periods, shift

Cue = tuple[str, str]

# The monthly report asked for ("make me the November report", "the monthly report for
# 2026-10"), not an incident's report or a baseline's reporting period.
REPORT = (
    r"\bmonthly (?:energy )?reports?\b|\b(?:energy|month'?s?|\d{4}-\d{2}|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*(?: \d{4})?) reports?\b|"
    r"\b(?:make|generate|create|produce|prepare|send|give|get|write|need|want)\b.{0,30}"
    r"(?<!incident )\breport\b(?! (?:on|about) (?:the )?incidents?)"
)
# The first intent whose pattern matches wins, so the more specific ones come first.
INTENTS: list[Cue] = [
    (
        "sql",
        r"^\s*(?:sql\s*:|run sql|run this sql|run the query|execute)|\bselect\b.+\bfrom\b|"
        r"\bsql\b|\bquery the (?:db|database)\b|\b(?:in|from) the (?:db|database)\b",
    ),
    ("incident_action", incidents.ACTION),
    ("incident_show", incidents.SHOW),
    ("report", REPORT),
    (
        "alert_update",
        r"\b(?:delete|remove|disable|enable|turn (?:off|on)|switch (?:off|on)|pause|"
        r"change|raise|lower|set|update|increase|decrease)\b.{0,30}\brule\s*(?:#|no\.?|number)?\s*"
        r"\d+",
    ),
    (
        "alert_action",
        r"\b(?:acknowledge|ack|resolve|close)\b.{0,20}\balert\s*(?:#|no\.?|number)?\s*\d+",
    ),
    (
        "alert_create",
        r"\b(?:alert|notify|warn|tell|ping|page|inform|message) (?:me|us|the team|"
        r"[#@]\S+)\b|\blet (?:me|us) know\b|\b(?:set up|setup|create|add|make|configure) (?:an? |a"
        r" new )?"
        r"(?:alert|alarm|notification|rule)\b|\braise an? alert\b|"
        r"\b(?:send|post|push|give|trigger|fire)\b.{0,20}\b(?:alert|alarm|notification)s?\b|"
        r"\b(?:alert|alarm|notification)s?\b.{0,60}\b(?:when|if|whenever|once|as soon as)\b",
    ),
    (
        "alert_rules",
        r"\b(?:alert|alarm) rules?\b|\brules? (?:are|do we have|exist|set up|configured)|"
        r"\bwhat (?:alerts|alarms) (?:are|have been|do we have) (?:set|configured|defined)",
    ),
    (
        "alert_list",
        r"\b(?:open|active|current|recent|new|unacknowledged|triggered|fired|raised|any)"
        r" (?:alerts|alarms)\b|\b(?:alerts|alarms) (?:are )?(?:open|active|fired|raised|triggered)"
        r"\b|"
        r"\blist (?:the )?alerts\b|\bshow (?:me )?(?:the )?alerts\b|"
        r"\b(?:acknowledged|resolved|closed|unresolved) (?:alerts|alarms)\b|"
        r"\b(?:alerts|alarms) (?:have been|were|are|got) (?:\w+ )?(?:acknowledged|resolved|closed)",
    ),
    (
        "destroy",
        r"\b(?:delete|drop|erase|wipe|purge|truncate|remove|overwrite|modify|edit|change|"
        r"set(?! up)|reset|"
        r"zero out|update|alter|falsify|fake|correct)\b"
        r".{0,40}\b(?:data|readings?|history|database|tables?|meters?|values|records?|store)\b|"
        r"\b(?:readings?|data|values|history)\b.{0,40}\bto (?:zero|0|null|nothing)\b",
    ),
    ("incident_list", incidents.LIST),
    ("knowledge", knowledge.STRONG),
    (
        "forecast",
        r"\b(?:forecast|predict|prediction|projection|tomorrow|next (?:24|week|7|day|few)"
        r"|coming (?:day|week|24)|will (?:we|it|the \S+) (?:exceed|hit|pass|go over|reach|break|to"
        r"p|"
        r"stay)|going to (?:exceed|hit|pass)|expected (?:demand|load|consumption) (?:for )?(?:toda"
        r"y|"
        r"tomorrow|next))",
    ),
    (
        "baseline",
        r"\b(?:baseline|base line|deviation|deviate|cusum|m&v|m and v|measurement and "
        r"verification|savings|saved|enpi|weather[- ]normali[sz]ed|normali[sz]ed|expected "
        r"consumption|should (?:have )?(?:used|consumed)|regression model|ashrae)\b",
    ),
    (
        "anomaly",
        r"\b(?:anomal\w*|unusual\w*|abnormal\w*|odd|weird|strange|outliers?|spikes?|"
        r"leaks?|wrong|faults?|irregular\w*|out of the ordinary|suspicious|problems?|issues?|"
        r"off-pattern|unexpected\w*|short[- ]?cycl\w*|cycling|drift\w*|fouling|stuck|frozen|"
        r"flat[- ]?lin\w*|what happened|anything happen\w*|going on|act(?:ed|ing|s)? up|"
        r"play(?:ed|ing|s)? up|misbehav\w*|glitch\w*|not right)\b",
    ),
    (
        "coverage",
        r"\b(?:missing|gaps?|coverage|completeness|complete data|data quality|dropped out"
        r"|drop out|outages?|offline|stopped (?:reporting|sending)|reporting|any data|no data|"
        r"comms?|communication)\b",
    ),
    (
        "split",
        r"\b(?:weekends?|weekdays?|saturdays|sundays|per shift|by shift|each shift|shifts?|"
        r"off[- ]shift|"
        r"peak (?:vs|and|versus) off[- ]peak|off[- ]peak|on[- ]peak|tou|time[- ]of[- ]use|"
        r"(?:peak|high|low) tariff|tariff hours|peak hours|tariff "
        r"periods?|hourly profile|load profile|daily profile|typical day|hour of (?:the )?day|by h"
        r"our"
        r"|day of (?:the )?week|by weekday|which day of the week|nights?|overnight)\b",
    ),
    (
        "rank",
        r"\b(?:rank\w*|top \d+|top (?:three|five|ten|consumers?|users?)|largest|biggest|"
        r"highest consumers?|most energy|uses? the most|used the most|consum\w* the most|"
        r"which (?:\w+ )?(?:sub-?)?(?:meters?|equipment|machines?|loads?|consumers?|areas?|"
        r"systems?|users?)|breakdown|(?:least|smallest|lowest) (?:consumer|user)s?|"
        r"by meter|per meter|each meter|every meter|share of)\b",
    ),
    (
        "compare",
        r"\b(?:compare\w*|comparison|vs\.?|versus|against|than|change[ds]?|difference|"
        r"increase[ds]?|decrease[ds]?|went up|went down|go up|go down|higher|lower|more|less|"
        r"year over year|year-on-year|yoy|month over month|week over week|trend(?:ing)? up)\b",
    ),
]

KPIS: list[Cue] = [
    (
        "load_factor",
        r"\bload factor\b|\b(?:average|mean|avg) (?:power|load|demand|kw)\b|"
        r"\b(?:power|load|kw)\b.{0,40}\bon average\b",
    ),
    (
        "sec",
        r"\b(?:sec|specific energy|kwh (?:per|/) ?(?:unit|part|piece|pc|item|produced)|"
        r"kwh/(?:unit|part|piece|pc)|energy per (?:unit|part|piece|item)|per unit produced|"
        r"energy intensity per)\b",
    ),
    ("intensity", r"\b(?:intensity|per m2|per m²|per square met\w*|per sqm|kwh/m2|kwh/m²|eui)\b"),
    (
        "base_load",
        r"\b(?:base ?load|base-load|night load|idle load|standby|off-hours? "
        r"(?:load|consumption)|floor load)\b",
    ),
    ("carbon", r"\b(?:t|kg)?(?:co2e?|carbon|emissions?|footprint|ghg|greenhouse)\b"),
    (
        "cost",
        r"\b(?:cost\w*|spend|spent|bill|money|euros?|eur|dollars?|usd|price|expensive|charges?|"
        r"invoice|pay|paid|€|\$)",
    ),
    (
        "peak_demand",
        r"\b(?:peak|max(?:imum)? (?:demand|load|power|kw)|highest (?:demand|load|power"
        r"|kw)|demand peak|kw peak|maximum demand|peak power|top demand|demand)\b",
    ),
]

METRICS: list[Cue] = [
    (
        "outdoor_temperature",
        r"\b(?:temperature|temp|degrees|weather|outdoor|outside|°c|degc|hot|"
        r"cold|warm)\b",
    ),
    (
        "production",
        r"\b(?:production|produced|parts|pieces|units|output|throughput|how many "
        r"(?:parts|units|pieces))\b",
    ),
]

FOLLOW_UP = re.compile(
    r"^\s*(?:and|what about|how about|same for|and for|also|then|ok(?:ay)?,? (?:and|what about)|"
    r"now|compare (?:that|this|it)|what of|and what about|and how about|for)\b|^\s*\S+(?:\s+\S+)?"
    r"\s*\??\s*$"
)
AFFIRM = re.compile(
    r"^\s*(?:yes|y|yep|yeah|sure|ok|okay|confirm(?:ed)?|go ahead|do it|please do|approved?|"
    r"correct|that's right|create it|proceed|ja)\b"
)
DECLINE = re.compile(
    r"^\s*(?:no|n|nope|cancel|stop|don't|do not|abort|never ?mind|forget it)\b|"
    r"\b(?:no|cancel|abort|don't|do not|never ?mind|forget (?:it|that)|scrap that|not now)\b"
)


@dataclass(frozen=True)
class Threshold:
    condition: str
    value: float
    unit: str


@dataclass(frozen=True)
class Frame:
    """What a question asks, after inheriting what a follow-up leaves out."""

    intent: str | None = None
    meters: tuple[str, ...] = ()
    ambiguous: tuple[str, ...] = ()
    ambiguous_word: str = ""
    site_wide: bool = False
    kpi: str | None = None
    kpis: tuple[str, ...] = ()  # every KPI asked for: "total energy and peak demand"
    metric: str = "energy"
    periods: tuple[Span, ...] = ()
    statistic: str = "auto"
    grain: str = "total"
    split_by: str | None = None
    threshold: Threshold | None = None
    window: str | None = None
    number: int | None = None  # a rule or alert id, a top-N
    kind: str | None = None  # meter kind filter for rankings
    ascending: bool = False  # "which meter used the least"
    text: str = ""
    extras: dict[str, str] = field(default_factory=dict)


def _first(cues: list[Cue], text: str) -> str | None:
    return next((name for name, pattern in cues if re.search(pattern, text)), None)


def read(question: str, cat: Catalogue, now: datetime) -> Frame:
    """The frame of one question on its own."""
    text = spell_dates(abbreviations(" ".join(question.lower().replace("\u2019", "'").split())))
    match = find_meters(question, cat)
    intent = _intent(text)
    kpis = _kpis(text)
    kpi = kpis[0] if kpis else None
    if kpi == "base_load" and intent in (None, "split", "query"):
        intent = "kpi"  # "standby load at nights and weekends" is the base-load KPI
    periods = tuple(find_periods(text, now))
    has_period = any(not p.relative for p in periods)
    asks_number = bool(kpis) or _asks_quantity(text)
    intent = _status(intent, text, bool(has_period or match.meters or match.ambiguous))
    if intent == "knowledge" and knowledge.only_history(text) and has_period and asks_number:
        # "how much had compressor-2 used before 1 October?" asks for a number, not a story
        intent = _intent(text, skip="knowledge")
    if intent not in KEEP_INTENT and knowledge.is_general(
        text,
        names_meter=bool(match.meters or match.ambiguous),
        asks_number=asks_number,
        has_period=has_period,
        kpi=kpi,
    ):
        intent = "knowledge"  # "how do I check a stuck meter?", "what is an EnPI?"
    if intent == "knowledge":
        return _knowledge_frame(text, match.meters, periods)
    if intent == "rank" and match.meters and kpi:
        intent = "kpi"  # "the cost breakdown of the chiller" is about the chiller
    elif kpi not in (None, "energy") and not match.meters and RANK_WORDS.search(text):
        intent = "rank_kpi"  # "which meter was the most expensive", "highest peak by meter"
    metric = _first(METRICS, normal(question)) or "energy"
    if metric == "production" and kpi == "sec":
        metric = "energy"
    if intent is None and kpi is not None:
        intent = "kpi"
    change = _from_to_change(text, now)
    if change is not None and intent in (None, "query", "compare", "kpi"):
        intent, periods = "compare", change
    if intent == "compare" and not _is_comparison(text, len(periods)):
        intent = "kpi" if kpi else None
    if intent is None and _asks_quantity(text):
        intent = "query"
    frame = Frame(
        intent=intent,
        meters=match.meters,
        ambiguous=match.ambiguous,
        ambiguous_word=match.word,
        site_wide=bool(SITE_WORDS.search(text)),
        kpi=kpi,
        kpis=kpis,
        metric=metric,
        periods=periods,
        statistic=_statistic(text),
        grain=_grain(text),
        split_by=_split_by(text),
        threshold=_threshold(text),
        window=_window(text),
        number=_number(text),
        kind=_kind(text),
        ascending=bool(re.search(r"\b(?:least|smallest|lowest|fewest|quietest|minimum)\b", text)),
        text=text,
    )
    return frame


def _status(intent: str | None, text: str, specific: bool) -> str | None:
    """ "what's going on at the plant?" (no meter, no period) asks what is open right now."""
    if intent in (None, "anomaly") and not specific and incidents.STATUS.search(text):
        return "incident_list"
    return intent


# Intents the how-to and definition cues never override (a knowledge one is decided already).
KEEP_INTENT = (
    "sql",
    "report",
    "alert_update",
    "alert_action",
    "alert_create",
    "destroy",
    "knowledge",
    "incident_action",
    "incident_show",
    "incident_list",
)


def _knowledge_frame(text: str, meters: tuple[str, ...], periods: tuple[Span, ...]) -> Frame:
    """A question for the knowledge library or the incident history: what to search, where."""
    return Frame(
        intent="knowledge",
        meters=meters,
        periods=periods,
        text=text,
        extras={"collection": knowledge.collection(text)},
    )


RANK_WORDS = re.compile(
    r"\b(?:which (?:meter|machine|equipment|load|consumer|system|area|one)s?|by meter|per meter|"
    r"each meter|every meter|rank\w*|most expensive|top \d+)\b"
)
EXPLICIT_ALERT = re.compile(r"\b(?:alert\w*|alarm\w*|notif\w*|rule)\b")


DATE_WORDS = [w for w in (*MONTHS, *WEEKDAYS) if len(w) >= 5]


ABBREVIATIONS = {
    "wk": "week",
    "wks": "weeks",
    "mth": "month",
    "mths": "months",
    "mo": "month",
    "yr": "year",
    "yrs": "years",
    "prev": "previous",
    "avg": "average",
    "yest": "yesterday",
    "lf": "load factor",
    "consump": "consumption",
    "cons": "consumption",
}


def abbreviations(text: str) -> str:
    """Shop-floor shorthand written out: "prev wk" is the previous week."""
    pattern = r"\b(" + "|".join(ABBREVIATIONS) + r")\b(?![-/])"
    return re.sub(pattern, lambda m: ABBREVIATIONS[m.group(1)], text)


def spell_dates(text: str) -> str:
    """Month and weekday names corrected when misspelt ("septmber", "wendesday")."""
    words = text.split(" ")
    for i, word in enumerate(words):
        core = word.strip("?,.!;:")
        if len(core) < 5 or not core.isalpha() or core.rstrip("s") in (*MONTHS, *WEEKDAYS):
            continue  # a correct name, or a plural ("Sundays") that means every such day
        best = process.extractOne(core, DATE_WORDS, scorer=fuzz.ratio, score_cutoff=84)
        if best is not None:
            words[i] = word.replace(core, best[0])
    return " ".join(words)


def _intent(text: str, skip: str = "") -> str | None:
    """The first intent whose cue matches (other than `skip`); an alert needs a threshold or
    the word itself ("tell me if there's a leak" is a question, not a rule)."""
    for name, pattern in INTENTS:
        if name == skip or not re.search(pattern, text):
            continue
        if name == "alert_create" and not (re.search(r"\d", text) or EXPLICIT_ALERT.search(text)):
            continue
        if name.startswith("incident") and knowledge.HISTORY.search(text):
            continue  # "did we have an incident like this before?" searches the history
        if name == "incident_list" and knowledge.DOCUMENTS.search(text):
            continue  # "what does the runbook say about incidents?"
        return name
    return None


def _kpis(text: str) -> tuple[str, ...]:
    found = [name for name, pattern in KPIS if re.search(pattern, text)]
    text = text.replace("specific energy consumption", "sec")
    if found and re.search(
        r"\b(?:total energy|energy use|consumption|kwh used|energy used)\b", text
    ):
        found.append("energy")
    return tuple(found)


CHANGE_WORDS = re.compile(
    r"\b(?:change[ds]?|increase[ds]?|decrease[ds]?|differ\w*|go(?:ne)? (?:up|down)|"
    r"went (?:up|down)|"
    r"rise|rose|risen|fall|fell|fallen|drop(?:ped)?|grow|grew|shrink|shrank|evolve[ds]?|trend)\b"
)


def _from_to_change(text: str, now: datetime) -> tuple[Span, Span] | None:
    """ "did it change from September to October": October against September."""
    m = re.search(r"\bfrom (.+?) (?:to|until|till|vs\.?|versus) (.+?)(?:[?.!]|$)", text)
    if m is None or not CHANGE_WORDS.search(text):
        return None
    # "in " lets bare short month names ("jan") count as months here
    first, second = find_periods("in " + m.group(1), now), find_periods("in " + m.group(2), now)
    if len(first) != 1 or len(second) != 1 or first[0].relative or second[0].relative:
        return None
    return second[0], first[0]


def _is_comparison(text: str, n_periods: int) -> bool:
    """ "more than last week" compares; "more than 500 kW" is a threshold, not a comparison."""
    if re.search(r"\b(?:compare\w*|comparison|vs\.?|versus|year over year|yoy|difference)\b", text):
        return True
    if re.search(
        r"\b(?:than|against|change[ds]?|increase[ds]?|decrease[ds]?|went up|went down|"
        r"higher|lower|more|less)\b",
        text,
    ):
        return n_periods >= 2 or bool(
            re.search(
                r"\b(?:than|vs|against|compared to) (?:the |a )?(?:last|previous|prior|same|"
                r"week before|month before|year before|\d{4}|jan|feb|mar|apr|may|jun|jul|aug"
                r"|sep|oct|nov|dec)",
                text,
            )
            or re.search(r"\b(?:week|month|year) (?:over|on) (?:week|month|year)\b", text)
        )
    return False


def _asks_quantity(text: str) -> bool:
    return bool(
        re.search(
            r"\b(?:how much|how many|figure|number|consum\w*|use[ds]?|using|usage|energy|kwh|"
            r"mwh|total|"
            r"draw|drew|average|mean|minimum|maximum|lowest|highest|temperature|production|"
            r"produced|show|plot|chart|graph|trend|daily|hourly|weekly|monthly|profile|what was|"
            r"temp|"
            r"coldest|warmest|hottest|"
            r"what's|whats|how did|load|power|kw)\b",
            text,
        )
    )


STEP_WORDS = re.compile(
    r"\b(?:a|per|each|every|which|what|the highest|the lowest|the busiest|the quietest) "
    r"(?:day|hour|week|month)\b|\b(?:daily|hourly|weekly|monthly)\b|"
    r"\b(?:highest|lowest|busiest|quietest|biggest|smallest|worst|best) (?:day|hour|week|month)\b"
)


def _statistic(text: str) -> str:
    if STEP_WORDS.search(text) and re.search(
        r"\b(?:average|avg|mean|typical|on average|highest|lowest|most|least|max\w*|min\w*|"
        r"busiest|quietest|biggest|smallest|peak)\b",
        text,
    ):
        return "auto"  # a statistic of daily (hourly ...) totals: the series, summarised
    if re.search(
        r"\b(?:average|avg|mean|typical) (?:daily|hourly|weekly|monthly)\b|"
        r"\b(?:daily|hourly|weekly|monthly) average\b|\baverage per (?:day|hour)\b",
        text,
    ):
        return "auto"  # an average of daily totals: the series, summarised in the answer
    if re.search(r"\b(?:average|avg|mean|typical)\b", text):
        return "avg"
    if re.search(r"\b(?:minimum|min|lowest|coldest)\b", text):
        return "min"
    if re.search(r"\b(?:maximum|max|highest|hottest|warmest)\b", text):
        return "max"
    return "auto"


def _grain(text: str) -> str:
    for grain, pattern in (
        ("15min", r"\b(?:15[- ]?min\w*|quarter[- ]hour\w*|per quarter hour)\b"),
        ("hour", r"\b(?:hourly|per hour|by hour|each hour|hour by hour)\b"),
        ("day", r"\b(?:daily|per day|by day|each day|day by day|day-by-day|every day)\b"),
        ("week", r"\b(?:weekly|per week|by week|each week|week by week)\b"),
        ("month", r"\b(?:monthly|per month|by month|each month|month by month)\b"),
    ):
        if re.search(pattern, text):
            return grain
    step = re.search(
        r"\b(?:a|per|each|every|which|what|highest|lowest|busiest|quietest|biggest|"
        r"smallest|worst|best) (day|hour|week|month)\b",
        text,
    )
    if step:
        return {"day": "day", "hour": "hour", "week": "week", "month": "month"}[step.group(1)]
    if re.search(r"\b(?:trend|over time|time series|chart|plot|graph)\b", text):
        return "day"
    return "total"


def _split_by(text: str) -> str | None:
    for by, pattern in (
        ("shift", r"\bshifts?\b|\boff[- ]shift\b"),
        (
            "tou",
            r"\b(?:off[- ]peak|on[- ]peak|tou|time[- ]of[- ]use|tariff periods?|peak hours|"
            r"(?:peak|high|low) tariff|tariff hours)\b",
        ),
        (
            "hour_of_day",
            r"\b(?:hourly profile|load profile|daily profile|typical day|hour of (?:the "
            r")?day|by hour|profile|nights?|overnight)\b",
        ),
        (
            "day_of_week",
            r"\b(?:day of (?:the )?week|by weekday|which day|per weekday|each weekday)\b",
        ),
        ("weekday_weekend", r"\bweekends?\b|\bweekdays?\b"),
    ):
        if re.search(pattern, text):
            return by
    return None


UNIT_WORDS = [
    ("kWh/unit", r"kwh ?(?:/|per) ?(?:unit|part|piece|pc|item)s?"),
    ("kWh", r"kwh"),
    ("kW", r"kw"),
    ("MWh", r"mwh"),
    ("MW", r"mw"),
    ("degC", r"°c|degc|degrees?(?: c(?:elsius)?)?|c\b"),
    ("unit", r"units?|parts?|pieces?"),
    ("%", r"%|percent"),
]
CONDITIONS = [
    (">=", r"at least|>=|or more|no less than"),
    ("<=", r"at most|<=|or less|no more than"),
    ("<", r"below|under|less than|lower than|drops?|falls?|<|goes below|beneath"),
    (
        ">",
        r"above|over|exceeds?|exceeding|passes|pass|goes above|more than|greater than|higher "
        r"than|tops?|>|rises?|reaches|hits?|crosses|breaks?",
    ),
]


def _threshold(text: str) -> Threshold | None:
    """The first number with a unit ("0.42 kWh/unit", "1,200 kW"), else the first bare number,
    and the comparison written just before it."""
    clean = _without_dates(text)
    units = "|".join(p for _, p in UNIT_WORDS)
    number = r"(-?\d+(?:[.,]\d+)*)"
    m = re.search(rf"{number}\s*({units})\b", clean) or re.search(rf"{number}", clean)
    if m is None:
        return None
    unit_text = m.group(2) if m.lastindex and m.lastindex >= 2 else ""
    unit = next((u for u, p in UNIT_WORDS if re.fullmatch(p, unit_text or "")), "")
    raw = m.group(1)
    # "1,200" is a thousands separator; "0,42" a decimal comma
    raw = raw.replace(",", "") if re.fullmatch(r"-?\d{1,3}(?:,\d{3})+", raw) else raw
    value = float(raw.replace(",", "."))
    if unit in ("MWh", "MW"):
        unit, value = ("kWh" if unit == "MWh" else "kW"), value * 1000
    before = clean[max(0, m.start() - 40) : m.start()]
    best: tuple[int, str] | None = None
    for condition, pattern in CONDITIONS:
        for hit in re.finditer(rf"(?:{pattern})", before):
            if best is None or hit.end() > best[0]:
                best = (hit.end(), condition)
    return Threshold(best[1] if best else ">", value, unit)


def _without_dates(text: str) -> str:
    text = re.sub(r"\b\d{4}-\d\d(?:-\d\d)?\b", " ", text)
    text = re.sub(r"\b(?:line|compressor|rule|alert|chiller|week|q)[\s-]*\d+\b", " ", text)
    text = re.sub(r"\b(?:last|past|next) \d+ \w+", " ", text)
    return text


def _window(text: str) -> str | None:
    if re.search(
        r"\b(?:per day|a day|daily|each day|in (?:a|one) day|one day|a single day|"
        r"per 24 ?h|in 24 hours)\b",
        text,
    ):
        return "day"
    if re.search(r"\b(?:per hour|an hour|hourly|in (?:an|one) hour|one hour|each hour)\b", text):
        return "hour"
    if re.search(r"\b(?:15[- ]?min\w*|quarter[- ]hour\w*)\b", text):
        return "15min"
    return None


NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10}


def _number(text: str) -> int | None:
    """A rule or alert id ("rule 3"), or how many to list ("top 5", "which three meters")."""
    m = re.search(r"\b(?:rule|alert|id|incident)\s*(?:#|no\.?|number|nr\.?)?\s*(\d+)\b", text)
    if m:
        return int(m.group(1))
    count = r"(\d+|" + "|".join(NUMBER_WORDS) + r")"
    m = re.search(rf"\btop {count}\b", text) or re.search(
        rf"\b{count} (?:largest|biggest|highest|top|main|meters|consumers|loads|users)\b", text
    )
    if m is None:
        return None
    word = m.group(1)
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def _kind(text: str) -> str | None:
    if re.search(r"\bgas\b", text):
        return "gas"
    if re.search(r"\b(?:electric\w*|power)\b", text):
        return "electricity"
    return None


def is_follow_up(frame: Frame) -> bool:
    """A question that leans on the previous one: it names no intent of its own, or starts
    like a follow-up ("and last month?", "what about compressor-1?")."""
    if frame.intent is None or FOLLOW_UP.search(frame.text):
        return True
    # "how did it do compared with September?": a pronoun stands for what was just discussed
    return not frame.meters and bool(PRONOUN.search(frame.text))


PRONOUN = re.compile(
    r"\b(?:it|its|that one|this one|them|they|those|these|that meter|same meter)\b"
)


def _pick(text: str, options: tuple[str, ...]) -> tuple[str, ...]:
    """The answer to "which one?": both, the first, the second ..."""
    if re.search(r"\b(?:both|all|each|every|them all|all of them|either)\b", text):
        return options
    ordinals = ["first|1st|one|1", "second|2nd|two|2", "third|3rd|three|3"]
    for i, words in enumerate(ordinals[: len(options)]):
        if re.search(rf"\b(?:{words})\b", text):
            return (options[i],)
    return ()


def merge(previous: Frame, current: Frame, now: datetime) -> Frame:
    """The follow-up `current` with what it leaves out taken from `previous`."""
    intent = current.intent
    if intent in (None, "query") and previous.intent not in (None, "clarify"):
        intent = previous.intent if current.intent is None or previous.intent != "query" else intent
        if current.intent == "query" and previous.intent in ("kpi", "compare", "split", "rank"):
            intent = previous.intent
    periods = current.periods
    plain_now = [p for p in periods if not p.relative]
    anchor_before = next((p for p in previous.periods if not p.relative), None)
    if intent == "compare" and len(plain_now) == 1 and anchor_before is not None:
        # "compare that with September": the earlier period against the new one
        periods = (anchor_before, plain_now[0])
    elif not periods:
        periods = previous.periods
    elif all(p.relative for p in periods) and previous.periods:
        anchor = next((p for p in previous.periods if not p.relative), None)
        if anchor is not None and intent == "compare":
            periods = (anchor, *periods)
        elif anchor is not None:
            periods = (shift(anchor, periods[0].relative or "period before", now),)
    meters = current.meters or (() if current.ambiguous else previous.meters)
    if previous.ambiguous and not current.meters:
        meters = _pick(current.text, previous.ambiguous)
    if intent == "knowledge" and current.intent is None:
        # "and for the boiler?" after a runbook question: the same kind of search, on the topic
        # the follow-up names, with the earlier question as context
        extras = previous.extras | {"context": previous.text}
        return replace(current, intent=intent, extras=extras)
    return replace(
        current,
        intent=intent,
        meters=meters,
        site_wide=current.site_wide or (not current.meters and previous.site_wide),
        kpi=current.kpi or previous.kpi,
        kpis=current.kpis or previous.kpis,
        metric=current.metric if current.metric != "energy" else previous.metric,
        periods=periods,
        statistic=current.statistic if current.statistic != "auto" else previous.statistic,
        grain=current.grain if current.grain != "total" else previous.grain,
        split_by=current.split_by or previous.split_by,
        threshold=current.threshold or previous.threshold,
        kind=current.kind or previous.kind,
    )
