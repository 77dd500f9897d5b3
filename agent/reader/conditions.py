"""Numbers with a job in the question: thresholds with their comparison, unit, duration and
window ("above 500 kW for more than 30 minutes", "more than 3000 kWh in a day"), how many to
list ("top 3"), numbered objects ("rule 3", "incident 5"), the free-text note that comes with
acknowledging or resolving one, and a SQL statement written out."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from agent.reader.parameters import parse_number
from agent.reader.slots import Comparison, FreeText, Grain, Reference, Threshold, TopN
from agent.reader.text import Sheet

CMP_WORDS = {
    Comparison.AT_LEAST: r"at least|no less than|not less than|>=|=>|or more",
    Comparison.AT_MOST: r"at most|no more than|not more than|<=|=<|or less",
    Comparison.BELOW: (
        r"go(?:es)? below|go(?:es)? under|gets? below|drops? below|drops? under|falls? below|"
        r"falls? under|dips? below|less than|less then|lower than|fewer than|smaller than|"
        r"below|under|beneath|<|"
        r"abaixo de|menos de|menor que|cair abaixo de|ficar abaixo de"
    ),
    Comparison.ABOVE: (
        r"go(?:es)? above|go(?:es)? over|gets? above|gets? over|rises? above|climbs? above|"
        r"more than|more then|greater than|higher than|larger than|bigger than|above|over|"
        r"exceeds?|exceeding|exceeded|pass(?:es)?|tops?|reach(?:es)?|hits?|cross(?:es)?|"
        r"breaks?|>|"
        r"pass(?:ar|a|ou|aram|ando) de|ultrapass(?:ar|a|ou)|acima de|mais de|maior que|"
        r"super(?:ar|ou)|exceder"
    ),
}
PER_M3 = r"{energy} ?(?:/|per|por|pro) ?(?:n|s)?(?:m3|m³|m\^3|cubic met\w+|metros? c[úu]bicos?)"
UNITS = {
    r"kwh ?(?:/|per|por) ?(?:unit|part|piece|pc|item|box|boxe|caixa|unidade|pe[cç]a)s?": (
        "kWh/unit",
        1.0,
    ),
    r"kwh ?(?:/|per) ?(?:m2|m²|sqm)": ("kWh/m2", 1.0),
    # energy per volume delivered (of air, water or gas): a specific-energy threshold
    PER_M3.format(energy="kwh"): ("kWh/m3", 1.0),
    PER_M3.format(energy="mj"): ("kWh/m3", 1 / 3.6),
    r"mwh": ("kWh", 1000.0),
    r"kwh": ("kWh", 1.0),
    r"wh": ("kWh", 0.001),
    r"mw": ("kW", 1000.0),
    r"kw": ("kW", 1.0),
    r"w": ("kW", 0.001),
    r"°c|degc|degrees?(?: c(?:elsius)?)?|celsius|c": ("degC", 1.0),
    r"%|percent|per cent": ("%", 1.0),
    r"units?|parts?|pieces?|pcs": ("unit", 1.0),
    r"m3/h|m³/h": ("m3/h", 1.0),
    r"m3|m³": ("m3", 1.0),
    r"bar": ("bar", 1.0),
    r"kg(?: ?co2e?)?": ("kg", 1.0),
    r"t(?: ?co2e?)?|tonnes?": ("kg", 1000.0),
    r"€|eur|euros?": ("EUR", 1.0),
    r"\$|usd|dollars?": ("USD", 1.0),
}
UNIT = "(?P<u>" + "|".join(UNITS) + r")(?![\w/])"


TIME_WORDS = r"min(?:ute|uto)?s?|hours?|horas?|h|hrs?|seconds?|secs?|segundos?"


def duration(g: str) -> str:
    """ "for more than 30 minutes", "lasting 2 h"; groups named d<g> and du<g>."""
    return (
        r"(?:\s*,?\s*(?:for|lasting|sustained for|longer than|por|durante)\s+(?:more than |over |"
        rf"at least |longer than |mais de |pelo menos |a )?"
        rf"(?P<d{g}>\d+(?:[.,]\d+)?|an?|half an?)\s*(?P<du{g}>{TIME_WORDS})\b)"
    )


TIME_UNIT = rf"(?:{TIME_WORDS})\b"
LONE_DURATION = (
    r"\b(?:(?:lasts?|holds?|remains?|persists?)\s+)?(?:for|lasting|longer than|more than|"
    r"over|at least|por|durante|(?:trigger\w*|fir\w+|go(?:es|ing)? off|dispar\w+) after)\s+"
    r"(?:more than |over |at least |mais de |pelo menos |"
    rf"longer than |a )?(?P<d1>\d+(?:[.,]\d+)?|an?|half an?)\s*(?P<du1>{TIME_WORDS})\b"
)
# Words of a rule that fires on a level (an alert, an alarm, being notified, a rule created)
RULE_WORDS = re.compile(
    r"\b(?:alerts?|alarms?|alarmes?|alertas?|rules?|regras?|notify|notified|notification|"
    r"avis[ae]r?|trigger(?:s|ed|ing)?|dispar\w+|(?:create|set up|make) (?:it|that|this|one)|"
    r"cri[ae]r?)\b"
)
# "when it sits at 0 kW for 2 hours": a value it stays at, not a level it goes above
STATE_BEFORE = re.compile(
    r"\b(?:is|are|was|were|be|been|sits?|sat|sitting|stays?|stayed|staying|remains?|remained|"
    r"runs?|ran|running|idles?|idling|stuck|fica|ficar|ficou|est[aá]|parad[oa])\s+$"
)
WINDOWS = {"day": Grain.DAY, "hour": Grain.HOUR, "week": Grain.WEEK, "month": Grain.MONTH}
WINDOWS |= {"dia": Grain.DAY, "hora": Grain.HOUR, "semana": Grain.WEEK, "mes": Grain.MONTH}
WINDOWS |= {"mês": Grain.MONTH}
WINDOW = (
    r"(?:\s*,?\s*(?:in|per|within|during|over|each|a|por|numa|num|em|ao)\s+"
    r"(?:a |an |one |1 |the |single |uma |um )?"
    r"(?P<w>day|hour|week|month|24 ?h(?:ours)?|quarter hour|15 ?min(?:utes)?|dia|hora|semana|"
    r"m[eê]s)\b"
    r"|\s*(?P<w2>daily|hourly))"
)
# the kinds of numbered objects in the other languages read ("incidente 4", "Vorfall 4")
KIND_WORDS = {"incidente": "incident", "vorfall": "incident", "alerta": "alert", "regra": "rule"}
REFERENCE = (
    r"\b(?P<k>(?:alert |alarm )?rule|alert|alarm|incident|event|incidente|vorfall|alerta|regra)"
    r"s?\s*(?:#|no\.?|n[ºo]\.?|number|nr\.?|id)?"
    # "make the rule 12 kW": a number with a unit after it is a level, not the rule's number
    r"\s*(?P<n>\d+)\b(?![.,]\d|\s*(?:[kmg]?wh?|%|°|degc|kva|min|h|hrs?|hours?|minutes?)\b)"
    r"|(?<![\w#])#(?P<n2>\d+)\b"
    # "the #1 of those": a place in the list just shown, not a numbered rule or incident
    r"(?!\s+of\s+(?:those|these|them|the\s+list)\b)"
)
ACTION_VERBS = (
    r"\b(?:acknowledge|ack|resolve|close|mark|delete|remove|disable|enable|switch|turn|pause|"
    r"update|change|set|raise|lower)\b"
)
# "resolve it: ...", a change asked of the object just shown; "set it up" makes a new one
POINTED = ACTION_VERBS + r"\s+(?:it|that(?: one)?|this(?: one)?)\b(?!\s+up\b)"
# "before I set it ...": a verb after its subject tells what the user does, it asks for nothing
STATED_BY = re.compile(r"\b(?:i|we|you|they)\s+$")
NOTE_SEPARATOR = re.compile(r"\s*(?::|,|;|\s-\s|\s--\s|\bbecause\b|\bnote:?|\bsaying\b)\s*")
SQL = re.compile(
    r"\b(?:select\b.+\bfrom\b|with\s+(?:recursive\s+)?\w+\s*(?:\([^)]*\)\s*)?as\s*\(.+\bfrom\b"
    r"|(?:drop|alter|create)\s+(?:table|database|index|view)\b"
    r"|delete\s+from\s+\w|insert\s+into\s+\w|update\s+\w+\s+set\b|truncate\s+table\s+\w"
    r"|pragma\s+\w|attach\s+database\b|grant\s+\w).*",
    flags=re.IGNORECASE | re.DOTALL,
)


@dataclass
class Conditions:
    thresholds: list[Threshold] = field(default_factory=list)
    top: list[TopN] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    free: list[FreeText] = field(default_factory=list)


def _comparison(text: str) -> Comparison:
    return next(c for c, words in CMP_WORDS.items() if re.fullmatch(words, text))


# The words before a duration's number that make it a least, not enough: "for more than 30
# minutes" holds 45 (in 15-minute steps), "for 30 minutes" holds 30.
LONGER = re.compile(r"\b(?:more than|longer than|over|in excess of|mais de)\s*$")


def _longer(m: re.Match[str]) -> bool:
    g = "1" if m.group("d1") else "2"
    begin = m.start(f"d{g}")
    return bool(LONGER.search(m.string[max(m.start(), begin - 16) : begin]))


def _duration(m: re.Match[str]) -> float | None:
    g = "1" if m.group("d1") else "2"
    written = m.group(f"d{g}")
    if not written:
        return None
    amount = {"a": 1.0, "an": 1.0, "half a": 0.5, "half an": 0.5}.get(written)
    value = amount if amount is not None else parse_number(written)
    unit = m.group(f"du{g}")
    if unit.startswith(("h",)):
        return value * 60
    if unit.startswith("s"):
        return value / 60
    return value


def _window(m: re.Match[str]) -> Grain | None:
    written = m.group("w") or m.group("w2")
    if not written:
        return None
    if written in ("daily", "hourly"):
        return Grain.DAY if written == "daily" else Grain.HOUR
    if written.startswith("24"):
        return Grain.DAY
    if written.startswith(("quarter", "15")):
        return Grain.MIN15
    return WINDOWS[written]


def find_thresholds(sheet: Sheet, found: Conditions) -> None:
    """Comparisons with a number: the number after the comparison, never a meter's digit."""
    comparisons = "|".join(f"(?:{w})" for w in CMP_WORDS.values())
    number = r"(?P<v>-?\d+(?:[.,]\d+)*)"
    limit = r"(?:(?:the |a |an )?(?:limit|level|threshold|value|mark) (?:of )?)?"
    # "stays above for more than 30 minutes": a number of minutes is how long, not a level
    not_time = rf"(?![\d.,])(?!\s*{TIME_UNIT})"
    # "the site sat below 100 kW": a verb of staying before the comparison is part of it
    stayed = r"(?:(?:sat|sits|sitting|stayed|stays|staying|remained|remains|stood|ran|runs)\s+)?"
    pattern = (
        rf"(?<!\w){stayed}(?P<c>{comparisons})\s*{limit}{number}{not_time}\s*(?:{UNIT})?"
        rf"{duration('1')}?{WINDOW}?{duration('2')}?"
    )
    cap = rf"\b(?:limit|threshold|cap|ceiling) (?:of |at |=|: ?)?{number}\s*(?:{UNIT})?"
    for m in re.finditer(pattern, sheet.masked()):
        _add_threshold(sheet, found, m, _comparison(m.group("c")))
    for m in re.finditer(cap, sheet.masked()):
        _add_threshold(sheet, found, m, Comparison.ABOVE)
    # "an alert at 100 kW", "a demand alarm on the incomer at 800 kW": in a question about a
    # rule, a level written "at" a quantity is the one the rule fires above
    if RULE_WORDS.search(sheet.masked()):
        rule_at = (
            rf"(?<!\w)(?:at|set at|with|em|com) {number}\s*(?:{UNIT})(?:{duration('1')}"
            # "com 500 kW, 30 min": how long it must hold, said right after the level
            rf"|\s*,\s*(?P<d2>\d+(?:[.,]\d+)?)\s*(?P<du2>{TIME_WORDS})\b)?"
        )
        for m in re.finditer(rule_at, sheet.masked()):
            if not STATE_BEFORE.search(sheet.masked(), 0, m.start()):
                _add_threshold(sheet, found, m, Comparison.ABOVE, start=m.start("v"))
    _lone_duration(sheet, found)


