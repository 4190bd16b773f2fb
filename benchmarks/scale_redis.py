"""``python -m benchmarks.scale_redis [--quick] [--json PATH]``: Redis at scale, on a redis-server
started for the run (``--quick`` lists among 10,000 and purges 5,000).

* a page of 100 from ``list_sessions`` among ``large`` vs ``small`` sessions (target <= 2x),
  and the same with a prefix;
* ``purge_expired`` of ``expired`` sessions beside ``live`` ones: time, the client's peak
  memory (tracemalloc), the server's memory, and the latency of live sessions' turns (a read of
  the latest 20 and a 2-item append) while it runs vs before (target <= 2x);
* bytes per message (``MEMORY USAGE``) of a session of ours vs the SDK's ``RedisSession``;
* ``fork`` of a 1,000-record session and ``trim`` to 100.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from integrations.redis.servers import RedisServer

from .payloads import assistant_item, user_item


@dataclass(frozen=True)
class Config:
    """How big: sessions to list among, expired sessions to purge, live ones beside them."""

    small: int = 1_000
    large: int = 100_000
    expired: int = 50_000
    live: int = 1_000
    rounds: int = 3


QUICK = Config(large=10_000, expired=5_000, live=500)


@dataclass(frozen=True)
class Row:
    """One measured number (the median of ``rounds`` where it was repeated)."""

    backend: str
    metric: str
    value: float
    unit: str
    note: str = ""


BACKEND = "redis"
_CONCURRENCY = 128


async def _populate(store: Any, ids: list[str]) -> None:
    for start in range(0, len(ids), _CONCURRENCY):
        chunk = ids[start : start + _CONCURRENCY]
        await asyncio.gather(*(store.append(sid, [user_item(n)]) for n, sid in enumerate(chunk)))


async def _median_ms(call: Callable[[], Awaitable[Any]], times: int) -> float:
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def _ids(count: int) -> list[str]:
    return [f"user:{n % 10}:chat:{n:06d}" for n in range(count)]


async def listing(url: str, config: Config) -> list[Row]:
    from sessions_plus import RedisStore

    small = RedisStore.from_url(url, max_connections=256, key_prefix="small")
    large = RedisStore.from_url(url, max_connections=256, key_prefix="large")
    async with small, large:
        await _populate(small, _ids(config.small))
        await _populate(large, _ids(config.large))
        rng = random.Random(7)
        results: dict[str, list[float]] = {}
        for _ in range(config.rounds):
            sizes = (("small", small, config.small), ("large", large, config.large))
            for name, store, count in sizes:
                ids = sorted(_ids(count))

                async def page(store: Any = store, ids: list[str] = ids) -> None:
                    got = await store.list_sessions(limit=100, cursor=rng.choice(ids[:-200]))
                    assert len(got.sessions) == 100

                group = [i for i in ids if i.startswith("user:7:")]

                async def by_prefix(store: Any = store, group: list[str] = group) -> None:
                    cursor = rng.choice(group[:-100]) if len(group) > 100 else None
                    got = await store.list_sessions(limit=100, cursor=cursor, prefix="user:7:")
                    assert len(got.sessions) == 100

                results.setdefault(f"page {name}", []).append(await _median_ms(page, 50))
                results.setdefault(f"prefix {name}", []).append(await _median_ms(by_prefix, 50))
    med = {k: statistics.median(v) for k, v in results.items()}
    return [
        Row(BACKEND, f"page of 100 among {config.small:,}", med["page small"], "ms"),
        Row(BACKEND, f"page of 100 among {config.large:,}", med["page large"], "ms",
            f"{med['page large'] / med['page small']:.2f}x the small one (target <= 2)"),
        Row(BACKEND, f"prefix page of 100 among {config.small:,}", med["prefix small"], "ms"),
        Row(BACKEND, f"prefix page of 100 among {config.large:,}", med["prefix large"], "ms",
            f"{med['prefix large'] / med['prefix small']:.2f}x the small one"),
    ]  # fmt: skip


async def purge(server: RedisServer, url: str, config: Config) -> list[Row]:
    """Two purges of ``expired`` sessions beside ``live`` ones: one timed while live turns run
    in the same process (their latency before and during), one under tracemalloc (its peak
    memory; tracemalloc slows Python down, so never while latency is measured)."""
    from sessions_plus import RedisStore

    ttl = 5.0
    expiring = RedisStore.from_url(url, max_connections=256, key_prefix="purge", ttl=ttl)
    live = RedisStore.from_url(url, max_connections=256, key_prefix="purge")
    async with expiring, live:
        live_ids = [f"live:{n}" for n in range(config.live)]
        await _populate(live, live_ids)
        for sid in live_ids[:50]:
            await live.append(sid, [user_item(n) for n in range(20)])

        async def expire(round_: int) -> None:
            await _populate(expiring, [f"gone{round_}:{n:06d}" for n in range(config.expired)])
            await asyncio.sleep(ttl + 1.0)  # every one of them expired

        await expire(0)
        latencies: list[float] = []
        stop = asyncio.Event()

        async def traffic() -> None:
            n = 0
            while not stop.is_set():
                sid = live_ids[n % 50]
                start = time.perf_counter()
                await live.read_data(sid, limit=20)
                await live.append(sid, [user_item(n), assistant_item(n)])
                latencies.append(time.perf_counter() - start)
                n += 1

        task = asyncio.create_task(traffic())
        await asyncio.sleep(2.0)
        before = statistics.median(latencies)
        latencies.clear()
        memory_before = int(_info(server, "used_memory"))
        start = time.perf_counter()
        purged = await live.purge_expired()
        took = time.perf_counter() - start
        during = statistics.median(latencies) if latencies else float("nan")
        turns = len(latencies)
        stop.set()
        await task
        memory_after = int(_info(server, "used_memory"))

        await expire(1)
        tracemalloc.start()
        again = await live.purge_expired()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return [
        Row(BACKEND, f"purge_expired of {config.expired:,} expired", took, "s",
            f"returned {purged:,} (then {again:,}); beside {config.live:,} live sessions"),
        Row(BACKEND, "purge: client peak memory", peak / 1e6, "MB", "tracemalloc"),
        Row(BACKEND, "purge: server used_memory before/after", memory_before / 1e6, "MB",
            f"after: {memory_after / 1e6:.1f} MB (Redis had expired the keys; purge drops index "
            "entries)"),
        Row(BACKEND, "live turn p50 before purge", before * 1000, "ms"),
        Row(BACKEND, "live turn p50 during purge", during * 1000, "ms",
            f"{during / before:.2f}x before (target <= 2); {turns} turns, same process"),
    ]  # fmt: skip


def _info(server: RedisServer, field: str) -> str:
    text = server.command("INFO", "memory").decode()
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1]
    raise KeyError(field)


async def _usage(client: Any, pattern: str) -> tuple[int, dict[str, int]]:
    sizes: dict[str, int] = {}
    async for key in client.scan_iter(match=pattern, count=1000):
        sizes[key.decode()] = int(await client.memory_usage(key, samples=0) or 0)
    return sum(sizes.values()), sizes


async def bytes_per_message(url: str) -> list[Row]:
    import redis.asyncio as aioredis
    from agents.extensions.memory import RedisSession as SdkSession

    from sessions_plus.openai_agents import RedisSession as OurSession

    client = aioredis.Redis.from_url(url)
    rows: list[Row] = []
    try:
        for count in (20, 200):
            ours = OurSession(f"b{count}", redis_client=client, key_prefix=f"bo{count}")
            sdk = SdkSession(f"b{count}", redis_client=client, key_prefix=f"bs{count}")
            items = [user_item(n) if n % 2 == 0 else assistant_item(n) for n in range(count)]
            for start in range(0, count, 2):  # as turns of two items
                await ours.add_items(items[start : start + 2])
                await sdk.add_items(items[start : start + 2])
            ours_total, ours_keys = await _usage(client, f"bo{count}:*")
            sdk_total, _ = await _usage(client, f"bs{count}:*")
            tokens = sum(size for key, size in ours_keys.items() if key.endswith(":tok"))
            data = ours_total - tokens
            rows += [
                Row(BACKEND, f"bytes/message, {count} messages, ours", data / count, "B",
                    f"+{tokens:,} B of retry tokens, which expire minutes after the last "
                    "write"),
                Row(BACKEND, f"bytes/message, {count} messages, SDK RedisSession",
                    sdk_total / count, "B", f"ours: {data / sdk_total:.2f}x"),
            ]  # fmt: skip
            await ours.close()
    finally:
        await client.aclose()
    return rows


async def fork_and_trim(url: str, config: Config) -> list[Row]:
    from sessions_plus import RedisStore

    store = RedisStore.from_url(url, max_connections=256, key_prefix="copies")
    async with store:
        await store.append("big", [user_item(n) for n in range(1_000)])
        forks, trims = [], []
        for n in range(config.rounds * 3):
            start = time.perf_counter()
            await store.fork("big", f"fork{n}")
            forks.append(time.perf_counter() - start)
            start = time.perf_counter()
            await store.trim(f"fork{n}", keep_last=100)
            trims.append(time.perf_counter() - start)
    return [
        Row(BACKEND, "fork of a 1,000-record session", statistics.median(forks) * 1000, "ms"),
        Row(BACKEND, "trim of 1,000 records to 100", statistics.median(trims) * 1000, "ms"),
    ]


async def run(config: Config) -> list[Row]:
    with RedisServer() as server:
        rows = await listing(server.url, config)
        rows += await purge(server, server.url, config)
        rows += await bytes_per_message(server.url)
        rows += await fork_and_trim(server.url, config)
    return rows


def render(rows: Sequence[Row]) -> str:
    lines = ["| backend | metric | value | note |", "|---|---|--:|---|"]
    for row in rows:
        value = f"{row.value:,.3f}" if row.value < 100 else f"{row.value:,.0f}"
        lines.append(f"| {row.backend} | {row.metric} | {value} {row.unit} | {row.note} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale_redis", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args(argv)
    config = QUICK if args.quick else Config()
    rows = asyncio.run(run(config))
    print(f"# Scale ({'quick' if args.quick else 'full'}: {config})\n")
    print(render(rows))
    if args.json:
        with open(args.json, "w") as out:
            json.dump([asdict(row) for row in rows], out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
