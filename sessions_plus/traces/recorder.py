"""The recorder core both SDKs' trace hooks share: one store append per event, never fatal.

:class:`TraceRecorder` belongs to one session; :meth:`TraceRecorder.start_run` records a run's
start and returns a :class:`RunRecorder`, whose methods each build one event (see
:mod:`sessions_plus.traces.events`) and append it to the session's ``trace`` stream, awaited,
so the event is readable by any process once the method returns.

* ``include_data=False`` leaves out queries, thinking, tool inputs, results and final
  responses, and stores errors by type name only: names, timings, statuses and usage remain
  (like the SDKs' ``trace_include_sensitive_data=False``).
* Recording never breaks the agent's run: an append that fails (the store is down, timed out,
  closed) is counted in ``dropped``, logged once per run, and the run goes on; the run's end
  event carries the count, so readers see the trace as ``incomplete``. With ``strict=True`` the
  error is raised instead (:class:`~sessions_plus.StoreUnavailableError` for a store that is
  down), failing the run.
* An event too large for the store is written with its data fields replaced by a note (the
  rejection happens before any I/O, so this is still one append).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import RecordTooLargeError
from ..ids import MAX_NAME_LENGTH, check_name, check_session_id
from ..store import ConversationStore
from .events import (
    DATA_FIELDS,
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
    error_text,
    to_json_value,
)
from .model import Usage

logger = logging.getLogger("sessions_plus.traces")


class TraceRecorder:
    """Records the runs of one session on its ``trace`` stream.

    ``sdk`` names the SDK in every event (``"openai-agents"``, ``"strands"``). One recorder may
    record many runs, one after another or at once; ``dropped`` counts the events of all of them
    that could not be written.
    """

    def __init__(
        self,
        store: ConversationStore,
        session_id: str,
        *,
        sdk: str,
        include_data: bool = True,
        strict: bool = False,
    ) -> None:
        self.store = store
        self.session_id = check_session_id(session_id)
        self.sdk = check_name(sdk, "sdk")
        self.include_data = bool(include_data)
        self.strict = bool(strict)
        self.dropped = 0
        """Events of this recorder's runs that could not be written."""

    async def start_run(
        self, agent: str | None, query: Any = None, *, run_id: str | None = None
    ) -> RunRecorder:
        """Record the start of a run and return its recorder (``run_id``: a new uuid4 hex)."""
        run = RunRecorder(self, run_id or uuid.uuid4().hex)
        await run.emit(RUN_START, agent, query=to_json_value(query), include_data=self.include_data)
        return run

    async def _append(self, run: RunRecorder, event: dict[str, Any], agent: str | None) -> bool:
        """Append one event; True if written. Failures are counted (or raised when strict)."""
        store, author = self.store, _author(agent)
        try:
            try:
                await store.append(self.session_id, [event], **_header(author))
            except RecordTooLargeError as exc:  # rejected before any I/O: write it without data
                await store.append(self.session_id, [_without_data(event, exc)], **_header(author))
        except Exception as exc:
            if self.strict:
                raise
            self.dropped += 1
            run._dropped(exc)
            return False
        return True


