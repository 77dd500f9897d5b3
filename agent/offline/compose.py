"""Writing the answer from typed tool results: the direct answer first (the winner and the
difference, yes or no, the share, the combined total), then each result as its renderer writes
it (figures, method, parameters used and defaults, caveats, source), then the assumptions made
and what of the question was not used. Every number comes from a result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from agent.offline.calorific import as_volume, calorific_notes
from agent.offline.incidents import ASK_WHICH
from agent.offline.plan import Plan, Question
from agent.offline.refusals import not_used, nothing_to_compare
from agent.reader import Kpi, Op
from agent.reader.slots import PeriodMention
from agent.render import renderer_for
from agent.render.incidents import IncidentListRenderer, IncidentRenderer, detail, line, source_of
from agent.render.metrics import KPI_NAMES, kpi_value
from agent.render.text import money, number, percent, period_text, step, when
from agent.render.windows import where
from tools.base import ToolResult, day_names
from tools.compare import Change, CompareResult, RankResult
from tools.contrast import MetersCompareResult, ShareResult
from tools.incidents import IncidentList, IncidentOut
from tools.kpi import KpiResult
from tools.query import QueryResult
from tools.report import MonthlyReport
from tools.split import SplitResult
from tools.windows import WindowResult

# Error classes (a tool error's prefix) and what the answer then is.
CLARIFY = {
    "UnknownMeter",
    "UnknownSeries",
    "InvalidPeriod",
    "AmbiguousMeter",
    "UnknownIncident",
    "NoteRequired",
    "InvalidArguments",
}
# CoarseData: a KPI within the day (a peak) of a meter read daily or by bills
# "NoFloorArea": an intensity of a meter the catalogue gives no floor area cannot be had
# "MonthNotBegun": a report of a month after today's
REFUSE = {"UnsafeQuery", "NotAllowed", "QueryRefused", "CoarseData", "NoReadings",
          "NoFloorArea", "MonthNotBegun"}  # fmt: skip
REJECTED = "User rejected the tool call"


@dataclass(frozen=True)
class Done:
    """One tool call of the turn and what came of it."""

    name: str
    args: dict[str, Any]
    result: ToolResult | None = None
    error: str = ""  # the tool's message, without its error class
    error_kind: str = ""
    rejected: bool = False


@dataclass
class Answer:
    text: str
    outcome: str
    subjects: list[str] = field(default_factory=list)
    ranked: list[str] = field(default_factory=list)  # the subjects by the figure, largest first
    refs: list[tuple[str, int]] = field(default_factory=list)  # numbered objects it showed
    # the incidents it listed (number, meter, kind), for "the burner one" in the next turns
    listed: list[tuple[int, str, str]] = field(default_factory=list)


Headline = Callable[[Question, Plan, list[Done]], list[str]]
HEADLINES: dict[str, Headline] = {}


def headline(*kinds: str) -> Callable[[Headline], Headline]:
    def register(fn: Headline) -> Headline:
        for kind in kinds:
            HEADLINES[kind] = fn
        return fn

    return register


def results(done: list[Done], kind: type[ToolResult]) -> list[Any]:
    return [d.result for d in done if isinstance(d.result, kind)]


# ------------------------------------------------------------------ the answer


def compose(q: Question, plan: Plan, done: list[Done]) -> Answer:
    ok = [d for d in done if d.result is not None]
    failed = [d for d in done if d.result is None]
    lines: list[str] = []
    outcome = "answer" if ok else _outcome(failed)
    refused = nothing_to_compare(q, results(ok, CompareResult))
    if refused is not None and len(ok) == len(results(ok, CompareResult)):
        return Answer(refused, "refuse")
    for d in failed:
        lines.append(_failure(d))
    if ok:
        lines = HEADLINES.get(plan.kind, _none)(q, plan, ok) + [""] * bool(lines) + lines
        lines = _over_periods(plan, ok) + lines
        exchanged = _exchanged(q, ok)
        if any(c.words.tokens for c in q.reading.currencies):
            lines = exchanged + lines  # "in dollars?": the money in dollars is the answer
            exchanged = []
        # "... tonnes?": the mass in tonnes is the answer; after the sum of several meters
        # when that is what was asked ("electricity plus gas"), which states it in tonnes
        summed = next((i for i, x in enumerate(lines) if " together: " in x), None)
        if summed is None:
            lines = _in_tonnes(q, ok) + lines
        else:
            lines[summed + 1 : summed + 1] = ["", *_in_tonnes(q, ok)]
        # "that in m³?" of gas metered in kWh: the volume is the answer
        lines = as_volume(q, [d.result for d in ok if d.result is not None]) + lines
        lines += _bodies(plan, ok)
        lines += exchanged + _scaled(q, ok)
        lines += list(plan.notes)
        lines += calorific_notes(q, [d.result for d in ok if d.result is not None])
        lines += not_used(plan.reading or q.reading, q)
    if plan.kind == "incident_event_action" and ok and not results(ok, IncidentOut):
        outcome = "clarify"  # no change proposed: which incident is asked back
    answer = Answer("\n\n".join(x for x in _paragraphs(lines) if x), outcome)
    answer.subjects = _subjects(plan, ok)
    answer.ranked = _ranked(ok)
    answer.refs = [("incident", i.id) for i in _shown_incidents(plan, ok)]
    answer.listed = [
        (i.id, i.meter or "", i.kind) for x in results(ok, IncidentList) for i in x.incidents
    ]
    return answer


def _exchanged(q: Question, ok: list[Done]) -> list[str]:
    """Money in the currency asked for, at the exchange rate the question states, whichever
    way it is written ("5.40 BRL per USD" or "1 BRL = 0.18 USD")."""
    lines = []
    for rate in q.reading.exchange_rates:
        for r in results(ok, KpiResult):
            currency = str(r.details.get("currency") or r.unit)
            if r.kpi != "cost" or currency not in (rate.currency, rate.per):
                continue
            # "5.40 BRL per USD" divides a BRL cost; "1 EUR = 1.10 USD" multiplies a EUR one
            into = rate.per if currency == rate.currency else rate.currency
            value = r.value / rate.rate if currency == rate.currency else r.value * rate.rate
            lines.append(
                f"In {into}: **{value:,.2f} {into}** for {r.meter}, at your rate of "
                f"{rate.rate:g} {rate.currency} per {rate.per}. Converted from "
                f"{r.value:,.2f} {currency}."
            )
    return lines


def _over_periods(plan: Plan, ok: list[Done]) -> list[str]:
    """ "January and March together": one figure over the periods asked as one, per meter and
    measure: the sum of an amount (kWh, cost, carbon), the highest of a peak; a measure that
    does not add up over periods (a ratio, an average) is said to be given per period."""
    if not plan.detail.get("union"):
        return []
    groups: dict[tuple[str, str, str], list[tuple[dict[str, str], float]]] = {}
    for q in results(ok, QueryResult):
        for t in q.totals if q.statistic == "sum" else ():
            if t.value is not None:
                groups.setdefault((t.meter, q.metric, q.unit), []).append((q.period, t.value))
    for k in results(ok, KpiResult):
        groups.setdefault((k.meter, k.kpi, k.unit), []).append((k.period, k.value))
    lines = []
    for (meter, what, unit), found in groups.items():
        periods = {str(sorted(p.items())): p for p, _ in found}
        if len(periods) < 2:
            continue
        named = " and ".join(_month_text(p, bare=True) for p in periods.values())
        name = KPI_NAMES.get(what, what)
        if what in ADDITIVE_KPIS or what == "energy":
            total, how = sum(v for _, v in found), "together"
        elif what == "peak_demand":
            total, how = max(v for _, v in found), "(the highest of them)"
        else:
            lines.append(
                f"{name[:1].upper()}{name[1:]} does not add up over periods: each is given apart."
            )
            continue
        together = f"**{number(total, unit)}**"
        lines.append(
            f"**{meter}** {name} over {named} together: {together}."
            if how == "together"
            else f"**{meter}** {name} over {named}: {together} {how}."
        )
    return lines


SCALES = {"MWh": 1e3, "GWh": 1e6}


def _scaled(q: Question, ok: list[Done]) -> list[str]:
    """Energy in the unit asked for ("in MWh"), beside the kWh the results state."""
    asked = [u.unit for u in q.reading.units if u.unit in SCALES]
    if not asked:
        return []
    unit, lines = asked[0], []
    for r in results(ok, QueryResult):
        if r.unit != "kWh" or r.statistic != "sum":
            continue
        for t in r.totals:
            if t.value is not None:
                lines.append(
                    f"In {unit}: **{t.meter}** {t.value / SCALES[unit]:,.3f} {unit} "
                    f"{period_text(r.period)}."
                )
    for c in results(ok, CompareResult):
        if c.unit != "kWh" or c.statistic != "sum":
            continue
        for ch in c.changes:
            if ch.value is None or ch.reference_value is None:
                continue
            lines.append(
                f"In {unit}: **{ch.meter}** {ch.value / SCALES[unit]:,.3f} {unit} "
                f"{period_text(c.period)} and {ch.reference_value / SCALES[unit]:,.3f} {unit} "
                f"{period_text(c.reference)}."
            )
    return lines


def _in_tonnes(q: Question, ok: list[Done]) -> list[str]:
    """Carbon in the unit asked for ("in tonnes"), before the kg the results state."""
    if not any(u.unit == "t" for u in q.reading.units):
        return []
    return [
        f"**{k.meter}** {KPI_NAMES.get(k.kpi, k.kpi)} {period_text(k.period)}: "
        f"**{k.value / 1000:,.2f} t CO2e**."
        for k in results(ok, KpiResult)
        if k.unit == "kg CO2e" and k.value is not None
    ]


def _none(q: Question, plan: Plan, done: list[Done]) -> list[str]:
    return []


def _paragraphs(lines: list[str]) -> list[str]:
    """Lines of one result stay together; results and notes are separated."""
    return [line for line in lines if line is not None]


def _bodies(plan: Plan, ok: list[Done]) -> list[str]:
    if plan.kind in ("rank_kpi",):
        return []
    if plan.kind in ("incident_one",):
        return _one_incident(ok, plan.detail.get("kinds", ()))
    if plan.kind == "incident_compare":
        return _weighed(results(ok, IncidentOut), str(plan.detail.get("weighed", "cost")))
    if plan.kind == "incident_event_action":
        changed = results(ok, IncidentOut)
        if not changed:
            return _which_incident(ok, plan)
        return ["\n".join(x for x in IncidentRenderer().done(changed[0]) if x)]
    out = []
    for d in ok:
        assert d.result is not None
        renderer = renderer_for(type(d.result))
        if isinstance(d.result, IncidentOut) and d.name == "update_incident":
            out.append("\n".join(x for x in IncidentRenderer().done(d.result) if x))
        else:
            out.append("\n".join(x for x in renderer.answer(d.result) if x))
    return out


def _outcome(failed: list[Done]) -> str:
    first = failed[0]
    if first.rejected:
        return "answer"
    if first.error_kind in REFUSE:
        return "refuse"
    return "clarify" if first.error_kind in CLARIFY else "answer"


def _failure(d: Done) -> str:
    if d.rejected:
        return "Cancelled: nothing was changed."
    if d.error_kind in REFUSE:
        return f"I can't do that: {d.error}"
    return f"I could not answer that: {d.error}"


def _subjects(plan: Plan, ok: list[Done]) -> list[str]:
    if plan.kind == "rank":
        ranked = results(ok, RankResult)
        if ranked and ranked[0].ranking:
            top = plan.detail.get("top") or 1
            order = ranked[0].ranking[::-1] if plan.detail.get("less") else ranked[0].ranking
            return [x.meter for x in order[:top]]
    found: list[str] = []
    for d in ok:
        assert d.result is not None
        found += renderer_for(type(d.result)).subjects(d.result)
    return list(dict.fromkeys(m for m in found if m))


def _ranked(ok: list[Done]) -> list[str]:
    """The meters one result set against each other, the largest first; none when several
    results did (which figure "the bigger one" is of would be a guess)."""
    ranks = [renderer_for(type(d.result)).ranked(d.result) for d in ok if d.result is not None]
    ranks = [r for r in ranks if r]
    return ranks[0] if len(ranks) == 1 else []


def _shown_incidents(plan: Plan, ok: list[Done]) -> list[IncidentOut]:
    shown = [i for i in results(ok, IncidentOut)]
    listings = results(ok, IncidentList)
    found = [i for x in listings for i in x.incidents]
    if plan.kind == "incident_one" or len(found) == 1:
        shown += _of_kinds(found, plan.detail.get("kinds", ()))[:1]
    return shown[:1]


def _of_kinds(found: list[IncidentOut], kinds: tuple[str, ...]) -> list[IncidentOut]:
    """The incidents, those of the kinds the question named first ("the leak": consumption
    above expected), newest first within each."""
    return sorted(found, key=lambda i: bool(kinds) and i.kind not in kinds)


def _which_incident(ok: list[Done], plan: Plan) -> list[str]:
    """No change was proposed: the active incidents found, and which one is asked back."""
    listing = next(iter(results(ok, IncidentList)), None)
    action = str(plan.detail.get("then", {}).get("action", "acknowledge"))
    lines = IncidentListRenderer().answer(listing) if listing is not None else []
    return ["\n".join(lines), ASK_WHICH.format(verb=action)]


WEIGHED = {"cost": "cost", "extra_kwh": "extra energy", "co2_kg": "CO2"}


def _weighed(shown: list[IncidentOut], field_: str) -> list[str]:
    """Two incidents weighed by what they kept (cost, extra energy or CO2): which was the
    larger and by how much; each incident's own line below, so both figures can be checked."""
    what = WEIGHED.get(field_, field_)
    lines = [line(i) for i in shown]
    values = [getattr(i, field_) for i in shown]
    if len(shown) != 2 or any(v is None for v in values):
        missing = ", ".join(f"#{i.id}" for i, v in zip(shown, values, strict=True) if v is None)
        return [
            "\n".join(
                [f"I cannot weigh them by {what}: incident {missing} has none on record.", *lines]
            )
        ]
    (a, va), (b, vb) = sorted(zip(shown, values, strict=True), key=lambda x: -float(x[1]))

    def said(value: float, i: IncidentOut) -> str:
        if field_ == "cost":
            return money(value, i.currency)
        return number(value, "kWh" if field_ == "extra_kwh" else "kg CO2e")

    if va == vb:
        head = f"Incidents #{a.id} and #{b.id} weigh the same by {what}: **{said(va, a)}** each."
    else:
        pct = f" ({percent(100.0 * (va - vb) / vb, signed=False)} more)" if vb else ""
        head = (
            f"Incident #{a.id} ({a.meter}) was the worse by {what}: **{said(va, a)}** against "
            f"{said(vb, b)} for incident #{b.id} ({b.meter}), **{said(va - vb, a)} more**{pct}."
        )
    source = f"Source: incidents table, incidents #{a.id} and #{b.id}."
    return ["\n".join([head, *lines, source])]


