"""Many tasks, stores and processes writing one session at once, on both topologies."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tests.fixtures.factory import StoreFactory
from tests.fixtures.processes import output_of, start_python

CHILD = """
import asyncio, json, sys
from sessions_plus import open_store

async def main(url, sid, writer):
    store = open_store(url)
    out = []
    for b in range(8):
        items = [{"w": writer, "b": b, "k": 0}, {"w": writer, "b": b, "k": 1}]
        out.append(await store.append(sid, items))
    await store.aclose()
    print(json.dumps(out))

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
"""


async def test_tasks_and_processes_append_at_once(any_factory: StoreFactory) -> None:
    """32 tasks on two stores and 4 processes write one session at the same time."""
    sid = "shared {conversation}: é"
    procs = [await start_python(CHILD, any_factory.url(), sid, f"p{n}") for n in range(4)]
    stores = [any_factory(), any_factory()]
    expected: dict[str, list[Any]] = {}
    assigned: dict[int, Any] = {}

    async def task(index: int) -> None:
        name = f"t{index}"
        expected[name] = []
        for b in range(4):
            items = [{"w": name, "b": b, "k": k} for k in range(1 + (index + b) % 3)]
            seqs = await stores[index % 2].append(sid, items)
            assert seqs == list(range(seqs[0], seqs[0] + len(items)))
            for seq, item in zip(seqs, items, strict=True):
                assert seq not in assigned
                assigned[seq] = item
            expected[name] += items

    await asyncio.gather(*(task(i) for i in range(32)))
    for n, proc in enumerate(procs):
        out = await output_of(proc)
        name = f"p{n}"
        expected[name] = []
        for b, seqs in enumerate(json.loads(out)):
            items = [{"w": name, "b": b, "k": 0}, {"w": name, "b": b, "k": 1}]
            assert seqs == [seqs[0], seqs[0] + 1]
            for seq, item in zip(seqs, items, strict=True):
                assert seq not in assigned
                assigned[seq] = item
            expected[name] += items
    records = await stores[0].read(sid)
    assert [r.seq for r in records] == list(range(1, len(assigned) + 1))
    assert all(r.data == assigned[r.seq] for r in records)
    for name, items in expected.items():
        assert [r.data for r in records if r.data["w"] == name] == items, name
