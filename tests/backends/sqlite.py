"""The SQLiteStore backend for the shared suites: in memory, and in a file per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from sessions_plus.backends.sqlite import SQLiteStore

from ._factory import StoreFactory

BACKENDS = {
    "sqlite-memory": "sqlite_memory_store_factory",
    "sqlite-file": "sqlite_file_store_factory",
}
PROCESS_LOCAL = {"sqlite-memory"}


def sqlite_url(path: Path, **options: Any) -> str:
    """``sqlite:////abs/path.db?opt=...`` for ``open_store`` in this or another process."""
    query = urlencode({key: value for key, value in options.items() if value is not None})
    return f"sqlite:///{path.resolve()}" + (f"?{query}" if query else "")


@pytest.fixture
async def sqlite_memory_store_factory() -> AsyncIterator[StoreFactory]:
    def make(**options: Any) -> SQLiteStore:
        return SQLiteStore(":memory:", **options)

    factory = StoreFactory("sqlite-memory", make, shared=False)
    yield factory
    await factory.aclose()


@pytest.fixture
async def sqlite_file_store_factory(tmp_path: Path) -> AsyncIterator[StoreFactory]:
    path = tmp_path / "sessions.db"

    def make(**options: Any) -> SQLiteStore:
        return SQLiteStore(path, **options)

    factory = StoreFactory("sqlite-file", make, lambda **options: sqlite_url(path, **options))
    yield factory
    await factory.aclose()
