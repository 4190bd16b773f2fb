"""RedisStore on a real standalone redis-server and a real three-master Redis Cluster.

The servers start once per test session (integrations/redis/servers.py) on free loopback ports.
If redis-server is not installed the fixtures fail, loudly: CI installs it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from integrations.redis.servers import RedisCluster, RedisServer, RedisServerError
from sessions_plus.backends.redis import RedisStore

from ._factory import StoreFactory

BACKENDS = {"redis": "redis_store_factory", "redis-cluster": "redis_cluster_store_factory"}


def redis_url(base: str, **options: Any) -> str:
    """``base`` plus store options as a query (None values mean "not set")."""
    query = {
        key: (str(value).lower() if isinstance(value, bool) else value)
        for key, value in options.items()
        if value is not None
    }
    return base + (f"?{urlencode(query)}" if query else "")


def unique_prefix() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


def _start(server: RedisServer | RedisCluster) -> None:
    try:
        server.start()
    except RedisServerError as exc:
        pytest.fail(f"cannot start Redis for the tests: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A standalone redis-server for the whole test session (.host, .port, .url)."""
    server = RedisServer()
    _start(server)
    yield server
    server.close()


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisCluster]:
    """A three-master Redis Cluster for the whole test session (.url, .nodes, .ports)."""
    cluster = RedisCluster()
    _start(cluster)
    yield cluster
    cluster.close()


def _factory(name: str, base_url: str) -> StoreFactory:
    prefix = unique_prefix()

    def make(**options: Any) -> RedisStore:
        return RedisStore.from_url(base_url, key_prefix=prefix, **options)

    def url(**options: Any) -> str:
        return redis_url(base_url, key_prefix=prefix, **options)

    return StoreFactory(name, make, url)


@pytest.fixture
async def redis_store_factory(redis_server: RedisServer) -> AsyncIterator[StoreFactory]:
    factory = _factory("redis", redis_server.url)
    yield factory
    await factory.aclose()


@pytest.fixture
async def redis_cluster_store_factory(redis_cluster: RedisCluster) -> AsyncIterator[StoreFactory]:
    factory = _factory("redis-cluster", redis_cluster.url)
    yield factory
    await factory.aclose()
