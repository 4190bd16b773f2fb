"""Folding trace events into runs: events in seq order -> :class:`Reasoning` objects.

Pure and SDK-free. The fold is tolerant, because events can be missing (a store that was down
while recording) or still to come (a run in progress):

* a run starts at its first event (normally ``run_start``) and stays ``"running"`` until its
  ``run_end`` or ``run_failed``;
* a tool call belongs to the step whose ``tool_calls`` named its ``call_id``; else to the latest
  step of the same agent; else to the latest step; with no step yet, to a new step without
  thinking. A ``tool_end`` without its ``tool_start`` still makes a tool (no ``started_at``);
  one without a ``call_id`` ends the latest running tool of that name;
* a ``handoff`` marks the latest step of the agent that handed off;
* unknown event types and fields (a newer schema) are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .events import (
    HANDOFF,
    RUN_END,
    RUN_FAILED,
    RUN_START,
    STEP,
    TOOL_END,
    TOOL_START,
    TraceEvent,
)
from .model import Reasoning, ReasoningStep, RunStatus, ToolData, Usage


@dataclass(slots=True)
class _Tool:
    call_id: str | None
    name: str
    inputs: Any = None
    result: Any = None
    error: str | None = None
    started_at: float | None = None
    ended_at: float | None = None

    def freeze(self) -> ToolData:
        return ToolData(
            self.call_id,
            self.name,
            self.inputs,
            self.result,
            self.error,
            self.started_at,
            self.ended_at,
        )


@dataclass(slots=True)
class _Step:
    step_number: int
    timestamp: float
    agent: str | None
    thinking: str | None = None
    tools: list[_Tool] = field(default_factory=list)
    handoff: str | None = None
    usage: Usage | None = None

    def freeze(self) -> ReasoningStep:
        return ReasoningStep(
            self.step_number,
            self.timestamp,
            self.agent,
            self.thinking,
            [tool.freeze() for tool in self.tools],
            self.handoff,
            self.usage,
        )


@dataclass(slots=True)
class _Run:
    run_id: str
    first_seq: int
    query: Any = None
    final_response: Any = None
    status: RunStatus = "running"
    error: str | None = None
    agent: str | None = None
    sdk: str | None = None
    started_at: float | None = None
    ended_at: float | None = None
    incomplete: bool = False
    last_seq: int = 0
    steps: list[_Step] = field(default_factory=list)
    step_of_call: dict[str, _Step] = field(default_factory=dict)
    tool_of_call: dict[str, _Tool] = field(default_factory=dict)

    def freeze(self) -> Reasoning:
        usage = Usage()
        for step in self.steps:
            if step.usage is not None:
                usage = usage + step.usage
        return Reasoning(
            run_id=self.run_id,
            query=self.query,
            final_response=self.final_response,
            status=self.status,
            error=self.error,
            agent=self.agent,
            sdk=self.sdk,
            started_at=self.started_at,
            ended_at=self.ended_at,
            steps=[step.freeze() for step in self.steps],
            usage=usage,
            incomplete=self.incomplete,
            first_seq=self.first_seq,
            last_seq=self.last_seq,
        )

    # ------------------------------------------------------------------ events

    def apply(self, event: TraceEvent) -> None:
        self.last_seq = event.seq
        self.sdk = self.sdk or event.sdk
        if self.status == "running" and event.agent is not None:
            self.agent = event.agent
        if self.started_at is None:
            self.started_at = event.timestamp
        handler = _HANDLERS.get(event.type)
        if handler is not None:
            handler(self, event)

    def on_start(self, event: TraceEvent) -> None:
        self.query = event.get("query")
        self.started_at = event.timestamp

    def on_step(self, event: TraceEvent) -> None:
        number = event.get("step")
        if not isinstance(number, int) or isinstance(number, bool):
            number = len(self.steps) + 1
        thinking = event.get("thinking")
        usage = event.get("usage")
        step = _Step(
            step_number=number,
            timestamp=event.timestamp,
            agent=event.agent,
            thinking=thinking if isinstance(thinking, str) else None,
            usage=Usage.from_dict(usage) if isinstance(usage, dict) else None,
        )
        self.steps.append(step)
        calls = event.get("tool_calls")
        for call in calls if isinstance(calls, list) else ():
            call_id = call.get("call_id") if isinstance(call, dict) else None
            if isinstance(call_id, str):
                self.step_of_call[call_id] = step

    def on_tool_start(self, event: TraceEvent) -> None:
        tool = self._tool(event)
        tool.inputs = event.get("inputs")
        tool.started_at = event.timestamp

    def on_tool_end(self, event: TraceEvent) -> None:
        tool = self._tool(event, ending=True)
        tool.result = event.get("result")
        error = event.get("error")
        tool.error = None if error is None else str(error)
        tool.ended_at = event.timestamp

    def on_handoff(self, event: TraceEvent) -> None:
        target = event.get("to_agent")
        self._step_for(None, event).handoff = target if isinstance(target, str) else None

    def on_end(self, event: TraceEvent) -> None:
        self.status = "completed"
        self.final_response = event.get("final_response")
        self._finish(event)

    def on_failed(self, event: TraceEvent) -> None:
        self.status = "failed"
        error = event.get("error")
        self.error = "Error" if error is None else str(error)
        self._finish(event)

    def _finish(self, event: TraceEvent) -> None:
        self.ended_at = event.timestamp
        self.agent = event.agent or self.agent
        dropped = event.get("dropped")
        if isinstance(dropped, int) and dropped > 0:
            self.incomplete = True

    # ------------------------------------------------------------------ placement

    def _tool(self, event: TraceEvent, *, ending: bool = False) -> _Tool:
        """The tool an event is about: the one with its call id, or a new one in its step."""
        call_id = event.get("call_id")
        call_id = call_id if isinstance(call_id, str) else None
        name = event.get("name")
        name = name if isinstance(name, str) else "?"
        if call_id is not None and call_id in self.tool_of_call:
            return self.tool_of_call[call_id]
        if call_id is None and ending:
            for step in reversed(self.steps):
                for tool in reversed(step.tools):
                    if tool.name == name and tool.ended_at is None and tool.call_id is None:
                        return tool
        tool = _Tool(call_id, name)
        self._step_for(call_id, event).tools.append(tool)
        if call_id is not None:
            self.tool_of_call[call_id] = tool
        return tool

    def _step_for(self, call_id: str | None, event: TraceEvent) -> _Step:
        if call_id is not None and call_id in self.step_of_call:
            return self.step_of_call[call_id]
        for step in reversed(self.steps):
            if step.agent == event.agent:
                return step
        if self.steps:
            return self.steps[-1]
        step = _Step(step_number=1, timestamp=event.timestamp, agent=event.agent)
        self.steps.append(step)
        return step


_HANDLERS = {
    RUN_START: _Run.on_start,
    STEP: _Run.on_step,
    TOOL_START: _Run.on_tool_start,
    TOOL_END: _Run.on_tool_end,
    HANDOFF: _Run.on_handoff,
    RUN_END: _Run.on_end,
    RUN_FAILED: _Run.on_failed,
}


def fold(events: Iterable[TraceEvent]) -> list[Reasoning]:
    """Fold trace events (in seq order, any mix of runs) into runs, ordered by first event."""
    runs: dict[str, _Run] = {}
    for event in events:
        run = runs.get(event.run_id)
        if run is None:
            run = runs[event.run_id] = _Run(event.run_id, first_seq=event.seq)
        run.apply(event)
    return [run.freeze() for run in runs.values()]
