"""Fixtures of the SQLite backend's tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A path for a database file (not created)."""
    return tmp_path / "store.db"
