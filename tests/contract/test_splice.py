"""Splice (the atomic history rewrite) and conditional appends (if_last_seq).

Run over every backend (tests/fixtures/stores/) through the public API only: a new backend
joins by adding one fixture plugin and must pass this suite unchanged.
"""

from __future__ import annotations

import asyncio

import pytest

from sessions_plus import (
    ConflictError,
    ConversationStore,
)
from tests.contract.helpers import (
    S,
    data,
    seqs,
)

# ---------------------------------------------------------------------------- splice


async def test_splice_truncates_and_appends(store: ConversationStore) -> None:
    await store.append(S, ["1", "2", "3", "4", "5"])
    assert await store.splice(S, 3, ["x", "y"]) == [3, 4]
    assert data(await store.read(S)) == ["1", "2", "x", "y"]
    assert seqs(await store.read(S)) == [1, 2, 3, 4]
    assert await store.splice(S, 5, ["z"]) == [5]  # at last seq + 1: a plain append
    assert data(await store.read(S)) == ["1", "2", "x", "y", "z"]
    assert await store.splice(S, 2, []) == []  # truncation only
    assert data(await store.read(S)) == ["1"]
    assert await store.splice(S, 1, ["summary"]) == [1]  # full rewrite (compaction)
    assert data(await store.read(S)) == ["summary"]
    assert await store.append(S, ["next"]) == [2]
    assert await store.splice("fresh", 1, ["first"]) == [1]
    assert data(await store.read("fresh")) == ["first"]


async def test_splice_rejects_bad_start_and_conflicts(store: ConversationStore) -> None:
    await store.append(S, ["1", "2", "3"])
    with pytest.raises(ValueError):
        await store.splice(S, 5, ["x"])  # past last seq + 1
    with pytest.raises(ValueError):
        await store.splice(S, 0, ["x"])
    with pytest.raises(ValueError):
        await store.splice(S, 2, ["x"], if_last_seq=0)  # start past the expected end
    with pytest.raises(ConflictError):
        await store.splice(S, 2, ["x"], if_last_seq=2)
    with pytest.raises(ConflictError):
        await store.splice(S, 2, ["x"], if_last_seq=4)
    assert data(await store.read(S)) == ["1", "2", "3"]
    assert await store.splice(S, 2, ["x"], if_last_seq=3) == [2]
    assert data(await store.read(S)) == ["1", "x"]
    with pytest.raises(ValueError):
        await store.splice("nobody", 2, ["x"])
    assert await store.info("nobody") is None


async def test_splice_clear_then_append_starts_at_one(store: ConversationStore) -> None:
    await store.append(S, ["a", "b"])
    assert await store.splice(S, 1, []) == []
    assert await store.read(S) == []
    assert await store.last_seq(S) == 0
    assert await store.append(S, ["c"], if_last_seq=0) == [1]


# ---------------------------------------------------------------------------- conditional append


async def test_append_if_last_seq(store: ConversationStore) -> None:
    assert await store.append(S, ["a"], if_last_seq=0) == [1]
    assert await store.append(S, ["b", "c"], if_last_seq=1) == [2, 3]
    with pytest.raises(ConflictError):
        await store.append(S, ["x"], if_last_seq=1)
    with pytest.raises(ConflictError):
        await store.append(S, ["x"], if_last_seq=0)
    with pytest.raises(ConflictError):
        await store.append(S, ["x"], if_last_seq=9)
    with pytest.raises(ConflictError):
        await store.append("nobody", ["x"], if_last_seq=1)
    assert await store.info("nobody") is None
    assert data(await store.read(S)) == ["a", "b", "c"]
    assert await store.append(S, ["y"], stream="other", if_last_seq=0) == [1]
    await store.clear(S)
    assert await store.append(S, ["d"], if_last_seq=0) == [1]


async def test_if_last_seq_under_contention(store: ConversationStore) -> None:
    """Optimistic writers retrying on ConflictError: each append lands exactly once."""
    conflicts = 0

    async def writer(name: str) -> None:
        nonlocal conflicts
        for i in range(3):
            while True:
                last = await store.last_seq(S)
                await asyncio.sleep(0)  # let the others read the same last seq
                try:
                    got = await store.append(S, [f"{name}-{i}"], if_last_seq=last)
                except ConflictError:
                    conflicts += 1
                    continue
                assert got == [last + 1]
                break

    await asyncio.gather(*(writer(f"w{n}") for n in range(6)))
    records = await store.read(S)
    assert seqs(records) == list(range(1, 19))
    assert sorted(data(records)) == sorted(f"w{n}-{i}" for n in range(6) for i in range(3))
    assert conflicts > 0
