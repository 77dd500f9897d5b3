"""The registry's tools as LangChain tools: the same declaration, run with the turn's context.

A tool's expected errors (unknown meter, unsafe SQL, impossible threshold) go back to the model as
text it can act on, prefixed with the error's class; anything else is a bug and is raised. The
model reads a compact copy of the result (long chart series shortened); the full result travels
as the message's artifact, for the answer's evidence and charts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from langchain.tools import ToolRuntime
from langchain_core.tools import StructuredTool, ToolException
from pydantic import ConfigDict, ValidationError

from common.errors import EMSError
from tools.base import Tool, ToolContext

# Chart series longer than this are summarised in what the model reads.
MODEL_POINTS = 48


@dataclass(frozen=True)
class TurnContext:
    """The agent's runtime context: the tools' context for this turn (site, clock, role)."""

    tools: ToolContext


def for_model(value: Any) -> Any:
    """A copy of a result small enough for a model's context: long lists cut to their ends."""
    if isinstance(value, dict):
        return {k: for_model(v) for k, v in value.items()}
    if isinstance(value, list):
        if len(value) > MODEL_POINTS:
            head = [for_model(v) for v in value[:3]]
            tail = [for_model(v) for v in value[-3:]]
            return {"count": len(value), "first": head, "last": tail}
        return [for_model(v) for v in value]
    if isinstance(value, float):
        return round(value, 4)
    return value


def error_text(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg']}" for e in exc.errors()
        )
        return f"InvalidArguments: {problems}"
    return f"{type(exc).__name__}: {exc}"


def as_langchain(declared: Tool[Any, Any]) -> StructuredTool:
    def run(runtime: ToolRuntime[TurnContext], **kwargs: Any) -> tuple[str, dict[str, Any]]:
        try:
            result = declared(runtime.context.tools, kwargs).to_json()
        except (EMSError, ValidationError) as exc:
            raise ToolException(error_text(exc)) from exc
        return json.dumps(for_model(result), ensure_ascii=False), result

    # The input models forbid unknown fields; the tool's schema must let the injected runtime
    # through (the model still sees only the declared fields).
    schema = type(
        declared.input_model.__name__,
        (declared.input_model,),
        {"model_config": ConfigDict(extra="ignore"), "__doc__": declared.input_model.__doc__},
    )
    return StructuredTool.from_function(
        func=run,
        name=declared.name,
        description=declared.description,
        args_schema=schema,
        response_format="content_and_artifact",
        handle_tool_error=True,
        handle_validation_error=error_text,
    )


def langchain_tools(registry: dict[str, Tool[Any, Any]]) -> list[StructuredTool]:
    return [as_langchain(t) for t in registry.values()]


def write_tools(registry: dict[str, Tool[Any, Any]]) -> set[str]:
    return {name for name, t in registry.items() if t.writes}
