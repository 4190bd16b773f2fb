"""The in-process MemoryStore: the reference implementation of the store contract."""

from .store import MemoryStore

__all__ = ["MemoryStore"]
