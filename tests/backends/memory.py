"""The in-process MemoryStore backend for the shared suites."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from sessions_plus import MemoryStore

from ._factory import StoreFactory

BACKENDS = {"memory": "memory_store_factory"}
PROCESS_LOCAL = {"memory"}


@pytest.fixture
async def memory_store_factory() -> AsyncIterator[StoreFactory]:
    def make(**options: Any) -> MemoryStore:
        return MemoryStore(**options)

    factory = StoreFactory("memory", make, shared=False)
    yield factory
    await factory.aclose()
