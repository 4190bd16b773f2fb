"""``python -m benchmarks.advanced [--quick] [--backends ...] [--json PATH]``: issue 13.

* ``add_items`` of one 2-item turn: ``AdvancedSession`` on each backend against the SDK's
  ``AdvancedSQLiteSession`` on a file (target on SQLite: >= 1x).
* ``store_run_usage`` after a turn, with 100 items on the branch (what every run adds).
* ``fork`` of a 1,000-record session and ``trim`` of one to 100, through the store.

Rounds alternate every implementation of a workload (see ``benchmarks.harness``); "x SDK" is
the median over rounds of the per-round ratio. A store that does not implement an operation
yet is reported, not failed. Nothing here is asserted (``python -m benchmarks --check`` judges
the target from this module's ``--json`` output).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .env import Env
from .harness import Config, Samples, SliceResult, alternate, timed_ops
from .implementations import Unavailable
from .stats import paired_ratios, spread

SMOKE = Config(rounds=1, ops_per_slice=3, slice_budget_s=1.0, warmup=False)
QUICK = Config(rounds=3, ops_per_slice=20, slice_budget_s=1.0, warmup=True)
FULL = Config(rounds=8, ops_per_slice=100, slice_budget_s=3.0, warmup=True)
BACKENDS = ("memory", "sqlite", "sqlite-full", "redis", "dynamodb")
"""``sqlite-full``: SQLiteStore with ``synchronous=full``, the SDK's fsync-per-commit policy."""
TURN = [
    {"role": "user", "content": "What is the weather in Paris?"},
    {"role": "assistant", "content": "Sunny, 21 degrees."},
]
_ids = itertools.count()
_sdk_sessions: list[Any] = []
"""The SDK's sessions made by a run, closed at its end (they hold SQLite connections)."""


def fresh(label: str) -> str:
    return f"{label}-{next(_ids)}"


@dataclass
class Row:
    workload: str
    backend: str
    implementation: str
    samples: Samples | None = None
    skipped: str = ""
    vs_sdk: float | None = None
    vs_sdk_rounds: list[float] = field(default_factory=list)
    """The per-round ratios whose median is ``vs_sdk``."""

    def json(self) -> dict[str, Any]:
        s = self.samples
        return {
            "workload": self.workload,
            "backend": self.backend,
            "implementation": self.implementation,
            "ops_per_s": None if s is None else s.ops_per_s,
            "p50_ms": None if s is None else s.p50_ms,
            "p99_ms": None if s is None else s.p99_ms,
            "vs_sdk": self.vs_sdk,
            "skipped": self.skipped or None,
            "rounds_ops_per_s": None if s is None else _nulls(s.round_ops_per_s),
            "rounds_p50_ms": None if s is None else _nulls(s.round_p50_ms),
        }


def _nulls(values: list[float]) -> list[float | None]:
    """JSON has no NaN: a round that measured nothing is null."""
    return [None if math.isnan(v) else v for v in values]


async def open_store(env: Env, backend: str) -> Any:
    """A store of ``backend`` on this run's servers."""
    from sessions_plus import open_store as open_url

    if backend == "memory":
        return open_url("memory://")
    if backend == "sqlite":
        return open_url(f"sqlite:///{env.tmpdir / 'advanced.db'}")
    if backend == "sqlite-full":
        return open_url(f"sqlite:///{env.tmpdir / 'advanced-full.db'}", synchronous="full")
    if backend == "redis":
        return open_url(env.redis_url, key_prefix="bench-advanced")
    if backend == "dynamodb":
        endpoint = await env.dynamodb_endpoint()
        return open_url("dynamodb://bench-advanced", endpoint_url=endpoint, region_name=env.region)
    raise ValueError(backend)


# ---------------------------------------------------------------------- workloads

Op = Callable[[int], Awaitable[object]]
Prepare = Callable[[int], Awaitable[Op]]
"""``prepare(round)`` builds one slice's state (untimed) and returns the timed operation."""


