"""Snapshot, restore and fork: large sessions, and what a fork guarantees on a cluster."""

from __future__ import annotations

from typing import Any

import pytest

from sessions_plus import ConflictError, RedisStore, SessionNotFoundError
from sessions_plus.backend import ForkRequest
from tests.fixtures.factory import StoreFactory


async def test_large_sessions_copy_whole(any_factory: StoreFactory) -> None:
    """Past the scripts' chunk sizes (RPUSH, HSET and Lua's unpack limits)."""
    store = any_factory()
    records = [{"n": n} for n in range(9_000)]
    for start in range(0, len(records), 3_000):
        await store.append("big", records[start : start + 3_000], format="f")
    for n in range(2_500):
        await store.put_doc("big", f"doc{n}", n)
    info = await store.fork("big", "copy")
    assert info.streams == {"main": 9_000}
    assert await store.read_data("copy", limit=2) == [{"n": 8_998}, {"n": 8_999}]
    snapshot = await store.snapshot("big")
    assert snapshot is not None and len(snapshot.docs) == 2_500
    restored = await store.restore(snapshot, session_id="restored")
    assert restored.ranges["main"].count == 9_000
    assert await store.read_data("restored") == records
    assert await store.get_doc("restored", "doc2499") == 2_499


async def _staged(store: RedisStore, source: str, target: str) -> None:
    """The cluster fork's first two steps, then a crash: snapshot and index entry only."""
    raw = await store._copies.snapshot(source)
    assert raw is not None
    conn = await store._conn()
    await conn.client.zadd(store._keys.index, {target: 0}, nx=True)


async def test_a_cluster_fork_that_dies_before_its_restore_leaves_no_target(
    redis_cluster_store_factory: StoreFactory,
) -> None:
    store = redis_cluster_store_factory()
    assert isinstance(store, RedisStore)
    await store.append("src", ["a", "b"])
    await store.put_doc("src", "d", 1)
    await _staged(store, "src", "dst")
    assert await store.info("dst") is None and await store.read("dst") == []
    page = await store.list_sessions()
    assert [i.session_id for i in page.sessions] == ["src"], "the dangling entry is skipped"
    conn = await store._conn()
    assert await conn.client.zscore(store._keys.index, "dst") is None, "and dropped"
    # The fork can simply be run again: the target appears whole.
    info = await store.fork("src", "dst")
    assert info.streams == {"main": 2}
    assert await store.get_doc("dst", "d") == 1


async def test_a_cluster_fork_is_the_source_as_of_its_snapshot(
    redis_cluster_store_factory: StoreFactory,
) -> None:
    store = redis_cluster_store_factory()
    assert isinstance(store, RedisStore)
    await store.append("src", ["a"])
    copies = store._copies
    original = copies.snapshot

    async def snapshot_then_write(session_id: str) -> Any:
        raw = await original(session_id)
        await store.append("src", ["written after the snapshot"])
        return raw

    copies.snapshot = snapshot_then_write  # type: ignore[method-assign]
    try:
        await store.fork("src", "dst")
    finally:
        copies.snapshot = original  # type: ignore[method-assign]
    assert await store.read_data("dst") == ["a"]
    assert await store.read_data("src") == ["a", "written after the snapshot"]


async def test_a_cluster_fork_checks_the_target_in_its_atomic_step(
    redis_cluster_store_factory: StoreFactory,
) -> None:
    """A target created between the snapshot and the restore is a conflict, never merged."""
    store = redis_cluster_store_factory()
    assert isinstance(store, RedisStore)
    await store.append("src", ["a"])
    copies = store._copies
    original = copies.snapshot

    async def snapshot_then_target_appears(session_id: str) -> Any:
        raw = await original(session_id)
        await store.append("dst", ["someone else's"])
        return raw

    copies.snapshot = snapshot_then_target_appears  # type: ignore[method-assign]
    try:
        with pytest.raises(ConflictError):
            await store.fork("src", "dst")
    finally:
        copies.snapshot = original  # type: ignore[method-assign]
    assert await store.read_data("dst") == ["someone else's"]
    with pytest.raises(SessionNotFoundError):
        await store.fork_session(ForkRequest("missing", "dst2"))
    conn = await store._conn()
    assert await conn.client.zscore(store._keys.index, "dst2") is None, "nothing written"
