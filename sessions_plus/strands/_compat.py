"""Every Strands Agents name this adapter uses that is not public API, in one place.

``StoreSessionManager`` extends Strands' ``RepositorySessionManager`` and must keep three pieces
of its private bookkeeping in step when it claims message ids in the store and merges other
agents' turns: the per-agent held records (for redaction), the latest message per agent, and
whether the session was just created. Strands (supported: ``SUPPORTED``) offers no public
accessors for them, so they are read and written only through the functions below;
``tests/adapters/strands/test_compat.py`` checks them against the installed SDK and fails loudly
when one disappears.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from strands.session.repository_session_manager import RepositorySessionManager
    from strands.types.session import SessionMessage

SUPPORTED = ">=1.62,<2"
"""The ``strands-agents`` versions these names were checked against (pyproject's pin)."""

PRIVATE_ATTRIBUTES = ("_held_records", "_latest_agent_message", "_is_new_session")
"""``RepositorySessionManager`` attributes set by its ``__init__`` that the adapter uses."""


def held_records(manager: RepositorySessionManager) -> dict[str, list[SessionMessage]]:
    """Agent id -> the session messages it currently holds (Strands redacts through them)."""
    records: dict[str, list[SessionMessage]] = manager._held_records
    return records


def latest_message(manager: RepositorySessionManager, agent_id: str) -> SessionMessage | None:
    """The agent's latest message (None before its first)."""
    message: SessionMessage | None = manager._latest_agent_message.get(agent_id)
    return message


def set_latest_message(
    manager: RepositorySessionManager, agent_id: str, message: SessionMessage | None
) -> None:
    """Record ``message`` as the agent's latest one (``redact_latest_message`` rewrites it)."""
    manager._latest_agent_message[agent_id] = message


def is_new_session(manager: RepositorySessionManager) -> bool:
    """True while the session was created by this manager and no agent joined it yet."""
    return bool(manager._is_new_session)
