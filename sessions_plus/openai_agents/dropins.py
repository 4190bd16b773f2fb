"""Drop-ins for the OpenAI Agents SDK's own sessions: change only the import line.

:class:`SQLiteSession`, :class:`RedisSession` (and :class:`DynamoDBSession`, which has no SDK
counterpart) take the SDK classes' constructor arguments and run on sessions-plus stores, which
they open through :mod:`sessions_plus.dropins` (the registry), never by importing a backend.
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..conversation import ForeignTools
from ..dropins import SHARED, dynamodb_store, file_key, redis_store, sqlite_store
from ..ids import check_session_id
from ..store import ConversationStore
from .session import StoreSession

try:
    from agents.memory.session_settings import SessionSettings, coerce_session_settings
except ImportError as _exc:  # pragma: no cover - exercised only without the extra
    from ..errors import missing_dependency

    raise missing_dependency("sessions_plus.openai_agents", "openai-agents", _exc) from _exc

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

__all__ = ["DynamoDBSession", "RedisSession", "SQLiteSession", "sqlite_tables"]

_SDK_SESSIONS_TABLE = "agent_sessions"
_SDK_MESSAGES_TABLE = "agent_messages"
_DEFAULT_TABLE_PREFIX = "sessions_plus"


def _settings(value: SessionSettings | dict[str, Any] | None) -> SessionSettings | None:
    return coerce_session_settings(value) if value is not None else None


_CONVERSATION_OPTIONS = ("shared", "author", "foreign_tools", "label_authors")
"""StoreSession options every drop-in takes too (keyword-only): a shared conversation."""


def _conversation(
    shared: bool, author: str | None, foreign_tools: ForeignTools, label_authors: bool
) -> dict[str, Any]:
    return {
        "shared": shared,
        "author": author,
        "foreign_tools": foreign_tools,
        "label_authors": label_authors,
    }


class _OwnedStoreSession(StoreSession):
    """A drop-in session that made (or shares, counted) its store and closes it with itself."""

    _share_key: Hashable | None = None

    def _release_store(self) -> ConversationStore | None:
        """Mark closed; return the store if this session must close it now."""
        if self._closed:
            return None
        self._closed = True
        if self._share_key is None:
            return self.store
        return SHARED.release(self._share_key, self.store)

    async def aclose(self) -> None:
        """Close this session; the store closes with the last session using it. Idempotent."""
        store = self._release_store()
        if store is not None:
            await store.aclose()


# ---------------------------------------------------------------------- SQLite


def sqlite_tables(messages_table: str, sessions_table: str) -> dict[str, str]:
    """The SQLiteStore table options a drop-in ``SQLiteSession`` uses for the SDK's names.

    The SDK keeps history in ``messages_table``, so the store's table namespace follows it: the
    SDK default ``agent_messages`` maps to the store's default prefix ``sessions_plus`` (shared
    with ``SQLiteStore(path)``), any other name becomes the prefix itself (tables
    ``<messages_table>_records``, ``_docs``, ...). A custom ``sessions_table`` names the table of
    session metadata (default ``<prefix>_sessions``).
    """
    options = {
        "table_prefix": (
            _DEFAULT_TABLE_PREFIX if messages_table == _SDK_MESSAGES_TABLE else messages_table
        )
    }
    if sessions_table != _SDK_SESSIONS_TABLE:
        options["sessions_table"] = sessions_table
    return options


class SQLiteSession(_OwnedStoreSession):
    """Drop-in for ``agents.SQLiteSession`` over a sessions-plus SQLite store.

    Same constructor, plus ``ttl`` (seconds after the last write; None keeps forever) and the
    shared-conversation options of :class:`StoreSession` (``shared``, ``author``,
    ``foreign_tools``, ``label_authors``). Safe for many processes on one file. Sessions on
    the same file (and the same table names and TTL) share one store per process, closed with
    the last of them; every ``":memory:"`` session has its own private database, as in the
    SDK. ``messages_table`` and ``sessions_table`` name
    the tables (see :func:`sqlite_tables`).
    """

    def __init__(
        self,
        session_id: str,
        db_path: str | Path = ":memory:",
        sessions_table: str = _SDK_SESSIONS_TABLE,
        messages_table: str = _SDK_MESSAGES_TABLE,
        session_settings: SessionSettings | dict[str, Any] | None = None,
        *,
        ttl: float | None = None,
        shared: bool = False,
        author: str | None = None,
        foreign_tools: ForeignTools = "text",
        label_authors: bool = False,
    ) -> None:
        check_session_id(session_id)
        tables = sqlite_tables(messages_table, sessions_table)
        path = str(db_path)

        def make() -> ConversationStore:
            return sqlite_store(path, ttl=ttl, **tables)

        if path == ":memory:":
            store = make()
        else:
            key = file_key("sqlite", path, *sorted(tables.items()), ttl)
            store = SHARED.acquire(key, make)
            self._share_key = key
        super().__init__(
            session_id,
            store,
            session_settings=_settings(session_settings),
            **_conversation(shared, author, foreign_tools, label_authors),
        )
        self.db_path = db_path
        self.sessions_table = sessions_table
        self.messages_table = messages_table

    def close(self) -> None:
        """Close this session (as the SDK's ``close()``); later calls raise. Idempotent."""
        store = self._release_store()
        if store is not None:
            store.close()


# ---------------------------------------------------------------------- Redis


class RedisSession(_OwnedStoreSession):
    """Drop-in for ``agents.extensions.memory.RedisSession`` over a sessions-plus Redis store.

    Same constructor and ``from_url``, plus the shared-conversation options of
    :class:`StoreSession` (``shared``, ``author``, ``foreign_tools``, ``label_authors``); works
    on Redis Cluster too (a ``RedisCluster`` client,
    or a ``redis+cluster://`` URL). Each append, read and pop is one round trip. As in the SDK,
    a session made by ``from_url`` owns its client: ``close()`` closes it and the session with
    it. A client you pass in stays yours: ``close()`` only releases connections the store made
    for other event loops, and the session stays usable. A negative ``limit`` reads nothing,
    as in the SDK's RedisSession (its SQLiteSession reads everything there).
    """

    _negative_limit_reads_all = False

    def __init__(
        self,
        session_id: str,
        *,
        redis_client: Redis | RedisCluster,
        key_prefix: str = _DEFAULT_TABLE_PREFIX,
        ttl: int | None = None,
        session_settings: SessionSettings | dict[str, Any] | None = None,
        shared: bool = False,
        author: str | None = None,
        foreign_tools: ForeignTools = "text",
        label_authors: bool = False,
    ) -> None:
        store = redis_store(client=redis_client, key_prefix=key_prefix, ttl=ttl)
        super().__init__(
            session_id,
            store,
            session_settings=session_settings,
            **_conversation(shared, author, foreign_tools, label_authors),
        )
        self._redis: Redis | RedisCluster | None = redis_client
        self._key_prefix = key_prefix
        self._ttl = ttl
        self._owns_client = False

    @classmethod
    def from_url(
        cls,
        session_id: str,
        *,
        url: str,
        redis_kwargs: dict[str, Any] | None = None,
        session_settings: SessionSettings | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> RedisSession:
        """Connect by URL (``redis://``, ``rediss://``, ``redis+cluster://``); the session
        owns the client it makes. ``redis_kwargs`` go to the redis-py client, ``kwargs``
        (``key_prefix``, ``ttl``, and ``shared``, ``author``, ``foreign_tools``,
        ``label_authors``) to the constructor."""
        unknown = set(kwargs) - {"key_prefix", "ttl", *_CONVERSATION_OPTIONS}
        if unknown:
            raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")
        key_prefix = kwargs.get("key_prefix", _DEFAULT_TABLE_PREFIX)
        ttl = kwargs.get("ttl")
        options = dict(redis_kwargs or {})
        if ttl is not None:
            options["ttl"] = ttl
        check_session_id(session_id)
        store = redis_store(url=url, key_prefix=key_prefix, **options)
        session = cls.__new__(cls)
        conversation = {key: kwargs[key] for key in _CONVERSATION_OPTIONS if key in kwargs}
        StoreSession.__init__(
            session, session_id, store, session_settings=session_settings, **conversation
        )
        session._redis = None
        session._key_prefix = key_prefix
        session._ttl = ttl
        session._owns_client = True
        return session

    async def close(self) -> None:
        """As the SDK: close an owned client (the session is then closed); otherwise release
        this session's extra connections and stay usable. Idempotent."""
        if self._owns_client or self._redis is None:
            await self.aclose()
            return
        old = self.store
        self.store = redis_store(client=self._redis, key_prefix=self._key_prefix, ttl=self._ttl)
        await old.aclose()


# ---------------------------------------------------------------------- DynamoDB


class DynamoDBSession(_OwnedStoreSession):
    """A session in a DynamoDB table (no SDK counterpart; shaped like the other drop-ins).

    Takes the shared-conversation options of :class:`StoreSession` too (``shared``,
    ``author``, ``foreign_tools``, ``label_authors``).

    Sessions with the same table, region, endpoint and TTL share one store (one client per event
    loop) per process, closed with the last of them by ``close()``/``aclose()``. With
    ``create_table=True`` the table is created (PAY_PER_REQUEST, TTL on) if missing.
    """

    def __init__(
        self,
        session_id: str,
        *,
        table_name: str = "sessions-plus",
        region_name: str | None = None,
        endpoint_url: str | None = None,
        ttl: float | None = None,
        create_table: bool = True,
        session_settings: SessionSettings | dict[str, Any] | None = None,
        shared: bool = False,
        author: str | None = None,
        foreign_tools: ForeignTools = "text",
        label_authors: bool = False,
    ) -> None:
        check_session_id(session_id)
        options: dict[str, Any] = {
            "region_name": region_name,
            "endpoint_url": endpoint_url,
            "ttl": ttl,
            "create_table": create_table,
        }
        key = ("dynamodb", os.getpid(), table_name, *options.values())
        store = SHARED.acquire(key, lambda: dynamodb_store(table_name, **options))
        self._share_key = key
        super().__init__(
            session_id,
            store,
            session_settings=_settings(session_settings),
            **_conversation(shared, author, foreign_tools, label_authors),
        )
        self.table_name = table_name

    async def close(self) -> None:
        """Close this session; the shared store closes with the last one. Idempotent."""
        await self.aclose()
