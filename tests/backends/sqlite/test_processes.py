"""Many processes sharing one file: concurrent writers, a writer killed mid-batch, reopening."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sessions_plus.backends.sqlite import SQLiteStore
from tests.backends.sqlite.helpers import raw, run_python
from tests.fixtures.processes import child_env
from tests.fixtures.stores.sqlite import sqlite_url

WRITER = """
import asyncio, json, os, sys, time
from sessions_plus import open_store

async def main(url, sid, writer, count, go):
    store = open_store(url)
    await store.info(sid)  # connected, schema made
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.001)
    seqs = []
    for i in range(count):
        seqs += await store.append(sid, [{"w": writer, "i": i}])
    await store.aclose()
    print(json.dumps(seqs))

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]))
"""

BIG_BATCHES = """
import asyncio, sys, time
from sessions_plus import open_store

async def main(url, size, hold):
    store = open_store(url)
    insert = store._insert

    def insert_then_hold(*args):
        insert(*args)  # every row of the batch is written, nothing committed yet
        if hold and args[3] > 1:
            print("holding", flush=True)
            time.sleep(60)

    store._insert = insert_then_hold
    await store.append("warm", [0])
    print("ready", flush=True)
    batch = 0
    while True:
        items = [{"batch": batch, "i": i, "pad": "x" * 1000} for i in range(size)]
        await store.append("big", items)
        batch += 1

asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3] == "hold"))
"""

SCRIPT = """
import asyncio, json, sys
from sessions_plus import open_store

async def main(url):
    async with open_store(url) as store:
        before = [(r.seq, r.data) for r in await store.read("reopen")]
        await store.append("reopen", [{"from": "child"}])
        doc = await store.get_doc("reopen", "meta")
        print(json.dumps({"before": before, "doc": doc}))

asyncio.run(main(sys.argv[1]))
"""


async def test_four_processes_append_to_one_session(db: Path) -> None:
    go = db.parent / "go"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, sqlite_url(db), "shared", f"w{n}", "200", str(go)],
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    for child in children:  # start them together, for as much contention as possible
        assert child.stdout is not None
        assert await asyncio.to_thread(child.stdout.readline) == "ready\n"
    go.touch()
    claimed: dict[str, list[int]] = {}
    for n, child in enumerate(children):
        out, err = await asyncio.to_thread(child.communicate, timeout=120)
        assert child.returncode == 0, err
        claimed[f"w{n}"] = json.loads(out)

    async with SQLiteStore(db) as store:
        records = await store.read("shared")
        assert [r.seq for r in records] == list(range(1, 801))  # gap-free, nothing lost
        assert await store.last_seq("shared") == 800
    seen = {(r.data["w"], r.data["i"]) for r in records}
    assert len(seen) == 800  # nothing duplicated
    for writer, seqs in claimed.items():
        mine = [r for r in records if r.data["w"] == writer]
        assert [r.data["i"] for r in mine] == list(range(200))  # each writer's order kept
        assert [r.seq for r in mine] == seqs  # the seqs append returned are where they landed


@pytest.mark.parametrize("when", ["hold", "anywhere"])
async def test_writer_killed_mid_append_leaves_whole_batches(db: Path, when: str) -> None:
    """SIGKILL a writer of ~3 MB batches (more than the page cache, so uncommitted pages spill
    into the WAL): once while it holds a batch fully inserted but not committed, once at
    whatever point it reached after a while."""
    size = 3000
    child = subprocess.Popen(
        [sys.executable, "-c", BIG_BATCHES, sqlite_url(db), str(size), when],
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert await asyncio.to_thread(child.stdout.readline) == "ready\n"
        if when == "hold":
            assert await asyncio.to_thread(child.stdout.readline) == "holding\n"
        else:
            await asyncio.sleep(0.8)  # some batches in; the child is almost always mid-append
    finally:
        os.kill(child.pid, signal.SIGKILL)
        await asyncio.to_thread(child.wait, 30)
    assert child.returncode == -signal.SIGKILL

    conn = raw(db)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()
    async with SQLiteStore(db) as store:
        records = await store.read("big")
        if when == "hold":
            assert len(records) == size  # batch 0 whole, batch 1 not at all
        assert len(records) % size == 0
        assert [r.seq for r in records] == list(range(1, len(records) + 1))
        for r in records:
            batch, i = divmod(r.seq - 1, size)
            assert (r.data["batch"], r.data["i"]) == (batch, i)
        # The file takes new writes at once, continuing after the last whole batch.
        assert await store.append("big", [{"after": True}]) == [len(records) + 1]


async def test_a_fresh_process_reads_what_an_earlier_one_wrote(db: Path) -> None:
    async with SQLiteStore(db) as store:
        await store.append("reopen", [{"n": 1}, {"n": 2}])
        await store.put_doc("reopen", "meta", {"title": "t"})
    out = json.loads(await asyncio.to_thread(run_python, SCRIPT, sqlite_url(db)))
    assert out == {"before": [[1, {"n": 1}], [2, {"n": 2}]], "doc": {"title": "t"}}
    async with SQLiteStore(db) as store:
        assert [r.data for r in await store.read("reopen")] == [
            {"n": 1},
            {"n": 2},
            {"from": "child"},
        ]
