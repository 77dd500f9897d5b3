"""The typed pieces a reading is made of: each slot value records the words of the question it
consumed, so the next step can echo them and say plainly what it did not use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum


@dataclass(frozen=True)
class Words:
    """Where a slot came from: token indices and the question's own characters."""

    tokens: tuple[int, ...]
    start: int
    end: int
    text: str


NO_WORDS = Words((), 0, 0, "")


class Intent(StrEnum):
    """What kind of request a question is; chosen from features, never from the first match."""

    DATA = "data"
    ANOMALY = "anomaly"
    BASELINE = "baseline"
    FORECAST = "forecast"
    COVERAGE = "coverage"
    KNOWLEDGE = "knowledge"
    ALERT_CREATE = "alert_create"
    ALERT_UPDATE = "alert_update"
    ALERT_ACK = "alert_ack"
    ALERT_LIST = "alert_list"
    ALERT_RULES = "alert_rules"
    INCIDENT = "incident"
    SQL = "sql"
    REPORT = "report"  # the monthly energy report
    UNSUPPORTED = "unsupported"
    HELP = "help"
    CONFIRM = "confirm"
    DECLINE = "decline"
    UNCLEAR = "unclear"  # nothing the reader could route: ask what is meant


class Match(StrEnum):
    """How a meter mention was recognised."""

    NAME = "name"
    ALIAS = "alias"
    FUZZY = "fuzzy"  # within an edit distance of a name or alias
    GROUP = "group"  # a catalogue group
    FAMILY = "family"  # the shared start of several meters' names ("pump", "Linie")
    SIBLING = "sibling"  # "pump 1 and 2": the 2 after a numbered name
    CARRIER = "carrier"  # every meter of a carrier ("gas")
    DESCRIBED = "described"  # a word of its catalogue entry ("the kiln" for "Forno Túnel")
    EQUIPMENT = "equipment"  # a word for its kind of equipment, in any language ("Kessel")


@dataclass(frozen=True)
class MeterMention:
    meters: tuple[str, ...]  # canonical names; several for groups, families and ambiguities
    match: Match
    words: Words
    key: str = ""  # the name, alias or group it matched
    ambiguous: bool = False  # a singular family word ("the pump"): which one?
    score: float = 100.0


class Scope(StrEnum):
    SITE = "site"  # "the site", "the whole plant": the site's own total
    ALL_METERS = "all_meters"  # "all meters", "every meter", "by meter"


@dataclass(frozen=True)
class ScopeMention:
    scope: Scope
    words: Words


@dataclass(frozen=True)
class CarrierMention:
    carrier: str
    meters: tuple[str, ...]  # the site's meters of that carrier (may be empty)
    words: Words


@dataclass(frozen=True)
class UnknownName:
    """Words shaped like a meter's name ("pump 7", "line-c") that the catalogue lacks."""

    words: Words
    suggestions: tuple[str, ...]


class Kpi(StrEnum):
    ENERGY = "energy"
    PEAK_DEMAND = "peak_demand"
    LOAD_FACTOR = "load_factor"
    SEC = "sec"
    COST = "cost"
    CARBON = "carbon"
    BASE_LOAD = "base_load"
    INTENSITY = "intensity"
    AVERAGE_POWER = "average_power"


# what the figures of hours of the day give: their energy, average kW and peak interval demand
WINDOW_KPIS = frozenset({Kpi.ENERGY, Kpi.AVERAGE_POWER, Kpi.PEAK_DEMAND})


@dataclass(frozen=True)
class MeasureMention:
    """A KPI, or a series metric other than energy (temperature, production, flow)."""

    words: Words
    kpi: Kpi | None = None
    metric: str = "energy"  # the series it is computed from


class Op(StrEnum):
    TOTAL = "total"
    AVERAGE = "average"
    MAX = "max"
    MIN = "min"
    WHEN = "when"  # at what time / on which day
    PROFILE = "profile"  # a series over time (with a grain)
    BREAKDOWN = "breakdown"  # split by shift, tariff period, weekday/weekend
    COMPARE = "compare"
    DIFFERENCE = "difference"  # "by how much"
    PERCENT = "percent"  # "in %", "percentage-wise", "as a percentage"
    MORE = "more"  # a comparative: "more", "higher", "bigger"
    LESS = "less"
    WHICH_MORE = "which_more"  # "which used more, A or B": name the winner
    WHICH_LESS = "which_less"
    YES_NO = "yes_no"
    SHARE = "share"
    RANK = "rank"
    TREND = "trend"
    COUNT = "count"
    REMAINDER = "remainder"  # "board minus its sub-meters": what no sub-meter sees


