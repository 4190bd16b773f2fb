"""DynamoDB throttling, 5xx answers and lost replies, injected on the wire by a proxy.

botocore retries them (standard mode); what survives the retries surfaces as
StoreUnavailableError, with nothing written; the same store works once the faults stop; and a
reply lost after the write was applied never duplicates it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from integrations.dynamodb.server import REGION
from sessions_plus import StoreUnavailableError
from sessions_plus.backends.dynamodb import DynamoDBStore

from ._fault_proxy import FaultProxy

FAULTS = ["throttle", "provisioned", "500", "503"]
ATTEMPTS = 2
"""``max_attempts`` of the store (botocore's ``total_max_attempts``): one retry."""


@pytest.fixture
def proxy(dynamodb_server: Any) -> Iterator[FaultProxy]:
    with FaultProxy(dynamodb_server.endpoint_url) as proxy:
        yield proxy


def make_store(proxy: FaultProxy, table: str, max_attempts: int) -> DynamoDBStore:
    return DynamoDBStore(
        table, region_name=REGION, endpoint_url=proxy.url, max_attempts=max_attempts
    )


@pytest.fixture
async def table(proxy: FaultProxy) -> AsyncIterator[str]:
    """A table made (through the proxy) before any fault is injected."""
    name = f"t-{uuid.uuid4().hex[:16]}"
    async with make_store(proxy, name, 1) as store:
        await store.append("warm", ["up"])
    yield name


@pytest.mark.parametrize("fault", FAULTS)
async def test_transient_faults_are_retried(proxy: FaultProxy, table: str, fault: str) -> None:
    async with make_store(proxy, table, max_attempts=ATTEMPTS) as store:
        await store.append("s", ["first"])
        proxy.inject("TransactWriteItems", fault)
        assert await store.append("s", ["second", "third"]) == [2, 3]
        assert proxy.outcomes("TransactWriteItems")[-2:] == [fault, "ok"]
        proxy.inject("Query", fault)
        assert [r.data for r in await store.read("s")] == ["first", "second", "third"]
        assert proxy.outcomes("Query")[-2:] == [fault, "ok"]


@pytest.mark.parametrize("fault", FAULTS)
async def test_faults_that_outlast_the_retries_are_typed_and_write_nothing(
    proxy: FaultProxy, table: str, fault: str
) -> None:
    async with make_store(proxy, table, max_attempts=ATTEMPTS) as store:
        await store.append("s", ["kept"])
        proxy.always("TransactWriteItems", fault)
        with pytest.raises(StoreUnavailableError):
            await store.append("s", ["never"])
        with pytest.raises(StoreUnavailableError):
            await store.put_doc("s", "d", {"never": True})
        assert proxy.outcomes("TransactWriteItems")[-2:] == [fault, fault]
        proxy.always("TransactWriteItems", None)
        proxy.always("Query", fault)
        with pytest.raises(StoreUnavailableError):
            await store.read("s", limit=5)
        proxy.always("Query", None)
        # Nothing of the failed writes is visible, and the same store object works again.
        assert [r.data for r in await store.read("s")] == ["kept"]
        assert await store.get_doc("s", "d") is None
        assert await store.append("s", ["after"]) == [2]


async def test_lost_reply_after_commit_is_not_applied_twice(proxy: FaultProxy, table: str) -> None:
    """The write is applied but its answer lost: botocore retries it with the same
    ClientRequestToken, which DynamoDB (here the proxy) answers without applying it again."""
    async with make_store(proxy, table, max_attempts=ATTEMPTS) as store:
        await store.append("s", ["one"])
        proxy.inject("TransactWriteItems", "lost-reply")
        assert await store.append("s", ["two", "three"]) == [2, 3]
        assert proxy.outcomes("TransactWriteItems")[-2:] == ["lost-reply", "replayed"]
        assert [r.data for r in await store.read("s")] == ["one", "two", "three"]
        assert await store.last_seq("s") == 3
