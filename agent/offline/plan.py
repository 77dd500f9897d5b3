"""From a read question to tool calls, or to a question back when something needed is missing
or ambiguous, or to a refusal when the request is not something the agent may do."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from agent.offline import incidents, knowledge
from agent.offline.meters import Catalogue
from agent.offline.phrases import Span, bounds, shift
from agent.offline.understand import Frame

HELP = (
    "I answer questions about this site's meters: energy and demand, costs, carbon, KPIs such "
    "as SEC and load factor, comparisons and rankings, baselines, anomalies, data gaps, "
    "forecasts and alert rules; and what the runbooks, the ISO 50001 notes and past incidents "
    'say. For example: "What was compressor-2\'s peak demand last week?", "Is the chiller above '
    'its baseline this month?" or "How do I check a stuck meter?"'
)
ASK_PERIOD = "For which period? For example 'yesterday', 'last week', 'this month' or 'September'."
# An identifier-looking word the catalogue does not know ("pump-7", "line-c"): passed on so
# the tool can say there is no such meter and list the closest names.
UNKNOWN_ID = re.compile(
    r"\b(?!(?:q|w|kw|cw|week)\b)([a-z]{2,}[- ]?(?:\d{1,3}|[a-z])(?:-[a-z0-9]+)?)\b"
)


@dataclass(frozen=True)
class Call:
    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Decision:
    calls: tuple[Call, ...] = ()
    message: str | None = None
    outcome: str = "answer"  # answer | clarify | refuse
    notes: tuple[str, ...] = field(default=())  # assumptions to state in the answer


def ask(message: str) -> Decision:
    return Decision(message=message, outcome="clarify")


def refuse(message: str) -> Decision:
    return Decision(message=message, outcome="refuse")


# A question comparing the sites of a portfolio ("which site used the most per m2?").
PORTFOLIO = re.compile(
    r"\b(?:which|what)\s+(?:of\s+(?:our|the|my)\s+)?(?:sites?|plants)\b|"
    r"\b(?:rank|ranking|compare|across|between|among)\b.*\b(?:sites|plants)\b|\bper site\b"
)
SITE_INTENTS = (None, "query", "kpi", "rank", "rank_kpi", "compare")


def plan(frame: Frame, cat: Catalogue, now: datetime, tools: set[str], question: str) -> Decision:
    """The tool calls that answer `frame`, or a message instead."""
    if "rank_sites" in tools and frame.intent in SITE_INTENTS and PORTFOLIO.search(frame.text):
        return _rank_sites(frame)
    handler = HANDLERS.get(frame.intent or "")
    if handler is None:
        if frame.meters or frame.ambiguous or frame.metric != "energy":
            return _query(frame, cat, now, tools, question)
        if re.search(r"\b(?:hi|hello|hey|help|what can you do|who are you)\b", frame.text):
            return Decision(message=HELP)
        if len(frame.text.split()) <= 5 and re.search(
            r"\b(?:it|this|that|they|those)\b", frame.text
        ):
            return ask(
                "What should I look at? Name a meter or a period, e.g. 'the chiller "
                "last week'. " + HELP
            )
        return refuse("That is outside what I can help with. " + HELP)
    return handler(frame, cat, now, tools, question)


# ------------------------------------------------------------------------------ helpers


def _period(frame: Frame, index: int = 0) -> Span | None:
    plain = [p for p in frame.periods if not p.relative]
    return plain[index] if len(plain) > index else None


def _meters(
    frame: Frame, cat: Catalogue, question: str, *, default_site: bool
) -> Decision | list[str]:
    """The meters to use, a question back when a name fits several, or the unknown name."""
    if frame.ambiguous:
        options = " or ".join(frame.ambiguous)
        return ask(f"Which {frame.ambiguous_word} do you mean: {options}? Or say 'both'.")
    if frame.meters:
        named = [_with_metric(name, frame.metric, cat) for name in frame.meters]
        carrying = [n for n in named if (m := cat.by_name(n)) is None or frame.metric in m.metrics]
        # "the boiler against outdoor temperature": the weather station is a driver, not a meter
        return carrying or named
    unknown = _unknown_name(question, cat)
    if unknown:
        return [unknown]
    if frame.metric != "energy":
        return [m.name for m in cat.with_metric(frame.metric)]
    site = cat.site_meter()
    if default_site and site is not None:
        return [site.name]
    return []


def _with_metric(name: str, metric: str, cat: Catalogue) -> str:
    """The meter that carries `metric` for a named one: line-b's production is line-b-output."""
    meter = cat.by_name(name)
    if meter is None or metric in meter.metrics:
        return name
    related = [m.name for m in cat.with_metric(metric) if m.name.startswith(name)]
    return related[0] if len(related) == 1 else name


