# ruff: noqa: S608  (table names come from a validated identifier; values are always bound)
"""SQLite store: many sessions in one file, safe for many threads, event loops and processes.

Every operation runs on the stdlib ``sqlite3`` module in a small thread pool owned by the store
(never on the event loop, and bound to no loop). Writes go through one connection per store
under a lock, each in a ``BEGIN IMMEDIATE`` transaction that also assigns the seqs, so batches
are all or nothing and concurrent processes queue on SQLite's write lock (WAL mode, busy
timeout). Reads use one connection per pool thread and never block the writer. ``":memory:"``
uses one shared connection under the lock. Files are created with mode 0600.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from itertools import starmap
from typing import Any, Literal, Self, TypeVar
from urllib.parse import SplitResult, unquote

from ...backend import DocWrite, LogRange, LogWrite, SessionQuery
from ...errors import (
    ConfigurationError,
    ConflictError,
    RecordNotFoundError,
    StoreClosedError,
    StoreUnavailableError,
)
from ...options import Options, common_options, pop_float, reject_unknown
from ...records import RawRecord, SessionInfo, SessionPage
from ...store import ConversationStore
from .pool import ThreadPool
from .schema import (
    SCHEMA_VERSION,
    Tables,
    check_sessions_table,
    check_table_name,
    check_table_prefix,
    migrate,
    schema_version,
)

T = TypeVar("T")
Synchronous = Literal["normal", "full"]

MEMORY = ":memory:"
_POOL_THREADS = 4  # one write connection + up to this many read connections per file store
_MAX_SEQ = 2**63 - 1
_LIVE = "(expires_at IS NULL OR expires_at > ?)"


class _Sql:
    """Every statement of one store, formatted once so sqlite3's statement cache reuses them."""

    def __init__(self, t: Tables) -> None:
        # The live session's key; binds (session_id, now). Reads use it so that each read is
        # one statement, hence one consistent snapshot, without an explicit transaction.
        live = f"(SELECT sid FROM {t.sessions} WHERE session_id = ? AND {_LIVE})"
        columns = "seq, payload, created_at, format, author"  # RawRecord's field order
        where = f"sid = {live} AND stream = ? AND seq > ? AND seq < ?"
        self.read_asc = f"SELECT {columns} FROM {t.records} WHERE {where} ORDER BY seq LIMIT ?"
        self.read_desc = (
            f"SELECT {columns} FROM {t.records} WHERE {where} ORDER BY seq DESC LIMIT ?"
        )
        # Only what read_data needs: fewer columns to fetch and no header objects per row.
        pairs = "seq, payload"
        self.pairs_asc = f"SELECT {pairs} FROM {t.records} WHERE {where} ORDER BY seq LIMIT ?"
        self.pairs_desc = f"SELECT {pairs} FROM {t.records} WHERE {where} ORDER BY seq DESC LIMIT ?"
        self.info = (
            f"SELECT created_at, updated_at, expires_at, streams FROM {t.sessions}"
            f" WHERE session_id = ? AND {_LIVE}"
        )
        self.list_sessions = (
            f"SELECT session_id, created_at, updated_at, expires_at, streams FROM {t.sessions}"
            f" WHERE session_id > ? AND {_LIVE} ORDER BY session_id LIMIT ?"
        )
        self.get_doc = f"SELECT payload FROM {t.docs} WHERE sid = {live} AND name = ?"
        self.doc_names = f"SELECT name FROM {t.docs} WHERE sid = {live} AND name >= ? ORDER BY name"

        self.session_row = f"SELECT sid, expires_at, streams FROM {t.sessions} WHERE session_id = ?"
        self.insert_session = (
            f"INSERT INTO {t.sessions} (session_id, created_at, updated_at, expires_at, streams)"
            " VALUES (?, ?, ?, ?, ?)"
        )
        self.update_session = (
            f"UPDATE {t.sessions} SET updated_at = ?, expires_at = ?, streams = ? WHERE sid = ?"
        )
        self.refresh = f"UPDATE {t.sessions} SET expires_at = ? WHERE sid = ?"
        self.insert_record = (
            f"INSERT INTO {t.records} (sid, stream, seq, created_at, format, author, payload)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        self.pop_record = (
            f"DELETE FROM {t.records} WHERE sid = ? AND stream = ? AND seq = ? RETURNING {columns}"
        )
        self.replace_record = (
            f"UPDATE {t.records} SET payload = ? WHERE sid = ? AND stream = ? AND seq = ?"
        )
        self.truncate = f"DELETE FROM {t.records} WHERE sid = ? AND stream = ? AND seq >= ?"
        self.doc_exists = f"SELECT 1 FROM {t.docs} WHERE sid = ? AND name = ?"
        self.put_doc = (
            f"INSERT INTO {t.docs} (sid, name, payload) VALUES (?, ?, ?)"
            " ON CONFLICT (sid, name) DO UPDATE SET payload = excluded.payload"
        )
        self.delete_doc = f"DELETE FROM {t.docs} WHERE sid = ? AND name = ?"
        self.drop_session = [
            f"DELETE FROM {t.records} WHERE sid = ?",
            f"DELETE FROM {t.docs} WHERE sid = ?",
            f"DELETE FROM {t.sessions} WHERE sid = ?",
        ]
        expired = f"SELECT sid FROM {t.sessions} WHERE expires_at <= ?"
        self.purge = [
            f"DELETE FROM {t.records} WHERE sid IN ({expired})",
            f"DELETE FROM {t.docs} WHERE sid IN ({expired})",
        ]
        self.purge_sessions = f"DELETE FROM {t.sessions} WHERE expires_at <= ?"


