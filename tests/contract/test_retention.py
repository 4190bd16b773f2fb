"""Retention: trim (drop the oldest records) and the max_records policy; seqs first..last.

Run over every backend (tests/fixtures/stores/) through the public API only: a new backend
joins by adding one fixture plugin and must pass this suite unchanged.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sessions_plus import (
    ConfigurationError,
    ConversationStore,
    InvalidNameError,
    SessionNotFoundError,
    StreamRange,
)
from tests.contract.helpers import S, data, seqs
from tests.fixtures.factory import StoreFactory


async def test_trim_keeps_the_newest_and_never_reuses_a_seq(store: ConversationStore) -> None:
    await store.append(S, [f"r{n}" for n in range(1, 7)])
    await store.append(S, ["other"], stream="side")
    assert await store.trim(S, keep_last=4) == 2
    records = await store.read(S)
    assert (seqs(records), data(records)) == ([3, 4, 5, 6], ["r3", "r4", "r5", "r6"])
    info = await store.info(S)
    assert info is not None
    assert info.ranges["main"] == StreamRange(3, 6) and info.streams["main"] == 4
    assert info.ranges["side"] == StreamRange(1, 1)
    assert await store.last_seq(S) == 6
    assert await store.append(S, ["r7"]) == [7]
    # Seq bounds still mean seqs; offset paging is after=first - 1 + offset.
    assert data(await store.read(S, after=4)) == ["r5", "r6", "r7"]
    assert data(await store.read(S, before=5)) == ["r3", "r4"]
    assert data(await store.read(S, after=2, limit=2, keep="earliest")) == ["r3", "r4"]
    assert data(await store.read(S, limit=2)) == ["r6", "r7"]
    assert data(await store.read(S, after=0, before=3)) == []
    assert data(await store.read(S, stream="side")) == ["other"]  # other streams untouched


async def test_trim_edges(store: ConversationStore) -> None:
    await store.append(S, ["a", "b", "c"])
    assert await store.trim(S, keep_last=5) == 0  # more than present: nothing to drop
    assert await store.trim(S, keep_last=3) == 0
    assert await store.trim(S, keep_last=1) == 2
    assert data(await store.read(S)) == ["c"]
    assert await store.trim(S, keep_last=0) == 1
    assert await store.read(S) == []
    info = await store.info(S)
    assert info is not None and info.item_count == 0
    assert info.ranges["main"] == StreamRange(4, 3) and "main" not in info.streams
    assert await store.last_seq(S) == 3
    assert await store.append(S, ["d"]) == [4]  # never seq 1 again after a trim
    assert await store.trim(S, stream="never-written", keep_last=0) == 0
    # pop after a trim removes the last record; clear forgets the stream (next seq is 1).
    popped = await store.pop(S)
    assert popped is not None and (popped.seq, popped.data) == (4, "d")
    assert await store.append(S, ["e"]) == [4]
    await store.clear(S)
    assert await store.append(S, ["f"]) == [1]


async def test_trim_rejects_bad_input_before_writing(store: ConversationStore) -> None:
    with pytest.raises(SessionNotFoundError):
        await store.trim("missing", keep_last=1)
    await store.append(S, ["a", "b"])
    bad: list[tuple[Any, type[BaseException]]] = [
        (-1, ValueError),
        (True, TypeError),
        (1.5, TypeError),
        ("1", TypeError),
        (None, TypeError),
    ]
    for keep_last, error in bad:
        with pytest.raises(error):
            await store.trim(S, keep_last=keep_last)
    with pytest.raises(InvalidNameError):
        await store.trim(S, stream="", keep_last=0)
    assert data(await store.read(S)) == ["a", "b"]
    assert await store.info("missing") is None


async def test_concurrent_appends_during_trims_lose_nothing_beyond_the_trim(
    store_factory: StoreFactory,
) -> None:
    store = store_factory()
    other = store_factory() if store_factory.shared else store
    writers, batches = 4, store_factory.scaled(12, 8, 3)
    removed: list[int] = []

    async def writer(index: int) -> None:
        for n in range(batches):
            await (store if index % 2 else other).append(S, [{"w": index, "n": n}] * 2)

    async def trimmer() -> None:
        for _ in range(batches):
            removed.append(await store.trim(S, keep_last=3))
            await asyncio.sleep(0)

    await store.append(S, ["seed"])
    await asyncio.gather(*(writer(i) for i in range(writers)), trimmer())
    records = await store.read(S)
    appended = 1 + writers * batches * 2
    assert len(records) == appended - sum(removed)
    assert seqs(records) == list(range(appended - len(records) + 1, appended + 1))
    assert await store.last_seq(S) == appended


async def test_max_records_bounds_every_stream_in_the_same_step(
    store_factory: StoreFactory,
) -> None:
    store = store_factory(max_records=3)
    assert store.max_records == 3
    for n in range(1, 6):
        await store.append(S, [n])
    assert (seqs(await store.read(S)), data(await store.read(S))) == ([3, 4, 5], [3, 4, 5])
    assert await store.append(S, [6, 7, 8, 9, 10]) == [6, 7, 8, 9, 10]
    assert data(await store.read(S)) == [8, 9, 10]
    info = await store.info(S)
    assert info is not None and info.ranges["main"] == StreamRange(8, 10)
    await store.append(S, ["x"], stream="side")
    assert data(await store.read(S, stream="side")) == ["x"]
    assert await store.splice(S, 9, ["a", "b", "c", "d"]) == [9, 10, 11, 12]
    assert (seqs(await store.read(S)), data(await store.read(S))) == ([10, 11, 12], ["b", "c", "d"])
    with pytest.raises(ConfigurationError):
        store_factory(max_records=0)
    with pytest.raises(ConfigurationError):
        store_factory(max_records=True)


async def test_max_records_under_eight_concurrent_writers(store_factory: StoreFactory) -> None:
    limit = 5
    stores = [store_factory(max_records=limit) for _ in range(2 if store_factory.shared else 1)]
    store = stores[0]
    appends = store_factory.scaled(10, 6, 2)
    over: list[int] = []

    async def writer(index: int) -> None:
        for n in range(appends):
            await stores[index % len(stores)].append(S, [{"w": index, "n": n}])
            count = len(await store.read(S))  # after any append returned: never more than N
            if count > limit:
                over.append(count)

    await asyncio.gather(*(writer(i) for i in range(8)))
    assert over == []
    records = await store.read(S)
    total = 8 * appends
    assert seqs(records) == list(range(total - limit + 1, total + 1))  # the newest N survive