def _unknown_name(question: str, cat: Catalogue) -> str | None:
    text = question.lower()
    known = {m.name for m in cat.meters} | {a for m in cat.meters for a in m.aliases}
    for m in UNKNOWN_ID.finditer(text):
        word = m.group(1)
        if word in known or re.fullmatch(
            r"(?:last|past|next|top|the|and|for|since|from|week|q)\s?\d+", word
        ):
            continue
        if re.fullmatch(r"[a-z]+-(?:\d+|[a-z])(?:-[a-z0-9]+)?", word):
            return word
    return None


def _needs_period(frame: Frame) -> Span | Decision:
    span = _period(frame)
    if span is None:
        return ask(ASK_PERIOD)
    return span


def _meters_and_period(
    frame: Frame, cat: Catalogue, question: str
) -> Decision | tuple[list[str], Span]:
    """The meters (the whole site when none is named) and the period, or a question back."""
    meters = _meters(frame, cat, question, default_site=True)
    if isinstance(meters, Decision):
        return meters
    span = _needs_period(frame)
    if isinstance(span, Decision):
        return span
    return meters, span


def _site_note(frame: Frame, meters: list[str], cat: Catalogue) -> tuple[str, ...]:
    site = cat.site_meter()
    if not frame.meters and site is not None and meters == [site.name] and not frame.site_wide:
        return (f"No meter was named, so this is the whole site ({site.name}).",)
    return ()


# ------------------------------------------------------------------------------ intents


def _query(frame: Frame, cat: Catalogue, now: datetime, tools: set[str], question: str) -> Decision:
    found = _meters_and_period(frame, cat, question)
    if isinstance(found, Decision):
        return found
    meters, span = found
    calls = []
    for period in [p for p in frame.periods if not p.relative][:4] or [span]:
        args: dict[str, Any] = {"meters": meters, "metric": frame.metric, "period": period.period}
        if frame.grain != "total":
            args["grain"] = frame.grain
        if frame.statistic != "auto":
            args["statistic"] = frame.statistic
        calls.append(Call("query_metric", args))
    return Decision(tuple(calls), notes=_site_note(frame, meters, cat))


def _kpi(frame: Frame, cat: Catalogue, now: datetime, tools: set[str], question: str) -> Decision:
    kpis = frame.kpis or (frame.kpi or "energy",)
    if kpis == ("energy",) or frame.metric != "energy":
        return _query(frame, cat, now, tools, question)
    if "sec" in kpis and not frame.meters and not frame.site_wide:
        lines = [m.name for m in cat.meters if cat.by_name(f"{m.name}-output") is not None]
        if len(lines) > 1:
            return ask(f"SEC of which line: {' or '.join(lines)}? Or say 'the whole site'.")
    found = _meters_and_period(frame, cat, question)
    if isinstance(found, Decision):
        return found
    meters, span = found
    calls = tuple(
        Call("compute_kpi", {"kpi": kpi, "meter": m, "period": span.period})
        for m in meters
        for kpi in kpis
    )
    return Decision(calls, notes=_site_note(frame, meters, cat))


# Ratios and extremes compare whole periods; amounts compare equal stretches of time.
INTENSIVE_KPIS = ("sec", "peak_demand", "load_factor", "base_load")


def _compare(
    frame: Frame, cat: Catalogue, now: datetime, tools: set[str], question: str
) -> Decision:
    meters = _meters(frame, cat, question, default_site=True)
    if isinstance(meters, Decision):
        return meters
    pair = _compared_periods(frame, now)
    if pair is None:
        return ask("Which periods should I compare? For example 'this month vs last month'.")
    first, reference = pair
    notes = _site_note(frame, meters, cat)
    if frame.kpi in INTENSIVE_KPIS:
        calls = tuple(
            Call("compute_kpi", {"kpi": frame.kpi, "meter": m, "period": p.period})
            for m in meters
            for p in (first, reference)
        )
        return Decision(calls, notes=notes)
    first, reference, so_far = _so_far(first, reference, now)
    if so_far:
        notes += (
            f"{so_far} is still running, so I compared it with the same length of time "
            "at the start of the reference period.",
        )
    args = {
        "meters": meters,
        "metric": frame.metric,
        "period": first.period,
        "reference": reference.period,
    }
    return Decision((Call("compare_periods", args),), notes=notes)


