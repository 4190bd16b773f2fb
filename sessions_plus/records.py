"""Value types of the store contract: records, session info, pages and snapshots."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True, init=False)
class Record:
    """One decoded log record.

    ``seq`` is assigned by the backend: the records of a stream are always the consecutive
    seqs ``first..last`` (gap-free), ``created_at`` is when it was written (Unix seconds),
    ``format`` says which item shape ``data`` has (e.g. ``"openai.responses"``,
    ``"strands.message"``) and ``author`` which agent or writer produced it. Adapters set both;
    the store never reads them.
    """

    seq: int
    data: Any
    created_at: float
    format: str | None = None
    author: str | None = None

    def __init__(
        self,
        seq: int,
        data: Any,
        created_at: float,
        format: str | None = None,
        author: str | None = None,
    ) -> None:
        # A frozen dataclass's own __init__ goes through object.__setattr__ per field; setting
        # the slots directly is about twice as fast, and every read builds one per record.
        _SET_SEQ(self, seq)
        _SET_DATA(self, data)
        _SET_CREATED_AT(self, created_at)
        _SET_FORMAT(self, format)
        _SET_AUTHOR(self, author)


_SET_SEQ = Record.__dict__["seq"].__set__
_SET_DATA = Record.__dict__["data"].__set__
_SET_CREATED_AT = Record.__dict__["created_at"].__set__
_SET_FORMAT = Record.__dict__["format"].__set__
_SET_AUTHOR = Record.__dict__["author"].__set__


@dataclass(slots=True)
class RawRecord:
    """A record as a backend returns it: the payload still encoded. (Not frozen, because a
    read builds one per record and a frozen dataclass costs several times more to build; treat
    it as read-only.)"""

    seq: int
    payload: bytes
    created_at: float
    format: str | None = None
    author: str | None = None


@dataclass(frozen=True, slots=True)
class StreamRange:
    """The seqs a stream holds: ``first..last``. Empty when ``first == last + 1`` (a stream
    trimmed to nothing remembers its ``last``, so no seq is ever handed out twice)."""

    first: int
    last: int

    @property
    def count(self) -> int:
        """How many records the stream holds."""
        return max(0, self.last - self.first + 1)


def _ranges_of(streams: Mapping[str, int]) -> dict[str, StreamRange]:
    return {name: StreamRange(1, count) for name, count in streams.items()}


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """Cheap metadata of one live (unexpired) session.

    ``ranges`` maps each stream to the seqs it holds (:class:`StreamRange`), including a stream
    trimmed to nothing; ``streams`` maps each non-empty stream to its record count and
    ``item_count`` is their sum. ``expires_at`` is None when the store has no TTL. A backend
    gives either mapping; the other is derived (from counts alone, every stream starts at 1).
    """

    session_id: str
    created_at: float
    updated_at: float
    expires_at: float | None
    streams: Mapping[str, int] = field(default_factory=dict)
    ranges: Mapping[str, StreamRange] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.streams and not self.ranges:
            object.__setattr__(self, "ranges", _ranges_of(self.streams))
        elif self.ranges and not self.streams:
            counts = {name: r.count for name, r in self.ranges.items() if r.count}
            object.__setattr__(self, "streams", counts)

    @property
    def item_count(self) -> int:
        """Records across every stream of the session."""
        return sum(self.streams.values())

    def last_seq(self, stream: str) -> int:
        """The stream's last seq (0 if it has none)."""
        found = self.ranges.get(stream)
        return 0 if found is None else found.last


@dataclass(frozen=True, slots=True)
class SessionPage:
    """One page of ``list_sessions``; pass ``next_cursor`` back for the next, None at the end."""

    sessions: list[SessionInfo]
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True)
class StreamSnapshot:
    """One stream of a :class:`SessionSnapshot`: its range and every record in it."""

    first: int
    last: int
    records: list[Record]


@dataclass(frozen=True, slots=True)
class SessionSnapshot:
    """A consistent copy of a whole live session (``store.snapshot``; ``store.restore``)."""

    session_id: str
    created_at: float
    updated_at: float
    streams: Mapping[str, StreamSnapshot]
    docs: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class RawStreamSnapshot:
    """A :class:`StreamSnapshot` as a backend returns it: payloads still encoded."""

    first: int
    last: int
    records: list[RawRecord]


@dataclass(frozen=True, slots=True)
class RawSnapshot:
    """A :class:`SessionSnapshot` as a backend returns and takes it: payloads still encoded."""

    session_id: str
    created_at: float
    updated_at: float
    streams: Mapping[str, RawStreamSnapshot]
    docs: Mapping[str, bytes]
