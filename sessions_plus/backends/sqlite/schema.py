# ruff: noqa: S608  (table names come from check_table_prefix; values are always bound)
"""Schema of the SQLite store: table names, versioned migrations and the version check.

Every table of one store starts with its ``table_prefix``, so one file can hold several
independent stores. The schema version is kept per prefix in ``{prefix}_meta`` (not in
``PRAGMA user_version``, which is one number per file). Opening a file for writing runs, inside
one ``BEGIN IMMEDIATE`` transaction, every migration step from the file's version to
:data:`SCHEMA_VERSION`; a file written by a newer sessions-plus is refused, never touched. A
read-only store never migrates: it opens only a file already at :data:`SCHEMA_VERSION`
(:func:`check_readable`).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from ...errors import ConfigurationError, StoreNotFoundError

SCHEMA_VERSION = 3
"""The schema version this code writes."""

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,47}")


def check_table_prefix(prefix: object) -> str:
    """Return ``prefix`` if it is a safe SQL identifier (letters, digits, ``_``; 48 chars max)."""
    if not isinstance(prefix, str) or not _IDENTIFIER.fullmatch(prefix):
        raise ConfigurationError(
            f"table_prefix must be a SQL identifier of at most 48 letters, digits or '_', "
            f"not starting with a digit; got {prefix!r}"
        )
    if prefix.lower().startswith("sqlite_"):
        raise ConfigurationError(
            f"table_prefix {prefix!r}: names starting with sqlite_ are reserved"
        )
    return prefix


def check_table_name(name: object) -> str:
    """Return ``name`` if it is a safe SQL identifier usable as a table name."""
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise ConfigurationError(
            f"a table name must be a SQL identifier of at most 48 letters, digits or '_', "
            f"not starting with a digit; got {name!r}"
        )
    if name.lower().startswith("sqlite_"):
        raise ConfigurationError(f"table name {name!r}: names starting with sqlite_ are reserved")
    return name


@dataclass(frozen=True, slots=True)
class Tables:
    """Names of one store's tables and indexes, derived from its validated prefix.

    ``sessions_table`` overrides the name of the sessions table (default ``<prefix>_sessions``):
    the OpenAI drop-in ``SQLiteSession(sessions_table=...)`` honours the SDK's argument with it.
    """

    prefix: str
    sessions_table: str | None = None

    @property
    def meta(self) -> str:
        return f"{self.prefix}_meta"

    @property
    def sessions(self) -> str:
        return self.sessions_table or f"{self.prefix}_sessions"

    @property
    def records(self) -> str:
        return f"{self.prefix}_records"

    @property
    def docs(self) -> str:
        return f"{self.prefix}_docs"

    @property
    def expiry_index(self) -> str:
        return f"{self.prefix}_sessions_by_expiry"

    @property
    def records_index(self) -> str:
        return f"{self.prefix}_records_by_key"


def _v0_to_v1(conn: sqlite3.Connection, t: Tables) -> None:
    """The first schema: sessions, records and documents.

    ``sid`` is a compact integer key for a session id, so record keys never repeat long ids; a
    session that expires and is written again gets a fresh row. ``streams`` is the JSON object
    ``{stream: last_seq}``: keeping the counters in the session row means an append changes
    that one row plus the records, which is what makes a commit cheap. Records are clustered by
    their log position (a WITHOUT ROWID primary key, until version 3), so a latest-N read is one
    index range.
    """
    conn.execute(f"CREATE TABLE {t.meta} (key TEXT PRIMARY KEY, value INTEGER NOT NULL)")
    conn.execute(
        f"CREATE TABLE {t.sessions} ("
        " sid INTEGER PRIMARY KEY,"
        " session_id TEXT NOT NULL UNIQUE,"
        " created_at REAL NOT NULL,"
        " updated_at REAL NOT NULL,"
        " expires_at REAL,"
        " streams TEXT NOT NULL DEFAULT '{}')"
    )
    conn.execute(
        f"CREATE TABLE {t.records} ("
        " sid INTEGER NOT NULL,"
        " stream TEXT NOT NULL,"
        " seq INTEGER NOT NULL,"
        " created_at REAL NOT NULL,"
        " format TEXT,"
        " author TEXT,"
        " payload BLOB NOT NULL,"
        " PRIMARY KEY (sid, stream, seq)) WITHOUT ROWID"
    )
    conn.execute(
        f"CREATE TABLE {t.docs} ("
        " sid INTEGER NOT NULL,"
        " name TEXT NOT NULL,"
        " payload BLOB NOT NULL,"
        " PRIMARY KEY (sid, name))"
    )


def _v1_to_v2(conn: sqlite3.Connection, t: Tables) -> None:
    """Index expiring sessions so ``purge_expired`` does not scan every session."""
    conn.execute(
        f"CREATE INDEX {t.expiry_index} ON {t.sessions} (expires_at) WHERE expires_at IS NOT NULL"
    )


_REWRITE_BATCH = 2_000


def _v2_to_v3(conn: sqlite3.Connection, t: Tables) -> None:
    """Per-stream first seqs, and records in a rowid table.

    ``trim`` and ``max_records`` drop the oldest records, so a stream no longer always starts at
    1: ``streams`` becomes ``{stream: [first, last]}`` (every stream of a version 2 file starts
    at 1). Records move from a WITHOUT ROWID table clustered on ``(sid, stream, seq)`` to a rowid
    table with a unique index on ``(sid, stream, seq)``: a WITHOUT ROWID b-tree keeps at most
    about 1,000 bytes of a row in its page (4 KB pages) and puts the rest on an overflow page of
    its own, so every record between ~1 and ~4.5 KB (tool outputs, long answers) took up to
    4 KB more than its size; a rowid table keeps rows up to ~4 KB in the page and fills pages
    in the order records are written. The copy is ordered by key, so each session's records
    are contiguous after the migration.
    """
    _ranges_with_first_seqs(conn, t)
    rebuilt = f"{t.records}_v3"
    conn.execute(
        f"CREATE TABLE {rebuilt} ("
        " rid INTEGER PRIMARY KEY,"
        " sid INTEGER NOT NULL,"
        " stream TEXT NOT NULL,"
        " seq INTEGER NOT NULL,"
        " created_at REAL NOT NULL,"
        " format TEXT,"
        " author TEXT,"
        " payload BLOB NOT NULL)"
    )
    columns = "sid, stream, seq, created_at, format, author, payload"
    conn.execute(
        f"INSERT INTO {rebuilt} ({columns}) SELECT {columns} FROM {t.records}"
        " ORDER BY sid, stream, seq"
    )
    conn.execute(f"DROP TABLE {t.records}")
    conn.execute(f"ALTER TABLE {rebuilt} RENAME TO {t.records}")
    conn.execute(f"CREATE UNIQUE INDEX {t.records_index} ON {t.records} (sid, stream, seq)")


def _ranges_with_first_seqs(conn: sqlite3.Connection, t: Tables) -> None:
    """``{stream: last}`` -> ``{stream: [1, last]}`` in every session row, in batches of rows
    (inside the caller's transaction) so that no more than a batch is held in memory."""
    last_sid = 0
    while True:
        rows = conn.execute(
            f"SELECT sid, streams FROM {t.sessions} WHERE sid > ? ORDER BY sid LIMIT ?",
            (last_sid, _REWRITE_BATCH),
        ).fetchall()
        if not rows:
            return
        updates = []
        for sid, streams in rows:
            counts: dict[str, int] = json.loads(streams)
            ranges = {name: [1, last] for name, last in counts.items()}
            updates.append((json.dumps(ranges, ensure_ascii=False, separators=(",", ":")), sid))
        conn.executemany(f"UPDATE {t.sessions} SET streams = ? WHERE sid = ?", updates)
        last_sid = rows[-1][0]


Migration = Callable[[sqlite3.Connection, Tables], None]

MIGRATIONS: list[Migration] = [_v0_to_v1, _v1_to_v2, _v2_to_v3]
"""``MIGRATIONS[v]`` upgrades a schema from version ``v`` to ``v + 1``."""

assert len(MIGRATIONS) == SCHEMA_VERSION


def schema_version(conn: sqlite3.Connection, t: Tables) -> int:
    """The version of this prefix's schema in the file: 0 when it has none yet."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (t.meta,)
    ).fetchone()
    if exists is None:
        return 0
    row = conn.execute(f"SELECT value FROM {t.meta} WHERE key = 'schema_version'").fetchone()
    return 0 if row is None else int(row[0])


def migrate(conn: sqlite3.Connection, t: Tables, target: int = SCHEMA_VERSION) -> int:
    """Bring the schema to ``target`` inside the caller's write transaction; return the old version.

    Raises :class:`ConfigurationError` if the file's schema is newer than this code knows.
    """
    current = schema_version(conn, t)
    _refuse_newer(current, t)
    if current > 0:
        check_sessions_table(conn, t)
    for version in range(current, target):
        MIGRATIONS[version](conn, t)
        conn.execute(
            f"INSERT INTO {t.meta} (key, value) VALUES ('schema_version', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (version + 1,),
        )
    return current


def check_sessions_table(conn: sqlite3.Connection, t: Tables) -> None:
    """Refuse to open tables ``<prefix>_*`` with another sessions table than they were made
    with: records point at the rows of exactly one sessions table."""
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (t.sessions,)
    ).fetchone()
    if found is None:
        raise ConfigurationError(
            f"tables {t.prefix}_* exist in this file but their sessions table is not "
            f"{t.sessions!r}: open them with the sessions table they were created with"
        )


def _refuse_newer(version: int, t: Tables) -> None:
    if version > SCHEMA_VERSION:
        raise ConfigurationError(
            f"tables {t.prefix}_* have schema version {version}, newer than this sessions-plus "
            f"supports ({SCHEMA_VERSION}); upgrade sessions-plus to open this file"
        )


def check_readable(conn: sqlite3.Connection, t: Tables, path: str) -> None:
    """Check, without changing anything, that a read-only store can read this file: its
    tables exist (else :class:`StoreNotFoundError`) at exactly :data:`SCHEMA_VERSION` (an older
    schema is a :class:`ConfigurationError`: only a writable store migrates it)."""
    version = schema_version(conn, t)
    if version == 0:
        raise StoreNotFoundError(
            f"SQLite file {path!r} has no sessions-plus tables {t.prefix}_* (nothing was "
            "written to it with this table_prefix); a read-only store never creates them"
        )
    _refuse_newer(version, t)
    if version < SCHEMA_VERSION:
        raise ConfigurationError(
            f"tables {t.prefix}_* in {path!r} have schema version {version}, older than this "
            f"sessions-plus ({SCHEMA_VERSION}); a read-only store never migrates: open the file "
            "once with a writable store (or an older sessions-plus) to read it"
        )
    check_sessions_table(conn, t)
