"""What a conversation turn costs the Redis server, side by side: ours, the SDK's, the floor.

``python -m benchmarks.server_cost [--quick] [--rounds N] [--ttl S] [--json PATH]``

One dedicated redis-server (and a 3-master cluster for the saturation part) is started for the
run, so its process CPU is ours to read. Three parts, every implementation in alternating
rounds (medians over rounds, spread = max - min):

1. **Per operation**: a latest-20 read and a 2-item append (one "turn"), one at a time, on
   sessions of 20+ items: command time per op (``INFO commandstats``, only the commands a
   client sends), the server process's CPU per op (``/proc/<pid>/task/*/schedstat``) and the
   client's median latency. Targets (issue 16): CPU per turn <= 0.7x the SDK's
   ``RedisSession``; our read's command time <= 2x a bare ``LRANGE`` of the same 20 items.
2. **Client latency**: a 1-item ``RedisStore.append`` vs a bare ``RPUSH`` round trip (target
   <= 1.5x).
3. **Saturation**: 64 concurrent conversations doing turns (read latest 20, append 2) for a few
   seconds: turns/s (target >= 2x the SDK's), lost items (target 0) and the server's CPU, on
   one server and on the cluster (the SDK refuses cluster writes, so only ours and the floor).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from integrations.redis.servers import RedisCluster, RedisServer

from .payloads import assistant_item, user_item
from .redis_probe import Probe, Sample

SDK_COMMANDS = frozenset({"watch", "unwatch", "type", "time", "multi", "exec", "lrange"})
"""What the SDK's RedisSession sends (its queued commands run inside EXEC)."""
OUR_COMMANDS = frozenset({"fcall", "evalsha", "eval", "lrange", "zadd", "zrem"})
FLOOR_COMMANDS = frozenset({"rpush", "lrange"})

T = TypeVar("T")


@dataclass
class Impl:
    """One implementation: ``open(session_id)`` gives a handle with ``read()``/``append()``."""

    name: str
    role: str
    commands: frozenset[str]
    open: Callable[[str], Any]
    count: Callable[[str], Awaitable[int]]
    """Items stored in a session (for the lost-items check)."""
    closers: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)


class _Floor:
    def __init__(self, client: Any, sid: str) -> None:
        self.client, self.key = client, f"bench:floor:{{{sid}}}"

    async def read(self) -> list[Any]:
        return [json.loads(raw) for raw in await self.client.lrange(self.key, -20, -1)]

    async def append(self, items: list[Any]) -> None:
        await self.client.rpush(self.key, *[json.dumps(item) for item in items])


class _Session:
    """An OpenAI-style session (ours or the SDK's) as a handle."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def read(self) -> list[Any]:
        return list(await self.session.get_items(limit=20))

    async def append(self, items: list[Any]) -> None:
        await self.session.add_items(items)


class _Store:
    """Our store directly (no adapter), for the client-latency comparison."""

    def __init__(self, store: Any, sid: str) -> None:
        self.store, self.sid = store, sid

    async def read(self) -> list[Any]:
        return list(await self.store.read_data(self.sid, limit=20))

    async def append(self, items: list[Any]) -> None:
        await self.store.append(self.sid, items)


def implementations(client: Any, ttl: int | None, *, cluster: bool = False) -> list[Impl]:
    """Ours (drop-in session and bare store), the SDK's session, the floor, on ``client``."""
    from sessions_plus import RedisStore
    from sessions_plus.openai_agents import RedisSession as OurSession

    store = RedisStore(client, key_prefix="bench:store", ttl=ttl)

    async def count_ours(sid: str, prefix: str = "bench:ours") -> int:
        other = RedisStore(client, key_prefix=prefix)
        info = await other.info(sid)
        return 0 if info is None else info.item_count

    async def count_floor(sid: str) -> int:
        return int(await client.llen(f"bench:floor:{{{sid}}}"))

    impls = [
        Impl(
            "sessions_plus.RedisSession",
            "ours",
            OUR_COMMANDS,
            lambda sid: _Session(
                OurSession(sid, redis_client=client, key_prefix="bench:ours", ttl=ttl)
            ),
            count_ours,
        ),
        Impl(
            "sessions_plus.RedisStore",
            "ours",
            OUR_COMMANDS,
            lambda sid: _Store(store, sid),
            lambda sid: count_ours(sid, "bench:store"),
            [store.aclose],
        ),
        Impl("floor: RPUSH/LRANGE", "floor", FLOOR_COMMANDS, lambda sid: _Floor(client, sid),
             count_floor),
    ]  # fmt: skip
    if not cluster:
        from agents.extensions.memory import RedisSession as SdkSession

        async def count_sdk(sid: str) -> int:
            return int(await client.llen(f"bench:sdk:{sid}:messages"))

        impls.insert(
            2,
            Impl(
                "agents RedisSession",
                "sdk",
                SDK_COMMANDS,
                lambda sid: _Session(
                    SdkSession(sid, redis_client=client, key_prefix="bench:sdk", ttl=ttl)
                ),
                count_sdk,
            ),
        )
    return impls