_STREAMS_ENCODER = json.JSONEncoder(ensure_ascii=False)
"""Encodes a session's ``{stream: last_seq}`` (made once: json.dumps with options makes one
encoder per call)."""


def _streams_json(streams: dict[str, int]) -> str:
    return _STREAMS_ENCODER.encode({k: v for k, v in streams.items() if v})


def _session_info(
    session_id: str, created_at: float, updated_at: float, expires_at: float | None, streams: str
) -> SessionInfo:
    return SessionInfo(session_id, created_at, updated_at, expires_at, json.loads(streams))


def _check_busy_timeout(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigurationError(f"busy_timeout must be a number of seconds, not {value!r}")
    if value < 0:
        raise ConfigurationError(f"busy_timeout must be >= 0, not {value!r}")
    return float(value)


def _create_private(path: str) -> None:
    """Create the database file with mode 0600 unless it exists (SQLite gives its -wal and
    -shm companions the same mode).

    An existing file is never opened here: closing any descriptor of a database file drops
    every POSIX lock this process holds on it, those of its open SQLite connections included,
    and another process could then take the WAL away from under them.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if os.path.isdir(path):
            raise ConfigurationError(
                f"cannot open or create SQLite file {path!r}: Is a directory"
            ) from None
        return
    except OSError as exc:
        raise ConfigurationError(
            f"cannot open or create SQLite file {path!r}: {exc.strerror or exc}"
        ) from None
    os.close(fd)


class SQLiteStore(ConversationStore):
    """Conversation store in one SQLite file (or ``":memory:"``).

    One file holds many sessions and is safe for many processes at once. ``busy_timeout`` is how
    long a write waits for another process's write lock before
    :class:`~sessions_plus.StoreUnavailableError`. ``table_prefix`` names the tables
    (``{prefix}_sessions``, ``{prefix}_records``, ...), so several independent stores can share
    one file; ``sessions_table`` renames the sessions table (tables made with one name refuse to
    open with another: :class:`~sessions_plus.ConfigurationError`). ``synchronous="normal"``
    (the default, WAL mode) survives a crash or kill of any process but may lose the last
    commits on power loss; ``"full"`` syncs every commit to disk. The connection is opened (and
    the schema created or migrated) on first use.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = MEMORY,
        *,
        ttl: float | None = None,
        refresh_on_read: bool = False,
        busy_timeout: float = 30.0,
        table_prefix: str = "sessions_plus",
        synchronous: Synchronous = "normal",
        sessions_table: str | None = None,
        **common: Any,
    ) -> None:
        super().__init__(ttl=ttl, refresh_on_read=refresh_on_read, **common)
        self.path: str = os.fspath(path)
        if not isinstance(self.path, str) or not self.path:
            raise ConfigurationError(f"SQLite path must be a non-empty str, not {path!r}")
        self.busy_timeout = _check_busy_timeout(busy_timeout)
        if synchronous not in ("normal", "full"):
            raise ConfigurationError(f"synchronous must be 'normal' or 'full', not {synchronous!r}")
        self.synchronous: Synchronous = synchronous
        self.tables = Tables(
            check_table_prefix(table_prefix),
            None if sessions_table is None else check_table_name(sessions_table),
        )
        self._sql = _Sql(self.tables)
        self._memory = self.path == MEMORY
        self._pool = ThreadPool(
            1 if self._memory else _POOL_THREADS,
            name="sessions_plus-sqlite",
            closed_message="SQLiteStore is closed",
        )
        self._write_lock = threading.Lock()
        self._writer: sqlite3.Connection | None = None
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._schema_ready = False  # the file's schema is known to be at SCHEMA_VERSION
        self._shut = False

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r}, table_prefix={self.tables.prefix!r})"

    # ------------------------------------------------------------------ connections

    def _connect(self, *, read_only: bool = False) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute(f"PRAGMA synchronous = {self.synchronous.upper()}")
            if read_only:
                conn.execute("PRAGMA query_only = ON")
        except BaseException:
            conn.close()
            raise
        return conn

    def _enable_wal(self, conn: sqlite3.Connection) -> None:
        # Switching to WAL takes a lock that the busy handler does not wait for; retry briefly.
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL").fetchall()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.005)

    def _open_writer(self) -> sqlite3.Connection:
        """The write connection, opened and the schema migrated on first use (lock held)."""
        if self._writer is not None:
            return self._writer
        if self._shut:
            raise StoreClosedError("SQLiteStore is closed")
        if not self._memory:
            _create_private(self.path)
        conn = self._connect()
        try:
            if not self._memory:
                self._enable_wal(conn)
            conn.execute("BEGIN IMMEDIATE")
            try:
                migrate(conn, self.tables)
                conn.execute("COMMIT")
            except BaseException:
                conn.rollback()
                raise
        except BaseException:
            conn.close()
            raise
        self._writer = conn
        self._schema_ready = True
        return conn

    def _reader(self) -> sqlite3.Connection:
        """This pool thread's read connection (the schema is made first if needed).

        A store that only reads a file already at the current schema in WAL mode never opens
        the write connection: the first reader just looks (two cheap queries, no transaction),
        which keeps opening a store per request, as Strands' drop-in manager does, cheap.
        """
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if not self._schema_ready and not os.path.isfile(self.path):
            with self._write_lock:
                self._open_writer()  # creates the file (mode 0600) and the schema, or says why not
        conn = self._connect(read_only=True)
        try:
            if not self._schema_ready:
                with self._write_lock:
                    if not self._schema_ready and not self._is_current(conn):
                        self._open_writer()  # migrates an older schema, refuses a newer one
                    self._schema_ready = True
            with self._readers_lock:
                if self._shut:
                    raise StoreClosedError("SQLiteStore is closed")
                self._readers.append(conn)
        except BaseException:
            conn.close()
            raise
        self._local.conn = conn
        return conn

    def _is_current(self, conn: sqlite3.Connection) -> bool:
        """True if the file already has this store's schema at SCHEMA_VERSION, in WAL mode."""
        if schema_version(conn, self.tables) != SCHEMA_VERSION:
            return False
        check_sessions_table(conn, self.tables)
        row = conn.execute("PRAGMA journal_mode").fetchone()
        return row is not None and str(row[0]).lower() == "wal"

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn sqlite3 errors into the typed errors of the contract."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            raise StoreUnavailableError(f"SQLite database {self.path!r}: {exc}") from exc
        except sqlite3.ProgrammingError as exc:
            if "closed" in str(exc):
                raise StoreClosedError("SQLiteStore is closed") from exc
            raise
        except sqlite3.DatabaseError as exc:
            if type(exc) is not sqlite3.DatabaseError:
                raise
            raise ConfigurationError(
                f"{self.path!r} is not a usable SQLite database: {exc}"
            ) from exc

    def _write_tx(self, op: Callable[[sqlite3.Connection, float], T]) -> T:
        """Run ``op(conn, now)`` in one IMMEDIATE transaction on the write connection."""
        with self._write_lock, self._errors():
            conn = self._open_writer()
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = op(conn, time.time())
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.rollback()
                raise
            return result

    def _read_tx(self, op: Callable[[sqlite3.Connection, float], T]) -> T:
        """Run ``op(conn, now)``, whose single statement is its own consistent snapshot."""
        if self._memory:
            return self._write_tx(op)
        with self._errors():
            return op(self._reader(), time.time())

    async def _call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the store's threads (StoreClosedError once closed)."""
        return await self._pool.run(fn)

    # ------------------------------------------------------------------ session helpers

    def _expiry(self, now: float) -> float | None:
        return None if self.ttl is None else now + self.ttl

    def _live(
        self, conn: sqlite3.Connection, session_id: str, now: float
    ) -> tuple[int | None, dict[str, int]]:
        """The live session's key (None if none) and ``{stream: last_seq}``, in a write
        transaction; an expired session's data is deleted first."""
        row = conn.execute(self._sql.session_row, (session_id,)).fetchone()
        if row is None:
            return None, {}
        sid, expires_at, streams = row
        if expires_at is not None and expires_at <= now:
            self._drop(conn, sid)
            return None, {}
        return sid, json.loads(streams)

    def _drop(self, conn: sqlite3.Connection, sid: int) -> None:
        for statement in self._sql.drop_session:
            conn.execute(statement, (sid,))

    def _save(
        self,
        conn: sqlite3.Connection,
        session_id: str,
        sid: int | None,
        streams: dict[str, int],
        now: float,
    ) -> int:
        """Write the session row (creating it if ``sid`` is None), sliding its TTL."""
        values = (now, self._expiry(now), _streams_json(streams))
        if sid is None:
            cursor = conn.execute(self._sql.insert_session, (session_id, now, *values))
            return int(cursor.lastrowid or 0)
        conn.execute(self._sql.update_session, (*values, sid))
        return sid

    def _insert(
        self,
        conn: sqlite3.Connection,
        sid: int,
        stream: str,
        first: int,
        payloads: Sequence[bytes],
        now: float,
        format: str | None,
        author: str | None,
    ) -> None:
        if len(payloads) == 1:  # the common case; execute is cheaper than executemany
            conn.execute(
                self._sql.insert_record, (sid, stream, first, now, format, author, payloads[0])
            )
            return
        conn.executemany(
            self._sql.insert_record,
            [
                (sid, stream, first + i, now, format, author, payload)
                for i, payload in enumerate(payloads)
            ],
        )

    def _reading(
        self, session_id: str, op: Callable[[sqlite3.Connection, float], T]
    ) -> Callable[[], T]:
        """Wrap a read statement (which finds the live session itself) for the pool.

        With ``refresh_on_read`` (and a TTL) the read slides the TTL in a write transaction.
        """
        if not (self.refresh_on_read and self.ttl is not None):
            return lambda: self._read_tx(op)

        def refreshing(conn: sqlite3.Connection, now: float) -> T:
            sid, _ = self._live(conn, session_id, now)
            if sid is not None:
                conn.execute(self._sql.refresh, (self._expiry(now), sid))
            return op(conn, now)

        return lambda: self._write_tx(refreshing)

    @staticmethod
    def _conflict(session_id: str, stream: str, last: int, expected: int) -> ConflictError:
        return ConflictError(
            f"stream {stream!r} of session {session_id!r} ends at seq {last}, not {expected}"
        )

    # ------------------------------------------------------------------ logs

    async def read_log(self, query: LogRange) -> list[RawRecord]:
        session_id, stream, keep = query.session_id, query.stream, query.keep
        limit, after, before = query.limit, query.after, query.before
        latest = limit is not None and keep == "latest"
        statement = self._sql.read_desc if latest else self._sql.read_asc
        op = self._select(statement, session_id, stream, limit, after, before, latest)
        rows = await self._call(self._reading(session_id, op))
        return list(starmap(RawRecord, rows))

    async def read_log_payloads(self, query: LogRange) -> list[tuple[int, bytes]]:
        session_id, stream, keep = query.session_id, query.stream, query.keep
        limit, after, before = query.limit, query.after, query.before
        latest = limit is not None and keep == "latest"
        statement = self._sql.pairs_desc if latest else self._sql.pairs_asc
        op = self._select(statement, session_id, stream, limit, after, before, latest)
        return await self._call(self._reading(session_id, op))

    @staticmethod
    def _select(
        statement: str,
        session_id: str,
        stream: str,
        limit: int | None,
        after: int | None,
        before: int | None,
        latest: bool,
    ) -> Callable[[sqlite3.Connection, float], list[Any]]:
        """One read statement over a range of seqs, as rows in seq order."""
        upper = _MAX_SEQ if before is None else before
        bound = -1 if limit is None else limit

        def op(conn: sqlite3.Connection, now: float) -> list[Any]:
            rows = conn.execute(statement, (session_id, now, stream, after or 0, upper, bound))
            found = rows.fetchall()
            if latest:
                found.reverse()
            return found

        return op

    async def pop_log(self, session_id: str, stream: str) -> RawRecord | None:
        def op(conn: sqlite3.Connection, now: float) -> RawRecord | None:
            sid, streams = self._live(conn, session_id, now)
            last = streams.get(stream, 0)
            if sid is None or last == 0:
                return None
            rows = conn.execute(self._sql.pop_record, (sid, stream, last)).fetchall()
            streams[stream] = last - 1
            self._save(conn, session_id, sid, streams, now)
            return RawRecord(*rows[0])

        return await self._call(lambda: self._write_tx(op))

    async def replace_payload(self, session_id: str, stream: str, seq: int, payload: bytes) -> None:
        def op(conn: sqlite3.Connection, now: float) -> None:
            sid, streams = self._live(conn, session_id, now)
            if sid is None or seq > streams.get(stream, 0):
                raise RecordNotFoundError(
                    f"session {session_id!r} stream {stream!r} has no record seq={seq}"
                )
            conn.execute(self._sql.replace_record, (payload, sid, stream, seq))
            self._save(conn, session_id, sid, streams, now)

        await self._call(lambda: self._write_tx(op))

    async def write_log(self, write: LogWrite) -> int:
        session_id, stream, start_seq = write.session_id, write.stream, write.start_seq
        payloads, format, author = write.payloads, write.format, write.author
        if_last_seq = write.if_last_seq
        """Append at the end (``start_seq=None``) or truncate at ``start_seq`` and append."""

        def op(conn: sqlite3.Connection, now: float) -> int:
            sid, streams = self._live(conn, session_id, now)
            last = streams.get(stream, 0)
            if if_last_seq is not None and last != if_last_seq:
                raise self._conflict(session_id, stream, last, if_last_seq)
            start = last + 1 if start_seq is None else start_seq
            if start > last + 1:
                raise ValueError(f"start_seq {start} is past the end of stream {stream!r} ({last})")
            streams[stream] = start - 1 + len(payloads)
            sid = self._save(conn, session_id, sid, streams, now)
            if start <= last:
                conn.execute(self._sql.truncate, (sid, stream, start))
            self._insert(conn, sid, stream, start, payloads, now, format, author)
            return start

        return await self._call(lambda: self._write_tx(op))

    async def clear_log(self, session_id: str, stream: str) -> None:
        def op(conn: sqlite3.Connection, now: float) -> None:
            sid, streams = self._live(conn, session_id, now)
            if sid is None:
                return
            conn.execute(self._sql.truncate, (sid, stream, 1))
            streams.pop(stream, None)
            self._save(conn, session_id, sid, streams, now)

        await self._call(lambda: self._write_tx(op))

    async def delete_session(self, session_id: str, updated_before: float | None = None) -> bool:
        if updated_before is not None:  # contract v2: the backend's owner implements it
            raise NotImplementedError(f"{type(self).__name__}: delete(updated_before=) not yet")

        def op(conn: sqlite3.Connection, now: float) -> bool:
            row = conn.execute(self._sql.session_row, (session_id,)).fetchone()
            if row is None:
                return False
            sid, expires_at, _ = row
            self._drop(conn, sid)
            return expires_at is None or expires_at > now

        return await self._call(lambda: self._write_tx(op))

    # ------------------------------------------------------------------ documents

    async def write_doc(self, write: DocWrite) -> bool:
        session_id, name, payload = write.session_id, write.name, write.payload
        if_absent, if_exists = write.if_absent, write.if_exists

        def op(conn: sqlite3.Connection, now: float) -> bool:
            sid, streams = self._live(conn, session_id, now)
            if if_absent or if_exists:
                present = (
                    sid is not None
                    and conn.execute(self._sql.doc_exists, (sid, name)).fetchone() is not None
                )
                if present != if_exists:
                    return False
            sid = self._save(conn, session_id, sid, streams, now)
            conn.execute(self._sql.put_doc, (sid, name, payload))
            return True

        return await self._call(lambda: self._write_tx(op))

    async def read_doc(self, session_id: str, name: str) -> bytes | None:
        def op(conn: sqlite3.Connection, now: float) -> bytes | None:
            row = conn.execute(self._sql.get_doc, (session_id, now, name)).fetchone()
            return None if row is None else bytes(row[0])

        return await self._call(self._reading(session_id, op))

    async def remove_doc(self, session_id: str, name: str) -> bool:
        def op(conn: sqlite3.Connection, now: float) -> bool:
            sid, streams = self._live(conn, session_id, now)
            if sid is None:
                return False
            if conn.execute(self._sql.delete_doc, (sid, name)).rowcount == 0:
                return False
            self._save(conn, session_id, sid, streams, now)
            return True

        return await self._call(lambda: self._write_tx(op))

    async def doc_names(self, session_id: str, prefix: str) -> list[str]:
        def op(conn: sqlite3.Connection, now: float) -> list[str]:
            names: list[str] = []
            # Names sharing a prefix are contiguous in code point order, starting at the prefix.
            with closing(conn.execute(self._sql.doc_names, (session_id, now, prefix))) as rows:
                for (name,) in rows:
                    if not name.startswith(prefix):
                        break
                    names.append(name)
            return names

        return await self._call(self._reading(session_id, op))

    # ------------------------------------------------------------------ sessions

    async def session_info(self, session_id: str) -> SessionInfo | None:
        def op(conn: sqlite3.Connection, now: float) -> SessionInfo | None:
            row = conn.execute(self._sql.info, (session_id, now)).fetchone()
            return None if row is None else _session_info(session_id, *row)

        return await self._call(self._reading(session_id, op))

    async def session_page(self, query: SessionQuery) -> SessionPage:
        limit, cursor = query.limit, query.cursor
        if query.prefix:  # contract v2: the backend's owner implements it
            raise NotImplementedError(f"{type(self).__name__}: list_sessions(prefix=) not yet")

        def op(conn: sqlite3.Connection, now: float) -> SessionPage:
            rows = conn.execute(self._sql.list_sessions, (cursor or "", now, limit + 1))
            page = [_session_info(*row) for row in rows]
            more = len(page) > limit
            page = page[:limit]
            return SessionPage(page, page[-1].session_id if more else None)

        return await self._call(lambda: self._read_tx(op))

    async def purge_sessions(self) -> int:
        def op(conn: sqlite3.Connection, now: float) -> int:
            for statement in self._sql.purge:
                conn.execute(statement, (now,))
            return conn.execute(self._sql.purge_sessions, (now,)).rowcount

        return await self._call(lambda: self._write_tx(op))

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        """Close the store from synchronous code (any thread); waits for running operations."""
        self._closed = True
        self._shutdown()

    async def close_backend(self) -> None:
        await asyncio.to_thread(self._shutdown)

    @classmethod
    def _from_url_options(cls, parts: SplitResult, options: Options) -> Self:
        """``sqlite:///rel.db``, ``sqlite:////abs.db``, ``sqlite://:memory:`` plus options."""
        common = common_options(options)
        busy_timeout = pop_float(options, "busy_timeout")
        if busy_timeout is not None:
            common["busy_timeout"] = busy_timeout
        for key in ("table_prefix", "synchronous", "sessions_table"):
            if key in options:
                common[key] = options.pop(key)
        reject_unknown(options, "sqlite")
        return cls(_url_path(parts), **common)

    def _shutdown(self) -> None:
        """Stop the pool (letting queued operations finish), then close every connection."""
        self._pool.shutdown()
        with self._write_lock, self._readers_lock:
            self._shut = True
            connections = [*self._readers, *([self._writer] if self._writer else [])]
            self._readers.clear()
            self._writer = None
        for conn in connections:
            conn.close()


def _url_path(parts: SplitResult) -> str:
    """``sqlite:///rel.db`` -> ``rel.db``; ``sqlite:////abs.db`` -> ``/abs.db``; memory forms."""
    path = unquote(parts.path)
    if parts.netloc:
        if parts.netloc == MEMORY and path in ("", "/"):
            return MEMORY
        raise ConfigurationError(
            f"sqlite URLs take no host ({parts.netloc!r}): use sqlite:///relative.db, "
            "sqlite:////absolute.db or sqlite://:memory:"
        )
    path = path[1:] if path.startswith("/") else path
    if not path:
        raise ConfigurationError(
            "sqlite URL has no path: use sqlite:///relative.db, sqlite:////absolute.db "
            "or sqlite://:memory:"
        )
    return path
