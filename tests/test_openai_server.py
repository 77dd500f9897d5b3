"""The scripted server answers the real `openai` client and LangChain's ChatOpenAI like the API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any, cast

import openai
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.messages.ai import add_ai_message_chunks
from langchain_openai import ChatOpenAI
from openai.types.chat import ChatCompletionFunctionToolParam, ChatCompletionMessageParam
from pydantic import BaseModel, Field

from tests import openai_server as scripted
from tests.openai_server import Reply, ScriptedOpenAIServer, scripted_openai

openai_server = scripted.openai_server  # the shared fixture, by the name the tests ask for

KEY = "sk-test"
ARGS = {"meters": ["compressor-2"], "period": "last week"}
QUESTION: list[ChatCompletionMessageParam] = [
    {"role": "user", "content": "What was compressor-2's peak demand last week?"}
]
QUERY_METRIC_TOOL: ChatCompletionFunctionToolParam = {
    "type": "function",
    "function": {
        "name": "query_metric",
        "description": "Read a metric of some meters over a period.",
        "parameters": {
            "type": "object",
            "properties": {
                "meters": {"type": "array", "items": {"type": "string"}},
                "period": {"type": "string"},
            },
            "required": ["meters", "period"],
        },
    },
}


class QueryMetric(BaseModel):
    """Read a metric of some meters over a period."""

    meters: list[str] = Field(description="Meter names.")
    period: str = Field(description="A period in words, e.g. 'last week'.")


def connect(server: ScriptedOpenAIServer, **kwargs: Any) -> openai.OpenAI:
    kwargs.setdefault("timeout", 5.0)
    kwargs.setdefault("api_key", KEY)
    return openai.OpenAI(base_url=server.base_url, **kwargs)


@pytest.fixture
def client(openai_server: ScriptedOpenAIServer) -> Iterator[openai.OpenAI]:
    with connect(openai_server) as client:
        yield client


@pytest.fixture
def chat(openai_server: ScriptedOpenAIServer) -> ChatOpenAI:
    return ChatOpenAI(base_url=openai_server.base_url, api_key=KEY, model="test-model", timeout=5)


# the openai client


def test_text_reply(openai_server: ScriptedOpenAIServer, client: openai.OpenAI) -> None:
    openai_server.add(Reply.text("Peak demand was 412 kW."))

    completion = client.chat.completions.create(model="gpt-test", messages=QUESTION)

    choice = completion.choices[0]
    assert (choice.message.content, choice.finish_reason) == ("Peak demand was 412 kW.", "stop")
    assert completion.model == "gpt-test"
    assert completion.usage is not None and completion.usage.completion_tokens == 5
    (sent,) = openai_server.requests
    assert (sent.method, sent.path, sent.authorization) == (
        "POST",
        "/v1/chat/completions",
        f"Bearer {KEY}",
    )
    assert sent.body["model"] == "gpt-test"
    assert sent.body["messages"] == QUESTION
    assert not sent.body.get("stream")


def test_streamed_text_reassembles(
    openai_server: ScriptedOpenAIServer, client: openai.OpenAI
) -> None:
    text = "Peak demand was 412 kW,\non Tuesday at 10:15.  "
    openai_server.add(Reply.text(text))

    chunks = list(
        client.chat.completions.create(
            model="gpt-test",
            messages=QUESTION,
            stream=True,
            stream_options={"include_usage": True},
        )
    )

    assert len(chunks) > 5
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == text
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert all(c.usage is None for c in chunks[:-1])
    assert openai_server.requests[0].body["stream"] is True


def test_tool_call_reply(openai_server: ScriptedOpenAIServer, client: openai.OpenAI) -> None:
    openai_server.add(Reply.tool_calls([("query_metric", ARGS), ("list_meters", {})]))

    completion = client.chat.completions.create(
        model="gpt-test",
        messages=QUESTION,
        tools=[QUERY_METRIC_TOOL],
    )

    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    calls = choice.message.tool_calls or []
    assert [(c.id, c.type) for c in calls] == [("call_1", "function"), ("call_2", "function")]
    got = [(c.function.name, json.loads(c.function.arguments)) for c in calls]  # type: ignore[union-attr]
    assert got == [("query_metric", ARGS), ("list_meters", {})]
    assert openai_server.requests[0].body["tools"] == [QUERY_METRIC_TOOL]


def test_streamed_tool_calls_reassemble(
    openai_server: ScriptedOpenAIServer, client: openai.OpenAI
) -> None:
    openai_server.add(Reply.tool_calls([("query_metric", ARGS), ("list_meters", {}, "call_x")]))

    stream = client.chat.completions.create(
        model="gpt-test",
        messages=QUESTION,
        tools=[QUERY_METRIC_TOOL],
        stream=True,
    )

    calls: dict[int, dict[str, str]] = {}
    finish, fragments = [], 0
    for chunk in stream:
        finish.append(chunk.choices[0].finish_reason)
        for delta in chunk.choices[0].delta.tool_calls or []:
            assert delta.function is not None
            if delta.id:  # a call's first chunk: its id, type and name, no arguments yet
                assert (delta.type, delta.function.arguments) == ("function", "")
                calls[delta.index] = {"id": delta.id, "name": delta.function.name or ""}
                calls[delta.index]["arguments"] = ""
            else:
                assert delta.id is None and delta.function.name is None
                calls[delta.index]["arguments"] += delta.function.arguments or ""
                fragments += 1
    assert finish[-1] == "tool_calls" and set(finish[:-1]) == {None}
    assert fragments > 3
    assert [(c["id"], c["name"], json.loads(c["arguments"])) for c in calls.values()] == [
        ("call_1", "query_metric", ARGS),
        ("call_x", "list_meters", {}),
    ]


def test_rate_limit_is_retried(openai_server: ScriptedOpenAIServer) -> None:
    # The client only honours a positive Retry-After; "retry-after: 0" falls back to ~0.5 s backoff.
    openai_server.add(Reply.error(429, headers={"retry-after-ms": "1"}), Reply.text("ok"))

    with connect(openai_server, max_retries=2) as client:
        completion = client.chat.completions.create(model="gpt-test", messages=QUESTION)

    assert completion.choices[0].message.content == "ok"
    assert len(openai_server.requests) == 2


@pytest.mark.parametrize("scripted", [True, False], ids=["scripted-401", "api-key-check"])
def test_bad_key_is_an_authentication_error(scripted: bool) -> None:
    steps = [Reply.error(401)] if scripted else []
    with (
        scripted_openai(*steps, api_key=None if scripted else KEY) as server,
        connect(server, api_key="sk-wrong") as client,
        pytest.raises(openai.AuthenticationError) as caught,
    ):
        client.chat.completions.create(model="gpt-test", messages=QUESTION)

    assert caught.value.status_code == 401 and caught.value.code == "invalid_api_key"
    assert caught.value.type == "invalid_request_error"
    assert server.requests[0].authorization == "Bearer sk-wrong"


def test_right_key_passes_the_check() -> None:
    with scripted_openai(Reply.text("ok"), api_key=KEY) as server, connect(server) as client:
        completion = client.chat.completions.create(model="gpt-test", messages=QUESTION)
    assert completion.choices[0].message.content == "ok"


def test_slow_reply_times_the_client_out(openai_server: ScriptedOpenAIServer) -> None:
    openai_server.add(Reply.text("too late", delay=30))

    with (
        connect(openai_server, timeout=0.2, max_retries=0) as client,
        pytest.raises(openai.APITimeoutError),
    ):
        client.chat.completions.create(model="gpt-test", messages=QUESTION)
    # teardown closes the server at once: the delayed reply wakes and drops its connection


def test_exhausted_script_is_an_error_and_a_failure() -> None:
    with ScriptedOpenAIServer() as server, connect(server) as client:
        with pytest.raises(openai.InternalServerError, match="script is exhausted"):
            client.chat.completions.create(model="gpt-test", messages=QUESTION)

    assert len(server.requests) == 1  # x-should-retry: false, so the client did not retry
    with pytest.raises(AssertionError, match=r"script is exhausted: request #1"):
        server.assert_script_used()


def test_unused_steps_fail_on_exit() -> None:
    with pytest.raises(AssertionError, match=r"1 scripted step\(s\) were never used"):
        with scripted_openai(Reply.text("never asked")):
            pass


def test_callable_step_answers_from_the_request(
    openai_server: ScriptedOpenAIServer, client: openai.OpenAI
) -> None:
    openai_server.add(lambda body: Reply.text(f"you asked: {body['messages'][-1]['content']}"))

    completion = client.chat.completions.create(model="gpt-test", messages=QUESTION)

    assert completion.choices[0].message.content == f"you asked: {QUESTION[0]['content']}"


def test_failing_callable_step_is_reported() -> None:
    def broken(body: dict[str, Any]) -> Reply:
        raise KeyError("tools")

    with ScriptedOpenAIServer([broken]) as server, connect(server) as client:
        with pytest.raises(openai.InternalServerError):
            client.chat.completions.create(model="gpt-test", messages=QUESTION)
    with pytest.raises(AssertionError, match="request #1 raised KeyError"):
        server.assert_script_used()


def test_models_are_listed(openai_server: ScriptedOpenAIServer, client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["test-model"]
    assert openai_server.requests[0].method == "GET"


def test_close_leaves_no_thread_running() -> None:
    with scripted_openai(Reply.text("a"), Reply.text("b", delay=30)) as server:
        client = connect(server, timeout=0.2, max_retries=0)  # left open: a keep-alive connection
        client.chat.completions.create(model="gpt-test", messages=QUESTION)
        with pytest.raises(openai.APITimeoutError):
            client.chat.completions.create(model="gpt-test", messages=QUESTION)

    names = [t.name for t in threading.enumerate()]
    assert not [n for n in names if "process_request" in n or n.startswith("scripted-openai")]
    client.close()


# LangChain's ChatOpenAI


def test_langchain_tool_call_and_answer(
    openai_server: ScriptedOpenAIServer, chat: ChatOpenAI
) -> None:
    def answer(body: dict[str, Any]) -> Reply:
        tool_message = body["messages"][-1]
        assert tool_message == {"role": "tool", "tool_call_id": "call_1", "content": "412 kW"}
        return Reply.text("Peak demand was 412 kW.")

    openai_server.add(Reply.tool_calls([("QueryMetric", ARGS)]), answer)
    model = chat.bind_tools([QueryMetric])
    question = HumanMessage("What was compressor-2's peak demand last week?")

    first = model.invoke([question])
    assert isinstance(first, AIMessage)
    assert first.tool_calls == [
        {"name": "QueryMetric", "args": ARGS, "id": "call_1", "type": "tool_call"}
    ]
    second = model.invoke([question, first, ToolMessage("412 kW", tool_call_id="call_1")])
    assert second.content == "Peak demand was 412 kW."

    sent = openai_server.requests[0].body
    assert sent["model"] == "test-model"
    (tool,) = sent["tools"]
    assert tool["type"] == "function" and tool["function"]["name"] == "QueryMetric"
    assert tool["function"]["description"] == "Read a metric of some meters over a period."
    assert set(tool["function"]["parameters"]["properties"]) == {"meters", "period"}


def test_langchain_streams_text(openai_server: ScriptedOpenAIServer, chat: ChatOpenAI) -> None:
    openai_server.add(Reply.text("The chiller is 7.5% above its baseline this month."))

    chunks = list(chat.stream("Is the chiller above its baseline?"))

    assert len(chunks) > 3
    assert (
        "".join(str(c.content) for c in chunks)
        == "The chiller is 7.5% above its baseline this month."
    )
    assert openai_server.requests[0].body["stream"] is True
    assert openai_server.requests[0].body["model"] == "test-model"


def test_langchain_streams_tool_calls(
    openai_server: ScriptedOpenAIServer, chat: ChatOpenAI
) -> None:
    openai_server.add(
        Reply.tool_calls(
            [("QueryMetric", ARGS), ("QueryMetric", {"meters": [], "period": "today"})]
        )
    )

    chunks = list(chat.bind_tools([QueryMetric]).stream("peak of compressor-2 last week?"))

    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    first, *rest = cast(list[AIMessageChunk], chunks)
    total = add_ai_message_chunks(first, *rest)
    assert total.content == ""
    assert [(c["name"], c["args"], c["id"]) for c in total.tool_calls] == [
        ("QueryMetric", ARGS, "call_1"),
        ("QueryMetric", {"meters": [], "period": "today"}, "call_2"),
    ]
    assert total.response_metadata.get("finish_reason") == "tool_calls"
    assert openai_server.requests[0].body["tools"][0]["function"]["name"] == "QueryMetric"
