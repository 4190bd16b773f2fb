"""SQLiteStore: the backend operations, each one statement or one transaction.

Statements live in :mod:`.statements`, connections and transactions in :mod:`.connections`,
the schema in :mod:`.schema`; this module says what each operation does with them.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import closing
from itertools import starmap
from typing import Any, Self, TypeVar
from urllib.parse import SplitResult

from ...backend import DocWrite, ForkRequest, LogRange, LogWrite, SessionQuery
from ...errors import ConfigurationError, ConflictError, RecordNotFoundError, SessionNotFoundError
from ...options import Options
from ...records import RawRecord, RawSnapshot, SessionInfo, SessionPage
from ...store import ConversationStore
from . import copies
from .connections import MEMORY, Connections, Operation, Synchronous, check_busy_timeout
from .rows import SessionRows, session_info
from .schema import Tables, check_table_name, check_table_prefix
from .statements import MAX_SEQ, Statements, prefix_end
from .urls import url_path, url_store_options

T = TypeVar("T")

PURGE_CHUNK = 8
"""Expired sessions deleted together by ``purge_expired`` (between two looks at the clock and
at waiting writers)."""
PURGE_BUDGET = 0.002
"""Seconds of deleting per purge transaction: then it commits and lets other writers in."""
PURGE_PAUSE = 0.001
"""Seconds between purge transactions, in which other processes' writers take the lock."""
PURGE_CHECKPOINT_EVERY = 0.05
"""Seconds between the WAL checkpoints a purge runs itself, outside the write lock. (SQLite's
automatic checkpoint runs inside the commit that fills the WAL, while this store's write lock
is held, so every write waiting behind it waited for the checkpoint and its fsync too.)"""

_EMPTY = (1, 0)
"""The range of a stream that has no records and never had one: ``first..last`` = ``1..0``."""


