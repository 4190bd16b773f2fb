"""Listing from the index (never SCAN) and dropping entries of gone sessions."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from integrations.redis.servers import RedisServer
from sessions_plus.backends.redis.index import lex_bounds, successor
from tests.fixtures.factory import StoreFactory

from .helpers import stats


async def test_listing_uses_the_index_not_scan(
    factory: StoreFactory, redis_server: RedisServer, raw: aioredis.Redis
) -> None:
    prefix = factory.url().split("key_prefix=")[1]
    store = factory()
    short = factory(ttl=1.0)  # long enough for a slow machine to list them all before expiry
    for n in range(12):
        await store.append(f"s{n:02}", [n])
    for n in range(5):
        await short.append(f"gone{n}", [n])
    redis_server.command("CONFIG", "RESETSTAT")
    seen = []
    cursor = None
    while True:
        page = await store.list_sessions(limit=5, cursor=cursor)
        seen += [i.session_id for i in page.sessions]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == sorted([f"s{n:02}" for n in range(12)] + [f"gone{n}" for n in range(5)])
    calls = stats(redis_server.command)
    assert "scan" not in calls and "keys" not in calls, calls

    await asyncio.sleep(1.2)
    assert await raw.zcard(f"{prefix}:index") == 17
    assert await store.purge_expired() == 5  # Redis removed the data, purge the index entries
    assert await raw.zcard(f"{prefix}:index") == 12
    assert await raw.zcard(f"{prefix}:expiry") == 0
    for n in range(3):
        await short.append(f"late{n}", [n])
    await asyncio.sleep(1.2)
    assert [i.session_id for i in (await store.list_sessions()).sessions] == [
        f"s{n:02}" for n in range(12)
    ]
    assert await raw.zcard(f"{prefix}:index") == 12, "listing drops expired entries it meets"
    assert "scan" not in stats(redis_server.command)


async def test_cluster_listing_skips_and_drops_gone_sessions(
    redis_cluster_store_factory: StoreFactory,
) -> None:
    store = redis_cluster_store_factory()
    for n in range(7):
        await store.append(f"s{n}", [n])
    await store.delete("s3")
    page = await store.list_sessions(limit=3)
    assert [i.session_id for i in page.sessions] == ["s0", "s1", "s2"]
    page = await store.list_sessions(limit=3, cursor=page.next_cursor)
    assert [i.session_id for i in page.sessions] == ["s4", "s5", "s6"]
    assert page.next_cursor is None
    assert await store.purge_expired() == 0


def test_prefix_bounds_cover_exactly_the_ids_with_the_prefix() -> None:
    assert successor(b"ab") == b"ac"
    assert successor(b"a\xff") == b"b"
    assert successor(b"\xff\xff") is None
    assert lex_bounds("", None) == (b"-", b"+")
    assert lex_bounds("u:", None) == (b"[u:", b"(u;")
    assert lex_bounds("u:", "u:7") == (b"(u:7", b"(u;")
    assert lex_bounds("u:", "t") == (b"[u:", b"(u;"), "a cursor before the prefix"
    assert lex_bounds("é", None) == (b"[\xc3\xa9", b"(\xc3\xaa")


async def test_cluster_purge_counts_expired_sessions_through_the_expiry_set(
    redis_cluster_store_factory: StoreFactory,
) -> None:
    store = redis_cluster_store_factory(ttl=1.0)
    forever = redis_cluster_store_factory()
    for n in range(6):
        await store.append(f"short{n}", [n])
    await forever.append("kept", ["k"])
    await store.delete("short5")  # deleted, not expired: not counted
    conn = await store._conn()  # type: ignore[attr-defined]
    expiry = f"{store.key_prefix}:expiry"  # type: ignore[attr-defined]
    assert await conn.client.zcard(expiry) == 5
    await asyncio.sleep(1.3)
    await store.append("fresh", ["f"])
    assert await store.purge_expired() == 5
    assert await store.purge_expired() == 0
    listed = [i.session_id for i in (await forever.list_sessions()).sessions]
    assert listed == ["fresh", "kept"]
    assert await conn.client.zrange(expiry, 0, -1) == [b"fresh"]


async def test_a_read_only_listing_drops_nothing(
    any_factory: StoreFactory,
) -> None:
    store = any_factory(ttl=1.0)
    reader = any_factory(read_only=True)
    for n in range(3):
        await store.append(f"s{n}", [n])
    await asyncio.sleep(1.3)
    assert (await reader.list_sessions()).sessions == []
    conn = await store._conn()  # type: ignore[attr-defined]
    assert await conn.client.zcard(f"{store.key_prefix}:index") == 3  # type: ignore[attr-defined]
    assert await store.purge_expired() == 3
