"""DynamoDBStore: Writes over one transaction (more than 99 records or about 3.5 MB).

Over real HTTP against moto's server; request counts and injected faults use botocore event
hooks on the store's own client (see helpers.py).
"""

from __future__ import annotations

import asyncio

from sessions_plus import (
    DynamoDBStore,
)
from tests.fixtures.factory import StoreFactory

from .helpers import Requests, S, incompressible, raw_items


async def test_big_append_is_split_and_stays_consecutive(factory: StoreFactory) -> None:
    store: DynamoDBStore = factory()  # type: ignore[assignment]
    other = factory()
    await store.append(S, ["first"])
    requests = Requests(await store.get_client())
    big = [{"i": i} for i in range(250)]

    async def small_writes() -> list[list[int]]:
        return [await other.append(S, [f"small{i}"]) for i in range(5)]

    seqs, smalls = await asyncio.gather(store.append(S, big), small_writes())
    assert seqs == list(range(seqs[0], seqs[0] + 250))
    assert requests.take()["TransactWriteItems"] >= 4, "lock + 3 batches of at most 99"
    records = await store.read(S)
    assert [r.seq for r in records] == list(range(1, 257))
    assert [r.data for r in records if r.seq in seqs] == big
    assert sorted(s[0] for s in smalls) == [r.seq for r in records if str(r.data)[:5] == "small"]

    # A splice whose dropped tail needs more than one transaction.
    assert await store.splice(S, 10, ["x", "y"]) == [10, 11]
    records = await store.read(S)
    assert [r.seq for r in records] == list(range(1, 12))
    assert [r.data for r in records][-2:] == ["x", "y"]
    leftover = [i for i in await raw_items(store) if i["pk"]["S"].startswith("L#")]
    assert len(leftover) == 11, "the dropped records were deleted"


async def test_append_over_four_megabytes_is_split(factory: StoreFactory) -> None:
    store: DynamoDBStore = factory()  # type: ignore[assignment]
    await store.append(S, ["warm"])
    requests = Requests(await store.get_client())
    items = [incompressible(300_000, seed) for seed in range(13)]  # 3.9 MB inline
    assert await store.append(S, items) == list(range(2, 15))
    assert requests.take()["TransactWriteItems"] >= 3
    assert [r.data for r in await store.read(S, after=1)] == items
