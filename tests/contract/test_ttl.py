"""TTL: the whole session expires together; writes slide it; refresh_on_read slides reads.

Run over every backend (tests/fixtures/stores/) through the public API only: a new backend
joins by adding one fixture plugin and must pass this suite unchanged.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from sessions_plus import (
    RecordNotFoundError,
)
from tests.contract.helpers import (
    S,
    data,
    listed_ids,
    sleep_until,
)
from tests.fixtures.factory import StoreFactory

# ---------------------------------------------------------------------------- TTL (sleeps)

TTL = 1.0


async def test_ttl_whole_session_expires_and_a_new_write_starts_fresh(
    store_factory: StoreFactory,
) -> None:
    store = store_factory(ttl=TTL)
    await store.append(S, ["a", "b"], author="old")
    await store.append(S, ["x"], stream="side")
    await store.put_doc(S, "meta", {"old": True})
    await store.append("also-old", ["z"])
    await store.put_doc("doc-only", "d", 1)
    old = await store.info(S)
    assert old is not None and old.expires_at is not None
    assert old.expires_at == pytest.approx(old.updated_at + TTL, abs=0.2)
    await sleep_until(time.monotonic() + TTL + 0.15)

    await store.append("alive", ["fresh"])
    purged = await store.purge_expired()  # first touch of the expired sessions
    # Three expired sessions: their data, or (native TTL) their index entries, went now.
    assert purged == 3
    assert await store.purge_expired() == 0, "purge must remove what it counts"
    assert data(await store.read("alive")) == ["fresh"], "purge must not touch live sessions"

    assert await store.read(S) == []
    assert await store.read(S, stream="side") == []
    assert await store.read(S, limit=1) == []
    assert await store.last_seq(S) == 0
    assert await store.pop(S) is None
    assert await store.get_doc(S, "meta") is None
    assert await store.list_docs(S) == []
    assert await store.info(S) is None
    assert await store.info("doc-only") is None
    assert await listed_ids(store) == ["alive"]
    with pytest.raises(RecordNotFoundError):
        await store.replace(S, 1, "x")

    assert await store.append(S, ["new"], if_last_seq=0) == [1]
    records = await store.read(S)
    assert data(records) == ["new"] and records[0].author is None
    assert await store.read(S, stream="side") == []
    assert await store.get_doc(S, "meta") is None
    assert await store.list_docs(S) == []
    info = await store.info(S)
    assert info is not None and dict(info.streams) == {"main": 1}
    assert info.created_at > old.created_at
    assert await store.put_doc(S, "meta", {"old": False}, if_absent=True) is True
    assert sorted(await listed_ids(store)) == sorted(["alive", S])


async def test_ttl_every_write_slides_and_plain_reads_do_not(
    store_factory: StoreFactory,
) -> None:
    """Each session runs its own timeline (all at once), so slow calls cost no margin."""
    store = store_factory(ttl=TTL)
    writes: dict[str, Callable[[str], Awaitable[Any]]] = {
        "append": lambda sid: store.append(sid, ["more"]),
        "append-other-stream": lambda sid: store.append(sid, ["more"], stream="new"),
        "put_doc": lambda sid: store.put_doc(sid, "new", 1),
        "delete_doc": lambda sid: store.delete_doc(sid, "old"),
        "pop": lambda sid: store.pop(sid),
        "replace": lambda sid: store.replace(sid, 1, "replaced"),
        "splice": lambda sid: store.splice(sid, 2, ["spliced"]),
        "clear": lambda sid: store.clear(sid, stream="side"),
    }

    async def timeline(sid: str) -> tuple[bool, bool]:
        await store.append(sid, ["a", "b"])
        await store.put_doc(sid, "old", 1)
        await store.append(sid, ["s"], stream="side")
        written = time.monotonic()
        await sleep_until(written + 0.5)
        await writes[sid](sid)
        slid = time.monotonic()
        await sleep_until(written + TTL + 0.1)  # past the first writes' expiry
        alive = await store.info(sid) is not None
        if sid == "append":  # plain reads of every kind, which must not slide it
            assert data(await store.read(sid, limit=5)) == ["a", "b", "more"]
            assert await store.get_doc(sid, "old") == 1
            assert await store.list_docs(sid) == ["old"]
            assert await store.last_seq(sid, stream="side") == 1
        await sleep_until(slid + TTL + 0.1)  # past the second write's expiry
        gone = await store.info(sid) is None and await store.read(sid) == []
        return alive, gone

    async def untouched() -> bool:
        await store.append("untouched", ["a"])
        await sleep_until(time.monotonic() + TTL + 0.1)
        return await store.info("untouched") is None

    outcomes = await asyncio.gather(untouched(), *(timeline(sid) for sid in writes))
    assert outcomes[0], "an untouched session outlived its TTL"
    for sid, (alive, gone) in zip(writes, outcomes[1:], strict=True):
        assert alive, f"{sid} did not slide the TTL"
        assert gone, f"{sid}: a plain read slid the TTL (refresh_on_read is off)"
    assert await store.delete("append") is False, "an expired session is not live"
    assert await listed_ids(store) == []


async def test_ttl_refresh_on_read_slides_on_every_read(store_factory: StoreFactory) -> None:
    # A longer TTL than the others: after the timelines, seven sequential refreshing reads
    # (each a write on DynamoDB) must all land inside it even on a loaded machine.
    ttl = 2 * TTL
    store = store_factory(ttl=ttl, refresh_on_read=True)
    reads: dict[str, Callable[[str], Awaitable[Any]]] = {
        "read": lambda sid: store.read(sid),
        "read-latest": lambda sid: store.read(sid, limit=1),
        "read-range": lambda sid: store.read(sid, after=1, limit=1, keep="earliest"),
        "get_doc": lambda sid: store.get_doc(sid, "keep"),
        "list_docs": lambda sid: store.list_docs(sid),
        "info": lambda sid: store.info(sid),
        "last_seq": lambda sid: store.last_seq(sid),
    }

    async def timeline(sid: str) -> bool:
        await store.append(sid, ["a", "b"])
        await store.put_doc(sid, "keep", sid)
        written = time.monotonic()
        await sleep_until(written + ttl / 2)
        if sid in reads:
            await reads[sid](sid)
        await sleep_until(written + ttl + 0.1)  # past the writes' expiry
        return await store.get_doc(sid, "keep") == sid

    alive = await asyncio.gather(*(timeline(sid) for sid in [*reads, "unread"]))
    for sid, ok in zip(reads, alive[:-1], strict=True):
        assert ok, f"{sid} did not slide the TTL"
    assert not alive[-1], "a session nobody read outlived its TTL"
    for sid in reads:
        assert data(await store.read(sid)) == ["a", "b"], sid
        info = await store.info(sid)
        assert info is not None and info.expires_at is not None
        assert info.expires_at > time.time() + 0.5, "the read just now slid it again"