def _lone_duration(sheet: Sheet, found: Conditions) -> None:
    """ "an alarm at 520 kW (... only when it stays above for more than 30 minutes)": a
    duration written apart from its level belongs to the one threshold without one."""
    bare = [i for i, t in enumerate(found.thresholds) if t.duration_min is None]
    if len(bare) != 1:
        return
    for m in re.finditer(LONE_DURATION, sheet.masked()):
        if sheet.free(sheet.covering(m.start(), m.end())):
            sheet.claim_span(m.start(), m.end())
            i = bare[0]
            found.thresholds[i] = replace(
                found.thresholds[i], duration_min=_duration(m), longer=_longer(m)
            )
            return


def held_for(text: str) -> tuple[float, bool, int, int] | None:
    """ "only if it stays above for an hour?": how long the level under discussion must hold,
    said without a level of its own (minutes, whether longer than that, where it is written);
    None when the text says no such thing."""
    m = re.search(LONE_DURATION, text)
    minutes = _duration(m) if m else None
    if m is None or minutes is None:
        return None
    return minutes, _longer(m), m.start(), m.end()


def _add_threshold(
    sheet: Sheet, found: Conditions, m: re.Match[str], cmp: Comparison, start: int | None = None
) -> None:
    start = m.start() if start is None else start
    if not sheet.free(sheet.covering(start, m.end())):
        return
    try:
        value = parse_number(m.group("v").lstrip("-")) * (-1 if m.group("v")[0] == "-" else 1)
    except ValueError:
        return
    unit = ""
    if m.group("u"):
        unit, scale = next(v for p, v in UNITS.items() if re.fullmatch(p, m.group("u")))
        value *= scale
    groups = m.groupdict()
    timed = bool(groups.get("d1") or groups.get("d2"))
    duration = _duration(m) if timed else None
    window = _window(m) if (groups.get("w") or groups.get("w2")) else None
    words = sheet.claim_span(start, m.end())
    longer = timed and _longer(m)
    found.thresholds.append(Threshold(cmp, value, unit, words, duration, window, longer))


