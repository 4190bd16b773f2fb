"""Whole-session copies: snapshot, restore and fork.

* ``snapshot`` is one script: a consistent copy of every stream and document.
* ``restore`` is one script: the target is written whole, all or nothing (replacing a live one
  only with ``replace``). Records keep their seqs, times (to the millisecond) and headers.
* ``fork`` on standalone Redis is one script reading the source and writing the target.
  On a cluster the two ids live in different slots, so no script can see both: the fork is a
  snapshot of the source (one consistent point in time) followed by one atomic restore of the
  target. Nothing is written before the snapshot succeeded, and the restore is all or nothing,
  so a crash between the two (or a failed restore) leaves no partial target. The target's index
  entry (another slot) is written *before* the restore: a crash after it leaves an entry of a
  session that does not exist, which listing and ``purge_expired`` drop when they meet it (the
  marker of an unfinished fork), never a live session missing from the index. The source may
  change after the snapshot: the copy is the source as of the snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...backend import ForkRequest
from ...errors import ConflictError, SessionNotFoundError
from ...records import RawSnapshot, RawStreamSnapshot, SessionInfo, StreamRange
from ...snapshots import select
from .calls import LEGACY, UNDECLARED, Calls
from .clients import Clients
from .framing import as_bytes, as_str, header, parse_records, record
from .keys import Keys

_ATTEMPTS = 8
_SOURCE_LEGACY = -12
_SOURCE_UNDECLARED = -13


def _conflict(session_id: str) -> ConflictError:
    return ConflictError(f"session {session_id!r} already exists")


def _missing(session_id: str) -> SessionNotFoundError:
    return SessionNotFoundError(f"session {session_id!r} does not exist (or expired)")


class Copies:
    """Snapshot, restore and fork for one store."""

    def __init__(self, clients: Clients, calls: Calls, keys: Keys, ttl: float | None) -> None:
        self.clients = clients
        self.calls = calls
        self.keys = keys
        self.ttl = ttl

    def _info(
        self, session_id: str, created_ms: float, now_ms: int, ranges: Mapping[str, StreamRange]
    ) -> SessionInfo:
        return SessionInfo(
            session_id=session_id,
            created_at=created_ms / 1000,
            updated_at=now_ms / 1000,
            expires_at=None if self.ttl is None else now_ms / 1000 + self.ttl,
            ranges=dict(sorted(ranges.items())),
        )

    async def snapshot(self, session_id: str) -> RawSnapshot | None:
        _, reply = await self.calls.call("snapshot", session_id, None, [])
        if reply[0] == 0:
            return None
        streams: dict[str, RawStreamSnapshot] = {}
        for group in reply[4:]:
            first, last = int(group[1]), int(group[2])
            streams[as_str(group[0])] = RawStreamSnapshot(
                first, last, parse_records(first, group[3:])
            )
        flat = reply[3]
        docs = {as_str(flat[i]): as_bytes(flat[i + 1]) for i in range(0, len(flat), 2)}
        created, updated = int(reply[1]) / 1000, int(reply[2]) / 1000
        return RawSnapshot(session_id, created, updated, streams, docs)

    async def restore(self, snapshot: RawSnapshot, replace: bool) -> SessionInfo:
        created_ms = round(snapshot.created_at * 1000)
        return await self._restore(snapshot, replace, str(created_ms), created_ms)

    async def _restore(
        self, snapshot: RawSnapshot, replace: bool, created: str, created_ms: float | None
    ) -> SessionInfo:
        """Run restore.lua; ``created`` "" stamps the session created now (a fork)."""
        session_id = snapshot.session_id
        streams = [name for name, stream in snapshot.streams.items() if stream.last > 0]
        docs: list[Any] = [len(snapshot.docs)]
        for name, payload in snapshot.docs.items():
            docs += (name, payload)
        conn = await self.clients.conn()
        known = self.calls.declared(session_id, None)
        for _ in range(_ATTEMPTS):
            declared = (*streams, *(s for s in known if s not in streams))
            own: list[Any] = ["1" if replace else "0", created, *docs]
            for position, name in enumerate(streams):
                stream = snapshot.streams[name]
                own += (position + 1, stream.first, stream.last, len(stream.records))
                own += [
                    record(r.seq, round(r.created_at * 1000), header(r.format, r.author), r.payload)
                    for r in stream.records
                ]
            keys, args = self.calls.frame(conn, session_id, declared, own)
            reply = await self.calls.run(conn, "restore", keys, args)
            if reply[0] in (UNDECLARED, LEGACY):
                names = [as_str(n) for n in reply[1:]]
                if reply[0] == LEGACY:
                    await self.calls.migrate(conn, session_id, names)
                known = tuple(names)
                continue
            if reply[0] == -1:
                raise _conflict(session_id)
            now_ms = int(reply[1])
            await self.calls.after_write(conn, session_id, reply[2], reply[3])
            self.calls.learn(session_id, streams)
            ranges = {
                name: StreamRange(snapshot.streams[name].first, snapshot.streams[name].last)
                for name in streams
            }
            return self._info(session_id, now_ms if created_ms is None else created_ms, now_ms,
                              ranges)  # fmt: skip
        raise ConflictError(f"the streams of session {session_id!r} kept changing")

    async def fork(self, fork: ForkRequest) -> SessionInfo:
        conn = await self.clients.conn()
        if conn.cluster:
            return await self._fork_in_two_steps(fork)
        source, target = fork.source_id, fork.target_id
        every = fork.streams is None
        chosen = tuple(sorted(fork.streams)) if fork.streams is not None else None
        source_streams = chosen if chosen is not None else self.calls.declared(source, None)
        target_known = self.calls.declared(target, None)
        for _ in range(_ATTEMPTS):
            declared = (*source_streams, *(s for s in target_known if s not in source_streams))
            bounds = [_bound(fork.upto, name) for name in source_streams]
            own = ["1" if fork.replace else "0", "1" if every else "0", len(source_streams),
                   *source_streams, *bounds]  # fmt: skip
            keys, args = self.calls.frame(conn, target, declared, own)
            keys = [*keys, self.keys.meta(source), self.keys.docs(source)]  # (a copy: cached)
            keys += [self.keys.log(source, name) for name in source_streams]
            reply = await self.calls.run(conn, "fork", keys, args)
            code = reply[0]
            names = tuple(as_str(n) for n in reply[1:])
            if code in (UNDECLARED, LEGACY):
                if code == LEGACY:
                    await self.calls.migrate(conn, target, names)
                target_known = names
                continue
            if code in (_SOURCE_UNDECLARED, _SOURCE_LEGACY):
                if code == _SOURCE_LEGACY:
                    await self.calls.migrate(conn, source, names)
                self.calls.learn(source, names)
                if every:
                    source_streams = names
                continue
            if code == -1:
                raise _conflict(target)
            if code == -2:
                raise _missing(source)
            now_ms = int(reply[1])
            ranges = {
                as_str(reply[i]): StreamRange(int(reply[i + 1]), int(reply[i + 2]))
                for i in range(4, len(reply), 3)
            }
            self.calls.learn(target, list(ranges))
            return self._info(target, now_ms, now_ms, ranges)
        raise ConflictError(f"the streams of sessions {source!r} and {target!r} kept changing")

    async def _fork_in_two_steps(self, fork: ForkRequest) -> SessionInfo:
        """Cluster: a snapshot of the source, the target's index entry, one atomic restore."""
        raw = await self.snapshot(fork.source_id)
        if raw is None:
            raise _missing(fork.source_id)
        part = select(raw, fork.target_id, fork.streams, fork.upto)
        conn = await self.clients.conn()
        await self.clients.command(conn, "ZADD", self.keys.index, "NX", 0, fork.target_id)
        return await self._restore(part, fork.replace, "", None)


def _bound(upto: int | Mapping[str, int] | None, stream: str) -> str:
    if upto is None:
        return ""
    if isinstance(upto, int):
        return str(upto)
    bound = upto.get(stream)
    return "" if bound is None else str(bound)
