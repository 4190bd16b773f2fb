"""Another SDK's tool calls, results and handoffs, rewritten for the target (part of
:func:`.render.render_units`; the rules are in :mod:`.render`'s docstring)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, cast

from .formats import Format, find_format
from .model import Message, Part, Role, TextPart, ToolCallPart, ToolResultPart
from .notes import handoff_note, interrupted_tool_note, orphan_result_note, tool_note
from .repair import log_repair
from .units import RenderOptions, Unit, with_parts


def pair_tools(
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
                    parts.append(_note_of(unit, j, author, part, result, options.note_chars))
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
        out.append(_rewritten(unit, message, tuple(parts), role))
    return out, folded_seqs


def _rewritten(unit: Unit, message: Message, parts: tuple[Part, ...], role: Role) -> Message:
    """``message`` with ``parts`` and ``role``; the same object as the last read's while they
    are equal, so that its rendered items are kept too (:func:`.render._items_of`)."""
    kept = unit.keep()
    last = kept.get("rewritten")
    if last is not None and last[1] == role and last[0] == parts:
        return cast(Message, last[2])
    rewritten = with_parts(message, parts, role)
    kept["rewritten"] = (parts, role, rewritten)
    return rewritten


def _note_of(
    unit: Unit,
    index: int,
    author: str | None,
    call: ToolCallPart,
    result: ToolResultPart | None,
    chars: int,
) -> TextPart:
    """:func:`~.notes.tool_note` of part ``index`` of ``unit`` as a text part, kept on the unit
    while the result is the same part object (parts are immutable)."""
    kept = unit.keep()
    found = kept.get(index)
    if found is not None and found[0] is result and found[1] == chars:
        return cast(TextPart, found[2])
    note = TextPart(tool_note(author, call, result, chars))
    kept[index] = (result, chars, note)
    return note


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
