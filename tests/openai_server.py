"""A local OpenAI-compatible HTTP server that answers Chat Completions from a script, for tests."""

from __future__ import annotations

import itertools
import json
import logging
import re
import socket
import socketserver
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import pytest

log = logging.getLogger(__name__)

ToolArgs = Mapping[str, Any] | str
"""A tool call's arguments: a mapping (sent as JSON text) or raw text, e.g. to script bad JSON."""

CHAT_PATH = "/v1/chat/completions"
MODELS_PATH = "/v1/models"
FRAGMENT = 8
"""Characters of tool-call arguments per streamed chunk."""

_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("Invalid request.", "invalid_request_error", None),
    401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
    403: ("Your key may not use this model.", "invalid_request_error", "unsupported_model"),
    404: ("The model does not exist or you do not have access to it.", "invalid_request_error",
          "model_not_found"),
    429: ("Rate limit reached for requests.", "requests", "rate_limit_exceeded"),
    500: ("The server had an error while processing your request.", "server_error", None),
    503: ("The engine is currently overloaded, please try again later.", "server_error", None),
}  # fmt: skip


def error_body(status: int, message: str | None = None, code: str | None = None) -> dict[str, Any]:
    """The JSON body the OpenAI API sends with an error status."""
    kind = "server_error" if status >= 500 else "invalid_request_error"
    default_message, kind, default_code = _ERRORS.get(status, (f"HTTP {status}", kind, None))
    return {
        "error": {
            "message": message or default_message,
            "type": kind,
            "param": None,
            "code": code or default_code,
        }
    }


@dataclass(frozen=True)
class ToolCall:
    """One function call in a scripted reply; the server assigns `call_<n>` when id is None."""

    name: str
    arguments: str
    id: str | None = None


@dataclass(frozen=True)
class Reply:
    """One scripted answer: assistant text and/or tool calls, or an HTTP error, maybe delayed."""

    content: str | None = None
    calls: tuple[ToolCall, ...] = ()
    status: int = 200
    body: Mapping[str, Any] | str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0

    @classmethod
    def text(cls, content: str, *, delay: float = 0.0) -> Reply:
        """The assistant answers with text (finish_reason "stop")."""
        return cls(content=content, delay=delay)

    @classmethod
    def tool_calls(
        cls,
        calls: Iterable[tuple[str, ToolArgs] | tuple[str, ToolArgs, str]],
        *,
        content: str | None = None,
        delay: float = 0.0,
    ) -> Reply:
        """The assistant calls tools, each (name, args) or (name, args, id); finish "tool_calls"."""
        made = []
        for name, args, *call_id in calls:
            text = args if isinstance(args, str) else json.dumps(dict(args))
            made.append(ToolCall(name, text, call_id[0] if call_id else None))
        if not made:
            raise ValueError("Reply.tool_calls needs at least one call")
        return cls(content=content, calls=tuple(made), delay=delay)

    @classmethod
    def error(
        cls,
        status: int = 500,
        body: Mapping[str, Any] | str | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        message: str | None = None,
        delay: float = 0.0,
    ) -> Reply:
        """An HTTP error; body defaults to the API's `{"error": {...}}` shape for that status."""
        if status < 400:
            raise ValueError(f"an error reply needs a status >= 400, not {status}")
        return cls(
            status=status,
            body=error_body(status, message) if body is None else body,
            headers=dict(headers or {}),
            delay=delay,
        )


Step = Reply | Callable[[dict[str, Any]], Reply]
"""A Reply, or a function of the request's JSON body returning one."""


