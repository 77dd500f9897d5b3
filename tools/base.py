"""What every tool shares: the typed context it runs in, input and result bases, and the registry.

A tool is declared once, as a function `fn(ctx, args) -> result` with a pydantic input model.
The function's docstring is the tool's description and each input field's description is what a
language model reads; registering a tool without them fails at import. The agent, the CLI and
the watcher all call tools through this registry.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from common.timeutil import zone
from store import memo

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from store.catalog import SiteRef
    from store.profile import ClosureDef

# Where a value of the site's economics came from, as answers name it.
SOURCE_SITE = "site catalogue"
SOURCE_SETTINGS = "installation settings"
SOURCE_DEFAULT = "built-in default"

TouWindow = tuple[tuple[int, ...], float, float, float]  # weekdays (0 = Mon), start h, end h, price
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def day_names(days: tuple[int, ...] | list[int]) -> str:
    """Weekdays as people write them: 'Mon-Fri', 'Sat-Sun', 'Mon, Wed', 'every day'."""
    ordered = sorted(set(days))
    if len(ordered) == 7:
        return "every day"
    if ordered and ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"{DAY_NAMES[ordered[0]]}-{DAY_NAMES[ordered[-1]]}"
    return ", ".join(DAY_NAMES[d] for d in ordered)


def _clock(hour: float) -> str:
    minutes = round(hour * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Tariff:
    """A time-of-use tariff of one carrier with a demand charge on each month's highest demand.

    A period whose end hour is not after its start runs past midnight into the next day. A
    tariff with validity days (site-local, both included) prices only those days.
    """

    name: str = "default"
    currency: str = "EUR"
    # (weekdays 0=Mon..6=Sun, start hour, end hour, price per kWh); first match wins
    periods: tuple[TouWindow, ...] = (((0, 1, 2, 3, 4), 8, 20, 0.24),)
    default_price: float = 0.16
    demand_charge_per_kw: float = 9.5
    is_default: bool = True
    period_names: tuple[str, ...] = ()  # names of `periods` in order ("peak"); empty: unnamed
    # Per period in order: True when it does not hold on the public holidays of `holidays_of`
    # (a holiday's hours are priced as if outside it); missing: it holds every day.
    except_holidays: tuple[bool, ...] = ()
    holidays_of: tuple[str, str | None] | None = None  # the site's country and region
    valid_from: date | None = None
    valid_to: date | None = None
    source: str = ""  # SOURCE_SITE, SOURCE_SETTINGS or SOURCE_DEFAULT

    def label(self) -> str:
        """The tariff as answers name it: 'Utility TOU 2026 (site catalogue)'; the built-in
        default names its prices, since it has no name a person would know."""
        if self.is_default and self.source in ("", SOURCE_DEFAULT):
            return f"built-in default tariff ({self.prices()})"
        if self.source:
            return f"{self.name} ({self.source})"
        return self.name

    def prices(self, demand: bool = True) -> str:
        """Its prices in words: '0.24/kWh Mon-Fri 08:00-20:00, 0.16/kWh at other times, demand
        charge 9.5/kW of each month's peak' (without `demand`: the energy prices alone)."""
        unit = f" {self.currency}" if self.currency else ""
        parts = [
            f"{price:g}{unit}/kWh {day_names(days)} {_clock(start)}-{_clock(end)}"
            + (" except public holidays" if self.skips_holidays(i) else "")
            for i, (days, start, end, price) in enumerate(self.periods)
        ]
        other = "at other times" if parts else "at all times"
        parts.append(f"{self.default_price:g}{unit}/kWh {other}")
        if not demand:
            return ", ".join(parts)
        if self.demand_charge_per_kw:
            parts.append(
                f"demand charge {self.demand_charge_per_kw:g}{unit}/kW of each month's peak"
            )
        else:
            parts.append("no demand charge")
        return ", ".join(parts)

    def period_name(self, index: int) -> str:
        return self.period_names[index] if index < len(self.period_names) else "peak"

    def skips_holidays(self, index: int) -> bool:
        """Whether the period does not hold on the site's public holidays (it says so, and the
        site has a country to take them from)."""
        flags = self.except_holidays
        return self.holidays_of is not None and index < len(flags) and flags[index]

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


Shift = tuple[str, tuple[int, ...], float, float]  # name, weekdays (0 = Mon), start h, end h


@dataclass(frozen=True)
class AnalyticsConfig:
    """A site's economics and calendar as the tools use them: tariffs per carrier (with their
    validity), emission factors, the demand window, shifts and closures, and where each value
    came from (`sources`: the site catalogue, the installation's settings or a built-in
    default). Built per site by `tools.economics.site_config`; the bare defaults serve tests."""

    # Per carrier, the tariff in force today (what prompts and summaries name).
    tariffs: dict[str, Tariff] = field(default_factory=lambda: {"electricity": Tariff()})
    # Per carrier, every tariff in the order they are tried for a day: the site's dated ones,
    # then the undated fallback. Empty: `tariffs` alone.
    tariff_schedule: dict[str, tuple[Tariff, ...]] = field(default_factory=dict)
    # kg CO2e per kWh by energy carrier (meter kind)
    emission_factors: dict[str, float] = field(
        default_factory=lambda: {"electricity": 0.38, "gas": 0.20, "heat": 0.25, "steam": 0.25}
    )
    emission_factors_are_defaults: bool = True
    # Per carrier, where its factor comes from ("UBA grid mix 2024 (site catalogue)").
    emission_factor_sources: dict[str, str] = field(default_factory=dict)
    demand_window_s: int = 900
    gas_price_per_kwh: float = 0.07
    # (name, weekdays 0=Mon..6=Sun, start hour, end hour); an end before the start wraps midnight
    shifts: tuple[Shift, ...] = (
        ("early", (0, 1, 2, 3, 4), 6.0, 14.0),
        ("late", (0, 1, 2, 3, 4), 14.0, 22.0),
        ("saturday", (5,), 6.0, 12.0),
    )
    # Days off besides public holidays (shutdowns), from the site catalogue.
    closures: tuple[ClosureDef, ...] = ()
    # Where each value came from: "tariff.electricity", "emission_factor.gas", "shifts", ...
    sources: dict[str, str] = field(default_factory=dict)

    def tariffs_for(self, carrier: str) -> tuple[Tariff, ...]:
        """The tariffs that may price a carrier's energy, in the order they are tried."""
        if self.tariff_schedule.get(carrier):
            return self.tariff_schedule[carrier]
        if carrier in self.tariffs:
            return (self.tariffs[carrier],)
        if carrier == "gas":
            source = self.sources.get("gas_price", "")
            electricity = self.tariffs.get("electricity")
            flat = Tariff(
                name="gas price",
                currency=electricity.currency if electricity else "EUR",
                periods=(),
                default_price=self.gas_price_per_kwh,
                demand_charge_per_kw=0.0,
                is_default=source in ("", SOURCE_DEFAULT),
                source=source,
            )
            return (flat,)
        return ()

    def factor_source(self, carrier: str) -> str:
        """Where a carrier's emission factor comes from, as answers say it."""
        if carrier in self.emission_factor_sources:
            return self.emission_factor_sources[carrier]
        return "default factor" if self.emission_factors_are_defaults else "configured factor"


