"""The text notes that stand in for what another SDK cannot take natively.

Every note is one line in square brackets, so a model (and a person reading the history) can tell
it from what was said. The wording is part of the documented behaviour:

* a tool call of another SDK's agent: ``[spec called tool lookup({"q": "abc"}) -> found abc]``
  (``-> error: ...`` for a failed call, ``; no result`` when none is stored after it yet,
  ``-> interrupted: no result was recorded`` once the conversation moved on without one);
* a tool result whose call is not there: ``[result of tool call t1 -> found abc]``;
* the synthetic result of a tool call that was interrupted (:data:`INTERRUPTED`);
* a handoff: ``[triage handed off to spec]``;
* an item with no neutral form: ``[triage: web_search_call (openai.responses item, not shown)]``;
* a record that could not be converted: ``[record 7 (strands.message) could not be converted]``;
* media the target cannot hold: ``[image: https://...]``, ``[file: report.pdf]``.

Long inputs and results are cut to ``limit`` characters, saying how much was left out.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from .model import (
    FilePart,
    ImagePart,
    JsonPart,
    OpaquePart,
    ResultContent,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)

logger = logging.getLogger("sessions_plus.conversation")

DEFAULT_NOTE_CHARS = 1000
"""Longest tool input or result quoted in a note."""

ANONYMOUS = "another agent"
"""Who a note names when a record has no author."""

CONVERSATION_START = "[conversation start]"
"""The user turn put first when a role-alternating target would otherwise open with the
assistant (Strands/Bedrock require the first message to be the user's)."""

INTERRUPTED = (
    "[interrupted: the run that made this tool call stopped before the tool returned, "
    "so no result was recorded; the tool may or may not have run]"
)
"""The synthetic result an orphaned tool call is shown with (status ``error``): a call with no
stored result once the conversation moved on (see :mod:`sessions_plus.conversation.repair`)."""

_logged: set[tuple[str, str]] = set()
_logged_lock = threading.Lock()


def log_once(format: str, kind: str) -> None:
    """Log, once per process for each ``(format, kind)``, that an item was shown as a note."""
    key = (format, kind)
    if key in _logged:
        return
    with _logged_lock:
        if key in _logged:
            return
        _logged.add(key)
    logger.warning(
        "%s item type %r has no neutral form: another SDK sees it as a text note "
        "(it stays stored unchanged); logged once per type",
        format,
        kind,
    )


def who(author: str | None) -> str:
    return author or ANONYMOUS


def clip(text: str, limit: int = DEFAULT_NOTE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how many were left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [{len(text) - limit} more characters]"


_ENCODE = json.JSONEncoder(ensure_ascii=False, default=repr).encode


def dumps(value: Any) -> str:
    """Readable JSON for a note (anything not JSON shown by ``repr``)."""
    try:
        return _ENCODE(value)
    except (TypeError, ValueError, RecursionError):
        return repr(value)


def content_text(content: tuple[ResultContent, ...]) -> str:
    """A tool result's content as one text."""
    pieces: list[str] = []
    for part in content:
        if isinstance(part, TextPart):
            pieces.append(part.text)
        elif isinstance(part, JsonPart):
            pieces.append(dumps(part.value))
        elif isinstance(part, ImagePart):
            pieces.append(media_note(part))
        elif isinstance(part, FilePart):
            pieces.append(file_note(part))
        else:
            pieces.append(f"[{part.kind}]")
    return "\n".join(pieces)


def tool_note(
    author: str | None,
    call: ToolCallPart,
    result: ToolResultPart | None,
    limit: int = DEFAULT_NOTE_CHARS,
) -> str:
    """Another agent's tool call, with its result if there is one."""
    head = f"[{who(author)} called tool {call.name}({clip(dumps(call.input), limit)})"
    if result is None:
        return f"{head}; no result]"
    status = "error: " if result.status == "error" else ""
    return f"{head} -> {status}{clip(content_text(result.content), limit)}]"


def interrupted_tool_note(
    author: str | None, call: ToolCallPart, limit: int = DEFAULT_NOTE_CHARS
) -> str:
    """Another agent's tool call that was interrupted before it returned."""
    head = f"[{who(author)} called tool {call.name}({clip(dumps(call.input), limit)})"
    return f"{head} -> interrupted: no result was recorded]"


def orphan_result_note(result: ToolResultPart, limit: int = DEFAULT_NOTE_CHARS) -> str:
    """A tool result whose call is not in the conversation before it."""
    status = "error: " if result.status == "error" else ""
    text = clip(content_text(result.content), limit)
    return f"[result of tool call {result.call_id} -> {status}{text}]"


def handoff_note(author: str | None, target: str) -> str:
    return f"[{who(author)} handed off to {target}]"


def opaque_note(author: str | None, part: OpaquePart) -> str:
    """An item with no neutral form; logs the first one of each kind."""
    log_once(part.format, part.kind)
    return f"[{who(author)}: {part.kind} ({part.format} item, not shown)]"


def corrupt_note(seq: int | None, format: str | None, reason: str) -> str:
    where = "a record" if seq is None else f"record {seq}"
    return f"[{where} ({format or 'no format'}) could not be converted: {reason}]"


def empty_note(seq: int | None, format: str | None) -> str:
    """A record of another SDK that holds nothing the target takes (only reasoning, say)."""
    where = "a record" if seq is None else f"record {seq}"
    return f"[{where} ({format or 'no format'}) holds nothing to show here]"


def media_note(part: ImagePart) -> str:
    if part.url is not None and not part.url.startswith("data:"):
        return f"[image: {clip(part.url, 200)}]"
    size = "" if part.data is None else f", {len(part.data)} bytes"
    return f"[image: {part.media_type or 'unknown type'}{size}]"


def file_note(part: FilePart) -> str:
    if part.name:
        return f"[file: {part.name}]"
    if part.url is not None and not part.url.startswith("data:"):
        return f"[file: {clip(part.url, 200)}]"
    return f"[file: {part.media_type or 'unknown type'}]"


def label(author: str, text: str) -> str:
    """Assistant text of another agent, prefixed with who said it (``label_authors=True``)."""
    return f"[{author}] {text}"


def system_text(text: str) -> str:
    """A system message for a target without a system role in its history."""
    return f"[system] {text}"
