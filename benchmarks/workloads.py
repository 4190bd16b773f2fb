"""The workloads: what one slice of each does, what it prepares, and how it is counted."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import payloads
from .floors import CONCURRENT
from .harness import Config, SliceResult, timed_ops
from .implementations import SessionHandle, SessionImpl, StrandsImpl

SEED_CHUNK = 500

RUN_ID = uuid.uuid4().hex[:8]
"""Makes this run's session ids unique, should a server outlive a run."""


def session_id(*parts: object) -> str:
    return "-".join(["bench", RUN_ID, *map(str, parts)])


async def seed(handle: SessionHandle, count: int) -> None:
    """Write ``count`` history items in chunks (untimed preparation)."""
    items = payloads.history(count)
    for start in range(0, count, SEED_CHUNK):
        await handle.add_items(items[start : start + SEED_CHUNK])


@dataclass(eq=False)
class SessionWorkload:
    """A workload over OpenAI-style handles.

    ``size``: items seeded before timing; ``op(handle, i)`` is one timed operation;
    ``slice_ops(config)`` how many per slice; ``counted``: requests per op are measured.
    """

    key: str
    name: str
    size: int
    op: Callable[[SessionHandle, int], Any]
    slice_ops: Callable[[Config], int]
    counted: bool = True
    check: Callable[[list[Any]], bool] | None = None

    async def prepare(self, impl: SessionImpl) -> SessionHandle:
        handle = impl.open(session_id(self.key, impl.backend, impl.name), self.key)
        if self.size:
            await seed(handle, self.size)
            if self.check is not None:
                got = await handle.get_items(limit=20)
                if not self.check(got):
                    raise AssertionError(f"{impl.label}: unexpected read-back on {self.name}")
        return handle

    async def run_slice(self, handle: SessionHandle, config: Config) -> SliceResult:
        return await timed_ops(
            self.slice_ops(config), lambda i: self.op(handle, i), config.slice_budget_s
        )


async def _append_one(handle: SessionHandle, i: int) -> None:
    await handle.add_items([payloads.user_item(i)])


async def _append_turn(handle: SessionHandle, i: int) -> None:
    await handle.add_items(payloads.turn(i))


async def _get20(handle: SessionHandle, i: int) -> None:
    await handle.get_items(limit=20)


async def _get_all(handle: SessionHandle, i: int) -> None:
    await handle.get_items()


def session_workloads(config: Config) -> list[SessionWorkload]:
    n = config.ops_per_slice
    small, big, full = config.small_session, config.big_session, config.full_read
    return [
        SessionWorkload("append1", "append 1 item", 0, _append_one, lambda c: n),
        SessionWorkload("turn4", "append 4-item turn", 0, _append_turn, lambda c: n),
        SessionWorkload(
            "get20small",
            f"get_items(limit=20) @{small:,}",
            small,
            _get20,
            lambda c: n,
            check=lambda got: len(got) == min(20, small),
        ),
        SessionWorkload(
            "get20equal",
            f"get_items(limit=20) @{config.equal_session:,}",
            config.equal_session,
            _get20,
            lambda c: n,
            check=lambda got: len(got) == min(20, config.equal_session),
        ),
        SessionWorkload(
            "get20big",
            f"get_items(limit=20) @{big:,}",
            big,
            _get20,
            lambda c: n,
            check=lambda got: len(got) == 20,
        ),
        SessionWorkload(
            "readall", f"get_items() @{full:,}", full, _get_all, lambda c: max(1, n // 10)
        ),
    ]


# ---------------------------------------------------------------------- concurrency


def concurrent_name(config: Config) -> str:
    return CONCURRENT if config.writers == 16 else f"{config.writers} writers, one session"


async def concurrent_slice(impl: SessionImpl, config: Config, round_index: int) -> SliceResult:
    """``writers`` handles on one fresh session each append ``writes_per_writer`` single items
    concurrently; then a fresh handle reads everything back to count losses and duplicates."""
    sid = session_id("conc", impl.backend, impl.name, round_index + 1)
    namespace = f"conc{round_index + 1}"
    handles = [impl.open(sid, namespace) for _ in range(config.writers)]
    result = SliceResult()
    clock = time.perf_counter

    async def writer(w: int) -> None:
        for i in range(config.writes_per_writer):
            t0 = clock()
            await handles[w].add_items([payloads.writer_item(w, i)])
            result.latencies.append(clock() - t0)

    start = clock()
    await asyncio.gather(*(writer(w) for w in range(config.writers)))
    result.elapsed = clock() - start
    result.ops = config.writers * config.writes_per_writer

    items = await impl.open(sid, namespace).get_items()
    seen = Counter(item["content"] for item in items)
    expected = {
        payloads.writer_item(w, i)["content"]
        for w in range(config.writers)
        for i in range(config.writes_per_writer)
    }
    result.lost = len(expected - set(seen))
    result.duplicated = sum(count - 1 for count in seen.values()) + len(set(seen) - expected)
    await impl.release()
    return result


# ---------------------------------------------------------------------- Strands


def restore_name(config: Config) -> str:
    return f"restore Strands agent @{config.strands_messages:,} msgs"


def _agent(manager: Any, messages: list[Any] | None = None) -> Any:
    from strands import Agent

    from .strands_impls import offline_model

    return Agent(
        model=offline_model(),
        agent_id="bench",
        session_manager=manager,
        messages=messages,
        callback_handler=None,
    )


def close_quietly_sync(manager: Any) -> None:
    close = getattr(manager, "close", None)
    if close is not None:
        close()


async def strands_prepare(impl: StrandsImpl, config: Config) -> str:
    """Store an agent with ``strands_messages`` messages through the implementation itself."""
    sid = session_id("restore", impl.backend.split()[0], impl.name.split()[-1])
    messages = payloads.strands_messages(config.strands_messages)

    def write() -> None:
        manager = impl.manager(sid)
        try:
            _agent(manager, messages)
        finally:
            close_quietly_sync(manager)

    await asyncio.to_thread(write)
    return sid


async def strands_restore_slice(impl: StrandsImpl, sid: str, config: Config) -> SliceResult:
    """Restore the stored agent ``restores_per_slice`` times (manager + Agent construction)."""
    expected = config.strands_messages

    def restore() -> SliceResult:
        result = SliceResult()
        clock = time.perf_counter
        start = clock()
        for _ in range(config.restores_per_slice):
            if result.ops and clock() - start > config.slice_budget_s:
                break
            t0 = clock()
            manager = impl.manager(sid)
            agent = _agent(manager)
            elapsed = clock() - t0
            close_quietly_sync(manager)
            if len(agent.messages) != expected:
                raise AssertionError(
                    f"{impl.label} restored {len(agent.messages)} messages, not {expected}"
                )
            result.latencies.append(elapsed)
            result.elapsed += elapsed
            result.ops += 1
        return result

    return await asyncio.to_thread(restore)
