"""``AdvancedSession``: the OpenAI Agents SDK's ``AdvancedSQLiteSession`` on any store.

Same public methods, arguments, return shapes and errors as
``agents.extensions.memory.AdvancedSQLiteSession`` (openai-agents 0.24): conversation branches,
turn views, content search and token usage, plus the ``Session`` protocol for
``Runner.run(..., session=...)``. It talks only to the store contract, so it works on every
backend and with many processes on one session. The storage layout is in
:mod:`sessions_plus.openai_agents.branches`; turn numbers are derived from the items
(:mod:`~sessions_plus.openai_agents.turns`); usage is an event stream
(:mod:`~sessions_plus.openai_agents.usage`).

Deliberate differences from the SDK: the current branch is a property of the *session*, shared
by every process and object using it (the SDK keeps it per object); the constructor takes a
store instead of a database path; errors are the typed ``BranchError``,
``BranchNotFoundError``, ``BranchIdUsedError`` and ``TurnNotFoundError``, all ``ValueError``
subclasses like the SDK's; branch ids are at most ``MAX_BRANCH_ID_LENGTH`` characters; branches
made in the same second are listed in creation order (the SDK's one-second timestamps leave
their order open). Turn numbers count the user messages a branch holds, so on a store with
``max_records`` (which drops a branch's oldest items) they count from the oldest one kept.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ..conversation import read_repaired
from ..errors import (
    BranchError,
    BranchNotFoundError,
    StoreClosedError,
    TurnNotFoundError,
    missing_dependency,
)
from ..ids import check_session_id
from ..store import ConversationStore
from ._compat import (
    await_mutation,
    dont_log_model_data,
    log_model_action_error,
    log_model_and_tool_action_error,
)
from .branches import MAIN, Branches, Head, check_branch_name, usable_branch_id
from .ordering import OperationQueue
from .session import OPENAI_FORMAT
from .turns import (
    Entry,
    TurnTail,
    content_matches,
    conversation_by_turns,
    scan,
    tool_usage,
    turn_info,
)
from .usage import Anchor, Ledger, popped_event, usage_event

try:
    from agents.items import TResponseInputItem
    from agents.memory.session_settings import (
        SessionSettings,
        coerce_session_settings,
        resolve_session_limit,
    )
except ImportError as _exc:  # pragma: no cover - exercised only without the extra
    raise missing_dependency("sessions_plus.openai_agents", "openai-agents", _exc) from _exc

if TYPE_CHECKING:
    from agents.result import RunResult

__all__ = ["AdvancedSession"]

T = TypeVar("T")

_module_logger = logging.getLogger(__name__)

_TAIL_READ = 64
"""Records ``store_run_usage`` reads past the last one it saw before reading the branch."""


class AdvancedSession:
    """Branches, turns and usage analytics for one conversation of any store.

    ``AdvancedSession(session_id, store)`` behaves as ``AdvancedSQLiteSession(session_id=...)``:
    ``get_items``/``add_items``/``pop_item``/``clear_session`` act on the current branch;
    ``create_branch_from_turn(n)`` copies the items before user turn ``n`` into a new branch and
    makes it current; ``store_run_usage(result)`` after ``Runner.run`` records that run's token
    usage against the current turn. The current branch is shared: switching it in one process
    switches it for every process on the session. Mutations of one session object run in call
    order. The store stays the caller's (``close()`` does not close it).
    """

    session_settings: SessionSettings | None = None

    def __init__(
        self,
        session_id: str,
        store: ConversationStore,
        *,
        session_settings: SessionSettings | dict[str, Any] | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        if not isinstance(store, ConversationStore):
            raise TypeError(f"store must be a ConversationStore, not {type(store).__name__}")
        self.session_id = check_session_id(session_id)
        self.store = store
        self.session_settings = (
            coerce_session_settings(session_settings)
            if session_settings is not None
            else SessionSettings()
        )
        self._logger = logger if logger is not None else _module_logger
        self._branches = Branches(store, self.session_id, OPENAI_FORMAT)
        self._queue = OperationQueue()
        self._tail: tuple[int, str, TurnTail] | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(session_id={self.session_id!r}, store={self.store!r})"

    def close(self) -> None:
        """Close this session object (later calls raise ``StoreClosedError``); the store and
        the stored conversation stay. Idempotent."""
        self._closed = True

    def _check_not_closed(self) -> None:
        if self._closed:
            raise StoreClosedError(f"{type(self).__name__} is closed")

    def _in_order(self, operation: Callable[[], Awaitable[T]]) -> Awaitable[T]:
        """Run a mutation after the ones this object started before it, to completion even
        if the caller is cancelled."""
        return await_mutation(self._queue.run(operation))

    # ------------------------------------------------------------------ reading branches

    async def _head(self) -> Head:
        self._check_not_closed()
        return await self._branches.head()

    async def _entries(self, branch_id: str | None) -> tuple[Head, str, list[Entry]]:
        head = await self._head()
        branch = head.branch if branch_id is None else branch_id
        return head, branch, scan(await self._branches.records(head, branch))

    async def get_current_branch_id(self) -> str:
        """The session's current branch (shared by every process; not in the SDK, which
        keeps it per object)."""
        return (await self._head()).branch

    # ------------------------------------------------------------------ Session protocol

    async def get_items(
        self, limit: int | None = None, branch_id: str | None = None
    ) -> list[TResponseInputItem]:
        """Items of the current branch (or ``branch_id``) in order; with a limit the latest
        ``limit`` (``session_settings.limit`` when none is passed). As in the SDK a limit of 0
        reads nothing, a negative one everything, and an unknown branch reads as empty. Tool
        calls and outputs left orphaned (a worker killed mid-tool) are repaired on read as
        ``StoreSession.get_items`` does."""
        effective = resolve_session_limit(limit, self.session_settings)
        if effective == 0:
            self._check_not_closed()
            return []
        if effective is not None and effective < 0:
            effective = None
        head = await self._head()
        branch = head.branch if branch_id is None else branch_id
        if not usable_branch_id(branch):
            return []
        items = await read_repaired(
            self.store, self.session_id, OPENAI_FORMAT, stream=head.stream(branch), limit=effective
        )
        return cast(list[TResponseInputItem], items)

    async def add_items(self, items: list[TResponseInputItem]) -> None:
        """Append ``items`` to the current branch, all or nothing."""
        self._check_not_closed()
        if not items:
            return

        async def add() -> None:
            head = await self._head()
            await self.store.append(
                self.session_id,
                items,
                stream=head.stream(),
                format=OPENAI_FORMAT,
            )

        try:
            await self._in_order(add)
        except Exception as exc:
            log_model_and_tool_action_error(self._logger, "Failed to add session items", exc)
            raise

    async def pop_item(self) -> TResponseInputItem | None:
        """Remove and return the latest item of the current branch (other branches keep
        their copy); usage of a turn this empties no longer counts."""
        self._check_not_closed()

        async def pop() -> TResponseInputItem | None:
            head = await self._head()
            record = await self.store.pop(self.session_id, stream=head.stream())
            if record is None:
                return None
            await self._branches.append_usage(head, [popped_event(Anchor.of_record(record))])
            return cast(TResponseInputItem, record.data)

        return await self._in_order(pop)

    async def clear_session(self) -> None:
        """Remove every branch's items and usage at once and make ``main`` current again.

        Branch ids stay reserved. One conditional append starts a new generation (the atomic
        step); the old generation's streams are removed after it.
        """
        self._check_not_closed()

        async def clear() -> None:
            self._check_not_closed()
            await self._branches.new_generation()

        await self._in_order(clear)

    # ------------------------------------------------------------------ branches

    async def create_branch_from_turn(
        self, turn_number: int, branch_name: str | None = None
    ) -> str:
        """Copy the current branch's items before user turn ``turn_number`` into a new branch
        and make it current; return its id (``branch_from_turn_<n>_<unix time>`` if no name).

        Raises ``TurnNotFoundError`` if the turn holds no user message, ``BranchIdUsedError``
        if the name was ever used in this session, ``BranchError`` for a blank name.
        """
        if branch_name is not None:
            check_branch_name(branch_name)
        if isinstance(turn_number, bool) or not isinstance(turn_number, int):
            raise TypeError(f"turn_number must be an int, not {type(turn_number).__name__}")
        self._check_not_closed()

        async def create() -> tuple[str, Any, str]:
            head, source, entries = await self._entries(None)
            opening = next((e for e in entries if e.type == "user" and e.turn == turn_number), None)
            if opening is None:
                raise TurnNotFoundError(
                    f"Turn {turn_number} does not contain a user message in branch '{source}'"
                )
            branch = await self._branches.reserve(branch_name, turn_number, head)
            await self._branches.fill(
                head, branch, [entry.data for entry in entries if entry.turn < turn_number]
            )
            await self._branches.point_to(branch, head)
            return branch, _preview(opening.data), source

        branch, preview, source = await self._in_order(create)
        if dont_log_model_data():
            self._logger.debug(
                "Created branch '%s' from turn %s in '%s'", branch, turn_number, source
            )
        else:
            self._logger.debug(
                "Created branch '%s' from turn %s ('%s') in '%s'",
                branch,
                turn_number,
                preview,
                source,
            )
        return branch

    async def create_branch_from_content(
        self, search_term: str, branch_name: str | None = None
    ) -> str:
        """Branch from the first user turn of the current branch containing ``search_term``;
        ``TurnNotFoundError`` if none does."""
        matching = await self.find_turns_by_content(search_term)
        if not matching:
            raise TurnNotFoundError(f"No user turns found containing '{search_term}'")
        return await self.create_branch_from_turn(matching[0]["turn"], branch_name)

    async def switch_to_branch(self, branch_id: str) -> None:
        """Make ``branch_id`` current for the whole session; ``BranchNotFoundError`` if the
        session has no such branch (a branch id of another session included)."""
        self._check_not_closed()

        async def switch() -> None:
            await self._switch(await self._head(), branch_id)

        await self._in_order(switch)

    async def _switch(self, head: Head, branch: str) -> None:
        if not await self._branches.exists(head, branch):
            raise BranchNotFoundError(f"Branch '{branch}' does not exist")
        if not await self._branches.point_to(branch, head):
            return  # a clear came first: main of the new generation stays current
        if branch != MAIN and await self._branches.deleted(branch):
            # Deleted by another process between the check and the switch.
            await self._branches.leave(branch)
            raise BranchNotFoundError(f"Branch '{branch}' does not exist")
        self._logger.info("Switched from branch '%s' to '%s'", head.branch, branch)

    async def delete_branch(self, branch_id: str, force: bool = False) -> None:
        """Delete a branch's items and usage; its id stays reserved. ``force=True`` deletes
        the current branch after switching to ``main``."""
        if not isinstance(branch_id, str) or not branch_id.strip():
            raise BranchError("Branch ID cannot be empty")
        if branch_id == MAIN:
            raise BranchError("Cannot delete the 'main' branch")
        self._check_not_closed()

        async def delete() -> int:
            head = await self._head()
            if branch_id == head.branch:
                if not force:
                    raise BranchError(
                        f"Cannot delete current branch '{branch_id}'. "
                        "Use force=True or switch branches first"
                    )
                if not await self._branches.exists(head, branch_id):
                    raise BranchNotFoundError(f"Branch '{branch_id}' does not exist")
                await self._switch(head, MAIN)
                head = await self._head()
            if not await self._branches.exists(head, branch_id):
                raise BranchNotFoundError(f"Branch '{branch_id}' does not exist")
            return await self._branches.delete(head, branch_id)

        count = await self._in_order(delete)
        self._logger.info("Deleted branch '%s': %s message entries", branch_id, count)

    async def list_branches(self) -> list[dict[str, Any]]:
        """``[{"branch_id", "message_count", "user_turns", "is_current", "created_at"}]`` of
        every branch holding items, oldest first."""
        return await self._branches.listing(await self._head())

    # ------------------------------------------------------------------ turns

    async def get_conversation_turns(self, branch_id: str | None = None) -> list[dict[str, Any]]:
        """``[{"turn", "content" (first 100 characters), "full_content", "timestamp",
        "can_branch"}]`` for every user message of the branch (current if None)."""
        _, _, entries = await self._entries(branch_id)
        return [turn_info(entry, 100) for entry in entries if entry.type == "user"]

    async def find_turns_by_content(
        self, search_term: str, branch_id: str | None = None
    ) -> list[dict[str, Any]]:
        """The user turns whose text contains ``search_term`` (ASCII case ignored), in the
        shape of ``get_conversation_turns`` with the whole content as ``content``."""
        if not isinstance(search_term, str):
            raise TypeError(f"search_term must be a str, not {type(search_term).__name__}")
        _, _, entries = await self._entries(branch_id)
        return [
            turn_info(entry, None)
            for entry in entries
            if entry.type == "user" and content_matches(entry.data.get("content", ""), search_term)
        ]

    async def get_conversation_by_turns(
        self, branch_id: str | None = None
    ) -> dict[int, list[dict[str, str | None]]]:
        """``{turn: [{"type", "tool_name"}, ...]}`` for the branch (current if None)."""
        _, _, entries = await self._entries(branch_id)
        return conversation_by_turns(entries)

    async def get_tool_usage(self, branch_id: str | None = None) -> list[tuple[str, int, int]]:
        """``[(tool_name, uses, turn)]`` for the branch (current if None), by turn."""
        _, _, entries = await self._entries(branch_id)
        return tool_usage(entries)

    # ------------------------------------------------------------------ usage

    async def store_run_usage(self, result: RunResult) -> None:
        """Record ``result``'s token usage against the current turn (call after
        ``Runner.run``). Failures are logged, never raised, as in the SDK."""
        try:
            usage = result.context_wrapper.usage
            if usage is None:
                return
            capture = self._queue.run(self._capture_turn)

            async def record() -> None:
                head, turn, anchor = await capture
                await self._record_usage(head, turn, anchor, usage)

            await await_mutation(record())
        except Exception as exc:
            log_model_action_error(
                self._logger,
                "Failed to store session usage",
                exc,
                diagnostic_extra=lambda: {"session_id": self.session_id},
            )

    async def _capture_turn(self) -> tuple[Head, int, Anchor | None]:
        """The current branch's last turn and its anchor (first item), None if empty.

        Reads only the records appended since the last capture by this object, once the
        last record it saw is found unchanged (otherwise the whole branch).
        """
        head = await self._head()
        cached = self._tail
        tail = None
        if cached is not None and cached[:2] == (head.generation, head.branch):
            last = cached[2].last
            if last is not None:
                # The latest few after (and with) the last one seen: one bounded read on every
                # backend. More new records than that falls back to reading the branch.
                records = await self.store.read(
                    self.session_id, stream=head.stream(), after=last.seq - 1, limit=_TAIL_READ
                )
                if records and records[0] == last:
                    tail = cached[2]
                    tail.extend(records[1:])
        if tail is None:
            tail = TurnTail()
            tail.extend(await self._branches.records(head))
        self._tail = (head.generation, head.branch, tail)
        anchor = None if tail.opening is None else Anchor.of_record(tail.opening)
        return head, tail.turn, anchor

    async def _record_usage(self, head: Head, turn: int, anchor: Anchor | None, usage: Any) -> None:
        """Append the usage event. No check that the turn is still there: a pop of its
        opening item voids it by anchor whichever lands first (see ``usage``)."""
        if anchor is None:
            self._logger.debug("Skipping usage store: no current turn on branch %r", head.branch)
            return
        await self._branches.append_usage(
            head, [usage_event(usage, head.branch, turn, anchor, self._logger)]
        )

    async def _ledger(self) -> tuple[Head, Ledger]:
        head = await self._head()
        return head, Ledger(await self._branches.usage_events(head))

    async def get_session_usage(self, branch_id: str | None = None) -> dict[str, int] | None:
        """Usage summed over every branch (or ``branch_id``'s): ``requests``,
        ``input_tokens``, ``output_tokens``, ``total_tokens``, ``total_turns``; None if none."""
        _, ledger = await self._ledger()
        return ledger.totals(branch_id or None)

    async def get_turn_usage(
        self,
        user_turn_number: int | None = None,
        branch_id: str | None = None,
    ) -> list[dict[str, Any]] | dict[str, Any]:
        """One turn's usage (``{}`` if none) or every turn's, by turn, with the token
        details, for the branch (current if None)."""
        head, ledger = await self._ledger()
        branch = head.branch if branch_id is None else branch_id
        if user_turn_number is not None:
            return ledger.turn(branch, user_turn_number)
        return ledger.turns(branch)


def _preview(item: Any) -> Any:
    """The branch point's text for the debug log, cut as the SDK cuts it."""
    try:
        content = item.get("content", "")
        return content[:50] + "..." if len(content) > 50 else content
    except (AttributeError, TypeError):  # list content: as the SDK, say so in the log
        return "Unable to parse content"
