"""Numbers an answer presents as its answer, read with their units, and which of them are wrong.

Definitions (the scorer's wrong-number count, issue #13):

- An answer's *prose* is its text without Markdown table rows (lines starting with '|') and
  fenced code; its *lead* is the first sentence of the prose (up to a '.', '!' or '?' followed
  by a space, or the first line break).
- A number is read with the unit written right after it, or a currency written right before
  it, and sorted into a dimension: energy (Wh, kWh, MWh, GWh; kWh/day), power (kW, MW),
  percent, money (EUR, USD, GBP, CHF, ... their signs, and cents), mass (kg, t, tonnes), SEC
  (kWh per unit, part or piece), intensity (kWh/m2), temperature (degC), hours, or a bare
  count. A price (money per kWh, kW, m3 or unit: '0.18 €/kWh', '€0.18/kWh', '18 ct per kWh')
  is none of these; it is read in its currency, so '18 ct/kWh' and '0.18 EUR/kWh' are the same
  number. Dates (ISO dates, '12/10/2026', '27/10', '10/27', '26.10.-1.11.2026', '1 Nov', 'Nov
  1', ordinals, bare years), clock times, week and quarter labels ('week 44', 'KW43', 'Q3'),
  ids ('#5'), numbers glued to letters and numbers inside the plant's meter names ('Compressor
  GA 55', 'Linha 3') are no numbers. Scaled units convert ('1.2 MWh' is 1,200 kWh; '90.8 t' is
  90,800 kg).
- A case's *presented numbers*, for each dimension of its numeric truths: every number of that
  dimension in the lead, and the first number of that dimension anywhere in the prose.
- A presented number is *excused* when the question itself states it (a parameter echoed, a
  count such as 'top 3'), or when it is one of the truth's reference values (what the truth is
  computed from or set against: both totals of a change, the parts of a share or a cost, the
  total of a daily question, the ranked totals; `evals.references`).
- A presented number may also be *derived* from two of the case's truths: the difference or
  the sum of two truths of its dimension (two meters' totals and how far apart they are), or a
  percent of one truth against another of the same dimension (a share, a change). Where a
  case's truths of one dimension are three or more amounts of one additive function (three
  months' kWh), their sum over all of them is derived too (the quarter the months make up);
  a sum of some of them is not.
- A presented number that is not excused and lies within tolerance of none of the case's truths
  of its dimension (the truth and its `also` truths) nor of the figures derived from them, nor
  is one of them rounded to the digits it shows, is a *wrong number*.
- A number's *direction* is its sign ('-13.8 %', '+5 %'), else the nearest direction word of
  its clause ('down', 'less', 'fell', 'saved' ...; 'up', 'more', 'rose' ...). A presented number
  of the size of a signed truth (a change, a difference) said to go the other way is a wrong
  number, whatever else excuses its size; a comparison of two meters put the other way round
  ('line-b used 5 % less than line-a') is read as the truth's first minus second.
- A case that asks what cannot be answered (a refusal or a question back expected) must present
  no computed figure: every number of a measured dimension (energy, power, percent, money,
  mass, SEC, intensity, temperature) in its prose that the question does not state is a wrong
  number, except inside quotes (an example of what to type: 'above 500 kW').
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

ENERGY, POWER, PERCENT, MONEY, MASS = "energy", "power", "percent", "money", "mass"
SEC, INTENSITY, TEMPERATURE, HOURS, COUNT, RATIO = (
    "sec",
    "intensity",
    "temperature",
    "hours",
    "count",
    "ratio",
)
OTHER = "other"  # a unit that is none of the above (a price per kWh, a factor, kWh per hour)
MEASURED = frozenset({ENERGY, POWER, PERCENT, MONEY, MASS, SEC, INTENSITY, TEMPERATURE})

# Dimension of each truth function's value (functions returning names are not checked; `sql`
# returns a value of unknown unit; `stat` and `average` depend on the metric).
TRUTH_DIMENSIONS = {
    **dict.fromkeys(
        (
            "energy",
            "daily_average",
            "max_day",
            "min_day",
            "window_energy",
            "weekend_energy",
            "shift_energy",
            "tou_energy",
            "difference",
            "meters_difference",
            "top_meter_value",
            "incident_extra_kwh",
            "unmetered_energy",
            "baseline_expected",
            "baseline_deviation",
            "baseline_uncertainty",
        ),
        ENERGY,
    ),
    **dict.fromkeys(
        ("peak_demand", "window_peak", "average_power", "window_average_kw", "base_load"), POWER
    ),
    **dict.fromkeys(
        (
            "pct_change",
            "share",
            "weekend_share",
            "shift_share",
            "tou_share",
            "top_share",
            "meters_pct",
            "window_share",
            "coverage_percent",
            "unmetered_share",
        ),
        PERCENT,
    ),
    **dict.fromkeys(("cost", "tariff_cost", "incident_cost"), MONEY),
    **dict.fromkeys(("carbon", "incident_co2"), MASS),
    "sec": SEC,
    "intensity": INTENSITY,
    "load_factor": RATIO,
    "missing_intervals": COUNT,
    "episodes_above": COUNT,
    "backtest_alerts": COUNT,
    "hours_above": HOURS,
}
METRIC_DIMENSIONS = {"energy": ENERGY, "outdoor_temperature": TEMPERATURE, "production": COUNT}

CURRENCIES = ("EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "CAD", "AUD", "JPY")
_SIGNS = {"€": "EUR", "$": "USD", "£": "GBP"}
_MONTH = (
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|januar[y]?|february|march|april|"
    r"june|july|august|september|october|november|december|märz|mai|juni|juli|okt|oktober|dez|"
    r"dezember)\.?"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DD, _MM = r"(?:[12]\d|3[01]|0?[1-9])", r"(?:1[0-2]|0?[1-9])"
_DATES = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\b\d{1,2}:\d{2}(?::\d{2})?\b"
    r"|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b"
    rf"|\b(?:{_DD}/{_MM}|{_MM}/{_DD})\b(?![./]\d)"  # a day without its year: '27/10', '10/27'
    rf"|\b{_DD}\.{_MM}\.(?=\s*[-\u2013]\s*\d{{1,2}}\.\d{{1,2}}\.\d{{2,4}})"  # '26.10.-1.11.2026'
    rf"|\b{_DAY}(?:\s*(?:-|\u2013|to|and)\s*(?:the\s+)?{_DAY})?\s+(?:of\s+)?{_MONTH}(?!\w)"
    rf"|\b{_MONTH}\s+{_DAY}(?:\s*(?:-|\u2013)\s*{_DAY})?\b"
    r"|\b(?:mon|tue|wed|thu|fri|sat|sun)\w*\.?\s+\d{1,2}\b"
    r"|\b(?:week|kw|cw|w)\s?\d{1,2}\b"
    r"|\b\d{1,2}(?:st|nd|rd|th)\b"
    r"|\b\d+(?:\.\d+)?[-\u2011](?=[A-Za-z])",  # a compound word: '15-minute', '24-hour'
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"(?P<pre>€|\$|£|\b(?:EUR|USD|GBP|CHF|SEK|NOK|DKK|PLN|CZK|CAD|AUD|JPY)\s?)?"
    r"(?<![\w.#/\-\u2212])(?P<sign>[-\u2212]?)"
    r"(?P<digits>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<gap>\s?)(?P<unit>%|°\s?C|[€$£](?:/[A-Za-z]\w*)?|/[A-Za-z]\w*|per\s+\w+"
    r"|[A-Za-z²³][\w²³/]*(?:\s+CO2e?(?:/\w+)?)?(?:\s+per\s+(?:square\s+)?\w+)?)?"
)
# A price: an amount of money per kWh, kW, m3 or unit ('0.18 €/kWh', '€0.18/kWh', '18 ct per
# kWh'); `cur` is its currency as written after the number (none: written before it).
_PRICE = re.compile(
    r"(?P<cur>[€$£]|[a-z]+)?\s?(?:/|per\s+)(?:kwh|mwh|wh|kw|m3|m³|units?|parts?|pcs)\b.*"
)
_CENTS = frozenset({"ct", "cent", "cents"})
# unit (lower case, as written) -> (dimension, scale into the dimension's base unit)
_UNITS: dict[str, tuple[str, float]] = {
    "wh": (ENERGY, 1e-3),
    "kwh": (ENERGY, 1.0),
    "mwh": (ENERGY, 1e3),
    "gwh": (ENERGY, 1e6),
    "kwh/day": (ENERGY, 1.0),
    "kwh/d": (ENERGY, 1.0),
    "kwh per day": (ENERGY, 1.0),
    "kw": (POWER, 1.0),
    "mw": (POWER, 1e3),
    "%": (PERCENT, 1.0),
    "percent": (PERCENT, 1.0),
    "per cent": (PERCENT, 1.0),
    "kg": (MASS, 1.0),
    "t": (MASS, 1e3),
    "tco2e": (MASS, 1e3),
    "tco2": (MASS, 1e3),
    "tonne": (MASS, 1e3),
    "tonnes": (MASS, 1e3),
    "ton": (MASS, 1e3),
    "tons": (MASS, 1e3),
    "°c": (TEMPERATURE, 1.0),
    "° c": (TEMPERATURE, 1.0),
    "degc": (TEMPERATURE, 1.0),
    "h": (HOURS, 1.0),
    "hours": (HOURS, 1.0),
    "hour": (HOURS, 1.0),
    **{f"kwh/{u}": (SEC, 1.0) for u in ("unit", "part", "piece", "pc", "pcs", "units")},
    **{f"kwh per {u}": (SEC, 1.0) for u in ("unit", "part", "piece", "pc", "produced")},
    **{f"kwh/{u}": (INTENSITY, 1.0) for u in ("m²", "m2", "sqm")},
    **{f"kwh per {u}": (INTENSITY, 1.0) for u in ("m²", "m2", "sqm", "square metre")},
    **{code.lower(): (MONEY, 1.0) for code in CURRENCIES},
    **dict.fromkeys(_SIGNS, (MONEY, 1.0)),
    **dict.fromkeys(_CENTS, (MONEY, 0.01)),
}


# Words that give a change its direction ('down 5 %', '5 % less than', 'a drop of 5 %').
_DOWN = (
    r"down|lower|less|fewer|decrease[sd]?|decreasing|declined?|declines|declining|drops?|"
    r"dropped|dropping|fell|falls?|fallen|falling|below|sav(?:e|ed|es|ing|ings)|reduc\w*|cut|"
    r"under|shr[ai]nk\w*|smaller|minus|weniger|niedriger|gesunken|gefallen|r\u00fcckgang"
)
_UP = (
    r"up|higher|more|increase[sd]?|increasing|rises?|risen|rising|rose|above|grew|grow(?:s|n|th)?|"
    r"gain(?:ed|s)?|jump(?:ed|s)?|climb(?:ed|s)?|extra|larger|greater|bigger|exceed\w*|plus|"
    r"additional|mehr|h\u00f6her|gestiegen|anstieg"
)
_DIRECTION_WORD = re.compile(rf"\b(?:(?P<down>{_DOWN})|(?P<up>{_UP}))\b", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[.!?;](?=\s)|\n|\|")
_REACH = 80  # characters around a number in which a direction word speaks of it


@dataclass(frozen=True)
class Direction:
    """Which way a number is said to go (-1 down, +1 up, 0 not said) and the words of its
    clause before and after it (where a reversed comparison names what it is set against)."""

    sign: int = 0
    before: str = ""
    after: str = ""


NO_DIRECTION = Direction()


def direction(text: str, start: int, end: int) -> Direction:
    """The direction `text` gives the number at [start, end): its own sign ('-5.2 %', '+3 %'),
    else the nearest direction word of its clause within a few words ('down 5 %', '5 % less',
    'a drop of 5 %', 'fell by 5 %')."""
    ends = [m.end() for m in _CLAUSE_END.finditer(text, 0, start)]
    first = max([0, start - _REACH, *ends])
    following = _CLAUSE_END.search(text, end)
    last = min(end + _REACH, following.start() if following else len(text))
    before, after = text[first:start], text[end:last]
    mark = text[start - 1] if start > 0 else ""
    if mark and mark in "-\u2212+":
        return Direction(1 if mark == "+" else -1, before, after)
    words = [(len(before) - m.end(), m) for m in _DIRECTION_WORD.finditer(before)]
    words += [(m.start(), m) for m in _DIRECTION_WORD.finditer(after)]
    if not words:
        return Direction(0, before, after)
    nearest = min(words, key=lambda pair: pair[0])[1]
    return Direction(-1 if nearest["down"] else 1, before, after)


# Truths whose sign is part of the answer (a change, a difference), and of those the one whose
# size stays when the comparison is turned round: two meters' difference (first minus second).
# A percent does not ('line-b used 14.8 % less' is 'line-a used 17.4 % more').
SIGNED = frozenset(
    {"pct_change", "difference", "meters_difference", "meters_pct", "baseline_deviation"}
)
# Truths that add up over meters and periods: amounts, not levels, shares or extremes.
ADDITIVE = frozenset(
    {
        "energy",
        "window_energy",
        "weekend_energy",
        "shift_energy",
        "tou_energy",
        "cost",
        "tariff_cost",
        "carbon",
    }
)
PAIRED = frozenset({"meters_difference"})


@dataclass(frozen=True)
class Signed:
    """A signed truth: its dimension, its value and, for two meters set against each other,
    their names (the value is the first's minus the second's)."""

    dimension: str
    value: float
    names: tuple[str, ...] = ()


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[-_]", " ", text.casefold()).split())


def _named(text: str, name: str) -> bool:
    return _normal(name) in _normal(text)


def _at(text: str, name: str) -> int:
    return _normal(text).find(_normal(name))


def said_sign(said: Direction, names: Sequence[str] = ()) -> int:
    """The direction of a number read as the truth's first minus second: a clause that puts
    the second meter first ('line-b used 5 % less', '5 % less than line-a') flips it."""
    if len(names) != 2 or not said.sign:
        return said.sign
    first, second = names
    after = (_named(said.after, first), _named(said.after, second))
    if after[0] != after[1]:
        return -said.sign if after[0] else said.sign
    if all(after):
        # "7,914 kWh more in August than in September": the one named first is the subject
        return -said.sign if _at(said.after, second) < _at(said.after, first) else said.sign
    if _named(said.before, second) and not _named(said.before, first):
        return -said.sign
    return said.sign


def opposite(said: Direction, truth: Signed) -> bool:
    """Whether a number is said to go the other way than a nonzero signed truth."""
    sign = (truth.value > 0) - (truth.value < 0)
    return sign != 0 and said_sign(said, truth.names) == -sign


@dataclass(frozen=True)
class Quantity:
    """A number as written in an answer, in its dimension's base unit, with half its last
    written digit (its rounding), and the direction the answer gives it."""

    text: str
    value: float
    half_step: float
    dimension: str
    direction: Direction = field(default=NO_DIRECTION, compare=False)


def _dimension(unit: str) -> tuple[str, float] | None:
    """The dimension of a unit written after a number; None: the number is no number (glued
    letters such as '5th')."""
    key = " ".join(unit.lower().split())
    if key in _UNITS:
        return _UNITS[key]
    head = key.split()[0] if key else ""
    if " per " in key:
        return OTHER, 1.0
    if head in _UNITS:
        return _UNITS[head]
    return (COUNT, 1.0) if key and key[0].isalpha() else None


def _price(unit: str, pre: bool) -> tuple[str, float] | None:
    """A price's dimension (OTHER) and the scale into its currency (cents converted), so that
    '18 ct/kWh' and '€0.18/kWh' are the same number; None: the unit is no price."""
    match = _PRICE.fullmatch(" ".join(unit.lower().split()))
    if match is None:
        return None
    currency = match["cur"]
    if currency is None:
        return (OTHER, 1.0) if pre else None
    if currency in _CENTS or _UNITS.get(currency, ("", 0.0))[0] == MONEY:
        return OTHER, _UNITS[currency][1]
    return None


def _read(unit: str, pre: bool, glued: bool) -> tuple[str, float] | None:
    """The dimension and scale of a number written with `unit` after it (and a currency
    before it when `pre`); None: no number."""
    price = _price(unit, pre) if unit else None
    if price is not None:
        return price
    if pre:
        return MONEY, 1.0
    if not unit:
        return COUNT, 1.0
    if unit.startswith("/"):
        return OTHER, 1.0  # a rate without its currency ('0.18/kWh')
    dimension = _dimension(unit)
    if dimension is None or (glued and dimension[0] == COUNT and unit[0].isalpha()):
        return None
    if "/" in unit and dimension[0] not in (SEC, INTENSITY, ENERGY):
        return OTHER, 1.0
    return dimension


def quantities(text: str) -> list[Quantity]:
    """Every number of `text` with its dimension, dates, clock times and labels left out."""
    found: list[Quantity] = []
    blanked = _DATES.sub(lambda m: " " * len(m.group(0)), text)
    for match in _NUMBER.finditer(blanked):
        digits, unit, pre = match["digits"], (match["unit"] or "").strip(), match["pre"]
        dimension = _read(unit, bool(pre), bool(unit) and not match["gap"])
        if dimension is None:
            continue
        value = float(digits.replace(",", ""))
        if dimension[0] == COUNT and "." not in digits and 1900 <= value <= 2100:
            continue  # a year ('2026 to', 'in 2026')
        half = 0.5 * 10.0 ** -len(digits.partition(".")[2])
        scale = dimension[1]
        said = direction(blanked, match.start("digits"), match.end())
        found.append(
            Quantity(match.group(0).strip(), value * scale, half * scale, dimension[0], said)
        )
    return found


_FENCE = re.compile(r"```.*?```", re.DOTALL)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n")


def prose(answer: str) -> str:
    """The answer without Markdown table rows and fenced code."""
    text = _FENCE.sub("\n", answer)
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("|"))


def lead(answer: str) -> str:
    """The answer's first sentence of prose."""
    body = prose(answer).strip()
    return _SENTENCE_END.split(body, maxsplit=1)[0] if body else ""


