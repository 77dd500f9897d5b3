"""A read question: every slot with the words it consumed, the intent, and the content words
no slot used, so that an answer can say plainly what it did not use."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from agent.reader.lexicon import default_lexicon
from agent.reader.slots import (
    ActionMention,
    CalorificValue,
    CarrierMention,
    Cue,
    CurrencyMention,
    DaysLeftOut,
    DemandCharge,
    DemandWindow,
    EmissionFactor,
    ExchangeRate,
    FloorArea,
    FreeText,
    GrainMention,
    HolidaysOff,
    Horizon,
    HourWindow,
    Intent,
    Kpi,
    MeasureMention,
    MeterMention,
    Op,
    OperationMention,
    PeriodMention,
    PeriodRole,
    Price,
    Reference,
    Referent,
    Scope,
    ScopeMention,
    SplitMention,
    Threshold,
    TopN,
    TouWindow,
    UnitMention,
    UnknownName,
    UnsupportedMention,
    Unused,
    Words,
)
from agent.reader.text import Token

# Slots a follow-up can leave out and take from the turn before.
INHERITABLE = ("meters", "periods", "measures", "grains", "splits", "hour_windows")


@dataclass(frozen=True)
class Reading:
    """What one question asks, slot by slot. Tuples keep the order of the question."""

    question: str
    tokens: tuple[Token, ...] = ()
    intent: Intent = Intent.UNCLEAR
    scores: MappingProxyType[Intent, float] = field(
        default_factory=lambda: MappingProxyType({}), compare=False
    )
    meters: tuple[MeterMention, ...] = ()
    unknown_names: tuple[UnknownName, ...] = ()
    carriers: tuple[CarrierMention, ...] = ()
    scopes: tuple[ScopeMention, ...] = ()
    periods: tuple[PeriodMention, ...] = ()
    measures: tuple[MeasureMention, ...] = ()
    operations: tuple[OperationMention, ...] = ()
    grains: tuple[GrainMention, ...] = ()
    splits: tuple[SplitMention, ...] = ()
    hour_windows: tuple[HourWindow, ...] = ()
    days_left_out: tuple[DaysLeftOut, ...] = ()  # "without Thursday": days not counted
    emission_factors: tuple[EmissionFactor, ...] = ()
    calorific_values: tuple[CalorificValue, ...] = ()
    prices: tuple[Price, ...] = ()
    tou_windows: tuple[TouWindow, ...] = ()
    holidays_off: tuple[HolidaysOff, ...] = ()  # stated windows that skip public holidays
    demand_charges: tuple[DemandCharge, ...] = ()
    exchange_rates: tuple[ExchangeRate, ...] = ()
    demand_windows: tuple[DemandWindow, ...] = ()
    floor_areas: tuple[FloorArea, ...] = ()
    currencies: tuple[CurrencyMention, ...] = ()
    units: tuple[UnitMention, ...] = ()
    thresholds: tuple[Threshold, ...] = ()
    top: tuple[TopN, ...] = ()
    references: tuple[Reference, ...] = ()
    horizons: tuple[Horizon, ...] = ()
    actions: tuple[ActionMention, ...] = ()
    cues: tuple[Cue, ...] = ()
    unsupported: tuple[UnsupportedMention, ...] = ()
    referents: tuple[Referent, ...] = ()
    free_text: tuple[FreeText, ...] = ()
    unused: tuple[Unused, ...] = ()
    notes: tuple[str, ...] = ()  # assumptions the reader made ("summer read as Jun-Aug 2026")
    corrections: tuple[tuple[str, str], ...] = ()  # (as written, read as)
    follows: bool = False  # opens like a follow-up: "and ...", "what about ..."
    inherited: frozenset[str] = frozenset()  # slots taken from the turn before
    # "how much of that was the dryer?": the meters whose total the share is of; empty when
    # the share is of the parent meter or the site
    share_of: tuple[str, ...] = ()

    # ------------------------------------------------------------------ slots

    def slots(self) -> Iterator[tuple[str, Any]]:
        """Every slot value that consumed words, with its slot's name."""
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("tokens", "unused") or not isinstance(value, tuple):
                continue
            for item in value:
                if isinstance(getattr(item, "words", None), Words):
                    yield f.name, item

    def consumed(self) -> frozenset[int]:
        """Token indices some slot consumed (slots taken from the turn before consume none)."""
        return frozenset(i for _, item in self.slots() for i in item.words.tokens)

    # ------------------------------------------------------------------ views

    @property
    def meter_names(self) -> tuple[str, ...]:
        """The meters named, in order, without the ambiguous ones."""
        names = [n for m in self.meters if not m.ambiguous for n in m.meters]
        return tuple(dict.fromkeys(names))

    @property
    def ambiguous(self) -> tuple[MeterMention, ...]:
        return tuple(m for m in self.meters if m.ambiguous)

    @property
    def site_wide(self) -> bool:
        return any(s.scope is Scope.SITE for s in self.scopes)

    @property
    def all_meters(self) -> bool:
        return any(s.scope is Scope.ALL_METERS for s in self.scopes)

    @property
    def names_scope(self) -> bool:
        """It says what it is about: meters, a group, a carrier, the site or all meters."""
        return bool(self.meters or self.carriers or self.scopes or self.unknown_names)

    @property
    def kpi(self) -> Kpi | None:
        """The main KPI: a specific one ("cost", "peak demand") over plain energy."""
        kpis = [m.kpi for m in self.measures if m.kpi is not None]
        specific = [k for k in kpis if k is not Kpi.ENERGY]
        return next(iter(specific or kpis), None)

    @property
    def kpis(self) -> tuple[Kpi, ...]:
        return tuple(dict.fromkeys(m.kpi for m in self.measures if m.kpi is not None))

    @property
    def metric(self) -> str | None:
        """A series metric other than energy that was asked for (temperature, production)."""
        return next((m.metric for m in self.measures if m.kpi is None), None)

    @property
    def ops(self) -> frozenset[Op]:
        return frozenset(o.op for o in self.operations)

    def asks(self, *ops: Op) -> bool:
        return any(op in self.ops for op in ops)

    def periods_as(self, role: PeriodRole) -> tuple[PeriodMention, ...]:
        return tuple(p for p in self.periods if p.role is role)

    @property
    def subject_periods(self) -> tuple[PeriodMention, ...]:
        return self.periods_as(PeriodRole.SUBJECT)

    @property
    def reference_periods(self) -> tuple[PeriodMention, ...]:
        return self.periods_as(PeriodRole.REFERENCE)

    @property
    def base_periods(self) -> tuple[PeriodMention, ...]:
        return self.periods_as(PeriodRole.BASE)

    def asks_share_of_before(self) -> bool:
        """ "how much of that was ...": a share of what the last answer was about."""
        return self.asks(Op.SHARE) and any(r.kind == "that" for r in self.referents)

    def share_whole(
        self, whole_words: tuple[frozenset[str], ...] | None = None
    ) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        """A share between two named meters, as (part, whole): the whole is the one "in" or
        "within" introduces ("share of X in Y"), else the one after "of" ("what percentage of
        Y's energy went to X", "X's share of Y"), in each language of the lexicon's
        `whole_words`. None for one meter, for meters listed together ("X and Y") and when
        the words do not tell."""
        if not self.asks(Op.SHARE, Op.PERCENT) or self.scopes or self.carriers:
            return None
        named: list[MeterMention] = []
        for m in self.meters:
            if m.ambiguous or not m.words.tokens:
                continue
            if named and named[-1].meters == m.meters:
                continue  # "compressed air (both compressors)": one side, named twice
            named.append(m)
        if len(named) != 2:
            return None
        norms = [t.norm for t in self.tokens]

        def before(m: MeterMention) -> list[str]:
            first = m.words.tokens[0]
            return [w for w in norms[max(0, first - 3) : first] if w != "the"][-2:]

        if before(named[1])[-1:] and before(named[1])[-1] in ("and", "or", ",", "&", "plus"):
            return None
        for words in whole_words or default_lexicon().whole_words:
            marked = [m for m in named if any(w in words for w in before(m))]
            if len(marked) == 1:
                whole = marked[0]
                part = named[1] if whole is named[0] else named[0]
                return part.meters, whole.meters
        return None

    def features(self) -> frozenset[str]:
        return frozenset(c.feature for c in self.cues)

    def free(self, kind: str) -> FreeText | None:
        return next((f for f in self.free_text if f.kind == kind), None)

    @property
    def partly_read(self) -> bool:
        """Some of the question was not used: an answer must say which part."""
        return bool(self.unused or self.unsupported or self.unknown_names)
