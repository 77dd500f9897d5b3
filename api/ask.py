"""POST /ask: a question to the agent, answered as JSON or streamed as Server-Sent Events (the
answer's text as it is written, each tool call as its result arrives, then the whole reply),
with a thread id for follow-ups and a limit on questions per token and minute."""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from api.auth import Viewer, deps_of
from api.errors import COMMON, TooManyRequests, responses, status_of
from common.errors import EMSError

if TYPE_CHECKING:
    from agent.loop import Reply, ToolCallRecord
    from api.tokens import Principal

WINDOW_S = 60.0


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=4000, description="The question, in words.")
    thread: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="Continue this conversation (the `thread` of an earlier reply); a new one "
        "when omitted. Threads are kept per token.",
    )


class ToolCallOut(BaseModel):
    name: str
    args: dict[str, Any]
    result: dict[str, Any]


class AskReply(BaseModel):
    answer: str
    tool_calls: list[ToolCallOut]
    thread: str
    model: str
    latency_ms: float
    outcome: Literal["answer", "clarify", "refuse", "confirm"] = Field(
        description="'confirm': a write awaits the answer yes or no in this thread."
    )
    pending: list[dict[str, Any]] = Field(description="Writes awaiting a yes or no.")


class AskLimiter:
    """At most `per_minute` questions per token in any minute (a sliding window)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._asked: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, who: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            asked = self._asked.setdefault(who, deque())
            while asked and now - asked[0] >= WINDOW_S:
                asked.popleft()
            if len(asked) >= self.per_minute:
                wait = int(WINDOW_S - (now - asked[0])) + 1
                raise TooManyRequests(
                    f"the token {who!r} asked {self.per_minute} questions in the last minute; "
                    f"ask again in {wait} s",
                    wait,
                )
            asked.append(now)


def _thread_key(principal: Principal, thread: str) -> str:
    """Threads are kept per token, so one client cannot read another's conversation."""
    return f"api:{principal.name}:{thread}"


def _reply_out(reply: Reply, thread: str) -> AskReply:
    body = reply.to_json()
    body["thread"] = thread
    return AskReply.model_validate(body)


def _call_out(call: ToolCallRecord) -> dict[str, Any]:
    return ToolCallOut(name=call.name, args=call.args, result=call.result).model_dump(mode="json")


def _sse(event: str, data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, default=str)
    return f"event: {event}\ndata: {text}\n\n"


_END = object()


def _in_one_thread(events: Iterator[Any]) -> Iterator[Any]:
    """The agent's events produced on one thread of their own: the response's iterator is
    advanced on whichever worker thread is free, and the agent's graph keeps per-run state
    that must stay on the thread that began it."""
    handoff: queue.Queue[Any] = queue.Queue(maxsize=64)

    def produce() -> None:
        try:
            for event in events:
                handoff.put(event)
        except BaseException as exc:
            handoff.put(exc)
        finally:
            handoff.put(_END)

    threading.Thread(target=produce, name="ems-api-ask", daemon=True).start()
    while (item := handoff.get()) is not _END:
        if isinstance(item, BaseException):
            raise item
        yield item


def _stream(events: Iterator[Any], thread: str) -> Iterator[str]:
    from agent.loop import Reply, ToolCallRecord

    try:
        for event in _in_one_thread(events):
            if isinstance(event, Reply):
                yield _sse("reply", _reply_out(event, thread).model_dump(mode="json"))
            elif isinstance(event, ToolCallRecord):
                yield _sse("tool_call", _call_out(event))
            else:
                yield _sse("token", {"text": event})
    except EMSError as exc:  # the stream has begun: the error is its last event
        yield _sse(
            "error", {"error": type(exc).__name__, "detail": str(exc), "status": status_of(exc)}
        )


SSE_DOC = {
    "text/event-stream": {
        "schema": {"type": "string"},
        "example": 'event: token\ndata: {"text": "Peak demand"}\n\nevent: tool_call\ndata: '
        '{"name": "compute_kpi", "args": {}, "result": {}}\n\nevent: reply\ndata: {...}\n\n',
    }
}


def ask_router(limiter: AskLimiter) -> APIRouter:
    router = APIRouter(tags=["ask"])

    @router.post(
        "/ask",
        response_model=AskReply,
        responses={
            200: {
                "description": "The reply as JSON; with `Accept: text/event-stream`, events "
                "`token` {text}, `tool_call` {name, args, result}, then `reply` (this body) "
                "or `error` {error, detail, status}.",
                "content": SSE_DOC,
            },
            **responses(*COMMON, 429, 503),
        },
    )
    def ask(body: AskRequest, request: Request, principal: Viewer) -> Response:
        """Ask the agent a question as the token's name and role. A write it proposes waits
        for a yes or no in the same thread, as in the chat."""
        limiter.check(principal.name)
        thread = body.thread or uuid.uuid4().hex[:12]
        agent = deps_of(request).agent()
        events = agent.events(
            body.question,
            thread=_thread_key(principal, thread),
            user=principal.name,
            role=principal.role,
        )
        if "text/event-stream" in request.headers.get("accept", ""):
            return StreamingResponse(
                _stream(events, thread),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        from agent.loop import Reply

        reply = next(e for e in events if isinstance(e, Reply))
        return Response(_reply_out(reply, thread).model_dump_json(), media_type="application/json")

    return router
