"""Scoring agent replies against question-set cases, and summaries over many scored cases.

A reply is the dict `ems-agent ask --json` prints: answer, tool_calls (name, args, and a result
or {"error": ...}), thread, model, latency_ms and outcome. A case is scored on four counts:

- tool: an acceptable tool was called (or none, when none is expected); a write that executed
  while the expected outcome is not 'answer' (a refusal, a question back, a pending
  confirmation) fails it whatever else happened.
- args: some call to an acceptable tool matches every expected argument. Periods compare by the
  resolved {start, end} the tool's result carries, with both ends clipped to the case's `now`
  (nothing after now is metered, so 'this month' and 'month to date' ask the same). Meters
  compare by the canonical names in the result; `meter` and `meters` are interchangeable.
  Other arguments compare with the result's field of that name when it has one (defaults
  filled in), else with the call's argument.
- answer: the truth appears in the answer text and so does every `mentions` string. Numbers
  match within the relative tolerance, or within the rounding of the number as written; 'MWh',
  'k', 't' and '%' scale what they follow. The size of a signed truth (a change, a difference)
  must be said to go its way, by a sign or a word ("down 5 %", "5 % less", "rose by 5 %").
  Strings match case-insensitively with dashes and underscores read as spaces; a local date
  and time ('2026-10-14 10:15', a peak over several days) needs that day in a common form
  within a few words of the clock time. Where a case has them, every truth in `also` must
  appear too, at least one `mentions_any` string, and each `unused` item (alternatives "a|b")
  named in a sentence that also holds a negation.
- outcome: the reply's outcome equals the expected one.

Apart from these counts, and never failing a case by itself, each case counts its wrong
numbers (evals.presented): numbers the answer presents as its answer that lie outside the
tolerance of every truth of their unit and of the figures derived from two truths (or from all
of three or more amounts of one kind, evals.presented.whole_sums; never a sum in which a meter
and its ancestor both count), or that give
a signed truth's size the other direction, and
computed figures a refusal or a question back presents for what cannot be answered.
Summaries add them up per category and set.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import aliased

from evals.dataset import NO_TOOL, Case, Dataset, Expect, TruthSpec, parse_period
from evals.presented import (
    METRIC_DIMENSIONS,
    NO_DIRECTION,
    PAIRED,
    SIGNED,
    TRUTH_DIMENSIONS,
    Direction,
    Lineage,
    Signed,
    direction,
    said_sign,
    unasked_figures,
    whole_sums,
    wrong_numbers,
)
from evals.references import references
from evals.truth import Truth, evaluate
from store.schema import Meter, Site

Reply = Mapping[str, Any]
Ask = Callable[..., dict[str, Any]]
WRITE_TOOLS = frozenset(
    {"create_alert_rule", "update_alert_rule", "update_alert", "update_incident"}
)
# Where each period argument's resolution sits in a tool's result.
PERIOD_FIELDS: dict[str, tuple[str, ...]] = {
    "period": ("period",),
    "reference": ("reference",),
    "baseline": ("baseline_period",),
    "reporting": ("deviation", "period"),
}
METER_ARGS = frozenset({"meter", "meters"})
SEPARATE = ("knowledge",)
SCALES = {
    "k": 1e3,
    "mwh": 1e3,
    "mw": 1e3,
    "gwh": 1e6,
    "t": 1e3,
    "tco": 1e3,
    "tonne": 1e3,
    "tonnes": 1e3,
    "ton": 1e3,
    "tons": 1e3,
}
_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?|\b\d{1,2}:\d{2}\b"
)
_NEGATION = re.compile(
    r"\b(?:not|no|none|never|neither|nor|cannot|can't|unable|without|unavailable|lacks?|"
    r"missing|outside|beyond|isn't|aren't|doesn't|don't|didn't|wasn't|won't|nicht|kein\w*)\b"
    r"|n't\b"
)
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
_NUMBER = re.compile(
    r"(?<![\w.\-\u2212])([-\u2212]?)(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\s?(%|[a-zA-Z]+)?"
)


# ------------------------------------------------------------------ reading answers


@dataclass(frozen=True)
class Number:
    """A number read from an answer, in the truth's units, and half its last written digit."""

    value: float
    half_step: float
    direction: Direction = field(default=NO_DIRECTION, compare=False)


