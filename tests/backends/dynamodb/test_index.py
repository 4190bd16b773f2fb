"""The two indexes: listing by prefix is one index Query and one BatchGetItem per page, and a
purge reads only the sessions the expiry index names (never every meta item or record)."""

from __future__ import annotations

import asyncio
import random

import pytest

from sessions_plus import DynamoDBStore
from sessions_plus.backends.dynamodb import purge
from sessions_plus.backends.dynamodb.index import (
    BY_EXPIRY,
    EXPIRY_SHARDS,
    bucket_seconds,
    expiry_attributes,
)
from tests.backends.dynamodb.helpers import Requests
from tests.fixtures.factory import StoreFactory

WORDS = ["a", "b", "ab", "a:b", "é", "{x}", "%", "zz", "a\x00b"]


async def test_prefix_pages_cost_one_query_and_one_batch_get(
    dynamodb_store_factory: StoreFactory,
) -> None:
    store: DynamoDBStore = dynamodb_store_factory()  # type: ignore[assignment]
    rng = random.Random(7)
    ids = sorted({"".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4))) for _ in range(120)})
    for start in range(0, len(ids), 20):
        await asyncio.gather(*(store.append(sid, [sid]) for sid in ids[start : start + 20]))
    gone = ids[::7]
    for sid in gone:
        await store.delete(sid)
    live = [sid for sid in ids if sid not in gone]
    requests = Requests(await store.get_client())
    for prefix in ["", "a", "a:", "é", "%", "zzzz", "a\x00"]:
        for limit in (1, 7, 100):
            found: list[str] = []
            cursor = None
            pages = 0
            while True:
                page = await store.list_sessions(limit=limit, cursor=cursor, prefix=prefix)
                pages += 1
                assert len(page.sessions) <= limit
                found += [info.session_id for info in page.sessions]
                cursor = page.next_cursor
                if cursor is None:
                    break
            assert found == [sid for sid in live if sid.startswith(prefix)], (prefix, limit)
            counts = requests.take()
            assert counts["Query"] == pages and counts["BatchGetItem"] <= pages
            assert set(counts) <= {"Query", "BatchGetItem"}, "never a Scan"


async def test_purge_reads_only_the_expired(dynamodb_store_factory: StoreFactory) -> None:
    short: DynamoDBStore = dynamodb_store_factory(ttl=0.5)  # type: ignore[assignment]
    long: DynamoDBStore = dynamodb_store_factory(ttl=3600)  # type: ignore[assignment]
    await asyncio.gather(*(long.append(f"live-{n}", ["x"] * 3) for n in range(40)))
    await asyncio.gather(*(short.append(f"old-{n}", ["x"] * 3) for n in range(12)))
    await asyncio.sleep(0.8)
    client = await short.get_client()
    keys: list[int] = []

    def count_keys(params: dict, **kwargs: object) -> None:  # type: ignore[type-arg]
        for request in params.get("RequestItems", {}).values():
            keys.append(sum(k["pk"]["S"].startswith("M#") for k in request.get("Keys", [])))

    client.meta.events.register("before-parameter-build.dynamodb.BatchGetItem", count_keys)
    requests = Requests(client)
    assert await short.purge_expired() == 12
    counts = requests.take()
    assert "Scan" not in counts
    assert sum(keys) == 12, "only the expired sessions' meta items were read"
    assert await short.purge_expired() == 0
    assert len((await long.list_sessions(prefix="live-")).sessions) == 40


async def test_purge_walks_the_expiry_index_a_page_at_a_time(
    dynamodb_store_factory: StoreFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of at most PAGE entries per shard (memory stays bounded): every expired session
    is purged across many pages, each counted once, while the pages' entries are deleted."""
    monkeypatch.setattr(purge, "PAGE", 2)
    short: DynamoDBStore = dynamodb_store_factory(ttl=0.5)  # type: ignore[assignment]
    long: DynamoDBStore = dynamodb_store_factory(ttl=3600)  # type: ignore[assignment]
    await asyncio.gather(*(short.append(f"old-{n}", ["x"] * 2) for n in range(30)))
    await asyncio.gather(*(long.append(f"live-{n}", ["x"]) for n in range(5)))
    await asyncio.sleep(0.8)
    client = await short.get_client()
    limits: list[object] = []

    def record_limit(params: dict, **kwargs: object) -> None:  # type: ignore[type-arg]
        if params.get("IndexName") == BY_EXPIRY:
            limits.append(params.get("Limit"))

    client.meta.events.register("before-parameter-build.dynamodb.Query", record_limit)
    assert await short.purge_expired() == 30
    assert limits and set(limits) == {2}
    assert len(limits) >= 30 // 2, "many pages, not one"
    assert await short.purge_expired() == 0
    assert [i.session_id for i in (await long.list_sessions()).sessions] == [
        f"live-{n}" for n in range(5)
    ]
    for n in range(30):
        assert await short.info(f"old-{n}") is None


def test_expiry_buckets_are_lower_bounds_that_rarely_move() -> None:
    for ttl in (None, 1.0, 600.0, 86_400.0):
        width = bucket_seconds(ttl)
        assert 60 <= width <= 3600
        moves = set()
        for step in range(100):
            expires = 1_000_000.0 + step * width / 10
            key = float(expiry_attributes("s", expires, ttl)["xk"]["N"])
            assert key <= expires
            moves.add(key)
        assert len(moves) <= 11, "a session written every tenth of a bucket moves ~10 times"
    shards = {expiry_attributes(f"s{n}", 1.0, None)["xp"]["S"] for n in range(200)}
    assert len(shards) == EXPIRY_SHARDS
