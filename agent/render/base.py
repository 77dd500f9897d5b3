"""Renderers: one per tool result type, found by that type, each turning a typed result into the
lines of an answer, the charts and tables of its evidence, its sources and the meters it is
about. The answer text, the chart, the tables and the Slack message all come from one result,
so they cannot disagree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import ValidationError

from common.errors import EMSError
from tools.base import Tool, ToolInput, ToolResult

Row = list[Any]
Table = tuple[str, list[str], list[Row]]  # (title, columns, rows)
QUANTITY = ["quantity", "value", "unit"]

R = TypeVar("R", bound=ToolResult)


@dataclass(frozen=True)
class ChartSpec:
    """One chart: a line over time, or bars over categories (meters, shifts, parts)."""

    title: str
    unit: str
    kind: Literal["line", "bar"]
    x: list[str]  # ISO local times, or category labels for bars
    series: dict[str, list[float | None]]  # label (meter name) -> values aligned with x


@dataclass
class Parts:
    """The evidence of one or more results, as it is built."""

    charts: list[ChartSpec] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    citations: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


class MissingRenderer(EMSError):
    """A result type no renderer is registered for (a tool added without one)."""


class Renderer(Generic[R]):
    """How one result type is shown. Subclasses set `result` and are registered by `@renders`."""

    result: ClassVar[type[ToolResult]] = ToolResult

    def answer(self, r: R) -> list[str]:
        """The answer's lines for this result: the figures, method, caveats and source."""
        return []

    def evidence(self, r: R, out: Parts) -> None:
        """Charts and tables of this result."""

    def sources(self, r: R) -> list[str]:
        source = getattr(r, "source", None)
        return [str(source)] if source else []

    def ranked(self, r: R) -> list[str]:
        """The meters the result sets against each other by one figure, the largest first
        (what "the bigger one" means in the next question); [] when it ranks none."""
        return []

    def subjects(self, r: R) -> list[str]:
        """The meters the result is about, in order (what "it" means in the next question)."""
        meters = getattr(r, "meters", None)
        if isinstance(meters, list) and all(isinstance(m, str) for m in meters):
            return list(meters)
        meter = getattr(r, "meter", None)
        return [meter] if isinstance(meter, str) else []


RENDERERS: dict[type[ToolResult], Renderer[Any]] = {}


def renders(result: type[R]) -> Callable[[type[Renderer[R]]], type[Renderer[R]]]:
    """Register the decorated renderer class for `result` (one renderer per type)."""

    def register(cls: type[Renderer[R]]) -> type[Renderer[R]]:
        if result in RENDERERS:
            raise TypeError(f"{result.__name__} has two renderers")
        cls.result = result
        RENDERERS[result] = cls()
        return cls

    return register


def renderer_for(result: type[ToolResult]) -> Renderer[Any]:
    found = RENDERERS.get(result)
    if found is None:
        raise MissingRenderer(f"no renderer is registered for {result.__name__}")
    return found


def typed(declared: Tool[Any, Any], result: dict[str, Any]) -> ToolResult | None:
    """A stored or streamed result as its declared type; None when its shape is not that of the
    type any more (a transcript written by another version)."""
    try:
        return declared.result_model.model_validate(result)
    except ValidationError:
        return None


# ------------------------------------------------------------------ proposed writes

Describer = Callable[[Any], str]
DESCRIBERS: dict[type[ToolInput], Describer] = {}


def describes(kind: type[ToolInput]) -> Callable[[Describer], Describer]:
    """Register how a proposed write of this input type is put to the person confirming it."""

    def register(fn: Describer) -> Describer:
        DESCRIBERS[kind] = fn
        return fn

    return register
