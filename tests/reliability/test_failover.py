"""Failover: ``kill -9`` the master of a replicated Redis under 4 writers, twice per test.

On a Cluster with replicas and on Sentinel, with and without ``durability="replicated"``:
the replica is promoted; during the gap the writers get typed ``StoreUnavailableError`` (never
another error, never a hang); after it they succeed again on the same store object. The
stream stays gap-free and made of whole batches, none applied twice. With
``durability="replicated"`` every acknowledged batch is still there (0 lost); without it the
test counts what the promotion lost (Redis copies writes to replicas asynchronously) and
prints it. Each test restores the deployment (the killed node restarted as a replica, all in
sync) before the next round and before it returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass, field

import pytest

from integrations.redis.ha import RedisSentinel, ReplicatedRedisCluster
from sessions_plus import DurabilityError, StoreUnavailableError, open_store
from sessions_plus.backends.redis.keys import session_base

from .test_faults import check_whole_batches, until

pytestmark = pytest.mark.slow

BOUND = 30.0
"""Seconds any single operation may take, failover or not, before the test calls it a hang."""
PHASE_TIMEOUT = 120.0
"""Seconds a phase (failover, recovery, resync) may take on a slow, loaded machine."""
WRITERS = 4
ROUNDS = 2
"""Failovers per test: the second kills the node the first one promoted."""
SIZE = 3


@dataclass
class Tally:
    """What the writers saw, per writer: acknowledged and failed batches with their round."""

    acked: dict[int, list[tuple[int, int, float]]] = field(
        default_factory=lambda: {w: [] for w in range(WRITERS)}
    )
    failed: dict[int, list[tuple[int, int, str]]] = field(
        default_factory=lambda: {w: [] for w in range(WRITERS)}
    )

    def acks_in(self, round_: int) -> list[int]:
        return [sum(r == round_ for _, r, _ in a) for a in self.acked.values()]

    def failures_in(self, round_: int) -> list[int]:
        return [sum(r == round_ for _, r, _ in f) for f in self.failed.values()]


class Deployment:
    """The two topologies behind one face: which node serves the session, kill, recover."""

    def __init__(self, target: RedisSentinel | ReplicatedRedisCluster, meta_key: str) -> None:
        self.target = target
        self.meta_key = meta_key

    def master(self) -> int:
        if isinstance(self.target, RedisSentinel):
            return self.target.master_port()
        return self.target.master_for_key(self.meta_key)

    def wait_failover(self, old: int) -> int:
        return self.target.wait_failover(old, PHASE_TIMEOUT)

    def heal(self, old: int) -> None:
        if not self.target.running(old):
            self.target.restart(old)
        self.target.wait_healthy(PHASE_TIMEOUT)


async def run_failovers(
    target: RedisSentinel | ReplicatedRedisCluster, name: str, durability: str
) -> None:
    prefix = f"failover{uuid.uuid4().hex[:8]}"
    sid = "failover:{session}"
    deployment = Deployment(target, session_base(prefix, sid) + "meta")
    target.wait_healthy(PHASE_TIMEOUT)
    store = open_store(target.url, key_prefix=prefix, durability=durability)
    tally = Tally()
    current = [0]  # the round the writers are in
    go = asyncio.Event()
    go.set()
    stop = asyncio.Event()

    async def writer(w: int) -> None:
        b = 0
        while not stop.is_set():
            await go.wait()
            items = [{"w": w, "b": b, "k": k} for k in range(SIZE)]
            round_ = current[0]
            try:
                await asyncio.wait_for(store.append(sid, items), BOUND)
                tally.acked[w].append((b, round_, time.monotonic()))
            except StoreUnavailableError as exc:  # anything else fails the test
                tally.failed[w].append((b, round_, type(exc).__name__))
                await asyncio.sleep(0.01)
            b += 1

    recoveries: list[float] = []
    async with store:
        tasks = [asyncio.create_task(writer(w)) for w in range(WRITERS)]
        try:
            for round_ in range(ROUNDS):
                current[0] = round_
                go.set()
                await until(lambda: all(n >= 5 for n in tally.acks_in(round_)), "first acks")
                old = deployment.master()
                target.kill(old)
                killed_at = time.monotonic()
                outage = current[0] = 100 + round_  # the outage and what follows it
                await until(
                    lambda: all(n >= 1 for n in tally.failures_in(outage)),
                    "a StoreUnavailableError for every writer",
                    PHASE_TIMEOUT,
                )
                new = await asyncio.to_thread(deployment.wait_failover, old)
                assert new != old
                if durability == "replicated":  # the promoted replica needs a replica to confirm
                    await asyncio.to_thread(target.restart, old)
                await until(
                    lambda: all(n >= 5 for n in tally.acks_in(outage)),
                    "acks after the failover, on the same store object",
                    PHASE_TIMEOUT,
                )
                first_ack = min(t for a in tally.acked.values() for _, r, t in a if r == outage)
                recoveries.append(first_ack - killed_at)
                go.clear()  # writers idle while the killed node resyncs
                await asyncio.to_thread(deployment.heal, old)
        finally:
            stop.set()
            go.set()
            await asyncio.gather(*tasks)
            await asyncio.to_thread(deployment.heal, deployment.master())

        records = await asyncio.wait_for(store.read(sid), BOUND)
    batches = check_whole_batches(records, SIZE, "w")  # gap-free, whole, none applied twice
    present = set(batches)
    acked = {(w, b) for w, acks in tally.acked.items() for b, _, _ in acks}
    lost = acked - present
    for w in range(WRITERS):
        order = [b for ww, b in batches if ww == w]
        assert order == sorted(order), "a writer's batches were reordered"
    failures = [kind for f in tally.failed.values() for _, _, kind in f]
    unknown_present = sum((w, b) in present for w, f in tally.failed.items() for b, _, _ in f)
    print(
        f"\n{name} durability={durability}: {ROUNDS} failovers survived; "
        f"{len(acked)} batches acknowledged, {len(acked) - len(lost)} kept, {len(lost)} lost; "
        f"{len(failures)} failed calls ({failures.count(DurabilityError.__name__)} "
        f"DurabilityError), {unknown_present} of them applied anyway (each at most once); "
        f"recovery after kill -9: {', '.join(f'{t:.1f} s' for t in recoveries)}"
    )
    if durability == "replicated":
        assert not lost, f"acknowledged batches lost: {sorted(lost)[:10]}"


@pytest.mark.parametrize("durability", ["replicated", "primary"])
async def test_cluster_master_killed_under_writers(
    redis_replicated_cluster: ReplicatedRedisCluster, durability: str
) -> None:
    await run_failovers(redis_replicated_cluster, "cluster (3 masters + 3 replicas)", durability)


@pytest.mark.parametrize("durability", ["replicated", "primary"])
async def test_sentinel_master_killed_under_writers(
    redis_sentinel: RedisSentinel, durability: str
) -> None:
    await run_failovers(redis_sentinel, "sentinel (master + replica + 3 sentinels)", durability)


async def test_the_loss_window_without_replicated_durability(redis_sentinel: RedisSentinel) -> None:
    """Redis replicates asynchronously: what the primary acknowledged but had not yet handed to
    the network when it died is gone after the failover. Here the replica is frozen (SIGSTOP)
    and 32 MB of filler fill the socket buffers, so the next writes wait in the primary's
    memory; then the primary is killed. A replicated store acknowledges none of them."""
    target = redis_sentinel
    master = target.wait_healthy(PHASE_TIMEOUT)
    [replica] = [port for port in target.data_ports if port != master]
    prefix = f"window{uuid.uuid4().hex[:8]}"
    primary = open_store(target.url, key_prefix=prefix)
    replicated = open_store(target.url, key_prefix=prefix, durability="replicated", wait_ms=100)
    filler = ["x" * 65536] * 16
    refused = 0
    async with primary, replicated:
        await primary.append("fast", ["before"])
        await replicated.append("safe", ["before"])
        target.freeze(replica)
        try:
            for _ in range(32):
                await primary.append("filler", filler)
            for i in range(10):
                await primary.append("fast", [f"gap-{i}"])
            for i in range(3):
                with contextlib.suppress(DurabilityError):
                    await replicated.append("safe", [f"gap-{i}"])
                    raise AssertionError("a frozen replica confirmed a write")
                refused += 1
            target.kill(master)
        finally:
            target.thaw(replica)
        await asyncio.to_thread(target.wait_failover, master, PHASE_TIMEOUT)
        await asyncio.to_thread(target.restart, master)
        await asyncio.to_thread(target.wait_healthy, PHASE_TIMEOUT)
        kept = [r.data for r in await asyncio.wait_for(primary.read("fast"), BOUND)]
        safe = [r.data for r in await asyncio.wait_for(replicated.read("safe"), BOUND)]
        await primary.delete("filler")
    lost = [f"gap-{i}" for i in range(10) if f"gap-{i}" not in kept]
    assert kept == ["before"] + [f"gap-{i}" for i in range(10) if f"gap-{i}" not in lost]
    assert lost, "32 MB did not fill the replication socket buffers: the window stayed closed"
    assert safe[0] == "before" and refused == 3
    print(
        f"\nreplica frozen, primary killed: durability=primary acknowledged 10 batches and the "
        f"failover lost {len(lost)}; durability=replicated acknowledged none of its 3 "
        f"(DurabilityError), {len(safe) - 1} of them survived anyway"
    )
