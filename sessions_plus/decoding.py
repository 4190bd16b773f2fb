"""Decoding stored records under the store's corrupt-record policy, in one place.

A record whose payload does not decode is either an error naming its session, stream and seq
(``on_corrupt="raise"``, the default) or left out with a warning that never shows the payload
(``"skip"``). Every read path of every store (and wrapper) goes through these two functions.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from .codec import JsonCodec
from .errors import CorruptRecordError
from .records import RawRecord, Record

logger = logging.getLogger("sessions_plus")

OnCorrupt = Literal["raise", "skip"]

__all__ = ["OnCorrupt", "corrupt", "decode_payloads", "decode_records"]


def decode_records(
    codec: JsonCodec, on_corrupt: OnCorrupt, session_id: str, stream: str, raws: list[RawRecord]
) -> list[Record]:
    """Decode raw records; a corrupt one raises or is skipped, per ``on_corrupt``."""
    decode = codec.decode
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
            corrupt(on_corrupt, session_id, stream, raw.seq, exc)
            continue
        records.append(Record(raw.seq, data, raw.created_at, raw.format, raw.author))
    return records


def decode_payloads(
    codec: JsonCodec,
    on_corrupt: OnCorrupt,
    session_id: str,
    stream: str,
    pairs: list[tuple[int, bytes]],
) -> list[Any]:
    """Decode ``(seq, payload)`` pairs to items; a corrupt one raises or is skipped."""
    decode = codec.decode
    try:
        return [decode(payload) for _, payload in pairs]
    except ValueError:
        pass
    items: list[Any] = []
    for seq, payload in pairs:
        try:
            items.append(decode(payload))
        except ValueError as exc:
            corrupt(on_corrupt, session_id, stream, seq, exc)
    return items


def corrupt(on_corrupt: OnCorrupt, session_id: str, stream: str, seq: int, exc: Exception) -> None:
    """Apply the corrupt-record policy to record ``seq``: log and skip, or raise."""
    if on_corrupt == "skip":
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