@dataclass(frozen=True)
class OperationMention:
    op: Op
    words: Words


class Grain(StrEnum):
    MIN15 = "15min"
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class GrainMention:
    grain: Grain
    words: Words


class Split(StrEnum):
    SHIFT = "shift"
    TOU = "tou"
    WEEKDAY_WEEKEND = "weekday_weekend"
    HOUR_OF_DAY = "hour_of_day"
    DAY_OF_WEEK = "day_of_week"


@dataclass(frozen=True)
class SplitMention:
    split: Split
    words: Words
    part: str = ""  # a named part: "late" shift, "peak" tariff period, "weekend"


class PeriodRole(StrEnum):
    SUBJECT = "subject"  # the period asked about
    REFERENCE = "reference"  # what it is compared with ("than in July", "vs last year")
    BASE = "base"  # a baseline's fitting period


class Relation(StrEnum):
    """A period named relative to another one: "the week before", "same period last year"."""

    DAY_BEFORE = "day before"
    WEEK_BEFORE = "week before"
    MONTH_BEFORE = "month before"
    YEAR_BEFORE = "year before"
    PERIOD_BEFORE = "period before"
    WEEK_EARLIER = "week earlier"  # "the same day last week": the same days, 7 days back
    YEAR_EARLIER_WEEKDAY = "same weekday a year earlier"  # 52 weeks back, same weekdays
    WEEKDAY_BEFORE = "weekday before"  # "the Monday before": that weekday, before the period
    MONTH_EARLIER = (
        "same days a month earlier"  # "the same week last month": its week, a month back
    )
    DAY_AFTER = "day after"
    WEEK_AFTER = "week after"
    MONTH_AFTER = "month after"
    PERIOD_AFTER = "period after"  # "the period after", "the 10 days after that"


@dataclass(frozen=True)
class TimeSpan:
    """A period in the tools' grammar, a label for answers, and its local days when fixed."""

    period: str
    label: str
    start: date | None = None
    end: date | None = None  # inclusive


@dataclass(frozen=True)
class PeriodMention:
    words: Words
    span: TimeSpan | None  # None for a relation with nothing to anchor it yet, or a choice
    role: PeriodRole = PeriodRole.SUBJECT
    relation: Relation | None = None
    weekday: int | None = None  # the day a relation names ("the Monday before"), 0 = Monday
    # how long a relation says its period is ("the 10 days before that": 10, "day")
    length: tuple[int, str] | None = None
    # "12/10" where the site's date order is unknown: the days it can be, to ask which
    choices: tuple[TimeSpan, ...] = ()


@dataclass(frozen=True)
class DaysLeftOut:
    """Days the question leaves out of the period asked: "without Thursday" (that weekday of
    the period), "except Sundays" (every one), "leaving out yesterday" (a date)."""

    words: Words
    dates: tuple[date, ...] = ()
    weekdays: tuple[int, ...] = ()  # 0 = Monday
    every: bool = False  # "Sundays": each one of the period, however long


@dataclass(frozen=True)
class HourWindow:
    """Hours of the day ("22:00-06:00", "overnight"); an end before the start wraps midnight."""

    start: time
    end: time
    words: Words
    assumed: bool = False  # "at night" with no hours: the reader chose 22:00-06:00
    name: str = ""  # "peak hours 8-20": the user's name for the window


@dataclass(frozen=True)
class EmissionFactor:
    kg_per_kwh: float
    words: Words
    carrier: str | None = None  # what it is of: said ("gas factor"), or the turn's carrier
    unit_assumed: bool = False  # "factor 0.35" without a unit: read as kg CO2e/kWh


@dataclass(frozen=True)
class CalorificValue:
    """ "a calorific value of 10,83 kWh per m³": the energy of a cubic metre of gas, as the
    user states it. Unlabelled ("we use 10,83 kWh per m³"), it is one only where the answer
    converts a gas volume with it."""

    kwh_per_m3: float
    words: Words
    labelled: bool = True  # a label said it is a calorific value ("Brennwert", "CV")


@dataclass(frozen=True)
class Price:
    per_kwh: float
    words: Words
    currency: str | None = None
    name: str = ""  # "off-peak": the price outside the stated windows
    carrier: str | None = None  # what it prices: said, or the carrier of the turn it was said in
    # the energy priced at nothing only to pick out the demand charge of the bill ("how much
    # of that is the demand charge?"): asked of this turn, not a tariff kept for the next
    part: bool = False


