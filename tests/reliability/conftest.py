"""Fixtures of the reliability suite."""

from __future__ import annotations

import pytest


@pytest.fixture
def keys() -> list[tuple[str, bytes]]:
    """Two fresh AES-256 keys, newest first."""
    from sessions_plus import EncryptedStore

    return [("k2", EncryptedStore.generate_key()), ("k1", EncryptedStore.generate_key())]
