"""Questions that ask for numbers: the kind of question (kinds.yaml) picks one handler here,
which turns the reading into tool calls, passing on what the question states (an emission
factor, prices, a demand window, a threshold that must last, hours of the day)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import time
from types import MappingProxyType
from typing import Any

from agent.offline import asked_periods, either, kinds, portfolio, refusals, scope
from agent.offline.calorific import calorific, volume_asked, without_volume
from agent.offline.days_kept import kept_days
from agent.offline.plan import Call, Plan, Question, ask, handles, say
from agent.offline.scope import Ask, Sides
from agent.reader import Intent, Kpi, MeterEntry, Op, Pending, Reading, Scope
from agent.reader.slots import (
    NO_WORDS,
    WINDOW_KPIS,
    Comparison,
    Grain,
    MeasureMention,
    Price,
    Split,
)
from common.units import ADDITIVE_METRICS

KindHandler = Callable[[Question, Sides], Plan]
# a kind's own part: the question, its sides (the whole site when asked for) and its periods
Body = Callable[[Question, Sides, list[str]], Plan]
Guard = Callable[[Question, Sides], Plan | None]
_NONE = MeterEntry("", "")
KINDS: dict[str, KindHandler] = {}
WEEKDAYS, WEEKEND = [0, 1, 2, 3, 4], [5, 6]


def kind(
    name: str, *, site: bool = True, periods: bool = True, guard: Guard | None = None
) -> Callable[[Body], Body]:
    """Registers a kind's handler behind the steps most kinds share, in this order: the guard
    (a question asked back before anything else), the whole site when nothing is named
    (site), the periods asked for (periods); the first that asks back answers."""

    def register(body: Body) -> Body:
        def handler(q: Question, found: Sides) -> Plan:
            stop = guard(q, found) if guard is not None else None
            if stop is not None:
                return stop
            sides = _site(q, found) if site else found
            if isinstance(sides, Plan):
                return sides
            asked = asked_periods.periods(q) if periods else []
            if isinstance(asked, Plan):
                return asked
            planned = body(q, sides, asked)
            if len(asked) > 1 and asked_periods.periods_joined(q):
                # "January and March together": each period's figure, then one over both
                union = MappingProxyType({**planned.detail, "union": True})
                planned = replace(planned, detail=union)
            return planned

        KINDS[name] = handler
        return body

    return register


@handles(Intent.DATA)
def numbers(q: Question) -> Plan:
    r = q.reading
    if portfolio.asks_for_sites(q):
        return portfolio.rank_sites(q)
    volume = volume_asked(q)
    if volume is not None:
        # "that in m³ gas?" of a gas meter metered in kWh: its energy, stated in m³ beside
        r = without_volume(r, volume)
    elif refusals.only_unmeasured(r, q):
        return refusals.not_measured(q)
    r = refusals.answered_apart(r, q)
    r = scope.unplaced_as_name(r, q.site)
    left_out: tuple[str, ...] = ()
    total_of: tuple[str, ...] = ()
    if r.asks(Op.RANK) or r.top:
        r, total_of = scope.site_spelled_out(r)
        r, left_out = scope.unranked_boards(r, q.site)
        if left_out:
            note = (
                f"As you asked, the ranking leaves out {', '.join(left_out)}: it ranks the end "
                "meters, not the meters they are fed from."
            )
            r = replace(r, notes=(*r.notes, note))
    q = replace(q, reading=r)
    planned = _of_total(_planned(q), total_of)
    if r.days_left_out and planned.calls and not planned.detail.get("days_kept"):
        said = "', '".join(d.words.text for d in r.days_left_out)
        return ask(
            f"I did not give a figure: I could not leave out '{said}' of this kind of figure. "
            "Name the days to count instead, e.g. 'Monday to Wednesday'."
        )
    return planned if planned.reading else replace(planned, reading=r)


def _planned(q: Question) -> Plan:
    """The plan of a question for numbers, once the ranking's words are read."""
    r = q.reading
    metric = r.metric or _named_metric(q)
    if metric != (r.metric or "energy"):
        # "the outdoor temperature" is the weather station's name: its series is the measure
        r = replace(r, measures=(*r.measures, MeasureMention(NO_WORDS, metric=metric)))
        q = replace(q, reading=r)
    # "its kWh, peak kW and how many units it made": the KPIs are of the meter named, the
    # count is found beside them (see _counted)
    scoped = "energy" if r.kpis and metric == "production" else metric
    found = scope.sides(r, q.site, scoped, default_site=False)
    if isinstance(found, Ask):
        return found.plan()
    coarse = refusals.finer_than_read(q, found.meters)
    if coarse is not None:
        return coarse
    two = asked_periods.two_periods(q, found)
    if two is not None:
        return KINDS["compare_periods"](two, found)
    pairs = either.paired(r, found)
    if pairs is not None:
        return _each_own(q, found, pairs)
    # "which compressor used more in September or October": the meters, in each period
    each = either.either_way(q, found)
    if isinstance(each, Plan):
        return each
    if each is not None:
        return KINDS["compare_meters"](each, found)
    chosen = kinds.choose(r, len(found.sides), any(len(s) > 1 for s in found.sides), q.now)
    stated_hours = any(not w.assumed for w in r.hour_windows)
    if chosen == "kpi" and stated_hours and not (r.prices or r.tou_windows):
        # "the base load between 22:00 and 06:00": a KPI of the whole period would drop the
        # hours ("base load (nights/weekends)" says where a base load is found, no hours)
        other = window_not_given(q)
        if other is not None:
            return other
    return KINDS[chosen](q, found)


