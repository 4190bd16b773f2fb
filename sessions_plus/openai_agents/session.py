"""OpenAI Agents SDK adapter: the SDK's ``Session`` protocol over any :class:`ConversationStore`.

* :class:`StoreSession` puts one conversation of any store behind ``session=``.
* :class:`SQLiteSession`, :class:`RedisSession` and :class:`DynamoDBSession` mirror the SDK's
  constructors, so an existing program changes only its import line.

Behaviour matches ``agents.SQLiteSession``: ``get_items()`` returns everything, ``get_items(N)``
the latest N in order, ``session_settings.limit`` applies when no limit is passed, and items come
back as equal JSON values. History rewrites for ``OpenAIResponsesCompactionSession`` go through
the SDK's atomic-replace hooks and one atomic ``splice`` in the store, so a compaction never
leaves a half-replaced history. This module is the only one that imports the ``agents`` SDK.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

from ..errors import ConflictError, CorruptRecordError, StoreClosedError, missing_dependency
from ..ids import check_name, check_session_id
from ..records import Record
from ..store import DEFAULT_STREAM, ConversationStore

try:
    from agents.items import TResponseInputItem
    from agents.memory.session import _await_mutation, _CompactionSnapshot
    from agents.memory.session_settings import (
        SessionSettings,
        coerce_session_settings,
        resolve_session_limit,
    )
except ImportError as _exc:  # pragma: no cover - exercised only without the extra
    raise missing_dependency("sessions_plus.openai_agents", "openai-agents", _exc) from _exc

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

    from ..backends.dynamodb import DynamoDBStore
    from ..backends.sqlite import SQLiteStore

__all__ = ["OPENAI_FORMAT", "DynamoDBSession", "RedisSession", "SQLiteSession", "StoreSession"]

OPENAI_FORMAT = "openai.responses"
"""The ``format`` written in the header of every record this adapter stores."""

_SDK_SESSIONS_TABLE = "agent_sessions"
_SDK_MESSAGES_TABLE = "agent_messages"
_DEFAULT_TABLE_PREFIX = "sessions_plus"

PrunePrefix = Callable[[TResponseInputItem], bool]


class StoreSession:
    """One conversation (``session_id``) of any :class:`ConversationStore`, as an SDK Session.

    Implements the SDK's ``Session`` protocol (``get_items``, ``add_items``, ``pop_item``,
    ``clear_session``) by talking only to the store contract, so every backend works the same.
    Records are written to ``stream`` with ``format="openai.responses"`` and ``author``.
    Many sessions, processes and machines may share one store; sessions are isolated by id.

    ``clear_session()`` empties this session's stream only: documents and other streams of the
    same session id stay (they may belong to other writers), and the session's metadata remains
    until its TTL ends or :meth:`delete_session` is called. The store is the caller's:
    a StoreSession never closes it.
    """

    session_settings: SessionSettings | None = None

    _negative_limit_reads_all: ClassVar[bool] = True
    """``get_items(limit=-1)`` returns everything, as SQLite's ``LIMIT -1`` does in the SDK."""

    # The SDK's ``_ignore_ids_for_matching`` is not set: items round-trip exactly, ids included,
    # so the Runner and compaction match stored items against model input by their full value.

    def __init__(
        self,
        session_id: str,
        store: ConversationStore,
        *,
        session_settings: SessionSettings | dict[str, Any] | None = None,
        author: str | None = None,
        stream: str = DEFAULT_STREAM,
    ) -> None:
        if not isinstance(store, ConversationStore):
            raise TypeError(f"store must be a ConversationStore, not {type(store).__name__}")
        self.session_id = check_session_id(session_id)
        self.session_settings = (
            coerce_session_settings(session_settings)
            if session_settings is not None
            else SessionSettings()
        )
        self.store = store
        self.author = None if author is None else check_name(author, "author")
        self.stream = check_name(stream, "stream")
        self._closed = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(session_id={self.session_id!r}, store={self.store!r})"

    def _check_not_closed(self) -> None:
        if self._closed:
            raise StoreClosedError(f"{type(self).__name__} is closed")

    # ------------------------------------------------------------------ Session protocol

    async def get_items(self, limit: int | None = None) -> list[TResponseInputItem]:
        """Return the history in chronological order; with a limit only the latest ``limit``.

        Without ``limit`` the session's ``session_settings.limit`` applies (None: everything).
        """
        self._check_not_closed()
        effective = resolve_session_limit(limit, self.session_settings)
        if effective is not None and effective < 0:
            if not self._negative_limit_reads_all:
                return []
            effective = None
        items = await self.store.read_data(self.session_id, stream=self.stream, limit=effective)
        return cast(list[TResponseInputItem], items)

    async def add_items(self, items: list[TResponseInputItem]) -> None:
        """Append ``items`` atomically (all or nothing); an empty list writes nothing."""
        self._check_not_closed()
        if not items:
            return
        await _await_mutation(
            self.store.append(
                self.session_id,
                items,
                stream=self.stream,
                format=OPENAI_FORMAT,
                author=self.author,
            )
        )

    async def pop_item(self) -> TResponseInputItem | None:
        """Remove and return the latest item atomically; None when the session is empty."""
        self._check_not_closed()
        record = await _await_mutation(self.store.pop(self.session_id, stream=self.stream))
        return None if record is None else cast(TResponseInputItem, record.data)

    async def clear_session(self) -> None:
        """Remove every item of this session's stream (documents and metadata stay)."""
        self._check_not_closed()
        await _await_mutation(self.store.clear(self.session_id, stream=self.stream))

    # ------------------------------------------------------------------ extras

    async def delete_session(self) -> bool:
        """Remove the whole session from the store: every stream, document and its metadata.

        Returns True if a live session was there.
        """
        self._check_not_closed()
        return await _await_mutation(self.store.delete(self.session_id))

    async def ping(self) -> bool:
        """True if the store answers (one cheap metadata read), False if it cannot be reached.

        Raises :class:`StoreClosedError` once the session or its store is closed.
        """
        self._check_not_closed()
        try:
            await self.store.info(self.session_id)
        except StoreClosedError:
            raise
        except Exception:
            return False
        return True

    # ------------------------------------------------------------------ compaction hooks

    def _stores_items_verbatim(self) -> bool:
        """True unless a subclass transforms items on their way in or out.

        A subclass that overrides the item methods may encode items or keep extra indexes; the
        atomic-replace hooks below would bypass that, so they decline for it (as the SDK's own
        SQLite and Redis sessions do for their subclasses).
        """
        cls = type(self)
        return all(
            getattr(cls, name) is getattr(StoreSession, name)
            for name in ("get_items", "add_items", "pop_item", "clear_session")
        )

    async def _atomic_replace_items(self, items: list[TResponseInputItem]) -> bool:
        """Replace the whole history with ``items`` in one atomic ``splice`` (SDK hook).

        ``OpenAIResponsesCompactionSession`` looks this up on the type and calls it instead of
        ``clear_session`` + ``add_items``, so a crash or cancellation leaves the old history or
        the new one, never an empty or partial one. Returns False (the SDK then falls back)
        for a subclass that transforms items.
        """
        if not self._stores_items_verbatim():
            return False
        self._check_not_closed()
        await self.store.splice(
            self.session_id,
            1,
            items,
            stream=self.stream,
            format=OPENAI_FORMAT,
            author=self.author,
        )
        return True

    async def _get_compaction_snapshot(
        self, limit: int, *, prune_prefix: PrunePrefix | None = None
    ) -> _CompactionSnapshot | None:
        """The latest ``limit`` items and an atomic, conditional replacement of their suffix.

        Used by ``OpenAIResponsesCompactionSession`` for automatic compaction. The snapshot is
        complete when it starts at the first record (seqs are gap-free, so seq 1 means nothing
        is older). ``replace_suffix(start, output)`` swaps ``items[start:]`` for ``output`` with
        one ``splice`` guarded by ``if_last_seq``, after checking that the stored suffix is
        still exactly what was read; it returns False, leaving history untouched, if anything
        was appended, popped or rewritten meanwhile.
        """
        if not self._stores_items_verbatim():
            return None
        self._check_not_closed()
        limit = max(int(limit), 1)
        records = await self.store.read(self.session_id, stream=self.stream, limit=limit)
        complete = not records or records[0].seq == 1
        last_seq = records[-1].seq if records else 0
        items = [cast(TResponseInputItem, record.data) for record in records]

        async def replace_suffix(start: int, output: list[TResponseInputItem]) -> bool:
            expected = records[start:]
            if not expected:
                return False
            return await _await_mutation(
                self._replace_suffix(expected, last_seq, output, prune_prefix, limit)
            )

        return _CompactionSnapshot(items, complete, replace_suffix)

    async def _replace_suffix(
        self,
        expected: list[Record],
        last_seq: int,
        output: list[TResponseInputItem],
        prune_prefix: PrunePrefix | None,
        page: int,
    ) -> bool:
        self._check_not_closed()
        current = await self.store.read(self.session_id, stream=self.stream, limit=len(expected))
        if current != expected:  # popped, replaced or appended since the snapshot
            return False
        start_seq = expected[0].seq
        if (
            prune_prefix is not None
            and start_seq > 1
            and await self._prefix_prunable(start_seq, prune_prefix, page)
        ):
            start_seq = 1
        try:
            await self.store.splice(
                self.session_id,
                start_seq,
                output,
                stream=self.stream,
                format=OPENAI_FORMAT,
                author=self.author,
                if_last_seq=last_seq,
            )
        except ConflictError:
            return False
        return True

    async def _prefix_prunable(self, before: int, prune_prefix: PrunePrefix, page: int) -> bool:
        """True if every record older than seq ``before`` may be dropped (e.g. expired
        encrypted items of ``EncryptedSession``); then the splice starts at seq 1."""
        after = 0
        while after < before - 1:
            try:
                records = await self.store.read(
                    self.session_id,
                    stream=self.stream,
                    after=after,
                    before=before,
                    limit=page,
                    keep="earliest",
                )
            except CorruptRecordError:
                return False
            if not records:
                return False
            for record in records:
                if not prune_prefix(cast(TResponseInputItem, record.data)):
                    return False
            after = records[-1].seq
        return True


