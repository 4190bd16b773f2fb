"""Strands session managers over any store, plus SQLite/Redis/DynamoDB drop-ins.

``StoreSessionManager`` is a Strands ``RepositorySessionManager`` whose repository is a
:class:`~sessions_plus.strands.repository.StoreSessionRepository`. Message ids are claimed by the
store, so several workers (threads, processes, machines) on one session lose nothing. With
``shared=True`` every agent of the session works on one conversation: before each invocation an
agent picks up the turns others added since it last synced.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from ..errors import ConfigurationError, missing_dependency
from ..loops import DEFAULT_TIMEOUT
from ..store import ConversationStore
from .repository import StoreSessionRepository, record_to_message

try:
    from strands.hooks.events import BeforeInvocationEvent
    from strands.session.repository_session_manager import RepositorySessionManager
    from strands.types.exceptions import SessionException
    from strands.types.session import SessionMessage
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise missing_dependency("sessions_plus.strands", "strands", exc) from exc

if TYPE_CHECKING:
    from strands.hooks.registry import HookRegistry
    from strands.types.agent import LocalAgent
    from strands.types.content import Message


class StoreSessionManager(RepositorySessionManager):
    """Persist Strands agents, Swarms and Graphs in any sessions-plus store.

    Use as ``Agent(session_manager=...)``, ``Swarm(..., session_manager=...)`` or
    ``GraphBuilder().set_session_manager(...)``. Pass either a ``store`` (a repository with its
    own background loop is made; ``close_store=True`` also hands the store over) or a
    ``repository`` shared by many managers (one loop thread and one connection pool for a
    whole server). ``close()`` (or ``with``) releases what this manager made.

    ``shared=True``: every agent on the session, in any process, works on one conversation
    (stream ``conversation``, records authored by agent id). Before each invocation an agent
    appends the turns others added since it last synced to its own history; its own turns are
    visible to the others. Agent state and conversation-manager state stay per agent.
    """

    def __init__(
        self,
        session_id: str,
        store: ConversationStore | None = None,
        *,
        repository: StoreSessionRepository | None = None,
        shared: bool = False,
        close_store: bool = False,
        timeout: float | None = DEFAULT_TIMEOUT,
        **kwargs: Any,
    ) -> None:
        if (store is None) == (repository is None):
            raise ConfigurationError("pass exactly one of store= or repository=")
        self._owns_repository = repository is None
        if repository is None:
            assert store is not None
            repository = StoreSessionRepository(
                store, shared=shared, close_store=close_store, timeout=timeout
            )
        elif repository.shared != bool(shared):
            repository = repository.view(shared=shared)
        self.shared = bool(shared)
        self.repository = repository
        # Shared-conversation bookkeeping per agent: the last seq merged into its history and
        # the seqs it wrote itself past that point (never merged twice).
        self._synced: dict[str, int] = {}
        self._own: dict[str, set[int]] = {}
        self._sync_lock = threading.RLock()
        try:
            try:
                super().__init__(session_id=session_id, session_repository=repository, **kwargs)
            except SessionException:
                # Another worker created the session between our read and our create.
                super().__init__(session_id=session_id, session_repository=repository, **kwargs)
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ lifecycle

    @property
    def store(self) -> ConversationStore:
        """The store this manager writes to."""
        return self.repository.store

    def close(self) -> None:
        """Stop the repository's loop (and close the store if handed over), if made here."""
        if self._owns_repository:
            self.repository.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def delete_session(self) -> None:
        """Delete this session with everything in it."""
        self.repository.delete_session(self.session_id)

    # ------------------------------------------------------------------ hooks

    def register_hooks(self, registry: HookRegistry, **kwargs: Any) -> None:
        """Strands' persistence hooks, plus the pre-invocation sync in shared mode."""
        super().register_hooks(registry, **kwargs)
        if self.shared:
            registry.add_callback(BeforeInvocationEvent, self._on_before_invocation)

    def _on_before_invocation(self, event: BeforeInvocationEvent) -> None:
        self.sync_conversation(event.agent)

    def initialize(self, agent: LocalAgent, **kwargs: Any) -> None:
        """Restore (or create) the agent; in shared mode also merge others' turns."""
        if not self.shared:
            super().initialize(agent, **kwargs)
            return
        restoring = not self._is_new_session and (
            self.repository.read_agent(self.session_id, agent.agent_id) is not None
        )
        super().initialize(agent, **kwargs)
        agent_id = agent.agent_id
        held = self._held_records.get(agent_id, [])
        with self._sync_lock:
            self._own[agent_id] = set()
            if restoring:
                # The history was read from the conversation up to its last record.
                offset = getattr(
                    getattr(agent, "conversation_manager", None), "removed_message_count", 0
                )
                self._synced[agent_id] = held[-1].message_id + 1 if held else int(offset or 0)
            else:
                # A new agent wrote only its initial messages: never merge them back.
                self._synced[agent_id] = 0
                for record in held:
                    self._note_own(agent_id, record.message_id + 1)
        self.sync_conversation(agent)

    def append_message(self, message: Message, agent: LocalAgent, **kwargs: Any) -> None:
        """Append ``message``; its id is the one the store claimed for it."""
        session_message = SessionMessage.from_message(message, 0)
        self.repository.create_message(self.session_id, agent.agent_id, session_message)
        self._latest_agent_message[agent.agent_id] = session_message
        self._held_records.setdefault(agent.agent_id, []).append(session_message)
        if self.shared:
            self._note_own(agent.agent_id, session_message.message_id + 1)

    def _note_own(self, agent_id: str, seq: int) -> None:
        with self._sync_lock:
            synced = self._synced.get(agent_id, 0)
            if seq == synced + 1 and not self._own.get(agent_id):
                self._synced[agent_id] = seq
            else:
                self._own.setdefault(agent_id, set()).add(seq)

    def sync_conversation(self, agent: LocalAgent) -> int:
        """Append to ``agent.messages`` the shared turns others added since the last sync.

        Returns how many messages were merged. A no-op outside shared mode.
        """
        if not self.shared:
            return 0
        agent_id = agent.agent_id
        with self._sync_lock:
            after = self._synced.get(agent_id, 0)
            records = self.repository.read_records_after(self.session_id, agent_id, after)
            own = self._own.setdefault(agent_id, set())
            merged = 0
            for record in records:
                if record.seq in own:
                    own.discard(record.seq)
                    continue
                session_message = record_to_message(record)
                agent.messages.append(session_message.to_message())
                self._held_records.setdefault(agent_id, []).append(session_message)
                merged += 1
            if records:
                self._synced[agent_id] = records[-1].seq
            own.difference_update({seq for seq in own if seq <= self._synced[agent_id]})
            return merged


