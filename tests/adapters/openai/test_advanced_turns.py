"""AdvancedSession turn views on every backend: message types, tool names and tool usage,
turns and content search, as the SDK's AdvancedSQLiteSession reports them."""

from __future__ import annotations

from typing import Any

from sessions_plus.openai_agents import AdvancedSession
from tests.fixtures.factory import StoreFactory

from .advanced_helpers import assistant, call, user


def tool_search_output(**extra: Any) -> dict[str, Any]:
    return {
        "type": "tool_search_output",
        "id": "tso_1",
        "execution": "server",
        "status": "completed",
        "tools": [{"type": "function", "name": "lookup_account", "parameters": {}}],
        **extra,
    }


async def usage_by_tool(session: AdvancedSession) -> dict[str, int]:
    return {name: count for name, count, _turn in await session.get_tool_usage()}


async def test_item_types_and_turns(store_factory: StoreFactory) -> None:
    session = AdvancedSession("types", store_factory())
    await session.add_items([user("Hello"), assistant("Hi!")])
    await session.add_items(
        [
            user("What's 2+2?"),
            call("calculator"),
            {"type": "function_call_output", "output": "4"},
            assistant("The answer is 4"),
            {"type": "reasoning", "summary": [{"text": "Simple math", "type": "summary_text"}]},
        ]
    )
    await session.add_items([user("Goodbye"), assistant("See you later!")])
    by_turn = await session.get_conversation_by_turns()
    assert {turn: [i["type"] for i in items] for turn, items in by_turn.items()} == {
        1: ["user", "assistant"],
        2: ["user", "function_call", "function_call_output", "assistant", "reasoning"],
        3: ["user", "assistant"],
    }
    assert by_turn[2][1]["tool_name"] == "calculator"
    assert by_turn[1][0]["tool_name"] is None


async def test_items_before_the_first_question_are_turn_zero(
    store_factory: StoreFactory,
) -> None:
    session = AdvancedSession("turn-zero", store_factory())
    await session.add_items([{"role": "system", "content": "rules"}, assistant("welcome")])
    await session.add_items([user("q")])
    by_turn = await session.get_conversation_by_turns()
    assert {turn: [i["type"] for i in items] for turn, items in by_turn.items()} == {
        0: ["other", "assistant"],
        1: ["user"],
    }


async def test_tool_usage_counts_each_tool_per_turn(store_factory: StoreFactory) -> None:
    session = AdvancedSession("tools", store_factory())
    await session.add_items(
        [
            user("Search for cats"),
            call("web_search"),
            {"type": "function_call_output", "output": "Found cat information"},
            call("calculator"),
            {"type": "function_call_output", "output": "2"},
            assistant("Done"),
        ]
    )
    await session.add_items([user("again"), call("calculator"), call("calculator")])
    assert sorted(await session.get_tool_usage()) == [
        ("calculator", 1, 1),
        ("calculator", 2, 2),
        ("web_search", 1, 1),
    ]
    assert [turn for _, _, turn in await session.get_tool_usage()] == [1, 1, 2]


async def test_namespaces_are_kept_and_a_tool_search_counts_once(
    store_factory: StoreFactory,
) -> None:
    session = AdvancedSession("namespaces", store_factory())
    await session.add_items(
        [
            user("Look up the same account in multiple systems"),
            call("lookup_account", namespace="crm", call_id="crm-call"),
            call("lookup_account", namespace="billing", call_id="billing-call"),
            {"type": "tool_search_call", "id": "tsc_1", "arguments": {}, "status": "completed"},
            tool_search_output(),
        ]
    )
    assert await usage_by_tool(session) == {
        "crm.lookup_account": 1,
        "billing.lookup_account": 1,
        "tool_search": 1,
    }


async def test_a_tool_search_output_alone_counts_once(store_factory: StoreFactory) -> None:
    session = AdvancedSession("search-output", store_factory())
    await session.add_items([user("Look up customer_42"), tool_search_output()])
    assert await usage_by_tool(session) == {"tool_search": 1}


async def test_a_namespace_equal_to_the_name_collapses(store_factory: StoreFactory) -> None:
    session = AdvancedSession("bare-names", store_factory())
    await session.add_items(
        [
            user("What is the weather?"),
            call("get_weather", call_id="c1"),
            call("get_weather", namespace="get_weather", call_id="c2"),
            call("lookup_account", namespace="lookup_account", call_id="c3"),
        ]
    )
    assert await usage_by_tool(session) == {"get_weather": 2, "lookup_account": 1}