CURRENT = {
    "day": "today",
    "week": "this week",
    "month": "this month",
    "quarter": "this quarter",
    "year": "this year",
}
AFTER_THAN = re.compile(
    r"\b(?:than|compared (?:to|with)|vs\.?|versus|against|relative to)\s+(?:in |on |during )?$"
)


def _compared_periods(frame: Frame, now: datetime) -> tuple[Span, Span] | None:
    plain = [p for p in frame.periods if not p.relative]
    relative = [p for p in frame.periods if p.relative]
    if not plain:
        return None
    if len(plain) >= 2:
        return plain[0], plain[1]
    only = plain[0]
    if AFTER_THAN.search(frame.text[: only.at]):
        # "more than last month": the named period is the reference; the question is about now
        current = CURRENT[_grain_of(only, now)]
        return Span(current, current, None, None, 0), only
    kind = relative[0].relative if relative else "period before"
    reference = shift(only, kind or "period before", now)
    if only.period in CURRENT.values() and not relative:
        reference = _previous_keyword(only) or reference
    return only, reference


def _previous_keyword(span: Span) -> Span | None:
    previous = {
        "today": "yesterday",
        "this week": "last week",
        "this month": "last month",
        "this quarter": "last quarter",
        "this year": "last year",
    }.get(span.period)
    return Span(previous, previous, None, None, span.at) if previous else None


def _grain_of(span: Span, now: datetime) -> str:
    first, last = bounds(span, now)
    days = (last - first).days + 1
    if days <= 1:
        return "day"
    if days <= 7:
        return "week"
    if days <= 31:
        return "month"
    return "quarter" if days <= 92 else "year"


def _so_far(first: Span, reference: Span, now: datetime) -> tuple[Span, Span, str]:
    """A running period ("this week") against a whole one: both cut to the time elapsed."""
    if first.period not in CURRENT.values() or reference.relative:
        return first, reference, ""
    start, _ = bounds(first, now)
    ref_start, _ = bounds(reference, now)
    begin = datetime.combine(start, datetime.min.time(), tzinfo=now.tzinfo)
    elapsed = now - begin
    if elapsed.total_seconds() <= 0:
        return first, reference, ""
    ref_begin = datetime.combine(ref_start, datetime.min.time(), tzinfo=now.tzinfo)
    fmt = "%Y-%m-%dT%H:%M"
    running = Span(f"{start.isoformat()}..{now:{fmt}}", first.label, start, None, first.at)
    ref_end = ref_begin + elapsed
    cut = Span(f"{ref_start.isoformat()}..{ref_end:{fmt}}", reference.label, ref_start, None, 0)
    return running, cut, first.label.capitalize()


def _rank(frame: Frame, cat: Catalogue, now: datetime, tools: set[str], question: str) -> Decision:
    span = _needs_period(frame)
    if isinstance(span, Decision):
        return span
    # the smallest consumers are at the end of a full ranking
    top = 100 if frame.ascending else frame.number or 10
    args: dict[str, Any] = {"period": span.period, "top": top}
    if frame.kind:
        args["kind"] = frame.kind
    return Decision((Call("rank_meters", args),))


def _rank_sites(frame: Frame) -> Decision:
    """The portfolio: per m2 when the question says so, else the sites' totals."""
    span = _needs_period(frame)
    if isinstance(span, Decision):
        return span
    measure = frame.kpi if frame.kpi in ("cost", "carbon") else "energy"
    args: dict[str, Any] = {
        "period": span.period,
        "measure": measure,
        "per_m2": "intensity" in frame.kpis,
    }
    if frame.kind:
        args["carrier"] = frame.kind
    if re.search(
        r"\ball (?:the )?(?:energy|carriers)\b|\bcarriers? (?:together|combined)\b", frame.text
    ):
        args["mix_carriers"] = True
    return Decision((Call("rank_sites", args),))


def _split(frame: Frame, cat: Catalogue, now: datetime, tools: set[str], question: str) -> Decision:
    found = _meters_and_period(frame, cat, question)
    if isinstance(found, Decision):
        return found
    meters, span = found
    by = frame.split_by or "weekday_weekend"
    calls = tuple(
        Call("split_consumption", {"meter": m, "period": span.period, "by": by}) for m in meters
    )
    return Decision(calls, notes=_site_note(frame, meters, cat))


