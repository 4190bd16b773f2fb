"""Synchronous wrappers of the trace readers, for scripts and other code without an event loop.

Each call runs the async reader on one shared background loop thread
(:class:`~sessions_plus.loops.BackgroundLoop`), so a store keeps one set of connections for
every sync call, and the wrappers work the same inside and outside a running event loop (inside
one they block it, as any sync call does).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

from ..loops import BackgroundLoop
from ..store import ConversationStore
from .events import TraceEvent
from .model import Reasoning, SessionUsage
from .reader import (
    WATCH_MAX_INTERVAL,
    WATCH_MIN_INTERVAL,
    Poller,
    get_reasoning,
    get_reasoning_history,
    get_run,
    session_usage,
)

_LOOP: BackgroundLoop | None = None
_LOOP_LOCK = threading.Lock()


def _loop() -> BackgroundLoop:
    global _LOOP
    with _LOOP_LOCK:
        if _LOOP is None or _LOOP.closed:
            _LOOP = BackgroundLoop(name="sessions-plus-traces")
        return _LOOP


async def _current_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def event_loop_of(background: BackgroundLoop) -> asyncio.AbstractEventLoop:
    """The asyncio loop a :class:`BackgroundLoop` runs (started on first use), for code that
    schedules work on it without waiting (a trace recorder's writer)."""
    return background.run(_current_loop())


def background_event_loop() -> asyncio.AbstractEventLoop:
    """The event loop of the shared background thread of the sync wrappers."""
    return event_loop_of(_loop())


def get_reasoning_sync(store: ConversationStore, session_id: str) -> Reasoning | None:
    """:func:`~sessions_plus.traces.get_reasoning`, blocking."""
    return _loop().run(get_reasoning(store, session_id))


def get_reasoning_history_sync(
    store: ConversationStore, session_id: str, *, limit: int | None = None
) -> list[Reasoning]:
    """:func:`~sessions_plus.traces.get_reasoning_history`, blocking."""
    return _loop().run(get_reasoning_history(store, session_id, limit=limit))


def get_run_sync(store: ConversationStore, session_id: str, run_id: str) -> Reasoning | None:
    """:func:`~sessions_plus.traces.get_run`, blocking."""
    return _loop().run(get_run(store, session_id, run_id))


def session_usage_sync(store: ConversationStore, session_id: str) -> SessionUsage:
    """:func:`~sessions_plus.traces.session_usage`, blocking."""
    return _loop().run(session_usage(store, session_id))


def watch_sync(
    store: ConversationStore,
    session_id: str,
    *,
    after: int | None = None,
    min_interval: float = WATCH_MIN_INTERVAL,
    max_interval: float = WATCH_MAX_INTERVAL,
) -> Iterator[TraceEvent]:
    """:func:`~sessions_plus.traces.watch` as a blocking iterator (sleeps between polls in the
    calling thread; stop by breaking out of the loop or with KeyboardInterrupt)."""
    poller = Poller(
        store, session_id, after=after or 0, min_interval=min_interval, max_interval=max_interval
    )
    loop = _loop()
    while True:
        yield from loop.run(poller.poll())
        if poller.delay:
            time.sleep(poller.delay)
