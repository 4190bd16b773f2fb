"""Connections: file modes, locking, unusable paths, options, closing from any thread or loop."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sessions_plus import (
    ConfigurationError,
    ReadOnlyStoreError,
    StoreClosedError,
    StoreNotFoundError,
    StoreUnavailableError,
    open_store,
)
from sessions_plus.backends.sqlite import SQLiteStore
from tests.backends.sqlite.helpers import assert_only_sqlite_companions, digest, files, raw
from tests.fixtures.stores.sqlite import sqlite_url


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0)  # the most permissive umask: the store must not rely on the caller's
    try:
        yield
    finally:
        os.umask(old)


async def test_files_are_created_private(db: Path, open_umask: None) -> None:
    async with SQLiteStore(db) as store:
        await store.append("s", ["secret"])
        await store.read("s")
        names = sorted(p.name for p in db.parent.iterdir())
        assert names == ["store.db", "store.db-shm", "store.db-wal"]
        for path in db.parent.iterdir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


async def test_a_locked_database_raises_store_unavailable_then_recovers(db: Path) -> None:
    async with SQLiteStore(db) as setup:
        await setup.append("s", ["before"])
    blocker = raw(db)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        store = SQLiteStore(db, busy_timeout=0.05)
        with pytest.raises(StoreUnavailableError, match="locked"):
            await store.append("s", ["blocked"])  # the first use must create its schema
    finally:
        blocker.execute("ROLLBACK")
    assert await store.append("s", ["after"]) == [2]  # the same object works once unlocked
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreUnavailableError, match="locked"):
            await store.append("s", ["blocked"])
        # WAL readers are not blocked by a writer.
        assert [r.data for r in await store.read("s")] == ["before", "after"]
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert await store.append("s", ["again"]) == [3]
    await store.aclose()


async def test_unusable_paths_raise_clear_errors(tmp_path: Path) -> None:
    missing = SQLiteStore(tmp_path / "no" / "such" / "dir.db")
    with pytest.raises(ConfigurationError, match="cannot open or create"):
        await missing.append("s", [1])
    await missing.aclose()

    directory = SQLiteStore(tmp_path)
    with pytest.raises(ConfigurationError, match="cannot open or create"):
        await directory.read("s")
    await directory.aclose()

    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    store = SQLiteStore(garbage)
    with pytest.raises(ConfigurationError, match="not a usable SQLite database"):
        await store.append("s", [1])
    await store.aclose()


@pytest.mark.parametrize("value", [-1, float("nan"), "5", True])
def test_busy_timeout_is_validated(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="busy_timeout"):
        SQLiteStore(busy_timeout=value)


async def test_memory_store_is_shared_across_threads_and_loops() -> None:
    store = SQLiteStore()

    def worker(n: int) -> None:
        asyncio.run(store.append("s", [n]))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.data for r in await store.read("s")) == [0, 1, 2, 3]
    await store.aclose()


async def test_sync_close_from_another_thread_closes_every_connection(db: Path) -> None:
    store = SQLiteStore(db)
    await asyncio.gather(*(store.read("s") for _ in range(8)), store.append("s", [1]))
    connections = [*store._db.readers, store._db.writer]
    assert len(connections) >= 2
    await asyncio.to_thread(store.close)
    assert store.closed
    for conn in connections:
        assert conn is not None
        with pytest.raises(sqlite3.ProgrammingError):
            conn.execute("SELECT 1")
    with pytest.raises(StoreClosedError):
        await store.read("s")
    store.close()  # idempotent
    await store.aclose()


async def test_aclose_on_another_loop_than_the_one_that_used_it(db: Path) -> None:
    store = SQLiteStore(db)
    await store.append("s", [1])
    await asyncio.to_thread(asyncio.run, store.aclose())
    assert store.closed
    with pytest.raises(StoreClosedError):
        await store.append("s", [2])


# ------------------------------------------------------------------ read-only stores


async def _every_read(store: SQLiteStore) -> list[Any]:
    """Run each kind of read; return what each raised (or returned)."""
    outcomes: list[Any] = []
    for read in (
        store.read("s"),
        store.read_data("s", limit=2),
        store.get_doc("s", "d"),
        store.list_docs("s"),
        store.info("s"),
        store.last_seq("s"),
        store.snapshot("s"),
        store.list_sessions(),
        store.list_sessions(prefix="s"),
    ):
        try:
            outcomes.append(await read)
        except Exception as exc:
            outcomes.append(exc)
    return outcomes


@pytest.mark.parametrize("how", ["constructor", "url", "open_store"])
async def test_a_read_only_store_of_a_missing_file_creates_nothing(db: Path, how: str) -> None:
    if how == "constructor":
        store: Any = SQLiteStore(db, read_only=True)
    elif how == "url":
        store = open_store(sqlite_url(db, read_only="true"))
    else:
        store = open_store(sqlite_url(db), read_only=True)
    assert store.read_only is True
    for outcome in await _every_read(store):
        assert isinstance(outcome, StoreNotFoundError), outcome
        assert str(db) in str(outcome) and "does not exist" in str(outcome)
    with pytest.raises(ReadOnlyStoreError):
        await store.append("s", ["x"])
    await store.aclose()
    assert files(db.parent) == []  # no file, no -wal, no -shm


async def test_a_read_only_store_of_a_directory_or_a_file_without_tables(tmp_path: Path) -> None:
    with pytest.raises(StoreNotFoundError, match="is not a file"):
        await SQLiteStore(tmp_path, read_only=True).read("s")
    other = tmp_path / "other.db"
    conn = raw(other)
    conn.execute("CREATE TABLE unrelated (x)")
    conn.close()
    before = digest(other)
    store = SQLiteStore(other, read_only=True)
    for outcome in await _every_read(store):
        assert isinstance(outcome, StoreNotFoundError), outcome
        assert "no sessions-plus tables sessions_plus_*" in str(outcome)
    await store.aclose()
    assert digest(other) == before
    tables = [row[0] for row in raw(other).execute("SELECT name FROM sqlite_master")]
    assert tables == ["unrelated"]


async def test_a_read_only_store_reads_live_writes_and_changes_no_byte(tmp_path: Path) -> None:
    db = tmp_path / "odd name?#%.db"  # characters a file: URI must quote
    async with SQLiteStore(db, ttl=3600) as writer:
        await writer.append("s", ["a", "b"])
        await writer.put_doc("s", "d", {"k": 1})
    before, names = digest(db), files(tmp_path)
    reader = SQLiteStore(db, read_only=True, ttl=3600, refresh_on_read=True)
    outcomes = await _every_read(reader)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert [r.data for r in await reader.read("s")] == ["a", "b"]
    info = await reader.info("s")
    assert info is not None and info.ranges["main"].last == 2
    await reader.aclose()
    assert digest(db) == before  # not a byte of the database changed: no TTL slid
    assert_only_sqlite_companions(db, names)

    # A reader opened while a writer works sees each commit (it can follow a live session).
    writer = SQLiteStore(db)
    follower = SQLiteStore(db, read_only=True)
    assert len(await follower.read("s")) == 2
    for n in range(3):
        await writer.append("s", [n])
        assert (await follower.read("s", limit=1))[0].data == n
    conn = follower._db.readers[0]
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        conn.execute("PRAGMA query_only = OFF")  # opened read-only by SQLite, not by a pragma
        conn.execute("CREATE TABLE sneaky (x)")
    await follower.aclose()
    await writer.aclose()


async def test_a_read_only_memory_store_is_empty_and_refuses_writes() -> None:
    store = SQLiteStore(read_only=True)
    assert await store.read("s") == [] and await store.info("s") is None
    assert (await store.list_sessions()).sessions == []
    with pytest.raises(ReadOnlyStoreError):
        await store.put_doc("s", "d", 1)
    await store.aclose()
