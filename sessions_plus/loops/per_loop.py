"""One resource per event loop, for async clients that are bound to the loop that made them.

The SDKs call sessions from several loops (Strands runs each ``agent(...)`` call on a fresh loop;
``Runner.run_sync`` and threaded servers do too), while redis-py and aiobotocore clients belong to
one loop. :class:`PerLoop` makes the resource lazily on first use in a loop and closes them all.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_CLOSE_TIMEOUT = 5.0


class PerLoop(Generic[T]):
    """Lazily made, per-event-loop instances of one resource.

    ``factory`` makes a resource inside the running loop; ``closer`` releases one (it runs on the
    resource's own loop when that loop is still alive). Entries of loops that were closed are
    dropped when the next resource is made.
    """

    def __init__(
        self,
        factory: Callable[[], Awaitable[T]],
        closer: Callable[[T], Coroutine[Any, Any, None]],
    ) -> None:
        self._factory = factory
        self._closer = closer
        self._lock = threading.Lock()
        self._items: dict[asyncio.AbstractEventLoop, asyncio.Future[T]] = {}

    async def get(self) -> T:
        """The resource of the running loop, made on first use.

        Concurrent callers on one loop share one creation. If it fails, every waiter gets the
        error and the next call tries again; if the creating task is cancelled, the waiters
        (which were not) try again themselves.
        """
        loop = asyncio.get_running_loop()
        while True:
            future = self._items.get(loop)
            if future is None:
                with self._lock:
                    future = self._items.get(loop)
                    creator = future is None
                    if future is None:
                        self._prune()
                        future = loop.create_future()
                        self._items[loop] = future
                if creator:
                    return await self._create(loop, future)
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if future.cancelled() and (task is None or task.cancelling() == 0):
                    continue  # the creator was cancelled, not us
                raise

    async def _create(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[T]) -> T:
        try:
            resource = await self._factory()
        except BaseException as exc:
            with self._lock:
                if self._items.get(loop) is future:
                    del self._items[loop]
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(exc)
                future.exception()  # mark retrieved; waiters re-raise it
            raise
        future.set_result(resource)
        return resource

    def _prune(self) -> None:
        for loop in [loop for loop in self._items if loop.is_closed()]:
            del self._items[loop]

    async def aclose(self) -> None:
        """Close every resource: on this loop directly, on live other loops thread-safely.

        Every resource is closed even if one closer fails; the first failure is raised after.
        """
        with self._lock:
            items = list(self._items.items())
            self._items.clear()
        current = asyncio.get_running_loop()
        error: Exception | None = None
        for loop, future in items:
            if not future.done() or future.cancelled() or future.exception() is not None:
                continue
            resource = future.result()
            try:
                if loop is current:
                    await self._closer(resource)
                elif not loop.is_closed() and loop.is_running():
                    handle = asyncio.run_coroutine_threadsafe(self._closer(resource), loop)
                    try:
                        await asyncio.wait_for(asyncio.wrap_future(handle), _CLOSE_TIMEOUT)
                    except (TimeoutError, RuntimeError):  # that loop is blocked or stopping
                        handle.cancel()
                # A resource of a closed loop cannot be awaited any more; its sockets went with it.
            except Exception as exc:
                error = error or exc
        if error is not None:
            raise error