async def test_tool_names_of_every_tool_kind(store_factory: StoreFactory) -> None:
    session = AdvancedSession("tool-kinds", store_factory())
    await session.add_items(
        [
            user("Use various tools"),
            {"type": "mcp_call", "server_label": "filesystem", "name": "read_file"},
            {"type": "mcp_approval_request", "server_label": "database", "name": "execute_query"},
            {"type": "computer_call", "arguments": "{}"},
            {"type": "file_search_call", "arguments": "{}"},
            {"type": "web_search_call", "arguments": "{}"},
            {"type": "code_interpreter_call", "arguments": "{}"},
            {"type": "shell_call", "arguments": "{}"},
            call("calculator"),
            {"type": "custom_tool_call", "name": "custom_tool", "arguments": "{}"},
            {"type": "function_call_output", "tool_name": "search_web", "output": "result"},
        ]
    )
    names = [
        "filesystem.read_file",
        "database.execute_query",
        "computer_call",
        "file_search_call",
        "web_search_call",
        "code_interpreter_call",
        "shell_call",
        "calculator",
        "custom_tool",
    ]
    (items,) = (await session.get_conversation_by_turns()).values()
    assert [i["tool_name"] for i in items if i["tool_name"]] == names
    assert await usage_by_tool(session) == dict.fromkeys(names, 1)


async def test_conversation_turns_and_search(store_factory: StoreFactory) -> None:
    session = AdvancedSession("search", store_factory())
    await session.add_items([user("Tell me about cats"), assistant("Cats are great pets")])
    await session.add_items([user("What about dogs?"), assistant("Dogs too")])
    await session.add_items([user("Tell me about CATS again"), assistant("Cats!")])
    turns = await session.get_conversation_turns()
    assert [(t["turn"], t["content"], t["full_content"], t["can_branch"]) for t in turns] == [
        (1, "Tell me about cats", "Tell me about cats", True),
        (2, "What about dogs?", "What about dogs?", True),
        (3, "Tell me about CATS again", "Tell me about CATS again", True),
    ]
    assert all(isinstance(t["timestamp"], str) for t in turns)
    assert [t["turn"] for t in await session.find_turns_by_content("cats")] == [1, 3]
    assert [t["turn"] for t in await session.find_turns_by_content("dogs")] == [2]
    assert await session.find_turns_by_content("elephants") == []
    # Only the user's text counts, not the JSON around it nor the assistant's answers.
    assert await session.find_turns_by_content("role") == []
    assert await session.find_turns_by_content("great pets") == []


async def test_search_ignores_ascii_case_only(store_factory: StoreFactory) -> None:
    session = AdvancedSession("case", store_factory())
    await session.add_items([user("Ünïcode and 100% _wild_ \\ chars")])
    assert len(await session.find_turns_by_content("ÜNÏCODE")) == 0
    assert len(await session.find_turns_by_content("ünïcode")) == 0
    assert len(await session.find_turns_by_content("Ünïcode AND")) == 1
    assert len(await session.find_turns_by_content("100% _WILD_ \\")) == 1
    assert len(await session.find_turns_by_content("100_")) == 0


async def test_structured_content_is_previewed_as_text(store_factory: StoreFactory) -> None:
    session = AdvancedSession("parts", store_factory())
    await session.add_items([user([{"type": "input_text", "text": "hello world"}])])
    long_parts = [{"type": "input_text", "text": str(i)} for i in range(101)]
    await session.add_items([user(long_parts)])
    first, second = await session.get_conversation_turns()
    assert isinstance(first["content"], str) and isinstance(first["full_content"], list)
    assert second["content"].endswith("...") and len(second["content"]) == 103
    assert second["full_content"] == long_parts
    (match,) = await session.find_turns_by_content("hello")
    assert isinstance(match["content"], str) and match["full_content"][0]["text"] == "hello world"


async def test_an_empty_session_reads_as_empty(store_factory: StoreFactory) -> None:
    session = AdvancedSession("empty", store_factory())
    assert await session.get_items() == []
    assert await session.get_conversation_by_turns() == {}
    assert await session.get_tool_usage() == []
    assert await session.get_session_usage() is None
    assert await session.get_conversation_turns() == []
    assert await session.list_branches() == []
    assert await session.pop_item() is None


async def test_sessions_are_isolated(store_factory: StoreFactory) -> None:
    store = store_factory()
    one, two = AdvancedSession("session_1", store), AdvancedSession("session_2", store)
    await one.add_items([user("Session 1 message")])
    await two.add_items([user("Session 2 message")])
    await one.create_branch_from_turn(1, "b")
    assert await two.get_current_branch_id() == "main"
    assert await two.get_items() == [user("Session 2 message")]
    assert list(await two.get_conversation_by_turns()) == [1]