def _encodable(text: str) -> bool:
    """True if ``text`` is valid Unicode (SQLite stores UTF-8; lone surrogates cannot be)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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

    Every write is one ``BEGIN IMMEDIATE`` transaction: an append with its ``max_records``
    bound, a trim, ``delete(updated_before=)`` with its check, a whole ``fork`` (records copied
    inside the file) and a whole ``restore``. A ``snapshot`` is one read transaction. Listing,
    with or without a prefix, is one range of the ``session_id`` index (O(page)), skipping
    expired sessions not yet purged; ``purge_expired`` deletes in short batches so live
    sessions' writes are not held up for long. ``read_only=True`` opens the file read-only
    (``file:...?mode=ro``): no file, table or migration is ever created, a missing file raises
    :class:`~sessions_plus.StoreNotFoundError` and a file of an older schema a
    :class:`~sessions_plus.ConfigurationError` (a writable store migrates it). SQLite itself
    may create the ``-wal``/``-shm`` companions of an existing WAL file for any reader.
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
        self.busy_timeout = check_busy_timeout(busy_timeout)
        if synchronous not in ("normal", "full"):
            raise ConfigurationError(f"synchronous must be 'normal' or 'full', not {synchronous!r}")
        self.synchronous: Synchronous = synchronous
        self.tables = Tables(
            check_table_prefix(table_prefix),
            None if sessions_table is None else check_table_name(sessions_table),
        )
        self._sql = Statements(self.tables)
        self._rows = SessionRows(self._sql, self.ttl)
        self._db = Connections(
            self.path,
            self.tables,
            busy_timeout=self.busy_timeout,
            synchronous=synchronous,
            read_only=self.read_only,
        )

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r}, table_prefix={self.tables.prefix!r})"

    # ------------------------------------------------------------------ helpers

    def _write(self, op: Operation[T]) -> Awaitable[T]:
        """Run ``op`` in one write transaction on the store's threads."""
        return self._db.call(lambda: self._db.write(op))

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
        self, session_id: str, op: Operation[T], *, consistent: bool = False
    ) -> Callable[[], T]:
        """Wrap a read (which finds the live session itself) for the pool: one statement, or
        with ``consistent`` several in one read transaction.

        With ``refresh_on_read`` (and a TTL) the read slides the TTL in a write transaction.
        """
        if not (self.refresh_on_read and self.ttl is not None):
            read = self._db.read_consistent if consistent else self._db.read
            return lambda: read(op)

        def refreshing(conn: sqlite3.Connection, now: float) -> T:
            sid, _ = self._rows.live(conn, session_id, now)
            if sid is not None:
                conn.execute(self._sql.refresh, (self._rows.expiry(now), sid))
            return op(conn, now)

        return lambda: self._db.write(refreshing)

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
        rows = await self._db.call(self._reading(session_id, op))
        return list(starmap(RawRecord, rows))

    async def read_log_payloads(self, query: LogRange) -> list[tuple[int, bytes]]:
        session_id, stream, keep = query.session_id, query.stream, query.keep
        limit, after, before = query.limit, query.after, query.before
        latest = limit is not None and keep == "latest"
        statement = self._sql.pairs_desc if latest else self._sql.pairs_asc
        op = self._select(statement, session_id, stream, limit, after, before, latest)
        return await self._db.call(self._reading(session_id, op))

    @staticmethod
    def _select(
        statement: str,
        session_id: str,
        stream: str,
        limit: int | None,
        after: int | None,
        before: int | None,
        latest: bool,
    ) -> Operation[list[Any]]:
        """One read statement over a range of seqs, as rows in seq order."""
        upper = MAX_SEQ if before is None else before
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
            sid, ranges = self._rows.live(conn, session_id, now)
            first, last = ranges.get(stream, _EMPTY)
            if sid is None or last < first:
                return None
            rows = conn.execute(self._sql.pop_record, (sid, stream, last)).fetchall()
            ranges[stream] = [first, last - 1]  # emptied from seq 1: forgotten (rows.py)
            self._rows.save(conn, session_id, sid, ranges, now)
            return RawRecord(*rows[0])

        return await self._write(op)

    async def replace_payload(self, session_id: str, stream: str, seq: int, payload: bytes) -> None:
        def op(conn: sqlite3.Connection, now: float) -> None:
            sid, ranges = self._rows.live(conn, session_id, now)
            first, last = ranges.get(stream, _EMPTY)
            if sid is None or not first <= seq <= last:
                raise RecordNotFoundError(
                    f"session {session_id!r} stream {stream!r} has no record seq={seq}"
                )
            conn.execute(self._sql.replace_record, (payload, sid, stream, seq))
            self._rows.save(conn, session_id, sid, ranges, now)

        await self._write(op)

    async def write_log(self, write: LogWrite) -> int:
        """Append at the end (``start_seq=None``) or truncate at ``start_seq`` and append; then
        drop the oldest records beyond ``max_records``, all in one transaction."""
        session_id, stream, start_seq = write.session_id, write.stream, write.start_seq
        payloads, format, author = write.payloads, write.format, write.author
        if_last_seq, max_records = write.if_last_seq, self.max_records

        def op(conn: sqlite3.Connection, now: float) -> int:
            sid, ranges = self._rows.live(conn, session_id, now)
            first, last = ranges.get(stream, _EMPTY)
            if if_last_seq is not None and last != if_last_seq:
                raise self._conflict(session_id, stream, last, if_last_seq)
            start = last + 1 if start_seq is None else start_seq
            if start > last + 1:
                raise ValueError(f"start_seq {start} is past the end of stream {stream!r} ({last})")
            first = min(first, start)  # a splice reaching back before a trim restarts there
            end = start - 1 + len(payloads)
            keep_from = first  # the oldest seq that stays
            if max_records is not None and end - first + 1 > max_records:
                keep_from = end - max_records + 1
            ranges[stream] = [keep_from, end]
            sid = self._rows.save(conn, session_id, sid, ranges, now)
            if start <= last:
                conn.execute(self._sql.truncate, (sid, stream, start))
            if keep_from > first and first < start:  # older records that max_records drops
                conn.execute(self._sql.drop_oldest, (sid, stream, keep_from))
            skip = max(0, keep_from - start)  # new records that would be dropped at once
            if skip < len(payloads):
                self._insert(conn, sid, stream, start + skip, payloads[skip:], now, format, author)
            return start

        return await self._write(op)

    async def trim_log(self, session_id: str, stream: str, keep_last: int) -> int:
        def op(conn: sqlite3.Connection, now: float) -> int:
            sid, ranges = self._rows.live(conn, session_id, now)
            if sid is None:
                raise SessionNotFoundError(f"session {session_id!r} does not exist (or expired)")
            first, last = ranges.get(stream, _EMPTY)
            dropped = max(0, last - first + 1 - keep_last)
            if dropped:
                conn.execute(self._sql.drop_oldest, (sid, stream, first + dropped))
                ranges[stream] = [first + dropped, last]
            self._rows.save(conn, session_id, sid, ranges, now)
            return dropped

        return await self._write(op)

    async def clear_log(self, session_id: str, stream: str) -> None:
        def op(conn: sqlite3.Connection, now: float) -> None:
            sid, ranges = self._rows.live(conn, session_id, now)
            if sid is None:
                return
            conn.execute(self._sql.clear_stream, (sid, stream))
            ranges.pop(stream, None)
            self._rows.save(conn, session_id, sid, ranges, now)

        await self._write(op)

    # ------------------------------------------------------------------ documents

    async def write_doc(self, write: DocWrite) -> bool:
        session_id, name, payload = write.session_id, write.name, write.payload
        if_absent, if_exists = write.if_absent, write.if_exists

        def op(conn: sqlite3.Connection, now: float) -> bool:
            sid, ranges = self._rows.live(conn, session_id, now)
            if if_absent or if_exists:
                present = (
                    sid is not None
                    and conn.execute(self._sql.doc_exists, (sid, name)).fetchone() is not None
                )
                if present != if_exists:
                    return False
            sid = self._rows.save(conn, session_id, sid, ranges, now)
            conn.execute(self._sql.put_doc, (sid, name, payload))
            return True

        return await self._write(op)

    async def read_doc(self, session_id: str, name: str) -> bytes | None:
        def op(conn: sqlite3.Connection, now: float) -> bytes | None:
            row = conn.execute(self._sql.get_doc, (session_id, now, name)).fetchone()
            return None if row is None else bytes(row[0])

        return await self._db.call(self._reading(session_id, op))

    async def remove_doc(self, session_id: str, name: str) -> bool:
        def op(conn: sqlite3.Connection, now: float) -> bool:
            sid, ranges = self._rows.live(conn, session_id, now)
            if sid is None:
                return False
            if conn.execute(self._sql.delete_doc, (sid, name)).rowcount == 0:
                return False
            self._rows.save(conn, session_id, sid, ranges, now)
            return True

        return await self._write(op)

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

        return await self._db.call(self._reading(session_id, op))

    # ------------------------------------------------------------------ whole sessions

    async def delete_session(self, session_id: str, updated_before: float | None = None) -> bool:
        def op(conn: sqlite3.Connection, now: float) -> bool:
            row = conn.execute(self._sql.session_times, (session_id,)).fetchone()
            if row is None:
                return False
            sid, expires_at, updated_at = row
            live = expires_at is None or expires_at > now
            if live and updated_before is not None and updated_at >= updated_before:
                return False  # written since the cutoff: checked in the deleting transaction
            self._rows.drop(conn, sid)
            return live

        return await self._write(op)

    async def fork_session(self, fork: ForkRequest) -> SessionInfo:
        """Fork in one write transaction, copying records inside the file (see copies.py)."""
        return await self._write(
            lambda conn, now: copies.fork(self._rows, self._sql, conn, fork, now)
        )

    async def snapshot_session(self, session_id: str) -> RawSnapshot | None:
        op: Operation[RawSnapshot | None] = lambda conn, now: copies.snapshot(  # noqa: E731
            self._sql, conn, session_id, now
        )
        return await self._db.call(self._reading(session_id, op, consistent=True))

    async def restore_session(self, snapshot: RawSnapshot, replace: bool) -> SessionInfo:
        return await self._write(
            lambda conn, now: copies.restore(self._rows, self._sql, conn, snapshot, replace, now)
        )

    # ------------------------------------------------------------------ sessions

    async def session_info(self, session_id: str) -> SessionInfo | None:
        def op(conn: sqlite3.Connection, now: float) -> SessionInfo | None:
            row = conn.execute(self._sql.info, (session_id, now)).fetchone()
            return None if row is None else session_info(session_id, *row)

        return await self._db.call(self._reading(session_id, op))

    async def session_page(self, query: SessionQuery) -> SessionPage:
        """One range of the session_id index, from the prefix (or after the cursor) to the
        first id past the prefix: O(page), however many other sessions the file holds."""
        limit, cursor, prefix = query.limit, query.cursor, query.prefix
        end = prefix_end(prefix)
        after = cursor is not None and cursor >= prefix
        lower = cursor if cursor is not None and after else prefix
        if not _encodable(prefix) or (end is not None and lower >= end):
            return SessionPage([])  # no id can start with it, or the cursor is past them all
        statement = self._sql.list_sessions[(after, end is not None)]
        bounds = (lower,) if end is None else (lower, end)

        def op(conn: sqlite3.Connection, now: float) -> SessionPage:
            rows = conn.execute(statement, (*bounds, now, limit + 1))
            page = [session_info(*row) for row in rows]
            more = len(page) > limit
            page = page[:limit]
            return SessionPage(page, page[-1].session_id if more else None)

        return await self._db.call(lambda: self._db.read(op))

    async def purge_sessions(self) -> int:
        """Delete expired sessions in short transactions (:data:`PURGE_BUDGET` each, or less
        as soon as another write of this store waits), pausing :data:`PURGE_PAUSE` between
        them and checkpointing the WAL outside the write lock, so that live sessions' writes
        wait little however much there is to purge."""
        budget, chunk = PURGE_BUDGET, PURGE_CHUNK

        def op(conn: sqlite3.Connection, now: float) -> tuple[int, bool]:
            deadline = time.perf_counter() + budget
            purged = 0
            while True:
                sids = conn.execute(self._sql.expired_batch, (now, chunk)).fetchall()
                for statement in self._sql.drop_session:
                    conn.executemany(statement, sids)
                purged += len(sids)
                if len(sids) < chunk:
                    return purged, False
                if self._db.writers_waiting() or time.perf_counter() >= deadline:
                    return purged, True

        db = self._db
        await db.call(lambda: db.configure_writer("PRAGMA wal_autocheckpoint = 0"))
        try:
            purged = 0
            checkpointed = time.perf_counter()
            while True:
                removed, more = await self._write(op)
                purged += removed
                if not more:
                    return purged
                if time.perf_counter() - checkpointed >= PURGE_CHECKPOINT_EVERY:
                    await db.call(db.checkpoint)
                    checkpointed = time.perf_counter()
                await asyncio.sleep(PURGE_PAUSE)
        finally:
            await db.call(db.checkpoint)
            await db.call(lambda: db.configure_writer("PRAGMA wal_autocheckpoint = 1000"))

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        """Close the store from synchronous code (any thread); waits for running operations."""
        self._closed = True
        self._db.shutdown()

    async def close_backend(self) -> None:
        await asyncio.to_thread(self._db.shutdown)

    @classmethod
    def _from_url_options(cls, parts: SplitResult, options: Options) -> Self:
        """``sqlite:///rel.db``, ``sqlite:////abs.db``, ``sqlite://:memory:`` plus options."""
        return cls(url_path(parts), **url_store_options(options))
