"""Reply framing: stored records and script replies to records, infos and pages.

A record is one element of its stream's list: ``b"<seq> <created ms> <header>\\n<payload>"``;
the header is empty or the JSON array ``[format, author]`` (``[format]`` without an author).
Records are consecutive, so only one seq of a reply is parsed and the others derived from it;
records of one batch share their time and header, which are parsed once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from ...records import RawRecord, SessionInfo, SessionPage, StreamRange


def as_bytes(value: bytes | str) -> bytes:
    """A reply value as bytes (clients made with ``decode_responses=True`` return str)."""
    return value if isinstance(value, bytes) else value.encode()


def as_str(value: bytes | str) -> str:
    """A reply value as str."""
    return value.decode() if isinstance(value, bytes) else value


@lru_cache(maxsize=256)
def header(format: str | None, author: str | None) -> bytes:
    """The stored header of a record with this ``format`` and ``author``."""
    if author is None:
        return b"" if format is None else json.dumps([format], separators=(",", ":")).encode()
    return json.dumps([format, author], separators=(",", ":")).encode()


@lru_cache(maxsize=256)
def parse_header(stored: bytes) -> tuple[str | None, str | None]:
    """``(format, author)`` of a stored header; ``ValueError`` if it is mangled."""
    if not stored:
        return None, None
    try:
        value = json.loads(stored)
        format = value[0] if len(value) > 0 else None
        author = value[1] if len(value) > 1 else None
    except (TypeError, IndexError, KeyError, UnicodeDecodeError) as exc:
        raise ValueError(f"not a record header: {exc}") from None
    if not (format is None or isinstance(format, str)) or not (
        author is None or isinstance(author, str)
    ):
        raise ValueError("not a record header")
    return format, author


def record(seq: int, created_ms: int, stored_header: bytes, payload: bytes) -> bytes:
    """A stored record (restore and fork write records with their own seq, time and header)."""
    return b"%d %d %s\n%s" % (seq, created_ms, stored_header, payload)


def first_seq(blobs: Sequence[bytes | str]) -> int | None:
    """The seq of ``blobs[0]``, from the first record whose seq parses (None if none does)."""
    for index, blob in enumerate(blobs):
        data = as_bytes(blob)
        space = data.find(b" ", 0, 24)
        if space > 0:
            try:
                return int(data[:space]) - index
            except ValueError:
                continue
    return None


def parse_records(first: int, blobs: Sequence[bytes | str]) -> list[RawRecord]:
    """Records of seqs ``first``.. from stored blobs; a mangled one decodes as corrupt."""
    out: list[RawRecord] = []
    append = out.append
    last_line: bytes | None = None
    created = 0.0
    format: str | None = None
    author: str | None = None
    for index, blob in enumerate(blobs):
        seq = first + index
        data = as_bytes(blob)
        newline = data.find(b"\n")
        space = data.find(b" ", 0, newline) if newline > 0 else -1
        if space < 0:
            append(RawRecord(seq, b"", 0.0))
            continue
        line = data[space + 1 : newline]  # "<ms> <header>"
        if line != last_line:
            try:
                millis, stored = line.split(b" ", 1)
                created = int(millis) / 1000
                format, author = parse_header(stored)
            except ValueError:
                last_line = None
                append(RawRecord(seq, b"", 0.0))
                continue
            last_line = line
        append(RawRecord(seq, data[newline + 1 :], created, format, author))
    return out


def parse_payloads(first: int, blobs: Sequence[bytes | str]) -> list[tuple[int, bytes]]:
    """``(seq, payload)`` of stored blobs, header and time skipped; a mangled record gets an
    empty (corrupt) payload."""
    out: list[tuple[int, bytes]] = []
    for index, blob in enumerate(blobs):
        data = as_bytes(blob)
        newline = data.find(b"\n")
        out.append((first + index, data[newline + 1 :] if newline > 0 else b""))
    return out


def fields_of(flat: Sequence[Any]) -> dict[str, str]:
    """A hash's fields from a flat ``[field, value, ...]`` reply."""
    return {as_str(flat[i]): as_str(flat[i + 1]) for i in range(0, len(flat), 2)}


def ranges_of(meta: dict[str, str]) -> dict[str, StreamRange]:
    """Stream ranges from a meta hash: ``l:``/``f:`` fields, or the previous layout's ``c:``
    record counts (streams then start at seq 1)."""
    ranges: dict[str, StreamRange] = {}
    for name, value in meta.items():
        if name.startswith("l:"):
            stream = name[2:]
            ranges[stream] = StreamRange(int(meta.get("f:" + stream, "1")), int(value))
        elif name.startswith("c:"):
            ranges[name[2:]] = StreamRange(1, int(value))
    return dict(sorted(ranges.items()))


def info_of(session_id: str, now_ms: int, pttl: int, flat: Sequence[Any]) -> SessionInfo:
    """A :class:`SessionInfo` from the server time, the session's PTTL and its meta hash."""
    meta = fields_of(flat)
    return SessionInfo(
        session_id=session_id,
        created_at=int(meta.get("created", now_ms)) / 1000,
        updated_at=int(meta.get("updated", now_ms)) / 1000,
        expires_at=(now_ms + pttl) / 1000 if pttl > 0 else None,
        ranges=ranges_of(meta),
    )


def infos_of(names: Sequence[str], page: bytes | str) -> list[SessionInfo | None]:
    """The infos of a listed page from the page operation's JSON reply (None: gone)."""
    now_ms, *entries = json.loads(page)
    out: list[SessionInfo | None] = []
    for name, entry in zip(names, entries, strict=True):
        if not entry:
            out.append(None)
            continue
        pttl, created, updated, streams = entry
        ranges = {stream: StreamRange(int(first), int(last)) for stream, first, last in streams}
        out.append(
            SessionInfo(
                session_id=name,
                created_at=int(created) / 1000,
                updated_at=int(updated) / 1000,
                expires_at=(now_ms + pttl) / 1000 if pttl > 0 else None,
                ranges=dict(sorted(ranges.items())),
            )
        )
    return out


def page_of(infos: list[SessionInfo], limit: int) -> SessionPage:
    """A page from up to ``limit + 1`` infos (one more than asked: another page exists)."""
    if len(infos) > limit:
        return SessionPage(infos[:limit], infos[limit - 1].session_id)
    return SessionPage(infos, None)