def _recent(frame: Frame) -> tuple[str, tuple[str, ...]]:
    span = _period(frame)
    if span is not None:
        return span.period, ()
    return "last 7 days", ("No period was given, so I checked the last 7 days.",)


def _coverage(
    frame: Frame, cat: Catalogue, now: datetime, tools: set[str], question: str
) -> Decision:
    meters = _meters(frame, cat, question, default_site=False)
    if isinstance(meters, Decision):
        return meters
    period, notes = _recent(frame)
    args: dict[str, Any] = {"meters": meters, "period": period}
    named = [cat.by_name(m) for m in meters]
    metrics = {m.metrics[0] for m in named if m is not None and m.metrics}
    if len(metrics) == 1 and "energy" not in {x for m in named if m for x in m.metrics}:
        args["metric"] = metrics.pop()  # the weather station's coverage is of its temperature
    return Decision((Call("data_coverage", args),), notes=notes)


def _rank_kpi(
    frame: Frame, cat: Catalogue, now: datetime, tools: set[str], question: str
) -> Decision:
    """A ranking by a KPI other than energy: the KPI of every end-use meter."""
    span = _needs_period(frame)
    if isinstance(span, Decision):
        return span
    meters = [m.name for m in cat.with_metric("energy") if not m.is_total]
    if frame.kind:
        meters = [m for m in meters if (info := cat.by_name(m)) and info.kind == frame.kind]
    calls = tuple(
        Call("compute_kpi", {"kpi": frame.kpi, "meter": m, "period": span.period}) for m in meters
    )
    return Decision(calls)


def _anomaly(
    frame: Frame, cat: Catalogue, now: datetime, tools: set[str], question: str
) -> Decision:
    meters = _meters(frame, cat, question, default_site=False)
    if isinstance(meters, Decision):
        return meters
    period, notes = _recent(frame)
    return Decision((Call("detect_anomalies", {"meters": meters, "period": period}),), notes=notes)


def _baseline(
    frame: Frame, cat: Catalogue, now: datetime, tools: set[str], question: str
) -> Decision:
    frame = replace(frame, metric="energy")  # temperature is a driver here, not the subject
    meters = _meters(frame, cat, question, default_site=True)
    if isinstance(meters, Decision):
        return meters
    # a baseline models energy; a weather station named as its driver is not modelled
    energy = [m for m in meters if (info := cat.by_name(m)) is None or "energy" in info.metrics]
    meters = energy or meters
    notes: tuple[str, ...] = _site_note(frame, meters, cat)
    baseline, reporting = _baseline_periods(frame, now)
    if reporting is None and baseline is None:
        reporting = Span("this month", "this month", None, None, 0)
        notes += ("No reporting period was given, so I used this month so far.",)
    if baseline is None:
        assert reporting is not None
        first, _ = bounds(reporting, now)
        start = first - relativedelta(months=12)
        baseline = _range(start, first - timedelta(days=1))
    args = {"baseline": baseline.period} | ({"reporting": reporting.period} if reporting else {})
    calls = tuple(Call("energy_baseline", {"meter": m, **args}) for m in meters)
    return Decision(calls, notes=notes)


FIT_WORDS = re.compile(r"\b(?:fit|fitted|train\w*|build|using|based on|from the data of|model)\b")


def _baseline_periods(frame: Frame, now: datetime) -> tuple[Span | None, Span | None]:
    """(baseline, reporting): a long period named with "fit"/"using" is the baseline; the
    other period is the reporting period."""
    plain = [p for p in frame.periods if not p.relative]
    baseline = reporting = None
    for span in plain:
        first, last = bounds(span, now)
        if (last - first).days >= 180 and FIT_WORDS.search(frame.text) and baseline is None:
            baseline = span
        elif reporting is None:
            reporting = span
    return baseline, reporting


def _range(first: date, last: date) -> Span:
    return Span(f"{first.isoformat()}..{last.isoformat()}", "", first, last, 0)


