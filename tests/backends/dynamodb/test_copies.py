"""Snapshot, restore and fork beyond one transaction: written ahead, switched by the meta item.

A restore of more than ~98 items cannot be one TransactWriteItems; readers must still see the
old session or the whole restored one, never a part, and nothing may be left behind when the
restore loses a race.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sessions_plus import ConflictError, DynamoDBStore, SessionSnapshot
from tests.backends.dynamodb.helpers import Requests, raw_items
from tests.fixtures.factory import StoreFactory

T = "target"


async def _big(store: DynamoDBStore, sid: str, records: int) -> SessionSnapshot:
    await store.append(sid, [{"n": n} for n in range(records)])
    await store.append(sid, ["t"] * 3, stream="trace")
    await store.trim(sid, keep_last=2, stream="trace")
    await store.put_doc(sid, "state", {"k": 1})
    await store.put_doc(sid, "large", "z" * 600_000)
    snapshot = await store.snapshot(sid)
    assert snapshot is not None
    return snapshot


async def test_a_reader_never_sees_half_a_large_restore(factory_: StoreFactory) -> None:
    store: DynamoDBStore = factory_()  # type: ignore[assignment]
    reader = factory_()
    snapshot = await _big(store, "source", 150)
    await store.append(T, ["old"] * 5)
    await store.put_doc(T, "state", "old")
    seen: list[tuple[Any, ...]] = []
    done = asyncio.Event()

    async def watch() -> None:  # each read sees the old session or the new one, whole
        while not done.is_set():
            main = [r.data for r in await reader.read(T)]
            latest = [r.data for r in await reader.read(T, limit=3)]
            state = await reader.get_doc(T, "state")
            info = await reader.info(T)
            assert info is not None
            seen.append(("main", len(main), str(main[-1])))
            seen.append(("latest", tuple(map(str, latest))))
            seen.append(("doc", str(state)))
            seen.append(("info", tuple(sorted(info.streams.items()))))

    watcher = asyncio.create_task(watch())
    info = await store.restore(snapshot, session_id=T, replace=True)
    done.set()
    await watcher
    allowed = {
        ("main", 5, "old"),
        ("main", 150, "{'n': 149}"),
        ("latest", ("old", "old", "old")),
        ("latest", ("{'n': 147}", "{'n': 148}", "{'n': 149}")),
        ("doc", "old"),
        ("doc", "{'k': 1}"),
        ("info", (("main", 5),)),
        ("info", (("main", 150), ("trace", 2))),
    }
    assert seen and set(seen) <= allowed, set(seen) - allowed
    assert ("main", 5, "old") in seen, "the reads ran while the restore was under way"
    assert info.ranges["main"].count == 150 and info.ranges["trace"].first == 2
    assert await reader.get_doc(T, "large") == "z" * 600_000
    requests = Requests(await reader.get_client())  # type: ignore[attr-defined]
    assert len(await reader.read(T, limit=5)) == 5
    assert requests.take() == {"Query": 1}, "the commit cleared the pending mark on top"
    main = [i for i in await raw_items(store) if i["pk"]["S"] == "L#target#main"]
    top = max(main, key=lambda i: int(i["sk"]["N"]))
    assert "pd" not in top, "only items below the top keep the mark (they are never read alone)"
    again = await store.snapshot(T)
    assert again is not None and again.docs == snapshot.docs
    assert [r.data for r in again.streams["main"].records] == [
        r.data for r in snapshot.streams["main"].records
    ]
    # The target's old items (a superseded incarnation) are gone.
    assert not [i for i in await raw_items(store) if i.get("p") == {"S": '"old"'}]


async def test_a_large_restore_that_loses_a_race_writes_nothing(
    factory_: StoreFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    store: DynamoDBStore = factory_()  # type: ignore[assignment]
    other = factory_()
    snapshot = await _big(store, "source", 120)
    before = {(i["pk"]["S"], i["sk"]["N"]) for i in await raw_items(store)}
    client = await store.get_client()
    raced = []

    async def write_meanwhile(*args: Any, **kwargs: Any) -> None:
        if not raced:
            raced.append(True)
            await other.append(T, ["came first"])

    original = store._table.batch_write

    async def batch_write(requests: list[dict[str, Any]]) -> None:
        await write_meanwhile()
        await original(requests)

    monkeypatch.setattr(store._table, "batch_write", batch_write)
    with pytest.raises(ConflictError):
        await store.restore(snapshot, session_id=T)
    monkeypatch.undo()
    assert [r.data for r in await other.read(T)] == ["came first"]
    after = {(i["pk"]["S"], i["sk"]["N"]) for i in await raw_items(store)}
    written = {k for k in after - before if "target" in k[0]}
    assert all(k[0].startswith("M#") or k[0].startswith("L#target#main") for k in written)
    assert len(written) == 2, "only the other writer's meta item and record"
    del client


async def test_fork_of_a_large_session(factory_: StoreFactory) -> None:
    store: DynamoDBStore = factory_(ttl=3600)  # type: ignore[assignment]
    await _big(store, "source", 130)
    info = await store.fork("source", T, upto=100)
    assert info.ranges["main"].last == 100 and info.expires_at is not None
    assert [r.data for r in await store.read(T, limit=2)] == [{"n": 98}, {"n": 99}]
    assert await store.get_doc(T, "large") == "z" * 600_000
    assert len(await store.read("source")) == 130


@pytest.fixture
def factory_(dynamodb_store_factory: StoreFactory) -> StoreFactory:
    return dynamodb_store_factory
