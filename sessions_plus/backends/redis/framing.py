"""Reply framing: stored record blobs and script replies to records, infos and pages.

A record is stored as ``b"<created ms>\\n<header>\\n<payload>"``; the header is empty or the
JSON ``[format, author]``. The read script returns the records of consecutive seqs as one
string plus their byte lengths, which is far cheaper to build and parse than one reply
element per record.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache

from ...records import RawRecord, SessionInfo, SessionPage


def as_bytes(value: bytes | str) -> bytes:
    """A reply value as bytes (clients made with ``decode_responses=True`` return str)."""
    return value if isinstance(value, bytes) else value.encode()


def as_str(value: bytes | str) -> str:
    """A reply value as str."""
    return value.decode() if isinstance(value, bytes) else value


@lru_cache(maxsize=256)
def header(format: str | None, author: str | None) -> bytes:
    """The stored header of a record with this ``format`` and ``author``."""
    if format is None and author is None:
        return b""
    return json.dumps([format, author]).encode()


@lru_cache(maxsize=256)
def parse_header(stored: bytes) -> tuple[str | None, str | None]:
    """``(format, author)`` of a stored header."""
    if not stored:
        return None, None
    format, author = json.loads(stored)
    return format, author


def raw_record(seq: int, blob: bytes | str | None) -> RawRecord:
    """Parse ``b"<ms>\\n<header>\\n<payload>"``; a missing or mangled record decodes as corrupt."""
    if blob is None:
        return RawRecord(seq, b"", 0.0)
    try:
        millis, stored, payload = as_bytes(blob).split(b"\n", 2)
        format, author = parse_header(stored)
        return RawRecord(seq, payload, int(millis) / 1000, format, author)
    except ValueError:
        return RawRecord(seq, b"", 0.0)


def unframe(first: int, lengths: bytes, data: bytes) -> list[RawRecord]:
    """Records of seqs ``first``.. from the read script's reply: ``data`` is the concatenation
    of ``b"<ms>\\n<header>\\n<payload>"`` blobs whose byte lengths ``lengths`` lists (-1:
    missing). Records of one batch share their creation time and header, parsed once."""
    out: list[RawRecord] = []
    append = out.append
    last_ms: bytes | None = None
    last_header = b""
    created = 0.0
    format: str | None = None
    author: str | None = None
    seq = first
    pos = 0
    find = data.find
    for size in map(int, lengths.split()):
        end = pos + size
        first_nl = find(b"\n", pos, end)
        second_nl = find(b"\n", first_nl + 1, end) if first_nl >= 0 else -1
        if second_nl < 0:  # missing (size -1) or mangled: decodes as corrupt
            append(RawRecord(seq, b"", 0.0))
        else:
            try:
                millis = data[pos:first_nl]
                if millis != last_ms:
                    created = int(millis) / 1000
                    last_ms = millis
                stored = data[first_nl + 1 : second_nl]
                if stored != last_header:
                    format, author = parse_header(stored)
                    last_header = stored
                append(RawRecord(seq, data[second_nl + 1 : end], created, format, author))
            except ValueError:
                append(RawRecord(seq, b"", 0.0))
        if size > 0:
            pos = end
        seq += 1
    return out


def unframe_payloads(first: int, lengths: bytes, data: bytes) -> list[tuple[int, bytes]]:
    """``(seq, payload)`` of each record of a read reply (see :func:`unframe`), header and
    creation time skipped; a missing or mangled record gets an empty (corrupt) payload."""
    out: list[tuple[int, bytes]] = []
    append = out.append
    seq = first
    pos = 0
    find = data.find
    for size in map(int, lengths.split()):
        end = pos + size
        first_nl = find(b"\n", pos, end)
        second_nl = find(b"\n", first_nl + 1, end) if first_nl >= 0 else -1
        append((seq, data[second_nl + 1 : end] if second_nl >= 0 else b""))
        if size > 0:
            pos = end
        seq += 1
    return out


def info_of(session_id: str, now_ms: int, pttl: int, fields: Sequence[bytes | str]) -> SessionInfo:
    """A :class:`SessionInfo` from the server time, the session's PTTL and its meta hash."""
    meta = {as_str(fields[i]): as_str(fields[i + 1]) for i in range(0, len(fields), 2)}
    streams = {name[2:]: int(value) for name, value in meta.items() if name.startswith("c:")}
    return SessionInfo(
        session_id=session_id,
        created_at=int(meta.get("created", now_ms)) / 1000,
        updated_at=int(meta.get("updated", now_ms)) / 1000,
        expires_at=(now_ms + pttl) / 1000 if pttl > 0 else None,
        streams=dict(sorted(streams.items())),
    )


def page_of(infos: list[SessionInfo], limit: int) -> SessionPage:
    """A page from up to ``limit + 1`` infos (one more than asked: another page exists)."""
    if len(infos) > limit:
        return SessionPage(infos[:limit], infos[limit - 1].session_id)
    return SessionPage(infos, None)
