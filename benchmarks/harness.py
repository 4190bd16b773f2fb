"""Timing: alternating rounds, per-operation latencies and their statistics.

Every implementation of a workload runs one *slice* (a few operations) in turn, and the rounds
repeat with a rotated order, so slow drift (CPU frequency, server caches, other load) hits every
implementation equally instead of whichever happened to run last. Each round's slice is kept
(:attr:`Samples.rounds`), so a comparison is made round by round and its verdict is the median
of the per-round ratios with their spread (``benchmarks.stats``).
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Config:
    """How much to measure. ``QUICK`` is a CI smoke run; ``FULL`` measures properly."""

    rounds: int
    ops_per_slice: int
    big_session: int = 10_000
    small_session: int = 10
    equal_session: int = 20
    """A session as long as the read limit: same result size as the big one."""
    full_read: int = 1_000
    writers: int = 16
    writes_per_writer: int = 20
    strands_messages: int = 1_000
    restores_per_slice: int = 1
    count_ops: int = 20
    warmup: bool = True
    slice_budget_s: float = 3.0
    """A slice stops early (after at least one operation) once it took this long, so slow
    servers (moto) bound the run time while still alternating with everything else."""


QUICK = Config(
    rounds=3,
    ops_per_slice=10,
    writes_per_writer=3,
    strands_messages=300,
    restores_per_slice=1,
    count_ops=10,
    slice_budget_s=1.0,
)
SMOKE = Config(
    rounds=3,
    ops_per_slice=3,
    big_session=120,
    small_session=10,
    equal_session=20,
    full_read=40,
    writers=4,
    writes_per_writer=3,
    count_ops=2,
)
"""A seconds-long run that checks the harness itself works (the test suite runs it)."""
FULL = Config(rounds=8, ops_per_slice=100, writes_per_writer=25, restores_per_slice=2, count_ops=50)


@dataclass
class SliceResult:
    """What one slice measured: per-operation latencies (s) and wall time of the slice (s)."""

    latencies: list[float] = field(default_factory=list)
    ops: int = 0
    elapsed: float = 0.0
    lost: int | None = None
    duplicated: int | None = None


@dataclass
class Samples:
    """Every slice of one implementation on one workload: merged, and one per round."""

    latencies: list[float] = field(default_factory=list)
    ops: int = 0
    elapsed: float = 0.0
    lost: int | None = None
    duplicated: int | None = None
    rounds: list[SliceResult] = field(default_factory=list)
    """The slice of each recorded round, in round order (warm-up excluded)."""

    def add(self, result: SliceResult) -> None:
        self.rounds.append(result)
        self.latencies.extend(result.latencies)
        self.ops += result.ops
        self.elapsed += result.elapsed
        if result.lost is not None:
            self.lost = (self.lost or 0) + result.lost
        if result.duplicated is not None:
            self.duplicated = (self.duplicated or 0) + result.duplicated

    @property
    def ops_per_s(self) -> float | None:
        return self.ops / self.elapsed if self.elapsed > 0 and self.ops else None

    @property
    def p50_ms(self) -> float | None:
        return percentile(self.latencies, 50) * 1000 if self.latencies else None

    @property
    def p99_ms(self) -> float | None:
        return percentile(self.latencies, 99) * 1000 if self.latencies else None

    @property
    def round_ops_per_s(self) -> list[float]:
        """Operations per second of each round's slice (NaN for a slice that did nothing)."""
        return [r.ops / r.elapsed if r.ops and r.elapsed > 0 else math.nan for r in self.rounds]

    @property
    def round_p50_ms(self) -> list[float]:
        """Median latency (ms) of each round's slice (NaN for a slice that did nothing)."""
        return [
            statistics.median(r.latencies) * 1000 if r.latencies else math.nan for r in self.rounds
        ]


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: with few samples p99 is the maximum)."""
    if not values:
        raise ValueError("no samples")
    if pct == 50:
        return statistics.median(values)
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


SliceFn = Callable[[int], Awaitable[SliceResult]]


async def alternate(slices: Mapping[K, SliceFn], config: Config) -> dict[K, Samples]:
    """Run every slice function once per round, rotating the order each round.

    With ``config.warmup`` one extra, unrecorded round runs first (connections, caches,
    prepared statements and script loads are warm before anything is timed). A slice function
    gets the round number (-1 for warm-up) so it can use fresh sessions per round.
    """
    keys = list(slices)
    samples: dict[K, Samples] = {key: Samples() for key in keys}
    # Imports and setup leave a large heap (the SDKs pull in pydantic, openai, botocore...);
    # freezing it keeps collections (ours between slices, and automatic ones inside slices)
    # from walking it again and again.
    gc.collect()
    gc.freeze()
    try:
        if config.warmup:
            for key in keys:
                await slices[key](-1)
        for round_index in range(config.rounds):
            shift = round_index % len(keys) if keys else 0
            for key in keys[shift:] + keys[:shift]:
                gc.collect()
                samples[key].add(await slices[key](round_index))
    finally:
        gc.unfreeze()
    return samples


async def timed_ops(
    count: int, op: Callable[[int], Awaitable[object]], budget_s: float = math.inf
) -> SliceResult:
    """Run ``op(i)`` for i in range(count) one after another, timing each; stop early once
    ``budget_s`` seconds passed (at least one operation always runs)."""
    result = SliceResult()
    clock = time.perf_counter
    start = clock()
    for i in range(count):
        t0 = clock()
        await op(i)
        result.latencies.append(clock() - t0)
        if clock() - start > budget_s:
            break
    result.elapsed = clock() - start
    result.ops = len(result.latencies)
    return result