def _drop_in_path(db_path: str | os.PathLike[str] | None) -> str:
    if db_path is None:
        directory = Path.home() / ".strands"
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        return str(directory / "sessions.db")
    return os.fspath(db_path)


class SQLiteSessionManager(StoreSessionManager):
    """Drop-in for ``FileSessionManager``: sessions in one SQLite file.

    ``db_path`` defaults to ``~/.strands/sessions.db``. Several processes may share the file.
    """

    def __init__(
        self,
        session_id: str,
        db_path: str | os.PathLike[str] | None = None,
        *,
        ttl: float | None = None,
        refresh_on_read: bool = False,
        shared: bool = False,
        timeout: float | None = DEFAULT_TIMEOUT,
        store_options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        import sessions_plus

        store = sessions_plus.SQLiteStore(
            _drop_in_path(db_path),
            ttl=ttl,
            refresh_on_read=refresh_on_read,
            **dict(store_options or {}),
        )
        super().__init__(
            session_id, store, shared=shared, close_store=True, timeout=timeout, **kwargs
        )


class RedisSessionManager(StoreSessionManager):
    """Drop-in session manager on Redis (standalone or cluster URLs).

    Pass ``url`` (default ``redis://localhost:6379/0``; ``redis+cluster://`` for a cluster) or
    a ``redis_client`` you keep (never closed for you). ``ttl`` expires a whole session that
    long after its last write. ``store_options`` go to ``RedisStore``.
    """

    def __init__(
        self,
        session_id: str,
        *,
        url: str | None = None,
        redis_client: Any = None,
        ttl: float | None = None,
        refresh_on_read: bool = False,
        key_prefix: str | None = None,
        shared: bool = False,
        timeout: float | None = DEFAULT_TIMEOUT,
        store_options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        import sessions_plus

        if url is not None and redis_client is not None:
            raise ConfigurationError("pass url= or redis_client=, not both")
        # Only what was given: anything else keeps the URL's (or the store's) own setting.
        options: dict[str, Any] = dict(store_options or {})
        if ttl is not None:
            options["ttl"] = ttl
        if refresh_on_read:
            options["refresh_on_read"] = True
        if key_prefix is not None:
            options["key_prefix"] = key_prefix
        if redis_client is not None:
            store = sessions_plus.RedisStore(redis_client, **options)
        else:
            store = sessions_plus.RedisStore.from_url(url or "redis://localhost:6379/0", **options)
        super().__init__(
            session_id, store, shared=shared, close_store=True, timeout=timeout, **kwargs
        )


class DynamoDBSessionManager(StoreSessionManager):
    """Drop-in session manager on one DynamoDB table (made on first use if missing)."""

    def __init__(
        self,
        session_id: str,
        *,
        table_name: str = "sessions-plus",
        region_name: str | None = None,
        endpoint_url: str | None = None,
        ttl: float | None = None,
        refresh_on_read: bool = False,
        create_table: bool = True,
        shared: bool = False,
        timeout: float | None = DEFAULT_TIMEOUT,
        store_options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        import sessions_plus

        store = sessions_plus.DynamoDBStore(
            table_name,
            region_name=region_name,
            endpoint_url=endpoint_url,
            ttl=ttl,
            refresh_on_read=refresh_on_read,
            create_table=create_table,
            **dict(store_options or {}),
        )
        super().__init__(
            session_id, store, shared=shared, close_store=True, timeout=timeout, **kwargs
        )
