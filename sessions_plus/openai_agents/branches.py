"""Where ``AdvancedSession`` keeps a conversation in a store, and the steps that change it.

One store session per SDK session (one TTL, one ``delete``, one Redis Cluster slot):

* stream ``advanced:head``: one small record per change of the current branch; the latest is
  ``{"branch": ..., "generation": ...}``. It changes only by a conditional append
  (``if_last_seq``), so processes switching, branching or clearing at once never lose an
  update, and every process reads the same current branch.
* stream ``advanced:<generation>:<branch id>``: one branch's items (``format`` =
  ``openai.responses``). A new branch gets the items before its turn in one append.
  ``clear_session`` starts a new generation with one conditional append of the head, so every
  branch is empty at once; the old generation's streams are removed after it.
* stream ``advanced:usage:<generation>``: usage events and the events that void them
  (see :mod:`~sessions_plus.openai_agents.usage`), folded on read.
* document ``advanced:branch:<branch id>``: the reservation of a branch id, claimed with
  ``put_doc(if_absent=True)`` and kept after a delete or a clear (ids are never reused).

SDK-free: :class:`Branches` works on the store contract alone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ..errors import BranchError, BranchIdUsedError, ConflictError, CorruptRecordError
from ..ids import MAX_NAME_LENGTH
from ..records import Record
from ..store import ConversationStore
from .turns import is_user_message, sql_timestamp
from .usage import USAGE_FORMAT, branch_deleted_event

__all__ = [
    "HEAD_STREAM",
    "MAIN",
    "MAX_BRANCH_ID_LENGTH",
    "Branches",
    "Head",
    "check_branch_name",
    "usable_branch_id",
]

MAIN = "main"
"""The branch every session starts on."""

HEAD_STREAM = "advanced:head"
_HEAD_FORMAT = "sessions_plus.advanced.head"
_PREFIX = "advanced:"
_COMPACT_EVERY = 64
"""Every this many head records the head stream is trimmed to its latest (seqs are never
reused, so the conditional appends stay exact)."""
_HEAD_RETRIES = 100

MAX_BRANCH_ID_LENGTH = 200
"""Longest branch id, in characters (it becomes part of stream and document names)."""

assert len(_PREFIX) + 20 + MAX_BRANCH_ID_LENGTH < MAX_NAME_LENGTH


def usable_branch_id(branch_id: object) -> bool:
    """True if ``branch_id`` can name a branch at all (a non-empty str that fits)."""
    if not isinstance(branch_id, str):
        raise TypeError(f"branch_id must be a str, not {type(branch_id).__name__}")
    if not branch_id or len(branch_id) > MAX_BRANCH_ID_LENGTH:
        return False
    try:
        branch_id.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_branch_name(branch_name: object) -> None:
    """Reject a name no branch may take (``BranchError``, a ``ValueError``) before any write."""
    if not isinstance(branch_name, str):
        raise TypeError(f"branch_name must be a str or None, not {type(branch_name).__name__}")
    if not branch_name.strip():
        raise BranchError("Branch name cannot be empty")
    if not usable_branch_id(branch_name):
        raise BranchError(
            f"Branch name must be valid text of at most {MAX_BRANCH_ID_LENGTH} characters"
        )


def _generation_of(stream: str) -> tuple[int, str | None] | None:
    """``(generation, branch id)`` of a branch stream, ``(generation, None)`` of a usage
    stream, None for any other stream."""
    if not stream.startswith(_PREFIX):
        return None
    kind, _, rest = stream[len(_PREFIX) :].partition(":")
    if kind.isdigit() and kind.isascii():
        return int(kind), rest
    if kind == "usage" and rest.isdigit() and rest.isascii():
        return int(rest), None
    return None


@dataclass(frozen=True, slots=True)
class Head:
    """The current branch and generation, and the seq of the head record that says so."""

    branch: str
    generation: int
    seq: int

    def stream(self, branch: str | None = None) -> str:
        """The stream of ``branch`` (default: the current one) in this generation."""
        return f"{_PREFIX}{self.generation}:{self.branch if branch is None else branch}"

    @property
    def usage_stream(self) -> str:
        """The stream of this generation's usage events."""
        return f"{_PREFIX}usage:{self.generation}"


