"""Process-local store for tests and prototypes: the reference implementation of the contract."""

from __future__ import annotations

import bisect
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import SplitResult

from ...backend import DocWrite, LogRange, LogWrite, SessionQuery
from ...errors import ConflictError, RecordNotFoundError, SessionNotFoundError
from ...options import Options, common_options, reject_unknown
from ...records import (
    RawRecord,
    RawSnapshot,
    RawStreamSnapshot,
    SessionInfo,
    SessionPage,
    StreamRange,
)
from ...store import ConversationStore


@dataclass
class _Stream:
    """Records ``first..first + len(records) - 1``; ``first`` moves on when trimmed."""

    first: int = 1
    records: list[RawRecord] = field(default_factory=list)

    @property
    def last(self) -> int:
        return self.first + len(self.records) - 1

    def index(self, seq: int) -> int:
        """List index of ``seq`` (may be out of range)."""
        return seq - self.first

    def drop_oldest(self, keep: int) -> int:
        """Keep the newest ``keep`` records; return how many were dropped."""
        dropped = max(0, len(self.records) - keep)
        if dropped:
            del self.records[:dropped]
            self.first += dropped
        return dropped


@dataclass
class _Session:
    created_at: float
    updated_at: float
    expires_at: float | None
    streams: dict[str, _Stream] = field(default_factory=dict)
    docs: dict[str, bytes] = field(default_factory=dict)