def _one_incident(ok: list[Done], kinds: tuple[str, ...] = ()) -> list[str]:
    listings = results(ok, IncidentList)
    found = [i for x in listings for i in x.incidents]  # one listing per meter named
    if not found:
        return ["\n".join(IncidentListRenderer().answer(x)) for x in listings[:1]]
    ordered = _of_kinds(found, kinds)
    first, rest = ordered[0], ordered[1:6]
    lines = detail(first)
    if rest:
        lines += ["Other incidents:", *(line(i) for i in rest)]
    return ["\n".join([*lines, source_of(first)])]


# ------------------------------------------------------------------ direct answers


def _yes(q: Question, more: bool) -> str:
    """ "Yes, " or "No, " when the question was yes or no and said which way."""
    r = q.reading
    if not r.asks(Op.YES_NO):
        return ""
    asked_more = r.asks(Op.MORE) and not r.asks(Op.LESS)
    asked_less = r.asks(Op.LESS) and not r.asks(Op.MORE)
    if asked_more:
        return "Yes: " if more else "No: "
    if asked_less:
        return "Yes: " if not more else "No: "
    return ""


def _either_pair(q: Question) -> tuple[PeriodMention, PeriodMention] | None:
    """The two periods of "in September or October?", in the order typed; None otherwise."""
    r = q.reading
    named = [p for p in r.subject_periods if p.words.tokens and p.span is not None]
    if len(named) != 2 or not (r.asks(Op.MORE) ^ r.asks(Op.LESS)):
        return None
    a, b = sorted(named, key=lambda p: p.words.tokens[0])
    between = {t.norm for t in r.tokens[a.words.tokens[-1] + 1 : b.words.tokens[0]]}
    return (a, b) if "or" in between else None


