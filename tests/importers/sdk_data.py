"""Source data written by the SDKs' own session classes (never hand-made fixtures)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agents import SQLiteSession
from agents.extensions.memory import AdvancedSQLiteSession, AsyncSQLiteSession
from strands import Agent
from strands.multiagent import Swarm
from strands.session.file_session_manager import FileSessionManager

from sessions_plus.testing import ScriptedModel, handoff

ITEMS_A: list[Any] = [
    {"role": "user", "content": "My name is Ada."},
    {
        "type": "message",
        "role": "assistant",
        "id": "msg_1",
        "status": "completed",
        "content": [{"type": "output_text", "text": "Hello Ada!", "annotations": []}],
    },
    {"type": "function_call", "name": "lookup", "arguments": '{"q": "tea"}', "call_id": "c1"},
    {"type": "function_call_output", "call_id": "c1", "output": "Ada likes tea"},
]
ITEMS_B: list[Any] = [{"role": "user", "content": "ünïcode ✓ <b>"}]


async def write_sqlite_sessions(path: Path, **tables: str) -> dict[str, list[Any]]:
    """Two sessions written by ``agents.SQLiteSession``; returns what the SDK reads back."""
    written: dict[str, list[Any]] = {}
    for session_id, items in (("ada", ITEMS_A), ("bob", ITEMS_B)):
        session = SQLiteSession(session_id, path, **tables)
        try:
            await session.add_items(items[:2])
            await session.add_items(items[2:])
            written[session_id] = await session.get_items()
        finally:
            session.close()
    return written


async def write_async_sqlite_session(path: Path) -> list[Any]:
    session = AsyncSQLiteSession("async-chat", path)
    try:
        await session.add_items(ITEMS_A)
        return await session.get_items()
    finally:
        await session.close()


async def write_advanced_sqlite_session(path: Path) -> tuple[list[Any], list[Any]]:
    """An AdvancedSQLiteSession with usage and a second branch; (main items, branch items)."""
    session = AdvancedSQLiteSession(session_id="adv", db_path=path, create_tables=True)
    try:
        await session.add_items(ITEMS_A[:2])
        await session.add_items([{"role": "user", "content": "And my cat?"}])
        await session.create_branch_from_turn(2, "retry")
        await session.add_items([{"role": "user", "content": "Forget the cat."}])
        branch = await session.get_items()
        await session.switch_to_branch("main")
        main = await session.get_items()
        return main, branch
    finally:
        session.close()


def write_strands_files(storage: Path) -> dict[str, Any]:
    """Two agents in one session and a Swarm in another, by FileSessionManager."""
    seen: dict[str, Any] = {}
    for agent_id, replies in (("helper", ["Hi!", "Otters hold hands."]), ("critic", ["Fine."])):
        manager = FileSessionManager(session_id="duo", storage_dir=str(storage))
        agent = Agent(
            agent_id=agent_id,
            model=ScriptedModel(replies),
            session_manager=manager,
            callback_handler=None,
        )
        for question in ("hello", "tell me a fact")[: len(replies)]:
            agent(question)
        agent.state.set("mood", f"{agent_id}-happy")
        agent("one more")  # state is saved after the turn
        seen[agent_id] = agent.messages
    swarm_manager = FileSessionManager(session_id="swarm", storage_dir=str(storage))
    researcher = Agent(
        name="researcher",
        model=ScriptedModel([handoff("writer", "Fact: otters hold hands."), "Done."]),
        callback_handler=None,
    )
    writer = Agent(name="writer", model=ScriptedModel(["Post written."]), callback_handler=None)
    Swarm([researcher, writer], session_manager=swarm_manager, id="otter-post")("Write a post.")
    return seen
