"""``python -m benchmarks.migrate``: how fast ``migrate`` copies whole stores (sessions/s).

Fills a source store with N sessions (each a few records on two streams and a document), then
times ``sessions_plus.migrate.migrate`` into a fresh target: a first copy, a resumed run over
the finished target (every session compared and skipped) and a verified copy. Pairs are
``SRC>DST`` of ``memory``, ``sqlite``, ``redis``, ``redis-cluster`` and ``dynamodb`` (moto
over HTTP, one request at a time: its numbers say more about moto than about DynamoDB).
Servers come from ``integrations/`` on loopback.

    python -m benchmarks.migrate                  # 10,000 sessions, the default pairs
    python -m benchmarks.migrate --quick               # 500 sessions
    python -m benchmarks.migrate --pairs 'sqlite>dynamodb' --sessions 2000
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sessions_plus import ConversationStore, open_store
from sessions_plus.migrate import migrate

from .env import Env

DEFAULT_PAIRS = "sqlite>sqlite,sqlite>redis,redis>sqlite"


@dataclass
class Row:
    pair: str
    sessions: int
    records: int
    workers: int
    fill_s: float
    copy_s: float
    resume_s: float
    verify_s: float

    def line(self) -> str:
        def rate(seconds: float) -> str:
            return f"{self.sessions / seconds:,.0f}" if seconds else "—"

        return (
            f"| {self.pair} | {self.sessions:,} | {self.records:,} | {self.workers} | "
            f"{rate(self.copy_s)} | {rate(self.resume_s)} | {rate(self.verify_s)} | "
            f"{self.copy_s:.1f} s |"
        )


HEADER = (
    "| source > target | sessions | records | workers | copy (sessions/s) | "
    "resume, all skipped (sessions/s) | copy + verify (sessions/s) | copy time |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|"
)


async def url_for(kind: str, env: Env) -> str:
    tag = uuid.uuid4().hex[:8]
    if kind == "memory":
        return "memory://"
    if kind == "sqlite":
        return f"sqlite:///{env.tmpdir / f'{tag}.db'}"
    if kind == "redis":
        return f"{env.redis_url}?key_prefix=mig{tag}"
    if kind == "redis-cluster":
        return f"{env.redis_cluster_url}?key_prefix=mig{tag}"
    if kind == "dynamodb":
        endpoint = await env.dynamodb_endpoint()
        return f"dynamodb://mig-{tag}?region={env.region}&endpoint_url={endpoint}"
    raise SystemExit(f"unknown store kind {kind!r}")


async def fill(store: ConversationStore, sessions: int, concurrency: int = 32) -> int:
    """N sessions of 6 records on two streams and one document; returns the record count."""
    sem = asyncio.Semaphore(concurrency)

    async def one(n: int) -> None:
        async with sem:
            sid = f"user-{n:06d}:chat"
            await store.append(
                sid,
                [
                    {"role": "user", "content": f"question {n}: " + "lorem ipsum " * 8},
                    {"role": "assistant", "content": "answer " * 20},
                    {"type": "function_call", "name": "lookup", "arguments": "{}", "call_id": "c"},
                    {"type": "function_call_output", "call_id": "c", "output": "ok"},
                ],
                format="openai.responses",
                author="assistant",
            )
            await store.append(
                sid,
                [{"message": {"role": "user", "content": [{"text": "hi"}]}}] * 2,
                stream="agent:helper",
                format="strands.message",
                author="helper",
            )
            await store.put_doc(sid, "agent:helper", {"state": {"n": n}})

    await asyncio.gather(*(one(n) for n in range(sessions)))
    return sessions * 6


async def run_pair(pair: str, sessions: int, workers: int, env: Env) -> Row:
    source_kind, target_kind = pair.split(">")
    async with open_store(await url_for(source_kind, env)) as source:
        started = time.perf_counter()
        records = await fill(source, sessions)
        fill_s = time.perf_counter() - started
        timings: list[float] = []
        async with open_store(await url_for(target_kind, env)) as target:
            for resume in (False, True):
                report = await migrate(source, target, workers=workers, resume=resume)
                assert report.ok and len(report.results) == sessions, report.to_json()
                timings.append(report.seconds)
        async with open_store(await url_for(target_kind, env)) as target:
            report = await migrate(source, target, workers=workers, verify=True)
            assert report.ok and len(report.mismatched) == 0
            timings.append(report.seconds)
    return Row(pair, sessions, records, workers, fill_s, *timings)


async def main_async(args: argparse.Namespace) -> None:
    env = Env()
    try:
        print(HEADER)
        for pair in [p.strip() for p in args.pairs.split(",") if p.strip()]:
            row = await run_pair(pair, args.sessions, args.workers, env)
            print(row.line(), flush=True)
    finally:
        await env.aclose()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.migrate", description=__doc__)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--pairs", default=DEFAULT_PAIRS, help="comma-separated SRC>DST")
    parser.add_argument("--quick", action="store_true", help="500 sessions")
    args = parser.parse_args(argv)
    if args.quick:
        args.sessions = min(args.sessions, 500)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
