"""The chat's content for the page: messages from a reply or a stored thread, and an answer's
evidence as a figure, tables and citations (plain data; the layout lives in chat_ui.app)."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.messages.tool import ToolCall

from agent.evidence import Evidence, evidence_from_calls
from chat_ui.downloads import report_links, table_links

Message = dict[str, Any]  # {"role", "content", optional "metadata"}, as gr.Chatbot takes it
TABLE_ROWS = 200  # longer tables are cut on the page; the tool calls keep everything
ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?([+-]\d\d:\d\d|Z)?$")


@dataclass(frozen=True)
class Answered:
    """An answer's evidence and the question it answered, for the evidence panel."""

    question: str
    evidence: Evidence


def tools_message(calls: list[dict[str, Any]], latency_ms: float | None = None) -> Message:
    """A collapsed note under an answer listing the tools called and their arguments."""
    names = ", ".join(dict.fromkeys(c["name"] for c in calls))
    lines = []
    for c in calls:
        args = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in c["args"].items())
        failed = " — failed: " + str(c["result"]["error"]) if "error" in c["result"] else ""
        lines.append(f"- `{c['name']}({args})`{failed}")
    title = f"Tools used: {names}"
    if latency_ms is not None:
        title += f" · {latency_ms / 1000:.1f} s"
    return {
        "role": "assistant",
        "content": "\n".join(lines),
        "metadata": {"title": title, "status": "done"},
    }


def answer_messages(
    answer: str, calls: list[dict[str, Any]], latency_ms: float | None = None
) -> list[Message]:
    """The assistant's messages for one answer: its text, then the tools it used (if any)."""
    messages: list[Message] = [{"role": "assistant", "content": answer}]
    if calls:
        messages.append(tools_message(calls, latency_ms))
    return messages


def _content(message: BaseMessage) -> str:
    if isinstance(message.content, str):
        return message.content
    return "".join(
        part.get("text", "") if isinstance(part, dict) else str(part) for part in message.content
    )


@dataclass
class _Turn:
    question: str
    answer: str = ""
    calls: list[dict[str, Any]] | None = None


def _turns(history: list[BaseMessage]) -> list[_Turn]:
    turns: list[_Turn] = []
    asked: dict[str, ToolCall] = {}
    for m in history:
        if isinstance(m, HumanMessage):
            turns.append(_Turn(_content(m), calls=[]))
        elif not turns:
            continue
        elif isinstance(m, AIMessage) and m.tool_calls:
            asked.update({c["id"]: c for c in m.tool_calls if c["id"]})
        elif isinstance(m, AIMessage):
            turns[-1].answer = _content(m)
        elif isinstance(m, ToolMessage) and m.tool_call_id in asked:
            if str(m.content).startswith("User rejected the tool call"):
                continue  # a write the person declined never ran
            call = asked[m.tool_call_id]
            ok = m.status != "error" and isinstance(m.artifact, dict)
            result = m.artifact if ok else {"error": str(m.content)}
            assert turns[-1].calls is not None
            turns[-1].calls.append(
                {"name": call["name"], "args": dict(call["args"]), "result": result}
            )
    return turns


def proposal_text(pending: list[dict[str, Any]]) -> str:
    """What a paused write will change, as the chat shows it."""
    lines = [f"- {p.get('description') or p.get('name')}" for p in pending]
    return "\n".join(
        [
            "I am about to make this change:",
            *lines,
            "Confirm or Cancel below (or answer yes or no).",
        ]
    )


def thread_messages(
    history: list[BaseMessage], pending: list[dict[str, Any]] | None = None
) -> tuple[list[Message], dict[int, Answered]]:
    """A stored conversation as chat messages, with each answer's evidence by message index; a
    last turn still waiting for a yes or no shows the change it proposes."""
    messages: list[Message] = []
    answered: dict[int, Answered] = {}
    turns = _turns(history)
    for n, turn in enumerate(turns, start=1):
        messages.append({"role": "user", "content": turn.question})
        calls = turn.calls or []
        waiting = proposal_text(pending) if pending and n == len(turns) else None
        answer = waiting or turn.answer or "(No answer was written for this question.)"
        at = len(messages)
        messages += answer_messages(answer, calls)
        ev = Answered(turn.question, evidence_from_calls(calls))
        for i in range(at, len(messages)):
            answered[i] = ev
    return messages, answered


def evidence_for(answered: dict[int, Answered], index: int) -> Answered | None:
    """The evidence of the answer at `index`, or of the answer after a question at `index`."""
    if index in answered:
        return answered[index]
    later = [i for i in answered if i > index]
    return answered[min(later)] if later else None


# ------------------------------------------------------------------ evidence as HTML


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        digits = 0 if abs(value) >= 1000 or value.is_integer() else 2 if abs(value) >= 1 else 4
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    if value is None:
        return "—"
    text = str(value)
    if ISO_TIME.match(text):  # a local time from a tool, e.g. 2026-10-29T10:15:00+01:00
        return f"{datetime.fromisoformat(text):%a %-d %b %Y %H:%M}"
    return html.escape(text)


def _align(value: Any) -> str:
    return "num" if isinstance(value, int | float) and not isinstance(value, bool) else ""


def tables_html(ev: Evidence) -> str:
    """Every table of the evidence, numbers right-aligned, with its CSV and Excel downloads;
    long tables are cut with a note (the files hold every row). A monthly report's PDF and
    HTML come first."""
    parts = [report_links(ev.tool_calls)]
    for title, columns, rows in ev.tables:
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
        body = "".join(
            "<tr>" + "".join(f'<td class="{_align(v)}">{_cell(v)}</td>' for v in row) + "</tr>"
            for row in rows[:TABLE_ROWS]
        )
        more = (
            f'<p class="panel-note">First {TABLE_ROWS} of {len(rows)} rows.</p>'
            if len(rows) > TABLE_ROWS
            else ""
        )
        parts.append(
            f'<div class="ev-table"><div class="ev-title">{html.escape(title)}</div>'
            f"{table_links((title, columns, rows))}"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}</div>"
        )
    return "".join(parts)


def citations_markdown(ev: Evidence) -> str:
    if not ev.citations:
        return ""
    return "**Sources**\n" + "\n".join(f"{i}. {c}" for i, c in enumerate(ev.citations, start=1))


def pending_html(pending: list[dict[str, Any]]) -> str:
    """Exactly what a paused write would do: its description, then every value it would set."""
    if not pending:
        return ""
    parts = []
    for p in pending:
        rows = "".join(
            f"<tr><th scope='row'>{html.escape(str(k).replace('_', ' '))}</th>"
            f"<td>{_cell(v)}</td></tr>"
            for k, v in (p.get("args") or {}).items()
            if v is not None
        )
        parts.append(
            f"<div class='pending-write'><p><b>Waiting for your decision:</b> "
            f"{html.escape(str(p.get('description') or p.get('name')))}</p>"
            f"<table><caption>What will be written ({html.escape(str(p.get('name')))})</caption>"
            f"<tbody>{rows}</tbody></table></div>"
        )
    return "".join(parts)
