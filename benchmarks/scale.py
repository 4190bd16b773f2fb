"""``python -m benchmarks.scale --backend NAME [--quick | --smoke] [--json PATH] [--only PART]``.

Measurements at scale (issue 16.4 and issue 13's performance part), per backend:

* ``listing``: a page of 100 from ``list_sessions`` among 100,000 sessions vs among 1,000
  (target <= 2x), without and with a prefix (the same 100 sessions match in both).
* ``purge``: ``purge_expired`` of 50,000 expired sessions among live ones: its time, the peak
  memory it adds to the process (VmHWM), and the latency of live-session reads and appends
  while it runs vs just before (target within 2x).
* ``bytes``: bytes stored per message vs the SDK's own session (same items).
* ``copies``: ``fork`` of a 1,000-record session and ``trim`` of one to 100 (ms).

The generic parts (timing, verdicts, output) are backend-independent; what depends on the
backend (opening a fresh namespace, seeding fast, measuring storage) lives in functions keyed by
backend in :data:`BACKENDS` — add a backend by adding its row there. Every timed figure is the
median of interleaved rounds with its spread (min..max of the rounds).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import re
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from sessions_plus import ConversationStore

from .env import Env
from .payloads import turn

PAGE = 100


@dataclass(frozen=True)
class Scale:
    """How big. ``QUICK`` is a smoke run for a shared machine; ``FULL`` is the issue's sizes."""

    large: int = 100_000
    small: int = 1_000
    expired: int = 50_000
    live: int = 1_000
    """Live sessions beside the expired ones (each a 4-item turn)."""
    items_per_session: int = 4
    bytes_messages: int = 10_000
    bytes_sessions: int = 100
    fork_records: int = 1_000
    trim_to: int = 100
    rounds: int = 5
    pages_per_round: int = 20


FULL = Scale()
QUICK = Scale(
    large=10_000,
    small=1_000,
    expired=5_000,
    live=200,
    bytes_messages=2_000,
    bytes_sessions=20,
    rounds=3,
    pages_per_round=10,
)
SMOKE = Scale(
    large=400,
    small=200,
    expired=200,
    live=20,
    bytes_messages=80,
    bytes_sessions=4,
    fork_records=40,
    trim_to=10,
    rounds=2,
    pages_per_round=2,
)
"""Seconds: checks that the harness works, measures nothing."""

Opener = Callable[[Env, str, dict[str, Any]], ConversationStore]
"""``open(env, label, options)``: a store on a fresh, empty namespace named by ``label``."""
Seeder = Callable[[ConversationStore, Sequence[str], list[Any]], Awaitable[None]]
"""``seed(store, ids, items)``: write ``items`` to every session in ``ids``."""
Storage = Callable[[Env, Scale], Awaitable[dict[str, Any]]]
"""``storage(env, scale)``: bytes per message, ours vs the SDK's own session."""


async def seed_through_api(store: ConversationStore, ids: Sequence[str], items: list[Any]) -> None:
    """The generic seeder: one append per session, 32 at a time."""
    for start in range(0, len(ids), 32):
        await asyncio.gather(*(store.append(sid, items) for sid in ids[start : start + 32]))


@dataclass(frozen=True)
class ScaleBackend:
    """What the scale benchmarks need to know about one backend."""

    open: Opener
    seed: Seeder = seed_through_api
    storage: Storage | None = None


# ---------------------------------------------------------------------- measuring


def spread(samples: Sequence[float]) -> dict[str, float]:
    """Median, min and max of per-round figures (ms)."""
    return {
        "median": round(statistics.median(samples), 4),
        "min": round(min(samples), 4),
        "max": round(max(samples), 4),
    }


def percentiles(latencies: Sequence[float]) -> dict[str, float]:
    """p50 and p99 of single-operation latencies (ms)."""
    ordered = sorted(latencies)
    if not ordered:
        return {"p50": float("nan"), "p99": float("nan"), "count": 0}
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {
        "p50": round(pick(0.5), 4),
        "p99": round(pick(0.99), 4),
        "max": round(ordered[-1], 4),
        "count": len(ordered),
    }


def peak_rss_reset() -> None:
    """Reset this process's peak RSS (Linux ``clear_refs``), so a later peak is the step's."""
    with contextlib.suppress(OSError):  # not Linux: the peak is the whole run's
        Path("/proc/self/clear_refs").write_text("5")