# Words a counted answer may follow its number with ("32 missing", "8 quarter-hours"); a number
# before any other word ("1 meters checked", "2948 of") counts something else.
COUNT_WORDS = frozenset(
    {
        "interval",
        "intervals",
        "reading",
        "readings",
        "quarter-hour",
        "quarter-hours",
        "slot",
        "slots",
        "value",
        "values",
        "record",
        "records",
        "row",
        "rows",
        "missing",
        "episode",
        "episodes",
        "time",
        "times",
        "occasion",
        "occasions",
        "unit",
        "units",
        "part",
        "parts",
        "piece",
        "pieces",
        "pcs",
        "box",
        "boxes",
        "alert",
        "alerts",
    }
)


def _counted(q: Quantity) -> bool:
    """A bare count, or one followed by a word that says what a counted answer counts."""
    word = q.text.split()[-1].lower().strip("*") if " " in q.text else ""
    glued = q.text.lstrip("-\u2212").replace(",", "").replace(".", "").isdigit()
    return glued or word in COUNT_WORDS


def _in_dimension(q: Quantity, dimension: str) -> Quantity | None:
    """The quantity read in a truth's dimension (a ratio may be written as a percent or bare;
    a count of produced units may carry its unit word), or None when it is of another."""
    if q.dimension == dimension:
        return q if dimension != COUNT or _counted(q) else None
    if dimension == RATIO and q.dimension == PERCENT:
        return Quantity(q.text, q.value / 100, q.half_step / 100, RATIO)
    if dimension == RATIO and q.dimension == COUNT and _counted(q):
        return Quantity(q.text, q.value, q.half_step, RATIO)
    return None


