"""Tool calls without results and results without calls, repaired on read (never in the store).

A worker killed while a tool runs, between a tool call and its result, or mid-handoff leaves a
call whose result never comes; providers refuse such a history (OpenAI: *No tool output found for
function call ...*; Bedrock: *Expected toolResult blocks ...*). In a shared conversation another
agent's turns can also land between a call and its result. Readers of every target apply one
rule, explicitly and visibly, to what they *show*; stored records are never changed by a read:

* **Pairing.** A call is answered by a result with its id later in the same turn (before the
  next user turn) for targets that take any order (OpenAI Responses), and in the very next
  message for role-alternating targets (Bedrock/Strands).
* **Orphaned call.** An unanswered call is *orphaned* once the conversation moved on past it: a
  later user turn was stored after it (any agent's, in a shared conversation) or, for
  alternating targets, any later message that is not its result. It is shown followed by a
  synthetic result, status ``error``, whose text is :data:`~.notes.INTERRUPTED`.
* **Pending call.** An unanswered call followed by nothing but its own run's output may still get
  its result (the run may be live in another process): plain reads show it as it is. A reader
  that *starts a run* on the history (``run_start=True``: Strands restoring an agent, or syncing
  a shared conversation before an invocation) treats a trailing pending call as orphaned, because
  that run's prompt is about to follow it (and would make it orphaned for every reader anyway).
* **Orphaned result.** A result whose call is not before it (in the same turn; for alternating
  targets in the message right before) is shown as a text note:
  ``[result of tool call <id> -> <its content>]``.

Each repair is logged once per process at WARNING, naming the session, the record's seq and the
call id. :func:`repair` works on any target's rendered items (its own records included), through
the format's ``traffic`` accessor.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Literal

from ..errors import ConversionError
from .formats import Format
from .model import Message, Part, TextPart, ToolResultPart
from .notes import INTERRUPTED, orphan_result_note
from .rendered import RenderedItem

logger = logging.getLogger("sessions_plus.conversation")

Kind = Literal["interrupted", "orphan result"]

_LOG_KEYS = 65536
"""Repairs remembered per process so each is logged once (oldest forgotten first)."""

_logged: OrderedDict[tuple[str | None, str, int | None, str], None] = OrderedDict()
_logged_lock = threading.Lock()


def log_repair(
    kind: Kind,
    session_id: str | None,
    seq: int | None,
    call_id: str,
    *,
    run_start: bool = False,
    log: bool = True,
) -> None:
    """Log one repair at WARNING, once per process for each (session, kind, seq, call id).

    ``run_start``: the call is orphaned because a run starts on it (nothing came after it).
    ``log=False`` does nothing (a trial repair whose result is not shown)."""
    if not log:
        return
    key = (session_id, kind, seq, call_id)
    with _logged_lock:
        if key in _logged:
            return
        _logged[key] = None
        if len(_logged) > _LOG_KEYS:
            _logged.popitem(last=False)
    where = f"session {session_id!r}" if session_id is not None else "a conversation"
    if kind == "interrupted":
        why = "a new run starts on it" if run_start else "the conversation moved on"
        logger.warning(
            "%s, record seq=%s: tool call %s has no result and %s; shown with a synthetic "
            "'interrupted' result (stored history unchanged)",
            where,
            seq,
            call_id,
            why,
        )
    else:
        logger.warning(
            "%s, record seq=%s: tool result for call %s has no call before it; shown as a "
            "text note (stored history unchanged)",
            where,
            seq,
            call_id,
        )


def interrupted_items(
    target: Format, call_ids: Sequence[str], created_at: float | None = None
) -> list[Any]:
    """The synthetic result item(s) of ``target`` answering ``call_ids`` as interrupted, dated
    ``created_at`` where the format holds a time (repairs pass the time of the item they
    answer or join, so the same history always repairs to the same items)."""
    parts = tuple(
        ToolResultPart(call_id, (TextPart(INTERRUPTED),), "error") for call_id in call_ids
    )
    return target.from_neutral(Message("tool", parts, created_at=created_at))


def repair(
    items: list[RenderedItem],
    target: Format,
    *,
    run_start: bool = False,
    session_id: str | None = None,
    log: bool = True,
) -> list[RenderedItem]:
    """``items`` (chronological, of ``target``) with orphaned calls answered as interrupted and
    orphaned results shown as notes, by the rules in the module docstring.

    Returns ``items`` itself when nothing needs repair. For alternating targets, items must
    already hold merged same-role runs (a repaired item may need merging with its neighbours
    again: the caller does that). ``log=False`` logs nothing (a trial run).
    """
    if target.merge is None:
        return _repair_in_turn(items, target, run_start, session_id, log)
    return _repair_adjacent(items, target, run_start, session_id, log)


def _seq(rendered: RenderedItem) -> int | None:
    return rendered.seqs[-1] if rendered.seqs else None


def _repair_in_turn(
    items: list[RenderedItem], target: Format, run_start: bool, session_id: str | None, log: bool
) -> list[RenderedItem]:
    traffic = target.traffic
    open_calls: dict[str, int] = {}  # unanswered calls of the current turn -> item index
    orphaned: dict[int, list[str]] = {}  # item index -> its calls shown as interrupted
    stray: dict[int, set[str]] = {}  # item index -> its results shown as notes

    trailing: set[str] = set()  # orphaned only because a run starts on them

    def close() -> None:
        for call_id, index in open_calls.items():
            orphaned.setdefault(index, []).append(call_id)
        open_calls.clear()

    for index, rendered in enumerate(items):
        found = traffic(rendered.item)
        for call_id in found.results:
            if open_calls.pop(call_id, None) is None:
                stray.setdefault(index, set()).add(call_id)
        if found.turn and open_calls:
            close()
        for call_id, _ in found.calls:
            earlier = open_calls.pop(call_id, None)
            if earlier is not None:  # the same id called again: the first one went unanswered
                orphaned.setdefault(earlier, []).append(call_id)
            open_calls[call_id] = index
    if run_start and open_calls:
        trailing.update(open_calls)
        close()
    if not orphaned and not stray:
        return items
    out: list[RenderedItem] = []
    for index, rendered in enumerate(items):
        if index in stray:
            out.extend(_noted(rendered, stray[index], target, "assistant", session_id, log))
        else:
            out.append(rendered)
        calls = orphaned.get(index)
        if calls:
            for call_id in calls:
                log_repair(
                    "interrupted",
                    session_id,
                    _seq(rendered),
                    call_id,
                    run_start=call_id in trailing,
                    log=log,
                )
            when = target.time_of(rendered.item)
            synthetic = interrupted_items(target, calls, when)
            out.extend(RenderedItem(item, ()) for item in synthetic)
    return out


def _repair_adjacent(
    items: list[RenderedItem], target: Format, run_start: bool, session_id: str | None, log: bool
) -> list[RenderedItem]:
    traffic, role_of, merge = target.traffic, target.role_of, target.merge
    assert merge is not None
    pending: tuple[tuple[str, str], ...] = ()  # calls of the previous (assistant) item
    pending_seq: int | None = None
    pending_time: float | None = None  # when the item holding those calls was written
    changed = False
    out: list[RenderedItem] = []
    for rendered in items:
        found = traffic(rendered.item)
        expected = {call_id for call_id, _ in pending}
        missing = [call_id for call_id, _ in pending if call_id not in found.results]
        stray = {call_id for call_id in found.results if call_id not in expected}
        if len(set(found.results)) < len(found.results):  # a call answered twice
            stray.update(r for r in found.results if found.results.count(r) > 1)
        role = role_of(rendered.item)
        current = rendered
        if stray:
            changed = True
            noted = _noted(current, stray, target, "user", session_id, log)
            current = noted[0]
            for extra in noted[1:]:
                current = RenderedItem(merge(current.item, extra.item), current.seqs)
        if missing:
            changed = True
            for call_id in missing:
                log_repair("interrupted", session_id, pending_seq, call_id, log=log)
            if role == "user":
                current = _answered_first(current, missing, target)
            else:
                synthetic = interrupted_items(target, missing, pending_time)
                out.extend(RenderedItem(item, ()) for item in synthetic)
        out.append(current)
        pending = found.calls if role == "assistant" else ()
        pending_seq = _seq(rendered)
        pending_time = target.time_of(rendered.item) if pending else None
    if pending and run_start:
        changed = True
        for call_id, _ in pending:
            log_repair("interrupted", session_id, pending_seq, call_id, run_start=True, log=log)
        calls = [call_id for call_id, _ in pending]
        synthetic = interrupted_items(target, calls, pending_time)
        out.extend(RenderedItem(item, ()) for item in synthetic)
    return out if changed else items


def _answered_first(rendered: RenderedItem, call_ids: list[str], target: Format) -> RenderedItem:
    """The user item ``rendered`` with synthetic results for ``call_ids`` first (Bedrock wants
    a turn's tool results before anything else), keeping the item's own fields."""
    results = tuple(ToolResultPart(c, (TextPart(INTERRUPTED),), "error") for c in call_ids)
    try:
        message = target.to_neutral(rendered.item)
    except ConversionError:
        message = None
    if message is not None and message.format == target.name:
        answered = Message(
            "user",
            (*results, *message.parts),
            message.format,
            message.author,
            message.seq,
            message.created_at,
            message.extra,
        )
        converted = target.from_neutral(answered)
        if len(converted) == 1:
            return RenderedItem(converted[0], rendered.seqs)
    merge = target.merge
    assert merge is not None
    merged = interrupted_items(target, call_ids, target.time_of(rendered.item))[0]
    return RenderedItem(merge(merged, rendered.item), rendered.seqs)


def _noted(
    rendered: RenderedItem,
    call_ids: set[str],
    target: Format,
    note_role: Literal["user", "assistant"],
    session_id: str | None,
    log: bool,
) -> list[RenderedItem]:
    """``rendered`` with its results for ``call_ids`` replaced by text notes."""
    for call_id in sorted(call_ids):
        log_repair("orphan result", session_id, _seq(rendered), call_id, log=log)
    try:
        message = target.to_neutral(rendered.item)
    except ConversionError:  # not readable as the target's own item: it stays as it is
        logger.warning(
            "a tool result of record seq=%s could not be read to note it", _seq(rendered)
        )
        return [rendered]
    parts: list[Part] = []
    for part in message.parts:
        if type(part) is ToolResultPart and part.call_id in call_ids:
            parts.append(TextPart(orphan_result_note(part)))
        else:
            parts.append(part)
    role = message.role
    if role == "tool" and not any(type(part) is ToolResultPart for part in parts):
        role = note_role
    noted = Message(
        role,
        tuple(parts),
        message.format,
        message.author,
        message.seq,
        message.created_at,
        message.extra,
    )
    return [RenderedItem(item, rendered.seqs) for item in target.from_neutral(noted)]
