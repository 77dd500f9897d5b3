"""Question sets for the agent eval: the YAML schema as pydantic models, the loader and periods.

A set is a YAML file with a name, a default `now` and a list of cases. Each case is one question
as an energy manager would type it and what a good reply does: its outcome, the tool it calls
(with a subset of the arguments), the ground truth its answer must state and strings it must
mention. Cases that share a `thread` run in file order in one conversation.

Conventions the scorer relies on:

- `expect.tool` null or omitted: no tool may be called. A list names acceptable tools; the
  special name `none` in a list means calling nothing is acceptable too (for example an unsafe
  SQL request the agent may refuse itself or pass to run_sql, which refuses it).
- Writes: a reply's `tool_calls` lists only EXECUTED calls. A write the agent proposes and
  that waits for the user's yes shows no write call and outcome `confirm`; the write call
  appears in the reply to the confirming turn.
- Periods in `args` and `truth` are inclusive local dates `A..B` or one date `A` (ISO
  date-times are allowed as bounds, an end date-time being exclusive).
- Meter names in `args` and `truth` are canonical names, never aliases.
- A set may be a role template (`{role}`, `{role:form}` in questions, arguments and truth; roles
  computed from the data under `computed:`), resolved for a plant by `evals.roles.resolve_set`.

Fields for answers with several parts and for what a reply leaves out (all optional):

- `expect.also`: further truth specs the answer must state as well, each scored like `truth`
  (for example a peak and its time, or the SEC of two lines asked in one question).
- `expect.mentions_any`: at least one of these strings must appear (alternative spellings of
  a parameter the user stated and the reply must echo, e.g. "0.21" or "21 ct").
- `expect.unused`: things the reply must say it did not use, cannot do or has no data for.
  Each item is one thing, written as alternatives separated by "|" ("power factor|cos phi");
  it is satisfied when a sentence of the answer names one of the alternatives together with a
  negation ("not", "no", "cannot", "without", "n't", "unable", "nicht", "kein" ...).

TruthSpec parameters the user states in a question (all optional; omitted means the product's
defaults, as before): `hours` ("22:00-06:00", a daily clock window, wrapping past midnight when
its end is not after its start) and `days` (weekdays 0=Mon..6=Sun) select intervals by their
local start; `base_meter` is the base of a share; `window_minutes` the demand window (15, 30,
60); `factor` an emission factor in kg CO2e/kWh; `price`, `peak_price`, `peak_hours`,
`peak_days`, `peak_except_holidays` (no peak on the site's public holidays, as a catalogue
period marked except_holidays) and `demand_charge` a tariff; `rate` a currency conversion
factor applied to a cost; `threshold` (kW), `condition` and `min_minutes` a threshold with a
duration, which must be exceeded ("for more than 30 minutes") unless `strictly_longer` is
false ("for 30 minutes": that long is enough), as the count_episodes tool's argument of that name.
`production_meter` may name several production meters, whose output is added up.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from common.errors import EMSError

Category = Literal[
    "energy",
    "series",
    "peak",
    "kpi",
    "cost",
    "carbon",
    "compare",
    "rank",
    "split",
    "coverage",
    "baseline",
    "anomaly",
    "alert",
    "forecast",
    "sql",
    "knowledge",
    "incident",
    "report",
    "followup",
    "clarify",
    "refusal",
]
Outcome = Literal["answer", "clarify", "refuse", "confirm"]
Role = Literal["operator", "viewer"]
NO_TOOL = "none"
QUESTIONS = Path(__file__).parent / "questions"


class InvalidDataset(EMSError, ValueError):
    """A question set that does not follow the schema (raised with the file and case named)."""


class TruthSpec(BaseModel):
    """What truth.py computes for a case: a function name and its parameters."""

    model_config = ConfigDict(extra="forbid")

    fn: str = Field(description="name of a function in evals.truth.FUNCTIONS")
    site: str = "demo-plant"
    meter: str | list[str] | None = None
    metric: str = "energy"
    period: str | None = None
    reference: str | None = None
    kind: str | None = None
    stat: Literal["sum", "mean", "min", "max"] | None = None
    shift: str | None = None
    part: str | None = None
    n: int | None = None
    production_meter: str | list[str] | None = None
    query: str | None = None
    returns: Literal["meters", "kinds"] = "meters"
    state: Literal["active", "open", "acknowledged", "resolved", "all"] | None = None
    hours: str | None = Field(default=None, description="daily local window 'HH:MM-HH:MM'")
    days: list[int] | None = Field(default=None, description="weekdays kept, 0=Mon..6=Sun")
    base_meter: str | list[str] | None = Field(
        default=None, description="base of a share (default: the meter's parent)"
    )
    window_minutes: Literal[15, 30, 60] | None = Field(
        default=None, description="demand window for peaks (default 15)"
    )
    factor: float | None = Field(default=None, gt=0, description="kg CO2e per kWh")
    price: float | None = Field(default=None, ge=0, description="price per kWh (off-peak)")
    peak_price: float | None = Field(default=None, ge=0, description="price per kWh at peak")
    peak_hours: str | None = Field(default=None, description="peak window 'HH:MM-HH:MM'")
    peak_days: list[int] | None = Field(default=None, description="peak weekdays (Mon-Fri)")
    peak_except_holidays: bool = Field(
        default=False, description="the peak does not hold on the site's public holidays"
    )
    demand_charge: float | None = Field(default=None, ge=0, description="per kW and month")
    rate: float | None = Field(default=None, gt=0, description="currency conversion factor")
    threshold: float | None = Field(default=None, description="threshold in kW")
    condition: Literal[">", "<"] | None = Field(default=None, description="default '>'")
    min_minutes: int | None = Field(
        default=None, ge=0, description="an episode must last longer than this"
    )
    strictly_longer: bool = Field(
        default=True, description="false: lasting `min_minutes` is enough ('for 30 minutes')"
    )

    def meters(self) -> list[str]:
        """The spec's meter(s) as a list (empty when none is named)."""
        if self.meter is None:
            return []
        return [self.meter] if isinstance(self.meter, str) else list(self.meter)

    def base_meters(self) -> list[str]:
        """The share's base meter(s) as a list (empty when none is named)."""
        if self.base_meter is None:
            return []
        return [self.base_meter] if isinstance(self.base_meter, str) else list(self.base_meter)

    def production_meters(self) -> list[str]:
        """The production meter(s) named for SEC as a list (empty when none is named)."""
        if self.production_meter is None:
            return []
        named = self.production_meter
        return [named] if isinstance(named, str) else list(named)


