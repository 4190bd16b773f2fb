"""Whole-session copies: checking, encoding and decoding snapshots, and the generic fork.

:meth:`ConversationStore.snapshot` returns a :class:`~sessions_plus.records.SessionSnapshot`;
:meth:`ConversationStore.restore` writes one back, here or into another store. A backend deals
in :class:`~sessions_plus.records.RawSnapshot` (payloads encoded); this module converts between
the two and checks a snapshot before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping

from .codec import JsonCodec
from .errors import CorruptRecordError
from .ids import check_name, check_session_id
from .records import (
    RawRecord,
    RawSnapshot,
    RawStreamSnapshot,
    Record,
    SessionSnapshot,
    StreamSnapshot,
)
from .validation import check_header, check_int, check_time

__all__ = ["decode_snapshot", "encode_snapshot", "select"]


def encode_snapshot(snapshot: SessionSnapshot, codec: JsonCodec, session_id: str) -> RawSnapshot:
    """Check ``snapshot`` and encode it for the backend, as session ``session_id``.

    Every stream's records must be exactly its seqs ``first..last``, in order; every item and
    document must be JSON the codec accepts. Raises before anything is written.
    """
    if not isinstance(snapshot, SessionSnapshot):
        raise TypeError(f"restore takes a SessionSnapshot, not {type(snapshot).__name__}")
    check_session_id(session_id)
    created_at = check_time(snapshot.created_at, "snapshot.created_at") or 0.0
    streams: dict[str, RawStreamSnapshot] = {}
    for name, stream in snapshot.streams.items():
        check_name(name, "stream")
        first = check_int(stream.first, f"first seq of stream {name!r}", minimum=1) or 1
        last = check_int(stream.last, f"last seq of stream {name!r}") or 0
        if last < first - 1:
            raise ValueError(f"stream {name!r}: last seq {last} is before first seq {first}")
        seqs = [record.seq for record in stream.records]
        if seqs != list(range(first, last + 1)):
            raise ValueError(
                f"stream {name!r}: records must be exactly seqs {first}..{last} in order"
            )
        raws: list[RawRecord] = []
        for record in stream.records:
            check_header(record.format, record.author)
            written = check_time(record.created_at, f"created_at of seq {record.seq}") or 0.0
            payload = codec.encode(record.data)
            raws.append(RawRecord(record.seq, payload, written, record.format, record.author))
        streams[name] = RawStreamSnapshot(first, last, raws)
    docs: dict[str, bytes] = {}
    for doc_name, value in snapshot.docs.items():
        check_name(doc_name, "document name")
        docs[doc_name] = codec.encode(value)
    updated = check_time(snapshot.updated_at, "snapshot.updated_at") or created_at
    return RawSnapshot(session_id, created_at, updated, streams, docs)


def decode_snapshot(raw: RawSnapshot, codec: JsonCodec) -> SessionSnapshot:
    """Decode a backend's snapshot. It is exact: a record or document that does not decode
    raises :class:`CorruptRecordError` whatever the store's ``on_corrupt`` policy."""
    streams: dict[str, StreamSnapshot] = {}
    for name, stream in raw.streams.items():
        records: list[Record] = []
        for rec in stream.records:
            try:
                data = codec.decode(rec.payload)
            except ValueError:
                raise CorruptRecordError(
                    f"record seq={rec.seq} of session {raw.session_id!r} stream {name!r} "
                    "does not decode; a snapshot cannot leave it out",
                    session_id=raw.session_id,
                    stream=name,
                    seq=rec.seq,
                ) from None
            records.append(Record(rec.seq, data, rec.created_at, rec.format, rec.author))
        streams[name] = StreamSnapshot(stream.first, stream.last, records)
    docs = {}
    for doc_name, payload in raw.docs.items():
        try:
            docs[doc_name] = codec.decode(payload)
        except ValueError:
            raise CorruptRecordError(
                f"document {doc_name!r} of session {raw.session_id!r} does not decode",
                session_id=raw.session_id,
                stream=f"doc:{doc_name}",
            ) from None
    return SessionSnapshot(raw.session_id, raw.created_at, raw.updated_at, streams, docs)


def select(
    raw: RawSnapshot,
    target_id: str,
    streams: frozenset[str] | None,
    upto: int | Mapping[str, int] | None,
) -> RawSnapshot:
    """The part of ``raw`` a fork copies into ``target_id``: only ``streams`` (None: all),
    only records with seq <= ``upto`` (one seq for all streams, or per stream)."""
    kept: dict[str, RawStreamSnapshot] = {}
    for name, stream in raw.streams.items():
        if streams is not None and name not in streams:
            continue
        bound = upto if isinstance(upto, int) else None if upto is None else upto.get(name)
        if bound is None or bound >= stream.last:
            kept[name] = stream
            continue
        last = bound
        first = min(stream.first, last + 1)
        records = [record for record in stream.records if record.seq <= last]
        kept[name] = RawStreamSnapshot(first, last, records)
    return RawSnapshot(target_id, raw.created_at, raw.updated_at, kept, dict(raw.docs))
