"""Questions that are not a figure of the meters: anomalies, baselines, forecasts, data
coverage, the knowledge library, alert rules and alerts, incidents, read-only SQL and the
monthly report."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from agent.offline import incidents, knowledge, refusals, scope
from agent.offline.kinds import kinds as kinds_data
from agent.offline.plan import Call, Plan, Question, ask, handles, refuse, say
from agent.offline.scope import Ask, Sides
from agent.reader import Intent, Kpi, Op, Pending, Reading, Reason
from agent.reader.dates import bounds
from agent.reader.lexicon import default_lexicon
from agent.reader.slots import Action, Comparison, Grain, PeriodRole, Threshold, TimeSpan
from agent.render.models import kinds_text
from common.units import METRIC_DIMENSIONS, is_unit, parse_unit, to_canonical

RECENT = "last 7 days"
NO_INCIDENTS = (
    "This installation keeps no incidents I can read. I can look at the meter data instead, "
    "e.g. 'any anomalies last week?'."
)


def _meters(q: Question, *, default_site: bool, metric: str = "energy") -> Sides | Plan:
    found = scope.sides(q.reading, q.site, metric, default_site=default_site)
    if isinstance(found, Ask):
        return found.plan()
    return found


def _recent(q: Question) -> tuple[str, tuple[str, ...]]:
    period = _narrowest(q)
    if period is not None:
        return period, ()
    return RECENT, ("No period was given, so I checked the last 7 days.",)


def _narrowest(q: Question) -> str | None:
    """The period a check runs over: of periods written one inside the other ("this month,
    between 01/08 and 12/08"), the inner one, which the outer only places; else the first."""
    spans = [p.span for p in q.subject_periods if p.span is not None]
    if len(spans) < 2:
        return q.period()
    days = [bounds(s, q.now) for s in spans]
    inner = min(range(len(spans)), key=lambda i: days[i][1] - days[i][0])
    first, last = days[inner]
    if all(a <= first and last <= b for a, b in days):
        return spans[inner].period
    return q.period()


@handles(Intent.REPORT)
def monthly_report(q: Question) -> Plan:
    """The monthly report of the month the question names, else last month's; a report asked
    to be sent somewhere is refused, saying how reports are sent and how to get this one."""
    if "monthly_report" not in q.tools:
        return refuse("This installation does not make monthly reports.")
    span = next((p.span for p in q.reading.subject_periods if p.span is not None), None)
    sending = _sending(q.reading)
    if sending:
        first = bounds(span, q.now)[0] if span is not None else None
        which = f"the {first:%B %Y}" if first is not None else "last month's"
        return refuse(
            f"I did not act on '{sending}': I can't send e-mail or messages, or put files in "
            "folders, myself. The monthly report goes out by itself on the site's first working "
            "day of each month to the report channels set up for the site (e-mail, Slack). To "
            f"pass this one on, ask me for {which} report here and forward its PDF link."
        )
    if span is None:
        notes: tuple[str, ...] = ("No month was given, so this is last month's report.",)
        return Plan("report", (Call("monthly_report", {"month": "last month"}),), notes=notes)
    month = f"{span.start:%Y-%m}" if span.start is not None else span.period
    notes = ()
    if span.start is not None and span.end is not None and span.end.month != span.start.month:
        notes = (f"A report covers one month, so this is {span.start:%B %Y}'s.",)
    return Plan("report", (Call("monthly_report", {"month": month}),), notes=notes)


def _sending(r: Reading) -> str:
    """The words asking for the report to be sent on ("e-mail me", "forward ... to my boss")."""
    said = [u.words.text for u in r.unsupported if u.reason is Reason.EXPORT and u.words.text]
    said += [c.words.text for c in r.cues if c.feature == "deliver" and c.words.text]
    said += [c.words.text for c in r.cues if c.feature == "channel" and c.words.text]
    # "send me the October report" in a chat is asking for it here, unless a channel or a
    # person it should go to is named too
    said = [w for w in said if not HERE.match(w)]
    return said[0] if said else ""


HERE = re.compile(r"^(?:send|sent|mail)(?: (?:me|us)(?: (?:the|a))?)?$", re.IGNORECASE)


# ------------------------------------------------------------------ checks and models


@handles(Intent.ANOMALY)
def anomalies(q: Question) -> Plan:
    r = q.reading
    if not (r.names_scope or r.periods) and r.referents and not r.inherited:
        return ask(
            "What should I look at? Name a meter or a period, e.g. 'the main meter last week'."
        )
    found = _meters(q, default_site=False)
    if isinstance(found, Plan):
        return found
    period, notes = _recent(q)
    meters = [] if found.how == scope.SITE else list(found.meters)  # the site: every meter
    args: dict[str, Any] = {"meters": meters, "period": period}
    asked, told = anomaly_kinds(q.reading)
    if asked:
        args["kinds"] = list(asked)
    calls = (Call("detect_anomalies", args),)
    return Plan("anomaly", calls, notes=notes, detail={"lead": told})


def _said(reading: Reading, words: Iterable[str]) -> list[str]:
    """The phrases of `words` the question holds as whole words, as listed."""
    text = " " + " ".join(t.norm for t in reading.tokens if t.norm.strip()) + " "
    return [w for w in words if f" {' '.join(w.lower().replace('-', ' - ').split())} " in text]


def anomaly_kinds(reading: Reading) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The anomaly tool's event kinds a question names ("stuck", "spikes") or implies by a
    fault it has no kind for ("leaks" show as consumption above expected), and what the
    answer must say of such a fault: how it shows, or that the tool cannot see it (then every
    kind is looked for). No kind named: every kind, nothing to say."""
    table = kinds_data().anomaly_kinds
    named = [table[w] for w in _said(reading, table)]
    told: list[str] = []
    for fault in kinds_data().anomaly_faults:
        said = _said(reading, sorted(fault.words, key=len, reverse=True))
        if not said:
            continue
        if not fault.kinds:
            told.append(
                f"I cannot detect {fault.name} ('{said[0]}'): {fault.shows}. Here is every kind "
                "of anomaly I can find instead."
            )
            return (), tuple(told)
        named += fault.kinds
        listed = kinds_text(fault.kinds)
        told.append(
            f"I have no check of {fault.name}s as such ('{said[0]}'): {fault.shows}, so these "
            f"are the events of {listed}."
        )
    return tuple(dict.fromkeys(named)), tuple(told)


@handles(Intent.COVERAGE)
def coverage(q: Question) -> Plan:
    found = _meters(q, default_site=False)
    if isinstance(found, Plan):
        return found
    period, notes = _recent(q)
    args: dict[str, Any] = {"meters": list(found.meters), "period": period}
    metrics = {x for m in found.meters if (e := q.site.meter(m)) for x in e.metrics}
    if metrics and "energy" not in metrics and len(metrics) == 1:
        args["metric"] = metrics.pop()  # a weather station's coverage is of its temperature
    return Plan("coverage", (Call("data_coverage", args),), notes=notes)


@handles(Intent.BASELINE)
def baseline(q: Question) -> Plan:
    found = _meters(q, default_site=True)
    if isinstance(found, Plan):
        return found
    energy = [m for m in found.meters if (e := q.site.meter(m)) is None or "energy" in e.metrics]
    meters = energy or list(found.meters)
    notes = scope.site_note(q.reading, found, q.site)
    base = next((p.span for p in q.reading.periods if p.role is PeriodRole.BASE and p.span), None)
    reporting = next(
        (p.span for p in q.reading.periods if p.role is not PeriodRole.BASE and p.span), None
    )
    if reporting is None and base is None:
        notes += ("No reporting period was given, so I used this month so far.",)
        reporting_text: str | None = "this month"
    else:
        reporting_text = reporting.period if reporting else None
    if base is not None:
        base_text = base.period
    else:
        from tools.periods import resolve_period

        first = resolve_period(reporting_text or "this month", q.now, q.site.ref.timezone).start
        start = first.date() - relativedelta(months=12)
        base_text = f"{start.isoformat()}..{(first.date() - timedelta(days=1)).isoformat()}"
        notes += (f"No baseline period was given, so I fitted the 12 months before ({base_text}).",)
    args: dict[str, Any] = {"baseline": base_text}
    if reporting_text:
        args["reporting"] = reporting_text
    drivers = _drivers(q, found)
    if drivers:
        args["drivers"] = drivers
    calls = tuple(
        Call("energy_baseline", {"meter": m, **args} | _short_base(q, m, base, drivers))
        for m in meters
    )
    told = [m for m in meters if _short_base(q, m, base, drivers)]
    if told and base is not None:
        base_first, base_last = bounds(base, q.now)
        n = (base_last - base_first).days + 1
        notes += (
            f"The CalTRACK daily method needs a year of baseline; for the {n} "
            f"days you gave I fitted {' and '.join(told)}'s daily kWh on outdoor temperature by "
            "regression (change-point forms, ASHRAE Guideline 14 statistics).",
        )
    return Plan("baseline", calls, notes=notes)


DAY_SECONDS, CALTRACK_DAYS = 86_400, 365


def _short_base(
    q: Question, meter: str, base: TimeSpan | None, drivers: list[str]
) -> dict[str, Any]:
    """A baseline period the user states, shorter than the year the CalTRACK daily method asks
    of a meter read once a day, on outdoor temperature alone: fitted as the user asked, by the
    daily regression on temperature (which has no such rule), rather than refused."""
    if base is None or drivers != ["temperature"]:
        return {}
    if q.site.series_seconds.get(meter, {}).get("energy") != DAY_SECONDS:
        return {}
    first, last = bounds(base, q.now)
    return {"method": "regression"} if (last - first).days + 1 < CALTRACK_DAYS else {}


def _drivers(q: Question, found: Sides) -> list[str]:
    """The relevant variables the question names: a weather station or temperature, and
    production; none named leaves the tool's default."""
    named = []
    carriers = {e.carrier for m in found.meters if (e := q.site.meter(m))}
    metrics = {m.metric for m in q.reading.measures}
    cues = " ".join(c.words.text.lower() for c in q.reading.cues)  # "production-driven"
    said = "weather_driver" in q.reading.features()  # "baseline on temperature"
    if "weather" in carriers or "outdoor_temperature" in metrics or "weather" in cues or said:
        named.append("temperature")
    if "production" in carriers or "production" in metrics or "production" in cues:
        named.append("production")
    return named


def _gas_energy(q: Question, meter: str) -> bool:
    """Gas read as a volume is forecast as energy when the site's catalogue gives the
    calorific value the forecast tool converts with."""
    entry = q.site.meter(meter)
    volume = entry is not None and "volume" in entry.metrics
    return volume and q.site.carrier(meter) == "gas" and bool(q.site.calorific_value)


def _days_ahead(q: Question) -> str | None:
    """The days a forecast question names: "tomorrow", "the rest of the day", or a period
    ahead ("today", "this week"); a weekday read as the last one ("on Friday") is the coming
    one, since a forecast looks ahead."""
    named = next((h.day for h in q.reading.horizons if h.day), None)
    if named == "tomorrow":
        return (q.now.date() + timedelta(days=1)).isoformat()
    if named is not None:
        return named
    span = next((p.span for p in q.subject_periods if p.span is not None), None)
    if span is None:
        return None
    coming = refusals.coming_weekday(span, q.now)
    return coming.isoformat() if coming is not None else span.period


@handles(Intent.FORECAST)
def forecast(q: Question) -> Plan:
    found = _meters(q, default_site=True)
    if isinstance(found, Plan):
        return found
    meter = found.meters[0]
    entry = q.site.meter(meter)
    if entry is not None and "energy" not in entry.metrics and not _gas_energy(q, meter):
        return refuse(
            f"I forecast energy and demand of this site's meters; {meter} measures "
            f"{', '.join(entry.metrics)}, which I do not forecast (and I have no weather service)."
        )
    hours = q.reading.horizons[0].hours if q.reading.horizons else 24
    args: dict[str, Any] = {"meter": meter, "horizon": "7d" if hours > 24 else "24h"}
    days = _days_ahead(q)
    if days is not None:  # "tomorrow", "on Friday": those days, not the next 24 hours
        # the rest of today lies within the next 24 hours; any other day may not
        args |= {"horizon": "24h" if days == "today" else "7d", "period": days}
    t = next((t for t in q.reading.thresholds if t.unit in ("kW", "")), None)
    if t is not None and t.value > 0 and t.comparison in (Comparison.ABOVE, Comparison.AT_LEAST):
        args["demand_limit_kw"] = t.value
    return Plan(
        "forecast", (Call("forecast", args),), notes=scope.site_note(q.reading, found, q.site)
    )


# ------------------------------------------------------------------ the library


@handles(Intent.KNOWLEDGE)
def library(q: Question) -> Plan:
    if "search_knowledge" not in q.tools:
        return refuse(
            "I have no manuals or runbooks to search in this installation yet, so I can't quote "
            "one. I can look at the meter data instead, e.g. anomalies or a baseline."
        )
    r = q.reading
    features = r.features()
    if "how_computed" in features:
        # "how exactly did you compute that one?": the method the last answer stated
        told = knowledge.method_of(q.previous_answer)
        if told:
            return say("The last figure was worked out this way:\n" + "\n".join(told), "method")
    where = knowledge.collection(
        "history" in features, "docs" in features or bool(knowledge.DOCUMENTS.search(r.question))
    )
    context = ""
    if knowledge.refers_back(r.question.lower(), where) and (
        q.previous_meters or q.previous_answer
    ):
        context = knowledge.context_of(q.previous_meters, q.previous_answer)
    # one meter named by its own name ("Unit KX-4"), not a family of them ("compressed air",
    # which is a topic too): what it is, from the catalogue, narrows the search
    described = {
        m.meters[0]: (m.words.text, entry.description)
        for m in r.meters
        if where == "documents" and len(m.meters) == 1 and m.words.tokens
        if (entry := q.site.meter(m.meters[0])) is not None and entry.description
    }
    query = knowledge.search_query(
        _written_out(r), r.meter_names, context, described, method="method" in features
    )
    args = {"query": query, "collection": where, "k": 6}
    return Plan("knowledge", (Call("search_knowledge", args),))


def _written_out(r: Reading) -> str:
    """The question with the lexicon's shorthand and other-language words written out as the
    library's documents say them ("Leistungspreis": demand charge, "taktet": short cycling,
    "Zählerdaten": meter data), the words that say nothing of the topic dropped; the words
    that name a meter ("Caldeira a Gás") stay as they were said."""
    said = default_lexicon().abbreviations
    other = knowledge.library_words()
    names = [(m.words.start, m.words.end) for m in r.meters if m.words.tokens]

    def out(m: re.Match[str]) -> str:
        word = m.group(2).lower()
        if any(start <= m.start(2) < end for start, end in names):
            return m.group(0)
        written = said.get(word) or other.get(word)
        if written is None:
            return m.group(0)
        # "Gateway-Ausfall": a compound's parts written out are words of their own
        return (" " if m.group(1) else "") + written

    return re.sub(r"(-?)([^\W\d_]+)", out, r.question)


# ------------------------------------------------------------------ alert rules and alerts

TARGETS = {"kWh/unit": "sec", "kW": "demand", "kWh": "energy", "degC": "metric"}


@handles(Intent.ALERT_CREATE)
def new_rule(q: Question) -> Plan:
    r = q.reading
    found = _meters(q, default_site=r.site_wide)
    if isinstance(found, Plan):
        return found
    if not found.meters:
        return ask("Which meter should the alert rule watch? Name one, e.g. the site's main meter.")
    meter = found.meters[0]
    if not r.thresholds:
        return ask(f"At what threshold should I alert on {meter}? For example 'above 500 kW'.")
    t = r.thresholds[0]
    watched = _watched(q, meter, t)
    if isinstance(watched, Plan):
        return watched
    target, unit, metric = watched
    unheld = _not_measured(q, meter, target, t)
    if unheld is not None:
        return unheld
    condition = {Comparison.ABOVE: ">", Comparison.AT_LEAST: ">=", Comparison.BELOW: "<",
                 Comparison.AT_MOST: "<="}[t.comparison]  # fmt: skip
    never = _never_reached(meter, target, unit, condition, t)
    if never is not None:
        return never
    args: dict[str, Any] = {"meter": meter, "target": target, "condition": condition,
                            "threshold": t.value, "unit": unit}  # fmt: skip
    if metric is not None:
        args["metric"] = metric
    args["window"] = _rule_window(r, target, t)
    coarse = _read_too_seldom(q, meter, args["window"])
    if coarse is not None:
        return coarse
    parts = (*_every_window(r), *_held(t, args))
    args |= _delivery(r)
    if "backtest" in r.features():
        period, notes = _recent(q)  # tried on the period asked, nothing stored
        added = _added_up(q, found, t)
        if added is not None:
            return added
        call = Call("backtest_alert_rule", {**args, "period": period})
        return Plan("alert_backtest", (call,), notes=(*parts, *notes))
    return Plan("alert_create", (Call("create_alert_rule", args),), notes=parts)


def _held(t: Threshold, args: dict[str, Any]) -> tuple[str, ...]:
    """How long the rule waits (in `args`), in its windows; "for 10 minutes" on 15-minute
    windows is one whole window, and the proposal says so."""
    if not t.duration_min:
        return ()
    step = {"15min": 15, "hour": 60, "day": 1440}[args["window"]]
    args["for_minutes"] = held_minutes(t, step)
    if args["for_minutes"] == t.duration_min or t.longer:
        return ()
    return (
        f"You said {t.duration_min:g} minutes; the rule compares {step}-minute windows, so it "
        f"waits {args['for_minutes']} minutes (whole windows).",
    )


def _delivery(r: Reading) -> dict[str, Any]:
    """How a rule's alerts are sent: its severity and channel, where the question says."""
    out: dict[str, Any] = {}
    # the severity this turn says wins over one carried from the rule it changes
    for said in (r.question, *(c.words.text for c in r.cues if c.feature == "severity")):
        severity = _severity(said.lower())
        if severity is not None:
            out["severity"] = severity
            break
    channel = re.search(r"(#[a-z0-9_-]+)", r.question.lower())
    said = " ".join(c.words.text.lower() for c in r.cues if c.feature == "channel")
    if channel:
        out["channel"] = channel.group(1)
    elif "mail" in said:
        out["channel"] = "e-mail"  # "by e-mail": the service, no channel of its own
    elif "slack" in said:
        out["channel"] = "Slack"
    elif "teams" in said:
        out["channel"] = "Teams"
    return out


CRITICAL = r"\b(?:critical|urgent|immediately|asap|cr[ií]tic[ao]|kritisch\w*)\b"
WARNING = r"\b(?:warning|aviso|warnung)\b"


def _severity(text: str) -> str | None:
    if re.search(CRITICAL, text):
        return "critical"
    return "warning" if re.search(WARNING, text) else None


def _rule_window(r: Reading, target: str, t: Threshold) -> str:
    """The window a rule compares: the one said, else its target's own."""
    window = t.window or next((g.grain for g in r.grains), None)
    default = {"sec": "day", "energy": "hour"}.get(target, "15min")
    if window is None:
        return default
    return {Grain.DAY: "day", Grain.HOUR: "hour", Grain.MIN15: "15min"}.get(window, default)


WINDOW_WORDS = {"15min": "15-minute", "hour": "hourly"}


def _read_too_seldom(q: Question, meter: str, window: str) -> Plan | None:
    """A rule on windows within the day ("over 80 kW in any 15 minutes") for a meter read
    once a day or less often: its data holds no such window, so the rule could never be
    checked; refused, naming the meter's interval and what a rule on it can watch."""
    if window not in WINDOW_WORDS or meter not in q.site.coarse:
        return None
    r = q.reading
    said = [g.words.text for g in r.grains if g.words.text] + [
        w.words.text for w in r.demand_windows if w.words.text
    ]
    echo = f"I did not use '{said[0]}'. " if said else ""
    return refuse(
        f"I can't set that alert: {meter} has {q.site.coarse[meter]} readings, so its "
        f"{WINDOW_WORDS[window]} demand within the day cannot be seen in its data and the rule "
        f"could never be checked. {echo}No rule was stored. A rule on it can watch its energy "
        "per day instead, e.g. 'above 900 kWh per day'."
    )


def _every_window(r: Reading) -> tuple[str, ...]:
    """ "... on a weekday", "in the late shift", "between 8 and 17": a rule watches every
    window of every day, so a part of the week or day it is asked for is said not to be used."""
    said = [s.words.text for s in r.splits if s.words.tokens]
    said += [h.words.text for h in r.hour_windows if h.words.tokens]
    return tuple(
        f"I did not use '{text}': an alert rule watches every window of every day; it cannot "
        "be limited to part of the week or day."
        for text in said
    )


def _added_up(q: Question, found: Sides, t: Threshold) -> Plan | None:
    """ "an alert on the compressors together (A + B) above 95 kW for 30 min, how often would
    it have fired?": a rule watches one meter, so a rule on several meters added up cannot be
    tried as the watcher would; asked back with what can be given, never the first meter's
    rule in its place."""
    meters = list(dict.fromkeys(found.meters))
    if len(meters) < 2 or not scope.adds_up(q.reading):
        return None
    names, level = " + ".join(meters), f"{t.value:g} {t.unit or 'kW'}"
    return ask(
        f"I can't back-test one rule on {names} added up: an alert rule watches one meter, so "
        f"no rule the watcher runs would see their sum. I can back-test '{t.words.text}' on each "
        f"of them, or count how often their demand added up stayed beyond {level} for that "
        "long (the stretches themselves, without a rule's hysteresis). Which should I do?"
    )


# What a meter consumes, per window or per unit made: zero or more, never below it
CONSUMED = frozenset({"demand", "energy", "sec"})


def _never_reached(meter: str, target: str, unit: str, condition: str, t: Threshold) -> Plan | None:
    """ "below -5 kW" on a meter that consumes: its energy, demand and SEC are zero or more, so
    the rule could never fire; refused with the reason instead of a rule that stays silent."""
    if target not in CONSUMED or not (t.value < 0 or (t.value == 0 and condition == "<")):
        return None
    return refuse(
        f"I can't set that alert: I did not use '{t.words.text}'. {meter}'s {target} "
        f"({unit}) is what it consumes, which is zero or more and never negative, so it can "
        f"never go below {t.value:g} {unit} and the rule would never fire. No rule was stored. "
        "I can alert when it goes below a level above zero (when it stops or idles) or above "
        "one."
    )


def _not_measured(q: Question, meter: str, target: str, t: Threshold) -> Plan | None:
    """A rule on what the meter does not measure: an SEC where no production is linked to
    it is refused (it is not defined there); a kW or kWh level on a meter with no energy (a
    temperature sensor) is asked back, naming what it does measure. Never a rule proposed
    that the watcher could not check."""
    if target == "sec" and not q.site.has_production(meter):
        made = [
            m.name
            for m in q.site.vocab.meters
            if "energy" in m.metrics and q.site.has_production(m.name)
        ]
        others = f" SEC rules can watch {', '.join(made)}." if made else ""
        return refuse(
            f"I can't set that alert: I did not use '{t.words.text}'. {meter} has no production "
            "series and no production meter linked to it, so its SEC (kWh per unit produced) is "
            "not defined and the rule could never be checked. No rule was stored. I can alert "
            f"on {meter}'s energy (kWh) or demand (kW) instead.{others}"
        )
    if target not in ("demand", "energy"):
        return None
    series = q.site.series_units.get(meter, {})
    if not series or "energy" in series or ("volume" in series and q.site.calorific_value):
        return None
    has = ", ".join(f"{metric.replace('_', ' ')} in {unit}" for metric, unit in series.items())
    return ask(
        f"{meter} has no energy series (it measures {has}), so it has no {target} in "
        f"{t.unit or 'kW'} for a rule to watch; I did not use '{t.words.text}'. Did you mean a "
        f"level of its own reading ({has}), or another meter's {target}?"
    )


PER_VOLUME = "kWh/m3"  # energy per volume delivered: of air, water or gas


def _watched(q: Question, meter: str, t: Threshold) -> tuple[str, str, str | None] | Plan:
    """What a rule with this threshold watches on the meter: its target, unit and (for a
    'metric' rule) metric; or a question back on the unit, or why it cannot be watched."""
    r = q.reading
    unit = t.unit or {Kpi.SEC: "kWh/unit", Kpi.PEAK_DEMAND: "kW"}.get(r.kpi or Kpi.ENERGY, "")
    if unit == "kWh" and Kpi.SEC in r.kpis:
        unit = "kWh/unit"  # "energy per part goes over 0.35 kWh"
    target = TARGETS.get(unit)
    if target is not None:
        return target, unit, "outdoor_temperature" if target == "metric" else None
    # "above 14 m3 in an hour" on a gas meter read as a volume: the one series of the meter
    # measured in the threshold's unit is what the rule watches
    own = [m for m, u in q.site.series_units.get(meter, {}).items() if unit and u == unit]
    if len(own) == 1:
        return "metric", unit, own[0]
    # no KPI divides energy by a volume and the store has no unit of energy per volume for a
    # series to be read in (common/units.py): a threshold per m3 cannot be watched
    if unit == PER_VOLUME:
        return refuse(_per_volume(q, meter, t.words.text))
    if unit == "%":
        return refuse(_share_rule(meter, t))
    return ask(f"In which unit is {t.value:g}: kW (demand), kWh (energy) or kWh/unit (SEC)?")


def _share_rule(meter: str, t: Threshold) -> str:
    """Why a threshold in % cannot be watched: a rule compares one meter's own series with a
    level, and a share of a whole is never above 100 %."""
    never = (
        f" A share is never more than 100 %, so {t.value:g} % could never be reached either."
        if t.value > 100
        else ""
    )
    return (
        f"I can't set that alert: I did not use '{t.words.text}'. An alert rule watches one "
        "meter's own demand (kW), energy (kWh) or SEC against a level, not a share of another "
        f"meter in %.{never} No rule was stored. I can alert when {meter} (or another meter) "
        "goes above a level in kW or kWh instead, or give a share of the site for a period."
    )


def _per_volume(q: Question, meter: str, words: str) -> str:
    """Why a threshold in kWh per m³ cannot be watched: the part not used, said plainly,
    rather than a kWh threshold stored."""
    has = ", ".join(f"{m} ({u})" for m, u in q.site.series_units.get(meter, {}).items())
    volumes = [m for m in q.site.volume_meters() if m != meter]
    verb = "measures" if len(volumes) == 1 else "measure"
    why = (
        f"I do not divide a meter's energy by a volume series ({', '.join(volumes)} {verb} m3)"
        if volumes
        else "no meter here measures a volume (m3) its energy could be divided by"
    )
    return (
        f"I can't alert on that: I did not use 'per m3' of '{words}'. A threshold in kWh per "
        "m3 is energy per volume delivered (of air, water or gas); no series of "
        f"{meter} is measured in it (it has: {has or 'no series'}), and {why}. No rule was "
        f"stored or tried. I can alert on {meter}'s energy (kWh) or demand (kW) instead, or "
        "its SEC (kWh/unit) where a production meter is linked to it."
    )


def held_minutes(t: Threshold, step: int) -> int:
    """How long a rule on windows of `step` minutes waits, in whole windows: "for 30 minutes"
    on 15-minute windows two in a row (30), "for more than 30 minutes" three (45), "for 20
    minutes" two (a window of 15 is not 20 yet)."""
    minutes = t.duration_min or 0.0
    if t.longer:
        return (int(minutes) // step + 1) * step
    return max(1, math.ceil(minutes / step)) * step


@handles(Intent.ALERT_UPDATE)
def change_rule(q: Question) -> Plan:
    r = q.reading
    rule = next((x for x in r.references if x.kind == "rule"), None)
    if rule is None:
        return ask(
            "Which rule? Give its number, e.g. 'delete rule 3'; 'list alert rules' shows them."
        )
    actions = {a.action for a in r.actions}
    args: dict[str, Any] = {"rule_id": rule.number}
    if Action.DELETE in actions:
        args["delete"] = True
    elif Action.DISABLE in actions:
        args["enabled"] = False
    elif Action.ENABLE in actions:
        args["enabled"] = True
    elif r.thresholds:
        args["threshold"] = r.thresholds[0].value
    else:
        number = re.search(r"(?:to|at|=)\s*(-?\d+(?:\.\d+)?)", r.question)
        if number is None:
            return ask(
                f"What should change on rule {rule.number}: its threshold, or switch it on or off?"
            )
        args["threshold"] = float(number.group(1))
    return Plan("alert_update", (Call("update_alert_rule", args),))


@handles(Intent.ALERT_ACK)
def act_on_alert(q: Question) -> Plan:
    r = q.reading
    alert = next((x for x in r.references if x.kind == "alert"), None)
    if alert is None:
        return ask("Which alert? Give its number; 'any open alerts?' lists them.")
    action = "resolve" if Action.RESOLVE in {a.action for a in r.actions} else "acknowledge"
    args: dict[str, Any] = {"alert_id": alert.number, "action": action}
    note = r.free("note")
    if note is not None:
        args["note"] = note.text
    return Plan("alert_action", (Call("update_alert", args),))


@handles(Intent.ALERT_RULES)
def rules(q: Question) -> Plan:
    names = q.reading.meter_names
    return Plan("alert_rules", (Call("list_alert_rules", {"meter": names[0]} if names else {}),))


@handles(Intent.ALERT_LIST)
def alerts(q: Question) -> Plan:
    text = q.reading.question.lower()
    state = "active"
    if re.search(r"\backnowledged\b", text) and re.search(
        r"\b(?:not|un|still)\w*\s*(?:yet )?resolved|\bstill open\b", text
    ):
        state = "acknowledged"
    elif re.search(r"\bresolved\b", text):
        state = "resolved"
    elif re.search(r"\b(?:all|history|ever)\b", text):
        state = "all"
    elif re.search(r"\bunacknowledged\b", text):
        state = "open"
    return Plan("alert_list", (Call("list_alerts", {"state": state}),))


# ------------------------------------------------------------------ incidents


@handles(Intent.INCIDENT)
def incident(q: Question) -> Plan:
    r = q.reading
    ref = next((x for x in r.references if x.kind == "incident"), None)
    actions = {a.action for a in r.actions}
    listing = ref is None and incidents.lists(r.question.lower())
    event = incidents.of_event(r) if ref is None and not listing else ()
    if actions & {Action.ACKNOWLEDGE, Action.RESOLVE} and not listing:
        if event and ref is None and "list_incidents" in q.tools:
            return _event_action(q, event, actions)
        return _incident_action(q, ref.number if ref else None, actions)
    if ref is not None:
        if "get_incident" not in q.tools:
            return refuse(NO_INCIDENTS)
        return Plan("incident_show", (Call("get_incident", {"incident_id": ref.number}),))
    if "list_incidents" not in q.tools:
        return refuse(NO_INCIDENTS)
    text = r.question.lower()
    period = q.period()
    state = incidents.state_of(text, period is not None)
    if listing and actions & {Action.ACKNOWLEDGE, Action.RESOLVE} and state in ("all", "active"):
        # "which incidents did we resolve": the verb of a listing is the state it asks for
        state = "resolved" if Action.RESOLVE in actions else "acknowledged"
    args: dict[str, Any] = {"state": state, "limit": 20}
    if period:
        args["period"] = period
    severity = incidents.severity_of(text)
    if severity:
        args["severity"] = [severity]
    one = bool(
        re.search(r"\bincident\b(?!s)|\bthe one\b", text) or incidents.names_one(r)
    ) and not re.search(r"\b(?:any|all|list|which)\b", text)
    names = r.meter_names
    if one or event:
        # one incident asked about: its state is what is asked ("is the outage closed?"), not
        # a filter, unless it is named by it ("the open one")
        named_by = incidents.says_state(text) and args["state"] in ("active", "open")
        named_by = named_by and not r.asks(Op.YES_NO) and not incidents.asks_state(text)
        args["state"] = args["state"] if named_by and not event else "all"
    calls = tuple(Call("list_incidents", args | {"meter": m}) for m in names[:3]) or (
        Call("list_incidents", args),
    )
    detail = {"kinds": event} if event else {}
    # the severity word narrowed the listing, the state words filtered it: they were used
    spans = incidents.state_spans(text)
    unused = tuple(
        u
        for u in r.unused
        if u.text.lower().rstrip("s") != severity
        and not any(a <= u.words.start and u.words.end <= b for a, b in spans)
    )
    kind = "incident_one" if one or event else "incident_list"
    return Plan(kind, calls, detail=detail, reading=replace(r, unused=unused))


def _event_action(q: Question, kinds: tuple[str, ...], actions: set[Action]) -> Plan:
    """ "ack the Pump 2 spike, note: ...": the active incidents of that meter are looked up
    first; the change is proposed for the one of that kind (incidents.then_call), and asked
    back when there is none or more than one."""
    if "update_incident" not in q.tools:
        return refuse(NO_INCIDENTS)
    action = "resolve" if Action.RESOLVE in actions else "acknowledge"
    note = q.reading.free("note")
    if action == "resolve" and note is None:
        return ask(incidents.ASK_WHICH.format(verb=action))
    args: dict[str, Any] = {"state": "active", "limit": 20}
    names = q.reading.meter_names
    calls = tuple(Call("list_incidents", args | {"meter": m}) for m in names[:1]) or (
        Call("list_incidents", args),
    )
    then: dict[str, Any] = {"action": action} | ({"note": note.text} if note else {})
    return Plan("incident_event_action", calls, detail={"kinds": kinds, "then": then})


def _incident_action(q: Question, number: int | None, actions: set[Action]) -> Plan:
    if "update_incident" not in q.tools:
        return refuse(NO_INCIDENTS)
    action = "resolve" if Action.RESOLVE in actions else "acknowledge"
    if number is None:
        return ask(incidents.ASK_WHICH.format(verb=action))
    note = q.reading.free("note")
    if action == "resolve" and note is None:
        return ask(incidents.ASK_NOTE.format(n=number), pending=Pending.NOTE)
    args: dict[str, Any] = {"incident_id": number, "action": action}
    if note is not None:
        args["note"] = note.text
    return Plan("incident_action", (Call("update_incident", args),))


# ------------------------------------------------------------------ SQL

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


@handles(Intent.SQL)
def sql(q: Question) -> Plan:
    statement = q.reading.free("sql")
    if statement is not None:
        return Plan("sql", (Call("run_sql", {"sql": statement.text}),))
    unwritten = _unwritten_condition(q)
    if unwritten is not None:
        return ask(
            f"I could not write '{unwritten.words.text}' into the query as a condition on the "
            "readings. Give the SELECT statement, or the limit in the readings' own unit."
        )
    other = _other_interval(q)
    if other is not None:
        return ask(other)
    written = _sql_from_words(q)
    if written is None:
        return ask(
            "Which SQL should I run? Give one SELECT statement, or ask in words, e.g. "
            "'count the energy readings of one meter'."
        )
    return Plan("sql", (Call("run_sql", {"sql": written}),))


def _own_metric(q: Question) -> str:
    """The metric of the named meters' readings when the question names none: the one metric
    they all measure (a weather station's temperature), else energy."""
    entries = [q.site.meter(m) for m in q.reading.meter_names]
    metrics = {x for e in entries if e is not None for x in e.metrics}
    return metrics.pop() if len(metrics) == 1 else "energy"


def unwritten_zero(q: Question, decided: Plan) -> Plan | None:
    """ "was the count zero": a condition only a count of readings in SQL writes; any other
    plan for figures would leave it out, so the question is asked back."""
    r = decided.reading or q.reading
    said = next((c for c in r.cues if c.feature == "zero_value"), None)
    if said is None or not decided.calls:
        return None
    written = [c for c in decided.calls if c.name == "run_sql" and "value = 0" in c.args["sql"]]
    if written:
        return None
    return ask(
        f"I did not give a figure: I could not use '{said.words.text}' of your question. "
        "I can count the readings of a value of zero in SQL ('run sql: how many readings of "
        "<meter> in <period> were zero')."
    )


def _metric(q: Question) -> str:
    return q.reading.metric or _own_metric(q)


def _in_readings_unit(t: Threshold, metric: str) -> float | None:
    """A limit in the unit the metric's readings are stored in ("above 25 °C" of a temperature,
    "over 2 MWh" of energy as kWh); None when it measures something else (kW of an energy
    series) or there is one limit of several."""
    if not t.unit:
        return t.value
    if not is_unit(t.unit):
        return None
    unit = parse_unit(t.unit)
    if METRIC_DIMENSIONS.get(metric) is not unit.dimension:
        return None
    return to_canonical(t.value, unit)


GRAIN_SECONDS = {Grain.MIN15: 900, Grain.HOUR: 3600, Grain.DAY: 86400, Grain.WEEK: 604800}


def _other_interval(q: Question) -> str | None:
    """Why a SELECT over the stored readings would not answer: the question asks for readings
    of another length ("the largest 15-minute reading" of a meter read every 5 minutes) than
    the named meters' series have; None when they agree or no length is said."""
    r = q.reading
    said = [c.words.text for c in r.cues if c.feature == "reading_interval"]
    asked = [60 * int(m) for t in said for m in re.findall(r"\d+", t)]
    asked += [GRAIN_SECONDS.get(g.grain, 0) for g in r.grains]
    if not asked or not r.meter_names:
        return None
    metric = _metric(q)
    for name in r.meter_names:
        stored = q.site.series_seconds.get(name, {}).get(metric)
        if stored is not None and any(a != stored for a in asked):
            length = r.grains[0].words.text if r.grains else said[0]
            return (
                f"{name}'s {metric} is stored every {stored // 60} minutes, so a query over "
                f"its readings gives {stored // 60}-minute values, not '{length}' ones. "
                "Ask for the readings as stored, or without SQL for that length."
            )
    return None


def _unwritten_condition(q: Question) -> Threshold | None:
    """A limit the question sets on the readings that a SELECT written from its words would
    leave out, so the count would be of all readings: one of several, one beside an
    aggregate other than a count, or one in another unit than the readings'."""
    r = q.reading
    if not r.thresholds or not r.meter_names:
        return None
    counted = next((a for a, p in AGGREGATES if re.search(p, r.question.lower())), None)
    for t in r.thresholds:
        if len(r.thresholds) > 1 or counted != "count(*)" or t.duration_min:
            return t
        if _in_readings_unit(t, _metric(q)) is None:
            return t
    return None


def _sql_from_words(q: Question) -> str | None:
    """A SELECT for the common asks in words: an aggregate of a meter's readings, or the meters
    that have some property."""
    r = q.reading
    text = r.question.lower()
    if re.search(r"\b(?:how many|number of|count(?: the| of)?)\s+meters\b", text):
        return "SELECT count(*) AS meters FROM meters"
    for words, column in METER_COLUMNS.items():
        if re.search(rf"\bmeters?\b.*\b{words}", text):
            return f"SELECT name, {column} FROM meters WHERE {column} IS NOT NULL ORDER BY name"
    aggregate = next((agg for agg, p in AGGREGATES if re.search(p, text)), None)
    if aggregate is None or not r.meter_names:
        return None
    names = ", ".join(f"'{m}'" for m in r.meter_names)
    where = f"meter IN ({names}) AND metric = '{_metric(q)}'"
    t = next(iter(r.thresholds), None)
    limit = None if t is None else _in_readings_unit(t, _metric(q))
    if t is not None and limit is not None:  # else asked back before (_unwritten_condition)
        where += f" AND value {t.comparison.value} {limit:g}"
    if "zero_value" in r.features() and aggregate == "count(*)":
        where += " AND value = 0"
    period = q.period()
    if period is not None:
        from tools.periods import resolve_period

        span = resolve_period(period, q.now, q.site.ref.timezone)
        where += f" AND ts >= {span.start_ts} AND ts < {span.end_ts}"
    return f"SELECT meter, {aggregate} AS value FROM meter_readings WHERE {where} GROUP BY meter"
