# ruff: noqa: S608  (table names come from check_table_prefix; values are always bound)
"""Schema of the SQLite store: table names, versioned migrations and the version check.

Every table of one store starts with its ``table_prefix``, so one file can hold several
independent stores. The schema version is kept per prefix in ``{prefix}_meta`` (not in
``PRAGMA user_version``, which is one number per file). Opening a file runs, inside one
``BEGIN IMMEDIATE`` transaction, every migration step from the file's version to
:data:`SCHEMA_VERSION`; a file written by a newer sessions-plus is refused, never touched.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from ...errors import ConfigurationError

SCHEMA_VERSION = 2
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


def _v0_to_v1(conn: sqlite3.Connection, t: Tables) -> None:
    """The first schema: sessions, records and documents.

    ``sid`` is a compact integer key for a session id, so record keys never repeat long ids; a
    session that expires and is written again gets a fresh row. ``streams`` is the JSON object
    ``{stream: last_seq}``: keeping the counters in the session row means an append changes
    that one row plus the records, which is what makes a commit cheap. Records are clustered by
    their log position (a WITHOUT ROWID primary key), so a latest-N read is one index range.
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


Migration = Callable[[sqlite3.Connection, Tables], None]

MIGRATIONS: list[Migration] = [_v0_to_v1, _v1_to_v2]
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
    if current > SCHEMA_VERSION:
        raise ConfigurationError(
            f"tables {t.prefix}_* have schema version {current}, newer than this sessions-plus "
            f"supports ({SCHEMA_VERSION}); upgrade sessions-plus to open this file"
        )
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
