"""The evidence beside an answer: charts, tables, citations and sources, drawn by each result
type's renderer from the tool calls' results (never from the model's text), for the chat page
to draw and the Slack bot to attach.

The shape the page and the Slack bot read: `Evidence.charts` (ChartSpec: title, unit, kind
'line' or 'bar', x, series label -> values), `Evidence.tables` ((title, columns, rows)),
`Evidence.citations` and `Evidence.sources` (strings, each once) and `Evidence.tool_calls`
(name, args, result as in Reply.to_json())."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from agent.render import ChartSpec, Parts, Table, renderer_for, typed
from agent.render.alerts import RULE_COLUMNS
from agent.render.text import period_label as period_text

if TYPE_CHECKING:
    from agent.loop import Reply
    from tools.base import Tool

log = logging.getLogger(__name__)

__all__ = ["RULE_COLUMNS", "ChartSpec", "Evidence", "Table", "evidence", "period_text"]


@dataclass(frozen=True)
class Evidence:
    charts: list[ChartSpec]
    tables: list[Table]  # (title, columns, rows)
    citations: list[str]
    tool_calls: list[dict[str, Any]]  # name, args, result (as in Reply.to_json())
    sources: list[str] = field(default_factory=list)  # where the figures come from, each once

    @property
    def empty(self) -> bool:
        return not (self.charts or self.tables or self.citations)


@cache
def _registry() -> dict[str, Tool[Any, Any]]:
    from tools.registry import all_tools

    return all_tools()


def evidence(reply: Reply) -> Evidence:
    """Charts, tables and citations from the reply's tool calls, plus the calls themselves."""
    return evidence_from_calls(c.to_json() for c in reply.tool_calls)


def evidence_from_calls(calls: Iterable[dict[str, Any]]) -> Evidence:
    """The same from tool calls given as `{name, args, result}` dicts (a stored transcript)."""
    records = list(calls)
    parts = Parts()
    for call in records:
        result = call.get("result")
        declared = _registry().get(str(call.get("name")))
        if declared is None or not isinstance(result, dict) or "error" in result:
            continue  # a failed call is still listed in tool_calls, with its error
        value = typed(declared, result)
        if value is None:
            # A result whose shape this version does not know (a transcript stored by another
            # version): the answer and the raw call still show; only its chart and table are lost.
            log.warning("no evidence drawn for %s: unexpected result shape", call.get("name"))
            continue
        renderer = renderer_for(type(value))
        renderer.evidence(value, parts)
        parts.sources.extend(renderer.sources(value))
    return Evidence(
        parts.charts,
        parts.tables,
        list(dict.fromkeys(parts.citations)),
        records,
        list(dict.fromkeys(parts.sources)),
    )
