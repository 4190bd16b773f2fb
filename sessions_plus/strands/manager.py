"""``StoreSessionManager``: Strands session persistence over any sessions-plus store.

A Strands ``RepositorySessionManager`` whose repository is a
:class:`~sessions_plus.strands.repository.StoreSessionRepository`. Message ids are claimed by the
store, so several workers (threads, processes, machines) on one session lose nothing. With
``shared=True`` every agent of the session works on one conversation: before each invocation an
agent picks up the turns others added since it last synced. A session that expires (TTL) while
its agents are idle is re-created, explicitly and logged, on the agents' next write.
"""

from __future__ import annotations

import logging
import threading
import weakref
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from ..closing import SyncClosing
from ..conversation import STRANDS_MESSAGE, ForeignTools, render
from ..errors import ConfigurationError, missing_dependency
from ..loops import DEFAULT_TIMEOUT
from ..store import ConversationStore
from . import _compat
from .messages import rendered_to_message
from .repository import StoreSessionRepository
from .traces import TraceHooks

try:
    from strands.hooks.events import BeforeInvocationEvent, BeforeModelCallEvent
    from strands.middleware import InvokeModelContext, InvokeModelStage
    from strands.session.repository_session_manager import RepositorySessionManager
    from strands.types.exceptions import SessionException
    from strands.types.session import Session, SessionAgent, SessionMessage, SessionType
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise missing_dependency("sessions_plus.strands", "strands", exc) from exc

if TYPE_CHECKING:
    from strands.hooks.registry import HookRegistry
    from strands.multiagent.base import MultiAgentBase
    from strands.types.agent import LocalAgent
    from strands.types.content import Message

logger = logging.getLogger("sessions_plus.strands")