def _first_named_change(q: Question, plan: Plan, r: CompareResult, c: Change) -> str:
    """The percent of an either question ("March or April, which was higher and by what %?"):
    the period named first set against the other one, so that its figure answers "by how
    much" of the month asked about first; named unless it is the one that won."""
    pair = _either_pair(q)
    named: tuple[str, ...] = tuple(plan.detail.get("named") or ())
    assert pair is not None and pair[0].span is not None and c.difference is not None
    first_is_reference = len(named) == 2 and pair[0].span.period == named[-1]
    if not first_is_reference:
        pct, first = c.percent, r.period
    else:
        pct = -100.0 * c.difference / c.value if c.value else None
        first = r.reference
    first_won = (c.difference > 0) != first_is_reference
    change = f"**{_change(pct, 'more' if (pct or 0.0) > 0 else 'less')}**"
    return change if first_won else f"{_month_text(first, bare=True)}: {change}"


def _either(q: Question, plan: Plan, more: bool) -> str:
    """ "October: " when the question asked which of two periods ("in September or October"),
    in the question's own words; "" otherwise."""
    pair = _either_pair(q)
    if pair is None:
        return ""
    r = q.reading
    named = list(pair)
    first_wins = more == r.asks(Op.MORE)
    # the periods as named: a running one was cut to the time elapsed, both by their dates
    asked = plan.detail.get("named") or (plan.detail.get("first"), plan.detail.get("reference"))
    wanted = asked[0] if first_wins else asked[1]
    winner = next((p for p in named if p.span is not None and p.span.period == wanted), None)
    if winner is None:
        return ""
    assert winner.span is not None
    # the period's own name ("September 2026"), not the words typed ("sept")
    text = winner.span.label or winner.words.text
    return f"{text[:1].upper()}{text[1:]}: "


