"""Connection storms: 1,000 concurrent calls on one store object wait for a pooled connection
instead of failing; an exhausted pool says so (PoolExhaustedError); aclose() leaves nothing."""

from __future__ import annotations

import asyncio
import collections
import uuid

import pytest
import redis.asyncio as aioredis
from redis.exceptions import MaxConnectionsError

from integrations.redis.ha import RedisSentinel
from integrations.redis.servers import RedisCluster, RedisServer, command
from sessions_plus import PoolExhaustedError, RedisStore, StoreUnavailableError
from sessions_plus.backends.redis.clients import closed_under_the_call, unavailable
from tests.fixtures.stores.redis import unique_prefix

from .connections import named

STORM = 1000


def clients(port: int) -> int:
    return len(command(port, "CLIENT", "LIST").splitlines())


class Topology:
    """A store URL and every server port whose client count must come back after aclose()."""

    def __init__(self, url: str, ports: list[int]) -> None:
        self.url, self.ports = url, ports


@pytest.fixture(params=["redis", "redis-cluster", "redis-sentinel"])
def topology(request: pytest.FixtureRequest) -> Topology:
    if request.param == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")
        return Topology(server.url, [server.port])
    if request.param == "redis-cluster":
        cluster: RedisCluster = request.getfixturevalue("redis_cluster")
        return Topology(cluster.url, cluster.ports)
    sentinel: RedisSentinel = request.getfixturevalue("redis_sentinel")
    return Topology(sentinel.url, [*sentinel.data_ports, *sentinel.sentinel_ports])


async def test_a_storm_of_1000_calls_on_default_settings_all_succeed(topology: Topology) -> None:
    name = f"storm-{uuid.uuid4().hex[:8]}"  # tags the store's connections (Sentinels' too)
    store = RedisStore.from_url(topology.url, key_prefix=unique_prefix(), client_name=name)
    errors: collections.Counter[str] = collections.Counter()

    async def call(i: int) -> None:
        sid = f"s{i % 20}"
        try:
            if i % 4 == 0:
                await store.append(sid, [{"i": i}])
            elif i % 4 == 1:
                await store.read(sid, limit=5)
            elif i % 4 == 2:
                await store.info(sid)
            else:
                await store.put_doc(sid, f"d{i % 3}", {"i": i})
        except Exception as exc:
            errors[f"{type(exc).__name__}: {exc}"] += 1

    async with store:
        await asyncio.gather(*(call(i) for i in range(STORM)))
        assert not errors, errors.most_common(3)
        appended = [len(await store.read(f"s{n}")) for n in range(20)]
        assert sum(appended) == STORM // 4
        assert sum(named(port, name) for port in topology.ports) > 0
    assert {port: named(port, name) for port in topology.ports} == dict.fromkeys(
        topology.ports, 0
    ), "connections left open after aclose()"


async def test_the_pool_bounds_connections_and_an_exhausted_pool_says_so() -> None:
    with RedisServer() as server:  # paused below: a server of its own
        idle = clients(server.port)
        prefix = unique_prefix()
        patient = RedisStore.from_url(server.url, key_prefix=prefix, max_connections=2)
        async with patient:
            await asyncio.gather(*(patient.append("s", [i]) for i in range(200)))
            assert clients(server.port) <= idle + 2, "more connections than max_connections"
        hasty = RedisStore.from_url(
            server.url, key_prefix=prefix, max_connections=2, pool_timeout=0.3
        )
        async with hasty:
            await hasty.append("s", ["connected"])
            gate = (await hasty._conn()).gate
            assert gate is not None
            server.command("CLIENT", "PAUSE", "20000", "WRITE")  # writes hang until UNPAUSE
            try:
                stuck = [asyncio.create_task(hasty.append("s", ["slow"])) for _ in range(2)]
                for _ in range(3000):  # both connections taken (a poll, not a timed sleep)
                    if gate.in_use == 2:
                        break
                    await asyncio.sleep(0.01)
                assert gate.in_use == 2
                with pytest.raises(PoolExhaustedError) as caught:
                    await asyncio.wait_for(hasty.read("s", limit=1), 30)
            finally:
                server.command("CLIENT", "UNPAUSE")
            assert isinstance(caught.value, StoreUnavailableError)
            message = str(caught.value)
            assert "all 2 connections" in message and "server was not found down" in message
            assert "max_connections or pool_timeout" in message
            await asyncio.wait_for(asyncio.gather(*stuck), 30)  # they finish after the pause
            assert len(await hasty.read("s")) == 203
            assert gate.in_use == 0
        assert clients(server.port) == idle


async def test_a_shared_handed_in_pool_that_runs_out_is_pool_exhausted(
    redis_server: RedisServer,
) -> None:
    client = aioredis.Redis.from_url(redis_server.url, max_connections=1)
    store = RedisStore(client, key_prefix=unique_prefix())
    held = await client.connection_pool.get_connection()  # someone else holds the only one
    try:
        with pytest.raises(PoolExhaustedError, match="Too many connections"):
            await store.append("s", ["x"])
    finally:
        await client.connection_pool.release(held)
    assert await store.append("s", ["x"]) == [1]
    await store.aclose()
    await client.aclose()


async def test_only_errors_raised_inside_redis_py_count_as_a_connection_closed_mid_call() -> None:
    assert isinstance(unavailable(MaxConnectionsError("Too many")), PoolExhaustedError)
    assert not isinstance(unavailable(ConnectionError("refused")), PoolExhaustedError)
    connection = aioredis.Connection(host="127.0.0.1", port=1)  # never connected: no stream
    with pytest.raises(AttributeError) as inside:
        await connection._send_packed_command([b"PING"])
    assert closed_under_the_call(inside.value)
    with pytest.raises(AttributeError) as ours:
        None.writelines  # type: ignore[attr-defined]
    assert not closed_under_the_call(ours.value)
    assert not closed_under_the_call(ZeroDivisionError())
