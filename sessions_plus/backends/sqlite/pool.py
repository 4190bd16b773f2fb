"""The SQLite store's worker threads: blocking sqlite3 calls, awaited from any event loop.

``loop.run_in_executor`` on a ``ThreadPoolExecutor`` chains a ``concurrent.futures.Future`` to
an asyncio one through several callbacks and locks per call. Here a call is one queue put, and
the worker hands the outcome straight to the caller's loop with one ``call_soon_threadsafe``:
the same thread hop, less bookkeeping around it, which is a good part of a short read's cost.

Threads start on demand, up to ``max_threads``, and are daemons: ``shutdown()`` lets queued
calls finish and joins them; a pool dropped without it lets its threads exit, and one still
running at interpreter exit is shut down then, with a bounded wait.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import queue
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from ...errors import StoreClosedError

T = TypeVar("T")

_EXIT_TIMEOUT = 5.0

_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[[], Any]]

_LIVE: weakref.WeakSet[ThreadPool] = weakref.WeakSet()


class ThreadPool:
    """Up to ``max_threads`` daemon threads running callables for coroutines on any loop."""

    def __init__(self, max_threads: int, *, name: str, closed_message: str) -> None:
        self._max = max_threads
        self._name = name
        self._closed_message = closed_message
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._idle = threading.Semaphore(0)
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._shut = False
        # Dropped without shutdown(): wake the threads so that they exit.
        weakref.finalize(self, _wake, self._jobs, self._threads)
        _LIVE.add(self)

    async def run(self, fn: Callable[[], T]) -> T:
        """Run ``fn()`` on a pool thread and return (or raise) its outcome.

        Raises :class:`StoreClosedError` after :meth:`shutdown`. If the awaiting task is
        cancelled before a thread picks the call up, the call does not run.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._lock:
            if self._shut:
                raise StoreClosedError(self._closed_message)
            self._jobs.put((loop, future, fn))
            if not self._idle.acquire(blocking=False) and len(self._threads) < self._max:
                thread = threading.Thread(
                    target=_work,
                    args=(self._jobs, self._idle),
                    name=f"{self._name}_{len(self._threads)}",
                    daemon=True,
                )
                thread.start()
                self._threads.append(thread)
        return await future

    def shutdown(self, timeout: float | None = None) -> None:
        """Refuse new calls, let the queued ones finish, and join the threads. Idempotent."""
        with self._lock:
            first = not self._shut
            self._shut = True
            threads = list(self._threads)
            if first:
                for _ in threads:
                    self._jobs.put(None)
        _LIVE.discard(self)
        current = threading.current_thread()
        for thread in threads:
            if thread is not current:
                thread.join(timeout)


def _work(jobs: queue.SimpleQueue[_Job | None], idle: threading.Semaphore) -> None:
    """A pool thread: run jobs until the shutdown sentinel (None). Holds no pool reference."""
    while True:
        job = jobs.get()
        if job is None:
            return
        loop, future, fn = job
        del job
        if not future.cancelled():  # a cancelled call that has not started does not run
            callback: Callable[[asyncio.Future[Any], Any], None] = _succeed
            try:
                outcome = fn()
            except BaseException as exc:  # handed to the awaiting task as it is
                outcome, callback = exc, _fail
            _reply(loop, callback, future, outcome)
            del outcome
        del loop, future, fn
        idle.release()


def _reply(
    loop: asyncio.AbstractEventLoop,
    callback: Callable[[asyncio.Future[Any], Any], None],
    future: asyncio.Future[Any],
    value: Any,
) -> None:
    # RuntimeError: the caller's loop was closed meanwhile, so nobody is waiting.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(callback, future, value)


def _succeed(future: asyncio.Future[Any], result: Any) -> None:
    if not future.cancelled():
        future.set_result(result)


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.cancelled():
        if isinstance(exc, StopIteration):  # a Future refuses it (generator protocol)
            exc = RuntimeError(f"the call raised {exc!r}")
        future.set_exception(exc)


def _wake(jobs: queue.SimpleQueue[_Job | None], threads: list[threading.Thread]) -> None:
    for _ in threads:
        jobs.put(None)


@atexit.register
def _shutdown_all_at_exit() -> None:
    """Let every pool still running finish its queued calls (bounded) before exit."""
    for pool in list(_LIVE):
        pool.shutdown(_EXIT_TIMEOUT)