def _month_text(period: dict[str, Any], *, bare: bool = False) -> str:
    """ "in September 2026" for a whole calendar month, so that the answer names the month
    that used more; any other period as period_text writes it."""
    start = datetime.fromisoformat(period["start"])
    end = datetime.fromisoformat(period["end"])
    whole = start.day == end.day == 1 and start.time() == end.time() == time(0)
    if not whole or (end.year * 12 + end.month) - (start.year * 12 + start.month) != 1:
        return period_text(period, bare=bare)
    return f"{start:%B %Y}" if bare else f"in {start:%B %Y}"


def _change(value: float | None, way: str) -> str:
    """A change with its direction in words ("13.8% less"), never a bare sign."""
    return "no change" if value is None else f"{percent(abs(value), signed=False)} {way}"


@headline("anomaly")
def anomaly(q: Question, plan: Plan, done: list[Done]) -> list[str]:
    """What the events listed stand for, before them, when the question named a fault the
    tool has no kind for ("I cannot detect short cycling ...")."""
    return [str(x) for x in plan.detail.get("lead", ())]


@headline("compare_periods")
def _periods(q: Question, plan: Plan, done: list[Done]) -> list[str]:
    lines = []
    for r in results(done, CompareResult):
        changes = list(r.changes)
        if r.combined is not None and len(plan.detail.get("sides", ())) == 1:
            changes = [r.combined]
        for c in changes:
            when_, ref = _month_text(r.period), _month_text(r.reference, bare=True)
            if c.reference_value is None:
                # its own period's figure alone is no answer to a comparison: not stated
                since = f"; its history begins on {c.history_from}" if c.history_from else ""
                lines.append(
                    f"There is no data for **{c.meter}** in the period to compare with ({ref}"
                    f"{since}), so no comparison can be made for it."
                )
                continue
            if c.value is None or c.difference is None:
                lines.append(f"There is no data for **{c.meter}** {when_}, so there is no change.")
                continue
            more = c.difference > 0
            either = _either(q, plan, more)
            way = "more" if more else "less"
            change = f"**{_change(c.percent, way)}**"
            value, against = c.value, c.reference_value
            if either and more != q.reading.asks(Op.MORE):
                # "more in September or October?": the period that won is the subject, so the
                # gap is said the way the question asked it ("how much more?")
                when_, ref = _month_text(r.reference), _month_text(r.period, bare=True)
                value, against, more = c.reference_value, c.value, not more
                way = "more" if more else "less"
            if either:
                change = _first_named_change(q, plan, r, c)
            if r.statistic == "per_day":
                ref = f"an average day of {ref}"
            lines.append(
                f"{either or _yes(q, more)}**{c.meter}** used "
                f"**{number(abs(c.difference), r.unit)} {way}** "
                f"{when_} than {'on' if r.statistic == 'per_day' else 'in'} {ref} ({change}): "
                f"{number(value, r.unit)} vs {number(against, r.unit)}."
            )
    return lines