@dataclass(frozen=True)
class RecordedRequest:
    """What a client sent: header names are lower-cased, body is the parsed JSON (or None)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


@dataclass(frozen=True)
class _Response:
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    payload: Any = None  # a JSON-able value, or text sent as it is
    events: list[dict[str, Any]] | None = None  # a stream of SSE `data:` payloads
    drop: bool = False  # close the connection without answering (server shutting down)


# Ports of the scripted servers running now: the only endpoints tests may build a client for.
LIVE_PORTS: set[int] = set()


class ScriptedOpenAIServer(ThreadingHTTPServer):
    """Serves /v1/chat/completions from a script and /v1/models, on 127.0.0.1, until closed."""

    daemon_threads = False  # handler threads are joined on close: none is left running
    block_on_close = True

    def __init__(
        self,
        steps: Iterable[Step] = (),
        *,
        api_key: str | None = None,
        models: Iterable[str] = ("test-model",),
    ) -> None:
        self.api_key = api_key
        self.models = tuple(models)
        self.requests: list[RecordedRequest] = []
        self.failures: list[str] = []
        self._steps: list[Step] = list(steps)
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._connections: set[socket.socket] = set()
        self._call_ids = itertools.count(1)
        super().__init__(("127.0.0.1", 0), _Handler)
        LIVE_PORTS.add(self.server_port)
        self._thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"scripted-openai-{self.server_port}",
            daemon=True,
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/v1"

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """The requests made to the Chat Completions endpoint, in order."""
        with self._lock:
            return [r for r in self.requests if r.path == CHAT_PATH]

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._steps)

    def add(self, *steps: Step) -> None:
        """Append steps to the script."""
        with self._lock:
            self._steps.extend(steps)

    def assert_script_used(self) -> None:
        """Raise AssertionError if a request found no step (or failed) or steps were left unused."""
        with self._lock:
            problems = list(self.failures)
            if self._steps:
                problems.append(f"{len(self._steps)} scripted step(s) were never used")
        if problems:
            raise AssertionError("ScriptedOpenAIServer: " + "; ".join(problems))

    def close(self) -> None:
        """Stop serving, drop open connections, and join every thread the server started."""
        if self._closing.is_set():
            return
        self._closing.set()  # wakes delayed replies
        self.shutdown()
        self._thread.join()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:  # idle keep-alive connections: their handlers read EOF and end
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.server_close()  # joins the handler threads
        LIVE_PORTS.discard(self.server_port)

    def __enter__(self) -> ScriptedOpenAIServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # socketserver hooks

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # HTTPServer's would look up the host name
        self.server_name = "127.0.0.1"
        self.server_port = self.socket.getsockname()[1]

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):  # the client went away: not the server's fault
            return
        log.error("ScriptedOpenAIServer failed", exc_info=error)
        with self._lock:
            self.failures.append(f"the server failed: {error!r}")

    # answering

    def respond(self, method: str, path: str, headers: dict[str, str], body: Any) -> _Response:
        """Record the request and decide the answer (called on the handler's thread)."""
        with self._lock:
            self.requests.append(RecordedRequest(method, path, headers, body))
            number = len(self.requests)
        if self.api_key is not None and headers.get("authorization") != f"Bearer {self.api_key}":
            return _Response(401, payload=error_body(401))
        if (method, path) == ("GET", MODELS_PATH):
            return _Response(payload=self._models())
        if (method, path) != ("POST", CHAT_PATH) or not isinstance(body, dict):
            return self._fail(f"request #{number} {method} {path} is not a chat completion", 404)
        reply = self._next_reply(number, body)
        if isinstance(reply, _Response):
            return reply
        if reply.delay and self._closing.wait(reply.delay):
            return _Response(drop=True)
        if reply.status >= 400:
            return _Response(reply.status, reply.headers, payload=reply.body)
        return self._answer(reply, body)

    def _next_reply(self, number: int, body: dict[str, Any]) -> Reply | _Response:
        with self._lock:
            step = self._steps.pop(0) if self._steps else None
        if step is None:
            return self._fail(f"the script is exhausted: request #{number} found no step", 500)
        if isinstance(step, Reply):
            return step
        try:
            reply = step(body)
        except Exception as exc:
            log.exception("scripted step failed")
            return self._fail(f"the step for request #{number} raised {exc!r}", 500)
        if not isinstance(reply, Reply):
            return self._fail(f"the step for request #{number} returned {reply!r}", 500)
        return reply

    def _fail(self, message: str, status: int) -> _Response:
        with self._lock:
            self.failures.append(message)
        body = error_body(status, f"ScriptedOpenAIServer: {message}", "script_error")
        return _Response(status, {"x-should-retry": "false"}, payload=body)

    def _models(self) -> dict[str, Any]:
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "test"} for m in self.models]
        return {"object": "list", "data": data}

    def _answer(self, reply: Reply, body: dict[str, Any]) -> _Response:
        with self._lock:
            calls = [
                {
                    "id": call.id or f"call_{next(self._call_ids)}",
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for call in reply.calls
            ]
        completion = _Completion(
            reply.content, calls, str(body.get("model", "")), _usage(body, reply)
        )
        if body.get("stream"):
            options = body.get("stream_options") or {}
            return _Response(events=completion.chunks(bool(options.get("include_usage"))))
        return _Response(payload=completion.message())


def _words(text: str) -> int:
    return len(text.split())


def _usage(body: dict[str, Any], reply: Reply) -> dict[str, int]:
    """Token counts, roughly one per word: deterministic, enough for accounting tests."""
    prompt = _words(json.dumps(body.get("messages", [])))
    completion = _words(reply.content or "") + sum(len(c.arguments) // 4 + 1 for c in reply.calls)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


@dataclass
class _Completion:
    """One assistant turn rendered as the API renders it, whole or as stream chunks."""

    content: str | None
    calls: list[dict[str, Any]]
    model: str
    usage: dict[str, int]
    id: str = field(default_factory=lambda: f"chatcmpl-{uuid.uuid4().hex[:24]}")
    created: int = field(default_factory=lambda: int(time.time()))

    @property
    def finish_reason(self) -> str:
        return "tool_calls" if self.calls else "stop"

    def _envelope(self, obj: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": obj,
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "service_tier": "default",
        }

    def message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self.content, "refusal": None}
        if self.calls:
            message["tool_calls"] = self.calls
        choice = {
            "index": 0,
            "message": message,
            "logprobs": None,
            "finish_reason": self.finish_reason,
        }
        return {**self._envelope("chat.completion"), "choices": [choice], "usage": self.usage}

    def deltas(self) -> Iterator[dict[str, Any]]:
        """Content word by word, then each call: its id and name first, its arguments in pieces."""
        if self.content is not None:
            yield {"role": "assistant", "content": "", "refusal": None}
            for piece in re.findall(r"\s*\S+|\s+$", self.content):
                yield {"content": piece}
        for index, call in enumerate(self.calls):
            head = {**call, "index": index, "function": {**call["function"], "arguments": ""}}
            first: dict[str, Any] = {"tool_calls": [head]}
            if index == 0 and self.content is None:
                first = {"role": "assistant", "content": None, "refusal": None, **first}
            yield first
            arguments = call["function"]["arguments"]
            for start in range(0, len(arguments), FRAGMENT):
                piece = arguments[start : start + FRAGMENT]
                yield {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}

    def chunks(self, include_usage: bool) -> list[dict[str, Any]]:
        extra = {"usage": None} if include_usage else {}
        envelope = {**self._envelope("chat.completion.chunk"), **extra}

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return {**envelope, "choices": [choice]}

        out = [chunk(delta) for delta in self.deltas()]
        out.append(chunk({}, self.finish_reason))
        if include_usage:
            out.append({**envelope, "choices": [], "usage": self.usage})
        return out


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked streams, like the real API
    server: ScriptedOpenAIServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._serve(None)

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        self._serve(body)

    def _serve(self, body: Any) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        path = urlsplit(self.path).path
        response = self.server.respond(self.command, path, headers, body)
        try:
            if response.drop:
                self.close_connection = True
            elif response.events is not None:
                self._send_events(response.events)
            else:
                self._send_json(response)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            self.close_connection = True

    def _start(self, status: int, content_type: str, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("x-request-id", f"req_{uuid.uuid4().hex}")
        for name, value in headers.items():
            self.send_header(name, value)

    def _send_json(self, response: _Response) -> None:
        text = response.payload
        data = (text if isinstance(text, str) else json.dumps(text)).encode()
        self._start(response.status, "application/json", response.headers)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_events(self, events: list[dict[str, Any]]) -> None:
        self._start(200, "text/event-stream; charset=utf-8", {"cache-control": "no-cache"})
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for event in [*(json.dumps(e) for e in events), "[DONE]"]:
            data = f"data: {event}\n\n".encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.write(b"0\r\n\r\n")


@contextmanager
def scripted_openai(
    *steps: Step, api_key: str | None = None, models: Iterable[str] = ("test-model",)
) -> Iterator[ScriptedOpenAIServer]:
    """A running server; on a clean exit it is closed and `assert_script_used()` is checked."""
    server = ScriptedOpenAIServer(steps, api_key=api_key, models=models)
    try:
        yield server
    finally:
        server.close()
    server.assert_script_used()


@pytest.fixture
def openai_server() -> Iterator[ScriptedOpenAIServer]:
    """An empty scripted server: `openai_server.add(Reply.text(...))`; checked on teardown."""
    with scripted_openai() as server:
        yield server
