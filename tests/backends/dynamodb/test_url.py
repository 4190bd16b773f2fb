"""DynamoDBStore: dynamodb:// URLs.

Over real HTTP against moto's server; request counts and injected faults use botocore event
hooks on the store's own client (see helpers.py).
"""

from __future__ import annotations

import pytest

from integrations.dynamodb.server import REGION, DynamoDBServer
from sessions_plus import (
    ConfigurationError,
    DynamoDBStore,
    open_store,
)
from tests.fixtures.stores.dynamodb import dynamodb_url


async def test_url_options(dynamodb_server: DynamoDBServer) -> None:
    url = dynamodb_url(
        "tbl.name-1", dynamodb_server.endpoint_url, ttl=5, create_table=False, max_attempts=2
    )
    store = open_store(url)
    assert isinstance(store, DynamoDBStore)
    assert (store.table_name, store.region_name, store.ttl, store.create_table) == (
        "tbl.name-1",
        REGION,
        5.0,
        False,
    )
    assert store.endpoint_url == dynamodb_server.endpoint_url
    await store.aclose()
    with pytest.raises(ConfigurationError, match="unknown option"):
        open_store("dynamodb://tbl?regoin=us-east-1")
    with pytest.raises(ConfigurationError, match="table name"):
        open_store("dynamodb://x?region=us-east-1")
    with pytest.raises(ConfigurationError, match="retry_mode"):
        DynamoDBStore(retry_mode="sometimes")
