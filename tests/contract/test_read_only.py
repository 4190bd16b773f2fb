"""Read-only stores: every read works, every write is refused, nothing is created or slid.

Run over every backend (tests/fixtures/stores/) through the public API only: a new backend
joins by adding one fixture plugin and must pass this suite unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from sessions_plus import ConversationStore, ReadOnlyStoreError, SessionSnapshot
from tests.contract.helpers import S, data, listed_ids
from tests.fixtures.factory import StoreFactory

WRITES: list[Callable[[ConversationStore], Awaitable[Any]]] = [
    lambda s: s.append(S, ["x"]),
    lambda s: s.splice(S, 1, ["x"]),
    lambda s: s.pop(S),
    lambda s: s.replace(S, 1, "x"),
    lambda s: s.clear(S),
    lambda s: s.delete(S),
    lambda s: s.trim(S, keep_last=0),
    lambda s: s.put_doc(S, "d", 1),
    lambda s: s.delete_doc(S, "d"),
    lambda s: s.fork(S, "copy"),
    lambda s: s.restore(SessionSnapshot("new", 1.0, 1.0, {}, {})),
    lambda s: s.purge_expired(),
]


async def test_a_read_only_store_reads_and_refuses_every_write(
    store_factory: StoreFactory,
) -> None:
    writer = store_factory(ttl=60)
    await writer.append(S, ["a", "b"])
    await writer.put_doc(S, "d", {"k": 1})
    reader = (
        store_factory(read_only=True, ttl=60, refresh_on_read=True)
        if store_factory.shared
        else None
    )
    if reader is None:  # process-local: the read-only store is a store of its own, empty
        reader = store_factory(read_only=True)
        assert await reader.read(S) == []
    else:
        assert data(await reader.read(S)) == ["a", "b"]
        assert await reader.get_doc(S, "d") == {"k": 1}
        assert await listed_ids(reader) == [S]
        assert reader.refresh_on_read is False  # reads never write, so never slide the TTL
    assert reader.read_only is True
    before = await writer.info(S)
    for write in WRITES:
        with pytest.raises(ReadOnlyStoreError):
            await write(reader)
    assert data(await writer.read(S)) == ["a", "b"]
    assert await writer.get_doc(S, "d") == {"k": 1}
    assert await writer.info("copy") is None and await writer.info("new") is None
    after = await writer.info(S)
    assert before is not None and after is not None
    assert after.updated_at == before.updated_at


async def test_reading_a_missing_session_read_only_creates_nothing(
    store_factory: StoreFactory,
) -> None:
    writer = store_factory()
    await writer.append("present", ["x"])
    reader = store_factory(read_only=True)
    for read in (
        reader.read("absent"),
        reader.read_data("absent", limit=3),
        reader.get_doc("absent", "d"),
        reader.list_docs("absent"),
        reader.info("absent"),
        reader.snapshot("absent"),
    ):
        assert await read in ([], None)
    assert await listed_ids(writer) == ["present"]