def slice_of(prepare: Prepare, config: Config) -> Callable[[int], Awaitable[SliceResult]]:
    async def run(round_index: int) -> SliceResult:
        op = await prepare(round_index)
        return await timed_ops(config.ops_per_slice, op, config.slice_budget_s)

    return run


def add_items_ours(store: Any) -> Prepare:
    from sessions_plus.openai_agents import AdvancedSession

    async def prepare(round_index: int) -> Op:
        session = AdvancedSession(fresh("add"), store)
        return lambda i: session.add_items(TURN)

    return prepare


def add_items_sdk(env: Env) -> Prepare:
    from agents.extensions.memory import AdvancedSQLiteSession

    path = env.tmpdir / "sdk-advanced.db"
    AdvancedSQLiteSession(session_id="setup", db_path=path, create_tables=True).close()

    async def prepare(round_index: int) -> Op:
        session = AdvancedSQLiteSession(session_id=fresh("add"), db_path=path)
        _sdk_sessions.append(session)
        return lambda i: session.add_items(TURN)

    return prepare


def _usage_result() -> Any:
    from agents import Agent
    from agents.result import RunResult
    from agents.run_context import RunContextWrapper
    from agents.usage import Usage

    used = Usage(requests=1, input_tokens=50, output_tokens=30, total_tokens=80)
    return RunResult(
        input="q",
        new_items=[],
        raw_responses=[],
        final_output="a",
        input_guardrail_results=[],
        output_guardrail_results=[],
        tool_input_guardrail_results=[],
        tool_output_guardrail_results=[],
        context_wrapper=RunContextWrapper(context=None, usage=used),
        _last_agent=Agent(name="bench"),
    )


def usage_workload(make: Callable[[str], Any]) -> Prepare:
    """``store_run_usage`` on a branch of 100 items (50 turns)."""
    result = _usage_result()

    async def prepare(round_index: int) -> Op:
        session = make(fresh("usage"))
        await session.add_items(TURN * 50)
        return lambda i: session.store_run_usage(result)

    return prepare


def fork_workload(store: Any, records: int = 1_000) -> Prepare:
    async def prepare(round_index: int) -> Op:
        source = fresh("fork-source")
        await _fill(store, source, records)
        await store.put_doc(source, "meta", {"title": "a long chat"})
        return lambda i: store.fork(source, fresh("fork-copy"))

    return prepare


def trim_workload(store: Any, ops: int, records: int = 1_000) -> Prepare:
    async def prepare(round_index: int) -> Op:
        sources = [fresh("trim") for _ in range(ops)]
        for sid in sources:
            await _fill(store, sid, records)
        return lambda i: store.trim(sources[i], keep_last=100)

    return prepare


async def _fill(store: Any, session_id: str, records: int) -> None:
    for start in range(0, records, 100):
        batch = [{"role": "user", "content": f"message {n}"} for n in range(start, start + 100)]
        await store.append(session_id, batch[: records - start])


# ---------------------------------------------------------------------- run


async def measure(config: Config, backends: Sequence[str]) -> list[Row]:
    from sessions_plus.openai_agents import AdvancedSession

    env = Env()
    rows: list[Row] = []
    stores: dict[str, Any] = {}
    try:
        for backend in backends:
            try:
                stores[backend] = await open_store(env, backend)
                await stores[backend].info("probe")
            except Unavailable as exc:
                rows.append(Row("*", backend, "AdvancedSession", skipped=str(exc)))
        sdk = "agents AdvancedSQLiteSession"
        groups: dict[str, dict[tuple[str, str], Prepare]] = {
            "add_items (2-item turn)": {
                ("sqlite", sdk): add_items_sdk(env),
                **{(b, "AdvancedSession"): add_items_ours(s) for b, s in stores.items()},
            },
            "store_run_usage @100 items": {
                ("sqlite", sdk): usage_workload(_sdk_maker(env)),
                **{
                    (b, "AdvancedSession"): usage_workload(lambda sid, s=s: AdvancedSession(sid, s))
                    for b, s in stores.items()
                },
            },
        }
        ops = config.ops_per_slice
        store_ops = {
            "fork 1,000 records": lambda s: fork_workload(s),
            "trim 1,000 -> 100 records": lambda s: trim_workload(s, ops),
        }
        for workload, make_prepare in store_ops.items():
            group: dict[tuple[str, str], Prepare] = {}
            for backend, store in stores.items():
                if await _implements(store, workload):
                    group[(backend, "store")] = make_prepare(store)
                else:
                    rows.append(Row(workload, backend, "store", skipped="not implemented yet"))
            groups[workload] = group
        for workload, group in groups.items():
            slices = {key: slice_of(prepare, config) for key, prepare in group.items()}
            samples = await alternate(slices, config)
            for (backend, name), sample in samples.items():
                rows.append(Row(workload, backend, name, sample))
        _ratios(rows, sdk)
    finally:
        for session in _sdk_sessions:
            session.close()
        for store in stores.values():
            await store.aclose()
        await env.aclose()
    return rows


