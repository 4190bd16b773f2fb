"""``durability="replicated"``: a write is acknowledged only once ``WAIT`` says replicas have it.

By default (``durability="primary"``) a write is acknowledged as soon as the primary applied
it; Redis copies it to the replicas asynchronously, a few milliseconds later. If the primary
dies in that window and a replica is promoted (Sentinel, Cluster), the writes the replica had
not received yet are lost although they were acknowledged. ``durability="replicated"`` closes
that window: after each write, ``WAIT replicas wait_ms`` blocks until ``replicas`` replicas
confirmed everything the connection wrote, or ``wait_ms`` passed. Fewer confirmations raise
:class:`~sessions_plus.DurabilityError`: the write ran on the primary but may not survive a
failover, so its outcome is unknown (read before retrying it).

``WAIT`` only covers writes made on its own connection, so the script and its ``WAIT`` travel
together in one pipeline, one round trip: through redis-py's pipeline on standalone Redis and
Sentinel (which re-sends the whole pipeline on a new connection after a dropped one), and on a
Cluster straight to the node serving the session's slot, following redirects and failovers
here. A re-sent call may write nothing the second time (a write token replays the first run's
result; a delete finds nothing left), and from Redis 7.2 on a connection's ``WAIT`` offset only
moves after a command that propagated (7.0 moves it after every command), so ``WAIT`` on a fresh
connection would return at once, covering nothing. So between the script and ``WAIT`` every
replicated call sets a marker key in the session's slot, ``P:{E}:wait``, that expires after
1 ms: a write that always propagates, after the first attempt's, so that ``WAIT``'s count covers
the first attempt too. ``WAITAOF`` (Redis 7.2+) is not used: it needs append-only files on the
replicas, and a replica's memory is what a failover promotes.

Limits (Redis's, not ours): ``WAIT`` is not consensus. A confirmed write survives a failover
that promotes a replica that confirmed it; with more replicas than ``replicas``, Sentinel and
Cluster promote the replica with the most data, which in practice has it. Reads never wait;
``refresh_on_read`` TTL refreshes are not confirmed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...errors import ConfigurationError, DurabilityError
from .driver import ExponentialWithJitterBackoff, PipelineCommand, redis_errors
from .scripts import Script

DURABILITIES = ("primary", "replicated")
"""``primary`` (default): acknowledged by the primary. ``replicated``: also by replicas."""
DEFAULT_REPLICAS = 1
DEFAULT_WAIT_MS = 1000
"""Milliseconds a replicated write waits for its replicas before raising DurabilityError."""

READ_SCRIPTS = frozenset({"read", "info", "docs", "page", "snapshot"})
"""Scripts that never need a WAIT (reads; with ``refresh_on_read`` they slide the TTL, which is
not confirmed); every other script, including any new one, counts as a write."""
WRITE_COMMANDS = frozenset({"ZADD", "ZREM", "DEL", "UNLINK", "HSET", "HDEL", "SET"})
"""Plain commands (outside scripts) that write: the cluster's session index."""
MARKER_TTL_MS = 1
NOTHING_WRITTEN = frozenset({-10, -11})
"""Script reply codes that wrote nothing and ask the caller to call again (``calls.UNDECLARED``,
``calls.LEGACY``): handed back unconfirmed, so that the retry protocol goes on."""

_CLUSTER_REROUTE: tuple[type[BaseException], ...] = (
    redis_errors.MovedError,
    redis_errors.AskError,
    redis_errors.TryAgainError,
    redis_errors.ClusterDownError,
    redis_errors.SlotNotCoveredError,
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    OSError,
)
"""Cluster failures after which the slot map is refreshed and the pipeline sent again."""
_REFRESH_FAILURES: tuple[type[BaseException], ...] = (
    redis_errors.RedisClusterException,
    *_CLUSTER_REROUTE,
)
_BACKOFF = ExponentialWithJitterBackoff(base=0.05, cap=0.5)


def marker_key(key: str | bytes) -> str:
    """A key in ``key``'s cluster slot and under its prefix: ``P:{E}:meta`` -> ``P:{E}:wait``,
    ``P:index`` -> ``P:{P:index}:wait`` (keys may come encoded: calls send KEYS as bytes)."""
    if isinstance(key, bytes):
        key = key.decode()
    opening = key.find("{")
    closing = key.find("}", opening + 1)
    if opening >= 0 and closing > opening + 1:
        return key[: closing + 1] + ":wait"
    prefix = key.rpartition(":")[0]
    return f"{prefix}:{{{key}}}:wait"


