"""Requests per operation: what each implementation asks of the server.

* Redis: client round trips (one per command, one per pipeline) counted where redis-py sends
  packed commands, and the server's own ``INFO commandstats`` deltas (which also count the
  commands a Lua script runs inside the server).
* DynamoDB: every HTTP request (retries included) counted by a botocore ``before-send`` event
  hook, registered on every aiobotocore session made in this process.

Counting runs in its own pass, after the timed rounds, so it never slows what is timed.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Window:
    """What one counting window saw."""

    requests: int = 0
    server_commands: Counter[str] = field(default_factory=Counter)


# ---------------------------------------------------------------------- Redis


class RedisCounter:
    """Counts round trips to one Redis server and reads its command statistics."""

    def __init__(self, admin: Any | None) -> None:
        self._admin = admin  # a client used only for INFO, outside the window (None: no INFO)
        self._lock = threading.Lock()
        self._count = 0

    async def _commandstats(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        if self._admin is None:
            return counts
        stats = await self._admin.info("commandstats")
        for key, value in stats.items():
            name = key.removeprefix("cmdstat_")
            if name in ("info", "config|resetstat"):
                continue
            calls = value.get("calls", 0) if isinstance(value, dict) else 0
            counts[name] = int(calls)
        return counts

    @contextlib.asynccontextmanager
    async def window(self) -> AsyncIterator[Window]:
        from redis.asyncio.connection import AbstractConnection

        window = Window()
        before = await self._commandstats()
        original = AbstractConnection.send_packed_command
        counter = self

        async def counting(conn: Any, command: Any, check_health: bool = True) -> None:
            with counter._lock:
                counter._count += 1
            await original(conn, command, check_health)

        start = self._count
        AbstractConnection.send_packed_command = counting  # type: ignore[method-assign,assignment]
        try:
            yield window
        finally:
            AbstractConnection.send_packed_command = original  # type: ignore[method-assign]
            window.requests = self._count - start
            after = await self._commandstats()
            window.server_commands = Counter(
                {name: after[name] - before.get(name, 0) for name in after}
            )
            window.server_commands = +window.server_commands  # drop zeros


# ---------------------------------------------------------------------- DynamoDB


class DynamoDBCounter:
    """Counts DynamoDB HTTP requests made by any aiobotocore client created after install()."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.operations: Counter[str] = Counter()
        self._installed = False

    def _before_send(self, request: Any = None, **kwargs: Any) -> None:
        target = ""
        if request is not None:
            headers = getattr(request, "headers", {}) or {}
            raw = headers.get("X-Amz-Target", b"")
            target = raw.decode() if isinstance(raw, bytes) else str(raw)
        with self._lock:
            self.requests += 1
            self.operations[target.rpartition(".")[2] or "?"] += 1
        return None

    def install(self) -> None:
        """Register the hook on every aiobotocore session made from now on (idempotent)."""
        if self._installed:
            return
        try:
            from aiobotocore.session import AioSession
        except ImportError:
            return
        original_init = AioSession.__init__
        hook = self._before_send

        def init(session: Any, *args: Any, **kwargs: Any) -> None:
            original_init(session, *args, **kwargs)
            session.register("before-send.dynamodb", hook)

        AioSession.__init__ = init
        self._installed = True

    def hook_client(self, client: Any) -> None:
        """Register the hook on an existing client (made before install())."""
        client.meta.events.register("before-send.dynamodb", self._before_send)

    @contextlib.asynccontextmanager
    async def window(self) -> AsyncIterator[Window]:
        window = Window()
        start = self.requests
        ops_before = Counter(self.operations)
        try:
            yield window
        finally:
            window.requests = self.requests - start
            window.server_commands = +(self.operations - ops_before)


DYNAMODB = DynamoDBCounter()
"""The process-wide DynamoDB request counter (installed by the runner before any client)."""