def _each_own(q: Question, found: Sides, pairs: tuple[tuple[tuple[str, ...], str], ...]) -> Plan:
    """Each side over its own period: its total (or the KPI asked), side by side."""
    kpis = [k for k in _kpis(q) if k != "energy"]
    metric = q.reading.metric or "energy"
    if kpis:
        params = stated(q)
        calls = tuple(_kpi_call(kpis[0], side, period, params) for side, period in pairs)
    else:
        calls = tuple(
            Call("query_metric", {"meters": list(side), "metric": metric, "period": period})
            for side, period in pairs
        )
    labels = [
        f"{' + '.join(side)} {p.words.text}"
        for (side, _), p in zip(pairs, either.named_periods(q.reading), strict=True)
    ]
    note = f"Each over its own period, as you paired them: {'; '.join(labels)}."
    notes = (*_notes(q, found), note)
    return Plan("kpi" if kpis else "total", calls, notes=notes, detail=_sides(found))


# ------------------------------------------------------------------ helpers

ENERGY_UNITS = frozenset({"kwh", "mwh", "gwh"})


def _named_metric(q: Question) -> str:
    """The one metric the named meters share when they have no energy series; energy still
    when kWh are asked for (a gas meter read in m3 converts with the calorific value)."""
    if _kwh_asked(q):
        return "energy"
    metrics = set()
    for name in q.reading.meter_names:
        entry = q.site.meter(name)
        if entry is None or "energy" in entry.metrics:
            return "energy"
        metrics |= set(entry.metrics)
    if metrics == {"volume"} and _gas_as_energy(q):
        return "energy"
    return metrics.pop() if len(metrics) == 1 else "energy"


def _kwh_asked(q: Question) -> bool:
    return any(m.words.text.lower() in ENERGY_UNITS for m in q.reading.measures) or any(
        u.unit.lower() in ENERGY_UNITS for u in q.reading.units
    )


def _gas_as_energy(q: Question) -> bool:
    """Gas meters read in m3 answer in kWh (their m3 stated beside) when the site has the
    calorific value and the question asks no volume unit."""
    gas = all(q.site.carrier(n) == "gas" for n in q.reading.meter_names)
    m3_asked = any(u.unit.lower() in ("m3", "m³") for u in q.reading.units)
    return gas and bool(calorific(q)) and not m3_asked


def _site(q: Question, found: Sides) -> Sides | Plan:
    """The sides, or the whole site when the question names nothing."""
    if found.sides:
        return found
    whole = scope.sides(q.reading, q.site, q.reading.metric or "energy", default_site=True)
    if isinstance(whole, Ask):
        return whole.plan()
    if not whole.sides:
        return ask("Which meter? Name one, e.g. one of: " + ", ".join(q.site.consumers()[:6]))
    return whole


def _notes(q: Question, found: Sides) -> tuple[str, ...]:
    r = q.reading
    notes = list(scope.site_note(r, found, q.site))
    for w in r.hour_windows:
        if w.assumed:
            notes.append(f"I took '{w.words.text}' as {_clock(w.start)}-{_clock(w.end)}.")
    notes += list(r.notes)
    return tuple(notes)


def _clock(t: time) -> str:
    return f"{t.hour:02d}:{t.minute:02d}"


def stated(q: Question) -> dict[str, Any]:
    """What the question states for a KPI: emission factor, prices, demand charge and window."""
    r = q.reading
    args: dict[str, Any] = {}
    if r.emission_factors:
        args["emission_factor"] = r.emission_factors[0].kg_per_kwh
    if r.tou_windows:
        args["tou_periods"] = [
            {"days": list(w.days), "start": _clock(w.start), "end": _clock(w.end), "price": w.price}
            | ({"except_holidays": True} if w.except_holidays else {})
            for w in r.tou_windows
        ]
    flat = [p for p in r.prices if p.per_kwh is not None]
    named = _named_part_prices(q, flat)
    if named:
        args |= named
    elif flat:
        args["price_per_kwh"] = flat[-1].per_kwh if r.tou_windows else flat[0].per_kwh
    elif _window_priced_alone(r):
        args["price_per_kwh"] = 0.0  # the other hours are not asked: nothing outside is priced
    if r.demand_charges:
        args["demand_charge_per_kw"] = r.demand_charges[0].per_kw
    # a price's own currency first: "0.20 EUR per kWh ... in US dollars" prices in EUR
    written = [p.currency for p in r.prices if p.currency]
    written += [w.currency for w in r.tou_windows if w.currency]
    converted = {x.per for x in r.exchange_rates}
    asked = [c.code for c in r.currencies if c.code not in converted]
    currency = next(iter(written + asked), None)
    if currency and ("price_per_kwh" in args or "tou_periods" in args):
        args["currency"] = currency
    if r.demand_windows:
        args["demand_window_minutes"] = r.demand_windows[0].minutes
    return args


def _window_priced_alone(r: Reading) -> bool:
    """ "our peak price, 0.28 for weekdays 8-20 ... what did the peak-window energy cost?": a
    stated window with its price, no price for the other hours, and the question asks the
    cost of that window's part by its name."""
    names = {w.name.casefold() for w in r.tou_windows}
    return any(s.split is Split.TOU and s.part.casefold() in names for s in r.splits)


def _kpis(q: Question) -> list[str]:
    if Kpi.COST in q.reading.kpis and _window_priced_alone(q.reading):
        return ["cost"]  # "the peak price ... what did the peak-window energy cost?"
    return [k.value for k in q.reading.kpis if k is not Kpi.ENERGY] or ["energy"]


def _kpi_call(kpi: str, side: tuple[str, ...], period: str, params: dict[str, Any]) -> Call:
    args: dict[str, Any] = {"kpi": kpi, "meter": side[0], "period": period}
    if len(side) > 1:
        args["with_meters"] = list(side[1:])
    return Call("compute_kpi", args | _relevant(kpi, params))