def _forecast(
    frame: Frame, cat: Catalogue, now: datetime, tools: set[str], question: str
) -> Decision:
    meters = _meters(frame, cat, question, default_site=True)
    if isinstance(meters, Decision):
        return meters
    meter = cat.by_name(meters[0])
    if meter is not None and "energy" not in meter.metrics:
        return refuse(
            f"I forecast energy and demand of this site's meters; {meter.name} measures "
            f"{', '.join(meter.metrics)}, which I do not forecast (and I have no weather service)."
        )
    horizon = (
        "7d"
        if re.search(r"\b(?:next|coming) (?:week|7 days|seven days)\b|\bweek ahead\b", frame.text)
        else "24h"
    )
    args: dict[str, Any] = {"meter": meters[0], "horizon": horizon}
    t = frame.threshold
    if (
        t is not None
        and t.unit in ("kW", "")
        and t.value > 0
        and re.search(r"\b(?:exceed|limit|over|above|pass|hit|go over|reach|break|top)", frame.text)
    ):
        args["demand_limit_kw"] = t.value
    return Decision((Call("forecast", args),), notes=_site_note(frame, meters, cat))


def _alert_create(
    frame: Frame, cat: Catalogue, now: datetime, tools: set[str], question: str
) -> Decision:
    meters = _meters(frame, cat, question, default_site=frame.site_wide)
    if isinstance(meters, Decision):
        return meters
    if not meters:
        return ask(
            "Which meter should the alert rule watch? For example 'main-incomer' or 'compressor-2'."
        )
    t = frame.threshold
    if t is None:
        return ask(f"At what threshold should I alert on {meters[0]}? For example 'above 500 kW'.")
    unit = t.unit or {"sec": "kWh/unit", "peak_demand": "kW"}.get(frame.kpi or "", "")
    target = {"kWh/unit": "sec", "kW": "demand", "kWh": "energy"}.get(unit)
    args: dict[str, Any] = {"meter": meters[0], "condition": t.condition, "threshold": t.value}
    if target is None and unit == "degC":
        args.update(target="metric", metric="outdoor_temperature", unit="degC")
    elif target is None:
        return ask(f"In which unit is {t.value:g}: kW (demand), kWh (energy) or kWh/unit (SEC)?")
    else:
        args.update(target=target, unit=unit)
    default_window = {"sec": "day", "energy": "hour"}.get(str(args["target"]), "15min")
    args["window"] = frame.window or default_window
    if re.search(r"\b(?:critical|urgent|immediately|asap)\b", frame.text):
        args["severity"] = "critical"
    channel = re.search(r"(#[a-z0-9_-]+)", frame.text)
    if channel:
        args["channel"] = channel.group(1)
    return Decision((Call("create_alert_rule", args),))


def _alert_update(
    frame: Frame, cat: Catalogue, now: datetime, tools: set[str], question: str
) -> Decision:
    if frame.number is None:
        return ask(
            "Which rule? Give its number, e.g. 'delete rule 3'; 'list alert rules' shows them."
        )
    args: dict[str, Any] = {"rule_id": frame.number}
    text = frame.text
    if re.search(r"\b(?:delete|remove)\b", text):
        args["delete"] = True
    elif re.search(r"\b(?:disable|turn off|switch off|pause)\b", text):
        args["enabled"] = False
    elif re.search(r"\b(?:enable|turn on|switch on)\b", text):
        args["enabled"] = True
    else:
        rest = re.sub(r"\brule\s*(?:#|no\.?|number)?\s*\d+", " ", text)
        t = _threshold_in(rest)
        if t is None:
            return ask(
                f"What should change on rule {frame.number}: its threshold, or switch it on or off?"
            )
        args["threshold"] = t
    return Decision((Call("update_alert_rule", args),))


def _threshold_in(text: str) -> float | None:
    m = re.search(r"(?:to|at|=)\s*(-?\d+(?:\.\d+)?)", text) or re.search(r"(-?\d+(?:\.\d+)?)", text)
    return float(m.group(1)) if m else None


def _alert_action(
    frame: Frame, cat: Catalogue, now: datetime, tools: set[str], question: str
) -> Decision:
    action = "resolve" if re.search(r"\b(?:resolve|close)\b", frame.text) else "acknowledge"
    args: dict[str, Any] = {"alert_id": frame.number, "action": action}
    note = re.search(r"(?:note|because|with|:)\s*(.+)$", question, flags=re.IGNORECASE)
    if note and len(note.group(1).strip()) > 2:
        args["note"] = note.group(1).strip().strip("\"'")
    return Decision((Call("update_alert", args),))