def numbers(text: str) -> list[Number]:
    """Every number written in `text` (1,234.5 / 1234.5 / 12.3% / 1.2 MWh), dates and clock
    times left out, with the direction the text gives it (evals.presented.direction); a scaled
    unit or a percent adds the converted value as a second reading."""
    found: list[Number] = []
    blanked = _DATE_TIME.sub(" ", text)
    for match in _NUMBER.finditer(blanked):
        sign, digits, unit = match.group(1), match.group(2), (match.group(3) or "").lower()
        value = float(digits.replace(",", "")) * (-1 if sign else 1)
        decimals = len(digits.partition(".")[2])
        half = 0.5 * 10.0**-decimals
        said = direction(blanked, match.start(2), match.end())
        found.append(Number(value, half, said))
        if unit in SCALES:
            found.append(Number(value * SCALES[unit], half * SCALES[unit], said))
        elif unit == "%":
            found.append(Number(value / 100, half / 100, said))
    return found


def number_matches(found: Number, truth: float, tolerance: float) -> bool:
    """Magnitudes agree within `tolerance` (relative), or within the rounding of the written
    number when that rounding is under a tenth of the truth."""
    error = abs(abs(found.value) - abs(truth))
    if error <= tolerance * abs(truth) or (truth == 0 and error <= tolerance):
        return True
    return error <= found.half_step and error <= 0.1 * abs(truth)


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[-_]", " ", text.casefold()).split())


def mentioned(text: str, wanted: str) -> bool:
    """`wanted` appears in `text`, case-insensitively, dashes and underscores read as spaces;
    a clock time '09:15' may be written '9:15'."""
    haystack, needle = _normal(text), _normal(wanted)
    if needle in haystack:
        return True
    return bool(re.fullmatch(r"0\d:\d\d", needle)) and needle[1:] in haystack


_MONTHS = (
    ("january", "jan", "januar", "jänner"),
    ("february", "feb", "februar"),
    ("march", "mar", "märz", "maerz"),
    ("april", "apr"),
    ("may", "mai"),
    ("june", "jun", "juni"),
    ("july", "jul", "juli"),
    ("august", "aug"),
    ("september", "sep", "sept"),
    ("october", "oct", "oktober", "okt"),
    ("november", "nov"),
    ("december", "dec", "dezember", "dez"),
)
_MOMENT = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})")
_NEAR = 80  # characters between a date and its clock time in one statement of a moment


def _date_forms(year: int, month: int, day: int) -> re.Pattern[str]:
    """The ways an answer writes a day: 2026-10-14, 14 Oct, Oct 14, 14th of October, 14/10,
    10/14, 14.10., (Wednesday) 14 October (2026)."""
    names = "|".join(_MONTHS[month - 1])
    d, m = rf"0?{day}", rf"0?{month}"
    nth = rf"{d}(?:st|nd|rd|th|\.)?"
    return re.compile(
        rf"\b{year}-{month:02d}-{day:02d}"
        rf"|\b{nth}\s+(?:of\s+)?(?:{names})\b"
        rf"|\b(?:{names})\.?\s+{nth}(?!\d)"
        rf"|(?<![\d.,/]){d}/{m}(?![\d.,])|(?<![\d.,/]){m}/{d}(?![\d.,])"
        rf"|(?<![\d.,]){d}\.{m}\.",
        re.IGNORECASE,
    )


def _time_forms(hour: int, minute: int) -> re.Pattern[str]:
    """The ways an answer writes a clock time: 09:15, 9:15, 9.15 am, 2:15 pm, 2 pm."""
    half = "am" if hour < 12 else "pm"
    h12 = hour % 12 or 12
    whole = rf"|(?<![\d:.]){h12}\s?{half}\b" if minute == 0 else ""
    return re.compile(
        rf"(?<![\d:.])0?{hour}:{minute:02d}(?!\d)"
        rf"|(?<![\d:.]){h12}[:.]{minute:02d}\s?{half}\b{whole}",
        re.IGNORECASE,
    )


def mentioned_moment(text: str, moment: str) -> bool:
    """Whether `text` states a local date and time ('2026-10-14 10:15'): the clock time and
    that day, in any common form, within a few words of each other."""
    found = _MOMENT.fullmatch(moment)
    if found is None:
        return False
    year, month, day, hour, minute = map(int, found.groups())
    dates = [m.span() for m in _date_forms(year, month, day).finditer(text)]
    times = [m.span() for m in _time_forms(hour, minute).finditer(text)]
    return any(max(d0, t0) - min(d1, t1) <= _NEAR for d0, d1 in dates for t0, t1 in times)


