"""Strands' async ``Storage`` protocol over any store, for ``SnapshotSessionManager``.

``Storage`` is a flat map of ``/``-separated keys to bytes. Keys are spread over store sessions
so that TTL, Redis Cluster slots and DynamoDB partitions work per Strands session rather than for
one giant bucket: the first ``depth`` segments of a key (``session/<id>`` for the snapshot
manager's keys) choose the store session ``<namespace>:<segments>``, the rest is a document
name in it. Values are stored as base64 text inside a JSON document.
"""

from __future__ import annotations

import asyncio
import base64
import builtins
import re
from collections.abc import Coroutine
from typing import Any, TypeVar

from ..closing import SyncClosing
from ..errors import InvalidNameError, missing_dependency
from ..loops import DEFAULT_TIMEOUT, BackgroundLoop
from ..store import ConversationStore

try:
    from strands.storage.storage import StorageSearchResult
    from strands.types.exceptions import StorageError
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise missing_dependency("sessions_plus.strands", "strands", exc) from exc

T = TypeVar("T")

_SLASHES = re.compile(r"/+")


def _normalize_key(key: str) -> str:
    if not isinstance(key, str):
        raise StorageError(f"storage key must be a str, not {type(key).__name__}")
    if "\\" in key:
        raise StorageError(f"Invalid storage key {key!r}: backslashes are not allowed")
    normalized = _SLASHES.sub("/", key).strip("/")
    if not normalized:
        raise StorageError("Storage key must not be empty")
    if ".." in normalized.split("/"):
        raise StorageError(f"Invalid storage key {key!r}: '..' path segments are not allowed")
    return normalized


def _normalize_prefix(prefix: str) -> str:
    if not isinstance(prefix, str):
        raise StorageError(f"storage prefix must be a str, not {type(prefix).__name__}")
    if "\\" in prefix:
        raise StorageError(f"Invalid storage prefix {prefix!r}: backslashes are not allowed")
    normalized = _SLASHES.sub("/", prefix).lstrip("/")
    if ".." in normalized.split("/"):
        raise StorageError(f"Invalid storage prefix {prefix!r}: '..' path segments are not allowed")
    return normalized


class StoreStorage(SyncClosing):
    """``strands.storage.Storage`` (write/read/delete/list of bytes) over any store.

    ``namespace`` prefixes every store session this storage uses (``<namespace>:...``), so one
    store can hold conversations and snapshots side by side. ``depth`` is how many leading key
    segments pick the store session (2 matches ``session/<session_id>/...``).

    The methods are coroutines awaited on the caller's loop. With ``background=True`` (the
    default) the store work itself runs on one background loop thread, because Strands bridges
    its synchronous hooks through short-lived event loops and a store's per-loop connections
    would otherwise be made and dropped on every save. ``close()`` stops that loop and, with
    ``close_store=True``, closes the store.

    ``list(prefix)`` with at least ``depth`` full segments reads one store session's document
    names; a shorter prefix walks ``list_sessions`` (admin use, cost grows with the store).
    """

    def __init__(
        self,
        store: ConversationStore,
        *,
        namespace: str = "strands",
        depth: int = 2,
        background: bool = True,
        close_store: bool = False,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> None:
        if not isinstance(store, ConversationStore):
            raise TypeError(f"store must be a ConversationStore, not {type(store).__name__}")
        if not namespace or ":" in namespace:
            raise ValueError("namespace must be a non-empty str without ':'")
        if depth < 1:
            raise ValueError("depth must be at least 1")
        self.store = store
        self.namespace = namespace
        self.depth = depth
        self._close_store = close_store
        self._loop: BackgroundLoop | None = None
        if background:
            self._loop = BackgroundLoop(name="sessions-plus-storage", timeout=timeout)
            if close_store:
                self._loop.on_close(store.aclose)

    # ------------------------------------------------------------------ plumbing

    async def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            return await coro
        return await self._loop.run_async(coro)

    def close(self) -> None:
        """Stop the background loop (closing the store first if handed over). Idempotent."""
        if self._loop is not None:
            self._loop.close()

    async def aclose(self) -> None:
        """Async ``close()``; without a background loop, closes a handed-over store here."""
        if self._loop is not None:
            await asyncio.to_thread(self._loop.close)
        elif self._close_store:
            await self.store.aclose()

    def _locate(self, key: str) -> tuple[str, str]:
        """(store session id, document name) of a normalized key."""
        parts = key.split("/")
        cut = self.depth if len(parts) > self.depth else len(parts) - 1
        bucket, name = "/".join(parts[:cut]), "/".join(parts[cut:])
        return f"{self.namespace}:{bucket}", name

    def _key(self, session_id: str, name: str) -> str:
        bucket = session_id[len(self.namespace) + 1 :]
        return f"{bucket}/{name}" if bucket else name

    # ------------------------------------------------------------------ Storage protocol

    async def write(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, overwriting any value."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise StorageError(f"data must be bytes, not {type(data).__name__}")
        session_id, name = self._locate(_normalize_key(key))
        document = {"b64": base64.b64encode(bytes(data)).decode("ascii")}
        try:
            await self._call(self.store.put_doc(session_id, name, document))
        except InvalidNameError as exc:
            raise StorageError(f"storage key {key!r} is too long for the store: {exc}") from exc

    async def read(self, key: str) -> bytes | None:
        """The bytes under ``key``, or None."""
        session_id, name = self._locate(_normalize_key(key))
        try:
            document = await self._call(self.store.get_doc(session_id, name))
        except InvalidNameError:
            return None
        if document is None:
            return None
        try:
            return base64.b64decode(document["b64"], validate=True)
        except (KeyError, TypeError, ValueError) as exc:
            raise StorageError(f"value under {key!r} is not a StoreStorage value") from exc

    async def delete(self, key: str) -> None:
        """Remove ``key``; a no-op if absent."""
        session_id, name = self._locate(_normalize_key(key))
        try:
            await self._call(self.store.delete_doc(session_id, name))
        except InvalidNameError:
            return

    async def list(self, query: str = "") -> builtins.list[str]:
        """Full keys starting with ``query``, sorted."""
        prefix = _normalize_prefix(query)
        return sorted(await self._call(self._list(prefix)))

    async def _list(self, prefix: str) -> builtins.list[str]:
        parts = prefix.split("/")
        if len(parts) > self.depth:
            session_id = f"{self.namespace}:{'/'.join(parts[: self.depth])}"
            rest = "/".join(parts[self.depth :])
            names = await self.store.list_docs(session_id, prefix=rest)
            return [self._key(session_id, name) for name in names]
        keys: builtins.list[str] = []
        head = f"{self.namespace}:"
        cursor: str | None = None
        while True:
            page = await self.store.list_sessions(limit=500, cursor=cursor)
            for info in page.sessions:
                if not info.session_id.startswith(head):
                    continue
                for name in await self.store.list_docs(info.session_id):
                    key = self._key(info.session_id, name)
                    if key.startswith(prefix):
                        keys.append(key)
            cursor = page.next_cursor
            if cursor is None:
                return keys

    async def search(self, query: str) -> builtins.list[StorageSearchResult]:
        """Keyword search over keys (Strands' default strategy)."""
        from strands.storage.search.keyword import KeywordSearchStrategy

        results: builtins.list[StorageSearchResult] = await KeywordSearchStrategy().search(
            self, query
        )
        return results
