"""Builds the implementations, runs every workload in alternating rounds, counts requests."""

from __future__ import annotations

import math
import re
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from . import floors, openai_impls, strands_impls
from .counters import DYNAMODB, RedisCounter, Window
from .env import Env
from .harness import Config, Samples, SliceResult, alternate
from .implementations import SessionImpl, Skipped, StrandsImpl, Unavailable
from .stats import Spread
from .workloads import (
    SessionWorkload,
    concurrent_name,
    concurrent_slice,
    restore_name,
    session_workloads,
    strands_prepare,
    strands_restore_slice,
)


@dataclass
class Row:
    """One implementation x workload result (the JSON row, plus bookkeeping)."""

    implementation: str
    backend: str
    workload: str
    role: str
    ops_per_s: float | None
    p50_ms: float | None
    p99_ms: float | None
    lost: int | None = None
    duplicated: int | None = None
    requests_per_op: float | None = None
    server_commands_per_op: float | None = None
    request_mix: dict[str, float] = field(default_factory=dict)
    samples: int = 0
    vs_sdk: float | None = None
    sdk_baseline: str | None = None
    vs_floor: float | None = None
    floor_baseline: str | None = None
    round_ops_per_s: list[float] = field(default_factory=list)
    """ops/s of each round's slice, in round order (what ratios are paired by)."""
    round_p50_ms: list[float] = field(default_factory=list)
    vs_sdk_spread: Spread | None = None
    """Spread of the per-round ratios whose median is ``vs_sdk``."""
    vs_floor_spread: Spread | None = None

    def json(self) -> dict[str, Any]:
        return {
            "implementation": self.implementation,
            "backend": self.backend,
            "workload": self.workload,
            "role": self.role,
            "ops_per_s": _round(self.ops_per_s, 1),
            "p50_ms": _round(self.p50_ms, 4),
            "p99_ms": _round(self.p99_ms, 4),
            "lost": self.lost,
            "duplicated": self.duplicated,
            "requests_per_op": _round(self.requests_per_op, 3),
            "server_commands_per_op": _round(self.server_commands_per_op, 3),
            "request_mix": self.request_mix,
            "samples": self.samples,
            "vs_sdk": _round(self.vs_sdk, 3),
            "sdk_baseline": self.sdk_baseline,
            "vs_floor": _round(self.vs_floor, 3),
            "floor_baseline": self.floor_baseline,
            "vs_sdk_spread": _spread_json(self.vs_sdk_spread),
            "vs_floor_spread": _spread_json(self.vs_floor_spread),
            "rounds": {
                "ops_per_s": [_round(v, 1) for v in self.round_ops_per_s],
                "p50_ms": [_round(v, 4) for v in self.round_p50_ms],
            },
        }


def _round(value: float | None, digits: int) -> float | None:
    """Rounded for JSON; NaN (a round that measured nothing) becomes null."""
    if value is None or math.isnan(value):
        return None
    return round(value, digits)


def _spread_json(value: Spread | None) -> dict[str, float] | None:
    if value is None:
        return None
    return {
        "q1": round(value.q1, 3),
        "q3": round(value.q3, 3),
        "low": round(value.low, 3),
        "high": round(value.high, 3),
        "n": value.n,
    }


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    config: Config | None = None
    versions: dict[str, str] = field(default_factory=dict)


class Selector:
    """``--only`` patterns: a regex searched (case-insensitively) in "backend/impl/workload"."""

    def __init__(self, patterns: Sequence[str] = ()) -> None:
        self._patterns = [re.compile(p, re.IGNORECASE) for p in patterns]

    def __call__(self, backend: str, implementation: str, workload: str = "") -> bool:
        if not self._patterns:
            return True
        text = f"{backend}/{implementation}/{workload}"
        return any(p.search(text) for p in self._patterns)

    def any_workload(self, backend: str, implementation: str, workloads: Sequence[str]) -> bool:
        return any(self(backend, implementation, w) for w in workloads)


Log = Callable[[str], None]


_START = time.perf_counter()


