"""Every private Strands name the adapter uses still exists in the installed SDK (pinned)."""

from __future__ import annotations

from importlib.metadata import version

from packaging.specifiers import SpecifierSet
from strands.session.repository_session_manager import RepositorySessionManager
from strands.types.session import SessionMessage

from sessions_plus import MemoryStore
from sessions_plus.strands import StoreSessionRepository, _compat


def test_the_installed_sdk_is_a_supported_version() -> None:
    assert version("strands-agents") in SpecifierSet(_compat.SUPPORTED)


def test_private_attributes_exist_and_the_accessors_reach_them() -> None:
    with StoreSessionRepository(MemoryStore()) as repository:
        manager = RepositorySessionManager(session_id="s", session_repository=repository)
        for name in _compat.PRIVATE_ATTRIBUTES:
            assert hasattr(manager, name), f"RepositorySessionManager.{name} is gone"
        assert _compat.is_new_session(manager) is True
        assert _compat.held_records(manager) == {}
        message = SessionMessage.from_message({"role": "user", "content": [{"text": "x"}]}, 0)
        _compat.set_latest_message(manager, "a", message)
        assert manager._latest_agent_message["a"] is message
