"""Helpers of the SQLite backend's tests: raw access to the file, child processes."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.fixtures.processes import child_env

DATA = Path(__file__).parent / "data"
SCHEMA_V2_FILE = DATA / "schema_v2.sqlite"
"""A file written by sessions-plus at schema version 2 (see data/make_schema_v2.py)."""


def raw(path: Path) -> sqlite3.Connection:
    """A plain connection to inspect or tamper with the file behind the store's back."""
    return sqlite3.connect(path, isolation_level=None)


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


def expire(db: Path, session_id: str) -> None:
    """Make a session's TTL run out now, as time would."""
    conn = raw(db)
    conn.execute(
        "UPDATE sessions_plus_sessions SET expires_at = ? WHERE session_id = ?",
        (time.time() - 1, session_id),
    )
    conn.close()


def rows(db: Path) -> dict[str, int]:
    """How many rows each table of the default prefix holds."""
    conn = raw(db)
    counts = {
        table: conn.execute(f"SELECT count(*) FROM sessions_plus_{table}").fetchone()[0]
        for table in ("sessions", "records", "docs")
    }
    conn.close()
    return counts


def plan(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> str:
    """SQLite's query plan of a statement, one line."""
    return " | ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))


def steps(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> int:
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


def digest(path: Path) -> str:
    """A hash of a file's bytes (to show that nothing changed it)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files(directory: Path) -> list[str]:
    """The names of the files in a directory, sorted."""
    return sorted(p.name for p in directory.iterdir())


def assert_only_sqlite_companions(db: Path, before: list[str]) -> None:
    """Nothing but SQLite's own ``-wal``/``-shm`` of ``db`` appeared beside it, and the WAL is
    empty: a reader of a WAL file needs them (SQLite creates them when they are absent, for
    read-only connections too), and no page was written."""
    added = set(files(db.parent)) - set(before)
    assert added <= {f"{db.name}-wal", f"{db.name}-shm"}, added
    wal = db.parent / f"{db.name}-wal"
    assert not wal.exists() or wal.stat().st_size == 0