def presented(answer: str, dimensions: Iterable[str]) -> list[Quantity]:
    """The numbers the answer presents as its answer in each of `dimensions` (see above)."""
    everything, first = quantities(prose(answer)), quantities(lead(answer))
    out: list[Quantity] = []
    for dimension in dict.fromkeys(dimensions):
        in_lead = [q for q in (_in_dimension(x, dimension) for x in first) if q]
        anywhere = [q for q in (_in_dimension(x, dimension) for x in everything) if q]
        picked = in_lead + [q for q in anywhere[:1] if q not in in_lead]
        out.extend(picked)
    return out


def close(found: Quantity, truth: float, tolerance: float) -> bool:
    """Magnitudes agree within `tolerance` (relative), or the written number is the truth
    rounded to the digits it shows ('-0.2%' for -0.246 %: imprecise, not wrong). Signs are read
    as words say them ('down 5 %')."""
    error = abs(abs(found.value) - abs(truth))
    if error <= tolerance * abs(truth) or (truth == 0 and error <= tolerance):
        return True
    return error <= found.half_step


def _stated(found: Quantity, question: Sequence[Quantity]) -> bool:
    return any(
        abs(abs(found.value) - abs(q.value)) <= max(found.half_step, q.half_step) for q in question
    )


Lineage = tuple[str, ...]  # a meter's line from the top of its tree down to it; () the site


