"""The built-in offline model: a LangChain chat model of our own that reads the conversation,
answers with tool calls, and writes the answer from the tool results.

It runs in the same agent loop as a language model, so the tools, the confirmation of writes and
the conversation memory are the same whichever model answers. It needs the site, the clock and
the store, which the agent binds per turn with `for_turn`."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict
from sqlalchemy import Engine

from agent.offline import compose, incidents, knowledge
from agent.offline.meters import Catalogue, load_catalogue
from agent.offline.plan import Decision, plan
from agent.offline.understand import (
    AFFIRM,
    DECLINE,
    PRONOUN,
    Frame,
    is_follow_up,
    merge,
    read,
)
from common.errors import UnknownSite
from store.catalog import SiteRef
from store.sites import missing_site, site_in_text
from tools.registry import all_tools

MODEL_NAME = "offline-planner"
# Error classes (the tool error's prefix) and what the answer then is.
CLARIFY_ERRORS = {
    "UnknownMeter",
    "UnknownSeries",
    "InvalidPeriod",
    "AmbiguousMeter",
    "UnknownIncident",
    "NoteRequired",
}
REFUSE_ERRORS = {"UnsafeQuery", "NotAllowed", "QueryRefused"}
# Tools that answer without a site: a turn without one may still call them.
SITE_FREE = frozenset({"search_knowledge", "rank_sites"})


@dataclass(frozen=True)
class Turn:
    """What the offline model needs to know about the turn it answers."""

    engine: Engine
    site: SiteRef | None  # None: the store holds no site, or several and none was chosen
    now: datetime


class OfflinePlanner(BaseChatModel):
    """Turns questions into tool calls and tool results into answers, without a network."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    turn: Turn | None = None
    tool_names: frozenset[str] = frozenset()

    @property
    def _llm_type(self) -> str:
        return MODEL_NAME

    def for_turn(self, turn: Turn) -> OfflinePlanner:
        return self.model_copy(update={"turn": turn})

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> OfflinePlanner:
        names = {getattr(t, "name", None) or t.get("name", "") for t in tools}
        return self.model_copy(update={"tool_names": frozenset(n for n in names if n)})

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.respond(messages))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        message = self.respond(messages)
        if message.tool_calls:
            chunks = [
                {"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"], "index": i}
                for i, c in enumerate(message.tool_calls)
            ]
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=chunks))
            return
        words = re.findall(r"\S+\s*|\s+", str(message.content))
        for i, word in enumerate(words):
            last = i == len(words) - 1
            chunk = AIMessageChunk(
                content=word, response_metadata=message.response_metadata if last else {}
            )
            if run_manager:
                run_manager.on_llm_new_token(word, chunk=ChatGenerationChunk(message=chunk))
            yield ChatGenerationChunk(message=chunk)

    # ------------------------------------------------------------------ the two steps

    def respond(self, messages: list[BaseMessage]) -> AIMessage:
        if self.turn is None:
            raise RuntimeError("the offline planner answers only inside the agent loop")
        last_human = max(
            (i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1
        )
        results = [m for m in messages[last_human + 1 :] if isinstance(m, ToolMessage)]
        try:
            named = self._named_site(messages[: last_human + 1])
        except UnknownSite as exc:
            return _text(f"I could not answer that: {exc}.", "clarify")
        cat = load_catalogue(self.turn.engine, named or self.turn.site)
        frame = self._frame(messages[: last_human + 1], cat)
        if results:
            return self._answer(messages[last_human + 1 :], results, frame, cat)
        question = str(messages[last_human].content) if last_human >= 0 else ""
        return self._plan(frame, cat, question, named)

    def _named_site(self, history: list[BaseMessage]) -> SiteRef | None:
        """The site the conversation's latest question naming one is about (a follow-up stays
        there); UnknownSite, listing the sites, when the last question names none held."""
        assert self.turn is not None
        questions = [str(m.content) for m in history if isinstance(m, HumanMessage)]
        with self.turn.engine.connect() as conn:
            for i, text in enumerate(reversed(questions)):
                try:
                    site = site_in_text(conn, text)
                except UnknownSite:
                    if i == 0:
                        raise
                    continue  # answered at the time
                if site is not None:
                    return site
        return None

    def _frame(self, history: list[BaseMessage], cat: Catalogue) -> Frame:
        """The current question's frame, follow-ups resolved against the earlier questions and
        "it" against the meter the last answer was about."""
        assert self.turn is not None
        frame: Frame | None = None
        subject: str | None = None
        answer = ""
        for m in history:
            if isinstance(m, AIMessage) and m.content and not m.tool_calls:
                subject = _subject(str(m.content), cat) or subject
                answer = str(m.content)
            if not isinstance(m, HumanMessage):
                continue
            text = str(m.content)
            current = _with_context(read(text, cat, self.turn.now), frame, subject, answer)
            about = _incident_reply(frame, current, text, answer)
            if about is not None:
                current = about  # the note asked for, or "acknowledge it" after one incident
            elif frame is not None and is_follow_up(current) and not _bare_reply(text):
                current = merge(frame, current, self.turn.now)
                if subject and not current.meters and PRONOUN.search(current.text):
                    current = replace(current, meters=(subject,))
            elif frame is not None and _keeps_meters(current) and frame.meters:
                # a new question in the same conversation stays on the meters in discussion
                current = replace(current, meters=frame.meters)
            frame = current
        return frame or Frame()

    def _plan(
        self, frame: Frame, cat: Catalogue, question: str, named: SiteRef | None = None
    ) -> AIMessage:
        assert self.turn is not None
        if _bare_reply(question) and frame.intent != "incident_cancel":
            return _text(
                "Nothing is waiting for your confirmation. What would you like to know?", "clarify"
            )
        decision = plan(frame, cat, self.turn.now, set(self.tool_names), question)
        if named is not None and named != self.turn.site:
            decision = _at_site(decision, named)
        elif self.turn.site is None and not (
            decision.calls and all(c.name in SITE_FREE for c in decision.calls)
        ):
            with self.turn.engine.connect() as conn:
                reason = missing_site(conn)
            return _text(f"I could not answer that: {reason}.", "refuse")
        if decision.calls:
            calls = [
                {
                    "name": c.name,
                    "args": c.args,
                    "id": f"call_{uuid.uuid4().hex[:12]}",
                    "type": "tool_call",
                }
                for c in decision.calls
            ]
            return AIMessage(content="", tool_calls=calls)
        return _text(decision.message or "", decision.outcome)

    def _answer(
        self,
        turn_messages: list[BaseMessage],
        results: list[ToolMessage],
        frame: Frame,
        cat: Catalogue,
    ) -> AIMessage:
        assert self.turn is not None
        calls = {
            c["id"]: c for m in turn_messages if isinstance(m, AIMessage) for c in m.tool_calls
        }
        parts: list[str] = []
        outcomes: list[str] = []
        done: list[tuple[str, dict[str, Any]]] = []
        for r in results:
            call = calls.get(r.tool_call_id)
            name = call["name"] if call else r.name or ""
            text, outcome = _result_text(name, r, call["args"] if call else {})
            if name == "list_incidents" and r.status != "error" and isinstance(r.artifact, dict):
                state = str((call["args"] if call else {}).get("state", "active"))
                view = _incident_view(frame, self.turn)
                text = "\n".join(incidents.list_answer(r.artifact, view, state))
            parts.append(text)
            outcomes.append(outcome)
            if r.status != "error" and isinstance(r.artifact, dict):
                done.append((name, r.artifact))
        ranking = compose.kpi_ranking(done)
        if ranking:
            parts = ranking  # one line per meter says it all
        parts.extend(compose.kpi_changes(done))
        decision: Decision = plan(frame, cat, self.turn.now, set(self.tool_names), "")
        parts.extend(decision.notes)
        outcome = "answer" if "answer" in outcomes else outcomes[0]
        return _text("\n\n".join(p for p in parts if p), outcome)


def _with_context(current: Frame, before: Frame | None, subject: str | None, answer: str) -> Frame:
    """A knowledge question that leans on the conversation ("has this happened before?") with
    what it was about: the meters of the question before and the events its answer named."""
    where = current.extras.get("collection", "documents")
    if current.intent != "knowledge" or before is None:
        return current
    if not knowledge.refers_back(current.text, where):
        return current
    meters = before.meters or ((subject,) if subject else ())
    about = knowledge.context_of(meters, answer)
    return replace(current, extras=current.extras | {"context": about})


def _at_site(decision: Decision, site: SiteRef) -> Decision:
    """The calls of a question about another site than the turn's, each told that site."""
    tools = all_tools()
    calls = tuple(
        replace(c, args=c.args | {"site": site.name})
        if c.name in tools and "site" in tools[c.name].input_model.model_fields
        else c
        for c in decision.calls
    )
    return replace(decision, calls=calls)


def _incident_view(frame: Frame, turn: Turn) -> incidents.View:
    """How an incident listing is shown: the question's period, and one in full when the
    question was about one incident ("what happened with the compressor-2 incident?")."""
    from tools.periods import resolve_period

    detail = frame.intent == "incident_show"
    severity = incidents.severity_of(frame.text)
    span = next((p for p in frame.periods if not p.relative), None)
    if span is None:
        return incidents.View(now=turn.now, detail=detail, severity=severity)
    tz = turn.site.timezone if turn.site is not None else "UTC"
    period = resolve_period(span.period, turn.now, tz)
    return incidents.View(period.start, period.end, span.label, turn.now, detail, severity)


INCIDENT_INTENTS = ("incident_list", "incident_show", "incident_action")
ACT_ON_IT = re.compile(
    r"^\s*(?:please |ok,? |okay,? |then |now |so )?(?:acknowledge|ack|resolve|close|mark)\b"
)


def _incident_reply(before: Frame | None, current: Frame, text: str, answer: str) -> Frame | None:
    """A reply that only makes sense after an incident answer: the resolution note that answer
    asked for (or "never mind"), or "acknowledge it" after one incident was shown."""
    if before is None:
        return None
    asked = incidents.asked_for_note(answer)
    if asked is not None and not (current.intent == "incident_action" and current.number):
        if DECLINE.search(text.lower()) and len(text.split()) <= 6:
            return replace(before, intent="incident_cancel", number=asked, text=text.lower())
        if text.rstrip().endswith("?"):
            return None  # a new question instead of the note
        extras = {"action": "resolve", "note": text.strip()}
        return replace(before, intent="incident_action", number=asked, extras=extras)
    if before.intent not in INCIDENT_INTENTS or current.number is not None:
        return None
    shown = re.search(r"^Incident #(\d+):", answer, flags=re.MULTILINE)
    number = before.number or (int(shown.group(1)) if shown else None)
    if number is None or not ACT_ON_IT.search(current.text):
        return None
    extras = {"action": incidents.action_of(current.text)}
    return replace(current, intent="incident_action", number=number, extras=extras)


def _subject(answer: str, cat: Catalogue) -> str | None:
    """The first meter an answer names in bold: what "it" means in the next question."""
    names: list[str] = re.findall(r"\*\*([^*]+)\*\*", answer)
    return next((n.strip() for n in names if cat.by_name(n.strip()) is not None), None)


SITE_LEVEL = {
    "rank",
    "rank_kpi",
    "alert_list",
    "alert_rules",
    "sql",
    "destroy",
    "knowledge",
    *INCIDENT_INTENTS,
}


def _keeps_meters(frame: Frame) -> bool:
    return (
        not (frame.meters or frame.site_wide or frame.ambiguous or frame.intent in SITE_LEVEL)
        and frame.intent is not None
    )


def _bare_reply(text: str) -> bool:
    """ "yes" or "no" on its own, with nothing waiting for it."""
    return (
        bool(AFFIRM.match(text.lower()) or DECLINE.match(text.lower())) and len(text.split()) <= 3
    )


def _text(content: str, outcome: str) -> AIMessage:
    return AIMessage(
        content=content, response_metadata={"outcome": outcome, "model_name": MODEL_NAME}
    )


def _result_text(
    name: str, message: ToolMessage, args: dict[str, Any] | None = None
) -> tuple[str, str]:
    content = str(message.content)
    if content.startswith("User rejected the tool call"):
        return "Cancelled: nothing was changed.", "answer"
    if message.status == "error":
        kind, _, text = content.partition(": ")
        outcome = (
            "refuse" if kind in REFUSE_ERRORS else "clarify" if kind in CLARIFY_ERRORS else "answer"
        )
        reason = text or content
        if outcome == "refuse":
            return f"I can't do that: {reason}", outcome
        return f"I could not answer that: {reason}", outcome
    artifact = message.artifact if isinstance(message.artifact, dict) else json.loads(content)
    if name == "search_knowledge":
        # where it searched decides how an empty result reads ("no past incidents ...")
        artifact = {"collection": (args or {}).get("collection", "documents")} | artifact
    return compose.describe(name, artifact), "answer"
