"""Remove idle sessions: those whose last write is older than a given age.

For stores without a TTL (or sessions written before one was set) the common chore is "delete
sessions nobody wrote to for 30 days". :func:`purge_idle` lists the sessions (optionally by id
prefix) and deletes each idle one with ``delete(id, updated_before=cutoff)``: the age is checked
by the store atomically with the delete, so a session written to during the sweep (after it was
listed) is never removed. SDK-free; ``sessions-plus purge --idle-for`` calls it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .records import SessionInfo
from .store import ConversationStore

_UNITS = {"w": 604800.0, "d": 86400.0, "h": 3600.0, "m": 60.0, "min": 60.0, "s": 1.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|min|m|s)", re.IGNORECASE)

Progress = Callable[[SessionInfo, bool], Awaitable[None] | None]
"""Called after each listed session: ``(info, removed)``."""


def parse_duration(text: str) -> float:
    """Seconds in ``"30d"``, ``"12h"``, ``"90m"``/``"90min"``, ``"45s"``, ``"1w"``, ``"1d12h"``
    or a plain number of seconds. Raises ``ValueError`` for anything else."""
    value = text.strip()
    try:
        seconds = float(value)
    except ValueError:
        pos, seconds = 0, 0.0
        for match in _DURATION.finditer(value):
            if match.start() != pos and value[pos : match.start()].strip():
                break
            seconds += float(match.group(1)) * _UNITS[match.group(2).lower()]
            pos = match.end()
        if pos == 0 or value[pos:].strip():
            raise ValueError(
                f"not a duration: {text!r} (examples: 30d, 12h, 90m, 45s, 1w, 1d12h)"
            ) from None
    if seconds < 0 or seconds != seconds:
        raise ValueError(f"a duration must be zero or more, not {text!r}")
    return seconds


@dataclass
class PurgeReport:
    """What :func:`purge_idle` did."""

    cutoff: float
    dry_run: bool
    scanned: int = 0
    idle: int = 0
    purged: int = 0
    kept: int = 0
    """Idle when listed, but written to (or removed by someone else) before its delete."""
    session_ids: list[str] = field(default_factory=list)
    """The sessions removed (with ``dry_run``: those that would be)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "purged": self.purged,
            "idle": self.idle,
            "kept": self.kept,
            "scanned": self.scanned,
            "cutoff": self.cutoff,
            "dry_run": self.dry_run,
            "session_ids": self.session_ids,
        }


async def purge_idle(
    store: ConversationStore,
    *,
    idle_for: float,
    prefix: str = "",
    dry_run: bool = False,
    now: float | None = None,
    page_size: int = 100,
    progress: Progress | None = None,
) -> PurgeReport:
    """Delete every session (with ids starting with ``prefix``) last written before
    ``now - idle_for``; with ``dry_run`` only report them. Returns a :class:`PurgeReport`."""
    if idle_for < 0:
        raise ValueError("idle_for must be zero or more seconds")
    cutoff = (time.time() if now is None else now) - idle_for
    report = PurgeReport(cutoff=cutoff, dry_run=dry_run)
    cursor: str | None = None
    while True:
        page = await store.list_sessions(limit=page_size, cursor=cursor, prefix=prefix)
        for info in page.sessions:
            report.scanned += 1
            removed = False
            if info.updated_at < cutoff:
                report.idle += 1
                if dry_run:
                    report.session_ids.append(info.session_id)
                elif await store.delete(info.session_id, updated_before=cutoff):
                    removed = True
                    report.purged += 1
                    report.session_ids.append(info.session_id)
                else:
                    report.kept += 1
            if progress is not None:
                result = progress(info, removed)
                if result is not None:
                    await result
        cursor = page.next_cursor
        if cursor is None:
            return report
