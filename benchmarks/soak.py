"""Contention soak: many processes appending to one session, with pops and reads interleaved.

Each of ``writers`` processes (spawned, so nothing is shared but the store) appends ``appends``
records ``{"w": writer, "i": i}`` one call at a time to stream ``main`` of one session. Every
fifth append it also appends two records to a ``scratch`` stream and pops one (possibly
another writer's), and every seventh it reads the latest records and checks they are
consecutive. Then the parent checks, exactly:

* ``main`` holds ``writers x appends`` records, seqs exactly ``1..n``, none lost or duplicated,
  and each writer's records in the order it wrote them;
* every record ever appended to ``scratch`` is either among those popped or still there, exactly
  once (nothing lost or duplicated by the pops).

A ``ConflictError`` (a conditional write that lost the race past the store's own retries;
nothing written) is retried by the writer and counted; any other error fails the run.

Run longer than the CI form in ``tests/reliability/``::

    python -m benchmarks.soak --writers 8 --appends 500                # SQLite file
    python -m benchmarks.soak --backend redis --writers 8 --appends 500
    python -m benchmarks.soak --url "redis://127.0.0.1:6379/0" --encrypted

``--backend redis|redis-cluster|dynamodb`` starts a local server from ``integrations/``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import queue
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

SCRATCH_EVERY = 5
READ_EVERY = 7
READ_LIMIT = 10
PAGE = 500
WRITER_TIMEOUT = 600.0


@dataclass
class WriterStats:
    """What one writer process did."""

    writer: int
    appended: int = 0
    conflicts_retried: int = 0
    scratch_appended: list[list[int]] = field(default_factory=list)
    popped: list[list[int]] = field(default_factory=list)
    reads: int = 0
    read_errors: list[str] = field(default_factory=list)
    error: str | None = None
    latencies: list[float] = field(default_factory=list)
    """Seconds each ``main`` append took, conflict retries included."""


@dataclass
class SoakResult:
    """The exact accounting of one soak run; ``ok`` when nothing was lost or duplicated."""

    label: str
    writers: int
    appends: int
    records: int = 0
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    seq_gaps: bool = False
    scratch_appended: int = 0
    scratch_popped: int = 0
    scratch_left: int = 0
    scratch_lost: int = 0
    scratch_duplicated: int = 0
    conflicts_retried: int = 0
    reads: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    append_p50_ms: float = 0.0
    append_p99_ms: float = 0.0
    append_max_ms: float = 0.0

    @property
    def expected(self) -> int:
        return self.writers * self.appends

    @property
    def ok(self) -> bool:
        return (
            not self.errors
            and self.records == self.expected
            and self.lost == 0
            and self.duplicated == 0
            and self.out_of_order == 0
            and not self.seq_gaps
            and self.scratch_lost == 0
            and self.scratch_duplicated == 0
        )

    def summary(self) -> str:
        status = "OK" if self.ok else "FAILED"
        return (
            f"{self.label}: {status} {self.writers} writers x {self.appends} appends -> "
            f"{self.records} records (expected {self.expected}), lost {self.lost}, "
            f"duplicated {self.duplicated}, out of order {self.out_of_order}, "
            f"gap-free {not self.seq_gaps}; scratch {self.scratch_appended} appended, "
            f"{self.scratch_popped} popped, {self.scratch_left} left, lost {self.scratch_lost}, "
            f"duplicated {self.scratch_duplicated}; {self.reads} reads, "
            f"{self.conflicts_retried} conflicts retried; append latency p50 "
            f"{self.append_p50_ms:.1f} ms, p99 {self.append_p99_ms:.1f} ms, max "
            f"{self.append_max_ms:.1f} ms; {self.seconds:.1f} s"
            + (f"; errors: {self.errors}" if self.errors else "")
        )


def _open(url: str, keys: list[tuple[str, bytes]] | None) -> Any:
    from sessions_plus import EncryptedStore, open_store

    store = open_store(url)
    return EncryptedStore(store, keys=keys) if keys else store


async def _writer(
    url: str,
    session: str,
    appends: int,
    keys: list[tuple[str, bytes]] | None,
    stats: WriterStats,
) -> None:
    from sessions_plus import ConflictError

    async def retrying(make: Any) -> Any:
        while True:
            try:
                return await make()
            except ConflictError:  # nothing was written: safe to retry
                stats.conflicts_retried += 1

    writer = stats.writer
    async with _open(url, keys) as store:
        for i in range(appends):
            started = time.perf_counter()
            await retrying(partial(store.append, session, [{"w": writer, "i": i}]))
            stats.latencies.append(time.perf_counter() - started)
            stats.appended += 1
            if i % SCRATCH_EVERY == SCRATCH_EVERY - 1:
                pair = [[writer, i, 0], [writer, i, 1]]
                await retrying(partial(store.append, session, pair, stream="scratch"))
                stats.scratch_appended.extend(pair)
                popped = await retrying(partial(store.pop, session, stream="scratch"))
                if popped is not None:
                    stats.popped.append(popped.data)
            if i % READ_EVERY == READ_EVERY - 1:
                records = await store.read(session, limit=READ_LIMIT)
                seqs = [r.seq for r in records]
                if not seqs or seqs != list(range(seqs[0], seqs[0] + len(seqs))):
                    stats.read_errors.append(f"latest read not consecutive: {seqs}")
                stats.reads += 1


def _child(
    url: str,
    session: str,
    writer: int,
    appends: int,
    keys: list[tuple[str, bytes]] | None,
    barrier: Any,
    results: Any,
) -> None:
    stats = WriterStats(writer)
    try:
        barrier.wait(timeout=120)
        asyncio.run(_writer(url, session, appends, keys, stats))
    except BaseException:
        stats.error = traceback.format_exc(limit=8)  # what it did so far is still reported
    results.put(asdict(stats))


async def _read_all(url: str, session: str, stream: str, keys: Any) -> list[Any]:
    records: list[Any] = []
    async with _open(url, keys) as store:
        while True:
            page = await store.read(
                session, stream=stream, after=len(records), limit=PAGE, keep="earliest"
            )
            records.extend(page)
            if len(page) < PAGE:
                return records


def run_soak(
    url: str,
    *,
    writers: int = 8,
    appends: int = 500,
    keys: list[tuple[str, bytes]] | None = None,
    label: str | None = None,
    session: str | None = None,
) -> SoakResult:
    """Run one soak against ``url`` (an ``open_store`` URL other processes can open)."""
    session = session or f"soak-{uuid.uuid4().hex}"
    result = SoakResult(label or url.split("?")[0], writers, appends)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(writers)
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=_child,
            args=(url, session, w, appends, keys, barrier, results),
            name=f"soak-writer-{w}",
        )
        for w in range(writers)
    ]
    started = time.perf_counter()
    for proc in procs:
        proc.start()
    stats: list[WriterStats] = []
    try:
        deadline = time.monotonic() + WRITER_TIMEOUT
        while len(stats) < writers:
            try:
                raw = results.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                result.errors.append(f"only {len(stats)} of {writers} writers finished in time")
                break
            stats.append(WriterStats(**raw))
    finally:
        for proc in procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
                proc.join()
    result.seconds = time.perf_counter() - started
    for s in stats:
        if s.error:
            result.errors.append(f"writer {s.writer}: {s.error}")
        result.errors.extend(f"writer {s.writer}: {e}" for e in s.read_errors)
        result.conflicts_retried += s.conflicts_retried
        result.reads += s.reads
    latencies = sorted(x for s in stats for x in s.latencies)
    if latencies:
        result.append_p50_ms = 1000 * latencies[len(latencies) // 2]
        result.append_p99_ms = 1000 * latencies[min(len(latencies) - 1, len(latencies) * 99 // 100)]
        result.append_max_ms = 1000 * latencies[-1]

    main = asyncio.run(_read_all(url, session, "main", keys))
    scratch = asyncio.run(_read_all(url, session, "scratch", keys))
    _account_main(result, stats, main)
    _account_scratch(result, stats, scratch)
    return result


def _account_main(result: SoakResult, stats: list[WriterStats], records: list[Any]) -> None:
    result.records = len(records)
    result.seq_gaps = [r.seq for r in records] != list(range(1, len(records) + 1))
    seen: set[tuple[int, int]] = set()
    last_i: dict[int, int] = {}
    for record in records:
        key = (record.data["w"], record.data["i"])
        if key in seen:
            result.duplicated += 1
            continue
        seen.add(key)
        if last_i.get(key[0], -1) >= key[1]:
            result.out_of_order += 1
        last_i[key[0]] = key[1]
    # Lost = acknowledged by the store but not there (a writer that failed stops early; that
    # is reported as an error, not as lost records).
    acknowledged = {(s.writer, i) for s in stats for i in range(s.appended)}
    result.lost = len(acknowledged - seen)


def _account_scratch(result: SoakResult, stats: list[WriterStats], records: list[Any]) -> None:
    appended = [tuple(item) for s in stats for item in s.scratch_appended]
    found = [tuple(item) for s in stats for item in s.popped] + [tuple(r.data) for r in records]
    result.scratch_appended = len(appended)
    result.scratch_popped = sum(len(s.popped) for s in stats)
    result.scratch_left = len(records)
    result.scratch_duplicated = len(found) - len(set(found))
    result.scratch_lost = len(set(appended) - set(found))
    if [r.seq for r in records] != list(range(1, len(records) + 1)):
        result.seq_gaps = True


# ---------------------------------------------------------------------- command line


@contextlib.contextmanager
def _server_url(backend: str) -> Iterator[str]:
    """An ``open_store`` URL for ``backend``, starting a local server where one is needed."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'soak.db'}"
    elif backend in ("redis", "redis-cluster"):
        from integrations.redis.servers import RedisCluster, RedisServer

        server = RedisServer() if backend == "redis" else RedisCluster()
        with server:
            yield server.url
    elif backend == "dynamodb":
        from integrations.dynamodb.server import REGION, DynamoDBServer, set_dummy_credentials

        set_dummy_credentials()  # inherited by the writer processes
        with DynamoDBServer() as server:
            yield f"dynamodb://soak-{uuid.uuid4().hex[:8]}?region={REGION}&endpoint_url={server.endpoint_url}"
    else:
        raise SystemExit(f"unknown --backend {backend!r}; pass --url instead")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--appends", type=int, default=500, help="appends per writer")
    parser.add_argument(
        "--backend", default="sqlite", help="sqlite, redis, redis-cluster, dynamodb"
    )
    parser.add_argument("--url", help="an open_store URL (overrides --backend)")
    parser.add_argument("--encrypted", action="store_true", help="wrap in EncryptedStore")
    parser.add_argument("--json", type=Path, help="write the result as JSON here")
    args = parser.parse_args(argv)
    keys = None
    if args.encrypted:
        from sessions_plus import EncryptedStore

        keys = [("soak", EncryptedStore.generate_key())]
    with contextlib.ExitStack() as stack:
        url = args.url or stack.enter_context(_server_url(args.backend))
        label = (args.url and args.url.split("?")[0]) or args.backend
        label += " (encrypted)" if keys else ""
        result = run_soak(url, writers=args.writers, appends=args.appends, keys=keys, label=label)
    print(result.summary())
    if args.json:
        args.json.write_text(json.dumps(asdict(result) | {"ok": result.ok}, indent=2) + "\n")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
