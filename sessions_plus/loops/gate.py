"""A bounded waiting room in front of a connection pool: bursts wait, they do not fail.

redis-py's default pool refuses the 101st concurrent command at once with
``MaxConnectionsError`` (and its cluster client has no waiting pool at all), so a burst of
requests on one store fails although the server is fine. A :class:`ConnectionGate` lets at most
``size`` calls of one event loop use the pool at a time; the others wait their turn in arrival
order, for at most ``timeout`` seconds, then get :class:`~sessions_plus.PoolExhaustedError`
(never a hang, never an error blaming the server). One gate per event loop, like the client it
guards: asyncio primitives belong to one loop.
"""

from __future__ import annotations

import asyncio
import math
from types import TracebackType

from ..errors import ConfigurationError, PoolExhaustedError


class ConnectionGate:
    """At most ``size`` holders at a time; ``async with gate:`` around one use of a connection.

    The fast path (a free slot) does not touch the event loop's timers.
    """

    __slots__ = ("_semaphore", "size", "timeout", "what")

    def __init__(self, size: int, timeout: float, *, what: str) -> None:
        check_pool_options(size, timeout)
        self.size = size
        self.timeout = timeout
        self.what = what
        self._semaphore = asyncio.Semaphore(size)

    @property
    def in_use(self) -> int:
        """How many holders are inside right now."""
        return self.size - self._semaphore._value

    async def __aenter__(self) -> None:
        semaphore = self._semaphore
        if not semaphore.locked():
            await semaphore.acquire()  # returns at once: a slot is free
            return
        try:
            async with asyncio.timeout(self.timeout):
                await semaphore.acquire()
        except TimeoutError:
            raise PoolExhaustedError(
                f"{self.what}: all {self.size} connections of this event loop stayed busy for "
                f"{self.timeout:g} s (pool exhausted; the server was not found down). Raise "
                "max_connections or pool_timeout, or send fewer concurrent requests"
            ) from None

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._semaphore.release()


def check_pool_options(size: object, timeout: object) -> None:
    """Reject a pool size that is not a positive int or a wait that is not a positive number."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ConfigurationError(f"max_connections must be a positive int, not {size!r}")
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise ConfigurationError(f"pool_timeout must be a positive number of seconds: {timeout!r}")
