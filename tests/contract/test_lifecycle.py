"""Store lifecycle: closing, async with, several store objects on one namespace.

Run over every backend (tests/fixtures/stores/) through the public API only: a new backend
joins by adding one fixture plugin and must pass this suite unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import pytest

from sessions_plus import (
    StoreClosedError,
)
from tests.contract.helpers import (
    S,
    data,
    listed_ids,
)
from tests.fixtures.factory import StoreFactory

# ---------------------------------------------------------------------------- lifecycle


async def test_closed_store_raises(store_factory: StoreFactory) -> None:
    store = store_factory()
    await store.append(S, ["a"])
    assert store.closed is False
    await store.aclose()
    assert store.closed is True
    await store.aclose()  # idempotent
    calls: list[Awaitable[Any]] = [
        store.append(S, ["x"]),
        store.read(S),
        store.last_seq(S),
        store.pop(S),
        store.replace(S, 1, "x"),
        store.splice(S, 1, ["x"]),
        store.clear(S),
        store.delete(S),
        store.put_doc(S, "d", 1),
        store.get_doc(S, "d"),
        store.delete_doc(S, "d"),
        store.list_docs(S),
        store.info(S),
        store.list_sessions(),
        store.purge_expired(),
    ]
    for call in calls:
        with pytest.raises(StoreClosedError):
            await call


async def test_async_with_closes(store_factory: StoreFactory) -> None:
    async with store_factory() as store:
        assert await store.append(S, ["a"]) == [1]
    assert store.closed
    with pytest.raises(StoreClosedError):
        await store.read(S)


async def test_second_store_from_the_factory(store_factory: StoreFactory) -> None:
    first = store_factory()
    await first.append(S, ["a", "b"], author="first")
    await first.put_doc(S, "doc", {"v": 1})
    second = store_factory()
    if not store_factory.shared:
        # Process-local stores (memory) hold their own data: a second object starts empty.
        assert await second.read(S) == []
        assert await second.info(S) is None
        return
    records = await second.read(S)
    assert data(records) == ["a", "b"] and records[0].author == "first"
    assert await second.get_doc(S, "doc") == {"v": 1}
    assert await second.append(S, ["c"]) == [3]
    assert data(await first.read(S)) == ["a", "b", "c"]
    assert await listed_ids(second) == [S]
    await second.aclose()
    assert data(await first.read(S)) == ["a", "b", "c"], "closing one store leaves the other"
    if store_factory.cross_process:
        opened = store_factory.open()
        assert data(await opened.read(S)) == ["a", "b", "c"]
        assert await opened.append(S, ["d"]) == [4]
