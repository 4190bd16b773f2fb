"""DynamoDBStore: The write engine: concurrent writers, conflicts, requests per operation.

Over real HTTP against moto's server; request counts and injected faults use botocore event
hooks on the store's own client (see helpers.py).
"""

from __future__ import annotations

import json
import time

import pytest

from sessions_plus import (
    ConflictError,
    DynamoDBStore,
)
from sessions_plus.backends.dynamodb.engine import CLAIM_AFTER
from sessions_plus.backends.dynamodb.keys import meta_pk
from tests.fixtures.factory import StoreFactory
from tests.fixtures.processes import output_of, start_python

from .helpers import Requests, S, answer, raw_items

CHILD = r"""
import asyncio, json, sys
from sessions_plus import open_store

async def main(url, sid, name, batches):
    async with open_store(url) as store:
        for b in range(batches):
            size = 120 if b == 3 else 1 + b % 3  # one append too big for one transaction
            items = [{"w": name, "b": b, "k": k} for k in range(size)]
            print(json.dumps(await store.append(sid, items)), flush=True)

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
"""


async def test_four_processes_append_to_one_session(factory: StoreFactory) -> None:
    sid = "shared #1 %/é"
    url = factory.url()
    children = [await start_python(CHILD, url, sid, f"p{n}", "6") for n in range(4)]
    assigned: dict[str, list[list[int]]] = {}
    for n, child in enumerate(children):
        out = await output_of(child)
        assigned[f"p{n}"] = [json.loads(line) for line in out.splitlines()]
    store = factory()
    records = await store.read(sid)
    total = sum(len(seqs) for batches in assigned.values() for seqs in batches)
    assert [r.seq for r in records] == list(range(1, total + 1)), "gap-free, no duplicates"
    by_seq = {r.seq: r.data for r in records}
    for name, batches in assigned.items():
        for b, seqs in enumerate(batches):
            assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "one call, consecutive"
            assert [by_seq[s] for s in seqs] == [
                {"w": name, "b": b, "k": k} for k in range(len(seqs))
            ]
        firsts = [seqs[0] for seqs in batches]
        assert firsts == sorted(firsts), "each writer's appends keep their order"
    info = await store.info(sid)
    assert info is not None and info.streams == {"main": total}


async def test_conflict_on_stale_cache_costs_one_retry(factory: StoreFactory) -> None:
    one: DynamoDBStore = factory()  # type: ignore[assignment]
    two: DynamoDBStore = factory()  # type: ignore[assignment]
    await one.append(S, ["a"])
    await two.append(S, ["b"])  # one's cached meta is now stale
    requests = Requests(await one.get_client())
    assert await one.append(S, ["c"]) == [3]
    counts = requests.take()
    assert counts == {"TransactWriteItems": 2}, "the failed transaction returned the fresh meta"


async def test_requests_per_operation(factory: StoreFactory) -> None:
    store: DynamoDBStore = factory()  # type: ignore[assignment]
    await store.append("warm-up", ["x"])  # table check happens once, before counting
    requests = Requests(await store.get_client())

    assert await store.append(S, ["a", "b"]) == [1, 2]
    assert requests.total() <= 2, "append, cold cache"
    await store.append(S, ["c"])
    assert requests.take() == {"TransactWriteItems": 1}, "append, warm cache"
    assert [r.data for r in await store.read(S, limit=2)] == ["b", "c"]
    assert requests.take() == {"Query": 1}, "latest-N is one Query"
    assert len(await store.read(S)) == 3
    assert requests.take() == {"Query": 1}
    await store.put_doc(S, "d", {"k": 1})
    assert requests.take() == {"TransactWriteItems": 1}
    assert await store.get_doc(S, "d") == {"k": 1}
    assert requests.take() == {"BatchGetItem": 1}
    assert (await store.info(S)) is not None
    assert requests.take() == {"GetItem": 1}
    assert await store.read(S, after=1, limit=1, keep="earliest")
    assert requests.total() == 2, "ranged read: meta + Query"

    fresh = factory()
    await fresh.append(S, ["d"])
    fresh_requests = Requests(await fresh.get_client())  # type: ignore[attr-defined]
    await fresh.append(S, ["e"])
    assert fresh_requests.total() == 1

    with_ttl: DynamoDBStore = factory(ttl=60)  # type: ignore[assignment]
    await with_ttl.append("t", ["a"])
    ttl_requests = Requests(await with_ttl.get_client())
    await with_ttl.append("t", ["b"])
    assert ttl_requests.total() == 1
    assert len(await with_ttl.read("t", limit=5)) == 2
    assert ttl_requests.take() == {"Query": 1}, "the top record proves the session live"


async def test_conflicts_that_survive_retries_raise(factory: StoreFactory) -> None:
    store: DynamoDBStore = factory(max_conflict_retries=3)  # type: ignore[assignment]
    await store.append(S, ["a"])
    client = await store.get_client()
    requests = Requests(client)
    client.meta.events.register(
        "before-send.dynamodb.TransactWriteItems",
        answer(
            400,
            "TransactionCanceledException",
            "Transaction cancelled",
            CancellationReasons=[{"Code": "ConditionalCheckFailed"}, {"Code": "None"}],
        ),
    )
    with pytest.raises(ConflictError, match=r"kept conflicting .* \(3 retries"):
        await store.append(S, ["never"])
    assert requests.take()["TransactWriteItems"] == 4
    reader = factory()
    assert [r.data for r in await reader.read(S)] == ["a"], "nothing was written"


async def test_a_writer_that_keeps_losing_claims_the_next_turn(factory: StoreFactory) -> None:
    store: DynamoDBStore = factory()  # type: ignore[assignment]
    await store.append(S, ["a"])
    client = await store.get_client()
    (current,) = [i for i in await raw_items(store) if i["pk"]["S"] == meta_pk(S)]
    requests = Requests(client)
    lost = answer(  # as DynamoDB answers a lost race: the meta item as it is
        400,
        "TransactionCanceledException",
        "Transaction cancelled",
        times=CLAIM_AFTER,
        CancellationReasons=[{"Code": "ConditionalCheckFailed", "Item": current}],
    )
    client.meta.events.register("before-send.dynamodb.TransactWriteItems", lost)
    assert await store.append(S, ["b"]) == [2]
    counts = requests.take()
    assert counts["UpdateItem"] == 1, "the claim"
    assert counts["TransactWriteItems"] == CLAIM_AFTER + 1
    assert all("pc" not in i for i in await raw_items(store)), "the commit dropped the claim"


async def test_a_claim_whose_writer_died_runs_out(factory: StoreFactory) -> None:
    store: DynamoDBStore = factory()  # type: ignore[assignment]
    await store.append(S, ["a"])
    client = await store.get_client()
    await client.update_item(
        TableName=store.table_name,
        Key={"pk": {"S": meta_pk(S)}, "sk": {"N": "0"}},
        UpdateExpression="SET pc = :c, pcu = :u",
        ExpressionAttributeValues={":c": {"S": "dead"}, ":u": {"N": repr(time.time() + 1.0)}},
    )
    other = factory()
    assert await other.append(S, ["b"]) == [2], "waited for the claim to run out, then wrote"
    assert [r.data for r in await other.read(S)] == ["a", "b"]
