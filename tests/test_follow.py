"""Following a stream: every new record once, also across a clear or a pop."""

from __future__ import annotations

import asyncio
from typing import Any

from sessions_plus.follow import follow
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
