"""A restored Strands agent sees its orphaned tool calls answered as interrupted (on read only),
in messages Bedrock takes, without drifting from the stored messages."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from strands import Agent
from strands.types.exceptions import SessionException

from sessions_plus import ConversationStore
from sessions_plus.conversation import INTERRUPTED
from sessions_plus.strands import StoreSessionManager, _compat
from sessions_plus.strands.repository import agent_stream
from sessions_plus.testing import ValidatingModel
from tests.fixtures.factory import StoreFactory

INTERRUPTED_RESULT = {
    "toolResult": {"toolUseId": "t1", "status": "error", "content": [{"text": INTERRUPTED}]}
}


def text(role: str, value: str) -> dict[str, Any]:
    return {"role": role, "content": [{"text": value}]}


USE = {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "f", "input": {}}}]}


@pytest.fixture(params=["memory_store_factory", "sqlite_file_store_factory"])
def factory(request: pytest.FixtureRequest) -> StoreFactory:
    made: StoreFactory = request.getfixturevalue(request.param)
    return made


def store_of(factory: StoreFactory, first: list[ConversationStore]) -> ConversationStore:
    """A store object per worker where objects share data, else the first one again."""
    if factory.shared or not first:
        first.append(factory())
    return first[-1]


def plant(store: ConversationStore, *messages: dict[str, Any]) -> None:
    """A session whose agent ``spec`` holds ``messages`` (what a killed worker leaves)."""
    with StoreSessionManager("s", store) as manager:
        Agent(agent_id="spec", messages=list(messages), session_manager=manager)


def stored(store: ConversationStore) -> list[Any]:
    async def read() -> list[Any]:
        return await store.read_data("s", stream=agent_stream("spec"))

    return [
        {k: v for k, v in data["message"].items() if k != "tracking_id"}
        for data in asyncio.run(read())
    ]


def test_an_orphan_before_a_stored_turn_is_answered_in_that_turn(factory: StoreFactory) -> None:
    made: list[ConversationStore] = []
    plant(
        store_of(factory, made),
        text("user", "q1"),
        USE,
        text("user", "q2"),
        text("assistant", "a2"),
    )
    store = store_of(factory, made)
    with StoreSessionManager("s", store) as manager:
        model = ValidatingModel(["a3"])
        agent = Agent(agent_id="spec", model=model, session_manager=manager, callback_handler=None)
        assert agent.messages[2]["content"] == [INTERRUPTED_RESULT, {"text": "q2"}]
        with pytest.raises(SessionException, match="repaired"):
            held = _compat.held_records(manager)["spec"]
            manager.repository.update_message("s", "spec", held[2])
        agent("q3")
    assert model.seen[0][2]["content"] == [INTERRUPTED_RESULT, {"text": "q2"}]
    assert stored(store) == [
        text("user", "q1"),
        USE,
        text("user", "q2"),
        text("assistant", "a2"),
    ] + [
        {**m, **({"tracking_id": m["tracking_id"]} if "tracking_id" in m else {})}
        for m in stored(store)[4:]
    ]
    assert INTERRUPTED not in str(stored(store))


def test_a_trailing_orphan_goes_out_with_the_next_prompt(factory: StoreFactory) -> None:
    made: list[ConversationStore] = []
    plant(store_of(factory, made), text("user", "q1"), USE)
    store = store_of(factory, made)
    with StoreSessionManager("s", store) as manager:
        model = ValidatingModel(["a2"])
        agent = Agent(agent_id="spec", model=model, session_manager=manager, callback_handler=None)
        assert agent.messages[-1] == {"role": "user", "content": [INTERRUPTED_RESULT]}
        latest = _compat.latest_message(manager, "spec")
        assert latest is not None and latest.message_id == 1  # the stored toolUse, not the note
        agent("q2")
        assert len(agent.messages) == len(stored(store)) == 4  # no drift from what is stored
    assert model.seen[0][-1]["content"] == [INTERRUPTED_RESULT, {"text": "q2"}]
    assert [m["role"] for m in stored(store)] == ["user", "assistant", "user", "assistant"]
    assert INTERRUPTED not in str(stored(store))  # Strands' own repair did not store a result
