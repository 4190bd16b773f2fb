"""How the SDKs' drop-in classes open their stores: by backend name, through the registry.

The OpenAI drop-ins (``SQLiteSession``, ``RedisSession``, ``DynamoDBSession``) and the Strands
ones (``SQLiteSessionManager``, ``RedisSessionManager``, ``DynamoDBSessionManager``) take the
constructor arguments of the SDK classes they replace; turning those into a store happens here,
once, SDK-free and without importing a backend (:func:`sessions_plus.registry.new_store`), so
adding a backend touches neither adapter. :class:`SharedStores` lets drop-ins made per request
share one store (one connection pool) per process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from .errors import ConfigurationError
from .registry import new_store, open_store
from .store import ConversationStore

DEFAULT_REDIS_URL = "redis://localhost:6379/0"
"""Where a Redis drop-in connects when given neither a URL nor a client."""


def sqlite_store(path: str | os.PathLike[str], **options: Any) -> ConversationStore:
    """A SQLite store on ``path`` (``":memory:"`` for a private in-memory database)."""
    return new_store("sqlite", os.fspath(path), **options)


def default_strands_db() -> str:
    """``~/.strands/sessions.db`` (its folder created 0700): the Strands drop-in's default file."""
    directory = Path.home() / ".strands"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return str(directory / "sessions.db")


def redis_store(*, url: str | None = None, client: Any = None, **options: Any) -> ConversationStore:
    """A Redis store on a client you keep (never closed for you) or on a URL it connects to.

    ``options`` are the store's (``ttl``, ``key_prefix`` ...) and, with a URL, redis-py's.
    """
    if url is not None and client is not None:
        raise ConfigurationError("pass url= or redis_client=, not both")
    if client is not None:
        return new_store("redis", client, **options)
    return open_store(url or DEFAULT_REDIS_URL, **options)


def dynamodb_store(table_name: str, **options: Any) -> ConversationStore:
    """A DynamoDB store on one table (created on first use unless ``create_table=False``)."""
    return new_store("dynamodb", table_name, **options)


class SharedStores:
    """Stores shared by drop-ins with the same settings, counted, closed by the last user.

    Applications often make one session object per request and never close it; sharing one
    store per database (per process) keeps that to one set of connections.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[ConversationStore, int]] = {}

    def acquire(self, key: Hashable, make: Callable[[], ConversationStore]) -> ConversationStore:
        """The store for ``key`` (made now if there is none or it was closed), counted."""
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


SHARED = SharedStores()
"""The process-wide table of shared drop-in stores."""


def file_key(kind: str, path: str, *settings: Hashable) -> tuple[Hashable, ...]:
    """A :class:`SharedStores` key for a store on a file: same process, same real path."""
    return (kind, os.getpid(), os.path.realpath(os.path.expanduser(path)), *settings)