def overlapping(a: Collection[Lineage], b: Collection[Lineage]) -> bool:
    """Whether two truths' meters (given as their lineages) count some energy twice: a meter
    of one lies under a meter of the other (a parent and its sub-meter, the site and any
    meter). The same meter twice (its months, its parts) is no overlap."""
    return any(x != y and (x == y[: len(x)] or y == x[: len(y)]) for x in a for y in b)


def _apart(lines: Sequence[Collection[Lineage]], picked: Sequence[int]) -> bool:
    """No two of the picked truths overlap (no lineages given: none known to)."""
    if not lines:
        return True
    return not any(overlapping(lines[i], lines[j]) for i in picked for j in picked if i < j)


def derived(
    truths: Sequence[tuple[str, float]],
    dimension: str,
    lines: Sequence[Collection[Lineage]] = (),
) -> list[float]:
    """Figures of `dimension` an answer may rightly compute from two of the case's truths: the
    difference of two truths of that dimension and their sum, unless they overlap (`lines`, the
    meters of each truth as lineages: a parent's amount and its sub-meter's add up to nothing),
    and as a percent one truth of another dimension against a second of the same (its share
    of it, its change from it)."""
    out = []
    for i, (dim_a, a) in enumerate(truths):
        for j, (dim_b, b) in enumerate(truths[i + 1 :], start=i + 1):
            if dim_a != dim_b:
                continue
            if dim_a == dimension:
                out += [a - b, a + b] if _apart(lines, (i, j)) else [a - b]
            if dimension == PERCENT and dim_a != PERCENT:
                out += [100 * x / y for x, y in ((a, b), (b, a)) if y]
                out += [100 * (x - y) / y for x, y in ((a, b), (b, a)) if y]
    return out


