"""Redis Sentinel: ``redis+sentinel://h1:26379,h2:26379/mymaster/0`` (``rediss+sentinel`` for TLS).

The URL names the Sentinels (any number, comma separated, port 26379 by default), then the
monitored service and the database. A store made from it gets, per event loop, a redis-py
``Sentinel`` and its ``master_for(service)`` client: every new connection asks the Sentinels
where the master is, so after a failover the same store object reaches the promoted replica (a
connection to a demoted master is dropped on its first ``READONLY`` reply). ``aclose()``
closes both, the master's connections and the Sentinel connections.

User name and password in the URL are the master's (``redis+sentinel://user:pw@h1,h2/svc``);
Sentinels that need their own take ``sentinel_username`` / ``sentinel_password``. Socket
timeouts, TLS options and ``max_connections`` apply to both.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import SplitResult, unquote

from ...errors import ConfigurationError
from ...options import Options, pop_str
from .driver import Sentinel, SentinelConnectionPool, aioredis

SCHEMES = ("redis+sentinel", "rediss+sentinel")
DEFAULT_PORT = 26379

_TO_SENTINELS = ("socket_", "ssl", "max_connections", "protocol", "client_name")
"""Connection options that also apply to the Sentinels themselves (by name prefix)."""


def hosts_of(netloc: str) -> list[tuple[str, int]]:
    """``h1:26379,[::1]:26380,h3`` -> ``[("h1", 26379), ("::1", 26380), ("h3", 26379)]``."""
    hosts: list[tuple[str, int]] = []
    for item in netloc.rpartition("@")[2].split(","):
        spec = item.strip()
        if spec.startswith("["):
            host, _, rest = spec[1:].partition("]")
            port_text = rest[1:] if rest.startswith(":") else rest
        else:
            host, _, port_text = spec.partition(":")
        if not host or (port_text and not port_text.isdigit()):
            raise ConfigurationError(f"invalid Sentinel address {spec!r} in a Sentinel URL")
        port = int(port_text) if port_text else DEFAULT_PORT
        if not 0 < port < 65536:
            raise ConfigurationError(f"invalid Sentinel port in {spec!r}")
        hosts.append((unquote(host), port))
    return hosts


def service_of(path: str) -> tuple[str, int]:
    """``/mymaster/0`` -> ``("mymaster", 0)`` (the database defaults to 0)."""
    parts = [unquote(part) for part in path.split("/") if part]
    if not parts or len(parts) > 2:
        raise ConfigurationError(
            "a Sentinel URL names the service and optionally the database: "
            "redis+sentinel://host:26379/mymaster/0"
        )
    if len(parts) == 2 and not parts[1].isdigit():
        raise ConfigurationError(f"invalid database {parts[1]!r} in a Sentinel URL")
    return parts[0], int(parts[1]) if len(parts) == 2 else 0


@lru_cache(maxsize=2)
def connection_parameters(tls: bool) -> frozenset[str]:
    """Keyword arguments a Sentinel-managed connection accepts (plus the pool's)."""
    cls: Any = aioredis.SSLConnection if tls else aioredis.Connection
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is not None:
            names |= set(inspect.signature(init).parameters)
    return frozenset(names - {"self", "args", "kwargs", "host", "port"}) | {"max_connections"}


def sentinel_maker(
    parts: SplitResult, options: Options, kwargs: dict[str, Any]
) -> Callable[[], Any]:
    """A function making one Sentinel-managed master client from a ``redis+sentinel`` URL.

    ``kwargs`` are the parsed connection options (timeouts, retry, TLS, pool size ...);
    ``options`` still holds the Sentinel-only ones, which are taken out here.
    """
    tls = parts.scheme.lower().startswith("rediss")
    sentinels = hosts_of(parts.netloc)
    service, db = service_of(parts.path)
    for key in kwargs:
        if key not in connection_parameters(tls) and key != "retry":
            which = "rediss+sentinel" if tls else "redis+sentinel"
            raise ConfigurationError(f"unknown option for {which}:// URLs: {key}")
    master: dict[str, Any] = {**kwargs, "db": db}
    userinfo = parts.netloc.rpartition("@")[0]
    if userinfo:
        username, _, password = userinfo.partition(":")
        if username:
            master["username"] = unquote(username)
        if password:
            master["password"] = unquote(password)
    on_sentinels = {key: value for key, value in kwargs.items() if key.startswith(_TO_SENTINELS)}
    sentinel_username = pop_str(options, "sentinel_username")
    sentinel_password = pop_str(options, "sentinel_password")
    if sentinel_username:
        on_sentinels["username"] = sentinel_username
    if sentinel_password:
        on_sentinels["password"] = sentinel_password
    if tls:
        master["ssl"] = True
        on_sentinels["ssl"] = True

    def make() -> Any:
        manager = Sentinel(sentinels, sentinel_kwargs=on_sentinels)  # type: ignore[no-untyped-call]
        return manager.master_for(service, **master)

    return make


def is_sentinel_client(client: Any) -> bool:
    """True for a client made by ``Sentinel.master_for`` (or ``slave_for``)."""
    return isinstance(getattr(client, "connection_pool", None), SentinelConnectionPool)


def sentinel_sibling(client: Any) -> Any:
    """A client with a Sentinel manager of its own and the same settings, for another loop."""
    pool = client.connection_pool
    manager = pool.sentinel_manager
    addresses = [
        (s.connection_pool.connection_kwargs["host"], s.connection_pool.connection_kwargs["port"])
        for s in manager.sentinels
    ]
    new_manager = Sentinel(  # type: ignore[no-untyped-call]
        addresses,
        min_other_sentinels=manager.min_other_sentinels,
        sentinel_kwargs=dict(manager.sentinel_kwargs),
        **manager.connection_kwargs,
    )
    kwargs = {
        key: value for key, value in pool.connection_kwargs.items() if key != "connection_pool"
    }
    new_pool = type(pool)(
        pool.service_name,
        new_manager,
        connection_class=pool.connection_class,
        max_connections=pool.max_connections,
        is_master=pool.is_master,
        check_connection=pool.check_connection,
        **kwargs,
    )
    return aioredis.Redis.from_pool(new_pool)


async def close_sentinels(client: Any) -> None:
    """Close the Sentinel connections of a Sentinel-managed client this store made."""
    manager = client.connection_pool.sentinel_manager
    error: Exception | None = None
    for sentinel in manager.sentinels:
        try:
            await sentinel.aclose()
        except Exception as exc:  # close them all, raise the first failure after
            error = error or exc
    if error is not None:
        raise error
