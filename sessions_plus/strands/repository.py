"""Strands ``SessionRepository`` over any :class:`~sessions_plus.store.ConversationStore`.

Layout in the store (one store session per Strands session):

* document ``session``: the Strands ``Session``;
* document ``agent:<agent_id>``: each ``SessionAgent`` (state, conversation-manager state);
* document ``multi_agent:<id>``: each Swarm/Graph state;
* stream ``agent:<agent_id>`` (or the one stream ``conversation`` when shared): the messages, as
  log records with ``format="strands.message"`` and ``author=<agent_id>``. The shared stream
  may also hold records other SDKs wrote (``openai.responses`` items of an OpenAI
  ``StoreSession(shared=True)``): reads convert those to Strands messages (see
  :mod:`sessions_plus.conversation`).

A message's id is its record's seq minus one (Strands ids start at 0). The id is **claimed by the
store** when the message is appended, never taken from the caller's in-memory counter, so two
workers appending to one agent of one session keep both their messages, in arrival order.
A trim (:meth:`StoreSessionRepository.trim_messages`) drops the oldest messages and keeps the
ids of the others, so after one the stored ids start above 0.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from ..closing import SyncClosing
from ..conversation import (
    SHARED_STREAM,
    STRANDS_MESSAGE,
    ForeignTools,
    RenderOptions,
    note_policy,
    render,
)
from ..errors import ConflictError, SessionNotFoundError, missing_dependency
from ..loops import DEFAULT_TIMEOUT, BackgroundLoop
from ..records import Record
from ..store import ConversationStore
from .messages import (
    SESSION_DOC,
    agent_doc,
    agent_stream,
    message_payload,
    multi_agent_doc,
    now,
    payload_to_message,
    record_to_message,
    rendered_to_message,
    repair_messages,
)

try:
    from strands.session.session_repository import SessionRepository
    from strands.types.exceptions import SessionException
    from strands.types.session import (
        Session,
        SessionAgent,
        SessionMessage,
    )
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise missing_dependency("sessions_plus.strands", "strands", exc) from exc

if TYPE_CHECKING:
    from strands.multiagent.base import MultiAgentBase

T = TypeVar("T")

MESSAGE_FORMAT = STRANDS_MESSAGE
"""``format`` header of every message record the adapter writes."""

__all__ = [
    "MESSAGE_FORMAT",
    "SESSION_DOC",
    "SHARED_STREAM",
    "StoreSessionRepository",
    "agent_doc",
    "agent_stream",
    "message_payload",
    "multi_agent_doc",
    "payload_to_message",
    "record_to_message",
    "rendered_to_message",
]


class StoreSessionRepository(SessionRepository, SyncClosing):
    """A complete Strands ``SessionRepository`` (plus ``delete_session``) over any store.

    Strands calls repositories synchronously, from inside running event loops; async store
    clients are bound to one loop. So every store call runs on one background event-loop thread
    owned by this repository (see :class:`~sessions_plus.loops.BackgroundLoop`), which
    makes the repository safe from ``agent(...)``, ``await agent.invoke_async(...)`` and any
    number of threads.

    ``close_store=True`` hands the store over: ``close()`` closes it on the background loop.
    A store you keep is not closed; close it (``await store.aclose()``) *before* closing the
    repository so that the connections it made on the repository's loop are released there.
    ``timeout`` bounds every store call (seconds; :class:`StoreUnavailableError` after it).

    With ``shared=True`` every agent's messages go to one stream (``conversation``), authored
    by agent id: the storage side of a shared conversation (see ``StoreSessionManager``).
    Records other SDKs wrote there are converted on read, as ``foreign_tools`` and
    ``label_authors`` say (see :class:`~sessions_plus.conversation.RenderOptions`; the reader
    is the agent id). A message converted from other records is never rewritten:
    ``update_message`` raises ``SessionException`` for it.
    """

    def __init__(
        self,
        store: ConversationStore,
        *,
        shared: bool = False,
        close_store: bool = False,
        timeout: float | None = DEFAULT_TIMEOUT,
        foreign_tools: ForeignTools = "text",
        label_authors: bool = False,
    ) -> None:
        if not isinstance(store, ConversationStore):
            raise TypeError(f"store must be a ConversationStore, not {type(store).__name__}")
        self.store = store
        self.shared = bool(shared)
        RenderOptions(foreign_tools=foreign_tools)  # validates the option
        self.foreign_tools: ForeignTools = foreign_tools
        self.label_authors = bool(label_authors)
        self._listed: dict[tuple[str, str], int] = {}
        self._converted: dict[tuple[str, str], set[int]] = {}
        self._loop = BackgroundLoop(name="sessions-plus-strands", timeout=timeout)
        if close_store:
            self._loop.on_close(store.aclose)
        self._owns_loop = True
        self._exist_ok = False
        self._offset_by_id = False
        self._created_at: dict[tuple[str, str], str] = {}
        self._created_lock = threading.Lock()

    # ------------------------------------------------------------------ plumbing

    @property
    def loop(self) -> BackgroundLoop:
        """The background loop every store call of this repository runs on."""
        return self._loop

    def view(
        self,
        *,
        shared: bool,
        exist_ok: bool = False,
        foreign_tools: ForeignTools | None = None,
        label_authors: bool | None = None,
        offset_by_id: bool = False,
    ) -> StoreSessionRepository:
        """The same store and loop with another message layout (closing it closes nothing).

        ``exist_ok=True``: ``create_session`` returns the session another worker created
        first instead of raising (what a manager opening a session concurrently needs).
        ``foreign_tools`` and ``label_authors`` (None: this repository's) choose how other
        SDKs' records of a shared conversation are shown.
        ``offset_by_id=True``: ``list_messages(offset=k)`` skips the messages with ids below
        ``k`` rather than the first ``k`` stored ones. That is what Strands' restore means by
        its offset (``removed_message_count`` counts from message 0), so a manager restoring
        after a trim neither skips kept messages nor repeats dropped ones.
        """
        other = copy.copy(self)
        other.shared = bool(shared)
        other._exist_ok = bool(exist_ok)
        other._offset_by_id = bool(offset_by_id)
        other._owns_loop = False
        if foreign_tools is not None:
            RenderOptions(foreign_tools=foreign_tools)
            other.foreign_tools = foreign_tools
        if label_authors is not None:
            other.label_authors = bool(label_authors)
        return other

    def rendering(self, agent_id: str) -> RenderOptions:
        """How ``agent_id`` is shown a shared conversation's records of other SDKs."""
        return RenderOptions(
            foreign_tools=self.foreign_tools,
            label_authors=self.label_authors,
            author=agent_id,
            on_corrupt=note_policy(self.store),
        )

    def listed_through(self, session_id: str, agent_id: str) -> int:
        """The last seq of the shared conversation the latest ``list_messages`` for
        ``agent_id`` covered (0 if none): where its restored history ends."""
        with self._created_lock:
            return self._listed.get((session_id, agent_id), 0)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run one store coroutine on the background loop and return its result."""
        return self._loop.run(coro)

    def close(self) -> None:
        """Close the store if it was handed over, and stop the background loop. Idempotent."""
        if self._owns_loop:
            self._loop.close()

    def stream_of(self, agent_id: str) -> str:
        """The stream holding ``agent_id``'s messages in this repository's layout."""
        return SHARED_STREAM if self.shared else agent_stream(agent_id)

    # ------------------------------------------------------------------ sessions

    def create_session(self, session: Session, **kwargs: Any) -> Session:
        """Create the session; raise ``SessionException`` if it already exists (a view made
        with ``exist_ok=True`` returns the existing session instead)."""
        data = session.to_dict()
        data["session_type"] = getattr(session.session_type, "value", session.session_type)
        created = self.run(
            self.store.put_doc(session.session_id, SESSION_DOC, data, if_absent=True)
        )
        if created:
            return session
        existing = self.read_session(session.session_id) if self._exist_ok else None
        if existing is None:
            raise SessionException(f"Session {session.session_id} already exists")
        return existing

    def read_session(self, session_id: str, **kwargs: Any) -> Session | None:
        """The session, or None if it does not exist (or expired)."""
        data = self.run(self.store.get_doc(session_id, SESSION_DOC))
        return None if data is None else Session.from_dict(data)

    def delete_session(self, session_id: str, **kwargs: Any) -> None:
        """Delete the session with every agent, message and multi-agent state in it."""
        if not self.run(self.store.delete(session_id)):
            raise SessionException(f"Session {session_id} does not exist")
        with self._created_lock:
            for key in [key for key in self._created_at if key[0] == session_id]:
                del self._created_at[key]

    def fork_session(
        self, session_id: str, new_session_id: str, *, replace: bool = False, **kwargs: Any
    ) -> Session:
        """Copy a session (agents, messages, multi-agent states) under a new id; return it.

        One store ``fork``: every message keeps its id, every agent its state and
        conversation-manager state, so an agent restored from the copy is the agent of the
        original as it was stored. The copy's ``session`` document says its own id.
        ``SessionException`` if the source does not exist or the target does (unless
        ``replace=True``: then the target is replaced whole).
        """
        source = self.read_session(session_id)
        if source is None:
            raise SessionException(f"Session {session_id} does not exist")
        try:
            self.run(self.store.fork(session_id, new_session_id, replace=replace))
        except SessionNotFoundError as exc:
            raise SessionException(f"Session {session_id} does not exist") from exc
        except ConflictError as exc:
            raise SessionException(f"Session {new_session_id} already exists") from exc
        data = source.to_dict()
        stamp = now()
        data.update(session_id=new_session_id, created_at=stamp, updated_at=stamp)
        data["session_type"] = getattr(source.session_type, "value", source.session_type)
        self.run(self.store.put_doc(new_session_id, SESSION_DOC, data, if_exists=True))
        return Session.from_dict(data)

    def trim_messages(
        self, session_id: str, agent_id: str, *, keep_last: int, **kwargs: Any
    ) -> int:
        """Drop an agent's oldest stored messages so at most ``keep_last`` remain (in shared
        mode: the shared conversation's); return how many were dropped. The others keep
        their ids. ``SessionException`` if the session does not exist."""
        try:
            return self.run(
                self.store.trim(session_id, stream=self.stream_of(agent_id), keep_last=keep_last)
            )
        except SessionNotFoundError as exc:
            raise SessionException(f"Session {session_id} does not exist") from exc

    # ------------------------------------------------------------------ agents

    def create_agent(self, session_id: str, session_agent: SessionAgent, **kwargs: Any) -> None:
        """Store a new agent. An agent another worker created first is kept, not overwritten."""
        name = agent_doc(session_agent.agent_id)
        self.run(self.store.put_doc(session_id, name, session_agent.to_dict(), if_absent=True))

    def read_agent(self, session_id: str, agent_id: str, **kwargs: Any) -> SessionAgent | None:
        """The agent, or None."""
        data = self.run(self.store.get_doc(session_id, agent_doc(agent_id)))
        if data is None:
            return None
        with self._created_lock:
            self._created_at[(session_id, agent_id)] = data.get("created_at", now())
        return SessionAgent.from_dict(data)

    def update_agent(self, session_id: str, session_agent: SessionAgent, **kwargs: Any) -> None:
        """Overwrite the agent, keeping its ``created_at``; ``SessionException`` if it does not
        exist (as Strands' own repositories; the manager re-creates an agent whose session
        expired)."""
        key = (session_id, session_agent.agent_id)
        with self._created_lock:
            created_at = self._created_at.get(key)
        name = agent_doc(session_agent.agent_id)
        missing = SessionException(
            f"Agent {session_agent.agent_id} in session {session_id} does not exist"
        )
        if created_at is None:
            previous = self.run(self.store.get_doc(session_id, name))
            if previous is None:
                raise missing
            created_at = previous["created_at"]
            with self._created_lock:
                self._created_at[key] = created_at
        session_agent.created_at = created_at
        session_agent.updated_at = now()
        data = session_agent.to_dict()
        if not self.run(self.store.put_doc(session_id, name, data, if_exists=True)):
            with self._created_lock:
                self._created_at.pop(key, None)
            raise missing

    # ------------------------------------------------------------------ messages

    def create_message(
        self, session_id: str, agent_id: str, session_message: SessionMessage, **kwargs: Any
    ) -> None:
        """Append the message; its ``message_id`` is set to the id the store assigned."""
        (seq,) = self.run(
            self.store.append(
                session_id,
                [message_payload(session_message)],
                stream=self.stream_of(agent_id),
                format=MESSAGE_FORMAT,
                author=agent_id,
            )
        )
        session_message.message_id = seq - 1

    def create_messages(
        self, session_id: str, agent_id: str, session_messages: list[SessionMessage]
    ) -> None:
        """Append several messages in one atomic write; set each one's ``message_id``."""
        if not session_messages:
            return
        seqs = self.run(
            self.store.append(
                session_id,
                [message_payload(message) for message in session_messages],
                stream=self.stream_of(agent_id),
                format=MESSAGE_FORMAT,
                author=agent_id,
            )
        )
        for message, seq in zip(session_messages, seqs, strict=True):
            message.message_id = seq - 1

    def read_message(
        self, session_id: str, agent_id: str, message_id: int, **kwargs: Any
    ) -> SessionMessage | None:
        """The message with that id, or None."""
        if not isinstance(message_id, int) or isinstance(message_id, bool):
            raise ValueError(f"message_id=<{message_id}> | message id must be an integer")
        if message_id < 0:
            return None
        records = self.run(
            self.store.read(
                session_id,
                stream=self.stream_of(agent_id),
                after=message_id,
                before=message_id + 2,
            )
        )
        if not records:
            return None
        if not self.shared or records[0].format == MESSAGE_FORMAT:
            return record_to_message(records[0])
        rendered = render(records, MESSAGE_FORMAT, self.rendering(agent_id), at_start=False)
        return rendered_to_message(rendered[-1]) if rendered else None

    def update_message(
        self, session_id: str, agent_id: str, session_message: SessionMessage, **kwargs: Any
    ) -> None:
        """Overwrite a stored message in place (redaction), keeping its ``created_at``."""
        message_id = session_message.message_id
        if self._was_converted(session_id, agent_id, message_id):
            raise SessionException(
                f"Message {message_id} was converted or repaired from other records of the "
                "conversation; it cannot be rewritten"
            )
        previous = self.read_message(session_id, agent_id, message_id)
        if previous is None:
            raise SessionException(f"Message {message_id} does not exist")
        session_message.created_at = previous.created_at
        session_message.updated_at = now()
        self.run(
            self.store.replace(
                session_id,
                session_message.message_id + 1,
                message_payload(session_message),
                stream=self.stream_of(agent_id),
            )
        )

    def list_messages(
        self,
        session_id: str,
        agent_id: str,
        limit: int | None = None,
        offset: int = 0,
        **kwargs: Any,
    ) -> list[SessionMessage]:
        """Messages in id order, skipping the first ``offset`` stored, at most ``limit``.

        As in Strands' ``FileSessionManager`` the offset counts the messages still stored:
        after a trim the first stored message (offset 0) has an id above 0. In shared mode these
        are the conversation's messages as ``agent_id`` sees it: other SDKs' records converted
        and merged into alternating turns (``offset`` and ``limit`` count those messages).

        Listing restores an agent, which starts a run on its history: tool calls left without
        a result and results without their call are repaired on read (see
        :mod:`sessions_plus.conversation.repair`; a repaired message cannot be rewritten).
        """
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise ValueError(f"offset=<{offset}> | offset must be a non-negative integer")
        if self.shared:
            return self._list_shared(session_id, agent_id, limit, offset)
        messages = self.run(self._list(session_id, self.stream_of(agent_id), limit, offset))
        return self._repaired(session_id, agent_id, messages)

    def _repaired(
        self, session_id: str, agent_id: str, messages: list[SessionMessage]
    ) -> list[SessionMessage]:
        """An agent's own messages with orphaned tool calls and results repaired (a restore
        starts a run on them, so a trailing call without result counts as interrupted)."""
        out, converted = repair_messages(session_id, messages)
        if converted:
            with self._created_lock:
                self._converted.setdefault((session_id, agent_id), set()).update(converted)
        return out

    async def _list(
        self, session_id: str, stream: str, limit: int | None, offset: int
    ) -> list[SessionMessage]:
        # A message's id is its seq - 1. The offset becomes a seq to read after: the offset
        # itself for Strands' own restore (ids), else past the first ``offset`` stored.
        if self._offset_by_id or not offset:
            after = offset
        else:
            first = await self._first_seq(session_id, stream)
            if first is None:
                return []  # no such session or stream
            after = first - 1 + offset
        if self.store.on_corrupt == "raise":
            # Restoring an agent reads its whole history: read the payloads alone (cheaper
            # than records) and number them from ``after``. That is right if no record at or
            # below ``after + 1`` was trimmed away, which the stream's first seq *after* the
            # read proves (it only grows); otherwise read records, whose seqs are the ids.
            payloads = await self.store.read_data(
                session_id, stream=stream, after=after or None, limit=limit, keep="earliest"
            )
            if not payloads:
                return []
            first = await self._first_seq(session_id, stream)
            if first is not None and first - 1 <= after:
                return [payload_to_message(data, after + i) for i, data in enumerate(payloads)]
            if first is not None and not self._offset_by_id:
                after = first - 1 + offset
        records = await self.store.read(
            session_id, stream=stream, after=after or None, limit=limit, keep="earliest"
        )
        return [record_to_message(record) for record in records]

    def _list_shared(
        self, session_id: str, agent_id: str, limit: int | None, offset: int
    ) -> list[SessionMessage]:
        records = self.run(self.store.read(session_id, stream=SHARED_STREAM))
        key = (session_id, agent_id)
        rendered = render(
            records,
            MESSAGE_FORMAT,
            self.rendering(agent_id),
            session_id=session_id,
            run_start=True,
        )
        converted = {max(r.seqs) - 1 for r in rendered if not r.native and r.seqs}
        with self._created_lock:
            self._listed[key] = records[-1].seq if records else 0
            self._converted.setdefault(key, set()).update(converted)
        window = rendered[offset:] if limit is None else rendered[offset : offset + limit]
        return [rendered_to_message(r) for r in window]

    def note_converted(self, session_id: str, agent_id: str, message_id: int) -> None:
        """Remember that ``agent_id`` holds message ``message_id`` converted from other
        records (it must never be written back)."""
        with self._created_lock:
            self._converted.setdefault((session_id, agent_id), set()).add(message_id)

    def converted_ids(self, session_id: str, agent_id: str) -> frozenset[int]:
        """Ids of the messages ``agent_id`` was handed converted or repaired (read-only)."""
        with self._created_lock:
            return frozenset(self._converted.get((session_id, agent_id), ()))

    def _was_converted(self, session_id: str, agent_id: str, message_id: int) -> bool:
        with self._created_lock:
            return message_id in self._converted.get((session_id, agent_id), ())

    async def _first_seq(self, session_id: str, stream: str) -> int | None:
        """The stream's first seq now (None if it or the session does not exist)."""
        info = await self.store.info(session_id)
        span = None if info is None else info.ranges.get(stream)
        return None if span is None else span.first

    def read_records_after(self, session_id: str, agent_id: str, after: int) -> list[Record]:
        """Raw records of ``agent_id``'s stream after seq ``after`` (for conversation sync)."""
        return self.run(
            self.store.read(session_id, stream=self.stream_of(agent_id), after=after or None)
        )

    # ------------------------------------------------------------------ multi-agent

    def create_multi_agent(
        self, session_id: str, multi_agent: MultiAgentBase, **kwargs: Any
    ) -> None:
        """Store a new Swarm/Graph state (kept if another worker stored one first)."""
        name = multi_agent_doc(multi_agent.id)
        state = multi_agent.serialize_state()
        self.run(self.store.put_doc(session_id, name, state, if_absent=True))

    def read_multi_agent(
        self, session_id: str, multi_agent_id: str, **kwargs: Any
    ) -> dict[str, Any] | None:
        """The stored Swarm/Graph state, or None."""
        data = self.run(self.store.get_doc(session_id, multi_agent_doc(multi_agent_id)))
        return None if data is None else dict(data)

    def update_multi_agent(
        self, session_id: str, multi_agent: MultiAgentBase, **kwargs: Any
    ) -> None:
        """Overwrite the Swarm/Graph state; ``SessionException`` if it does not exist."""
        name = multi_agent_doc(multi_agent.id)
        state = multi_agent.serialize_state()
        if not self.run(self.store.put_doc(session_id, name, state, if_exists=True)):
            raise SessionException(
                f"MultiAgent state {multi_agent.id} in session {session_id} does not exist"
            )
