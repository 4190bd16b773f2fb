"""Clients: one redis-py client per event loop, siblings of a handed-in client, typed outages.

redis-py's asyncio clients belong to the loop that made them, while a store is used from any
loop. A client the caller handed in is used on its own loop (the loop running when the store
was made, else the first loop that uses it); on any other loop a *sibling* with the same
connection settings is made, and only siblings are closed. Clients made by a callable (and by
``RedisStore.from_url``) are made one per loop and closed by ``aclose()`` (a Sentinel-managed
client together with its Sentinel connections).

Every command waits its turn at the loop's :class:`~sessions_plus.loops.ConnectionGate`, as
wide as the client's pool (``max_connections``), for at most ``pool_timeout`` seconds: a burst
of calls queues instead of failing with redis-py's ``MaxConnectionsError``, and a pool that
stays exhausted raises :class:`~sessions_plus.PoolExhaustedError`, not an outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import inspect
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ...errors import ConfigurationError, PoolExhaustedError, StoreUnavailableError
from ...loops import ConnectionGate, PerLoop, check_pool_options
from .driver import ClusterNode, RedisCluster, aioredis, redis_errors
from .replication import READ_SCRIPTS, WRITE_COMMANDS, Durability
from .scripts import Script
from .sentinel import close_sentinels, is_sentinel_client, sentinel_sibling

DEFAULT_POOL_TIMEOUT = 10.0
"""Seconds a call waits for a free pooled connection before :class:`PoolExhaustedError`."""
DEFAULT_MAX_CONNECTIONS = 100
"""Connections per event loop (redis-py's default pool size; per node on a cluster)."""

UNAVAILABLE: tuple[type[BaseException], ...] = (
    redis_errors.ConnectionError,  # includes BusyLoadingError and MaxConnectionsError
    redis_errors.TimeoutError,
    redis_errors.ClusterDownError,  # includes MasterDownError
    redis_errors.TryAgainError,
    OSError,
    TimeoutError,
)
"""redis-py errors that mean the server (or cluster) cannot be reached right now."""
_UNAVAILABLE_AT_CONNECT: tuple[type[BaseException], ...] = (
    *UNAVAILABLE,
    redis_errors.RedisClusterException,  # when connecting: no startup node could be reached
)


def unavailable(exc: BaseException) -> StoreUnavailableError:
    """The typed error for a redis-py outage (or for a pool that ran out of connections)."""
    if isinstance(exc, redis_errors.MaxConnectionsError) or (
        isinstance(exc, redis_errors.ConnectionError)
        and (
            # a handed-in BlockingConnectionPool that waited in vain
            (isinstance(exc.__cause__, TimeoutError) and str(exc) == "No connection available.")
            # a full ConnectionPool on redis-py 7.0 (MaxConnectionsError came later)
            or str(exc) == "Too many connections"
        )
    ):
        return PoolExhaustedError(
            f"Redis client pool exhausted (the server was not found down): {type(exc).__name__}:"
            f" {exc}. Raise max_connections or pool_timeout, or send fewer concurrent requests"
        )
    return StoreUnavailableError(f"Redis is unavailable: {type(exc).__name__}: {exc}")


def closed_under_the_call(exc: BaseException) -> bool:
    """True for the error redis-py raises when another task closed the connection a call was
    using: its cluster client closes every connection after a ``CLUSTERDOWN`` reply (common
    during a failover), also connections other tasks are writing to, which then fail with
    ``AttributeError`` / ``TypeError`` on a stream that is gone (redis-py #3546). Only such
    errors raised inside redis-py's connection layer count: a bug of ours still surfaces."""
    if not isinstance(exc, AttributeError | TypeError):
        return False
    modules = []
    frame = exc.__traceback__
    while frame is not None:
        modules.append(str(frame.tb_frame.f_globals.get("__name__", "")))
        frame = frame.tb_next
    return "redis.asyncio.connection" in modules and modules[-1].startswith(("redis.", "asyncio."))


def _closed(exc: BaseException) -> StoreUnavailableError:
    return StoreUnavailableError(
        f"Redis is unavailable: the connection was closed during the call "
        f"({type(exc).__name__}: {exc})"
    )


def pool_size(client: Any) -> int:
    """How many connections ``client`` may open (per event loop; per node on a cluster)."""
    if is_cluster(client):
        return int(client.connection_kwargs.get("max_connections") or DEFAULT_MAX_CONNECTIONS)
    return int(client.connection_pool.max_connections)


@dataclass(frozen=True, slots=True)
class Conn:
    """The client of one event loop and whether this store made it (and so closes it)."""

    client: Any
    owned: bool
    cluster: bool
    gate: ConnectionGate | None = None


def is_cluster(client: Any) -> bool:
    """True for a Redis Cluster client."""
    return isinstance(client, RedisCluster)


def sibling(client: Any) -> Any:
    """A new client with the same connection settings as ``client``, for another event loop."""
    if is_cluster(client):
        allowed = inspect.signature(RedisCluster.__init__).parameters
        kwargs = {
            key: value
            for key, value in client.connection_kwargs.items()
            if key in allowed and key not in ("host", "port", "startup_nodes", "retry")
        }
        nodes = [ClusterNode(node.host, node.port) for node in client.startup_nodes]
        return RedisCluster(startup_nodes=nodes, retry=copy.deepcopy(client.retry), **kwargs)
    if is_sentinel_client(client):
        return sentinel_sibling(client)
    pool = client.connection_pool
    new_pool = type(pool)(
        connection_class=pool.connection_class,
        max_connections=pool.max_connections,
        **pool.connection_kwargs,
    )
    return aioredis.Redis.from_pool(new_pool)


class Clients:
    """The client of each event loop, made lazily, for one store.

    ``client`` is a ``redis.asyncio.Redis`` / ``RedisCluster`` the caller owns, or a
    zero-argument callable making a new one. ``durability`` (None: the primary's
    acknowledgement is enough) makes every write wait for replicas; ``pool_timeout`` bounds the
    wait for a pooled connection.
    """

    def __init__(
        self,
        client: Any,
        *,
        durability: Durability | None = None,
        pool_timeout: float = DEFAULT_POOL_TIMEOUT,
    ) -> None:
        check_pool_options(1, pool_timeout)
        self.durability = durability
        self.pool_timeout = pool_timeout
        self._given: Any = None
        self._make_client: Callable[[], Any] | None = None
        self.cluster: bool | None = None
        """True on Redis Cluster; None until the first client was made from a callable."""
        if isinstance(client, aioredis.Redis | RedisCluster):
            self._given = client
            self.cluster = is_cluster(client)
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
        self._per_loop: PerLoop[Conn] = PerLoop(self._new_conn, self._close_conn)
        self._last: tuple[asyncio.AbstractEventLoop, Conn] | None = None
        """The last loop's connection: skips PerLoop's lookup and shield on every call."""

    async def _new_conn(self) -> Conn:
        if self._make_client is not None:
            conn = Conn(self._make_client(), owned=True, cluster=False)
        else:
            loop = asyncio.get_running_loop()
            with self._given_lock:
                if self._given_loop is None or self._given_loop is loop:
                    self._given_loop = loop
                    conn = Conn(self._given, owned=False, cluster=False)
                else:
                    conn = Conn(sibling(self._given), owned=True, cluster=False)
        cluster = is_cluster(conn.client)
        self.cluster = cluster
        if cluster:
            # Learn the slot map before the first command: redis-py routes a keyed EVALSHA to
            # an arbitrary node while its cluster client is uninitialised.
            try:
                await conn.client.initialize()
            except BaseException:
                if conn.owned:
                    await self._close_conn(conn)
                raise
        gate = ConnectionGate(pool_size(conn.client), self.pool_timeout, what="Redis")
        return Conn(conn.client, conn.owned, cluster, gate)

    @staticmethod
    async def _close_conn(conn: Conn) -> None:
        if conn.owned:
            await conn.client.aclose()
            if is_sentinel_client(conn.client):
                await close_sentinels(conn.client)

    async def conn(self) -> Conn:
        """The running loop's connection, made on first use."""
        loop = asyncio.get_running_loop()
        last = self._last
        if last is not None and last[0] is loop:
            return last[1]
        try:
            conn = await self._per_loop.get()
        except _UNAVAILABLE_AT_CONNECT as exc:
            raise unavailable(exc) from exc
        self._last = (loop, conn)
        return conn

    async def aclose(self) -> None:
        """Close every client made here (never the one handed in)."""
        self._last = None
        await self._per_loop.aclose()

    async def run(
        self, conn: Conn, script: Script, keys: Sequence[str], args: Sequence[Any]
    ) -> Any:
        """Run one script (a write confirmed by replicas if so configured); outages raise
        :class:`StoreUnavailableError`."""
        durability = self.durability
        if durability is not None and script.name not in READ_SCRIPTS:
            return await _guarded(
                conn, lambda: durability.script(conn.client, conn.cluster, script, keys, args)
            )
        return await _guarded(conn, lambda: script(conn.client, keys, args))

    async def command(self, conn: Conn, *args: Any) -> Any:
        """Send one command (a write confirmed by replicas if so configured); outages raise
        :class:`StoreUnavailableError`."""
        durability = self.durability
        if durability is not None and args[0] in WRITE_COMMANDS:
            return await _guarded(
                conn, lambda: durability.command(conn.client, conn.cluster, *args)
            )
        return await _guarded(conn, lambda: conn.client.execute_command(*args))


async def _guarded(conn: Conn, call: Callable[[], Awaitable[Any]]) -> Any:
    """One call at the loop's gate, its redis-py errors typed.

    redis-py 8 can swallow a cancellation that arrives while a command is in flight (the call
    then returns normally and the task runs on: a cancelled ``migrate`` copied every session);
    a cancellation requested during the call is raised here once it returns, as asyncio's
    contract wants.
    """
    assert conn.gate is not None
    task = asyncio.current_task()
    cancels = task.cancelling() if task is not None else 0
    async with conn.gate:
        try:
            reply = await call()
        except StoreUnavailableError:  # DurabilityError: already typed (and an OSError)
            raise
        except UNAVAILABLE as exc:
            raise unavailable(exc) from exc
        except (AttributeError, TypeError) as exc:
            if closed_under_the_call(exc):
                raise _closed(exc) from exc
            raise
    if task is not None and task.cancelling() > cancels:
        raise asyncio.CancelledError
    return reply
