"""Write what a source holds into any store: each session whole, with ``restore``.

A :class:`~.base.SourceSession` becomes a :class:`~sessions_plus.records.SessionSnapshot` (seqs,
record times, headers, documents, creation time kept) and is written with ``restore``, all or
nothing where the backend allows. Re-running an import skips every session already in the
target (by its target id), so an interrupted import is finished by running it again. Every
note a source made (what could not be carried over) is in the report, never dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import ConflictError, SessionsPlusError
from ..ids import check_session_id
from ..records import Record, SessionSnapshot, StreamSnapshot
from ..store import ConversationStore
from .base import ImportSource, SourceSession

ImportOutcome = Literal["imported", "skipped", "missing", "failed"]


@dataclass
class ImportResult:
    """What happened to one source session."""

    source_id: str
    session_id: str
    outcome: ImportOutcome
    records: int = 0
    docs: int = 0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "source_id": self.source_id,
            "session_id": self.session_id,
            "outcome": self.outcome,
            "records": self.records,
            "docs": self.docs,
            "notes": self.notes,
        }


@dataclass
class ImportReport:
    """Each session's result, and the time taken."""

    source: str
    results: list[ImportResult] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, outcome: ImportOutcome) -> int:
        return sum(1 for result in self.results if result.outcome == outcome)

    @property
    def ok(self) -> bool:
        return not (self.count("failed") or self.count("missing"))

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "imported": self.count("imported"),
            "skipped": self.count("skipped"),
            "missing": self.count("missing"),
            "failed": self.count("failed"),
            "records": sum(r.records for r in self.results if r.outcome == "imported"),
            "seconds": round(self.seconds, 3),
            "sessions": [result.to_json() for result in self.results],
        }


def to_snapshot(session: SourceSession, session_id: str) -> SessionSnapshot:
    """The snapshot ``restore`` writes for ``session`` under ``session_id``."""
    streams: dict[str, StreamSnapshot] = {}
    for name, stream in session.streams.items():
        records = [
            Record(stream.first + offset, r.data, r.created_at, r.format, r.author)
            for offset, r in enumerate(stream.records)
        ]
        streams[name] = StreamSnapshot(first=stream.first, last=stream.last, records=records)
    return SessionSnapshot(
        session_id=session_id,
        created_at=session.created_at,
        updated_at=session.updated_at,
        streams=streams,
        docs=dict(session.docs),
    )


async def import_sessions(
    source: ImportSource,
    target: ConversationStore,
    *,
    session_id: str | None = None,
    prefix: str = "",
    on_listed: Callable[[int], None] | None = None,
    on_session: Callable[[ImportResult], None] | None = None,
) -> ImportReport:
    """Import every session of ``source`` (or only ``session_id``) into ``target``.

    Target ids are ``prefix + source id``. Sessions already in the target are skipped.
    Per-session errors are reported (outcome ``failed``), not raised.
    """
    started = time.monotonic()
    report = ImportReport(source=source.kind)
    ids = [session_id] if session_id is not None else [sid async for sid in source.session_ids()]
    if on_listed is not None:
        on_listed(len(ids))
    for source_id in ids:
        result = await import_one(source, target, source_id, prefix=prefix)
        report.results.append(result)
        if on_session is not None:
            on_session(result)
    report.seconds = time.monotonic() - started
    return report


async def import_one(
    source: ImportSource, target: ConversationStore, source_id: str, *, prefix: str = ""
) -> ImportResult:
    """Import one session (see :func:`import_sessions`)."""
    target_id = prefix + source_id
    try:
        check_session_id(target_id)
        if await target.info(target_id) is not None:
            return ImportResult(source_id, target_id, "skipped", notes=["already imported"])
        session = await source.read(source_id)
        if session is None:
            return ImportResult(source_id, target_id, "missing", notes=["not in the source"])
        result = ImportResult(
            source_id,
            target_id,
            "imported",
            records=session.record_count,
            docs=len(session.docs),
            notes=list(session.notes),
        )
        try:
            await target.restore(to_snapshot(session, target_id))
        except ConflictError:
            return ImportResult(source_id, target_id, "skipped", notes=["already imported"])
        return result
    except (SessionsPlusError, ValueError, OSError) as exc:
        return ImportResult(source_id, target_id, "failed", notes=[f"{type(exc).__name__}: {exc}"])
