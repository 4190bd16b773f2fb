"""The store's operations on the file: TTL bookkeeping, corrupt payloads, retention rows,
whole-session transactions, purge batches."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from sessions_plus import CorruptRecordError, StoreUnavailableError
from sessions_plus.backends.sqlite import SQLiteStore
from sessions_plus.backends.sqlite import store as sqlite_store
from tests.backends.sqlite.helpers import expire, raw, rows


async def test_expired_sessions_are_invisible_before_purge_and_gone_after(db: Path) -> None:
    async with SQLiteStore(db, ttl=3600) as store:
        for sid in ("a", "b"):
            await store.append(sid, [1, 2])
            await store.put_doc(sid, "d", {"v": sid})
        expire(db, "a")
        assert await store.read("a") == []
        assert await store.read("a", limit=1) == []
        assert await store.info("a") is None
        assert await store.get_doc("a", "d") is None
        assert await store.list_docs("a") == []
        assert await store.last_seq("a") == 0
        page = await store.list_sessions()
        assert [s.session_id for s in page.sessions] == ["b"]
        assert rows(db) == {"sessions": 2, "records": 4, "docs": 2}  # only filtered so far

        assert await store.purge_expired() == 1
        assert rows(db) == {"sessions": 1, "records": 2, "docs": 1}
        assert await store.purge_expired() == 0
        assert [r.data for r in await store.read("b")] == [1, 2]


async def test_a_write_to_an_expired_session_deletes_it_in_the_same_transaction(db: Path) -> None:
    async with SQLiteStore(db, ttl=3600) as store:
        await store.append("a", [1, 2, 3])
        await store.put_doc("a", "d", "old")
        expire(db, "a")
        assert await store.append("a", ["fresh"]) == [1]
        assert rows(db) == {"sessions": 1, "records": 1, "docs": 0}
        assert await store.get_doc("a", "d") is None
        info = await store.info("a")
        assert info is not None and dict(info.streams) == {"main": 1}
        assert info.expires_at is not None and info.expires_at > time.time() + 3000


async def test_refresh_on_read_slides_expiry(db: Path) -> None:
    async with SQLiteStore(db, ttl=3600, refresh_on_read=True) as store:
        await store.append("a", [1])
        conn = raw(db)
        soon = time.time() + 5
        conn.execute("UPDATE sessions_plus_sessions SET expires_at = ?", (soon,))
        assert [r.data for r in await store.read("a", limit=1)] == [1]
        (expires_at,) = conn.execute("SELECT expires_at FROM sessions_plus_sessions").fetchone()
        assert expires_at > soon + 3000
        conn.close()


async def test_corrupt_payload_names_the_record(db: Path) -> None:
    async with SQLiteStore(db) as store:
        await store.append("s", [1, 2, 3])
        conn = raw(db)
        conn.execute("UPDATE sessions_plus_records SET payload = x'ff00' WHERE seq = 2")
        conn.close()
        with pytest.raises(CorruptRecordError) as caught:
            await store.read("s")
        assert (caught.value.session_id, caught.value.seq) == ("s", 2)
    async with SQLiteStore(db, on_corrupt="skip") as skipping:
        assert [r.seq for r in await skipping.read("s")] == [1, 3]


# ------------------------------------------------------------------ retention


def _stored(db: Path, session_id: str) -> tuple[Any, list[tuple[str, int]]]:
    """The session row's ``streams`` column and the (stream, seq) of its record rows."""
    conn = raw(db)
    (sid, streams) = conn.execute(
        "SELECT sid, streams FROM sessions_plus_sessions WHERE session_id = ?", (session_id,)
    ).fetchone()
    keys = conn.execute(
        "SELECT stream, seq FROM sessions_plus_records WHERE sid = ? ORDER BY stream, seq", (sid,)
    ).fetchall()
    conn.close()
    return json.loads(streams), keys


