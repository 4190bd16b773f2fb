"""Copy every session (or those with an id prefix) from one store to another, resumably.

Each session is copied whole with ``snapshot`` (one consistent copy from the source) and
``restore`` (all or nothing in the target where the backend allows), so seqs, record times and
headers, documents and stream ranges are kept and a session is never half there after a crash
on backends whose restore is atomic. Resuming (``resume=True``) after Ctrl-C, a kill or a crash
never duplicates: a session already in the target with the same content (see :mod:`.digest`)
is skipped, one that differs (a partial copy on a backend whose restore is not atomic, or an
older copy) is replaced whole. Without ``resume`` an existing target session is a conflict
and left alone. Sessions that expire (or are deleted) before they are copied are skipped.
Bounded concurrency: ``workers`` sessions in flight at once. SDK-free.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import ConflictError, SessionsPlusError
from ..store import ConversationStore
from .digest import fingerprint

Outcome = Literal["copied", "replaced", "skipped", "expired", "conflict", "failed"]
OUTCOMES: tuple[Outcome, ...] = ("copied", "replaced", "skipped", "expired", "conflict", "failed")
LIST_PAGE = 500


@dataclass
class SessionResult:
    """What happened to one session."""

    session_id: str
    outcome: Outcome
    records: int = 0
    verified: bool | None = None
    """With ``verify``: True when counts, last seqs and content hash match the source."""
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "outcome": self.outcome,
            "records": self.records,
            "verified": self.verified,
            "detail": self.detail,
        }


@dataclass
class MigrationReport:
    """Counts per outcome, records copied, verification, time taken, and each session."""

    listed: int = 0
    seconds: float = 0.0
    results: list[SessionResult] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for result in self.results if result.outcome == outcome)

    @property
    def records(self) -> int:
        """Records written to the target (copied and replaced sessions)."""
        return sum(r.records for r in self.results if r.outcome in ("copied", "replaced"))

    @property
    def mismatched(self) -> list[SessionResult]:
        return [result for result in self.results if result.verified is False]

    @property
    def ok(self) -> bool:
        """No failure, no conflict, no verification mismatch."""
        return not (self.count("failed") or self.count("conflict") or self.mismatched)

    @property
    def rate(self) -> float:
        """Sessions handled per second."""
        return len(self.results) / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        verified = [r.verified for r in self.results if r.verified is not None]
        return {
            "listed": self.listed,
            **{outcome: self.count(outcome) for outcome in OUTCOMES},
            "records": self.records,
            "verified": sum(1 for v in verified if v),
            "mismatched": len(self.mismatched),
            "seconds": round(self.seconds, 3),
            "sessions_per_second": round(self.rate, 1),
            "ok": self.ok,
            "problems": [
                r.to_json()
                for r in self.results
                if r.outcome in ("failed", "conflict") or r.verified is False
            ],
        }


async def migrate(
    source: ConversationStore,
    target: ConversationStore,
    *,
    prefix: str = "",
    workers: int = 8,
    resume: bool = False,
    verify: bool = False,
    on_listed: Callable[[int], None] | None = None,
    on_session: Callable[[SessionResult], None] | None = None,
) -> MigrationReport:
    """Copy the source's live sessions (ids starting with ``prefix``) into ``target``.

    ``on_listed(n)`` is called once the listing is done, ``on_session(result)`` after each
    session (progress bars). Per-session errors are reported, not raised; the listing and
    store-wide errors raise.
    """
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if source is target:
        raise ValueError("source and target must be different stores")
    started = time.monotonic()
    ids = await list_ids(source, prefix=prefix)
    report = MigrationReport(listed=len(ids))
    if on_listed is not None:
        on_listed(len(ids))
    queue: asyncio.Queue[str] = asyncio.Queue()
    for session_id in ids:
        queue.put_nowait(session_id)

    async def worker() -> None:
        while True:
            try:
                session_id = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            result = await copy_session(source, target, session_id, resume=resume, verify=verify)
            report.results.append(result)
            if on_session is not None:
                on_session(result)
            await asyncio.sleep(0)  # let other workers, progress and Ctrl-C in between sessions

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(min(workers, max(len(ids), 1))):
                group.create_task(worker())
    except BaseExceptionGroup as group:  # a store-wide error stopped the workers: raise it
        raise group.exceptions[0] from None
    finally:
        report.seconds = time.monotonic() - started
    return report


async def list_ids(store: ConversationStore, *, prefix: str = "") -> list[str]:
    """Every live session id starting with ``prefix``, in listing order."""
    ids: list[str] = []
    cursor: str | None = None
    while True:
        page = await store.list_sessions(limit=LIST_PAGE, cursor=cursor, prefix=prefix)
        ids.extend(info.session_id for info in page.sessions)
        cursor = page.next_cursor
        if cursor is None:
            return ids


async def copy_session(
    source: ConversationStore,
    target: ConversationStore,
    session_id: str,
    *,
    resume: bool = False,
    verify: bool = False,
) -> SessionResult:
    """Copy one whole session (see the module docstring); never raises a store error."""
    try:
        snapshot = await source.snapshot(session_id)
        if snapshot is None:
            return SessionResult(session_id, "expired", detail="expired or deleted in the source")
        wanted = fingerprint(snapshot)
        outcome: Outcome = "copied"
        if await target.info(session_id) is not None:
            if not resume:
                return SessionResult(
                    session_id,
                    "conflict",
                    detail="already in the target (--resume skips it if identical, "
                    "else replaces it)",
                )
            present = await target.snapshot(session_id)
            if present is not None and not fingerprint(present).differences(wanted):
                # compared with the source just now: with verify, that is its verification
                verified = True if verify else None
                return SessionResult(
                    session_id, "skipped", wanted.records, verified=verified, detail="identical"
                )
            outcome = "replaced"
        try:
            await target.restore(snapshot, replace=outcome == "replaced")
        except ConflictError:
            if not resume:  # another writer created it since: leave theirs alone
                return SessionResult(
                    session_id, "conflict", detail="created in the target meanwhile"
                )
            await target.restore(snapshot, replace=True)
            outcome = "replaced"
        result = SessionResult(session_id, outcome, wanted.records)
        if verify:
            copied = await target.snapshot(session_id)
            problems = (
                ["missing in the target"]
                if copied is None
                else fingerprint(copied).differences(wanted)
            )
            result.verified = not problems
            result.detail = "; ".join(problems)
        return result
    except (SessionsPlusError, ValueError) as exc:
        return SessionResult(session_id, "failed", detail=f"{type(exc).__name__}: {exc}")
