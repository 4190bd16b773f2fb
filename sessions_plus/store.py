"""The store contract: one async abstract class every backend implements.

The docstrings of :class:`ConversationStore` are the specification. The public methods validate
their input, encode and decode items and apply the corrupt-record policy, then call one method
of the backend interface (:class:`sessions_plus.backend.Backend`), which deals only in
validated names and encoded bytes.

A session holds:

* **logs**: named append-only streams (``stream="main"`` by default) of JSON records. The backend
  assigns each record's ``seq`` atomically: the records of a stream are always exactly the seqs
  ``1..n`` (gap-free, strictly increasing); ``append`` assigns ``n+1...``, ``pop`` removes ``n``,
  ``clear`` empties the stream so the next append starts at 1 again.
* **documents**: small named JSON documents, read and written whole.
* **metadata**: created_at, updated_at, per-stream counts and expires_at (:class:`SessionInfo`).

TTL, the same on every backend: with ``ttl=None`` a session is kept forever. With a TTL (seconds)
the whole session (logs, documents and metadata together, never one record at a time) expires
``ttl`` seconds after its last write; every write slides it, and with ``refresh_on_read=True``
every read slides it too. An expired session is invisible at once, even where the backend deletes
lazily: reads return nothing, ``info`` returns None, listings skip it, and a write to it starts a
new, empty session in which nothing of the expired one ever reappears. ``purge_expired`` removes
expired data now.

A store may be used from any event loop and any thread; backends keep their connections per event
loop (see :mod:`sessions_plus.loops`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import SplitResult, urlsplit

from .backend import Backend, DocWrite, Keep, LogRange, LogWrite, SessionQuery
from .codec import DEFAULT_MAX_RECORD_BYTES, JsonCodec
from .errors import ConfigurationError, CorruptRecordError, StoreClosedError
from .ids import check_name, check_session_id
from .options import Options, url_options
from .records import RawRecord, Record, SessionInfo, SessionPage

__all__ = ["DEFAULT_STREAM", "ConversationStore", "Keep", "OnCorrupt", "check_ttl"]

logger = logging.getLogger("sessions_plus")

DEFAULT_STREAM = "main"
"""The stream used when none is named."""

OnCorrupt = Literal["raise", "skip"]


def check_ttl(ttl: float | None) -> float | None:
    """Validate a TTL option: None, or a finite number of seconds greater than zero."""
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int | float):
        raise ConfigurationError(f"ttl must be a number of seconds or None, not {ttl!r}")
    if not math.isfinite(ttl) or ttl <= 0:
        raise ConfigurationError(f"ttl must be greater than zero, not {ttl!r}")
    return float(ttl)


def _check_seq(value: int | None, what: str, *, minimum: int = 0) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int or None, not {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{what} must be >= {minimum}, not {value}")
    return value


class ConversationStore(Backend):
    """Async conversation store: logs of JSON records, documents and metadata per session.

    Options shared by every backend:

    * ``ttl``: seconds a session lives after its last write; None keeps it forever.
    * ``refresh_on_read``: reads slide the TTL too.
    * ``on_corrupt``: ``"raise"`` (default) raises :class:`CorruptRecordError` naming the session
      and seq of a record that does not decode; ``"skip"`` logs a warning (without the payload)
      and leaves the record out.
    * ``max_record_bytes``: the largest encoded record or document accepted.

    Use as ``async with store:`` or call ``await store.aclose()``; a closed store raises
    :class:`StoreClosedError`. Closing never closes a client the caller handed in.
    """

    def __init__(
        self,
        *,
        ttl: float | None = None,
        refresh_on_read: bool = False,
        on_corrupt: OnCorrupt = "raise",
        max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    ) -> None:
        if on_corrupt not in ("raise", "skip"):
            raise ConfigurationError(f"on_corrupt must be 'raise' or 'skip', not {on_corrupt!r}")
        if (
            isinstance(max_record_bytes, bool)
            or not isinstance(max_record_bytes, int)
            or max_record_bytes <= 0
        ):
            raise ConfigurationError(
                f"max_record_bytes must be a positive int, not {max_record_bytes!r}"
            )
        self.ttl: float | None = check_ttl(ttl)
        self.refresh_on_read: bool = bool(refresh_on_read)
        self.on_corrupt: OnCorrupt = on_corrupt
        self.codec = JsonCodec(max_record_bytes=max_record_bytes)
        self._closed = False

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Self:
        """Open this backend from a store URL (see :func:`sessions_plus.open_store`).

        Query parameters and keyword ``options`` (which win) are the constructor's options;
        an option the backend does not know raises :class:`ConfigurationError`.
        """
        parts = urlsplit(url)
        return cls._from_url_options(parts, url_options(parts, options))

    @classmethod
    def _from_url_options(cls, parts: SplitResult, options: Options) -> Self:
        """Build a store from URL parts and merged options (backends that have URLs)."""
        raise ConfigurationError(f"{cls.__name__} cannot be opened from a URL")

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def closed(self) -> bool:
        """True once ``aclose()`` was called."""
        return self._closed

    async def aclose(self) -> None:
        """Close every connection this store made (never a client it was handed). Idempotent."""
        if self._closed:
            return
        self._closed = True
        await self.close_backend()

    def close(self) -> None:
        """Close from synchronous code (any thread; a running loop in it is fine). Idempotent.

        Runs :meth:`aclose` to completion on a private event loop in a helper thread, so it
        works where ``await`` is not available (``atexit``, a sync SDK ``close()``).
        """
        if self._closed:
            return
        failure: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(self.aclose())
            except BaseException as exc:  # re-raised in the caller's thread
                failure.append(exc)

        thread = threading.Thread(target=run, name="sessions_plus-close", daemon=True)
        thread.start()
        thread.join()
        if failure:
            raise failure[0]

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosedError(f"{type(self).__name__} is closed")

    # ------------------------------------------------------------------ logs

    async def append(
        self,
        session_id: str,
        items: Sequence[Any],
        *,
        stream: str = DEFAULT_STREAM,
        format: str | None = None,
        author: str | None = None,
        if_last_seq: int | None = None,
    ) -> list[int]:
        """Append ``items`` to a stream, all or nothing; return the seqs assigned, in order.

        Seqs are assigned by the backend inside the same atomic operation as the write, so any
        number of concurrent writers (tasks, threads, processes, machines) never lose, duplicate
        or interleave a batch: one call's records get consecutive seqs. ``format`` and ``author``
        go into every record's header. With ``if_last_seq`` the append happens only if the
        stream's last seq is exactly that value (0 for empty), else :class:`ConflictError` and
        nothing is written. Every item is validated and encoded before anything is written;
        an empty ``items`` writes nothing and returns ``[]``. ``items`` must be a sequence of
        items: a ``str``, ``bytes`` or mapping raises ``TypeError`` (it is one item, not many).
        The session is created if needed and its TTL slides.
        """
        self._check_open()
        check_session_id(session_id)
        check_name(stream, "stream")
        _check_header(format, author)
        _check_seq(if_last_seq, "if_last_seq")
        payloads = self._encode_items(items)
        if not payloads:
            return []
        write = LogWrite(session_id, stream, payloads, None, format, author, if_last_seq)
        first = await self.write_log(write)
        return list(range(first, first + len(payloads)))

    async def read(
        self,
        session_id: str,
        *,
        stream: str = DEFAULT_STREAM,
        limit: int | None = None,
        after: int | None = None,
        before: int | None = None,
        keep: Keep = "latest",
    ) -> list[Record]:
        """Return records with ``after < seq < before``, in chronological (seq) order.

        With ``limit``, only ``limit`` of them: the latest (``keep="latest"``, the default: the
        latest-N read) or the earliest (``keep="earliest"``: paging forward from ``after``).
        The cost is O(limit), not O(history). ``limit=0`` returns ``[]``. Because seqs are
        exactly ``1..n``, ``after=k`` skips the first ``k`` records (offset paging). An unknown
        or expired session reads as empty.
        """
        if self._nothing_to_read(session_id, stream, limit, after, before, keep):
            return []
        raws = await self.read_log(LogRange(session_id, stream, limit, after, before, keep))
        return self._decode_records(session_id, stream, raws)

    async def read_data(
        self,
        session_id: str,
        *,
        stream: str = DEFAULT_STREAM,
        limit: int | None = None,
        after: int | None = None,
        before: int | None = None,
        keep: Keep = "latest",
    ) -> list[Any]:
        """Like :meth:`read`, but return only each record's ``data`` (the items themselves).

        Same selection, order, cost bound and corrupt-record policy; without the header a
        backend can read less per record and no :class:`Record` is built, so adapters that
        hand plain items to an SDK use this.
        """
        if self._nothing_to_read(session_id, stream, limit, after, before, keep):
            return []
        query = LogRange(session_id, stream, limit, after, before, keep)
        pairs = await self.read_log_payloads(query)
        return self._decode_payloads(session_id, stream, pairs)

    async def last_seq(self, session_id: str, *, stream: str = DEFAULT_STREAM) -> int:
        """Return the stream's last seq, which is also its record count (0 if empty)."""
        self._check_open()
        check_session_id(session_id)
        check_name(stream, "stream")
        info = await self.session_info(session_id)
        return 0 if info is None else info.streams.get(stream, 0)

    async def pop(self, session_id: str, *, stream: str = DEFAULT_STREAM) -> Record | None:
        """Remove the latest record of a stream atomically and return it; None if empty.

        A record that does not decode is still removed; the error (or skip) policy applies to
        what is returned.
        """
        self._check_open()
        check_session_id(session_id)
        check_name(stream, "stream")
        raw = await self.pop_log(session_id, stream)
        if raw is None:
            return None
        records = self._decode_records(session_id, stream, [raw])
        return records[0] if records else None

    async def replace(
        self, session_id: str, seq: int, item: Any, *, stream: str = DEFAULT_STREAM
    ) -> None:
        """Overwrite the payload of record ``seq``, keeping its seq and header (redaction).

        Raises :class:`RecordNotFoundError` if the stream has no such record.
        """
        self._check_open()
        check_session_id(session_id)
        check_name(stream, "stream")
        _check_seq(seq, "seq", minimum=1)
        payload = self.codec.encode(item)
        await self.replace_payload(session_id, stream, seq, payload)

    async def splice(
        self,
        session_id: str,
        start_seq: int,
        items: Sequence[Any],
        *,
        stream: str = DEFAULT_STREAM,
        format: str | None = None,
        author: str | None = None,
        if_last_seq: int | None = None,
    ) -> list[int]:
        """Atomically drop every record with ``seq >= start_seq`` and append ``items`` there.

        This is the atomic history rewrite (compaction, rollback): readers see the old suffix or
        the new one, never a mix. ``start_seq`` must be between 1 and last seq + 1. With
        ``if_last_seq`` the splice happens only if the stream's last seq is still that value,
        else :class:`ConflictError`; a ``start_seq`` past the end raises ``ValueError``. In both
        cases nothing changes. ``items`` may be empty (truncation only). Returns the seqs of the
        new records.
        """
        self._check_open()
        check_session_id(session_id)
        check_name(stream, "stream")
        _check_header(format, author)
        _check_seq(start_seq, "start_seq", minimum=1)
        _check_seq(if_last_seq, "if_last_seq")
        if if_last_seq is not None and start_seq > if_last_seq + 1:
            raise ValueError("start_seq is past the end of the stream given by if_last_seq")
        payloads = self._encode_items(items)
        write = LogWrite(session_id, stream, payloads, start_seq, format, author, if_last_seq)
        first = await self.write_log(write)
        return list(range(first, first + len(payloads)))

    async def clear(self, session_id: str, *, stream: str = DEFAULT_STREAM) -> None:
        """Remove every record of one stream; its next append gets seq 1. Documents stay.

        The session itself stays (with its other streams and documents) and its TTL slides; a
        session that does not exist is not created.
        """
        self._check_open()
        check_session_id(session_id)
        check_name(stream, "stream")
        await self.clear_log(session_id, stream)

    async def delete(self, session_id: str) -> bool:
        """Remove the whole session: every stream, document and its metadata.

        Returns True if a live session was there.
        """
        self._check_open()
        check_session_id(session_id)
        return await self.delete_session(session_id)

    # ------------------------------------------------------------------ documents

    async def put_doc(
        self,
        session_id: str,
        name: str,
        value: Any,
        *,
        if_absent: bool = False,
        if_exists: bool = False,
    ) -> bool:
        """Write a whole JSON document; return True if written. Slides the TTL like every write.

        With ``if_absent=True`` only if the live session has no document by that name; with
        ``if_exists=True`` only if it has one (an update that never re-creates a document
        someone deleted, or that expired with its session). The condition is checked in the
        same atomic step as the write.
        """
        self._check_open()
        check_session_id(session_id)
        check_name(name, "document name")
        if if_absent and if_exists:
            raise ValueError("if_absent and if_exists exclude each other")
        payload = self.codec.encode(value)
        return await self.write_doc(DocWrite(session_id, name, payload, if_absent, if_exists))

    async def get_doc(self, session_id: str, name: str) -> Any | None:
        """Return a document, or None if the session or document does not exist."""
        self._check_open()
        check_session_id(session_id)
        check_name(name, "document name")
        payload = await self.read_doc(session_id, name)
        if payload is None:
            return None
        try:
            return self.codec.decode(payload)
        except ValueError as exc:
            raise CorruptRecordError(
                f"document {name!r} of session {session_id!r} does not decode: {exc}",
                session_id=session_id,
                stream=f"doc:{name}",
            ) from None

    async def delete_doc(self, session_id: str, name: str) -> bool:
        """Remove one document; True if it existed."""
        self._check_open()
        check_session_id(session_id)
        check_name(name, "document name")
        return await self.remove_doc(session_id, name)

    async def list_docs(self, session_id: str, *, prefix: str = "") -> list[str]:
        """Names of the session's documents that start with ``prefix``, sorted."""
        self._check_open()
        check_session_id(session_id)
        if not isinstance(prefix, str):
            raise TypeError("prefix must be a str")
        return await self.doc_names(session_id, prefix)

    # ------------------------------------------------------------------ sessions

    async def info(self, session_id: str) -> SessionInfo | None:
        """Metadata of a live session, or None if it does not exist or expired. Cheap.

        A session exists from its first write until it is deleted or expires, even once every
        stream is emptied (by ``pop``, ``clear`` or ``splice``) and it has no documents.
        """
        self._check_open()
        check_session_id(session_id)
        return await self.session_info(session_id)

    async def list_sessions(self, *, limit: int = 100, cursor: str | None = None) -> SessionPage:
        """One page of live sessions.

        Ordered by session id (code point order) where the backend can; a cursor continues
        after the page it came from. A page holds at most ``limit`` sessions (possibly fewer,
        even none, before the end); following ``next_cursor`` until it is None yields every
        session that stays live during the listing exactly once. Never scans the whole keyspace
        of a shared server on the hot path; backends document what a listing costs.
        """
        self._check_open()
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError("limit must be a positive int")
        return await self.session_page(SessionQuery(limit, cursor))

    async def purge_expired(self) -> int:
        """Remove expired sessions' data now; return how many sessions were removed.

        Sessions the backend already removed by itself (native TTL) are not counted.
        """
        self._check_open()
        return await self.purge_sessions()

    # ------------------------------------------------------------------ helpers

    def _encode_items(self, items: Sequence[Any]) -> list[bytes]:
        if isinstance(items, str | bytes | bytearray | Mapping):
            raise TypeError(f"items must be a sequence of items, not {type(items).__name__}")
        return [self.codec.encode(item) for item in items]

    def _nothing_to_read(
        self,
        session_id: str,
        stream: str,
        limit: int | None,
        after: int | None,
        before: int | None,
        keep: Keep,
    ) -> bool:
        """Validate read arguments; True if they select nothing (no backend call needed)."""
        self._check_open()
        check_session_id(session_id)
        check_name(stream, "stream")
        _check_seq(limit, "limit")
        _check_seq(after, "after")
        _check_seq(before, "before")
        if keep not in ("latest", "earliest"):
            raise ValueError(f"keep must be 'latest' or 'earliest', not {keep!r}")
        return limit == 0 or (before is not None and before <= (after or 0) + 1)

    def _decode_records(self, session_id: str, stream: str, raws: list[RawRecord]) -> list[Record]:
        decode = self.codec.decode
        try:  # the common case, every record decodes: one comprehension, no per-record branch
            return [
                Record(raw.seq, decode(raw.payload), raw.created_at, raw.format, raw.author)
                for raw in raws
            ]
        except ValueError:
            pass
        records: list[Record] = []
        for raw in raws:
            try:
                data = decode(raw.payload)
            except ValueError as exc:
                self._corrupt(session_id, stream, raw.seq, exc)
                continue
            records.append(Record(raw.seq, data, raw.created_at, raw.format, raw.author))
        return records

    def _decode_payloads(
        self, session_id: str, stream: str, pairs: list[tuple[int, bytes]]
    ) -> list[Any]:
        decode = self.codec.decode
        try:
            return [decode(payload) for _, payload in pairs]
        except ValueError:
            pass
        items: list[Any] = []
        for seq, payload in pairs:
            try:
                items.append(decode(payload))
            except ValueError as exc:
                self._corrupt(session_id, stream, seq, exc)
        return items

    def _corrupt(self, session_id: str, stream: str, seq: int, exc: ValueError) -> None:
        """Apply the corrupt-record policy to record ``seq``: log and skip, or raise."""
        if self.on_corrupt == "skip":
            logger.warning(
                "skipping corrupt record: session=%r stream=%r seq=%d (%s)",
                session_id,
                stream,
                seq,
                type(exc).__name__,
            )
            return
        raise CorruptRecordError(
            f"record seq={seq} of session {session_id!r} stream {stream!r} "
            f"does not decode: {type(exc).__name__}",
            session_id=session_id,
            stream=stream,
            seq=seq,
        ) from None


def _check_header(format: str | None, author: str | None) -> None:
    if format is not None:
        check_name(format, "format")
    if author is not None:
        check_name(author, "author")
