"""Snapshots of what a language model sees (each tool's definition, the system prompt) and of a
few offline-model transcripts, so that any change to them shows as a reviewed diff.

Update them on purpose with `pytest tests/test_snapshots.py --snapshot-update` and read the diff
of tests/__snapshots__/ before committing it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.utils.function_calling import convert_to_openai_tool
from sqlalchemy import Engine
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from agent.loop import Agent
from agent.prompts import turn_prompt
from agent.toolkit import as_langchain
from tests.test_agent_offline import offline_agent
from tools.registry import all_tools


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("name", sorted(all_tools()))
def test_what_the_model_sees_of_each_tool(name: str, snapshot_json: SnapshotAssertion) -> None:
    """The tool as an OpenAI function definition: name, description and input schema."""
    definition = convert_to_openai_tool(as_langchain(all_tools()[name]))
    assert definition["function"]["name"] == name
    assert definition == snapshot_json


def test_the_system_prompt(
    demo_engine: Engine, tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    agent = offline_agent(demo_engine, tmp_path / "threads.db")
    ctx = agent.context(user="olga", role="operator")
    prompt = turn_prompt(ctx)
    assert "Now: Thursday 2026-11-05 00:00 local" in prompt
    assert prompt == snapshot


def transcript(agent: Agent, thread: str) -> list[dict[str, Any]]:
    """The conversation as the model saw it: questions, tool calls with their arguments, what
    each tool answered (errors in full, results by their keys) and the answers."""
    turns: list[dict[str, Any]] = []
    for message in agent.history(thread):
        if isinstance(message, HumanMessage):
            turns.append({"user": message.content})
        elif isinstance(message, AIMessage) and message.tool_calls:
            turns += [{"call": c["name"], "args": c["args"]} for c in message.tool_calls]
        elif isinstance(message, AIMessage):
            turns.append({"answer": message.content})
        elif isinstance(message, ToolMessage):
            result = message.artifact if isinstance(message.artifact, dict) else None
            turns.append(
                {"tool": message.name, "keys": sorted(result)}
                if result is not None
                else {"tool": message.name, "error": str(message.content)}
            )
    return turns


CONVERSATIONS = {
    "peak_demand_and_a_follow_up": [
        "What was compressor-2's peak demand last week?",
        "and the week before?",
    ],
    "ranking_last_month": ["Which meters used the most energy last month?"],
    "unknown_meter": ["How much energy did compresor-9 use yesterday?"],
    "alert_rule_confirmed": ["alert me when line-a's demand goes above 400 kW", "yes"],
}


@pytest.mark.parametrize("name", sorted(CONVERSATIONS))
def test_offline_transcripts(
    name: str, demo_engine: Engine, tmp_path: Path, snapshot_json: SnapshotAssertion
) -> None:
    agent = offline_agent(demo_engine, tmp_path / "threads.db")
    thread = None
    for question in CONVERSATIONS[name]:
        thread = agent.ask(question, thread=thread).thread
    assert thread is not None
    turns = transcript(agent, thread)
    # A "yes" answers a pending write and resumes the turn; it is not a new question.
    asked = [q for q in CONVERSATIONS[name] if q != "yes"]
    assert [t["user"] for t in turns if "user" in t] == asked
    assert turns == snapshot_json