def find_top(sheet: Sheet, found: Conditions, numbers: dict[str, int]) -> None:
    """ "top 3", "the three largest", "which five meters": how many to list."""
    num = r"(?P<n>\d+|" + "|".join(numbers) + r")"
    ranked = r"(?:largest|biggest|highest|top|main|heaviest|smallest|lowest|greatest|worst|best)"
    patterns = (
        r"\btop\s*" + num + r"\b",
        r"\b" + num + r"(?= " + ranked + r"\b)",
        r"\b(?<=which )" + num + r"(?= (?:meters|consumers|loads|users|machines)\b)",
    )
    text = sheet.masked()
    for pattern in patterns:
        for m in re.finditer(pattern, text):
            if not sheet.free(sheet.covering(m.start(), m.end())):
                continue
            n = m.group("n")
            count = int(n) if n.isdigit() else numbers[n]
            found.top.append(TopN(count, sheet.claim_span(m.start(), m.end())))


def find_references(sheet: Sheet, found: Conditions) -> None:
    """Numbered rules, alerts and incidents; then the note a write carries with it:
    "resolve incident 4: replaced the leaking coupling"."""
    text = sheet.masked()
    for m in re.finditer(REFERENCE, text):
        kind = KIND_WORDS.get(m.group("k") or "", m.group("k") or "").replace("alarm", "alert")
        kind = "rule" if kind.endswith("rule") else kind or _bare_kind(text)
        if not kind and re.search(r"\bthe\s*$", text[: m.start()]):
            continue  # "is the #1 on its own": a place in the list just shown, no number of one
        number = int(m.group("n") or m.group("n2"))
        found.references.append(Reference(kind, number, sheet.claim_span(m.start(), m.end())))
    verb = re.search(ACTION_VERBS, text)
    pointed = next(
        (m for m in re.finditer(POINTED, text) if not STATED_BY.search(text, 0, m.start())), None
    )
    if found.references and verb:
        _note(sheet, found, max(r.words.end for r in found.references))
    elif verb and re.search(r"\bnote:", text):
        # "acknowledge it. note: burner service booked": the note of the one shown before
        _note(sheet, found, sheet.question.lower().index("note:"))
    elif pointed:
        _note(sheet, found, pointed.end())  # "resolve it: cleaned the coils"


