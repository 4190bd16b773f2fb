"""FakeRedisStore: the real RedisStore on an in-process fakeredis server, opened every way."""

from __future__ import annotations

import asyncio
import threading

import pytest
from fakeredis import FakeAsyncRedis, FakeServer

from sessions_plus import ConfigurationError, RedisStore, open_store
from sessions_plus.testing import FakeRedisStore, fake_redis_server, fake_redis_store


async def test_it_is_a_redis_store_running_the_lua_scripts() -> None:
    async with fake_redis_store(ttl=60) as store:
        assert isinstance(store, RedisStore)
        assert await store.append("a:{b}", [{"n": 1}, {"n": 2}]) == [1, 2]
        assert [r.data for r in await store.read("a:{b}", limit=1)] == [{"n": 2}]
        client = store.client()
        try:  # the production key layout, on the fake server
            keys = sorted(await client.keys("sessions_plus:*"))
            assert b"sessions_plus:{a%3A%7Bb%7D}:log:main" in keys
            assert 0 < await client.pttl("sessions_plus:{a%3A%7Bb%7D}:meta") <= 60_000
        finally:
            await client.aclose()


async def test_the_same_named_server_is_the_same_data() -> None:
    name = "shared-test-server"
    async with open_store(f"redis+fake://{name}?key_prefix=app") as first:
        await first.append("s", ["hello"])
    async with open_store(f"redis+fake://{name}", key_prefix="app") as second:
        assert [r.data for r in await second.read("s")] == ["hello"]
    async with FakeRedisStore(fake_redis_server(name), key_prefix="other") as other:
        assert await other.read("s") == []  # another key prefix: another namespace
    async with fake_redis_store() as private:
        assert await private.read("s", stream="main") == []  # a new private server


async def test_url_options_and_their_errors() -> None:
    store = open_store("redis+fake://?ttl=5&refresh_on_read=true&max_records=3")
    assert isinstance(store, FakeRedisStore)
    assert (store.ttl, store.refresh_on_read, store.max_records) == (5.0, True, 3)
    assert store.server is fake_redis_server("default")
    await store.aclose()
    with pytest.raises(ConfigurationError, match="socket_timeout"):
        open_store("redis+fake://?socket_timeout=1")
    with pytest.raises(ConfigurationError, match="database 0"):
        open_store("redis+fake://x/3")
    with pytest.raises(ConfigurationError, match="FakeServer or a name"):
        FakeRedisStore(server=42)  # type: ignore[arg-type]


def test_one_store_from_several_event_loops_and_threads() -> None:
    """As the SDKs use stores: each loop gets its own fake client on the same server."""
    store = fake_redis_store()

    async def write(n: int) -> None:
        await store.append("loops", [n])

    threads = [threading.Thread(target=asyncio.run, args=(write(n),)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    asyncio.run(write(4))

    async def read() -> list[int]:
        return sorted(r.data for r in await store.read("loops"))

    assert asyncio.run(read()) == [0, 1, 2, 3, 4]
    store.close()


async def test_a_fake_client_you_hand_in_is_used_and_never_closed() -> None:
    """The OpenAI drop-in's RedisSession(redis_client=FakeAsyncRedis()) path."""
    server = FakeServer()
    client = FakeAsyncRedis(server=server)
    async with RedisStore(client) as store:
        await store.append("mine", ["x"])
    assert await client.ping()  # still open: it is yours
    assert await client.exists("sessions_plus:{mine}:meta")
    await client.aclose()
