"""Encryption at rest: ``EncryptedStore`` wraps any store with AES-GCM (the ``encryption`` extra).

Every record payload and document is encrypted with AES-256-GCM before it reaches the wrapped
store, which only ever holds an opaque envelope (a small JSON object with base64 text, so every
backend stores it safely)::

    {"v": 1, "k": "<key id>", "n": "<base64 nonce>", "c": "<base64 ciphertext + tag>"}

The associated data binds the format version, the key id, the session id, and the stream and
seq (records) or the document name (documents). A record copied to another session, stream or
seq, or altered in any way, fails to authenticate and reads as :class:`CorruptRecordError`.

Seqs are assigned by the backend, so an append encrypts for the seqs it expects and writes with
``if_last_seq``; if another writer got there first nothing is written and it retries. See
:class:`EncryptedStore` for what that costs.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import os
import random
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .backend import DocWrite, LogRange, LogWrite, SessionQuery
from .errors import (
    ConfigurationError,
    ConflictError,
    CorruptRecordError,
    StoreClosedError,
    missing_dependency,
)
from .records import (
    RawRecord,
    RawSnapshot,
    RawStreamSnapshot,
    Record,
    SessionInfo,
    SessionPage,
    SessionSnapshot,
    StreamSnapshot,
)
from .store import ConversationStore, OnCorrupt

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

logger = logging.getLogger("sessions_plus")

FORMAT_VERSION = 1
"""Version of the envelope written by this module."""

KEY_BYTES = 32
"""AES-256: every key is exactly 32 bytes."""

MAX_KEY_ID_LENGTH = 64
"""Longest key id accepted, in characters (key ids are stored in clear in every record)."""

DEFAULT_APPEND_RETRIES = 64
"""How many times an append retries after a concurrent writer took the seqs it encrypted for."""

_NONCE_BYTES = 12
_SEQ_CACHE_SIZE = 4096
_BACKOFF_BASE = 0.001
_BACKOFF_CAP = 0.05

KeySpec = Mapping[str, bytes] | Iterable[tuple[str, bytes]]


def _load_aesgcm() -> type[AESGCM]:
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise missing_dependency("EncryptedStore", "encryption", exc) from exc
    return AESGCM


def _check_keys(keys: KeySpec) -> list[tuple[str, bytes]]:
    pairs = list(keys.items()) if isinstance(keys, Mapping) else list(keys)
    if not pairs:
        raise ConfigurationError("EncryptedStore needs at least one (key_id, key) pair")
    seen: set[str] = set()
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise ConfigurationError("keys must be a mapping or a list of (key_id, key) pairs")
        key_id, key = pair
        if not isinstance(key_id, str) or not key_id or len(key_id) > MAX_KEY_ID_LENGTH:
            raise ConfigurationError(
                f"a key id must be a non-empty str of at most {MAX_KEY_ID_LENGTH} characters"
            )
        if key_id in seen:
            raise ConfigurationError(f"key id {key_id!r} is listed twice")
        seen.add(key_id)
        # Never put the key itself in a message: only its type and length.
        if not isinstance(key, bytes | bytearray) or len(key) != KEY_BYTES:
            size = len(key) if isinstance(key, bytes | bytearray) else None
            raise ConfigurationError(
                f"key {key_id!r} must be {KEY_BYTES} bytes (AES-256), "
                f"not {type(key).__name__}" + ("" if size is None else f" of {size} bytes")
            )
    return [(key_id, bytes(key)) for key_id, key in pairs]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError("envelope field is not a string")
    return base64.b64decode(text.encode("ascii"), validate=True)


class _Undecryptable(Exception):
    """Internal: an envelope that does not parse, names an unknown key, or fails to verify."""


class EncryptedStore(ConversationStore):
    """Wraps ``store`` so that every record and document is encrypted at rest (AES-256-GCM).

    ``keys``: a mapping or an ordered list of ``(key_id, key)`` pairs, each key 32 random bytes
    (:meth:`generate_key`). New writes use the **first** key; reads accept every listed key, so a
    key is rotated by putting the new one first and keeping the old ones until nothing written
    with them is left. A record naming a key id that is not listed, or failing to authenticate
    (tampered, or moved to another session, stream or seq), is a :class:`CorruptRecordError`
    naming the session and seq; ``on_corrupt="skip"`` logs a warning (never the payload or a key)
    and leaves it out. ``on_corrupt`` defaults to the wrapped store's policy.

    What is protected: record payloads and documents (confidentiality and integrity, bound to
    their session and position). What is not: session ids, stream and document names, record
    headers (seq, created_at, ``format``, ``author``), counts and TTLs, which the wrapped store
    needs in clear; nor the removal or truncation of records (pop, clear, delete) by someone with
    write access to the storage.

    Cost: an append without ``if_last_seq`` must know the seqs it will get before it writes, so
    it reads the stream's last seq (one extra round trip, skipped while a per-store cache of the
    last seq it wrote is still right) and appends with ``if_last_seq``. When another writer got
    there first, nothing is written and it retries with jittered backoff, up to
    ``append_retries`` times, then raises :class:`ConflictError`. Many writers on one stream
    therefore pay retries that the plain store does not. Payloads grow by about a third
    (base64) plus ~70 bytes; ``max_record_bytes`` (default: the wrapped store's) bounds the
    plaintext JSON.

    TTL, listing and purging are the wrapped store's. ``aclose()`` closes the wrapped store
    unless ``close_store=False``.
    """

    def __init__(
        self,
        store: ConversationStore,
        *,
        keys: KeySpec,
        on_corrupt: OnCorrupt | None = None,
        max_record_bytes: int | None = None,
        append_retries: int = DEFAULT_APPEND_RETRIES,
        close_store: bool = True,
    ) -> None:
        if not isinstance(store, ConversationStore):
            raise ConfigurationError("EncryptedStore wraps a ConversationStore")
        if isinstance(append_retries, bool) or not isinstance(append_retries, int):
            raise ConfigurationError("append_retries must be an int")
        if append_retries < 0:
            raise ConfigurationError("append_retries must be >= 0")
        aesgcm = _load_aesgcm()
        super().__init__(
            ttl=store.ttl,
            refresh_on_read=store.refresh_on_read,
            on_corrupt=store.on_corrupt if on_corrupt is None else on_corrupt,
            max_record_bytes=(
                store.codec.max_record_bytes if max_record_bytes is None else max_record_bytes
            ),
        )
        pairs = _check_keys(keys)
        self._store = store
        self._ciphers: dict[str, AESGCM] = {key_id: aesgcm(key) for key_id, key in pairs}
        self._write_key_id = pairs[0][0]
        self.key_ids: tuple[str, ...] = tuple(key_id for key_id, _ in pairs)
        """The key ids this store accepts; the first encrypts new writes."""
        self.append_retries = append_retries
        self._close_store = close_store
        self._last_seqs: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._seq_lock = threading.Lock()  # the store may be used from several threads

    @staticmethod
    def generate_key() -> bytes:
        """A new random 32-byte AES-256 key (keep it in a secret manager, not in code)."""
        return bytes(_load_aesgcm().generate_key(bit_length=256))

    @property
    def store(self) -> ConversationStore:
        """The wrapped store, which holds only ciphertext."""
        return self._store

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._store!r}, key_ids={list(self.key_ids)!r})"

    # ------------------------------------------------------------------ envelope

    @staticmethod
    def _record_ad(key_id: str, session_id: str, stream: str, seq: int) -> bytes:
        return json.dumps(["record", FORMAT_VERSION, key_id, session_id, stream, seq]).encode()

    @staticmethod
    def _doc_ad(key_id: str, session_id: str, name: str) -> bytes:
        return json.dumps(["doc", FORMAT_VERSION, key_id, session_id, name]).encode()

    def _seal(self, plaintext: bytes, ad_for: Any, *context: Any) -> dict[str, Any]:
        """The envelope (a JSON object the wrapped store keeps as an ordinary item)."""
        key_id = self._write_key_id
        nonce = os.urandom(_NONCE_BYTES)
        ciphertext = self._ciphers[key_id].encrypt(nonce, plaintext, ad_for(key_id, *context))
        return {"v": FORMAT_VERSION, "k": key_id, "n": _b64(nonce), "c": _b64(ciphertext)}

    def _open(self, envelope: Any, ad_for: Any, *context: Any) -> bytes:
        from cryptography.exceptions import InvalidTag

        try:
            if not isinstance(envelope, dict) or envelope.get("v") != FORMAT_VERSION:
                raise _Undecryptable("not an encrypted envelope of a known version")
            key_id = envelope.get("k")
            cipher = self._ciphers.get(key_id) if isinstance(key_id, str) else None
            if cipher is None:
                raise _Undecryptable(f"encrypted with key id {key_id!r}, which is not configured")
            nonce = _unb64(envelope.get("n"))
            ciphertext = _unb64(envelope.get("c"))
            if len(nonce) != _NONCE_BYTES:
                raise _Undecryptable("bad nonce length")
            return cipher.decrypt(nonce, ciphertext, ad_for(key_id, *context))
        except InvalidTag:
            raise _Undecryptable(
                "authentication failed (tampered, moved, or written with another key)"
            ) from None
        except (ValueError, UnicodeError, binascii.Error, TypeError) as exc:
            raise _Undecryptable(f"malformed envelope ({type(exc).__name__})") from None

    def _decrypt_records(
        self, session_id: str, stream: str, records: list[Record]
    ) -> list[RawRecord]:
        out: list[RawRecord] = []
        for record in records:
            try:
                plain = self._open(record.data, self._record_ad, session_id, stream, record.seq)
            except _Undecryptable as exc:
                if self.on_corrupt == "skip":
                    logger.warning(
                        "skipping undecryptable record: session=%r stream=%r seq=%d (%s)",
                        session_id,
                        stream,
                        record.seq,
                        exc,
                    )
                    continue
                raise CorruptRecordError(
                    f"record seq={record.seq} of session {session_id!r} stream {stream!r} "
                    f"does not decrypt: {exc}",
                    session_id=session_id,
                    stream=stream,
                    seq=record.seq,
                ) from None
            out.append(
                RawRecord(record.seq, plain, record.created_at, record.format, record.author)
            )
        return out

    def _inner(self) -> ConversationStore:
        if self._store.closed:
            raise StoreClosedError(f"the store wrapped by {type(self).__name__} is closed")
        return self._store

    # ------------------------------------------------------------------ seq cache

    def _cached_last(self, session_id: str, stream: str) -> int | None:
        with self._seq_lock:
            return self._last_seqs.get((session_id, stream))

    def _remember(self, session_id: str, stream: str, last: int) -> None:
        key = (session_id, stream)
        with self._seq_lock:
            self._last_seqs[key] = last
            self._last_seqs.move_to_end(key)
            while len(self._last_seqs) > _SEQ_CACHE_SIZE:
                self._last_seqs.popitem(last=False)

    def _forget(self, session_id: str | None = None, stream: str | None = None) -> None:
        with self._seq_lock:
            if session_id is None:
                self._last_seqs.clear()
            elif stream is not None:
                self._last_seqs.pop((session_id, stream), None)
            else:
                for key in [key for key in self._last_seqs if key[0] == session_id]:
                    del self._last_seqs[key]

    # ------------------------------------------------------------------ backend interface
    # Each method seals or opens payloads and calls the wrapped store's public API.

    async def write_log(self, write: LogWrite) -> int:
        if write.start_seq is not None:
            return await self._splice(write, write.start_seq)
        if write.if_last_seq is not None:
            return await self._append_at(write, write.if_last_seq)
        inner = self._inner()
        last = self._cached_last(write.session_id, write.stream)
        for attempt in range(self.append_retries + 1):
            if last is None:
                last = await inner.last_seq(write.session_id, stream=write.stream)
            try:
                return await self._append_at(write, last)
            except ConflictError:
                last = None
                if attempt < self.append_retries:
                    cap = min(_BACKOFF_CAP, _BACKOFF_BASE * 2**attempt)
                    await asyncio.sleep(random.uniform(0, cap))
        raise ConflictError(
            f"append to session {write.session_id!r} stream {write.stream!r} kept conflicting "
            f"with concurrent writers after {self.append_retries} retries; nothing was written"
        )

    async def _append_at(self, write: LogWrite, last: int) -> int:
        """Seal each payload for the seq it gets if the stream still ends at ``last``."""
        session_id, stream = write.session_id, write.stream
        sealed = [
            self._seal(payload, self._record_ad, session_id, stream, last + 1 + index)
            for index, payload in enumerate(write.payloads)
        ]
        try:
            seqs = await self._inner().append(
                session_id,
                sealed,
                stream=stream,
                format=write.format,
                author=write.author,
                if_last_seq=last,
            )
        except ConflictError:
            self._forget(session_id, stream)
            raise
        self._remember(session_id, stream, seqs[-1])
        return seqs[0]

    async def _splice(self, write: LogWrite, start_seq: int) -> int:
        session_id, stream = write.session_id, write.stream
        sealed = [
            self._seal(payload, self._record_ad, session_id, stream, start_seq + index)
            for index, payload in enumerate(write.payloads)
        ]
        self._forget(session_id, stream)
        await self._inner().splice(
            session_id,
            start_seq,
            sealed,
            stream=stream,
            format=write.format,
            author=write.author,
            if_last_seq=write.if_last_seq,
        )
        self._remember(session_id, stream, start_seq + len(sealed) - 1)
        return start_seq

    async def read_log(self, query: LogRange) -> list[RawRecord]:
        records = await self._inner().read(
            query.session_id,
            stream=query.stream,
            limit=query.limit,
            after=query.after,
            before=query.before,
            keep=query.keep,
        )
        return self._decrypt_records(query.session_id, query.stream, records)

    async def pop_log(self, session_id: str, stream: str) -> RawRecord | None:
        self._forget(session_id, stream)
        record = await self._inner().pop(session_id, stream=stream)
        if record is None:
            return None
        decrypted = self._decrypt_records(session_id, stream, [record])
        # A skipped record was still removed; hand the base class something that is skipped too.
        return decrypted[0] if decrypted else None

    async def replace_payload(self, session_id: str, stream: str, seq: int, payload: bytes) -> None:
        sealed = self._seal(payload, self._record_ad, session_id, stream, seq)
        await self._inner().replace(session_id, seq, sealed, stream=stream)

    async def clear_log(self, session_id: str, stream: str) -> None:
        self._forget(session_id, stream)
        await self._inner().clear(session_id, stream=stream)

    async def delete_session(self, session_id: str, updated_before: float | None = None) -> bool:
        self._forget(session_id)
        return await self._inner().delete(session_id, updated_before=updated_before)

    async def trim_log(self, session_id: str, stream: str, keep_last: int) -> int:
        return await self._inner().trim(session_id, stream=stream, keep_last=keep_last)

    async def snapshot_session(self, session_id: str) -> RawSnapshot | None:
        snapshot = await self._inner().snapshot(session_id)
        if snapshot is None:
            return None
        streams = {
            name: RawStreamSnapshot(
                stream.first, stream.last, self._decrypt_records(session_id, name, stream.records)
            )
            for name, stream in snapshot.streams.items()
        }
        docs = {
            name: self._open_doc(session_id, name, envelope)
            for name, envelope in snapshot.docs.items()
        }
        return RawSnapshot(session_id, snapshot.created_at, snapshot.updated_at, streams, docs)

    async def restore_session(self, snapshot: RawSnapshot, replace: bool) -> SessionInfo:
        """Seal every record and document for its place in the target session (the
        authenticated data binds session, stream and seq), then restore the envelopes."""
        session_id = snapshot.session_id
        self._forget(session_id)
        streams = {
            name: StreamSnapshot(
                stream.first,
                stream.last,
                [
                    Record(
                        raw.seq,
                        self._seal(raw.payload, self._record_ad, session_id, name, raw.seq),
                        raw.created_at,
                        raw.format,
                        raw.author,
                    )
                    for raw in stream.records
                ],
            )
            for name, stream in snapshot.streams.items()
        }
        docs = {
            name: self._seal(payload, self._doc_ad, session_id, name)
            for name, payload in snapshot.docs.items()
        }
        sealed = SessionSnapshot(
            session_id, snapshot.created_at, snapshot.updated_at, streams, docs
        )
        return await self._inner().restore(sealed, replace=replace)

    async def write_doc(self, write: DocWrite) -> bool:
        sealed = self._seal(write.payload, self._doc_ad, write.session_id, write.name)
        return await self._inner().put_doc(
            write.session_id,
            write.name,
            sealed,
            if_absent=write.if_absent,
            if_exists=write.if_exists,
        )

    async def read_doc(self, session_id: str, name: str) -> bytes | None:
        envelope = await self._inner().get_doc(session_id, name)
        if envelope is None:
            return None
        return self._open_doc(session_id, name, envelope)

    def _open_doc(self, session_id: str, name: str, envelope: Any) -> bytes:
        try:
            return self._open(envelope, self._doc_ad, session_id, name)
        except _Undecryptable as exc:
            raise CorruptRecordError(
                f"document {name!r} of session {session_id!r} does not decrypt: {exc}",
                session_id=session_id,
                stream=f"doc:{name}",
            ) from None

    async def remove_doc(self, session_id: str, name: str) -> bool:
        return await self._inner().delete_doc(session_id, name)

    async def doc_names(self, session_id: str, prefix: str) -> list[str]:
        return await self._inner().list_docs(session_id, prefix=prefix)

    async def session_info(self, session_id: str) -> SessionInfo | None:
        return await self._inner().info(session_id)

    async def session_page(self, query: SessionQuery) -> SessionPage:
        return await self._inner().list_sessions(
            limit=query.limit, cursor=query.cursor, prefix=query.prefix
        )

    async def purge_sessions(self) -> int:
        self._forget()
        return await self._inner().purge_expired()

    async def close_backend(self) -> None:
        self._forget()
        if self._close_store:
            await self._store.aclose()
