"""AdvancedSession behind the real OpenAI Agents SDK Runner (offline ScriptedModel), on every
backend: usage after each run, tools, session settings, concurrent appends."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from agents import Agent, RunConfig, Runner, function_tool, set_tracing_disabled
from agents.memory import SessionSettings
from agents.testing import ScriptedModel, assistant_message, function_call

from sessions_plus.openai_agents import AdvancedSession
from tests.fixtures.factory import StoreFactory

from .advanced_helpers import contents, texts, user

set_tracing_disabled(True)


@function_tool
async def lookup(query: str) -> str:
    """Look something up."""
    return f"Tool result for: {query}"


async def test_runs_with_usage_after_each(store_factory: StoreFactory) -> None:
    session = AdvancedSession("runner", store_factory())
    model = ScriptedModel([[assistant_message("San Francisco")], [assistant_message("CA")]])
    agent = Agent(name="test", model=model)
    first = await Runner.run(agent, "Where is the Golden Gate Bridge?", session=session)
    await session.store_run_usage(first)
    second = await Runner.run(agent, "Which state?", session=session)
    await session.store_run_usage(second)
    assert (first.final_output, second.final_output) == ("San Francisco", "CA")
    assert texts(model.calls[1].input) == [
        "Where is the Golden Gate Bridge?",
        "San Francisco",
        "Which state?",
    ]
    assert list(await session.get_conversation_by_turns()) == [1, 2]
    total = await session.get_session_usage()
    assert total is not None and total["total_turns"] == 2
    keys = {"requests", "input_tokens", "output_tokens", "total_tokens", "total_turns"}
    assert set(total) == keys


async def test_tool_calls_of_a_run_are_counted(store_factory: StoreFactory) -> None:
    session = AdvancedSession("tool-run", store_factory())
    model = ScriptedModel(
        [
            [function_call("lookup", {"query": "test query"}, call_id="call_123")],
            [assistant_message("Tool executed successfully")],
        ]
    )
    agent = Agent(name="test", model=model, tools=[lookup])
    result = await Runner.run(agent, "Please use the tool", session=session)
    assert "Tool result for: test query" in str(result.new_items)
    assert await session.get_tool_usage() == [("lookup", 1, 1)]
    (turn,) = (await session.get_conversation_by_turns()).values()
    assert [item["type"] for item in turn] == [
        "user",
        "function_call",
        "function_call_output",
        "assistant",
    ]


@pytest.mark.parametrize("settings", [SessionSettings(limit=5), {"limit": 5}])
async def test_session_settings(store_factory: StoreFactory, settings: Any) -> None:
    assert AdvancedSession("defaults", store_factory()).session_settings == SessionSettings()
    session = AdvancedSession("limited", store_factory(), session_settings=settings)
    assert isinstance(session.session_settings, SessionSettings)
    assert session.session_settings.limit == 5
    await session.add_items([user(f"Message {i}") for i in range(10)])
    assert contents(await session.get_items()) == [f"Message {i}" for i in range(5, 10)]
    assert contents(await session.get_items(limit=2)) == ["Message 8", "Message 9"]
    assert await session.get_items(limit=0) == []
    assert len(await session.get_items(limit=-1)) == 10  # SQLite's LIMIT -1, as the SDK


async def test_run_config_session_settings_win(store_factory: StoreFactory) -> None:
    session = AdvancedSession(
        "override", store_factory(), session_settings=SessionSettings(limit=100)
    )
    await session.add_items([user(f"Turn {i}") for i in range(10)])
    model = ScriptedModel([[assistant_message("Got it")]])
    config = RunConfig(session_settings=SessionSettings(limit=2))
    await Runner.run(Agent(name="test", model=model), "New", session=session, run_config=config)
    assert texts(model.calls[-1].input) == ["Turn 8", "Turn 9", "New"]


async def test_concurrent_appends_keep_every_item_once(store_factory: StoreFactory) -> None:
    session = AdvancedSession("concurrent", store_factory())

    async def batch(worker: int) -> list[str]:
        texts = [f"worker-{worker}-message-{i}" for i in range(10)]
        await session.add_items([user(text) for text in texts])
        return texts

    batches = await asyncio.gather(*(batch(worker) for worker in range(8)))
    stored = contents(await session.get_items())
    # Calls on one session object keep their call order, as the SDK's do.
    assert stored == [text for texts in batches for text in texts]
    assert [t["turn"] for t in await session.get_conversation_turns()] == list(range(1, 81))
