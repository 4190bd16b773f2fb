"""Store URLs and options."""

from __future__ import annotations

import pytest

from integrations.redis.servers import RedisCluster, RedisServer
from sessions_plus import (
    ConfigurationError,
    ConversationStore,
    RedisStore,
    open_store,
)
from tests.fixtures.factory import StoreFactory
from tests.fixtures.stores.redis import unique_prefix

from .helpers import S


def test_urls_and_options(redis_server: RedisServer) -> None:
    url = redis_server.url
    store = open_store(f"{url}?ttl=5&refresh_on_read=true&key_prefix=p&socket_timeout=1")
    assert isinstance(store, RedisStore)
    assert (store.ttl, store.refresh_on_read, store.key_prefix) == (5.0, True, "p")
    assert isinstance(open_store(url.replace("redis://", "rediss://")), RedisStore)
    for bad in (
        f"{url}?nonsense=1",
        f"{url}?ttl=abc",
        f"{url}?key_prefix=a{{b}}",
        f"{url}?socket_timeout=soon",
        "redis+cluster://127.0.0.1:1/3",
        "redis:///0",
    ):
        with pytest.raises(ConfigurationError):
            open_store(bad)
    with pytest.raises(ConfigurationError):
        RedisStore.from_url(url, decode_responses=True, colour="blue")
    with pytest.raises(ConfigurationError):
        RedisStore(object())  # type: ignore[arg-type]


async def test_cluster_query_option_and_retries(redis_cluster: RedisCluster) -> None:
    host, port = redis_cluster.nodes[0]
    store = open_store(f"redis://{host}:{port}?cluster=true&key_prefix={unique_prefix()}")
    async with store:
        assert isinstance(store, RedisStore)
        assert await store.append(S, ["a"]) == [1]
        assert store.cluster is True


async def test_store_reads_back_after_reopen(factory: StoreFactory) -> None:
    store: ConversationStore = factory.open(ttl=60)
    await store.append(S, ["a"], format="f", author="x")
    again = factory.open()
    [record] = await again.read(S)
    assert (record.data, record.format, record.author) == ("a", "f", "x")
