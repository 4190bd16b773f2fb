"""Concurrency: tasks, threads, event loops and processes on one session.

Run over every backend (tests/fixtures/stores/) through the public API only: a new backend
joins by adding one fixture plugin and must pass this suite unchanged.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from sessions_plus import (
    ConversationStore,
)
from tests.contract.helpers import (
    S,
    seqs,
)
from tests.fixtures.factory import StoreFactory
from tests.fixtures.processes import output_of, start_python

# ---------------------------------------------------------------------------- concurrency


async def _check_writers(
    store: ConversationStore, sid: str, results: dict[str, list[tuple[list[int], list[Any]]]]
) -> None:
    """Each writer's batches got consecutive seqs, all seqs are 1..n once, data is in place."""
    assigned: dict[int, Any] = {}
    for batches in results.values():
        for got, items in batches:
            assert got == list(range(got[0], got[0] + len(items))), "a batch was split"
            for seq, item in zip(got, items, strict=True):
                assert seq not in assigned, f"seq {seq} assigned twice"
                assigned[seq] = item
    records = await store.read(sid)
    assert seqs(records) == list(range(1, len(assigned) + 1))
    assert sorted(assigned) == seqs(records)
    for record in records:
        assert record.data == assigned[record.seq]
    for writer, batches in results.items():
        mine = [r.data for r in records if r.data["w"] == writer]
        assert mine == [item for _, items in batches for item in items], "writer order broken"


async def test_concurrent_tasks_lose_and_duplicate_nothing(store_factory: StoreFactory) -> None:
    stores = [store_factory()]
    if store_factory.shared:
        stores += [store_factory() for _ in range(3)]
    results: dict[str, list[tuple[list[int], list[Any]]]] = {}

    async def writer(index: int) -> None:
        name = f"w{index}"
        store = stores[index % len(stores)]
        results[name] = []
        for batch in range(2):
            items = [{"w": name, "b": batch, "k": k} for k in range(size(index, batch))]
            results[name].append((await store.append(S, items), items))

    def size(index: int, batch: int) -> int:
        return 1 + (index + batch) % 3

    done = False
    snapshots = 0

    async def reader() -> None:
        """Concurrent reads only ever see whole batches, in seq order 1..n."""
        nonlocal snapshots
        while not done:
            records = await stores[-1].read(S)
            assert seqs(records) == list(range(1, len(records) + 1))
            counts: dict[tuple[str, int], int] = {}
            for record in records:
                key = (record.data["w"], record.data["b"])
                counts[key] = counts.get(key, 0) + 1
            for (name, batch), count in counts.items():
                assert count == size(int(name[1:]), batch), "saw half a batch"
            snapshots += 1
            await asyncio.sleep(0)

    async def writers() -> None:
        nonlocal done
        try:
            await asyncio.gather(*(writer(i) for i in range(32)))
        finally:
            done = True

    await asyncio.gather(writers(), reader())
    assert snapshots > 0
    await _check_writers(stores[0], S, results)
    info = await stores[0].info(S)
    assert info is not None
    assert info.streams["main"] == sum(len(items) for b in results.values() for _, items in b)


async def test_one_store_from_many_threads_and_loops(store: ConversationStore) -> None:
    """Threads each running their own loops (and a second loop after the first closed)."""
    results: dict[str, list[tuple[list[int], list[Any]]]] = {}
    errors: list[BaseException] = []

    async def write(name: str, count: int) -> None:
        for i in range(count):
            items = [{"w": name, "i": i}]
            results[name].append((await store.append(S, items), items))
            assert await store.read(S, limit=1)
            await asyncio.sleep(0)

    def thread_main(name: str) -> None:
        try:
            results[name] = []
            asyncio.run(write(name, 5))
            asyncio.run(write(name, 5))  # a fresh loop after the first one was closed
            asyncio.run(store.put_doc(S, f"doc-{name}", name))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=thread_main, args=(f"t{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    results["main"] = []
    await write("main", 5)
    for thread in threads:
        await asyncio.to_thread(thread.join, 60)
    assert not errors, errors
    await _check_writers(store, S, results)
    assert await store.list_docs(S) == ["doc-t0", "doc-t1"]
    assert await store.append(S, [{"w": "after"}]) == [26]


CHILD_SCRIPT = """
import asyncio, json, sys
from sessions_plus import open_store

async def main(url, sid, writer, batches):
    store = open_store(url)
    try:
        for b in range(batches):
            items = [{"w": writer, "b": b, "k": 0}, {"w": writer, "b": b, "k": 1}]
            print(json.dumps(await store.append(sid, items)), flush=True)
    finally:
        await store.aclose()

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
"""


async def test_processes_append_to_one_session(cross_process_factory: StoreFactory) -> None:
    store_factory = cross_process_factory
    sid = "proc {1}:é/x"
    url = store_factory.url()
    children = [await start_python(CHILD_SCRIPT, url, sid, f"p{n}", "6") for n in range(4)]
    results: dict[str, list[tuple[list[int], list[Any]]]] = {}
    for n, child in enumerate(children):
        name = f"p{n}"
        lines = (await output_of(child)).splitlines()
        results[name] = [
            (json.loads(line), [{"w": name, "b": b, "k": 0}, {"w": name, "b": b, "k": 1}])
            for b, line in enumerate(lines)
        ]
        assert len(results[name]) == 6
    await _check_writers(store_factory(), sid, results)