@dataclass(frozen=True)
class TouWindow:
    """A time-of-use period the user states: "peak 8-20 weekdays at 0.30"."""

    name: str
    days: tuple[int, ...]  # 0 = Monday
    start: time
    end: time
    price: float
    words: Words
    currency: str | None = None
    carrier: str | None = None
    days_said: bool = True  # False: no days were written, the default was taken
    except_holidays: bool = False  # "doesn't apply on public holidays": those days are off


@dataclass(frozen=True)
class HolidaysOff:
    """ "the 18-21h price doesn't apply on public holidays": a stated window's price does not
    hold on the site's public holidays; `hours` the window it names, None for all of them."""

    hours: tuple[time, time] | None
    words: Words


@dataclass(frozen=True)
class DemandCharge:
    per_kw: float
    words: Words
    currency: str | None = None
    carrier: str | None = None
    part: bool = False  # no charge only to pick out the energy part ("energy only"), as above


@dataclass(frozen=True)
class ExchangeRate:
    """ "use 5.40 BRL per USD": how many of `currency` one unit of `per` is worth."""

    rate: float
    currency: str
    per: str
    words: Words


@dataclass(frozen=True)
class FloorArea:
    """ "over the site's 14,200 m2": a floor area the question states; "14.200" may be either
    number, so each reading of it is kept."""

    m2: tuple[float, ...]
    words: Words


@dataclass(frozen=True)
class DemandWindow:
    minutes: int
    words: Words
    # "what if the window were 60 minutes?": a window tried, for the figure asked with it only
    what_if: bool = False


@dataclass(frozen=True)
class UnitMention:
    """The unit an answer is wanted in: "in kWh", "in kg"."""

    unit: str
    words: Words


@dataclass(frozen=True)
class CurrencyMention:
    code: str
    words: Words


class Comparison(StrEnum):
    ABOVE = ">"
    AT_LEAST = ">="
    BELOW = "<"
    AT_MOST = "<="


@dataclass(frozen=True)
class Threshold:
    """ "above 500 kW for more than 30 minutes": comparison, value, unit, how long, per what."""

    comparison: Comparison
    value: float
    unit: str  # canonical symbol, or "" when none was written
    words: Words
    duration_min: float | None = None  # it must last this long
    window: Grain | None = None  # "more than 3000 kWh in a day": the amount per day
    # "for more than 30 minutes", "longer than": it must last longer than `duration_min`;
    # "for 30 minutes", "at least": that long is enough
    longer: bool = False


@dataclass(frozen=True)
class TopN:
    n: int
    words: Words


@dataclass(frozen=True)
class Reference:
    """A numbered object: "rule 3", "alert 2", "incident 5"."""

    kind: str
    number: int
    words: Words


@dataclass(frozen=True)
class Horizon:
    """How far ahead a forecast looks: "tomorrow", "the next 7 days"."""

    hours: int
    words: Words
    day: str | None = None  # the day it names: "today" (the rest of it) or "tomorrow"


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    DELETE = "delete"
    ENABLE = "enable"
    DISABLE = "disable"
    CHANGE = "change"


@dataclass(frozen=True)
class ActionMention:
    action: Action
    words: Words


@dataclass(frozen=True)
class Cue:
    """A word that says what kind of request this is ("runbook", "anomalies", "alert me")."""

    feature: str
    words: Words


class Reason(StrEnum):
    """Why a part of a question cannot be answered as asked."""

    NO_SERIES = "no_series"  # a quantity no series of the site measures (power factor)
    EXPORT = "export"
    REPORT = "report"
    CONTROL = "control"  # switching equipment, setpoints
    EXPLANATION = "explanation"  # "why was it high?" beyond what the tools show
    CHANGE_DATA = "change_data"  # deleting or editing stored readings
    INSTRUCTIONS = "instructions"  # "ignore your rules", asking for secrets
    OFF_TOPIC = "off_topic"
    RATE_OF_CHANGE = "rate_of_change"  # how fast a value rises or falls, e.g. kW per minute


@dataclass(frozen=True)
class UnsupportedMention:
    topic: str  # the words as the lexicon names them: "power factor", "export"
    reason: Reason
    words: Words


@dataclass(frozen=True)
class Referent:
    """A word standing for something said before: "that", "it", "the two", "as a percentage"."""

    kind: str  # that | pair | same | time | topic | larger | smaller
    words: Words


@dataclass(frozen=True)
class FreeText:
    """Text taken whole: a note for an incident, a search topic, a SQL statement, or context
    said only to set the scene (who asks, the topic a question opens with)."""

    kind: str  # note | topic | sql | context
    text: str
    words: Words


@dataclass(frozen=True)
class Unused:
    """Content words no slot consumed, merged into phrases as written."""

    text: str
    words: Words