RELEVANT = {
    "carbon": ("emission_factor",),
    "cost": (
        "price_per_kwh",
        "tou_periods",
        "demand_charge_per_kw",
        "currency",
        "demand_window_minutes",
    ),
    "peak_demand": ("demand_window_minutes",),
    "load_factor": ("demand_window_minutes",),
}


def _relevant(kpi: str, params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k in RELEVANT.get(kpi, ())}


def _sides_for(kpi: str, found: Sides, together: bool) -> tuple[tuple[str, ...], ...]:
    """A group is added up, except for KPIs of one meter's own data (SEC, intensity); meters
    asked together ("cabine + escritórios") are one intensity, which the tool gives for the
    site's supplies (over the site's floor area) and refuses for others."""
    if kpi == "sec" or (kpi == "intensity" and not together):
        return tuple((m,) for m in found.meters)
    return found.sides


def _days(q: Question) -> list[int] | None:
    for s in q.reading.splits:
        if s.split is Split.WEEKDAY_WEEKEND and s.part == "weekday":
            return WEEKDAYS
        if s.split is Split.WEEKDAY_WEEKEND and s.part == "weekend":
            return WEEKEND
    return None


# ------------------------------------------------------------------ the kinds


@kind("total")
def _total(q: Question, whole: Sides, periods: list[str]) -> Plan:
    metric = q.reading.metric or "energy"
    args: dict[str, Any] = {"meters": list(whole.meters), "metric": metric}
    statistic = _statistic(q)
    if statistic:
        args["statistic"] = statistic
    # "how many m3 did the dryer burn, and what is that in kWh?": both, the kWh converted
    # with the site's calorific value
    both = metric == "volume" and _kwh_asked(q) and bool(calorific(q))
    metrics = [metric, "energy"] if both else [metric]
    own = _own_series(q, whole.meters, metric)
    if own:  # "and February, both numbers" after a furnace's gas and the outdoor temperature
        calls = tuple(
            Call("query_metric", {"meters": list(group), "metric": m, "period": p})
            for p in periods
            for group, m in own
        )
    else:
        calls = tuple(
            Call("query_metric", args | {"metric": m, "period": p})
            for p in periods
            for m in metrics
        )
    return Plan("total", calls, notes=_notes(q, whole), detail=_sides(whole))


def _own_series(
    q: Question, meters: tuple[str, ...], metric: str
) -> tuple[tuple[tuple[str, ...], str], ...]:
    """The meters grouped by the series each is read in, when the turn names no measure of its
    own and some meter has no series of the one carried (a weather station beside a furnace):
    that meter's one series instead (its average, for a level). None when all have it."""
    r = q.reading
    if len(meters) < 2 or (r.measures and "measures" not in r.inherited):
        return ()
    groups: dict[str, list[str]] = {}
    for name in meters:
        entry = q.site.meter(name)
        if entry is None:
            return ()
        if metric in entry.metrics:
            groups.setdefault(metric, []).append(name)
        elif len(entry.metrics) == 1:
            groups.setdefault(entry.metrics[0], []).append(name)
        else:
            return ()
    if len(groups) < 2:
        return ()
    return tuple((tuple(names), m) for m, names in groups.items())


def _statistic(q: Question) -> str | None:
    r = q.reading
    if r.metric is None or r.metric in ADDITIVE_METRICS:
        # an amount's busiest day is the day of the largest sum, not of the largest reading
        return "avg_kw" if Kpi.AVERAGE_POWER in r.kpis else None
    words = kinds.kinds().level_words
    for m in r.measures:
        for word in m.words.text.lower().split():
            if word in words:
                return words[word]
    for op, stat in ((Op.MIN, "min"), (Op.MAX, "max"), (Op.AVERAGE, "avg")):
        if r.asks(op):
            return stat
    return None


def _sides(found: Sides) -> MappingProxyType[str, Any]:
    return MappingProxyType({"sides": found.sides})


@kind("series")
def _series(q: Question, whole: Sides, periods: list[str]) -> Plan:
    grain = kinds.implied_grain(q.reading)
    stepped = [k for k in _kpis(q) if k not in ("energy", "average_power")]
    calendar = (Grain.DAY, Grain.WEEK, Grain.MONTH)
    extreme = q.reading.asks(Op.AVERAGE, Op.MAX, Op.MIN, Op.WHEN)
    if stepped and grain is not None and grain in calendar and not extreme:
        # "daily cost last week", "peak demand per day": the KPI of each step, never the
        # energy by step in its place ("hourly peak" is the peak of hourly energy, a series)
        each = asked_periods.steps(q, grain)
        if each is None:
            return ask(
                f"I can give the {stepped[0].replace('_', ' ')} of each {grain.value}, up to "
                f"{asked_periods.MAX_STEPS} of them at a time. Name a shorter period or a "
                "longer step, or ask for the whole period's figure."
            )
        return _kpi(q, whole, each)
    args: dict[str, Any] = {
        "meters": list(whole.meters),
        "metric": q.reading.metric or "energy",
        "grain": grain.value if grain else "day",
    }
    statistic = _statistic(q)
    if statistic:
        args["statistic"] = statistic
    calls = tuple(Call("query_metric", args | {"period": p}) for p in periods)
    return Plan("series", calls, notes=_notes(q, whole), detail=_sides(whole))


def _which_line(q: Question, found: Sides) -> Plan | None:
    """SEC of no meter named on a site of several lines: which line, before the whole site."""
    if "sec" not in _kpis(q) or found.sides or q.reading.site_wide:
        return None
    lines = [m.name for m in q.site.vocab.meters if q.site.has_production(m.name)]
    if len(lines) <= 1:
        return None
    options = tuple(lines)
    return ask(
        f"SEC of which line: {' or '.join(options)}? Or say 'the whole site'.",
        pending=Pending.CHOICE,
        options=options,
    )


