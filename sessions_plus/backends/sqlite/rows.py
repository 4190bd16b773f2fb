"""The session row's ``streams`` column, and the SessionInfo of a session row.

``streams`` is the JSON object ``{stream: [first, last]}``: the seqs each stream holds. Keeping
the ranges in the session row means an append changes that one row plus its records, which is
what keeps a commit cheap. A stream trimmed to nothing stays as ``[last + 1, last]`` so that no
seq is handed out twice; a stream emptied back to nothing (``last == 0``) is left out.
"""

from __future__ import annotations

import json
import sqlite3

from ...records import SessionInfo, StreamRange
from .statements import Statements

Ranges = dict[str, list[int]]
"""``{stream: [first, last]}`` of one session, as stored."""

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
"""Made once: json.dumps with options makes one encoder per call."""


def encode_ranges(ranges: Ranges) -> str:
    """The ``streams`` column for ``ranges`` (streams with ``last == 0`` are left out)."""
    return _ENCODER.encode({name: span for name, span in ranges.items() if span[1]})


def decode_ranges(text: str) -> Ranges:
    """The ``{stream: [first, last]}`` of a session row's ``streams`` column."""
    ranges: Ranges = json.loads(text)
    return ranges


def stream_ranges(ranges: Ranges) -> dict[str, StreamRange]:
    """``ranges`` as the contract's :class:`StreamRange` values."""
    return {name: StreamRange(first, last) for name, (first, last) in ranges.items()}


def session_info(
    session_id: str, created_at: float, updated_at: float, expires_at: float | None, streams: str
) -> SessionInfo:
    """The :class:`SessionInfo` of a session row (a listing builds one per session: both
    mappings are made here in one pass rather than one derived from the other)."""
    ranges: dict[str, StreamRange] = {}
    counts: dict[str, int] = {}
    for name, (first, last) in json.loads(streams).items():
        ranges[name] = StreamRange(first, last)
        if last >= first:
            counts[name] = last - first + 1
    return SessionInfo(session_id, created_at, updated_at, expires_at, counts, ranges)


class SessionRows:
    """Reads and writes session rows inside a write transaction (the caller's ``conn``).

    A session expires as a whole: finding an expired row deletes its records, documents and
    row in the same transaction, so a write to it starts an empty session.
    """

    def __init__(self, sql: Statements, ttl: float | None) -> None:
        self._sql = sql
        self._ttl = ttl

    def expiry(self, now: float) -> float | None:
        """When a session written at ``now`` expires (None: never)."""
        return None if self._ttl is None else now + self._ttl

    def live(
        self, conn: sqlite3.Connection, session_id: str, now: float
    ) -> tuple[int | None, Ranges]:
        """The live session's key (None if none) and its ranges; an expired session's data
        is deleted first."""
        row = conn.execute(self._sql.session_row, (session_id,)).fetchone()
        if row is None:
            return None, {}
        sid, expires_at, streams = row
        if expires_at is not None and expires_at <= now:
            self.drop(conn, sid)
            return None, {}
        return sid, decode_ranges(streams)

    def drop(self, conn: sqlite3.Connection, sid: int) -> None:
        """Delete a session's records, documents and row."""
        for statement in self._sql.drop_session:
            conn.execute(statement, (sid,))

    def save(
        self,
        conn: sqlite3.Connection,
        session_id: str,
        sid: int | None,
        ranges: Ranges,
        now: float,
        created_at: float | None = None,
    ) -> int:
        """Write the session row (creating it if ``sid`` is None, created at ``created_at`` or
        now), sliding its TTL; return its key."""
        values = (now, self.expiry(now), encode_ranges(ranges))
        if sid is None:
            created = now if created_at is None else created_at
            cursor = conn.execute(self._sql.insert_session, (session_id, created, *values))
            return int(cursor.lastrowid or 0)
        conn.execute(self._sql.update_session, (*values, sid))
        return sid
