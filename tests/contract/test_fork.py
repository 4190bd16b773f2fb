"""Whole-session copies: fork, snapshot and restore.

Run over every backend (tests/fixtures/stores/) through the public API only: a new backend
joins by adding one fixture plugin and must pass this suite unchanged.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from sessions_plus import (
    ConflictError,
    ConversationStore,
    CorruptRecordError,
    InvalidItemError,
    InvalidSessionIdError,
    MemoryStore,
    Record,
    SessionNotFoundError,
    SessionSnapshot,
    StreamRange,
    StreamSnapshot,
)
from tests.contract.helpers import CLOCK_SLACK, S, data, listed_ids, seqs, sleep_until
from tests.contract.test_ids import HOSTILE_IDS
from tests.fixtures.factory import StoreFactory

T = "target"


async def _source(store: ConversationStore) -> None:
    await store.append(S, ["u1", "a1"], format="openai.responses", author="triage")
    await store.append(S, ["u2", "a2"], format="openai.responses", author="billing")
    await store.append(S, [{"step": 1}], stream="trace", format="trace", author="triage")
    await store.put_doc(S, "state", {"k": [1, 2]})
    await store.put_doc(S, "agent:x", "doc")


def _same_records(got: list[Record], want: list[Record]) -> None:
    assert [(r.seq, r.data, r.format, r.author) for r in got] == [
        (r.seq, r.data, r.format, r.author) for r in want
    ]
    for g, w in zip(got, want, strict=True):
        assert g.created_at == pytest.approx(w.created_at, abs=0.002)


async def test_fork_copies_logs_and_documents_and_leaves_the_source(
    store: ConversationStore,
) -> None:
    await _source(store)
    before = time.time()
    info = await store.fork(S, T)
    assert info.session_id == T
    assert info.created_at >= before - CLOCK_SLACK  # fresh metadata, not the source's
    assert info.streams == {"main": 4, "trace": 1}
    for stream in ("main", "trace"):
        _same_records(await store.read(T, stream=stream), await store.read(S, stream=stream))
    assert await store.get_doc(T, "state") == {"k": [1, 2]}
    assert await store.list_docs(T) == ["agent:x", "state"]
    # Independent from then on.
    assert await store.append(T, ["t"]) == [5]
    assert await store.append(S, ["s"]) == [5]
    assert data(await store.read(T))[-1] == "t" and data(await store.read(S))[-1] == "s"
    await store.put_doc(T, "state", "changed")
    assert await store.get_doc(S, "state") == {"k": [1, 2]}
    assert sorted(await listed_ids(store)) == sorted([S, T])


async def test_fork_part_of_a_session(store: ConversationStore) -> None:
    await _source(store)
    await store.fork(S, "only-main", streams=["main"])
    assert (await store.info("only-main")).streams == {"main": 4}  # type: ignore[union-attr]
    assert await store.get_doc("only-main", "state") == {"k": [1, 2]}  # documents always
    await store.fork(S, "upto-2", upto=2)
    assert data(await store.read("upto-2")) == ["u1", "a1"]
    assert data(await store.read("upto-2", stream="trace")) == [{"step": 1}]
    assert await store.append("upto-2", ["next"]) == [3]
    await store.fork(S, "per-stream", upto={"main": 3, "trace": 0})
    assert data(await store.read("per-stream")) == ["u1", "a1", "u2"]
    assert await store.read("per-stream", stream="trace") == []
    assert await store.last_seq("per-stream", stream="trace") == 0
    # Forking a trimmed stream keeps its seqs; upto before its first record copies nothing.
    await store.trim(S, keep_last=2)
    await store.fork(S, "trimmed")
    assert seqs(await store.read("trimmed")) == [3, 4]
    info = await store.info("trimmed")
    assert info is not None and info.ranges["main"] == StreamRange(3, 4)
    await store.fork(S, "before-first", upto=1, streams=["main"])
    assert await store.read("before-first") == []
    assert await store.append("before-first", ["x"]) == [2]


async def test_fork_refuses_bad_requests_and_writes_nothing(store: ConversationStore) -> None:
    await _source(store)
    await store.append(T, ["already here"])
    with pytest.raises(ConflictError):
        await store.fork(S, T)
    assert data(await store.read(T)) == ["already here"]
    with pytest.raises(SessionNotFoundError):
        await store.fork("missing", "new")
    with pytest.raises(ValueError, match="two different"):
        await store.fork(S, S)
    with pytest.raises(InvalidSessionIdError):
        await store.fork(S, "")
    with pytest.raises(TypeError):
        await store.fork(S, "new", streams="main")
    with pytest.raises(ValueError):
        await store.fork(S, "new", upto=-1)
    with pytest.raises(TypeError):
        await store.fork(S, "new", upto={"main": "3"})  # type: ignore[dict-item]
    assert await store.info("new") is None and await store.info("missing") is None


async def test_fork_replace_replaces_the_target_whole(store: ConversationStore) -> None:
    await _source(store)
    await store.append(T, ["old"] * 6, stream="gone")
    await store.put_doc(T, "stale", 1)
    await store.fork(S, T, replace=True, streams=["main"])
    info = await store.info(T)
    assert info is not None and info.streams == {"main": 4}
    assert await store.read(T, stream="gone") == []
    assert await store.get_doc(T, "stale") is None


async def test_fork_of_an_expired_source_and_the_ttl_of_the_copy(
    store_factory: StoreFactory,
) -> None:
    store = store_factory(ttl=1.0)
    await _source(store)
    copy = await store.fork(S, T)
    assert copy.expires_at is not None
    assert copy.expires_at == pytest.approx(copy.updated_at + 1.0, abs=0.2)
    await sleep_until(time.monotonic() + 1.2)
    with pytest.raises(SessionNotFoundError):
        await store.fork(S, "later")
    assert await store.info("later") is None


async def test_fork_between_hostile_ids(store: ConversationStore) -> None:
    ids = HOSTILE_IDS[:12]
    for index, sid in enumerate(ids):
        await store.append(sid, [index])
    for index, sid in enumerate(ids):
        await store.fork(sid, f"{sid}\x00copy")
        assert data(await store.read(f"{sid}\x00copy")) == [index]
        assert data(await store.read(sid)) == [index]


async def test_snapshot_and_restore_round_trip(store: ConversationStore) -> None:
    await _source(store)
    await store.trim(S, keep_last=3)
    snapshot = await store.snapshot(S)
    assert snapshot is not None and snapshot.session_id == S
    assert set(snapshot.streams) == {"main", "trace"}
    main = snapshot.streams["main"]
    assert (main.first, main.last, seqs(main.records)) == (2, 4, [2, 3, 4])
    assert snapshot.docs == {"state": {"k": [1, 2]}, "agent:x": "doc"}
    assert await store.snapshot("missing") is None

    info = await store.restore(snapshot, session_id="copy")
    assert info.ranges["main"] == StreamRange(2, 4) and info.created_at == snapshot.created_at
    _same_records(await store.read("copy"), await store.read(S))
    assert await store.get_doc("copy", "agent:x") == "doc"
    with pytest.raises(ConflictError):
        await store.restore(snapshot, session_id="copy")
    await store.append("copy", ["diverged"])
    await store.restore(snapshot, session_id="copy", replace=True)
    assert data(await store.read("copy")) == ["a1", "u2", "a2"]
    # Into another store (any backend to any backend): what migration is built on.
    other = MemoryStore()
    await other.restore(snapshot)
    _same_records(await other.read(S, stream="trace"), await store.read(S, stream="trace"))


async def test_restore_keeps_an_emptied_stream_and_checks_before_writing(
    store: ConversationStore,
) -> None:
    empty = StreamSnapshot(first=8, last=7, records=[])
    ok = SessionSnapshot("r", 1_000.0, 2_000.0, {"main": empty}, {"d": 1})
    info = await store.restore(ok)
    assert info.ranges["main"] == StreamRange(8, 7)
    assert await store.append("r", ["next"]) == [8]

    def snap(records: list[Record], first: int = 1, last: int = 2, **docs: Any) -> SessionSnapshot:
        return SessionSnapshot(
            "bad", 1.0, 1.0, {"main": StreamSnapshot(first, last, records)}, docs
        )

    gap = [Record(1, "a", 1.0), Record(3, "c", 1.0)]
    with pytest.raises(ValueError, match="exactly seqs"):
        await store.restore(snap(gap))
    with pytest.raises(ValueError):
        await store.restore(snap([], first=5, last=2))
    with pytest.raises(InvalidItemError):
        await store.restore(snap([Record(1, float("nan"), 1.0), Record(2, "b", 1.0)]))
    with pytest.raises(TypeError):
        await store.restore({"session_id": "bad"})  # type: ignore[arg-type]
    assert await store.info("bad") is None


async def test_a_snapshot_never_leaves_a_corrupt_record_out(store_factory: StoreFactory) -> None:
    store = store_factory(on_corrupt="skip")
    await store.append(S, ["a", "b", "c"])
    await store_factory.plant_record(store, S, 2, b"\xff not json")
    assert data(await store.read(S)) == ["a", "c"]  # reads skip it, as asked
    with pytest.raises(CorruptRecordError) as caught:
        await store.snapshot(S)
    assert (caught.value.session_id, caught.value.seq) == (S, 2)
