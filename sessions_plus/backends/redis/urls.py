"""Store URLs: ``redis://``, ``rediss://``, ``redis+cluster://``, ``rediss+cluster://``.

Query parameters (and keyword arguments, which win) are split into the store's common options,
``key_prefix``, ``cluster``, ``retries``, and redis-py connection options, whose values are
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
from ...options import Options, common_options, pop_bool, pop_float, pop_str
from .driver import (
    URL_QUERY_ARGUMENT_PARSERS,
    ExponentialWithJitterBackoff,
    RedisCluster,
    Retry,
    aioredis,
    parse_url,
)

DEFAULT_KEY_PREFIX = "sessions_plus"
DEFAULT_SOCKET_TIMEOUT = 5.0
"""Seconds ``from_url`` waits for a reply before the store reports itself unavailable."""
DEFAULT_SOCKET_CONNECT_TIMEOUT = 2.0
"""Seconds ``from_url`` waits for a connection."""
DEFAULT_RETRIES = 2
"""Retries (short jittered backoff) ``from_url`` allows a command after a connection error."""

SCHEMES = ("redis", "rediss", "redis+cluster", "rediss+cluster")
# URL query options passed through to redis-py (values parsed by redis-py's own URL parsers).
_STR_CONNECTION_OPTIONS = frozenset(
    {"client_name", "ssl_cert_reqs", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile", "ssl_ca_path"}
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