@kind("kpi", guard=_which_line)
def _kpi(q: Question, whole: Sides, periods: list[str]) -> Plan:
    kpis = _kpis(q)
    params = stated(q)
    unplaced = _prices_unplaced(q, params) if "cost" in kpis else None
    if unplaced is not None:
        return unplaced
    supplies = _site_intensity(q, whole) if kpis == ["intensity"] else whole
    if kpis != ["energy"] and _energy_named(q) and not _window_priced_alone(q.reading):
        kpis = ["energy", *kpis]  # "kWh, peak kW and ...": each part asked gets its figure
    together = (asked_periods.joined(q) and len(whole.sides) > 1) or supplies is not whole
    mixed = any(len({q.site.carrier(m) for m in side}) > 1 for side in supplies.sides)
    together = together or mixed  # "gas + electricity": each carrier apart, then added up
    whole = supplies
    calls = tuple(
        _kpi_call(k, side, p, params)
        for p in periods
        for k in kpis
        for side in _sides_for(k, _as_one(q, whole) if together else whole, together)
    )
    twins = _site_side(q, calls, params)
    site_first = twins and _said_first(q.reading, "site_tariff")
    calls = twins + calls if site_first else calls + twins
    calls += _counted(q, whole, periods)
    # several meters' amounts (kWh, cost, carbon) asked side by side are also stated added up
    detail = _sides(whole) | {"together": together, "added": len(whole.sides) > 1}
    return Plan("kpi", calls, notes=_notes(q, whole), detail=MappingProxyType(detail))


def _prices_unplaced(q: Question, params: dict[str, Any]) -> Plan | None:
    """ "at 0.56 R$/kWh off-peak and 2.49 R$/kWh in ponta, weekdays 18:00-21:00" read as two
    prices with no hours of their own: pricing everything at one of them would be a figure on
    a tariff the user did not give, so when each holds is asked back."""
    if "tou_periods" in params or q.reading.asks(Op.COMPARE):
        return None
    said = [p for p in q.reading.prices if p.per_kwh is not None and p.words.tokens]
    for carrier in {p.carrier for p in said}:
        values = sorted({p.per_kwh for p in said if p.carrier == carrier and p.per_kwh})
        if len(values) < 2:
            continue
        unit = next((p.currency for p in said if p.currency), None) or ""
        listed = " and ".join(f"{v:g}" for v in values)
        return ask(
            f"You gave {len(values)} prices ({listed} {unit}/kWh) and I could not read when each "
            "applies, so I have not priced it at one of them. Write when each holds, e.g. "
            f"'{values[-1]:g} {unit}/kWh 18:00-21:00 on weekdays, {values[0]:g} {unit}/kWh at "
            "other times'.".replace(" /kWh", "/kWh")
        )
    return None


def _site_side(q: Question, calls: tuple[Call, ...], params: dict[str, Any]) -> tuple[Call, ...]:
    """ "our tariff vs a flat R$ 0,60/kWh": a comparison of the site's tariff with prices the
    question states prices both, so each cost priced at the stated ones gets its twin at the
    site's own tariff (the answer states both)."""
    r = q.reading
    own = [p for p in r.prices if p.words.tokens] + [w for w in r.tou_windows if w.words.tokens]
    if not own or "site_tariff" not in r.features() or not r.asks(Op.COMPARE):
        return ()
    priced = set(RELEVANT["cost"]) - {"currency", "demand_window_minutes"}
    return tuple(
        replace(c, args={k: v for k, v in c.args.items() if k not in priced and k != "currency"})
        for c in calls
        if c.name == "compute_kpi" and c.args.get("kpi") == "cost" and priced & set(c.args)
    )


def _said_first(r: Reading, feature: str) -> bool:
    """Whether the cue `feature` comes before every price the question states."""
    cue = min((c.words.start for c in r.cues if c.feature == feature), default=None)
    prices = [p.words.start for p in r.prices if p.words.tokens]
    prices += [w.words.start for w in r.tou_windows if w.words.tokens]
    return cue is not None and all(cue < start for start in prices)


def _site_intensity(q: Question, whole: Sides) -> Sides:
    """The site's intensity is every supply of the carrier together over the site's floor
    area: a building on a supply of its own stands on the same floor area as the rest. The
    site asked for by its supplies named one by one ("site-wide, counting the main supply and
    the office's own") is the same figure."""
    if not whole.meters:
        return whole
    tops = q.site.tops(q.site.carrier(whole.meters[0]))
    if whole.how == scope.NAMED and q.reading.site_wide and set(whole.meters) == set(tops):
        return Sides((tops,), whole.how) if len(tops) > 1 else whole
    if whole.how != scope.SITE:
        return whole
    return Sides((tops,), whole.how) if len(tops) > 1 else whole


def _as_one(q: Question, whole: Sides) -> Sides:
    """Meters of one carrier asked together are one side, each KPI computed on their sum
    interval by interval (the coincident peak, not the sum of peaks); of several carriers,
    each stays apart and the answer adds up what can be added."""
    by_carrier: dict[str, list[str]] = {}
    for m in whole.meters:
        by_carrier.setdefault(q.site.carrier(m) or "", []).append(m)
    return Sides(tuple(tuple(ms) for ms in by_carrier.values()), whole.how)


def _energy_named(q: Question) -> bool:
    """Energy asked for in words of its own beside other KPIs ("kWh and peak kW")."""
    verbs = kinds.kinds().verb_words  # "use 0.92 EUR per USD" names no energy
    return any(
        m.kpi is Kpi.ENERGY and m.words.tokens and m.words.text.lower() not in verbs
        for m in q.reading.measures
    )


