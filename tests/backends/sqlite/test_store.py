"""SQLite-specific behaviour: processes sharing a file, kills, schema versions, query plans,
file modes, TTL bookkeeping, locking, URLs and lifecycle."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sessions_plus import (
    ConfigurationError,
    CorruptRecordError,
    StoreClosedError,
    StoreUnavailableError,
    open_store,
)
from sessions_plus.backends.sqlite import SQLiteStore
from sessions_plus.backends.sqlite.schema import SCHEMA_VERSION, Tables, migrate, schema_version
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


def run_python(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


def raw(path: Path) -> sqlite3.Connection:
    """A plain connection to inspect or tamper with the file behind the store's back."""
    return sqlite3.connect(path, isolation_level=None)


# ------------------------------------------------------------------ many processes, one file


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


# ------------------------------------------------------------------ schema versions


async def test_an_older_schema_is_migrated_and_keeps_its_data(db: Path) -> None:
    tables = Tables("sessions_plus")
    conn = raw(db)
    conn.execute("BEGIN IMMEDIATE")
    migrate(conn, tables, target=1)  # what the first release wrote
    conn.execute(
        f"INSERT INTO {tables.sessions} (session_id, created_at, updated_at, expires_at, streams)"
        " VALUES ('old', 1.0, 1.0, NULL, '{\"main\": 1}')"
    )
    conn.execute(
        f"INSERT INTO {tables.records} VALUES (1, 'main', 1, 1.0, NULL, NULL, ?)",
        (b'{"kept":true}',),
    )
    conn.execute("COMMIT")
    assert schema_version(conn, tables) == 1

    async with SQLiteStore(db) as store:
        assert [(r.seq, r.data) for r in await store.read("old")] == [(1, {"kept": True})]
        assert await store.append("old", ["new"]) == [2]
    assert schema_version(conn, tables) == SCHEMA_VERSION
    index = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (tables.expiry_index,)
    ).fetchone()
    assert index is not None
    conn.close()


async def test_a_newer_schema_is_refused_and_left_untouched(db: Path) -> None:
    async with SQLiteStore(db) as store:
        await store.append("s", ["x"])
    tables = Tables("sessions_plus")
    conn = raw(db)
    conn.execute(f"UPDATE {tables.meta} SET value = ?", (SCHEMA_VERSION + 1,))
    before = conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()

    store = SQLiteStore(db)
    with pytest.raises(ConfigurationError, match="newer"):
        await store.read("s")
    with pytest.raises(ConfigurationError, match="newer"):
        await store.append("s", ["y"])
    await store.aclose()
    assert schema_version(conn, tables) == SCHEMA_VERSION + 1
    assert conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == before
    assert conn.execute(f"SELECT count(*) FROM {tables.records}").fetchone() == (1,)
    conn.close()


async def test_prefixes_are_independent_stores_in_one_file(db: Path) -> None:
    async with SQLiteStore(db) as a, SQLiteStore(db, table_prefix="other") as b:
        await a.append("s", ["a"])
        await b.append("s", ["b1", "b2"])
        assert [r.data for r in await a.read("s")] == ["a"]
        assert [r.data for r in await b.read("s")] == ["b1", "b2"]
    tables = {row[0] for row in raw(db).execute("SELECT name FROM sqlite_master")}
    assert {"sessions_plus_records", "other_records", "other_meta"} <= tables


@pytest.mark.parametrize("prefix", ["", "1abc", "a-b", "x; DROP TABLE y", "sqlite_x", "a" * 49, 7])
def test_table_prefix_must_be_an_identifier(prefix: Any) -> None:
    with pytest.raises(ConfigurationError, match="table_prefix"):
        SQLiteStore(table_prefix=prefix)


# ------------------------------------------------------------------ query plans


