"""The StoreFactory every backend fixture returns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sessions_plus import ConversationStore, open_store


class StoreFactory:
    """Makes stores on one isolated database namespace for one test.

    Every store made by one factory shares the same data (same file, key prefix or table), so a
    test can open a second store object "in another worker"; different tests never share data.
    ``url(**options)`` gives an ``open_store`` URL for the same namespace, for child processes
    (None where the namespace cannot be reached from another process, e.g. memory).
    ``shared`` is False where two stores of one factory do not see each other's data (memory).
    """

    def __init__(
        self,
        name: str,
        make: Callable[..., ConversationStore],
        url: Callable[..., str] | None = None,
        *,
        shared: bool = True,
    ) -> None:
        self.name = name
        self.shared = shared
        self._make = make
        self._url = url
        self._stores: list[ConversationStore] = []

    def __call__(self, **options: Any) -> ConversationStore:
        store = self._make(**options)
        self._stores.append(store)
        return store

    @property
    def cross_process(self) -> bool:
        return self._url is not None

    def url(self, **options: Any) -> str:
        if self._url is None:
            raise RuntimeError(f"{self.name} cannot be opened from another process")
        return self._url(**options)

    def open(self, **options: Any) -> ConversationStore:
        """Open a store through its URL (exercises open_store)."""
        store = open_store(self.url(**options))
        self._stores.append(store)
        return store

    async def aclose(self) -> None:
        for store in self._stores:
            await store.aclose()
        self._stores.clear()