class _SharedStores:
    """Stores shared by drop-in sessions with the same settings, counted and closed by the last.

    Applications often make one session object per request and never close it; sharing one
    store per database (per process) keeps that to one set of connections.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[ConversationStore, int]] = {}

    def acquire(self, key: Hashable, make: Callable[[], ConversationStore]) -> ConversationStore:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0].closed:
                entry = (make(), 0)
            self._entries[key] = (entry[0], entry[1] + 1)
            return entry[0]

    def release(self, key: Hashable, store: ConversationStore) -> ConversationStore | None:
        """Drop one reference; return the store when that was the last one (to be closed)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] is not store:  # closed elsewhere, then replaced
                return None
            if entry[1] > 1:
                self._entries[key] = (entry[0], entry[1] - 1)
                return None
            del self._entries[key]
            return entry[0]


_SHARED = _SharedStores()


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
        return _SHARED.release(self._share_key, self.store)

    async def aclose(self) -> None:
        """Close this session; the store closes with the last session using it. Idempotent."""
        store = self._release_store()
        if store is not None:
            await store.aclose()


# ---------------------------------------------------------------------- SQLite


def sqlite_table_prefix(messages_table: str) -> str:
    """The SQLiteStore ``table_prefix`` a drop-in SQLiteSession uses for ``messages_table``.

    The SDK keeps history in ``messages_table`` (keyed by session id alone), so the history
    namespace follows it: the SDK default ``agent_messages`` maps to the store's default prefix
    ``sessions_plus`` (shared with ``SQLiteStore(path)``); any other name becomes the prefix
    itself, giving tables ``<messages_table>_records``, ``<messages_table>_sessions`` and so on.
    """
    if messages_table == _SDK_MESSAGES_TABLE:
        return _DEFAULT_TABLE_PREFIX
    return messages_table


