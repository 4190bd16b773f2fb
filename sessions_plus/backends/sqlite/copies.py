"""Whole-session copies on SQLite: fork, snapshot and restore, each one transaction.

A fork copies inside the file (``INSERT ... SELECT``), so no record passes through Python and
the source and target are read and written in the same ``BEGIN IMMEDIATE`` transaction: the
copy is one point in time, and the target appears whole or not at all. A snapshot is one read
transaction (a consistent view in WAL mode, without blocking writers); a restore is one write
transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from itertools import groupby

from ...backend import ForkRequest
from ...errors import ConflictError, SessionNotFoundError
from ...records import RawRecord, RawSnapshot, RawStreamSnapshot, SessionInfo
from .rows import Ranges, SessionRows, decode_ranges, stream_ranges
from .statements import Statements


def _missing(session_id: str) -> SessionNotFoundError:
    return SessionNotFoundError(f"session {session_id!r} does not exist (or expired)")


def _clear_target(
    rows: SessionRows, conn: sqlite3.Connection, session_id: str, replace: bool, now: float
) -> None:
    """Make room for a new session ``session_id``: a live one raises ConflictError unless
    ``replace`` (then it is deleted whole); an expired one is deleted."""
    sid, _ = rows.live(conn, session_id, now)
    if sid is None:
        return
    if not replace:
        raise ConflictError(f"session {session_id!r} already exists")
    rows.drop(conn, sid)


def selected_ranges(
    ranges: Ranges, streams: frozenset[str] | None, upto: int | Mapping[str, int] | None
) -> Ranges:
    """The ranges a fork gives its target: only ``streams``, only seqs <= ``upto``.

    A bound below a stream's first seq leaves it empty but remembering the bound as its last
    seq (so the copy's next append follows it), as :func:`sessions_plus.snapshots.select` does.
    """
    kept: Ranges = {}
    for name, (first, last) in ranges.items():
        if streams is not None and name not in streams:
            continue
        bound = upto if isinstance(upto, int) else None if upto is None else upto.get(name)
        if bound is not None and bound < last:
            first, last = min(first, bound + 1), bound
        if last > 0:
            kept[name] = [first, last]
    return kept


def fork(
    rows: SessionRows, sql: Statements, conn: sqlite3.Connection, fork: ForkRequest, now: float
) -> SessionInfo:
    """Copy a live session into a new one inside the caller's write transaction."""
    source, ranges = rows.live(conn, fork.source_id, now)
    if source is None:
        raise _missing(fork.source_id)
    _clear_target(rows, conn, fork.target_id, fork.replace, now)
    kept = selected_ranges(ranges, fork.streams, fork.upto)
    target = rows.save(conn, fork.target_id, None, kept, now)
    for name, (first, last) in kept.items():
        if last >= first:
            conn.execute(sql.copy_records, (target, source, name, last))
    conn.execute(sql.copy_docs, (target, source))
    return SessionInfo(fork.target_id, now, now, rows.expiry(now), ranges=stream_ranges(kept))


def snapshot(
    sql: Statements, conn: sqlite3.Connection, session_id: str, now: float
) -> RawSnapshot | None:
    """Every stream (range and records) and document of a live session, read in one
    transaction by the caller."""
    row = conn.execute(sql.snapshot_session, (session_id, now)).fetchone()
    if row is None:
        return None
    sid, created_at, updated_at, streams = row
    ranges = decode_ranges(streams)
    found: dict[str, list[RawRecord]] = {}
    records = conn.execute(sql.snapshot_records, (sid,))
    for name, group in groupby(records, key=lambda r: str(r[0])):
        found[name] = [
            RawRecord(seq, payload, at, fmt, who) for _, seq, payload, at, fmt, who in group
        ]
    copies = {
        name: RawStreamSnapshot(first, last, found.get(name, []))
        for name, (first, last) in ranges.items()
    }
    docs = {name: bytes(payload) for name, payload in conn.execute(sql.snapshot_docs, (sid,))}
    return RawSnapshot(session_id, created_at, updated_at, copies, docs)


def restore(
    rows: SessionRows,
    sql: Statements,
    conn: sqlite3.Connection,
    raw: RawSnapshot,
    replace: bool,
    now: float,
) -> SessionInfo:
    """Write ``raw`` as the whole session ``raw.session_id`` inside the caller's write
    transaction: all of it or (on any error, rolled back) none of it."""
    _clear_target(rows, conn, raw.session_id, replace, now)
    ranges: Ranges = {
        name: [stream.first, stream.last] for name, stream in raw.streams.items() if stream.last > 0
    }
    sid = rows.save(conn, raw.session_id, None, ranges, now, created_at=raw.created_at)
    conn.executemany(
        sql.insert_record,
        (
            (sid, name, r.seq, r.created_at, r.format, r.author, r.payload)
            for name, stream in raw.streams.items()
            if name in ranges
            for r in stream.records
        ),
    )
    conn.executemany(sql.put_doc, ((sid, name, payload) for name, payload in raw.docs.items()))
    return SessionInfo(
        raw.session_id, raw.created_at, now, rows.expiry(now), ranges=stream_ranges(ranges)
    )
