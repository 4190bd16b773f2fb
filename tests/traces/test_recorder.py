"""The recorder core on every backend: the raw records, include_data=False, outages, strict."""

from __future__ import annotations

import logging

import pytest

from integrations.redis.servers import free_port
from sessions_plus import StoreUnavailableError, open_store
from sessions_plus.traces import (
    SCHEMA_VERSION,
    TRACE_FORMAT,
    TraceRecorder,
    get_reasoning,
)
from tests.fixtures.factory import StoreFactory

from .helpers import SID, Outage, raw_trace, record_full_run

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
    run = await recorder.start_run("agent", f"my password is {secret}")
    await run.step("agent", thinking=f"the user said {secret}", tool_calls=[("c1", "vault")])
    await run.tool_start("agent", "c1", "vault", {"password": secret})
    await run.tool_end("agent", "c1", "vault", {"stored": secret})
    await run.tool_start("agent", "c2", "vault", {"password": secret})
    await run.tool_end("agent", "c2", "vault", error=KeyError(secret))
    await run.end("agent", f"saved {secret}")
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


async def test_store_down_mid_run_marks_the_trace_incomplete(
    store_factory: StoreFactory, caplog: pytest.LogCaptureFixture
) -> None:
    store = store_factory()
    outage = Outage(store)
    recorder = TraceRecorder(store, SID, sdk="openai-agents")
    run = await recorder.start_run("a", "q")
    await run.step("a", tool_calls=[("c1", "f")])
    outage.down = True
    with caplog.at_level(logging.WARNING, logger="sessions_plus.traces"):
        await run.tool_start("a", "c1", "f", {"x": 1})  # nothing raises
        await run.tool_end("a", "c1", "f", "r")
        await run.step("a", thinking="t")
    assert outage.failed == 3 and run.dropped == 3 and run.incomplete and recorder.dropped == 3
    warnings = [r for r in caplog.records if r.name == "sessions_plus.traces"]
    assert len(warnings) == 1, "logged once per run"
    assert run.run_id in warnings[0].getMessage() and "incomplete" in warnings[0].getMessage()
    outage.down = False
    await run.end("a", "done")
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
    run = await recorder.start_run("a", "q")
    outage.down = True
    with pytest.raises(StoreUnavailableError):
        await run.step("a", thinking="t")
    with pytest.raises(StoreUnavailableError):
        await recorder.start_run("a", "q")
    assert recorder.dropped == 0


async def test_a_real_server_that_is_down() -> None:
    """No injected fault: a Redis URL nothing listens on."""
    store = open_store(f"redis://127.0.0.1:{free_port()}/0")
    try:
        recorder = TraceRecorder(store, SID, sdk="openai-agents")
        await record_full_run(recorder)
        assert recorder.dropped == 10
        strict = TraceRecorder(store, SID, sdk="openai-agents", strict=True)
        with pytest.raises(StoreUnavailableError):
            await strict.start_run("a", "q")
    finally:
        await store.aclose()


async def test_an_event_too_large_for_the_store_is_kept_without_its_data(
    store_factory: StoreFactory,
) -> None:
    store = store_factory(max_record_bytes=4096)
    recorder = TraceRecorder(store, SID, sdk="strands")
    run = await recorder.start_run("a", "q")
    await run.tool_start("a", "c1", "dump", {"big": "x" * 10_000})
    await run.tool_end("a", "c1", "dump", "y" * 10_000)
    await run.end("a", "ok")
    assert run.dropped == 0
    reasoning = await get_reasoning(store, SID)
    assert reasoning is not None
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
    run = await recorder.start_run(agent, ("tuple", b"bytes"))
    await run.tool_start(agent, "c1", "f", {"nan": float("nan"), "set": {1}, 2: object()})
    await run.end(agent, None)
    assert run.dropped == 0
    records = await raw_trace(store)
    assert records[0].data["query"] == ["tuple", "<5 bytes>"]
    assert records[1].data["inputs"]["nan"] == "nan" and records[1].data["agent"] == agent
    assert records[1].author is not None and agent.startswith(records[1].author)


async def test_end_and_fail_are_recorded_once(store_factory: StoreFactory) -> None:
    store = store_factory()
    run = await TraceRecorder(store, SID, sdk="strands").start_run("a")
    await run.fail("a", RuntimeError("boom"))
    await run.end("a", "late")
    await run.fail("a", "again")
    types = [r.data["type"] for r in await raw_trace(store)]
    assert types == ["run_start", "run_failed"] and run.finished
    reasoning = await get_reasoning(store, SID)
    assert reasoning is not None and reasoning.error == "RuntimeError: boom"