def said_unused(text: str, item: str) -> bool:
    """Whether some sentence of `text` names one of the alternatives of `item` ("a|b") and
    also holds a negation ("not", "no", "cannot", "without", "n't", "nicht" ...): the reply says
    it did not use, cannot give or has no data for that thing."""
    alternatives = [a for a in (part.strip() for part in item.split("|")) if a]
    for sentence in _SENTENCE.split(text):
        lowered = sentence.casefold().replace("\u2019", "'")
        if _NEGATION.search(lowered) and any(mentioned(sentence, a) for a in alternatives):
            return True
    return False


def truth_in_answer(
    answer: str, truth: Truth, tolerance: float, signed: Signed | None = None
) -> bool:
    """Whether the answer states the truth: a number, a name, or every name of a list. A
    `signed` truth (a change, a difference) must be said to go its way: a minus sign or a word
    such as 'down', 'less' or 'fell' for a negative one, 'up', 'more' or 'rose' for a positive
    one; a number of its size without a direction, or with the other one, does not state it."""
    if isinstance(truth, list):
        return all(mentioned(answer, item) for item in truth)
    if isinstance(truth, str):
        if _MOMENT.fullmatch(truth):
            return mentioned_moment(answer, truth)
        return mentioned(answer, truth)
    way = (truth > 0) - (truth < 0)
    for n in numbers(answer):
        if not number_matches(n, truth, tolerance):
            continue
        if signed is None or way == 0 or said_sign(n.direction, signed.names) == way:
            return True
    return False


def signed_truth(spec: TruthSpec | None, value: Truth | None) -> Signed | None:
    """The signed form of a truth whose direction an answer must state, else None."""
    if spec is None or spec.fn not in SIGNED or not isinstance(value, float):
        return None
    names = tuple(spec.meters()[:2]) if spec.fn in PAIRED else _months(spec)
    return Signed(TRUTH_DIMENSIONS[spec.fn], value, names)


def _months(spec: TruthSpec) -> tuple[str, ...]:
    """A change between two whole calendar months, as answers name them ("August 2026"): an
    answer may set them either way round ("7,914 kWh more in August 2026 than in September
    2026" is September's minus August's, negative)."""
    if spec.fn != "difference" or spec.period is None or spec.reference is None:
        return ()  # a percent's size changes when turned round: it keeps its own reading
    names = []
    for text in (spec.period, spec.reference):
        m = re.fullmatch(r"(\d{4})-(\d{2})-01\.\.(\d{4})-(\d{2})-(\d{2})", text)
        if m is None or m.group(1, 2) != m.group(3, 4):
            return ()
        year, month = int(m.group(1)), int(m.group(2))
        if int(m.group(5)) != calendar.monthrange(year, month)[1]:
            return ()
        names.append(date(year, month, 1).strftime("%B %Y"))
    return tuple(names)


# ------------------------------------------------------------------ tool calls


def _calls(reply: Reply) -> list[Mapping[str, Any]]:
    calls = reply.get("tool_calls") or []
    return [c for c in calls if isinstance(c, Mapping)]