def _alert_rules(
    frame: Frame, cat: Catalogue, now: datetime, tools: set[str], question: str
) -> Decision:
    args = {"meter": frame.meters[0]} if frame.meters else {}
    return Decision((Call("list_alert_rules", args),))


def _alert_list(
    frame: Frame, cat: Catalogue, now: datetime, tools: set[str], question: str
) -> Decision:
    state = "active"
    if re.search(r"\backnowledged\b", frame.text) and re.search(
        r"\b(?:not|un|still)\w*\s*(?:yet )?resolved|\bstill open\b", frame.text
    ):
        state = "acknowledged"
    elif re.search(r"\bresolved\b", frame.text):
        state = "resolved"
    elif re.search(r"\b(?:all|history|ever)\b", frame.text):
        state = "all"
    elif re.search(r"\bunacknowledged\b", frame.text):
        state = "open"
    return Decision((Call("list_alerts", {"state": state}),))


SQL_STATEMENT = re.compile(
    r"\b(?:(?:select|with)\b.+\bfrom\b|(?:drop|delete|update|insert|alter|create|truncate|pragma|"
    r"attach|grant|replace)\s+(?:table|from|into|database|index|view|\w+\s+set)\b).*",
    flags=re.IGNORECASE | re.DOTALL,
)
AGGREGATES = [
    ("count(*)", r"\b(?:count|how many|number of)\b"),
    ("max(value)", r"\b(?:largest|max\w*|highest|biggest|peak)\b"),
    ("min(value)", r"\b(?:smallest|min\w*|lowest)\b"),
    ("avg(value)", r"\b(?:average|avg|mean)\b"),
    ("sum(value)", r"\b(?:total|sum)\b"),
]
METER_COLUMNS = {
    "floor area": "floor_area_m2",
    "description": "description",
    "parent": "parent_id",
    "alias": "aliases",
    "tag": "tags",
}


def _sql(frame: Frame, cat: Catalogue, now: datetime, tools: set[str], question: str) -> Decision:
    statement = SQL_STATEMENT.search(question)
    if statement is not None:
        return Decision((Call("run_sql", {"sql": statement.group(0).strip().rstrip(";").strip()}),))
    written = _sql_from_words(frame, now)
    if written is None and re.search(
        r"\b(?:delete|drop|erase|wipe|truncate|update|insert|alter|overwrite)\b", frame.text
    ):
        return _destroy(frame, cat, now, tools, question)
    if written is None:
        return ask(
            "Which SQL should I run? Give one SELECT statement, or ask in words, e.g. "
            "'count the readings of the chiller'."
        )
    return Decision((Call("run_sql", {"sql": written}),))


def _sql_from_words(frame: Frame, now: datetime) -> str | None:
    """A SELECT for the common asks in words: an aggregate of a meter's readings, or the meters
    that have some property."""
    text = frame.text
    if re.search(r"\b(?:how many|number of|count(?: the| of)?)\s+meters\b", text):
        return "SELECT count(*) AS meters FROM meters"
    for words, column in METER_COLUMNS.items():
        if re.search(rf"\bmeters?\b.*\b{words}", text):
            return f"SELECT name, {column} FROM meters WHERE {column} IS NOT NULL ORDER BY name"
    aggregate = next((agg for agg, p in AGGREGATES if re.search(p, text)), None)
    if aggregate is None or not frame.meters:
        return None
    names = ", ".join(f"'{m}'" for m in frame.meters)
    where = f"meter IN ({names}) AND metric = '{frame.metric}'"
    t = frame.threshold
    if t is not None and t.unit in ("kWh", "") and aggregate == "count(*)":
        where += f" AND value {t.condition} {t.value:g}"
    span = next((p for p in frame.periods if not p.relative), None)
    if span is not None:
        from tools.periods import resolve_period

        period = resolve_period(span.period, now, str(now.tzinfo))
        where += f" AND ts >= {period.start_ts} AND ts < {period.end_ts}"
    return f"SELECT meter, {aggregate} AS value FROM meter_readings WHERE {where} GROUP BY meter"


def _destroy(
    frame: Frame, cat: Catalogue, now: datetime, tools: set[str], question: str
) -> Decision:
    return refuse(
        "I can't delete or change stored meter data: the store is read-only to me, so that "
        "nothing recorded is ever lost. Corrected readings can be re-imported with "
        "`ems-agent import-csv`, which replaces the values it corrects."
    )


