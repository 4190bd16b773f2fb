"""watch: events as they are written, in this process and from another one."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from sessions_plus.traces import TraceEvent, TraceRecorder, follow, get_reasoning, watch, watch_sync
from tests.fixtures.factory import StoreFactory
from tests.fixtures.processes import output_of, start_python

from .helpers import MONITOR, SID, next_line, record_full_run

BOUND = 60.0
"""Seconds a watcher may take to see an event before the test calls it lost (a wide margin:
this bounds a hang, it does not measure latency)."""

FAST = {"min_interval": 0.01, "max_interval": 0.05}


async def collect_until_end(events: asyncio.Queue[TraceEvent], count: int = 1) -> list[str]:
    seen: list[str] = []
    ends = 0
    while ends < count:
        event = await asyncio.wait_for(events.get(), BOUND)
        seen.append(event.type)
        ends += event.type in ("run_end", "run_failed")
    return seen


async def pump(store: object, queue: asyncio.Queue[TraceEvent], **options: object) -> None:
    async for event in watch(store, SID, **options):  # type: ignore[arg-type]
        await queue.put(event)


FULL_RUN = [
    "run_start",
    "step",
    "tool_start",
    "tool_start",
    "tool_end",
    "tool_end",
    "step",
    "handoff",
    "step",
    "run_end",
]


async def test_watch_follows_runs_and_stops_cleanly_on_cancel(store_factory: StoreFactory) -> None:
    store = store_factory()
    recorder = TraceRecorder(store, SID, sdk="strands")
    await record_full_run(recorder)  # written before the watcher starts: seen too
    queue: asyncio.Queue[TraceEvent] = asyncio.Queue()
    watcher = asyncio.create_task(pump(store, queue, **FAST))
    assert await collect_until_end(queue) == FULL_RUN
    await record_full_run(recorder)
    assert await collect_until_end(queue) == FULL_RUN
    watcher.cancel()
    done, _ = await asyncio.wait([watcher], timeout=BOUND)
    assert done and watcher.cancelled()
    assert queue.empty()

    seqs = []
    async for event in watch(store, SID, after=15, **FAST):  # resume after a seen seq
        seqs.append(event.seq)
        if event.type == "run_end":
            break
    assert seqs == [16, 17, 18, 19, 20]


async def test_watch_follows_a_session_that_started_over(store_factory: StoreFactory) -> None:
    store = store_factory()
    recorder = TraceRecorder(store, SID, sdk="strands")
    queue: asyncio.Queue[TraceEvent] = asyncio.Queue()
    watcher = asyncio.create_task(pump(store, queue, min_interval=0.01, max_interval=0.01))
    try:
        await record_full_run(recorder)
        assert await collect_until_end(queue) == FULL_RUN
        await store.delete(SID)
        run = recorder.start_run("a", "again")
        await run.flush()
        event = await asyncio.wait_for(queue.get(), BOUND)
        assert (event.seq, event.type, event.run_id) == (1, "run_start", run.run_id)
    finally:
        watcher.cancel()


async def test_watch_sync_in_a_thread(store_factory: StoreFactory) -> None:
    store = store_factory()

    def follow() -> list[str]:
        seen = []
        for event in watch_sync(store, SID, **FAST):
            seen.append(event.type)
            if event.type == "run_end":
                return seen
        raise AssertionError("watch_sync ended")

    follower = asyncio.create_task(asyncio.to_thread(follow))
    await record_full_run(TraceRecorder(store, SID, sdk="strands"))
    assert await asyncio.wait_for(follower, BOUND) == FULL_RUN


@pytest.mark.parametrize("mode", ["async", "sync"])
async def test_a_monitor_in_another_process_sees_each_event_while_the_run_waits(
    cross_process_factory: StoreFactory, mode: str
) -> None:
    """Real time, proven: the tool does not end until the other process has seen it start."""
    store = cross_process_factory()
    recorder = TraceRecorder(store, SID, sdk="strands")
    run = recorder.start_run("agent", "slow question")  # before the monitor starts
    monitor = await start_python(MONITOR, cross_process_factory.url(), SID, mode)
    try:
        assert (await next_line(monitor))["type"] == "ready"
        run.step("agent", thinking="calling the slow tool", tool_calls=[("c1", "slow")])
        run.tool_start("agent", "c1", "slow", {"seconds": 1})
        seen = [await next_line(monitor)]
        while seen[-1]["type"] != "tool_start":  # the tool blocks until the monitor saw it
            seen.append(await next_line(monitor))
        assert seen[-1]["name"] == "slow"
        run.tool_end("agent", "c1", "slow", "done")
        run.step("agent", thinking="answering")
        run.end("agent", "answer")
        seen += [json.loads(line) for line in (await output_of(monitor, BOUND)).splitlines()]
    finally:
        if monitor.returncode is None:
            monitor.kill()
            await monitor.wait()
    types = [event["type"] for event in seen]
    assert types == ["run_start", "step", "tool_start", "tool_end", "step", "run_end"]
    assert [event["seq"] for event in seen] == list(range(1, 7))
    assert {event["run_id"] for event in seen} == {run.run_id}


async def test_follow_yields_a_growing_run_until_it_ends(store_factory: StoreFactory) -> None:
    store = store_factory()
    recorder = TraceRecorder(store, SID, sdk="strands")

    async def snapshots(**options: object) -> list[Any]:
        got = []
        async for run in follow(store, SID, **FAST, **options):  # type: ignore[arg-type]
            got.append(run)
        return got

    read_once = asyncio.Event()
    real_read = store.read

    async def read(*args: Any, **kwargs: Any) -> Any:
        try:
            return await real_read(*args, **kwargs)
        finally:
            read_once.set()

    store.read = read  # type: ignore[method-assign]
    waiting = asyncio.create_task(snapshots())  # no run yet: follows the next one to start
    await asyncio.wait_for(read_once.wait(), BOUND)  # it found the session empty
    first = await record_full_run(recorder)
    runs = await asyncio.wait_for(waiting, BOUND)
    assert [r.run_id for r in runs] == [first] * 10
    assert [r.status for r in runs] == ["running"] * 9 + ["completed"]
    assert [r.last_seq for r in runs] == list(range(1, 11))
    assert runs[-1] == await get_reasoning(store, SID)

    assert [r.status for r in await snapshots()] == ["completed"]  # latest run, finished

    live = recorder.start_run("b", "second")
    live.step("b", thinking="t")
    await live.flush()
    got: list[Any] = []
    first_seen = asyncio.Event()

    async def collect() -> None:
        async for run in follow(store, SID, **FAST):  # type: ignore[arg-type]
            got.append(run)
            first_seen.set()

    following = asyncio.create_task(collect())
    await asyncio.wait_for(first_seen.wait(), BOUND)  # following the live run now
    noise = TraceRecorder(store, SID, sdk="strands").start_run("other", "interleaved")
    noise.step("other")
    live.tool_start("b", "c", "f", 1)
    live.end("b", "done")
    await asyncio.gather(noise.flush(), live.flush())
    await asyncio.wait_for(following, BOUND)
    assert {r.run_id for r in got} == {live.run_id}
    assert got[0].total_steps == 1 and got[-1].status == "completed"
    assert got[-1].final_response == "done" and len(got[-1].tools) == 1

    old = await snapshots(run_id=first)
    assert len(old) == 1 and old[0] == runs[-1]
