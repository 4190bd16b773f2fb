"""TraceHooks on the real OpenAI Agents SDK Runner (scripted model), on every backend."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from agents import (
    Agent,
    GuardrailFunctionOutput,
    InputGuardrailTripwireTriggered,
    MaxTurnsExceeded,
    OutputGuardrailTripwireTriggered,
    RunConfig,
    RunHooks,
    Runner,
    function_tool,
    input_guardrail,
    output_guardrail,
    set_tracing_disabled,
)
from agents.testing import ModelStep, ScriptedModel, assistant_message, function_call
from agents.usage import InputTokensDetails, OutputTokensDetails
from agents.usage import Usage as SdkUsage
from openai.types.responses import ResponseReasoningItem
from openai.types.responses.response_reasoning_item import Summary

from sessions_plus import StoreUnavailableError
from sessions_plus.openai_agents import StoreSession, TraceHooks
from sessions_plus.openai_agents.traces import DEFAULT_TOOL_ERROR
from sessions_plus.traces import TRACE_STREAM, Usage, get_reasoning, get_reasoning_history
from tests.fixtures.factory import StoreFactory
from tests.fixtures.processes import output_of, start_python
from tests.traces.helpers import MONITOR, Outage, next_line

set_tracing_disabled(True)

SID = "openai:{traces}"


def usage(inp: int, out: int, cached: int = 0, written: int = 0, reasoning: int = 0) -> SdkUsage:
    return SdkUsage(
        requests=1,
        input_tokens=inp,
        output_tokens=out,
        total_tokens=inp + out,
        input_tokens_details=InputTokensDetails(cached_tokens=cached, cache_write_tokens=written),
        output_tokens_details=OutputTokensDetails(reasoning_tokens=reasoning),
    )


@function_tool
def lookup_city(name: str) -> dict[str, str]:
    """Find a city."""
    return {"city": name, "country": "FR"}


@function_tool
def forecast(city: str, days: int) -> str:
    """Forecast the weather."""
    raise ValueError(f"no forecast for {city}")


THOUGHT = "Need the city and the forecast."


def weather_team() -> Agent[Any]:
    """Triage calls two tools in one step (one fails), then hands off to Weather."""
    weather = Agent(
        name="Weather",
        model=ScriptedModel(
            [ModelStep(output=[assistant_message("Sunny in Paris.")], usage=usage(30, 5))]
        ),
    )
    triage_model = ScriptedModel(
        [
            ModelStep(
                output=[
                    ResponseReasoningItem(
                        id="rs_1",
                        type="reasoning",
                        summary=[
                            Summary(text="Need the city and the forecast.", type="summary_text")
                        ],
                    ),
                    function_call("lookup_city", {"name": "Paris"}, call_id="call-1"),
                    function_call("forecast", {"city": "Paris", "days": 2}, call_id="call-2"),
                ],
                usage=usage(100, 20, cached=40, reasoning=8),
            ),
            ModelStep(
                output=[
                    assistant_message("Over to the weather agent."),
                    function_call("transfer_to_weather", {}, call_id="call-3"),
                ],
                usage=usage(150, 10, written=5),
            ),
        ]
    )
    return Agent(
        name="Triage", model=triage_model, tools=[lookup_city, forecast], handoffs=[weather]
    )


async def test_every_field_of_a_run_with_tools_and_a_handoff(store_factory: StoreFactory) -> None:
    store = store_factory()
    session = StoreSession(SID, store)
    await Runner.run(weather_team(), "Weather in Paris?", session=session)  # history first
    hooks = TraceHooks(session)
    result = await Runner.run(
        weather_team(), "And tomorrow?", session=session, hooks=hooks, run_config=hooks.run_config()
    )
    assert result.final_output == "Sunny in Paris."
    run = await get_reasoning(store, SID)
    assert run is not None
    assert run.query == "And tomorrow?", "the new input, not the session history"
    assert (run.status, run.error, run.final_response) == ("completed", None, "Sunny in Paris.")
    assert (run.agent, run.sdk, run.total_steps, run.incomplete) == (
        "Weather",
        "openai-agents",
        3,
        False,
    )
    assert run.started_at is not None and run.ended_at is not None
    assert run.started_at <= run.ended_at
    one, two, three = run.steps
    assert [s.agent for s in run.steps] == ["Triage", "Triage", "Weather"]
    assert [s.handoff for s in run.steps] == [None, "Weather", None]
    assert one.thinking == "Need the city and the forecast."
    assert two.thinking == "Over to the weather agent." and three.thinking == "Sunny in Paris."
    assert one.usage == Usage(1, 100, 20, 120, cached_tokens=40, reasoning_tokens=8)
    assert run.usage == Usage(3, 280, 35, 315, 40, cache_write_tokens=5, reasoning_tokens=8)
    city, weather = one.tools
    assert (city.call_id, city.name, city.inputs) == ("call-1", "lookup_city", {"name": "Paris"})
    assert city.result == {"city": "Paris", "country": "FR"} and city.status == "completed"
    assert (weather.call_id, weather.inputs) == ("call-2", {"city": "Paris", "days": 2})
    assert weather.status == "failed" and weather.error == "ValueError: no forecast for Paris"
    for tool in (city, weather):
        assert tool.started_at is not None and tool.ended_at is not None
        assert one.timestamp <= tool.started_at <= tool.ended_at <= two.timestamp
    assert two.tools == [] and three.tools == []
    records = await store.read(SID, stream=TRACE_STREAM)
    assert {r.author for r in records} == {"Triage", "Weather"}
    # the conversation itself is untouched by the trace
    assert all(r.format == "openai.responses" for r in await store.read(SID))


async def test_a_failing_tool_without_the_run_config(store_factory: StoreFactory) -> None:
    store = store_factory()
    session = StoreSession(SID, store)
    await Runner.run(weather_team(), "q", session=session, hooks=TraceHooks(session))
    run = await get_reasoning(store, SID)
    assert run is not None
    failed = run.steps[0].tools[1]
    assert failed.status == "failed" and failed.error == DEFAULT_TOOL_ERROR


async def test_run_sync_and_run_streamed(store_factory: StoreFactory) -> None:
    store = store_factory()
    session = StoreSession(SID, store)
    hooks = TraceHooks(session)

    def sync_run() -> Any:
        with hooks:
            return Runner.run_sync(weather_team(), "sync", session=session, hooks=hooks)

    assert (await asyncio.to_thread(sync_run)).final_output == "Sunny in Paris."
    async with hooks:
        streamed = Runner.run_streamed(weather_team(), "streamed", session=session, hooks=hooks)
        async for _ in streamed.stream_events():
            pass
    runs = await get_reasoning_history(store, SID)
    assert [(r.query, r.status, r.total_steps) for r in runs] == [
        ("sync", "completed", 3),
        ("streamed", "completed", 3),
    ]
    assert [len(r.tools) for r in runs] == [2, 2]
    assert runs[1].steps[1].handoff == "Weather"


async def test_one_hooks_object_records_concurrent_runs_apart(store_factory: StoreFactory) -> None:
    store = store_factory()
    session = StoreSession(SID, store)
    hooks = TraceHooks(session)  # no conversation: three at once on one would interleave it
    await asyncio.gather(*(Runner.run(weather_team(), f"q{n}", hooks=hooks) for n in range(3)))
    runs = await get_reasoning_history(store, SID)
    assert sorted(r.query for r in runs) == ["q0", "q1", "q2"]
    assert all(r.status == "completed" and r.total_steps == 3 for r in runs)
    assert all([t.call_id for t in r.tools] == ["call-1", "call-2"] for r in runs)


async def test_failed_runs_inside_the_hooks_context(store_factory: StoreFactory) -> None:
    store = store_factory()
    hooks = TraceHooks(StoreSession(SID, store))  # the runs keep no conversation: no history

    looping = Agent(
        name="Looper",
        model=ScriptedModel(
            [[function_call("lookup_city", {"name": "X"}, call_id=f"c{n}")] for n in range(5)]
        ),
        tools=[lookup_city],
    )
    with pytest.raises(MaxTurnsExceeded):
        async with hooks:
            await Runner.run(looping, "loop", hooks=hooks, max_turns=2)

    broken = Agent(
        name="Broken", model=ScriptedModel([ModelStep(error=RuntimeError("model is down"))])
    )
    with pytest.raises(RuntimeError, match="model is down"):
        async with hooks:
            await Runner.run(broken, "broken", hooks=hooks)

    @input_guardrail
    async def no_secrets(ctx: Any, agent: Any, value: Any) -> GuardrailFunctionOutput:
        return GuardrailFunctionOutput(output_info="secret", tripwire_triggered=True)

    guarded = Agent(
        name="Guarded",
        model=ScriptedModel([[assistant_message("never")]]),
        input_guardrails=[no_secrets],
    )
    with pytest.raises(InputGuardrailTripwireTriggered):
        async with hooks:
            await Runner.run(guarded, "my password", hooks=hooks)

    @output_guardrail
    async def no_weather(ctx: Any, agent: Any, output: Any) -> GuardrailFunctionOutput:
        return GuardrailFunctionOutput(output_info="weather", tripwire_triggered=True)

    checked = Agent(
        name="Checked",
        model=ScriptedModel([[assistant_message("It rains.")]]),
        output_guardrails=[no_weather],
    )
    with pytest.raises(OutputGuardrailTripwireTriggered):
        async with hooks:
            await Runner.run(checked, "weather?", hooks=hooks)

    def sync_failure() -> None:
        with hooks:
            Runner.run_sync(broken, "sync broken", hooks=hooks)

    broken.model = ScriptedModel([ModelStep(error=RuntimeError("model is down"))])
    with pytest.raises(RuntimeError, match="model is down"):
        await asyncio.to_thread(sync_failure)

    runs = await get_reasoning_history(store, SID)
    assert [(r.query, r.status) for r in runs] == [
        ("loop", "failed"),
        ("broken", "failed"),
        ("my password", "failed"),
        ("weather?", "failed"),
        ("sync broken", "failed"),
    ]
    loop, model, guard, output, sync = runs
    assert loop.error == "MaxTurnsExceeded: Max turns (2) exceeded" and loop.total_steps == 2
    assert [t.status for t in loop.tools] == ["completed", "completed"]
    assert model.error == "RuntimeError: model is down" and model.agent == "Broken"
    assert guard.error is not None and guard.error.startswith("InputGuardrailTripwireTriggered")
    assert output.error is not None and output.error.startswith("OutputGuardrailTripwireTriggered")
    assert output.final_response == "It rains.", "on_agent_end ran before the output guardrail"
    assert sync.error == "RuntimeError: model is down" and sync.ended_at is not None


async def test_without_the_context_a_failed_run_stays_running(
    store_factory: StoreFactory,
) -> None:
    store = store_factory()
    session = StoreSession(SID, store)
    broken = Agent(name="Broken", model=ScriptedModel([ModelStep(error=RuntimeError("down"))]))
    hooks = TraceHooks(session)
    with pytest.raises(RuntimeError):
        await Runner.run(broken, "q", session=session, hooks=hooks)
    run = None
    for _ in range(600):  # the run's start is written by the writer, which goes on
        run = await get_reasoning(store, SID)
        if run is not None:
            break
        await asyncio.sleep(0.1)
    assert run is not None and run.status == "running" and run.query == "q"


async def test_your_own_run_hooks_are_called_too(store_factory: StoreFactory) -> None:
    store = store_factory()
    session = StoreSession(SID, store)
    seen: list[tuple[str, ...]] = []

    class Mine(RunHooks[Any]):
        async def on_agent_start(self, context: Any, agent: Any) -> None:
            seen.append(("agent_start", agent.name))

        async def on_llm_start(self, context: Any, agent: Any, prompt: Any, items: Any) -> None:
            seen.append(("llm_start", agent.name))

        async def on_llm_end(self, context: Any, agent: Any, response: Any) -> None:
            seen.append(("llm_end", agent.name))

        async def on_tool_start(self, context: Any, agent: Any, tool: Any) -> None:
            seen.append(("tool_start", tool.name))

        async def on_tool_end(self, context: Any, agent: Any, tool: Any, result: Any) -> None:
            seen.append(("tool_end", tool.name))

        async def on_handoff(self, context: Any, from_agent: Any, to_agent: Any) -> None:
            seen.append(("handoff", from_agent.name, to_agent.name))

        async def on_agent_end(self, context: Any, agent: Any, output: Any) -> None:
            seen.append(("agent_end", output))

    hooks = TraceHooks(session, hooks=Mine())
    await Runner.run(weather_team(), "q", session=session, hooks=hooks)
    assert seen[0] == ("agent_start", "Triage") and seen[-1] == ("agent_end", "Sunny in Paris.")
    assert ("handoff", "Triage", "Weather") in seen
    assert [s for s in seen if s[0] == "tool_end"] == [
        ("tool_end", "lookup_city"),
        ("tool_end", "forecast"),
    ] or sorted(s for s in seen if s[0] == "tool_end") == [
        ("tool_end", "forecast"),
        ("tool_end", "lookup_city"),
    ]
    assert len([s for s in seen if s[0] == "llm_end"]) == 3
    run = await get_reasoning(store, SID)
    assert run is not None and run.total_steps == 3


async def test_for_store_records_runs_whose_conversation_is_elsewhere(
    store_factory: StoreFactory, tmp_path: Any
) -> None:
    from agents import SQLiteSession as SdkSQLiteSession

    store = store_factory()
    hooks = TraceHooks.for_store(store, SID)
    sdk_session = SdkSQLiteSession("elsewhere", str(tmp_path / "sdk.db"))
    await Runner.run(weather_team(), "q", session=sdk_session, hooks=hooks)
    run = await get_reasoning(store, SID)
    assert run is not None and run.status == "completed" and run.total_steps == 3
    assert len(await sdk_session.get_items()) > 0 and await store.read(SID) == []
    with pytest.raises(TypeError, match="sessions-plus session"):
        TraceHooks(sdk_session)


async def test_a_run_config_of_yours_keeps_its_tool_error_formatter(
    store_factory: StoreFactory,
) -> None:
    store = store_factory()
    session = StoreSession(SID, store)
    hooks = TraceHooks(session)
    mine = RunConfig(tool_error_formatter=lambda args: f"sorry: {args.tool_name}")
    config = hooks.run_config(mine)
    assert config is not mine and mine.tool_error_formatter is not config.tool_error_formatter
    await Runner.run(weather_team(), "q", session=session, hooks=hooks, run_config=config)
    run = await get_reasoning(store, SID)
    assert run is not None
    assert run.steps[0].tools[1].error == "ValueError: no forecast for Paris"
    history = await session.get_items()
    outputs = [i["output"] for i in history if i.get("type") == "function_call_output"]
    assert "sorry: forecast" in outputs


async def test_include_data_false_stores_no_inputs_results_or_thinking(
    store_factory: StoreFactory,
) -> None:
    store = store_factory()
    session = StoreSession(SID, store)
    hooks = TraceHooks(session, include_data=False)
    await Runner.run(
        weather_team(), "Paris secret", session=session, hooks=hooks, run_config=hooks.run_config()
    )
    records = await store.read(SID, stream=TRACE_STREAM)
    assert records
    for record in records:
        text = repr(record.data)
        for secret in ("Paris", "secret", "Sunny", "Need the city", "FR"):
            assert secret not in text, (secret, record.data)
    run = await get_reasoning(store, SID)
    assert run is not None and run.status == "completed" and run.total_steps == 3
    assert [(t.name, t.status, t.error) for t in run.tools] == [
        ("lookup_city", "completed", None),
        ("forecast", "failed", "ValueError"),
    ]
    assert run.usage.total_tokens == 315 and run.steps[1].handoff == "Weather"


async def until(predicate: Any, what: str) -> None:
    for _ in range(6000):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def test_store_down_during_a_run(
    store_factory: StoreFactory, caplog: pytest.LogCaptureFixture
) -> None:
    store = store_factory()
    session = StoreSession(SID, store)
    outage = Outage(store)
    hooks = TraceHooks(session, linger=0)

    @function_tool
    async def cut_the_store() -> str:
        """Take the store down."""
        outage.down = True
        return "cut"

    @function_tool
    async def mend_the_store() -> str:
        """Bring it back once a trace write has failed."""
        await until(lambda: outage.failed > 0, "a failed trace write")
        outage.down = False
        return "mended"

    agent = Agent(
        name="Flaky",
        model=ScriptedModel(
            [
                [function_call("cut_the_store", {}, call_id="c1")],
                [function_call("mend_the_store", {}, call_id="c2")],
                [assistant_message("done")],
            ]
        ),
        tools=[cut_the_store, mend_the_store],
    )
    with caplog.at_level(logging.WARNING, logger="sessions_plus.traces"):
        result = await Runner.run(agent, "go", hooks=hooks, session=session)
    assert result.final_output == "done", "the run completed"
    assert hooks.dropped > 0 and outage.failed > 0
    assert len([r for r in caplog.records if "incomplete" in r.getMessage()]) == 1
    run = await get_reasoning(store, SID)
    assert run is not None and run.status == "completed" and run.incomplete
    assert run.final_response == "done"


async def test_strict_fails_the_run_with_store_unavailable(store_factory: StoreFactory) -> None:
    store = store_factory()
    session = StoreSession(SID, store)
    Outage(store).down = True
    hooks = TraceHooks(session, strict=True)
    with pytest.raises(StoreUnavailableError):
        await Runner.run(weather_team(), "q", hooks=hooks, session=session)


async def test_a_monitor_in_another_process_sees_the_tool_start_while_it_runs(
    cross_process_factory: StoreFactory,
) -> None:
    """Real time, proven: the tool does not return until another process, following the
    trace with ``watch``, has seen that tool's start; then the run ends and it sees the end."""
    store = cross_process_factory()
    session = StoreSession(SID, store)
    seen_start = asyncio.Event()

    @function_tool
    async def slow_report(topic: str) -> str:
        """A slow tool."""
        await asyncio.wait_for(seen_start.wait(), 120)
        return f"report on {topic}"

    agent = Agent(
        name="Reporter",
        model=ScriptedModel(
            [
                [function_call("slow_report", {"topic": "otters"}, call_id="slow-1")],
                [assistant_message("Here is the report.")],
            ]
        ),
        tools=[slow_report],
    )
    monitor = await start_python(MONITOR, cross_process_factory.url(), SID, "async")
    try:
        assert (await next_line(monitor))["type"] == "ready"
        run = asyncio.create_task(
            Runner.run(agent, "Report on otters", session=session, hooks=TraceHooks(session))
        )
        seen = [await next_line(monitor)]
        while seen[-1]["type"] != "tool_start":
            seen.append(await next_line(monitor))
        assert seen[-1]["name"] == "slow_report" and not run.done()
        seen_start.set()  # the other process saw it: let the tool finish
        assert (await asyncio.wait_for(run, 120)).final_output == "Here is the report."
        seen += [json.loads(line) for line in (await output_of(monitor, 120)).splitlines()]
    finally:
        if monitor.returncode is None:
            monitor.kill()
            await monitor.wait()
    types = [event["type"] for event in seen]
    assert types == ["run_start", "step", "tool_start", "tool_end", "step", "run_end"]
