"""``StoreSession.get_items`` repairs orphaned tool calls and outputs of its own records on read,
so a Runner on a validating model gets what the Responses API takes."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from agents import Agent, Runner, set_tracing_disabled
from agents.testing import assistant_message

from sessions_plus.conversation import INTERRUPTED
from sessions_plus.conversation import repair as repair_module
from sessions_plus.openai_agents import OPENAI_FORMAT, AdvancedSession, StoreSession
from sessions_plus.testing import ValidatingOpenAIModel, check_responses_input
from tests.fixtures.factory import StoreFactory

set_tracing_disabled(True)


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def call(call_id: str) -> dict[str, Any]:
    return {"type": "function_call", "call_id": call_id, "name": "lookup", "arguments": "{}"}


def output(call_id: str, text: str = "found") -> dict[str, Any]:
    return {"type": "function_call_output", "call_id": call_id, "output": text}


INTERRUPTED_OUTPUT = {"type": "function_call_output", "call_id": "c1", "output": INTERRUPTED}


@pytest.fixture(autouse=True)
def fresh_log() -> None:
    repair_module._logged.clear()


async def test_an_orphaned_call_is_answered_and_an_orphaned_output_noted(
    store_factory: StoreFactory, caplog: pytest.LogCaptureFixture
) -> None:
    store = store_factory()
    session = StoreSession("orphans", store)
    # What a worker killed mid-tool by an older writer, and a stray output, leave behind.
    planted = [user("q1"), call("c1"), user("q2"), output("c9", "stray"), user("q3")]
    await store.append("orphans", planted, format=OPENAI_FORMAT)
    model = ValidatingOpenAIModel([[assistant_message("fine")]])
    with caplog.at_level(logging.WARNING, logger="sessions_plus"):
        await Runner.run(Agent(name="a", model=model), "q4", session=session)
    sent = model.calls[0].input
    assert sent == [
        user("q1"),
        call("c1"),
        INTERRUPTED_OUTPUT,
        user("q2"),
        {"role": "assistant", "content": "[result of tool call c9 -> stray]"},
        user("q3"),
        {"content": "q4", "role": "user"},
    ]
    logged = [
        r.getMessage() for r in caplog.records if "stored history unchanged" in r.getMessage()
    ]
    assert len(logged) == 2 and "record seq=2: tool call c1" in logged[0]
    assert "record seq=4: tool result for call c9" in logged[1]
    assert [r.data for r in await store.read("orphans")][:5] == planted  # nothing rewritten


async def test_a_trailing_call_is_left_as_it_is_and_the_runner_leaves_it_out(
    store_factory: StoreFactory,
) -> None:
    store = store_factory()
    session = StoreSession("pending", store)
    await store.append("pending", [user("q1"), call("c1")], format=OPENAI_FORMAT)
    assert await session.get_items() == [user("q1"), call("c1")]  # its output may be coming
    model = ValidatingOpenAIModel([[assistant_message("fine")]])
    await Runner.run(Agent(name="a", model=model), "q2", session=session)
    assert model.calls[0].input == [user("q1"), {"content": "q2", "role": "user"}]
    # Now a later turn is stored after the call: every read shows it interrupted.
    items = await session.get_items()
    assert items[:3] == [user("q1"), call("c1"), INTERRUPTED_OUTPUT]
    assert check_responses_input(items) is None


@pytest.fixture(params=["memory_store_factory", "sqlite_file_store_factory"])
def local_factory(request: pytest.FixtureRequest) -> StoreFactory:
    factory: StoreFactory = request.getfixturevalue(request.param)
    return factory


async def test_latest_n_items_are_the_last_n_of_the_repaired_history(
    local_factory: StoreFactory,
) -> None:
    store = local_factory()
    session = StoreSession("window", store)
    history: list[Any] = []
    for turn in range(5):
        history += [user(f"q{turn}"), call(f"c{turn}")]
        if turn % 2:
            history.append(output(f"c{turn}"))
        history.append({"role": "assistant", "content": f"a{turn}"})
    await store.append("window", [*history, user("q5")], format=OPENAI_FORMAT)
    whole = await session.get_items()
    assert check_responses_input(whole) is None
    for limit in range(1, len(whole) + 2):
        assert await session.get_items(limit=limit) == whole[-limit:]
    limited = StoreSession("window", store, session_settings={"limit": 3})
    assert await limited.get_items() == whole[-3:]


async def test_advanced_session_repairs_its_branch_on_read(local_factory: StoreFactory) -> None:
    session = AdvancedSession("advanced", local_factory())
    await session.add_items([user("q1"), call("c1"), user("q2"), output("c9", "stray")])
    items = await session.get_items()
    assert items == [
        user("q1"),
        call("c1"),
        INTERRUPTED_OUTPUT,
        user("q2"),
        {"role": "assistant", "content": "[result of tool call c9 -> stray]"},
    ]
    assert await session.get_items(limit=2) == items[-2:]
    model = ValidatingOpenAIModel([[assistant_message("fine")]])
    await Runner.run(Agent(name="a", model=model), "q3", session=session)
    assert check_responses_input(model.calls[0].input) is None
