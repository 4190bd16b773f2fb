"""One session object's mutations run one at a time, in the order they were called.

``AdvancedSQLiteSession`` promises that an append, pop or branch change started later on the
same session object cannot overtake one started earlier (``store_run_usage`` captures the turn
that was current when it was called, a pop dispatched before a switch pops the old branch).
:class:`OperationQueue` gives ``AdvancedSession`` the same order on any store. It works across
event loops and threads (an SDK session may be used from several), because the hand-over is a
thread-safe ``concurrent.futures.Future``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

__all__ = ["OperationQueue"]

T = TypeVar("T")


class OperationQueue:
    """A FIFO of operations: each starts once the one queued before it has settled."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tail: Future[None] | None = None

    def run(self, operation: Callable[[], Awaitable[T]]) -> Coroutine[Any, Any, T]:
        """Take a place in the queue now; the returned coroutine runs ``operation`` in turn.

        Call it before the caller's first ``await`` (that fixes the order) and await the
        coroutine to completion, e.g. through ``await_mutation``: the next operation waits for
        it, so a coroutine that never runs would stall the queue.
        """
        settled: Future[None] = Future()
        with self._lock:
            previous, self._tail = self._tail, settled

        async def in_turn() -> T:
            try:
                if previous is not None:
                    await asyncio.wrap_future(previous)
                return await operation()
            finally:
                settled.set_result(None)
                with self._lock:
                    if self._tail is settled:
                        self._tail = None

        return in_turn()
