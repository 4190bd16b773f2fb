"""Rendering traces: the tree, one line per event, JSON (no store needed beyond memory)."""

from __future__ import annotations

import json

from rich.console import Console

from sessions_plus import MemoryStore
from sessions_plus.traces import (
    TraceRecorder,
    event_json,
    get_reasoning,
    get_reasoning_history,
    read_events,
    render_event,
    render_text,
    render_trace,
    trace_json,
)

from .helpers import SID, record_full_run


def plain(renderable: object) -> str:
    console = Console(width=120, no_color=True, color_system=None, record=True)
    with console.capture() as capture:
        console.print(renderable)
    return capture.get()


async def test_the_tree_shows_steps_tools_inputs_results_and_usage() -> None:
    store = MemoryStore()
    recorder = TraceRecorder(store, SID, sdk="openai-agents")
    run_id = await record_full_run(recorder)
    running = recorder.start_run("solo", "[bold]not markup[/bold]")
    running.step("solo", thinking="x" * 500, tool_calls=[("c", "slow")])
    running.tool_start("solo", "c", "slow", {"n": 1})
    await running.flush()
    text = render_text(await get_reasoning_history(store, SID), width=200, max_chars=80)
    lines = text.splitlines()
    assert lines[0].startswith(f"Run {run_id}  completed  openai-agents · triage → weather")
    assert (
        "3 steps" in lines[0] and "520 tokens (in 450 / out 70 / cached 80 / reasoning 16)" in text
    )
    for expected in (
        "Query: What is the weather?",
        "Step 1 · triage · 120 tokens (in 100 / out 20)",
        "Thinking: I need the city and the forecast.",
        '✓ lookup_city({"name": "Paris"}) → {"city": "Paris", "country": "FR"}',
        '✗ forecast({"city": "Paris", "days": 2}) ✗ ValueError: no forecast for Paris',
        "↪ handoff to weather",
        "Step 3 · weather",
        "Final: It is sunny in Paris.",
        f"Run {running.run_id}  running",
        "Query: [bold]not markup[/bold]",
        '… slow({"n": 1}) running…',
    ):
        assert expected in text, expected
    thinking = next(line for line in lines if "Thinking: xxx" in line)
    assert thinking.rstrip().endswith("x…") and thinking.count("x") == 79
    assert "no runs recorded" in plain(render_trace([]))


async def test_events_render_one_line_each_and_as_json_lines() -> None:
    store = MemoryStore()
    recorder = TraceRecorder(store, SID, sdk="strands")
    await record_full_run(recorder)
    failed = recorder.start_run("a", "q")
    failed.fail("a", RuntimeError("boom"))
    await failed.flush()
    events = await read_events(store, SID)
    lines = [plain(render_event(event)).rstrip("\n") for event in events]
    assert len(lines) == 12 and all("\n" not in line for line in lines)
    assert lines[0].startswith("#1") and "triage run started" in lines[0]
    assert "→ lookup_city" in lines[2] and "✗ forecast ValueError" in lines[4]
    assert "✓ lookup_city → " in lines[5] and "↪ handoff to weather" in lines[7]
    assert "run completed: It is sunny in Paris." in lines[9]
    assert "run failed: RuntimeError: boom" in lines[11]
    decoded = [json.loads(event_json(event)) for event in events]
    assert [d["seq"] for d in decoded] == list(range(1, 13))
    assert decoded[0]["type"] == "run_start" and decoded[0]["query"] == "What is the weather?"


async def test_json_is_the_model_as_dicts() -> None:
    store = MemoryStore()
    await record_full_run(TraceRecorder(store, SID, sdk="strands"))
    latest = await get_reasoning(store, SID)
    assert latest is not None
    assert json.loads(trace_json(latest)) == [latest.to_dict()]
    assert json.loads(trace_json([])) == []
