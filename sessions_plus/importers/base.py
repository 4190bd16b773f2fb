"""What every import source yields: whole sessions in sessions-plus's layout, plus notes.

A source reads the SDK's own storage with its real layout (no SDK import where the raw layout
suffices) and yields :class:`SourceSession` values: streams of records with the seqs they must
keep, documents, times, and **notes** saying what could not be carried over (never dropped
silently). :mod:`.run` writes each one with ``restore`` (atomic where the backend allows).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..errors import SessionsPlusError


class ImportSourceError(SessionsPlusError):
    """An import source URL is wrong, or its data cannot be read as the SDK's layout."""


@dataclass
class SourceRecord:
    """One record to write: its data, its time (Unix seconds) and header."""

    data: Any
    created_at: float
    format: str | None = None
    author: str | None = None


@dataclass
class SourceStream:
    """Consecutive records starting at seq ``first`` (``first=1`` unless ids are kept)."""

    records: list[SourceRecord]
    first: int = 1

    @property
    def last(self) -> int:
        return self.first + len(self.records) - 1


@dataclass
class SourceSession:
    """A whole session as a source holds it, in sessions-plus's layout."""

    session_id: str
    created_at: float
    updated_at: float
    streams: dict[str, SourceStream] = field(default_factory=dict)
    docs: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """What was not carried over, or carried over differently, in words."""

    @property
    def record_count(self) -> int:
        return sum(len(stream.records) for stream in self.streams.values())


class ImportSource(ABC):
    """An SDK's own store, read-only. ``async with source:`` closes what it opened."""

    kind: str = ""
    """``agents-sqlite``, ``agents-redis``, ``strands-file``, ``strands-s3``."""

    @abstractmethod
    def session_ids(self) -> AsyncIterator[str]:
        """Every session id the source holds, sorted, each once."""

    @abstractmethod
    async def read(self, session_id: str) -> SourceSession | None:
        """One whole session, or None if the source has no such session."""

    async def aclose(self) -> None:  # noqa: B027 - most sources hold nothing to release
        """Release connections (default: nothing to release)."""

    async def __aenter__(self) -> ImportSource:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def parse_sql_time(value: Any, default: float) -> float:
    """SQLite ``CURRENT_TIMESTAMP`` text (``YYYY-MM-DD HH:MM:SS``, UTC) as Unix seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str) or not value:
        return default
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return default
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
