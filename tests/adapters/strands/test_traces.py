"""Strands run traces (trace=True, TraceHooks) with the real Agent/Swarm/Graph, on every store."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from strands import Agent, tool
from strands.multiagent import GraphBuilder, Swarm
from strands.session import FileSessionManager

from sessions_plus import ConversationStore, StoreUnavailableError, open_store
from sessions_plus.strands import SQLiteSessionManager, StoreSessionManager, TraceHooks
from sessions_plus.traces import (
    TRACE_STREAM,
    Usage,
    get_reasoning_history_sync,
    get_reasoning_sync,
)
from tests.fixtures.factory import StoreFactory
from tests.fixtures.processes import output_of, start_python
from tests.fixtures.strands import ScriptedModel, handoff, tool_call
from tests.traces.helpers import MONITOR, Outage, next_line

SID = "strands:{traces}"
ONE_CALL = Usage(requests=1, input_tokens=1, output_tokens=1, total_tokens=2)
"""What the scripted model reports for every call."""


@tool
def lookup_city(name: str) -> dict[str, str]:
    """Find a city."""
    return {"city": name, "country": "FR"}


@tool
def forecast(city: str, days: int) -> str:
    """Forecast the weather."""
    raise ValueError(f"no forecast for {city}")


TWO_TOOLS = {
    "content": [
        {"text": "I need the city and the forecast."},
        {"toolUse": {"name": "lookup_city", "toolUseId": "t1", "input": {"name": "Paris"}}},
        {"toolUse": {"name": "forecast", "toolUseId": "t2", "input": {"city": "Paris", "days": 2}}},
    ]
}


@pytest.fixture
def managers(store_factory: StoreFactory) -> Iterator[list[StoreSessionManager]]:
    made: list[StoreSessionManager] = []
    yield made
    for manager in made:
        manager.close()


def traced(
    store_factory: StoreFactory, made: list[StoreSessionManager], **options: Any
) -> StoreSessionManager:
    manager = StoreSessionManager(SID, store_factory(), close_store=True, trace=True, **options)
    made.append(manager)
    return manager


def weather_agent(**options: Any) -> Agent:
    return Agent(
        name="weather",
        model=ScriptedModel([TWO_TOOLS, "Sunny in Paris."]),
        tools=[lookup_city, forecast],
        callback_handler=None,
        **options,
    )


def test_every_field_of_a_run_with_two_tools_in_one_step(
    store_factory: StoreFactory, managers: list[StoreSessionManager]
) -> None:
    manager = traced(store_factory, managers)
    agent = weather_agent(session_manager=manager)
    assert str(agent("Weather in Paris?")).strip() == "Sunny in Paris."
    run = get_reasoning_sync(manager.store, SID)
    assert run is not None
    assert (run.query, run.final_response, run.status, run.error) == (
        "Weather in Paris?",
        "Sunny in Paris.",
        "completed",
        None,
    )
    assert (run.agent, run.sdk, run.total_steps, run.incomplete) == ("weather", "strands", 2, False)
    assert run.started_at is not None and run.ended_at is not None
    assert run.started_at <= run.ended_at
    assert run.usage == ONE_CALL + ONE_CALL
    one, two = run.steps
    assert [s.agent for s in run.steps] == ["weather", "weather"]
    assert one.thinking == "I need the city and the forecast." and two.thinking == "Sunny in Paris."
    assert one.usage == two.usage == ONE_CALL and one.handoff is None
    city, weather = sorted(one.tools, key=lambda t: str(t.call_id))
    assert (city.call_id, city.name, city.inputs) == ("t1", "lookup_city", {"name": "Paris"})
    assert city.status == "completed" and '"country": "FR"' in str(city.result)
    assert (weather.call_id, weather.inputs) == ("t2", {"city": "Paris", "days": 2})
    assert weather.status == "failed" and weather.error == "ValueError: no forecast for Paris"
    for item in (city, weather):
        assert item.started_at is not None and item.ended_at is not None
        assert one.timestamp <= item.started_at <= item.ended_at <= two.timestamp
    assert two.tools == []
    # the session's messages are still the manager's, the trace is one more stream
    info = asyncio.run(_info(manager.store))
    assert info.get(TRACE_STREAM) == 8 and len(info) == 2


async def _info(store: ConversationStore) -> dict[str, int]:
    info = await store.info(SID)
    assert info is not None
    return dict(info.streams)


def test_a_failed_run_and_invoke_async(
    store_factory: StoreFactory, managers: list[StoreSessionManager]
) -> None:
    manager = traced(store_factory, managers)

    def down(messages: Any) -> str:
        raise RuntimeError("model is down")

    broken = Agent(
        name="broken", model=ScriptedModel([down]), session_manager=manager, callback_handler=None
    )
    with pytest.raises(RuntimeError, match="model is down"):
        broken("hello?")

    async def from_a_loop() -> Any:
        fine = Agent(
            name="fine",
            model=ScriptedModel(["async reply"]),
            hooks=[manager.trace_hooks],
            callback_handler=None,
        )
        return await fine.invoke_async("async question")

    asyncio.run(from_a_loop())
    failed, fine = get_reasoning_history_sync(manager.store, SID)
    assert (failed.status, failed.error, failed.query) == (
        "failed",
        "RuntimeError: model is down",
        "hello?",
    )
    assert failed.total_steps == 0 and failed.ended_at is not None and failed.agent == "broken"
    assert (fine.status, fine.final_response, fine.agent) == ("completed", "async reply", "fine")


def test_trace_hooks_with_another_session_manager(
    store_factory: StoreFactory, tmp_path: Path
) -> None:
    store = store_factory()
    hooks = TraceHooks(store, SID)
    try:
        agent = weather_agent(
            session_manager=FileSessionManager(session_id="files", storage_dir=str(tmp_path)),
            hooks=[hooks],
        )
        agent("Weather?")
        agent("Again?")
        runs = get_reasoning_history_sync(store, SID)
        assert [(r.query, r.status, r.total_steps) for r in runs] == [
            ("Weather?", "completed", 2),
            ("Again?", "completed", 1),  # the script's last reply repeats: no tools
        ]
        assert (tmp_path / "session_files").is_dir(), "the other manager still persists"
    finally:
        hooks.close()
        asyncio.run(store.aclose())


def test_a_swarm_is_one_run_with_node_steps_and_handoffs(
    store_factory: StoreFactory, managers: list[StoreSessionManager]
) -> None:
    manager = traced(store_factory, managers)
    researcher = Agent(
        name="researcher",
        model=ScriptedModel([handoff("writer", "facts: otters hold hands"), "handed off"]),
        callback_handler=None,
    )
    writer = Agent(
        name="writer",
        model=ScriptedModel(
            [tool_call("lookup_city", {"name": "Oslo"}, "w1"), "Otters hold hands."]
        ),
        tools=[lookup_city],
        callback_handler=None,
    )
    swarm = Swarm([researcher, writer], session_manager=manager, id="team")
    assert swarm("Write about otters").status.value == "completed"
    [run] = get_reasoning_history_sync(manager.store, SID)
    assert (run.query, run.status, run.final_response) == (
        "Write about otters",
        "completed",
        "Otters hold hands.",
    )
    assert run.agent == "writer" and run.sdk == "strands"
    assert [s.agent for s in run.steps] == ["researcher", "researcher", "writer", "writer"]
    assert [s.handoff for s in run.steps] == [None, "writer", None, None]
    assert [t.name for t in run.tools] == ["handoff_to_agent", "lookup_city"]
    assert run.tools[1].inputs == {"name": "Oslo"} and run.usage.requests == 4


def test_a_graph_records_each_node_and_a_failed_graph_fails(
    store_factory: StoreFactory, managers: list[StoreSessionManager]
) -> None:
    manager = traced(store_factory, managers)
    builder = GraphBuilder()
    builder.add_node(Agent(name="plan", model=ScriptedModel(["a plan"]), callback_handler=None))
    builder.add_node(Agent(name="do", model=ScriptedModel(["done it"]), callback_handler=None))
    builder.add_edge("plan", "do")
    builder.set_session_manager(manager)
    builder.set_graph_id("flow")
    builder.set_execution_timeout(60)
    assert builder.build()("go").status.value == "completed"

    def down(messages: Any) -> str:
        raise RuntimeError("node is down")

    failing = GraphBuilder()
    failing.add_node(Agent(name="only", model=ScriptedModel([down]), callback_handler=None))
    failing.set_graph_id("flaky")
    failing.set_execution_timeout(60)
    failing_graph = failing.build()
    failing_graph.hooks.add_hook(manager.trace_hooks)  # after build: attached at invocation
    try:
        failing_graph("try")
    except Exception as exc:  # Strands may raise the node's error or report FAILED
        assert "node is down" in str(exc) or exc.__cause__ is not None
    ok, bad = get_reasoning_history_sync(manager.store, SID)
    assert (ok.query, ok.status, ok.final_response, ok.agent) == (
        "go",
        "completed",
        "done it",
        "do",
    )
    assert [(s.agent, s.thinking) for s in ok.steps] == [("plan", "a plan"), ("do", "done it")]
    assert [s.handoff for s in ok.steps] == [None, None], "graph edges are not handoffs"
    assert (bad.query, bad.status, bad.error) == ("try", "failed", "RuntimeError: node is down")
    assert bad.agent == "only" and bad.total_steps == 0


def test_the_drop_in_managers_take_trace(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    with SQLiteSessionManager(SID, path, trace=True) as manager:
        weather_agent(session_manager=manager)("Weather?")
    store = open_store(f"sqlite:///{path}")
    try:
        run = get_reasoning_sync(store, SID)
        assert run is not None and run.status == "completed" and len(run.tools) == 2
    finally:
        asyncio.run(store.aclose())


def test_include_data_false_stores_no_inputs_results_or_thinking(
    store_factory: StoreFactory, managers: list[StoreSessionManager]
) -> None:
    manager = traced(store_factory, managers, trace_include_data=False)
    weather_agent(session_manager=manager)("Paris secret")
    records = asyncio.run(manager.store.read(SID, stream=TRACE_STREAM))
    assert len(records) == 8
    for record in records:
        text = repr(record.data)
        for secret in ("Paris", "secret", "Sunny", "I need the city", "FR"):
            assert secret not in text, (secret, record.data)
    run = get_reasoning_sync(manager.store, SID)
    assert run is not None and run.status == "completed" and run.total_steps == 2
    assert sorted((t.name, t.status, t.error) for t in run.tools) == [
        ("forecast", "failed", "ValueError"),
        ("lookup_city", "completed", None),
    ]
    assert run.usage.total_tokens == 4


def test_store_down_during_a_run(
    store_factory: StoreFactory,
    managers: list[StoreSessionManager],
    caplog: pytest.LogCaptureFixture,
) -> None:
    manager = traced(store_factory, managers)
    outage = Outage(manager.store)
    mended = threading.Event()

    @tool
    def cut_the_store() -> str:
        """Take the store down."""
        outage.down = True
        return "cut"

    @tool
    def mend_the_store() -> str:
        """Bring it back once a trace write has failed."""
        for _ in range(6000):
            if outage.failed:
                break
            threading.Event().wait(0.01)
        outage.down = False
        mended.set()
        return "mended"

    agent = Agent(
        name="flaky",
        model=ScriptedModel(
            [
                tool_call("cut_the_store", {}, "c1"),
                tool_call("mend_the_store", {}, "c2"),
                "done",
            ]
        ),
        tools=[cut_the_store, mend_the_store],
        session_manager=manager,
        callback_handler=None,
    )
    with caplog.at_level(logging.WARNING, logger="sessions_plus.traces"):
        assert str(agent("go")).strip() == "done", "the run completed"
    assert mended.is_set() and manager.trace_hooks is not None
    assert manager.trace_hooks.dropped > 0
    assert len([r for r in caplog.records if "incomplete" in r.getMessage()]) == 1
    run = get_reasoning_sync(manager.store, SID)
    assert run is not None and run.status == "completed" and run.incomplete


def test_strict_fails_the_run_with_store_unavailable(
    store_factory: StoreFactory, managers: list[StoreSessionManager]
) -> None:
    manager = traced(store_factory, managers, trace_strict=True)
    agent = weather_agent(session_manager=manager)
    Outage(manager.store).down = True
    with pytest.raises(StoreUnavailableError):
        agent("q")


async def test_a_monitor_in_another_process_sees_the_tool_start_while_it_runs(
    cross_process_factory: StoreFactory,
) -> None:
    """Real time, proven: the tool does not return until another process, following the
    trace with ``watch``, has seen that tool's start; then the run ends and it sees the end."""
    seen_start = threading.Event()

    @tool
    def slow_report(topic: str) -> str:
        """A slow tool."""
        assert seen_start.wait(120), "the monitor never saw the tool start"
        return f"report on {topic}"

    manager = StoreSessionManager(SID, cross_process_factory(), close_store=True, trace=True)
    agent = Agent(
        name="reporter",
        model=ScriptedModel(
            [tool_call("slow_report", {"topic": "otters"}, "slow-1"), "Here is the report."]
        ),
        tools=[slow_report],
        session_manager=manager,
        callback_handler=None,
    )
    monitor = await start_python(MONITOR, cross_process_factory.url(), SID, "sync")
    try:
        assert (await next_line(monitor))["type"] == "ready"
        run = asyncio.create_task(asyncio.to_thread(agent, "Report on otters"))
        seen = [await next_line(monitor)]
        while seen[-1]["type"] != "tool_start":
            seen.append(await next_line(monitor))
        assert seen[-1]["name"] == "slow_report" and not run.done()
        seen_start.set()  # the other process saw it: let the tool finish
        assert str(await asyncio.wait_for(run, 120)).strip() == "Here is the report."
        seen += [json.loads(line) for line in (await output_of(monitor, 120)).splitlines()]
    finally:
        seen_start.set()
        if monitor.returncode is None:
            monitor.kill()
            await monitor.wait()
        manager.close()
    types = [event["type"] for event in seen]
    assert types == ["run_start", "step", "tool_start", "tool_end", "step", "run_end"]
