"""The recorder core both SDKs' trace hooks share: events appended in order, never fatal.

:class:`TraceRecorder` belongs to one session; :meth:`TraceRecorder.start_run` returns a
:class:`RunRecorder`, whose methods each build one event (see :mod:`sessions_plus.traces.events`)
and hand it to the run's writer, returning at once: the agent never waits for the store. The
writer is a task on one event loop (the caller's, or a background loop's for synchronous SDKs)
that appends the queued events to the session's ``trace`` stream in order, ``linger`` seconds
(default 50 ms) after the first of them, so the events of a busy run share appends: at most one
store append per event, usually far fewer. An event is thus readable by other processes about
``linger`` plus one append after it happened (unless the writer's loop is blocked).
``flush()`` writes everything queued now and waits for it; the adapters flush at the end of a
run, so a finished run's trace is complete when the SDK returns.

* ``include_data=False`` leaves out queries, thinking, tool inputs, results and final
  responses, and stores errors by type name only: names, timings, statuses and usage remain
  (like the SDKs' ``trace_include_sensitive_data=False``).
* Recording never breaks the agent's run: an append that fails (the store is down, timed out,
  closed) counts its events in ``dropped``, is logged once per run, and the run goes on; the
  run's end event carries the count, so readers see the trace as ``incomplete``. With
  ``strict=True`` the error is raised instead (:class:`~sessions_plus.StoreUnavailableError`
  for a store that is down) by the run's next event or flush, failing the run.
* An event too large for the store is written with its data fields replaced by a note (the store
  rejects it before any I/O, so this costs no extra round trip).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import logging
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import ConfigurationError, RecordTooLargeError
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

MAX_BATCH = 32
"""Most events one append carries (DynamoDB transactions hold at most 100 items)."""

DEFAULT_LINGER = 0.05
"""Seconds the writer waits after an event before it appends, so that the events of a busy run
share appends (``linger=0``: append at once). 50 ms is below what a ``watch`` poll can tell
apart and cuts the store work of a fast (scripted) run several times over."""

Event = dict[str, Any]


class TraceRecorder:
    """Records the runs of one session on its ``trace`` stream.

    ``sdk`` names the SDK in every event (``"openai-agents"``, ``"strands"``); ``include_data``,
    ``strict`` and ``linger`` are described in the module docstring. One recorder may record
    many runs, one after another or at once; ``dropped`` counts the events of all of them that
    could not be written.
    """

    def __init__(
        self,
        store: ConversationStore,
        session_id: str,
        *,
        sdk: str,
        include_data: bool = True,
        strict: bool = False,
        linger: float = DEFAULT_LINGER,
    ) -> None:
        if isinstance(linger, bool) or not isinstance(linger, int | float) or not linger >= 0:
            raise ConfigurationError(f"linger must be a number of seconds >= 0, not {linger!r}")
        self.store = store
        self.linger = float(linger)
        self.session_id = check_session_id(session_id)
        self.sdk = check_name(sdk, "sdk")
        self.include_data = bool(include_data)
        self.strict = bool(strict)
        self.dropped = 0
        """Events of this recorder's runs that could not be written."""

    def start_run(
        self,
        agent: str | None,
        query: Any = None,
        *,
        run_id: str | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> RunRecorder:
        """Record the start of a run and return its recorder (``run_id``: a new uuid4 hex).

        The run's events are written by a task on ``loop`` (default: the running loop), which
        must run for as long as the run records; its event methods may be called from any
        thread.
        """
        run = RunRecorder(self, run_id or uuid.uuid4().hex, loop or asyncio.get_running_loop())
        run.emit(RUN_START, agent, query=to_json_value(query), include_data=self.include_data)
        return run

    async def _append(self, events: list[Event]) -> None:
        """Append events in one call; one too large for the store goes without its data."""
        store, sid = self.store, self.session_id
        author = _author(events[0].get("agent"))
        try:
            await store.append(sid, events, **_header(author))
        except RecordTooLargeError:  # rejected before any I/O: find it, write it without data
            for event in events:
                try:
                    store.codec.encode(event)
                    fitted = event
                except RecordTooLargeError as exc:
                    fitted = _without_data(event, exc)
                await store.append(sid, [fitted], **_header(_author(event.get("agent"))))


class RunRecorder:
    """Records the events of one run, in order, through the run's writer task.

    Each event method queues exactly one event and returns at once; it is thread-safe. After
    :meth:`end` or :meth:`fail` the run is ``finished``. ``end`` is recorded once, and not after
    a failure; ``fail`` is recorded once, also after ``end``: an SDK may raise after its end
    hook ran (the OpenAI SDK runs output guardrails after ``on_agent_end``), and the run then
    failed after all.

    If the writer's loop is closed before the run's events are written (a ``run_sync`` loop
    that is gone), the run moves its writer to a shared background loop, so nothing queued is
    lost.
    """

    def __init__(
        self, recorder: TraceRecorder, run_id: str, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.recorder = recorder
        self.run_id = run_id
        self.loop = loop
        """The event loop the run's writer task runs on."""
        self.dropped = 0
        """Events of this run that could not be written."""
        self.finished = False
        self.failed = False
        self.error: BaseException | None = None
        """With ``strict=True``: the store error that failed a write (raised by the next call)."""
        self._numbers = itertools.count(1)
        self._steps = 0
        self._pending: list[Event] = []
        self._armed = False  # a writer is scheduled and will take what is pending
        self._flushing = 0  # flushes waiting on the loop
        self._lock = threading.Lock()  # the pending list and _armed, touched from any thread
        self._generation = 0  # bumped when the writer moves: an old writer task stops
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Future[None] | None = None

    @property
    def steps(self) -> int:
        """Model steps recorded so far (the number of the latest)."""
        return self._steps

    @property
    def incomplete(self) -> bool:
        """True once an event of this run could not be written."""
        return self.dropped > 0

    # ------------------------------------------------------------------ events

    def step(
        self,
        agent: str | None,
        *,
        thinking: str | None = None,
        usage: Usage | None = None,
        tool_calls: Iterable[tuple[str | None, str]] = (),
    ) -> int:
        """Record a model step; return its number. ``tool_calls``: ``(call_id, name)`` pairs
        the model asked for (their inputs come with each tool's start)."""
        number = self._steps = next(self._numbers)
        self.emit(
            STEP,
            agent,
            step=number,
            thinking=thinking,
            usage=None if usage is None else usage.to_dict(),
            tool_calls=[{"call_id": call_id, "name": name} for call_id, name in tool_calls],
        )
        return number

    def tool_start(
        self,
        agent: str | None,
        call_id: str | None,
        name: str,
        inputs: Any = None,
        *,
        check: bool = True,
    ) -> None:
        """Record that a tool call started, with its inputs.

        ``check=False``: do not raise a strict store error here but at the next event or flush
        (for SDKs that turn an error raised in a tool hook into a tool error).
        """
        self.emit(
            TOOL_START,
            agent,
            check=check,
            call_id=call_id,
            name=name,
            inputs=to_json_value(inputs),
        )

    def tool_end(
        self,
        agent: str | None,
        call_id: str | None,
        name: str,
        result: Any = None,
        *,
        error: BaseException | str | None = None,
        check: bool = True,
    ) -> None:
        """Record that a tool call ended with ``result``, or failed with ``error``
        (``check`` as for :meth:`tool_start`)."""
        self.emit(
            TOOL_END,
            agent,
            check=check,
            call_id=call_id,
            name=name,
            result=to_json_value(result),
            error=None if error is None else self._error_text(error),
        )

    def handoff(self, from_agent: str | None, to_agent: str) -> None:
        """Record that ``from_agent`` handed the run to ``to_agent``."""
        self.emit(HANDOFF, from_agent, to_agent=to_agent)

    def end(self, agent: str | None, final_response: Any = None) -> None:
        """Record the run's successful end (once). Flush after it to wait for the write."""
        if self.finished:
            return
        self.finished = True
        self.emit(RUN_END, agent, final_response=to_json_value(final_response), dropped=None)

    def fail(self, agent: str | None, error: BaseException | str) -> None:
        """Record the run's failure with its error (once; also after :meth:`end`, and after a
        strict store error)."""
        if self.failed:
            return
        self.finished = self.failed = True
        self.emit(RUN_FAILED, agent, error=self._error_text(error), dropped=None, check=False)

    def emit(self, kind: str, agent: str | None, *, check: bool = True, **fields: Any) -> None:
        """Queue one event of type ``kind`` (data fields left out without ``include_data``).

        The typed methods above are the API; this is their one path. With ``strict=True`` a
        store error of an earlier write is raised here (unless ``check=False``).
        """
        if check and self.error is not None:
            raise self.error
        recorder = self.recorder
        event: Event = {
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
        with self._lock:
            self._pending.append(event)
            # a writer already scheduled takes this event too: wake the loop only when none
            # is (one cross-thread wake-up per append, not per event)
            kick, self._armed = not self._armed, True
        if self.loop.is_closed():
            self._move_writer()
        elif not kick:
            return
        elif _running_loop() is self.loop:
            self._kick()
        else:
            self.loop.call_soon_threadsafe(self._kick)

    # ------------------------------------------------------------------ writing

    async def flush(self, *, raise_errors: bool = True) -> None:
        """Wait until every event queued so far is written (or dropped), from any loop.

        With ``strict=True`` and ``raise_errors``, raises the store error of a failed write.
        """
        if _running_loop() is self.loop:
            await self._drained()
        else:
            future = asyncio.run_coroutine_threadsafe(self._drained(), self.loop)
            await asyncio.wrap_future(future)
        if raise_errors and self.error is not None:
            raise self.error

    def flush_sync(self, *, timeout: float | None = None, raise_errors: bool = True) -> None:
        """:meth:`flush` for synchronous code (blocking), from a thread not running the
        writer's loop. A writer loop that is idle (``run_sync`` leaves its loop open, not
        running) is run here until the writes are done; a closed one is replaced first.

        Raises ``TimeoutError`` if the writes take longer than ``timeout`` seconds.
        """
        if _running_loop() is self.loop:
            raise RuntimeError("flush_sync() was called on the writer's own loop; await flush()")
        if self.loop.is_closed() or (not self.loop.is_running() and _running_loop() is not None):
            self._move_writer()  # closed, or idle while this thread runs another loop
        loop = self.loop
        try:
            if not loop.is_running():
                loop.run_until_complete(asyncio.wait_for(self._drained(), timeout))
            else:
                future = asyncio.run_coroutine_threadsafe(self._drained(), loop)
                try:
                    future.result(timeout)
                except concurrent.futures.TimeoutError:
                    future.cancel()
                    raise TimeoutError from None
        except TimeoutError:
            raise TimeoutError(f"trace writes did not finish within {timeout} seconds") from None
        if raise_errors and self.error is not None:
            raise self.error

    def _move_writer(self) -> None:
        """Continue on the shared background loop (the writer's loop is closed, or idle and
        not ours to run). Events still queued are kept; a batch that was being appended when
        the old loop stopped may be lost."""
        from .sync import background_event_loop

        with self._lock:
            self._generation += 1
            self._armed = True  # the kick below schedules the new writer
        self.loop = background_event_loop()
        self._task = None
        self._wake = None
        self.loop.call_soon_threadsafe(self._kick)

    def _kick(self) -> None:
        """On the writer's loop: start a writer task if events wait and none is running."""
        if self._pending and (self._task is None or self._task.done()):
            self._task = self.loop.create_task(self._write())

    async def _write(self) -> None:
        generation = self._generation
        try:
            linger = self.recorder.linger
            if linger > 0 and not self._flushing:  # let a busy run's next events join
                wake = self._wake = self.loop.create_future()
                timer = self.loop.call_later(linger, _wake, wake)
                try:
                    await wake
                finally:
                    timer.cancel()
                    self._wake = None
            while batch := self._take(generation):
                await self._write_batch(batch)
        except BaseException:  # cancelled: the next event schedules a writer again
            with self._lock:
                if generation == self._generation:
                    self._armed = False
            raise

    def _take(self, generation: int) -> list[Event]:
        """The next batch: up to MAX_BATCH queued events of one agent (a batch shares one
        header author). Nothing for a writer of an earlier generation."""
        with self._lock:
            pending = self._pending
            if generation != self._generation:
                return []
            if not pending:
                self._armed = False  # this writer ends: the next event schedules another
                return []
            agent = pending[0].get("agent")
            size = min(len(pending), MAX_BATCH)
            cut = next((i for i in range(size) if pending[i].get("agent") != agent), size)
            batch = pending[:cut]
            del pending[:cut]
            return batch

    async def _write_batch(self, batch: list[Event]) -> None:
        for event in batch:
            if event["type"] in (RUN_END, RUN_FAILED):
                event["dropped"] = self.dropped  # every failure before it
        try:
            await self.recorder._append(batch)
        except Exception as exc:
            self._failed(len(batch), exc)
            if self.recorder.strict:
                self.error = self.error or exc

    def _failed(self, count: int, exc: BaseException) -> None:
        """Count ``count`` events as dropped; log the first failure of the run."""
        first = self.dropped == 0
        self.dropped += count
        self.recorder.dropped += count
        if first and not self.recorder.strict:
            logger.warning(
                "trace of session %r run %s is incomplete: events could not be written "
                "(%s: %s); the run goes on, further failures of this run are only counted",
                self.recorder.session_id,
                self.run_id,
                type(exc).__name__,
                exc,
            )

    async def _drained(self) -> None:
        self._flushing += 1  # a flush does not linger: neither the writer lingering now nor
        try:  # one that has not started yet (created by the event just before the flush)
            if self._wake is not None:
                _wake(self._wake)
            while self._task is not None and not self._task.done():
                await asyncio.shield(self._task)
        finally:
            self._flushing -= 1

    def _error_text(self, error: BaseException | str) -> str:
        return error_text(error, include_data=self.recorder.include_data)


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _author(agent: object) -> str | None:
    """The record header's author: the agent's name, cut to the store's name limit (a long
    name must not make every event fail validation)."""
    if not isinstance(agent, str) or not agent:
        return None
    return agent[:MAX_NAME_LENGTH]


def _header(author: str | None) -> dict[str, Any]:
    return {"stream": TRACE_STREAM, "format": TRACE_FORMAT, "author": author}


def _without_data(event: Mapping[str, Any], exc: RecordTooLargeError) -> Event:
    note = f"<omitted: the event is {exc.size} bytes, over the store's limit of {exc.limit}>"
    return {k: (note if k in DATA_FIELDS and v is not None else v) for k, v in event.items()}