def _plan(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> str:
    return " | ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))


def _steps(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> int:
    """How many SQLite VM instructions a statement runs: its cost, without a clock."""
    count = 0

    def tick() -> int:
        nonlocal count
        count += 1
        return 0

    conn.set_progress_handler(tick, 1)
    try:
        conn.execute(sql, params).fetchall()
    finally:
        conn.set_progress_handler(None, 1)
    return count


async def test_latest_n_reads_go_through_the_index_and_cost_o_limit(db: Path) -> None:
    async with SQLiteStore(db) as store:
        await store.append("small", [{"i": i} for i in range(10)])
        await store.append("large", [{"i": i} for i in range(10_000)])
        await store.append("large", ["x"], stream="other")
        sql = store._sql
    conn = raw(db)
    now = time.time()
    for statement in (sql.read_desc, sql.read_asc):
        plan = _plan(conn, statement, ("large", now, "main", 0, 2**63 - 1, 5))
        assert "USING PRIMARY KEY (sid=? AND stream=? AND seq>? AND seq<?)" in plan, plan
        assert "SCAN" not in plan and "TEMP B-TREE" not in plan, plan
    for statement in (sql.info, sql.get_doc, sql.list_sessions, sql.doc_names):
        params = (*("x",) * (statement.count("?") - 1), 5)
        plan = _plan(conn, statement, params)
        assert "SCAN" not in plan and "TEMP B-TREE" not in plan, (statement, plan)
    purge = _plan(conn, sql.purge_sessions, (now,))
    assert "sessions_by_expiry" in purge, purge

    latest = [
        _steps(conn, sql.read_desc, (s, now, "main", 0, 2**63 - 1, 5)) for s in ("small", "large")
    ]
    assert latest[0] == latest[1], latest  # the same work on 10 and 10,000 records
    page = [
        _steps(conn, sql.read_asc, (s, now, "main", 3, 2**63 - 1, 5)) for s in ("small", "large")
    ]
    assert page[0] == page[1], page
    conn.close()


# ------------------------------------------------------------------ file modes


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


# ------------------------------------------------------------------ TTL bookkeeping


def _expire(db: Path, session_id: str) -> None:
    conn = raw(db)
    conn.execute(
        "UPDATE sessions_plus_sessions SET expires_at = ? WHERE session_id = ?",
        (time.time() - 1, session_id),
    )
    conn.close()


def _rows(db: Path) -> dict[str, int]:
    conn = raw(db)
    counts = {
        table: conn.execute(f"SELECT count(*) FROM sessions_plus_{table}").fetchone()[0]
        for table in ("sessions", "records", "docs")
    }
    conn.close()
    return counts


async def test_expired_sessions_are_invisible_before_purge_and_gone_after(db: Path) -> None:
    async with SQLiteStore(db, ttl=3600) as store:
        for sid in ("a", "b"):
            await store.append(sid, [1, 2])
            await store.put_doc(sid, "d", {"v": sid})
        _expire(db, "a")
        assert await store.read("a") == []
        assert await store.read("a", limit=1) == []
        assert await store.info("a") is None
        assert await store.get_doc("a", "d") is None
        assert await store.list_docs("a") == []
        assert await store.last_seq("a") == 0
        page = await store.list_sessions()
        assert [s.session_id for s in page.sessions] == ["b"]
        assert _rows(db) == {"sessions": 2, "records": 4, "docs": 2}  # only filtered so far

        assert await store.purge_expired() == 1
        assert _rows(db) == {"sessions": 1, "records": 2, "docs": 1}
        assert await store.purge_expired() == 0
        assert [r.data for r in await store.read("b")] == [1, 2]


async def test_a_write_to_an_expired_session_deletes_it_in_the_same_transaction(db: Path) -> None:
    async with SQLiteStore(db, ttl=3600) as store:
        await store.append("a", [1, 2, 3])
        await store.put_doc("a", "d", "old")
        _expire(db, "a")
        assert await store.append("a", ["fresh"]) == [1]
        assert _rows(db) == {"sessions": 1, "records": 1, "docs": 0}
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


# ------------------------------------------------------------------ errors


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


# ------------------------------------------------------------------ URLs


def test_url_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for url in ("sqlite://:memory:", "sqlite:///:memory:"):
        store = open_store(url)
        assert isinstance(store, SQLiteStore) and store.path == ":memory:"
        store.close()

    monkeypatch.chdir(tmp_path)
    relative = open_store("sqlite:///rel.db")
    assert isinstance(relative, SQLiteStore) and relative.path == "rel.db"
    asyncio.run(relative.append("s", [1]))
    relative.close()
    assert (tmp_path / "rel.db").is_file()

    absolute = open_store(f"sqlite:///{tmp_path}/sub%20dir.db")
    assert isinstance(absolute, SQLiteStore) and absolute.path == f"{tmp_path}/sub dir.db"
    absolute.close()

    url = (
        f"sqlite:///{tmp_path}/o.db?ttl=60&refresh_on_read=true&busy_timeout=2.5"
        "&table_prefix=app&on_corrupt=skip&max_record_bytes=1000&synchronous=full"
    )
    store = open_store(url)
    assert isinstance(store, SQLiteStore)
    assert (store.ttl, store.refresh_on_read, store.busy_timeout) == (60.0, True, 2.5)
    assert (store.tables.prefix, store.on_corrupt, store.codec.max_record_bytes) == (
        "app",
        "skip",
        1000,
    )
    assert store.synchronous == "full"
    store.close()
    override = open_store(f"sqlite:///{tmp_path}/o.db?ttl=60", ttl=5)
    assert override.ttl == 5.0
    asyncio.run(override.aclose())


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("sqlite:///x.db?bogus=1", "unknown option"),
        ("sqlite:///x.db?table_prefix=bad-name", "table_prefix"),
        ("sqlite:///x.db?busy_timeout=soon", "busy_timeout"),
        ("sqlite:///x.db?synchronous=off", "synchronous"),
        ("sqlite://host/x.db", "no host"),
        ("sqlite://", "no path"),
        ("sqlite:///", "no path"),
    ],
)
def test_bad_urls_raise_configuration_error(url: str, match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        open_store(url)


# ------------------------------------------------------------------ lifecycle


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