def _counted(q: Question, whole: Sides, periods: list[str]) -> tuple[Call, ...]:
    """A series asked for beside the KPIs ("and how many units it made"), for the meters
    that have it."""
    metric = q.reading.metric
    if metric is None or metric == "energy":
        return ()
    meters: list[str] = []
    for name in whole.meters:
        entry = q.site.meter(name) or _NONE
        # a line's output may be counted on a meter of its own (its production link)
        own = [name] if metric in entry.metrics else []
        meters += own or [p for p in entry.production if metric == "production"]
    if not meters:
        return ()
    args = {"meters": meters, "metric": metric}
    return tuple(Call("query_metric", args | {"period": p}) for p in periods)


@kind("rank", site=False)
def _rank(q: Question, found: Sides, periods: list[str]) -> Plan:
    r = q.reading
    kpis = [k for k in _kpis(q) if k != "energy"]
    carrier = r.carriers[0].carrier if r.carriers else None
    less = r.asks(Op.WHICH_LESS, Op.MIN) or any(
        t.norm in ("least", "smallest", "lowest", "fewest") for t in r.tokens
    )
    top = r.top[0].n if r.top else None
    if kpis:
        meters = [m for m in q.site.consumers() if carrier in (None, q.site.carrier(m))]
        params = stated(q)
        calls = tuple(_kpi_call(kpis[0], (m,), periods[0], params) for m in meters)
        detail = MappingProxyType({"less": less, "top": top})
        return Plan("rank_kpi", calls, notes=r.notes, detail=detail)
    args: dict[str, Any] = {"period": periods[0], "top": 100 if less else (top or 10)}
    if carrier:
        args["kind"] = carrier
    detail = MappingProxyType({"less": less, "top": top})
    return Plan("rank", (Call("rank_meters", args),), notes=r.notes, detail=detail)


def _of_total(planned: Plan, total_of: tuple[str, ...]) -> Plan:
    """ "what % is it of the site's total (A + B)": a ranking also reads that total, for its
    top's share of it."""
    if not total_of or planned.kind != "rank" or not planned.calls:
        return planned
    period = planned.calls[0].args["period"]
    total = Call("query_metric", {"meters": list(total_of), "metric": "energy", "period": period})
    detail = MappingProxyType({**planned.detail, "total_of": total_of})
    return replace(planned, calls=(*planned.calls, total), detail=detail)


# Words before a shift word that make it one shift ("in the shift", "no turno"), not each
ONE_OF = frozenset({"the", "that", "this", "o", "no", "na", "nesse", "neste", "naquele"})


def _which_shift(q: Question, whole: Sides) -> Plan | None:
    """ "how much did line 4 use in the shift yesterday?" at a site of several shifts: one
    shift, not named, is asked back (the whole day split by shift answers another question)."""
    shifts = q.site.vocab.shifts
    r = q.reading
    said = [s for s in r.splits if s.split is Split.SHIFT and not s.part and s.words.tokens]
    if len(shifts) < 2 or len(said) != len(r.splits) or not said:
        return None
    first = said[0].words.tokens[0]
    one = len(said[0].words.tokens) == 1 and not said[0].words.text.lower().endswith("s")
    if not one or first == 0 or r.tokens[first - 1].norm not in ONE_OF:
        return None
    return ask(f"Which shift do you mean: {', '.join(shifts)}? Or say 'by shift' for each.")


@kind("split", guard=_which_shift)
def _split(q: Question, whole: Sides, periods: list[str]) -> Plan:
    r = q.reading
    averaged = _days_averaged(q, whole, periods)
    if averaged is not None:
        return averaged
    if Kpi.COST in r.kpis and _window_priced_alone(r):
        return _kpi(q, whole, periods)  # the cost of the one window priced, not a split
    splits = list(r.splits)
    chosen = next((s for s in splits if s.split is Split.HOUR_OF_DAY), None) or next(
        (s for s in splits if s.part), splits[0]
    )
    args: dict[str, Any] = {"by": chosen.split.value, "period": periods[0]}
    days = _days(q) if chosen.split is Split.HOUR_OF_DAY else None
    if days is not None:
        args["days"] = days
    calls = tuple(Call("split_consumption", args | {"meter": m}) for m in whole.meters)
    part = next((s.part for s in splits if s.part and s.split is chosen.split), "")
    if chosen.split is Split.TOU and part:
        calls += tuple(_part_cost(q, whole, periods, part))
    detail = MappingProxyType({"part": part, "by": chosen.split.value, "sides": whole.sides})
    return Plan("split", calls, notes=_notes(q, whole), detail=detail)


def _days_averaged(q: Question, whole: Sides, periods: list[str]) -> Plan | None:
    """ "average of the weekdays last week, kWh per day", "average kW on weekends in May":
    the days of that part of the week alone (a window of whole days), their energy per day or
    per hour, not a split of the whole period into its parts."""
    r = q.reading
    days = _days(q)
    per_day = r.asks(Op.AVERAGE) and kinds.implied_grain(r) is Grain.DAY
    power = Kpi.AVERAGE_POWER in r.kpis
    if days is None or not (per_day or power) or r.asks(Op.SHARE, Op.PERCENT, Op.BREAKDOWN):
        return None
    if r.asks(Op.MAX, Op.MIN, Op.WHEN):
        return None  # "which hour is the load highest on average, weekdays": a profile's peak
    if set(r.kpis) - {Kpi.ENERGY, Kpi.AVERAGE_POWER} or r.hour_windows or r.prices:
        return None
    parts = {s.part for s in r.splits if s.split is Split.WEEKDAY_WEEKEND}
    if len(parts) > 1 or any(s.part and s.split is not Split.WEEKDAY_WEEKEND for s in r.splits):
        return None  # "weekdays vs weekends per day": both parts, a split
    args = {"meters": list(whole.meters), "hours": "00:00-24:00", "days": days}
    calls = tuple(Call("clock_window", args | {"period": p}) for p in periods)
    detail = {"sides": whole.sides, "whole_days": True, "per_day": per_day and not power}
    return Plan("window", calls, notes=_notes(q, whole), detail=MappingProxyType(detail))


