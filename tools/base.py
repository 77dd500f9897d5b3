"""What every tool shares: the typed context it runs in, input and result bases, and the registry.

A tool is declared once, as a function `fn(ctx, args) -> result` with a pydantic input model.
The function's docstring is the tool's description and each input field's description is what a
language model reads; registering a tool without them fails at import. The agent, the CLI and
the watcher all call tools through this registry.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from store.catalog import SiteRef


@dataclass(frozen=True)
class Tariff:
    """A time-of-use energy tariff with a demand charge on the monthly 15-minute peak."""

    name: str = "default"
    currency: str = "EUR"
    # (weekdays 0=Mon..6=Sun, start hour, end hour, price per kWh); first match wins
    periods: tuple[tuple[tuple[int, ...], int, int, float], ...] = (((0, 1, 2, 3, 4), 8, 20, 0.24),)
    default_price: float = 0.16
    demand_charge_per_kw: float = 9.5
    is_default: bool = True


@dataclass(frozen=True)
class AnalyticsConfig:
    """Site economics the tools need: tariffs, emission factors, the demand window."""

    tariffs: dict[str, Tariff] = field(default_factory=lambda: {"electricity": Tariff()})
    # kg CO2e per kWh by energy carrier (meter kind)
    emission_factors: dict[str, float] = field(
        default_factory=lambda: {"electricity": 0.38, "gas": 0.20, "heat": 0.25, "steam": 0.25}
    )
    emission_factors_are_defaults: bool = True
    demand_window_s: int = 900
    gas_price_per_kwh: float = 0.07
    # (name, weekdays 0=Mon..6=Sun, start hour, end hour); an end before the start wraps midnight
    shifts: tuple[tuple[str, tuple[int, ...], float, float], ...] = (
        ("early", (0, 1, 2, 3, 4), 6.0, 14.0),
        ("late", (0, 1, 2, 3, 4), 14.0, 22.0),
        ("saturday", (5,), 6.0, 12.0),
    )


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


@dataclass(frozen=True)
class ToolContext:
    """Everything a tool may depend on, passed in explicitly (never module globals)."""

    engine: Engine
    site: SiteRef
    now: datetime
    config: AnalyticsConfig = field(default_factory=AnalyticsConfig)
    user: str = "cli"
    role: str = "operator"
    knowledge: KnowledgeBase | None = None


class ToolInput(BaseModel):
    model_config = ConfigDict(extra="forbid")


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

    def __call__(self, ctx: ToolContext, args: In | dict[str, Any]) -> Out:
        parsed = (
            args if isinstance(args, self.input_model) else self.input_model.model_validate(args)
        )
        return self.fn(ctx, parsed)


REGISTRY: dict[str, Tool[Any, Any]] = {}


class ToolDeclarationError(TypeError):
    """A tool declared without a description or with undocumented inputs (raised at import)."""


def tool(
    input_model: type[In], *, name: str | None = None, writes: bool = False
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
        declared = Tool(tool_name, doc, input_model, fn, writes)
        REGISTRY[tool_name] = declared
        return declared

    return register
