"""RedisStore: one Lua script (one round trip) per operation, on standalone Redis or a Cluster.

The key layout is described in the package docstring (:mod:`sessions_plus.backends.redis`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import SplitResult

from ...backend import DocWrite, LogRange, LogWrite, SessionQuery
from ...errors import ConfigurationError, ConflictError, RecordNotFoundError
from ...options import Options
from ...records import RawRecord, SessionInfo, SessionPage
from ...store import ConversationStore, Keep
from .clients import Clients, Conn
from .driver import RedisCluster, aioredis
from .framing import (
    as_bytes,
    as_str,
    header,
    info_of,
    page_of,
    raw_record,
    unframe,
    unframe_payloads,
)
from .keys import log_key, session_base
from .scripts import scripts
from .tokens import token
from .urls import DEFAULT_KEY_PREFIX, client_maker

if TYPE_CHECKING:
    from typing import TypeAlias

    RedisClient: TypeAlias = "aioredis.Redis | RedisCluster"

_PURGE_BATCH = 500
_KEY_CACHE_SIZE = 1024
"""Escaped key lists remembered per (session, stream): escaping costs more than the lookup."""


class RedisStore(ConversationStore):
    """Conversation store on Redis or Redis Cluster (redis-py asyncio client).

    ``client`` is either a ``redis.asyncio.Redis`` / ``redis.asyncio.cluster.RedisCluster``
    that you own, or a zero-argument callable that makes a new one. A client you own is used on
    the event loop it belongs to (the loop running when the store was made, else the first loop
    that uses the store); on any other loop the store makes a sibling with the same connection
    settings, and it closes only those siblings. Clients made by a callable (and by
    :meth:`from_url`) are made one per loop and closed by ``aclose()``. ``key_prefix``
    namespaces every key and must not contain ``{`` or ``}``. See the package docstring for the
    key layout.
    """

    def __init__(
        self,
        client: RedisClient | Callable[[], RedisClient],
        *,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        ttl: float | None = None,
        refresh_on_read: bool = False,
        **common: Any,
    ) -> None:
        super().__init__(ttl=ttl, refresh_on_read=refresh_on_read, **common)
        if not isinstance(key_prefix, str) or not key_prefix:
            raise ConfigurationError("key_prefix must be a non-empty str")
        if "{" in key_prefix or "}" in key_prefix:
            raise ConfigurationError("key_prefix must not contain '{' or '}' (hash tag braces)")
        self.key_prefix = key_prefix
        self._clients = Clients(client)
        self._ttl_ms = "0" if self.ttl is None else str(max(1, round(self.ttl * 1000)))
        self._refresh = "1" if self.refresh_on_read and self.ttl is not None else "0"
        self._index_key = f"{key_prefix}:index"
        self._expiry_key = f"{key_prefix}:expiry"
        self._scripts = scripts()
        self._key_cache: dict[tuple[str, str | None, bool], list[str]] = {}

    @property
    def cluster(self) -> bool | None:
        """True on Redis Cluster; None until the first client was made from a callable."""
        return self._clients.cluster

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Self:
        """Open a store on ``redis://``, ``rediss://`` (TLS), ``redis+cluster://`` or
        ``rediss+cluster://`` (or either of the first two with ``?cluster=true``).

        Options (query parameters or keyword arguments; keywords win): the store's ``ttl``,
        ``refresh_on_read``, ``key_prefix``, ``on_corrupt``, ``max_record_bytes``; ``cluster``;
        ``retries`` after a connection error (default 2, short jittered backoff); and redis-py
        connection options: ``socket_timeout`` (default 5 s), ``socket_connect_timeout``
        (default 2 s), ``max_connections``, ``health_check_interval``, ``socket_keepalive``,
        ``client_name``, ``protocol``, ``ssl_cert_reqs``, ``ssl_ca_certs``, ``ssl_certfile``,
        ``ssl_keyfile``, ``ssl_check_hostname`` and redis-py's other URL options. Keyword
        arguments may also be any other redis-py client argument (``decode_responses=True``,
        ``retry=Retry(...)``...). Unknown options raise :class:`ConfigurationError`. The store
        makes one client per event loop and closes them in ``aclose()``.
        """
        return super().from_url(url, **options)

    @classmethod
    def _from_url_options(cls, parts: SplitResult, options: Options) -> Self:
        make, key_prefix, common = client_maker(parts, options)
        return cls(make, key_prefix=key_prefix, **common)

    # ------------------------------------------------------------------ clients

    async def _conn(self) -> Conn:
        self._check_open()
        return await self._clients.conn()

    async def close_backend(self) -> None:
        await self._clients.aclose()

    async def _run(self, conn: Conn, name: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        return await self._clients.run(conn, self._scripts[name], keys, args)

    async def _command(self, conn: Conn, *args: Any) -> Any:
        return await self._clients.command(conn, *args)

    async def _session_call(
        self, name: str, session_id: str, stream: str | None, args: Sequence[Any]
    ) -> tuple[Conn, Any]:
        """Run one per-session script: the ONE round trip of the operation."""
        conn = await self._conn()
        return conn, await self._run(conn, name, self._keys(conn, session_id, stream), args)

    # ------------------------------------------------------------------ keys

    def _session_base(self, session_id: str) -> str:
        return session_base(self.key_prefix, session_id)

    def _keys(self, conn: Conn, session_id: str, stream: str | None) -> list[str]:
        cache_key = (session_id, stream, conn.cluster)
        keys = self._key_cache.get(cache_key)
        if keys is None:
            # The scripts name the session's other keys (docs, req, res) after meta, and the
            # expiry set after the index: fewer arguments per call.
            base = self._session_base(session_id)
            keys = [base + "meta"]
            if stream is not None:
                keys.append(log_key(base, stream))
            if not conn.cluster:
                keys.append(self._index_key)
            if len(self._key_cache) >= _KEY_CACHE_SIZE:
                self._key_cache.clear()
            self._key_cache[cache_key] = keys
        return list(keys)

    async def _created(self, conn: Conn, session_id: str, created: int) -> None:
        """On a cluster, index a session its first write created (a second command)."""
        if created and conn.cluster:
            await self._command(conn, "ZADD", self._index_key, "NX", 0, session_id)

    # ------------------------------------------------------------------ logs

    async def write_log(self, write: LogWrite) -> int:
        session_id, stream, start_seq = write.session_id, write.stream, write.start_seq
        payloads, format, author = write.payloads, write.format, write.author
        if_last_seq = write.if_last_seq
        args = [
            self._ttl_ms,
            session_id,
            stream,
            header(format, author),
            "" if if_last_seq is None else if_last_seq,
            "" if start_seq is None else start_seq,
            token(),
            *payloads,
        ]
        conn, (first, flag) = await self._session_call("splice", session_id, stream, args)
        if first == -1:
            raise ConflictError(
                f"stream {stream!r} of session {session_id!r} ends at seq {flag}, not {if_last_seq}"
            )
        if first == -2:
            raise ValueError(f"start_seq {start_seq} is past the end of stream {stream!r} ({flag})")
        await self._created(conn, session_id, flag)
        return int(first)

    async def _read_frames(
        self,
        session_id: str,
        stream: str,
        limit: int | None,
        after: int | None,
        before: int | None,
        keep: Keep,
    ) -> tuple[int, bytes, bytes]:
        """Run the read script: (first seq, record lengths, concatenated records)."""
        args = [
            self._ttl_ms,
            session_id,
            stream,
            self._refresh,
            after or 0,
            "" if before is None else before,
            "" if limit is None else limit,
            keep,
        ]
        _, (first, lengths, data) = await self._session_call("read", session_id, stream, args)
        return int(first), as_bytes(lengths), as_bytes(data)

    async def read_log(self, query: LogRange) -> list[RawRecord]:
        session_id, stream, keep = query.session_id, query.stream, query.keep
        limit, after, before = query.limit, query.after, query.before
        return unframe(*await self._read_frames(session_id, stream, limit, after, before, keep))

    async def read_log_payloads(self, query: LogRange) -> list[tuple[int, bytes]]:
        session_id, stream, keep = query.session_id, query.stream, query.keep
        limit, after, before = query.limit, query.after, query.before
        frames = await self._read_frames(session_id, stream, limit, after, before, keep)
        return unframe_payloads(*frames)

    async def pop_log(self, session_id: str, stream: str) -> RawRecord | None:
        args = [self._ttl_ms, session_id, stream, token()]
        _, result = await self._session_call("pop", session_id, stream, args)
        return None if result is None else raw_record(int(result[0]), result[1])

    async def replace_payload(self, session_id: str, stream: str, seq: int, payload: bytes) -> None:
        args = [self._ttl_ms, session_id, stream, seq, payload]
        _, found = await self._session_call("replace", session_id, stream, args)
        if not found:
            raise RecordNotFoundError(
                f"session {session_id!r} stream {stream!r} has no record seq={seq}"
            )

    async def clear_log(self, session_id: str, stream: str) -> None:
        await self._session_call("clear", session_id, stream, [self._ttl_ms, session_id, stream])

    async def delete_session(self, session_id: str, updated_before: float | None = None) -> bool:
        if updated_before is not None:  # contract v2: the backend's owner implements it
            raise NotImplementedError(f"{type(self).__name__}: delete(updated_before=) not yet")
        # On a cluster the index entry stays until listing or purge_expired drops it: removing
        # it here could race with a writer re-creating the session.
        _, existed = await self._session_call("delete", session_id, None, ["0", session_id])
        return bool(existed)

    # ------------------------------------------------------------------ documents

    async def write_doc(self, write: DocWrite) -> bool:
        session_id, name, payload = write.session_id, write.name, write.payload
        if_absent, if_exists = write.if_absent, write.if_exists
        condition = "absent" if if_absent else "exists" if if_exists else ""
        args = [self._ttl_ms, session_id, name, payload, condition]
        conn, (written, created) = await self._session_call("put_doc", session_id, None, args)
        await self._created(conn, session_id, created)
        return bool(written)

    async def read_doc(self, session_id: str, name: str) -> bytes | None:
        args = [self._ttl_ms, session_id, name, self._refresh]
        _, payload = await self._session_call("get_doc", session_id, None, args)
        return None if payload is None else as_bytes(payload)

    async def remove_doc(self, session_id: str, name: str) -> bool:
        args = [self._ttl_ms, session_id, name]
        _, existed = await self._session_call("delete_doc", session_id, None, args)
        return bool(existed)

    async def doc_names(self, session_id: str, prefix: str) -> list[str]:
        args = [self._ttl_ms, session_id, self._refresh]
        _, names = await self._session_call("list_docs", session_id, None, args)
        return sorted(name for name in map(as_str, names) if name.startswith(prefix))

    # ------------------------------------------------------------------ sessions

    async def session_info(self, session_id: str) -> SessionInfo | None:
        args = [self._ttl_ms, session_id, self._refresh]
        _, result = await self._session_call("info", session_id, None, args)
        if result is None:
            return None
        return info_of(session_id, int(result[0]), int(result[1]), result[2:])

    async def session_page(self, query: SessionQuery) -> SessionPage:
        limit, cursor = query.limit, query.cursor
        if query.prefix:  # contract v2: the backend's owner implements it
            raise NotImplementedError(f"{type(self).__name__}: list_sessions(prefix=) not yet")
        conn = await self._conn()
        if conn.cluster:
            return await self._list_cluster(conn, limit, cursor)
        args = ["0", "", self.key_prefix, cursor or "", limit]
        keys = [self._index_key, self._expiry_key]
        result = await self._run(conn, "list_sessions", keys, args)
        now = int(result[0])
        infos = [
            info_of(as_str(result[i]), now, int(result[i + 1]), result[i + 2])
            for i in range(1, len(result), 3)
        ]
        return page_of(infos, limit)

    async def _list_cluster(self, conn: Conn, limit: int, cursor: str | None) -> SessionPage:
        """Cluster: page the index, then one info script per session, sent concurrently."""
        infos: list[SessionInfo] = []
        start = b"-" if cursor is None else b"(" + cursor.encode()
        while len(infos) <= limit:
            batch = limit + 1 - len(infos) + 8
            ids = await self._command(
                conn, "ZRANGEBYLEX", self._index_key, start, b"+", "LIMIT", 0, batch
            )
            if not ids:
                break
            names = [as_str(i) for i in ids]
            results = await asyncio.gather(
                *(self._run(conn, "info", self._keys(conn, n, None), ["0", n, "0"]) for n in names)
            )
            for name, result in zip(names, results, strict=True):
                if result is None:
                    await self._unindex(conn, name)
                elif len(infos) <= limit:
                    infos.append(info_of(name, int(result[0]), int(result[1]), result[2:]))
            start = b"(" + as_bytes(ids[-1])
            if len(ids) < batch:
                break
        return page_of(infos, limit)

    async def _unindex(self, conn: Conn, session_id: str) -> None:
        """Cluster: drop the index entry of a gone session, re-adding it if a writer raced us."""
        await self._command(conn, "ZREM", self._index_key, session_id)
        if await self._command(conn, "EXISTS", self._session_base(session_id) + "meta"):
            await self._command(conn, "ZADD", self._index_key, "NX", 0, session_id)

    async def purge_sessions(self) -> int:
        """Redis expires sessions by itself, so nothing is counted; this drops their index
        entries (standalone: O(expired) via the expiry set; cluster: walks the whole index)."""
        await self._drop_gone_index_entries()
        return 0

    async def _drop_gone_index_entries(self) -> int:
        """Remove index entries of sessions that no longer exist; return how many."""
        conn = await self._conn()
        removed = 0
        if not conn.cluster:
            args = ["0", "", self.key_prefix, _PURGE_BATCH]
            keys = [self._index_key, self._expiry_key]
            while True:
                gone, examined = await self._run(conn, "purge", keys, args)
                removed += int(gone)
                if int(examined) < _PURGE_BATCH:
                    return removed
        start = b"-"
        while True:
            ids = await self._command(
                conn, "ZRANGEBYLEX", self._index_key, start, b"+", "LIMIT", 0, _PURGE_BATCH
            )
            if not ids:
                return removed
            names = [as_str(i) for i in ids]
            alive = await asyncio.gather(
                *(self._command(conn, "EXISTS", self._session_base(n) + "meta") for n in names)
            )
            for name, exists in zip(names, alive, strict=True):
                if not exists:
                    await self._unindex(conn, name)
                    removed += 1
            start = b"(" + as_bytes(ids[-1])