@kind("window")
def _window(q: Question, whole: Sides, periods: list[str]) -> Plan:
    w = q.reading.hour_windows[0] if q.reading.hour_windows else None
    values = _values_within(q, whole, periods) if w is not None else None
    if values is not None:
        return values
    args: dict[str, Any] = {
        "meters": list(whole.meters),
        # no hours said: the whole of each day kept ("last week without Thursday")
        "hours": f"{_clock(w.start)}-{_clock(w.end)}" if w is not None else "00:00-24:00",
    }
    kept = kept_days(q, _days(q))
    if isinstance(kept, Plan):
        return kept
    days, left_out = kept
    if days is not None:
        args["days"] = days
    calls = [Call("clock_window", args | {"period": p}) for p in periods]
    priced = _window_cost(q, whole, periods, args)
    if w is not None:
        other = window_not_given(q, priced=bool(priced))
        if other is not None:
            return other
    calls += priced
    if w is not None and w.assumed and len(whole.meters) == 1:
        # a part of the day without hours: the hourly profile shows where the hours fall
        by_hour = {"meter": whole.meters[0], "period": periods[0], "by": "hour_of_day"}
        calls.append(Call("split_consumption", by_hour))
    detail = MappingProxyType({**_sides(whole), "days_kept": bool(q.reading.days_left_out)})
    return Plan("window", tuple(calls), notes=(*_notes(q, whole), *left_out), detail=detail)


# what a clock window's figures give: its energy, their average kW and the peak interval demand
WINDOW_GIVES = WINDOW_KPIS


def window_not_given(q: Question, *, priced: bool = False) -> Plan | None:
    """A KPI asked over hours of the day that a clock window does not give (a load factor, a
    base load, a specific energy, carbon, a cost with no price to put on those hours) is asked
    back naming the words not used, never answered with the window's energy."""
    r = q.reading
    missing = set(r.kpis) - WINDOW_GIVES - ({Kpi.COST} if priced else set())
    if not missing:
        return None
    said = [m.words.text for m in r.measures if m.kpi in missing and m.words.text]
    said = said or [k.value.replace("_", " ") for k in sorted(missing)]
    hours = "', '".join(w.words.text for w in r.hour_windows if w.words.text)
    asked = f" ('{hours}')" if hours else ""
    said = list(dict.fromkeys(said))
    what = "', '".join(said)
    return ask(
        f"I did not use '{what}': for the hours asked{asked} I can give their energy, average "
        f"kW and peak demand, not their {' or '.join(said)}. Should I give those, or the "
        "figure of the whole period?"
    )


def _named_part_prices(q: Question, flat: list[Price]) -> dict[str, Any]:
    """ "at ponta 2.35/kWh and fora ponta 0.52/kWh": a price said right after the name of one of
    the site's tariff periods is that period's, on its hours in the site's tariff, and the
    price named for the other hours holds the rest (not the first price at every hour)."""
    r = q.reading
    parts = [s for s in r.splits if s.split is Split.TOU and s.part and s.words.tokens]
    own = [p for p in flat if p.words.tokens]
    if r.tou_windows or len(parts) != 1 or len(own) != 2:
        return {}
    at = parts[0].words.tokens[-1]
    first = [p for p in own if not p.name and p.words.tokens[0] == at + 1]
    rest = [p for p in own if p.name and p.name != "flat"]
    hours = _site_hours(q, parts[0].part)
    if len(first) != 1 or len(rest) != 1 or hours is None:
        return {}
    days, start, end, skips = hours
    period: dict[str, Any] = {
        "days": list(days),
        "start": _hour(start),
        "end": _hour(end),
        "price": first[0].per_kwh,
    }
    if skips:  # the period's public holidays are priced as the other hours
        period["except_holidays"] = True
    return {"tou_periods": [period], "price_per_kwh": rest[0].per_kwh}


def _site_hours(q: Question, part: str) -> tuple[tuple[int, ...], float, float, bool] | None:
    """The days and hours of the site's tariff period of that name, and whether it skips the
    public holidays, the same in every tariff of the site (else none)."""
    tariffs = q.site.config.tariff_schedule.get("electricity") or tuple(
        t for c, t in q.site.config.tariffs.items() if c == "electricity"
    )
    hours = {
        (tuple(days), start, end, t.skips_holidays(i))
        for t in tariffs
        for i, (days, start, end, _) in enumerate(t.periods)
        if t.period_name(i).casefold() == part.casefold()
    }
    return hours.pop() if len(hours) == 1 else None


def _part_cost(q: Question, whole: Sides, periods: list[str], part: str) -> list[Call]:
    """ "what did just that ponta energy cost at R$ 2,49/kWh?": the hours of the site's tariff
    period of that name (the same in every tariff of the site, else none) priced at the one
    price stated, nothing outside them."""
    hours = _site_hours(q, part)
    if hours is None:
        return []
    days, start, end, skips = hours
    window: dict[str, Any] = {"hours": f"{_hour(start)}-{_hour(end)}", "days": list(days)}
    if skips:  # the period's public holidays are not in it
        window["except_holidays"] = True
    return _window_cost(q, whole, periods, window, priced=True)


def _hour(h: float) -> str:
    return f"{int(h):02d}:{round(h % 1 * 60):02d}"