@headline("compare_kpi")
def _kpi_periods(q: Question, plan: Plan, done: list[Done]) -> list[str]:
    values = results(done, KpiResult)
    lines = []
    for first, second in zip(values[::2], values[1::2], strict=False):
        name = KPI_NAMES.get(first.kpi, first.kpi)
        if not second.value:
            continue
        change = (first.value / second.value - 1) * 100
        more = first.value > second.value
        gap = ""
        if first.kpi in ADDITIVE_KPIS:
            # "what's the extra worth": an amount's difference is a figure of its own
            apart = first.model_copy(update={"value": abs(first.value - second.value)})
            gap = f"{kpi_value(apart)} {'more' if more else 'less'}, "
        lines.append(
            f"{_yes(q, more)}**{first.meter}**'s {name} was **{kpi_value(first)}** "
            f"{period_text(first.period)} against {kpi_value(second)} "
            f"{period_text(second.period)}: "
            f"**{gap}{_change(change, 'higher' if more else 'lower')}**."
        )
    return lines


ADDITIVE_KPIS = frozenset({"energy", "cost", "carbon"})


@headline("kpi")
def _kpi_together(q: Question, plan: Plan, done: list[Done]) -> list[str]:
    """ "electricity plus gas": an additive KPI of meters that could not be added interval by
    interval (other carriers), summed per period and unit; and the sum of the meters asked
    side by side ("emissions of comp1 and comp2"), each still given below it."""
    if not (plan.detail.get("together") or plan.detail.get("added")):
        return []
    groups: dict[tuple[str, str, str], list[KpiResult]] = {}
    for r in results(done, KpiResult):
        if r.kpi in ADDITIVE_KPIS:
            key = (r.kpi, str(sorted(r.period.items())), r.unit)
            groups.setdefault(key, []).append(r)
    lines = []
    for (kpi, _, unit), found in groups.items():
        if len({r.meter for r in found}) < 2:
            continue
        names = " + ".join(r.meter for r in found)
        total = sum(r.value for r in found)
        stated = f"**{number(total, unit)}**"
        if unit == "kg CO2e" and any(u.unit == "t" for u in q.reading.units):
            stated = f"**{total / 1000:,.2f} t CO2e** ({number(total, unit)})"
        lines.append(
            f"**{names}** {KPI_NAMES.get(kpi, kpi)} together: {stated} "
            f"{period_text(found[0].period)}."
        )
    return lines


