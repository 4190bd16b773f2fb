"""The SQLite backend: many sessions in one file, safe for many threads and processes."""

from .store import SQLiteStore

__all__ = ["SQLiteStore"]
