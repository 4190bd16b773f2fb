"""Drop-in Strands session managers on SQLite, Redis and DynamoDB.

Each is a :class:`~sessions_plus.strands.manager.StoreSessionManager` that opens its own store
(through :mod:`sessions_plus.dropins`, never by importing a backend) and closes it with itself.
``SQLiteSessionManager`` replaces ``FileSessionManager`` (one file instead of a tree of JSON
files, safe for many processes); the Redis and DynamoDB ones have no Strands counterpart.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ..dropins import default_strands_db, dynamodb_store, redis_store, sqlite_store
from ..loops import DEFAULT_TIMEOUT
from .manager import StoreSessionManager

__all__ = ["DynamoDBSessionManager", "RedisSessionManager", "SQLiteSessionManager"]


class SQLiteSessionManager(StoreSessionManager):
    """Drop-in for ``FileSessionManager``: sessions in one SQLite file.

    ``db_path`` defaults to ``~/.strands/sessions.db``. Several processes may share the file.
    """

    def __init__(
        self,
        session_id: str,
        db_path: str | os.PathLike[str] | None = None,
        *,
        ttl: float | None = None,
        refresh_on_read: bool = False,
        shared: bool = False,
        timeout: float | None = DEFAULT_TIMEOUT,
        store_options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        store = sqlite_store(
            default_strands_db() if db_path is None else db_path,
            ttl=ttl,
            refresh_on_read=refresh_on_read,
            **dict(store_options or {}),
        )
        super().__init__(
            session_id, store, shared=shared, close_store=True, timeout=timeout, **kwargs
        )


class RedisSessionManager(StoreSessionManager):
    """Drop-in session manager on Redis (standalone or cluster URLs).

    Pass ``url`` (default ``redis://localhost:6379/0``; ``redis+cluster://`` for a cluster) or
    a ``redis_client`` you keep (never closed for you). ``ttl`` expires a whole session that
    long after its last write. ``store_options`` go to the Redis store.
    """

    def __init__(
        self,
        session_id: str,
        *,
        url: str | None = None,
        redis_client: Any = None,
        ttl: float | None = None,
        refresh_on_read: bool = False,
        key_prefix: str | None = None,
        shared: bool = False,
        timeout: float | None = DEFAULT_TIMEOUT,
        store_options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        # Only what was given: anything else keeps the URL's (or the store's) own setting.
        options: dict[str, Any] = dict(store_options or {})
        if ttl is not None:
            options["ttl"] = ttl
        if refresh_on_read:
            options["refresh_on_read"] = True
        if key_prefix is not None:
            options["key_prefix"] = key_prefix
        store = redis_store(url=url, client=redis_client, **options)
        super().__init__(
            session_id, store, shared=shared, close_store=True, timeout=timeout, **kwargs
        )


class DynamoDBSessionManager(StoreSessionManager):
    """Drop-in session manager on one DynamoDB table (made on first use if missing)."""

    def __init__(
        self,
        session_id: str,
        *,
        table_name: str = "sessions-plus",
        region_name: str | None = None,
        endpoint_url: str | None = None,
        ttl: float | None = None,
        refresh_on_read: bool = False,
        create_table: bool = True,
        shared: bool = False,
        timeout: float | None = DEFAULT_TIMEOUT,
        store_options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        store = dynamodb_store(
            table_name,
            region_name=region_name,
            endpoint_url=endpoint_url,
            ttl=ttl,
            refresh_on_read=refresh_on_read,
            create_table=create_table,
            **dict(store_options or {}),
        )
        super().__init__(
            session_id, store, shared=shared, close_store=True, timeout=timeout, **kwargs
        )