class PassageLike(Protocol):
    """A passage the knowledge store returns (knowledge.store.Passage)."""

    @property
    def text(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def section(self) -> str | None: ...
    @property
    def page(self) -> int | None: ...
    @property
    def score(self) -> float: ...
    @property
    def collection(self) -> str: ...
    @property
    def metadata(self) -> dict[str, Any]: ...
    def citation(self) -> str: ...


class SourceLike(Protocol):
    """A document the knowledge store holds (knowledge.store.SourceInfo)."""

    @property
    def source(self) -> str: ...
    @property
    def title(self) -> str: ...


class KnowledgeBase(Protocol):
    """What tools use of the knowledge store (knowledge.store.KnowledgeStore), so that tools
    need not import Chroma."""

    def search(
        self,
        query: str,
        *,
        k: int = 4,
        collection: str = "documents",
        where: dict[str, Any] | None = None,
    ) -> Sequence[PassageLike]: ...

    def similar_incidents(
        self, text: str, *, k: int = 3, exclude_id: int | None = None
    ) -> Sequence[PassageLike]: ...

    def sources(self) -> Sequence[SourceLike]: ...


class SiteContexts(Protocol):
    """Makes the context of another site for the same person, role and moment (the
    composition root's, which knows the installation's economics)."""

    def __call__(self, site: SiteRef, ctx: ToolContext) -> ToolContext: ...


@dataclass(frozen=True, init=False)
class ToolContext:
    """Everything a tool may depend on, passed in explicitly (never module globals).

    A turn may have no site: the store holds none yet, or several and none was chosen. Tools
    that need no site (knowledge, the portfolio across sites) work all the same; reading
    `ctx.site` raises NoSite or SiteNotChosen, whose message says how to load data or how to
    choose, so every tool that needs a site refuses clearly without checking for it."""

    engine: Engine
    site_or_none: SiteRef | None
    now: datetime
    config: AnalyticsConfig
    user: str
    role: str
    knowledge: KnowledgeBase | None
    sites: SiteContexts | None

    def __init__(
        self,
        engine: Engine,
        site: SiteRef | None = None,
        now: datetime | None = None,
        config: AnalyticsConfig | None = None,
        user: str = "cli",
        role: str = "operator",
        knowledge: KnowledgeBase | None = None,
        sites: SiteContexts | None = None,
        *,
        site_or_none: SiteRef | None = None,  # the field's own name: dataclasses.replace uses it
    ) -> None:
        if now is None:
            raise TypeError("ToolContext needs `now`")
        site = site if site is not None else site_or_none
        values = {
            "engine": engine,
            "site_or_none": site,
            "now": now,
            "config": config or AnalyticsConfig(),
            "user": user,
            "role": role,
            "knowledge": knowledge,
            "sites": sites,
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def site(self) -> SiteRef:
        """The turn's site; NoSite or SiteNotChosen (saying what to do) when there is none."""
        if self.site_or_none is None:
            from store.sites import missing_site

            with self.engine.connect() as conn:
                raise missing_site(conn)
        return self.site_or_none

    def for_site(self, site: SiteRef) -> ToolContext:
        """This context at another site: its zone, its economics; the same person and moment."""
        if self.site_or_none is not None and self.site_or_none.id == site.id:
            return self
        if self.sites is not None:
            return self.sites(site, self)
        from store.profile import get_profile
        from tools.economics import Installation, site_config

        now = self.now.astimezone(zone(site.timezone))
        with self.engine.connect() as conn:
            profile = get_profile(conn, site.id)
        config = site_config(profile, Installation(), now.date(), site.country, site.region)
        return ToolContext(
            self.engine, site, now, config, self.user, self.role, self.knowledge, self.sites
        )


class ToolInput(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SiteInput(ToolInput):
    """Input of a tool that answers about one site; `site` names another than the turn's."""

    site: str | None = Field(
        default=None,
        description="Site name or alias, only when the question is about another site than "
        "the current one (the store may hold several); empty for the current site.",
    )


class ToolResult(BaseModel):
    """Base of tool results: data the caller can quote, chart and serialise."""

    model_config = ConfigDict(extra="forbid")

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


In = TypeVar("In", bound=ToolInput)
Out = TypeVar("Out", bound=ToolResult)


@dataclass(frozen=True)
class Tool(Generic[In, Out]):
    name: str
    description: str
    input_model: type[In]
    fn: Callable[[ToolContext, In], Out]
    writes: bool = False
    # The type of its result, from the function's return annotation: answers, charts and
    # tables are rendered by the renderer of this type.
    result_model: type[ToolResult] = ToolResult
    # For a write: what the person should know before confirming it (how far the value it
    # watches has gone lately), computed from the store; None when there is nothing to say.
    preview: Callable[[ToolContext, In], ToolResult | None] | None = None

    def __call__(self, ctx: ToolContext, args: In | dict[str, Any]) -> Out:
        parsed = (
            args if isinstance(args, self.input_model) else self.input_model.model_validate(args)
        )
        if isinstance(parsed, SiteInput) and parsed.site and parsed.site.strip():
            # A question about another site runs in that site's context (zone, economics).
            from store.sites import find_site

            with ctx.engine.connect() as conn:
                ctx = ctx.for_site(find_site(conn, parsed.site))
        if self.writes:
            return self.fn(ctx, parsed)
        # A reading tool sees one snapshot of the catalogue and rollups: a read it repeats
        # (a period's days for its total and again for its series, the meters for each
        # name it resolves) goes to the store once.
        with memo.read_once():
            return self.fn(ctx, parsed)


REGISTRY: dict[str, Tool[Any, Any]] = {}


class ToolDeclarationError(TypeError):
    """A tool declared without a description or with undocumented inputs (raised at import)."""


def tool(
    input_model: type[In],
    *,
    name: str | None = None,
    writes: bool = False,
    preview: Callable[[ToolContext, In], ToolResult | None] | None = None,
) -> Callable[[Callable[[ToolContext, In], Out]], Tool[In, Out]]:
    """Register `fn` as a tool; its docstring and the input fields' descriptions are required.

    The decorated name becomes the Tool, callable with the input model or a plain dict.
    """

    def register(fn: Callable[[ToolContext, In], Out]) -> Tool[In, Out]:
        tool_name = name or fn.__name__
        doc = inspect.getdoc(fn)
        if not doc:
            raise ToolDeclarationError(f"tool {tool_name!r} has no docstring to describe it")
        missing = [f for f, info in input_model.model_fields.items() if not info.description]
        if missing:
            raise ToolDeclarationError(
                f"tool {tool_name!r}: input fields without a description: {', '.join(missing)}"
            )
        if tool_name in REGISTRY:
            raise ToolDeclarationError(f"tool {tool_name!r} is registered twice")
        result = typing.get_type_hints(fn).get("return")
        if not (isinstance(result, type) and issubclass(result, ToolResult)):
            raise ToolDeclarationError(
                f"tool {tool_name!r} must declare a ToolResult subclass as its return type"
            )
        declared = Tool(tool_name, doc, input_model, fn, writes, result, preview)
        REGISTRY[tool_name] = declared
        return declared

    return register
