"""Faults: a Redis server killed and restarted mid-workload, writers killed mid-append.

DynamoDB throttling and 5xx answers are in ``test_dynamodb_faults.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from integrations.redis.servers import command, free_port, redis_server_binary
from sessions_plus import ConversationStore, EncryptedStore, StoreUnavailableError, open_store
from tests.fixtures.factory import StoreFactory

from ._workers import BATCH, append_forever

BOUND = 30.0
"""Seconds any single operation may take, outage or not, before the test calls it a hang."""

WRITERS = 4


class DurableRedis:
    """A redis-server with an fsync-always append-only file, killable and restartable in place."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [
            redis_server_binary(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "yes",
            "--appendfsync", "always",
            "--dir", str(self.workdir),
            "--logfile", str(self.workdir / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if command(self.port, "PING") == b"+PONG":
                    return
            time.sleep(0.02)
        raise RuntimeError(
            f"redis-server did not start: {(self.workdir / 'redis.log').read_text()}"
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown, no final fsync, no goodbye to clients."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.process = None

    def close(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def durable_redis(tmp_path: Path) -> Iterator[DurableRedis]:
    server = DurableRedis(tmp_path)
    server.start()
    yield server
    server.close()


async def until(predicate: Any, what: str, timeout: float = BOUND) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def check_whole_batches(records: list[Any], size: int, key: str) -> list[tuple[Any, Any]]:
    """The stream is gap-free and a concatenation of whole batches; return the batch ids."""
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    assert len(records) % size == 0, f"{len(records)} records is not whole batches of {size}"
    batches = []
    for start in range(0, len(records), size):
        chunk = [r.data for r in records[start : start + size]]
        ident = (chunk[0][key], chunk[0]["b"])
        assert chunk == [{key: ident[0], "b": ident[1], "k": k} for k in range(size)], chunk
        batches.append(ident)
    assert len(set(batches)) == len(batches), "a batch was applied twice"
    return batches


async def test_redis_killed_and_restarted_mid_workload(durable_redis: DurableRedis) -> None:
    """Outage -> StoreUnavailableError in bounded time; the same store recovers; no half batch."""
    store = open_store(durable_redis.url, key_prefix="faults")
    sid = "restart:{me}"
    phase = "before"
    acked: dict[int, list[tuple[int, str]]] = {w: [] for w in range(WRITERS)}
    failed: dict[int, list[int]] = {w: [] for w in range(WRITERS)}
    stop = asyncio.Event()

    async def writer(w: int) -> None:
        b = 0
        while not stop.is_set():
            items = [{"w": w, "b": b, "k": k} for k in range(3)]
            try:
                await asyncio.wait_for(store.append(sid, items), BOUND)
                acked[w].append((b, phase))
            except StoreUnavailableError:
                failed[w].append(b)
                await asyncio.sleep(0.01)
            b += 1

    async with store:
        tasks = [asyncio.create_task(writer(w)) for w in range(WRITERS)]
        try:
            await until(lambda: all(len(a) >= 5 for a in acked.values()), "first acks")
            durable_redis.kill()
            phase = "outage"
            await until(lambda: all(len(f) >= 2 for f in failed.values()), "outage errors")
            for call in (store.read(sid, limit=5), store.info(sid), store.pop(sid, stream="x")):
                with pytest.raises(StoreUnavailableError):
                    await asyncio.wait_for(call, BOUND)
            durable_redis.start()  # same port, same files; its script cache is empty
            phase = "after"
            await until(
                lambda: all(sum(p == "after" for _, p in a) >= 5 for a in acked.values()),
                "acks after the restart",
            )
        finally:
            stop.set()
            await asyncio.gather(*tasks)

        records = await asyncio.wait_for(store.read(sid), BOUND)
        batches = check_whole_batches(records, 3, "w")
        present = set(batches)
        for w in range(WRITERS):
            assert {(w, b) for b, _ in acked[w]} <= present, "an acknowledged batch was lost"
            order = [b for ww, b in batches if ww == w]
            assert order == sorted(order), "a writer's batches were reordered"
        ambiguous = sum(len(f) for f in failed.values())
        print(
            f"redis kill/restart: {len(records)} records in {len(batches)} whole batches, "
            f"{sum(len(a) for a in acked.values())} acknowledged (all present), "
            f"{ambiguous} failed during the outage (each whole or absent), 0 lost"
        )


async def kill_writers_mid_append(factory: StoreFactory, keys: Any) -> None:
    """SIGKILL a writer process while it appends batches, twice: all or nothing, storage opens."""
    url = factory.url()
    sid = "killed-writer"

    def reopen() -> ConversationStore:
        inner = factory.open()
        return EncryptedStore(inner, keys=keys, close_store=False) if keys else inner

    store = reopen()
    ctx = multiprocessing.get_context("spawn")
    for cycle in range(2):
        before = await store.last_seq(sid)
        proc = ctx.Process(target=append_forever, args=(url, sid, cycle, keys), daemon=True)
        proc.start()
        try:
            deadline = time.monotonic() + 60
            while await store.last_seq(sid) < before + BATCH:
                assert proc.is_alive(), "the writer died by itself"
                assert time.monotonic() < deadline, "the writer made no progress"
                await asyncio.sleep(0.02)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.join(10)

    await factory.check_storage(store)
    fresh = reopen()  # a new store object opens the storage cleanly
    records = await fresh.read(sid)
    batches = check_whole_batches(records, BATCH, "t")
    assert {t for t, _ in batches} == {0, 1}
    assert await fresh.append(sid, [{"after": "kill"}]) == [len(records) + 1]


async def test_writer_killed_mid_append_leaves_whole_batches(
    cross_process_factory: StoreFactory,
) -> None:
    await kill_writers_mid_append(cross_process_factory, None)


async def test_encrypted_writer_killed_mid_append_on_sqlite(
    sqlite_file_store_factory: StoreFactory,
) -> None:
    """The same through EncryptedStore (whose appends are if_last_seq + retry) on a file."""
    await kill_writers_mid_append(sqlite_file_store_factory, [("k", EncryptedStore.generate_key())])
