"""Session metadata (info) and paged listing.

Run over every backend (tests/fixtures/stores/) through the public API only: a new backend
joins by adding one fixture plugin and must pass this suite unchanged.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from sessions_plus import (
    ConversationStore,
)
from tests.contract.helpers import (
    CLOCK_SLACK,
    S,
    all_sessions,
    data,
)
from tests.fixtures.factory import StoreFactory

# ---------------------------------------------------------------------------- info and listing


async def test_info_counts_and_times(store_factory: StoreFactory) -> None:
    store = store_factory()
    await store.append(S, ["a", "b", "c"])
    await store.append(S, ["x"], stream="side")
    await store.put_doc(S, "doc", 1)
    first = await store.info(S)
    assert first is not None
    assert first.session_id == S
    assert dict(first.streams) == {"main": 3, "side": 1}
    assert first.item_count == 4
    assert first.expires_at is None  # ttl=None never sets it
    assert first.created_at <= first.updated_at

    await asyncio.sleep(0.05)
    await store.pop(S, stream="side")
    second = await store.info(S)
    assert second is not None
    assert second.created_at == first.created_at
    assert second.updated_at > first.updated_at
    assert dict(second.streams) == {"main": 3}
    assert second.expires_at is None

    with_ttl = store_factory(ttl=60)
    await with_ttl.append("t", ["a"])
    info = await with_ttl.info("t")
    assert info is not None and info.expires_at is not None
    assert info.expires_at == pytest.approx(info.updated_at + 60, abs=1.0)
    assert info.expires_at == pytest.approx(time.time() + 60, abs=CLOCK_SLACK)
    await asyncio.sleep(0.05)
    await with_ttl.put_doc("t", "d", 1)
    later = await with_ttl.info("t")
    assert later is not None and later.expires_at is not None
    assert later.expires_at > info.expires_at, "every write slides the TTL"


async def test_list_sessions_pages_through_everything(store: ConversationStore) -> None:
    page = await store.list_sessions()
    assert page.sessions == [] and page.next_cursor is None

    ids = [f"s{i:02d}" for i in range(12)] + ["a:b", "a", "é", "{x}"]
    for index, sid in enumerate(ids):
        if index % 4 == 0:
            await store.put_doc(sid, "only-doc", index)
        else:
            await store.append(sid, [index] * (index % 3 + 1))
    for sid in ("s05", "s10", "a"):
        assert await store.delete(sid) is True
    live = set(ids) - {"s05", "s10", "a"}

    for limit in (1, 5, 100):
        found = await all_sessions(store, limit=limit)
        listed = [info.session_id for info in found]
        assert len(listed) == len(set(listed)), f"duplicates with limit={limit}"
        assert set(listed) == live, f"limit={limit}"
    for info in found:  # the listing carries the same metadata as info()
        index = ids.index(info.session_id)
        want = {} if index % 4 == 0 else {"main": index % 3 + 1}
        assert dict(info.streams) == want, info.session_id
        assert info.created_at <= info.updated_at
        assert info.expires_at is None


async def _listed(store: ConversationStore, prefix: str, limit: int) -> list[str]:
    found: list[str] = []
    cursor: str | None = None
    for _ in range(1_000):
        page = await store.list_sessions(limit=limit, cursor=cursor, prefix=prefix)
        assert len(page.sessions) <= limit
        found.extend(info.session_id for info in page.sessions)
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor
    raise AssertionError("list_sessions(prefix=...) never ended")


PREFIX_IDS = [
    "user:1:chat",
    "user:1:chat:2",
    "user:1:task",
    "user:10:chat",
    "user:2:chat",
    "user%1:chat",
    "user{1}:chat",
    "user:1\u00e9:chat",
    "user:1:\U0001f600",
    "usr:1",
    "user",
    "u",
    "x" * 120 + ":a",
    "x" * 120 + ":b",
    "x" * 119 + "y",
]


async def test_list_sessions_by_prefix(store: ConversationStore) -> None:
    for sid in PREFIX_IDS:
        await store.append(sid, [sid])
    for prefix in ["user:1:", "user:1", "user", "user%", "user{", "x" * 120, "x" * 119, "u", ""]:
        want = sorted(sid for sid in PREFIX_IDS if sid.startswith(prefix))
        for limit in (1, 2, 100):
            assert sorted(await _listed(store, prefix, limit)) == want, (prefix, limit)
    assert await _listed(store, "nobody", 10) == []
    assert await _listed(store, "user:1:chat:2:", 10) == []
    with pytest.raises(TypeError):
        await store.list_sessions(prefix=1)  # type: ignore[arg-type]


async def test_delete_only_if_idle(store: ConversationStore) -> None:
    await store.append("idle", ["old"])
    await store.append("busy", ["old"])
    cutoff = time.time() + 0.3  # wide margins: a slow machine may take a while per request
    await asyncio.sleep(0.6)
    await store.append("busy", ["written after the cutoff"])
    assert await store.delete("busy", updated_before=cutoff) is False
    assert data(await store.read("busy")) == ["old", "written after the cutoff"]
    assert await store.delete("idle", updated_before=cutoff) is True
    assert await store.info("idle") is None
    assert await store.delete("missing", updated_before=cutoff) is False
    with pytest.raises(TypeError):
        await store.delete("busy", updated_before="yesterday")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        await store.delete("busy", updated_before=float("nan"))
