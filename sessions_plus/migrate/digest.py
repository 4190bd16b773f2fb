"""What a whole-session copy must preserve, as numbers and one hash: for ``--verify``/resume.

:func:`fingerprint` summarises a :class:`~sessions_plus.records.SessionSnapshot`: per stream its
record count and ``first``/``last`` seqs, and a SHA-256 over every stream's range and records
(seq, format, author, data) and every document, in a canonical JSON form. Record and session
times are left out of the hash: backends keep times at different precisions (a float in SQLite
and Redis, a decimal string in DynamoDB), and a copy that differs only there is the same copy.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from ..records import SessionSnapshot


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Record counts and ``(first, last)`` per stream, and the content hash."""

    counts: dict[str, int]
    ranges: dict[str, tuple[int, int]]
    sha256: str

    @property
    def records(self) -> int:
        return sum(self.counts.values())

    def differences(self, other: Fingerprint) -> list[str]:
        """What differs from ``other``, in words (empty when the copies match)."""
        found: list[str] = []
        if self.counts != other.counts:
            found.append(f"record counts {self.counts} != {other.counts}")
        if self.ranges != other.ranges:
            found.append(f"seq ranges {self.ranges} != {other.ranges}")
        if self.sha256 != other.sha256 and not found:
            found.append("content hash differs")
        return found


def fingerprint(snapshot: SessionSnapshot) -> Fingerprint:
    """The :class:`Fingerprint` of one snapshot."""
    digest = hashlib.sha256()
    counts: dict[str, int] = {}
    ranges: dict[str, tuple[int, int]] = {}
    for name in sorted(snapshot.streams):
        stream = snapshot.streams[name]
        counts[name] = len(stream.records)
        ranges[name] = (stream.first, stream.last)
        digest.update(_canonical(["stream", name, stream.first, stream.last]))
        for record in stream.records:
            digest.update(_canonical([record.seq, record.format, record.author, record.data]))
    for name in sorted(snapshot.docs):
        digest.update(_canonical(["doc", name, snapshot.docs[name]]))
    return Fingerprint(counts, ranges, digest.hexdigest())


def _canonical(value: Any) -> bytes:
    return (
        json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    ).encode()