def _sdk_maker(env: Env) -> Callable[[str], Any]:
    from agents.extensions.memory import AdvancedSQLiteSession

    path = env.tmpdir / "sdk-advanced.db"

    def make(sid: str) -> Any:
        _sdk_sessions.append(AdvancedSQLiteSession(session_id=sid, db_path=path))
        return _sdk_sessions[-1]

    return make


async def _implements(store: Any, workload: str) -> bool:
    """False if the store raises NotImplementedError for the workload's operation."""
    sid = fresh("probe")
    await store.append(sid, [{"probe": True}])
    try:
        if workload.startswith("fork"):
            await store.fork(sid, fresh("probe-copy"))
        else:
            await store.trim(sid, keep_last=1)
    except NotImplementedError:
        return False
    return True


def _ratios(rows: list[Row], sdk: str) -> None:
    """``vs_sdk``: the median over rounds of ops/s over the SDK's ops/s in the same round."""
    baseline = {
        r.workload: r.samples.round_ops_per_s
        for r in rows
        if r.implementation == sdk and r.samples is not None
    }
    for row in rows:
        base = baseline.get(row.workload)
        if row.implementation == sdk or not base or row.samples is None:
            continue
        ratios = paired_ratios(row.samples.round_ops_per_s, base)
        if ratios:
            row.vs_sdk, row.vs_sdk_rounds = statistics.median(ratios), ratios


def render(rows: list[Row]) -> str:
    lines = [
        "| workload | backend | implementation | ops/s | p50 ms | p99 ms | x SDK (SQLite; IQR) |",
        "|---|---|---|--:|--:|--:|--:|",
    ]
    for r in sorted(rows, key=lambda r: (r.workload, r.backend, r.implementation)):
        if r.samples is None:
            lines.append(f"| {r.workload} | {r.backend} | {r.implementation} | {r.skipped} |||")
            continue
        s = r.samples
        ratio = "" if r.vs_sdk is None else f"{r.vs_sdk:.2f}"
        if len(r.vs_sdk_rounds) > 1:
            figure = spread(r.vs_sdk_rounds)
            ratio += f" ({figure.q1:.2f}-{figure.q3:.2f})"
        lines.append(
            f"| {r.workload} | {r.backend} | {r.implementation} | {s.ops_per_s or 0:,.0f} "
            f"| {s.p50_ms or 0:.3f} | {s.p99_ms or 0:.3f} | {ratio} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.advanced", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short run (about a minute)")
    parser.add_argument("--smoke", action="store_true", help="seconds: checks the harness works")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated")
    parser.add_argument("--rounds", type=int, help="override the number of rounds")
    parser.add_argument("--json", metavar="PATH", help="write the rows as JSON")
    args = parser.parse_args(argv)
    config = SMOKE if args.smoke else QUICK if args.quick else FULL
    if args.rounds:
        config = replace(config, rounds=args.rounds)
    backends = [b for b in args.backends.split(",") if b]
    started = time.perf_counter()
    rows = asyncio.run(measure(config, backends))
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    print(f"# AdvancedSession, fork and trim ({mode}, {time.perf_counter() - started:.0f} s)\n")
    print(render(rows))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump([row.json() for row in rows], out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
