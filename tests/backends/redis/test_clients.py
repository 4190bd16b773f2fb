"""Clients: handed-in clients, event loops and threads, outages."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster

from integrations.redis.servers import RedisCluster, RedisServer
from sessions_plus import (
    RedisStore,
    StoreUnavailableError,
    open_store,
)
from tests.fixtures.factory import StoreFactory
from tests.fixtures.stores.redis import unique_prefix

from .helpers import S


async def test_server_down_raises_store_unavailable_then_recovers(own_server: RedisServer) -> None:
    store = RedisStore.from_url(own_server.url, key_prefix=unique_prefix(), socket_timeout=2)
    async with store:
        await store.append(S, ["a"])
        own_server.stop()
        try:
            for call in (store.append(S, ["b"]), store.read(S), store.list_sessions()):
                with pytest.raises(StoreUnavailableError):
                    await asyncio.wait_for(call, 30)  # a hang guard, not a timing assertion
        finally:
            own_server.start()
        assert await store.append(S, ["back"]) == [1]  # same store object, new server


async def test_a_handed_in_client_is_used_and_never_closed(redis_server: RedisServer) -> None:
    client = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
    store = RedisStore(client, key_prefix=unique_prefix())
    assert await store.append(S, [{"é": "ü"}], author="me") == [1]

    def other_loop() -> list[Any]:
        async def run() -> list[Any]:
            await store.append(S, ["from a thread"])
            return [r.data for r in await store.read(S)]

        return asyncio.run(run())

    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.extend(other_loop()))
    thread.start()
    await asyncio.to_thread(thread.join)
    assert result == [{"é": "ü"}, "from a thread"]
    await store.aclose()
    assert await client.ping() is True, "the caller's client stays open"
    await client.aclose()


async def test_a_handed_in_cluster_client_works_from_two_loops(redis_cluster: RedisCluster) -> None:
    client = AsyncRedisCluster(host="127.0.0.1", port=redis_cluster.port)
    store = RedisStore(client, key_prefix=unique_prefix(), ttl=30)
    await store.append(S, ["here"])

    def in_thread() -> None:
        asyncio.run(store.append(S, ["there"]))

    await asyncio.to_thread(in_thread)
    assert [r.data for r in await store.read(S)] == ["here", "there"]
    await store.aclose()
    assert await client.ping() is True
    await client.aclose()


async def test_one_store_from_two_threads_at_once(factory: StoreFactory) -> None:
    store = factory()
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        async def run() -> None:
            for i in range(10):
                await store.append(S, [{"w": name, "i": i}])

        try:
            asyncio.run(run())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"t{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        await asyncio.to_thread(thread.join)
    assert not errors
    records = await store.read(S)
    assert [r.seq for r in records] == list(range(1, 21))
    for name in ("t0", "t1"):
        assert [r.data["i"] for r in records if r.data["w"] == name] == list(range(10))


async def test_unreachable_cluster_raises_store_unavailable() -> None:
    from integrations.redis.servers import free_port

    store = open_store(f"redis+cluster://127.0.0.1:{free_port()}?key_prefix=nowhere")
    async with store:
        with pytest.raises(StoreUnavailableError):
            await asyncio.wait_for(store.append(S, ["a"]), 30)


@pytest.mark.parametrize("operation", ["read", "append", "info"])
async def test_a_task_cancelled_during_calls_is_cancelled(
    any_factory: StoreFactory, operation: str
) -> None:
    """redis-py 8 can swallow a cancellation that lands while a command is in flight; the store
    raises it once the call returns, so a cancelled task stops (a cancelled migrate did not)."""
    store = any_factory()
    await store.append(S, ["a"])
    calls = 0

    async def loop() -> None:
        nonlocal calls
        for n in range(20_000):  # seconds of back-to-back calls: the cancel lands in one
            if operation == "append":
                await store.append(S, [n])
            else:
                await getattr(store, operation)(S)
            calls += 1

    task = asyncio.create_task(loop())
    while calls < 20 and not task.done():
        await asyncio.sleep(0.001)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 60)
    assert calls < 20_000
    await store.aclose()
