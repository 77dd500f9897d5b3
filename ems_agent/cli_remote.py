"""`ems-agent ask` answered by a running EMS API instead of this process: a script that asks
many questions pays for the agent's start-up once, in the server, not once per question."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from common.errors import EMSError

# Tool calls of the offline model answer in well under a second; a hosted model may take long.
TIMEOUT_S = 120.0


class RemoteUnavailable(EMSError):
    """The EMS API that questions are forwarded to could not be reached or refused them."""


@dataclass(frozen=True)
class RemoteReply:
    """The parts of the API's reply that the command line shows (the same fields as `Reply`)."""

    answer: str
    thread: str
    model: str
    latency_ms: float
    outcome: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)

    @property
    def tool_names(self) -> list[str]:
        return [str(call.get("name", "?")) for call in self.tool_calls]

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "tool_calls": self.tool_calls,
            "thread": self.thread,
            "model": self.model,
            "latency_ms": self.latency_ms,
            "outcome": self.outcome,
            "pending": self.pending,
        }


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200] or response.reason_phrase
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("error") or body)
    return str(body)


def ask_remote(
    url: str, token: str, question: str, thread: str | None = None, *, timeout: float = TIMEOUT_S
) -> RemoteReply:
    """The API's answer to one question, as the token's name and role."""
    endpoint = url.rstrip("/") + "/api/v1/ask"
    body: dict[str, Any] = {"question": question}
    if thread:
        body["thread"] = thread
    try:
        response = httpx.post(
            endpoint,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        raise RemoteUnavailable(
            f"could not reach the EMS API at {url} ({type(exc).__name__}: {exc}); start it with "
            "`ems-agent api` or `ems-agent up`, or unset EMS_REMOTE_URL to answer here"
        ) from None
    if response.status_code in (401, 403):
        raise RemoteUnavailable(
            f"the EMS API at {url} refused the token in EMS_API_TOKEN: {_problem(response)}"
        )
    if response.status_code >= 400:
        raise RemoteUnavailable(
            f"the EMS API at {url} answered {response.status_code}: {_problem(response)}"
        )
    data = response.json()
    return RemoteReply(
        answer=str(data["answer"]),
        thread=str(data["thread"]),
        model=str(data["model"]),
        latency_ms=float(data["latency_ms"]),
        outcome=str(data["outcome"]),
        tool_calls=list(data.get("tool_calls") or []),
        pending=list(data.get("pending") or []),
    )
