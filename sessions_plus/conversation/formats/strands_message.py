"""``strands.message``: Strands (Bedrock Converse) messages, as the Strands adapter stores them.

One record holds a ``SessionMessage.to_dict()`` without ``message_id``: ``{"message": {"role",
"content": [blocks], ...}, "redact_message": ..., "created_at": ..., "updated_at": ...}``, with
bytes as ``{"__bytes_encoded__": true, "data": "<base64>"}``. To neutral, the message the model is
shown (``redact_message`` when the message was redacted) becomes one neutral message; a user
message of ``toolResult`` blocks only has the neutral role ``tool``. Blocks:

* ``text`` -> text; ``guardContent`` and ``citationsContent`` -> their text;
* ``image``/``document`` with bytes -> image/file parts (other sources stay opaque);
* ``toolUse`` -> tool call (``toolUseId`` is the call id); ``toolResult`` -> tool result with
  ``text``/``json``/``image``/``document`` content;
* ``reasoningContent`` -> reasoning (text and signature, or redacted bytes);
* ``cachePoint`` -> an invisible opaque part (a prompt-caching hint: other SDKs skip it);
* anything else (audio, video, unknown keys, blocks with several keys) -> opaque.

From neutral, a message of another format becomes one Strands message (``tool`` and ``system``
roles become ``user``; a system text is prefixed ``[system]``); reasoning of another provider is
never written; media the target cannot hold and opaque parts become text notes; a message left
with no blocks becomes nothing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from ..media import (
    DOCUMENT_MEDIA_TYPES,
    decode_bytes,
    document_format,
    encode_bytes,
    image_format,
    parse_data_url,
)
from ..model import (
    FilePart,
    ImagePart,
    JsonPart,
    Message,
    OpaquePart,
    Part,
    ReasoningPart,
    ResultContent,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    ToolStatus,
)
from ..notes import dumps, file_note, media_note, opaque_note, system_text
from .base import NO_TRAFFIC, Format, Traffic, invalid

NAME = "strands.message"

HANDOFF_TOOL = "handoff_to_agent"
"""The tool a Strands Swarm agent calls to hand off (``{"agent_name": ..., "message": ...}``)."""

_ROLES = ("user", "assistant")

# Every part and message keeps, as its ``extra``, the block (or record) it came from;
# converting back overlays the neutral fields on it, so what no neutral field holds
# (tracking ids, metadata, timestamps, citations, the spelling of bytes) reads back as it was.


# ---------------------------------------------------------------------- to neutral


def to_neutral(
    data: Any,
    *,
    seq: int | None = None,
    author: str | None = None,
    created_at: float | None = None,
) -> Message:
    """One stored Strands message as a neutral message (see the module docstring)."""
    if type(data) is not dict:
        raise invalid(NAME, f"a record is a JSON object, not {type(data).__name__}")
    effective = data.get("redact_message")
    if effective is None:
        effective = data.get("message")
        if type(effective) is not dict:
            raise invalid(NAME, "a record needs a 'message' object")
    elif type(effective) is not dict or type(data.get("message")) is not dict:
        raise invalid(NAME, "'message' and 'redact_message' are message objects")
    role = effective.get("role")
    content = effective.get("content")
    if role != "user" and role != "assistant":
        raise invalid(NAME, f"unknown message role {role!r}")
    if type(content) is not list:
        raise invalid(NAME, "message content is a list of blocks")
    parts = tuple([_block(block) for block in content])
    neutral: Role = role
    if role == "user" and parts and all(type(part) is ToolResultPart for part in parts):
        neutral = "tool"
    return Message(neutral, parts, NAME, author, seq, created_at, data)


def _block(block: Any) -> Part:
    if type(block) is not dict or not block:
        raise invalid(NAME, "a content block is a non-empty object")
    if len(block) != 1:  # Converse blocks are single-key unions; anything else stays as it is
        return OpaquePart(NAME, next(iter(block)), block)
    ((key, value),) = block.items()
    if key == "text":
        if type(value) is not str:
            raise invalid(NAME, "a text block holds a string")
        return TextPart(value)
    if key == "toolUse":
        if (
            type(value) is not dict
            or type(value.get("toolUseId")) is not str
            or type(value.get("name")) is not str
            or "input" not in value
        ):
            raise invalid(NAME, "a toolUse needs string 'toolUseId' and 'name', and an 'input'")
        return ToolCallPart(value["toolUseId"], value["name"], value["input"], value)
    if key == "toolResult":
        return _tool_result(value)
    part: Part | None = None
    if key == "image" or key == "document":
        part = _media(key, value, block)
    elif key == "reasoningContent":
        part = _reasoning(value)
    elif key == "guardContent":
        part = _guard(value, block)
    elif key == "citationsContent":
        text = _citations_text(value)
        part = None if text is None else TextPart(text, block)
    elif key == "cachePoint":
        return OpaquePart(NAME, key, block, visible=False)
    return OpaquePart(NAME, key, block) if part is None else part


def _media(key: str, value: Any, block: dict[str, Any]) -> ImagePart | FilePart | None:
    """An image or document with a bytes source (anything else stays opaque)."""
    if type(value) is not dict:
        return None
    fmt, source = value.get("format"), value.get("source")
    if type(fmt) is not str or type(source) is not dict:
        return None
    data = decode_bytes(source.get("bytes"))
    if data is None:
        return None
    if key == "image":
        return None if "name" in value else ImagePart(f"image/{fmt}", data=data, extra=block)
    name = value.get("name")
    if name is not None and type(name) is not str:
        return None
    return FilePart(DOCUMENT_MEDIA_TYPES.get(fmt), data=data, name=name, extra=block)


def _tool_result(value: Any) -> ToolResultPart:
    if (
        type(value) is not dict
        or type(value.get("toolUseId")) is not str
        or type(value.get("content")) is not list
    ):
        raise invalid(NAME, "a toolResult needs a string 'toolUseId' and a 'content' list")
    content = tuple([_result_content(item) for item in value["content"]])
    status: ToolStatus = "error" if value.get("status") == "error" else "success"
    return ToolResultPart(value["toolUseId"], content, status, value)


def _result_content(item: Any) -> ResultContent:
    if type(item) is not dict or not item:
        raise invalid(NAME, "tool result content is a list of non-empty objects")
    if len(item) == 1:
        ((key, value),) = item.items()
        if key == "text" and type(value) is str:
            return TextPart(value)
        if key == "json":
            return JsonPart(value)
        if key == "image" or key == "document":
            part = _media(key, value, item)
            if part is not None:
                return part
    return OpaquePart(NAME, next(iter(item)), item)


def _reasoning(value: Any) -> ReasoningPart | None:
    if type(value) is not dict:
        return None
    text, signature, redacted = "", None, None
    found = False
    reasoning_text = value.get("reasoningText")
    if reasoning_text is not None:
        if type(reasoning_text) is not dict or type(reasoning_text.get("text")) is not str:
            return None
        text = reasoning_text["text"]
        signature = reasoning_text.get("signature")
        if type(signature) is not str:
            signature = None
        found = True
    if value.get("redactedContent") is not None:
        redacted = decode_bytes(value["redactedContent"])
        if redacted is None:
            return None
        found = True
    return ReasoningPart(text, signature, redacted, value) if found else None


def _guard(value: Any, block: dict[str, Any]) -> TextPart | None:
    if type(value) is not dict or type(value.get("text")) is not dict:
        return None
    text = value["text"].get("text")
    return TextPart(text, block) if type(text) is str else None


def _citations_text(value: Any) -> str | None:
    if type(value) is not dict or type(value.get("content")) is not list:
        return None
    pieces = []
    for item in value["content"]:
        if type(item) is not dict or type(item.get("text")) is not str:
            return None
        pieces.append(item["text"])
    return "".join(pieces)


# ---------------------------------------------------------------------- from neutral


def from_neutral(message: Message) -> list[Any]:
    """A neutral message as a stored Strands message (exactly the original for its own)."""
    own = message.format == NAME and type(message.extra) is dict
    author = message.author
    blocks = [
        block for part in message.parts if (block := _block_out(part, own, author)) is not None
    ]
    role = "assistant" if message.role == "assistant" else "user"
    if own:
        record: dict[str, Any] = message.extra  # type: ignore[assignment]
        redact = record.get("redact_message")
        key = "message" if redact is None else "redact_message"
        return [{**record, key: {**record[key], "role": role, "content": blocks}}]
    if message.role == "system":
        blocks = [{"text": system_text(b["text"])} if "text" in b else b for b in blocks]
    if not blocks:
        return []
    stamp = _iso(message.created_at)
    return [
        {
            "message": {"role": role, "content": blocks},
            "redact_message": None,
            "created_at": stamp,
            "updated_at": stamp,
        }
    ]


def time_of(item: Any) -> float | None:
    """A stored message's ``created_at`` (ISO 8601) in Unix seconds; None if it has none."""
    stamp = item.get("created_at") if type(item) is dict else None
    if type(stamp) is not str:
        return None
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return (when if when.tzinfo is not None else when.replace(tzinfo=UTC)).timestamp()