def _window_cost(
    q: Question, whole: Sides, periods: list[str], window: dict[str, Any], priced: bool = False
) -> list[Call]:
    """ "at 0,56 R$/kWh what do those night hours cost?": the energy inside the window priced
    at the one price stated, nothing outside it (a time-of-use tariff of that one period)."""
    r = q.reading
    flat = [p for p in r.prices if p.per_kwh is not None]
    asked = priced or Kpi.COST in r.kpis  # a price said of a tariff period asks its cost
    if not asked or len(flat) != 1 or r.tou_windows or r.demand_charges:
        return []
    start, end = window["hours"].split("-")
    days = window.get("days", list(range(7)))
    tou = [{"days": days, "start": start, "end": end, "price": flat[0].per_kwh}]
    if window.get("except_holidays"):
        tou[0]["except_holidays"] = True
    params = {"price_per_kwh": 0.0, "tou_periods": tou} | (
        {"currency": flat[0].currency} if flat[0].currency else {}
    )
    return [_kpi_call("cost", side, p, params) for p in periods for side in whole.sides]


def _values_within(q: Question, whole: Sides, periods: list[str]) -> Plan | None:
    """ "the 15 min values on 26/05 between 10 and 12": the series of those hours of each day
    asked, at the grain asked (finer than the window), not the window's total."""
    w = q.reading.hour_windows[0]
    grain = kinds.implied_grain(q.reading)
    if w.assumed or grain is None or grain.value not in ("15min", "hour") or w.end <= w.start:
        return None
    if not all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", p) for p in periods):
        return None
    args: dict[str, Any] = {
        "meters": list(whole.meters),
        "metric": q.reading.metric or "energy",
        "grain": grain.value,
    }
    calls = tuple(
        Call("query_metric", args | {"period": f"{p}T{_clock(w.start)}..{p}T{_clock(w.end)}"})
        for p in periods
    )
    return Plan("series", calls, notes=_notes(q, whole), detail=_sides(whole))


@kind("episodes")
def _episodes(q: Question, whole: Sides, periods: list[str]) -> Plan:
    t = q.reading.thresholds[0]
    if t.unit not in ("kW", ""):
        return ask(
            f"I count how long demand (kW) stays beyond a threshold; {t.value:g} {t.unit} is not "
            "a demand. Which kW threshold should I use?"
        )
    condition = {Comparison.ABOVE: ">", Comparison.AT_LEAST: ">=", Comparison.BELOW: "<",
                 Comparison.AT_MOST: "<="}[t.comparison]  # fmt: skip
    args: dict[str, Any] = {
        "meters": list(whole.meters),
        "period": periods[0],
        "threshold_kw": t.value,
        "condition": condition,
        "min_minutes": t.duration_min or 0,
        "strictly_longer": t.longer,
    }
    params = stated(q)
    if "demand_window_minutes" in params:
        args["window_minutes"] = params["demand_window_minutes"]
    return Plan("episodes", (Call("count_episodes", args),), notes=_notes(q, whole))


@kind("share", site=False)
def _share(q: Question, found: Sides, periods: list[str]) -> Plan:
    r = q.reading
    whole_of = list(r.share_of)
    split = None if whole_of else r.share_whole()
    if split is not None:
        found = Sides((split[0],), found.how)
        whole_of = list(split[1])
    if r.site_wide and found.sides and not whole_of:
        carrier = q.site.meter(found.meters[-1])
        whole_of = list(q.site.roots(carrier.carrier if carrier else None))
        # "what % of the whole plant (the main supply) was A": the site's total named in
        # brackets after the site is the whole, not a part of the share
        spelled = set(_spelled_after_site(r)) & set(whole_of)
        parts = tuple(s for s in found.sides if not set(s) <= spelled)
        if spelled and parts:
            found = Sides(parts, found.how)
    if not found.sides:
        return ask("A share of what? Name the meter (or group), e.g. 'the dryer's share'.")
    feeder = None if whole_of else _share_of_feeder(q, found.meters)
    if feeder is not None:
        # "what share of the board went into A + B": the board is the whole, not a part
        whole_of = [feeder]
        found = Sides(tuple(s for s in found.sides if feeder not in s), found.how)
    fed = _fed_twice(q, found.meters)
    if fed:
        return ask(
            f"{fed[0]} is fed from {fed[1]}, so adding the two counts it twice. Do you mean "
            f"{fed[0]}'s share of {fed[1]}, or what {fed[1]} uses besides its sub-meters?"
        )
    args: dict[str, Any] = {"meters": list(found.meters), "period": periods[0]}
    if whole_of and set(whole_of) != set(found.meters):
        args["of"] = whole_of
    return Plan("share", (Call("share_of", args),), notes=_notes(q, found), detail=_sides(found))


def _spelled_after_site(r: Reading) -> tuple[str, ...]:
    """The meters named in brackets right after the words for the site ("the whole plant
    (cabine)"): what the site's total is, said by the person."""
    site = next((s for s in r.scopes if s.scope is Scope.SITE and s.words.tokens), None)
    if site is None:
        return ()
    opened = r.question.find("(", site.words.end)
    closed = r.question.find(")", opened)
    if opened < 0 or closed < 0 or r.question[site.words.end : opened].strip(" ,:-"):
        return ()
    inside = [m for m in r.meters if opened < m.words.start and m.words.end <= closed]
    return tuple(n for m in inside for n in m.meters)


def _share_of_feeder(q: Question, names: tuple[str, ...]) -> str | None:
    """The meter after "share of" that feeds every other meter named, or None."""
    r = q.reading
    for m in r.meters:
        first = m.words.tokens[0] if m.words.tokens else None
        if first is None or len(m.meters) != 1:
            continue
        before = [t.norm for t in r.tokens[max(0, first - 2) : first] if t.norm != "the"]
        feeder = m.meters[0]
        others = [n for n in names if n != feeder]
        if before[-1:] == ["of"] and others and all(q.site.under(n, feeder) for n in others):
            return feeder
    return None