class SQLiteSession(_OwnedStoreSession):
    """Drop-in for ``agents.SQLiteSession`` over :class:`sessions_plus.SQLiteStore`.

    Same constructor, plus ``ttl`` (seconds after the last write; None keeps forever). Safe for
    many processes on one file. Sessions on the same file (and the same table names and TTL)
    share one store per process, closed with the last of them; every ``":memory:"`` session
    has its own private database, as in the SDK. Custom ``messages_table`` names select the
    table namespace (see :func:`sqlite_table_prefix`); ``sessions_table`` is kept for
    compatibility only, since session metadata lives in the store's own tables.
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
    ) -> None:
        from ..backends.sqlite import SQLiteStore

        check_session_id(session_id)
        settings = (
            coerce_session_settings(session_settings) if session_settings is not None else None
        )
        prefix = sqlite_table_prefix(messages_table)
        path = str(db_path)

        def make() -> SQLiteStore:
            return SQLiteStore(path, ttl=ttl, table_prefix=prefix)

        if path == ":memory:":
            store: ConversationStore = make()
        else:
            key = ("sqlite", os.getpid(), os.path.realpath(os.path.expanduser(path)), prefix, ttl)
            store = _SHARED.acquire(key, make)
            self._share_key = key
        super().__init__(session_id, store, session_settings=settings)
        self.db_path = db_path
        self.sessions_table = sessions_table
        self.messages_table = messages_table

    def close(self) -> None:
        """Close this session (as the SDK's ``close()``); later calls raise. Idempotent."""
        store = self._release_store()
        if store is not None:
            cast("SQLiteStore", store).close()


# ---------------------------------------------------------------------- Redis


class RedisSession(_OwnedStoreSession):
    """Drop-in for ``agents.extensions.memory.RedisSession`` over :class:`RedisStore`.

    Same constructor and ``from_url``; works on Redis Cluster too (a ``RedisCluster`` client,
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
    ) -> None:
        from ..backends.redis import RedisStore

        store = RedisStore(redis_client, key_prefix=key_prefix, ttl=ttl)
        super().__init__(session_id, store, session_settings=session_settings)
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
        (``key_prefix``, ``ttl``) to the constructor."""
        from ..backends.redis import RedisStore

        unknown = set(kwargs) - {"key_prefix", "ttl"}
        if unknown:
            raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")
        key_prefix = kwargs.get("key_prefix", _DEFAULT_TABLE_PREFIX)
        ttl = kwargs.get("ttl")
        options = dict(redis_kwargs or {})
        if ttl is not None:
            options["ttl"] = ttl
        check_session_id(session_id)
        store = RedisStore.from_url(url, key_prefix=key_prefix, **options)
        session = cls.__new__(cls)
        StoreSession.__init__(session, session_id, store, session_settings=session_settings)
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
        from ..backends.redis import RedisStore

        old = self.store
        self.store = RedisStore(self._redis, key_prefix=self._key_prefix, ttl=self._ttl)
        await old.aclose()


# ---------------------------------------------------------------------- DynamoDB


class DynamoDBSession(_OwnedStoreSession):
    """A session in a DynamoDB table, over :class:`sessions_plus.DynamoDBStore`.

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
    ) -> None:
        from ..backends.dynamodb import DynamoDBStore

        check_session_id(session_id)
        settings = (
            coerce_session_settings(session_settings) if session_settings is not None else None
        )

        def make() -> DynamoDBStore:
            return DynamoDBStore(
                table_name,
                region_name=region_name,
                endpoint_url=endpoint_url,
                ttl=ttl,
                create_table=create_table,
            )

        key = ("dynamodb", os.getpid(), table_name, region_name, endpoint_url, ttl, create_table)
        store = _SHARED.acquire(key, make)
        self._share_key = key
        super().__init__(session_id, store, session_settings=settings)
        self.table_name = table_name

    async def close(self) -> None:
        """Close this session; the shared store closes with the last one. Idempotent."""
        await self.aclose()