def _iso(timestamp: float | None) -> str:
    when = datetime.now(UTC) if timestamp is None else datetime.fromtimestamp(timestamp, UTC)
    return when.isoformat()


def _block_out(part: Part, own: bool, author: str | None) -> dict[str, Any] | None:
    kind = type(part)
    if kind is TextPart:
        return _text_out(part, own)  # type: ignore[arg-type]
    if kind is ToolCallPart:
        tool_use = {"toolUseId": part.call_id, "name": part.name, "input": part.input}  # type: ignore[union-attr]
        return {"toolUse": {**part.extra, **tool_use} if own else tool_use}  # type: ignore[union-attr]
    if kind is ToolResultPart:
        return {"toolResult": _result_out(part, own, author)}  # type: ignore[arg-type]
    if kind is ReasoningPart:
        return _reasoning_out(part) if own else None  # type: ignore[arg-type]
    if kind is JsonPart:
        return {"text": dumps(part.value)}  # type: ignore[union-attr]
    if kind is ImagePart or kind is FilePart:
        return _media_out(part, own)  # type: ignore[arg-type]
    return _opaque_out(part, own, author)  # type: ignore[arg-type]


def _text_out(part: TextPart, own: bool) -> dict[str, Any]:
    block = part.extra
    if own and block:
        if "guardContent" in block:
            guard = block["guardContent"]
            return {"guardContent": {**guard, "text": {**guard["text"], "text": part.text}}}
        if "citationsContent" in block and _citations_text(block["citationsContent"]) == part.text:
            return dict(block)
    return {"text": part.text}


