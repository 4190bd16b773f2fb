"""``python -m benchmarks.sdk_turns``: what one real SDK turn asks of the store.

The capacity plan prices a *turn* as one latest-20 read and one 2-item append. A turn of an
agent SDK is not exactly that: the OpenAI Agents SDK reads the history and saves the input and
the new items; Strands appends each message and syncs the agent's state. This counts the
backend operations (every method of the backend interface, ``sessions_plus/backend.py``) of
scripted, offline turns on a memory store: a text-only turn and a turn with one tool call, per
SDK, after a few turns of history. No timing; nothing here depends on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from sessions_plus import MemoryStore

OPERATIONS = (
    "write_log",
    "read_log",
    "read_log_payloads",
    "pop_log",
    "replace_payload",
    "clear_log",
    "trim_log",
    "write_doc",
    "read_doc",
    "remove_doc",
    "doc_names",
    "session_info",
    "session_page",
)
"""Backend methods counted (one each is one server request on Redis and SQLite)."""
WRITES = frozenset({"write_log", "pop_log", "replace_payload", "clear_log", "trim_log"}) | {
    "write_doc",
    "remove_doc",
}


class CountingStore(MemoryStore):
    """A memory store that counts every backend call (and the records appended)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()
        self.records = 0
        for name in OPERATIONS:
            setattr(self, name, self._counted(name, getattr(self, name)))

    def _counted(
        self, name: str, method: Callable[..., Awaitable[Any]]
    ) -> Callable[..., Awaitable[Any]]:
        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            if name == "write_log":
                self.records += len(getattr(args[0], "payloads", ()) or ())
            return await method(*args, **kwargs)

        return call


def openai_turn(tools: int) -> Callable[[CountingStore, str, int], Awaitable[None]]:
    from agents import Agent, Runner, function_tool, set_tracing_disabled
    from agents.testing import ScriptedModel, assistant_message, function_call

    from sessions_plus.openai_agents import StoreSession

    set_tracing_disabled(True)

    @function_tool
    def lookup(city: str) -> str:
        """Look a city up."""
        return f"{city}: sunny"

    async def turn(store: CountingStore, session_id: str, n: int) -> None:
        steps: list[Any] = [
            [function_call("lookup", {"city": "Paris"}, call_id=f"c{n}-{k}")] for k in range(tools)
        ]
        steps.append([assistant_message(f"answer {n}")])
        agent = Agent(name="a", model=ScriptedModel(steps), tools=[lookup])
        await Runner.run(agent, f"question {n}", session=StoreSession(session_id, store))

    return turn


def strands_turn(tools: int) -> Callable[[CountingStore, str, int], Awaitable[None]]:
    from strands import Agent, tool

    from sessions_plus.strands import StoreSessionManager, StoreSessionRepository
    from sessions_plus.testing import ScriptedModel, tool_call

    @tool
    def lookup(city: str) -> str:
        """Look a city up."""
        return f"{city}: sunny"

    repositories: dict[int, StoreSessionRepository] = {}

    def run(store: CountingStore, session_id: str, n: int) -> None:
        if id(store) not in repositories:
            repositories[id(store)] = StoreSessionRepository(store)
        repository = repositories[id(store)]
        replies: list[Any] = [
            tool_call("lookup", {"city": "Paris"}, f"t{n}-{k}") for k in range(tools)
        ]
        replies.append(f"answer {n}")
        manager = StoreSessionManager(session_id, repository=repository)
        try:
            agent = Agent(
                model=ScriptedModel(replies),
                tools=[lookup],
                session_manager=manager,
                callback_handler=None,
            )
            agent(f"question {n}")
        finally:
            manager.close()

    async def turn(store: CountingStore, session_id: str, n: int) -> None:
        await asyncio.to_thread(run, store, session_id, n)

    return turn


async def count(sdk: str, tools: int, history: int = 3) -> dict[str, Any]:
    """Backend calls of one turn after ``history`` turns, on a fresh memory store."""
    make = openai_turn if sdk == "openai-agents" else strands_turn
    turn = make(tools)
    store = CountingStore()
    for n in range(history):
        await turn(store, "s", n)
    store.calls.clear()
    store.records = 0
    await turn(store, "s", history)
    calls = dict(sorted(store.calls.items()))
    writes = sum(v for k, v in calls.items() if k in WRITES)
    return {
        "sdk": sdk,
        "tool_calls": tools,
        "calls": calls,
        "reads": sum(calls.values()) - writes,
        "writes": writes,
        "records_appended": store.records,
    }


async def run_all() -> list[dict[str, Any]]:
    return [await count(sdk, tools) for sdk in ("openai-agents", "strands") for tools in (0, 1)]


def render(rows: Sequence[dict[str, Any]]) -> str:
    lines = [
        "| SDK | tool calls | reads | writes | records appended | backend calls |",
        "|---|--:|--:|--:|--:|---|",
    ]
    for r in rows:
        calls = ", ".join(f"{k} {v}" for k, v in r["calls"].items())
        lines.append(
            f"| {r['sdk']} | {r['tool_calls']} | {r['reads']} | {r['writes']} "
            f"| {r['records_appended']} | {calls} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sdk_turns", description=__doc__)
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args(argv)
    rows = asyncio.run(run_all())
    print(render(rows))
    if args.json:
        Path(args.json).write_text(json.dumps({"module": "sdk_turns", "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
