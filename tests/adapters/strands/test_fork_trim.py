"""Strands fork and trim on every store: through the manager and the repository.

A forked session restores in a fresh agent with the same messages, state and
conversation-manager state; a trim keeps the newest messages with their ids, and
``list_messages(offset=)`` counts the messages still stored.
"""

from __future__ import annotations

from typing import Any

import pytest
from strands.agent.conversation_manager import SlidingWindowConversationManager
from strands.types.exceptions import SessionException
from strands.types.session import Session, SessionAgent, SessionMessage, SessionType

from sessions_plus.strands import StoreSessionRepository, agent_stream
from tests.fixtures.factory import StoreFactory
from tests.fixtures.strands import texts

from .test_adapter import MakeManager, agent, make_manager, stored

__all__ = ["make_manager"]  # the fixture, shared with test_adapter


def window(size: int = 4) -> SlidingWindowConversationManager:
    return SlidingWindowConversationManager(window_size=size, should_truncate_results=False)


def said(manager: Any, agent_id: str = "assistant") -> list[str]:
    return texts([message.to_message() for message in stored(manager, agent_id)])


def test_a_fork_restores_the_same_agent(make_manager: MakeManager) -> None:
    original = make_manager("original")
    bot = agent(original, [f"r{n}" for n in range(1, 5)], conversation_manager=window())
    bot.state.set("profile", {"name": "Ada", "visits": 4})
    for n in range(1, 5):
        bot(f"p{n}")
    assert bot.conversation_manager.removed_message_count > 0

    forked = original.fork("copy")
    assert forked.session_id == "copy"
    assert forked.repository.read_session("copy").session_id == "copy"
    again = agent(forked, ["r5"], conversation_manager=window())
    assert again.messages == bot.messages
    assert again.state.get() == bot.state.get()
    assert again.conversation_manager.get_state() == bot.conversation_manager.get_state()

    # The two sessions go their own ways from here.
    again("p5")
    assert said(forked)[-2:] == ["p5", "r5"]
    assert said(original) == [text for n in range(1, 5) for text in (f"p{n}", f"r{n}")]
    fresh = agent(make_manager("original"), ["-"], conversation_manager=window())
    assert fresh.messages == bot.messages


def test_a_shared_conversation_forks_whole(make_manager: MakeManager) -> None:
    manager = make_manager("team", shared=True)
    writer = agent(manager, ["w1"], agent_id="writer")
    reviewer = agent(manager, ["v1"], agent_id="reviewer")
    writer("draft it")
    reviewer("review it")
    forked = manager.fork("team-copy")
    assert forked.shared
    restored = agent(forked, ["-"], agent_id="reviewer")
    assert texts(restored.messages) == texts(reviewer.messages)


def test_fork_refuses_a_missing_source_and_an_existing_target(
    make_manager: MakeManager,
) -> None:
    first = make_manager("first")
    agent(first, ["one"])("hello")
    second = make_manager("second")
    agent(second, ["two"])("hi")
    with pytest.raises(SessionException, match="already exists"):
        first.fork("second")
    assert said(second) == ["hi", "two"]
    first.fork("second", replace=True)
    assert said(second) == ["hello", "one"]
    with pytest.raises(SessionException, match="does not exist"):
        first.repository.fork_session("nobody", "anyone")
    assert first.repository.read_session("anyone") is None


def test_a_trimmed_agent_restores_its_newest_messages(make_manager: MakeManager) -> None:
    manager = make_manager()
    bot = agent(manager, [f"r{n}" for n in range(1, 6)])
    for n in range(1, 6):
        bot(f"p{n}")
    assert manager.trim("assistant", keep_last=4) == 6
    assert [m.message_id for m in stored(manager)] == [6, 7, 8, 9]

    restored = agent(make_manager(), ["r6"])
    assert texts(restored.messages) == ["p4", "r4", "p5", "r5"]
    restored("p6")
    assert [m.message_id for m in stored(manager)] == [6, 7, 8, 9, 10, 11]
    assert manager.trim("assistant", keep_last=10) == 0


