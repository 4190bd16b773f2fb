"""AdvancedSession against the SDK's own AdvancedSQLiteSession: one script of calls run on both,
every result (or error message) compared, timestamps aside.

Differences that are deliberate are normalised here and nowhere else: branches created in the
same second are listed by branch id (the SDK orders them by a timestamp with one-second
resolution, so ties come out in no defined order), and tool usage within one turn is compared
as a set (the SDK's GROUP BY leaves that order to SQLite).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from agents.extensions.memory import AdvancedSQLiteSession

from sessions_plus.openai_agents import AdvancedSession
from tests.fixtures.factory import StoreFactory

from .advanced_helpers import assistant, call, run_result, usage, user

Step = Callable[[Any], Awaitable[Any]]

TOOLS_TURN = [
    user("Use tools, please"),
    call("lookup", namespace="crm", call_id="c1"),
    {"type": "function_call_output", "call_id": "c1", "output": "found"},
    {"type": "mcp_call", "server_label": "fs", "name": "read_file", "arguments": "{}"},
    {"type": "tool_search_call", "id": "t1", "arguments": {}, "status": "completed"},
    {"type": "tool_search_output", "id": "t2", "tools": [], "status": "completed"},
    {"type": "shell_call", "id": "s1", "action": {"commands": ["ls"]}},
    {"type": "reasoning", "summary": []},
    assistant("done"),
]

SCRIPT: list[tuple[str, Step]] = [
    ("empty turns", lambda s: s.get_conversation_turns()),
    ("empty usage", lambda s: s.get_session_usage()),
    ("branch on nothing", lambda s: s.create_branch_from_turn(1, "x")),
    ("preamble", lambda s: s.add_items([{"role": "system", "content": "rules"}])),
    ("turn 1", lambda s: s.add_items([user("Tell me about cats"), assistant("Cats!")])),
    ("usage 1", lambda s: s.store_run_usage(run_result(usage(1, 10, 5)))),
    ("turn 2", lambda s: s.add_items(TOOLS_TURN)),
    ("usage 2", lambda s: s.store_run_usage(run_result(usage(2, 20, 10)))),
    ("turn 3", lambda s: s.add_items([user([{"type": "input_text", "text": "CATS again"}])])),
    ("by turns", lambda s: s.get_conversation_by_turns()),
    ("tools", lambda s: s.get_tool_usage()),
    ("turns", lambda s: s.get_conversation_turns()),
    ("search", lambda s: s.find_turns_by_content("cats")),
    ("search json", lambda s: s.find_turns_by_content("input_text")),
    ("branch at 2", lambda s: s.create_branch_from_turn(2, "alt")),
    ("alt items", lambda s: s.get_items()),
    ("alt add", lambda s: s.add_items([user("alt question"), assistant("alt answer")])),
    ("alt usage", lambda s: s.store_run_usage(run_result(usage(3, 30, 15)))),
    ("auto branch", lambda s: s.create_branch_from_turn(2)),
    ("auto again", lambda s: s.create_branch_from_turn(1)),
    ("switch alt", lambda s: s.switch_to_branch("alt")),
    ("auto same second", lambda s: s.create_branch_from_turn(2)),
    ("switch empty", lambda s: s.switch_to_branch("branch_from_turn_1_1700000000")),
    ("switch main", lambda s: s.switch_to_branch("main")),
    ("used", lambda s: s.create_branch_from_turn(1, "alt")),
    ("used main", lambda s: s.create_branch_from_turn(1, "main")),
    ("bad turn", lambda s: s.create_branch_from_turn(9, "nine")),
    ("content branch", lambda s: s.create_branch_from_content("again", "again")),
    ("no content", lambda s: s.create_branch_from_content("zebra")),
    ("branches", lambda s: s.list_branches()),
    ("delete current", lambda s: s.delete_branch("again")),
    ("force delete", lambda s: s.delete_branch("again", force=True)),
    ("delete main", lambda s: s.delete_branch("main")),
    ("delete blank", lambda s: s.delete_branch(" ")),
    ("delete missing", lambda s: s.delete_branch("missing")),
    ("session usage", lambda s: s.get_session_usage()),
    ("alt session usage", lambda s: s.get_session_usage("alt")),
    ("turn usage", lambda s: s.get_turn_usage()),
    ("turn usage 2", lambda s: s.get_turn_usage(2)),
    ("alt turn usage", lambda s: s.get_turn_usage(branch_id="alt")),
    ("pop main", lambda s: s.pop_item()),
    ("usage after pop", lambda s: s.get_turn_usage()),
    ("pop main again", lambda s: s.pop_item()),
    ("usage after the turn went", lambda s: s.get_turn_usage()),
    ("limit 2", lambda s: s.get_items(limit=2)),
    ("limit 0", lambda s: s.get_items(limit=0)),
    ("limit -1", lambda s: s.get_items(limit=-1)),
    ("alt by branch id", lambda s: s.get_items(branch_id="alt")),
    ("unknown branch", lambda s: s.get_items(branch_id="nope")),
    ("delete alt", lambda s: s.delete_branch("alt")),
    ("alt usage gone", lambda s: s.get_session_usage("alt")),
    ("branches after", lambda s: s.list_branches()),
    ("clear", lambda s: s.clear_session()),
    ("after clear", lambda s: s.get_items()),
    ("reuse after clear", lambda s: s.create_branch_from_turn(1, "alt")),
    ("fresh", lambda s: s.add_items([user("fresh")])),
    ("fresh turns", lambda s: s.get_conversation_turns()),
    ("reserved after clear", lambda s: s.create_branch_from_turn(1, "alt")),
    ("branches at the end", lambda s: s.list_branches()),
    ("usage at the end", lambda s: s.get_session_usage()),
]


def normalised(name: str, value: Any) -> Any:
    """Drop what legitimately differs: timestamps, and orders the SDK leaves undefined."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        times = ("timestamp", "created_at")
        value = [{k: v for k, v in row.items() if k not in times} for row in value]
        if name.startswith("branches"):
            value = sorted(value, key=lambda row: row["branch_id"])
    elif name == "tools":
        value = sorted(value)
    return value


