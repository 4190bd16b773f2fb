"""The recorder core on every backend: the raw records, include_data=False, outages, strict."""

from __future__ import annotations

import asyncio
import logging

import pytest

from integrations.redis.servers import free_port
from sessions_plus import ConfigurationError, StoreUnavailableError, open_store
from sessions_plus.traces import (
    SCHEMA_VERSION,
    TRACE_FORMAT,
    TraceRecorder,
    get_reasoning,
)
from tests.fixtures.factory import StoreFactory

from .helpers import SID, AppendCounter, Outage, raw_trace, record_full_run

COMMON = {"v", "type", "run_id", "ts", "agent", "sdk"}


async def test_one_record_per_event_with_header_and_schema(store_factory: StoreFactory) -> None:
    store = store_factory()
    await store.append(SID, [{"role": "user", "content": "hi"}])  # the conversation, untouched
    run_id = await record_full_run(TraceRecorder(store, SID, sdk="openai-agents"))
    records = await raw_trace(store)
    assert [r.data["type"] for r in records] == [
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
    assert [r.seq for r in records] == list(range(1, 11))
    for record in records:
        assert record.format == TRACE_FORMAT
        assert record.author == record.data["agent"]
        assert set(record.data) >= COMMON
        assert record.data["v"] == SCHEMA_VERSION and record.data["run_id"] == run_id
        assert record.data["sdk"] == "openai-agents"
    stamps = [r.data["ts"] for r in records]
    assert stamps == sorted(stamps)
    start, step1, call1, _, fail, _, _, handoff, _, end = (r.data for r in records)
    assert start["query"] == "What is the weather?" and start["include_data"] is True
    assert step1["step"] == 1 and step1["thinking"] == "I need the city and the forecast."
    assert step1["tool_calls"] == [
        {"call_id": "call-1", "name": "lookup_city"},
        {"call_id": "call-2", "name": "forecast"},
    ]
    assert step1["usage"]["total_tokens"] == 120
    assert (call1["call_id"], call1["name"]) == ("call-1", "lookup_city")
    assert call1["inputs"] == {"name": "Paris"}
    assert fail["error"] == "ValueError: no forecast for Paris" and fail["result"] is None
    assert handoff["to_agent"] == "weather" and handoff["agent"] == "triage"
    assert end["final_response"] == "It is sunny in Paris." and end["dropped"] == 0
    assert [r.data for r in await store.read(SID)] == [{"role": "user", "content": "hi"}]


async def test_include_data_false_stores_no_input_result_or_thinking(
    store_factory: StoreFactory,
) -> None:
    store = store_factory()
    secret = "SECRET-7f3a"
    recorder = TraceRecorder(store, SID, sdk="strands", include_data=False)
    run = recorder.start_run("agent", f"my password is {secret}")
    run.step("agent", thinking=f"the user said {secret}", tool_calls=[("c1", "vault")])
    run.tool_start("agent", "c1", "vault", {"password": secret})
    run.tool_end("agent", "c1", "vault", {"stored": secret})
    run.tool_start("agent", "c2", "vault", {"password": secret})
    run.tool_end("agent", "c2", "vault", error=KeyError(secret))
    run.end("agent", f"saved {secret}")
    await run.flush()
    records = await raw_trace(store)
    assert len(records) == 7
    for record in records:
        assert secret not in repr(record.data), record.data
        assert not {"query", "thinking", "inputs", "result", "final_response"} & set(record.data)
    assert records[0].data["include_data"] is False
    assert records[5].data["error"] == "KeyError"
    # names, timings, statuses remain
    reasoning = await get_reasoning(store, SID)
    assert reasoning is not None and reasoning.status == "completed"
    assert [(t.name, t.status) for t in reasoning.tools] == [
        ("vault", "completed"),
        ("vault", "failed"),
    ]
    assert all(t.started_at and t.ended_at for t in reasoning.tools)
    assert reasoning.query is None and reasoning.final_response is None
    assert reasoning.steps[0].thinking is None


async def test_each_event_is_written_while_the_run_goes_on(store_factory: StoreFactory) -> None:
    """An idle writer appends an event at once; events that queue up meanwhile share the next
    append, so there is never more than one append per event."""
    store = store_factory()
    appends = AppendCounter(store)
    run = TraceRecorder(store, SID, sdk="strands").start_run("a", "q")
    await run.flush()
    assert [r.data["type"] for r in await raw_trace(store)] == ["run_start"]
    run.step("a", thinking="t", tool_calls=[("c1", "f")])
    run.tool_start("a", "c1", "f", 1)
    for _ in range(600):  # no flush: the writer task runs while the caller waits
        records = await raw_trace(store)
        if len(records) == 3:
            break
        await asyncio.sleep(0.1)
    assert [r.data["type"] for r in records] == ["run_start", "step", "tool_start"]
    for n in range(40):
        run.tool_start("a", f"x{n}", "g", n)
    run.end("a", "done")
    await run.flush()
    records = await raw_trace(store)
    assert len(records) == 44 and [r.seq for r in records] == list(range(1, 45))
    assert [r.data.get("inputs") for r in records[3:-1]] == list(range(40))
    assert records[-1].data["type"] == "run_end"
    assert appends.calls <= 44 and appends.items == 44
    assert appends.calls < 10, "queued events are written together"


async def test_linger_zero_appends_each_event_at_once(store_factory: StoreFactory) -> None:
    store = store_factory()
    appends = AppendCounter(store)
    run = TraceRecorder(store, SID, sdk="strands", linger=0).start_run("a", "q")
    for _ in range(3):
        for _ in range(3000):  # the writer appends while we wait, no flush needed
            if appends.items > run.steps:
                break
            await asyncio.sleep(0.02)
        assert appends.items == appends.calls == run.steps + 1
        run.step("a")
    await run.flush()
    assert appends.calls == appends.items == 4
    with pytest.raises(ConfigurationError):
        TraceRecorder(store, SID, sdk="strands", linger=-1)


async def test_events_from_other_threads_and_flush_sync(store_factory: StoreFactory) -> None:
    store = store_factory()
    run = TraceRecorder(store, SID, sdk="strands").start_run("a", "q")

    def worker(n: int) -> None:  # a synchronous SDK's hooks, on its own thread
        for k in range(10):
            run.tool_start(f"w{n}", f"{n}-{k}", "t", k)
        run.flush_sync(timeout=60)

    await asyncio.gather(*(asyncio.to_thread(worker, n) for n in range(3)))
    run.end("a", "ok")
    await run.flush()
    records = await raw_trace(store)
    assert len(records) == 32
    for n in range(3):
        mine = [r.data["inputs"] for r in records if r.data["agent"] == f"w{n}"]
        assert mine == list(range(10)), "each thread's events stay in order"
        assert all(r.author == r.data["agent"] for r in records)
    with pytest.raises(RuntimeError, match="own loop"):
        run.flush_sync()


async def test_store_down_mid_run_marks_the_trace_incomplete(
    store_factory: StoreFactory, caplog: pytest.LogCaptureFixture
) -> None:
    store = store_factory()
    outage = Outage(store)
    recorder = TraceRecorder(store, SID, sdk="openai-agents")
    run = recorder.start_run("a", "q")
    run.step("a", tool_calls=[("c1", "f")])
    await run.flush()
    outage.down = True
    with caplog.at_level(logging.WARNING, logger="sessions_plus.traces"):
        run.tool_start("a", "c1", "f", {"x": 1})  # nothing raises
        await run.flush()
        run.tool_end("a", "c1", "f", "r")
        await run.flush()
        run.step("a", thinking="t")
        await run.flush()
    assert outage.failed == 3 and run.dropped == 3 and run.incomplete and recorder.dropped == 3
    warnings = [r for r in caplog.records if r.name == "sessions_plus.traces"]
    assert len(warnings) == 1, "logged once per run"
    assert run.run_id in warnings[0].getMessage() and "incomplete" in warnings[0].getMessage()
    outage.down = False
    run.end("a", "done")
    await run.flush()
    reasoning = await get_reasoning(store, SID)
    assert reasoning is not None
    assert reasoning.status == "completed" and reasoning.incomplete
    assert reasoning.total_steps == 1 and reasoning.steps[0].tools == []
    assert (await raw_trace(store))[-1].data["dropped"] == 3


async def test_store_down_for_the_whole_run_raises_nothing(store_factory: StoreFactory) -> None:
    store = store_factory()
    Outage(store).down = True
    recorder = TraceRecorder(store, SID, sdk="strands")
    run_id = await record_full_run(recorder)
    assert recorder.dropped == 10 and run_id
    assert await raw_trace(store) == []


async def test_strict_raises_store_unavailable(store_factory: StoreFactory) -> None:
    store = store_factory()
    outage = Outage(store)
    recorder = TraceRecorder(store, SID, sdk="strands", strict=True)
    run = recorder.start_run("a", "q")
    await run.flush()
    outage.down = True
    run.step("a", thinking="t")
    with pytest.raises(StoreUnavailableError):
        await run.flush()
    with pytest.raises(StoreUnavailableError):  # and every later event of the run
        run.tool_start("a", "c", "f")
    outage.down = False
    run.fail("a", run.error or "?")  # the failure itself is still recorded
    await run.flush(raise_errors=False)
    reasoning = await get_reasoning(store, SID)
    assert reasoning is not None and reasoning.status == "failed"
    assert reasoning.error is not None and reasoning.error.startswith("StoreUnavailableError")
    assert reasoning.incomplete


async def test_a_real_server_that_is_down() -> None:
    """No injected fault: a Redis URL nothing listens on."""
    store = open_store(f"redis://127.0.0.1:{free_port()}/0")
    try:
        recorder = TraceRecorder(store, SID, sdk="openai-agents")
        await record_full_run(recorder)
        assert recorder.dropped == 10
        strict = TraceRecorder(store, SID, sdk="openai-agents", strict=True).start_run("a")
        with pytest.raises(StoreUnavailableError):
            await strict.flush()
    finally:
        await store.aclose()


async def test_an_event_too_large_for_the_store_is_kept_without_its_data(
    store_factory: StoreFactory,
) -> None:
    store = store_factory(max_record_bytes=4096)
    recorder = TraceRecorder(store, SID, sdk="strands")
    run = recorder.start_run("a", "q")
    run.tool_start("a", "c1", "dump", {"big": "x" * 10_000})
    run.tool_end("a", "c1", "dump", "y" * 10_000)
    run.end("a", "ok")
    await run.flush()
    assert run.dropped == 0
    reasoning = await get_reasoning(store, SID)
    assert reasoning is not None and reasoning.final_response == "ok"
    [tool] = reasoning.tools
    assert tool.status == "completed"
    assert isinstance(tool.inputs, str) and tool.inputs.startswith("<omitted")
    assert isinstance(tool.result, str) and "over the store's limit of 4096" in tool.result


async def test_unusual_values_and_long_agent_names_are_recorded(
    store_factory: StoreFactory,
) -> None:
    store = store_factory()
    recorder = TraceRecorder(store, SID, sdk="strands")
    agent = "agent-" + "n" * 500
    run = recorder.start_run(agent, ("tuple", b"bytes"))
    run.tool_start(agent, "c1", "f", {"nan": float("nan"), "set": {1}, 2: object()})
    run.end(agent, None)
    await run.flush()
    assert run.dropped == 0
    records = await raw_trace(store)
    assert records[0].data["query"] == ["tuple", "<5 bytes>"]
    assert records[1].data["inputs"]["nan"] == "nan" and records[1].data["agent"] == agent
    assert records[1].author is not None and agent.startswith(records[1].author)


async def test_end_and_fail_are_recorded_once(store_factory: StoreFactory) -> None:
    store = store_factory()
    run = TraceRecorder(store, SID, sdk="strands").start_run("a")
    run.fail("a", RuntimeError("boom"))
    run.end("a", "late")
    run.fail("a", "again")
    await run.flush()
    types = [r.data["type"] for r in await raw_trace(store)]
    assert types == ["run_start", "run_failed"] and run.finished and run.failed
    # a failure after the end (an output guardrail that trips) is recorded and wins
    late = TraceRecorder(store, "s2", sdk="strands").start_run("a")
    late.end("a", "answer")
    late.fail("a", "OutputGuardrailTripwireTriggered: blocked")
    await late.flush()
    after_end = await get_reasoning(store, "s2")
    assert after_end is not None and after_end.status == "failed"
    assert after_end.final_response == "answer"
    assert after_end.error == "OutputGuardrailTripwireTriggered: blocked"
    reasoning = await get_reasoning(store, SID)
    assert reasoning is not None and reasoning.error == "RuntimeError: boom"


async def test_a_closed_writer_loop_hands_its_events_to_a_background_loop(
    store_factory: StoreFactory,
) -> None:
    store = store_factory()
    loop = asyncio.new_event_loop()
    run = TraceRecorder(store, SID, sdk="strands").start_run("a", "q", loop=loop)
    loop.close()  # e.g. a run_sync loop that is gone, with the run's start still queued
    run.step("a")
    run.end("a", "ok")
    await run.flush()
    assert run.loop is not loop and run.dropped == 0
    types = [r.data["type"] for r in await raw_trace(store)]
    assert types == ["run_start", "step", "run_end"]


def test_flush_sync_runs_an_idle_writer_loop() -> None:
    """``Runner.run_sync`` leaves its loop open but idle: flush_sync drives it."""
    from sessions_plus import MemoryStore

    store = MemoryStore()
    loop = asyncio.new_event_loop()
    try:
        run = TraceRecorder(store, SID, sdk="strands").start_run("a", "q", loop=loop)
        run.fail("a", KeyboardInterrupt())
        run.flush_sync(timeout=60)
        assert run.loop is loop
        records = loop.run_until_complete(store.read(SID, stream="trace"))
        assert [r.data["type"] for r in records] == ["run_start", "run_failed"]
        assert records[1].data["error"] == "KeyboardInterrupt"
    finally:
        loop.close()


async def test_events_from_another_thread_wake_the_writer_loop_once_per_append() -> None:
    """A synchronous SDK's events (its own thread) cost one cross-thread wake-up per append,
    not one per event: the writer already scheduled takes the later ones."""
    from sessions_plus import MemoryStore

    store = MemoryStore()
    loop = asyncio.get_running_loop()
    wakes = 0
    real = loop.call_soon_threadsafe

    def counting(callback, *args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal wakes
        wakes += callback == run._kick  # not the executor's own wake-ups of to_thread
        return real(callback, *args, **kwargs)

    run = TraceRecorder(store, SID, sdk="strands", linger=30).start_run("a", "q")
    loop.call_soon_threadsafe = counting  # type: ignore[method-assign]
    try:

        def agent_thread() -> None:
            for k in range(20):
                run.step("a", thinking=str(k))
            run.end("a", "ok")

        await asyncio.to_thread(agent_thread)
        await run.flush()
    finally:
        del loop.call_soon_threadsafe
    records = await raw_trace(store)
    assert [r.data.get("step") for r in records[1:-1]] == list(range(1, 21))
    assert records[-1].data["type"] == "run_end"
    assert wakes == 0, "the writer run_start scheduled took them all: no wake-up needed"


async def test_a_cancelled_writer_does_not_stop_later_events(store_factory: StoreFactory) -> None:
    store = store_factory()
    run = TraceRecorder(store, SID, sdk="strands", linger=30).start_run("a", "q")
    await asyncio.sleep(0)  # the writer task is lingering
    assert run._task is not None
    run._task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run._task
    run.step("a")
    run.end("a", "ok")
    await run.flush()
    types = [r.data["type"] for r in await raw_trace(store)]
    assert types == ["run_start", "step", "run_end"]


async def test_a_flush_right_after_an_event_does_not_linger() -> None:
    """The writer an event just created (not started yet) is hurried by a flush too."""
    from sessions_plus import MemoryStore

    store = MemoryStore()
    run = TraceRecorder(store, SID, sdk="openai-agents", linger=30).start_run("a", "q")
    await asyncio.wait_for(run.flush(), 5)  # the start's writer lingered: cut short
    run.end("a", "ok")  # no writer is scheduled now: this event makes one
    await asyncio.wait_for(run.flush(), 5)
    assert [r.data["type"] for r in await raw_trace(store)] == ["run_start", "run_end"]
