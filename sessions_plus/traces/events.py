"""The trace event schema: one record per event on the session's ``trace`` stream.

Every event is a JSON object with the common fields

* ``v``: schema version (:data:`SCHEMA_VERSION`); readers ignore fields they do not know;
* ``type``: one of :data:`EVENT_TYPES`;
* ``run_id``: the run it belongs to (one ``Runner.run`` / ``agent(...)`` call);
* ``ts``: when it happened (Unix seconds, the recording process's clock);
* ``agent``: the agent (or Swarm/Graph node) it happened in; ``sdk``: which SDK recorded it,

and, per type (fields marked * are left out when recording with ``include_data=False``):

==============  ==================================================================
``run_start``   ``query``\\*, ``include_data`` (false: data fields were left out)
``step``        ``step`` (1-based, per run), ``thinking``\\*, ``usage`` (a
                :class:`~sessions_plus.traces.Usage` object), ``tool_calls``
                (``[{"call_id", "name"}]`` the model asked for; no inputs)
``tool_start``  ``call_id``, ``name``, ``inputs``\\*
``tool_end``    ``call_id``, ``name``, ``result``\\*, ``error`` (None, or
                ``"Type: message"``; only ``"Type"`` without data)
``handoff``     ``to_agent`` (``agent`` is the one handing off)
``run_end``     ``final_response``\\*, ``dropped`` (events that could not be written)
``run_failed``  ``error``, ``dropped``
==============  ==================================================================

Records carry ``format="sessions_plus.trace"`` and ``author`` = the event's agent in their
header. The stream is part of the session, so it shares the session's TTL and goes with
``delete``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from ..records import Record

TRACE_STREAM: Final = "trace"
"""The stream of a session that holds its trace events."""

TRACE_FORMAT: Final = "sessions_plus.trace"
"""The ``format`` header of every trace record."""

SCHEMA_VERSION: Final = 1
"""Version of the event schema written by this release (the ``v`` field)."""

RUN_START: Final = "run_start"
STEP: Final = "step"
TOOL_START: Final = "tool_start"
TOOL_END: Final = "tool_end"
HANDOFF: Final = "handoff"
RUN_END: Final = "run_end"
RUN_FAILED: Final = "run_failed"
EVENT_TYPES: Final = (RUN_START, STEP, TOOL_START, TOOL_END, HANDOFF, RUN_END, RUN_FAILED)

DATA_FIELDS: Final = frozenset({"query", "thinking", "inputs", "result", "final_response"})
"""Fields that hold user data: never written with ``include_data=False``."""

_MAX_JSON_DEPTH = 32


@dataclass(frozen=True, slots=True)
class TraceEvent:
    """One trace event as read back: its seq on the trace stream and its fields.

    ``data`` is the whole stored event (the common fields and the type's own); ``written_at``
    is when the store wrote it (the record header). Use ``seq`` to resume a
    :func:`~sessions_plus.traces.watch`.
    """

    seq: int
    type: str
    run_id: str
    timestamp: float
    agent: str | None
    sdk: str | None
    data: Mapping[str, Any]
    written_at: float

    def get(self, name: str, default: Any = None) -> Any:
        """A field of the event (e.g. ``"call_id"``, ``"thinking"``), or ``default``."""
        return self.data.get(name, default)

    def to_dict(self) -> dict[str, Any]:
        """The stored event plus its ``seq`` and ``written_at``."""
        return {"seq": self.seq, "written_at": self.written_at, **self.data}


def event_from_record(record: Record) -> TraceEvent | None:
    """The trace event a record holds, or None if it is not one (other format, bad shape)."""
    data = record.data
    if record.format != TRACE_FORMAT or not isinstance(data, dict):
        return None
    kind, run_id = data.get("type"), data.get("run_id")
    if not isinstance(kind, str) or not isinstance(run_id, str):
        return None
    ts = data.get("ts")
    timestamp = (
        float(ts) if isinstance(ts, int | float) and not isinstance(ts, bool) else record.created_at
    )
    agent, sdk = data.get("agent"), data.get("sdk")
    return TraceEvent(
        seq=record.seq,
        type=kind,
        run_id=run_id,
        timestamp=timestamp,
        agent=agent if isinstance(agent, str) else None,
        sdk=sdk if isinstance(sdk, str) else None,
        data=data,
        written_at=record.created_at,
    )


def events_from_records(records: list[Record]) -> list[TraceEvent]:
    """The trace events among ``records``, in order."""
    events = []
    for record in records:
        event = event_from_record(record)
        if event is not None:
            events.append(event)
    return events


def to_json_value(value: Any, _depth: int = 0) -> Any:
    """A JSON-safe copy of ``value`` for a trace event (inputs, results, queries).

    JSON values stay as they are (tuples and sets become lists, keys become ``str``);
    pydantic models are dumped, dataclasses turned into dicts, bytes summarized as
    ``"<N bytes>"``, non-finite floats and any other object written as ``str(value)``, and
    nesting deeper than 32 levels as its ``str`` too. Never raises for a value's content: a
    trace must not fail because a tool returned something unusual.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if _depth >= _MAX_JSON_DEPTH:
        return _text(value)
    depth = _depth + 1
    if isinstance(value, Mapping):
        return {
            (key if isinstance(key, str) else _text(key)): to_json_value(item, depth)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json_value(item, depth) for item in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes>"
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        try:
            return to_json_value(dump(mode="json"), depth)
        except Exception:  # any model_dump failure falls back to str()
            return _text(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        try:
            return to_json_value(
                {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}, depth
            )
        except Exception:  # a property that raises: fall back to str()
            return _text(value)
    return _text(value)


def _text(value: Any) -> str:
    try:
        return str(value)
    except Exception:  # a __str__ that raises still gets a placeholder
        return f"<unprintable {type(value).__name__}>"


def error_text(error: BaseException | str, *, include_data: bool) -> str:
    """How an error is stored: ``"Type: message"``, or only ``"Type"`` without data.

    A message can quote inputs, so it is user data. A ``str`` error is stored as it is, or as
    ``"Error"`` without data.
    """
    if not isinstance(error, BaseException):
        return str(error) if include_data else "Error"
    kind = type(error).__name__
    message = _text(error)
    return f"{kind}: {message}" if include_data and message else kind
