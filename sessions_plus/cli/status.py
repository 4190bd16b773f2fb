"""Exit statuses and the not-found error (no third-party import: the package imports it).

0 done, 1 failed (a message on stderr), 2 bad usage, 3 no such session, 130 interrupted.
"""

from __future__ import annotations

from ..errors import SessionsPlusError
from ..records import SessionInfo
from ..store import ConversationStore

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_INTERRUPTED = 130


class NotFound(SessionsPlusError, LookupError):
    """The session a command names does not exist (or expired): exit status 3."""


async def require(store: ConversationStore, session_id: str) -> SessionInfo:
    """The session's info, or :class:`NotFound`."""
    info = await store.info(session_id)
    if info is None:
        raise NotFound(f"no session {session_id!r}")
    return info