@dataclass(frozen=True, slots=True)
class Durability:
    """How many replicas must confirm each write, and how long to wait for them."""

    replicas: int = DEFAULT_REPLICAS
    wait_ms: int = DEFAULT_WAIT_MS

    @classmethod
    def of(cls, durability: str, replicas: int | None, wait_ms: int | None) -> Durability | None:
        """Validate the store options; None for ``durability="primary"``."""
        if durability not in DURABILITIES:
            raise ConfigurationError(
                f"durability must be one of {', '.join(DURABILITIES)}, not {durability!r}"
            )
        for name, value in (("replicas", replicas), ("wait_ms", wait_ms)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ConfigurationError(f"{name} must be an int, not {value!r}")
        if durability == "primary":
            if replicas is not None or wait_ms is not None:
                raise ConfigurationError('replicas and wait_ms need durability="replicated"')
            return None
        wanted = DEFAULT_REPLICAS if replicas is None else replicas
        wait = DEFAULT_WAIT_MS if wait_ms is None else wait_ms
        if wanted < 1:
            raise ConfigurationError(f"replicas must be at least 1, not {wanted}")
        if wait < 1:  # WAIT ... 0 would block forever
            raise ConfigurationError(f"wait_ms must be at least 1, not {wait}")
        return cls(wanted, wait)

    async def script(
        self, client: Any, cluster: bool, script: Script, keys: Sequence[str], args: Sequence[Any]
    ) -> Any:
        """Run a write script, then confirm it with WAIT; return the script's reply."""
        call = ("EVALSHA", script.sha, len(keys), *keys, *args)
        result, confirmed = await self._send(client, cluster, call, _text(keys[0]))
        if isinstance(result, redis_errors.NoScriptError):
            call = ("EVAL", script.source, len(keys), *keys, *args)
            result, confirmed = await self._send(client, cluster, call, _text(keys[0]))
        if isinstance(result, list) and result and result[0] in NOTHING_WRITTEN:
            return result
        return self._outcome(result, confirmed)

    async def command(self, client: Any, cluster: bool, *args: Any) -> Any:
        """Send a plain write command, then confirm it with WAIT; return its reply."""
        result, confirmed = await self._send(client, cluster, args, str(args[1]))
        return self._outcome(result, confirmed)

    def _outcome(self, result: Any, confirmed: Any) -> Any:
        if isinstance(result, BaseException):
            raise result
        if isinstance(confirmed, redis_errors.ResponseError):
            # the write ran; its marker or WAIT was refused (an ACL without SET or WAIT, a
            # WAIT sent to a replica): nothing confirms it, so its outcome is unknown
            raise DurabilityError(
                f"Redis: the write ran on the primary but could not be confirmed by replicas "
                f"({type(confirmed).__name__}: {confirmed}; durability='replicated'): its "
                "outcome is unknown",
                wanted=self.replicas,
                confirmed=None,
            ) from confirmed
        if isinstance(confirmed, BaseException):
            raise confirmed
        if int(confirmed) < self.replicas:
            raise DurabilityError(
                f"Redis: {confirmed} of {self.replicas} replica(s) confirmed the write within "
                f"{self.wait_ms} ms (durability='replicated'). It was applied on the primary and "
                "may be lost if the primary fails now: its outcome is unknown",
                wanted=self.replicas,
                confirmed=int(confirmed),
            )
        return result

    def _pipeline(self, call: Sequence[Any], key: str) -> list[tuple[Any, ...]]:
        return [
            tuple(call),
            ("SET", marker_key(key), "1", "PX", MARKER_TTL_MS),
            ("WAIT", self.replicas, self.wait_ms),
        ]

    async def _send(
        self, client: Any, cluster: bool, call: Sequence[Any], key: str
    ) -> tuple[Any, Any]:
        """(the call's reply or error, WAIT's reply or error) from one pipeline."""
        commands = self._pipeline(call, key)
        if cluster:
            results = await _cluster_pipeline(client, commands, key)
        else:
            pipe = client.pipeline(transaction=False)
            for command in commands:
                pipe.execute_command(*command)
            results = await pipe.execute(raise_on_error=False)
        return results[0], results[2]


def _text(key: str | bytes) -> str:
    return key.decode() if isinstance(key, bytes) else key


async def _cluster_pipeline(client: Any, commands: list[tuple[Any, ...]], key: str) -> list[Any]:
    """Send ``commands`` on one connection of the primary serving ``key``'s slot.

    redis-py's cluster pipeline would send ``WAIT`` (a keyless command) to every primary, and
    re-route a redirected script alone; so the pipeline goes to the node directly, and after a
    redirect, a failover or a dropped connection the slot map is refreshed and the whole
    pipeline sent again (same write token: the script replays instead of writing twice), up to
    the client's retry count.
    """
    attempts = client.retry.get_retries() + 1
    for attempt in range(attempts):
        failure: BaseException | None = None
        try:
            node = client.get_node_from_key(key)
            pipeline = [PipelineCommand(i, *command) for i, command in enumerate(commands)]
            await node.execute_pipeline(pipeline)
            results = [command.result for command in pipeline]
            failure = next((r for r in results if isinstance(r, _CLUSTER_REROUTE)), None)
        except _CLUSTER_REROUTE as exc:
            failure = exc
        if failure is None:
            return results
        if attempt + 1 == attempts:
            raise failure
        await asyncio.sleep(_BACKOFF.compute(attempt + 1))
        try:
            await client.nodes_manager.initialize()
        except _REFRESH_FAILURES:
            continue  # no startup node answered: try again after the next pause
    raise AssertionError("unreachable")  # pragma: no cover