def _knowledge(
    frame: Frame, cat: Catalogue, now: datetime, tools: set[str], question: str
) -> Decision:
    if "search_knowledge" in tools:
        query = knowledge.search_query(frame.text, frame.meters, frame.extras.get("context", ""))
        args = {"query": query, "collection": frame.extras.get("collection", "documents"), "k": 6}
        return Decision((Call("search_knowledge", args),))
    return refuse(
        "I have no manuals or runbooks to search in this installation yet, so I can't quote "
        "one. I can look at the meter data instead, e.g. anomalies or a baseline."
    )


MONTH = re.compile(
    r"\b(\d{4}-\d{2}|(?:this|last|previous|current) month|(?:jan|feb|mar|apr|may|jun|jul|aug|"
    r"sep|oct|nov|dec)[a-z]*(?: \d{4})?)\b"
)


def _report(
    frame: Frame, cat: Catalogue, now: datetime, tools: set[str], question: str
) -> Decision:
    """The monthly report of the month named (the tool reads the words), else last month."""
    if "monthly_report" not in tools:
        return refuse("This installation does not make monthly reports.")
    found = MONTH.search(frame.text)
    notes = () if found else ("No month was given, so this is last month's report.",)
    month = found.group(1) if found else "last month"
    return Decision((Call("monthly_report", {"month": month}),), notes=notes)


def _no_incidents(tools: set[str], name: str) -> Decision | None:
    if name in tools:
        return None
    return refuse(
        "This installation keeps no incidents I can read. I can look at the meter data "
        "instead, e.g. 'any anomalies last week?'."
    )


def _incident_list(
    frame: Frame, cat: Catalogue, now: datetime, tools: set[str], question: str
) -> Decision:
    missing = _no_incidents(tools, "list_incidents")
    if missing is not None:
        return missing
    has_period = _period(frame) is not None
    args: dict[str, Any] = {"state": incidents.state_of(frame.text, has_period)}
    # the tool lists newest first; a period is applied to what it returns, so ask for more
    args["limit"] = 200 if has_period else 20
    meters: list[str | None] = [*frame.meters[:3]] or [None]
    calls = tuple(Call("list_incidents", args | ({"meter": m} if m else {})) for m in meters)
    return Decision(calls)


def _incident_show(
    frame: Frame, cat: Catalogue, now: datetime, tools: set[str], question: str
) -> Decision:
    missing = _no_incidents(tools, "get_incident")
    if missing is not None:
        return missing
    if frame.number is not None:
        return Decision((Call("get_incident", {"incident_id": frame.number}),))
    # "what happened with the compressor-2 incident?": that meter's, the newest in full
    args: dict[str, Any] = {"state": "all", "limit": 200 if _period(frame) else 20}
    if frame.meters:
        args["meter"] = frame.meters[0]
    return Decision((Call("list_incidents", args),))


def _incident_action(
    frame: Frame, cat: Catalogue, now: datetime, tools: set[str], question: str
) -> Decision:
    missing = _no_incidents(tools, "update_incident")
    if missing is not None:
        return missing
    action = frame.extras.get("action") or incidents.action_of(frame.text)
    if frame.number is None:
        return ask(incidents.ASK_WHICH.format(verb=action))
    note = frame.extras.get("note") or incidents.note_of(question)
    if action == "resolve" and not note:
        return ask(incidents.ASK_NOTE.format(n=frame.number))
    args: dict[str, Any] = {"incident_id": frame.number, "action": action}
    if note:
        args["note"] = note
    return Decision((Call("update_incident", args),))


def _incident_cancel(
    frame: Frame, cat: Catalogue, now: datetime, tools: set[str], question: str
) -> Decision:
    return Decision(message=f"All right: incident #{frame.number} is left as it was.")


HANDLERS = {
    "query": _query,
    "kpi": _kpi,
    "compare": _compare,
    "rank": _rank,
    "rank_kpi": _rank_kpi,
    "split": _split,
    "coverage": _coverage,
    "anomaly": _anomaly,
    "baseline": _baseline,
    "forecast": _forecast,
    "alert_create": _alert_create,
    "alert_update": _alert_update,
    "alert_action": _alert_action,
    "alert_rules": _alert_rules,
    "alert_list": _alert_list,
    "sql": _sql,
    "destroy": _destroy,
    "knowledge": _knowledge,
    "incident_list": _incident_list,
    "incident_show": _incident_show,
    "incident_action": _incident_action,
    "incident_cancel": _incident_cancel,
    "report": _report,
}
