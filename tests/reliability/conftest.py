"""Fixtures of the reliability suite."""

from __future__ import annotations

import pytest

from tests.backends._factory import StoreFactory
from tests.conftest import ALL_BACKENDS

PROCESS_LOCAL = {"memory", "sqlite-memory"}
"""Backends whose data lives in one process: no other process can open them."""

CROSS_PROCESS = sorted(set(ALL_BACKENDS) - PROCESS_LOCAL)


@pytest.fixture(params=CROSS_PROCESS)
def cross_process_factory(request: pytest.FixtureRequest) -> StoreFactory:
    """A StoreFactory for each backend that other processes can open (by URL), in turn."""
    factory: StoreFactory = request.getfixturevalue(ALL_BACKENDS[request.param])
    assert factory.cross_process, f"{factory.name} has no URL: add it to PROCESS_LOCAL"
    return factory


@pytest.fixture
def keys() -> list[tuple[str, bytes]]:
    """Two fresh AES-256 keys, newest first."""
    from sessions_plus import EncryptedStore

    return [("k2", EncryptedStore.generate_key()), ("k1", EncryptedStore.generate_key())]
