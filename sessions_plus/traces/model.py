"""The run-trace model: what one run of an agent did, folded from its trace events.

The shapes follow MinimalAgent's reasoning objects (``query``, ``final_response``,
``total_steps``, ``steps[].step_number/thinking/tools[].name/inputs/result``), which users
arrive knowing, plus status, timings, agents and token usage. Every class is a frozen dataclass
with ``to_dict()`` returning plain JSON values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

RunStatus = Literal["running", "completed", "failed"]
ToolStatus = Literal["running", "completed", "failed"]


def _int(value: object) -> int:
    """A token count read from stored JSON: ints only, anything else counts as 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


@dataclass(frozen=True, slots=True)
class Usage:
    """Token usage of one model step, one run, or a whole session.

    ``requests`` counts model calls. The detail counts (``cached_tokens``: input tokens read from
    the provider's prompt cache, ``cache_write_tokens``: input tokens written to it,
    ``reasoning_tokens``: output tokens spent on reasoning) are 0 where the SDK or the provider
    does not report them. Usages add up with ``+``.
    """

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(
            requests=self.requests + other.requests,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
        )

    def to_dict(self) -> dict[str, int]:
        """The counts as a JSON object (the shape stored in trace events)."""
        return {
            "requests": self.requests,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "total_tokens": self.total_tokens,
            "cached_tokens": self.cached_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "reasoning_tokens": self.reasoning_tokens,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Usage:
        """Read a stored usage object; missing or malformed counts read as 0."""
        if not isinstance(data, Mapping):
            return cls()
        return cls(
            requests=_int(data.get("requests")),
            input_tokens=_int(data.get("input_tokens")),
            output_tokens=_int(data.get("output_tokens")),
            total_tokens=_int(data.get("total_tokens")),
            cached_tokens=_int(data.get("cached_tokens")),
            cache_write_tokens=_int(data.get("cache_write_tokens")),
            reasoning_tokens=_int(data.get("reasoning_tokens")),
        )


@dataclass(frozen=True, slots=True)
class ToolData:
    """One tool call: its inputs and result (or error) and when it ran.

    ``result`` is None while the tool is still running (``ended_at`` is None then too). With
    ``include_data=False`` recording, ``inputs`` and ``result`` are None and ``error`` holds only
    the error's type name.
    """

    call_id: str | None
    name: str
    inputs: Any = None
    result: Any = None
    error: str | None = None
    started_at: float | None = None
    ended_at: float | None = None

    @property
    def status(self) -> ToolStatus:
        """``"running"`` until the tool ended, then ``"failed"`` if it raised, else
        ``"completed"``."""
        if self.ended_at is None:
            return "running"
        return "failed" if self.error is not None else "completed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "name": self.name,
            "inputs": self.inputs,
            "result": self.result,
            "error": self.error,
            "status": self.status,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
        }


@dataclass(frozen=True, slots=True)
class ReasoningStep:
    """One model step of a run: what the model said or thought, and the tools it called.

    ``agent`` is the agent (or Swarm/Graph node) that took the step; ``handoff`` the agent it
    handed the run to, if it did. ``thinking`` is the model's text or reasoning summary (None
    with ``include_data=False``). ``usage`` is this step's own token usage, if reported.
    """

    step_number: int
    timestamp: float
    agent: str | None
    thinking: str | None = None
    tools: list[ToolData] = field(default_factory=list)
    handoff: str | None = None
    usage: Usage | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "step_number": self.step_number,
            "timestamp": self.timestamp,
            "agent": self.agent,
            "thinking": self.thinking,
            "tools": [tool.to_dict() for tool in self.tools],
            "handoff": self.handoff,
            "usage": None if self.usage is None else self.usage.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Reasoning:
    """One run of an agent (one ``Runner.run`` or ``agent(...)`` call), as far as recorded.

    ``status`` is ``"running"`` until the run's end or failure is recorded: a run whose process
    died stays ``"running"``. ``agent`` is the agent that finished the run (while running: the
    agent of the latest event). ``usage`` sums the steps' usage. ``incomplete`` is True when the
    recorder could not write some events of this run (the store was down): they are missing.
    ``first_seq``/``last_seq`` are the trace-stream seqs of the run's first and latest event
    (``watch(..., after=last_seq)`` continues from there).
    """

    run_id: str
    query: Any
    final_response: Any
    status: RunStatus
    error: str | None
    agent: str | None
    sdk: str | None
    started_at: float | None
    ended_at: float | None
    steps: list[ReasoningStep]
    usage: Usage
    incomplete: bool = False
    first_seq: int = 0
    last_seq: int = 0

    @property
    def total_steps(self) -> int:
        """Number of model steps recorded."""
        return len(self.steps)

    @property
    def tools(self) -> list[ToolData]:
        """Every tool call of the run, step by step."""
        return [tool for step in self.steps for tool in step.tools]

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "query": self.query,
            "final_response": self.final_response,
            "status": self.status,
            "error": self.error,
            "agent": self.agent,
            "sdk": self.sdk,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "total_steps": self.total_steps,
            "steps": [step.to_dict() for step in self.steps],
            "usage": self.usage.to_dict(),
            "incomplete": self.incomplete,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
        }


@dataclass(frozen=True, slots=True)
class SessionUsage:
    """Usage over every recorded run of a session.

    ``tool_calls`` counts calls per tool name, ``tool_errors`` the calls that failed.
    """

    runs: int
    usage: Usage
    tool_calls: dict[str, int]
    tool_errors: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "usage": self.usage.to_dict(),
            "tool_calls": dict(self.tool_calls),
            "tool_errors": dict(self.tool_errors),
        }
