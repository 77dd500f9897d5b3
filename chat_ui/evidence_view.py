"""The evidence panel's values for an answer: caption, chart, tables, citations and the raw tool
calls (long lists cut), or a prompt to ask when there is nothing to show."""

from __future__ import annotations

from typing import Any

import gradio as gr

from chat_ui.charts import figure
from chat_ui.chat import Answered, citations_markdown, tables_html

JSON_ITEMS = 24  # longer lists in the tool-call view are cut; the tables and charts keep all


def trimmed(value: Any) -> Any:
    """Tool calls for display: long lists (672 quarter-hours) cut to their first items."""
    if isinstance(value, dict):
        return {k: trimmed(v) for k, v in value.items()}
    if isinstance(value, list):
        head = [trimmed(v) for v in value[:JSON_ITEMS]]
        return [*head, f"… {len(value) - JSON_ITEMS} more"] if len(value) > JSON_ITEMS else head
    return value


def show_evidence(answered: Answered | None) -> tuple[Any, ...]:
    """Caption, chart, tables, citations and tool calls of an answer."""
    if answered is None or (answered.evidence.empty and not answered.evidence.tool_calls):
        note = "Ask a question: the numbers behind each answer appear here."
        if answered is not None:
            note = f"**{answered.question}**: no tools were needed, so there is nothing to show."
        return (note, gr.Plot(value=None, visible=False), "", "", [])
    ev = answered.evidence
    fig = figure(ev.charts)
    caption = f"Evidence for **{answered.question}**"
    if ev.empty:
        caption += "  \nNo numbers to show: the tool calls are below."
    return (
        caption,
        gr.Plot(value=fig, visible=fig is not None),
        tables_html(ev),
        citations_markdown(ev),
        trimmed(ev.tool_calls),
    )