def _stderr(message: str) -> None:
    print(f"[{time.perf_counter() - _START:6.1f}s] {message}", file=sys.stderr, flush=True)


async def _build(
    builders: Sequence[tuple[str, str, Callable[[Env], Any]]],
    env: Env,
    wanted: Callable[[str, str], bool],
    results: Results,
    log: Log,
) -> list[Any]:
    built: list[Any] = []
    for backend, name, builder in builders:
        if not wanted(backend, name):
            continue
        try:
            built.append(await builder(env))
        except Unavailable as exc:
            results.skipped.append(Skipped(f"{backend}/{name}", str(exc)))
            log(f"skip {backend}/{name}: {exc}")
        except Exception as exc:
            results.skipped.append(Skipped(f"{backend}/{name}", f"{type(exc).__name__}: {exc}"))
            log(f"skip {backend}/{name}: {traceback.format_exc()}")
    return built


def _row(impl: SessionImpl | StrandsImpl, workload: str, samples: Samples) -> Row:
    return Row(
        implementation=impl.name,
        backend=impl.backend,
        workload=workload,
        role=impl.role,
        ops_per_s=samples.ops_per_s,
        p50_ms=samples.p50_ms,
        p99_ms=samples.p99_ms,
        lost=samples.lost,
        duplicated=samples.duplicated,
        samples=len(samples.latencies),
        round_ops_per_s=samples.round_ops_per_s,
        round_p50_ms=samples.round_p50_ms,
    )


async def _counter_for(impl: SessionImpl, env: Env, cache: dict[str, Any]) -> Any:
    if impl.backend == "dynamodb":
        return DYNAMODB
    if impl.backend == "redis":
        if "redis" not in cache:
            import redis.asyncio as aioredis

            cache["redis"] = RedisCounter(aioredis.Redis.from_url(env.redis_url))
        return cache["redis"]
    if impl.backend == "redis-cluster":
        # Round trips only: command statistics would have to be summed over every node.
        return cache.setdefault("redis-cluster", RedisCounter(None))
    return None


def _apply_window(row: Row, window: Window, ops: int) -> None:
    row.requests_per_op = window.requests / ops
    total = sum(window.server_commands.values())
    row.server_commands_per_op = total / ops if total else None
    row.request_mix = {name: round(n / ops, 3) for name, n in window.server_commands.items()}


async def run(
    config: Config,
    only: Sequence[str] = (),
    *,
    log: Log = _stderr,
    env: Env | None = None,
    include_strands: bool = True,
    backends: set[str] | None = None,
) -> Results:
    """Run every selected implementation x workload; return the rows (ratios not yet set)."""
    select = Selector(only)
    results = Results(config=config)
    env = env or Env()
    DYNAMODB.install()
    counters: dict[str, Any] = {}
    workloads = session_workloads(config)
    names = [w.name for w in workloads] + [concurrent_name(config)]

    def wanted_session(backend: str, name: str) -> bool:
        return (backends is None or backend in backends) and select.any_workload(
            backend, name, names
        )

    try:
        impls: list[SessionImpl] = await _build(
            [*openai_impls.BUILDERS, *floors.BUILDERS], env, wanted_session, results, log
        )
        await _session_workloads(workloads, impls, config, select, env, counters, results, log)
        await _concurrent_workload(impls, config, select, results, log)
        for impl in impls:
            await impl.aclose()

        if include_strands:
            restore = restore_name(config)

            def wanted_strands(backend: str, name: str) -> bool:
                return (backends is None or backend in backends) and select(backend, name, restore)

            managers: list[StrandsImpl] = await _build(
                strands_impls.BUILDERS, env, wanted_strands, results, log
            )
            await _strands_workload(managers, config, results, log)
            for manager in managers:
                await manager.aclose()
    finally:
        results.versions.update(env.versions)
        for counter in counters.values():
            admin = getattr(counter, "_admin", None)
            if admin is not None:
                await admin.aclose()
        await env.aclose()
    return results