@headline("compare_meters")
def _meters(q: Question, plan: Plan, done: list[Done]) -> list[str]:
    less = q.reading.asks(Op.WHICH_LESS, Op.LESS) and not q.reading.asks(Op.MORE, Op.WHICH_MORE)
    lines = [_winner(r, less) for r in results(done, MetersCompareResult)]
    if lines:
        return lines
    by_period: dict[str, list[KpiResult]] = {}
    for v in results(done, KpiResult):
        by_period.setdefault(str(sorted(v.period.items())), []).append(v)
    for values in by_period.values():
        if len(values) < 2:
            continue
        ranked = sorted(values, key=lambda v: v.value, reverse=not less)
        top, other = ranked[0], ranked[1]
        name = KPI_NAMES.get(top.kpi, top.kpi)
        word = "lower" if less else "higher"
        lines.append(
            f"**{top.meter}** had the {word} {name} {period_text(top.period)}: "
            f"**{kpi_value(top)}** against {other.meter}'s {kpi_value(other)}."
        )
    return lines


def _winner(r: MetersCompareResult, less: bool) -> str:
    """The side that used more (or less) in one period, and by how much."""
    known = [s for s in r.sides if s.value is not None]
    if len(known) < 2:
        who = known[0].label if known else "none of them"
        return f"Only {who} has data {period_text(r.period)}."
    ranked = sorted(known, key=lambda s: s.value or 0.0, reverse=not less)
    top, other = ranked[0], ranked[1]
    gap = abs((top.value or 0.0) - (other.value or 0.0))
    share = 100 * gap / (other.value or 1.0)
    way = "less" if less else "more"
    return (
        f"**{top.label}** used **{number(gap, r.unit)} {way}** than {other.label} "
        f"{period_text(r.period)} ({percent(share, signed=False)} {way}): "
        f"{number(top.value, r.unit)} vs {number(other.value, r.unit)}."
    )


@headline("share")
def _share(q: Question, plan: Plan, done: list[Done]) -> list[str]:
    return [
        f"**{r.meter}** was **{percent(r.percent, signed=False)}** of {r.whole} "
        f"{period_text(r.period)}."
        for r in results(done, ShareResult)
    ]


@headline("split")
def _split(q: Question, plan: Plan, done: list[Done]) -> list[str]:
    part = str(plan.detail.get("part") or "")
    lines = []
    for r in results(done, SplitResult):
        if r.by == "hour_of_day" and q.reading.asks(Op.MAX, Op.WHEN, Op.MIN):
            low = q.reading.asks(Op.MIN) and not q.reading.asks(Op.MAX)
            best = (min if low else max)(r.parts, key=lambda p: p.value)
            word = "lowest" if low else "highest"
            lines.append(
                f"**{r.meter}**'s load is {word} at **{best.name}** on average "
                f"{period_text(r.period)} ({number(best.value, r.unit)})."
            )
            continue
        if not part:
            continue
        found = [p for p in r.parts if p.name.lower().startswith(part.lower())]
        if not found:
            lines.append(f"**{r.meter}** has no '{part}' part {period_text(r.period)}.")
            continue
        p = found[0]
        share = f", **{p.share_percent:.1f}%** of its total" if p.share_percent is not None else ""
        lines.append(
            f"**{r.meter}** {p.name}: **{number(p.value, r.unit)}**{share} {period_text(r.period)}."
        )
    return lines