async def test_max_records_and_trim_leave_exactly_the_kept_rows(db: Path) -> None:
    async with SQLiteStore(db, max_records=3) as store:
        await store.append("s", list(range(10)))  # rows past the bound are never inserted
        assert _stored(db, "s") == ({"main": [8, 10]}, [("main", 8), ("main", 9), ("main", 10)])
        await store.append("s", ["x"])
        assert _stored(db, "s")[0] == {"main": [9, 11]}
        await store.trim("s", keep_last=0)
        assert _stored(db, "s") == ({"main": [12, 11]}, [])  # empty, remembering its last seq
        assert await store.splice("s", 5, ["a", "b"]) == [5, 6]  # back before the trim
        assert _stored(db, "s") == ({"main": [5, 6]}, [("main", 5), ("main", 6)])
        await store.splice("s", 1, [])
        assert _stored(db, "s") == ({}, [])  # emptied back to seq 1: forgotten


# ------------------------------------------------------------------ whole sessions


def _statements(conn: sqlite3.Connection) -> list[str]:
    """Start recording the statements a connection runs."""
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    return seen


async def test_fork_is_one_transaction_that_copies_inside_the_file(db: Path) -> None:
    async with SQLiteStore(db) as store:
        await store.append("src", ["a", "b", "c"])
        await store.append("src", ["t"], stream="trace")
        await store.put_doc("src", "d", 1)
        assert store._db.writer is not None
        seen = _statements(store._db.writer)
        await store.fork("src", "dst")
        assert seen[0] == "BEGIN IMMEDIATE" and seen[-1] == "COMMIT"
        assert "BEGIN IMMEDIATE" not in seen[1:] and "COMMIT" not in seen[:-1]
        assert sum("INSERT INTO sessions_plus_records" in s and "SELECT" in s for s in seen) == 2
        assert not any("SELECT stream, seq, payload" in s for s in seen)  # nothing read out

        # A failure half way leaves no trace of the target, and the source as it was.
        store._sql.copy_docs = "INSERT INTO no_such_table SELECT ?, ?"
        with pytest.raises(StoreUnavailableError):
            await store.fork("src", "half")
        assert await store.info("half") is None
        assert [r.data for r in await store.read("src")] == ["a", "b", "c"]


async def test_restore_is_all_or_nothing(db: Path) -> None:
    async with SQLiteStore(db) as store:
        await store.append("src", ["a", "b"])
        await store.put_doc("src", "d", 1)
        snapshot = await store.snapshot("src")
        assert snapshot is not None
        store._sql.put_doc = "INSERT INTO no_such_table VALUES (?, ?, ?)"
        with pytest.raises(StoreUnavailableError):
            await store.restore(snapshot, session_id="copy")
        assert await store.info("copy") is None
        assert rows(db) == {"sessions": 1, "records": 2, "docs": 1}


async def test_a_snapshot_is_one_read_transaction(db: Path) -> None:
    async with SQLiteStore(db) as store:
        await store.append("s", ["a", "b"])
        await store.put_doc("s", "d", 1)
        seen: list[list[str]] = []
        connect = store._db._connect

        def traced(*, read_only: bool = False) -> sqlite3.Connection:
            conn = connect(read_only=read_only)
            seen.append(_statements(conn))
            return conn

        store._db._connect = traced  # type: ignore[method-assign]
        for conn in store._db.readers:
            seen.append(_statements(conn))
        snapshot = await store.snapshot("s")
        assert snapshot is not None and len(snapshot.streams["main"].records) == 2
        (used,) = [statements for statements in seen if "BEGIN" in statements]
        begin = used.index("BEGIN")
        assert used[begin:] == ["BEGIN", *used[begin + 1 : begin + 4], "COMMIT"], used


# ------------------------------------------------------------------ purge


async def test_purge_deletes_in_short_batches_and_counts_exactly(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_store, "PURGE_BUDGET", 0.0)  # one chunk per transaction
    monkeypatch.setattr(sqlite_store, "PURGE_CHUNK", 3)
    async with SQLiteStore(db, ttl=3600) as store:
        for n in range(10):
            await store.append(f"old{n}", [n, n])
            await store.put_doc(f"old{n}", "d", n)
            expire(db, f"old{n}")
        await store.append("live", ["kept"])
        assert store._db.writer is not None
        seen = _statements(store._db.writer)
        assert await store.purge_expired() == 10
        assert seen.count("BEGIN IMMEDIATE") == 4  # 3 + 3 + 3 + 1: the lock is let go between
        assert rows(db) == {"sessions": 1, "records": 1, "docs": 0}
        assert await store.purge_expired() == 0
        assert [r.data for r in await store.read("live")] == ["kept"]