def _result(call: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """A call's result when it succeeded; None when it failed or carries none."""
    result = call.get("result")
    if not isinstance(result, Mapping) or "error" in result:
        return None
    return result


def tool_correct(expect: Expect, reply: Reply) -> tuple[bool, list[str]]:
    """Whether the reply called an acceptable tool (or, where expected, none at all)."""
    calls = _calls(reply)
    names = [str(c.get("name")) for c in calls]
    if expect.outcome != "answer":
        written = [str(c.get("name")) for c in calls if c.get("name") in WRITE_TOOLS and _result(c)]
        if written:
            return False, [f"write executed before confirmation: {', '.join(written)}"]
    if not calls:
        return expect.no_tool_ok, [] if expect.no_tool_ok else ["no tool was called"]
    acceptable = {t for t in expect.tools if t != NO_TOOL}
    if acceptable & set(names):
        return True, []
    wanted = ", ".join(sorted(acceptable)) or "no tool"
    return False, [f"called {', '.join(names)}; expected {wanted}"]


def _dig(result: Mapping[str, Any] | None, path: tuple[str, ...]) -> Any:
    value: Any = result
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _clip(start: datetime, end: datetime, now: datetime | None) -> tuple[datetime, datetime]:
    """A period cut where the data ends: at the last complete quarter-hour before now (a
    reading under way at now is not in the store yet), so 'to 14:20' and 'to 14:15' asked at
    14:20 are the same period."""
    if now is None:
        return start, end
    cut = now - timedelta(minutes=now.minute % 15, seconds=now.second, microseconds=now.microsecond)
    return min(start, cut), min(end, cut)


def _period_matches(
    key: str, expected: str, call: Mapping[str, Any], tz: str, now: datetime | None
) -> bool:
    want = _clip(*parse_period(expected, tz), now)
    resolved = _dig(_result(call), PERIOD_FIELDS.get(key, (key,)))
    if isinstance(resolved, Mapping) and "start" in resolved and "end" in resolved:
        got = (datetime.fromisoformat(resolved["start"]), datetime.fromisoformat(resolved["end"]))
        return _clip(*got, now) == want
    raw = (call.get("args") or {}).get(key)
    if not isinstance(raw, str):
        return False
    try:
        return _clip(*parse_period(raw, tz), now) == want
    except ValueError:
        pass
    if now is None:
        return False
    # A period in the tools' own words ('2026-10', 'last month') that the result does not
    # resolve (rank_sites reads it per site): resolved as the tools read it.
    from tools.periods import InvalidPeriod, resolve_period

    try:
        period = resolve_period(raw, now, tz)
    except (InvalidPeriod, ValueError):
        return False
    return _clip(period.start, period.end, now) == want


def result_meters(result: Mapping[str, Any]) -> set[str] | None:
    """Canonical names of the meters a tool result is about, when it names any."""
    if isinstance(result.get("meters_checked"), list):
        return {str(m) for m in result["meters_checked"]}
    sides = result.get("sides")
    if isinstance(sides, list) and all(isinstance(i, Mapping) for i in sides):
        # compare_meters: each side one meter or several added up
        return {str(m) for side in sides for m in side.get("meters") or ()}
    meters = result.get("meters")
    if isinstance(meters, list) and meters and all(isinstance(m, str) for m in meters):
        return set(meters)  # compute_kpi: the meters a KPI of several added up is about
    for key in ("totals", "changes", "meters"):
        items = result.get(key)
        if isinstance(items, list) and all(isinstance(i, Mapping) for i in items):
            return {str(i.get("meter")) for i in items}
    if isinstance(result.get("meter"), str):
        return {result["meter"]}
    return None


def _as_names(value: Any) -> set[str]:
    if value is None:
        return set()
    return {str(value)} if isinstance(value, str) else {str(v) for v in value}


def _meters_match(expected: Any, call: Mapping[str, Any]) -> bool:
    want = _as_names(expected)
    result = _result(call)
    got = result_meters(result) if result is not None else None
    if got is not None:
        return got == want
    args = call.get("args") or {}
    raw = _as_names(args.get("meters")) | _as_names(args.get("meter"))
    # Without a result only canonical spellings can be recognised.
    return {_normal(n) for n in raw} == {_normal(n) for n in want}


def same_value(expected: Any, actual: Any) -> bool:
    """Loose equality for argument values: numbers by value, strings case-insensitively,
    lists as sets."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual or expected == actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return math.isclose(expected, actual, rel_tol=1e-6, abs_tol=1e-9)
    if isinstance(expected, str) and isinstance(actual, str):
        return expected.strip().casefold() == actual.strip().casefold()
    if isinstance(expected, list) and isinstance(actual, list):
        return sorted(map(_normal, map(str, expected))) == sorted(map(_normal, map(str, actual)))
    return bool(expected == actual)


def _arg_matches(
    key: str, expected: Any, call: Mapping[str, Any], tz: str, now: datetime | None
) -> bool:
    if key in PERIOD_FIELDS:
        return _period_matches(key, str(expected), call, tz, now)
    if key in METER_ARGS:
        return _meters_match(expected, call)
    result = _result(call)
    if result is not None and key in result and not isinstance(result[key], Mapping | list):
        return same_value(expected, result[key])
    return same_value(expected, (call.get("args") or {}).get(key))


def args_correct(
    expect: Expect, reply: Reply, tz: str, now: datetime | None
) -> tuple[bool | None, list[str]]:
    """Whether some call to an acceptable tool carries every expected argument (None when the
    case expects no arguments)."""
    if not expect.args:
        return None, []
    acceptable = set(expect.tools) - {NO_TOOL}
    calls = [c for c in _calls(reply) if c.get("name") in acceptable]
    for call in calls:
        if all(_arg_matches(k, v, call, tz, now) for k, v in expect.args.items()):
            return True, []
    seen = "; ".join(f"{c.get('name')}({c.get('args')})" for c in calls) or "no matching call"
    return False, [f"arguments differ from {expect.args}: {seen}"]


# ------------------------------------------------------------------ one case


@dataclass(frozen=True)
class CaseScore:
    """How one reply did on one case; None marks a count the case does not score."""

    case_id: str
    category: str
    expected_outcome: str
    outcome: str
    tool_ok: bool
    args_ok: bool | None
    answer_ok: bool | None
    outcome_ok: bool
    latency_ms: float | None
    truth: Truth | None = None
    answer: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    also: tuple[Truth, ...] = field(default_factory=tuple)
    wrong_numbers: tuple[str, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        """Every scored count is right."""
        return (
            self.tool_ok
            and self.outcome_ok
            and self.args_ok is not False
            and (self.answer_ok is not False)
        )


def _with_specs(
    expect: Expect, truth: Truth | None, also: list[Truth]
) -> list[tuple[TruthSpec | None, Truth]]:
    """Each truth value beside the spec it was computed from (None where it is unknown)."""
    values = ([] if truth is None else [truth]) + also
    specs: list[TruthSpec | None] = [expect.truth] if truth is not None else []
    specs += list(expect.also)
    return list(zip(specs + [None] * (len(values) - len(specs)), values, strict=False))


def answer_correct(
    expect: Expect, answer: str, truth: Truth | None, also: Iterable[Truth] = ()
) -> tuple[bool | None, list[str]]:
    """Whether the answer states the truth, the further truths `also` (computed from
    `expect.also`), every `mentions` string, one `mentions_any` string and every `unused`
    item (None: nothing to check)."""
    notes = []
    also = list(also)
    for spec, value in _with_specs(expect, truth, also):
        if not truth_in_answer(answer, value, expect.tolerance, signed_truth(spec, value)):
            # the size is there, said without its direction or with the other one
            way = truth_in_answer(answer, value, expect.tolerance)
            said = " with its direction" if way else ""
            notes.append(f"answer does not state the truth {value!r}{said}")
    missing = [m for m in expect.mentions if not mentioned(answer, m)]
    if missing:
        notes.append(f"answer does not mention {', '.join(missing)}")
    if expect.mentions_any and not any(mentioned(answer, m) for m in expect.mentions_any):
        notes.append(f"answer mentions none of {', '.join(expect.mentions_any)}")
    for item in expect.unused:
        if not said_unused(answer, item):
            notes.append(f"answer does not say it left out {item}")
    checks = [truth is not None, also, expect.mentions, expect.mentions_any, expect.unused]
    if not any(checks):
        return None, notes
    return not notes, notes


def score_case(
    case: Case,
    reply: Reply,
    truth_value: Truth | None,
    *,
    now: datetime | None = None,
    timezone: str = "Europe/Berlin",
    also: Iterable[Truth] = (),
    refs: Iterable[float] = (),
    names: Iterable[str] = (),
    parents: Mapping[str, str | None] | None = None,
) -> CaseScore:
    """Score one reply: tool, arguments, answer and outcome (see the module docstring).
    `now` (default: the case's own) clips periods; `timezone` is the site's; `also` holds the
    values of the case's further truths (`expect.also`), in order; `refs` the reference values
    that excuse a number beside the truth (evals.references); `names` the plant's meter names,
    whose numbers are no numbers; `parents` each meter's parent at the case's site, so that
    truths of a meter and of its ancestor are never added up into a figure of the case."""
    expect = case.expect
    answer = str(reply.get("answer") or "")
    outcome = str(reply.get("outcome") or "")
    also = tuple(also)
    tool_ok, tool_notes = tool_correct(expect, reply)
    args_ok, args_notes = args_correct(expect, reply, timezone, now or case.now)
    answer_ok, answer_notes = answer_correct(expect, answer, truth_value, also)
    outcome_ok = outcome == expect.outcome
    outcome_notes = [] if outcome_ok else [f"outcome {outcome!r}, expected {expect.outcome!r}"]
    latency = reply.get("latency_ms")
    return CaseScore(
        case_id=case.id,
        category=case.category,
        expected_outcome=expect.outcome,
        outcome=outcome,
        tool_ok=tool_ok,
        args_ok=args_ok,
        answer_ok=answer_ok,
        outcome_ok=outcome_ok,
        latency_ms=float(latency) if isinstance(latency, int | float) else None,
        truth=truth_value,
        answer=answer,
        notes=tuple(tool_notes + args_notes + answer_notes + outcome_notes),
        also=also,
        wrong_numbers=tuple(
            case_wrong_numbers(case, answer, truth_value, also, refs, names, parents)
        ),
    )


UNANSWERABLE = frozenset({"clarify", "refusal"})


def truth_dimension(spec: TruthSpec) -> str | None:
    """The dimension of a truth spec's value (None: names, or a value of unknown unit)."""
    if spec.fn in ("stat", "average"):
        return METRIC_DIMENSIONS.get(spec.metric)
    return TRUTH_DIMENSIONS.get(spec.fn)


def lineage(meter: str, parents: Mapping[str, str | None]) -> Lineage:
    """`meter`'s line from the top of its tree down to it (a meter of unknown parent: a top)."""
    line = [meter]
    while (parent := parents.get(line[-1])) is not None and parent not in line:
        line.append(parent)
    return tuple(reversed(line))


def truth_lines(spec: TruthSpec, parents: Mapping[str, str | None]) -> frozenset[Lineage]:
    """The lineages of a truth's meters; a truth of no meter is the site's, above them all."""
    return frozenset(lineage(m, parents) for m in spec.meters()) or frozenset({()})


def case_wrong_numbers(
    case: Case,
    answer: str,
    truth_value: Truth | None,
    also: Iterable[Truth] = (),
    refs: Iterable[float] = (),
    names: Iterable[str] = (),
    parents: Mapping[str, str | None] | None = None,
) -> list[str]:
    """The wrong numbers of a reply (evals.presented): in a case that asks what cannot be
    answered (a refusal or question back expected, category clarify or refusal) every computed
    figure the question does not state; otherwise presented numbers outside the tolerance of
    every numeric truth of their dimension and of the figures derived from two of them, or
    summed from all of them, where their meters do not overlap (`parents`: each meter's
    parent; without them every meter counts as a top meter)."""
    expect = case.expect
    names = list(names)
    if expect.outcome in ("refuse", "clarify") and case.category in UNANSWERABLE:
        return unasked_figures(answer, case.question, names)
    specs = [s for s in [expect.truth, *expect.also] if s is not None]
    values = [truth_value, *also] if expect.truth is not None else list(also)
    kept = [
        (spec, dimension, float(value))
        for spec, value in zip(specs, values, strict=False)
        if isinstance(value, float) and (dimension := truth_dimension(spec)) is not None
    ]
    if not kept:
        return []
    named = [(spec.fn, dimension, value) for spec, dimension, value in kept]
    lines = [truth_lines(spec, parents or {}) for spec, _, _ in kept]
    truths = [(dimension, value) for _, dimension, value in named]
    signed = [s for spec, v in zip(specs, values, strict=False) if (s := signed_truth(spec, v))]
    return wrong_numbers(
        answer,
        case.question,
        truths,
        list(refs),
        expect.tolerance,
        names,
        signed,
        whole_sums(named, lines),
        lines,
    )


def run_set(
    dataset: Dataset,
    ask: Ask,
    engine: Engine,
    on_case: Callable[[CaseScore], None] | None = None,
) -> list[CaseScore]:
    """Ask every case of a set in file order and score it against truth computed on `engine`.

    `ask(question, *, thread, now, role) -> reply dict`; cases sharing a thread go to the same
    thread id, the others each to their own. An exception from `ask` scores as a failed case.
    """
    parent = aliased(Meter)
    family: dict[str, dict[str, str | None]] = {}
    with engine.connect() as conn:
        names = list(conn.execute(select(Meter.name)).scalars())
        rows = conn.execute(
            select(Site.name, Meter.name, parent.name)
            .join(Site, Site.id == Meter.site_id)
            .outerjoin(parent, parent.id == Meter.parent_id)
        )
        for site, meter, above in rows:
            family.setdefault(site, {})[meter] = above
    scores = []
    for case in dataset.cases:
        now = dataset.now_of(case)
        truth = evaluate(engine, case.expect.truth) if case.expect.truth else None
        also = [evaluate(engine, spec) for spec in case.expect.also]
        specs = [s for s in [case.expect.truth, *case.expect.also] if s is not None]
        refs = [value for spec in specs for value in references(engine, spec)]
        try:
            reply = ask(case.question, thread=case.thread_id, now=now, role=case.role)
        except Exception as exc:  # an agent crash fails its case, not the whole run
            reply = {"answer": f"error: {type(exc).__name__}: {exc}", "outcome": "error"}
        score = score_case(
            case,
            reply,
            truth,
            now=now,
            timezone=dataset.timezone,
            also=also,
            refs=refs,
            names=names,
            parents=family.get(specs[0].site, {}) if specs else {},
        )
        scores.append(score)
        if on_case is not None:
            on_case(score)
    return scores


# ------------------------------------------------------------------ summaries


def percentile(values: Iterable[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least p % of values at or below it."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _share(flags: Iterable[bool | None]) -> float | None:
    scored = [f for f in flags if f is not None]
    return sum(scored) / len(scored) if scored else None


@dataclass(frozen=True)
class Row:
    """Accuracies (0..1, None when no case scores that count) and latency for a group of cases."""

    name: str
    cases: int
    tool: float | None
    args: float | None
    answer: float | None
    outcome: float | None
    refuse_clarify: float | None
    passed: float | None
    p50_ms: float | None
    p95_ms: float | None
    wrong_numbers: int = 0
    wrong_cases: int = 0


def summary_row(name: str, scores: list[CaseScore]) -> Row:
    """Aggregate scores: each accuracy over the cases that score it."""
    latencies = [s.latency_ms for s in scores if s.latency_ms is not None]
    return Row(
        name=name,
        cases=len(scores),
        tool=_share(s.tool_ok for s in scores),
        args=_share(s.args_ok for s in scores),
        answer=_share(s.answer_ok for s in scores),
        outcome=_share(s.outcome_ok for s in scores),
        refuse_clarify=_share(
            s.outcome_ok for s in scores if s.expected_outcome in ("refuse", "clarify")
        ),
        passed=_share(s.passed for s in scores),
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
        wrong_numbers=sum(len(s.wrong_numbers) for s in scores),
        wrong_cases=sum(1 for s in scores if s.wrong_numbers),
    )


@dataclass(frozen=True)
class Summary:
    """Per-category rows and an overall row; categories in `separate` (by default knowledge
    questions, for runs without a knowledge store) have their own rows but stay out of the
    overall one."""

    categories: list[Row]
    overall: Row
    separate: tuple[str, ...] = SEPARATE

    def to_markdown(self) -> str:
        return render_markdown(self)


def summarise(scores: list[CaseScore], separate: tuple[str, ...] = SEPARATE) -> Summary:
    """Summarise scored cases per category and overall (without the `separate` categories)."""
    names = sorted({s.category for s in scores})
    rows = [summary_row(n, [s for s in scores if s.category == n]) for n in names]
    counted = [s for s in scores if s.category not in separate]
    return Summary(rows, summary_row("overall", counted), separate)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def render_markdown(summary: Summary) -> str:
    """The summary as a Markdown table, one row per category and the overall row last."""
    head = (
        "| category | cases | tool | args | answer | outcome | refuse/clarify | passed "
        "| wrong numbers | p50 ms | p95 ms |"
    )
    lines = [head, "|" + " --- |" * 11]
    for row in [*summary.categories, summary.overall]:
        name = f"**{row.name}**" if row is summary.overall else row.name
        if row.name in summary.separate:
            name += " (not in overall)"
        cells = [name, str(row.cases), *map(_pct, (row.tool, row.args, row.answer))]
        cells += [*map(_pct, (row.outcome, row.refuse_clarify, row.passed))]
        cells += [str(row.wrong_numbers), _ms(row.p50_ms), _ms(row.p95_ms)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