def turn(n: int) -> list[Any]:
    return [user_item(n), assistant_item(n)]


# ---------------------------------------------------------------------------- measurements


@dataclass
class OpCost:
    """Per-operation server cost and client latency of one block."""

    command_us: float
    cpu_us: float
    latency_ms: float
    p50_us: float = 0.0
    """Median server time of the block's main command (INFO latencystats)."""
    client_cpu_us: float = 0.0
    events: float = 0.0
    """Server read + write events per operation (about two per round trip)."""

    @staticmethod
    def of(
        sample: Sample, commands: frozenset[str], latencies: list[float], client_cpu: float
    ) -> OpCost:
        n = len(latencies)
        main = max(commands, key=lambda c: sample.usec.get(c, 0))
        return OpCost(
            sample.usec_of(commands) / n,
            sample.cpu * 1e6 / n,
            statistics.median(latencies) * 1000,
            sample.p50.get(main, 0.0),
            client_cpu * 1e6 / n,
            sample.events / n,
        )


async def _timed(ops: int, call: Callable[[int], Awaitable[Any]]) -> tuple[list[float], float]:
    """Latencies of ``ops`` calls one at a time, and the client CPU they took."""
    latencies: list[float] = []
    cpu = time.process_time()
    for i in range(ops):
        start = time.perf_counter()
        await call(i)
        latencies.append(time.perf_counter() - start)
    return latencies, time.process_time() - cpu


async def each_operation(
    impl: Impl,
    tag: str,
    ops: int,
    measure: Callable[[int, Callable[[int], Awaitable[Any]]], Awaitable[T]],
    sessions: int = 50,
) -> dict[str, T]:
    """Latest-20 reads, 2-item appends and 1-item appends over ``sessions`` sessions of 20+
    items, each block of ``ops`` calls measured by ``measure(ops, call)``."""
    handles = [impl.open(f"{tag}-{i}") for i in range(sessions)]
    for n, handle in enumerate(handles):
        for k in range(10):
            await handle.append(turn(n * 100 + k))
    workloads: dict[str, Callable[[int], Awaitable[Any]]] = {
        "read latest 20": lambda i: handles[i % sessions].read(),
        "append 2 items": lambda i: handles[i % sessions].append(turn(i)),
        "append 1 item": lambda i: handles[i % sessions].append([user_item(i)]),
    }
    out = {op: await measure(ops, call) for op, call in workloads.items()}
    for handle in handles:
        close = getattr(getattr(handle, "session", None), "close", None)
        if close is not None:
            await close()
    return out


async def per_operation(
    probe: Probe, impl: Impl, tag: str, ops: int, sessions: int = 50
) -> dict[str, OpCost]:
    """The workloads of :func:`each_operation`: server cost and client latency per block."""

    async def measure(n: int, call: Callable[[int], Awaitable[Any]]) -> OpCost:
        with probe.measure() as block:
            lat, cpu = await _timed(n, call)
        return OpCost.of(block.sample, impl.commands, lat, cpu)

    return await each_operation(impl, tag, ops, measure, sessions)


@dataclass
class Saturation:
    turns_per_s: float
    server_cpu_pct: float
    lost: int
    turns: int
    client_cpu_us: float = 0.0
    """Client CPU per turn (this process)."""


async def saturation(
    probe: Probe, impl: Impl, tag: str, conversations: int, seconds: float
) -> Saturation:
    """``conversations`` tasks doing turns on their own sessions for ``seconds``."""
    handles = [impl.open(f"{tag}-{i}") for i in range(conversations)]
    for n, handle in enumerate(handles):
        await handle.append(turn(n))
    done = [0] * conversations
    deadline = time.perf_counter() + seconds

    async def run(index: int) -> None:
        handle = handles[index]
        while time.perf_counter() < deadline:
            await handle.read()
            await handle.append(turn(done[index]))
            done[index] += 1

    cpu = time.process_time()
    with probe.measure() as block:
        await asyncio.gather(*(run(i) for i in range(conversations)))
    cpu = time.process_time() - cpu
    sample = block.sample
    lost = 0
    for index in range(conversations):
        stored = await impl.count(f"{tag}-{index}")
        lost += 2 + 2 * done[index] - stored
    turns = sum(done)
    return Saturation(
        turns / sample.wall, 100 * sample.cpu / sample.wall, lost, turns, cpu * 1e6 / turns
    )


