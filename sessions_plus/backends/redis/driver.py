"""The redis-py names this package uses, imported in one place.

Without the ``redis`` extra, importing the Redis backend raises one clear
:class:`~sessions_plus.errors.MissingDependencyError` naming the extra to install.
"""

from __future__ import annotations

from ...errors import missing_dependency

try:
    import redis.asyncio as aioredis
    from redis import exceptions as redis_errors
    from redis.asyncio.cluster import ClusterNode, RedisCluster
    from redis.asyncio.connection import URL_QUERY_ARGUMENT_PARSERS, parse_url
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialWithJitterBackoff
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise missing_dependency("RedisStore", "redis", exc) from exc

__all__ = [
    "URL_QUERY_ARGUMENT_PARSERS",
    "ClusterNode",
    "ExponentialWithJitterBackoff",
    "RedisCluster",
    "Retry",
    "aioredis",
    "parse_url",
    "redis_errors",
]
