"""Schema versions and table prefixes: migrations, newer files refused, several stores per file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from sessions_plus import ConfigurationError, StreamRange
from sessions_plus.backends.sqlite import SQLiteStore
from sessions_plus.backends.sqlite.schema import SCHEMA_VERSION, Tables, migrate, schema_version
from tests.backends.sqlite.helpers import (
    SCHEMA_V2_FILE,
    assert_only_sqlite_companions,
    digest,
    files,
    raw,
)


@pytest.fixture
def v2_file(db: Path) -> Path:
    """A copy of a file written by the previous release (schema version 2)."""
    shutil.copyfile(SCHEMA_V2_FILE, db)
    conn = raw(db)
    assert schema_version(conn, Tables("sessions_plus")) == 2
    conn.close()
    return db


async def test_a_file_of_the_previous_release_migrates_to_first_and_last_seqs(
    v2_file: Path,
) -> None:
    async with SQLiteStore(v2_file) as store:
        chat = await store.info("chat")
        assert chat is not None
        assert chat.ranges == {"main": StreamRange(1, 2), "trace": StreamRange(1, 2)}
        records = await store.read("chat")
        assert [(r.seq, r.data["role"], r.format, r.author) for r in records] == [
            (1, "user", "openai.responses", None),
            (2, "assistant", None, "bot"),
        ]
        assert await store.get_doc("chat", "state") == {"k": [1, 2]}
        popped = await store.info("popped")
        assert popped is not None and popped.ranges == {}
        expiring = await store.info("expiring")
        assert expiring is not None and expiring.expires_at is not None
        page = await store.list_sessions(prefix="user:1:")
        assert [i.session_id for i in page.sessions] == ["user:1:a", "user:1:b"]
        # The new operations work on migrated data; seqs continue where the old ones ended.
        assert await store.trim("user:1:b", keep_last=1) == 2
        assert await store.append("user:1:b", ["b4"]) == [4]
        info = await store.info("user:1:b")
        assert info is not None and info.ranges["main"] == StreamRange(3, 4)
        await store.fork("chat", "chat-copy", upto=1)
        assert [r.seq for r in await store.read("chat-copy")] == [1]
    conn = raw(v2_file)
    assert schema_version(conn, Tables("sessions_plus")) == SCHEMA_VERSION
    stored = dict(conn.execute("SELECT session_id, streams FROM sessions_plus_sessions"))
    assert json.loads(stored["chat"]) == {"main": [1, 2], "trace": [1, 2]}
    assert json.loads(stored["popped"]) == {}
    (table,) = conn.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'sessions_plus_records'"
    ).fetchone()
    assert "rid INTEGER PRIMARY KEY" in table and "WITHOUT ROWID" not in table
    index = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'sessions_plus_records_by_key'"
    ).fetchone()
    assert index is not None
    migrated = conn.execute(  # the 9 records of the old file, less the 2 trimmed since
        "SELECT sid, stream, seq FROM sessions_plus_records WHERE rid <= 9 ORDER BY rid"
    ).fetchall()
    assert len(migrated) == 7 and migrated == sorted(migrated)  # copied in key order
    conn.close()


async def test_a_read_only_store_refuses_an_older_schema_and_leaves_it_alone(
    v2_file: Path,
) -> None:
    before, names = digest(v2_file), files(v2_file.parent)
    assert names == ["store.db"]
    store = SQLiteStore(v2_file, read_only=True)
    for read in (store.read("chat"), store.info("chat"), store.list_sessions()):
        with pytest.raises(ConfigurationError, match="older") as caught:
            await read
        assert "never migrates" in str(caught.value)
    await store.aclose()
    assert digest(v2_file) == before
    assert_only_sqlite_companions(v2_file, names)
    conn = raw(v2_file)
    assert schema_version(conn, Tables("sessions_plus")) == 2
    conn.close()


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
    reader = SQLiteStore(db, read_only=True)
    with pytest.raises(ConfigurationError, match="newer"):
        await reader.read("s")
    await reader.aclose()
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
