"""The turn structure of a stored OpenAI Agents conversation, derived from its items.

``AdvancedSQLiteSession`` keeps a ``message_structure`` row beside every item (type, tool name,
turn numbers). ``AdvancedSession`` stores only the items and derives the same values when it
reads a branch: a turn starts at each user message, items before the first user message belong
to turn 0, and an item's turn is the number of user messages up to it. Branches copy a prefix
and every write appends or pops at the end, so this numbering is the SDK's exactly (its branch
and user turn numbers are always equal). Pure functions on JSON values; no SDK import.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from ..records import Record

__all__ = [
    "Entry",
    "TurnTail",
    "classify_message_type",
    "content_matches",
    "content_preview",
    "conversation_by_turns",
    "extract_tool_name",
    "is_user_message",
    "scan",
    "sql_timestamp",
    "tool_usage",
    "turn_info",
]

TOOL_CALL_TYPES = frozenset(
    {
        "tool_call",
        "function_call",
        "computer_call",
        "file_search_call",
        "web_search_call",
        "code_interpreter_call",
        "tool_search_call",
        "custom_tool_call",
        "mcp_call",
        "mcp_approval_request",
        "shell_call",
        "apply_patch_call",
    }
)
"""Message types ``get_tool_usage`` counts as one use of a tool each."""

_NAMELESS_TOOL_TYPES = frozenset(
    {
        "computer_call",
        "file_search_call",
        "web_search_call",
        "code_interpreter_call",
        "shell_call",
        "apply_patch_call",
        "tool_search_call",
        "tool_search_output",
    }
)
_TYPE_IS_NAME = frozenset({"shell_call", "apply_patch_call"})


def is_user_message(item: Any) -> bool:
    """True for an item that opens a turn: a mapping with ``role == "user"``."""
    return isinstance(item, dict) and item.get("role") == "user"


def classify_message_type(item: Any) -> str:
    """``user``, ``assistant``, the item's ``type`` (``function_call``, ...) or ``other``."""
    if isinstance(item, dict):
        role = item.get("role")
        if role in ("user", "assistant"):
            return str(role)
        if item.get("type"):
            return str(item.get("type"))
    return "other"


def extract_tool_name(item: Any) -> str | None:
    """The tool an item calls, named as the SDK names it (``server.tool`` for MCP calls,
    ``namespace.name`` for namespaced functions, the type for built-in tools)."""
    if not isinstance(item, dict):
        return None
    item_type = item.get("type")
    if item_type in ("mcp_call", "mcp_approval_request") and "server_label" in item:
        label, name = item.get("server_label"), item.get("name")
        if name and label:
            return f"{label}.{name}"
        if label:
            return str(label)
        return str(name) if name else None
    if item_type in _NAMELESS_TOOL_TYPES:
        return (
            "tool_search" if item_type in ("tool_search_call", "tool_search_output") else item_type
        )
    if "name" in item:
        name = item.get("name")
        if name is None:
            return None
        namespace = item.get("namespace")
        text = str(name)
        scope = str(namespace) if namespace is not None else None
        if text and scope and scope != text:
            return f"{scope}.{text}"
        return text
    return None


@dataclass(frozen=True, slots=True)
class Entry:
    """One item of a branch with the structure the SDK would have stored for it."""

    seq: int
    created_at: float
    data: Any
    type: str
    tool_name: str | None
    turn: int


def scan(records: Iterable[Record]) -> list[Entry]:
    """Number the turns of a branch's records (in seq order, from the branch's first)."""
    entries: list[Entry] = []
    turn = 0
    for record in records:
        item = record.data
        if is_user_message(item):
            turn += 1
        entries.append(
            Entry(
                record.seq,
                record.created_at,
                item,
                classify_message_type(item),
                extract_tool_name(item),
                turn,
            )
        )
    return entries


@dataclass(slots=True)
class TurnTail:
    """Where a branch's turn numbering stands after its last record: its last record, the
    number of its last turn and that turn's opening record (the user message, or the first
    record for turn 0). Kept between calls so that ``store_run_usage`` reads only what was
    appended since (the caller checks that ``last`` is still there first)."""

    last: Record | None = None
    turn: int = 0
    opening: Record | None = None

    def extend(self, records: Iterable[Record]) -> None:
        for record in records:
            if is_user_message(record.data):
                self.turn += 1
                self.opening = record
            elif self.opening is None:
                self.opening = record
            self.last = record


def sql_timestamp(created_at: float) -> str:
    """A time as SQLite's ``CURRENT_TIMESTAMP`` writes it (UTC, to the second): the shape the
    SDK returns for ``timestamp`` and ``created_at``."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(created_at))


def content_preview(content: Any, max_length: int | None = None) -> str:
    """A user message's content as a string (structured parts as JSON), cut to
    ``max_length`` characters plus ``...``."""
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    if max_length is not None and len(text) > max_length:
        return text[:max_length] + "..."
    return text


def turn_info(entry: Entry, max_length: int | None) -> dict[str, Any]:
    """The SDK's turn dict for a user message entry."""
    content = entry.data.get("content", "")
    return {
        "turn": entry.turn,
        "content": content_preview(content, max_length),
        "full_content": content,
        "timestamp": sql_timestamp(entry.created_at),
        "can_branch": True,
    }


def content_matches(content: Any, search_term: str) -> bool:
    """True if the text of a user message's content contains ``search_term``, ignoring ASCII
    case only (SQLite ``LIKE``'s rule, which the SDK keeps)."""
    pattern = re.compile(re.escape(search_term), re.IGNORECASE | re.ASCII)
    if isinstance(content, str):
        texts = [content]
    elif isinstance(content, list):
        texts = [part.get("text", "") for part in content if isinstance(part, dict)]
    else:
        return False
    return any(isinstance(text, str) and pattern.search(text) for text in texts)


def conversation_by_turns(entries: Iterable[Entry]) -> dict[int, list[dict[str, str | None]]]:
    """``{turn: [{"type": ..., "tool_name": ...}, ...]}`` in item order."""
    turns: dict[int, list[dict[str, str | None]]] = {}
    for entry in entries:
        turns.setdefault(entry.turn, []).append({"type": entry.type, "tool_name": entry.tool_name})
    return turns


def tool_usage(entries: Iterable[Entry]) -> list[tuple[str, int, int]]:
    """``(tool_name, uses, turn)`` per tool and turn, by turn: every tool call counts once; a
    ``tool_search_output`` counts only in a turn without a ``tool_search_call`` for it."""
    counts: Counter[tuple[str | None, int]] = Counter()
    searches: list[tuple[str | None, int]] = []
    called: set[tuple[str | None, int]] = set()
    for entry in entries:
        if entry.type in TOOL_CALL_TYPES:
            name = entry.tool_name
            if name is None and entry.type in _TYPE_IS_NAME:
                name = entry.type
            counts[(name, entry.turn)] += 1
            if entry.type == "tool_search_call":
                called.add((entry.tool_name, entry.turn))
        elif entry.type == "tool_search_output":
            searches.append((entry.tool_name, entry.turn))
    for key in searches:
        if key not in called:
            counts[key] += 1
    # By turn, then by name with a nameless call first (SQLite sorts NULL first).
    ordered = sorted(
        counts.items(), key=lambda kv: (kv[0][1], kv[0][0] is not None, kv[0][0] or "")
    )
    return [(cast(str, name), uses, turn) for (name, turn), uses in ordered]
