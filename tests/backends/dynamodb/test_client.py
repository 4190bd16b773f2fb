"""DynamoDBStore: The client: retries, typed errors, clients handed in.

Over real HTTP against moto's server; request counts and injected faults use botocore event
hooks on the store's own client (see helpers.py).
"""

from __future__ import annotations

import pytest

from integrations.dynamodb.server import REGION, DynamoDBServer, free_port
from sessions_plus import (
    DynamoDBStore,
    StoreUnavailableError,
)
from tests.fixtures.factory import StoreFactory

from .helpers import Requests, S, answer


async def test_throttling_is_retried_then_typed(factory: StoreFactory, quick_backoff: None) -> None:
    store: DynamoDBStore = factory(max_attempts=3)  # type: ignore[assignment]
    await store.append(S, ["a"])
    client = await store.get_client()
    requests = Requests(client)
    client.meta.events.register(
        "before-send.dynamodb.TransactWriteItems",
        answer(400, "ThrottlingException", "Rate exceeded", times=2),
    )
    assert await store.append(S, ["b"]) == [2], "botocore retried the throttled attempts"
    assert requests.take()["TransactWriteItems"] == 3

    client.meta.events.register(
        "before-send.dynamodb.GetItem",
        answer(400, "ProvisionedThroughputExceededException", "Slow down"),
    )
    with pytest.raises(StoreUnavailableError, match="ProvisionedThroughputExceeded"):
        await store.info(S)
    assert requests.take()["GetItem"] == 3, "max_attempts=3"


async def test_unreachable_endpoint_is_store_unavailable(quick_backoff: None) -> None:
    store = DynamoDBStore(
        "t-unreachable",
        region_name=REGION,
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        max_attempts=2,
        connect_timeout=1,
    )
    with pytest.raises(StoreUnavailableError):
        await store.append(S, ["a"])
    await store.aclose()


async def test_a_client_handed_in_is_not_closed(
    factory: StoreFactory, dynamodb_server: DynamoDBServer
) -> None:
    probe: DynamoDBStore = factory()  # type: ignore[assignment]
    await probe.append("x", ["x"])
    client = await probe.get_client()
    store = DynamoDBStore(probe.table_name, client=client)
    assert await store.get_client() is client
    assert await store.append(S, ["a"]) == [1]
    await store.aclose()
    assert (await client.describe_table(TableName=probe.table_name))["Table"]