def _result_out(part: ToolResultPart, own: bool, author: str | None) -> dict[str, Any]:
    content = [
        item for c in part.content if (item := _result_content_out(c, own, author)) is not None
    ]
    if own and part.extra:
        result = {**part.extra, "toolUseId": part.call_id, "content": content}
        stored = part.extra.get("status")
        if part.status != ("error" if stored == "error" else "success"):
            result["status"] = part.status
        return result
    return {"toolUseId": part.call_id, "status": part.status, "content": content}


def _result_content_out(part: ResultContent, own: bool, author: str | None) -> Any:
    kind = type(part)
    if kind is TextPart:
        return {"text": part.text}  # type: ignore[union-attr]
    if kind is JsonPart:
        return {"json": part.value}  # type: ignore[union-attr]
    if kind is ImagePart or kind is FilePart:
        return _media_out(part, own)  # type: ignore[arg-type]
    return _opaque_out(part, own, author)  # type: ignore[arg-type]


def _media_out(part: ImagePart | FilePart, own: bool) -> dict[str, Any]:
    key = "image" if type(part) is ImagePart else "document"
    data = part.data
    if data is None and part.url is not None:
        parsed = parse_data_url(part.url)
        data = None if parsed is None else parsed[1]
    block = part.extra if own else None
    stored = block.get(key) if block else None
    if type(stored) is not dict:
        stored = None
    fmt: str | None
    if stored is not None and _media_type(key, stored["format"]) == part.media_type:
        fmt = stored["format"]
    elif key == "image":
        fmt = image_format(part.media_type)
    else:
        fmt = document_format(part.media_type, getattr(part, "name", None))
    if data is None or fmt is None:
        text = media_note(part) if isinstance(part, ImagePart) else file_note(part)
        return {"text": text}
    if stored is None:
        value: dict[str, Any] = {"format": fmt}
        if isinstance(part, FilePart):
            value["name"] = _document_name(part.name)
        value["source"] = {"bytes": encode_bytes(data)}
        return {key: value}
    source = stored["source"]
    raw = source.get("bytes")
    encoded = raw if decode_bytes(raw) == data else encode_bytes(data)
    value = {**stored, "format": fmt, "source": {**source, "bytes": encoded}}
    if isinstance(part, FilePart) and part.name is not None:
        value["name"] = part.name
    return {key: value}


def _media_type(key: str, fmt: str) -> str | None:
    return f"image/{fmt}" if key == "image" else DOCUMENT_MEDIA_TYPES.get(fmt)