class MemoryStore(ConversationStore):
    """Keeps everything in this process's memory; safe from any thread and event loop.

    Nothing survives the process. Use it in tests and prototypes, or as the reference when
    writing a new backend: every operation is one step under one lock.
    """

    def __init__(self, *, ttl: float | None = None, refresh_on_read: bool = False, **kwargs: Any):
        super().__init__(ttl=ttl, refresh_on_read=refresh_on_read, **kwargs)
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}

    # -- helpers (call with the lock held)

    def _live(self, session_id: str, now: float, *, touch: bool = False) -> _Session | None:
        session = self._sessions.get(session_id)
        if session is None:
            return None
        if session.expires_at is not None and session.expires_at <= now:
            del self._sessions[session_id]
            return None
        if touch and self.ttl is not None:
            session.expires_at = now + self.ttl
        return session

    def _for_read(self, session_id: str) -> _Session | None:
        return self._live(session_id, time.time(), touch=self.refresh_on_read)

    def _for_write(self, session_id: str, now: float) -> _Session:
        session = self._live(session_id, now)
        if session is None:
            session = _Session(created_at=now, updated_at=now, expires_at=None)
            self._sessions[session_id] = session
        session.updated_at = now
        session.expires_at = None if self.ttl is None else now + self.ttl
        return session

    # -- logs

    async def read_log(self, query: LogRange) -> list[RawRecord]:
        with self._lock:
            session = self._for_read(query.session_id)
            log = None if session is None else session.streams.get(query.stream)
            if log is None:
                return []
            lo = 0 if query.after is None else max(0, log.index(query.after + 1))
            hi = len(log.records)
            if query.before is not None:
                hi = min(hi, max(0, log.index(query.before)))
            if lo >= hi:
                return []
            if query.limit is not None:
                if query.keep == "latest":
                    lo = max(lo, hi - query.limit)
                else:
                    hi = min(hi, lo + query.limit)
            return log.records[lo:hi]

    async def pop_log(self, session_id: str, stream: str) -> RawRecord | None:
        with self._lock:
            now = time.time()
            session = self._live(session_id, now)
            log = None if session is None else session.streams.get(stream)
            if log is None or not log.records:
                return None
            raw = self._for_write(session_id, now).streams[stream].records.pop()
            if not log.records and log.first == 1:
                del session.streams[stream]  # type: ignore[union-attr]
            return raw

    async def replace_payload(self, session_id: str, stream: str, seq: int, payload: bytes) -> None:
        with self._lock:
            now = time.time()
            session = self._live(session_id, now)
            log = None if session is None else session.streams.get(stream)
            if log is None or not 0 <= log.index(seq) < len(log.records):
                raise RecordNotFoundError(
                    f"session {session_id!r} stream {stream!r} has no record seq={seq}"
                )
            self._for_write(session_id, now)
            old = log.records[log.index(seq)]
            log.records[log.index(seq)] = RawRecord(
                seq, payload, old.created_at, old.format, old.author
            )

    async def write_log(self, write: LogWrite) -> int:
        """Append at the end (``start_seq`` None) or truncate at ``start_seq`` and append."""
        stream = write.stream
        with self._lock:
            now = time.time()
            existing = self._live(write.session_id, now)
            log = None if existing is None else existing.streams.get(stream)
            last = 0 if log is None else log.last
            if write.if_last_seq is not None and last != write.if_last_seq:
                raise ConflictError(
                    f"stream {stream!r} of session {write.session_id!r} ends at seq {last}, "
                    f"not {write.if_last_seq}"
                )
            start = last + 1 if write.start_seq is None else write.start_seq
            if start > last + 1:
                raise ValueError(f"start_seq {start} is past the end of stream {stream!r} ({last})")
            session = self._for_write(write.session_id, now)
            log = session.streams.setdefault(stream, _Stream())
            if start < log.first:  # a splice reaching back before a trim: restart there
                log.records.clear()
                log.first = start
            del log.records[log.index(start) :]
            log.records.extend(
                RawRecord(start + i, payload, now, write.format, write.author)
                for i, payload in enumerate(write.payloads)
            )
            if self.max_records is not None:
                log.drop_oldest(self.max_records)
            if not log.records and log.first == 1:
                del session.streams[stream]
            return start

    async def trim_log(self, session_id: str, stream: str, keep_last: int) -> int:
        with self._lock:
            now = time.time()
            if self._live(session_id, now) is None:
                raise SessionNotFoundError(f"session {session_id!r} does not exist (or expired)")
            session = self._for_write(session_id, now)
            log = session.streams.get(stream)
            return 0 if log is None else log.drop_oldest(keep_last)

    async def clear_log(self, session_id: str, stream: str) -> None:
        with self._lock:
            now = time.time()
            if self._live(session_id, now) is None:
                return
            self._for_write(session_id, now).streams.pop(stream, None)

    async def delete_session(self, session_id: str, updated_before: float | None = None) -> bool:
        with self._lock:
            session = self._live(session_id, time.time())
            if session is None:
                self._sessions.pop(session_id, None)
                return False
            if updated_before is not None and session.updated_at >= updated_before:
                return False
            del self._sessions[session_id]
            return True

    # -- documents

    async def write_doc(self, write: DocWrite) -> bool:
        with self._lock:
            now = time.time()
            existing = self._live(write.session_id, now)
            present = existing is not None and write.name in existing.docs
            if (write.if_absent and present) or (write.if_exists and not present):
                return False
            self._for_write(write.session_id, now).docs[write.name] = write.payload
            return True

    async def read_doc(self, session_id: str, name: str) -> bytes | None:
        with self._lock:
            session = self._for_read(session_id)
            return None if session is None else session.docs.get(name)

    async def remove_doc(self, session_id: str, name: str) -> bool:
        with self._lock:
            now = time.time()
            session = self._live(session_id, now)
            if session is None or name not in session.docs:
                return False
            del self._for_write(session_id, now).docs[name]
            return True

    async def doc_names(self, session_id: str, prefix: str) -> list[str]:
        with self._lock:
            session = self._for_read(session_id)
            if session is None:
                return []
            return sorted(name for name in session.docs if name.startswith(prefix))

    # -- whole sessions

    async def snapshot_session(self, session_id: str) -> RawSnapshot | None:
        with self._lock:
            session = self._for_read(session_id)
            if session is None:
                return None
            streams = {
                name: RawStreamSnapshot(log.first, log.last, list(log.records))
                for name, log in session.streams.items()
            }
            return RawSnapshot(
                session_id, session.created_at, session.updated_at, streams, dict(session.docs)
            )

    async def restore_session(self, snapshot: RawSnapshot, replace: bool) -> SessionInfo:
        with self._lock:
            now = time.time()
            session_id = snapshot.session_id
            if self._live(session_id, now) is not None and not replace:
                raise ConflictError(f"session {session_id!r} already exists")
            session = _Session(
                created_at=snapshot.created_at,
                updated_at=now,
                expires_at=None if self.ttl is None else now + self.ttl,
                streams={
                    name: _Stream(stream.first, list(stream.records))
                    for name, stream in snapshot.streams.items()
                    if stream.last > 0
                },
                docs=dict(snapshot.docs),
            )
            self._sessions[session_id] = session
            return self._to_info(session_id, session)

    # -- sessions

    @staticmethod
    def _to_info(session_id: str, session: _Session) -> SessionInfo:
        return SessionInfo(
            session_id=session_id,
            created_at=session.created_at,
            updated_at=session.updated_at,
            expires_at=session.expires_at,
            ranges={
                name: StreamRange(log.first, log.last) for name, log in session.streams.items()
            },
        )

    async def session_info(self, session_id: str) -> SessionInfo | None:
        with self._lock:
            session = self._for_read(session_id)
            return None if session is None else self._to_info(session_id, session)

    async def session_page(self, query: SessionQuery) -> SessionPage:
        with self._lock:
            now = time.time()
            ids = sorted(self._sessions)
            prefix = query.prefix
            start = bisect.bisect_left(ids, prefix)
            if query.cursor is not None:
                start = max(start, bisect.bisect_right(ids, query.cursor))
            page: list[SessionInfo] = []
            index = start
            more = False
            while index < len(ids) and ids[index].startswith(prefix):
                session = self._live(ids[index], now)
                if session is not None:
                    if len(page) == query.limit:
                        more = True
                        break
                    page.append(self._to_info(ids[index], session))
                index += 1
            return SessionPage(page, page[-1].session_id if page and more else None)

    async def purge_sessions(self) -> int:
        with self._lock:
            now = time.time()
            expired = [
                sid
                for sid, s in self._sessions.items()
                if s.expires_at is not None and s.expires_at <= now
            ]
            for sid in expired:
                del self._sessions[sid]
            return len(expired)

    async def close_backend(self) -> None:
        with self._lock:
            self._sessions.clear()

    @classmethod
    def _from_url_options(cls, parts: SplitResult, options: Options) -> Self:
        """``memory://?ttl=...``: a new, empty store (nothing is shared between URLs)."""
        common = common_options(options)
        reject_unknown(options, "memory")
        return cls(**common)