async def _session_workloads(
    workloads: list[SessionWorkload],
    impls: list[SessionImpl],
    config: Config,
    select: Selector,
    env: Env,
    counters: dict[str, Any],
    results: Results,
    log: Log,
) -> None:
    """Every implementation x workload pair in ONE alternation, so that comparisons across
    workloads (get_items(limit=20) on 10 vs 10,000 items) are as drift-free as those across
    implementations."""
    pairs = [
        (impl, workload)
        for workload in workloads
        for impl in impls
        if impl.supports(workload.name) and select(impl.backend, impl.name, workload.name)
    ]
    if not pairs:
        return
    log(f"== preparing {len(pairs)} implementation x workload pairs (seeding sessions)")
    handles: dict[tuple[SessionImpl, SessionWorkload], Any] = {}
    for impl, workload in pairs:
        try:
            handles[impl, workload] = await workload.prepare(impl)
        except Exception as exc:
            results.skipped.append(Skipped(impl.label, f"{workload.name}: {exc!r}"))
            log(f"skip {impl.label} on {workload.name}: {traceback.format_exc()}")

    def slice_for(key: tuple[SessionImpl, SessionWorkload]) -> Callable[[int], Any]:
        async def run_slice(round_index: int) -> SliceResult:
            return await key[1].run_slice(handles[key], config)

        return run_slice

    log(f"== {len(handles)} pairs, {config.rounds} alternating rounds")
    samples = await alternate({key: slice_for(key) for key in handles}, config)
    log("== counting requests per operation")
    for (impl, workload), sample in samples.items():
        row = _row(impl, workload.name, sample)
        if workload.counted:
            counter = await _counter_for(impl, env, counters)
            if counter is not None:
                ops = min(config.count_ops, workload.slice_ops(config))
                async with counter.window() as window:
                    for i in range(ops):
                        await workload.op(handles[impl, workload], i)
                _apply_window(row, window, ops)
        results.rows.append(row)
    for impl in impls:
        await impl.release()


async def _concurrent_workload(
    impls: list[SessionImpl], config: Config, select: Selector, results: Results, log: Log
) -> None:
    name = concurrent_name(config)
    chosen = [i for i in impls if i.supports(name) and select(i.backend, i.name, name)]
    if not chosen:
        return
    log(f"== {name}: {config.rounds} rounds")

    def slice_for(impl: SessionImpl) -> Callable[[int], Any]:
        async def run_slice(round_index: int) -> SliceResult:
            return await concurrent_slice(impl, config, round_index)

        return run_slice

    samples = await alternate({impl: slice_for(impl) for impl in chosen}, config)
    for impl, sample in samples.items():
        results.rows.append(_row(impl, name, sample))


async def _strands_workload(
    managers: list[StrandsImpl], config: Config, results: Results, log: Log
) -> None:
    if not managers:
        return
    name = restore_name(config)
    log(f"== {name}: storing {config.strands_messages} messages per implementation")
    sessions: dict[StrandsImpl, str] = {}
    for impl in managers:
        try:
            sessions[impl] = await strands_prepare(impl, config)
        except Exception as exc:
            results.skipped.append(Skipped(impl.label, f"{name}: {exc!r}"))
            log(f"skip {impl.label} on {name}: {traceback.format_exc()}")

    def slice_for(impl: StrandsImpl) -> Callable[[int], Any]:
        async def run_slice(round_index: int) -> SliceResult:
            return await strands_restore_slice(impl, sessions[impl], config)

        return run_slice

    log(f"== {name}: {config.rounds} rounds")
    samples = await alternate({impl: slice_for(impl) for impl in sessions}, config)
    once = replace(config, restores_per_slice=1)
    for impl, sample in samples.items():
        row = _row(impl, name, sample)
        if impl.backend == "dynamodb":
            # Requests of one restore (session and agent documents, the messages' Query pages),
            # counted in an untimed pass like the other request counts.
            async with DYNAMODB.window() as window:
                await strands_restore_slice(impl, sessions[impl], once)
            _apply_window(row, window, 1)
        results.rows.append(row)
