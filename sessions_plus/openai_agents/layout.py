"""Where ``AdvancedSession`` keeps a conversation in a store: one store session per SDK session.

* stream ``advanced:head``: one small record per change of the current branch; the latest is
  ``{"branch": ..., "generation": ...}``. It is changed only by a conditional append
  (``if_last_seq``), so two processes switching, branching or clearing at once never lose an
  update, and every process reads the same current branch.
* stream ``advanced:<generation>:<branch id>``: the items of one branch (``format`` =
  ``openai.responses``). A branch is created by copying the items before its turn in one append.
  ``clear_session`` starts a new generation in one conditional append, so every branch is empty
  at once; the old generation's streams are removed afterwards.
* stream ``advanced:usage:<generation>``: usage events (``store_run_usage``) and the events
  that void them (a popped turn, a deleted branch), folded on read.
* document ``advanced:branch:<branch id>``: the reservation of a branch id, claimed with
  ``put_doc(if_absent=True)`` and kept after a delete or a clear (ids are never reused).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import BranchError, ConflictError, CorruptRecordError
from ..ids import MAX_NAME_LENGTH
from ..store import ConversationStore

__all__ = [
    "HEAD_FORMAT",
    "HEAD_STREAM",
    "MAIN",
    "MAX_BRANCH_ID_LENGTH",
    "Head",
    "branch_doc",
    "branch_stream",
    "check_branch_name",
    "generation_of",
    "read_head",
    "retry_head",
    "usable_branch_id",
    "usage_stream",
    "write_head",
]

MAIN = "main"
"""The branch every session starts on."""

HEAD_STREAM = "advanced:head"
HEAD_FORMAT = "sessions_plus.advanced.head"
_PREFIX = "advanced:"
_COMPACT_EVERY = 64
"""Every this many head records the stream is trimmed to its latest (seqs are never reused,
so the conditional appends stay exact)."""
_HEAD_RETRIES = 100

MAX_BRANCH_ID_LENGTH = 200
"""Longest branch id, in characters (it becomes part of stream and document names)."""

assert len(_PREFIX) + 20 + MAX_BRANCH_ID_LENGTH < MAX_NAME_LENGTH


def branch_stream(generation: int, branch_id: str) -> str:
    """The stream holding one branch's items in one generation."""
    return f"{_PREFIX}{generation}:{branch_id}"


def usage_stream(generation: int) -> str:
    """The stream holding one generation's usage events."""
    return f"{_PREFIX}usage:{generation}"


def branch_doc(branch_id: str) -> str:
    """The document reserving a branch id."""
    return f"{_PREFIX}branch:{branch_id}"


def generation_of(stream: str) -> tuple[int, str | None] | None:
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


@dataclass(frozen=True, slots=True)
class Head:
    """The current branch and generation, and the seq of the head record that says so."""

    branch: str
    generation: int
    seq: int


async def read_head(store: ConversationStore, session_id: str) -> Head:
    """The session's current branch (``main`` of generation 0 before anything was written)."""
    records = await store.read(session_id, stream=HEAD_STREAM, limit=1)
    if not records:
        return Head(MAIN, 0, 0)
    record = records[0]
    data = record.data
    branch = data.get("branch") if isinstance(data, dict) else None
    generation = data.get("generation") if isinstance(data, dict) else None
    if not isinstance(branch, str) or type(generation) is not int or generation < 0:
        raise CorruptRecordError(
            f"the head record of session {session_id!r} is not a branch pointer",
            session_id=session_id,
            stream=HEAD_STREAM,
            seq=record.seq,
        )
    return Head(branch, generation, record.seq)


async def write_head(
    store: ConversationStore, session_id: str, seen: Head, branch: str, generation: int
) -> bool:
    """Point the session at ``branch`` of ``generation`` if the head is still ``seen``.

    False (nothing written) if another writer changed the head since ``seen`` was read.
    """
    try:
        (seq,) = await store.append(
            session_id,
            [{"branch": branch, "generation": generation}],
            stream=HEAD_STREAM,
            format=HEAD_FORMAT,
            if_last_seq=seen.seq,
        )
    except ConflictError:
        return False
    if seq % _COMPACT_EVERY == 0:
        await store.trim(session_id, stream=HEAD_STREAM, keep_last=1)
    return True


async def retry_head(store: ConversationStore, session_id: str, attempt: int) -> Head:
    """Read the head again after a lost conditional write; ``ConflictError`` once writers kept
    conflicting past the retry budget."""
    if attempt >= _HEAD_RETRIES:
        raise ConflictError(
            f"the current branch of session {session_id!r} kept changing under "
            f"{attempt} attempts to change it"
        )
    return await read_head(store, session_id)
