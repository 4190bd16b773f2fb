"""What recording run traces costs: ``python -m benchmarks.traces [--quick] [--json PATH]``.

A scripted OpenAI Agents SDK run and a scripted Strands run, each with 10 tool calls (one per
model turn, then the answer), on SQLite and on Redis, with the conversation in the same store:
once without traces and once with them (``TraceHooks`` / ``StoreSessionManager(trace=True)``),
alternating, on fresh sessions. Reported per SDK x backend: median wall time and CPU time of a
run with and without traces and the overhead, the trace events of a run and the store appends
that wrote them (the target: at most one append per event, at most 10% more wall time).
"wall +" is the median over rounds of traced/untraced (each round runs both back to back)
with the interquartile range of those per-round ratios,
"best wall +" compares the fastest run of each side.

The machine may be shared: wall times move with its load, CPU time (this process) less so, and
both are medians of alternating rounds so that drift hits both sides alike.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sessions_plus import ConversationStore, open_store
from sessions_plus.traces import TRACE_STREAM

from .stats import spread

TOOL_CALLS = 10
MAX_OVERHEAD = 0.10


@dataclass
class Row:
    sdk: str
    backend: str
    rounds: int
    base_ms: float
    traced_ms: float
    wall_overhead: float
    best_wall_overhead: float
    base_cpu_ms: float
    traced_cpu_ms: float
    cpu_overhead: float
    events_per_run: float
    appends_per_run: float
    wall_ratios: list[float] = field(default_factory=list)
    """traced / untraced wall time of each round (both run back to back in a round)."""

    @property
    def ok(self) -> bool:
        return self.appends_per_run <= self.events_per_run and self.wall_overhead <= MAX_OVERHEAD


class Counter:
    """Counts trace appends (calls and records) a store serves."""

    def __init__(self, store: ConversationStore) -> None:
        self.appends = 0
        self.events = 0
        real = store.append

        async def append(session_id: str, items: Any, **kwargs: Any) -> list[int]:
            if kwargs.get("stream") == TRACE_STREAM:
                self.appends += 1
                self.events += len(items)
            return await real(session_id, items, **kwargs)

        store.append = append  # type: ignore[method-assign]


# ---------------------------------------------------------------------- OpenAI


def openai_runner(store: ConversationStore) -> Callable[[str, bool], Awaitable[None]]:
    from agents import Agent, Runner, function_tool, set_tracing_disabled
    from agents.testing import ScriptedModel, assistant_message, function_call

    from sessions_plus.openai_agents import StoreSession, TraceHooks

    set_tracing_disabled(True)

    @function_tool
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    async def run(session_id: str, traced: bool) -> None:
        steps: list[Any] = [
            [function_call("add", {"a": n, "b": 1}, call_id=f"call-{n}")] for n in range(TOOL_CALLS)
        ]
        steps.append([assistant_message("done")])
        agent = Agent(name="Adder", model=ScriptedModel(steps), tools=[add])
        session = StoreSession(session_id, store)
        hooks = TraceHooks(session) if traced else None
        result = await Runner.run(agent, "add", session=session, hooks=hooks, max_turns=20)
        assert result.final_output == "done"

    return run


# ---------------------------------------------------------------------- Strands


def strands_runner(store: ConversationStore) -> Callable[[str, bool], Awaitable[None]]:
    from strands import Agent, tool

    from sessions_plus.strands import StoreSessionManager, StoreSessionRepository
    from sessions_plus.testing import ScriptedModel, tool_call

    repository = StoreSessionRepository(store)  # one loop and connection pool, as a server has

    @tool
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    def run_sync(session_id: str, traced: bool) -> None:
        replies: list[Any] = [tool_call("add", {"a": n, "b": 1}, f"t{n}") for n in range(10)]
        replies.append("done")
        manager = StoreSessionManager(session_id, repository=repository, trace=traced)
        try:
            agent = Agent(
                model=ScriptedModel(replies),
                tools=[add],
                session_manager=manager,
                callback_handler=None,
            )
            assert str(agent("add")).strip() == "done"
        finally:
            manager.close()

    async def run(session_id: str, traced: bool) -> None:
        await asyncio.to_thread(run_sync, session_id, traced)

    run.close = repository.close  # type: ignore[attr-defined]
    return run


# ---------------------------------------------------------------------- measuring


async def measure(sdk: str, backend: str, url: str, rounds: int, warmup: int) -> Row:
    store = open_store(url)
    counter = Counter(store)
    runner = (openai_runner if sdk == "openai-agents" else strands_runner)(store)
    walls: dict[bool, list[float]] = {False: [], True: []}
    cpus: dict[bool, list[float]] = {False: [], True: []}
    try:
        for n in range(warmup):
            for traced in (False, True):
                await runner(f"warm-{sdk}-{n}-{traced}", traced)
        counter.appends = counter.events = 0
        for n in range(rounds):
            order = (False, True) if n % 2 == 0 else (True, False)
            for traced in order:
                wall, cpu = time.perf_counter(), time.process_time()
                await runner(f"{sdk}-{n}-{traced}-{time.time_ns()}", traced)
                walls[traced].append(time.perf_counter() - wall)
                cpus[traced].append(time.process_time() - cpu)
    finally:
        close = getattr(runner, "close", None)
        if close is not None:
            close()
        await store.aclose()
    base, traced_wall = statistics.median(walls[False]), statistics.median(walls[True])
    # each round ran both, back to back: the median of the rounds' ratios cancels slow drift
    ratios = [t / b for b, t in zip(walls[False], walls[True], strict=True)]
    base_cpu, traced_cpu = statistics.median(cpus[False]), statistics.median(cpus[True])
    return Row(
        sdk=sdk,
        backend=backend,
        rounds=rounds,
        base_ms=base * 1e3,
        traced_ms=traced_wall * 1e3,
        wall_overhead=statistics.median(ratios) - 1,
        best_wall_overhead=min(walls[True]) / min(walls[False]) - 1,
        base_cpu_ms=base_cpu * 1e3,
        traced_cpu_ms=traced_cpu * 1e3,
        cpu_overhead=traced_cpu / base_cpu - 1,
        events_per_run=counter.events / rounds,
        appends_per_run=counter.appends / rounds,
        wall_ratios=ratios,
    )


def _iqr(ratios: list[float]) -> str:
    """`` (IQR -1.2%..+4.0%)`` of the per-round overheads."""
    if len(ratios) < 2:
        return ""
    figure = spread(ratios)
    return f" (IQR {figure.q1 - 1:+.1%}..{figure.q3 - 1:+.1%})"


def render(rows: list[Row]) -> str:
    lines = [
        "| sdk | backend | rounds | run ms | traced ms | wall + | best wall + | cpu ms "
        "| traced cpu ms | cpu + | events/run | appends/run | ok |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.sdk} | {r.backend} | {r.rounds} | {r.base_ms:.1f} | {r.traced_ms:.1f} "
            f"| {r.wall_overhead:+.1%}{_iqr(r.wall_ratios)} | {r.best_wall_overhead:+.1%} "
            f"| {r.base_cpu_ms:.1f} | {r.traced_cpu_ms:.1f} "
            f"| {r.cpu_overhead:+.1%} | {r.events_per_run:.1f} | {r.appends_per_run:.1f} "
            f"| {'yes' if r.ok else 'NO'} |"
        )
    return "\n".join(lines)


async def run_all(quick: bool) -> list[Row]:
    from integrations.redis.servers import RedisServer

    rounds, warmup = (10, 1) if quick else (40, 3)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="sessions-plus-traces-") as tmp:
        server = RedisServer().start()
        try:
            backends = {
                "sqlite": f"sqlite:///{Path(tmp) / 'traces.db'}",
                "redis": f"{server.url}?key_prefix=bench-traces",
            }
            for sdk in ("openai-agents", "strands"):
                for backend, url in backends.items():
                    rows.append(await measure(sdk, backend, url, rounds, warmup))
                    print(f"measured {sdk} on {backend}", file=sys.stderr, flush=True)
        finally:
            server.stop()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.traces", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few rounds (smoke, ~1 minute)")
    parser.add_argument("--json", metavar="PATH", help="write the rows as JSON")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = asyncio.run(run_all(args.quick))
    mode = "quick" if args.quick else "full"
    print(f"# Run-trace overhead ({mode}, {time.perf_counter() - started:.0f} s)\n")
    print(render(rows))
    print(
        f"\nTarget: appends/run <= events/run and wall + <= {MAX_OVERHEAD:.0%} "
        f"(a scripted run with {TOOL_CALLS} tool calls; conversation in the same store)."
    )
    if args.json:
        data = {"module": "traces", "mode": mode, "rows": [asdict(r) for r in rows]}
        Path(args.json).write_text(json.dumps(data, indent=2))
    return 0 if all(r.appends_per_run <= r.events_per_run for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
