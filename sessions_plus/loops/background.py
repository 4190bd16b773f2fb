"""One background event-loop thread that runs a store's coroutines for synchronous callers.

Strands calls its session repository synchronously, from inside whichever event loop is running
(a fresh one for every ``agent(...)`` call), while async clients (redis-py, aiosqlite,
aiobotocore) are bound to the loop that made them. :class:`BackgroundLoop` owns one loop on one
daemon thread: every store call is submitted there, so the store's connections live on that
loop for the repository's whole life, whichever thread or loop the caller is on.

The thread is a daemon and an ``atexit`` hook stops every loop still running, with bounded waits,
so a program that forgets ``close()`` still exits promptly.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import threading
import weakref
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from ..errors import StoreClosedError, StoreUnavailableError

T = TypeVar("T")

DEFAULT_TIMEOUT = 60.0
"""Default longest wait, in seconds, for one store call made through the loop."""

_EXIT_TIMEOUT = 5.0

_LIVE: weakref.WeakSet[BackgroundLoop] = weakref.WeakSet()
_LIVE_LOCK = threading.Lock()


class BackgroundLoop:
    """An event loop running forever on its own daemon thread, started on first use.

    ``run(coro)`` blocks the calling thread until the coroutine finished on the loop (or
    ``timeout`` passed); ``run_async(coro)`` awaits it from any other event loop. ``close()``
    runs an optional final coroutine on the loop (e.g. closing the store), then stops the
    loop and joins the thread. Calls after ``close()`` raise :class:`StoreClosedError`.
    """

    def __init__(
        self, *, name: str = "sessions-plus-loop", timeout: float | None = DEFAULT_TIMEOUT
    ):
        self.name = name
        self.timeout = timeout
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self._finalizers: list[Callable[[], Coroutine[Any, Any, None]]] = []

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called."""
        return self._closed

    @property
    def thread(self) -> threading.Thread | None:
        """The loop's thread, once started."""
        return self._thread

    def on_close(self, finalizer: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run ``finalizer()`` on the loop when it closes (explicitly or at interpreter exit)."""
        with self._lock:
            self._finalizers.append(finalizer)

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._closed:
                raise StoreClosedError(f"{self.name} is closed")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def serve() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                thread = threading.Thread(target=serve, name=self.name, daemon=True)
                thread.start()
                ready.wait()
                self._loop, self._thread = loop, thread
                # Forgotten without close(): stop the loop when this object is collected.
                # (Not at exit: the atexit hook below closes it properly, finalizers first.)
                weakref.finalize(self, _stop, loop).atexit = False
                with _LIVE_LOCK:
                    _LIVE.add(self)
            return self._loop

    def _submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        try:
            loop = self._ensure_loop()
        except BaseException:
            coro.close()
            raise
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError(f"{self.name}: a blocking call was made from the loop's own thread")
        return asyncio.run_coroutine_threadsafe(coro, loop)

    def run(self, coro: Coroutine[Any, Any, T], *, timeout: float | None = None) -> T:
        """Run ``coro`` on the background loop and return its result, blocking this thread.

        Raises :class:`StoreUnavailableError` (and cancels the call) if it takes longer than
        ``timeout`` (default: the loop's ``timeout``; None waits forever).
        """
        future = self._submit(coro)
        limit = self.timeout if timeout is None else timeout
        try:
            return future.result(limit)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise StoreUnavailableError(
                f"store call did not finish within {limit} seconds; it was cancelled"
            ) from None

    async def run_async(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` run on the background loop, from any other event loop."""
        future = self._submit(coro)
        limit = self.timeout
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), limit)
        except TimeoutError:
            future.cancel()
            raise StoreUnavailableError(
                f"store call did not finish within {limit} seconds; it was cancelled"
            ) from None

    def close(self, *, timeout: float = _EXIT_TIMEOUT) -> None:
        """Run the finalizers on the loop, stop it and join its thread. Idempotent.

        Waits at most ``timeout`` seconds for the finalizers and as long again for the thread.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            loop, thread = self._loop, self._thread
            finalizers, self._finalizers = self._finalizers, []
        with _LIVE_LOCK:
            _LIVE.discard(self)
        if loop is None or thread is None:
            return
        if threading.current_thread() is thread:
            raise RuntimeError(f"{self.name}: close() was called from the loop's own thread")
        if finalizers and loop.is_running():
            future = asyncio.run_coroutine_threadsafe(_finish(finalizers), loop)
            try:
                future.result(timeout)
            except concurrent.futures.TimeoutError:
                future.cancel()
            except Exception:  # noqa: S110 - closing must go on; the store logs its own errors
                pass
        if loop.is_running():
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        if not thread.is_alive():
            loop.close()


def _stop(loop: asyncio.AbstractEventLoop) -> None:
    if not loop.is_closed():
        loop.call_soon_threadsafe(loop.stop)


async def _finish(finalizers: list[Callable[[], Coroutine[Any, Any, None]]]) -> None:
    """Run every finalizer, then cancel whatever is still pending on the loop."""
    for finalizer in finalizers:
        with contextlib.suppress(Exception):  # every finalizer gets its turn
            await finalizer()
    current = asyncio.current_task()
    pending = [task for task in asyncio.all_tasks() if task is not current]
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)


@atexit.register
def _close_all_at_exit() -> None:
    """Stop every background loop still running, so the interpreter exits without hanging."""
    with _LIVE_LOCK:
        loops = list(_LIVE)
    for loop in loops:
        loop.close(timeout=_EXIT_TIMEOUT)
