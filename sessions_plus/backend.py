"""The backend interface: what a storage backend implements, and the requests it receives.

:class:`~sessions_plus.store.ConversationStore` is a :class:`Backend` plus the public API: its
public methods validate names and arguments, encode items to bytes, then call exactly one
backend method with a small frozen request (:class:`LogWrite`, :class:`LogRange`,
:class:`DocWrite`, :class:`SessionQuery`), and decode and apply the corrupt-record policy on
the way back. A backend therefore deals only in validated names and encoded bytes, and every
check lives in one place. Application code calls the public methods; the backend methods are
public so that a backend's contract is explicit and documented, not so that callers skip the
checks (a wrapper such as :class:`~sessions_plus.EncryptedStore` wraps a store through its
public API).

Every method here is atomic on its session: concurrent callers (tasks, threads, processes,
machines) never see or leave a half-done operation. Adding a backend is one package under
``sessions_plus/backends/`` implementing these methods (see CONTRIBUTING.md).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from .errors import ConflictError, SessionNotFoundError
from .records import RawRecord, RawSnapshot, SessionInfo, SessionPage

Keep = Literal["latest", "earliest"]
"""Which end of a range a limited read keeps."""


@dataclass(frozen=True, slots=True)
class LogWrite:
    """Write ``payloads`` to a stream, atomically.

    ``start_seq`` None appends after the stream's last seq (``payloads`` is then not empty);
    otherwise every record with ``seq >= start_seq`` is dropped first and the payloads are
    written from ``start_seq`` on (a splice; ``start_seq`` is at most last seq + 1, else
    ``ValueError``). With ``if_last_seq`` not None the write happens only if the stream ends at
    exactly that seq, else :class:`~sessions_plus.ConflictError`. ``format`` and ``author`` go
    into the header of every record written.
    """

    session_id: str
    stream: str
    payloads: Sequence[bytes]
    start_seq: int | None = None
    format: str | None = None
    author: str | None = None
    if_last_seq: int | None = None


@dataclass(frozen=True, slots=True)
class LogRange:
    """The records of a stream with ``after < seq < before`` (None: unbounded), in seq order;
    with ``limit`` only that many: the latest (``keep="latest"``) or the earliest."""

    session_id: str
    stream: str
    limit: int | None = None
    after: int | None = None
    before: int | None = None
    keep: Keep = "latest"


@dataclass(frozen=True, slots=True)
class DocWrite:
    """Write a whole document. ``if_absent``: only if none exists by that name;
    ``if_exists``: only if one does (never both)."""

    session_id: str
    name: str
    payload: bytes
    if_absent: bool = False
    if_exists: bool = False


@dataclass(frozen=True, slots=True)
class SessionQuery:
    """One page of live sessions whose ids start with ``prefix``: at most ``limit``, after
    ``cursor``."""

    limit: int
    cursor: str | None = None
    prefix: str = ""


@dataclass(frozen=True, slots=True)
class ForkRequest:
    """Copy session ``source_id`` into ``target_id`` (see :meth:`Backend.fork_session`)."""

    source_id: str
    target_id: str
    streams: frozenset[str] | None = None
    """Only these streams (None: every stream)."""
    upto: int | Mapping[str, int] | None = None
    """Only records with seq <= this (one seq for every stream, or per stream)."""
    replace: bool = False
    """Replace a live target instead of raising ConflictError."""


class Backend(ABC):
    """Storage operations on validated names and encoded payloads (see the module docstring).

    TTL, the same on every backend: with a TTL every write (and, with ``refresh_on_read``, every
    read) slides the whole session's expiry; an expired session is invisible at once (reads find
    nothing, ``session_info`` returns None, pages skip it) and a write to it starts a new, empty
    session.
    """

    @abstractmethod
    async def write_log(self, write: LogWrite) -> int:
        """Perform ``write`` (see :class:`LogWrite`); return the first seq written (the seq the
        first payload got; for an empty splice, ``start_seq``). Creates the session if needed."""

    @abstractmethod
    async def read_log(self, query: LogRange) -> list[RawRecord]:
        """The records ``query`` selects, in seq order (an unknown session reads as empty).
        Cost O(limit), not O(history)."""

    async def read_log_payloads(self, query: LogRange) -> list[tuple[int, bytes]]:
        """``(seq, payload)`` of the records :meth:`read_log` returns. Backends that can read
        less than the whole record override it."""
        return [(raw.seq, raw.payload) for raw in await self.read_log(query)]

    @abstractmethod
    async def pop_log(self, session_id: str, stream: str) -> RawRecord | None:
        """Remove and return the stream's latest record; None if it is empty."""

    @abstractmethod
    async def replace_payload(self, session_id: str, stream: str, seq: int, payload: bytes) -> None:
        """Overwrite record ``seq``'s payload, keeping its seq and header, or raise
        :class:`~sessions_plus.RecordNotFoundError`."""

    @abstractmethod
    async def clear_log(self, session_id: str, stream: str) -> None:
        """Remove every record of one stream (the next append starts at seq 1); documents and
        other streams stay; a session that does not exist is not created."""

    @abstractmethod
    async def delete_session(self, session_id: str, updated_before: float | None = None) -> bool:
        """Remove the whole session; True if a live one was there (and removed). With
        ``updated_before`` only if its last write is older than that (Unix seconds), checked
        atomically with the delete."""

    @abstractmethod
    async def trim_log(self, session_id: str, stream: str, keep_last: int) -> int:
        """Drop the stream's oldest records so that at most ``keep_last`` remain; return how
        many were removed. The stream's last seq stays (no seq is ever reused).
        :class:`~sessions_plus.SessionNotFoundError` if there is no live session."""

    @abstractmethod
    async def snapshot_session(self, session_id: str) -> RawSnapshot | None:
        """One consistent copy of a live session (every stream with its range and records,
        every document), or None."""

    @abstractmethod
    async def restore_session(self, snapshot: RawSnapshot, replace: bool) -> SessionInfo:
        """Write ``snapshot`` as the whole session ``snapshot.session_id``: its streams with
        their ranges, records (seqs, times, headers) and documents; created_at from the
        snapshot, updated_at now, the store's TTL. A live session by that id raises
        :class:`~sessions_plus.ConflictError` unless ``replace``, which replaces it whole.
        All or nothing where the backend allows (each backend documents its limits)."""

    async def fork_session(self, fork: ForkRequest) -> SessionInfo:
        """Copy a live session into a new one (see :class:`ForkRequest`); the source is left
        as it was. :class:`~sessions_plus.SessionNotFoundError` if the source is not live,
        :class:`~sessions_plus.ConflictError` if the target is (unless ``replace``).

        This default takes a snapshot and restores the selected part of it: the copy is one
        consistent point in time and the target appears whole. Backends that can do both in
        one atomic step override it.
        """
        from .snapshots import select

        raw = await self.snapshot_session(fork.source_id)
        if raw is None:
            raise SessionNotFoundError(f"session {fork.source_id!r} does not exist (or expired)")
        if not fork.replace and await self.session_info(fork.target_id) is not None:
            raise ConflictError(f"session {fork.target_id!r} already exists")
        part = select(raw, fork.target_id, fork.streams, fork.upto)
        return await self.restore_session(part, fork.replace)

    @abstractmethod
    async def write_doc(self, write: DocWrite) -> bool:
        """Perform ``write`` (see :class:`DocWrite`); True if written."""

    @abstractmethod
    async def read_doc(self, session_id: str, name: str) -> bytes | None:
        """A document's payload, or None."""

    @abstractmethod
    async def remove_doc(self, session_id: str, name: str) -> bool:
        """Remove one document; True if it existed."""

    @abstractmethod
    async def doc_names(self, session_id: str, prefix: str) -> list[str]:
        """The session's document names starting with ``prefix``, sorted."""

    @abstractmethod
    async def session_info(self, session_id: str) -> SessionInfo | None:
        """Metadata of a live session, or None."""

    @abstractmethod
    async def session_page(self, query: SessionQuery) -> SessionPage:
        """One page of live sessions (see :meth:`ConversationStore.list_sessions`)."""

    @abstractmethod
    async def purge_sessions(self) -> int:
        """Remove expired sessions' data now; return exactly how many expired sessions this
        call removed data or index entries of."""

    @abstractmethod
    async def close_backend(self) -> None:
        """Release every connection this backend made (never a client it was handed)."""