async def play(session: Any) -> list[tuple[str, Any]]:
    outcomes: list[tuple[str, Any]] = []
    for name, step in SCRIPT:
        try:
            outcomes.append((name, normalised(name, await step(session))))
        except ValueError as exc:
            outcomes.append((name, ("ValueError", str(exc))))
    return outcomes


@pytest.fixture(params=["memory_store_factory", "sqlite_file_store_factory"])
def local_factory(request: pytest.FixtureRequest) -> StoreFactory:
    """In-process backends: the adapter logic compared here is the same on every backend."""
    factory: StoreFactory = request.getfixturevalue(request.param)
    return factory


async def test_the_same_calls_give_the_same_results(
    local_factory: StoreFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(time, "time", lambda: 1_700_000_000.0)
    sdk = AdvancedSQLiteSession(session_id="parity", create_tables=True)
    try:
        expected = await play(sdk)
    finally:
        sdk.close()
    actual = await play(AdvancedSession("parity", local_factory()))
    for (name, want), (_, got) in zip(expected, actual, strict=True):
        assert got == want, name


def test_every_public_method_has_the_sdks_signature() -> None:
    sdk_methods = {
        name: member
        for name, member in inspect.getmembers(AdvancedSQLiteSession, callable)
        if not name.startswith("_")
    }
    assert len(sdk_methods) >= 17
    for name, member in sdk_methods.items():
        ours = getattr(AdvancedSession, name, None)
        assert ours is not None, f"AdvancedSession has no {name}"
        assert inspect.signature(ours) == inspect.signature(member), name
        assert inspect.iscoroutinefunction(ours) == inspect.iscoroutinefunction(member), name
