"""Redis store: one Lua script (one round trip) per operation, on standalone Redis or a Cluster.

Key layout, for ``key_prefix`` *P* and a session id escaped to *E* with
``urllib.parse.quote(id, safe="")`` (every byte outside ``[A-Za-z0-9_.~-]`` becomes ``%XX``, so
no id can contain ``{``, ``}``, ``:`` or a glob character and no two ids share a key)::

    P:{E}:meta           hash: created, updated (server ms), c:<stream> = record count
    P:{E}:docs           hash: document name -> encoded document
    P:{E}:log:<esc s>    hash: seq -> b"<created ms>\\n<header>\\n<payload>" (stream escaped too)
    P:{E}:req, P:{E}:res list + hash: tokens and results of the last 16-32 writes (retry replay)
    P:index              sorted set of session ids (score 0: id order), standalone and cluster
    P:expiry             sorted set: session id -> expiry ms (standalone only)

Every key of a session shares the hash tag ``{E}``, so the session lives in one Cluster slot and
the same scripts run unchanged on Redis Cluster. Each operation is one ``EVALSHA`` (re-sent as
``EVAL`` after ``NOSCRIPT``, e.g. when the server restarted); timestamps come from the server
clock. With a TTL every write sets the same ``PEXPIRE`` on every key of the session in the same
script (``refresh_on_read`` makes reads do it too), so the whole session expires at once.
Appends, splices and pops carry a random token: a call redis-py re-sends after a lost reply
returns its first result instead of writing twice.

Listing reads the ``P:index`` set, never ``SCAN``. On standalone Redis the scripts keep it in
the same round trip. On a cluster the index lives in its own slot: the first write of a session
adds it with a second command (``ZADD``), and listing fetches each listed session's metadata
with one command per session (sent concurrently); entries of deleted or expired sessions are
dropped lazily by listing and by ``purge_expired`` (which walks the whole index on a cluster).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import importlib.resources
import inspect
import itertools
import json
import os
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import SplitResult, quote, urlunsplit

from ...backend import DocWrite, LogRange, LogWrite, SessionQuery
from ...errors import (
    ConfigurationError,
    ConflictError,
    RecordNotFoundError,
    StoreUnavailableError,
    missing_dependency,
)
from ...loops import PerLoop
from ...options import Options, common_options, pop_bool, pop_float, pop_str
from ...records import RawRecord, SessionInfo, SessionPage
from ...store import ConversationStore, Keep

try:
    import redis.asyncio as aioredis
    from redis import exceptions as redis_errors
    from redis.asyncio.cluster import ClusterNode, RedisCluster
    from redis.asyncio.connection import URL_QUERY_ARGUMENT_PARSERS, parse_url
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialWithJitterBackoff
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise missing_dependency("RedisStore", "redis", exc) from exc

if TYPE_CHECKING:
    from typing import TypeAlias

    RedisClient: TypeAlias = "aioredis.Redis | RedisCluster"

DEFAULT_KEY_PREFIX = "sessions_plus"
DEFAULT_SOCKET_TIMEOUT = 5.0
"""Seconds ``from_url`` waits for a reply before the store reports itself unavailable."""
DEFAULT_SOCKET_CONNECT_TIMEOUT = 2.0
"""Seconds ``from_url`` waits for a connection."""
DEFAULT_RETRIES = 2
"""Retries (short jittered backoff) ``from_url`` allows a command after a connection error."""

_PURGE_BATCH = 500
_KEY_CACHE_SIZE = 1024
"""Escaped key lists remembered per (session, stream): escaping costs more than the lookup."""
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    redis_errors.ConnectionError,  # includes BusyLoadingError and MaxConnectionsError
    redis_errors.TimeoutError,
    redis_errors.ClusterDownError,  # includes MasterDownError
    redis_errors.TryAgainError,
    OSError,
    TimeoutError,
)
_UNAVAILABLE_AT_CONNECT: tuple[type[BaseException], ...] = (
    *_UNAVAILABLE,
    redis_errors.RedisClusterException,  # when connecting: no startup node could be reached
)
# URL query options passed through to redis-py (values parsed by redis-py's own URL parsers).
_STR_CONNECTION_OPTIONS = frozenset(
    {"client_name", "ssl_cert_reqs", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile", "ssl_ca_path"}
)


# ---------------------------------------------------------------------------- scripts


class _Script:
    """One Lua script: ``EVALSHA``, falling back to ``EVAL`` (which caches it) on NOSCRIPT."""

    def __init__(self, source: bytes) -> None:
        self.source = source
        self.sha = hashlib.sha1(source, usedforsecurity=False).hexdigest()

    async def __call__(self, client: Any, keys: Sequence[str], args: Sequence[Any]) -> Any:
        try:
            return await client.evalsha(self.sha, len(keys), *keys, *args)
        except redis_errors.NoScriptError:
            return await client.eval(self.source, len(keys), *keys, *args)


@lru_cache(maxsize=1)
def _scripts() -> dict[str, _Script]:
    """Load the ``lua/*.lua`` package data once, each prefixed with ``common.lua``."""
    folder = importlib.resources.files(__package__ or "sessions_plus.backends.redis") / "lua"
    common = (folder / "common.lua").read_bytes()
    scripts: dict[str, _Script] = {}
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".lua") and name != "common.lua":
            scripts[name[:-4]] = _Script(common + b"\n" + entry.read_bytes())
    return scripts


# ---------------------------------------------------------------------------- helpers


def escape(value: str) -> str:
    """Escape a session id or stream name for use inside a key (matches ``esc`` in Lua)."""
    return quote(value, safe="")


class _Tokens:
    """Per-call write tokens: a random per-process prefix and a counter (unique, and cheap).

    A retried write replays its first result instead of repeating. A forked child draws a new
    prefix, so parent and child never share a token.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._prefix = secrets.token_hex(8) + ":"
        self._counter = itertools.count()

    def __call__(self) -> str:
        return self._prefix + format(next(self._counter), "x")


_token = _Tokens()
if hasattr(os, "register_at_fork"):  # pragma: no branch - absent on Windows only
    os.register_at_fork(after_in_child=_token.reset)


def _b(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


def _s(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


@lru_cache(maxsize=256)
def _header(format: str | None, author: str | None) -> bytes:
    if format is None and author is None:
        return b""
    return json.dumps([format, author]).encode()


@lru_cache(maxsize=256)
def _parse_header(header: bytes) -> tuple[str | None, str | None]:
    if not header:
        return None, None
    format, author = json.loads(header)
    return format, author


def _raw(seq: int, blob: bytes | str | None) -> RawRecord:
    """Parse ``b"<ms>\\n<header>\\n<payload>"``; a missing or mangled record decodes as corrupt."""
    if blob is None:
        return RawRecord(seq, b"", 0.0)
    try:
        millis, header, payload = _b(blob).split(b"\n", 2)
        format, author = _parse_header(header)
        return RawRecord(seq, payload, int(millis) / 1000, format, author)
    except ValueError:
        return RawRecord(seq, b"", 0.0)


def _unframe(first: int, lengths: bytes, data: bytes) -> list[RawRecord]:
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
                header = data[first_nl + 1 : second_nl]
                if header != last_header:
                    format, author = _parse_header(header)
                    last_header = header
                append(RawRecord(seq, data[second_nl + 1 : end], created, format, author))
            except ValueError:
                append(RawRecord(seq, b"", 0.0))
        if size > 0:
            pos = end
        seq += 1
    return out


def _unframe_payloads(first: int, lengths: bytes, data: bytes) -> list[tuple[int, bytes]]:
    """``(seq, payload)`` of each record of a read reply (see :func:`_unframe`), header and
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


def _info(session_id: str, now_ms: int, pttl: int, fields: Sequence[bytes | str]) -> SessionInfo:
    meta = {_s(fields[i]): _s(fields[i + 1]) for i in range(0, len(fields), 2)}
    streams = {name[2:]: int(value) for name, value in meta.items() if name.startswith("c:")}
    return SessionInfo(
        session_id=session_id,
        created_at=int(meta.get("created", now_ms)) / 1000,
        updated_at=int(meta.get("updated", now_ms)) / 1000,
        expires_at=(now_ms + pttl) / 1000 if pttl > 0 else None,
        streams=dict(sorted(streams.items())),
    )


@dataclass(frozen=True, slots=True)
class _Conn:
    """The client of one event loop and whether this store made it (and so closes it)."""

    client: Any
    owned: bool
    cluster: bool


def _is_cluster(client: Any) -> bool:
    return isinstance(client, RedisCluster)


def _sibling(client: Any) -> Any:
    """A new client with the same connection settings as ``client``, for another event loop."""
    if _is_cluster(client):
        allowed = inspect.signature(RedisCluster.__init__).parameters
        kwargs = {
            key: value
            for key, value in client.connection_kwargs.items()
            if key in allowed and key not in ("host", "port", "startup_nodes", "retry")
        }
        nodes = [ClusterNode(node.host, node.port) for node in client.startup_nodes]
        return RedisCluster(startup_nodes=nodes, retry=copy.deepcopy(client.retry), **kwargs)
    pool = client.connection_pool
    new_pool = type(pool)(
        connection_class=pool.connection_class,
        max_connections=pool.max_connections,
        **pool.connection_kwargs,
    )
    return aioredis.Redis.from_pool(new_pool)


# ---------------------------------------------------------------------------- the store


class RedisStore(ConversationStore):
    """Conversation store on Redis or Redis Cluster (redis-py asyncio client).

    ``client`` is either a ``redis.asyncio.Redis`` / ``redis.asyncio.cluster.RedisCluster``
    that you own, or a zero-argument callable that makes a new one. A client you own is used on
    the event loop it belongs to (the loop running when the store was made, else the first loop
    that uses the store); on any other loop the store makes a sibling with the same connection
    settings, and it closes only those siblings. Clients made by a callable (and by
    :meth:`from_url`) are made one per loop and closed by ``aclose()``. ``key_prefix``
    namespaces every key and must not contain ``{`` or ``}``. See the module docstring for the
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
        self._given: Any = None
        self._make_client: Callable[[], Any] | None = None
        self.cluster: bool | None = None
        """True on Redis Cluster; None until the first client was made from a callable."""
        if isinstance(client, aioredis.Redis | RedisCluster):
            self._given = client
            self.cluster = _is_cluster(client)
        elif callable(client):
            self._make_client = client
        else:
            raise ConfigurationError(
                "client must be a redis.asyncio.Redis, a redis.asyncio.cluster.RedisCluster "
                f"or a callable making one, not {type(client).__name__}"
            )
        self._given_loop: asyncio.AbstractEventLoop | None = None
        with contextlib.suppress(RuntimeError):  # no running loop: the first user adopts it
            self._given_loop = asyncio.get_running_loop()
        self._given_lock = threading.Lock()
        self._ttl_ms = "0" if self.ttl is None else str(max(1, round(self.ttl * 1000)))
        self._refresh = "1" if self.refresh_on_read and self.ttl is not None else "0"
        self._index_key = f"{key_prefix}:index"
        self._expiry_key = f"{key_prefix}:expiry"
        self._scripts = _scripts()
        self._clients: PerLoop[_Conn] = PerLoop(self._new_conn, self._close_conn)
        self._key_cache: dict[tuple[str, str | None, bool], list[str]] = {}
        self._last: tuple[asyncio.AbstractEventLoop, _Conn] | None = None
        """The last loop's connection: skips PerLoop's lock-free lookup and shield per call."""

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
        make, key_prefix, common = _client_maker(parts, options)
        return cls(make, key_prefix=key_prefix, **common)

    # ------------------------------------------------------------------ clients

    async def _new_conn(self) -> _Conn:
        if self._make_client is not None:
            conn = _Conn(self._make_client(), owned=True, cluster=False)
        else:
            loop = asyncio.get_running_loop()
            with self._given_lock:
                if self._given_loop is None or self._given_loop is loop:
                    self._given_loop = loop
                    conn = _Conn(self._given, owned=False, cluster=False)
                else:
                    conn = _Conn(_sibling(self._given), owned=True, cluster=False)
        cluster = _is_cluster(conn.client)
        self.cluster = cluster
        if cluster:
            # Learn the slot map before the first command: redis-py routes a keyed EVALSHA to
            # an arbitrary node while its cluster client is uninitialised.
            try:
                await conn.client.initialize()
            except BaseException:
                if conn.owned:
                    await conn.client.aclose()
                raise
        return _Conn(conn.client, conn.owned, cluster)

    @staticmethod
    async def _close_conn(conn: _Conn) -> None:
        if conn.owned:
            await conn.client.aclose()

    async def _conn(self) -> _Conn:
        self._check_open()
        loop = asyncio.get_running_loop()
        last = self._last
        if last is not None and last[0] is loop:
            return last[1]
        try:
            conn = await self._clients.get()
        except _UNAVAILABLE_AT_CONNECT as exc:
            raise _unavailable(exc) from exc
        self._last = (loop, conn)
        return conn

    async def close_backend(self) -> None:
        self._last = None
        await self._clients.aclose()

    async def _run(self, conn: _Conn, name: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        try:
            return await self._scripts[name](conn.client, keys, args)
        except _UNAVAILABLE as exc:
            raise _unavailable(exc) from exc

    async def _command(self, conn: _Conn, *args: Any) -> Any:
        try:
            return await conn.client.execute_command(*args)
        except _UNAVAILABLE as exc:
            raise _unavailable(exc) from exc

    async def _session_call(
        self, name: str, session_id: str, stream: str | None, args: Sequence[Any]
    ) -> tuple[_Conn, Any]:
        """Run one per-session script: the ONE round trip of the operation."""
        conn = await self._conn()
        return conn, await self._run(conn, name, self._keys(conn, session_id, stream), args)

    # ------------------------------------------------------------------ keys

    def _session_base(self, session_id: str) -> str:
        return f"{self.key_prefix}:{{{escape(session_id)}}}:"

    def _keys(self, conn: _Conn, session_id: str, stream: str | None) -> list[str]:
        cache_key = (session_id, stream, conn.cluster)
        keys = self._key_cache.get(cache_key)
        if keys is None:
            # The scripts name the session's other keys (docs, req, res) after meta, and the
            # expiry set after the index: fewer arguments per call.
            base = self._session_base(session_id)
            keys = [base + "meta"]
            if stream is not None:
                keys.append(base + "log:" + escape(stream))
            if not conn.cluster:
                keys.append(self._index_key)
            if len(self._key_cache) >= _KEY_CACHE_SIZE:
                self._key_cache.clear()
            self._key_cache[cache_key] = keys
        return list(keys)

    async def _created(self, conn: _Conn, session_id: str, created: int) -> None:
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
            _header(format, author),
            "" if if_last_seq is None else if_last_seq,
            "" if start_seq is None else start_seq,
            _token(),
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
        return int(first), _b(lengths), _b(data)

    async def read_log(self, query: LogRange) -> list[RawRecord]:
        session_id, stream, keep = query.session_id, query.stream, query.keep
        limit, after, before = query.limit, query.after, query.before
        return _unframe(*await self._read_frames(session_id, stream, limit, after, before, keep))

    async def read_log_payloads(self, query: LogRange) -> list[tuple[int, bytes]]:
        session_id, stream, keep = query.session_id, query.stream, query.keep
        limit, after, before = query.limit, query.after, query.before
        frames = await self._read_frames(session_id, stream, limit, after, before, keep)
        return _unframe_payloads(*frames)

    async def pop_log(self, session_id: str, stream: str) -> RawRecord | None:
        args = [self._ttl_ms, session_id, stream, _token()]
        _, result = await self._session_call("pop", session_id, stream, args)
        return None if result is None else _raw(int(result[0]), result[1])

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
        return None if payload is None else _b(payload)

    async def remove_doc(self, session_id: str, name: str) -> bool:
        args = [self._ttl_ms, session_id, name]
        _, existed = await self._session_call("delete_doc", session_id, None, args)
        return bool(existed)

    async def doc_names(self, session_id: str, prefix: str) -> list[str]:
        args = [self._ttl_ms, session_id, self._refresh]
        _, names = await self._session_call("list_docs", session_id, None, args)
        return sorted(name for name in map(_s, names) if name.startswith(prefix))

    # ------------------------------------------------------------------ sessions

    async def session_info(self, session_id: str) -> SessionInfo | None:
        args = [self._ttl_ms, session_id, self._refresh]
        _, result = await self._session_call("info", session_id, None, args)
        if result is None:
            return None
        return _info(session_id, int(result[0]), int(result[1]), result[2:])

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
            _info(_s(result[i]), now, int(result[i + 1]), result[i + 2])
            for i in range(1, len(result), 3)
        ]
        return _page(infos, limit)

    async def _list_cluster(self, conn: _Conn, limit: int, cursor: str | None) -> SessionPage:
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
            names = [_s(i) for i in ids]
            results = await asyncio.gather(
                *(self._run(conn, "info", self._keys(conn, n, None), ["0", n, "0"]) for n in names)
            )
            for name, result in zip(names, results, strict=True):
                if result is None:
                    await self._unindex(conn, name)
                elif len(infos) <= limit:
                    infos.append(_info(name, int(result[0]), int(result[1]), result[2:]))
            start = b"(" + _b(ids[-1])
            if len(ids) < batch:
                break
        return _page(infos, limit)

    async def _unindex(self, conn: _Conn, session_id: str) -> None:
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
            names = [_s(i) for i in ids]
            alive = await asyncio.gather(
                *(self._command(conn, "EXISTS", self._session_base(n) + "meta") for n in names)
            )
            for name, exists in zip(names, alive, strict=True):
                if not exists:
                    await self._unindex(conn, name)
                    removed += 1
            start = b"(" + _b(ids[-1])


def _page(infos: list[SessionInfo], limit: int) -> SessionPage:
    if len(infos) > limit:
        return SessionPage(infos[:limit], infos[limit - 1].session_id)
    return SessionPage(infos, None)


def _unavailable(exc: BaseException) -> StoreUnavailableError:
    return StoreUnavailableError(f"Redis is unavailable: {type(exc).__name__}: {exc}")


# ---------------------------------------------------------------------------- URLs

_SCHEMES = ("redis", "rediss", "redis+cluster", "rediss+cluster")


@lru_cache(maxsize=2)
def _client_parameters(cluster: bool) -> frozenset[str]:
    """Keyword arguments the redis-py client accepts (typed options pass straight through)."""
    cls: Any = RedisCluster if cluster else aioredis.Redis
    names = set(inspect.signature(cls.__init__).parameters)
    return frozenset(names - {"self", "host", "port", "startup_nodes", "connection_pool"})


def _client_maker(
    parts: SplitResult, options: Options
) -> tuple[Callable[[], Any], str, dict[str, Any]]:
    """From URL parts and options (str from a URL query, or typed values): a function making
    one redis-py client, the key prefix, and the store's common options."""
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise ConfigurationError(f"not a Redis URL scheme: {scheme!r}")
    if not parts.hostname:
        raise ConfigurationError("a Redis URL needs a host, e.g. redis://localhost:6379/0")
    store = common_options(options)
    key_prefix = pop_str(options, "key_prefix") or DEFAULT_KEY_PREFIX
    cluster = scheme.endswith("+cluster") or pop_bool(options, "cluster")
    retries = pop_float(options, "retries")

    kwargs: dict[str, Any] = {
        "socket_timeout": DEFAULT_SOCKET_TIMEOUT,
        "socket_connect_timeout": DEFAULT_SOCKET_CONNECT_TIMEOUT,
        "retry": Retry(
            ExponentialWithJitterBackoff(base=0.05, cap=0.5),
            DEFAULT_RETRIES if retries is None else int(retries),
        ),
    }
    for key, value in options.items():
        parser = URL_QUERY_ARGUMENT_PARSERS.get(key)
        if not isinstance(value, str):
            if key not in _client_parameters(cluster):
                raise ConfigurationError(f"unknown option for {scheme}:// URLs: {key}")
            kwargs[key] = value
            continue
        if parser is None:
            if key not in _STR_CONNECTION_OPTIONS:
                raise ConfigurationError(f"unknown option for {scheme}:// URLs: {key}")
            kwargs[key] = value
            continue
        try:
            kwargs[key] = parser(value)
        except (TypeError, ValueError):
            raise ConfigurationError(f"option {key}={value!r} is not valid") from None
    if cluster and parts.path not in ("", "/", "/0"):
        raise ConfigurationError("Redis Cluster has only database 0")
    client_url = urlunsplit((scheme.split("+", 1)[0], parts.netloc, parts.path, "", ""))
    try:
        parse_url(client_url)
    except ValueError as exc:
        raise ConfigurationError(f"invalid Redis URL: {exc}") from None

    def make() -> Any:
        if cluster:
            return RedisCluster.from_url(client_url, **kwargs)
        return aioredis.Redis.from_url(client_url, **kwargs)

    return make, key_prefix, store
