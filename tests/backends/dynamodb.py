"""DynamoDBStore over real HTTP against moto's server mode (integrations/dynamodb/server.py).

One server per test session on a free loopback port, with dummy AWS credentials set for the
session only; every test gets its own table, created by the store on first use.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from integrations.dynamodb.server import DUMMY_CREDENTIALS, REGION, DynamoDBServer
from sessions_plus.backends.dynamodb import DynamoDBStore

from ._factory import StoreFactory

BACKENDS = {"dynamodb": "dynamodb_store_factory"}


@pytest.fixture(scope="session")
def dynamodb_server() -> Iterator[DynamoDBServer]:
    """moto's DynamoDB over HTTP on 127.0.0.1 for the whole test session (.endpoint_url)."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in DUMMY_CREDENTIALS.items():
            patch.setenv(key, value)
        with DynamoDBServer() as server:
            yield server


def unique_table() -> str:
    return f"t-{uuid.uuid4().hex[:16]}"


def dynamodb_url(table: str, endpoint_url: str, **options: Any) -> str:
    query = {"region": REGION, "endpoint_url": endpoint_url}
    for key, value in options.items():
        if value is not None:
            query[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return f"dynamodb://{table}?{urlencode(query)}"


@pytest.fixture
async def dynamodb_store_factory(
    dynamodb_server: DynamoDBServer,
) -> AsyncIterator[StoreFactory]:
    table = unique_table()

    def make(**options: Any) -> DynamoDBStore:
        return DynamoDBStore(
            table, region_name=REGION, endpoint_url=dynamodb_server.endpoint_url, **options
        )

    def url(**options: Any) -> str:
        return dynamodb_url(table, dynamodb_server.endpoint_url, **options)

    factory = StoreFactory("dynamodb", make, url)
    yield factory
    await factory.aclose()