_NAME_CHARS = re.compile(r"[^A-Za-z0-9\-()\[\] ]+")


def _document_name(name: str | None) -> str:
    """A name Bedrock accepts: letters, digits, spaces, hyphens, parentheses, brackets."""
    stem = (name or "").rsplit(".", 1)[0]
    cleaned = " ".join(_NAME_CHARS.sub("-", stem).split())
    return cleaned or "document"


def _reasoning_out(part: ReasoningPart) -> dict[str, Any]:
    value: dict[str, Any] = dict(part.extra)
    stored_text = value.get("reasoningText")
    if type(stored_text) is dict or (part.text and part.redacted is None):
        text = {**(stored_text if type(stored_text) is dict else {}), "text": part.text}
        if part.signature is not None:
            text["signature"] = part.signature
        value["reasoningText"] = text
    if part.redacted is not None:
        raw = value.get("redactedContent")
        value["redactedContent"] = (
            raw if decode_bytes(raw) == part.redacted else encode_bytes(part.redacted)
        )
    return {"reasoningContent": value}


def _opaque_out(part: OpaquePart, own: bool, author: str | None) -> dict[str, Any] | None:
    if own and part.format == NAME and type(part.data) is dict:
        return part.data
    return {"text": opaque_note(author, part)} if part.visible else None


# ---------------------------------------------------------------------- the rest


def _effective(item: Any) -> Any:
    if type(item) is not dict:
        return None
    redact = item.get("redact_message")
    return item.get("message") if redact is None else redact


def role_of(item: Any) -> Role | None:
    """The role of a stored message (None if it is not a well-formed message)."""
    message = _effective(item)
    if type(message) is not dict or type(message.get("content")) is not list:
        return None
    role = message.get("role")
    return role if role in _ROLES else None


def merge(first: Any, second: Any) -> dict[str, Any]:
    """One stored message holding two consecutive same-role messages' blocks, in order."""
    a, b = _effective(first), _effective(second)
    return {
        "message": {"role": a["role"], "content": [*a["content"], *b["content"]]},
        "redact_message": None,
        "created_at": first.get("created_at"),
        "updated_at": second.get("updated_at"),
    }


def handoff_target(call: ToolCallPart) -> str | None:
    """The agent a Swarm ``handoff_to_agent`` call hands off to."""
    if call.name == HANDOFF_TOOL and type(call.input) is dict:
        target = call.input.get("agent_name")
        if type(target) is str and target:
            return target
    return None


def native_call_ok(call: ToolCallPart) -> bool:
    """Converse tool inputs are JSON objects."""
    return type(call.input) is dict


def accepts(item: Any) -> bool:
    """A stored message: a record whose (redacted or original) message has a role and blocks."""
    return type(item) is dict and type(item.get("message")) is dict and role_of(item) is not None


def export(item: Any) -> Any:
    """A stored message as a Strands ``Message`` (what ``Agent(messages=...)`` takes)."""
    return _effective(item)


def traffic(item: Any) -> Traffic:
    """The ``toolUse`` blocks of an assistant message, the ``toolResult`` blocks of a user
    message, and whether a user message holds anything else (a new turn)."""
    message = _effective(item)
    if type(message) is not dict:
        return NO_TRAFFIC
    content = message.get("content")
    if type(content) is not list:
        return NO_TRAFFIC
    user = message.get("role") == "user"
    calls: list[tuple[str, str]] = []
    results: list[str] = []
    turn = False
    for block in content:
        if type(block) is not dict:
            continue
        if "toolUse" in block:
            use = block["toolUse"]
            if type(use) is dict and type(use.get("toolUseId")) is str:
                name = use.get("name")
                calls.append((use["toolUseId"], name if type(name) is str else "toolUse"))
        elif "toolResult" in block:
            result = block["toolResult"]
            if type(result) is dict and type(result.get("toolUseId")) is str:
                results.append(result["toolUseId"])
        elif user and "cachePoint" not in block:
            turn = True
    if not calls and not results:
        return Traffic(turn=turn) if turn else NO_TRAFFIC
    return Traffic(tuple(calls), tuple(results), turn)


FORMAT = Format(
    name=NAME,
    alias="strands",
    to_neutral=to_neutral,
    from_neutral=from_neutral,
    role_of=role_of,
    merge=merge,
    handoff_target=handoff_target,
    native_call_ok=native_call_ok,
    export=export,
    accepts=accepts,
    traffic=traffic,
    time_of=time_of,
)
