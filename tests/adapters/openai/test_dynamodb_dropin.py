"""The drop-in ``sessions_plus.openai_agents.DynamoDBSession`` over moto's DynamoDB (real HTTP),
driven by the OpenAI Agents SDK's Runner with an offline ScriptedModel."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from agents import Agent, Runner, SQLiteSession, set_tracing_disabled
from agents.testing import ScriptedModel, assistant_message

from integrations.dynamodb.server import REGION, DynamoDBServer
from sessions_plus import ConfigurationError
from sessions_plus.openai_agents import DynamoDBSession
from tests.fixtures.stores.dynamodb import unique_table

set_tracing_disabled(True)


def texts(items: list[Any]) -> list[str]:
    """The user prompts and assistant replies of a history, in order."""
    out: list[str] = []
    for item in items:
        content = item.get("content")
        if isinstance(content, str):
            out.append(content)
        elif isinstance(content, list):
            out.extend(part["text"] for part in content if "text" in part)
    return out


def session(server: DynamoDBServer, session_id: str, table: str, **options: Any) -> DynamoDBSession:
    return DynamoDBSession(
        session_id,
        table_name=table,
        region_name=REGION,
        endpoint_url=server.endpoint_url,
        **options,
    )


async def test_runner_three_turns_then_a_new_session_object_continues(
    dynamodb_server: DynamoDBServer,
) -> None:
    table = unique_table()
    first = session(dynamodb_server, "user-1", table, ttl=3600)
    model = ScriptedModel([[assistant_message(f"answer {n}")] for n in range(3)])
    agent = Agent(name="Support", instructions="Be brief.", model=model)
    for n in range(3):
        await Runner.run(agent, f"question {n}", session=first)
    assert texts(list(model.calls[-1].input)) == [
        "question 0", "answer 0", "question 1", "answer 1", "question 2",
    ]  # fmt: skip
    assert len(await first.get_items()) == 6
    assert texts(await first.get_items(limit=2)) == ["question 2", "answer 2"]
    popped = await first.pop_item()
    assert popped is not None and texts([popped]) == ["answer 2"]
    await first.close()

    again = session(dynamodb_server, "user-1", table, ttl=3600)
    assert len(await again.get_items()) == 5, "another session object (process) continues"
    other = session(dynamodb_server, "user-2", table, ttl=3600)
    assert await other.get_items() == [], "sessions in one table are separate"
    await again.clear_session()
    assert await again.get_items() == [] and await again.pop_item() is None
    await again.close()
    await other.close()


def test_run_sync_on_fresh_event_loops(dynamodb_server: DynamoDBServer) -> None:
    """Runner.run_sync makes a new event loop per call; the store makes a client per loop."""
    drop_in = session(dynamodb_server, "user-3", unique_table())
    model = ScriptedModel([[assistant_message("one")], [assistant_message("two")]])
    agent = Agent(name="Support", model=model)
    Runner.run_sync(agent, "first", session=drop_in)
    Runner.run_sync(agent, "second", session=drop_in)
    assert texts(list(model.calls[-1].input)) == ["first", "one", "second"]
    asyncio.run(drop_in.close())


async def test_same_history_as_the_sdk_session(dynamodb_server: DynamoDBServer) -> None:
    """Item for item what the SDK's own SQLiteSession returns for the same calls."""
    ours = session(dynamodb_server, "parity", unique_table())
    sdk = SQLiteSession("parity")
    items: list[Any] = [
        {"role": "user", "content": f"m{n}", "n": n, "f": n / 3, "nested": {"k": [None, True]}}
        for n in range(5)
    ]
    for each in (ours, sdk):
        await each.add_items(items[:3])
        await each.add_items(items[3:])
    for limit in (None, 1, 3, 10):
        assert await ours.get_items(limit) == await sdk.get_items(limit)
    assert await ours.pop_item() == await sdk.pop_item()
    assert await ours.get_items() == await sdk.get_items()
    await ours.clear_session()
    await sdk.clear_session()
    assert await ours.get_items() == await sdk.get_items() == []
    await ours.close()
    sdk.close()


async def test_session_settings_limit(dynamodb_server: DynamoDBServer) -> None:
    drop_in = session(dynamodb_server, "limited", unique_table(), session_settings={"limit": 2})
    await drop_in.add_items([{"role": "user", "content": f"m{n}"} for n in range(4)])
    assert texts(await drop_in.get_items()) == ["m2", "m3"]
    assert len(await drop_in.get_items(limit=3)) == 3
    await drop_in.close()


async def test_ttl_and_bring_your_own_table(dynamodb_server: DynamoDBServer) -> None:
    table = unique_table()
    short = session(dynamodb_server, "brief", table, ttl=1.0)
    await short.add_items([{"role": "user", "content": "hi"}])
    assert len(await short.get_items()) == 1
    await asyncio.sleep(1.1)
    assert await short.get_items() == [], "expired with its TTL although moto keeps the items"
    await short.close()

    existing = session(dynamodb_server, "byo", table, create_table=False)
    await existing.add_items([{"role": "user", "content": "in a table that exists"}])
    assert len(await existing.get_items()) == 1
    await existing.close()

    missing = session(dynamodb_server, "byo", unique_table(), create_table=False)
    with pytest.raises(ConfigurationError, match="does not exist"):
        await missing.get_items()
    await missing.close()
