"""Helpers of the trace tests: a scripted run recorded through the SDK-free core, an outage."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from sessions_plus import ConversationStore, Record, StoreUnavailableError
from sessions_plus.traces import TRACE_STREAM, TraceRecorder, Usage

SID = "trace:{session}/1"
"""A session id with the characters backends must escape."""

STEP1_USAGE = Usage(requests=1, input_tokens=100, output_tokens=20, total_tokens=120)
STEP2_USAGE = Usage(
    requests=1, input_tokens=150, output_tokens=10, total_tokens=160, cached_tokens=80
)
STEP3_USAGE = Usage(
    requests=1, input_tokens=200, output_tokens=40, total_tokens=240, reasoning_tokens=16
)


async def record_full_run(recorder: TraceRecorder, query: Any = "What is the weather?") -> str:
    """A run with every kind of event: two tool calls in one step (one fails), a handoff from
    ``triage`` to ``weather``, a final step and the end; flushed. Returns the run id."""
    run = recorder.start_run("triage", query)
    assert (
        run.step(
            "triage",
            thinking="I need the city and the forecast.",
            usage=STEP1_USAGE,
            tool_calls=[("call-1", "lookup_city"), ("call-2", "forecast")],
        )
        == 1
    )
    run.tool_start("triage", "call-1", "lookup_city", {"name": "Paris"})
    run.tool_start("triage", "call-2", "forecast", {"city": "Paris", "days": 2})
    run.tool_end("triage", "call-2", "forecast", error=ValueError("no forecast for Paris"))
    run.tool_end("triage", "call-1", "lookup_city", {"city": "Paris", "country": "FR"})
    handing = run.step("triage", thinking="Over to the weather agent.", usage=STEP2_USAGE)
    assert handing == 2
    run.handoff("triage", "weather")
    assert run.step("weather", thinking="Sunny, 21 C.", usage=STEP3_USAGE) == 3
    run.end("weather", "It is sunny in Paris.")
    await run.flush()
    return run.run_id


async def raw_trace(store: ConversationStore, session_id: str = SID) -> list[Record]:
    return await store.read(session_id, stream=TRACE_STREAM)


class Outage:
    """Makes trace appends of ``store`` fail like a store that is down, while ``down`` is True.

    The store stays a real backend; only its trace writes are cut, so an agent's conversation
    (other streams) keeps working and the run itself can complete.
    """

    def __init__(self, store: ConversationStore) -> None:
        self.store = store
        self.down = False
        self.failed = 0
        real: Callable[..., Awaitable[list[int]]] = store.append

        async def append(*args: Any, **kwargs: Any) -> list[int]:
            if self.down and kwargs.get("stream") == TRACE_STREAM:
                self.failed += 1
                raise StoreUnavailableError("injected outage: the store is down")
            return await real(*args, **kwargs)

        store.append = append  # type: ignore[method-assign]


class AppendCounter:
    """Counts the trace appends a store serves and the records they carry."""

    def __init__(self, store: ConversationStore) -> None:
        self.calls = 0
        self.items = 0
        real: Callable[..., Awaitable[list[int]]] = store.append

        async def append(session_id: str, items: Any, **kwargs: Any) -> list[int]:
            if kwargs.get("stream") == TRACE_STREAM:
                self.calls += 1
                self.items += len(items)
            return await real(session_id, items, **kwargs)

        store.append = append  # type: ignore[method-assign]


MONITOR = r"""  # args: URL SESSION_ID async|sync; prints each event as JSON until the run ends
import asyncio, json, sys
from sessions_plus import open_store
from sessions_plus.traces import watch, watch_sync

url, sid, mode = sys.argv[1:]

def show(event):
    print(json.dumps({"seq": event.seq, "type": event.type, "name": event.get("name"),
                      "run_id": event.run_id}), flush=True)
    return event.type in ("run_end", "run_failed")

async def main():
    async with open_store(url) as store:
        print(json.dumps({"type": "ready"}), flush=True)
        if mode == "sync":
            for event in watch_sync(store, sid, min_interval=0.02, max_interval=0.2):
                if show(event):
                    return
        else:
            async for event in watch(store, sid, min_interval=0.02, max_interval=0.2):
                if show(event):
                    return

asyncio.run(main())
"""


async def next_line(monitor: asyncio.subprocess.Process, bound: float = 60) -> dict[str, Any]:
    """The next event a monitor started with :data:`MONITOR` printed."""
    assert monitor.stdout is not None
    line = await asyncio.wait_for(monitor.stdout.readline(), bound)
    if not line:
        _, err = await monitor.communicate()
        raise AssertionError(f"the monitor exited: {err.decode()}")
    return json.loads(line)
