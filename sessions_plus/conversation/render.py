"""A shared conversation as one SDK sees it: pure functions over stored records.

:func:`render` turns records (``seq``, ``data``, ``format``, ``author``) of any formats into the
items one target format takes, obeying its provider's rules:

* Records of the target's own format pass through exactly as stored (``native=True``).
* Records of other formats are converted through the neutral model:

  - reasoning of another provider is not sent (it stays stored, for its own SDK);
  - another SDK's tool calls become one text note each, with the result folded in
    (``foreign_tools="text"``, the default), or native call/result pairs
    (``foreign_tools="native"``); a call is only written natively together with its result,
    and only when nothing but other tool calls and results stands between the two, so every
    native call is answered at once (as Bedrock, Responses and Chat Completions require);
    calls without such a result and results without their call become text notes;
  - handoffs (``transfer_to_<agent>``, Strands ``handoff_to_agent``) become text notes;
  - an item with no neutral form becomes a text note naming its type (logged once per type);
  - with ``label_authors=True`` another agent's assistant text is prefixed ``[author]``;
  - a record that cannot be converted raises :class:`ConversionError` under
    ``on_corrupt="raise"``, else becomes a text note.
* Tool calls without results and results without calls (a worker killed mid-tool, another
  agent's turn in between) are repaired as :mod:`.repair` says, for the target's own records too:
  an orphaned call is followed by a synthetic "interrupted" result (another SDK's call shown as
  a note says it was interrupted), an orphaned result becomes a note; ``run_start=True`` says the
  reader is about to start a run on the history (a trailing call without result is orphaned).
* For targets whose roles must alternate (Strands/Bedrock), each run of consecutive same-role
  items is merged into one (never dropped) when at least one of them was converted or repaired,
  and a converted conversation that would open with the assistant gets a
  ``[conversation start]`` user turn.

Each :class:`RenderedItem` says which records (``seqs``) it came from.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..errors import ConversionError
from .formats import Format, find_format, get_format
from .model import (
    Message,
    OpaquePart,
    ReasoningPart,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from .notes import (
    CONVERSATION_START,
    corrupt_note,
    label,
)
from .pairing import pair_tools
from .rendered import RenderedItem
from .repair import repair
from .units import (
    DEFAULT_OPTIONS,
    ForeignTools,
    OnCorrupt,
    RecordLike,
    RenderOptions,
    Unit,
    with_parts,
)

__all__ = [
    "DEFAULT_OPTIONS",
    "ForeignTools",
    "OnCorrupt",
    "RecordLike",
    "RenderOptions",
    "Unit",
    "convert_items",
    "json_copy",
    "render",
    "render_units",
    "repair_items",
    "stable_start",
    "to_neutral_record",
    "to_unit",
]

logger = logging.getLogger("sessions_plus.conversation")


def render(
    records: Iterable[RecordLike],
    target: str | Format,
    options: RenderOptions = DEFAULT_OPTIONS,
    *,
    at_start: bool = True,
    session_id: str | None = None,
    run_start: bool = False,
) -> list[RenderedItem]:
    """The records (chronological) as items of ``target``, by the rules in the module docstring.

    ``at_start`` says the records begin the conversation (the ``[conversation start]`` rule
    applies only then); ``session_id`` is named in errors and in repair logs; ``run_start``
    says a run is about to start on this history (see :mod:`.repair`).
    """
    fmt = get_format(target)
    units = [to_unit(record, fmt, options, session_id) for record in records]
    return render_units(
        units, fmt, options, at_start=at_start, run_start=run_start, session_id=session_id
    )[0]


def to_unit(
    record: RecordLike, target: Format, options: RenderOptions, session_id: str | None = None
) -> Unit:
    """Prepare one record: pass through, or convert (neighbour-independent rules only)."""
    seq, author, fmt_name = record.seq, record.author, record.format
    labelled = options.label_authors and author is not None and author != options.author
    own = fmt_name == target.name
    created_at = getattr(record, "created_at", None)
    if own and not labelled and target.accepts(record.data):
        turn = _opens_turn(target, record.data)
        return Unit(seq, True, record.data, None, turn, turn=turn, created_at=created_at)
    source = target if own else find_format(fmt_name)
    try:
        if source is None:
            raise ConversionError(f"no converter for format {fmt_name!r}", format=fmt_name)
        if own and not target.accepts(record.data):
            raise ConversionError(f"not a valid {fmt_name} item", format=fmt_name)
        message = source.to_neutral(record.data, seq=seq, author=author, created_at=created_at)
    except ConversionError as exc:
        if options.on_corrupt == "raise":
            where = "" if session_id is None else f" of session {session_id!r}"
            raise ConversionError(
                f"record seq={seq}{where} cannot be converted: {exc}",
                format=fmt_name,
                seq=seq,
                session_id=session_id,
            ) from None
        logger.warning(
            "record seq=%d (%s) cannot be converted; shown as a note: %s", seq, fmt_name, exc
        )
        note = TextPart(corrupt_note(seq, fmt_name, "it does not match its format"))
        message = Message("assistant", (note,), None, author, seq, created_at)
        return Unit(seq, False, None, message, True)
    if labelled and author is not None and message.role == "assistant":
        message = _label(message, author)
    if message.format == target.name:
        if message.role != "assistant" or not _has_text(message):  # nothing to label
            turn = _opens_turn(target, record.data)
            return Unit(seq, True, record.data, None, turn, turn=turn, created_at=created_at)
        return Unit(seq, False, None, message, False)
    parts = message.parts
    reasoning = calls = results = barrier = False
    for part in parts:
        kind = type(part)
        if kind is ToolCallPart:
            calls = True
        elif kind is ToolResultPart:
            results = True
        elif kind is ReasoningPart:
            reasoning = True
        elif kind is not OpaquePart or part.visible:  # type: ignore[union-attr]
            barrier = True
    if reasoning:  # another provider's reasoning is not sent
        message = with_parts(message, tuple([p for p in parts if type(p) is not ReasoningPart]))
    turn = barrier and message.role == "user"
    safe = turn and not results
    return Unit(seq, False, None, message, safe, barrier, calls or results, calls, turn)


def _opens_turn(target: Format, item: Any) -> bool:
    """A stored item of ``target`` that starts a user turn and answers no call."""
    found = target.traffic(item)
    return found.turn and not found.results


def _label(message: Message, author: str) -> Message:
    parts = list(message.parts)
    for index, part in enumerate(parts):
        if type(part) is TextPart:
            parts[index] = replace(part, text=label(author, part.text))
            return with_parts(message, tuple(parts))
    return message


def _has_text(message: Message) -> bool:
    return any(type(part) is TextPart for part in message.parts)


def render_units(
    units: Sequence[Unit],
    target: Format,
    options: RenderOptions,
    *,
    at_start: bool,
    run_start: bool = False,
    session_id: str | None = None,
    copy_own: bool = False,
) -> tuple[list[RenderedItem], list[Role | None]]:
    """Render prepared units; also return each item's role (for alternating targets).

    Own-format records come back as their data itself, or with ``copy_own`` as copies (new
    dicts and lists: for units remembered between reads, :mod:`.memo`)."""
    rewritten, folded = pair_tools(units, target, options, run_start, session_id)
    items: list[RenderedItem] = []
    for index, (unit, message) in enumerate(zip(units, rewritten, strict=True)):
        if message is None:
            data = json_copy(unit.data) if copy_own else unit.data
            items.append(RenderedItem(data, (unit.seq,), True))
            continue
        seqs = (unit.seq, *folded[index]) if index in folded else (unit.seq,)
        for item in _items_of(unit, message, target):
            items.append(RenderedItem(item, seqs))
    if target.merge is None:
        items = repair(items, target, run_start=run_start, session_id=session_id)
        return items, [None] * len(items)
    # The opening turn, if one is needed, is dated like the first converted record (or, with
    # none, the first record: rendering the same records gives the same items).
    opened = next((u.message.created_at for u in units if u.message is not None), None)
    if opened is None and units:
        opened = units[0].created_at
    items, roles = _merge_runs(items, target)
    repaired = repair(items, target, run_start=run_start, session_id=session_id)
    if repaired is not items:
        items, roles = _merge_runs(repaired, target)
    return _open_with_user(items, roles, target, at_start, opened)


def _items_of(unit: Unit, message: Message, target: Format) -> list[Any]:
    """``target.from_neutral(message)``, kept on the unit while ``message`` is the same object
    (its own, or the same rewriting of it: :mod:`.pairing`) and handed out as copies (an SDK
    may change them)."""
    kept = unit.keep()
    last = kept.get("items")
    if last is not None and last[0] is message:
        items = last[1]
    else:
        items = target.from_neutral(message)
        kept["items"] = (message, items)
    return [json_copy(item) for item in items]


def json_copy(value: Any) -> Any:
    """A copy of a JSON-shaped value: new dicts and lists all the way down."""
    kind = type(value)
    if kind is dict:
        return {
            key: item if type(item) in _SHARED else json_copy(item) for key, item in value.items()
        }
    if kind is list:
        return [item if type(item) in _SHARED else json_copy(item) for item in value]
    return value


_SHARED = frozenset({str, int, float, bool, type(None)})
"""Immutable values a copy shares (checked inline: most values of an item are strings)."""


def _merge_runs(
    items: list[RenderedItem], target: Format
) -> tuple[list[RenderedItem], list[Role | None]]:
    """Merge each run of same-role items into one, unless the whole run is stored items
    (the target's own records stay as they are)."""
    merge = target.merge
    assert merge is not None
    out: list[RenderedItem] = []
    roles: list[Role | None] = []
    run: list[RenderedItem] = []
    run_role: Role | None = None

    def flush() -> None:
        if len(run) > 1 and not all(item.native for item in run):
            merged, seqs = run[0].item, list(run[0].seqs)
            for item in run[1:]:
                merged = merge(merged, item.item)
                seqs.extend(s for s in item.seqs if s not in seqs)
            out.append(RenderedItem(merged, tuple(seqs)))
            roles.append(run_role)
        else:
            out.extend(run)
            roles.extend([run_role] * len(run))
        run.clear()

    for item in items:
        role = target.role_of(item.item)
        if run and (role is None or role != run_role):
            flush()
        run.append(item)
        run_role = role
    flush()
    return out, roles


def _open_with_user(
    out: list[RenderedItem],
    roles: list[Role | None],
    target: Format,
    at_start: bool,
    opened: float | None,
) -> tuple[list[RenderedItem], list[Role | None]]:
    """Open a converted history with the user (``[conversation start]``), at its start."""
    if at_start and out and not out[0].native and roles[0] != "user":
        start = Message("user", (TextPart(CONVERSATION_START),), created_at=opened)
        opening = target.from_neutral(start)
        out[:0] = [RenderedItem(item, ()) for item in opening]
        roles[:0] = [target.role_of(item) for item in opening]
    return out, roles


def repair_items(
    items: list[RenderedItem],
    target: Format,
    *,
    run_start: bool = False,
    session_id: str | None = None,
    log: bool = True,
) -> list[RenderedItem]:
    """:func:`.repair.repair` for items of one target (its own records, say), then, for
    alternating targets, repaired items merged with same-role neighbours (own records that
    need no repair stay as they are). Returns ``items`` itself when nothing needed repair."""
    if target.merge is None:
        return repair(items, target, run_start=run_start, session_id=session_id, log=log)
    repaired = repair(items, target, run_start=run_start, session_id=session_id, log=log)
    return repaired if repaired is items else _merge_runs(repaired, target)[0]


def stable_start(roles: Sequence[Role | None], target: Format) -> int:
    """Index of the first rendered item that more records before the window cannot change.

    Rendering that starts at a safe unit gets every item right except, for alternating
    targets, the first run of same-role items (earlier records may merge into it): the first
    role change ends it.
    """
    if target.merge is None:
        return 0
    for index in range(1, len(roles)):
        if roles[index] is None or roles[index] != roles[index - 1]:
            return index
    return len(roles)


def to_neutral_record(
    record: RecordLike, *, on_corrupt: OnCorrupt = "raise", session_id: str | None = None
) -> Message:
    """One record as a neutral message (a note message for a bad record under ``"note"``)."""
    source = find_format(record.format)
    created_at = getattr(record, "created_at", None)
    try:
        if source is None:
            raise ConversionError(f"no converter for format {record.format!r}")
        return source.to_neutral(
            record.data, seq=record.seq, author=record.author, created_at=created_at
        )
    except ConversionError as exc:
        if on_corrupt == "raise":
            raise ConversionError(
                f"record seq={record.seq} cannot be converted: {exc}",
                format=record.format,
                seq=record.seq,
                session_id=session_id,
            ) from None
        note = TextPart(corrupt_note(record.seq, record.format, "it does not match its format"))
        return Message("assistant", (note,), None, record.author, record.seq, created_at)


@dataclass(frozen=True, slots=True)
class _Loose:
    seq: int
    data: Any
    format: str | None
    author: str | None


def convert_items(
    items: Iterable[Any],
    source: str | Format,
    target: str | Format,
    options: RenderOptions = DEFAULT_OPTIONS,
    *,
    author: str | None = None,
) -> list[Any]:
    """A whole conversation of ``source`` items (written by ``author``) as ``target`` items.

    The same rules as :func:`render` (the items are numbered from 1, as records would be).
    """
    name = get_format(source).name
    records = [_Loose(index, item, name, author) for index, item in enumerate(items, 1)]
    return [rendered.item for rendered in render(records, target, options)]