@headline("window")
def _window(q: Question, plan: Plan, done: list[Done]) -> list[str]:
    compared = plan.detail.get("compared")
    found = results(done, WindowResult)
    if compared and len(found) == 2:
        # the hours of two periods side by side: the first against the other, in the measure
        # asked (average kW or kWh)
        now, then = found
        a, b = {
            "average_power": (now.average_kw, then.average_kw),
            "peak_demand": (now.peak_kw, then.peak_kw),
        }.get(str(compared), (now.energy_kwh, then.energy_kwh))
        unit = "kWh" if compared == "energy" else "kW"
        what = str(compared).replace("_", " ")
        change = "" if not b else f": {_change((a - b) / b * 100, 'higher' if a >= b else 'lower')}"
        return [
            f"**{now.meter}** {what} {where(now)}: **{number(a, unit)}** "
            f"{period_text(now.period)} against **{number(b, unit)}** "
            f"{period_text(then.period)}{change}."
        ]
    if plan.detail.get("whole_days"):
        per_day = bool(plan.detail.get("per_day"))
        return [_days_average(r, per_day=per_day) for r in results(done, WindowResult)]
    if Kpi.PEAK_DEMAND in q.reading.kpis:
        return [_window_peak(r) for r in results(done, WindowResult)]
    if not q.reading.asks(Op.PERCENT, Op.SHARE):
        return []
    return [
        f"**{r.share_percent:.1f}%** of {r.meter}'s energy {period_text(r.period)} was {where(r)}."
        for r in results(done, WindowResult)
    ]


def _window_peak(r: WindowResult) -> str:
    """ "peak demand between 22:00 and 06:00": the highest interval demand inside the window
    and when it began; the window's energy follows as context."""
    return (
        f"**{r.meter}** peak demand {where(r)} {period_text(r.period)}: "
        f"**{number(r.peak_kw, 'kW')}** (the highest {r.peak_minutes}-minute demand), in the "
        f"interval starting {when(r.peak_at)}."
    )


def _days_average(r: WindowResult, *, per_day: bool) -> str:
    """ "Mon-Fri last week: 11,655 kWh per day": the energy of those days of the week over
    how many of them the period holds, or its average power over their metered hours."""
    days = sum(1 for d in _local_days(r.period) if d.weekday() in r.days)
    which = day_names(r.days)
    if per_day and days:
        each = number(r.energy_kwh / days, "kWh")
        return (
            f"**{r.meter}** on {which} {period_text(r.period)}: **{each} per day** on average "
            f"({number(r.energy_kwh, 'kWh')} over {days} days)."
        )
    return (
        f"**{r.meter}** on {which} {period_text(r.period)}: an average of "
        f"**{number(r.average_kw, 'kW')}** ({number(r.energy_kwh, 'kWh')} over "
        f"{number(r.metered_hours, 'hours')})."
    )


def _local_days(period: dict[str, str]) -> list[date]:
    """The local calendar days a period touches, up to its end (exclusive)."""
    start = datetime.fromisoformat(period["start"])
    end = datetime.fromisoformat(period["end"])
    first, last = start.date(), (end - timedelta(microseconds=1)).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@headline("series")
def _series(q: Question, plan: Plan, done: list[Done]) -> list[str]:
    """ "the biggest day of the line this month": the extreme step asked comes first, before the
    period's total and the series it is picked from; a step still running is not picked."""
    asked = [(Op.MAX, "highest", max), (Op.MIN, "lowest", min)]
    lines = []
    for r in results(done, QueryResult):
        by_meter: dict[str, list[tuple[str, float]]] = {}
        for p in r.points:
            by_meter.setdefault(p.meter, []).append((p.start, p.value))
        for meter, points in by_meter.items():
            if r.period.get("so_far") and len(points) > 1:
                points = points[:-1]  # the step still running is no day (week) of its own yet
            for op, word, pick in asked:
                if q.reading.asks(op):
                    at, value = pick(points, key=lambda p: p[1])
                    lines.append(
                        f"**{meter}** {word} {r.grain}: **{number(value, r.unit)}** "
                        f"({step(at, r.grain)}), {period_text(r.period)}."
                    )
    return lines


