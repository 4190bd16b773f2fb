"""Strands Agents adapter: every sessions-plus store behind ``session_manager=``.

* :class:`StoreSessionManager` (and the drop-ins :class:`SQLiteSessionManager`,
  :class:`RedisSessionManager`, :class:`DynamoDBSessionManager`) for ``Agent``, ``Swarm`` and
  ``Graph``; ``shared=True`` lets every agent of a session work on one conversation.
* :class:`StoreSessionRepository`: a complete Strands ``SessionRepository`` over any store.
* :class:`StoreStorage`: Strands' async ``Storage`` protocol, for ``SnapshotSessionManager``.
* :class:`TraceHooks`: run traces (steps, tools, usage) in any store; ``trace=True`` on the
  managers does the same without extra wiring.

Needs the ``strands`` extra (``pip install "sessions-plus[strands]"``).
"""

from __future__ import annotations

from ..loops import DEFAULT_TIMEOUT, BackgroundLoop
from .dropins import DynamoDBSessionManager, RedisSessionManager, SQLiteSessionManager
from .manager import StoreSessionManager
from .repository import (
    MESSAGE_FORMAT,
    SHARED_STREAM,
    StoreSessionRepository,
    agent_doc,
    agent_stream,
    multi_agent_doc,
)
from .storage import StoreStorage
from .traces import TraceHooks

__all__ = [
    "DEFAULT_TIMEOUT",
    "MESSAGE_FORMAT",
    "SHARED_STREAM",
    "BackgroundLoop",
    "DynamoDBSessionManager",
    "RedisSessionManager",
    "SQLiteSessionManager",
    "StoreSessionManager",
    "StoreSessionRepository",
    "StoreStorage",
    "TraceHooks",
    "agent_doc",
    "agent_stream",
    "multi_agent_doc",
]
