"""``python -m benchmarks.cross_sdk [--quick]``: the cost of one conversation shared by two SDKs.

* **Latest-20 read** through the OpenAI adapter: ``StoreSession(shared=True).get_items(20)`` on
  a 1,000-record conversation written half by each SDK (alternating OpenAI and Strands turns of
  user text, a tool call, its result and an answer: the OpenAI records come back as stored, the
  Strands ones converted), vs ``StoreSession.get_items(20)`` on 1,000 native OpenAI items.
  Target: at most 1.5x, on SQLite and Redis. Every read after the first finds the records
  earlier reads converted remembered (:mod:`sessions_plus.conversation.memo`), as a worker
  re-reading its conversation each turn does; the "nothing remembered" row is a process's first
  read of a conversation (everything converted). Two more rows split the cost: the shared read of a
  conversation only the OpenAI SDK wrote (headers and rendering, no conversion), and the
  Strands view of the mixed conversation (``read_items`` for ``strands.message``).
* **A worker's loop**: before each read a new turn is appended to both conversations (the
  mixed one alternating SDKs), so every read finds the newest records not yet prepared, as a
  worker's read after a turn does; medians of the reads alone, the two reads taking turns.
  Reported beside the target, which is about reading a conversation of 1,000 records.
* **Conversion of one record**, in microseconds: each stored shape to neutral and on to the
  other SDK's shape.

Reads run in alternating rounds (every implementation takes turns, the order rotating), as in
``python -m benchmarks``; the servers come from ``integrations/`` on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import sys
import time
import timeit
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sessions_plus import ConversationStore, Record
from sessions_plus.conversation import (
    SHARED_STREAM,
    RenderOptions,
    get_format,
    memo,
    read_items,
)
from sessions_plus.conversation.render import to_unit

from .env import Env
from .harness import Config, Samples, alternate, timed_ops
from .implementations import Unavailable
from .payloads import turn as openai_turn
from .stats import paired_ratios, spread

OA, ST = "openai.responses", "strands.message"
RECORDS = 1_000
LIMIT = 20
TARGET_RATIO = 1.5

_TEXT = (
    "The quarterly report shows revenue up 12% with most growth from the new region; "
    "please summarise the risks and list three follow-up questions for the finance team."
)


def _payload(role: str, *blocks: dict[str, Any]) -> dict[str, Any]:
    stamp = "2025-01-01T00:00:00+00:00"
    return {
        "message": {"role": role, "content": list(blocks)},
        "redact_message": None,
        "created_at": stamp,
        "updated_at": stamp,
    }


def strands_turn(n: int) -> list[dict[str, Any]]:
    """One 4-message Strands turn as the adapter stores it: text, toolUse, toolResult, text."""
    tool_id = f"tooluse_{n:012d}"
    use = {"toolUseId": tool_id, "name": "lookup_figures", "input": {"quarter": "Q3"}}
    result = {"toolUseId": tool_id, "status": "success", "content": [{"text": "1200000"}]}
    return [
        _payload("user", {"text": f"[{n}] {_TEXT}"}),
        _payload("assistant", {"toolUse": use}),
        _payload("user", {"toolResult": result}),
        _payload("assistant", {"text": f"[{n}] {_TEXT}"}),
    ]


async def fill_mixed(store: ConversationStore, session_id: str, records: int) -> None:
    """Alternate 4-record turns of each SDK (one append per turn, as the adapters write)."""
    for n in range(records // 4):
        if n % 2 == 0:
            await store.append(
                session_id, openai_turn(n), stream=SHARED_STREAM, format=OA, author="triage"
            )
        else:
            await store.append(
                session_id, strands_turn(n), stream=SHARED_STREAM, format=ST, author="spec"
            )


async def fill_native(
    store: ConversationStore, session_id: str, records: int, stream: str = "main"
) -> None:
    for n in range(records // 4):
        await store.append(session_id, openai_turn(n), stream=stream, format=OA, author="triage")


@dataclass
class Row:
    backend: str
    name: str
    samples: Samples


async def _stores(env: Env, backends: Sequence[str]) -> dict[str, ConversationStore]:
    stores: dict[str, ConversationStore] = {}
    for backend in backends:
        try:
            if backend == "sqlite":
                from sessions_plus import SQLiteStore

                stores[backend] = SQLiteStore(str(env.tmpdir / "cross.db"))
            elif backend == "redis":
                from sessions_plus import RedisStore

                stores[backend] = RedisStore.from_url(env.redis_url, key_prefix="cross")
            elif backend == "memory":
                from sessions_plus import MemoryStore

                stores[backend] = MemoryStore()
        except Unavailable as exc:
            print(f"# {backend}: skipped ({exc})", file=sys.stderr)
    return stores


async def measure_reads(config: Config, backends: Sequence[str]) -> list[Row]:
    from sessions_plus.openai_agents import StoreSession

    env = Env()
    try:
        stores = await _stores(env, backends)
        slices: dict[tuple[str, str], Callable[[int], Awaitable[Any]]] = {}
        for backend, store in stores.items():
            for session_id in ("mixed", "native", "openai-only"):
                await store.delete(session_id)
            await fill_mixed(store, "mixed", RECORDS)
            await fill_native(store, "native", RECORDS)
            await fill_native(store, "openai-only", RECORDS, stream=SHARED_STREAM)
            native = StoreSession("native", store, author="triage")
            shared = StoreSession("mixed", store, shared=True, author="triage")
            alone = StoreSession("openai-only", store, shared=True, author="triage")
            slices[(backend, NATIVE)] = _slice(config, lambda i, s=native: s.get_items(LIMIT))
            slices[(backend, SHARED)] = _slice(config, lambda i, s=shared: s.get_items(LIMIT))
            slices[(backend, COLD)] = _slice(config, lambda i, s=shared: _cold(s))
            slices[(backend, "shared, written by OpenAI only: get_items(20)")] = _slice(
                config, lambda i, s=alone: s.get_items(LIMIT)
            )
            slices[(backend, "Strands view of the mixed one: read_items(limit=20)")] = _slice(
                config, lambda i, s=store: read_items(s, "mixed", ST, limit=LIMIT)
            )
        samples = await alternate(slices, config)
        for store in stores.values():
            await store.aclose()
    finally:
        await env.aclose()
    return [Row(backend, name, result) for (backend, name), result in samples.items()]


NATIVE = "native OpenAI items: StoreSession.get_items(20)"
COLD = "shared, nothing remembered (a process's first read): get_items(20)"


async def _cold(session: Any) -> Any:
    memo.clear()
    return await session.get_items(LIMIT)


SHARED = "shared, half by each SDK: StoreSession(shared=True).get_items(20)"


def _slice(config: Config, op: Callable[[int], Awaitable[Any]]) -> Callable[[int], Awaitable[Any]]:
    async def run(round_index: int) -> Any:
        return await timed_ops(config.ops_per_slice, op, config.slice_budget_s)

    return run


@dataclass
class Moving:
    backend: str
    native_ms: float
    shared_ms: float

    @property
    def ratio(self) -> float:
        return self.shared_ms / self.native_ms


async def measure_moving(turns: int, backends: Sequence[str]) -> list[Moving]:
    """A worker's loop: append a turn to each conversation, then read the latest 20 of each."""
    from sessions_plus.openai_agents import StoreSession

    env = Env()
    out: list[Moving] = []
    try:
        stores = await _stores(env, backends)
        for backend, store in stores.items():
            for session_id in ("moving-mixed", "moving-native"):
                await store.delete(session_id)
            await fill_mixed(store, "moving-mixed", RECORDS)
            await fill_native(store, "moving-native", RECORDS)
            native = StoreSession("moving-native", store, author="triage")
            shared = StoreSession("moving-mixed", store, shared=True, author="triage")
            times: dict[str, list[float]] = {"native": [], "shared": []}
            clock = time.perf_counter
            start = RECORDS // 4
            for n in range(start, start + turns):
                if n % 2 == 0:
                    batch, fmt, author = openai_turn(n), OA, "triage"
                else:
                    batch, fmt, author = strands_turn(n), ST, "spec"
                mixed = "moving-mixed"
                await store.append(mixed, batch, stream=SHARED_STREAM, format=fmt, author=author)
                await store.append("moving-native", openai_turn(n), format=OA, author="triage")
                order = [("native", native), ("shared", shared)]
                for name, session in order if n % 2 else order[::-1]:
                    t0 = clock()
                    await session.get_items(LIMIT)
                    times[name].append(clock() - t0)
            warm = turns // 10  # the first reads of the process convert everything
            out.append(
                Moving(
                    backend,
                    statistics.median(times["native"][warm:]) * 1e3,
                    statistics.median(times["shared"][warm:]) * 1e3,
                )
            )
            await store.aclose()
    finally:
        await env.aclose()
    return out