@headline("total")
def _total(q: Question, plan: Plan, done: list[Done]) -> list[str]:
    lines = []
    for r in results(done, QueryResult):
        if r.combined is not None and any(len(s) > 1 for s in plan.detail.get("sides", ())):
            names = " + ".join(t.meter for t in r.totals)
            lines.append(
                f"**{names}** together: **{number(r.combined, r.unit)}** {period_text(r.period)}."
            )
    return lines


@headline("remainder")
def _remainder(q: Question, plan: Plan, done: list[Done]) -> list[str]:
    """The meter's total less its sub-meters' per period: the calls come in pairs."""
    whole, parts = plan.detail.get("whole"), plan.detail.get("parts", ())
    found = results(done, QueryResult)
    lines = []
    for first, rest in zip(found[::2], found[1::2], strict=False):
        total = first.totals[0].value if first.totals else None
        metered = [t.value for t in rest.totals]
        if total is None or any(v is None for v in metered):
            lines.append(f"I could not work out {whole}'s remainder: a meter has no readings.")
            continue
        left = total - sum(v for v in metered if v is not None)
        # the meter's own total and the sub-meters' follow in the body, each from its result
        share = f", {percent(100 * left / total, signed=False)} of its energy" if total else ""
        lines.append(
            f"**{whole}** minus {', '.join(parts)} (what no sub-meter sees): "
            f"**{number(left, first.unit)}** {period_text(first.period)}{share}."
        )
    return lines


@headline("rank")
def _rank(q: Question, plan: Plan, done: list[Done]) -> list[str]:
    for r in results(done, RankResult):
        if not r.ranking:
            return []
        less = bool(plan.detail.get("less"))
        x = r.ranking[-1] if less else r.ranking[0]
        word = "smallest" if less else "largest"
        share = f"{x.share_percent:.1f}% of the ranked meters"
        stated = _stated_total(plan, done, r.unit)
        if stated is not None:
            names, total = stated
            share = f"**{x.value / total * 100:.1f}%** of {names} ({number(total, r.unit)})"
        return [
            f"The {word} {r.metric} consumer {period_text(r.period)} was **{x.meter}** with "
            f"**{number(x.value, r.unit)}**, {share}."
        ]
    return []


def _stated_total(plan: Plan, done: list[Done], unit: str) -> tuple[str, float] | None:
    """The total a ranking's top is a share of, when the question spelled it out ("of the
    site's total (A + B)"): the meters' energy added up, in the ranking's unit."""
    meters = tuple(plan.detail.get("total_of") or ())
    for q in results(done, QueryResult):
        if meters and {t.meter for t in q.totals} == set(meters) and q.unit == unit:
            total = sum(t.value for t in q.totals if t.value is not None)
            return (" + ".join(meters), total) if total > 0 else None
    return None


@headline("report")
def _report_part(q: Question, plan: Plan, done: list[Done]) -> list[str]:
    """ "the report, I need the gas figure": the meters or carriers the question names, from the
    report's own rows, before the whole report, so the figure asked for is the one given first."""
    named = set(q.reading.meter_names)
    named |= {m for c in q.reading.carriers for m in c.meters}
    lines = []
    for r in results(done, MonthlyReport):
        for m in r.meters:
            if m.meter not in named or m.energy_kwh is None:
                continue
            extra = [number(m.cost, m.currency) if m.cost is not None else ""]
            extra.append(number(m.co2_kg, "kg CO2e") if m.co2_kg is not None else "")
            more = ", ".join(x for x in extra if x)
            lines.append(
                f"**{m.meter}** ({m.carrier}) {_month_text(r.period)}: "
                f"**{number(m.energy_kwh, 'kWh')}**{f' ({more})' if more else ''}, "
                "from the report below."
            )
    return lines


@headline("rank_kpi")
def _rank_kpi(q: Question, plan: Plan, done: list[Done]) -> list[str]:
    values = results(done, KpiResult)
    if not values:
        return []
    less = bool(plan.detail.get("less"))
    ranked = sorted(values, key=lambda v: v.value, reverse=not less)
    first = ranked[0]
    name = KPI_NAMES.get(first.kpi, first.kpi)
    lines = [f"Meters by {name} {period_text(first.period)}:"]
    lines += [f"{i}. **{v.meter}**: {kpi_value(v)}" for i, v in enumerate(ranked, 1)]
    return ["\n".join(lines)]