def rss_kib() -> dict[str, int]:
    """Current and peak resident set of this process, KiB (Linux; empty elsewhere)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return {}
    return {key: int(value) for key, value in re.findall(r"(VmHWM|VmRSS):\s+(\d+)", status)}


def ids_for(count: int) -> list[str]:
    """``tenant{t}:session{i}``: 100 sessions per tenant, so ``tenant000:`` always matches 100."""
    return [f"tenant{i // 100:04d}:session{i:06d}" for i in range(count)]


def items() -> list[Any]:
    return turn(0)


# ---------------------------------------------------------------------- parts


async def listing(backend: ScaleBackend, env: Env, scale: Scale) -> dict[str, Any]:
    """A page of 100 among ``large`` sessions vs among ``small`` ones, with and without a
    prefix; rounds alternate between the two so drift hits both."""
    stores = {}
    for label, count in (("small", scale.small), ("large", scale.large)):
        store = backend.open(env, f"listing-{label}", {})
        started = time.perf_counter()
        await backend.seed(store, ids_for(count), items())
        print(f"  seeded {count:,} sessions in {time.perf_counter() - started:.1f} s", flush=True)
        stores[label] = (store, count)
    results: dict[str, Any] = {}
    tenant = ids_for(scale.small)[scale.small // 2].split(":")[0]  # one in both listings
    for variant, prefix in (("no prefix", ""), ("prefix", f"{tenant}:")):
        per_round: dict[str, list[float]] = {"small": [], "large": []}
        for round_ in range(scale.rounds):
            order = ["small", "large"] if round_ % 2 == 0 else ["large", "small"]
            for label in order:
                store, count = stores[label]
                cursors = _cursors(count, prefix, scale.pages_per_round)
                started = time.perf_counter()
                for cursor in cursors:
                    page = await store.list_sessions(limit=PAGE, cursor=cursor, prefix=prefix)
                    assert len(page.sessions) == PAGE or prefix, len(page.sessions)
                per_round[label].append((time.perf_counter() - started) * 1000 / len(cursors))
        small, large = spread(per_round["small"]), spread(per_round["large"])
        results[variant] = {
            "page_ms_small": small,
            "page_ms_large": large,
            "ratio": round(large["median"] / small["median"], 3),
            "round_ratios": [  # each round timed both, so its ratio is drift-free
                round(lg / sm, 3)
                for lg, sm in zip(per_round["large"], per_round["small"], strict=True)
            ],
            "target": 2.0,
        }
    for store, _ in stores.values():
        await store.aclose()
    return results


def _cursors(count: int, prefix: str, pages: int) -> list[str | None]:
    """Page starts spread over the listing (None: the first page)."""
    if prefix:
        return [None] * pages  # the prefix matches exactly one page
    ids = ids_for(count)
    step = max(1, (count - PAGE) // pages)
    return [None, *(ids[i] for i in range(step, count - PAGE, step))][:pages]


async def purge(backend: ScaleBackend, env: Env, scale: Scale) -> dict[str, Any]:
    """Purge ``expired`` sessions among ``live`` ones while a task reads and appends to live
    sessions; compare that task's latencies with the same task just before. Twice: the load on
    the store object that purges (one process, one client), and on another store object of the
    same namespace (another connection, as another process would be)."""
    return {
        "same store": await _purge_once(backend, env, scale, same_store=True),
        "another store object": await _purge_once(backend, env, scale, same_store=False),
    }


async def _purge_once(
    backend: ScaleBackend, env: Env, scale: Scale, *, same_store: bool
) -> dict[str, Any]:
    ttl = 2.0
    label = "purge-same" if same_store else "purge-other"
    expiring = backend.open(env, label, {"ttl": ttl})
    started = time.perf_counter()
    await backend.seed(expiring, [f"old:{i:06d}" for i in range(scale.expired)], items())
    seeded = time.perf_counter() - started
    store = backend.open(env, label, {})  # no TTL: the live sessions stay
    live = [f"live:{i:05d}" for i in range(scale.live)]
    await backend.seed(store, live, items())
    await asyncio.sleep(max(0.0, ttl + 0.2 - (time.perf_counter() - started)))
    print(f"  seeded {scale.expired:,} expired sessions in {seeded:.1f} s", flush=True)
    purger = store if same_store else expiring

    baseline = await _live_load(store, live, duration=2.0)
    done = asyncio.Event()
    peak_rss_reset()
    before = rss_kib()
    load = asyncio.create_task(_live_load(store, live, until=done))
    await asyncio.sleep(0.05)  # the load is running
    started = time.perf_counter()
    purged = await purger.purge_expired()
    took = time.perf_counter() - started
    after = rss_kib()
    done.set()
    during = await load
    again = await purger.purge_expired()
    await expiring.aclose()
    await store.aclose()
    result: dict[str, Any] = {
        "expired": scale.expired,
        "live_sessions": scale.live,
        "purged": purged,
        "purged_again": again,
        "seconds": round(took, 3),
        "sessions_per_s": round(purged / took, 1) if took else None,
        "peak_rss_added_kib": (after.get("VmHWM", 0) - before.get("VmRSS", 0)) if after else None,
        "target_latency_ratio": 2.0,
    }
    for op in ("read", "append"):
        was, now = percentiles(baseline[op]), percentiles(during[op])
        result[f"{op}_before_ms"], result[f"{op}_during_ms"] = was, now
        for stat in ("p50", "p99"):
            result[f"{op}_{stat}_ratio"] = round(now[stat] / was[stat], 3)
    return result


async def _live_load(
    store: ConversationStore,
    live: Sequence[str],
    *,
    duration: float | None = None,
    until: asyncio.Event | None = None,
) -> dict[str, list[float]]:
    """Latest-20 reads and one-item appends on live sessions, one after the other."""
    latencies: dict[str, list[float]] = {"read": [], "append": []}
    end = None if duration is None else time.perf_counter() + duration
    n = 0
    item = items()[0]
    while True:
        if (end is not None and time.perf_counter() >= end) or (until and until.is_set()):
            return latencies
        sid = live[n % len(live)]
        n += 1
        t0 = time.perf_counter()
        await store.read(sid, limit=20)
        t1 = time.perf_counter()
        await store.append(sid, [item])
        t2 = time.perf_counter()
        latencies["read"].append((t1 - t0) * 1000)
        latencies["append"].append((t2 - t1) * 1000)
        await asyncio.sleep(0)


async def copies(backend: ScaleBackend, env: Env, scale: Scale) -> dict[str, Any]:
    """``fork`` of a ``fork_records``-record session; ``trim`` of one to ``trim_to`` (ms)."""
    store = backend.open(env, "copies", {})
    records = [item for _ in range(scale.fork_records // 4) for item in turn(0)]
    await store.append("source", records)
    forks: list[float] = []
    trims: list[float] = []
    for round_ in range(scale.rounds):
        started = time.perf_counter()
        await store.fork("source", f"fork{round_}")
        forks.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        removed = await store.trim(f"fork{round_}", keep_last=scale.trim_to)
        trims.append((time.perf_counter() - started) * 1000)
        assert removed == len(records) - scale.trim_to, removed
    await store.aclose()
    return {"records": len(records), "fork_ms": spread(forks), "trim_ms": spread(trims)}


async def storage(backend: ScaleBackend, env: Env, scale: Scale) -> dict[str, Any]:
    if backend.storage is None:
        return {"skipped": "no storage measurement for this backend yet"}
    return await backend.storage(env, scale)


PARTS: dict[str, Callable[[ScaleBackend, Env, Scale], Awaitable[dict[str, Any]]]] = {
    "listing": listing,
    "purge": purge,
    "bytes": storage,
    "copies": copies,
}


# ---------------------------------------------------------------------- backends


BACKEND_MODULES = {"sqlite": "benchmarks.scale_sqlite"}
"""Backend name -> the module whose ``BACKEND`` is its :class:`ScaleBackend`."""


def _backend(name: str) -> ScaleBackend:
    backend: ScaleBackend = importlib.import_module(BACKEND_MODULES[name]).BACKEND
    return backend


# ---------------------------------------------------------------------- command line


def verdicts(results: dict[str, Any]) -> list[str]:
    """One line per target: met or missed."""
    lines = []
    for variant, row in results.get("listing", {}).items():
        ok = row["ratio"] <= row["target"]
        lines.append(f"listing ({variant}): {row['ratio']}x <= 2x: {'met' if ok else 'MISSED'}")
    for scenario, row in results.get("purge", {}).items():
        for op in ("read", "append"):
            for stat in ("p50", "p99"):
                ratio = row[f"{op}_{stat}_ratio"]
                ok = ratio <= row["target_latency_ratio"]
                lines.append(
                    f"live {op} {stat} during purge ({scenario}): {ratio}x <= 2x: "
                    f"{'met' if ok else 'MISSED'} (longest {row[f'{op}_during_ms']['max']} ms)"
                )
    return lines


async def run(backend_name: str, scale: Scale, parts: Sequence[str]) -> dict[str, Any]:
    backend = _backend(backend_name)
    env = Env()
    results: dict[str, Any] = {"backend": backend_name, "scale": asdict(scale)}
    try:
        for part in parts:
            print(f"== {backend_name} {part}", flush=True)
            results[part] = await PARTS[part](backend, env, scale)
            print(json.dumps(results[part], indent=1), flush=True)
    finally:
        await env.aclose()
    results["verdicts"] = verdicts(results)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__)
    parser.add_argument("--backend", required=True, choices=sorted(BACKEND_MODULES))
    parser.add_argument("--quick", action="store_true", help="smaller sizes (shared machines)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: the harness works")
    parser.add_argument("--only", action="append", choices=sorted(PARTS), default=[])
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument("--large", type=int, help="override the large listing size")
    parser.add_argument("--expired", type=int, help="override the expired-session count")
    args = parser.parse_args(argv)
    scale = SMOKE if args.smoke else QUICK if args.quick else FULL
    if args.large:
        scale = replace(scale, large=args.large)
    if args.expired:
        scale = replace(scale, expired=args.expired)
    results = asyncio.run(run(args.backend, scale, args.only or list(PARTS)))
    results["mode"] = "smoke" if args.smoke else "quick" if args.quick else "full"
    if args.smoke:
        results["verdicts"] = ["(smoke run: sizes too small for verdicts)"]
    print("\n".join(results["verdicts"]))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