def conversion_us(number: int) -> dict[str, float]:
    """Microseconds to convert one stored record to the other SDK's item(s)."""
    options = RenderOptions()
    oa_fmt, st_fmt = get_format(OA), get_format(ST)
    oa_items = openai_turn(1)
    st_items = strands_turn(1)
    cases = {
        "OpenAI user text -> Strands": (oa_items[0], OA, st_fmt),
        "OpenAI assistant message -> Strands": (oa_items[3], OA, st_fmt),
        "OpenAI function_call -> Strands (text note)": (oa_items[1], OA, st_fmt),
        "Strands user text -> OpenAI": (st_items[0], ST, oa_fmt),
        "Strands assistant text -> OpenAI": (st_items[3], ST, oa_fmt),
        "Strands toolUse -> OpenAI (text note)": (st_items[1], ST, oa_fmt),
    }
    out: dict[str, float] = {}
    for name, (data, fmt, target) in cases.items():
        record = Record(1, data, 1_700_000_000.0, fmt, "agent")

        def convert(record: Record = record, target: Any = target) -> Any:
            unit = to_unit(record, target, options)
            assert unit.message is not None
            return target.from_neutral(unit.message)

        convert()
        seconds = min(timeit.repeat(convert, number=number, repeat=5)) / number
        out[name] = seconds * 1e6
    return out