class StoreSessionManager(RepositorySessionManager, SyncClosing):
    """Persist Strands agents, Swarms and Graphs in any sessions-plus store.

    Use as ``Agent(session_manager=...)``, ``Swarm(..., session_manager=...)`` or
    ``GraphBuilder().set_session_manager(...)``. Pass either a ``store`` (a repository with its
    own background loop is made; ``close_store=True`` also hands the store over) or a
    ``repository`` shared by many managers (one loop thread and one connection pool for a
    whole server). ``close()`` (or ``with``) releases what this manager made.

    ``shared=True``: every agent on the session, in any process, works on one conversation
    (stream ``conversation``, records authored by agent id). Before each invocation an agent
    appends the turns others added since it last synced to its own history; its own turns are
    visible to the others. Agent state and conversation-manager state stay per agent. Turns
    written by other SDKs (an OpenAI ``StoreSession(shared=True)``) are converted to Strands
    messages: consecutive same-role turns are merged (into the agent's last message too) so
    roles keep alternating; ``foreign_tools`` (``"text"`` notes, the default, or ``"native"``
    toolUse/toolResult pairs) and ``label_authors`` choose how they are shown (see
    :mod:`sessions_plus.conversation.render`). A call whose result is written after the sync
    that picked up the call is shown as a call without result, then the result on its own.

    ``trace=True`` records every run of the agents (or the Swarm/Graph) this manager serves on
    the session's ``trace`` stream, through :class:`~sessions_plus.strands.TraceHooks` on the
    repository's loop; ``trace_include_data`` and ``trace_strict`` are its ``include_data``
    and ``strict`` (see :mod:`sessions_plus.traces`). ``trace_hooks`` is that provider.

    Two workers may open one new session at the same moment: the manager's repository accepts
    a session another worker created first (Strands' own contract, which the public
    repository keeps, is to raise). If the session expires by TTL (or is deleted) while an
    agent is idle, the agent's next message or sync re-creates the session and the agent
    (logged at WARNING) instead of failing the run; the expired history is gone, as the TTL
    intends.
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
        foreign_tools: ForeignTools = "text",
        label_authors: bool = False,
        trace: bool = False,
        trace_include_data: bool = True,
        trace_strict: bool = False,
        **kwargs: Any,
    ) -> None:
        if (store is None) == (repository is None):
            raise ConfigurationError("pass exactly one of store= or repository=")
        if repository is None:
            assert store is not None
            repository = StoreSessionRepository(
                store,
                shared=shared,
                close_store=close_store,
                timeout=timeout,
                foreign_tools=foreign_tools,
                label_authors=label_authors,
            )
            self._made: StoreSessionRepository | None = repository
        else:
            self._made = None
        self.shared = bool(shared)
        if (
            repository.shared != self.shared
            or repository.foreign_tools != foreign_tools
            or repository.label_authors != bool(label_authors)
        ):
            repository = repository.view(
                shared=shared, foreign_tools=foreign_tools, label_authors=label_authors
            )
        self.repository = repository
        # Shared-conversation bookkeeping per agent: the last seq merged into its history and
        # the seqs it wrote itself past that point (never merged twice).
        self._synced: dict[str, int] = {}
        self._own: dict[str, set[int]] = {}
        # Per agent, the ids of the message dicts in its history converted from other SDKs.
        self._converted: dict[str, set[int]] = {}
        self._sync_lock = threading.RLock()
        self._sending: weakref.WeakSet[Any] = weakref.WeakSet()  # agents with one_turn_per_role
        self.trace_hooks: TraceHooks | None = (
            TraceHooks(
                self.repository.store,
                session_id,
                include_data=trace_include_data,
                strict=trace_strict,
                loop=self.repository.loop,
                timeout=timeout,
            )
            if trace
            else None
        )
        try:
            super().__init__(
                session_id=session_id,
                # Strands' own calls go through a view whose create_session accepts a session
                # another worker created between Strands' read and create, and whose
                # list_messages offset is Strands' removed_message_count: a message id.
                session_repository=self.repository.view(
                    shared=self.shared, exist_ok=True, offset_by_id=True
                ),
                **kwargs,
            )
            # The view shares the repository's bookkeeping of listed and converted messages.
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
        if self._made is not None:
            self._made.close()

    def delete_session(self) -> None:
        """Delete this session with everything in it."""
        self.repository.delete_session(self.session_id)

    def fork(self, new_session_id: str, *, replace: bool = False) -> StoreSessionManager:
        """Copy this session as it is stored now under ``new_session_id``; return a manager
        for the copy (on this manager's repository, so closing it closes nothing of this one).

        An agent given the returned manager restores with the same messages, state and
        conversation-manager state as this session's agent; the two sessions then go their
        own ways. ``SessionException`` if ``new_session_id`` exists (unless ``replace=True``).
        """
        self.repository.fork_session(self.session_id, new_session_id, replace=replace)
        return StoreSessionManager(
            new_session_id,
            repository=self.repository,
            shared=self.shared,
            foreign_tools=self.repository.foreign_tools,
            label_authors=self.repository.label_authors,
        )

    def trim(self, agent_id: str, *, keep_last: int) -> int:
        """Drop the oldest stored messages of ``agent_id`` (of the shared conversation in
        shared mode) so at most ``keep_last`` remain; return how many were dropped.

        Storage retention only: a running agent keeps its in-memory messages, and an agent
        restored later gets the kept ones (minus those its conversation manager had already
        removed), with their ids unchanged.
        """
        return self.repository.trim_messages(self.session_id, agent_id, keep_last=keep_last)

    # ------------------------------------------------------------------ expiry

    def _recreate_session(self) -> None:
        """Write the session document again after it expired (TTL) under a live agent."""
        logger.warning(
            "session_id=<%s> | session expired while in use; re-creating it", self.session_id
        )
        self.session_repository.create_session(
            Session(session_id=self.session_id, session_type=SessionType.AGENT)
        )

    def _recreate_agent(self, agent: LocalAgent) -> None:
        self._recreate_session()
        self.session_repository.create_agent(self.session_id, SessionAgent.from_agent(agent))

    def sync_agent(self, agent: LocalAgent, **kwargs: Any) -> None:
        """Strands' sync; an agent whose session expired meanwhile is written again."""
        try:
            super().sync_agent(agent, **kwargs)
        except SessionException:
            if self.session_repository.read_agent(self.session_id, agent.agent_id) is not None:
                raise
            self._recreate_agent(agent)
            super().sync_agent(agent, **kwargs)

    def sync_multi_agent(self, source: MultiAgentBase, **kwargs: Any) -> None:
        """Strands' sync; a Swarm/Graph whose session expired meanwhile is written again."""
        try:
            super().sync_multi_agent(source, **kwargs)
        except SessionException:
            if self.session_repository.read_multi_agent(self.session_id, source.id) is not None:
                raise
            self._recreate_session()
            self.session_repository.create_multi_agent(self.session_id, source)

    # ------------------------------------------------------------------ hooks

    def register_hooks(self, registry: HookRegistry, **kwargs: Any) -> None:
        """Strands' persistence hooks, the pre-invocation sync in shared mode, and the trace
        hooks with ``trace=True``."""
        super().register_hooks(registry, **kwargs)
        if self.shared:
            registry.add_callback(BeforeInvocationEvent, self._on_before_invocation)
        # Converted or repaired messages merge with the agent's next one of the same role.
        registry.add_callback(BeforeModelCallEvent, self._on_before_model_call)
        if self.trace_hooks is not None:
            self.trace_hooks.register_hooks(registry)

    def _on_before_invocation(self, event: BeforeInvocationEvent) -> None:
        self.sync_conversation(event.agent)

    def _on_before_model_call(self, event: BeforeModelCallEvent) -> None:
        """Keep roles alternating where Strands appended the agent's own message right after a
        converted or repaired one of the same role (its prompt after another SDK's user turn,
        or after the synthetic result of an interrupted tool call): the two are sent as one
        message. The stored messages stay as they were written."""
        agent = event.agent
        with self._sync_lock:
            converted = self._converted.get(agent.agent_id)
            if not converted:
                return
            messages = agent.messages
            index = 1
            while index < len(messages):
                first, second = messages[index - 1], messages[index]
                if first.get("role") == second.get("role") and (
                    id(first) in converted or id(second) in converted
                ):
                    merged = _merged(
                        first, second, keep=second if id(first) in converted else first
                    )
                    messages[index - 1 : index + 1] = [merged]
                    converted.add(id(merged))
                    continue
                index += 1

    def initialize(self, agent: LocalAgent, **kwargs: Any) -> None:
        """Restore (or create) the agent; in shared mode also merge others' turns.

        A restore starts a run on the stored history: tool calls left without a result (the
        worker was killed mid-tool) are shown with a synthetic "interrupted" result, results
        without their call as notes (:mod:`sessions_plus.conversation.repair`); nothing
        stored changes. Consecutive same-role messages are sent to the model as one
        (:func:`one_turn_per_role`).
        """
        self._send_one_turn_per_role(agent)
        if not self.shared:
            super().initialize(agent, **kwargs)
            self._track_repaired(agent)
            return
        restoring = not _compat.is_new_session(self) and (
            self.repository.read_agent(self.session_id, agent.agent_id) is not None
        )
        super().initialize(agent, **kwargs)
        self._track_repaired(agent)
        agent_id = agent.agent_id
        held = _compat.held_records(self).get(agent_id, [])
        with self._sync_lock:
            self._own[agent_id] = set()
            if restoring:
                # The history was read from the conversation up to its last record.
                self._synced[agent_id] = self.repository.listed_through(self.session_id, agent_id)
            else:
                # A new agent wrote only its initial messages: never merge them back.
                self._synced[agent_id] = 0
                for record in held:
                    self._note_own(agent_id, record.message_id + 1)
        self.sync_conversation(agent)

    def _send_one_turn_per_role(self, agent: LocalAgent) -> None:
        """Register :func:`one_turn_per_role` on the agent's model calls (once per agent)."""
        add_middleware = getattr(agent, "add_middleware", None)
        if add_middleware is None or agent in self._sending:
            return
        add_middleware(InvokeModelStage.Input, one_turn_per_role)
        self._sending.add(agent)

    def _track_repaired(self, agent: LocalAgent) -> None:
        """Remember the restored messages that were converted or repaired (they merge with the
        agent's next message of the same role); a synthetic one is never the latest."""
        agent_id = agent.agent_id
        held = _compat.held_records(self).get(agent_id, [])
        changed = self.repository.converted_ids(self.session_id, agent_id)
        with self._sync_lock:
            converted = self._converted.setdefault(agent_id, set())
            for record in held:
                if record.message_id < 0 or record.message_id in changed:
                    converted.add(id(record.to_message()))
        latest = _compat.latest_message(self, agent_id)
        if latest is not None and latest.message_id < 0:
            stored = [record for record in held if record.message_id >= 0]
            _compat.set_latest_message(self, agent_id, stored[-1] if stored else None)

    def append_message(self, message: Message, agent: LocalAgent, **kwargs: Any) -> None:
        """Append ``message``; its id is the one the store claimed for it."""
        session_message = SessionMessage.from_message(message, 0)
        previous = _compat.latest_message(self, agent.agent_id)
        self.repository.create_message(self.session_id, agent.agent_id, session_message)
        if previous is not None and session_message.message_id <= previous.message_id:
            # The store started the agent's messages over: the session expired (TTL) or was
            # deleted while this agent was idle, and this append began a new one.
            self._recreate_agent(agent)
        _compat.set_latest_message(self, agent.agent_id, session_message)
        _compat.held_records(self).setdefault(agent.agent_id, []).append(session_message)
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
            others = [record for record in records if record.seq not in own]
            own.difference_update(record.seq for record in records)
            rendered = render(
                others,
                STRANDS_MESSAGE,
                self.repository.rendering(agent_id),
                at_start=not agent.messages,
                session_id=self.session_id,
                run_start=True,
            )
            held = _compat.held_records(self).setdefault(agent_id, [])
            converted = self._converted.setdefault(agent_id, set())
            for index, item in enumerate(rendered):
                session_message = rendered_to_message(item)
                message = session_message.to_message()
                if not item.native:
                    converted.add(id(message))
                    self.repository.note_converted(
                        self.session_id, agent_id, session_message.message_id
                    )
                last = agent.messages[-1] if agent.messages else None
                if (
                    index == 0
                    and not item.native
                    and last is not None
                    and last.get("role") == message["role"]
                ):
                    # A converted turn continues the agent's last one: one message, so roles
                    # keep alternating (the stored messages stay as they are).
                    merged = _merged(last, message, keep=last)
                    agent.messages[-1] = merged
                    converted.add(id(merged))
                    continue
                agent.messages.append(message)
                held.append(session_message)
            if records:
                self._synced[agent_id] = records[-1].seq
            own.difference_update({seq for seq in own if seq <= self._synced[agent_id]})
            return len(rendered)


def one_turn_per_role(context: InvokeModelContext) -> InvokeModelContext:
    """Send consecutive same-role messages as one (Bedrock refuses non-alternating roles).

    A worker killed while the model answered leaves its prompt stored without a reply, and the
    next prompt follows it; Strands' own repair of a trailing tool call adds a user message of
    its own before the prompt. Only the request changes: ``agent.messages`` and the stored
    messages stay as they are (the context's messages are copies).
    """
    messages = context.messages
    if all(a.get("role") != b.get("role") for a, b in pairwise(messages)):
        return context
    merged: list[Any] = []
    for message in messages:
        if merged and merged[-1]["role"] == message.get("role"):
            merged[-1] = {
                "role": merged[-1]["role"],
                "content": [*merged[-1]["content"], *message["content"]],
            }
        else:
            merged.append(message)
    return context.replace(messages=merged)


def _merged(first: Message, second: Message, *, keep: Message) -> Message:
    """One message of ``first``'s blocks, then ``second``'s; with ``keep``'s tracking id (the
    agent's own message's, so Strands still finds the record it wrote)."""
    merged: dict[str, Any] = {
        "role": first["role"],
        "content": [*first["content"], *second["content"]],
    }
    if "tracking_id" in keep:
        merged["tracking_id"] = keep["tracking_id"]
    return merged  # type: ignore[return-value]
