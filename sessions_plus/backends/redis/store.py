"""RedisStore: one round trip per operation, on standalone Redis or a Cluster.

Writes are one Lua script each (``lua/``); the hot reads are one native command: the latest-N
read is an ``LRANGE`` of the stream's list, a document read an ``HGET`` (stores with
``refresh_on_read`` read through a script, which slides the TTL). The key layout is described
in the package docstring (:mod:`sessions_plus.backends.redis`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import SplitResult

from ...backend import DocWrite, ForkRequest, LogRange, LogWrite, SessionQuery
from ...errors import (
    ConfigurationError,
    ConflictError,
    RecordNotFoundError,
    SessionNotFoundError,
)
from ...options import Options
from ...records import RawRecord, RawSnapshot, SessionInfo, SessionPage
from ...store import ConversationStore
from .calls import Calls
from .clients import DEFAULT_POOL_TIMEOUT, Clients, Conn
from .copies import Copies
from .driver import RedisCluster, aioredis, redis_errors
from .framing import (
    as_bytes,
    as_str,
    first_seq,
    header,
    info_of,
    parse_payloads,
    parse_records,
)
from .index import Index
from .keys import Keys
from .migration import migrate_all
from .replication import Durability
from .tokens import token
from .urls import DEFAULT_KEY_PREFIX, client_maker

if TYPE_CHECKING:
    from typing import TypeAlias

    RedisClient: TypeAlias = "aioredis.Redis | RedisCluster"


class RedisStore(ConversationStore):
    """Conversation store on Redis or Redis Cluster (redis-py asyncio client).

    ``client`` is either a ``redis.asyncio.Redis`` / ``redis.asyncio.cluster.RedisCluster``
    that you own, or a zero-argument callable that makes a new one. A client you own is used on
    the event loop it belongs to (the loop running when the store was made, else the first loop
    that uses the store); on any other loop the store makes a sibling with the same connection
    settings, and it closes only those siblings. Clients made by a callable (and by
    :meth:`from_url`) are made one per loop and closed by ``aclose()``. ``key_prefix``
    namespaces every key and must not contain ``{`` or ``}``. See the package docstring for the
    key layout, the guarantees of ``fork`` on a cluster and the previous layout's migration.

    ``durability="replicated"`` acknowledges a write only after ``replicas`` replicas (default
    1) confirmed it within ``wait_ms`` (default 1000), else raises
    :class:`~sessions_plus.DurabilityError` (outcome unknown); the default ``"primary"``
    acknowledges once the primary applied it (see :mod:`.replication` for the loss window).
    Concurrent calls beyond the client's pool size (``max_connections``, default 100 per
    event loop) wait up to ``pool_timeout`` seconds (default 10) for a connection, then raise
    :class:`~sessions_plus.PoolExhaustedError`.
    """

    def __init__(
        self,
        client: RedisClient | Callable[[], RedisClient],
        *,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        ttl: float | None = None,
        refresh_on_read: bool = False,
        durability: str = "primary",
        replicas: int | None = None,
        wait_ms: int | None = None,
        pool_timeout: float = DEFAULT_POOL_TIMEOUT,
        **common: Any,
    ) -> None:
        super().__init__(ttl=ttl, refresh_on_read=refresh_on_read, **common)
        if not isinstance(key_prefix, str) or not key_prefix:
            raise ConfigurationError("key_prefix must be a non-empty str")
        if "{" in key_prefix or "}" in key_prefix:
            raise ConfigurationError("key_prefix must not contain '{' or '}' (hash tag braces)")
        self.key_prefix = key_prefix
        self.durability = durability
        self._clients = Clients(
            client,
            durability=Durability.of(durability, replicas, wait_ms),
            pool_timeout=pool_timeout,
        )
        self._keys = Keys(key_prefix)
        ttl_ms = "0" if self.ttl is None else str(max(1, round(self.ttl * 1000)))
        self._calls = Calls(self._clients, self._keys, ttl_ms)
        self._index = Index(self._clients, self._calls, self._keys, read_only=self.read_only)
        self._copies = Copies(self._clients, self._calls, self._keys, self.ttl)
        self._refresh = self.refresh_on_read and self.ttl is not None
        self._max = "" if self.max_records is None else str(self.max_records)

    @property
    def cluster(self) -> bool | None:
        """True on Redis Cluster; None until the first client was made from a callable."""
        return self._clients.cluster

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Self:
        """Open a store on ``redis://``, ``rediss://`` (TLS), ``redis+cluster://`` or
        ``rediss+cluster://`` (or either of the first two with ``?cluster=true``), or through
        Redis Sentinel: ``redis+sentinel://h1:26379,h2:26379/mymaster/0`` (``rediss+sentinel``
        for TLS; ``sentinel_username`` / ``sentinel_password`` if the Sentinels need them).

        Options (query parameters or keyword arguments; keywords win): the store's ``ttl``,
        ``refresh_on_read``, ``key_prefix``, ``on_corrupt``, ``max_record_bytes``,
        ``max_records``, ``read_only``; ``durability`` (``primary`` or ``replicated``),
        ``replicas``, ``wait_ms``, ``pool_timeout``; ``cluster``; ``retries`` after a
        connection error (default 2, short jittered backoff); and redis-py connection options:
        ``socket_timeout`` (default 5 s), ``socket_connect_timeout`` (default 2 s),
        ``max_connections``, ``health_check_interval``, ``socket_keepalive``, ``client_name``,
        ``protocol``, ``ssl_cert_reqs``, ``ssl_ca_certs``, ``ssl_certfile``, ``ssl_keyfile``,
        ``ssl_check_hostname`` and redis-py's other URL options. Keyword arguments may also be
        any other redis-py client argument (``decode_responses=True``, ``retry=Retry(...)``...).
        Unknown options raise :class:`ConfigurationError`. The store makes one client per
        event loop and closes them in ``aclose()``.
        """
        return super().from_url(url, **options)

    @classmethod
    def _from_url_options(cls, parts: SplitResult, options: Options) -> Self:
        make, key_prefix, common = client_maker(parts, options)
        return cls(make, key_prefix=key_prefix, **common)

    async def _conn(self) -> Conn:
        self._check_open()
        return await self._clients.conn()

    async def close_backend(self) -> None:
        await self._clients.aclose()

    async def _command(self, conn: Conn, *args: Any) -> Any:
        return await self._clients.command(conn, *args)

    async def migrate_layout(self) -> int:
        """Rewrite every session still in the previous layout (hash logs) in the current one,
        now; return how many were migrated. Not needed for correctness: reads read both
        layouts and the first write to an old session migrates it (see the package
        docstring); this moves them all at once, e.g. after an upgrade."""
        self._check_writable()
        return await migrate_all(self._clients, self._calls, self._keys)

    # ------------------------------------------------------------------ logs

    async def write_log(self, write: LogWrite) -> int:
        session_id, stream = write.session_id, write.stream
        own = [
            header(write.format, write.author),
            "" if write.if_last_seq is None else write.if_last_seq,
            "" if write.start_seq is None else write.start_seq,
            token(),
            self._max,
            *write.payloads,
        ]
        conn, reply = await self._calls.call("splice", session_id, stream, own)
        first = int(reply[0])
        if first == -1:
            raise ConflictError(
                f"stream {stream!r} of session {session_id!r} ends at seq {reply[1]}, "
                f"not {write.if_last_seq}"
            )
        if first == -2:
            raise ValueError(
                f"start_seq {write.start_seq} is past the end of stream {stream!r} ({reply[1]})"
            )
        if conn.cluster:
            await self._calls.after_write(conn, session_id, reply[1], reply[2])
        self._calls.saw(session_id, stream)
        return first

    async def _latest(self, query: LogRange) -> tuple[int, list[Any]] | None:
        """The fast read: one ``LRANGE`` of the latest records (None: use the script)."""
        if self._refresh or query.before is not None or query.keep != "latest":
            return None
        conn = await self._conn()
        key = self._keys.log(query.session_id, query.stream)
        try:
            blobs = await self._clients.command(
                conn, "LRANGE", key, 0 if query.limit is None else -query.limit, -1
            )
        except redis_errors.ResponseError:
            return None  # a stream of the previous layout (a hash): the script reads it
        if not blobs:
            return 0, []
        first = first_seq(blobs)
        if first is None:
            return None  # no seq parses: the script tells where the records start
        if query.after is not None and query.after >= first:
            skip = query.after - first + 1
            return first + skip, blobs[skip:]
        return first, blobs

    async def _records(self, query: LogRange) -> tuple[int, list[Any]]:
        found = await self._latest(query)
        if found is not None:
            return found
        own = [
            "1" if self._refresh else "0",
            query.after or 0,
            "" if query.before is None else query.before,
            "" if query.limit is None else query.limit,
            query.keep,
        ]
        _, reply = await self._calls.call(
            "read", query.session_id, query.stream, own, every_stream=self._refresh
        )
        return int(reply[0]), reply[1:]

    async def read_log(self, query: LogRange) -> list[RawRecord]:
        return parse_records(*await self._records(query))

    async def read_log_payloads(self, query: LogRange) -> list[tuple[int, bytes]]:
        return parse_payloads(*await self._records(query))

    async def pop_log(self, session_id: str, stream: str) -> RawRecord | None:
        conn, reply = await self._calls.call("pop", session_id, stream, [token()])
        if reply[0] == 0:
            return None
        if conn.cluster:
            await self._calls.after_write(conn, session_id, reply[2], reply[3])
        return parse_records(int(reply[0]), [reply[1]])[0]

    async def replace_payload(self, session_id: str, stream: str, seq: int, payload: bytes) -> None:
        conn, reply = await self._calls.call("replace", session_id, stream, [seq, payload])
        if reply[0] == 0:
            raise RecordNotFoundError(
                f"session {session_id!r} stream {stream!r} has no record seq={seq}"
            )
        await self._calls.after_write(conn, session_id, reply[1], reply[2])

    async def clear_log(self, session_id: str, stream: str) -> None:
        conn, reply = await self._calls.call("clear", session_id, stream, [])
        if reply[0] == 1:
            await self._calls.after_write(conn, session_id, reply[1], reply[2])
        self._calls.unsaw(session_id, stream)

    async def trim_log(self, session_id: str, stream: str, keep_last: int) -> int:
        conn, reply = await self._calls.call("trim", session_id, stream, [keep_last])
        if reply[0] == -1:
            raise SessionNotFoundError(f"session {session_id!r} does not exist (or expired)")
        await self._calls.after_write(conn, session_id, reply[1], reply[2])
        return int(reply[0])

    async def delete_session(self, session_id: str, updated_before: float | None = None) -> bool:
        """``updated_before`` is compared with the session's ``updated_at``, which the
        server's clock stamped: a caller whose clock differs from the server's moves its
        cutoff by that difference."""
        cutoff = "" if updated_before is None else repr(updated_before * 1000)
        conn, reply = await self._calls.call("delete", session_id, None, [cutoff])
        if reply[0] != 2:
            self._calls.unsaw(session_id)
            await self._index.unindex(conn, session_id)
        return bool(reply[0] == 1)

    # ------------------------------------------------------------------ documents

    async def write_doc(self, write: DocWrite) -> bool:
        condition = "absent" if write.if_absent else "exists" if write.if_exists else ""
        own = [write.name, write.payload, condition]
        conn, reply = await self._calls.call("put_doc", write.session_id, None, own)
        await self._calls.after_write(conn, write.session_id, reply[1], reply[2])
        return bool(reply[0])

    async def read_doc(self, session_id: str, name: str) -> bytes | None:
        if self._refresh:
            _, reply = await self._calls.call("docs", session_id, None, [name])
            payload = reply[1] if reply[0] == 1 and len(reply) > 1 else None
        else:
            conn = await self._conn()
            payload = await self._command(conn, "HGET", self._keys.docs(session_id), name)
        return None if payload is None else as_bytes(payload)

    async def remove_doc(self, session_id: str, name: str) -> bool:
        conn, reply = await self._calls.call("delete_doc", session_id, None, [name])
        if reply[0] == 1:
            await self._calls.after_write(conn, session_id, reply[1], reply[2])
        return bool(reply[0])

    async def doc_names(self, session_id: str, prefix: str) -> list[str]:
        if self._refresh:
            _, reply = await self._calls.call("docs", session_id, None, [""])
            names = reply[1] if reply[0] == 1 else []
        else:
            conn = await self._conn()
            names = await self._command(conn, "HKEYS", self._keys.docs(session_id))
        return sorted(name for name in map(as_str, names) if name.startswith(prefix))

    # ------------------------------------------------------------------ sessions

    async def session_info(self, session_id: str) -> SessionInfo | None:
        refresh = "1" if self._refresh else "0"
        _, reply = await self._calls.call(
            "info", session_id, None, [refresh], every_stream=self._refresh
        )
        if reply[0] == 0:
            return None
        return info_of(session_id, int(reply[1]), int(reply[2]), reply[3])

    async def session_page(self, query: SessionQuery) -> SessionPage:
        self._check_open()
        return await self._index.page(query)

    async def purge_sessions(self) -> int:
        """Redis expires a session's keys by itself, so what this removes (and counts) are
        the index entries of expired sessions: O(expired) through the expiry set."""
        self._check_open()
        return await self._index.purge()

    async def snapshot_session(self, session_id: str) -> RawSnapshot | None:
        return await self._copies.snapshot(session_id)

    async def restore_session(self, snapshot: RawSnapshot, replace: bool) -> SessionInfo:
        return await self._copies.restore(snapshot, replace)

    async def fork_session(self, fork: ForkRequest) -> SessionInfo:
        return await self._copies.fork(fork)