# ---------------------------------------------------------------------------- the run


def median_spread(values: Sequence[float]) -> tuple[float, float]:
    """The median of ``values`` and their spread (max - min)."""
    return statistics.median(values), max(values) - min(values)


def rotated(impls: Sequence[Impl], r: int) -> list[Impl]:
    """Round ``r``'s order: every implementation goes first in turn (drift hits all alike)."""
    k = r % len(impls)
    return [*impls[k:], *impls[:k]]


async def close_all(impls: Sequence[Impl]) -> None:
    """Run every implementation's closers."""
    for impl in impls:
        for close in impl.closers:
            await close()


async def run(rounds: int, ops: int, seconds: float, ttl: int | None) -> dict[str, Any]:
    import redis.asyncio as aioredis
    from redis.asyncio.cluster import RedisCluster as ClusterClient

    results: dict[str, Any] = {"per_op": {}, "saturation": {}, "cluster": {}}
    with RedisServer() as server:
        assert server.pid is not None
        probe = Probe([(server.command, server.pid)])
        client = aioredis.Redis.from_url(server.url, max_connections=256)
        impls = implementations(client, ttl)
        per_op: dict[str, dict[str, list[OpCost]]] = {}
        for r in range(rounds):
            for impl in rotated(impls, r):
                costs = await per_operation(probe, impl, f"op{r}", ops)
                for op, cost in costs.items():
                    per_op.setdefault(impl.name, {}).setdefault(op, []).append(cost)
        results["per_op"] = per_op
        sat: dict[str, list[Saturation]] = {}
        for r in range(rounds):
            for impl in rotated(impls, r):
                if impl.name == "sessions_plus.RedisStore":
                    continue
                got = await saturation(probe, impl, f"sat{r}", 64, seconds)
                sat.setdefault(impl.name, []).append(got)
        results["saturation"] = sat
        await close_all(impls)
        await client.aclose()
    with RedisCluster() as cluster:
        probe = Probe([(lambda *a, p=p: cluster.command(p, *a), pid)
                       for p, pid in zip(cluster.ports, cluster.pids, strict=True)])  # fmt: skip
        client = ClusterClient(host="127.0.0.1", port=cluster.port, max_connections=256)
        await client.initialize()
        impls = [i for i in implementations(client, ttl, cluster=True) if i.role != "sdk"]
        impls = [i for i in impls if i.name != "sessions_plus.RedisStore"]
        csat: dict[str, list[Saturation]] = {}
        for r in range(rounds):
            for impl in rotated(impls, r):
                got = await saturation(probe, impl, f"csat{r}", 64, seconds)
                csat.setdefault(impl.name, []).append(got)
        results["cluster"] = csat
        await close_all(impls)
        await client.aclose()
    return results


