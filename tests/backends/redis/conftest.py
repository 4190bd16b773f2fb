"""Fixtures of the Redis backend tests (the servers come from tests/fixtures/stores/redis.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aioredis

from integrations.redis.servers import RedisServer
from tests.fixtures.factory import StoreFactory


@pytest.fixture
def factory(redis_store_factory: StoreFactory) -> StoreFactory:
    return redis_store_factory


@pytest.fixture(params=["redis", "redis-cluster"])
def any_factory(request: pytest.FixtureRequest) -> StoreFactory:
    name = "redis_store_factory" if request.param == "redis" else "redis_cluster_store_factory"
    factory: StoreFactory = request.getfixturevalue(name)
    return factory


@pytest.fixture(scope="module")
def own_server() -> Iterator[RedisServer]:
    """A private server this module may flush, stop and restart."""
    with RedisServer() as server:
        yield server


@pytest.fixture
async def raw(redis_server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_server.url)
    yield client
    await client.aclose()
