"""The OpenAI Agents SDK's ``Session`` protocol over any :class:`ConversationStore`.

:class:`StoreSession` puts one conversation of any store behind ``Runner.run(..., session=)``.
Behaviour matches ``agents.SQLiteSession``: ``get_items()`` returns everything, ``get_items(N)``
the latest N in order, ``session_settings.limit`` applies when no limit is passed, and items come
back as equal JSON values. History rewrites for ``OpenAIResponsesCompactionSession`` go through
the SDK's atomic-replace hooks and one atomic ``splice`` in the store, so a compaction never
leaves a half-replaced history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, cast

from ..conversation import (
    OPENAI_RESPONSES,
    SHARED_STREAM,
    ForeignTools,
    RenderOptions,
    from_neutral,
    note_policy,
    read_items,
    read_repaired,
    to_neutral_record,
)
from ..conversation.notes import empty_note
from ..errors import (
    ConfigurationError,
    ConflictError,
    CorruptRecordError,
    StoreClosedError,
    missing_dependency,
)
from ..ids import check_name, check_session_id
from ..records import Record
from ..store import DEFAULT_STREAM, ConversationStore
from ._compat import CompactionSnapshot, await_mutation

try:
    from agents.items import TResponseInputItem
    from agents.memory.session_settings import (
        SessionSettings,
        coerce_session_settings,
        resolve_session_limit,
    )
except ImportError as _exc:  # pragma: no cover - exercised only without the extra
    raise missing_dependency("sessions_plus.openai_agents", "openai-agents", _exc) from _exc

__all__ = ["OPENAI_FORMAT", "StoreSession"]

OPENAI_FORMAT = OPENAI_RESPONSES
"""The ``format`` written in the header of every record this adapter stores."""

PrunePrefix = Callable[[TResponseInputItem], bool]


class StoreSession:
    """One conversation (``session_id``) of any :class:`ConversationStore`, as an SDK Session.

    Implements the SDK's ``Session`` protocol (``get_items``, ``add_items``, ``pop_item``,
    ``clear_session``) by talking only to the store contract, so every backend works the same.
    Records are written to ``stream`` with ``format="openai.responses"`` and ``author``.
    Many sessions, processes and machines may share one store; sessions are isolated by id.

    ``clear_session()`` empties this session's stream only: documents and other streams of the
    same session id stay (they may belong to other writers), and the session's metadata remains
    until its TTL ends or :meth:`delete_session` is called. The store is the caller's:
    a StoreSession never closes it.

    ``shared=True`` joins the session's shared conversation (stream ``conversation``), the one
    Strands' ``StoreSessionManager(..., shared=True)`` agents read and write: this session's
    own records come back exactly as stored, records of other formats converted (see
    :mod:`sessions_plus.conversation.render` for the rules; ``foreign_tools`` and
    ``label_authors`` choose how another SDK's tool calls and text are shown, ``author`` names
    this writer). ``get_items(limit=N)`` is still the latest N items, read in O(N) records.
    ``pop_item()`` removes the latest record whatever wrote it and returns it as a Responses
    item; ``clear_session()`` empties the whole shared conversation, for every SDK. A record
    that cannot be converted raises :class:`~sessions_plus.ConversionError`, or is shown as a
    text note when the store's ``on_corrupt`` is ``"skip"``. Automatic compaction
    (``OpenAIResponsesCompactionSession``) of a shared session replaces the shared history
    for every agent, with Responses items only.
    """

    session_settings: SessionSettings | None = None

    _negative_limit_reads_all: ClassVar[bool] = True
    """``get_items(limit=-1)`` returns everything, as SQLite's ``LIMIT -1`` does in the SDK."""

    # The SDK's ``_ignore_ids_for_matching`` is not set: items round-trip exactly, ids included,
    # so the Runner and compaction match stored items against model input by their full value.

    def __init__(
        self,
        session_id: str,
        store: ConversationStore,
        *,
        session_settings: SessionSettings | dict[str, Any] | None = None,
        author: str | None = None,
        stream: str | None = None,
        shared: bool = False,
        foreign_tools: ForeignTools = "text",
        label_authors: bool = False,
    ) -> None:
        if not isinstance(store, ConversationStore):
            raise TypeError(f"store must be a ConversationStore, not {type(store).__name__}")
        self.session_id = check_session_id(session_id)
        self.session_settings = (
            coerce_session_settings(session_settings)
            if session_settings is not None
            else SessionSettings()
        )
        self.store = store
        self.author = None if author is None else check_name(author, "author")
        self.shared = bool(shared)
        if stream is None:
            stream = SHARED_STREAM if self.shared else DEFAULT_STREAM
        elif self.shared and stream != SHARED_STREAM:
            raise ConfigurationError(
                f"a shared session uses the stream {SHARED_STREAM!r}, not {stream!r}"
            )
        self.stream = check_name(stream, "stream")
        self._rendering = RenderOptions(
            foreign_tools=foreign_tools,
            label_authors=label_authors,
            author=self.author,
            on_corrupt=note_policy(store),
        )
        self._closed = False

    @property
    def foreign_tools(self) -> ForeignTools:
        """How another SDK's tool calls are shown (``"text"`` notes or ``"native"`` pairs)."""
        return self._rendering.foreign_tools

    @property
    def label_authors(self) -> bool:
        """Whether another agent's assistant text is prefixed with its author."""
        return self._rendering.label_authors

    def __repr__(self) -> str:
        return f"{type(self).__name__}(session_id={self.session_id!r}, store={self.store!r})"

    def _check_not_closed(self) -> None:
        if self._closed:
            raise StoreClosedError(f"{type(self).__name__} is closed")

    # ------------------------------------------------------------------ Session protocol

    async def get_items(self, limit: int | None = None) -> list[TResponseInputItem]:
        """Return the history in chronological order; with a limit only the latest ``limit``.

        Without ``limit`` the session's ``session_settings.limit`` applies (None: everything).
        Items come back exactly as stored, except tool calls left without an output once a
        later user turn was stored (a worker killed mid-tool, another agent's turn in between)
        and outputs without their call, which are repaired on read (see
        :mod:`sessions_plus.conversation.repair`): the call is followed by a synthetic
        ``function_call_output`` saying it was interrupted, the output becomes an assistant
        text note; each is logged once. A call at the very end of the history is left as it
        is: its result may still be coming (the Runner leaves a call without output out of
        the model input itself). Nothing stored changes.
        """
        self._check_not_closed()
        effective = resolve_session_limit(limit, self.session_settings)
        if effective is not None and effective < 0:
            if not self._negative_limit_reads_all:
                return []
            effective = None
        if self.shared:
            rendered = await read_items(
                self.store,
                self.session_id,
                OPENAI_FORMAT,
                stream=self.stream,
                limit=effective,
                options=self._rendering,
            )
            return [cast(TResponseInputItem, r.item) for r in rendered]
        items = await read_repaired(
            self.store, self.session_id, OPENAI_FORMAT, stream=self.stream, limit=effective
        )
        return cast(list[TResponseInputItem], items)

    async def add_items(self, items: list[TResponseInputItem]) -> None:
        """Append ``items`` atomically (all or nothing); an empty list writes nothing."""
        self._check_not_closed()
        if not items:
            return
        await await_mutation(
            self.store.append(
                self.session_id,
                items,
                stream=self.stream,
                format=OPENAI_FORMAT,
                author=self.author,
            )
        )

    async def pop_item(self) -> TResponseInputItem | None:
        """Remove and return the latest item atomically; None when the session is empty."""
        self._check_not_closed()
        record = await await_mutation(self.store.pop(self.session_id, stream=self.stream))
        if record is None:
            return None
        if not self.shared or record.format == OPENAI_FORMAT:
            return cast(TResponseInputItem, record.data)
        return cast(TResponseInputItem, self._as_item(record))

    def _as_item(self, record: Record) -> Any:
        """A popped record of another SDK as one Responses item: the last it converts to, or
        a text note when it holds nothing a Responses model takes (reasoning only)."""
        # The record is gone already: a bad one comes back as a note rather than an error.
        message = to_neutral_record(record, on_corrupt="note", session_id=self.session_id)
        items = from_neutral(message, OPENAI_FORMAT)
        if items:
            return items[-1]
        return {"role": "assistant", "content": empty_note(record.seq, record.format)}

    async def clear_session(self) -> None:
        """Remove every item of this session's stream (documents and metadata stay)."""
        self._check_not_closed()
        await await_mutation(self.store.clear(self.session_id, stream=self.stream))

    # ------------------------------------------------------------------ extras

    async def delete_session(self) -> bool:
        """Remove the whole session from the store: every stream, document and its metadata.

        Returns True if a live session was there.
        """
        self._check_not_closed()
        return await await_mutation(self.store.delete(self.session_id))

    async def ping(self) -> bool:
        """True if the store answers (one cheap metadata read), False if it cannot be reached.

        Raises :class:`StoreClosedError` once the session or its store is closed.
        """
        self._check_not_closed()
        try:
            await self.store.info(self.session_id)
        except StoreClosedError:
            raise
        except Exception:
            return False
        return True

    # ------------------------------------------------------------------ compaction hooks

    def _stores_items_verbatim(self) -> bool:
        """True unless a subclass transforms items on their way in or out.

        A subclass that overrides the item methods may encode items or keep extra indexes; the
        atomic-replace hooks below would bypass that, so they decline for it (as the SDK's own
        SQLite and Redis sessions do for their subclasses).
        """
        cls = type(self)
        return all(
            getattr(cls, name) is getattr(StoreSession, name)
            for name in ("get_items", "add_items", "pop_item", "clear_session")
        )

    def _reads_records_verbatim(self) -> bool:
        """True if ``get_items`` returns the stored records themselves (not shared: a shared
        conversation converts other SDKs' records, so a snapshot of records is not one of
        items). Repairs on read only add items (synthetic outputs) or note orphaned outputs;
        compaction's matching takes model-only items, and skips a history with an orphan."""
        return not self.shared and self._stores_items_verbatim()

    async def _atomic_replace_items(self, items: list[TResponseInputItem]) -> bool:
        """Replace the whole history with ``items`` in one atomic ``splice`` (SDK hook).

        ``OpenAIResponsesCompactionSession`` looks this up on the type and calls it instead of
        ``clear_session`` + ``add_items``, so a crash or cancellation leaves the old history or
        the new one, never an empty or partial one. Returns False (the SDK then falls back)
        for a subclass that transforms items.
        """
        if not self._stores_items_verbatim():
            return False
        self._check_not_closed()
        await self.store.splice(
            self.session_id,
            1,
            items,
            stream=self.stream,
            format=OPENAI_FORMAT,
            author=self.author,
        )
        return True

    async def _get_compaction_snapshot(
        self, limit: int, *, prune_prefix: PrunePrefix | None = None
    ) -> CompactionSnapshot | None:
        """The latest ``limit`` items and an atomic, conditional replacement of their suffix.

        Used by ``OpenAIResponsesCompactionSession`` for automatic compaction. The snapshot is
        complete when it starts at the first record (seqs are gap-free, so seq 1 means nothing
        is older). ``replace_suffix(start, output)`` swaps ``items[start:]`` for ``output`` with
        one ``splice`` guarded by ``if_last_seq``, after checking that the stored suffix is
        still exactly what was read; it returns False, leaving history untouched, if anything
        was appended, popped or rewritten meanwhile.
        """
        if not self._reads_records_verbatim():
            return None
        self._check_not_closed()
        limit = max(int(limit), 1)
        records = await self.store.read(self.session_id, stream=self.stream, limit=limit)
        complete = not records or records[0].seq == 1
        last_seq = records[-1].seq if records else 0
        items = [cast(TResponseInputItem, record.data) for record in records]

        async def replace_suffix(start: int, output: list[TResponseInputItem]) -> bool:
            expected = records[start:]
            if not expected:
                return False
            return await await_mutation(
                self._replace_suffix(expected, last_seq, output, prune_prefix, limit)
            )

        return CompactionSnapshot(items, complete, replace_suffix)

    async def _replace_suffix(
        self,
        expected: list[Record],
        last_seq: int,
        output: list[TResponseInputItem],
        prune_prefix: PrunePrefix | None,
        page: int,
    ) -> bool:
        self._check_not_closed()
        current = await self.store.read(self.session_id, stream=self.stream, limit=len(expected))
        if current != expected:  # popped, replaced or appended since the snapshot
            return False
        start_seq = expected[0].seq
        if (
            prune_prefix is not None
            and start_seq > 1
            and await self._prefix_prunable(start_seq, prune_prefix, page)
        ):
            start_seq = 1
        try:
            await self.store.splice(
                self.session_id,
                start_seq,
                output,
                stream=self.stream,
                format=OPENAI_FORMAT,
                author=self.author,
                if_last_seq=last_seq,
            )
        except ConflictError:
            return False
        return True

    async def _prefix_prunable(self, before: int, prune_prefix: PrunePrefix, page: int) -> bool:
        """True if every record older than seq ``before`` may be dropped (e.g. expired
        encrypted items of ``EncryptedSession``); then the splice starts at seq 1."""
        after = 0
        while after < before - 1:
            try:
                records = await self.store.read(
                    self.session_id,
                    stream=self.stream,
                    after=after,
                    before=before,
                    limit=page,
                    keep="earliest",
                )
            except CorruptRecordError:
                return False
            if not records:
                return False
            for record in records:
                if not prune_prefix(cast(TResponseInputItem, record.data)):
                    return False
            after = records[-1].seq
        return True
