"""Random sequences of log operations on SQLite, checked step by step against MemoryStore (the
reference implementation of the contract): seqs, ranges, records, return values and errors."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessions_plus import ConversationStore, MemoryStore
from sessions_plus.backends.sqlite import SQLiteStore

S = "s"
STREAMS = ["main", "side"]

operation = st.one_of(
    st.tuples(st.just("append"), st.sampled_from(STREAMS), st.integers(1, 5)),
    st.tuples(st.just("splice"), st.sampled_from(STREAMS), st.integers(0, 8), st.integers(0, 3)),
    st.tuples(st.just("pop"), st.sampled_from(STREAMS)),
    st.tuples(st.just("trim"), st.sampled_from(STREAMS), st.integers(0, 4)),
    st.tuples(st.just("clear"), st.sampled_from(STREAMS)),
    st.tuples(st.just("replace"), st.sampled_from(STREAMS), st.integers(0, 8)),
)


async def _apply(store: ConversationStore, op: tuple[Any, ...], n: int) -> Any:
    """Run one operation; return what it returned, or the type of error it raised."""
    kind, stream, *args = op
    try:
        if kind == "append":
            return await store.append(S, [f"{n}.{i}" for i in range(args[0])], stream=stream)
        if kind == "splice":  # start at an offset back from the end (past it: an error)
            last = await store.last_seq(S, stream=stream)
            start = max(1, last + 1 - args[0])
            items = [f"{n}.{i}" for i in range(args[1])]
            return await store.splice(S, start, items, stream=stream)
        if kind == "pop":
            popped = await store.pop(S, stream=stream)
            return None if popped is None else (popped.seq, popped.data)
        if kind == "trim":
            return await store.trim(S, stream=stream, keep_last=args[0])
        if kind == "clear":
            return await store.clear(S, stream=stream)
        last = await store.last_seq(S, stream=stream)
        return await store.replace(S, max(1, last - args[0]), f"r{n}", stream=stream)
    except Exception as exc:
        return type(exc).__name__


async def _state(store: ConversationStore) -> Any:
    info = await store.info(S)
    ranges = None if info is None else dict(info.ranges)
    logs = {
        stream: [(r.seq, r.data) for r in await store.read(S, stream=stream)] for stream in STREAMS
    }
    latest = [(r.seq, r.data) for r in await store.read(S, limit=2)]
    return ranges, logs, latest


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    ops=st.lists(operation, min_size=1, max_size=25),
    max_records=st.sampled_from([None, None, 1, 3]),
)
def test_sqlite_follows_the_reference_store_step_by_step(
    ops: list[tuple[Any, ...]], max_records: int | None
) -> None:
    async def run() -> None:
        sqlite = SQLiteStore(max_records=max_records)
        memory = MemoryStore(max_records=max_records)
        try:
            for n, op in enumerate(ops):
                got, want = await _apply(sqlite, op, n), await _apply(memory, op, n)
                assert got == want, (n, op)
                assert await _state(sqlite) == await _state(memory), (n, op)
            snapshot = await sqlite.snapshot(S)
            reference = await memory.snapshot(S)
            if reference is None:
                assert snapshot is None
            else:
                assert snapshot is not None
                assert {k: (v.first, v.last) for k, v in snapshot.streams.items()} == {
                    k: (v.first, v.last) for k, v in reference.streams.items()
                }
        finally:
            await sqlite.aclose()
            await memory.aclose()

    asyncio.run(run())
