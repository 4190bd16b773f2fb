"""Value types of the store contract: records, session info and pages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Record:
    """One decoded log record.

    ``seq`` is assigned by the backend: the records of a stream are always exactly seqs
    ``1..n`` (gap-free), ``created_at`` is when it was written (Unix seconds), ``format`` says
    which item shape ``data`` has (e.g. ``"openai.responses"``, ``"strands.message"``) and
    ``author`` which agent or writer produced it. Adapters set both; the store never reads them.
    """

    seq: int
    data: Any
    created_at: float
    format: str | None = None
    author: str | None = None


@dataclass(frozen=True, slots=True)
class RawRecord:
    """A record as a backend returns it: the payload still encoded."""

    seq: int
    payload: bytes
    created_at: float
    format: str | None = None
    author: str | None = None


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """Cheap metadata of one live (unexpired) session.

    ``streams`` maps each non-empty stream to its record count; ``item_count`` is their sum.
    ``expires_at`` is None when the store has no TTL.
    """

    session_id: str
    created_at: float
    updated_at: float
    expires_at: float | None
    streams: Mapping[str, int] = field(default_factory=dict)

    @property
    def item_count(self) -> int:
        """Records across every stream of the session."""
        return sum(self.streams.values())


@dataclass(frozen=True, slots=True)
class SessionPage:
    """One page of ``list_sessions``; pass ``next_cursor`` back for the next, None at the end."""

    sessions: list[SessionInfo]
    next_cursor: str | None = None
