"""Per-session script calls: the keys a script declares, learning a session's streams, and
moving sessions of the previous layout forward on their first write.

A script that slides a session's TTL (every write) or copies or deletes it touches the log key
of every stream of the session, so it must declare them all. The client remembers the streams
it saw per session (a bounded cache) and declares those plus the stream of the operation; the
script checks the declaration against the session's stream count in the same atomic step and,
if a stream is missing (another process added it), answers with the session's streams without
writing anything, and the call is made again. A single-stream session never needs that second
round trip, even in a process that never saw it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from ...errors import ConflictError
from .clients import Clients, Conn
from .driver import redis_errors
from .framing import as_str
from .keys import Keys
from .replication import READ_SCRIPTS
from .scripts import Library, library

logger = logging.getLogger("sessions_plus")

_ATTEMPTS = 8
_KNOWN_SESSIONS = 10_000
"""Sessions whose streams a store remembers (the oldest are forgotten first)."""

UNDECLARED = -10
"""Reply code: the script needs these streams declared (the reply lists them)."""
LEGACY = -11
"""Reply code: the session is in the previous layout and must be migrated first."""


class Calls:
    """Runs the per-session scripts of one store (see the module docstring)."""

    def __init__(self, clients: Clients, keys: Keys, ttl_ms: str) -> None:
        self.clients = clients
        self.keys = keys
        self.ttl_ms = ttl_ms
        self.library: Library = library()
        self.functions: bool | None = None
        """Whether calls use the function library (None: not tried yet); see scripts.py."""
        self._known: dict[str, tuple[str, ...]] = {}
        self._frames: dict[tuple[str, tuple[str, ...], bool], tuple[list[Any], list[Any]]] = {}
        """KEYS and the first ARGV of recent (session, declared streams, cluster) calls, encoded
        once (redis-py sends bytes as they are)."""

    # ------------------------------------------------------------------ known streams

    def declared(self, session_id: str, stream: str | None) -> tuple[str, ...]:
        """``stream`` first, then the other streams this store saw in the session."""
        known = self._known.get(session_id, ())
        if stream is None or (known and known[0] == stream):
            return known
        return (stream, *(s for s in known if s != stream))

    def learn(self, session_id: str, streams: Sequence[str]) -> None:
        """Remember the session's streams (after a write, or from a script's answer)."""
        if session_id not in self._known and len(self._known) >= _KNOWN_SESSIONS:
            del self._known[next(iter(self._known))]
        self._known[session_id] = tuple(streams)

    def saw(self, session_id: str, stream: str) -> None:
        """A write to ``stream`` succeeded: remember it among the session's streams."""
        known = self._known.get(session_id, ())
        if stream not in known:
            self.learn(session_id, (stream, *known))

    def unsaw(self, session_id: str, stream: str | None = None) -> None:
        """``stream`` (None: the whole session) is gone."""
        if stream is None:
            self._known.pop(session_id, None)
        elif session_id in self._known:
            self._known[session_id] = tuple(s for s in self._known[session_id] if s != stream)

    # ------------------------------------------------------------------ calls

    async def run(self, conn: Conn, name: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """Run operation ``name``: ``FCALL`` of the function library on standalone Redis
        (loaded on first use), else its EVAL script (see :mod:`.scripts`). Writes of a
        ``durability="replicated"`` store run as EVAL in one pipeline with their ``WAIT``
        (:mod:`.replication`)."""
        operation = self.library[name]
        replicated = self.clients.durability is not None and name not in READ_SCRIPTS
        if not conn.cluster and not replicated and self.functions is not False:
            for _ in range(2):
                try:
                    reply = await self.clients.command(
                        conn, "FCALL", operation.function, len(keys), *keys, *args
                    )
                    self.functions = True
                    return reply
                except redis_errors.NoPermissionError as exc:
                    self._without_functions(exc)
                    break
                except redis_errors.ResponseError as exc:
                    if _unknown_command(exc):
                        self._without_functions(exc)
                        break
                    if "Function not found" not in str(exc):
                        raise
                    if not await self._load_library(conn):
                        break
        return await self.clients.run(conn, operation.script, keys, args)

    async def _load_library(self, conn: Conn) -> bool:
        """``FUNCTION LOAD REPLACE`` the library; False if this server or user cannot."""
        try:
            await self.clients.command(conn, "FUNCTION", "LOAD", "REPLACE", self.library.code)
        except redis_errors.NoPermissionError as exc:
            self._without_functions(exc)
            return False
        except redis_errors.ResponseError as exc:
            if not _unknown_command(exc):
                raise
            self._without_functions(exc)
            return False
        self.functions = True
        return True

    def _without_functions(self, why: BaseException) -> None:
        if self.functions is not False:
            logger.info("Redis functions cannot be used (%s); running EVAL scripts instead", why)
        self.functions = False

    def frame(
        self, conn: Conn, session_id: str, declared: Sequence[str], own: Sequence[Any]
    ) -> tuple[list[Any], list[Any]]:
        """KEYS and ARGV of a per-session operation (see lua/lib/session.lua)."""
        cache_key = (session_id, tuple(declared), conn.cluster)
        found = self._frames.get(cache_key)
        if found is None:
            keys = self.keys.session(session_id, cache_key[1])
            if not conn.cluster:
                keys += (self.keys.index, self.keys.expiry)
            head = [self.ttl_ms, session_id, str(len(declared)), *declared]
            found = ([k.encode() for k in keys], [a.encode() for a in head])
            if len(self._frames) >= _KNOWN_SESSIONS:
                self._frames.clear()
            self._frames[cache_key] = found
        return found[0], [*found[1], *own]

    async def call(
        self,
        name: str,
        session_id: str,
        stream: str | None,
        own: Sequence[Any],
        *,
        every_stream: bool = True,
    ) -> tuple[Conn, Any]:
        """Run script ``name`` on the session (its one round trip, usually); ``stream`` is
        the operation's stream (declared first). With ``every_stream`` the script may need
        every stream declared; without, only ``stream`` is."""
        conn = await self.clients.conn()
        if every_stream:
            declared = self.declared(session_id, stream)
        else:
            declared = () if stream is None else (stream,)
        for _ in range(_ATTEMPTS):
            keys, args = self.frame(conn, session_id, declared, own)
            reply = await self.run(conn, name, keys, args)
            code = reply[0] if isinstance(reply, list) and reply else None
            if code in (UNDECLARED, LEGACY):
                names = [as_str(n) for n in reply[1:]]
                if code == LEGACY:
                    await self.migrate(conn, session_id, names)
                self.learn(session_id, names)
                declared = self.declared(session_id, stream)
                continue
            return conn, reply
        raise ConflictError(
            f"the streams of session {session_id!r} kept changing while {name} ran; "
            "nothing was written"
        )

    async def migrate(self, conn: Conn, session_id: str, streams: Sequence[str]) -> bool:
        """Rewrite a previous-layout session in the current layout (lua/migrate.lua); True if
        it was migrated now."""
        declared = tuple(streams)
        for _ in range(_ATTEMPTS):
            keys = [*self.keys.session(session_id, declared), *self.keys.legacy(session_id)]
            args = [self.ttl_ms, session_id, len(declared), *declared]
            reply = await self.run(conn, "migrate", keys, args)
            if reply[0] == UNDECLARED:
                declared = tuple(as_str(n) for n in reply[1:])
                continue
            if reply[0] == 1 and conn.cluster and int(reply[1]) > 0:
                await self.clients.command(
                    conn, "ZADD", self.keys.expiry, int(reply[1]), session_id
                )
            return bool(reply[0] == 1)
        raise ConflictError(f"the streams of session {session_id!r} kept changing")

    async def after_write(self, conn: Conn, session_id: str, created: Any, hint: Any) -> None:
        """Cluster: keep the index sets (other slots) up to date after a write's script.

        A session the write created joins the index; the expiry set gets the score the
        script asked for (or loses the session when it stopped expiring). Standalone scripts
        do this themselves, in the same atomic step.
        """
        if not conn.cluster or (not created and not hint):
            return
        sends = []
        if created:
            sends.append(self.clients.command(conn, "ZADD", self.keys.index, "NX", 0, session_id))
        hint = int(hint)
        if hint > 0:
            sends.append(self.clients.command(conn, "ZADD", self.keys.expiry, hint, session_id))
        elif hint < 0:
            sends.append(self.clients.command(conn, "ZREM", self.keys.expiry, session_id))
        await asyncio.gather(*sends)


def _unknown_command(exc: BaseException) -> bool:
    """A server without Redis functions (before 7.0, or a compatible server lacking them)."""
    return "unknown command" in str(exc).lower()
