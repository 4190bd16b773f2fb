"""Watch an agent work, live, from another process: every step as it lands in the store.

One command starts both sides::

    python examples/live_monitor.py                 # OpenAI Agents SDK, ./live_monitor.db
    python examples/live_monitor.py --sdk strands   # the same with Strands Agents
    python examples/live_monitor.py --db /tmp/t.db --delay 2

The agent (this process) researches three cities with a slow tool; its run trace goes to the
session's ``trace`` stream as it happens (``TraceHooks`` / ``trace=True``). A monitor (a second
process, ``live_monitor.py monitor ...``, which you can also start by hand from another
terminal) follows that stream with ``sessions_plus.traces.watch`` and prints each event the
moment it is written, then the whole run as a tree. Offline: scripted models, no API key.
Point ``--url`` at Redis or DynamoDB instead of SQLite and nothing else changes.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

from sessions_plus import open_store
from sessions_plus.traces import (
    RUN_END,
    RUN_FAILED,
    TRACE_STREAM,
    get_reasoning,
    render_event,
    render_trace,
    watch,
)

CITIES = ["Paris", "Oslo", "Lima"]
QUESTION = "What is the weather in Paris, Oslo and Lima?"
ANSWER = "Paris 21 C and sunny, Oslo 9 C and rainy, Lima 18 C and cloudy."
WEATHER = {"Paris": "21 C, sunny", "Oslo": "9 C, rainy", "Lima": "18 C, cloudy"}


# ---------------------------------------------------------------------- the monitor


async def monitor(url: str, session_id: str) -> None:
    """Print each trace event of the next run as it is written, then the run as a tree."""
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 110)
    async with open_store(url) as store:
        after = await store.last_seq(session_id, stream=TRACE_STREAM)  # only what comes next
        print("monitor: following the trace of session", session_id, flush=True)
        print("ready", file=sys.stderr, flush=True)  # tells a parent process it may start
        first: float | None = None
        async for event in watch(store, session_id, after=after, min_interval=0.05):
            first = event.timestamp if first is None else first
            console.print(f"+{event.timestamp - first:5.2f}s ", render_event(event))
            sys.stdout.flush()
            if event.type in (RUN_END, RUN_FAILED):
                break
        run = await get_reasoning(store, session_id)
        console.print()
        console.print(render_trace(run) if run is not None else "no run")


# ---------------------------------------------------------------------- the agents


async def run_openai(url: str, session_id: str, delay: float) -> str:
    from agents import Agent, Runner, function_tool, set_tracing_disabled
    from agents.testing import ScriptedModel, assistant_message, function_call

    from sessions_plus.openai_agents import StoreSession, TraceHooks

    set_tracing_disabled(True)

    @function_tool
    async def weather(city: str) -> str:
        """Look up the weather in a city (slowly)."""
        await asyncio.sleep(delay)
        return WEATHER[city]

    model = ScriptedModel(
        [
            *(
                [function_call("weather", {"city": city}, call_id=f"call-{city}")]
                for city in CITIES
            ),
            [assistant_message(ANSWER)],
        ]
    )
    agent = Agent(name="Forecaster", model=model, tools=[weather])
    async with open_store(url) as store:
        session = StoreSession(session_id, store)
        hooks = TraceHooks(session)
        async with hooks:  # a failed run ends its trace as "failed"
            result = await Runner.run(agent, QUESTION, session=session, hooks=hooks)
        return str(result.final_output)


def run_strands(url: str, session_id: str, delay: float) -> str:
    from strands import Agent, tool

    from sessions_plus.strands import StoreSessionManager
    from sessions_plus.testing import ScriptedModel, tool_call

    @tool
    def weather(city: str) -> str:
        """Look up the weather in a city (slowly)."""
        time.sleep(delay)
        return WEATHER[city]

    model = ScriptedModel(
        [*(tool_call("weather", {"city": city}, f"call-{city}") for city in CITIES), ANSWER]
    )
    with StoreSessionManager(session_id, open_store(url), close_store=True, trace=True) as manager:
        agent = Agent(
            name="forecaster",
            model=model,
            tools=[weather],
            session_manager=manager,
            callback_handler=None,
        )
        return str(agent(QUESTION)).strip()


# ---------------------------------------------------------------------- both together


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("role", nargs="?", choices=["demo", "monitor"], default="demo")
    parser.add_argument("--db", default="live_monitor.db", help="SQLite file (default)")
    parser.add_argument("--url", help="any store URL instead of --db (redis://, dynamodb://)")
    parser.add_argument("--session", default="live-demo", help="session id")
    parser.add_argument("--sdk", choices=["openai", "strands"], default="openai")
    parser.add_argument("--delay", type=float, default=0.5, help="seconds per tool call")
    args = parser.parse_args(argv)
    url = args.url or f"sqlite:///{Path(args.db).resolve()}"

    if args.role == "monitor":
        asyncio.run(monitor(url, args.session))
        return

    # The monitor prints to this terminal, live; it says "ready" on stderr once it follows.
    watcher = subprocess.Popen(
        [sys.executable, __file__, "monitor", "--url", url, "--session", args.session],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert watcher.stderr is not None
    if watcher.stderr.readline().strip() != "ready":
        raise SystemExit(f"the monitor did not start: {watcher.stderr.read()}")
    if args.sdk == "openai":
        answer = asyncio.run(run_openai(url, args.session, args.delay))
    else:
        answer = run_strands(url, args.session, args.delay)
    watcher.wait(timeout=60)  # it stops after the run's end
    print(f"agent: answered: {answer}", flush=True)


if __name__ == "__main__":
    main()
