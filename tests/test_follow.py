"""Following a stream: every new record once, also across a clear or a pop."""

from __future__ import annotations

import asyncio
from typing import Any

from sessions_plus import MemoryStore, Record
from sessions_plus.follow import follow, tail
from tests.fixtures.factory import StoreFactory


async def next_batch(batches: Any) -> list[Any]:
    batch = await asyncio.wait_for(batches.__anext__(), 60)
    return [record.data for record in batch]


async def test_follow_yields_each_new_record_once(store_factory: StoreFactory) -> None:
    store = store_factory()
    await store.append("s", ["a", "b"])
    shown = await store.read("s")
    batches = follow(store, "s", after=2, interval=0.05, already=shown)
    try:
        await store.append("s", ["c"])
        assert await next_batch(batches) == ["c"]
        await store.pop("s")  # c is gone; a and b were shown already: nothing to repeat
        await asyncio.sleep(0.2)
        await store.append("s", ["d"])
        assert await next_batch(batches) == ["d"]
        await store.clear("s")
        await store.append("s", ["e", "f"])
        got = await next_batch(batches)
        while got != ["e", "f"] and len(got) < 2:  # e and f may come in one batch or two
            got += await next_batch(batches)
        assert got == ["e", "f"]
        await store.append("s", ["g"])
        assert await next_batch(batches) == ["g"]  # never a record twice
    finally:
        await batches.aclose()


class _RacedStore(MemoryStore):
    """A store where another writer appends right after the first latest-N read returns."""

    raced = False

    async def read(self, session_id: str, **kwargs: Any) -> list[Record]:
        records = await super().read(session_id, **kwargs)
        if kwargs.get("limit") and not self.raced:
            self.raced = True
            await self.append(session_id, ["raced in"])
        return records


async def test_tail_shows_a_record_appended_right_after_its_first_read() -> None:
    store = _RacedStore()
    await store.append("s", ["before"])
    batches = tail(store, "s", count=5, interval=0.05)
    try:
        assert await next_batch(batches) == ["before"]
        assert await next_batch(batches) == ["raced in"]
        await store.append("s", ["later"])
        assert await next_batch(batches) == ["later"]
    finally:
        await batches.aclose()


async def test_tail_without_latest_records_follows_from_the_end() -> None:
    store = _RacedStore()
    await store.append("s", ["old"])
    batches = tail(store, "s", count=0, interval=0.05)
    try:
        assert await next_batch(batches) == []
        await store.append("s", ["new"])
        assert await next_batch(batches) == ["new"]
    finally:
        await batches.aclose()
