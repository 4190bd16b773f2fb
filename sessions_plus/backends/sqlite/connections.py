"""Connections and transactions of one SQLite store.

Every call runs on the stdlib ``sqlite3`` module in a small thread pool owned by the store
(never on the event loop, and bound to no loop). Writes go through one connection per store
under a lock, each in a ``BEGIN IMMEDIATE`` transaction, so concurrent processes queue on
SQLite's write lock (WAL mode, busy timeout). Reads use one connection per pool thread and never
block the writer. ``":memory:"`` uses one shared connection under the lock. Files are created
with mode 0600, and the schema is created or migrated by the first connection that needs it.

A read-only store opens the file through a ``file:...?mode=ro`` URI and never opens the write
connection: it creates no file, table or index and runs no migration; a missing file raises
:class:`~sessions_plus.StoreNotFoundError`. (SQLite itself creates the ``-wal`` and ``-shm``
companions of an existing WAL-mode file when a reader finds them absent, read-only readers too:
they hold no data and let readers and writers of other processes coordinate.)
"""

from __future__ import annotations

import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal, TypeVar
from urllib.parse import quote

from ...errors import (
    ConfigurationError,
    ReadOnlyStoreError,
    StoreClosedError,
    StoreNotFoundError,
    StoreUnavailableError,
)
from .pool import ThreadPool
from .schema import (
    SCHEMA_VERSION,
    Tables,
    check_readable,
    check_sessions_table,
    migrate,
    schema_version,
)

T = TypeVar("T")
Synchronous = Literal["normal", "full"]
Operation = Callable[[sqlite3.Connection, float], T]
"""``op(conn, now)``: one operation on a connection, at time ``now`` (Unix seconds)."""

MEMORY = ":memory:"
POOL_THREADS = 4
"""One write connection plus up to this many read connections per file store."""

_LOCK_POLL = (0.0001, 0.0002, 0.0005, 0.001)
"""Seconds between attempts to take the file's write lock (the last one repeats)."""