class Expect(BaseModel):
    """What a good reply to a case does."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome = "answer"
    tool: str | list[str] | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    truth: TruthSpec | None = None
    tolerance: float = Field(default=0.01, ge=0)
    mentions: list[str] = Field(default_factory=list)
    also: list[TruthSpec] = Field(
        default_factory=list, description="further truths the answer must state as well"
    )
    mentions_any: list[str] = Field(
        default_factory=list, description="at least one of these must appear"
    )
    unused: list[str] = Field(
        default_factory=list,
        description="things the reply must say it did not use or cannot give; 'a|b' alternatives",
    )

    @property
    def tools(self) -> tuple[str, ...]:
        """Acceptable tool names; empty means no tool may be called."""
        if self.tool is None:
            return ()
        return (self.tool,) if isinstance(self.tool, str) else tuple(self.tool)

    @property
    def no_tool_ok(self) -> bool:
        """Whether a reply that called no tool at all satisfies the tool expectation."""
        return not self.tools or NO_TOOL in self.tools

    @model_validator(mode="after")
    def _consistent(self) -> Expect:
        if self.args and not [t for t in self.tools if t != NO_TOOL]:
            raise ValueError("args are given but no tool is expected")
        if (self.truth is not None or self.also) and self.outcome != "answer":
            raise ValueError(f"a truth spec needs outcome 'answer', not {self.outcome!r}")
        if any(not alt.strip() for item in self.unused for alt in item.split("|")):
            raise ValueError("an `unused` item has an empty alternative")
        return self


class Case(BaseModel):
    """One question of a set."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    category: Category
    question: str = Field(min_length=1)
    thread: str | None = None
    role: Role = "operator"
    now: datetime | None = None
    expect: Expect

    @field_validator("now")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("now must carry a UTC offset")
        return value

    @property
    def thread_id(self) -> str:
        """The conversation this case runs in: its thread, or a thread of its own."""
        return self.thread or self.id


class Dataset(BaseModel):
    """A question set: cases asked of the agent at `now` on one site."""

    model_config = ConfigDict(extra="forbid")

    name: str
    now: datetime
    site: str = "demo-plant"
    timezone: str = "Europe/Berlin"
    computed: dict[str, TruthSpec] = Field(
        default_factory=dict,
        description="roles computed from the data: name -> a truth spec that returns meter(s)",
    )
    cases: list[Case]

    @field_validator("now")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("now must carry a UTC offset")
        return value

    @model_validator(mode="after")
    def _unique_ids(self) -> Dataset:
        seen: set[str] = set()
        for case in self.cases:
            if case.id in seen:
                raise ValueError(f"case id {case.id!r} is used twice")
            seen.add(case.id)
        return self

    def now_of(self, case: Case) -> datetime:
        """The clock a case is asked at: its own `now`, else the set's."""
        return case.now or self.now

    def standalone_questions(self) -> set[str]:
        """The questions that stand on their own, case-folded: a later turn of a thread ("and the
        week before?", "yes go ahead") reads differently in each conversation, and neither does
        an opener whose right reply is to ask what it means ("how much did it use yesterday?"),
        so sets that must not share a question compare these."""
        seen: set[str] = set()
        questions: set[str] = set()
        for case in self.cases:
            opens = case.thread is None or case.thread not in seen
            if opens and case.expect.outcome != "clarify":
                questions.add(case.question.casefold())
            if case.thread is not None:
                seen.add(case.thread)
        return questions


def load_dataset(source: str | Path) -> Dataset:
    """Read and validate a question set: a path, or the name of a set in evals/questions."""
    path = Path(source)
    if not path.suffix:
        path = QUESTIONS / f"{source}.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        return Dataset.model_validate(raw)
    except ValueError as exc:
        raise InvalidDataset(f"{path}: {exc}") from exc


def _bound(text: str, tz: ZoneInfo, *, end: bool) -> datetime:
    text = text.strip()
    if len(text) == 10:
        day = date.fromisoformat(text)
        return datetime.combine(day + timedelta(days=1) if end else day, time(0), tzinfo=tz)
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)


def parse_period(text: str, tz: str) -> tuple[datetime, datetime]:
    """'A..B' (inclusive local dates) or 'A' (one date) as the local half-open [start, end)."""
    zone = ZoneInfo(tz)
    first, _, last = text.partition("..")
    try:
        start = _bound(first, zone, end=False)
        stop = _bound(last or first, zone, end=True)
    except ValueError as exc:
        raise InvalidDataset(f"cannot read period {text!r}: {exc}") from None
    if stop <= start:
        raise InvalidDataset(f"period {text!r} ends before it starts")
    return start, stop
