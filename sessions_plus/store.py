"""The store contract: one async abstract class every backend implements.

The docstrings of :class:`ConversationStore` are the specification. The public methods validate
their input, encode and decode items and apply the corrupt-record policy, then call one method
of the backend interface (:class:`sessions_plus.backend.Backend`), which deals only in
validated names and encoded bytes.

A session holds:

* **logs**: named append-only streams (``stream="main"`` by default) of JSON records. The backend
  assigns each record's ``seq`` atomically: the records of a stream are always the consecutive
  seqs ``first..last`` (gap-free, strictly increasing). ``append`` assigns ``last+1...``; ``pop``
  removes ``last`` (the next append gets that seq again); ``trim`` drops the oldest records and
  never lets a seq be handed out twice (a stream trimmed to nothing remembers its ``last``);
  ``clear`` empties and forgets the stream, so its next append starts at 1.
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

import logging
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self
from urllib.parse import SplitResult, urlsplit

from .backend import Backend, DocWrite, ForkRequest, Keep, LogRange, LogWrite, SessionQuery
from .codec import DEFAULT_MAX_RECORD_BYTES, JsonCodec
from .decoding import OnCorrupt, decode_payloads, decode_records
from .errors import ConfigurationError, CorruptRecordError, ReadOnlyStoreError, StoreClosedError
from .ids import check_name, check_session_id
from .loops.fresh import run_in_fresh_loop
from .options import Options, url_options
from .records import RawRecord, Record, SessionInfo, SessionPage, SessionSnapshot
from .snapshots import decode_snapshot, encode_snapshot
from .validation import (
    check_header,
    check_int,
    check_max_records,
    check_store_limits,
    check_streams,
    check_time,
    check_ttl,
    check_upto,
    selects_nothing,
)

__all__ = ["DEFAULT_STREAM", "ConversationStore", "Keep", "OnCorrupt", "check_ttl"]

logger = logging.getLogger("sessions_plus")

DEFAULT_STREAM = "main"
"""The stream used when none is named."""


class ConversationStore(Backend):
    """Async conversation store: logs of JSON records, documents and metadata per session.

    Options shared by every backend:

    * ``ttl``: seconds a session lives after its last write; None keeps it forever.
    * ``refresh_on_read``: reads slide the TTL too.
    * ``on_corrupt``: ``"raise"`` (default) raises :class:`CorruptRecordError` naming the session
      and seq of a record that does not decode; ``"skip"`` logs a warning (without the payload)
      and leaves the record out.
    * ``max_record_bytes``: the largest encoded record or document accepted.
    * ``max_records``: keep at most this many records per stream; every append drops the
      oldest beyond it in the same atomic step (None: no bound).
    * ``read_only``: never create or change anything (no file, table, key or TTL refresh);
      every write raises :class:`ReadOnlyStoreError`, and a database that does not exist
      raises :class:`~sessions_plus.StoreNotFoundError` instead of being created.

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
        max_records: int | None = None,
        read_only: bool = False,
    ) -> None:
        check_store_limits(on_corrupt, max_record_bytes)
        self.ttl: float | None = check_ttl(ttl)
        self.read_only: bool = bool(read_only)
        self.refresh_on_read: bool = bool(refresh_on_read) and not self.read_only
        self.max_records: int | None = check_max_records(max_records)
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
        if not self._closed:
            run_in_fresh_loop(self.aclose)

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosedError(f"{type(self).__name__} is closed")

    def _check_writable(self) -> None:
        self._check_open()
        if self.read_only:
            raise ReadOnlyStoreError(f"{type(self).__name__} was opened read-only")

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
        self._check_writable()
        check_session_id(session_id)
        check_name(stream, "stream")
        check_header(format, author)
        check_int(if_last_seq, "if_last_seq")
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
        The cost is O(limit), not O(history). ``limit=0`` returns ``[]``. ``after`` and
        ``before`` are seqs: to skip the first ``k`` records (offset paging) pass
        ``after=first - 1 + k`` (``first`` from :meth:`info`; 1 for a stream never trimmed).
        An unknown or expired session reads as empty.
        """
        raws = await self.read_raw(
            session_id, stream=stream, limit=limit, after=after, before=before, keep=keep
        )
        return self.decode_raw(session_id, stream, raws)

    async def read_raw(
        self,
        session_id: str,
        *,
        stream: str = DEFAULT_STREAM,
        limit: int | None = None,
        after: int | None = None,
        before: int | None = None,
        keep: Keep = "latest",
    ) -> list[RawRecord]:
        """Like :meth:`read`, but with each payload still encoded (the codec's bytes).

        For readers that keep what they decoded and derived from a record (the shared
        conversation reader): equal bytes mean an equal record, so such a reader decodes only
        what it has not seen. Nothing is decoded here, so no corrupt-record policy applies;
        :meth:`decode_raw` applies it.
        """
        if self._nothing_to_read(session_id, stream, limit, after, before, keep):
            return []
        return await self.read_log(LogRange(session_id, stream, limit, after, before, keep))

    def decode_raw(self, session_id: str, stream: str, raws: list[RawRecord]) -> list[Record]:
        """Decode records :meth:`read_raw` returned, under the store's ``on_corrupt`` policy
        (a corrupt record raises :class:`CorruptRecordError` or is left out), as :meth:`read`
        does."""
        return decode_records(self.codec, self.on_corrupt, session_id, stream, raws)

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
        """Return the stream's last seq: 0 if it never had a record (or was cleared). After
        a trim this is more than the record count (see :class:`SessionInfo.ranges`)."""
        self._check_open()
        check_session_id(session_id)
        check_name(stream, "stream")
        info = await self.session_info(session_id)
        return 0 if info is None else info.last_seq(stream)

    async def pop(self, session_id: str, *, stream: str = DEFAULT_STREAM) -> Record | None:
        """Remove the latest record of a stream atomically and return it; None if empty.

        A record that does not decode is still removed; the error (or skip) policy applies to
        what is returned.
        """
        self._check_writable()
        check_session_id(session_id)
        check_name(stream, "stream")
        raw = await self.pop_log(session_id, stream)
        if raw is None:
            return None
        records = self.decode_raw(session_id, stream, [raw])
        return records[0] if records else None

    async def replace(
        self, session_id: str, seq: int, item: Any, *, stream: str = DEFAULT_STREAM
    ) -> None:
        """Overwrite the payload of record ``seq``, keeping its seq and header (redaction).

        Raises :class:`RecordNotFoundError` if the stream has no such record.
        """
        self._check_writable()
        check_session_id(session_id)
        check_name(stream, "stream")
        check_int(seq, "seq", minimum=1)
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
        self._check_writable()
        check_session_id(session_id)
        check_name(stream, "stream")
        check_header(format, author)
        check_int(start_seq, "start_seq", minimum=1)
        check_int(if_last_seq, "if_last_seq")
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
        self._check_writable()
        check_session_id(session_id)
        check_name(stream, "stream")
        await self.clear_log(session_id, stream)

    async def delete(self, session_id: str, *, updated_before: float | None = None) -> bool:
        """Remove the whole session: every stream, document and its metadata.

        Returns True if a live session was there and was removed. With ``updated_before``
        (Unix seconds) the session is removed only if its last write is older than that,
        checked in the same atomic step: a sweep of idle sessions never removes one that was
        written to meanwhile.
        """
        self._check_writable()
        check_session_id(session_id)
        return await self.delete_session(session_id, check_time(updated_before, "updated_before"))

    async def trim(self, session_id: str, *, stream: str = DEFAULT_STREAM, keep_last: int) -> int:
        """Drop the oldest records of a stream so that at most ``keep_last`` remain, atomically;
        return how many were removed.

        The stream's seqs stay as they were (the survivors keep theirs, the next append gets
        last + 1: no seq is reused). Appends running at the same time are never lost: they land
        after the trim or are counted among the records it keeps. Raises
        :class:`SessionNotFoundError` if there is no live session.
        """
        self._check_writable()
        check_session_id(session_id)
        check_name(stream, "stream")
        if keep_last is None:
            raise TypeError("keep_last is required")
        keep = check_int(keep_last, "keep_last")
        assert keep is not None
        return await self.trim_log(session_id, stream, keep)

    async def fork(
        self,
        source_id: str,
        target_id: str,
        *,
        streams: Iterable[str] | None = None,
        upto: int | Mapping[str, int] | None = None,
        replace: bool = False,
    ) -> SessionInfo:
        """Copy a session into a new one: its logs and documents, as of one point in time.

        ``streams`` copies only those streams; ``upto`` only records with seq <= it (one seq
        for every stream, or ``{stream: seq}``). Seqs, record times and headers are kept; the
        target gets fresh metadata (created now) and this store's TTL. The source is left as
        it was. Raises :class:`SessionNotFoundError` if the source is not live,
        :class:`ConflictError` if the target is (unless ``replace=True``: then the target is
        replaced whole), ``ValueError`` if both ids are the same. Returns the target's info.
        Atomic where the backend allows (see each backend's documentation).
        """
        self._check_writable()
        check_session_id(source_id)
        check_session_id(target_id)
        if source_id == target_id:
            raise ValueError("fork needs two different session ids")
        request = ForkRequest(
            source_id, target_id, check_streams(streams), check_upto(upto), bool(replace)
        )
        return await self.fork_session(request)

    async def snapshot(self, session_id: str) -> SessionSnapshot | None:
        """One consistent copy of a live session (every stream with its range and records,
        every document), or None. Exact: a record that does not decode raises
        :class:`CorruptRecordError` whatever ``on_corrupt`` says."""
        self._check_open()
        check_session_id(session_id)
        raw = await self.snapshot_session(session_id)
        return None if raw is None else decode_snapshot(raw, self.codec)

    async def restore(
        self,
        snapshot: SessionSnapshot,
        *,
        session_id: str | None = None,
        replace: bool = False,
    ) -> SessionInfo:
        """Write a snapshot (from this store or any other) as a whole session.

        Stored under ``session_id`` (default: the snapshot's own id) with the snapshot's seqs,
        record times, headers, stream ranges and documents; created_at from the snapshot,
        updated_at now and this store's TTL. A live session by that id raises
        :class:`ConflictError` unless ``replace=True`` (then it is replaced whole). The
        snapshot is checked (records exactly ``first..last`` per stream, items and names
        valid) before anything is written; the write is all or nothing where the backend
        allows. Returns the new session's info.
        """
        self._check_writable()
        if not isinstance(snapshot, SessionSnapshot):
            raise TypeError(f"restore takes a SessionSnapshot, not {type(snapshot).__name__}")
        target = snapshot.session_id if session_id is None else session_id
        raw = encode_snapshot(snapshot, self.codec, target)
        return await self.restore_session(raw, bool(replace))

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
        self._check_writable()
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
        self._check_writable()
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

    async def list_sessions(
        self, *, limit: int = 100, cursor: str | None = None, prefix: str = ""
    ) -> SessionPage:
        """One page of live sessions; with ``prefix`` only those whose id starts with it.

        Ordered by session id (code point order) where the backend can; a cursor continues
        after the page it came from. A page holds at most ``limit`` sessions (possibly fewer,
        even none, before the end); following ``next_cursor`` until it is None yields every
        session that stays live during the listing exactly once. A page costs O(page) on every
        backend, also with a prefix (other sessions are never scanned); backends document what
        a listing costs.
        """
        self._check_open()
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError("limit must be a positive int")
        if not isinstance(prefix, str):
            raise TypeError("prefix must be a str")
        if cursor is not None and not isinstance(cursor, str):
            raise TypeError("cursor must be a str or None")
        return await self.session_page(SessionQuery(limit, cursor, prefix))

    async def purge_expired(self) -> int:
        """Remove expired sessions' data now; return exactly how many expired sessions this
        call removed data or index entries of.

        Sessions the backend already removed entirely by itself (native TTL, or a read that
        found them expired) are not counted.
        """
        self._check_writable()
        return await self.purge_sessions()

    # ------------------------------------------------------------------ helpers

    def _encode_items(self, items: Sequence[Any]) -> list[bytes]:
        if isinstance(items, str | bytes | bytearray | Mapping):
            raise TypeError(f"items must be a sequence of items, not {type(items).__name__}")
        return [self.codec.encode(item) for item in items]

    def _nothing_to_read(
        self, session_id: str, stream: str, limit: int | None, after: int | None,
        before: int | None, keep: Keep,
    ) -> bool:  # fmt: skip
        """Validate read arguments; True if they select nothing (no backend call needed)."""
        self._check_open()
        check_session_id(session_id)
        check_name(stream, "stream")
        return selects_nothing(limit, after, before, keep)

    def _decode_payloads(
        self, session_id: str, stream: str, pairs: list[tuple[int, bytes]]
    ) -> list[Any]:
        return decode_payloads(self.codec, self.on_corrupt, session_id, stream, pairs)