def check_busy_timeout(value: float) -> float:
    """Validate ``busy_timeout``: a finite number of seconds >= 0."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigurationError(f"busy_timeout must be a number of seconds, not {value!r}")
    if value < 0:
        raise ConfigurationError(f"busy_timeout must be >= 0, not {value!r}")
    return float(value)


def create_private(path: str) -> None:
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


class Connections:
    """The write connection, the per-thread read connections and the pool that runs them."""

    def __init__(
        self,
        path: str,
        tables: Tables,
        *,
        busy_timeout: float,
        synchronous: Synchronous,
        read_only: bool = False,
    ) -> None:
        self.path = path
        self.tables = tables
        self.busy_timeout = busy_timeout
        self.synchronous: Synchronous = synchronous
        self.memory = path == MEMORY
        self.read_only = read_only and not self.memory  # a private memory database is no file
        self.pool = ThreadPool(
            1 if self.memory else POOL_THREADS,
            name="sessions_plus-sqlite",
            closed_message="SQLiteStore is closed",
        )
        self._write_lock = threading.Lock()
        self._waiting = 0  # threads of this store waiting for _write_lock
        self._waiting_lock = threading.Lock()
        self.writer: sqlite3.Connection | None = None
        self._local = threading.local()
        self.readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._schema_ready = False  # the file's schema is known to be at SCHEMA_VERSION
        self._shut = False

    # ------------------------------------------------------------------ opening

    def _connect(self, *, read_only: bool = False) -> sqlite3.Connection:
        if self.read_only:  # opened read-only by SQLite itself: it can create nothing
            target, uri = f"file:{quote(os.path.abspath(self.path))}?mode=ro", True
        else:
            target, uri = self.path, False
        conn = sqlite3.connect(
            target,
            timeout=self.busy_timeout,
            isolation_level=None,
            check_same_thread=False,
            uri=uri,
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
        if self.writer is not None:
            return self.writer
        if self._shut:
            raise StoreClosedError("SQLiteStore is closed")
        if self.read_only:  # never reached through the store, which refuses writes first
            raise ReadOnlyStoreError(f"SQLite file {self.path!r} was opened read-only")
        if not self.memory:
            create_private(self.path)
        conn = self._connect()
        try:
            if not self.memory:
                self._enable_wal(conn)
            self._begin(conn)
            try:
                migrate(conn, self.tables)
                conn.execute("COMMIT")
            except BaseException:
                conn.rollback()
                raise
            if not self.memory:  # from now on the file's write lock is waited for in _begin
                conn.execute("PRAGMA busy_timeout = 0")
        except BaseException:
            conn.close()
            raise
        self.writer = conn
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
        if self.read_only:
            return self._read_only_reader()
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
                self.readers.append(conn)
        except BaseException:
            conn.close()
            raise
        self._local.conn = conn
        return conn

    def _read_only_reader(self) -> sqlite3.Connection:
        """A read connection of a read-only store: the file and its schema must be there."""
        if not os.path.isfile(self.path):
            what = "is not a file" if os.path.exists(self.path) else "does not exist"
            raise StoreNotFoundError(
                f"SQLite file {self.path!r} {what}; a read-only store never creates it"
            )
        conn = self._connect(read_only=True)
        try:
            if not self._schema_ready:
                check_readable(conn, self.tables, self.path)
                self._schema_ready = True
            with self._readers_lock:
                if self._shut:
                    raise StoreClosedError("SQLiteStore is closed")
                self.readers.append(conn)
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

    # ------------------------------------------------------------------ running

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

    def _begin(self, conn: sqlite3.Connection) -> None:
        """``BEGIN IMMEDIATE``, waiting up to ``busy_timeout`` for another connection's write
        lock, trying again every millisecond at most. (Once open, the write connection has no
        SQLite busy timeout: in WAL mode a transaction that holds the write lock waits for
        nothing else, so only taking the lock can find the file busy.)

        SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, then 100 ms
        between attempts, so a writer that found the lock taken by a long series of short
        transactions (a purge in batches, another process's appends) could sleep through every
        gap between them; polling finely takes the first gap.
        """
        deadline: float | None = None
        attempt = 0
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc):
                    raise
                now = time.monotonic()
                if deadline is None:
                    deadline = now + self.busy_timeout
                if now >= deadline:
                    raise
                time.sleep(min(_LOCK_POLL[min(attempt, len(_LOCK_POLL) - 1)], deadline - now))
                attempt += 1

    def configure_writer(self, statement: str) -> None:
        """Run a connection setting (a PRAGMA) on the write connection, between transactions."""
        with self._write_lock, self._errors():
            self._open_writer().execute(statement)

    def checkpoint(self) -> None:
        """Copy the WAL into the database file now (a PASSIVE checkpoint, on this thread's read
        connection): it blocks no reader or writer, and holds none of this store's locks."""
        if self.memory:
            return
        with self._errors():
            self._reader().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def writers_waiting(self) -> bool:
        """True if another operation of this store waits to write (long writers yield)."""
        return self._waiting > 0

    def write(self, op: Operation[T]) -> T:
        """Run ``op(conn, now)`` in one IMMEDIATE transaction on the write connection."""
        with self._waiting_lock:
            self._waiting += 1
        try:
            self._write_lock.acquire()
        finally:
            with self._waiting_lock:
                self._waiting -= 1
        try:
            with self._errors():
                return self._write_locked(op)
        finally:
            self._write_lock.release()

    def _write_locked(self, op: Operation[T]) -> T:
        conn = self._open_writer()
        self._begin(conn)
        try:
            result = op(conn, time.time())
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise
        return result

    def read(self, op: Operation[T]) -> T:
        """Run ``op(conn, now)``, whose single statement is its own consistent snapshot."""
        if self.memory:
            return self._locked(op)
        with self._errors():
            return op(self._reader(), time.time())

    def read_consistent(self, op: Operation[T]) -> T:
        """Run ``op(conn, now)``, whose several statements see one point in time: a read
        transaction on this thread's read connection (WAL readers never block the writer)."""
        if self.memory:
            return self._locked(op)
        with self._errors():
            conn = self._reader()
            conn.execute("BEGIN")
            try:
                return op(conn, time.time())
            finally:
                conn.execute("COMMIT")

    def _locked(self, op: Operation[T]) -> T:
        """An in-memory read: on the one connection, under the lock that serializes writes."""
        with self._write_lock, self._errors():
            return op(self._open_writer(), time.time())

    async def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the store's threads (StoreClosedError once closed)."""
        return await self.pool.run(fn)

    # ------------------------------------------------------------------ closing

    def shutdown(self) -> None:
        """Stop the pool (letting queued operations finish), then close every connection."""
        self.pool.shutdown()
        with self._write_lock, self._readers_lock:
            self._shut = True
            connections = [*self.readers, *([self.writer] if self.writer else [])]
            self.readers.clear()
            self.writer = None
        for conn in connections:
            conn.close()
