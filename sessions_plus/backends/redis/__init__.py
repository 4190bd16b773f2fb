"""The Redis backend: one Lua script per operation, standalone Redis or Redis Cluster."""

from .store import RedisStore

__all__ = ["RedisStore"]