def report_moving(moving: list[Moving]) -> str:
    lines = [
        "| backend | a new turn before each read | native p50 ms | shared p50 ms | x native |",
        "|---|---|--:|--:|--:|",
    ]
    lines += [
        f"| {m.backend} | half by each SDK | {m.native_ms:.3f} | {m.shared_ms:.3f} | "
        f"{m.ratio:.2f} |"
        for m in moving
    ]
    return "\n".join(lines)


def report(rows: list[Row], conversions: dict[str, float]) -> tuple[str, bool]:
    """The table; "x native" is the median over rounds of the read's p50 over the native
    read's p50 in the same round, with the interquartile range of those ratios."""
    lines = [
        "| backend | read | p50 ms | p99 ms | ops/s | x native (IQR) |",
        "|---|---|--:|--:|--:|--:|",
    ]
    ok = True
    native = {row.backend: row.samples for row in rows if row.name == NATIVE}
    for row in rows:
        p50, p99, rate = row.samples.p50_ms, row.samples.p99_ms, row.samples.ops_per_s
        base = native.get(row.backend)
        ratios = paired_ratios(row.samples.round_p50_ms, base.round_p50_ms) if base else []
        figure = spread(ratios) if ratios else None
        if figure is not None and row.name == SHARED and figure.median > TARGET_RATIO:
            ok = False
        shown = "" if figure is None else f"{figure.median:.2f} ({figure.q1:.2f}-{figure.q3:.2f})"
        lines.append(
            f"| {row.backend} | {row.name} | {p50 or 0:.3f} | {p99 or 0:.3f} | "
            f"{rate or 0:,.0f} | {shown} |"
        )
    lines += ["", "| conversion of one record | us |", "|---|--:|"]
    lines += [f"| {name} | {us:.1f} |" for name, us in conversions.items()]
    verdict = "met" if ok else "NOT met"
    lines += ["", f"Target: shared latest-20 read <= {TARGET_RATIO}x the native read: {verdict}."]
    return "\n".join(lines), ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cross_sdk", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run (a few seconds)")
    parser.add_argument(
        "--backend", action="append", choices=["sqlite", "redis", "memory"], default=[]
    )
    parser.add_argument("--json", metavar="PATH", help="write the numbers as JSON")
    args = parser.parse_args(argv)
    config = (
        Config(rounds=3, ops_per_slice=20, slice_budget_s=0.5)
        if args.quick
        else Config(rounds=8, ops_per_slice=200, slice_budget_s=3.0)
    )
    backends = args.backend or ["sqlite", "redis"]
    rows = asyncio.run(measure_reads(config, backends))
    moving = asyncio.run(measure_moving(40 if args.quick else 600, backends))
    conversions = conversion_us(200 if args.quick else 5_000)
    text, ok = report(rows, conversions)
    mode = "quick" if args.quick else "full"
    print(f"# Cross-SDK conversation ({mode} mode, {RECORDS:,} records, latest {LIMIT})\n")
    print(text)
    print()
    print(report_moving(moving))
    if args.json:
        data = {
            "module": "cross_sdk",
            "mode": mode,
            "reads": [
                {
                    "backend": r.backend,
                    "read": r.name,
                    "p50_ms": r.samples.p50_ms,
                    "rounds_p50_ms": [None if math.isnan(v) else v for v in r.samples.round_p50_ms],
                }
                for r in rows
            ],
            "conversion_us": conversions,
            "worker_loop": [
                {"backend": m.backend, "native_p50_ms": m.native_ms, "shared_p50_ms": m.shared_ms}
                for m in moving
            ],
            "target_met": ok,
        }
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