def test_a_trim_under_a_sliding_window_keeps_what_the_agent_sees(
    make_manager: MakeManager,
) -> None:
    bot = agent(make_manager(), [f"r{n}" for n in range(1, 7)], conversation_manager=window())
    for n in range(1, 7):
        bot(f"p{n}")
    removed = bot.conversation_manager.removed_message_count
    assert removed == 8 and texts(bot.messages) == ["p5", "r5", "p6", "r6"]
    manager = make_manager()
    manager.trim("assistant", keep_last=6)  # ids 6..11: more than the window, less than all

    # Strands restores from removed_message_count, a message id: ids 8.. are still stored.
    restored = agent(manager, ["-"], conversation_manager=window())
    assert texts(restored.messages) == texts(bot.messages)
    assert restored.conversation_manager.removed_message_count == removed


def test_trim_rejects_bad_input_and_writes_nothing(make_manager: MakeManager) -> None:
    manager = make_manager()
    agent(manager, ["r1"])("p1")
    for bad, error in ((-1, ValueError), ("1", TypeError), (None, TypeError)):
        with pytest.raises(error):
            manager.trim("assistant", keep_last=bad)
    assert said(manager) == ["p1", "r1"]
    with pytest.raises(SessionException, match="does not exist"):
        manager.repository.trim_messages("nobody", "assistant", keep_last=1)
    assert manager.repository.read_session("nobody") is None


def test_list_messages_offsets_count_stored_messages(store_factory: StoreFactory) -> None:
    with StoreSessionRepository(store_factory(), close_store=True) as repo:
        repo.create_session(Session(session_id="s", session_type=SessionType.AGENT))
        repo.create_agent("s", SessionAgent(agent_id="a", state={}, conversation_manager_state={}))
        for n in range(10):
            message = {"role": "user", "content": [{"text": f"m{n}"}]}
            repo.create_message("s", "a", SessionMessage(message=message, message_id=0))

        def ids(**kwargs: Any) -> list[int]:
            return [m.message_id for m in repo.list_messages("s", "a", **kwargs)]

        assert ids(offset=3, limit=2) == [3, 4]
        assert repo.trim_messages("s", "a", keep_last=4) == 6
        assert ids() == [6, 7, 8, 9]
        assert ids(offset=1) == [7, 8, 9]
        assert ids(offset=1, limit=2) == [7, 8]
        assert ids(offset=4) == []
        assert ids(limit=1) == [6]
        assert repo.read_message("s", "a", 5) is None
        assert repo.read_message("s", "a", 6) is not None
        assert ids(offset=2) == ids()[2:]
        with pytest.raises(ValueError):
            repo.list_messages("s", "a", offset=-1)
        assert repo.list_messages("s", "nobody", offset=2) == []
        assert repo.list_messages("missing", "a", offset=2) == []
        assert repo.trim_messages("s", "a", keep_last=0) == 4
        assert ids() == []
        added = SessionMessage(message={"role": "user", "content": [{"text": "new"}]}, message_id=0)
        repo.create_message("s", "a", added)
        assert added.message_id == 10  # ids are never reused after a trim
        info = repo.run(repo.store.info("s"))
        assert info is not None and info.ranges[agent_stream("a")].first == 11


@pytest.mark.parametrize("by_id", [False, True])
def test_a_trim_racing_a_restore_read_never_misnumbers(
    store_factory: StoreFactory, monkeypatch: pytest.MonkeyPatch, by_id: bool
) -> None:
    store = store_factory()
    with StoreSessionRepository(store, close_store=True) as repo:
        repo.create_session(Session(session_id="s", session_type=SessionType.AGENT))
        for n in range(10):
            message = {"role": "user", "content": [{"text": f"m{n}"}]}
            repo.create_message("s", "a", SessionMessage(message=message, message_id=0))
        reader = repo.view(shared=False, offset_by_id=by_id)
        plain_read = store.read_data

        async def read_then_trim(*args: Any, **kwargs: Any) -> Any:
            found = await plain_read(*args, **kwargs)
            monkeypatch.setattr(store, "read_data", plain_read)
            await store.trim("s", stream=agent_stream("a"), keep_last=4)  # another worker
            return found

        monkeypatch.setattr(store, "read_data", read_then_trim)
        listed = reader.list_messages("s", "a")
        assert [m.message_id for m in listed] == [6, 7, 8, 9]
        assert texts([m.to_message() for m in listed]) == ["m6", "m7", "m8", "m9"]
