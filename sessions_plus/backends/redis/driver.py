"""The redis-py names this package uses, imported in one place.

``ClusterNode.execute_pipeline`` and ``PipelineCommand`` (undocumented, stable since redis-py
4.3) send a script and its ``WAIT`` to one cluster node on one connection
(:mod:`.replication`).

Without the ``redis`` extra, importing the Redis backend raises one clear
:class:`~sessions_plus.errors.MissingDependencyError` naming the extra to install.
"""

from __future__ import annotations

from ...errors import missing_dependency

try:
    import redis.asyncio as aioredis
    from redis import exceptions as redis_errors
    from redis.asyncio.cluster import ClusterNode, PipelineCommand, RedisCluster
    from redis.asyncio.connection import URL_QUERY_ARGUMENT_PARSERS, parse_url
    from redis.asyncio.retry import Retry
    from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool
    from redis.backoff import ExponentialWithJitterBackoff
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise missing_dependency("RedisStore", "redis", exc) from exc

__all__ = [
    "URL_QUERY_ARGUMENT_PARSERS",
    "ClusterNode",
    "ExponentialWithJitterBackoff",
    "PipelineCommand",
    "RedisCluster",
    "Retry",
    "Sentinel",
    "SentinelConnectionPool",
    "aioredis",
    "parse_url",
    "redis_errors",
]
