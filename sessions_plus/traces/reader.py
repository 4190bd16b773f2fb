"""Reading traces back: the latest run, every run, usage totals, and a live ``watch``.

Every reader reads only the session's ``trace`` stream, in pages, so its cost is O(events read),
never a scan of the store. :func:`get_reasoning` reads backwards from the end until it meets the
latest run's start, so a long session's history is not read at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from ..store import ConversationStore
from .events import RUN_START, TRACE_STREAM, TraceEvent, events_from_records
from .fold import fold
from .model import Reasoning, SessionUsage, Usage

PAGE = 1000
"""Records per read when reading forward."""

BACK_PAGE_FIRST = 64
BACK_PAGE_MAX = 1024
"""Records per read when reading backwards: the first page, doubling up to this."""

WATCH_PAGE = 500
WATCH_MIN_INTERVAL = 0.05
WATCH_MAX_INTERVAL = 1.0
"""``watch`` polls every 0.05 s while events arrive, backing off (x2) to 1 s when idle."""


async def read_events(
    store: ConversationStore, session_id: str, *, after: int = 0, page: int = PAGE
) -> list[TraceEvent]:
    """Every trace event with seq > ``after``, oldest first (paged reads)."""
    events: list[TraceEvent] = []
    while True:
        records = await store.read(
            session_id, stream=TRACE_STREAM, after=after, keep="earliest", limit=page
        )
        events.extend(events_from_records(records))
        if len(records) < page:
            return events
        after = records[-1].seq


async def _latest_run_events(
    store: ConversationStore, session_id: str, count: int
) -> tuple[list[TraceEvent], int]:
    """The events of the ``count`` runs that started last, reading backwards in pages, and the
    last seq read (the stream's end when the read began)."""
    pages: list[list[TraceEvent]] = []
    starts: list[TraceEvent] = []
    before: int | None = None
    end = 0
    size = BACK_PAGE_FIRST
    while len(starts) < count:
        records = await store.read(session_id, stream=TRACE_STREAM, limit=size, before=before)
        if not records:
            break
        end = end or records[-1].seq
        events = events_from_records(records)
        pages.append(events)
        starts.extend(e for e in reversed(events) if e.type == RUN_START)
        if records[0].seq <= 1:
            break
        before = records[0].seq
        size = min(size * 2, BACK_PAGE_MAX)
    events = [event for page in reversed(pages) for event in page]
    if not starts:  # no start recorded (the store was down): the run of the latest event
        if not events:
            return [], end
        starts = [events[-1]]
    chosen = {event.run_id: event.seq for event in starts[:count]}
    return [e for e in events if e.run_id in chosen and e.seq >= chosen[e.run_id]], end


async def _latest_runs(store: ConversationStore, session_id: str, count: int) -> list[Reasoning]:
    """The ``count`` runs that started last, oldest first."""
    events, _ = await _latest_run_events(store, session_id, count)
    return fold(events)


async def get_reasoning(store: ConversationStore, session_id: str) -> Reasoning | None:
    """The latest run of the session (the one that started last), also while it is still
    running; None if no run was recorded (or the session expired).

    Reads backwards from the end of the trace stream until the run's start, so the cost is the
    latest run's events (plus events of runs interleaved with it), not the session's history.
    """
    runs = await _latest_runs(store, session_id, 1)
    return runs[-1] if runs else None


async def get_reasoning_history(
    store: ConversationStore, session_id: str, *, limit: int | None = None
) -> list[Reasoning]:
    """Every recorded run of the session, oldest first (by first event).

    With ``limit``, only the ``limit`` runs that started last, read backwards like
    :func:`get_reasoning`.
    """
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ValueError("limit must be a non-negative int or None")
        return await _latest_runs(store, session_id, limit) if limit else []
    return fold(await read_events(store, session_id))


async def get_run(store: ConversationStore, session_id: str, run_id: str) -> Reasoning | None:
    """The run with ``run_id``, or None. Reads the session's trace stream (O(events))."""
    events = [e for e in await read_events(store, session_id) if e.run_id == run_id]
    runs = fold(events)
    return runs[0] if runs else None


async def session_usage(store: ConversationStore, session_id: str) -> SessionUsage:
    """Token usage summed over every recorded run, and tool calls (and failures) per tool."""
    runs = await get_reasoning_history(store, session_id)
    usage = Usage()
    calls: dict[str, int] = {}
    errors: dict[str, int] = {}
    for run in runs:
        usage = usage + run.usage
        for tool in run.tools:
            calls[tool.name] = calls.get(tool.name, 0) + 1
            if tool.error is not None:
                errors[tool.name] = errors.get(tool.name, 0) + 1
    return SessionUsage(runs=len(runs), usage=usage, tool_calls=calls, tool_errors=errors)


@dataclass
class Poller:
    """One follower of a session's trace stream: the state behind :func:`watch` and
    :func:`~sessions_plus.traces.watch_sync`.

    ``poll()`` reads the next events after ``after``; ``delay`` is how long to wait before the
    next poll (``min_interval`` after events arrived, doubling to ``max_interval`` while idle).
    If the stream restarted (the session was deleted, cleared or expired and written again),
    an idle poll at the longest interval notices and follows the new stream from its start.
    """

    store: ConversationStore
    session_id: str
    after: int = 0
    page: int = WATCH_PAGE
    min_interval: float = WATCH_MIN_INTERVAL
    max_interval: float = WATCH_MAX_INTERVAL
    delay: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        if self.min_interval <= 0 or self.max_interval < self.min_interval:
            raise ValueError("need 0 < min_interval <= max_interval")
        if self.page < 1:
            raise ValueError("page must be at least 1")

    async def poll(self) -> list[TraceEvent]:
        """The events written since the last poll (at most ``page``); sets ``delay``."""
        records = await self.store.read(
            self.session_id,
            stream=TRACE_STREAM,
            after=self.after,
            keep="earliest",
            limit=self.page,
        )
        if records:
            self.after = records[-1].seq
            self.delay = 0.0 if len(records) == self.page else self.min_interval
            return events_from_records(records)
        if self.delay >= self.max_interval and self.after > 0:
            last = await self.store.last_seq(self.session_id, stream=TRACE_STREAM)
            if last < self.after:  # the stream started over
                self.after, self.delay = 0, 0.0
                return []
        self.delay = min(max(self.delay * 2, self.min_interval), self.max_interval)
        return []


async def watch(
    store: ConversationStore,
    session_id: str,
    *,
    after: int | None = None,
    min_interval: float = WATCH_MIN_INTERVAL,
    max_interval: float = WATCH_MAX_INTERVAL,
) -> AsyncIterator[TraceEvent]:
    """Yield the session's trace events as they are written, by any process, forever.

    Starts after seq ``after`` (None: from the first event, so a monitor that starts late still
    sees the whole run; pass a :attr:`TraceEvent.seq` or :attr:`Reasoning.last_seq` to resume).
    It polls the store (``read(after=last_seq, keep="earliest")``, one request per poll): every
    ``min_interval`` seconds while events arrive, backing off to ``max_interval`` while idle, so
    an event is seen at most about ``max_interval`` plus one read after it was written (default
    about 1 s idle, 50 ms while a run is busy). Stop by breaking out of the loop or cancelling
    the task; store errors (e.g. :class:`~sessions_plus.StoreUnavailableError`) are raised, and
    a new ``watch(after=last seen seq)`` resumes without loss or repeat.
    """
    poller = Poller(
        store,
        session_id,
        after=after or 0,
        min_interval=min_interval,
        max_interval=max_interval,
    )
    while True:
        for event in await poller.poll():
            yield event
        if poller.delay:
            await asyncio.sleep(poller.delay)


async def follow(
    store: ConversationStore,
    session_id: str,
    *,
    run_id: str | None = None,
    min_interval: float = WATCH_MIN_INTERVAL,
    max_interval: float = WATCH_MAX_INTERVAL,
) -> AsyncIterator[Reasoning]:
    """Yield one run as it grows: a new :class:`Reasoning` snapshot for each of its events as
    it is written, ending after the run's end or failure.

    ``run_id=None`` follows the latest run (so a finished latest run is yielded once), or, if
    the session has none yet, the next one to start. Latency and errors as :func:`watch`; it
    reads the run's events once, then only what is new.
    """
    if run_id is None:
        mine, end = await _latest_run_events(store, session_id, 1)
        target = mine[-1].run_id if mine else None
    else:
        every = await read_events(store, session_id)
        mine = [event for event in every if event.run_id == run_id]
        end, target = (every[-1].seq if every else 0), run_id
    if mine:
        snapshot = fold(mine)[0]
        yield snapshot
        if snapshot.status != "running":
            return
    async for event in watch(
        store, session_id, after=end, min_interval=min_interval, max_interval=max_interval
    ):
        if target is None and event.type == RUN_START:
            target = event.run_id
        if event.run_id != target:
            continue
        mine.append(event)
        snapshot = fold(mine)[0]
        yield snapshot
        if snapshot.status != "running":
            return
