"""The agent: LangChain's tool loop over the registry's tools, with memory per conversation
thread and a confirmation turn before any write.

The chat page, the Slack bot and the command line all call `Agent.ask` (or `Agent.stream`). A
write (an alert rule, an alert's acknowledgement) pauses the loop: the person sees exactly what
will be changed and answers yes or no in their next message; nothing a model, a document or a
tool result says can approve it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from langchain.agents import create_agent
from langchain.agents.middleware import (
    AgentMiddleware,
    AgentState,
    HumanInTheLoopMiddleware,
    InterruptOnConfig,
    ModelRequest,
    ModelResponse,
    ToolCallRequest,
)
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.tool import ToolCall
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.runtime import Runtime
from langgraph.types import Command

from agent.context import MakeContext
from agent.models import Backend, explain
from agent.offline.model import OfflinePlanner, Turn
from agent.prompts import turn_prompt
from agent.toolkit import TurnContext, langchain_tools, write_tools
from agent.writes import AFFIRM, declined, describe_write
from store.catalog import SiteRef
from tools.base import Tool, ToolContext

Outcome = Literal["answer", "clarify", "refuse", "confirm"]


@dataclass(frozen=True)
class ToolCallRecord:
    name: str
    args: dict[str, Any]
    result: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "args": self.args, "result": self.result}


@dataclass(frozen=True)
class Reply:
    answer: str
    tool_calls: list[ToolCallRecord]
    thread: str
    model: str
    latency_ms: float
    outcome: Outcome = "answer"
    pending: list[dict[str, Any]] = field(default_factory=list)  # writes awaiting a yes

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "tool_calls": [c.to_json() for c in self.tool_calls],
            "thread": self.thread,
            "model": self.model,
            "latency_ms": round(self.latency_ms, 1),
            "outcome": self.outcome,
            "pending": self.pending,
        }


class _BindTurn(AgentMiddleware[Any, TurnContext]):
    """Gives the model this turn's context: the offline planner its store and clock, a language
    model its system prompt (site, time, meters)."""

    def __init__(self, writes: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.writes = writes  # tools that change stored state, which a viewer may not call

    def wrap_model_call(
        self,
        request: ModelRequest[TurnContext],
        handler: Callable[[ModelRequest[TurnContext]], ModelResponse],
    ) -> ModelResponse:
        ctx = request.runtime.context.tools
        if isinstance(request.model, OfflinePlanner):
            turn = Turn(ctx.engine, ctx.site_or_none, ctx.now, ctx.config, ctx.role, self.writes)
            return handler(request.override(model=request.model.for_turn(turn)))
        return handler(request.override(system_message=SystemMessage(turn_prompt(ctx))))


def _gate(writes: set[str]) -> HumanInTheLoopMiddleware[Any, TurnContext, Any]:
    def needs_confirmation(request: ToolCallRequest) -> bool:
        # A viewer's write is refused by the tool itself; there is nothing to confirm.
        context: Any = request.runtime.context
        return context is not None and context.tools.role in ("operator", "admin")

    def description(tool_call: ToolCall, state: AgentState[Any], runtime: Runtime[Any]) -> str:
        context: Any = runtime.context
        ctx = context.tools if context is not None else None
        return describe_write(tool_call["name"], tool_call["args"], ctx)

    config: dict[str, bool | InterruptOnConfig] = {
        name: InterruptOnConfig(
            allowed_decisions=["approve", "reject"],
            description=description,
            when=needs_confirmation,
        )
        for name in writes
    }
    return HumanInTheLoopMiddleware(interrupt_on=config)


class Agent:
    """One compiled agent graph, shared by every conversation; per-turn facts come in context."""

    def __init__(
        self,
        backend: Backend,
        registry: dict[str, Tool[Any, Any]],
        checkpointer: BaseCheckpointSaver[Any],
        contexts: MakeContext,
        *,
        user: str = "cli",
        role: str = "operator",
    ) -> None:
        self.backend = backend
        self.contexts = contexts
        self.user = user
        self.role = role
        self.graph = create_agent(
            backend.model,
            langchain_tools(registry),
            middleware=[_BindTurn(frozenset(write_tools(registry))), _gate(write_tools(registry))],
            context_schema=TurnContext,
            checkpointer=checkpointer,
        )

    # ------------------------------------------------------------------ public

    def ask(
        self,
        question: str,
        *,
        thread: str | None = None,
        now: datetime | None = None,
        user: str | None = None,
        role: str | None = None,
    ) -> Reply:
        """Answer one message in a conversation thread (a new thread when none is given)."""
        reply: Reply | None = None
        for event in self.stream(question, thread=thread, now=now, user=user, role=role):
            if isinstance(event, Reply):
                reply = event
        assert reply is not None
        return reply

    def stream(
        self,
        question: str,
        *,
        thread: str | None = None,
        now: datetime | None = None,
        user: str | None = None,
        role: str | None = None,
    ) -> Iterator[str | Reply]:
        """Text of the answer as it is written, then the whole Reply."""
        for event in self.events(question, thread=thread, now=now, user=user, role=role):
            if not isinstance(event, ToolCallRecord):
                yield event

    def events(
        self,
        question: str,
        *,
        thread: str | None = None,
        now: datetime | None = None,
        user: str | None = None,
        role: str | None = None,
    ) -> Iterator[str | ToolCallRecord | Reply]:
        """As `stream`, with each tool call as its result arrives (the HTTP API streams them)."""
        started = time.perf_counter()
        thread = thread or uuid.uuid4().hex[:12]
        config: Any = {"configurable": {"thread_id": thread}}
        ctx = TurnContext(self.context(now, user, role))
        before = len(self._messages(config))
        prefix: list[str] = []
        pending = self._pending(config)
        inputs: Any = {"messages": [HumanMessage(question)]}
        if pending:
            answer = question.strip().lower()
            if AFFIRM.match(answer):
                inputs = Command(resume={"decisions": [{"type": "approve"}] * len(pending)})
            else:
                reason = "the user declined" if declined(answer) else "the user moved on"
                decision = {"type": "reject", "message": reason}
                yield from self._run(
                    Command(resume={"decisions": [decision] * len(pending)}), config, ctx
                )
                if declined(answer):
                    inputs = None
                    prefix = []
                else:
                    prefix = ["(The change I proposed was not made.)"]
        if inputs is not None:
            yield from self._run(inputs, config, ctx)
        yield self._reply(config, thread, before, started, prefix)

    def history(self, thread: str) -> list[BaseMessage]:
        return self._messages({"configurable": {"thread_id": thread}})

    def forget(self, thread: str) -> None:
        """Delete a conversation's messages (its checkpoints) for good."""
        saver = self.graph.checkpointer
        if isinstance(saver, BaseCheckpointSaver):
            saver.delete_thread(thread)

    def pending(self, thread: str) -> list[dict[str, Any]]:
        """The writes waiting for this conversation's yes or no: each with its tool `name`,
        the `args` it would be called with and the `description` the person confirms."""
        return self._pending({"configurable": {"thread_id": thread}})

    # ------------------------------------------------------------------ internals

    @property
    def site(self) -> SiteRef | None:
        """The site the next turn is about; None when the store holds none, or several and
        none was chosen (questions may still name one)."""
        return self.contexts.current_site()

    def context(
        self, now: datetime | None = None, user: str | None = None, role: str | None = None
    ) -> ToolContext:
        """The tools' context of a turn: this agent's person and role unless others are named."""
        return self.contexts(user=user or self.user, role=role or self.role, now=now)

    def _messages(self, config: Any) -> list[BaseMessage]:
        state = self.graph.get_state(config)
        return list(state.values.get("messages", [])) if state.values else []

    def _pending(self, config: Any) -> list[dict[str, Any]]:
        state = self.graph.get_state(config)
        requests: list[dict[str, Any]] = []
        for interrupt in state.interrupts:
            value = interrupt.value
            if isinstance(value, dict):
                requests.extend(value.get("action_requests", []))
        return requests

    def _run(self, inputs: Any, config: Any, ctx: TurnContext) -> Iterator[str | ToolCallRecord]:
        try:
            for chunk, _meta in self.graph.stream(
                inputs, config, context=ctx, stream_mode="messages"
            ):
                if isinstance(chunk, ToolMessage):
                    yield from _executed_calls(self._messages(config), [chunk])
                elif isinstance(chunk, AIMessageChunk) and isinstance(chunk.content, str):
                    if chunk.content and not chunk.tool_call_chunks:
                        yield chunk.content
        except Exception as exc:
            readable = explain(exc, self.backend)
            if readable is not None:
                raise readable from exc
            raise

    def _reply(
        self, config: Any, thread: str, before: int, started: float, prefix: list[str]
    ) -> Reply:
        messages = self._messages(config)
        new = messages[before:]
        pending = self._pending(config)
        calls = _executed_calls(messages, new)
        final = next(
            (m for m in reversed(new) if isinstance(m, AIMessage) and not m.tool_calls), None
        )
        outcome: Outcome = "answer"
        if pending:
            # a proposal that asks more than yes or no ("Is the unit right?") is a question
            asks = any(str(p["description"]).rstrip().endswith("?") for p in pending)
            outcome = "clarify" if asks else "confirm"
            # what the model said with the change it proposes ("I did not use 'weekday'")
            said = next(
                (_content(m) for m in reversed(new) if isinstance(m, AIMessage) and m.tool_calls),
                "",
            ).strip()
            text = "\n".join(
                [
                    "I am about to make this change:",
                    *(f"- {p['description']}" for p in pending),
                    *([said] if said else []),
                    "Shall I go ahead? Answer yes or no.",
                ]
            )
        else:
            text = _content(final) if final is not None else ""
            outcome = _outcome(final, calls, text)
        answer = "\n\n".join([*prefix, text]).strip()
        latency = (time.perf_counter() - started) * 1000
        return Reply(answer, calls, thread, self.backend.name, latency, outcome, pending)


