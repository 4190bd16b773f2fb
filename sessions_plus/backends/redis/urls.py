"""Store URLs: ``redis://``, ``rediss://``, ``redis+cluster://``, ``rediss+cluster://``,
``redis+sentinel://``, ``rediss+sentinel://`` (see :mod:`.sentinel`).

Query parameters (and keyword arguments, which win) are split into the store's common options,
``key_prefix``, ``durability`` / ``replicas`` / ``wait_ms`` (:mod:`.replication`),
``pool_timeout``, ``cluster``, ``retries``, and redis-py connection options, whose values are
parsed by redis-py's own URL parsers. An option nobody knows raises
:class:`~sessions_plus.ConfigurationError`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import SplitResult, urlunsplit

from ...errors import ConfigurationError
from ...options import Options, common_options, pop_bool, pop_float, pop_int, pop_str
from .driver import (
    URL_QUERY_ARGUMENT_PARSERS,
    ExponentialWithJitterBackoff,
    RedisCluster,
    Retry,
    aioredis,
    parse_url,
)
from .replication import DEFAULT_WAIT_MS
from .sentinel import SCHEMES as SENTINEL_SCHEMES
from .sentinel import sentinel_maker

DEFAULT_KEY_PREFIX = "sessions_plus"
DEFAULT_SOCKET_TIMEOUT = 5.0
"""Seconds ``from_url`` waits for a reply before the store reports itself unavailable."""
DEFAULT_SOCKET_CONNECT_TIMEOUT = 2.0
"""Seconds ``from_url`` waits for a connection."""
DEFAULT_RETRIES = 2
"""Retries (short jittered backoff) ``from_url`` allows a command after a connection error."""

SCHEMES = ("redis", "rediss", "redis+cluster", "rediss+cluster", *SENTINEL_SCHEMES)
# URL query options passed through to redis-py (values parsed by redis-py's own URL parsers).
_STR_CONNECTION_OPTIONS = frozenset(
    {"client_name", "ssl_cert_reqs", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile", "ssl_ca_path"}
)


_SENTINEL_OPTIONS = ("sentinel_username", "sentinel_password")


def _redis_store_options(options: Options) -> dict[str, Any]:
    """Take the RedisStore constructor's own options (durability, replicas, wait_ms,
    pool_timeout) out of ``options``."""
    store: dict[str, Any] = {}
    durability = pop_str(options, "durability")
    if durability is not None:
        store["durability"] = durability
    for name in ("replicas", "wait_ms"):
        value = pop_int(options, name)
        if value is not None:
            store[name] = value
    pool_timeout = pop_float(options, "pool_timeout")
    if pool_timeout is not None:
        store["pool_timeout"] = pool_timeout
    return store


def _check_wait(store: dict[str, Any], socket_timeout: Any) -> None:
    """A replicated write's WAIT must end before the socket timeout gives up on its reply."""
    if store.get("durability") != "replicated" or not isinstance(socket_timeout, int | float):
        return
    wait_ms = store.get("wait_ms", DEFAULT_WAIT_MS)
    if isinstance(wait_ms, int) and wait_ms >= socket_timeout * 1000:
        raise ConfigurationError(
            f"wait_ms={wait_ms} must be shorter than socket_timeout={socket_timeout:g} s"
        )


@lru_cache(maxsize=2)
def _client_parameters(cluster: bool) -> frozenset[str]:
    """Keyword arguments the redis-py client accepts (typed options pass straight through)."""
    cls: Any = RedisCluster if cluster else aioredis.Redis
    names = set(inspect.signature(cls.__init__).parameters)
    return frozenset(names - {"self", "host", "port", "startup_nodes", "connection_pool"})


def client_maker(
    parts: SplitResult, options: Options
) -> tuple[Callable[[], Any], str, dict[str, Any]]:
    """From URL parts and options (str from a URL query, or typed values): a function making
    one redis-py client, the key prefix, and the store's common options."""
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ConfigurationError(f"not a Redis URL scheme: {scheme!r}")
    sentinel = scheme in SENTINEL_SCHEMES
    if not sentinel and not parts.hostname:
        raise ConfigurationError("a Redis URL needs a host, e.g. redis://localhost:6379/0")
    store = common_options(options)
    key_prefix = pop_str(options, "key_prefix") or DEFAULT_KEY_PREFIX
    store.update(_redis_store_options(options))
    cluster = scheme.endswith("+cluster") or (not sentinel and pop_bool(options, "cluster"))
    retries = pop_float(options, "retries")

    kwargs: dict[str, Any] = {
        "socket_timeout": DEFAULT_SOCKET_TIMEOUT,
        "socket_connect_timeout": DEFAULT_SOCKET_CONNECT_TIMEOUT,
        "retry": Retry(
            ExponentialWithJitterBackoff(base=0.05, cap=0.5),
            DEFAULT_RETRIES if retries is None else int(retries),
        ),
    }
    sentinel_only = {key: options.pop(key) for key in _SENTINEL_OPTIONS if key in options}
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
    _check_wait(store, kwargs.get("socket_timeout"))
    if sentinel:
        return sentinel_maker(parts, sentinel_only, kwargs), key_prefix, store
    if sentinel_only:
        raise ConfigurationError(f"unknown option for {scheme}:// URLs: {', '.join(sentinel_only)}")
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
