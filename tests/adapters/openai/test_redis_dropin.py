"""The drop-in ``sessions_plus.openai_agents.RedisSession`` on real standalone Redis and Cluster,
driven by the OpenAI Agents SDK's Runner with an offline ScriptedModel."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis.asyncio as aioredis
from agents import Agent, Runner, set_tracing_disabled
from agents.extensions.memory import RedisSession as SdkRedisSession
from agents.testing import ScriptedModel, assistant_message
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster

from integrations.redis.servers import RedisCluster, RedisServer
from sessions_plus.openai_agents import RedisSession
from tests.fixtures.stores.redis import unique_prefix

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


async def three_turns(session: Any) -> ScriptedModel:
    model = ScriptedModel([[assistant_message(f"answer {n}")] for n in range(3)])
    agent = Agent(name="Support", instructions="Be brief.", model=model)
    for n in range(3):
        await Runner.run(agent, f"question {n}", session=session)
    return model


def assert_model_saw_everything(model: ScriptedModel) -> None:
    last = model.calls[-1].input
    assert texts(list(last)) == [
        "question 0", "answer 0", "question 1", "answer 1", "question 2",
    ]  # fmt: skip


@pytest.fixture(params=["standalone", "cluster"])
def redis_url(request: pytest.FixtureRequest) -> str:
    name = "redis_server" if request.param == "standalone" else "redis_cluster"
    server: RedisServer | RedisCluster = request.getfixturevalue(name)
    return server.url


async def test_from_url_three_turns(redis_url: str) -> None:
    prefix = unique_prefix()
    session = RedisSession.from_url("user-1", url=redis_url, key_prefix=prefix, ttl=60)
    model = await three_turns(session)
    assert_model_saw_everything(model)
    assert len(await session.get_items()) == 6
    assert texts(await session.get_items(limit=2)) == ["question 2", "answer 2"]
    popped = await session.pop_item()
    assert popped is not None and texts([popped]) == ["answer 2"]
    await session.close()

    again = RedisSession.from_url("user-1", url=redis_url, key_prefix=prefix)
    assert len(await again.get_items()) == 5, "a new process/session object continues"
    await again.clear_session()
    assert await again.get_items() == []
    await again.close()


async def test_handed_in_standalone_client_stays_open(redis_server: RedisServer) -> None:
    client = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
    session = RedisSession("user-2", redis_client=client, key_prefix=unique_prefix())
    assert_model_saw_everything(await three_turns(session))
    await session.close()
    assert await client.ping() is True
    await client.aclose()


async def test_handed_in_cluster_client_on_cluster(redis_cluster: RedisCluster) -> None:
    client = AsyncRedisCluster(host="127.0.0.1", port=redis_cluster.port)
    session = RedisSession("user-3", redis_client=client, key_prefix=unique_prefix(), ttl=60)
    assert_model_saw_everything(await three_turns(session))
    await session.close()
    assert await client.ping() is True
    await client.aclose()


def test_run_sync_on_fresh_loops(redis_server: RedisServer) -> None:
    """Runner.run_sync makes a new event loop per call; the session follows."""
    session = RedisSession.from_url("user-4", url=redis_server.url, key_prefix=unique_prefix())
    model = ScriptedModel([[assistant_message("one")], [assistant_message("two")]])
    agent = Agent(name="Support", model=model)
    Runner.run_sync(agent, "first", session=session)
    Runner.run_sync(agent, "second", session=session)
    assert texts(list(model.calls[-1].input)) == ["first", "one", "second"]
    asyncio.run(session.close())


async def test_same_history_as_the_sdk_redis_session(redis_server: RedisServer) -> None:
    """Item for item what agents.extensions.memory.RedisSession returns for the same calls."""
    ours = RedisSession.from_url("parity", url=redis_server.url, key_prefix=unique_prefix())
    sdk = SdkRedisSession.from_url("parity", url=redis_server.url, key_prefix=unique_prefix())
    items: list[Any] = [{"role": "user", "content": f"m{n}", "n": n} for n in range(5)]
    for session in (ours, sdk):
        await session.add_items(items[:3])
        await session.add_items(items[3:])
    for limit in (None, 1, 3, 10):
        assert await ours.get_items(limit) == await sdk.get_items(limit)
    assert await ours.pop_item() == await sdk.pop_item()
    assert await ours.get_items() == await sdk.get_items()
    await ours.clear_session()
    await sdk.clear_session()
    assert await ours.get_items() == await sdk.get_items() == []
    assert await ours.pop_item() is None and await sdk.pop_item() is None
    await ours.close()
    await sdk.close()


async def test_two_workers_on_one_conversation(redis_url: str) -> None:
    prefix = unique_prefix()
    a = RedisSession.from_url("shared", url=redis_url, key_prefix=prefix)
    b = RedisSession.from_url("shared", url=redis_url, key_prefix=prefix)
    agent_a = Agent(name="A", model=ScriptedModel([[assistant_message("from A")]]))
    agent_b = Agent(name="B", model=ScriptedModel([[assistant_message("from B")]]))
    await Runner.run(agent_a, "hi A", session=a)
    await Runner.run(agent_b, "hi B", session=b)
    assert texts(await a.get_items()) == ["hi A", "from A", "hi B", "from B"]
    await a.close()
    await b.close()
