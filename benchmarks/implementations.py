"""Every implementation under test, behind one small async interface.

An OpenAI-style implementation hands out *handles* (``add_items(items)``, ``get_items(limit)``):
the SDK's own ``Session`` objects, ours, or a floor written straight against the database client.
A Strands implementation hands out ``SessionManager`` objects. Each builder either returns an
implementation or raises :class:`Unavailable` with the reason (a backend not landed yet, a
missing package), which the report lists instead of failing the run.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Role = Literal["ours", "sdk", "floor"]


class Unavailable(Exception):
    """An implementation cannot run here; the message says why."""


class SessionHandle(Protocol):
    """The part of the OpenAI Agents SDK ``Session`` protocol the workloads use."""

    async def add_items(self, items: list[Any]) -> None: ...

    async def get_items(self, limit: int | None = None) -> list[Any]: ...


async def close_quietly(obj: object) -> None:
    """Call ``obj.close()`` or ``obj.aclose()`` if it has one, awaiting it if needed."""
    for name in ("aclose", "close"):
        method = getattr(obj, name, None)
        if method is not None:
            result = method()
            if inspect.isawaitable(result):
                await result
            return


@dataclass(eq=False)
class SessionImpl:
    """One OpenAI-style implementation: ``open(session_id, namespace)`` gives a handle.

    ``namespace`` names the workload (and round) the session belongs to; implementations on
    moto put each namespace in its own table, so that one workload's items never weigh on
    another's requests in moto's in-memory tables (costs real DynamoDB does not have).
    """

    name: str
    backend: str
    role: Role
    opener: Callable[[str, str], SessionHandle]
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    exclude: frozenset[str] = frozenset()
    """Workload names it does not take part in."""
    note: str = ""
    _handles: list[SessionHandle] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.backend}/{self.name}"

    def supports(self, workload: str) -> bool:
        return workload not in self.exclude

    def open(self, session_id: str, namespace: str = "main") -> SessionHandle:
        handle = self.opener(session_id, namespace)
        self._handles.append(handle)
        return handle

    async def release(self) -> None:
        """Close the handles opened since the last release (keeps the implementation open)."""
        handles, self._handles = self._handles, []
        for handle in handles:
            await close_quietly(handle)

    async def aclose(self) -> None:
        await self.release()
        for closer in reversed(self.closers):
            await closer()


@dataclass(eq=False)
class StrandsImpl:
    """One Strands implementation: ``manager(session_id)`` gives a ``SessionManager``."""

    name: str
    backend: str
    role: Role
    factory: Callable[[str], Any]
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    note: str = ""

    @property
    def label(self) -> str:
        return f"{self.backend}/{self.name}"

    def manager(self, session_id: str) -> Any:
        return self.factory(session_id)

    async def aclose(self) -> None:
        for closer in reversed(self.closers):
            await closer()


@dataclass
class Skipped:
    """An implementation that could not be built, and why."""

    label: str
    reason: str