def _bare_kind(text: str) -> str:
    """What a bare "#6" numbers: an incident when the question speaks of incidents and not of
    rules, or acknowledges or resolves it (what only incidents are); else unknown."""
    rules = re.search(r"\b(?:rules?|alerts?|alarms?)\b", text)
    incidents = re.search(r"\b(?:incidents?|acknowledge|ack|resolve|reopen)\b", text)
    return "incident" if incidents and not rules else ""


def _note(sheet: Sheet, found: Conditions, after: int) -> None:
    question = sheet.question
    rest = question[after:]
    lead = re.match(r"\s+as (?:resolved|acknowledged|done|closed)\b", rest, re.IGNORECASE)
    offset = after + (lead.end() if lead else 0)
    sep = NOTE_SEPARATOR.search(question, offset)
    if sep is None or sep.end() >= len(question.rstrip()):
        return
    note = question[sep.end() :].strip().strip("\"'")
    note = re.sub(r"^(?:because|since|note:?|saying)\s+", "", note, flags=re.IGNORECASE)
    note = note.strip("\"'\u201c\u201d")  # 'note "tool change"': the quotes after the word
    # a separating word ("note:", "because") is part of the note's words, not left unused
    first = sep.start() if re.search(r"[a-z]", sep.group(0)) else sep.end()
    indices = tuple(t.index for t in sheet.tokens if t.start >= first)
    if note and indices and sheet.free(indices):
        found.free.append(FreeText("note", note, sheet.claim(indices)))


def find_sql(sheet: Sheet, found: Conditions) -> None:
    """A SQL statement written out is taken whole, names and numbers inside it included."""
    m = SQL.search(sheet.question)
    if m is None:
        return
    indices = tuple(t.index for t in sheet.tokens if t.start >= m.start())
    statement = m.group(0).strip().rstrip(";").strip()
    found.free.append(FreeText("sql", statement, sheet.claim(indices)))