def _fed_twice(q: Question, names: tuple[str, ...]) -> tuple[str, str] | None:
    """A meter summed with one that feeds it, (fed, feeder): a sum that counts energy twice."""
    for n in names:
        for other in names:
            if n != other and q.site.under(n, other):
                return n, other
    return None


@kind("remainder", site=False)
def _remainder(q: Question, found: Sides, periods: list[str]) -> Plan:
    """ "the board minus its sub-meters": the meter the others are fed from, less those named
    (all its own sub-meters when none is), read in two calls so no sum mixes a meter with what
    it feeds. Two meters that do not feed each other, one minus the other, are their
    difference; more of them are no remainder: asked back."""
    names = found.meters
    if not names:
        return ask("The remainder of which meter? Name the meter (e.g. a distribution board).")
    wholes = [w for w in names if all(n == w or q.site.under(n, w) for n in names)]
    if not wholes and len(found.sides) == 2:
        # "press 1 minus press 2, kWh?": two meters apart, the one less the other
        return KINDS["compare_meters"](q, found)
    if not wholes:
        return ask(
            f"{' and '.join(names)} do not feed one another, so one minus the others is no "
            "unmetered remainder. Which meter's remainder do you mean?"
        )
    whole = wholes[0]
    parts = [n for n in names if n != whole] or list(q.site.vocab.children(whole))
    if scope.every_sub_meter(q.reading):
        # "minus what its sub-meters (the chillers and the hall) see": every sub-meter of the
        # catalogue, the named ones being examples of them
        parts = list(dict.fromkeys([*parts, *q.site.vocab.children(whole)]))
    if not parts:
        return say(
            f"{whole} has no sub-meters in the catalogue: none of its energy is metered apart."
        )
    nested = [p for p in parts if any(q.site.under(p, o) for o in parts if o != p)]
    if nested:
        return ask(
            f"{', '.join(nested)} is fed from another meter you named, so subtracting both "
            "would count it twice. Which meters should I subtract?"
        )
    calls: list[Call] = []
    for period in periods:
        calls.append(
            Call("query_metric", {"meters": [whole], "metric": "energy", "period": period})
        )
        calls.append(Call("query_metric", {"meters": parts, "metric": "energy", "period": period}))
    detail = MappingProxyType({"whole": whole, "parts": tuple(parts)})
    return Plan("remainder", tuple(calls), notes=_notes(q, found), detail=detail)


@kind("compare_meters", site=False)
def _compare_meters(q: Question, found: Sides, periods: list[str]) -> Plan:
    found = scope.joined_sides(q.reading, found)
    kpis = [k for k in _kpis(q) if k != "energy"]
    detail = MappingProxyType({"sides": found.sides, "kpi": kpis[0] if kpis else "energy"})
    if kpis:
        params = stated(q)
        calls = tuple(_kpi_call(kpis[0], side, p, params) for p in periods for side in found.sides)
        return Plan("compare_meters", calls, notes=_notes(q, found), detail=detail)
    # "which compressor used more in September or October": the meters in each period
    calls = tuple(
        Call(
            "compare_meters",
            {
                "sides": [list(s) for s in found.sides],
                "period": p,
                "metric": q.reading.metric or "energy",
            },
        )
        for p in periods
    )
    return Plan("compare_meters", calls, notes=_notes(q, found), detail=detail)


@kind("compare_periods", periods=False)
def _compare_periods(q: Question, whole: Sides, periods: list[str]) -> Plan:
    pair = asked_periods.compared_periods(q)
    if pair is None:
        return ask("Which periods should I compare? For example 'this month vs last month'.")
    first, reference, cut, named = pair
    notes = _notes(q, whole)
    if cut:
        notes += (
            f"{cut} is still running, so I compared it with the same length of time at the "
            "start of the reference period.",
        )
    kpis = [k for k in _kpis(q) if k != "energy"]
    if q.reading.hour_windows and len(kpis) <= 1 and set(kpis) <= {"average_power", "peak_demand"}:
        # "average kW between 22:00 and 06:00, last week vs the week before": those hours of
        # each period, set side by side
        windows = _window(q, whole, [first, reference])
        both = {**windows.detail, "compared": kpis[0] if kpis else "energy"}
        return replace(windows, notes=(*windows.notes, *notes), detail=MappingProxyType(both))
    detail = MappingProxyType(
        {"sides": whole.sides, "kpi": kpis[0] if kpis else "energy", "first": first,
         "reference": reference, "named": named}
    )  # fmt: skip
    if kpis:
        params = stated(q)
        calls = tuple(
            _kpi_call(kpis[0], side, p, params) for side in whole.sides for p in (first, reference)
        )
        if _kwh_asked(q) and kpis[0] in ("cost", "carbon"):
            # "how many extra kWh, and what's that worth at 0.20 EUR/kWh": the energy compared
            # too, its difference stated beside the money's
            energy = {"meters": list(whole.meters), "metric": "energy", "period": first,
                      "reference": reference}  # fmt: skip
            calls = (*calls, Call("compare_periods", energy))
        return Plan("compare_kpi", calls, notes=notes, detail=detail)
    args: dict[str, Any] = {
        "meters": list(whole.meters),
        "metric": q.reading.metric or "energy",
        "period": first,
        "reference": reference,
    }
    if _per_day(q):
        # "was yesterday above April's daily average?": each period's amount per day, so that
        # a day is set against a day and not against the whole month
        args["per_day"] = True
    return Plan("compare_periods", (Call("compare_periods", args),), notes=notes, detail=detail)


def _per_day(q: Question) -> bool:
    r = q.reading
    amount = r.metric is None or r.metric in ADDITIVE_METRICS
    return amount and r.asks(Op.AVERAGE) and kinds.implied_grain(r) is Grain.DAY
