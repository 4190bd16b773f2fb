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
from typing import Any, Literal, Protocol

from ..errors import ConfigurationError, ConversionError
from .formats import Format, find_format, get_format
from .model import (
    Message,
    OpaquePart,
    Part,
    ReasoningPart,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from .notes import (
    CONVERSATION_START,
    DEFAULT_NOTE_CHARS,
    corrupt_note,
    handoff_note,
    interrupted_tool_note,
    label,
    orphan_result_note,
    tool_note,
)
from .rendered import RenderedItem
from .repair import log_repair, repair

logger = logging.getLogger("sessions_plus.conversation")

ForeignTools = Literal["text", "native"]
OnCorrupt = Literal["raise", "note"]


class RecordLike(Protocol):
    """What rendering reads of a record (a :class:`sessions_plus.Record` fits)."""

    @property
    def seq(self) -> int: ...

    @property
    def data(self) -> Any: ...

    @property
    def format(self) -> str | None: ...

    @property
    def author(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """How another SDK's records are shown (see the module docstring for each rule).

    ``author`` is the reader: records by other authors count as another agent's for
    ``label_authors``. ``note_chars`` bounds each tool input and result quoted in a note.
    """

    foreign_tools: ForeignTools = "text"
    label_authors: bool = False
    author: str | None = None
    on_corrupt: OnCorrupt = "raise"
    note_chars: int = DEFAULT_NOTE_CHARS

    def __post_init__(self) -> None:
        if self.foreign_tools not in ("text", "native"):
            raise ConfigurationError(
                f"foreign_tools must be 'text' or 'native', not {self.foreign_tools!r}"
            )
        if self.on_corrupt not in ("raise", "note"):
            raise ConfigurationError(
                f"on_corrupt must be 'raise' or 'note', not {self.on_corrupt!r}"
            )
        if isinstance(self.note_chars, bool) or not isinstance(self.note_chars, int):
            raise ConfigurationError("note_chars must be an int")
        if self.note_chars < 1:
            raise ConfigurationError("note_chars must be at least 1")


DEFAULT_OPTIONS = RenderOptions()


@dataclass(slots=True)
class Unit:
    """One record prepared for rendering: its data as stored, or its converted message."""

    seq: int
    native: bool
    data: Any
    message: Message | None
    safe: bool
    """Rendering may start at this record: it starts a user turn, so no tool call before it
    pairs with a result at or after it (see :func:`render_units` and :mod:`.repair`)."""
    barrier: bool = True
    """It shows something besides another SDK's tool traffic, so no call/result pair of
    another SDK may straddle it."""
    tools: bool = False
    """It holds another SDK's tool calls or results."""
    calls: bool = False
    """It holds another SDK's tool calls."""
    turn: bool = False
    """It starts a user turn (a call before it without a result is orphaned)."""


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
    if own and not labelled and target.accepts(record.data):
        turn = _opens_turn(target, record.data)
        return Unit(seq, True, record.data, None, turn, turn=turn)
    created_at = getattr(record, "created_at", None)
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
            return Unit(seq, True, record.data, None, turn, turn=turn)
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
        message = _with(message, tuple([p for p in parts if type(p) is not ReasoningPart]))
    turn = barrier and message.role == "user"
    safe = turn and not results
    return Unit(seq, False, None, message, safe, barrier, calls or results, calls, turn)


def _opens_turn(target: Format, item: Any) -> bool:
    """A stored item of ``target`` that starts a user turn and answers no call."""
    found = target.traffic(item)
    return found.turn and not found.results


def _with(message: Message, parts: tuple[Part, ...], role: Role | None = None) -> Message:
    """``message`` with other parts (and role): ``dataclasses.replace``, without its cost."""
    return Message(
        message.role if role is None else role,
        parts,
        message.format,
        message.author,
        message.seq,
        message.created_at,
        message.extra,
    )


def _label(message: Message, author: str) -> Message:
    parts = list(message.parts)
    for index, part in enumerate(parts):
        if type(part) is TextPart:
            parts[index] = replace(part, text=label(author, part.text))
            return _with(message, tuple(parts))
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
) -> tuple[list[RenderedItem], list[Role | None]]:
    """Render prepared units; also return each item's role (for alternating targets)."""
    rewritten, folded = _pair_tools(units, target, options, run_start, session_id)
    items: list[RenderedItem] = []
    for index, (unit, message) in enumerate(zip(units, rewritten, strict=True)):
        if message is None:
            items.append(RenderedItem(unit.data, (unit.seq,), True))
            continue
        seqs = (unit.seq, *folded[index]) if index in folded else (unit.seq,)
        items.extend(RenderedItem(item, seqs) for item in target.from_neutral(message))
    if target.merge is None:
        items = repair(items, target, run_start=run_start, session_id=session_id)
        return items, [None] * len(items)
    # The opening turn, if one is needed, is dated like the first converted record.
    opened = next((u.message.created_at for u in units if u.message is not None), None)
    items, roles = _merge_runs(items, target)
    repaired = repair(items, target, run_start=run_start, session_id=session_id)
    if repaired is not items:
        items, roles = _merge_runs(repaired, target)
    return _open_with_user(items, roles, target, at_start, opened)


def _pair_tools(
    units: Sequence[Unit],
    target: Format,
    options: RenderOptions,
    run_start: bool = False,
    session_id: str | None = None,
) -> tuple[list[Message | None], dict[int, list[int]]]:
    """Each unit's message with another SDK's tool calls, results and handoffs rewritten, and
    for each unit the seqs of the records whose results were folded into its notes.

    A call of another SDK without a result is noted as interrupted when a user turn follows
    it (or when ``run_start`` and nothing does), else as having no result (yet)."""
    name = target.name
    # Pass 1: pair each foreign result with the latest same-id call before it, if only tool
    # traffic stands between them.
    pending: dict[str, tuple[int, int]] = {}
    result_of: dict[tuple[int, int], tuple[int, int]] = {}
    for i, unit in enumerate(units):
        message = unit.message
        if message is None or message.format == name:
            pending.clear()
            continue
        if unit.tools:
            for j, part in enumerate(message.parts):
                if type(part) is ToolResultPart:
                    call = pending.pop(part.call_id, None)
                    if call is not None:
                        result_of[call] = (i, j)
        if unit.barrier:
            pending.clear()
        if unit.tools:
            for j, part in enumerate(message.parts):
                if type(part) is ToolCallPart:
                    pending[part.call_id] = (i, j)
    # Pass 2: rewrite.
    native = options.foreign_tools == "native"
    kept: set[tuple[int, int]] = set()
    folded: set[tuple[int, int]] = set()
    folded_seqs: dict[int, list[int]] = {}
    out: list[Message | None] = []
    for i, unit in enumerate(units):
        message = unit.message
        if message is None or not unit.tools:
            out.append(message)
            continue
        source = find_format(message.format)
        author = message.author
        parts: list[Part] = []
        results = False
        for j, part in enumerate(message.parts):
            kind = type(part)
            if kind is ToolCallPart:
                assert isinstance(part, ToolCallPart)
                where = result_of.get((i, j))
                result = None if where is None else _result_at(units, where)
                handoff = None if source is None else source.handoff_target(part)
                if handoff is not None:
                    parts.append(TextPart(handoff_note(author, handoff)))
                elif native and result is not None and target.native_call_ok(part):
                    parts.append(part)
                    assert where is not None
                    kept.add(where)
                    continue
                elif result is None and (why := _interrupted(units, i, part.call_id, run_start)):
                    trailing = why == "run start"
                    log_repair(
                        "interrupted", session_id, unit.seq, part.call_id, run_start=trailing
                    )
                    parts.append(TextPart(interrupted_tool_note(author, part, options.note_chars)))
                else:
                    parts.append(TextPart(tool_note(author, part, result, options.note_chars)))
                if where is not None:
                    folded.add(where)
                    result_seq = units[where[0]].seq
                    if result_seq != unit.seq:
                        folded_seqs.setdefault(i, []).append(result_seq)
            elif kind is ToolResultPart:
                assert isinstance(part, ToolResultPart)
                if (i, j) in kept:
                    parts.append(part)
                    results = True
                elif (i, j) not in folded:
                    parts.append(TextPart(orphan_result_note(part, options.note_chars)))
            else:
                parts.append(part)
        # Notes about another agent's tools are the assistant's side of the conversation.
        role: Role = "assistant" if message.role == "tool" and not results else message.role
        out.append(_with(message, tuple(parts), role))
    return out, folded_seqs


def _interrupted(
    units: Sequence[Unit], index: int, call_id: str, run_start: bool
) -> Literal["turn", "run start", ""]:
    """Why the call ``call_id`` of unit ``index`` is orphaned: a user turn starts after it
    before any result for it (``"turn"``), or, with ``run_start``, nothing answers it at all;
    ``""`` when it is not."""
    for unit in units[index + 1 :]:
        message = unit.message
        if message is not None and unit.tools:
            for part in message.parts:
                if type(part) is ToolResultPart and part.call_id == call_id:
                    return ""
        if unit.turn:
            return "turn"
    return "run start" if run_start else ""


def _result_at(units: Sequence[Unit], where: tuple[int, int]) -> ToolResultPart:
    message = units[where[0]].message
    assert message is not None
    part = message.parts[where[1]]
    assert isinstance(part, ToolResultPart)
    return part


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
