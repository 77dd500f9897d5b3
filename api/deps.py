"""What the composition root hands the HTTP API and the MCP server: the tools, the turn-context
factory, the agent (built on first use), the tokens, the readings ingestion and the settings."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from agent.context import MakeContext
    from agent.loop import Reply, ToolCallRecord
    from api.tokens import TokenStore
    from connectors.http_readings import ReadingsPost
    from tools.base import Tool

MiB = 1024 * 1024


@dataclass(frozen=True)
class ApiSettings:
    """Where the API listens and the limits it keeps."""

    host: str = "127.0.0.1"
    port: int = 7870
    # Origins a browser may call the API from; empty: no CORS headers at all.
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 16 * MiB
    ask_per_minute: int = 30  # questions per token per minute
    max_page: int = 10_000  # readings or rollups per page, at most


class AskAgent(Protocol):
    """What /ask needs of the agent (agent.loop.Agent)."""

    def events(
        self,
        question: str,
        *,
        thread: str | None = None,
        now: datetime | None = None,
        user: str | None = None,
        role: str | None = None,
    ) -> Iterator[str | ToolCallRecord | Reply]: ...


T = TypeVar("T")


class Lazy(Generic[T]):
    """A part built on first use, once, even when several requests ask at the same time (the
    agent loads LangChain, about 2 s, which a client that never asks should not wait for)."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None
        self._lock = threading.Lock()

    def __call__(self) -> T:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._build()
        return self._value


@dataclass(frozen=True)
class ApiDeps:
    """The API's parts. `contexts(site)` makes the turn contexts of a site (None: the
    installation's default site); every tool call goes through them."""

    engine: Engine
    tools: Mapping[str, Tool[Any, Any]]
    contexts: Callable[[str | None], MakeContext]
    agent: Callable[[], AskAgent]
    tokens: TokenStore
    readings: ReadingsPost
    settings: ApiSettings = field(default_factory=ApiSettings)
    version: str = "0"
