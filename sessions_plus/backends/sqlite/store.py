"""SQLiteStore: the backend operations, each one statement or one transaction.

Statements live in :mod:`.statements`, connections and transactions in :mod:`.connections`,
the schema in :mod:`.schema`; this module says what each operation does with them.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import closing
from itertools import starmap
from typing import Any, Self, TypeVar
from urllib.parse import SplitResult

from ...backend import DocWrite, LogRange, LogWrite, SessionQuery
from ...errors import ConfigurationError, ConflictError, RecordNotFoundError
from ...options import Options
from ...records import RawRecord, SessionInfo, SessionPage
from ...store import ConversationStore
from .connections import MEMORY, Connections, Synchronous, check_busy_timeout
from .rows import decode_streams, encode_streams, session_info
from .schema import Tables, check_table_name, check_table_prefix
from .statements import MAX_SEQ, Statements
from .urls import url_path, url_store_options

T = TypeVar("T")


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
        self.busy_timeout = check_busy_timeout(busy_timeout)
        if synchronous not in ("normal", "full"):
            raise ConfigurationError(f"synchronous must be 'normal' or 'full', not {synchronous!r}")
        self.synchronous: Synchronous = synchronous
        self.tables = Tables(
            check_table_prefix(table_prefix),
            None if sessions_table is None else check_table_name(sessions_table),
        )
        self._sql = Statements(self.tables)
        self._db = Connections(
            self.path, self.tables, busy_timeout=self.busy_timeout, synchronous=synchronous
        )

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r}, table_prefix={self.tables.prefix!r})"

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
        return sid, decode_streams(streams)

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
        values = (now, self._expiry(now), encode_streams(streams))
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
            return lambda: self._db.read(op)

        def refreshing(conn: sqlite3.Connection, now: float) -> T:
            sid, _ = self._live(conn, session_id, now)
            if sid is not None:
                conn.execute(self._sql.refresh, (self._expiry(now), sid))
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
    ) -> Callable[[sqlite3.Connection, float], list[Any]]:
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
            sid, streams = self._live(conn, session_id, now)
            last = streams.get(stream, 0)
            if sid is None or last == 0:
                return None
            rows = conn.execute(self._sql.pop_record, (sid, stream, last)).fetchall()
            streams[stream] = last - 1
            self._save(conn, session_id, sid, streams, now)
            return RawRecord(*rows[0])

        return await self._db.call(lambda: self._db.write(op))

    async def replace_payload(self, session_id: str, stream: str, seq: int, payload: bytes) -> None:
        def op(conn: sqlite3.Connection, now: float) -> None:
            sid, streams = self._live(conn, session_id, now)
            if sid is None or seq > streams.get(stream, 0):
                raise RecordNotFoundError(
                    f"session {session_id!r} stream {stream!r} has no record seq={seq}"
                )
            conn.execute(self._sql.replace_record, (payload, sid, stream, seq))
            self._save(conn, session_id, sid, streams, now)

        await self._db.call(lambda: self._db.write(op))

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

        return await self._db.call(lambda: self._db.write(op))

    async def clear_log(self, session_id: str, stream: str) -> None:
        def op(conn: sqlite3.Connection, now: float) -> None:
            sid, streams = self._live(conn, session_id, now)
            if sid is None:
                return
            conn.execute(self._sql.truncate, (sid, stream, 1))
            streams.pop(stream, None)
            self._save(conn, session_id, sid, streams, now)

        await self._db.call(lambda: self._db.write(op))

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

        return await self._db.call(lambda: self._db.write(op))

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

        return await self._db.call(lambda: self._db.write(op))

    async def read_doc(self, session_id: str, name: str) -> bytes | None:
        def op(conn: sqlite3.Connection, now: float) -> bytes | None:
            row = conn.execute(self._sql.get_doc, (session_id, now, name)).fetchone()
            return None if row is None else bytes(row[0])

        return await self._db.call(self._reading(session_id, op))

    async def remove_doc(self, session_id: str, name: str) -> bool:
        def op(conn: sqlite3.Connection, now: float) -> bool:
            sid, streams = self._live(conn, session_id, now)
            if sid is None:
                return False
            if conn.execute(self._sql.delete_doc, (sid, name)).rowcount == 0:
                return False
            self._save(conn, session_id, sid, streams, now)
            return True

        return await self._db.call(lambda: self._db.write(op))

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

    # ------------------------------------------------------------------ sessions

    async def session_info(self, session_id: str) -> SessionInfo | None:
        def op(conn: sqlite3.Connection, now: float) -> SessionInfo | None:
            row = conn.execute(self._sql.info, (session_id, now)).fetchone()
            return None if row is None else session_info(session_id, *row)

        return await self._db.call(self._reading(session_id, op))

    async def session_page(self, query: SessionQuery) -> SessionPage:
        limit, cursor = query.limit, query.cursor
        if query.prefix:  # contract v2: the backend's owner implements it
            raise NotImplementedError(f"{type(self).__name__}: list_sessions(prefix=) not yet")

        def op(conn: sqlite3.Connection, now: float) -> SessionPage:
            rows = conn.execute(self._sql.list_sessions, (cursor or "", now, limit + 1))
            page = [session_info(*row) for row in rows]
            more = len(page) > limit
            page = page[:limit]
            return SessionPage(page, page[-1].session_id if more else None)

        return await self._db.call(lambda: self._db.read(op))

    async def purge_sessions(self) -> int:
        def op(conn: sqlite3.Connection, now: float) -> int:
            for statement in self._sql.purge:
                conn.execute(statement, (now,))
            return conn.execute(self._sql.purge_sessions, (now,)).rowcount

        return await self._db.call(lambda: self._db.write(op))

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