class RunRecorder:
    """Records the events of one run. Every method appends exactly one event (awaited).

    After :meth:`end` or :meth:`fail` the run is ``finished`` and further ``end``/``fail``
    calls are ignored (an SDK may report an error after the run's end hook ran).
    """

    def __init__(self, recorder: TraceRecorder, run_id: str) -> None:
        self.recorder = recorder
        self.run_id = run_id
        self.steps = 0
        """Model steps recorded so far (the number of the latest)."""
        self.dropped = 0
        """Events of this run that could not be written."""
        self.finished = False

    @property
    def incomplete(self) -> bool:
        """True once an event of this run could not be written."""
        return self.dropped > 0

    async def step(
        self,
        agent: str | None,
        *,
        thinking: str | None = None,
        usage: Usage | None = None,
        tool_calls: Iterable[tuple[str | None, str]] = (),
    ) -> int:
        """Record a model step; return its number. ``tool_calls``: ``(call_id, name)`` pairs
        the model asked for (their inputs come with each tool's start)."""
        self.steps += 1
        await self.emit(
            STEP,
            agent,
            step=self.steps,
            thinking=thinking,
            usage=None if usage is None else usage.to_dict(),
            tool_calls=[{"call_id": call_id, "name": name} for call_id, name in tool_calls],
        )
        return self.steps

    async def tool_start(
        self, agent: str | None, call_id: str | None, name: str, inputs: Any = None
    ) -> None:
        """Record that a tool call started, with its inputs."""
        await self.emit(TOOL_START, agent, call_id=call_id, name=name, inputs=to_json_value(inputs))

    async def tool_end(
        self,
        agent: str | None,
        call_id: str | None,
        name: str,
        result: Any = None,
        *,
        error: BaseException | str | None = None,
    ) -> None:
        """Record that a tool call ended with ``result``, or failed with ``error``."""
        await self.emit(
            TOOL_END,
            agent,
            call_id=call_id,
            name=name,
            result=to_json_value(result),
            error=None if error is None else self._error(error),
        )

    async def handoff(self, from_agent: str | None, to_agent: str) -> None:
        """Record that ``from_agent`` handed the run to ``to_agent``."""
        await self.emit(HANDOFF, from_agent, to_agent=to_agent)

    async def end(self, agent: str | None, final_response: Any = None) -> None:
        """Record the run's successful end (once)."""
        if self.finished:
            return
        self.finished = True
        await self.emit(
            RUN_END, agent, final_response=to_json_value(final_response), dropped=self.dropped
        )

    async def fail(self, agent: str | None, error: BaseException | str) -> None:
        """Record the run's failure with its error (once)."""
        if self.finished:
            return
        self.finished = True
        await self.emit(RUN_FAILED, agent, error=self._error(error), dropped=self.dropped)

    async def emit(self, kind: str, agent: str | None, **fields: Any) -> bool:
        """Append one event of type ``kind`` (data fields dropped without ``include_data``);
        True if it was written. The typed methods above are the API; this is their one path."""
        recorder = self.recorder
        event: dict[str, Any] = {
            "v": SCHEMA_VERSION,
            "type": kind,
            "run_id": self.run_id,
            "ts": time.time(),
            "agent": agent,
            "sdk": recorder.sdk,
        }
        if recorder.include_data:
            event.update(fields)
        else:
            event.update((k, v) for k, v in fields.items() if k not in DATA_FIELDS)
        return await recorder._append(self, event, agent)

    def _error(self, error: BaseException | str) -> str:
        return error_text(error, include_data=self.recorder.include_data)

    def _dropped(self, exc: BaseException) -> None:
        self.dropped += 1
        if self.dropped == 1:
            logger.warning(
                "trace of session %r run %s is incomplete: an event could not be written "
                "(%s: %s); the run goes on, further failures of this run are only counted",
                self.recorder.session_id,
                self.run_id,
                type(exc).__name__,
                exc,
            )


def _author(agent: str | None) -> str | None:
    """The record header's author: the agent's name, cut to the store's name limit (a long
    name must not make every event fail validation)."""
    if not isinstance(agent, str) or not agent:
        return None
    return agent[:MAX_NAME_LENGTH]


def _header(author: str | None) -> dict[str, Any]:
    return {"stream": TRACE_STREAM, "format": TRACE_FORMAT, "author": author}


def _without_data(event: Mapping[str, Any], exc: RecordTooLargeError) -> dict[str, Any]:
    note = f"<omitted: the event is {exc.size} bytes, over the store's limit of {exc.limit}>"
    return {k: (note if k in DATA_FIELDS and v is not None else v) for k, v in event.items()}
