"""DynamoDB at scale (python -m benchmarks.scale_dynamodb): listing among 100,000 sessions, purging
50,000 expired ones, and the cost of a turn.

Three measurements, each through the public store API (``open_store`` URLs), with the parts
that differ per backend in one :class:`ScaleBackend` per backend in :data:`BACKENDS` (how to
start a server, how to seed many sessions fast, how to price a turn):

* **listing**: one page of 100 (``list_sessions(limit=100)``, the first page and a page by
  prefix) among ``small`` sessions vs among ``large`` ones; the verdict is the ratio of the
  medians (target: at most 2x), over interleaved rounds with their spread;
* **purge**: ``purge_expired()`` of ``expired`` sessions (3 records each) beside ``live`` ones,
  while live turns (latest-20 read + 2-item append) keep running: its time, the exact count,
  this process's peak memory during it (tracemalloc), and the live turns' latency during the
  purge vs before it (target: p50 within 2x);
* **turn**: requests and, where the backend prices them, capacity per turn (DynamoDB: write
  and read capacity units, computed from the item sizes of the requests by DynamoDB's rules).

Run::

    python -m benchmarks.scale_dynamodb --backend dynamodb          # 1,000 vs 100,000; purge 50,000
    python -m benchmarks.scale_dynamodb --backend dynamodb --quick  # 1,000 vs 10,000; purge 2,000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
import tracemalloc
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sessions_plus import ConversationStore, open_store

PAGE = 100
ROUNDS = 3
REPEATS = 15
TURN_ITEMS = [{"role": "user", "content": "x" * 200}, {"role": "assistant", "content": "y" * 400}]


def session_id(n: int) -> str:
    return f"user:{n:06d}:chat"


PREFIX = "user:0005"
"""Matches sessions 500..599: a full page of 100 in both the small and the large set."""


@dataclass
class ScaleBackend:
    """The backend-specific parts of the scale benchmark."""

    server: Callable[[], contextlib.AbstractContextManager[Callable[..., str]]]
    """Starts what the backend needs; yields ``url(namespace, **options)``."""
    seed: Callable[[ConversationStore, list[str], bool], Awaitable[None]]
    """Write sessions with these ids fast (expired ones if the flag is set, 3 records each)."""
    turn_cost: Callable[[ConversationStore], Awaitable[dict[str, float]]] | None = None
    """Per-turn server cost beyond request counts (e.g. DynamoDB capacity units)."""


# ---------------------------------------------------------------------- generic measurements


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, len(ordered) * 99 // 100)],
        "n": len(ordered),
    }


async def _time_page(store: ConversationStore, prefix: str) -> float:
    started = time.perf_counter()
    page = await store.list_sessions(limit=PAGE, prefix=prefix)
    elapsed = time.perf_counter() - started
    assert len(page.sessions) == PAGE, f"expected a full page, got {len(page.sessions)}"
    return elapsed


async def listing(backend: ScaleBackend, url: Callable[..., str], small: int, large: int) -> Any:
    stores = {}
    for name, count in (("small", small), ("large", large)):
        store = open_store(url(f"scale-{name}-{uuid.uuid4().hex[:6]}"))
        started = time.perf_counter()
        await backend.seed(store, [session_id(n) for n in range(count)], False)
        print(f"  seeded {count} sessions in {time.perf_counter() - started:.1f} s", flush=True)
        stores[name] = store
    result: dict[str, Any] = {"small": small, "large": large}
    for prefix, label in (("", "first_page"), (PREFIX, "prefix_page")):
        medians: dict[str, list[float]] = {"small": [], "large": []}
        for _ in range(ROUNDS):  # interleaved rounds
            for name, store in stores.items():
                await _time_page(store, prefix)  # warm
                times = [await _time_page(store, prefix) for _ in range(REPEATS)]
                medians[name].append(statistics.median(times))
        ratios = [lg / sm for lg, sm in zip(medians["large"], medians["small"], strict=True)]
        result[label] = {
            "small_ms": [round(1000 * m, 2) for m in medians["small"]],
            "large_ms": [round(1000 * m, 2) for m in medians["large"]],
            "ratio": round(statistics.median(ratios), 2),
            "ratio_spread": [round(min(ratios), 2), round(max(ratios), 2)],
            "ok": statistics.median(ratios) <= 2.0,
        }
    for store in stores.values():
        await store.aclose()
    return result


async def _turns(store: ConversationStore, ids: list[str], stop: asyncio.Event) -> list[float]:
    """Latest-20 read + 2-item append, round robin over ``ids``, until ``stop``."""
    latencies: list[float] = []
    n = 0
    while not stop.is_set():
        sid = ids[n % len(ids)]
        n += 1
        started = time.perf_counter()
        await store.read(sid, limit=20)
        await store.append(sid, TURN_ITEMS)
        latencies.append(time.perf_counter() - started)
    return latencies


async def purge(backend: ScaleBackend, url: Callable[..., str], expired: int, live: int) -> Any:
    namespace = f"scale-purge-{uuid.uuid4().hex[:6]}"
    store = open_store(url(namespace, ttl=3600))
    started = time.perf_counter()
    await backend.seed(store, [f"old:{n:06d}" for n in range(expired)], True)
    live_ids = [f"live:{n:04d}" for n in range(live)]
    await backend.seed(store, live_ids, False)
    print(f"  seeded {expired} + {live} sessions in {time.perf_counter() - started:.1f} s")
    traffic = open_store(url(namespace, ttl=3600))

    stop = asyncio.Event()
    baseline_task = asyncio.create_task(_turns(traffic, live_ids, stop))
    await asyncio.sleep(5.0)
    stop.set()
    baseline = await baseline_task

    stop = asyncio.Event()
    during_task = asyncio.create_task(_turns(traffic, live_ids, stop))
    tracemalloc.start()
    started = time.perf_counter()
    purged = await store.purge_expired()
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    stop.set()
    during = await during_task
    again = await store.purge_expired()
    before, while_ = _summary(baseline), _summary(during)
    await store.aclose()
    await traffic.aclose()
    return {
        "expired": expired,
        "live": live,
        "purged": purged,
        "exact": purged == expired and again == 0,
        "seconds": round(seconds, 2),
        "sessions_per_s": round(purged / seconds, 1) if seconds else None,
        "client_peak_mb": round(peak / 2**20, 1),
        "live_turn_before": before,
        "live_turn_during": while_,
        "live_p50_ratio": round(while_["median_ms"] / before["median_ms"], 2),
        "ok": purged == expired and again == 0 and while_["median_ms"] <= 2 * before["median_ms"],
    }


async def turn_cost(backend: ScaleBackend, url: Callable[..., str]) -> Any:
    store = open_store(url(f"scale-turn-{uuid.uuid4().hex[:6]}", ttl=3600))
    for _ in range(5):  # a conversation with some history
        await store.append("turn", TURN_ITEMS)
    result = {} if backend.turn_cost is None else await backend.turn_cost(store)
    await store.aclose()
    return result


async def run(
    backend_name: str, *, quick: bool, large: int | None = None, expired: int | None = None
) -> dict[str, Any]:
    backend = BACKENDS[backend_name]
    small = 1_000
    large = large or (10_000 if quick else 100_000)
    expired = expired or (2_000 if quick else 50_000)
    live = 20 if quick else 50
    out: dict[str, Any] = {"backend": backend_name, "quick": quick}
    with backend.server() as url:
        print("listing ...", flush=True)
        out["listing"] = await listing(backend, url, small, large)
        print("turn cost ...", flush=True)
        out["turn"] = await turn_cost(backend, url)
    with backend.server() as url:  # a fresh server: the listing's sessions are gone
        print("purge ...", flush=True)
        out["purge"] = await purge(backend, url, expired, live)
    return out


# ---------------------------------------------------------------------- DynamoDB


@contextlib.contextmanager
def _dynamodb_server() -> Iterator[Callable[..., str]]:
    from integrations.dynamodb.server import REGION, DynamoDBServer, set_dummy_credentials

    set_dummy_credentials()
    with DynamoDBServer() as server:

        def url(namespace: str, **options: Any) -> str:
            query = "".join(f"&{k}={v}" for k, v in options.items())
            return (
                f"dynamodb://{namespace}?region={REGION}&endpoint_url={server.endpoint_url}{query}"
            )

        yield url


async def _dynamodb_seed(store: ConversationStore, ids: list[str], expired: bool) -> None:
    """Meta and record items written with BatchWriteItem (25 per request), as the store lays
    them out; listing sessions get a meta item only (a listing reads nothing else)."""
    from sessions_plus.backends.dynamodb import DynamoDBStore
    from sessions_plus.backends.dynamodb.items import pack, record_item
    from sessions_plus.backends.dynamodb.keys import log_pk, new_gen, new_token, sort_key
    from sessions_plus.backends.dynamodb.meta import Meta, StreamState

    assert isinstance(store, DynamoDBStore)
    await store.get_client()  # the table
    table = store._table
    now = time.time()
    ttl = store.ttl
    requests: list[dict[str, Any]] = []
    for sid in ids:
        created = now - 7200 if expired else now
        expires = (created + 60) if expired else (None if ttl is None else now + ttl)
        gen = new_gen()
        records = 3 if expired else 0
        meta = Meta(
            session_id=sid,
            incarnation=new_token(),
            version=1,
            created_at=created,
            updated_at=created,
            expires_at=expires,
            horizon=None if expires is None else expires + (ttl or 0),
            streams={"main": StreamState(gen, records)} if records else {},
        )
        requests.append({"PutRequest": {"Item": meta.to_item(ttl)}})
        for seq in range(1, records + 1):
            item = record_item(
                log_pk(sid, "main"),
                sort_key(gen, seq),
                incarnation=meta.incarnation,
                write_id=new_token(),
                created_at=created,
                session_expires=expires,
                expiration=None,
                packed=pack(json.dumps(TURN_ITEMS[seq % 2]).encode()),
            )
            requests.append({"PutRequest": {"Item": item}})
    limit = asyncio.Semaphore(4)

    async def write(group: list[dict[str, Any]]) -> None:
        async with limit:
            await table.batch_write(group)

    step = 25 * 20
    await asyncio.gather(*(write(requests[i : i + step]) for i in range(0, len(requests), step)))


async def _dynamodb_turn_cost(store: ConversationStore) -> dict[str, float]:
    """Requests, WCU and RCU of one turn (latest-20 read + 2-item append), by DynamoDB's
    rules: a write costs 1 WCU per KB of item (2 in a transaction), a strongly consistent read
    1 RCU per 4 KB read (a Query sums its items first); projections do not lower the cost."""
    from sessions_plus.backends.dynamodb import DynamoDBStore

    assert isinstance(store, DynamoDBStore)
    client = await store.get_client()
    meter = _CapacityMeter(store)
    client.meta.events.register("before-parameter-build.dynamodb", meter.before)
    client.meta.events.register("after-call.dynamodb", meter.after)
    turns = 20
    for _ in range(turns):
        await store.read("turn", limit=20)
        await store.append("turn", TURN_ITEMS)
    client.meta.events.unregister("before-parameter-build.dynamodb", meter.before)
    client.meta.events.unregister("after-call.dynamodb", meter.after)
    return {
        "requests_per_turn": meter.requests / turns,
        "wcu_per_turn": round(meter.wcu / turns, 2),
        "rcu_per_turn": round(meter.rcu / turns, 2),
        "index_wcu_per_turn": round(meter.index_wcu / turns, 2),
        "by_operation": {k: v / turns for k, v in sorted(meter.operations.items())},
    }


class _CapacityMeter:
    """Prices requests from the item sizes it sees written (and the sizes of items read)."""

    def __init__(self, store: Any) -> None:
        self.sizes: dict[tuple[str, str], int] = {}
        self.requests = 0
        self.wcu = 0.0
        self.rcu = 0.0
        self.index_wcu = 0.0
        self.operations: dict[str, int] = {}
        self._pending: list[tuple[str, dict[str, Any]]] = []
        self._index_keys: dict[str, tuple[Any, ...]] = {}

    def before(self, model: Any, params: dict[str, Any], **kwargs: Any) -> None:
        self.requests += 1
        self.operations[model.name] = self.operations.get(model.name, 0) + 1
        self._pending.append((model.name, params))
        if model.name == "TransactWriteItems":
            for action in params["TransactItems"]:
                ((kind, body),) = action.items()
                item = body.get("Item") or body.get("Key")
                size = _item_size(item) if kind == "Put" else self._size_of(item)
                self.wcu += 2 * -(-size // 1024)
                if kind == "Put":
                    self._remember(item, size)

    def after(self, model: Any, parsed: dict[str, Any], **kwargs: Any) -> None:
        name, params = self._pending.pop(0) if self._pending else (model.name, {})
        if name == "Query" and ":p" in params.get("ExpressionAttributeValues", {}):
            pk = params["ExpressionAttributeValues"][":p"]["S"]
            total = sum(self.sizes.get((pk, i["sk"]["N"]), 1024) for i in parsed.get("Items", []))
            self.rcu += max(1, -(-total // 4096))
        elif name == "GetItem":
            self.rcu += max(1, -(-self._size_of(params["Key"]) // 4096))
        elif name == "BatchGetItem":
            for request in params["RequestItems"].values():
                self.rcu += sum(max(1, -(-self._size_of(k) // 4096)) for k in request["Keys"])

    def _size_of(self, key: dict[str, Any]) -> int:
        return self.sizes.get((key["pk"]["S"], key["sk"]["N"]), 1024)

    def _remember(self, item: dict[str, Any], size: int) -> None:
        pk = item["pk"]["S"]
        self.sizes[(pk, item["sk"]["N"])] = size
        if pk.startswith("M"):  # a meta item: its index entries change only with their keys
            keys = tuple(item.get(a, {}).get("S") or item.get(a, {}).get("N") for a in ("xp", "xk"))
            if self._index_keys.get(pk) not in (None, keys):
                self.index_wcu += 2  # the old expiry entry deleted, the new one written
            self._index_keys[pk] = keys


def _item_size(value: Any) -> int:
    """DynamoDB's size of an item: attribute names plus values."""
    return sum(len(name.encode()) + _value_size(v) for name, v in value.items())


def _value_size(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return (len(inner.strip("-").replace(".", "").lstrip("0")) + 1) // 2 + 1
    if kind == "B":
        return len(inner)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + _value_size(v) for k, v in inner.items())
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in inner)
    return 1


BACKENDS: dict[str, ScaleBackend] = {
    "dynamodb": ScaleBackend(_dynamodb_server, _dynamodb_seed, _dynamodb_turn_cost),
}


# ---------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.scale_dynamodb", description=__doc__
    )
    parser.add_argument("--backend", required=True, choices=sorted(BACKENDS))
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--json", type=Path, help="write the result as JSON here")
    parser.add_argument("--sessions", type=int, help="the large set (default 100,000)")
    parser.add_argument("--expired", type=int, help="sessions to purge (default 50,000)")
    args = parser.parse_args(argv)
    result = asyncio.run(
        run(args.backend, quick=args.quick, large=args.sessions, expired=args.expired)
    )
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0 if result["listing"]["prefix_page"]["ok"] and result["purge"]["exact"] else 1


if __name__ == "__main__":
    sys.exit(main())
