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
        """The resource of the running loop, made on first use."""
        loop = asyncio.get_running_loop()
        future = self._items.get(loop)
        if future is None:
            with self._lock:
                future = self._items.get(loop)
                if future is None:
                    self._prune()
                    future = loop.create_future()
                    self._items[loop] = future
                    creator = True
                else:
                    creator = False
            if creator:
                try:
                    future.set_result(await self._factory())
                except BaseException as exc:
                    with self._lock:
                        self._items.pop(loop, None)
                    future.set_exception(exc)
                    future.exception()  # mark retrieved; waiters re-raise it below
                    raise
        return await asyncio.shield(future)

    def _prune(self) -> None:
        for loop in [loop for loop in self._items if loop.is_closed()]:
            del self._items[loop]

    async def aclose(self) -> None:
        """Close every resource: on this loop directly, on live other loops thread-safely."""
        with self._lock:
            items = list(self._items.items())
            self._items.clear()
        current = asyncio.get_running_loop()
        for loop, future in items:
            if not future.done() or future.cancelled() or future.exception() is not None:
                continue
            resource = future.result()
            if loop is current:
                await self._closer(resource)
            elif not loop.is_closed() and loop.is_running():
                handle = asyncio.run_coroutine_threadsafe(self._closer(resource), loop)
                try:
                    await asyncio.wait_for(asyncio.wrap_future(handle), _CLOSE_TIMEOUT)
                except (TimeoutError, RuntimeError):  # that loop is blocked or stopping
                    handle.cancel()
            # A resource of a closed loop cannot be awaited any more; its sockets went with it.