def whole_sums(
    truths: Sequence[tuple[str, str, float]], lines: Sequence[Collection[Lineage]] = ()
) -> list[tuple[str, float]]:
    """For each dimension whose truths are three or more values of one additive truth
    function (`ADDITIVE`; given as (function, dimension, value)) that do not overlap (`lines`,
    each truth's meters as lineages: no meter and its ancestor both in the sum), their sum over
    all of them: the total of the months, meters or parts the case lists one by one. Two are
    already summed by `derived`; a sum of some of them is no figure of the case."""
    out = []
    for dimension in dict.fromkeys(d for _, d, _ in truths):
        picked = [i for i, (_, d, _) in enumerate(truths) if d == dimension]
        fns = {truths[i][0] for i in picked}
        if len(picked) >= 3 and len(fns) == 1 and fns <= ADDITIVE and _apart(lines, picked):
            out.append((dimension, sum(truths[i][2] for i in picked)))
    return out


def unnamed(text: str, names: Iterable[str]) -> str:
    """`text` with every one of `names` (the plant's meter names: 'Compressor GA 55', 'Linha
    3') blanked out, so that a number inside a name is read as no number."""
    for name in sorted({n for n in names if any(c.isdigit() for c in n)}, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", text, flags=re.IGNORECASE)
    return text


def wrong_numbers(
    answer: str,
    question: str,
    truths: Sequence[tuple[str, float]],
    references: Sequence[float],
    tolerance: float,
    names: Sequence[str] = (),
    signed: Sequence[Signed] = (),
    wholes: Sequence[tuple[str, float]] = (),
    lines: Sequence[Collection[Lineage]] = (),
) -> list[str]:
    """The presented numbers of an answer that are wrong: `truths` are the case's numeric
    truths with their dimensions, `references` the values that excuse a number, `names` the
    plant's meter names (no number inside them counts), `signed` the truths whose direction
    counts: a number of their size said to go the other way is wrong whatever else it is;
    `wholes` the sums of all of a case's additive truths of a dimension (`whole_sums`), `lines`
    each truth's meters as lineages (no sum of two that overlap, `derived`)."""
    asked = quantities(unnamed(question, names))
    wrong = []
    for found in presented(unnamed(answer, names), [dimension for dimension, _ in truths]):
        if any(
            s.dimension == found.dimension
            and close(found, s.value, tolerance)
            and opposite(found.direction, s)
            for s in signed
        ):
            wrong.append(found.text)
            continue
        mine = [value for dimension, value in truths if dimension == found.dimension]
        mine += derived(truths, found.dimension, lines)
        mine += [value for dimension, value in wholes if dimension == found.dimension]
        if any(close(found, value, tolerance) for value in mine):
            continue
        if _stated(found, asked) or any(close(found, r, tolerance) for r in references):
            continue
        wrong.append(found.text)
    return wrong


_QUOTED = re.compile(
    r"(?<!\w)'[^'\n]+'(?!\w)|\"[^\"\n]+\"|\u201c[^\u201d\n]+\u201d|\u2018[^\u2019\n]+\u2019"
)


def unasked_figures(answer: str, question: str, names: Sequence[str] = ()) -> list[str]:
    """Figures of a measured dimension in a refusal or question back that the question does
    not state (quoted examples and meter names aside): computed numbers presented for what
    cannot be answered."""
    asked = quantities(unnamed(question, names))
    text = _QUOTED.sub(" ", prose(unnamed(answer, names)))
    return [q.text for q in quantities(text) if q.dimension in MEASURED and not _stated(q, asked)]