def _content(message: AIMessage) -> str:
    if isinstance(message.content, str):
        return message.content
    return "".join(
        part.get("text", "") if isinstance(part, dict) else str(part) for part in message.content
    )


def _outcome(final: AIMessage | None, calls: list[ToolCallRecord], text: str) -> Outcome:
    if final is not None:
        declared = final.response_metadata.get("outcome")
        if declared in ("answer", "clarify", "refuse", "confirm"):
            return declared  # type: ignore[no-any-return]
    if not calls and text.rstrip().endswith("?"):
        return "clarify"
    return "answer"


def _executed_calls(messages: list[BaseMessage], new: list[BaseMessage]) -> list[ToolCallRecord]:
    """Tool calls whose results arrived in this turn, with their arguments and results."""
    asked = {c["id"]: c for m in messages if isinstance(m, AIMessage) for c in m.tool_calls}
    records = []
    for m in new:
        if not isinstance(m, ToolMessage) or m.tool_call_id not in asked:
            continue
        if str(m.content).startswith("User rejected the tool call"):
            continue  # a write the person declined was never run
        call = asked[m.tool_call_id]
        if m.status == "error" or not isinstance(m.artifact, dict):
            result: dict[str, Any] = {"error": str(m.content)}
        else:
            result = m.artifact
        records.append(ToolCallRecord(call["name"], dict(call["args"]), result))
    return records
