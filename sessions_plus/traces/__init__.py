"""Run traces: what every agent run did, stored in its session, readable while it runs.

SDK-free. Each event of a run (start, model step, tool start/end, handoff, end or failure) is one
record on the session's ``trace`` stream (:mod:`sessions_plus.traces.events` is the schema), so
traces live in the same store as the conversation, share the session's TTL and go with
``delete``. The SDK adapters' trace hooks record through :class:`TraceRecorder`; any process
reads them back:

* :func:`get_reasoning` — the latest run (:class:`Reasoning`: ``query``, ``final_response``,
  ``status``, ``steps`` of :class:`ReasoningStep` with ``thinking`` and ``tools`` of
  :class:`ToolData`, ``usage``), also while it runs;
* :func:`get_reasoning_history` — every run, oldest first; :func:`get_run` — one by id;
* :func:`session_usage` — :class:`Usage` totals and per-tool call counts;
* :func:`watch` — an async iterator of :class:`TraceEvent` as they are written;
  :func:`follow` — snapshots of one run as it grows, until it ends;
* ``*_sync`` wrappers of each, for scripts;
* :func:`render_trace` / :func:`render_event` / :func:`render_text` / :func:`trace_json` /
  :func:`event_json` (:mod:`sessions_plus.traces.render`, needs ``rich``; loaded on first use).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .events import (
    EVENT_TYPES,
    HANDOFF,
    RUN_END,
    RUN_FAILED,
    RUN_START,
    SCHEMA_VERSION,
    STEP,
    TOOL_END,
    TOOL_START,
    TRACE_FORMAT,
    TRACE_STREAM,
    TraceEvent,
    event_from_record,
    to_json_value,
)
from .fold import fold
from .model import Reasoning, ReasoningStep, RunStatus, SessionUsage, ToolData, ToolStatus, Usage
from .reader import (
    follow,
    get_reasoning,
    get_reasoning_history,
    get_run,
    read_events,
    session_usage,
    watch,
)
from .recorder import RunRecorder, TraceRecorder
from .sync import (
    get_reasoning_history_sync,
    get_reasoning_sync,
    get_run_sync,
    session_usage_sync,
    watch_sync,
)

if TYPE_CHECKING:
    from .render import event_json, render_event, render_run, render_text, render_trace, trace_json

_LAZY = {
    name: "sessions_plus.traces.render"
    for name in (
        "event_json",
        "render_event",
        "render_run",
        "render_text",
        "render_trace",
        "trace_json",
    )
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sessions_plus.traces' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "EVENT_TYPES",
    "HANDOFF",
    "RUN_END",
    "RUN_FAILED",
    "RUN_START",
    "SCHEMA_VERSION",
    "STEP",
    "TOOL_END",
    "TOOL_START",
    "TRACE_FORMAT",
    "TRACE_STREAM",
    "Reasoning",
    "ReasoningStep",
    "RunRecorder",
    "RunStatus",
    "SessionUsage",
    "ToolData",
    "ToolStatus",
    "TraceEvent",
    "TraceRecorder",
    "Usage",
    "event_from_record",
    "event_json",
    "fold",
    "follow",
    "get_reasoning",
    "get_reasoning_history",
    "get_reasoning_history_sync",
    "get_reasoning_sync",
    "get_run",
    "get_run_sync",
    "read_events",
    "render_event",
    "render_run",
    "render_text",
    "render_trace",
    "session_usage",
    "session_usage_sync",
    "to_json_value",
    "trace_json",
    "watch",
    "watch_sync",
]
