"""Strands' SessionRepository contract, on every backend, as Strands' own repository tests
check it; and what the manager adds on top (concurrent opening, sessions that expire)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

import pytest
from strands import Agent
from strands.types.exceptions import SessionException
from strands.types.session import Session, SessionAgent, SessionType

from sessions_plus.strands import StoreSessionManager, StoreSessionRepository
from tests.fixtures.factory import StoreFactory
from tests.fixtures.strands import ScriptedModel


def _agent(agent_id: str = "a") -> SessionAgent:
    return SessionAgent(agent_id=agent_id, state={}, conversation_manager_state={})


class _MultiAgent:
    """The part of a Swarm/Graph the repository uses."""

    def __init__(self, multi_agent_id: str, state: dict[str, Any]) -> None:
        self.id = multi_agent_id
        self.state = state

    def serialize_state(self) -> dict[str, Any]:
        return dict(self.state)


def test_update_nonexistent_agent(store_factory: StoreFactory) -> None:
    with StoreSessionRepository(store_factory(), close_store=True) as repo:
        repo.create_session(Session(session_id="s", session_type=SessionType.AGENT))
        with pytest.raises(SessionException, match="does not exist"):
            repo.update_agent("s", _agent("nobody"))
        assert repo.read_agent("s", "nobody") is None  # and nothing was written
        repo.create_agent("s", _agent("a"))
        updated = _agent("a")
        updated.state = {"k": 1}
        repo.update_agent("s", updated)
        stored = repo.read_agent("s", "a")
        assert stored is not None and stored.state == {"k": 1}


def test_update_nonexistent_multi_agent(store_factory: StoreFactory) -> None:
    with StoreSessionRepository(store_factory(), close_store=True) as repo:
        repo.create_session(Session(session_id="s", session_type=SessionType.AGENT))
        with pytest.raises(SessionException, match="does not exist"):
            repo.update_multi_agent("s", _MultiAgent("nonexistent", {}))  # type: ignore[arg-type]
        assert repo.read_multi_agent("s", "nonexistent") is None
        team = _MultiAgent("team", {"step": 1})
        repo.create_multi_agent("s", team)  # type: ignore[arg-type]
        team.state = {"step": 2}
        repo.update_multi_agent("s", team)  # type: ignore[arg-type]
        assert repo.read_multi_agent("s", "team") == {"step": 2}


def test_an_agent_deleted_meanwhile_is_not_recreated_by_an_update(
    store_factory: StoreFactory,
) -> None:
    """The update is conditional in the store itself: a cached agent does not resurrect."""
    with StoreSessionRepository(store_factory(), close_store=True) as repo:
        repo.create_agent("s", _agent("a"))
        assert repo.read_agent("s", "a") is not None  # caches its created_at
        repo.run(repo.store.delete_doc("s", "agent:a"))
        with pytest.raises(SessionException, match="does not exist"):
            repo.update_agent("s", _agent("a"))
        assert repo.read_agent("s", "a") is None


def test_managers_opening_one_new_session_at_once(store_factory: StoreFactory) -> None:
    """Strands' create_session raises for an existing session; managers racing to open a new
    one all succeed (their repository view accepts the session another created first)."""
    with StoreSessionRepository(store_factory(), close_store=True) as repo:
        session = Session(session_id="race", session_type=SessionType.AGENT)
        view = repo.view(shared=False, exist_ok=True)
        assert view.create_session(session) is session
        again = view.create_session(Session(session_id="race", session_type=SessionType.AGENT))
        assert again.session_id == "race"
        with pytest.raises(SessionException, match="already exists"):
            repo.create_session(session)

        managers: list[StoreSessionManager] = []
        errors: list[BaseException] = []
        start = threading.Barrier(6)

        def open_one() -> None:
            start.wait()
            try:
                managers.append(StoreSessionManager("crowd", repository=repo))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=open_one) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == [] and len(managers) == 6
        assert repo.read_session("crowd") is not None


def test_an_agent_keeps_working_when_its_session_expires_while_idle(
    store_factory: StoreFactory, caplog: pytest.LogCaptureFixture
) -> None:
    store = store_factory(ttl=1)
    manager = StoreSessionManager("idle", store)
    try:
        bot = Agent(
            model=ScriptedModel(["first", "second"]),
            session_manager=manager,
            callback_handler=None,
            agent_id="bot",
        )
        bot("hello")
        time.sleep(1.3)  # the whole session expires while the agent is idle
        assert manager.repository.read_session("idle") is None
        with caplog.at_level(logging.WARNING, logger="sessions_plus.strands"):
            bot("still there?")
        assert "session expired while in use; re-creating it" in caplog.text
        assert manager.repository.read_session("idle") is not None
        assert manager.repository.read_agent("idle", "bot") is not None
        messages = manager.repository.list_messages("idle", "bot")
        assert [m.message["content"][0]["text"] for m in messages] == ["still there?", "second"]
    finally:
        manager.close()
        asyncio.run(store.aclose())
