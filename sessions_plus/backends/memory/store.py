"""Process-local store for tests and prototypes: the reference implementation of the contract."""

from __future__ import annotations

import bisect
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import SplitResult

from ...backend import DocWrite, LogRange, LogWrite, SessionQuery
from ...errors import ConflictError, RecordNotFoundError
from ...options import Options, common_options, reject_unknown
from ...records import RawRecord, SessionInfo, SessionPage
from ...store import ConversationStore


@dataclass
class _Session:
    created_at: float
    updated_at: float
    expires_at: float | None
    streams: dict[str, list[RawRecord]] = field(default_factory=dict)
    docs: dict[str, bytes] = field(default_factory=dict)


class MemoryStore(ConversationStore):
    """Keeps everything in this process's memory; safe from any thread and event loop.

    Nothing survives the process. Use it in tests and prototypes, or as the reference when
    writing a new backend.
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
        session_id, stream, keep = query.session_id, query.stream, query.keep
        limit, after, before = query.limit, query.after, query.before
        with self._lock:
            session = self._for_read(session_id)
            if session is None:
                return []
            log = session.streams.get(stream, [])
            lo = after or 0  # index of seq after+1
            hi = len(log) if before is None else min(len(log), before - 1)
            if lo >= hi:
                return []
            if limit is not None:
                if keep == "latest":
                    lo = max(lo, hi - limit)
                else:
                    hi = min(hi, lo + limit)
            return log[lo:hi]

    async def pop_log(self, session_id: str, stream: str) -> RawRecord | None:
        with self._lock:
            now = time.time()
            session = self._live(session_id, now)
            if session is None or not session.streams.get(stream):
                return None
            session = self._for_write(session_id, now)
            log = session.streams[stream]
            raw = log.pop()
            if not log:
                del session.streams[stream]
            return raw

    async def replace_payload(self, session_id: str, stream: str, seq: int, payload: bytes) -> None:
        with self._lock:
            now = time.time()
            session = self._live(session_id, now)
            log = session.streams.get(stream, []) if session else []
            if seq > len(log):
                raise RecordNotFoundError(
                    f"session {session_id!r} stream {stream!r} has no record seq={seq}"
                )
            session = self._for_write(session_id, now)
            old = log[seq - 1]
            log[seq - 1] = RawRecord(seq, payload, old.created_at, old.format, old.author)

    async def write_log(self, write: LogWrite) -> int:
        session_id, stream, start_seq = write.session_id, write.stream, write.start_seq
        payloads, format, author = write.payloads, write.format, write.author
        if_last_seq = write.if_last_seq
        """Append at the end (``start_seq=None``) or truncate at ``start_seq`` and append."""
        with self._lock:
            now = time.time()
            existing = self._live(session_id, now)
            last = len(existing.streams.get(stream, [])) if existing else 0
            if if_last_seq is not None and last != if_last_seq:
                raise ConflictError(
                    f"stream {stream!r} of session {session_id!r} ends at seq {last}, "
                    f"not {if_last_seq}"
                )
            start = last + 1 if start_seq is None else start_seq
            if start > last + 1:
                raise ValueError(f"start_seq {start} is past the end of stream {stream!r} ({last})")
            session = self._for_write(session_id, now)
            log = session.streams.setdefault(stream, [])
            del log[start - 1 :]
            log.extend(
                RawRecord(start + i, payload, now, format, author)
                for i, payload in enumerate(payloads)
            )
            if not log:
                del session.streams[stream]
            return start

    async def clear_log(self, session_id: str, stream: str) -> None:
        with self._lock:
            now = time.time()
            if self._live(session_id, now) is None:
                return
            self._for_write(session_id, now).streams.pop(stream, None)

    async def delete_session(self, session_id: str) -> bool:
        with self._lock:
            live = self._live(session_id, time.time()) is not None
            self._sessions.pop(session_id, None)
            return live

    # -- documents

    async def write_doc(self, write: DocWrite) -> bool:
        session_id, name, payload = write.session_id, write.name, write.payload
        if_absent, if_exists = write.if_absent, write.if_exists
        with self._lock:
            now = time.time()
            existing = self._live(session_id, now)
            present = existing is not None and name in existing.docs
            if (if_absent and present) or (if_exists and not present):
                return False
            self._for_write(session_id, now).docs[name] = payload
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

    # -- sessions

    @staticmethod
    def _to_info(session_id: str, session: _Session) -> SessionInfo:
        return SessionInfo(
            session_id=session_id,
            created_at=session.created_at,
            updated_at=session.updated_at,
            expires_at=session.expires_at,
            streams={name: len(log) for name, log in session.streams.items() if log},
        )

    async def session_info(self, session_id: str) -> SessionInfo | None:
        with self._lock:
            session = self._for_read(session_id)
            return None if session is None else self._to_info(session_id, session)

    async def session_page(self, query: SessionQuery) -> SessionPage:
        limit, cursor = query.limit, query.cursor
        with self._lock:
            now = time.time()
            ids = sorted(self._sessions)
            start = 0 if cursor is None else bisect.bisect_right(ids, cursor)
            page: list[SessionInfo] = []
            index = start
            while index < len(ids) and len(page) < limit:
                session = self._live(ids[index], now)
                if session is not None:
                    page.append(self._to_info(ids[index], session))
                index += 1
            more = any(self._live(i, now) is not None for i in ids[index:])
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
