"""The session index: paged listing (never SCAN), prefix ranges, and purging expired entries.

``P:index`` holds every session id (raw, score 0: code point order, since UTF-8 byte order is
code point order) and ``P:expiry`` maps ids to a time at or before which they expire. A page
is one ``ZRANGEBYLEX`` between the prefix's bounds (O(log n + page)) and the metadata of the
sessions on it (standalone: one script; cluster: one command per session, sent together).

Redis expires a session's keys by itself; its index entries stay until a listing meets them
(dropped then) or ``purge_expired`` walks the expiry set, O(expired + sessions whose score
went stale), in batches: a live session met there is re-scored to its real expiry. On
standalone Redis the writes keep both sets in their own script; on a cluster (other slots)
the client sends the index commands after the session's script (see :mod:`.calls`).
"""

from __future__ import annotations

import asyncio
import time

from ...backend import SessionQuery
from ...records import SessionInfo, SessionPage
from .calls import Calls
from .clients import Clients, Conn
from .framing import as_bytes, as_str, info_of, infos_of, page_of
from .keys import Keys

PURGE_BATCH = 100
"""Expiry-set entries one purge step examines (one script on standalone Redis): small enough
that the server never blocks other clients for long."""
PURGE_PACE = 2.0
"""After each step, purge waits this many times as long as the step took: a purge uses about a
third of its process's event loop and of the server at most, so live sessions stay fast."""


def successor(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string starting with ``prefix``."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes([stripped[-1] + 1])


def lex_bounds(prefix: str, cursor: str | None) -> tuple[bytes, bytes]:
    """``ZRANGEBYLEX`` bounds of the ids starting with ``prefix`` after ``cursor``."""
    low = prefix.encode()
    start = b"[" + low if low else b"-"
    if cursor is not None and cursor.encode() >= low:
        start = b"(" + cursor.encode()
    end = successor(low) if low else None
    return start, (b"+" if end is None else b"(" + end)


class Index:
    """Listing and purging over one store's index sets."""

    def __init__(self, clients: Clients, calls: Calls, keys: Keys, *, read_only: bool) -> None:
        self.clients = clients
        self.calls = calls
        self.keys = keys
        self.read_only = read_only

    # ------------------------------------------------------------------ listing

    async def page(self, query: SessionQuery) -> SessionPage:
        conn = await self.clients.conn()
        want = query.limit + 1  # one more than asked tells whether another page exists
        start, end = lex_bounds(query.prefix, query.cursor)
        infos: list[SessionInfo] = []
        while len(infos) < want:
            batch = want - len(infos) + 8
            ids = await self.clients.command(
                conn, "ZRANGEBYLEX", self.keys.index, start, end, "LIMIT", 0, batch
            )
            if not ids:
                break
            names = [as_str(i) for i in ids]
            found = await self._infos(conn, names)
            gone = [name for name, info in zip(names, found, strict=True) if info is None]
            infos.extend(info for info in found if info is not None)
            if gone and not self.read_only:
                await self.drop(conn, gone)
            start = b"(" + as_bytes(ids[-1])
            if len(ids) < batch:
                break
        return page_of(infos[:want], query.limit)

    async def _infos(self, conn: Conn, names: list[str]) -> list[SessionInfo | None]:
        if not conn.cluster:
            metas = [self.keys.meta(name) for name in names]
            return infos_of(names, await self.calls.run(conn, "page", metas, []))
        replies = await asyncio.gather(
            *(self.calls.call("info", name, None, ["0"], every_stream=False) for name in names)
        )
        return [
            None if reply[0] == 0 else info_of(name, int(reply[1]), int(reply[2]), reply[3])
            for name, (_, reply) in zip(names, replies, strict=True)
        ]

    # ------------------------------------------------------------------ dropping entries

    async def drop(self, conn: Conn, names: list[str]) -> int:
        """Drop the index entries of sessions that are gone; return how many were dropped.
        A session a writer re-created meanwhile keeps (or gets back) its entry."""
        if not conn.cluster:
            keys = [self.keys.index, self.keys.expiry, *(self.keys.meta(n) for n in names)]
            return int(await self.calls.run(conn, "purge", keys, names))
        dropped = await asyncio.gather(*(self._drop_one(conn, name) for name in names))
        return sum(dropped)

    async def _drop_one(self, conn: Conn, name: str) -> int:
        removed = await self.clients.command(conn, "ZREM", self.keys.index, name)
        await self.clients.command(conn, "ZREM", self.keys.expiry, name)
        if await self.clients.command(conn, "EXISTS", self.keys.meta(name)):
            await self.clients.command(conn, "ZADD", self.keys.index, "NX", 0, name)
            return 0
        return int(removed)

    async def unindex(self, conn: Conn, session_id: str) -> None:
        """Cluster: a deleted session leaves the index sets (unless re-created meanwhile)."""
        if conn.cluster:
            await self._drop_one(conn, session_id)

    # ------------------------------------------------------------------ purge

    async def purge(self) -> int:
        """Drop the index entries of expired sessions; return how many were dropped."""
        conn = await self.clients.conn()
        seconds, micros = await self.clients.command(conn, "TIME")
        now = int(seconds) * 1000 + int(micros) // 1000
        removed = 0
        while True:
            started = time.perf_counter()
            ids = await self.clients.command(
                conn, "ZRANGEBYSCORE", self.keys.expiry, "-inf", now, "LIMIT", 0, PURGE_BATCH
            )
            if not ids:
                return removed
            names = [as_str(i) for i in ids]
            if conn.cluster:
                removed += await self._purge_cluster(conn, names, now)
            else:
                removed += await self.drop(conn, names)
            if len(ids) < PURGE_BATCH:
                return removed
            await asyncio.sleep((time.perf_counter() - started) * PURGE_PACE)

    async def _purge_cluster(self, conn: Conn, names: list[str], now: int) -> int:
        pttls = await asyncio.gather(
            *(self.clients.command(conn, "PTTL", self.keys.meta(name)) for name in names)
        )
        gone: list[str] = []
        updates = []
        for name, pttl in zip(names, map(int, pttls), strict=True):
            if pttl == -2:
                gone.append(name)
            elif pttl == -1:
                updates.append(self.clients.command(conn, "ZREM", self.keys.expiry, name))
            else:
                updates.append(
                    self.clients.command(conn, "ZADD", self.keys.expiry, now + pttl, name)
                )
        await asyncio.gather(*updates)
        return await self.drop(conn, gone) if gone else 0