def render(results: dict[str, Any]) -> str:
    lines = ["## Per operation (one at a time; medians over rounds, +- spread)", ""]
    lines.append(
        "| implementation | operation | command us/op | main command p50 us "
        "| server CPU us/op | server I/O events/op | client CPU us/op | latency p50 ms |"
    )
    lines.append("|---|---|--:|--:|--:|--:|--:|--:|")
    per_op: dict[str, dict[str, list[OpCost]]] = results["per_op"]
    med: dict[tuple[str, str], OpCost] = {}
    for name, ops in per_op.items():
        for op, costs in ops.items():
            cmd, cmd_s = median_spread([c.command_us for c in costs])
            cpu, cpu_s = median_spread([c.cpu_us for c in costs])
            lat, lat_s = median_spread([c.latency_ms for c in costs])
            p50, p50_s = median_spread([c.p50_us for c in costs])
            ccpu, ccpu_s = median_spread([c.client_cpu_us for c in costs])
            events = statistics.median(c.events for c in costs)
            med[(name, op)] = OpCost(cmd, cpu, lat, p50, ccpu, events)
            lines.append(
                f"| {name} | {op} | {cmd:.1f} +-{cmd_s:.1f} | {p50:.1f} +-{p50_s:.1f} "
                f"| {cpu:.1f} +-{cpu_s:.1f} | {events:.1f} | {ccpu:.0f} +-{ccpu_s:.0f} "
                f"| {lat:.3f} +-{lat_s:.3f} |"
            )
    lines.append("")

    def turn_cpu(name: str) -> float:
        return med[(name, "read latest 20")].cpu_us + med[(name, "append 2 items")].cpu_us

    ours, sdk, floor = "sessions_plus.RedisSession", "agents RedisSession", "floor: RPUSH/LRANGE"
    store = "sessions_plus.RedisStore"
    if (sdk, "read latest 20") in med:
        ratio = turn_cpu(ours) / turn_cpu(sdk)
        per_round = [
            (o["read latest 20"].cpu_us + o["append 2 items"].cpu_us)
            / (k["read latest 20"].cpu_us + k["append 2 items"].cpu_us)
            for o, k in zip(_rounds(per_op[ours]), _rounds(per_op[sdk]), strict=True)
        ]
        lines.append(
            f"- server CPU per turn: ours {turn_cpu(ours):.1f} us, SDK {turn_cpu(sdk):.1f} us, "
            f"floor {turn_cpu(floor):.1f} us: **{ratio:.2f}x the SDK** (per round: "
            f"{', '.join(f'{r:.2f}' for r in per_round)}; target <= 0.7)"
        )
    read = med[(ours, "read latest 20")].command_us / med[(floor, "read latest 20")].command_us
    lines.append(
        f"- read command time: ours {med[(ours, 'read latest 20')].command_us:.1f} us, bare "
        f"LRANGE {med[(floor, 'read latest 20')].command_us:.1f} us: **{read:.2f}x** "
        "(target <= 2)"
    )
    ours_ms = med[(store, "append 1 item")].latency_ms
    floor_ms = med[(floor, "append 1 item")].latency_ms
    lines.append(
        f"- client latency, 1-item append: RedisStore {ours_ms:.3f} ms, bare RPUSH "
        f"{floor_ms:.3f} ms: **{ours_ms / floor_ms:.2f}x** (target <= 1.5)"
    )
    for title, key in (("one redis-server", "saturation"), ("3-master cluster", "cluster")):
        lines += ["", f"## Saturation: 64 conversations, {title}", ""]
        lines.append(
            "| implementation | turns/s | server CPU % | server CPU us/turn "
            "| client CPU us/turn | lost | turns |"
        )
        lines.append("|---|--:|--:|--:|--:|--:|--:|")
        tps: dict[str, float] = {}
        per_turn: dict[str, float] = {}
        for name, runs in results[key].items():
            t, t_s = median_spread([s.turns_per_s for s in runs])
            c, c_s = median_spread([s.server_cpu_pct for s in runs])
            tps[name] = t
            per_turn[name] = statistics.median(_server_us_per_turn(s) for s in runs)
            lost = sum(s.lost for s in runs)
            turns = sum(s.turns for s in runs)
            client = statistics.median(s.client_cpu_us for s in runs)
            lines.append(
                f"| {name} | {t:,.0f} +-{t_s:,.0f} | {c:.0f} +-{c_s:.0f} "
                f"| {per_turn[name]:.1f} | {client:,.0f} | {lost} | {turns:,} |"
            )
        if sdk in tps:
            lines.append(f"\nturns/s: **{tps[ours] / tps[sdk]:.2f}x the SDK** (target >= 2)")
            lines.append(
                f"\nserver CPU per turn under this load: ours {per_turn[ours]:.1f} us, the SDK "
                f"{per_turn[sdk]:.1f} us: **{per_turn[ours] / per_turn[sdk]:.2f}x** (one "
                "wake-up of the server serves several clients' requests here)"
            )
    return "\n".join(lines)


def _server_us_per_turn(run: Saturation) -> float:
    """The server's CPU per turn during a saturation run (us)."""
    return run.server_cpu_pct * 1e4 / run.turns_per_s if run.turns_per_s else 0.0


def _rounds(ops: dict[str, list[OpCost]]) -> list[dict[str, OpCost]]:
    """Per-round costs of one implementation: ``[{operation: cost}, ...]``."""
    count = min(len(costs) for costs in ops.values())
    return [{op: costs[r] for op, costs in ops.items()} for r in range(count)]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: getattr(value, k) for k in value.__dataclass_fields__}
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.server_cost", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few operations (a smoke run)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ops", type=int, help="operations per block (default 2000; quick 300)")
    parser.add_argument("--seconds", type=float, help="saturation run length (default 5; quick 1)")
    parser.add_argument("--ttl", type=int, help="run every implementation with this TTL")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args(argv)
    ops = args.ops or (300 if args.quick else 2000)
    seconds = args.seconds or (1.0 if args.quick else 5.0)
    results = asyncio.run(run(args.rounds, ops, seconds, args.ttl))
    print(f"# Redis server cost ({args.rounds} rounds, {ops} ops/block, ttl={args.ttl})\n")
    print(render(results))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(_jsonable(results), out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
