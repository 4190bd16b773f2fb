"""Sentinel: redis+sentinel:// URLs, one Sentinel-managed client per loop, nothing left open."""

from __future__ import annotations

import asyncio
import threading
import uuid
from typing import Any

import pytest
from redis.asyncio.sentinel import Sentinel, SentinelManagedSSLConnection

from integrations.redis.ha import RedisSentinel
from sessions_plus import ConfigurationError, RedisStore, open_store
from sessions_plus.backends.redis.sentinel import hosts_of, service_of
from tests.fixtures.stores.redis import unique_prefix

from .connections import named
from .helpers import S


def test_sentinel_addresses_and_service() -> None:
    assert hosts_of("h1:1,h2,[::1]:3") == [("h1", 1), ("h2", 26379), ("::1", 3)]
    assert hosts_of("user:pw@h1:5") == [("h1", 5)]
    assert service_of("/mymaster/2") == ("mymaster", 2)
    assert service_of("/my%20master") == ("my master", 0)
    for netloc in ("", "h1:x", "h1:1,,h2", ":26379", "h1:70000"):
        with pytest.raises(ConfigurationError):
            hosts_of(netloc)
    for path in ("", "/", "/a/b/c", "/a/zero"):
        with pytest.raises(ConfigurationError):
            service_of(path)


def test_sentinel_url_options() -> None:
    base = "redis+sentinel://127.0.0.1:1,127.0.0.1:2/mymaster/0"
    store = open_store(f"{base}?durability=replicated&replicas=2&wait_ms=300&key_prefix=p")
    assert isinstance(store, RedisStore)
    assert (store.durability, store.key_prefix) == ("replicated", "p")
    assert isinstance(open_store(f"{base}?sentinel_password=pw&socket_timeout=1"), RedisStore)
    assert isinstance(open_store(base.replace("redis+", "rediss+") + "?ssl_ca_certs=x"), RedisStore)
    for bad in (
        "redis+sentinel://127.0.0.1:1",  # no service
        "redis+sentinel://127.0.0.1:1/svc/x",
        f"{base}?nonsense=1",
        f"{base}?ssl_ca_certs=x",  # TLS options need rediss+sentinel
        f"{base}?cluster=true",
        f"{base}?durability=eventually",
        f"{base}?durability=replicated&replicas=0",
        f"{base}?durability=replicated&wait_ms=0",
        f"{base}?durability=replicated&wait_ms=5000",  # not below the 5 s socket timeout
        f"{base}?replicas=1",  # needs durability=replicated
        f"{base}?pool_timeout=0",
        "redis://127.0.0.1:1/0?sentinel_password=pw",
    ):
        with pytest.raises(ConfigurationError):
            open_store(bad)


async def test_rediss_sentinel_uses_tls_to_master_and_sentinels() -> None:
    store = open_store("rediss+sentinel://127.0.0.1:1/mymaster?ssl_cert_reqs=none")
    assert isinstance(store, RedisStore)
    client = store._clients._make_client()  # type: ignore[misc]
    try:
        assert client.connection_pool.connection_class is SentinelManagedSSLConnection
        for sentinel in client.connection_pool.sentinel_manager.sentinels:
            assert sentinel.connection_pool.connection_kwargs["ssl_cert_reqs"] == "none"
            assert "SSL" in sentinel.connection_pool.connection_class.__name__
    finally:
        await client.aclose()


async def test_a_store_through_sentinel_works_and_aclose_leaves_no_connection(
    redis_sentinel: RedisSentinel,
) -> None:
    master = redis_sentinel.master_port()
    ports = [master, *redis_sentinel.sentinel_ports]
    name = f"sentinel-test-{uuid.uuid4().hex[:8]}"
    store = RedisStore.from_url(redis_sentinel.url, key_prefix=unique_prefix(), client_name=name)
    async with store:
        assert await store.append(S, ["a", "b"]) == [1, 2]
        await asyncio.gather(*(store.append(S, [i]) for i in range(50)))
        assert len(await store.read(S)) == 52
        assert store.cluster is False
        assert named(master, name) > 0
        assert sum(named(port, name) for port in redis_sentinel.sentinel_ports) > 0
    assert {port: named(port, name) for port in ports} == dict.fromkeys(ports, 0)


async def test_a_handed_in_sentinel_client_is_used_never_closed_and_has_siblings(
    redis_sentinel: RedisSentinel,
) -> None:
    name = f"sibling-test-{uuid.uuid4().hex[:8]}"
    manager = Sentinel(
        [("127.0.0.1", port) for port in redis_sentinel.sentinel_ports],
        sentinel_kwargs={"client_name": name},
    )
    client = manager.master_for("mymaster", socket_timeout=5, client_name=name)
    store = RedisStore(client, key_prefix=unique_prefix())
    assert await store.append(S, ["here"]) == [1]
    ports = [redis_sentinel.master_port(), *redis_sentinel.sentinel_ports]
    before = {port: named(port, name) for port in ports}

    other = asyncio.new_event_loop()  # a live loop in another thread: its sibling client
    thread = threading.Thread(target=other.run_forever, daemon=True)
    thread.start()
    try:

        async def from_there() -> list[Any]:
            await store.append(S, ["from a thread"])
            return [r.data for r in await store.read(S)]

        done = asyncio.run_coroutine_threadsafe(from_there(), other)
        assert await asyncio.wrap_future(done) == ["here", "from a thread"]
        during = {port: named(port, name) for port in ports}
        assert during[ports[0]] > before[ports[0]], "no sibling was made"
        assert sum(during.values()) > sum(before.values()) + 1, "the sibling asked no Sentinel"
        await store.aclose()  # closes the sibling and its Sentinel connections, on their loop
        assert {port: named(port, name) for port in ports} == before
        assert await client.ping() is True, "the caller's client stays open"
    finally:
        other.call_soon_threadsafe(other.stop)
        await asyncio.to_thread(thread.join)
        other.close()
    await client.aclose()
    for sentinel in manager.sentinels:
        await sentinel.aclose()