class Branches:
    """The branch steps of one session in one store; each is atomic in the store."""

    def __init__(self, store: ConversationStore, session_id: str, item_format: str) -> None:
        self.store = store
        self.session_id = session_id
        self.item_format = item_format

    # ------------------------------------------------------------------ head

    async def head(self) -> Head:
        """The current branch (``main`` of generation 0 before anything was written)."""
        records = await self.store.read(self.session_id, stream=HEAD_STREAM, limit=1)
        if not records:
            return Head(MAIN, 0, 0)
        data, seq = records[0].data, records[0].seq
        branch = data.get("branch") if isinstance(data, dict) else None
        generation = data.get("generation") if isinstance(data, dict) else None
        if not isinstance(branch, str) or type(generation) is not int or generation < 0:
            raise CorruptRecordError(
                f"the head record of session {self.session_id!r} is not a branch pointer",
                session_id=self.session_id,
                stream=HEAD_STREAM,
                seq=seq,
            )
        return Head(branch, generation, seq)

    async def _write_head(self, seen: Head, branch: str, generation: int) -> bool:
        """Point at ``branch`` of ``generation`` if the head is still ``seen``; False (and
        nothing written) if another writer changed it since."""
        try:
            (seq,) = await self.store.append(
                self.session_id,
                [{"branch": branch, "generation": generation}],
                stream=HEAD_STREAM,
                format=_HEAD_FORMAT,
                if_last_seq=seen.seq,
            )
        except ConflictError:
            return False
        if seq % _COMPACT_EVERY == 0:
            await self.store.trim(self.session_id, stream=HEAD_STREAM, keep_last=1)
        return True

    async def _reread(self, attempt: int) -> Head:
        if attempt >= _HEAD_RETRIES:
            raise ConflictError(
                f"the current branch of session {self.session_id!r} kept changing under "
                f"{attempt} attempts to change it"
            )
        return await self.head()

    async def point_to(self, branch: str, head: Head) -> bool:
        """Make ``branch`` current unless a clear started a new generation since ``head`` was
        read (then the clear wins, as in the SDK). True if the head now says ``branch``."""
        seen, attempt = head, 0
        while not await self._write_head(seen, branch, head.generation):
            attempt += 1
            seen = await self._reread(attempt)
            if seen.generation != head.generation:
                return False
        return True

    async def leave(self, branch: str) -> None:
        """If the head points at ``branch`` (just deleted), point it at ``main``."""
        head, attempt = await self.head(), 0
        while head.branch == branch:
            if await self._write_head(head, MAIN, head.generation):
                return
            attempt += 1
            head = await self._reread(attempt)

    async def new_generation(self) -> None:
        """Empty every branch at once (``main`` current), then remove the old streams."""
        head, attempt = await self.head(), 0
        while not await self._write_head(head, MAIN, head.generation + 1):
            attempt += 1
            head = await self._reread(attempt)
        info = await self.store.info(self.session_id)
        for stream in [] if info is None else list(info.ranges):
            found = _generation_of(stream)
            if found is not None and found[0] <= head.generation:
                await self.store.clear(self.session_id, stream=stream)

    # ------------------------------------------------------------------ branches

    async def records(self, head: Head, branch: str | None = None) -> list[Record]:
        """Every record of ``branch`` (default: current); none for an id no branch can have."""
        if branch is not None and not usable_branch_id(branch):
            return []
        return await self.store.read(self.session_id, stream=head.stream(branch))

    async def exists(self, head: Head, branch: str) -> bool:
        """A branch exists while it holds items and is not deleted (as in the SDK, where a
        branch is its rows: one made from turn 1 exists once something is added to it)."""
        if not usable_branch_id(branch):
            return False
        if not await self.store.read(self.session_id, stream=head.stream(branch), limit=1):
            return False
        return branch == MAIN or not await self.deleted(branch)

    async def deleted(self, branch: str) -> bool:
        """True unless the branch id is reserved and its branch not deleted."""
        doc = await self.store.get_doc(self.session_id, _branch_doc(branch))
        return not isinstance(doc, dict) or bool(doc.get("deleted"))

    async def reserve(self, name: str | None, turn: int, head: Head) -> str:
        """Claim a branch id for good (``put_doc(if_absent=True)``: one claim wins).
        Without a name: ``branch_from_turn_<turn>_<unix time>``, then ``_2``, ``_3``..."""

        async def claim(branch: str) -> bool:
            if branch == MAIN:
                return False
            record = {
                "branch_id": branch,
                "created_at": time.time(),
                "generation": head.generation,
                "source": head.branch,
                "turn": turn,
                "deleted": False,
            }
            return await self.store.put_doc(
                self.session_id, _branch_doc(branch), record, if_absent=True
            )

        if name is not None:
            if not await claim(name):
                raise BranchIdUsedError(
                    f"Branch ID '{name}' has already been used. Choose a new branch ID."
                )
            return name
        base = f"branch_from_turn_{turn}_{int(time.time())}"
        candidate, suffix = base, 1
        while not await claim(candidate):
            suffix += 1
            candidate = f"{base}_{suffix}"
        return candidate

    async def fill(self, head: Head, branch: str, items: list[Any]) -> None:
        """Write a new branch's copied items, in one append to its still empty stream."""
        if items:
            await self.store.append(
                self.session_id,
                items,
                stream=head.stream(branch),
                format=self.item_format,
                if_last_seq=0,
            )

    async def delete(self, head: Head, branch: str) -> int:
        """Mark a branch deleted (its id stays reserved), drop its items and void its usage;
        return how many items it held."""
        info = await self.store.info(self.session_id)
        count = 0 if info is None else info.streams.get(head.stream(branch), 0)
        name = _branch_doc(branch)
        doc = await self.store.get_doc(self.session_id, name)
        await self.store.put_doc(
            self.session_id, name, {**(doc if isinstance(doc, dict) else {}), "deleted": True}
        )
        await self.store.clear(self.session_id, stream=head.stream(branch))
        await self.append_usage(head, [branch_deleted_event(branch)])
        await self.leave(branch)  # a switch to it that raced this delete
        return count

    async def listing(self, head: Head) -> list[dict[str, Any]]:
        """``list_branches``: every branch of the generation that holds items, oldest first."""
        info = await self.store.info(self.session_id)
        rows: list[tuple[float, dict[str, Any]]] = []
        for stream, span in [] if info is None else list(info.ranges.items()):
            found = _generation_of(stream)
            if found is None or found[0] != head.generation or found[1] is None:
                continue
            branch = found[1]
            if span.count == 0 or (branch != MAIN and await self.deleted(branch)):
                continue
            records = await self.records(head, branch)
            if not records:
                continue
            row = {
                "branch_id": branch,
                "message_count": len(records),
                "user_turns": sum(1 for record in records if is_user_message(record.data)),
                "is_current": branch == head.branch,
                "created_at": sql_timestamp(records[0].created_at),
            }
            rows.append((records[0].created_at, row))
        rows.sort(key=lambda pair: (pair[0], pair[1]["branch_id"] != MAIN))
        return [row for _, row in rows]

    # ------------------------------------------------------------------ usage

    async def append_usage(self, head: Head, events: list[dict[str, Any]]) -> None:
        """Append usage events to the generation ``head`` was read in."""
        await self.store.append(
            self.session_id, events, stream=head.usage_stream, format=USAGE_FORMAT
        )

    async def usage_events(self, head: Head) -> list[Any]:
        return await self.store.read_data(self.session_id, stream=head.usage_stream)


def _branch_doc(branch_id: str) -> str:
    """The document reserving a branch id."""
    return f"{_PREFIX}branch:{branch_id}"
