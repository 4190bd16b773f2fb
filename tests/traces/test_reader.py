"""Reading traces back on every backend: latest run, history, usage, TTL, delete, isolation."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sessions_plus import ConversationStore
from sessions_plus.traces import (
    TRACE_STREAM,
    TraceRecorder,
    Usage,
    get_reasoning,
    get_reasoning_history,
    get_reasoning_history_sync,
    get_reasoning_sync,
    get_run,
    get_run_sync,
    session_usage,
    session_usage_sync,
)
from tests.contract.helpers import sleep_until
from tests.fixtures.factory import StoreFactory

from .helpers import SID, STEP1_USAGE, STEP2_USAGE, STEP3_USAGE, record_full_run


class ReadCounter:
    """Counts the trace-stream reads a store serves and the records they return."""

    def __init__(self, store: ConversationStore) -> None:
        self.calls = 0
        self.records = 0
        real = store.read

        async def read(*args: Any, **kwargs: Any) -> Any:
            result = await real(*args, **kwargs)
            if kwargs.get("stream") == TRACE_STREAM:
                self.calls += 1
                self.records += len(result)
            return result

        store.read = read  # type: ignore[method-assign]


async def test_every_field_of_a_recorded_run(store_factory: StoreFactory) -> None:
    store = store_factory()
    before = time.time()
    run_id = await record_full_run(TraceRecorder(store, SID, sdk="openai-agents"))
    reasoning = await get_reasoning(store, SID)
    assert reasoning is not None
    assert reasoning.run_id == run_id and reasoning.sdk == "openai-agents"
    assert reasoning.query == "What is the weather?"
    assert reasoning.final_response == "It is sunny in Paris."
    assert (reasoning.status, reasoning.error, reasoning.agent) == ("completed", None, "weather")
    assert reasoning.started_at is not None and reasoning.ended_at is not None
    assert before <= reasoning.started_at <= reasoning.ended_at <= time.time()
    assert reasoning.total_steps == 3 and not reasoning.incomplete
    assert (reasoning.first_seq, reasoning.last_seq) == (1, 10)
    assert reasoning.usage == STEP1_USAGE + STEP2_USAGE + STEP3_USAGE
    assert reasoning.usage.cached_tokens == 80 and reasoning.usage.reasoning_tokens == 16

    one, two, three = reasoning.steps
    assert [s.step_number for s in reasoning.steps] == [1, 2, 3]
    assert [s.agent for s in reasoning.steps] == ["triage", "triage", "weather"]
    assert [s.handoff for s in reasoning.steps] == [None, "weather", None]
    assert one.thinking == "I need the city and the forecast." and three.thinking == "Sunny, 21 C."
    assert (one.usage, two.usage, three.usage) == (STEP1_USAGE, STEP2_USAGE, STEP3_USAGE)
    assert one.timestamp <= two.timestamp <= three.timestamp
    city, forecast = one.tools
    assert (city.call_id, city.name, city.inputs) == ("call-1", "lookup_city", {"name": "Paris"})
    assert city.result == {"city": "Paris", "country": "FR"} and city.error is None
    assert city.status == "completed"
    assert (forecast.name, forecast.inputs) == ("forecast", {"city": "Paris", "days": 2})
    assert forecast.status == "failed" and forecast.result is None
    assert forecast.error == "ValueError: no forecast for Paris"
    for tool in (city, forecast):
        assert tool.started_at is not None and tool.ended_at is not None
        assert one.timestamp <= tool.started_at <= tool.ended_at <= two.timestamp
    assert two.tools == [] and three.tools == []


async def test_the_latest_run_also_while_it_runs(store_factory: StoreFactory) -> None:
    store = store_factory()
    assert await get_reasoning(store, SID) is None
    assert await get_reasoning_history(store, SID) == []
    recorder = TraceRecorder(store, SID, sdk="strands")
    first = await record_full_run(recorder, "first")
    run = recorder.start_run("solo", "second")
    run.step("solo", thinking="working", tool_calls=[("c", "slow")])
    run.tool_start("solo", "c", "slow", {"n": 3})
    await run.flush()
    live = await get_reasoning(store, SID)
    assert live is not None and live.run_id == run.run_id != first
    assert (live.status, live.query, live.final_response, live.ended_at) == (
        "running",
        "second",
        None,
        None,
    )
    assert live.agent == "solo" and live.total_steps == 1
    [tool] = live.tools
    assert (tool.result, tool.status, tool.ended_at) == (None, "running", None)
    run.tool_end("solo", "c", "slow", 9)
    run.fail("solo", TimeoutError("model timed out"))
    await run.flush()
    done = await get_reasoning(store, SID)
    assert done is not None and done.status == "failed"
    assert done.error == "TimeoutError: model timed out" and done.tools[0].result == 9

    history = await get_reasoning_history(store, SID)
    assert [r.run_id for r in history] == [first, run.run_id]
    assert [r.query for r in history] == ["first", "second"]
    assert [r.run_id for r in await get_reasoning_history(store, SID, limit=1)] == [run.run_id]
    assert [r.run_id for r in await get_reasoning_history(store, SID, limit=5)] == [
        first,
        run.run_id,
    ]
    assert await get_reasoning_history(store, SID, limit=0) == []
    got = await get_run(store, SID, first)
    assert got is not None and got == history[0]
    assert await get_run(store, SID, "no-such-run") is None


async def test_get_reasoning_reads_backwards_only_to_the_latest_start(
    store_factory: StoreFactory,
) -> None:
    store = store_factory()
    recorder = TraceRecorder(store, SID, sdk="strands")
    runs = store_factory.scaled(60, 30, 20)
    for n in range(runs):
        run = recorder.start_run("a", n)
        for _ in range(9):
            run.step("a")
        await run.flush()
    long_steps = store_factory.scaled(300, 150, 80)
    run = recorder.start_run("a", "long")
    for _ in range(long_steps):
        run.step("a")
    run.end("a", "ok")
    await run.flush()
    counter = ReadCounter(store)

    latest = await get_reasoning(store, SID)
    assert latest is not None and latest.total_steps == long_steps and latest.query == "long"
    total = runs * 10 + long_steps + 2
    assert counter.records < 2 * (long_steps + 2) + 64 < total
    counter.calls = counter.records = 0
    two = await get_reasoning_history(store, SID, limit=2)
    assert [r.query for r in two] == [runs - 1, "long"]
    assert counter.records < 2 * (long_steps + 12) + 64

    counter.calls = counter.records = 0
    history = await get_reasoning_history(store, SID)
    assert len(history) == runs + 1 and counter.records == total


async def test_a_run_whose_start_was_lost_is_still_the_latest(store_factory: StoreFactory) -> None:
    store = store_factory()
    recorder = TraceRecorder(store, SID, sdk="strands")
    await record_full_run(recorder)
    orphan = {"v": 1, "type": "step", "run_id": "orphan", "ts": time.time(), "agent": "a"}
    await store.append(SID, [orphan], stream=TRACE_STREAM, format="sessions_plus.trace")
    latest = await get_reasoning(store, SID)
    assert latest is not None and latest.run_id != "orphan"  # the latest *start* wins
    other = "lost-start"
    await store.append(other, [orphan], stream=TRACE_STREAM, format="sessions_plus.trace")
    only = await get_reasoning(store, other)
    assert only is not None and only.run_id == "orphan" and only.status == "running"


async def test_session_usage_totals_and_tool_counts(store_factory: StoreFactory) -> None:
    store = store_factory()
    recorder = TraceRecorder(store, SID, sdk="openai-agents")
    await record_full_run(recorder)
    await record_full_run(recorder)
    run = recorder.start_run("a", "third")
    run.step("a", usage=Usage(requests=1, input_tokens=1, output_tokens=1, total_tokens=2))
    run.tool_start("a", "x", "forecast", {})
    await run.flush()
    usage = await session_usage(store, SID)
    one_run = STEP1_USAGE + STEP2_USAGE + STEP3_USAGE
    assert usage.runs == 3
    assert usage.usage == one_run + one_run + Usage(1, 1, 1, 2)
    assert usage.tool_calls == {"lookup_city": 2, "forecast": 3}
    assert usage.tool_errors == {"forecast": 2}
    assert usage.to_dict()["usage"]["requests"] == 7


async def test_traces_of_two_sessions_never_mix(store_factory: StoreFactory) -> None:
    store = store_factory()
    other_store = store_factory() if store_factory.shared else store
    ids = [SID, SID + "/trace", "trace"]
    recorders = [
        TraceRecorder(s, sid, sdk="strands")
        for s, sid in zip([store, other_store, store], ids, strict=True)
    ]
    run_ids = await asyncio.gather(*(record_full_run(r, sid) for r, sid in zip(recorders, ids)))
    for sid, run_id in zip(ids, run_ids, strict=True):
        history = await get_reasoning_history(store, sid)
        assert [(r.run_id, r.query) for r in history] == [(run_id, sid)]
        assert history[0].total_steps == 3 and history[0].last_seq == 10
    assert await store.read("trace") == []  # the session named "trace" has no main records


async def test_the_trace_expires_with_its_session(store_factory: StoreFactory) -> None:
    ttl = 1.0
    store = store_factory(ttl=ttl)
    await store.append(SID, [{"role": "user", "content": "hi"}])
    await record_full_run(TraceRecorder(store, SID, sdk="strands"))
    info = await store.info(SID)
    assert info is not None and info.streams.get(TRACE_STREAM) == 10
    assert await get_reasoning(store, SID) is not None
    await sleep_until(time.monotonic() + ttl + 0.3)
    assert await get_reasoning(store, SID) is None
    assert await get_reasoning_history(store, SID) == []
    assert await store.read(SID, stream=TRACE_STREAM) == []
    assert await store.read(SID) == []
    assert (await session_usage(store, SID)).runs == 0
    # a new run after expiry starts a new session with only itself
    run_id = await record_full_run(TraceRecorder(store, SID, sdk="strands"))
    assert [r.run_id for r in await get_reasoning_history(store, SID)] == [run_id]


async def test_delete_removes_the_trace(store_factory: StoreFactory) -> None:
    store = store_factory()
    await record_full_run(TraceRecorder(store, SID, sdk="strands"))
    await record_full_run(TraceRecorder(store, "kept", sdk="strands"))
    assert await store.delete(SID) is True
    assert await get_reasoning(store, SID) is None
    assert await store.read(SID, stream=TRACE_STREAM) == []
    assert len(await get_reasoning_history(store, "kept")) == 1


async def test_sync_wrappers(store_factory: StoreFactory) -> None:
    store = store_factory()
    run_id = await record_full_run(TraceRecorder(store, SID, sdk="strands"))
    latest = await asyncio.to_thread(get_reasoning_sync, store, SID)
    assert latest is not None and latest == await get_reasoning(store, SID)
    history = await asyncio.to_thread(get_reasoning_history_sync, store, SID)
    assert [r.run_id for r in history] == [run_id]
    assert await asyncio.to_thread(get_run_sync, store, SID, run_id) == latest
    usage = await asyncio.to_thread(session_usage_sync, store, SID)
    assert usage.runs == 1 and usage.tool_calls == {"lookup_city": 1, "forecast": 1}
    assert get_reasoning_sync(store, "nothing-here") is None  # also from inside a running loop
